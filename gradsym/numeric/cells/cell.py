"""What every recurrent cell has: named parameters, a forward pass over a sequence, its
hand-written backward pass, one step, and the state Jacobian.

Shapes (time-major, as PyTorch's default): inputs ``xs`` are (T, B, d), states are
(B, n) each, the state ``s`` is ``h`` or, for the LSTM, ``[h; c]`` of size 2n.

Parameters are named as in the notes (``W_f``, ``U_f``, ``b_f``, ...). Each name is a
view into one fused array per kind (all recurrent blocks stacked, all input blocks
stacked, ...), so that a step costs one matrix product per kind while a user reads and
writes ``cell.params["W_f"]`` as in the notes. The parameters are live: however a value
is set (in place, by item assignment, ``update``, ``load_params``, an optimiser), every
later pass computes with it (see :mod:`~gradsym.numeric.cells.parameters`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gradsym import display
from gradsym.errors import ShapeError
from gradsym.numeric.cells.parameters import FusedArrays, Parameters
from gradsym.validate import as_dtype, check_array, check_memory, check_params, positive_int


@dataclass
class Trace:
    """Everything a forward pass computed, kept for the backward pass and for inspection.

    ``states["h"][t]`` is h⁽ᵗ⁺¹⁾ (the state after reading ``xs[t]``), shape (T, B, n);
    ``state0`` is the initial state; ``gates`` maps a gate name (``f``, ``i``, ``o``,
    ``c_tilde``, ``u``, ``r``, ...) to its values (T, B, n).
    """

    xs: np.ndarray
    state0: tuple[np.ndarray, ...]
    states: dict[str, np.ndarray]
    gates: dict[str, np.ndarray]
    cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def h(self) -> np.ndarray:
        """Every hidden state h⁽¹⁾ … h⁽ᵀ⁾, (T, B, n)."""
        return self.states["h"]

    @property
    def c(self) -> np.ndarray:
        """Every cell state c⁽¹⁾ … c⁽ᵀ⁾ (LSTM only), (T, B, n)."""
        return self.states["c"]

    @property
    def final_state(self) -> tuple[np.ndarray, ...]:
        """The state after the last step, as a tuple like ``state0``."""
        return tuple(v[-1] for v in self.states.values())

    def __repr__(self) -> str:  # shapes, not the arrays (a notebook shows this)
        T, B = self.xs.shape[:2]
        gates = ", ".join(self.gates) or "none"
        return f"Trace(T={T}, B={B}, states: {display.shapes(self.states)}; gates: {gates})"


@dataclass
class Gradients:
    """What a backward pass returns.

    ``dxs`` is ∂L/∂x⁽ᵗ⁾ (T, B, d); ``dstate0`` is ∂L/∂s⁽⁰⁾ as a tuple like the state;
    ``params`` maps each parameter name to ∂L/∂(parameter); ``adjoints["h"][t]`` is the
    total ∂L/∂h⁽ᵗ⁺¹⁾ (direct loss term plus what flows back from later steps), and
    ``adjoints["c"]`` likewise for the LSTM's cell state.
    """

    dxs: np.ndarray
    dstate0: tuple[np.ndarray, ...]
    params: dict[str, np.ndarray]
    adjoints: dict[str, np.ndarray]

    def __repr__(self) -> str:  # shapes, not the arrays
        return (
            f"Gradients(dxs {display.shape(self.dxs)}; params: {display.shapes(self.params, 4)}; "
            f"adjoints: {', '.join(self.adjoints) or 'none'})"
        )


class Cell:
    """Base class of RNN, LSTM and GRU; subclasses fill in the equations.

    A subclass sets ``state_names``, calls :meth:`_allocate` with its parameter blocks,
    and implements ``_forward``, ``_backward`` and ``_state_jacobian``.
    """

    #: the cell's name and variant in the cell registry (:mod:`gradsym.cells`)
    name: str = ""
    variant: str = ""
    state_names: tuple[str, ...] = ("h",)
    recurrent_weights: tuple[str, ...] = ()
    input_weights: tuple[str, ...] = ()
    biases: tuple[str, ...] = ()
    peephole_weights: tuple[str, ...] = ()
    forget_gate_bias: str | None = None
    update_gate_bias: str | None = None
    #: the sign of ``update_gate_bias`` that opens the identity (carry) path
    update_gate_sign: float | None = None

    def __init__(self, input_size: int, hidden_size: int, *, dtype=np.float64):
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        self.dtype = as_dtype(dtype)

    # -- parameters ------------------------------------------------------------------

    def _allocate(self, blocks: dict[str, tuple[tuple[str, ...], tuple[int, ...]]]) -> None:
        """Create one fused array per kind and the named views into it.

        ``blocks`` maps a kind ("W", "U", "b", ...) to the names of its blocks, in storage
        order, and the shape of one block.
        """
        fused: dict[str, np.ndarray] = {}
        self._layout: dict[str, tuple[str, int, int]] = {}
        entries = sum(len(names) * int(np.prod(shape)) for names, shape in blocks.values())
        check_memory(  # before the first array: an error naming the sizes, not NumPy's
            f"input_size = {self.input_size} and hidden_size = {self.hidden_size}",
            entries * self.dtype.itemsize,
        )
        for kind, (names, shape) in blocks.items():
            if not names:
                continue
            rows = shape[0]
            fused[kind] = np.zeros((rows * len(names),) + tuple(shape[1:]), dtype=self.dtype)
            for k, name in enumerate(names):
                self._layout[name] = (kind, k * rows, (k + 1) * rows)
        self.fused = FusedArrays(fused)
        self._bind_views()

    def _bind_views(self) -> None:
        # ``_views`` is the plain name → view dict the passes read (no method call per
        # lookup); ``params`` wraps the same views for users. Neither is ever rebound.
        self._views = {
            name: self.fused[kind][lo:hi] for name, (kind, lo, hi) in self._layout.items()
        }
        self._params = Parameters(self._param_owner(), self._views)
        self._flat_storage = [a.reshape(-1) for a in self.fused.values()]  # for _check_params

    def _param_owner(self) -> str:
        return type(self).__name__

    @property
    def params(self) -> Parameters:
        """Every parameter by name, live: ``params["W_f"]`` is a view into the cell's
        storage; in-place writes, ``params["W_f"] = W`` (copied in, checked),
        ``params.update(...)`` and ``cell.params = {...}`` (every name) all take effect in
        the next pass."""
        return self._params

    @params.setter
    def params(self, values) -> None:
        self._params.replace(values)

    def __getstate__(self) -> dict:
        # Views do not survive a copy or a pickle as views (each would become an array
        # of its own, and writes into it would reach nothing): rebuild them from the
        # copied storage instead.
        state = self.__dict__.copy()
        del state["_views"], state["_params"], state["_flat_storage"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind_views()

    def _grad_views(self, fused_grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Named views into fused gradient arrays laid out like the parameters."""
        return {name: fused_grads[kind][lo:hi] for name, (kind, lo, hi) in self._layout.items()}

    def _init_uniform(self, rng) -> None:
        """PyTorch's default: every parameter ~ U(−1/√n, 1/√n)."""
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(self.hidden_size)
        for arr in self.fused.values():
            arr[...] = rng.uniform(-bound, bound, size=arr.shape)

    @property
    def n_params(self) -> int:
        """The number of scalar parameters."""
        return int(sum(a.size for a in self.fused.values()))

    def load_params(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` (name → array, any subset) into the parameters, checking shapes,
        dtypes and finiteness of all before writing any."""
        self._params.update(values)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every named parameter."""
        return {k: v.copy() for k, v in self._views.items()}

    def _check_params(self) -> None:
        """Every parameter finite, else NonFiniteError naming the first bad entry: a NaN
        weight written in place is refused at the next pass. A finite v·v of a fused
        array v proves every entry finite (NaN and ±Inf survive squaring and summing), in
        one BLAS call per array; only a non-finite one (or an overflow) looks further.
        ``np.vdot``, unlike ``@``, does not turn an overflow of huge finite weights into
        a RuntimeWarning."""
        for v in self._flat_storage:
            if not math.isfinite(np.vdot(v, v)):
                check_params(self._views, self._views)

    # -- state and input checks --------------------------------------------------------

    @property
    def state_size(self) -> int:
        """Size of s: n, or 2n for the LSTM's [h; c]."""
        return self.hidden_size * len(self.state_names)

    def zero_state(self, batch: int) -> tuple[np.ndarray, ...]:
        """The all-zero initial state, one (B, n) array per state name."""
        b = positive_int("batch", batch)
        return tuple(np.zeros((b, self.hidden_size), self.dtype) for _ in self.state_names)

    def _check_inputs(self, xs, state0) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        xs = check_array("xs", xs, (None, None, self.input_size), self.dtype, axes="(t, b, j)")
        if xs.shape[0] == 0 or xs.shape[1] == 0:
            raise ShapeError(f"xs must have at least one step and one sequence, got {xs.shape}")
        self._check_params()
        batch = xs.shape[1]
        state0 = self._check_state(state0, batch)
        return xs, state0

    def _check_state(self, state, batch: int) -> tuple[np.ndarray, ...]:
        if state is None:
            return self.zero_state(batch)
        if isinstance(state, np.ndarray) and len(self.state_names) == 1:
            state = (state,)
        if not isinstance(state, (tuple, list)) or len(state) != len(self.state_names):
            names = ", ".join(self.state_names)
            raise ShapeError(
                f"state must be a tuple ({names}) of {len(self.state_names)} arrays, "
                f"got {type(state).__name__}"
            )
        return tuple(
            np.ascontiguousarray(
                check_array(name, s, (batch, self.hidden_size), self.dtype, axes="(b, j)")
            )
            for name, s in zip(self.state_names, state)
        )

    # -- the public passes -------------------------------------------------------------

    def forward(self, xs, state0=None) -> Trace:
        """Run the cell over ``xs`` (T, B, d) from ``state0`` (default zeros)."""
        xs, state0 = self._check_inputs(xs, state0)
        return self._forward(xs, state0)

    def backward(self, trace: Trace, dh=None, *, dc=None, d_final=None, d_states=None) -> Gradients:
        """Backpropagation through time over the whole ``trace``.

        ``dh`` (T, B, n) is the direct ∂L/∂h⁽ᵗ⁾ of the loss terms at each step (None: no
        per-step loss), ``dc`` the same for the LSTM's cell state, ``d_states`` the same
        for any state by its name (``{"n": …, "m": …}`` for a cell with more states),
        ``d_final`` the gradient with respect to the final state (a tuple like the state).

        The parameters are read as they are now: change them between a forward pass and
        its backward pass and the gradients belong to neither (run forward again).
        """
        T, B = trace.xs.shape[:2]
        n = self.hidden_size
        self._check_params()
        direct = {}
        given = [("h", dh), ("c", dc)]
        if d_states is not None:
            if not isinstance(d_states, Mapping):
                raise ShapeError(
                    f"d_states must map state names to (T, B, n) arrays, got "
                    f"{type(d_states).__name__}"
                )
            for name, value in d_states.items():
                if (name == "h" and dh is not None) or (name == "c" and dc is not None):
                    raise ShapeError(f"d{name} given twice (as d{name} and in d_states)")
                given.append((name, value))
        for name, value in given:
            if value is None:
                continue
            if name not in self.state_names:
                raise ShapeError(f"d{name} given, but {type(self).__name__} has no state {name}")
            direct[name] = check_array(f"d{name}", value, (T, B, n), self.dtype, axes="(t, b, j)")
        final = self._check_state(d_final, B) if d_final is not None else None
        return self._backward(trace, direct, final)

    def step(self, x, state=None) -> tuple[tuple[np.ndarray, ...], Trace]:
        """One step: x (B, d), state → (new state, trace of the step for ``step_backward``)."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise ShapeError(f"x must have shape (B, {self.input_size}), got {x.shape}")
        trace = self.forward(x[None], state)
        return trace.final_state, trace

    def step_backward(
        self, trace: Trace, d_state
    ) -> tuple[tuple[np.ndarray, ...], np.ndarray, dict]:
        """Vector–Jacobian products of one step: ∂L/∂s⁽ᵗ⁾ → (∂L/∂s⁽ᵗ⁻¹⁾, ∂L/∂x⁽ᵗ⁾, ∂L/∂θ)."""
        g = self.backward(trace, d_final=d_state)
        return g.dstate0, g.dxs[0], g.params

    def state_jacobian(self, x, state=None) -> tuple[np.ndarray, np.ndarray]:
        """∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ (B, S, S) and ∂s⁽ᵗ⁾/∂x⁽ᵗ⁾ (B, S, d), numerator layout.

        Entry [b, i, j] is ∂s_i/∂(s⁽ᵗ⁻¹⁾)_j for sequence b; S is n, or 2n with s = [h; c].
        """
        x = check_array("x", x, (None, self.input_size), self.dtype, axes="(b, j)")
        self._check_params()
        state = self._check_state(state, x.shape[0])
        return self._state_jacobian(x, state)

    # -- for subclasses ------------------------------------------------------------------

    def _forward(self, xs, state0) -> Trace:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backward(self, trace, direct, final) -> Gradients:  # pragma: no cover - abstract
        raise NotImplementedError

    def _state_jacobian(self, x, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"
        )
