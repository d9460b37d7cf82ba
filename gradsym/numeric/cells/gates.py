"""Algebra shared by the gated cells (LSTM and the GRU variants), written once.

Layout. The parameters of the G gate blocks are stacked (W: (G·n, n), U: (G·n, d)), so one
matrix product per step, h⁽ᵗ⁻¹⁾ Wᵀ of shape (B, G·n), serves every gate. The gate
*values* are kept gate-major, A: (G, T, B, n), so that each gate of each step is one
contiguous (B, n) block: NumPy's elementwise loops are several times slower on the short
rows of a (B, G·n) slice, and ``A[k]`` is the (T, B, n) trace of gate k without a copy.

The helpers below are the pieces every gated cell repeats:

* the input projections U x⁽ᵗ⁾ + b of all steps, gate-major, in one call;
* the gate-major view of a step's fused product (B, k·n);
* a state history buffer s⁽⁰⁾ … s⁽ᵀ⁾ whose two overlapping views are the states after
  each step and the states before it (the backward pass needs s⁽ᵗ⁻¹⁾ without a copy);
* σ' and tanh' from the stored outputs (σ' = σ(1 − σ), tanh' = 1 − tanh²);
* the convex combination a + w∘(b − a) (the GRU's interpolation, in either convention)
  and its derivatives;
* the batched products diag(v) M of the closed-form state Jacobians.
"""

from __future__ import annotations

import numpy as np


def input_projections(xs: np.ndarray, U: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """U_g x⁽ᵗ⁾ + b_g for every gate block g and every step, gate-major.

    xs: (T, B, d), U: (G·n, d), b: (G·n,) → (G, T, B, n), a fresh C-contiguous array
    that the forward pass then completes in place into the gate values. One batched
    product: G matrix products of (T·B, d) by (d, n).
    """
    T, B, d = xs.shape
    G = U.shape[0] // n
    A = np.matmul(xs.reshape(T * B, d), U.reshape(G, n, d).transpose(0, 2, 1))
    A += b.reshape(G, 1, n)
    return A.reshape(G, T, B, n)


def as_blocks(stacked: np.ndarray, n: int) -> np.ndarray:
    """The (K, B, n) view of a (B, K·n) product, block k = ``stacked[:, k·n:(k+1)·n]``:
    ``A[:K, t] += as_blocks(rec, n)`` adds a step's fused product h⁽ᵗ⁻¹⁾ Wᵀ into the
    gate-major values. Taken once before the loop on the reused product buffer."""
    B, Kn = stacked.shape
    return stacked.reshape(B, Kn // n, n).transpose(1, 0, 2)


def state_history(state0: np.ndarray, T: int) -> np.ndarray:
    """A (T + 1, B, n) buffer with ``buf[0] = state0``.

    The forward pass writes s⁽ᵗ⁾ into ``buf[t]``; ``buf[1:]`` is then the trace's states
    and ``buf[:-1]`` the previous states s⁽ᵗ⁻¹⁾ the weight gradients multiply.
    """
    buf = np.empty((T + 1,) + state0.shape, state0.dtype)
    buf[0] = state0
    return buf


def previous_states(trace, name: str) -> np.ndarray:
    """s⁽⁰⁾ … s⁽ᵀ⁻¹⁾ for state ``name``, (T, B, n): a view of the forward pass's history
    buffer when the trace has one, else assembled from ``state0`` and the states."""
    buf = trace.cache.get(f"{name}_history")
    if buf is not None:
        return buf[:-1]
    k = tuple(trace.states).index(name)
    return np.concatenate([trace.state0[k][None], trace.states[name][:-1]], axis=0)


def sigmoid_prime(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) from the stored gate value a = σ(z)."""
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def tanh_prime(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z) from the stored value a = tanh(z)."""
    out = np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def lerp(a: np.ndarray, b: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(1 − w)∘a + w∘b, computed as a + w∘(b − a) (three passes, no temporary).

    ∂/∂a = diag(1 − w), ∂/∂b = diag(w), ∂/∂w = diag(b − a). ``out`` must not alias
    ``a`` or ``w``.
    """
    np.subtract(b, a, out=out)
    out *= w
    out += a
    return out


def diag_times(v: np.ndarray, M: np.ndarray) -> np.ndarray:
    """diag(v) M for a batch: v (B, n), M (n, m) or (B, n, m) → (B, n, m)."""
    return v[:, :, None] * M


def gate_values(trace, names: tuple[str, ...]) -> np.ndarray:
    """The gate-major values (G, T, B, n) of a trace: the forward pass's own array when
    the trace has it, else stacked from ``trace.gates``."""
    A = trace.cache.get("gates")
    if A is None:
        A = np.stack([trace.gates[g] for g in names])
    return A


def flat(a: np.ndarray) -> np.ndarray:
    """(T, B, m) → (T·B, m) without a copy when ``a`` is contiguous: the stacked rows
    of all steps, whose products give the weight gradients summed over time at once."""
    return a.reshape(-1, a.shape[-1])
