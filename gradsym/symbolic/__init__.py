"""gradsym.symbolic — the cell equations of the notes and their Jacobians, in SymPy.

``jacobian(cell, of=..., wrt=..., variant=...)`` derives the compact matrix form a lecturer
writes (diag(σ'(W_h h^{(t-1)} + W_x x^{(t)} + b)) W_h), its explicit form at fixed n, the
proof that they agree, LaTeX in the notes' notation and a batched NumPy function.
The spectral functions state the facts about W_h^ℓ, Jordan blocks, γ = sup|σ'| and
orthogonal matrices. This package never imports gradsym.numeric.
"""

from gradsym.lang.latex import NotesLatexPrinter, notes_latex

from .api import Jacobian, cell_blocks, jacobian
from .equations import CellEquations, all_cells, cell
from .proof import ProofResult, lstm_cell_path_index_form, rnn_index_form
from .spectral import (
    EigenPower,
    Gamma,
    eigen_power,
    ell,
    gamma,
    jordan_power,
    jordan_vanishes,
    orthogonal_norm_preserved,
    power_limit,
    rotation,
    rotation_power,
)

__all__ = [
    "CellEquations",
    "EigenPower",
    "Gamma",
    "Jacobian",
    "NotesLatexPrinter",
    "ProofResult",
    "all_cells",
    "cell",
    "cell_blocks",
    "eigen_power",
    "ell",
    "gamma",
    "jacobian",
    "jordan_power",
    "jordan_vanishes",
    "lstm_cell_path_index_form",
    "notes_latex",
    "orthogonal_norm_preserved",
    "power_limit",
    "rnn_index_form",
    "rotation",
    "rotation_power",
]
