"""Proofs for every size: matrix expressions in index notation, with n and d as symbols.

A candidate Jacobian and the Jacobian of a cell's equations are both written entrywise
(:mod:`.build`) — every product, transpose, Hadamard product, diag, ones vector, inner
product and trace as sums over indices that range over n or d, with Kronecker deltas —
and brought to a normal form (:mod:`.tensor`: deltas contracted, dummies renamed
canonically, coefficients collected as polynomials in n and d; :mod:`.atoms`: elementwise
functions through σ and the step). Equal forms are equal at every size; different forms
are searched for the smallest size and a rational point at which they differ, and the
difference there is computed exactly (:mod:`.decide`, :mod:`.values`). Why this decides,
and for which fragment: ``docs/every-size.md``.

:func:`check` is the entry point: a candidate (a SymPy matrix expression in the cell's
symbols) against ∂of/∂wrt of a cell.
"""

from __future__ import annotations

from . import decide as _decide
from .build import Grid, builder, cut_for, grid, jacobian
from .decide import Counterexample, Outcome
from .tensor import TooLarge, Unsupported, limits


def variables(cell, wrt: str) -> list:
    """The named matrices a point gives values to: the cell's leaves and parameters, and
    the intermediates a Jacobian with respect to ``wrt`` keeps as variables."""
    return [*cell.leaves, *cell.params, *(cell.symbol(w) for w in sorted(cut_for(cell, wrt)))]


def check(candidate, cell, of: str, wrt: str, *, seed: int = 0, seconds: float | None = None):
    """The :class:`Outcome` of candidate against ∂of/∂wrt of ``cell`` for every n and d.
    Raises Unsupported for a construct outside the fragment, TooLarge past the budget of
    the enclosing :func:`limits`."""
    truth = jacobian(cell, of, wrt)
    mine = grid(candidate, cell, wrt)
    return _decide.decide(mine, truth, variables(cell, wrt), seed=seed, seconds=seconds)


__all__ = [
    "Counterexample",
    "Grid",
    "Outcome",
    "TooLarge",
    "Unsupported",
    "builder",
    "check",
    "cut_for",
    "grid",
    "jacobian",
    "limits",
    "variables",
]
