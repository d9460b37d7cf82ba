"""The one factory of the NumPy cells: :func:`make_cell` by name and variant.

Training, the claims and the backend's self-check all build their cells here, from the
cell registry (:mod:`gradsym.cells`): each entry's NumPy facet builds its cell, so a cell
of the notes finds its NumPy twin by (name, variant), and every cell declared by its
equations (``gradsym.cell_from_equations``, the library's cells) by its name and the
variant "declared":

======  ======================================================  ==============
name    variants                                                default
======  ======================================================  ==============
rnn     the activation: tanh, sigmoid, relu, identity            tanh
lstm    standard, peephole, no_forget, peephole_no_forget        standard
gru     textbook, minimal, torch                                 textbook
======  ======================================================  ==============
"""

from __future__ import annotations

import numpy as np

from gradsym.cells import registry
from gradsym.errors import GradsymError, unknown_name
from gradsym.numeric.cells.cell import Cell

__all__ = [
    "CELL_VARIANTS",
    "cell_variants",
    "declared_cell_names",
    "declared_cell_record",
    "make_cell",
]

#: Every built-in cell with a NumPy cell and its variants, the default first.
CELL_VARIANTS: dict[str, tuple[str, ...]] = {
    e.name: e.variants for e in registry.entries(["builtin"]) if e.numpy is not None
}


def declared_cell_record(name: str) -> dict | None:
    """The record of the cell declared by its equations registered as ``name`` (its
    equations as written and the SHA-256 of their canonical form, the registry's ``record``
    facet), or None for a cell that is not declared by its equations."""
    try:
        entry = registry.get(name)
    except GradsymError:
        return None
    return None if entry.record is None else entry.record()


def declared_cell_names() -> tuple[str, ...]:
    """The cells declared by their equations that :func:`make_cell` builds, in registration
    order (the library's cells first)."""
    return registry.names(["library", "declared"])


def _buildable() -> list[str]:
    return [e.name for e in registry.entries() if e.numpy is not None]


def make_cell(
    name: str,
    variant: str | None,
    input_size: int,
    hidden_size: int,
    *,
    dtype=np.float64,
    rng=0,
) -> Cell:
    """A new cell ``name`` in ``variant`` (None: the default) reading ``input_size``
    inputs into ``hidden_size`` units; parameters drawn from ``rng`` as the cell's
    constructor does (PyTorch's U(−1/√n, 1/√n)).

    Raises UnknownNameError for an unknown name or variant, listing the known ones.
    """
    if not isinstance(name, str) or name not in registry.names():
        raise unknown_name("cell", name, _buildable())
    entry = registry.get(name)
    if entry.numpy is None:
        raise unknown_name("cell", name, _buildable())
    variant = entry.variant(variant)
    return entry.numpy(variant, input_size, hidden_size, dtype=dtype, rng=rng)


def cell_variants() -> list[tuple[str, str]]:
    """Every (name, variant) of the built-in cells :func:`make_cell` builds, in the
    registry's order."""
    return [(name, v) for name, variants in CELL_VARIANTS.items() for v in variants]
