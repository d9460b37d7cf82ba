"""Optimisers updating a dict of parameters in place: SGD (with momentum) and Adam.

The notes' update is plain SGD, θⁿᵉʷ = θᵒˡᵈ − α ∇_θ J(θ): a large (exploding) gradient
gives a large step, which is what clipping guards against. Both optimisers follow
``torch.optim.SGD`` / ``torch.optim.Adam`` operation by operation, so that a float64 run
matches PyTorch to rounding.

Usage::

    opt = Adam(lr=1e-3)
    opt.step(cell.params, grads.params)   # params: name → array, updated in place
    saved = opt.state_dict()              # plain numbers and copied arrays
    opt2 = Adam(lr=1e-3); opt2.load_state_dict(saved)   # resumes exactly

Every state array has its parameter's dtype (a float32 run keeps float32 moments, and
its step count t as a float32 number, exact up to 2²⁴ steps, beyond which the bias
corrections 1 − βᵗ are 1 in either type).

Parameters may be views into fused storage (as the cells' are); they are written with
in-place operations so the views stay views. A name with no gradient is skipped (as a
PyTorch parameter whose ``.grad`` is None). Gradients must be finite: a NaN or inf
gradient raises :class:`NonFiniteError` before any parameter is touched (PyTorch would
write NaN into the weights; clip first, or skip the step).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradsym.errors import (
    CheckpointError,
    InvalidValueError,
    ShapeError,
    did_you_mean,
    unknown_name,
)
from gradsym.validate import boolean, check_finite, number, positive_number

__all__ = ["SGD", "Adam", "Optimiser"]


@dataclass
class _Flat:
    """The parameters of a whole-model step laid end to end (names, shapes, where each
    lies in the flat vector) and the optimiser's state as one flat array per slot; the
    per-name state arrays are views into them. A scalar slot (Adam's step count t) has
    one entry per name, all equal."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    dtype: np.dtype
    bounds: list[tuple[int, int]]
    slots: dict[str, np.ndarray]
    scalars: frozenset[str] = frozenset()  # the slots of one number per parameter
    bound: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def views(self, flat: np.ndarray):
        """(name, the (shape) view of ``flat`` holding that parameter's entries)."""
        for name, shape, (lo, hi) in zip(self.names, self.shapes, self.bounds):
            yield name, flat[lo:hi].reshape(shape)


class Optimiser:
    """Shared machinery: the learning rate, argument checks, the step counter, state I/O.

    Subclasses define ``_hyper()`` (their constructor arguments as a dict), ``_slots``
    (names of per-parameter state arrays), ``_new_state(p)`` (a parameter's state before
    its first update) and ``_delta(g, state, p)``, the step Δ of θ ← θ − Δ, updating the
    state arrays in place.

    A step that updates every parameter of one dtype at once (a training step) runs on
    the gradients laid end to end in one array, with the state in flat arrays: a handful
    of NumPy calls for the whole model instead of a dozen per parameter. Each operation is
    elementwise, so every number is bit for bit what the per-parameter step gives.
    """

    _slots: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = lr
        self.weight_decay = number("weight_decay", weight_decay, low=0)
        self.steps = 0
        # name → {slot → array}; created lazily at a parameter's first update.
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._flat: _Flat | None = None

    @property
    def lr(self) -> float:
        """The learning rate α (settable, e.g. by a schedule; must stay > 0)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_number("lr", value)

    def step(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        *,
        scale: float | None = None,
    ) -> None:
        """One update of every parameter that has a gradient, in place. ``scale``: the
        gradients are first multiplied by this factor (norm clipping's, from
        :func:`~gradsym.numeric.optim.clipping.clip_factor`; ``grads`` themselves are not
        changed), bit for bit as if each array had been clipped in place."""
        names = tuple(grads)
        targets = []  # each parameter's array, updated in place (never re-assigned)
        for name in names:
            if name not in params:
                raise unknown_name("parameter (in grads)", name, params)
            p = params[name]
            g = np.asarray(grads[name])
            if g.shape != p.shape:
                raise ShapeError(
                    f"gradient of {name} must have the parameter's shape {p.shape}, got {g.shape}"
                )
            targets.append(p)
        dtypes = {p.dtype for p in targets}
        flat = None
        if len(names) > 1 and len(names) == len(params) and len(dtypes) == 1:
            (dtype,) = dtypes
            g = np.concatenate([grads[name] for name in names], axis=None, dtype=dtype)
            if scale is not None and scale != 1.0:
                with np.errstate(invalid="ignore", over="ignore"):  # inf · 0: checked next
                    g *= dtype.type(scale)
            if np.isfinite(g).all():
                flat = self._flat_state(names, tuple(p.shape for p in targets), dtype)
        if flat is None:  # one by one (and the first non-finite gradient named)
            if scale is not None and scale != 1.0:
                with np.errstate(invalid="ignore", over="ignore"):
                    grads = {
                        n: np.asarray(grads[n]) * p.dtype.type(scale)
                        for n, p in zip(names, targets)
                    }
            for name in names:
                check_finite(f"gradient of {name}", np.asarray(grads[name]))
            self._step_each(dict(zip(names, targets)), grads)
            return
        self.steps += 1
        theta = np.concatenate(targets, axis=None) if self.weight_decay else None
        delta = self._delta(g, flat.slots, theta)
        self._bind(flat)
        for p, (_, d) in zip(targets, flat.views(delta)):
            p -= d

    def _step_each(self, params, grads) -> None:
        """The update parameter by parameter (gradients already checked)."""
        self.steps += 1
        self._flat = None  # the flat state, if any, no longer describes every parameter
        for name, g in grads.items():
            p = params[name]
            state = self.state.get(name)
            fresh = state is None
            if fresh:
                state = self._new_state(p)
            p -= self._delta(np.asarray(g, dtype=p.dtype), state, p)
            if fresh and state:  # plain SGD keeps no state at all
                self.state[name] = state

    def _flat_state(self, names, shapes, dtype) -> _Flat | None:
        """The flat state for these parameters: the last one if it still is this
        optimiser's state, else gathered from the per-name state (fresh when there is
        none); None when the parameters' states cannot be one (some have state and some
        not, or Adam's step counts differ): then they are updated one by one."""
        flat = self._flat
        if (
            flat is not None
            and flat.names == names
            and flat.shapes == shapes
            and flat.dtype == dtype
            and all(self.state.get(n) is s for n, s in flat.bound.items())
        ):
            return flat
        ends = list(itertools.accumulate(math.prod(shape) for shape in shapes))
        bounds = list(zip([0, *ends[:-1]], ends))
        have = [self.state.get(name) for name in names]
        slots: dict[str, np.ndarray] = {}
        scalars = set()
        if all(h is None for h in have):  # each slot as _new_state makes it, all at once
            for slot, value in self._new_state(np.zeros(ends[-1], dtype)).items():
                if value.ndim == 0:
                    scalars.add(slot)
                    value = np.full(len(names), value, dtype)
                slots[slot] = value
        elif all(h is not None and h.keys() == have[0].keys() for h in have):
            for slot in have[0]:
                parts = [h[slot] for h in have]
                if parts[0].ndim == 0:
                    if len({float(t) for t in parts}) != 1:
                        return None  # a scalar the parameters do not share (stepped apart)
                    scalars.add(slot)
                slots[slot] = np.concatenate(parts, axis=None, dtype=dtype)
        else:
            return None
        flat = _Flat(names, shapes, dtype, bounds, slots, frozenset(scalars))
        self._flat = flat
        return flat

    def _bind(self, flat: _Flat) -> None:
        """Make every per-name state array a view into the flat state (slots this step
        created, such as SGD's first momentum buffer, included)."""
        if not flat.slots or (
            flat.bound and all(len(s) == len(flat.slots) for s in flat.bound.values())
        ):
            return
        for k, (name, (lo, hi), shape) in enumerate(zip(flat.names, flat.bounds, flat.shapes)):
            state = self.state.setdefault(name, {})
            for slot, array in flat.slots.items():
                # a scalar slot: a 0-d view of this parameter's entry
                scalar = slot in flat.scalars
                state[slot] = (
                    array[k : k + 1].reshape(()) if scalar else array[lo:hi].reshape(shape)
                )
            flat.bound[name] = state

    def _new_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """A parameter's state before its first update (none by default)."""
        return {}

    def _delta(self, g: np.ndarray, state: dict[str, np.ndarray], p) -> np.ndarray:
        raise NotImplementedError

    def _hyper(self) -> dict[str, Any]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: type, hyperparameters, step count and a
        copy of every per-parameter state array (plain numbers and numpy arrays)."""
        return {
            "type": type(self).__name__,
            "hyper": self._hyper(),
            "steps": self.steps,
            "state": {n: {k: v.copy() for k, v in s.items()} for n, s in self.state.items()},
        }

    def load_state_dict(
        self, state: Mapping[str, Any], params: Mapping[str, np.ndarray] | None = None
    ) -> None:
        """Restore from :meth:`state_dict` (hyperparameters included, as PyTorch does).

        Every state array must be finite real numbers with its slot's shape and range
        (``params``, when given, are the parameters the state will update: then every
        state belongs to one of them and has its shape and dtype). A bad state is a
        :class:`~gradsym.errors.CheckpointError` naming the slot, and leaves this
        optimiser untouched.
        """
        try:
            kind, hyper, steps, slots = (
                state["type"],
                state["hyper"],
                state["steps"],
                state["state"],
            )
        except (KeyError, TypeError) as exc:
            raise CheckpointError(
                "optimiser state must have keys 'type', 'hyper', 'steps', 'state'"
            ) from exc
        if kind != type(self).__name__:
            raise CheckpointError(
                f"optimiser state is for {kind}, cannot load it into {type(self).__name__}"
            )
        # Build a fresh optimiser from the saved hyperparameters first, so that a bad
        # state leaves this one untouched.
        try:
            fresh = type(self)(**dict(hyper))
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"bad hyperparameters for {kind}: {hyper!r} ({exc})") from exc
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise CheckpointError(f"optimiser step count must be an integer >= 0, got {steps!r}")
        if not isinstance(slots, Mapping):
            raise CheckpointError(f"optimiser state must map names to slots, got {slots!r}")
        new_state = {}
        for name, s in slots.items():
            if params is not None and name not in params:
                raise CheckpointError(
                    f"optimiser state for {name!r}, which is not a parameter"
                    f"{did_you_mean(name, params)}"
                )
            if not isinstance(s, Mapping) or set(s) != set(fresh._slots):
                got = sorted(s) if isinstance(s, Mapping) else s
                raise CheckpointError(
                    f"state of {name!r} must hold {sorted(fresh._slots)}, got {got}"
                )
            new_state[name] = {}
            for slot, value in s.items():
                a = np.array(value, copy=True)
                where = f"optimiser state {name}/{slot}"
                if a.dtype.kind != "f":
                    raise CheckpointError(
                        f"{where} must be finite real numbers, got dtype {a.dtype}"
                    )
                if not np.isfinite(a).all():  # one entry named, not the whole array
                    at = [int(i) for i in np.argwhere(~np.isfinite(a))[0]]
                    raise CheckpointError(
                        f"{where} must be finite real numbers, got {a[tuple(at)]} at {at}"
                    )
                if params is not None:
                    p = params[name]
                    want = fresh._slot_shape(slot, p)
                    if a.shape != want or a.dtype != p.dtype:
                        raise CheckpointError(
                            f"{where} must have shape {want} (dtype {p.dtype}) like its "
                            f"parameter, got shape {a.shape} (dtype {a.dtype})"
                        )
                problem = fresh._slot_problem(slot, a)
                if problem:
                    raise CheckpointError(f"{where}: {problem}")
                new_state[name][slot] = a
        self.__dict__.update(fresh.__dict__)
        self.steps = int(steps)
        self.state = new_state

    def _slot_shape(self, slot: str, p: np.ndarray) -> tuple[int, ...]:
        """The shape state ``slot`` of parameter ``p`` has (the parameter's, by default)."""
        return p.shape

    def _slot_problem(self, slot: str, value: np.ndarray) -> str | None:
        """What is wrong with the (finite) value of state ``slot``, or None."""
        return None


class SGD(Optimiser):
    """Stochastic gradient descent with optional (Nesterov) momentum, as ``torch.optim.SGD``.

    With g = ∇θ + λθ (weight decay λ), momentum μ and buffer b (b₁ = g at the first step)::

        b ← μ b + g
        d = g + μ b   (Nesterov)   or   d = b   (classical)   or   d = g   (μ = 0)
        θ ← θ − α d
    """

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        *,
        weight_decay: float = 0.0,
    ):
        super().__init__(lr, weight_decay)
        self.momentum = number("momentum", momentum, low=0, high=1)
        self.nesterov = boolean("nesterov", nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise InvalidValueError("nesterov=True needs momentum > 0, got momentum=0")
        self._slots = ("momentum_buffer",) if self.momentum else ()

    def _hyper(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def _delta(self, g: np.ndarray, state: dict[str, np.ndarray], p) -> np.ndarray:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first update: b₁ = g
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        return self.lr * g


class Adam(Optimiser):
    """Adam (Kingma & Ba 2015), as ``torch.optim.Adam`` (L2 weight decay, no AMSGrad).

    At step t, with g = ∇θ + λθ::

        m ← m + (1 − β₁)(g − m)            (= β₁ m + (1 − β₁) g, PyTorch's lerp)
        v ← β₂ v + (1 − β₂) g∘g
        θ ← θ − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)

    The step count t is per parameter, as in PyTorch.
    """

    _slots = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        *,
        weight_decay: float = 0.0,
    ):
        super().__init__(lr, weight_decay)
        if len(betas) != 2:
            raise InvalidValueError(f"betas must be a pair (β₁, β₂), got {betas!r}")
        self.betas = (
            number("betas[0]", betas[0], low=0, high=1),
            number("betas[1]", betas[1], low=0, high=1),
        )
        self.eps = number("eps", eps, low=0)

    def _hyper(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def _slot_shape(self, slot: str, p: np.ndarray) -> tuple[int, ...]:
        return () if slot == "step" else p.shape

    def _slot_problem(self, slot: str, value: np.ndarray) -> str | None:
        # t counts this parameter's updates; v is a mean of squares (√v needs v ≥ 0).
        if slot == "step" and not (value >= 1 and value == np.floor(value)).all():
            return f"the step count t must be a whole number >= 1, got {value!r}"
        if slot == "exp_avg_sq" and (value < 0).any():
            return "the second-moment estimate v must be >= 0 (√v is taken)"
        return None

    def _new_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "step": np.array(0.0, p.dtype),  # the parameter's dtype, as all its state
            "exp_avg": np.zeros_like(p),
            "exp_avg_sq": np.zeros_like(p),
        }

    def _delta(self, g: np.ndarray, state: dict[str, np.ndarray], p) -> np.ndarray:
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p
        state["step"] += 1.0
        t = float(state["step"].flat[0])  # a flat state's counts are all equal
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - b1) * (g - m)
        v *= b2
        v += (1.0 - b2) * (g * g)
        step_size = self.lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + self.eps
        return step_size * (m / denom)
