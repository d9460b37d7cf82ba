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

Parameters may be views into fused storage (as the cells' are); they are written with
in-place operations so the views stay views. A name with no gradient is skipped (as a
PyTorch parameter whose ``.grad`` is None). Gradients must be finite: a NaN or inf
gradient raises :class:`NonFiniteError` before any parameter is touched (PyTorch would
write NaN into the weights; clip first, or skip the step).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


class Optimiser:
    """Shared machinery: the learning rate, argument checks, the step counter, state I/O.

    Subclasses define ``_hyper()`` (their constructor arguments as a dict),
    ``_slots`` (names of per-parameter state arrays) and ``_update(name, p, g)``.
    """

    _slots: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr = lr
        self.weight_decay = number("weight_decay", weight_decay, low=0)
        self.steps = 0
        # name → {slot → array}; created lazily at a parameter's first update.
        self.state: dict[str, dict[str, np.ndarray]] = {}

    @property
    def lr(self) -> float:
        """The learning rate α (settable, e.g. by a schedule; must stay > 0)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_number("lr", value)

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """One update of every parameter that has a gradient, in place."""
        for name, g in grads.items():
            if name not in params:
                raise unknown_name("parameter (in grads)", name, params)
            p = params[name]
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ShapeError(
                    f"gradient of {name} must have the parameter's shape {p.shape}, got {g.shape}"
                )
            check_finite(f"gradient of {name}", g)
        self.steps += 1
        for name, g in grads.items():
            self._update(name, params[name], np.asarray(g, dtype=params[name].dtype))

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
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
                    if a.shape != want or (a.shape == p.shape and a.dtype != p.dtype):
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

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            slot = self.state.get(name)
            if slot is None:
                buf = g.copy()
                self.state[name] = {"momentum_buffer": buf}
            else:
                buf = slot["momentum_buffer"]
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


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

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p
        slot = self.state.get(name)
        if slot is None:
            slot = {
                "step": np.array(0.0),
                "exp_avg": np.zeros_like(p),
                "exp_avg_sq": np.zeros_like(p),
            }
            self.state[name] = slot
        slot["step"] += 1.0
        t = float(slot["step"])
        m, v = slot["exp_avg"], slot["exp_avg_sq"]
        m += (1.0 - b1) * (g - m)
        v *= b2
        v += (1.0 - b2) * (g * g)
        step_size = self.lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + self.eps
        p -= step_size * (m / denom)
