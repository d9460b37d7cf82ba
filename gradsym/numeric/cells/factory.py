"""The one factory of the NumPy cells: :func:`make_cell` by name and variant.

Training, the proofs and the backend's self-check all build their cells here. The names
and variants are those of the symbolic cells, so that a cell of the notes finds its NumPy
twin by (name, variant):

======  ======================================================  ==============
name    variants                                                default
======  ======================================================  ==============
rnn     the activation: tanh, sigmoid, relu, identity            tanh
lstm    standard, peephole, no_forget, peephole_no_forget        standard
gru     textbook, minimal, torch                                 textbook
======  ======================================================  ==============

and every cell declared by its equations (``gradsym.cell_from_equations``), by its name
and the variant "declared" (:func:`register_cell_builder`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradsym.errors import InvalidValueError, unknown_name
from gradsym.numeric.cells.activations import ACTIVATIONS
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.gru import VARIANTS as GRU_VARIANTS
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.validate import boolean

__all__ = [
    "CELL_VARIANTS",
    "LSTM_VARIANTS",
    "cell_variants",
    "declared_cell_names",
    "declared_cell_record",
    "lstm_variant",
    "make_cell",
    "register_cell_builder",
]

#: The LSTM's variants as (peephole, forget_gate).
LSTM_VARIANTS: dict[str, tuple[bool, bool]] = {
    "standard": (False, True),
    "peephole": (True, True),
    "no_forget": (False, False),
    "peephole_no_forget": (True, False),
}

#: Every cell name with its variants, the default first.
CELL_VARIANTS: dict[str, tuple[str, ...]] = {
    "rnn": tuple(ACTIVATIONS),
    "lstm": tuple(LSTM_VARIANTS),
    "gru": tuple(GRU_VARIANTS),
}


#: Cells declared by their equations (``gradsym.cell_from_equations``): name → builder
#: ``build(input_size, hidden_size, dtype=, rng=)`` of a GeneratedCell, registered by the
#: layer that generates them (this package cannot build one from equations itself).
_DECLARED: dict[str, Callable[..., Cell]] = {}


#: What each declared cell is, for the runs that train it to record: name → a function
#: returning {"name", "equations" (the text as written), "state", "shapes", "sha256"}.
_RECORDS: dict[str, Callable[[], dict]] = {}


def register_cell_builder(
    name: str, build: Callable[..., Cell], record: Callable[[], dict] | None = None
) -> None:
    """Make a declared cell buildable by :func:`make_cell` (and so by training); a built-in
    name is refused. ``record`` returns what the cell is (see :func:`declared_cell_record`)."""
    if name in CELL_VARIANTS or name == "irnn":
        raise InvalidValueError(f"{name!r} is a built-in cell; give the declared cell another name")
    _DECLARED[name] = build
    if record is None:
        _RECORDS.pop(name, None)
    else:
        _RECORDS[name] = record


def declared_cell_record(name: str) -> dict | None:
    """The record of the declared cell registered as ``name`` (its equations as written
    and the SHA-256 of their canonical form), or None for a cell that is not declared."""
    if name not in _DECLARED:
        _load_declared_cells()
    record = _RECORDS.get(name)
    return None if record is None else record()


def declared_cell_names() -> tuple[str, ...]:
    """The declared cells :func:`make_cell` can build, in registration order (the
    library's cells included)."""
    _load_declared_cells()
    return tuple(_DECLARED)


def _load_declared_cells() -> None:
    from gradsym import _load_declared_cells as load

    load()


def lstm_variant(peephole: bool, forget_gate: bool) -> str:
    """The LSTM variant with these switches (``lstm_variant(False, True) == "standard"``)."""
    key = (boolean("peephole", peephole), boolean("forget_gate", forget_gate))
    return next(name for name, switches in LSTM_VARIANTS.items() if switches == key)


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
    if isinstance(name, str) and name not in CELL_VARIANTS and name not in _DECLARED:
        _load_declared_cells()
    if isinstance(name, str) and name in _DECLARED:
        if variant not in (None, "declared"):
            raise unknown_name(f"{name} variant", variant, ["declared"])
        return _DECLARED[name](input_size, hidden_size, dtype=dtype, rng=rng)
    if not isinstance(name, str) or name not in CELL_VARIANTS:
        raise unknown_name("cell", name, [*CELL_VARIANTS, *_DECLARED])
    variants = CELL_VARIANTS[name]
    variant = variants[0] if variant is None else variant
    if not isinstance(variant, str) or variant not in variants:
        raise unknown_name(f"{name} variant", variant, variants)
    if name == "rnn":
        return RNN(input_size, hidden_size, variant, dtype=dtype, rng=rng)
    if name == "lstm":
        peephole, forget_gate = LSTM_VARIANTS[variant]
        return LSTM(
            input_size,
            hidden_size,
            peephole=peephole,
            forget_gate=forget_gate,
            dtype=dtype,
            rng=rng,
        )
    return GRU(input_size, hidden_size, variant=variant, dtype=dtype, rng=rng)


def cell_variants() -> list[tuple[str, str]]:
    """Every (name, variant) :func:`make_cell` builds, in the table's order."""
    return [(name, v) for name, variants in CELL_VARIANTS.items() for v in variants]
