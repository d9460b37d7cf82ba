"""A model as the driven cells it is made of: one per layer and direction.

Gradient flow and Lyapunov exponents are properties of one state recursion. A stacked
model's state s = [s_0; …; s_{L−1}] has a block lower-triangular Jacobian (layer l at step
t reads layers m ≤ l; see :mod:`gradsym.numeric.nets.stacked`), so its Lyapunov spectrum is
the union of the layers' spectra, each layer driven by what the layer below passes up. A
bidirectional layer runs two recursions, one over the sequence reversed. So every model
is analysed as a list of :class:`DrivenCell` — a cell, the input sequence it reads (in its
own reading order) and its initial state:

=====================  ==========================================================
model                  driven cells
=====================  ==========================================================
a cell                 ``cell``: the cell over xs
Bidirectional          ``fwd`` over xs, ``bwd`` over xs reversed
Stacked                ``layer{l}`` (or ``layer{l}.fwd`` / ``.bwd``) over the
                       outputs y_{l−1} of the layer below (x for l = 0)
=====================  ==========================================================

Everything is computed in float64: a float32 model is analysed through a float64 twin
holding the same weights (widening is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked

__all__ = ["DrivenCell", "as_float64", "describe_cell", "driven_cells", "sequence_model"]


@dataclass
class DrivenCell:
    """One state recursion of a model: ``cell`` reading ``xs`` (T, B, d) from ``state0``
    (None: zeros); ``name`` says which (``cell``, ``fwd``, ``layer1.bwd``, …);
    ``reversed`` whether it reads the model's input sequence right to left."""

    name: str
    cell: Cell
    xs: np.ndarray
    state0: tuple | None
    reversed: bool = False


def sequence_model(model):
    """The recurrent part of ``model``: a :class:`Network`'s sequence model, else the
    model itself (a cell, Stacked or Bidirectional)."""
    return model.model if isinstance(model, Network) else model


def describe_cell(cell: Cell) -> str:
    """A short name: "LSTM 3→16", "GRU(torch) 3→16", "RNN(tanh) 3→16"."""
    if isinstance(cell, RNN):
        kind = f"RNN({cell.activation.name})"
    elif isinstance(cell, LSTM):
        extras = [
            x
            for x, on in (("peephole", cell.peephole), ("no forget gate", not cell.forget_gate))
            if on
        ]
        kind = "LSTM" + (f"({', '.join(extras)})" if extras else "")
    elif isinstance(cell, GRU):
        kind = f"GRU({cell.variant})"
    else:
        kind = type(cell).__name__
    return f"{kind} {cell.input_size}→{cell.hidden_size}"


def _cell_twin(cell: Cell) -> Cell:
    if isinstance(cell, RNN):
        twin = RNN(cell.input_size, cell.hidden_size, cell.activation.name)
    elif isinstance(cell, LSTM):
        twin = LSTM(
            cell.input_size, cell.hidden_size, peephole=cell.peephole, forget_gate=cell.forget_gate
        )
    elif isinstance(cell, GRU):
        twin = GRU(cell.input_size, cell.hidden_size, variant=cell.variant)
    else:
        raise InvalidValueError(
            f"a {type(cell).__name__} of dtype {cell.dtype} cannot be widened to float64 here; "
            "pass a float64 model"
        )
    twin.load_params({k: v.astype(np.float64) for k, v in cell.params.items()})
    return twin


def _linear_twin(layer: Linear) -> Linear:
    twin = Linear(layer.in_features, layer.out_features, names=(layer.weight_name, layer.bias_name))
    for k, v in layer.params.items():
        twin.params[k][...] = v
    return twin


def as_float64(model):
    """``model`` itself if it is float64, else a float64 twin with the same weights."""
    if model.dtype == np.float64:
        return model
    if isinstance(model, Cell):
        return _cell_twin(model)
    if isinstance(model, Bidirectional):
        output = None if model.output is None else _linear_twin(model.output)
        return Bidirectional(
            _cell_twin(model.cells[0]), _cell_twin(model.cells[1]), output, model.activation.name
        )
    if isinstance(model, Stacked):
        return Stacked([as_float64(layer) for layer in model.layers], residual=model.residual)
    raise InvalidValueError(f"cannot analyse a {type(model).__name__}")


def _pair(name: str, pair: Bidirectional, xs, state0) -> list[DrivenCell]:
    s_fwd, s_bwd = (None, None) if state0 is None else pair._split_state(state0)
    prefix = f"{name}." if name else ""
    return [
        DrivenCell(f"{prefix}fwd", pair.cells[0], xs, s_fwd),
        DrivenCell(f"{prefix}bwd", pair.cells[1], np.ascontiguousarray(xs[::-1]), s_bwd, True),
    ]


def driven_cells(model, xs: np.ndarray, state0=None) -> list[DrivenCell]:
    """The driven cells of ``model`` (float64; see the module docstring) over ``xs``
    (T, B, d) float64, from ``state0`` (structured like the model's state; None: zeros)."""
    model = sequence_model(model)
    if isinstance(model, Cell):
        return [DrivenCell("cell", model, xs, state0)]
    if isinstance(model, Bidirectional):
        return _pair("", model, xs, state0)
    if isinstance(model, Stacked):
        trace = model.forward(xs, state0)
        states = model._check_state(state0, xs.shape[1])
        out = []
        for l, layer in enumerate(model.layers):
            y = xs if l == 0 else trace.outputs[l - 1]
            if isinstance(layer, Bidirectional):
                out += _pair(f"layer{l}", layer, y, states[l])
            else:
                out.append(DrivenCell(f"layer{l}", layer, y, states[l]))
        return out
    raise InvalidValueError(
        f"cannot analyse a {type(model).__name__}: expected a cell (RNN, LSTM, GRU), "
        "Stacked, Bidirectional or Network"
    )
