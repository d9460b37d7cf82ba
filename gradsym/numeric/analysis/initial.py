"""Where an analysed trajectory starts, and whether it went anywhere.

A network without input (or with inputs too weak to move it) that starts at zeros may
sit at the fixed point s = 0 for ever: its Lyapunov spectrum is then the fixed point's
(ln |λ| of the Jacobian there, ln ρ(W) for the first exponent of a tanh RNN without
bias), not the attractor's it would reach from almost any other start. So

* :func:`initial_state` resolves an analysis's ``state0``: ``"zeros"`` (the default),
  ``"random"`` (each state entry uniform in (−1, 1), seeded), the model's state as NumPy
  arrays or torch tensors, or PyTorch's layout ((layers · directions, B, N) for h, and for
  the LSTM the pair (h, c));
* :func:`fixed_point` tells when a driven cell's trajectory did not move after the
  transient, so that the report can say so instead of presenting a fixed point's
  spectrum as the dynamics'.
"""

from __future__ import annotations

import numpy as np

from gradsym.errors import InvalidValueError, unknown_name
from gradsym.numeric.analysis.units import sequence_model
from gradsym.numeric.cells.cell import Cell, Trace
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.stacked import Stacked

__all__ = ["INITIAL_STATES", "STILL", "fixed_point", "initial_state"]

#: The initial states an analysis names: zeros (the default) and a seeded random state.
INITIAL_STATES = ("zeros", "random")

#: A trajectory whose state moves by at most this much per step (relative to its size)
#: after the transient sits at a fixed point.
STILL = 1e-12


def initial_state(model, batch: int, state0, seed: int = 0):
    """The initial state of ``model`` (a gradsym sequence model, float64) for ``batch``
    sequences, structured as its ``forward`` takes it (None: zeros); see the module
    docstring for what ``state0`` may be."""
    model = sequence_model(model)
    if state0 is None or (isinstance(state0, str) and state0 == "zeros"):
        return None
    if isinstance(state0, str):
        if state0 == "random":
            rng = np.random.default_rng([seed, 0x5EED])
            return _random_state(model, batch, rng)
        raise unknown_name("initial state", state0, INITIAL_STATES)
    state0 = _as_numpy(state0)
    if isinstance(model, (Stacked, Bidirectional)) and _torch_layout(state0):
        return _from_torch_layout(model, state0)
    return state0


def _random_state(model, batch: int, rng: np.random.Generator):
    if isinstance(model, Cell):
        return tuple(rng.uniform(-1.0, 1.0, (batch, model.hidden_size)) for _ in model.state_names)
    if isinstance(model, Bidirectional):
        return tuple(_random_state(c, batch, rng) for c in model.cells)
    if isinstance(model, Stacked):
        return tuple(_random_state(layer, batch, rng) for layer in model.layers)
    raise InvalidValueError(f"cannot draw an initial state for a {type(model).__name__}")


def _as_numpy(state):
    """NumPy float64 arrays in place of torch tensors (or anything array-like), keeping
    the tuple structure."""
    if isinstance(state, (tuple, list)):
        return tuple(_as_numpy(s) for s in state)
    if hasattr(state, "detach"):  # a torch tensor
        state = state.detach().cpu().numpy()
    array = np.asarray(state, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise InvalidValueError("the initial state has NaN or Inf entries")
    return array


def _torch_layout(state) -> bool:
    """Whether ``state`` is PyTorch's: h (layers · directions, B, N), or the pair (h, c)."""
    if isinstance(state, np.ndarray):
        return state.ndim == 3
    return (
        isinstance(state, tuple)
        and len(state) == 2
        and all(isinstance(s, np.ndarray) and s.ndim == 3 for s in state)
    )


def _directions(layer) -> list[Cell]:
    return list(layer.cells) if isinstance(layer, Bidirectional) else [layer]


def _from_torch_layout(model, state):
    """PyTorch's (h, c) or h, each (layers · directions, B, N), as the model's state."""
    parts = (state,) if isinstance(state, np.ndarray) else state
    layers = model.layers if isinstance(model, Stacked) else [model]
    cells = [c for layer in layers for c in _directions(layer)]
    names = cells[0].state_names
    if len(parts) != len(names) or any(p.shape[0] != len(cells) for p in parts):
        shapes = ", ".join(str(p.shape) for p in parts)
        raise InvalidValueError(
            f"the initial state in PyTorch's layout must be {len(names)} array(s) "
            f"({', '.join(names)}) of shape ({len(cells)}, B, N) for this model of "
            f"{len(layers)} layer(s) and {len(_directions(layers[0]))} direction(s); got {shapes}"
        )
    per_cell = [tuple(p[k] for p in parts) for k in range(len(cells))]
    out, k = [], 0
    for layer in layers:
        dirs = _directions(layer)
        states = per_cell[k : k + len(dirs)]
        k += len(dirs)
        out.append(tuple(states) if isinstance(layer, Bidirectional) else states[0])
    return tuple(out) if isinstance(model, Stacked) else out[0]


def fixed_point(trace: Trace, skip: int) -> float | None:
    """How far the state of ``trace`` moved in its largest step after ``skip`` steps,
    when that is at most :data:`STILL` of its size (the trajectory sits at a fixed point),
    else None."""
    moved = scale = 0.0
    for states in trace.states.values():
        tail = states[max(skip - 1, 0) :]
        if len(tail) < 2:
            return None
        moved = max(moved, float(np.max(np.abs(np.diff(tail, axis=0)))))
        scale = max(scale, float(np.max(np.abs(tail))))
    return moved if moved <= STILL * max(1.0, scale) else None
