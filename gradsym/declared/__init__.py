"""gradsym.declared — any recurrence, written as equations, gets everything the notes'
cells have: compact Jacobians, proofs, LaTeX, the checker, a generated NumPy cell that
trains, derivations and figures.

This layer joins the symbolic side (equations, Jacobians), the candidate grammar of the
proofs (the equations are parsed by its parser) and the numeric side (the generated code is
compiled into a :class:`~gradsym.numeric.cells.generated.GeneratedCell`, registered with
``make_cell``). It sits beside ``gradsym.notes``; render/ and the CLI build on it.

    cell_from_equations(name, equations, state=["h"], shapes=None)   → DeclaredCell
    load_cell_file(path)            a .toml or .txt cell file
    library_cell(name), LIBRARY     published cells (IndRNN, MGU, UGRNN, +RNN, CIFG, JANET,
                                    MinimalRNN, a diagonal linear recurrence)
"""

from .cell import DeclaredCell, cell_from_equations, cell_from_record, registered_names
from .files import load_cell_file
from .library import BUILTIN_EQUATIONS, LIBRARY, LibraryCell, library_cell, register_library

register_library()

__all__ = [
    "BUILTIN_EQUATIONS",
    "LIBRARY",
    "DeclaredCell",
    "LibraryCell",
    "cell_from_equations",
    "cell_from_record",
    "library_cell",
    "load_cell_file",
    "register_library",
    "registered_names",
]
