"""gradsym.cells — the cell registry: one entry per cell with every fact about it, the
notes' built-in cells, the library of published cells and the cells declared by their
equations all through one door (:func:`register`).

    get(name)                   the CellEntry of a cell (UnknownNameError with the known ones)
    entries(kinds), names(kinds)
                                every entry of some kinds: "builtin", "connection",
                                "library", "declared"
    register(entry)             add a cell (gradsym.cell_from_equations does it for you)
    CellEntry, Lazy, TorchForm  an entry, a facet imported on first use, a torch.nn module

The symbolic equations (``gradsym.symbolic.cell``), the NumPy cells (``make_cell``),
training (``TrainConfig``), the PyTorch exchange, the claims' NumPy references and the
command line all look cells up here. This package imports no SymPy and no higher layer.
"""

from .registry import KINDS, CellEntry, Lazy, TorchForm, entries, get, names, register

__all__ = ["KINDS", "CellEntry", "Lazy", "TorchForm", "entries", "get", "names", "register"]
