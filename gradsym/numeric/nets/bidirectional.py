"""Bidirectional recurrent networks (notes 001, 003: claim "birnn").

Two cells with separate weights, one reading the sequence left to right, one right to
left:

    →s⁽ᵗ⁾ = F→(x⁽ᵗ⁾, →s⁽ᵗ⁻¹⁾),  t = 1 … T          ←s⁽ᵗ⁾ = F←(x⁽ᵗ⁾, ←s⁽ᵗ⁺¹⁾),  t = T … 1
    H⁽ᵗ⁾ = [→h⁽ᵗ⁾; ←h⁽ᵗ⁾]                           (T, B, n→ + n←)
    o⁽ᵗ⁾ = g(W_o H⁽ᵗ⁾ + b_o)                        optional output layer, g elementwise

H⁽ᵗ⁾ depends on x⁽ᵗ⁺¹⁾ … x⁽ᵀ⁾ through ←h⁽ᵗ⁾: the right context, which is why a language
model cannot use the backward direction (and why truncated BPTT is refused).

Shapes: ``xs`` (T, B, d); the state is the pair (→s, ←s) of the two cells' states;
``state0`` = (→s⁽⁰⁾, ←s⁽ᵀ⁺¹⁾), the backward cell's initial state entering at the right end;
``final_state`` = (→s⁽ᵀ⁾, ←s⁽¹⁾).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, ShapeError
from gradsym.lang.elementwise import get_activation
from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.parameters import Parameters
from gradsym.numeric.nets.losses import Linear
from gradsym.validate import check_array


@dataclass
class BidirectionalTrace:
    """Both passes: ``forward`` over xs, ``backward`` over xs reversed (its step k is
    t = T − k), ``concat`` H⁽ᵗ⁾ = [→h⁽ᵗ⁾; ←h⁽ᵗ⁾] in natural time order and, with an
    output layer, ``o`` = g(W_o H + b_o)."""

    xs: np.ndarray
    forward: Trace
    backward: Trace
    concat: np.ndarray
    o: np.ndarray | None

    @property
    def h(self) -> np.ndarray:
        """The pair's outputs: o⁽ᵗ⁾ with an output layer, else H⁽ᵗ⁾."""
        return self.concat if self.o is None else self.o

    @property
    def h_forward(self) -> np.ndarray:
        """→h⁽ᵗ⁾, (T, B, n→)."""
        return self.forward.h

    @property
    def h_backward(self) -> np.ndarray:
        """←h⁽ᵗ⁾ in natural time order, (T, B, n←)."""
        return self.backward.h[::-1]

    @property
    def state0(self) -> tuple:
        return (self.forward.state0, self.backward.state0)

    @property
    def final_state(self) -> tuple:
        return (self.forward.final_state, self.backward.final_state)

    def __repr__(self) -> str:  # shapes, not the arrays
        T, B = self.xs.shape[:2]
        return (
            f"BidirectionalTrace(T={T}, B={B}, h {self.h.shape}; forward: {self.forward!r}; "
            f"backward: {self.backward!r})"
        )


