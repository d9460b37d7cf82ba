"""Central-difference gradient checks, shipped so that users can check their own code.

In float64, :func:`numerical_gradient` perturbs every entry: exact enough to compare a
whole gradient array entry by entry (use it for small sizes). :func:`check_gradient`
compares one array, :func:`check_cell_gradients` a cell's whole backward pass (input,
initial state, every parameter) and :func:`check_state_jacobian` its state Jacobian.

The error reported is relative to the largest entry:
|analytic − numeric| / max(max |analytic|, max |numeric|, tiny).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import DTypeError


@dataclass(frozen=True)
class GradCheck:
    """Outcome of a gradient check: the worst relative error and where it occurred."""

    name: str
    max_rel_error: float
    analytic: float
    numeric: float

    def ok(self, rtol: float) -> bool:
        return bool(self.max_rel_error < rtol)

    def __str__(self) -> str:
        return (
            f"{self.name}: relative error {self.max_rel_error:.3e} "
            f"(analytic {self.analytic:.17g}, numeric {self.numeric:.17g})"
        )


def _require_float64(x: np.ndarray, name: str) -> None:
    if x.dtype != np.float64:
        raise DTypeError(f"gradient checks need float64 arrays; {name} has dtype {x.dtype}")


def check_every_array(f, xs, dxs, states, params, param_grads, eps) -> list[GradCheck]:
    """One :func:`check_gradient` each for the input ``xs`` (``"x"``), every initial-state
    array (``states``: (name, array, analytic gradient) triples) and every parameter."""
    checks = [check_gradient("x", f, xs, dxs, eps)]
    checks += [check_gradient(name, f, s, ds, eps) for name, s, ds in states]
    checks += [check_gradient(name, f, p, param_grads[name], eps) for name, p in params.items()]
    return checks


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, perturbing ``x`` in place entry by entry.

    ``f`` takes no argument and reads ``x`` (a parameter array, a view into fused storage,
    or an input); ``x`` is restored exactly afterwards.
    """
    _require_float64(x, "x")
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs an array it can perturb in place")
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        fp = f()
        flat[k] = old - eps
        fm = f()
        flat[k] = old
        gflat[k] = (fp - fm) / (2 * eps)
    return grad


def compare(name: str, analytic, numeric) -> GradCheck:
    """The worst entry of ``analytic`` against ``numeric``, its error measured against the
    largest entry of either, so that an entry that is zero analytically and 1e-12
    numerically does not count as a 100 % error."""
    analytic = np.asarray(analytic, np.float64)
    numeric = np.asarray(numeric, np.float64)
    if analytic.size == 0:
        return GradCheck(name, 0.0, 0.0, 0.0)
    scale = max(np.abs(numeric).max(), np.abs(analytic).max(), 1e-300)
    err = np.abs(analytic - numeric)
    k = int(np.argmax(err))
    return GradCheck(
        name,
        float(err.reshape(-1)[k] / scale),
        float(analytic.reshape(-1)[k]),
        float(numeric.reshape(-1)[k]),
    )


def check_gradient(
    name: str, f: Callable[[], float], x: np.ndarray, analytic: np.ndarray, eps: float = 1e-6
) -> GradCheck:
    """Compare ``analytic`` with the central-difference gradient of ``f`` at ``x``
    (:func:`compare`)."""
    return compare(name, analytic, numerical_gradient(f, x, eps))


def _random_linear_loss(cell, trace, rng):
    """Cotangents G for L = Σₜ ⟨G_h⁽ᵗ⁾, h⁽ᵗ⁾⟩ (+ the same for c) + ⟨G_final, s⁽ᵀ⁾⟩."""
    direct = {name: rng.standard_normal(v.shape) for name, v in trace.states.items()}
    final = tuple(rng.standard_normal(s.shape) for s in trace.final_state)

    def loss(tr) -> float:
        total = sum(float(np.vdot(direct[k], v)) for k, v in tr.states.items())
        return total + sum(float(np.vdot(g, s)) for g, s in zip(final, tr.final_state))

    return direct, final, loss


def check_cell_gradients(cell, xs: np.ndarray, state0, rng: np.random.Generator, eps=1e-6):
    """Central-difference check of ``cell.backward`` for the input, the initial state and
    every parameter, under a random linear loss of every state and of the final state.

    Returns one :class:`GradCheck` per checked array (``"x"``, ``"h0"``, ``"W_f"``, ...).
    """
    xs = np.array(xs, dtype=np.float64)
    state0 = tuple(np.array(s, dtype=np.float64) for s in cell._check_state(state0, xs.shape[1]))
    trace = cell.forward(xs, state0)
    direct, final, loss = _random_linear_loss(cell, trace, rng)
    g = cell.backward(trace, direct.get("h"), dc=direct.get("c"), d_final=final)

    def f():
        return loss(cell.forward(xs, state0))

    states = [(f"{name}0", s, ds) for name, s, ds in zip(cell.state_names, state0, g.dstate0)]
    return check_every_array(f, xs, g.dxs, states, cell.params, g.params, eps)


def check_state_jacobian(cell, x: np.ndarray, state, eps: float = 1e-6) -> list[GradCheck]:
    """``cell.state_jacobian`` against central differences of one step, for every
    sequence in the batch: ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ and ∂s⁽ᵗ⁾/∂x⁽ᵗ⁾."""
    x = np.array(x, dtype=np.float64)
    state = tuple(np.array(s, dtype=np.float64) for s in cell._check_state(state, x.shape[0]))
    J_ss, J_sx = cell.state_jacobian(x, state)
    n = cell.hidden_size

    def step_s(x_, state_):
        return np.concatenate(cell.step(x_, state_)[0], axis=1)  # (B, S)

    num_ss = np.empty_like(J_ss)
    s_flat = np.concatenate(state, axis=1)
    for j in range(s_flat.shape[1]):
        e = np.zeros_like(s_flat)
        e[:, j] = eps
        split = lambda s: tuple(s[:, k * n : (k + 1) * n] for k in range(len(state)))
        num_ss[:, :, j] = (step_s(x, split(s_flat + e)) - step_s(x, split(s_flat - e))) / (2 * eps)
    num_sx = np.empty_like(J_sx)
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, j] = eps
        num_sx[:, :, j] = (step_s(x + e, state) - step_s(x - e, state)) / (2 * eps)
    return [compare("ds/ds_prev", J_ss, num_ss), compare("ds/dx", J_sx, num_sx)]
