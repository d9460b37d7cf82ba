"""The notes' own cells and connections, registered once with every fact about them.

==========  ==================================================  ===================
name        variants (default first)                            NumPy / torch
==========  ==================================================  ===================
rnn         the activation: tanh, sigmoid, relu, identity       RNN / nn.RNN (tanh,
                                                                relu)
lstm        standard, peephole, no_forget, peephole_no_forget   LSTM / nn.LSTM
                                                                (standard)
gru         textbook, minimal, torch                            GRU / nn.GRU (torch)
birnn       the activation                                      a network
stacked     plain, residual                                     a network
residual    the activation                                      —
highway     standard                                            —
==========  ==================================================  ===================

The connections (birnn, stacked, residual, highway) have equations and proofs but no NumPy
cell: the NumPy side builds the first two as networks (``Bidirectional``, ``Stacked``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gradsym.lang.elementwise import ACTIVATIONS as _ACTIVATIONS
from gradsym.validate import boolean

from .registry import CellEntry, Lazy, TorchForm, register, reserve

#: The activations of the RNN (and of the bidirectional RNN and residual connection): the
#: rows of the function table marked as activations.
ACTIVATIONS: tuple[str, ...] = _ACTIVATIONS

#: The LSTM's variants as (peephole, forget_gate).
LSTM_SWITCHES: dict[str, tuple[bool, bool]] = {
    "standard": (False, True),
    "peephole": (True, True),
    "no_forget": (False, False),
    "peephole_no_forget": (True, False),
}

#: The GRU's forms: the notes' (CS224n), the update-gate-only form of seed 003, PyTorch's.
GRU_VARIANTS: tuple[str, ...] = ("textbook", "minimal", "torch")
STACKED_VARIANTS: tuple[str, ...] = ("plain", "residual")
HIGHWAY_VARIANTS: tuple[str, ...] = ("standard",)

NOTES = "the lecture notes"


@dataclass(frozen=True)
class Preset:
    """A named model that is a built-in cell with its own initialisation: training and the
    command line take its name as a cell's, and no declared cell may take it."""

    cell: str
    variant: str
    init: str
    description: str


#: IRNN: the ReLU RNN with its recurrent matrix initialised to the identity (Le, Jaitly &
#: Hinton 2015).
PRESETS: dict[str, Preset] = {
    "irnn": Preset("rnn", "relu", "identity", "ReLU RNN with identity-initialised W_h (IRNN)")
}
reserve(*PRESETS)


def lstm_variant(peephole: bool = False, forget_gate: bool = True) -> str:
    """The LSTM variant with these switches (``lstm_variant(False, True) == "standard"``)."""
    key = (boolean("peephole", peephole), boolean("forget_gate", forget_gate))
    return next(name for name, switches in LSTM_SWITCHES.items() if switches == key)


def _rnn_variant(activation: str | None = None) -> str:
    return "tanh" if activation is None else activation


def _gru_variant(variant: str | None = None) -> str:
    return "textbook" if variant is None else variant


RNN = register(
    CellEntry(
        name="rnn",
        kind="builtin",
        description="vanilla RNN: h = σ(W_h h_prev + W_x x + b)",
        source=f"{NOTES} (CS224n)",
        variants=ACTIVATIONS,
        state=("h",),
        equations=Lazy("gradsym.symbolic.equations:rnn"),
        numpy=Lazy("gradsym.numeric.cells.rnn:RNN.of_variant"),
        torch=TorchForm("RNN", ("tanh", "relu")),
        options=("activation",),
        variant_of=_rnn_variant,
    )
)

LSTM = register(
    CellEntry(
        name="lstm",
        kind="builtin",
        description="LSTM: gates f, i, o, candidate c̃, memory c = f∘c_prev + i∘c̃, "
        "h = o∘tanh(c); peephole connections and the 1997 form without forget gate",
        source=f"{NOTES} (CS224n; peepholes: Gers & Schmidhuber 2000)",
        variants=tuple(LSTM_SWITCHES),
        state=("h", "c"),
        equations=Lazy("gradsym.symbolic.equations:lstm_of_variant"),
        numpy=Lazy("gradsym.numeric.cells.lstm:LSTM.of_variant"),
        torch=TorchForm("LSTM", ("standard",), ("i", "f", "c", "o")),
        options=("peephole", "forget_gate"),
        variant_of=lstm_variant,
    )
)

GRU = register(
    CellEntry(
        name="gru",
        kind="builtin",
        description="GRU: h = (1 − u)∘h_prev + u∘h̃ (textbook), the update gate alone "
        "(minimal), or PyTorch's h = (1 − z)∘n + z∘h_prev (torch)",
        source=f"{NOTES} (CS224n; minimal: seed 003; torch: PyTorch's nn.GRU)",
        variants=GRU_VARIANTS,
        state=("h",),
        equations=Lazy("gradsym.symbolic.equations:gru"),
        numpy=Lazy("gradsym.numeric.cells.gru:GRU.of_variant"),
        torch=TorchForm("GRU", ("torch",), ("r", "z", "n")),
        options=("variant",),
        variant_of=_gru_variant,
    )
)

BIRNN = register(
    CellEntry(
        name="birnn",
        kind="connection",
        description="bidirectional RNN: a forward and a backward RNN, output "
        "o = σ(W_o [h_fw; h_bw] + b_o)",
        source=NOTES,
        variants=ACTIVATIONS,
        state=("h_fw", "h_bw"),
        equations=Lazy("gradsym.symbolic.equations:birnn"),
    )
)

STACKED = register(
    CellEntry(
        name="stacked",
        kind="connection",
        description="two stacked tanh RNN layers, plain or with a residual connection between them",
        source=f"{NOTES} (residual: Wu et al. 2016)",
        variants=STACKED_VARIANTS,
        state=("h1", "h2"),
        equations=Lazy("gradsym.symbolic.equations:stacked"),
    )
)

RESIDUAL = register(
    CellEntry(
        name="residual",
        kind="connection",
        description="residual connection: y = x + σ(W x + b)",
        source=f"{NOTES} (He et al. 2016)",
        variants=ACTIVATIONS,
        state=(),
        equations=Lazy("gradsym.symbolic.equations:residual"),
    )
)

HIGHWAY = register(
    CellEntry(
        name="highway",
        kind="connection",
        description="highway connection: y = T∘H(x) + (1 − T)∘x",
        source=f"{NOTES} (Srivastava et al. 2015)",
        variants=HIGHWAY_VARIANTS,
        state=(),
        equations=Lazy("gradsym.symbolic.equations:highway"),
    )
)

__all__ = [
    "ACTIVATIONS",
    "GRU_VARIANTS",
    "HIGHWAY_VARIANTS",
    "LSTM_SWITCHES",
    "PRESETS",
    "STACKED_VARIANTS",
    "Preset",
    "lstm_variant",
]
