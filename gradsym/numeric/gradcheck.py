"""Central-difference gradient checks, shipped so that users can check their own code.

:func:`numerical_gradient` perturbs every entry: in float64 exact enough to compare a
whole gradient array entry by entry (use it for small sizes). :func:`check_gradient`
compares one array, :func:`check_cell_gradients` a cell's whole backward pass (input,
initial state, every parameter) and :func:`check_state_jacobian` its state Jacobian.

A float32 model is checked in float32: its own passes, perturbed by a step h suited to
the dtype (:data:`DEFAULT_EPS`: 1e-6 in float64, 1e-2 in float32, where a smaller step
drowns the difference in the rounding of the function, 2⁻²⁴ relative), and divided by
the step actually taken (x ± h rounded to float32). The loss the checks differentiate
is summed in float64, so that only the model's own arithmetic is float32; the
tolerance to compare with is the caller's (the test suite keeps one table per dtype).

The error reported is relative to the largest entry:
|analytic − numeric| / max(max |analytic|, max |numeric|, tiny).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import DTypeError


@dataclass(frozen=True)
class GradCheck:
    """Outcome of a gradient check: the worst relative error and where it occurred."""

    name: str
    max_rel_error: float
    analytic: float
    numeric: float

    def ok(self, rtol: float) -> bool:
        return bool(self.max_rel_error < rtol)

    def __str__(self) -> str:
        return (
            f"{self.name}: relative error {self.max_rel_error:.3e} "
            f"(analytic {self.analytic:.17g}, numeric {self.numeric:.17g})"
        )


#: The central-difference step of each dtype.
DEFAULT_EPS = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-2}


def _check_dtype(x: np.ndarray, name: str) -> None:
    if x.dtype not in DEFAULT_EPS:
        raise DTypeError(
            f"gradient checks need float64 or float32 arrays; {name} has dtype {x.dtype}"
        )


def default_eps(dtype, eps: float | None = None) -> float:
    """``eps`` if given, else the central-difference step of ``dtype``."""
    return DEFAULT_EPS[np.dtype(dtype)] if eps is None else float(eps)


def check_every_array(f, xs, dxs, states, params, param_grads, eps=None) -> list[GradCheck]:
    """One :func:`check_gradient` each for the input ``xs`` (``"x"``), every initial-state
    array (``states``: (name, array, analytic gradient) triples) and every parameter."""
    checks = [check_gradient("x", f, xs, dxs, eps)]
    checks += [check_gradient(name, f, s, ds, eps) for name, s, ds in states]
    checks += [check_gradient(name, f, p, param_grads[name], eps) for name, p in params.items()]
    return checks


def numerical_gradient(
    f: Callable[[], float], x: np.ndarray, eps: float | None = None
) -> np.ndarray:
    """∂f/∂x by central differences, perturbing ``x`` in place entry by entry.

    ``f`` takes no argument and reads ``x`` (a parameter array, a view into fused storage,
    or an input; float64 or float32); ``x`` is restored exactly afterwards. The quotient
    is taken over the step actually made, (x + h) − (x − h) as ``x``'s dtype holds them,
    and computed in float64. ``eps`` (h) defaults to the dtype's (:data:`DEFAULT_EPS`).
    """
    _check_dtype(x, "x")
    h = default_eps(x.dtype, eps)
    grad = np.empty(x.shape, np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs an array it can perturb in place")
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + h
        up = float(flat[k])
        fp = f()
        flat[k] = old - h
        down = float(flat[k])
        fm = f()
        flat[k] = old
        gflat[k] = (fp - fm) / (up - down)
    return grad


def compare(name: str, analytic, numeric) -> GradCheck:
    """The worst entry of ``analytic`` against ``numeric``, its error measured against the
    largest entry of either, so that an entry that is zero analytically and 1e-12
    numerically does not count as a 100 % error."""
    analytic = np.asarray(analytic, np.float64)
    numeric = np.asarray(numeric, np.float64)
    if analytic.size == 0:
        return GradCheck(name, 0.0, 0.0, 0.0)
    scale = max(np.abs(numeric).max(), np.abs(analytic).max(), 1e-300)
    err = np.abs(analytic - numeric)
    k = int(np.argmax(err))
    return GradCheck(
        name,
        float(err.reshape(-1)[k] / scale),
        float(analytic.reshape(-1)[k]),
        float(numeric.reshape(-1)[k]),
    )


def check_gradient(
    name: str,
    f: Callable[[], float],
    x: np.ndarray,
    analytic: np.ndarray,
    eps: float | None = None,
) -> GradCheck:
    """Compare ``analytic`` with the central-difference gradient of ``f`` at ``x``
    (:func:`compare`)."""
    return compare(name, analytic, numerical_gradient(f, x, eps))


def _random_linear_loss(cell, trace, rng):
    """Cotangents G for L = Σₜ ⟨G_h⁽ᵗ⁾, h⁽ᵗ⁾⟩ (+ the same for every other state: c, and
    any a declared cell has) + ⟨G_final, s⁽ᵀ⁾⟩, in the cell's dtype (what its backward
    pass takes); L is summed in float64."""
    dt = cell.dtype
    direct = {name: rng.standard_normal(v.shape).astype(dt) for name, v in trace.states.items()}
    final = tuple(rng.standard_normal(s.shape).astype(dt) for s in trace.final_state)

    def dot(a, b) -> float:
        return float(np.vdot(a.astype(np.float64), b.astype(np.float64)))

    def loss(tr) -> float:
        total = sum(dot(direct[k], v) for k, v in tr.states.items())
        return total + sum(dot(g, s) for g, s in zip(final, tr.final_state))

    return direct, final, loss


def check_cell_gradients(cell, xs: np.ndarray, state0, rng: np.random.Generator, eps=None):
    """Central-difference check of ``cell.backward`` for the input, the initial state and
    every parameter, under a random linear loss of every state and of the final state, in
    the cell's dtype (``xs`` and ``state0`` are converted to it).

    Returns one :class:`GradCheck` per checked array (``"x"``, ``"h0"``, ``"W_f"``, ...).
    """
    dt = cell.dtype
    xs = np.array(xs, dtype=dt)
    state0 = tuple(np.array(s, dtype=dt) for s in cell._check_state(_cast(state0, dt), xs.shape[1]))
    trace = cell.forward(xs, state0)
    direct, final, loss = _random_linear_loss(cell, trace, rng)
    g = cell.backward(trace, d_states=direct, d_final=final)

    def f():
        return loss(cell.forward(xs, state0))

    states = [(f"{name}0", s, ds) for name, s, ds in zip(cell.state_names, state0, g.dstate0)]
    return check_every_array(f, xs, g.dxs, states, cell.params, g.params, eps)


def _cast(state, dtype):
    """A state (None, an array or a tuple of arrays) in ``dtype``."""
    if state is None:
        return None
    if isinstance(state, np.ndarray):
        return state.astype(dtype)
    return tuple(np.asarray(s).astype(dtype) for s in state)


def check_state_jacobian(cell, x: np.ndarray, state, eps: float | None = None) -> list[GradCheck]:
    """``cell.state_jacobian`` against central differences of one step, for every
    sequence in the batch: ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ and ∂s⁽ᵗ⁾/∂x⁽ᵗ⁾, in the cell's dtype (the
    differences over the steps actually taken, in float64)."""
    dt = cell.dtype
    h = default_eps(dt, eps)
    x = np.array(x, dtype=dt)
    state = tuple(np.array(s, dtype=dt) for s in cell._check_state(_cast(state, dt), x.shape[0]))
    J_ss, J_sx = cell.state_jacobian(x, state)
    n = cell.hidden_size

    def step_s(x_, state_):
        s = np.concatenate(cell.step(x_, state_)[0], axis=1)  # (B, S)
        return s.astype(np.float64)

    def split(s):
        return tuple(s[:, k * n : (k + 1) * n] for k in range(len(state)))

    num_ss = np.empty(J_ss.shape, np.float64)
    s_flat = np.concatenate(state, axis=1)
    for j in range(s_flat.shape[1]):
        up, down = s_flat.copy(), s_flat.copy()
        up[:, j] += dt.type(h)
        down[:, j] -= dt.type(h)
        step = (up[:, j].astype(np.float64) - down[:, j])[:, None]
        num_ss[:, :, j] = (step_s(x, split(up)) - step_s(x, split(down))) / step
    num_sx = np.empty(J_sx.shape, np.float64)
    for j in range(x.shape[1]):
        up, down = x.copy(), x.copy()
        up[:, j] += dt.type(h)
        down[:, j] -= dt.type(h)
        step = (up[:, j].astype(np.float64) - down[:, j])[:, None]
        num_sx[:, :, j] = (step_s(up, state) - step_s(down, state)) / step
    return [compare("ds/ds_prev", J_ss, num_ss), compare("ds/dx", J_sx, num_sx)]
