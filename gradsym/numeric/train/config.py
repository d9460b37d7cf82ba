"""The configuration of a training run: :class:`TrainConfig`, checked on construction,
with a JSON round trip.

Every option is a field of the dataclass; the command line (``gradsym train``) and the
resume guard derive their option lists from :func:`dataclasses.fields`, never from a
list kept by hand. A field marked ``resumable`` in its metadata may change when a run is
resumed from a checkpoint: it does not change the numbers of the steps already taken nor
of the ones to come (:data:`RESUMABLE_CHANGES`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradsym.cells import registry
from gradsym.cells.builtin import PRESETS
from gradsym.errors import InvalidValueError, did_you_mean
from gradsym.numeric.cells.factory import declared_cell_names
from gradsym.numeric.nets.network import Truncation
from gradsym.numeric.optim.clipping import MODES as NORM_MODES
from gradsym.numeric.optim.initialisers import RECURRENT_SCHEMES, SPARSE_NONZEROS
from gradsym.numeric.train.tasks import Task, make_task
from gradsym.validate import (
    boolean,
    check_memory,
    choice,
    nonnegative_int,
    number,
    positive_int,
    positive_number,
)

__all__ = [
    "CELLS",
    "CLIP_MODES",
    "DTYPES",
    "OPTIMISERS",
    "RESUMABLE_CHANGES",
    "TrainConfig",
    "build_task",
]

#: The built-in cells training builds (the registry's cells with a NumPy cell) and the
#: presets of them (irnn: the ReLU RNN, W_h initialised to I); a cell declared by its
#: equations is accepted by its name as well.
CELLS: tuple[str, ...] = (
    *(e.name for e in registry.entries(["builtin"]) if e.numpy is not None),
    *PRESETS,
)
OPTIMISERS = ("sgd", "adam")
CLIP_MODES = ("norm", "value")
#: The floating-point types a run computes in: float64, the exact reference (the default),
#: and float32.
DTYPES = ("float64", "float32")

# Metadata of the fields that may change on resume.
_RESUMABLE = {"resumable": True}
# Metadata of a field added after runs were first recorded (sweep databases, run keys):
# the value every earlier run computed with, which the field's absence means.
_EARLIER = "earlier"


@dataclass
class TrainConfig:
    """Everything that defines a training run (JSON round-trip: :meth:`to_dict`,
    :meth:`from_dict`). Checked on construction and by :meth:`validate`; every error
    names the option.

    Model: ``cell`` a declared cell's name (``gradsym.cell_from_equations``; its roles
    decide whether forget_bias / update_bias apply) or "rnn" (``activation`` tanh, sigmoid, relu or identity; default tanh),
    "irnn" (ReLU RNN with identity-initialised W_h, Le et al. 2015), "lstm" (``peephole``,
    ``forget_gate``) or "gru" (``variant`` "textbook", "minimal" or "torch"); ``layers``
    stacked cells of ``hidden`` units, ``residual`` skip connections between them; a
    linear output layer and the task's loss on top.

    Task: ``task`` a name of :func:`~gradsym.numeric.train.tasks.make_task` and
    ``task_kwargs`` its arguments (``{"length": 50}``, ``{"delay": 5}``, …).

    Initialisation (:func:`~gradsym.numeric.optim.initialisers.initialise`): ``init`` the
    scheme of the recurrent matrices ("uniform", "orthogonal", "identity", "gaussian";
    default "identity" for irnn, "orthogonal" otherwise), ``gain``, ``forget_bias`` (LSTM),
    ``update_bias`` (GRU; opens the carry path in either convention),
    ``spectral_radius`` / ``spectral_norm`` (rescale each recurrent block); ``init``
    "sparse" is Pascanu et al.'s sparse initialisation, ``nonzeros`` weights per unit
    (default 15), spectral radius 0.95 unless given.

    Optimisation: ``optimiser`` "sgd" (``momentum``) or "adam", learning rate ``lr``;
    ``clip`` a threshold or None, ``clip_mode`` "norm" (Algorithm 1) or "value",
    ``norm_mode`` "algorithm1" or "torch" (PyTorch's ``clip_grad_norm_``);
    ``truncation`` None (full BPTT), k or (k1, k2); ``batch`` sequences per step,
    ``steps`` steps; ``omega`` the weight λ of Pascanu et al.'s regulariser Ω (0: off;
    rnn and irnn cells, one layer, full BPTT; see
    :mod:`~gradsym.numeric.optim.regularisers`).

    Precision: ``dtype`` "float64" (the default: the exact reference every check of the
    notes is made in) or "float32": parameters, the task's batches, every array of the
    forward and backward passes, the optimiser's state, clipping, the regulariser and the
    checkpoints in that type. A float32 run starts from the float64 run's initial weights
    rounded and sees its sequences rounded (the same draws of the same generators).

    Bookkeeping: evaluate every ``eval_every`` steps on ``eval_batch`` fresh sequences,
    checkpoint every ``checkpoint_every`` steps, log every ``log_every`` steps; every
    ``analysis_every`` steps (None: never) log the largest Lyapunov exponent λ₁ and the
    lag-50 norm ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻⁵⁰⁾‖₂ on fresh sequences
    (:func:`~gradsym.numeric.analysis.probe.probe`); ``seed``; ``recovery_factor`` (lr
    multiplier on recovery) and ``max_recoveries``.
    """

    cell: str = "lstm"
    task: str = "adding"
    task_kwargs: dict[str, Any] = field(default_factory=dict)
    hidden: int = 16
    layers: int = 1
    residual: bool = False
    activation: str | None = None
    variant: str = "textbook"
    peephole: bool = False
    forget_gate: bool = True
    init: str | None = None
    gain: float = 1.0
    forget_bias: float | None = None
    update_bias: float | None = None
    spectral_radius: float | None = None
    spectral_norm: float | None = None
    nonzeros: int | None = None
    optimiser: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.0
    clip: float | None = 1.0
    clip_mode: str = "norm"
    norm_mode: str = "algorithm1"
    truncation: int | tuple[int, int] | None = None
    omega: float = 0.0
    dtype: str = field(default="float64", metadata={_EARLIER: "float64"})
    batch: int = 32
    steps: int = field(default=1000, metadata=_RESUMABLE)
    eval_every: int = field(default=100, metadata=_RESUMABLE)
    eval_batch: int = field(default=256, metadata=_RESUMABLE)
    checkpoint_every: int = field(default=100, metadata=_RESUMABLE)
    log_every: int = field(default=1, metadata=_RESUMABLE)
    analysis_every: int | None = field(default=None, metadata=_RESUMABLE)
    seed: int = 0
    recovery_factor: float = 0.5
    max_recoveries: int = 5

    def __post_init__(self) -> None:
        self.validate()

    # -- resolved values ---------------------------------------------------------------

    @property
    def resolved_activation(self) -> str:
        """The RNN's activation: ``activation``, or relu for irnn and tanh for rnn."""
        if self.activation is not None:
            return self.activation
        if self.cell in PRESETS:
            return PRESETS[self.cell].variant
        return registry.get("rnn").default_variant

    @property
    def resolved_init(self) -> str:
        """The recurrent initialiser: ``init``, or identity for irnn, orthogonal otherwise."""
        if self.init is not None:
            return self.init
        if self.cell in PRESETS:
            return PRESETS[self.cell].init
        return registry.get(self.cell).default_init

    @property
    def resolved_nonzeros(self) -> int:
        """Non-zero weights per unit of the sparse initialiser: ``nonzeros``, or 15."""
        return SPARSE_NONZEROS if self.nonzeros is None else self.nonzeros

    @property
    def cell_variant(self) -> tuple[str, str]:
        """The (name, variant) of :func:`~gradsym.numeric.cells.factory.make_cell` that
        builds each layer: irnn is the relu RNN, the LSTM's switches name its variant."""
        if self.cell in PRESETS:
            return PRESETS[self.cell].cell, self.resolved_activation
        if self.declared:
            return self.cell, None
        entry = registry.get(self.cell)
        return self.cell, entry.variant_of(*(getattr(self, o) for o in entry.options))

    @property
    def np_dtype(self) -> np.dtype:
        """``dtype`` as a NumPy dtype."""
        return np.dtype(self.dtype)

    @property
    def declared(self) -> bool:
        """Whether ``cell`` names a cell declared by its equations (not a built-in)."""
        return self.cell not in CELLS

    # -- checks ------------------------------------------------------------------------

    def validate(self) -> TrainConfig:
        """Check every option (and that the task can be built); returns ``self``."""
        if self.cell not in CELLS:
            choice("cell", self.cell, CELLS + declared_cell_names())
        if self.activation is not None:
            choice("activation", self.activation, registry.get("rnn").variants)
            self._option_applies("activation")
            preset = PRESETS.get(self.cell)
            if preset is not None and self.activation != preset.variant:
                raise InvalidValueError(
                    f"the {self.cell} cell is the {preset.description}; activation must be "
                    f"{preset.variant!r}, got {self.activation!r} (use cell {preset.cell!r} "
                    "for other activations)"
                )
        choice("GRU variant", self.variant, registry.get("gru").variants)
        if self.variant != registry.get("gru").default_variant:
            self._option_applies("variant")
        boolean("peephole", self.peephole)
        boolean("forget_gate", self.forget_gate)
        if self.peephole or not self.forget_gate:
            self._option_applies("peephole", "forget_gate")
        positive_int("hidden", self.hidden)
        positive_int("layers", self.layers)
        boolean("residual", self.residual)
        if self.residual and self.layers < 2:
            raise InvalidValueError(
                f"residual connections join stacked layers; they need layers >= 2, got "
                f"layers = {self.layers}"
            )
        if self.init is not None:
            choice("init (recurrent initialiser)", self.init, RECURRENT_SCHEMES)
        positive_number("gain", self.gain)
        if self.forget_bias is not None:
            number("forget_bias", self.forget_bias)
            if not self.declared and (self.cell != "lstm" or not self.forget_gate):
                raise InvalidValueError(
                    "forget_bias needs an LSTM with a forget gate, got cell "
                    f"{self.cell!r}" + ("" if self.forget_gate else " without forget gate")
                )
        if self.update_bias is not None:
            number("update_bias", self.update_bias)
            if self.cell != "gru" and not self.declared:
                raise InvalidValueError(f"update_bias needs the gru cell, got {self.cell!r}")
        if self.spectral_radius is not None and self.spectral_norm is not None:
            raise InvalidValueError("give spectral_radius or spectral_norm, not both")
        if self.spectral_radius is not None:
            positive_number("spectral_radius", self.spectral_radius)
        if self.spectral_norm is not None:
            positive_number("spectral_norm", self.spectral_norm)
        if self.nonzeros is not None:
            positive_int("nonzeros (per unit, sparse init)", self.nonzeros)
            if self.resolved_init != "sparse":
                raise InvalidValueError(
                    f"nonzeros applies to init 'sparse', not to {self.resolved_init!r}"
                )
        if self.resolved_init == "sparse" and self.resolved_nonzeros > self.hidden:
            raise InvalidValueError(
                f"init 'sparse' puts nonzeros = {self.resolved_nonzeros} weights on each unit "
                f"but hidden = {self.hidden}; give nonzeros <= hidden"
            )
        choice("optimiser", self.optimiser, OPTIMISERS)
        positive_number("lr (learning rate)", self.lr)
        number("momentum", self.momentum, low=0.0, high=1.0)
        if self.momentum and self.optimiser != "sgd":
            raise InvalidValueError(
                f"momentum applies to the sgd optimiser, not to {self.optimiser!r}"
            )
        if self.clip is not None:
            positive_number("clip (threshold)", self.clip)
        choice("clip_mode", self.clip_mode, CLIP_MODES)
        choice("norm_mode (norm clipping)", self.norm_mode, NORM_MODES)
        if isinstance(self.truncation, list):
            self.truncation = tuple(self.truncation)
        Truncation.parse(self.truncation)
        number("omega (weight of the regulariser)", self.omega, low=0.0)
        choice("dtype", self.dtype, DTYPES)
        if self.omega:
            if self.cell not in ("rnn", "irnn") or self.layers != 1:
                raise InvalidValueError(
                    "omega (Pascanu et al.'s regulariser) needs a one-layer rnn or irnn, got "
                    f"cell {self.cell!r} with {self.layers} layer(s)"
                )
            if self.truncation is not None:
                raise InvalidValueError("omega needs full BPTT (truncation None)")
        for name in ("batch", "steps", "eval_every", "eval_batch", "checkpoint_every", "log_every"):
            positive_int(name, getattr(self, name))
        if self.analysis_every is not None:
            positive_int("analysis_every", self.analysis_every)
        nonnegative_int("seed", self.seed)
        number("recovery_factor", self.recovery_factor, low=0.0, high=1.0, low_open=True)
        nonnegative_int("max_recoveries", self.max_recoveries)
        if not isinstance(self.task_kwargs, Mapping):
            raise InvalidValueError(
                f"task_kwargs must be a dict of the task's arguments, got "
                f"{type(self.task_kwargs).__name__}"
            )
        task = build_task(self)
        check_memory(
            f"hidden = {self.hidden}, layers = {self.layers}, length = {task.length}, "
            f"batch = {self.batch} and eval_batch = {self.eval_batch}",
            self.memory_bytes(task),
        )
        return self

    def _option_applies(self, *options: str) -> None:
        """Refuse options that do not choose a variant of ``cell`` (the registry's
        ``options`` of each cell, a preset's of its cell)."""
        owners = [
            name
            for name in CELLS
            if options[0] in registry.get(PRESETS[name].cell if name in PRESETS else name).options
        ]
        if self.cell not in owners:
            what = " and ".join(options) + (" apply" if len(options) > 1 else " applies")
            kind = " and ".join(owners) + (" cells" if len(owners) > 1 else " cell")
            raise InvalidValueError(f"{what} to the {kind}, not to {self.cell!r}")

    def memory_bytes(self, task: Task | None = None) -> int:
        """The memory the run needs, estimated from above, in bytes (float64): the
        parameters of at most four gates per layer (weights, gradients, the optimiser's
        two moments, the recovery checkpoint, the clipped copy) and, for the larger of a
        training and an evaluation batch, the inputs and every step's states and gates
        that backpropagation through time keeps (16 vectors of n per step and layer)."""
        task = build_task(self) if task is None else task
        n, d, k = self.hidden, int(task.input_size), int(task.output_size)
        steps = int(task.length) + int(task.length) // 10 + 1  # a varied length: up to +10 %
        weights = self.layers * 4 * n * (n + max(n, d) + 1) + (n + 1) * k
        per_step = d + k + self.layers * 16 * n
        return 8 * (6 * weights + steps * max(self.batch, self.eval_batch) * per_step)

    # -- JSON --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (the truncation pair becomes a list)."""
        d = dataclasses.asdict(self)
        if isinstance(d["truncation"], tuple):
            d["truncation"] = list(d["truncation"])
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        """The inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        if not isinstance(d, Mapping):
            raise InvalidValueError(f"a config must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        extra = sorted(set(d) - known)
        if extra:
            hints = "".join(did_you_mean(k, known) for k in extra)
            raise InvalidValueError(f"unknown config option(s): {', '.join(extra)}{hints}")
        d = dict(d)
        if isinstance(d.get("truncation"), list):
            d["truncation"] = tuple(d["truncation"])
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidValueError(f"config is not valid JSON: {exc}") from exc
        return cls.from_dict(d)

    def replace(self, **changes) -> TrainConfig:
        """A checked copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


#: Fields added after runs were first recorded, with the value that every earlier run had:
#: a run's key leaves a field out at that value (see :func:`earlier_form`).
EARLIER_VALUES: dict[str, Any] = {
    f.name: f.metadata[_EARLIER] for f in dataclasses.fields(TrainConfig) if _EARLIER in f.metadata
}


def earlier_form(data: Mapping[str, Any]) -> dict[str, Any]:
    """A config's dict (:meth:`TrainConfig.to_dict`) without the fields added later that
    hold the value every earlier run had (``dtype`` "float64"): the form a run's key and
    a sweep database's comparison read, so that the runs recorded before a field existed
    are the same runs as the ones it now describes (they computed exactly that)."""
    return {k: v for k, v in data.items() if not (k in EARLIER_VALUES and v == EARLIER_VALUES[k])}


#: The options that may differ between a checkpoint and the run resuming from it.
RESUMABLE_CHANGES: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(TrainConfig) if f.metadata.get("resumable")
)


def build_task(config: TrainConfig) -> Task:
    """The task of ``config`` (UnknownNameError / InvalidValueError for bad names/sizes)."""
    return make_task(config.task, **dict(config.task_kwargs))
