"""``jacobian(cell, of=..., wrt=..., variant=...)``: the public entry point.

Returns a :class:`Jacobian`: the compact SymPy form (``.expr``), its explicit form at fixed
sizes (``.explicit(n)``), the proof that both agree (``.prove(n)``), LaTeX in the notes'
notation (``.latex()``) and a batched NumPy function (``.lambdify()``). Derivations,
explicit forms and generated functions are cached, so repeated calls are cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import sympy as sp
from sympy import BlockMatrix
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.latex import notes_latex
from gradsym.lang.matexpr import NotesMatrix
from gradsym.lang.numpy_code import NumpyJacobianPrinter

from ..errors import InvalidValueError, unknown_name
from .calculus import derive, inline
from .equations import CellEquations
from .equations import cell as get_cell
from .explicit import check_size, expand_compact, explicit_jacobian
from .proof import ProofResult, prove_at

JacobianFunction = Callable[..., np.ndarray]
JacobiansFunction = Callable[..., tuple[np.ndarray, ...]]


@dataclass(frozen=True, eq=False)
class Jacobian:
    """∂``of``/∂``wrt`` of one cell, J[i, j] = ∂of_i/∂wrt_j (numerator layout).

    ``expr`` is the compact form, e.g. for the RNN diag(σ'(z)) W_h with the named
    pre-activation z = W_h h^{(t-1)} + W_x x^{(t)} + b; ``blocks`` is the grid of compact
    blocks (one block unless ``of``/``wrt`` is "state").
    """

    cell: CellEquations
    of: str
    wrt: str
    blocks: tuple[tuple[MatrixExpr, ...], ...]

    @cached_property
    def expr(self) -> MatrixExpr:
        if len(self.blocks) == 1 and len(self.blocks[0]) == 1:
            return self.blocks[0][0]
        return BlockMatrix([list(row) for row in self.blocks])

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.expr.shape

    def inline(self, names: tuple[str, ...] | None = None) -> MatrixExpr:
        """The compact form with the pre-activations (or ``names``) written out."""
        return inline(self.expr, self.cell, names)

    def explicit(self, n: int, d: int | None = None) -> sp.ImmutableMatrix:
        """SymPy's Jacobian of the entry-wise equations at hidden size n, input size d (= n)
        (a :class:`~gradsym.lang.matexpr.NotesMatrix`: its LaTeX is the notes')."""
        check_size("n", n)
        return _explicit(self.cell, self.of, self.wrt, n, d)

    def expand(self, n: int, d: int | None = None) -> sp.ImmutableMatrix:
        """The compact form at sizes n, d, entry by entry."""
        check_size("n", n)
        return NotesMatrix.of(expand_compact(self.expr, self.cell, self.wrt, n, d))

    def prove(self, n: int, d: int | None = None) -> ProofResult:
        """compact = explicit identically at sizes n, d (the difference is the zero matrix)."""
        check_size("n", n)
        return prove_at(self.expr, self.cell, self.of, self.wrt, n, d)

    def latex(self, inline: bool = False, equation: bool = True, style: str | None = None) -> str:
        """LaTeX as in the notes; ``inline`` writes the pre-activations out (the slide's form)."""
        style = self.cell.style if style is None else style
        body = notes_latex(self.inline() if inline else self.expr, style)
        if not equation or "state" in (self.of, self.wrt):
            return body
        of, wrt = (notes_latex(self.cell.symbol(v), style) for v in (self.of, self.wrt))
        return rf"\frac{{\partial {of}}}{{\partial {wrt}}} = {body}"

    def __repr__(self) -> str:
        text = str(self.expr)
        if len(text) > 100:
            text = text[:97] + "..."
        return (
            f"Jacobian(cell={self.cell.name!r}, variant={self.cell.variant!r}, "
            f"of={self.of!r}, wrt={self.wrt!r}): {text}"
        )

    def _repr_latex_(self) -> str:
        """Jupyter shows the Jacobian as the notes write it (:meth:`latex`)."""
        return f"$\\displaystyle {self.latex()}$"

    def lambdify(self) -> JacobianFunction:
        """A NumPy function ``f(params, x, state) -> J`` of shape (B, rows, cols).

        ``params`` maps the cell's parameter names (``W_f``, ``U_f``, ``b_f`` …; biases of
        shape (k,)) to arrays; ``x`` is (B, d); ``state`` is h^{(t-1)} of shape (B, n), or a
        tuple in the cell's state order: (h, c) for the LSTM, (→h^{(t-1)}, ←h^{(t+1)}) for
        the bidirectional RNN, (h_1, h_2) for the stacked RNN; None for residual/highway.
        Vectorised over the batch; float64.
        """
        return _lambdified(self.cell, self.of, self.wrt)


def _names(cell: CellEquations, name: str, kind: str) -> tuple[str, ...]:
    if name == "state":
        if not cell.state:
            raise unknown_name(
                f"{kind} of cell {cell.name!r} (it has no state)", name, cell.vectors
            )
        return cell.outputs if kind == "of" else cell.state
    cell.symbol(name)
    return (name,)


@cache
def _jacobian(cell: CellEquations, of: str, wrt: str) -> Jacobian:
    outs, ins = _names(cell, of, "of"), _names(cell, wrt, "wrt")
    defined = {s.name for s, _ in cell.definitions}
    for o in outs:
        if o not in defined:
            raise unknown_name(f"output of cell {cell.name!r}", o, defined)
    blocks = tuple(tuple(derive(cell, o, w) for w in ins) for o in outs)
    return Jacobian(cell, of, wrt, blocks)


@cache
def _explicit(cell: CellEquations, of: str, wrt: str, n: int, d: int | None) -> NotesMatrix:
    return NotesMatrix.of(explicit_jacobian(cell, of, wrt, n, d))


@cache
def _lambdified(cell: CellEquations, of: str, wrt: str) -> JacobianFunction:
    jac = _jacobian(cell, of, wrt)
    printer = NumpyJacobianPrinter(cell)
    return printer.function([list(row) for row in jac.blocks], cell.state)


@cache
def _lambdified_many(cell: CellEquations, pairs: tuple[tuple[str, str], ...]) -> JacobiansFunction:
    grids = [[list(row) for row in _jacobian(cell, of, wrt).blocks] for of, wrt in pairs]
    return NumpyJacobianPrinter(cell).functions(grids, cell.state)


def lambdify_jacobians(
    cell: str | CellEquations, pairs, variant: str | None = None
) -> JacobiansFunction:
    """One NumPy function ``f(params, x, state) -> (J_1, …, J_m)`` for several Jacobians.

    ``pairs`` is a sequence of (of, wrt) names as for :func:`jacobian`; J_k is what
    ``jacobian(cell, of, wrt).lambdify()`` returns, but the forward step and the
    elementwise terms the Jacobians share (σ', tanh', the gate coefficients) are computed
    once. Arguments as for :meth:`Jacobian.lambdify`. Cached.
    """
    pairs = tuple((of, wrt) for of, wrt in pairs)
    if not pairs:
        raise InvalidValueError("pairs must name at least one (of, wrt) Jacobian")
    cell = jacobian(cell, *pairs[0], variant=variant).cell
    for of, wrt in pairs:
        jacobian(cell, of=of, wrt=wrt)  # validates the names
    return _lambdified_many(cell, pairs)


def lambdify_state_and_input(
    cell: str | CellEquations, variant: str | None = None
) -> JacobiansFunction:
    """``f(params, x, state) -> (∂s/∂s (B, S, S), ∂s/∂x (B, S, d))`` from one forward step,
    s the cell's stacked state (numerator layout), like gradsym.numeric's
    ``state_jacobian``. For a cell with a single state vector h, s = h."""
    if isinstance(cell, str):
        cell = get_cell(cell, variant)
    elif variant is not None and variant != cell.variant:
        raise unknown_name(f"{cell.name} variant", variant, [cell.variant])
    if len(cell.state) == 1:
        pairs = (cell.outputs[0], cell.state[0]), (cell.outputs[0], "x")
    else:
        pairs = ("state", "state"), ("state", "x")
    return lambdify_jacobians(cell, pairs)


def jacobian(
    cell: str | CellEquations, of: str = "h", wrt: str = "h_prev", variant: str | None = None
) -> Jacobian:
    """The Jacobian ∂of/∂wrt of ``cell`` in compact form (cached).

    cell: "rnn" (variants tanh, sigmoid, relu, identity), "lstm" (standard, peephole,
        no_forget, peephole_no_forget), "gru" (textbook, minimal, torch), "birnn",
        "stacked" (plain, residual), "residual", "highway" — or a :class:`CellEquations`.
    of, wrt: names of the cell's vectors ("h", "c", "h_prev", "c_prev", "x", …), or
        "state" for the stacked state s = [h; c].
    Raises UnknownNameError for unknown cell, variant or vector names.
    """
    if isinstance(cell, str):
        cell = get_cell(cell, variant)
    elif variant is not None and variant != cell.variant:
        raise unknown_name(f"{cell.name} variant", variant, [cell.variant])
    return _jacobian(cell, of, wrt)


def cell_blocks(cell: CellEquations) -> list[tuple[str, str]]:
    """The documented blocks of a cell, plus the full state Jacobian when it has a state."""
    blocks = list(cell.blocks)
    if len(cell.state) > 1:
        blocks += [("state", "state"), ("state", "x")]
    return blocks
