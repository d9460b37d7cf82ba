"""Spectral facts behind vanishing and exploding gradients (notes 001, 004).

- ``eigen_power``: W_h^ℓ = Q Λ^ℓ Q^{-1} for a symbolic integer ℓ, W_h diagonalizable.
- ``power_limit``: λ^ℓ → 0 as ℓ → ∞ for |λ| < 1 (real or complex), ∞ in modulus for |λ| > 1.
- ``jordan_power``: a Jordan block J = λI + N has J^ℓ with ℓ λ^{ℓ-1} (and higher
  binomial) terms, which still vanish for |λ| < 1.
- ``gamma``: γ = sup_z |σ'(z)| derived — 1 for tanh, 1/4 for the sigmoid (with the
  certificate 1/4 − s(1 − s) = (s − 1/2)²), 1 for ReLU where defined, 1 for the identity.
- ``rotation_power``: an orthogonal Q (a rotation by θ) has Q^ℓ the rotation by ℓθ and
  ‖Q^ℓ x‖ = ‖x‖ for every ℓ.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from gradsym.lang.elementwise import get_activation
from gradsym.lang.functions import relu, sigmoid

from ..errors import InvalidValueError, NotDiagonalizableError, ShapeError
from ..validate import positive_int

ell = sp.Symbol("ell", integer=True, positive=True)  # ℓ = i − j, the lag


def _square(M) -> sp.Matrix:
    try:
        M = sp.Matrix(M)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"W_h must be a 2-D matrix, got {type(M).__name__}") from exc
    if M.rows != M.cols or M.rows == 0:
        raise ShapeError(f"W_h must be square, got shape {M.shape}")
    return M


@dataclass(frozen=True)
class EigenPower:
    """W^ℓ = Q Λ^ℓ Q^{-1}: the factors and the power, for a symbolic ℓ."""

    Q: sp.Matrix
    Lambda: sp.Matrix
    power: sp.Matrix
    ell: sp.Symbol


def eigen_power(W, l: sp.Symbol = ell) -> EigenPower:
    """Diagonalize W (ShapeError if not square, NotDiagonalizableError if no eigenbasis)
    and return W^ℓ = Q Λ^ℓ Q^{-1} with ℓ symbolic."""
    W = _square(W)
    if not W.is_diagonalizable():
        raise NotDiagonalizableError(
            f"W_h = {W.tolist()} has no basis of eigenvectors; use jordan_power for its Jordan blocks"
        )
    Q, Lam = W.diagonalize()
    Lam_l = sp.diag(*[Lam[k, k] ** l for k in range(Lam.rows)])
    return EigenPower(Q, Lam, sp.simplify(Q * Lam_l * Q.inv()), l)


def power_limit(lam: sp.Expr, l: sp.Symbol = ell) -> sp.Expr:
    """lim_{ℓ→∞} |λ^ℓ| = lim |λ|^ℓ: 0 for |λ| < 1, 1 for |λ| = 1, ∞ for |λ| > 1."""
    return sp.limit(sp.Abs(sp.sympify(lam, strict=True)) ** l, l, sp.oo)


def jordan_power(lam: sp.Expr, size: int = 2, l: sp.Symbol = ell) -> sp.Matrix:
    """J^ℓ for the Jordan block of ``lam`` of the given size: entries C(ℓ, k) λ^{ℓ-k}."""
    size = positive_int("size", size)
    J = sp.Matrix(size, size, lambda i, j: lam if i == j else (1 if j == i + 1 else 0))
    return J**l


def jordan_vanishes(lam: sp.Expr, l: sp.Symbol = ell) -> bool:
    """Whether every entry of the 2×2 Jordan block's power, ℓ λ^{ℓ-1} included, → 0."""
    P = jordan_power(lam, 2, l)
    return all(sp.limit(sp.Abs(e), l, sp.oo) == 0 for e in P)


@dataclass(frozen=True)
class Gamma:
    """γ = sup |σ'| for one activation, with how it was derived."""

    activation: str
    value: sp.Expr
    certificate: sp.Expr | None = None  # an expression ≥ 0 equal to γ − |σ'|


def gamma(name: str) -> Gamma:
    """Derive γ = sup_z |σ'(z)| for tanh, sigmoid, relu or identity."""
    act = get_activation(name)
    z = sp.Symbol("z", real=True)
    if name == "tanh":
        prime = sp.tanh(z).diff(z)  # SymPy's derivative, 1 − tanh²(z)
        value = sp.maximum(prime, z, sp.S.Reals)
        return Gamma(name, value, sp.expand(value - prime))  # derived: tanh²(z) ≥ 0
    if name == "sigmoid":
        s = sp.Symbol("s", real=True)  # s = σ(z) ∈ (0, 1), σ' = s(1 − s)
        prime = sigmoid(z).diff(z).subs(sigmoid(z), s)
        value = sp.maximum(prime, s, sp.Interval(0, 1))
        return Gamma(name, value, sp.factor(value - prime))
    if name == "relu":
        # ReLU' is 1 on z > 0 and 0 on z < 0 (undefined at 0): the sup over both pieces.
        prime = relu(z).diff(z).rewrite(sp.Heaviside)
        pieces = [
            prime.subs(z, sp.Symbol("zp", positive=True)),
            prime.subs(z, -sp.Symbol("zp", positive=True)),
        ]
        return Gamma(name, sp.Max(*pieces))
    return Gamma(name, sp.sympify(act.scalar_prime(z), strict=True))


def rotation(theta: sp.Expr) -> sp.Matrix:
    """The 2×2 rotation by θ, the orthogonal matrix of the notes' example."""
    return sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])


def rotation_power(theta: sp.Expr, l: sp.Symbol = ell) -> tuple[sp.Matrix, sp.Expr]:
    """(Q^ℓ, ‖Q^ℓ x‖² − ‖x‖²) for the rotation Q by θ, for a symbolic ℓ.

    Q^ℓ = rotation(ℓθ) by induction: true for ℓ = 1, and Q · rotation(kθ) = rotation((k+1)θ)
    (checked symbolically; InvalidValueError if the step failed). The norm difference is 0.
    """
    k = sp.Symbol("k", integer=True, positive=True)
    step = rotation(theta) * rotation(k * theta) - rotation((k + 1) * theta)
    if step.applyfunc(lambda e: sp.simplify(sp.expand_trig(e))) != sp.zeros(2, 2):
        raise InvalidValueError("induction step Q R(kθ) = R((k+1)θ) failed")
    P = rotation(l * theta)
    x1, x2 = sp.symbols("x1 x2", real=True)
    x = sp.Matrix([x1, x2])
    diff = sp.trigsimp(sp.expand(((P * x).T * (P * x))[0] - (x.T * x)[0]))
    return P, diff


def orthogonal_norm_preserved(Q) -> bool:
    """QᵀQ = I, hence ‖Q^ℓ x‖² = xᵀ(Q^ℓ)ᵀQ^ℓ x = xᵀx for every ℓ (by induction on ℓ)."""
    Q = _square(Q)
    return sp.simplify(Q.T * Q - sp.eye(Q.rows)) == sp.zeros(Q.rows, Q.rows)