class Bidirectional:
    """A forward and a backward cell with separate weights, outputs concatenated, and an
    optional output layer o = g(W_o [→h; ←h] + b_o), ``output_activation`` g one of
    tanh, sigmoid, relu, identity.

    Parameters are named ``"fwd.{name}"``, ``"bwd.{name}"`` and ``"out.{name}"`` (pass
    ``Linear(n→ + n←, K, names=("W_o", "b_o"))`` for the notes' names).
    """

    causal = False

    def __init__(
        self,
        forward_cell: Cell,
        backward_cell: Cell,
        output: Linear | None = None,
        output_activation: str = "identity",
    ):
        for label, c in (("forward_cell", forward_cell), ("backward_cell", backward_cell)):
            if not isinstance(c, Cell):
                raise InvalidValueError(f"{label} must be a Cell, got {type(c).__name__}")
        if forward_cell is backward_cell:
            raise InvalidValueError(
                "forward_cell and backward_cell must be two cells (separate weights), "
                "got the same object twice"
            )
        if backward_cell.input_size != forward_cell.input_size:
            raise ShapeError(
                f"both cells read x: backward_cell input_size must be "
                f"{forward_cell.input_size}, got {backward_cell.input_size}"
            )
        if backward_cell.dtype != forward_cell.dtype:
            raise DTypeError(
                f"backward_cell has dtype {backward_cell.dtype}, forward_cell {forward_cell.dtype}"
            )
        self.cells = (forward_cell, backward_cell)
        self.dtype = forward_cell.dtype
        self.input_size = forward_cell.input_size
        self.concat_size = forward_cell.hidden_size + backward_cell.hidden_size
        self.output = output
        self.activation = get_activation(output_activation)
        if output is not None:
            if output.in_features != self.concat_size:
                raise ShapeError(
                    f"output layer must read [→h; ←h] of size {self.concat_size}, got "
                    f"Linear(in_features={output.in_features})"
                )
            if output.dtype != self.dtype:
                raise DTypeError(f"output layer has dtype {output.dtype}, cells {self.dtype}")
        self.output_size = self.concat_size if output is None else output.out_features
        params = {
            f"{tag}.{k}": v
            for tag, c in zip(("fwd", "bwd"), self.cells)
            for k, v in c.params.items()
        }
        if output is not None:
            params.update({f"out.{k}": v for k, v in output.params.items()})
        self.params = Parameters("Bidirectional", params)  # live views, as a cell's

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def zero_state(self, batch: int) -> tuple:
        return tuple(c.zero_state(batch) for c in self.cells)

    def _split_state(self, state) -> tuple:
        if state is None:
            return (None, None)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ShapeError(
                "state of a Bidirectional pair must be a pair (forward state, backward "
                f"state), got {type(state).__name__}"
            )
        return tuple(state)

    def forward(self, xs, state0=None) -> BidirectionalTrace:
        """Both directions over ``xs`` (T, B, d), then the optional output layer."""
        xs = check_array("xs", xs, (None, None, self.input_size), self.dtype, axes="(t, b, j)")
        s_fwd, s_bwd = self._split_state(state0)
        tf = self.cells[0].forward(xs, s_fwd)
        tb = self.cells[1].forward(xs[::-1], s_bwd)
        concat = np.concatenate([tf.h, tb.h[::-1]], axis=-1)
        o = None
        if self.output is not None:
            o = self.activation.apply(self.output.forward(concat))
        return BidirectionalTrace(xs, tf, tb, concat, o)

    def backward(self, trace: BidirectionalTrace, dh=None, *, d_final=None) -> Gradients:
        """Gradients of both cells and the output layer.

        ``dh`` (T, B, ·) is ∂L/∂o⁽ᵗ⁾ (or ∂L/∂H⁽ᵗ⁾ without output layer); ``d_final`` is
        the pair (∂L/∂→s⁽ᵀ⁾, ∂L/∂←s⁽¹⁾). ``adjoints``: ``"fwd.h"``, ``"bwd.h"`` (and
        ``.c``), total ∂L/∂→h⁽ᵗ⁾ and ∂L/∂←h⁽ᵗ⁾ in natural time order, and ``"concat"``
        the direct ∂L/∂H⁽ᵗ⁾.
        """
        dh = (
            np.zeros_like(trace.h)
            if dh is None
            else check_array("dh", dh, trace.h.shape, self.dtype, axes="(t, b, j)")
        )
        f_fwd, f_bwd = self._split_state(d_final)
        params: dict[str, np.ndarray] = {}
        if self.output is not None:
            # g' from the output, as the cells do: o = g(a) gives g'(a) without a.
            da = dh * self.activation.grad_from_output(trace.o)
            dH, og = self.output.backward(trace.concat, da)
            out_params = {f"out.{k}": v for k, v in og.items()}
        else:
            dH, out_params = dh, {}
        n = self.cells[0].hidden_size
        gf = self.cells[0].backward(trace.forward, dH[..., :n], d_final=f_fwd)
        gb = self.cells[1].backward(trace.backward, dH[::-1, :, n:], d_final=f_bwd)
        params.update({f"fwd.{k}": v for k, v in gf.params.items()})
        params.update({f"bwd.{k}": v for k, v in gb.params.items()})
        params.update(out_params)
        adjoints = {f"fwd.{k}": v for k, v in gf.adjoints.items()}
        adjoints.update({f"bwd.{k}": v[::-1] for k, v in gb.adjoints.items()})
        adjoints["concat"] = dH
        dxs = gf.dxs + gb.dxs[::-1]
        return Gradients(dxs, (gf.dstate0, gb.dstate0), params, adjoints)

    def __repr__(self) -> str:
        return (
            f"Bidirectional({self.cells[0]!r}, {self.cells[1]!r}, output={self.output!r}, "
            f"output_activation={self.activation.name!r})"
        )
