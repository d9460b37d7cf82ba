"""The library's cells declared on first use: the registry (:mod:`gradsym.cells.library`)
holds their equations, title and source, and its facets call these functions."""

from __future__ import annotations

from functools import cache

from gradsym.cells import get
from gradsym.errors import unknown_name

from .cell import DeclaredCell, cell_from_equations


@cache
def library_cell(name: str) -> DeclaredCell:
    """The library cell ``name`` (IndRNN, MGU, …, or a re-declared built-in such as
    ``lstm_eq``), declared from its registered equations on first use."""
    entry = get(name) if isinstance(name, str) else None
    if entry is None or entry.kind != "library":
        from gradsym.cells import names

        raise unknown_name("library cell", name, names(["library"]))
    return cell_from_equations(
        entry.name,
        entry.text,
        entry.state,
        shapes=entry.shapes or None,
        description=entry.description,
        source=entry.source if entry.redeclares is None else "",
        register=False,
    )


def library_equations(name: str, variant: str):
    """The registry's ``equations`` facet of a library cell: its symbolic CellEquations."""
    get(name).variant(variant)
    return library_cell(name).cell


def library_record(name: str) -> dict:
    """The registry's ``record`` facet of a library cell: what a training run records of it."""
    return library_cell(name).record()


def library_numpy(name: str, variant: str, input_size: int, hidden_size: int, **options):
    """The registry's ``numpy`` facet of a library cell: its generated NumPy cell."""
    get(name).variant(variant)
    return library_cell(name).numpy(input_size, hidden_size, **options)


__all__ = ["library_cell", "library_equations", "library_numpy", "library_record"]
