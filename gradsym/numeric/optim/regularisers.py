"""The vanishing-gradient regulariser Ω of Pascanu, Mikolov & Bengio (2013), eq. 9–10.

For a vanilla RNN h⁽ᵏ⁾ = σ(z⁽ᵏ⁾), z⁽ᵏ⁾ = W_h h⁽ᵏ⁻¹⁾ + W_x x⁽ᵏ⁾ + b, let
aₖ = ∂L/∂h⁽ᵏ⁾ be the back-propagated error (a row vector, the adjoint of BPTT) and
∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾ = diag(σ'(z⁽ᵏ⁾)) W_h the state Jacobian. Eq. 9 asks that one step back
neither shrinks nor grows the error:

    Ωₖ = ( ‖aₖ ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾‖ / ‖aₖ‖ − 1 )²,     Ω = mean over (k, b) of Ωₖ

(norms are 2-norms; k = 1 … T, b over the batch). Eq. 9 sums over k; like the authors'
code we average over the counted steps and sequences, so that one weight λ means the same
at every sequence length. A step whose error aₖ is exactly zero (no loss term reaches it)
has no ratio and is not counted.

Eq. 10, the gradient used for training, is ∂⁺Ω/∂W_h: the derivative of Ω with respect to
W_h with the back-propagated error aₖ and the state held constant (as the paper, and its
authors' code, compute it). With aₖ and σ'(z⁽ᵏ⁾) frozen only the explicit W_h of the
Jacobian varies. Writing wₖ = âₖ ∘ σ'(z⁽ᵏ⁾) with
âₖ = aₖ/‖aₖ‖ (the ratio is scale-free, and normalising first keeps a vanished error of
1e-300 from underflowing), vₖ = wₖ W_h and rₖ = ‖vₖ‖:

    Ωₖ = (rₖ − 1)²,     ∂⁺Ωₖ/∂W_h = 2 (rₖ − 1)/rₖ · wₖᵀ vₖ       (an n × n outer product)

(a term with rₖ = 0 has Ωₖ = 1 and no gradient: ‖·‖ is not differentiable at 0).

For a linear RNN (σ = identity, σ' = 1) with orthogonal W_h, ‖aₖ W_h‖ = ‖aₖ‖ for every
error, so Ω = 0 and ∂⁺Ω/∂W_h = 0: an orthogonal recurrent matrix is what Ω pulls towards.

Everything is computed in the arrays' own dtype (a float32 run's Ω is float32 work).

Shapes: ``adjoint_h`` and ``h`` (T, B, n) as :class:`~gradsym.numeric.nets.network.BPTTResult`
``adjoints["h"]`` and the trace's ``h`` (index t holds step t + 1), ``W_h`` (n, n).

Reference: R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent
neural networks", ICML 2013, Section 3.3, eq. 9–10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import ShapeError
from gradsym.lang.elementwise import ACTIVATIONS, FUNCTIONS
from gradsym.validate import choice

__all__ = ["OmegaResult", "omega"]


@dataclass(frozen=True)
class OmegaResult:
    """Ω, its gradient ∂⁺Ω/∂W_h (n, n) with the error and the state frozen, the per-step
    ratios r = ‖aₖ ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾‖/‖aₖ‖ (T, B; NaN where not counted) and how many
    (k, b) pairs were counted."""

    value: float
    grad: np.ndarray
    ratios: np.ndarray
    counted: int


def omega(adjoint_h: np.ndarray, h: np.ndarray, W_h: np.ndarray, activation: str) -> OmegaResult:
    """Pascanu et al.'s Ω of one BPTT pass and its frozen gradient ∂⁺Ω/∂W_h (module
    docstring). ``activation`` is the RNN's σ (tanh, sigmoid, relu, identity); σ'(z⁽ᵏ⁾) is
    read from the stored outputs h⁽ᵏ⁾ = σ(z⁽ᵏ⁾)."""
    act = FUNCTIONS[choice("activation", activation, ACTIVATIONS)]
    a = np.asarray(adjoint_h)
    h = np.asarray(h)
    W_h = np.asarray(W_h)
    if a.ndim != 3 or h.shape != a.shape:
        raise ShapeError(f"adjoint_h and h must both be (T, B, n), got {a.shape} and {h.shape}")
    n = a.shape[-1]
    if W_h.shape != (n, n):
        raise ShapeError(f"W_h must be ({n}, {n}) to match the states, got {W_h.shape}")
    rows_a = a.reshape(-1, n)
    # Each row divided by its largest entry first: ‖a‖ of a vanished error (1e-300)
    # would underflow to 0 if its squares were summed directly.
    biggest = np.abs(rows_a).max(axis=1)
    counted = biggest > 0.0
    ratios = np.full(biggest.shape, np.nan, a.dtype)
    grad = np.zeros_like(W_h)
    if not counted.any():
        return OmegaResult(0.0, grad, ratios.reshape(a.shape[:2]), 0)
    w = rows_a[counted] / biggest[counted, None]
    w /= np.linalg.norm(w, axis=1)[:, None]
    w *= act.grad_from_output(h.reshape(-1, n)[counted])  # σ'(z⁽ᵏ⁾), frozen
    v = w @ W_h
    r = np.linalg.norm(v, axis=1)
    ratios[counted] = r
    m = len(r)
    value = float(np.sum((r - 1.0) ** 2) / m)
    live = r > 0.0
    coef = np.zeros_like(r)
    coef[live] = 2.0 * (r[live] - 1.0) / (r[live] * m)
    grad = (w * coef[:, None]).T @ v
    return OmegaResult(value, grad.astype(W_h.dtype, copy=False), ratios.reshape(a.shape[:2]), m)
