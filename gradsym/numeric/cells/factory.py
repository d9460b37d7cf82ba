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
"""

from __future__ import annotations

import numpy as np

from gradsym.errors import unknown_name
from gradsym.numeric.cells.activations import ACTIVATIONS
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.gru import VARIANTS as GRU_VARIANTS
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.validate import boolean

__all__ = ["CELL_VARIANTS", "LSTM_VARIANTS", "cell_variants", "lstm_variant", "make_cell"]

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
    if not isinstance(name, str) or name not in CELL_VARIANTS:
        raise unknown_name("cell", name, CELL_VARIANTS)
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
