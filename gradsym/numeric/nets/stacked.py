"""Stacked (multi-layer) recurrent networks, with optional residual connections.

Layers l = 0 … L−1 (0-based, as Python lists and PyTorch's ``_l0`` names). Layer l reads
y_{l−1}⁽ᵗ⁾ (y_{−1} = x), keeps its own state s_l⁽ᵗ⁾ and passes y_l⁽ᵗ⁾ up (notes 001, 003):

    s_l⁽ᵗ⁾ = F_l(y_{l−1}⁽ᵗ⁾, s_l⁽ᵗ⁻¹⁾)          (the cell of layer l)
    y_l⁽ᵗ⁾ = h_l⁽ᵗ⁾                             plain stack
    y_l⁽ᵗ⁾ = h_l⁽ᵗ⁾ + y_{l−1}⁽ᵗ⁾   (l ≥ 1)       residual: the skip y = x + F(x)

The residual connection is the one the notes point to for deep RNNs (001, after Britz
et al. 2017): the residual stack of Wu et al. (2016, "Google's Neural Machine Translation
System", §3.1, eq. 6: x_t^i = m_t^i + x_t^{i−1}), He et al.'s (2016) y = x + F(x) applied
between layers. The skip stays outside the recurrence: each layer carries its own h_l,
and only what is passed up gets y_{l−1} added. It skips every layer but the first (whose
input x usually has another size than h), so it needs n_l = n_{l−1} for l ≥ 1. The
symbolic cell ``stacked``/``residual`` is the same model for two layers (y_2 = h_2 + h_1).
The stack's output is y_{L−1}⁽ᵗ⁾, its state the tuple (s_0, …, s_{L−1}) of the layers'
states, flattened as s = [s_0; …; s_{L−1}].

One-step state Jacobian (x⁽ᵗ⁾ fixed), with A_l = ∂s_l⁽ᵗ⁾/∂s_l⁽ᵗ⁻¹⁾ and
B_l = ∂s_l⁽ᵗ⁾/∂y_{l−1}⁽ᵗ⁾ the cell's two Jacobians and P_l = ∂h_l/∂s_l = [I 0] picking h:

    ∂s_l⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ = A_l E_l + B_l ∂y_{l−1}⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾,
    ∂y_l⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ = P_l ∂s_l⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾  [+ ∂y_{l−1}⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ with residual],

E_l placing A_l in column block l. Layer l at step t depends on layers m ≤ l at step t−1
only, so the Jacobian is lower block-triangular with the cells' A_l on the diagonal; the
block below the diagonal is (l, m) = B_l P_{l−1} ⋯ A_m. Residual connections change the
inter-layer factor ∂y_l/∂y_{l−1} from P_l B_l to I + P_l B_l — the claim "residual": the
identity carries the lower layers' signal (and gradient) up unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, ShapeError
from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.parameters import Parameters
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.validate import boolean, check_array, positive_int


@dataclass
class StackedTrace:
    """A stack's forward pass: one cell :class:`Trace` per layer, and ``outputs[l]`` the
    y_l⁽ᵗ⁾ (T, B, n_l) that layer l passes up (h_l itself without residual)."""

    xs: np.ndarray
    layers: list[Trace]
    outputs: list[np.ndarray]

    @property
    def h(self) -> np.ndarray:
        """The stack's outputs y_{L−1}⁽ᵗ⁾, (T, B, n_{L−1})."""
        return self.outputs[-1]

    @property
    def state0(self) -> tuple:
        return tuple(tr.state0 for tr in self.layers)

    @property
    def final_state(self) -> tuple:
        return tuple(tr.final_state for tr in self.layers)

    def state_at(self, t: int) -> tuple:
        """(s_0⁽ᵗ⁾, …, s_{L−1}⁽ᵗ⁾); t = 0 is the initial state."""
        if t == 0:
            return self.state0
        return tuple(tuple(v[t - 1] for v in tr.states.values()) for tr in self.layers)

    def __repr__(self) -> str:  # shapes, not the arrays
        T, B = self.xs.shape[:2]
        return f"StackedTrace(T={T}, B={B}, {len(self.layers)} layers, outputs {self.h.shape})"


def _output_size(layer) -> int:
    """Size of what a layer passes up: h for a cell, [→h; ←h] (or o) for a pair."""
    return layer.hidden_size if isinstance(layer, Cell) else layer.output_size


