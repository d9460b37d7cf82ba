"""What the catalogue's claims share: the notes' families (h⁽ᵗ⁾, J⁽ⁱ⁾, …), a cell's
symbols by name, and the Jacobian step of a cell."""

from __future__ import annotations

from collections.abc import Callable

from sympy import MatrixSymbol

from gradsym.lang.matexpr import Apply, Diag
from gradsym.lang.notation import Partial, d, family
from gradsym.symbolic import cell as get_cell

from ..checks import EverySize, Sampled
from ..claim import Step
from ..models import float_cell

__all__ = ["Apply", "Diag", "S", "cell_jacobian_checks", "jacobian_step"]

# The families of the notes, printed h⁽ᵗ⁾, J⁽ⁱ⁾, … (numerator layout: ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ is a row).
h = family("h", r"\mathbf{h}")
c = family("c", r"\mathbf{c}")
x = family("x", r"\mathbf{x}", rows=d)
z = family("z", r"\mathbf{z}")
f = family("f", r"\mathbf{f}")
J = family("J", "J", rows=1, cols=1)

# The sizes of the float64 instances; the exact proofs are for every n and d.
FLOAT_N, FLOAT_D = 3, 2


def S(cell, *names: str) -> MatrixSymbol | tuple[MatrixSymbol, ...]:
    """The cell's vectors or parameters called ``names`` (one symbol, or a tuple)."""
    table = dict(cell.vectors)
    table.update({p.name: p for p in cell.params})
    out = tuple(table[k] for k in names)
    return out[0] if len(out) == 1 else out


def cell_jacobian_checks(cell, *, reference="numpy", tol: float = 1e-10):
    """The two checks of a step about one step of ``cell``: for every n and d (index
    notation, against the Jacobian derived entrywise from the cell's equations) and on
    random float64 weights against the NumPy cell (``reference="numpy"``: its
    ``state_jacobian``) or central differences (``"fd"``)."""
    method = (
        "random weights, against the NumPy cell's state Jacobian"
        if reference == "numpy"
        else "random weights, against central differences of the equations"
    )
    sampled = Sampled(
        lambda rng: float_cell(cell, rng, FLOAT_N, FLOAT_D, reference=reference),
        method,
        tol=tol if reference == "numpy" else 1e-7,
    )
    return EverySize(cell), sampled


def jacobian_step(
    name: str,
    variant: str | None,
    of: str,
    wrt: str,
    form: Callable,
    justification: str,
    *,
    reference="numpy",
    tol: float = 1e-10,
) -> Step:
    """∂of/∂wrt = form(cell), proved for every size and checked on random instances."""
    cell = get_cell(name, variant)
    return Step(
        Partial(S(cell, of), S(cell, wrt)),
        "=",
        form(cell),
        justification,
        checks=cell_jacobian_checks(cell, reference=reference, tol=tol),
    )
