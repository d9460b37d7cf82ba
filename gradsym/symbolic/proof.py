"""Proofs that a compact Jacobian is right.

At fixed sizes: the compact form expanded entry by entry equals SymPy's explicit Jacobian
*identically* — the difference is the zero matrix. Both sides are written with the same
opaque functions (σ with σ' = σ(1 − σ), tanh with tanh' = 1 − tanh², ReLU with ReLU'), so
after replacing every function application by a fresh symbol the difference is a
polynomial, and ``expand`` decides it; ``simplify`` is never needed (SYMPY-NOTES).

For every n: index-notation statements, ∂h_i/∂h_j = σ'(z_i) W_ij, derived by SymPy from
h_i = σ(Σ_k W_ik h_k + Σ_k U_ik x_k + b_i) with n = j + 1 + p, p ≥ 0 (so that j < n is
known without a Piecewise).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .equations import Cell
from .explicit import expand_compact, explicit_jacobian, sizes_for
from .functions import activation, sigmoid


@dataclass(frozen=True)
class ProofResult:
    """Outcome of compact = explicit at one size: ``holds``, and a witness if not."""

    holds: bool
    n: int
    d: int
    entry: tuple[int, int] | None = None
    residual: sp.Expr | None = None

    def __bool__(self) -> bool:
        return self.holds


def is_identically_zero(e: sp.Expr) -> bool:
    """Whether a scalar expression built from opaque functions is identically 0."""
    if e == 0:
        return True
    funcs = sorted(e.atoms(sp.Function), key=sp.default_sort_key)
    # xreplace works top-down, so an outer application is replaced as a whole.
    dummies = {f: sp.Dummy() for f in funcs}
    return sp.expand(e.xreplace(dummies)) == 0


def prove_at(
    expr: MatrixExpr, cell: Cell, of: str, wrt: str, n: int, d: int | None = None
) -> ProofResult:
    """compact = explicit at hidden size n, input size d (default n): a ProofResult."""
    sizes = sizes_for(n, d)
    dd = int(list(sizes.values())[1])
    compact = expand_compact(expr, cell, wrt, n, dd)
    explicit = explicit_jacobian(cell, of, wrt, n, dd)
    if compact.shape != explicit.shape:
        return ProofResult(
            False, n, dd, None, sp.Symbol(f"shape {compact.shape} != {explicit.shape}")
        )
    for i in range(explicit.rows):
        for j in range(explicit.cols):
            diff = compact[i, j] - explicit[i, j]
            if not is_identically_zero(diff):
                return ProofResult(False, n, dd, (i, j), diff)
    return ProofResult(True, n, dd)


def rnn_index_form(name: str = "tanh") -> tuple[sp.Expr, sp.Expr, bool]:
    """∂h_i/∂h_j for the RNN with activation ``name``, for every n, in index notation.

    Returns (derived, expected, holds): derived from h_i = σ(z_i),
    z_i = Σ_k W_h[i,k] h_k + Σ_k W_x[i,k] x_k + b_i, expected σ'(z_i) W_h[i,j].
    """
    act = activation(name)
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    dd = sp.Symbol("d", integer=True, positive=True)
    nn = j + 1 + p  # any n > j
    W_h, W_x, b = sp.IndexedBase("W_h"), sp.IndexedBase("W_x"), sp.IndexedBase("b")
    h, x = sp.IndexedBase("h"), sp.IndexedBase("x")
    z_i = sp.Sum(W_h[i, k] * h[k], (k, 0, nn - 1)) + sp.Sum(W_x[i, k] * x[k], (k, 0, dd - 1)) + b[i]
    derived = sp.diff(act.scalar(z_i), h[j]).doit()
    expected = act.scalar_prime(z_i) * W_h[i, j]
    holds = sp.expand(derived - expected) == 0
    return derived, expected, holds


def lstm_cell_path_index_form() -> tuple[sp.Expr, sp.Expr, bool]:
    """∂c_i/∂c^{(t-1)}_j = f_i δ_ij for every n (the direct cell path, notes 004)."""
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    nn = j + 1 + p
    W_f, W_i, W_c = sp.IndexedBase("W_f"), sp.IndexedBase("W_i"), sp.IndexedBase("W_c")
    h, c_prev = sp.IndexedBase("h"), sp.IndexedBase("c_prev")
    f_i = sigmoid(sp.Sum(W_f[i, k] * h[k], (k, 0, nn - 1)))
    in_i = sigmoid(sp.Sum(W_i[i, k] * h[k], (k, 0, nn - 1)))
    ct_i = sp.tanh(sp.Sum(W_c[i, k] * h[k], (k, 0, nn - 1)))
    c_i = f_i * c_prev[i] + in_i * ct_i
    derived = sp.diff(c_i, c_prev[j])
    expected = f_i * sp.KroneckerDelta(i, j)
    return derived, expected, sp.expand(derived - expected) == 0
