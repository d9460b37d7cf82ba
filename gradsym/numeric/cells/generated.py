"""The NumPy cell of a cell declared by its equations (``gradsym.cell_from_equations``).

The equations, their differentiation and their Jacobians are SymPy's business; what arrives
here is a :class:`CellProgram`: the parameters with their shapes and roles, and four NumPy
functions printed from the equations and compiled once (``gradsym.declared.codegen``):

    precompute(P, F, X, T, B)   every term that depends on the input and the parameters
                                only, for all steps at once (X: (T·B, d)), and the stacked
                                weights of the products the step shares
    step(P, S, t, state, keep)  one step: the new state, and the values the backward needs
    step_back(P, F, S, t, keep, g_state, acc)  one step of backpropagation: the adjoints of
                                the previous state, the products' adjoints stored in ``acc``
    finish(P, F, S, X, keep, acc)  the weight gradients summed over all steps (single matrix
                                products over T·B rows) and ∂L/∂x⁽ᵗ⁾ for every step
    state_jacobian(params, x, state)  ∂s/∂s⁽ᵗ⁻¹⁾ and ∂s/∂x, the compact Jacobians printed

The functions call NumPy and the function table's NumPy values only, so the hot loop never
touches SymPy. Its independent references are central differences of its own forward pass
(:mod:`gradsym.numeric.gradcheck`) and the symbolic proofs of the compact Jacobians.

Shapes: states (B, n) each; ``trace.gates[name]`` is every intermediate vector the equations
name, (T, B, k); parameters as declared, vectors (k,).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradsym.errors import ShapeError
from gradsym.numeric.cells.cell import Cell, Gradients, Trace

Size = tuple[int, int, int]  # rows or cols as a·n + b·d + c


def size_of(size: Size, n: int, d: int) -> int:
    a, b, c = size
    return a * n + b * d + c


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its name, rows and columns (as a·n + b·d + c; columns (0, 0, 1) for a
    vector, stored 1-D), and the fused array (``kind``) it is a block of."""

    name: str
    rows: Size
    cols: Size
    kind: str

    @property
    def is_vector(self) -> bool:
        return self.cols == (0, 0, 1)


@dataclass(frozen=True)
class CellProgram:
    """Everything a :class:`GeneratedCell` runs: see the module docstring.

    Roles (for the initialisers, per gate block): ``recurrent_weights`` (n×n matrices
    multiplying a state), ``input_weights`` (n×d), ``biases``, ``diagonal_weights`` (vectors
    multiplying a state entrywise: IndRNN's w, a diagonal recurrence's λ),
    ``peephole_weights`` (matrices multiplying a second state, zero at initialisation),
    ``forget_gate_bias`` and ``update_gate_bias`` with the sign that opens the carry path.
    """

    name: str
    variant: str
    state_names: tuple[str, ...]
    gate_names: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    precompute: Callable
    step: Callable
    step_back: Callable
    finish: Callable
    state_jacobian: Callable
    recurrent_weights: tuple[str, ...] = ()
    input_weights: tuple[str, ...] = ()
    biases: tuple[str, ...] = ()
    diagonal_weights: tuple[str, ...] = ()
    peephole_weights: tuple[str, ...] = ()
    forget_gate_bias: str | None = None
    update_gate_bias: str | None = None
    update_gate_sign: float | None = None
    input_is_hidden: bool = False
    equations: str = ""
    sources: dict[str, str] = field(default_factory=dict, repr=False)