class Stacked:
    """L cells stacked, layer l + 1 reading layer l's outputs; ``residual=True`` adds the
    skip y_l = h_l + y_{l−1} for l ≥ 1 (see the module docstring).

    Parameters are named ``"layer{l}.{name}"`` (``"layer0.W_h"``, ``"layer1.W_f"``, …),
    views into the cells' own arrays.
    """

    def __init__(self, cells: list, residual: bool = False):
        cells = list(cells)
        if not cells:
            raise InvalidValueError("Stacked needs at least one cell, got an empty list")
        for l, cell in enumerate(cells):
            if not isinstance(cell, (Cell, Bidirectional)):
                raise InvalidValueError(
                    f"layer {l} must be a Cell or a Bidirectional pair, got {type(cell).__name__}"
                )
            if cell.dtype != cells[0].dtype:
                raise DTypeError(f"layer {l} has dtype {cell.dtype}, layer 0 {cells[0].dtype}")
            if l == 0:
                continue
            below = _output_size(cells[l - 1])
            if cell.input_size != below:
                raise ShapeError(
                    f"layer {l} reads layer {l - 1}'s hidden states of size {below}, but its "
                    f"input_size is {cell.input_size}"
                )
            if residual and _output_size(cell) != below:
                raise ShapeError(
                    f"residual connection into layer {l} needs hidden_size {below} (that of "
                    f"layer {l - 1}), got {_output_size(cell)}"
                )
        # A layer is a cell or (as in a multi-layer bidirectional torch.nn.RNN) a pair.
        self.cells = self.layers = cells
        self.residual = boolean("residual", residual)
        self.causal = all(getattr(c, "causal", True) for c in cells)
        self.dtype = cells[0].dtype
        self.input_size = cells[0].input_size
        self.output_size = _output_size(cells[-1])
        self.params = Parameters(  # live views, as a cell's
            "Stacked",
            {f"layer{l}.{k}": v for l, c in enumerate(cells) for k, v in c.params.items()},
        )

    @property
    def n_params(self) -> int:
        return sum(c.n_params for c in self.cells)

    @property
    def state_size(self) -> int:
        """Size of s = [s_0; …; s_{L−1}] (cells only: a bidirectional layer has no
        state that runs forward in time)."""
        self._require_causal("state_size")
        return sum(c.state_size for c in self.cells)

    def zero_state(self, batch: int) -> tuple:
        positive_int("batch", batch)
        return tuple(c.zero_state(batch) for c in self.cells)

    def _check_state(self, state0, batch: int) -> tuple:
        if state0 is None:
            return (None,) * len(self.cells)
        if not isinstance(state0, (tuple, list)) or len(state0) != len(self.cells):
            raise ShapeError(
                f"state of a {len(self.cells)}-layer stack must be a tuple of "
                f"{len(self.cells)} per-layer states, got {type(state0).__name__}"
                + (f" of length {len(state0)}" if isinstance(state0, (tuple, list)) else "")
            )
        return tuple(state0)

    # -- passes ------------------------------------------------------------------------------

    def forward(self, xs, state0=None) -> StackedTrace:
        """Run every layer over the sequence ``xs`` (T, B, d), layer by layer."""
        xs = check_array("xs", xs, (None, None, self.input_size), self.dtype, axes="(t, b, j)")
        if xs.ndim == 3 and (xs.shape[0] == 0 or xs.shape[1] == 0):
            raise ShapeError(f"xs must have at least one step and one sequence, got {xs.shape}")
        states = self._check_state(state0, xs.shape[1])
        layers, outputs = [], []
        y = xs
        for l, (cell, s0) in enumerate(zip(self.cells, states)):
            tr = cell.forward(y, s0)
            layers.append(tr)
            y = tr.h + y if (self.residual and l >= 1) else tr.h
            outputs.append(y)
        return StackedTrace(xs, layers, outputs)

    def backward(self, trace: StackedTrace, dh=None, *, d_final=None) -> Gradients:
        """BPTT through every layer, top to bottom.

        ``dh`` (T, B, n_{L−1}) is the direct ∂L/∂y_{L−1}⁽ᵗ⁾; ``d_final`` ∂L/∂s⁽ᵀ⁾ as a tuple
        of per-layer states. Returns ``adjoints["layer{l}.h"]`` = total ∂L/∂h_l⁽ᵗ⁾ (and
        ``.c``), ``dstate0`` a tuple of per-layer tuples.
        """
        B = trace.xs.shape[1]
        L = len(self.cells)
        finals = self._check_state(d_final, B)
        dy = (
            np.zeros_like(trace.h)
            if dh is None
            else check_array("dh", dh, trace.h.shape, self.dtype, axes="(t, b, j)")
        )
        params: dict[str, np.ndarray] = {}
        adjoints: dict[str, np.ndarray] = {}
        dstate0: list = [None] * L
        for l in range(L - 1, -1, -1):
            g = self.cells[l].backward(trace.layers[l], dy, d_final=finals[l])
            params.update({f"layer{l}.{k}": v for k, v in g.params.items()})
            adjoints.update({f"layer{l}.{k}": v for k, v in g.adjoints.items()})
            dstate0[l] = g.dstate0
            # y_l = h_l + y_{l−1}: the skip passes ∂L/∂y_l down unchanged, beside the cell.
            dy = g.dxs + dy if (self.residual and l >= 1) else g.dxs
        params = {k: params[k] for k in self.params}  # parameter order, layer 0 first
        adjoints = dict(sorted(adjoints.items()))
        return Gradients(dy, tuple(dstate0), params, adjoints)

    def step(self, x, state=None) -> tuple[tuple, StackedTrace]:
        """One step of the whole stack: x (B, d), state → (new state, trace of the step)."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise ShapeError(f"x must have shape (B, {self.input_size}), got {x.shape}")
        trace = self.forward(x[None], state)
        return trace.final_state, trace

    def state_jacobian(self, x, state=None) -> tuple[np.ndarray, np.ndarray]:
        """∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ (B, S, S) and ∂s⁽ᵗ⁾/∂x⁽ᵗ⁾ (B, S, d), s = [s_0; …; s_{L−1}],
        numerator layout, from the cells' own ``state_jacobian`` (module docstring)."""
        J_ss, J_sx, _, _ = self._jacobians(x, state)
        return J_ss, J_sx

    def output_jacobian(self, x, state=None) -> tuple[np.ndarray, np.ndarray]:
        """∂y⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ (B, n_{L−1}, S) and ∂y⁽ᵗ⁾/∂x⁽ᵗ⁾ (B, n_{L−1}, d) of the stack's
        output y = y_{L−1} (with residual connections y_{L−1} = h_{L−1} + y_{L−2}, not the
        top layer's state), numerator layout."""
        _, _, dy_ds, dy_dx = self._jacobians(x, state)
        return dy_ds, dy_dx

    def _jacobians(self, x, state):
        """(∂s/∂s⁽ᵗ⁻¹⁾, ∂s/∂x, ∂y/∂s⁽ᵗ⁻¹⁾, ∂y/∂x) of one step, layer by layer."""
        self._require_causal("state_jacobian")
        x = check_array("x", x, (None, self.input_size), self.dtype, axes="(b, j)")
        B = x.shape[0]
        state = self._check_state(state, B)
        state = tuple(c._check_state(s, B) for c, s in zip(self.cells, state))  # None → zeros
        _, trace = self.step(x, state)
        S = self.state_size
        J_ss = np.zeros((B, S, S), self.dtype)
        J_sx = np.zeros((B, S, self.input_size), self.dtype)
        # dy/ds⁽ᵗ⁻¹⁾ and dy/dx⁽ᵗ⁾ of the current layer's input; the input x itself first.
        dy_ds = np.zeros((B, self.input_size, S), self.dtype)
        d = self.input_size
        dy_dx = np.broadcast_to(np.eye(d, dtype=self.dtype), (B, d, d))
        inputs = [x] + [y[0] for y in trace.outputs[:-1]]  # y_{l−1}⁽ᵗ⁾ read by layer l
        col = 0
        for l, cell in enumerate(self.cells):
            A, Bx = cell.state_jacobian(inputs[l], state[l])  # (B, S_l, S_l), (B, S_l, d_l)
            S_l = cell.state_size
            rows = slice(col, col + S_l)
            J_ss[:, rows] = Bx @ dy_ds
            J_ss[:, rows, rows] += A
            J_sx[:, rows] = Bx @ dy_dx
            h0 = col + cell.state_names.index("h") * cell.hidden_size
            h_rows = slice(h0, h0 + cell.hidden_size)  # P_l: h_l is one block of s_l
            if self.residual and l >= 1:
                dy_ds = J_ss[:, h_rows] + dy_ds
                dy_dx = J_sx[:, h_rows] + dy_dx
            else:
                dy_ds = J_ss[:, h_rows].copy()
                dy_dx = J_sx[:, h_rows].copy()
            col += S_l
        return J_ss, J_sx, dy_ds, np.array(dy_dx)

    def _require_causal(self, what: str) -> None:
        if not self.causal:
            raise InvalidValueError(
                f"{what} is defined for stacks of cells; this stack has a bidirectional "
                "layer, whose backward direction reads the future"
            )

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self.cells)
        return f"Stacked([{inner}], residual={self.residual})"
