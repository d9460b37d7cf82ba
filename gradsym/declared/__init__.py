"""gradsym.declared — any recurrence, written as equations, gets everything the notes'
cells have: compact Jacobians, proofs, LaTeX, the checker, a generated NumPy cell that
trains, derivations and figures.

This layer joins the symbolic side (equations, Jacobians), the candidate grammar of the
proofs (the equations are parsed by its parser) and the numeric side (the generated code is
compiled into a :class:`~gradsym.numeric.cells.generated.GeneratedCell`), and registers
each cell in the cell registry (:mod:`gradsym.cells`) like any other. It sits below
``gradsym.notes``; render/ and the CLI build on it.

    cell_from_equations(name, equations, state=["h"], shapes=None)   → DeclaredCell
    load_cell_file(path)            a .toml or .txt cell file
    library_cell(name), LIBRARY     published cells (IndRNN, MGU, UGRNN, +RNN, CIFG, JANET,
                                    MinimalRNN, a diagonal linear recurrence)
"""

from gradsym.cells.library import BUILTIN_EQUATIONS, LIBRARY, LibraryCell

from .cell import DeclaredCell, cell_from_equations, cell_from_record, registered_names
from .files import load_cell_file
from .library import library_cell

__all__ = [
    "BUILTIN_EQUATIONS",
    "LIBRARY",
    "DeclaredCell",
    "LibraryCell",
    "cell_from_equations",
    "cell_from_record",
    "library_cell",
    "load_cell_file",
    "registered_names",
]