class GeneratedCell(Cell):
    """A NumPy cell run from a :class:`CellProgram`; same interface as RNN, LSTM and GRU."""

    def __init__(
        self,
        program: CellProgram,
        input_size: int,
        hidden_size: int,
        *,
        dtype=np.float64,
        rng=0,
    ):
        super().__init__(input_size, hidden_size, dtype=dtype)
        self.program = program
        self.name, self.variant = program.name, program.variant
        self.state_names = program.state_names
        self.gate_names = program.gate_names
        self.recurrent_weights = program.recurrent_weights
        self.input_weights = program.input_weights
        self.biases = program.biases
        self.diagonal_weights = program.diagonal_weights
        self.peephole_weights = program.peephole_weights
        self.forget_gate_bias = program.forget_gate_bias
        self.update_gate_bias = program.update_gate_bias
        self.update_gate_sign = program.update_gate_sign
        n, d = self.hidden_size, self.input_size
        if program.input_is_hidden and d != n:
            raise ShapeError(
                f"cell {program.name!r} adds its input to the state: input_size must equal "
                f"hidden_size ({n}), got {d}"
            )
        kinds: dict[str, tuple[list[str], tuple[int, ...]]] = {}
        for p in program.params:
            rows, cols = size_of(p.rows, n, d), size_of(p.cols, n, d)
            shape = (rows,) if p.is_vector else (rows, cols)
            names, first = kinds.setdefault(p.kind, ([], shape))
            if first != shape:  # codegen groups blocks of one shape only
                raise ValueError(f"parameter {p.name} does not fit its fused array {p.kind}")
            names.append(p.name)
        self._allocate({k: (tuple(names), shape) for k, (names, shape) in kinds.items()})
        self._init_uniform(rng)

    def _param_owner(self) -> str:
        return self.name

    def _sizes(self) -> dict[str, int]:
        return {"n": self.hidden_size, "d": self.input_size}

    def _forward(self, xs: np.ndarray, state0) -> Trace:
        T, B, d = xs.shape
        prog = self.program
        S = prog.precompute(self._views, self.fused, xs.reshape(T * B, d), T, B)
        states = {s: np.empty((T, B, self.hidden_size), self.dtype) for s in self.state_names}
        keep: dict = {"_T": T, "_B": B}
        state = tuple(state0)
        for t in range(T):
            state = prog.step(self._views, S, t, state, keep)
            for name, v in zip(self.state_names, state):
                states[name][t] = v
        gates = {g: keep[g] for g in self.gate_names if g in keep}
        return Trace(xs, state0, states, gates, {"S": S, "keep": keep})

    def _backward(self, trace: Trace, direct, final) -> Gradients:
        xs = trace.xs
        T, B, d = xs.shape
        prog = self.program
        cache = trace.cache
        if "S" not in cache:  # a trace not made by this cell's forward pass: recompute
            cache = self._forward(xs, trace.state0).cache
        S, keep = cache["S"], cache["keep"]
        acc: dict = {"_T": T, "_B": B}
        adjoints = {s: np.empty((T, B, self.hidden_size), self.dtype) for s in self.state_names}
        g_state = [
            np.zeros((B, self.hidden_size), self.dtype) if final is None else final[k].copy()
            for k in range(len(self.state_names))
        ]
        for t in range(T - 1, -1, -1):
            for k, name in enumerate(self.state_names):
                if name in direct:
                    g_state[k] = g_state[k] + direct[name][t]
                adjoints[name][t] = g_state[k]
            g_state = list(prog.step_back(self._views, self.fused, S, t, keep, tuple(g_state), acc))
        grads, dX = prog.finish(self._views, self.fused, S, xs.reshape(T * B, d), keep, acc)
        for kind, arr in self.fused.items():
            grads.setdefault(kind, np.zeros_like(arr))
        return Gradients(dX.reshape(T, B, d), tuple(g_state), self._grad_views(grads), adjoints)

    def _state_jacobian(self, x, state):
        J_ss, J_sx = self.program.state_jacobian(self._views, x, state)
        return J_ss.astype(self.dtype, copy=False), J_sx.astype(self.dtype, copy=False)

    def __repr__(self) -> str:
        return (
            f"GeneratedCell({self.name!r}, input_size={self.input_size}, "
            f"hidden_size={self.hidden_size})"
        )


__all__ = ["CellProgram", "GeneratedCell", "ParamSpec", "size_of"]
