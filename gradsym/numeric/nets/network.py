"""Unrolling a recurrent model over a sequence, with full and truncated BPTT.

A *sequence model* here is a cell (:class:`~gradsym.numeric.cells.rnn.RNN`, ``LSTM``, ``GRU``),
a :class:`~gradsym.numeric.nets.stacked.Stacked` stack or a
:class:`~gradsym.numeric.nets.bidirectional.Bidirectional` pair. They share one interface:

* ``forward(xs, state0=None)`` → a trace with ``.h`` (T, B, n_out), the outputs the loss
  sees, and ``.final_state``;
* ``backward(trace, dh, d_final=None)`` → ``Gradients(dxs, dstate0, params, adjoints)``,
  ``dh`` (T, B, n_out) being the direct ∂L/∂h⁽ᵗ⁾ of the loss terms;
* ``params``: name → array (writable views).

:class:`Network` puts an optional output layer and a loss on top:

    ŷ⁽ᵗ⁾ = W_y h⁽ᵗ⁾ + b_y,     L = loss(ŷ⁽ᵗ⁾ at the scored steps, targets)

and computes L, the gradient of every parameter, the per-step adjoints ∂L/∂h⁽ᵗ⁾ (and
∂L/∂c⁽ᵗ⁾), ∂L/∂x⁽ᵗ⁾, ∂L/∂s⁽⁰⁾ and the final state, by full BPTT or by truncated BPTT.

Parameter names are flat, one dict for the whole network: the recurrent part's names get
the prefix ``"cell."`` (``"cell.W_h"``, ``"cell.layer0.W_f"``, ``"cell.fwd.W_h"``) and the
output layer's the prefix ``"out."`` (``"out.W_y"``, ``"out.b_y"``).

Truncated BPTT (Williams and Peng 1990, BPTT(h; h'); Sutskever 2013, TBPTT(k1, k2))
---------------------------------------------------------------------------------------
Cut the T steps into chunks of k1 steps, ending at e_j = min(j·k1, T). For each chunk j,
the loss terms of its steps, L_j = Σ_{e_{j−1} < t ≤ e_j} ℓ⁽ᵗ⁾, are backpropagated through
the window of the last k2 steps, (w_j, e_j] with w_j = max(e_j − k2, 0), and the state
s⁽ʷʲ⁾ entering the window is treated as a constant. The gradient computed is

    g_trunc = Σ_j ∇_θ L_j(θ; s⁽ʷʲ⁾ held fixed),

each term the *full*-BPTT gradient of the window's loss terms for the model unrolled from
the constant s⁽ʷʲ⁾ over x⁽ʷʲ⁺¹⁾ … x⁽ᵉʲ⁾ (this is how it is computed, too: the window's
forward pass is recomputed from the carried state, then backpropagated). Consequences:
with k2 ≥ T every window starts at s⁽⁰⁾, so g_trunc is the full BPTT gradient; an input
x⁽ᵗ⁾ outside every window gets exactly zero gradient; ∂L/∂s⁽⁰⁾ collects only the windows
that start at step 0. The per-step adjoints reported are the sums over windows of each
window's ∂L_j/∂h⁽ᵗ⁾. The loss value is the full loss (the forward pass is not truncated),
and the output layer's gradient is exact (it is not recurrent). k1 ≤ k2 is required: with
k1 > k2 the first k1 − k2 loss terms of a chunk would lie outside their own window.

For a long sequence cut into calls, pass ``final_state`` of one call as ``state0`` of the
next: no gradient crosses the boundary (the common chunked form, k1 = k2 = chunk length).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, ShapeError, unknown_name
from gradsym.numeric.cells.cell import Cell, Gradients
from gradsym.numeric.cells.parameters import Parameters
from gradsym.numeric.gradcheck import GradCheck, check_every_array, default_eps
from gradsym.numeric.nets.batch_first import require_time_major
from gradsym.numeric.nets.losses import Linear, get_loss
from gradsym.validate import positive_int

_WHERE = ("all", "last")

# -- the shared interface of sequence models ------------------------------------------------


def output_size(model) -> int:
    """The size n_out of ``model``'s outputs h⁽ᵗ⁾ (a cell's hidden size)."""
    return model.output_size if hasattr(model, "output_size") else model.hidden_size


def state_leaves(state) -> list[np.ndarray]:
    """The arrays of a (possibly nested) state tuple, in order."""
    if isinstance(state, np.ndarray):
        return [state]
    return [leaf for part in state for leaf in state_leaves(part)]


def flatten_state(state) -> np.ndarray:
    """The state as one (B, S) array: its leaves concatenated, e.g. s = [h; c]."""
    return np.concatenate(state_leaves(state), axis=-1)


def unflatten_state(template, s: np.ndarray):
    """Split a (B, S) array into a state structured like ``template`` (the inverse of
    :func:`flatten_state`)."""
    pos = 0

    def build(part):
        nonlocal pos
        if isinstance(part, np.ndarray):
            k = part.shape[-1]
            out = s[..., pos : pos + k]
            pos += k
            return out
        return tuple(build(p) for p in part)

    out = build(template)
    if pos != s.shape[-1]:
        raise ShapeError(f"state must have {pos} columns, got {s.shape[-1]}")
    return out


def state_at(trace, t: int):
    """The state s⁽ᵗ⁾ of a trace: ``state0`` for t = 0, else the state after step t.

    Works on a cell's :class:`~gradsym.numeric.cells.cell.Trace` and on any trace with its own
    ``state_at`` (a stack's).
    """
    if hasattr(trace, "state_at"):
        return trace.state_at(t)
    if t == 0:
        return trace.state0
    return tuple(v[t - 1] for v in trace.states.values())


def zero_state(model, batch: int):
    """The model's all-zero initial state for ``batch`` sequences."""
    return model.zero_state(batch)


def _copy_state(state):
    if isinstance(state, np.ndarray):
        return state.copy()
    return tuple(_copy_state(p) for p in state)


def _add_state(acc, g):
    """acc += g leafwise (acc a nested tuple of arrays, updated in place)."""
    for a, b in zip(state_leaves(acc), state_leaves(g)):
        a += b


def _state_triples(state0, dstate0) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """("s0[k]", k-th initial-state array, its gradient) for a nested state."""
    pairs = zip(state_leaves(state0), state_leaves(dstate0))
    return [(f"s0[{k}]", s, ds) for k, (s, ds) in enumerate(pairs)]


def check_model_gradients(
    model, xs: np.ndarray, state0, rng: np.random.Generator, eps: float | None = None
) -> list[GradCheck]:
    """Central-difference check of ``model.backward`` for the input, every array of the
    initial state and every parameter, under a random linear loss
    L = Σₜ ⟨G⁽ᵗ⁾, h⁽ᵗ⁾⟩ + ⟨G_final, s⁽ᵀ⁾⟩ of every output and of the final state, in the
    model's dtype (the loss summed in float64; see :mod:`~gradsym.numeric.gradcheck`).

    ``model`` is any sequence model (cell, stack, bidirectional pair). Returns one
    :class:`~gradsym.numeric.gradcheck.GradCheck` per array: ``"x"``, ``"s0[k]"`` for the
    k-th array of the initial state, then each parameter name.
    """
    xs = np.array(xs, dtype=model.dtype)
    trace = model.forward(xs, state0)
    state0 = _copy_state(trace.state0)  # our own copy, perturbed in place below
    G = rng.standard_normal(trace.h.shape).astype(model.dtype)
    G_final = _copy_state(trace.final_state)
    for leaf in state_leaves(G_final):
        leaf[...] = rng.standard_normal(leaf.shape)
    g = model.backward(model.forward(xs, state0), G, d_final=G_final)

    def dot(a, b) -> float:
        return float(np.vdot(a.astype(np.float64), b.astype(np.float64)))

    def f() -> float:
        tr = model.forward(xs, state0)
        return dot(G, tr.h) + dot(flatten_state(G_final), flatten_state(tr.final_state))

    return check_every_array(
        f, xs, g.dxs, _state_triples(state0, g.dstate0), model.params, g.params, eps
    )


# -- truncation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truncation:
    """TBPTT(k1, k2): every k1 steps, backpropagate through the last k2 steps (k1 ≤ k2)."""

    k1: int
    k2: int

    @classmethod
    def parse(cls, value) -> Truncation | None:
        """``None`` (full BPTT), an int k (k1 = k2 = k), a pair (k1, k2) or a Truncation."""
        if value is None or isinstance(value, Truncation):
            return value
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise InvalidValueError(
                    f"truncation must be k or a pair (k1, k2), got {len(value)} values"
                )
            k1 = positive_int("truncation k1 (forward stride)", value[0])
            k2 = positive_int("truncation k2 (backward window)", value[1])
        else:
            k1 = k2 = positive_int("truncation window k", value)
        if k1 > k2:
            raise InvalidValueError(
                f"truncation k1 = {k1} > k2 = {k2}: the first k1 − k2 loss terms of each "
                f"chunk would lie outside their own backward window; need k1 <= k2"
            )
        return cls(k1, k2)

    def windows(self, T: int) -> list[tuple[int, int, int]]:
        """(w, c, e) for each chunk: window steps (w, e], the chunk's loss terms (c, e]."""
        out = []
        for c in range(0, T, self.k1):
            e = min(c + self.k1, T)
            out.append((max(e - self.k2, 0), c, e))
        return out


# -- the network -----------------------------------------------------------------------------


@dataclass
class Forward:
    """A forward pass: the model's trace and the predictions ŷ at the scored steps
    ((T, B, K) for ``where="all"``, (B, K) for ``where="last"``)."""

    trace: Any
    predictions: np.ndarray


@dataclass
class BPTTResult:
    """What :meth:`Network.loss_and_grads` returns.

    ``grads``: flat name → ∂L/∂θ, names as in :attr:`Network.params`; ``adjoints``: the
    model's per-step adjoints, e.g. ``{"h": ∂L/∂h⁽ᵗ⁾, "c": ∂L/∂c⁽ᵗ⁾}`` (T, B, n) for a cell
    (``adjoints["h"][t]`` belongs to h⁽ᵗ⁺¹⁾, as ``trace.h[t]``), ``"layer0.h"``, … for a
    stack, ``"fwd.h"``, ``"bwd.h"`` for a bidirectional pair (the LSTM's ∂L/∂c⁽ᵗ⁾ is the
    total derivative, including the path through h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾ of the same step, as
    the cell reports it); ``dxs`` ∂L/∂x⁽ᵗ⁾ (T, B, d);
    ``dstate0`` ∂L/∂s⁽⁰⁾; ``final_state`` s⁽ᵀ⁾ to carry into the next call.
    """

    loss: float
    grads: dict[str, np.ndarray]
    trace: Any
    predictions: np.ndarray
    adjoints: dict[str, np.ndarray]
    dxs: np.ndarray
    dstate0: Any
    final_state: Any
    truncation: Truncation | None


class Network:
    """A sequence model, an optional output layer and a loss.

    ``model``: a cell, :class:`~gradsym.numeric.nets.stacked.Stacked` or
    :class:`~gradsym.numeric.nets.bidirectional.Bidirectional`; ``output``: a
    :class:`~gradsym.numeric.nets.losses.Linear` (None: the loss reads h⁽ᵗ⁾ itself); ``loss``:
    ``"mse"`` or ``"xent"``; ``where``: ``"all"`` scores every step (targets (T, B, K) for
    mse, (T, B) class indices for xent), ``"last"`` only the last one ((B, K) or (B,)).
    """

    def __init__(self, model, output: Linear | None = None, loss: str = "mse", where: str = "all"):
        require_time_major(model, "a Network")
        self.model = model
        self.output = output
        self.loss_name = loss
        self.loss_fn: Callable = get_loss(loss)
        if not isinstance(where, str) or where not in _WHERE:
            raise unknown_name("scoring mode 'where'", where, _WHERE)
        self.where = where
        self.dtype = model.dtype
        n = output_size(model)
        if output is not None:
            if output.in_features != n:
                raise ShapeError(
                    f"output layer must read the model's outputs of size {n}, got "
                    f"Linear(in_features={output.in_features})"
                )
            if output.dtype != self.dtype:
                raise DTypeError(f"output layer has dtype {output.dtype}, model {self.dtype}")
        params = {f"cell.{k}": v for k, v in model.params.items()}
        if output is not None:
            params.update({f"out.{k}": v for k, v in output.params.items()})
        self.params = Parameters("Network", params)  # live views, as a cell's

    # -- parameters as one flat dict (for optimisers and checkpoints) --------------------

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def get_params(self) -> dict[str, np.ndarray]:
        """A copy of every parameter, flat name → array."""
        return {k: v.copy() for k, v in self.params.items()}

    def set_params(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` (flat name → array, any subset) into the parameters in place."""
        for name, value in values.items():
            if name not in self.params:
                raise unknown_name("network parameter", name, self.params)
            target = self.params[name]
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ShapeError(
                    f"parameter {name} must have shape {target.shape}, got {value.shape}"
                )
            if value.dtype != target.dtype:
                raise DTypeError(
                    f"parameter {name} must have dtype {target.dtype}, got {value.dtype}"
                )
            target[...] = value

    # -- passes ------------------------------------------------------------------------------

    def _scored(self, h: np.ndarray) -> np.ndarray:
        return h if self.where == "all" else h[-1]

    def forward(self, xs, state0=None) -> Forward:
        """Unroll the model over ``xs`` (T, B, d) and predict at the scored steps."""
        trace = self.model.forward(xs, state0)
        hs = self._scored(trace.h)
        return Forward(trace, hs if self.output is None else self.output.forward(hs))

    def loss(self, xs, targets, state0=None) -> float:
        """The loss alone (no backward pass)."""
        return self.loss_fn(self.forward(xs, state0).predictions, targets)[0]

    def loss_and_grads(self, xs, targets, state0=None, *, truncation=None) -> BPTTResult:
        """The loss and its gradients by BPTT, or by TBPTT(k1, k2) when ``truncation`` is
        k (k1 = k2 = k) or (k1, k2); see the module docstring for what is computed."""
        trunc = Truncation.parse(truncation)
        if trunc is not None and not getattr(self.model, "causal", True):
            raise InvalidValueError(
                f"truncated BPTT needs a causal model; {type(self.model).__name__} reads "
                f"the whole sequence in both directions"
            )
        fw = self.forward(xs, state0)
        trace = fw.trace
        loss, dpred = self.loss_fn(fw.predictions, targets)
        hs = self._scored(trace.h)
        out_grads: dict[str, np.ndarray] = {}
        if self.output is not None:
            dhs, og = self.output.backward(hs, dpred)
            out_grads = {f"out.{k}": v for k, v in og.items()}
        else:
            dhs = dpred
        if self.where == "last" and trunc is None and isinstance(self.model, Cell):
            # The loss reads h⁽ᵀ⁾ only, a part of the final state s⁽ᵀ⁾: its gradient enters
            # as ∂L/∂s⁽ᵀ⁾, without a (T, B, n) array of zeros for the other steps (nor a
            # pass adding them in at every step of the backward loop).
            d_final = tuple(
                dhs if name == "h" else np.zeros_like(dhs) for name in self.model.state_names
            )
            g = self.model.backward(trace, d_final=d_final)
        else:
            dh = np.zeros_like(trace.h)
            if self.where == "all":
                dh[...] = dhs
            else:
                dh[-1] = dhs
            g = self._backward(trace, dh, trunc)
        grads = {f"cell.{k}": v for k, v in g.params.items()}
        grads.update(out_grads)
        return BPTTResult(
            loss=loss,
            grads=grads,
            trace=trace,
            predictions=fw.predictions,
            adjoints=g.adjoints,
            dxs=g.dxs,
            dstate0=g.dstate0,
            final_state=trace.final_state,
            truncation=trunc,
        )

    def _backward(self, trace, dh: np.ndarray, trunc: Truncation | None) -> Gradients:
        model = self.model
        if trunc is None:
            return model.backward(trace, dh)
        T = dh.shape[0]
        dxs = np.zeros_like(trace.xs)
        dstate0 = _copy_state(trace.state0)
        for leaf in state_leaves(dstate0):
            leaf[...] = 0.0
        params = {k: np.zeros_like(v) for k, v in model.params.items()}
        adjoints: dict[str, np.ndarray] | None = None
        for w, c, e in trunc.windows(T):
            if not dh[c:e].any():
                continue  # no loss term in this chunk (where="last"): its gradient is 0
            # The window's forward pass is recomputed from s⁽ʷ⁾, a copy: a constant, so
            # nothing flows back past the window.
            wtrace = model.forward(trace.xs[w:e], _copy_state(state_at(trace, w)))
            wdh = np.zeros_like(dh[w:e])
            wdh[c - w :] = dh[c:e]
            wg = model.backward(wtrace, wdh)
            dxs[w:e] += wg.dxs
            for k, v in wg.params.items():
                params[k] += v
            if adjoints is None:
                adjoints = {
                    k: np.zeros((T,) + v.shape[1:], v.dtype) for k, v in wg.adjoints.items()
                }
            for k, v in wg.adjoints.items():
                adjoints[k][w:e] += v
            if w == 0:
                _add_state(dstate0, wg.dstate0)
        if adjoints is None:  # no loss term anywhere (cannot happen with a loss, kept safe)
            adjoints = {k: np.zeros_like(v) for k, v in model.backward(trace, dh).adjoints.items()}
        return Gradients(dxs, dstate0, params, adjoints)

    def check_gradients(
        self, xs, targets, state0=None, eps: float | None = None
    ) -> list[GradCheck]:
        """Central-difference check of :meth:`loss_and_grads` (full BPTT) for the input
        (``"x"``), every array of the initial state (``"s0[k]"``) and every parameter (flat
        names), in the network's dtype.

        ``eps`` is 1e-5 in float64 rather than 1e-6: a mean loss is O(1) while its
        gradient entries are O(1/(T·B)), so the rounding error of f(θ ± ε), about
        1e-16/ε, dominates at 1e-6; the truncation error ε²·f‴/6 is still far below 1e-7
        at 1e-5. In float32 the step is 1e-2 (see :mod:`~gradsym.numeric.gradcheck`)."""
        if eps is None:
            eps = 1e-5 if self.dtype == np.float64 else default_eps(self.dtype)
        xs = np.array(xs, dtype=self.dtype)
        targets = np.asarray(targets)
        if targets.dtype.kind == "f":  # regression targets in the network's dtype
            targets = targets.astype(self.dtype)
        B = xs.shape[1]
        state0 = _copy_state(state0 if state0 is not None else zero_state(self.model, B))
        r = self.loss_and_grads(xs, targets, state0)
        wide = targets.astype(np.float64) if targets.dtype.kind == "f" else targets

        def f() -> float:  # the model in its dtype, the loss summed in float64
            prediction = self.forward(xs, state0).predictions
            return self.loss_fn(prediction.astype(np.float64), wide)[0]

        return check_every_array(
            f, xs, r.dxs, _state_triples(state0, r.dstate0), self.params, r.grads, eps
        )

    def __repr__(self) -> str:
        return (
            f"Network({self.model!r}, output={self.output!r}, loss={self.loss_name!r}, "
            f"where={self.where!r})"
        )
