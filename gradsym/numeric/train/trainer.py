"""Training recurrent networks on the long-range tasks, with the notes' fixes switchable.

The fixes for exploding and vanishing gradients are options of :class:`TrainConfig`:
norm or value clipping (Algorithm 1 of the notes; Pascanu, Mikolov & Bengio 2013),
truncated BPTT (TBPTT(k1, k2)), orthogonal and identity initialisation (Saxe et al. 2014;
the IRNN of Le, Jaitly & Hinton 2015: ReLU with W_h = I), a forget-gate bias (Gers,
Schmidhuber & Cummins 2000; Jozefowicz et al. 2015) and an update-gate bias, gated cells
(LSTM, Hochreiter & Schmidhuber 1997; GRU, Cho et al. 2014) and residual connections
between stacked layers.

One training step, with θ every parameter of the :class:`~gradsym.numeric.nets.network.Network`:

    (x, y) ~ task                          a fresh minibatch, x (T, B, d)
    L, ĝ = loss_and_grads(x, y)            full BPTT or TBPTT(k1, k2)
    ‖ĝ‖ logged, then ĝ ← clip(ĝ)           by norm (Algorithm 1) or by value
    θ ← optimiser(θ, ĝ)                    SGD (with momentum) or Adam

:class:`Trainer` runs the steps and keeps a run folder::

    config.json      the TrainConfig
    metrics.jsonl    one JSON object per step: step, loss, grad_norm (before clipping),
                     clipped, lr, and eval_loss / eval_accuracy when evaluated; events
                     (a recovery) as lines of their own with an "event" key
    checkpoint.npz   the latest checkpoint (see :mod:`gradsym.numeric.train.checkpoint`)
    summary.json     written when the run finishes

Reproducibility. Three generators come from ``np.random.SeedSequence(seed).spawn(3)``:
initialisation, training data and evaluation. Evaluation data at step s is drawn from
``SeedSequence(seed, spawn_key=(2, s))``, so it does not depend on whether the run was
interrupted. A checkpoint holds the parameters, the optimiser's state, the data
generator's ``bit_generator.state``, the step, the learning rate and the recovery log,
so stopping at step k and resuming gives bitwise the same parameters at the end as an
uninterrupted run.

Recovery from a non-finite loss or gradient (the notes: "then you have to restart
training from an earlier checkpoint"): the trainer rolls back to the last good checkpoint
(kept in memory, and on disk), multiplies the learning rate by ``recovery_factor``, logs a
``recovery`` event and goes on; after ``max_recoveries`` it gives up with a
:class:`~gradsym.errors.NonFiniteError`. The rolled-back steps are replayed on the same
batches (the data generator is part of the checkpoint).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradsym.errors import (
    CheckpointError,
    GradsymError,
    InvalidValueError,
    NonFiniteError,
    unknown_name,
)
from gradsym.numeric.cells.activations import ACTIVATIONS
from gradsym.numeric.cells.gru import GRU, VARIANTS
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network, Truncation
from gradsym.numeric.nets.stacked import Stacked
from gradsym.numeric.optim.clipping import MODES as NORM_MODES
from gradsym.numeric.optim.clipping import TORCH_EPS, Clipper, by_norm, by_value, global_norm
from gradsym.numeric.optim.initialisers import RECURRENT_SCHEMES, initialise
from gradsym.numeric.optim.optimisers import SGD, Adam, Optimiser
from gradsym.numeric.train.checkpoint import Checkpoint, file_mode, load_checkpoint, save_checkpoint
from gradsym.numeric.train.tasks import Task, make_task
from gradsym.validate import check_threshold, positive_int

__all__ = [
    "CELLS",
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "METRICS_FILE",
    "OPTIMISERS",
    "SUMMARY_FILE",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "build_network",
    "build_task",
    "inject_nonfinite",
    "read_metrics",
    "train",
]

CELLS = ("rnn", "irnn", "lstm", "gru")
OPTIMISERS = ("sgd", "adam")
CLIP_MODES = ("norm", "value")

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.npz"
SUMMARY_FILE = "summary.json"

# Options that may differ between a checkpoint and the run resuming from it: they do
# not change the numbers of the steps already taken (nor of the ones to come).
RESUMABLE_CHANGES = ("steps", "eval_every", "eval_batch", "checkpoint_every", "log_every")

# The evaluation stream's spawn key: (0,) is initialisation, (1,) training data.
_EVAL_KEY = 2

GradientHook = Callable[[int, dict[str, np.ndarray]], "dict[str, np.ndarray] | None"]


# -- configuration ---------------------------------------------------------------------------


def _number(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """A finite float within the given bounds, or an InvalidValueError naming ``name``."""
    if isinstance(value, bool):
        raise InvalidValueError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{name} must be a number, got {value!r}") from None
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        rng = " and ".join(s for s in (lo, hi) if s) or "finite"
        raise InvalidValueError(f"{name} must be a finite number {rng}, got {value!r}")
    return v


def _choice(kind: str, value, known) -> str:
    if not isinstance(value, str) or value not in known:
        raise unknown_name(kind, value, known)
    return value


@dataclass
class TrainConfig:
    """Everything that defines a training run (JSON round-trip: :meth:`to_dict`,
    :meth:`from_dict`). Checked on construction and by :meth:`validate`; every error
    names the option.

    Model: ``cell`` "rnn" (``activation`` tanh, sigmoid, relu or identity; default tanh),
    "irnn" (ReLU RNN with identity-initialised W_h, Le et al. 2015), "lstm" (``peephole``,
    ``forget_gate``) or "gru" (``variant`` "textbook", "minimal" or "torch"); ``layers``
    stacked cells of ``hidden`` units, ``residual`` skip connections between them; a
    linear output layer and the task's loss on top.

    Task: ``task`` a name of :func:`~gradsym.numeric.train.tasks.make_task` and ``task_kwargs``
    its arguments (``{"length": 50}``, ``{"delay": 5}``, …).

    Initialisation (:func:`~gradsym.numeric.optim.initialisers.initialise`): ``init`` the scheme
    of the recurrent matrices ("uniform", "orthogonal", "identity", "gaussian"; default
    "identity" for irnn, "orthogonal" otherwise), ``gain``, ``forget_bias`` (LSTM),
    ``update_bias`` (GRU; opens the carry path in either convention),
    ``spectral_radius`` / ``spectral_norm`` (rescale each recurrent block).

    Optimisation: ``optimiser`` "sgd" (``momentum``) or "adam", learning rate ``lr``;
    ``clip`` a threshold or None, ``clip_mode`` "norm" (Algorithm 1) or "value",
    ``norm_mode`` "algorithm1" or "torch" (PyTorch's ``clip_grad_norm_``);
    ``truncation`` None (full BPTT), k or (k1, k2); ``batch`` sequences per step,
    ``steps`` steps.

    Bookkeeping: evaluate every ``eval_every`` steps on ``eval_batch`` fresh sequences,
    checkpoint every ``checkpoint_every`` steps, log every ``log_every`` steps; ``seed``;
    ``recovery_factor`` (lr multiplier on recovery) and ``max_recoveries``.
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
    optimiser: str = "adam"
    lr: float = 1e-2
    momentum: float = 0.0
    clip: float | None = 1.0
    clip_mode: str = "norm"
    norm_mode: str = "algorithm1"
    truncation: int | tuple[int, int] | None = None
    batch: int = 32
    steps: int = 1000
    eval_every: int = 100
    eval_batch: int = 256
    checkpoint_every: int = 100
    log_every: int = 1
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
        return "relu" if self.cell == "irnn" else "tanh"

    @property
    def resolved_init(self) -> str:
        """The recurrent initialiser: ``init``, or identity for irnn, orthogonal otherwise."""
        if self.init is not None:
            return self.init
        return "identity" if self.cell == "irnn" else "orthogonal"

    # -- checks ------------------------------------------------------------------------

    def validate(self) -> TrainConfig:
        """Check every option (and that the task can be built); returns ``self``."""
        _choice("cell", self.cell, CELLS)
        if self.activation is not None:
            _choice("activation", self.activation, ACTIVATIONS)
            if self.cell not in ("rnn", "irnn"):
                raise InvalidValueError(
                    f"activation applies to the rnn and irnn cells, not to {self.cell!r}"
                )
            if self.cell == "irnn" and self.activation != "relu":
                raise InvalidValueError(
                    f"the irnn cell is the ReLU RNN of Le et al. 2015; activation must be "
                    f"'relu', got {self.activation!r} (use cell 'rnn' for other activations)"
                )
        _choice("GRU variant", self.variant, VARIANTS)
        if self.variant != "textbook" and self.cell != "gru":
            raise InvalidValueError(f"variant applies to the gru cell, not to {self.cell!r}")
        if (self.peephole or not self.forget_gate) and self.cell != "lstm":
            raise InvalidValueError(
                f"peephole and forget_gate apply to the lstm cell, not to {self.cell!r}"
            )
        positive_int("hidden", self.hidden)
        positive_int("layers", self.layers)
        if self.residual and self.layers < 2:
            raise InvalidValueError(
                f"residual connections join stacked layers; they need layers >= 2, got "
                f"layers = {self.layers}"
            )
        if self.init is not None:
            _choice("init (recurrent initialiser)", self.init, RECURRENT_SCHEMES)
        check_threshold("gain", self.gain)
        if self.forget_bias is not None:
            _number("forget_bias", self.forget_bias)
            if self.cell != "lstm" or not self.forget_gate:
                raise InvalidValueError(
                    "forget_bias needs an LSTM with a forget gate, got cell "
                    f"{self.cell!r}" + ("" if self.forget_gate else " without forget gate")
                )
        if self.update_bias is not None:
            _number("update_bias", self.update_bias)
            if self.cell != "gru":
                raise InvalidValueError(f"update_bias needs the gru cell, got {self.cell!r}")
        if self.spectral_radius is not None and self.spectral_norm is not None:
            raise InvalidValueError("give spectral_radius or spectral_norm, not both")
        if self.spectral_radius is not None:
            check_threshold("spectral_radius", self.spectral_radius)
        if self.spectral_norm is not None:
            check_threshold("spectral_norm", self.spectral_norm)
        _choice("optimiser", self.optimiser, OPTIMISERS)
        check_threshold("lr (learning rate)", self.lr)
        _number("momentum", self.momentum, low=0.0, high=1.0)
        if self.momentum and self.optimiser != "sgd":
            raise InvalidValueError(
                f"momentum applies to the sgd optimiser, not to {self.optimiser!r}"
            )
        if self.clip is not None:
            check_threshold("clip (threshold)", self.clip)
        _choice("clip_mode", self.clip_mode, CLIP_MODES)
        _choice("norm_mode (norm clipping)", self.norm_mode, NORM_MODES)
        if isinstance(self.truncation, list):
            self.truncation = tuple(self.truncation)
        Truncation.parse(self.truncation)
        for name in ("batch", "steps", "eval_every", "eval_batch", "checkpoint_every", "log_every"):
            positive_int(name, getattr(self, name))
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, (int, np.integer))
            or (self.seed < 0)
        ):
            raise InvalidValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        _number("recovery_factor", self.recovery_factor, low=0.0, high=1.0, low_open=True)
        if (
            isinstance(self.max_recoveries, bool)
            or not isinstance(self.max_recoveries, (int, np.integer))
            or self.max_recoveries < 0
        ):
            raise InvalidValueError(
                f"max_recoveries must be an integer >= 0, got {self.max_recoveries!r}"
            )
        if not isinstance(self.task_kwargs, Mapping):
            raise InvalidValueError(
                f"task_kwargs must be a dict of the task's arguments, got "
                f"{type(self.task_kwargs).__name__}"
            )
        build_task(self)
        return self

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
            raise InvalidValueError(f"unknown config option(s): {', '.join(extra)}")
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


# -- building the model ----------------------------------------------------------------------


def build_task(config: TrainConfig) -> Task:
    """The task of ``config`` (UnknownNameError / InvalidValueError for bad names/sizes)."""
    return make_task(config.task, **dict(config.task_kwargs))


def _cell(config: TrainConfig, input_size: int):
    n = config.hidden
    if config.cell in ("rnn", "irnn"):
        return RNN(input_size, n, config.resolved_activation)
    if config.cell == "lstm":
        return LSTM(input_size, n, peephole=config.peephole, forget_gate=config.forget_gate)
    return GRU(input_size, n, variant=config.variant)


def build_network(config: TrainConfig, task: Task, rng: np.random.Generator) -> Network:
    """The network of ``config`` for ``task``: ``layers`` cells initialised with
    :func:`~gradsym.numeric.optim.initialisers.initialise` (drawing from ``rng`` in layer
    order), stacked if more than one, a :class:`~gradsym.numeric.nets.losses.Linear` output
    layer (also from ``rng``) and the task's loss, scored at the last step (target
    "last") or at every step ("every")."""
    cells = []
    for layer in range(config.layers):
        cell = _cell(config, task.input_size if layer == 0 else config.hidden)
        initialise(
            cell,
            config.resolved_init,
            rng=rng,
            gain=config.gain,
            forget_bias=config.forget_bias,
            update_bias=config.update_bias,
            spectral_radius=config.spectral_radius,
            spectral_norm=config.spectral_norm,
        )
        cells.append(cell)
    model = cells[0] if len(cells) == 1 else Stacked(cells, residual=config.residual)
    output = Linear(config.hidden, task.output_size, rng=rng)
    where = "last" if task.target == "last" else "all"
    return Network(model, output, loss=task.loss, where=where)


def _optimiser(config: TrainConfig) -> Optimiser:
    if config.optimiser == "sgd":
        return SGD(config.lr, momentum=config.momentum)
    return Adam(config.lr)


def _clipper(config: TrainConfig) -> Clipper | None:
    if config.clip is None:
        return None
    if config.clip_mode == "value":
        return by_value(config.clip, in_place=True)
    return by_norm(config.clip, mode=config.norm_mode, in_place=True)


# -- hooks -----------------------------------------------------------------------------------


def inject_nonfinite(
    step: int, name: str | None = None, value: float = math.nan, times: int = 1
) -> GradientHook:
    """A gradient hook that, at ``step``, puts ``value`` (NaN by default) into one entry of
    the gradient ``name`` (default: the first), the first ``times`` times that step is
    reached — a stand-in for an exploding gradient, to test recovery."""
    positive_int("step", step)
    remaining = positive_int("times", times)

    def hook(s: int, grads: dict[str, np.ndarray]) -> None:
        nonlocal remaining
        if s == step and remaining > 0:
            remaining -= 1
            key = next(iter(grads)) if name is None else name
            grads[key].reshape(-1)[0] = value

    return hook


# -- results and files -----------------------------------------------------------------------


@dataclass
class TrainResult:
    """What :meth:`Trainer.run` returns.

    ``train_loss`` is the mean training loss over the last (up to) 50 steps; ``eval_loss``
    and ``eval_accuracy`` come from the last evaluation (accuracy: fraction of correct
    argmax predictions for cross-entropy tasks, of sequences within the task's
    ``solved_below`` for the adding problem, None otherwise). ``history`` holds every
    logged record (as written to metrics.jsonl) of this process.
    """

    config: TrainConfig
    step: int
    finished: bool
    train_loss: float
    eval_loss: float | None
    eval_accuracy: float | None
    baseline: float
    baseline_description: str
    recoveries: list[dict[str, Any]]
    elapsed: float
    steps_per_second: float
    history: list[dict[str, Any]]
    run_dir: Path | None

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (summary.json)."""
        return {
            "step": self.step,
            "steps": self.config.steps,
            "finished": self.finished,
            "train_loss": self.train_loss,
            "eval_loss": self.eval_loss,
            "eval_accuracy": self.eval_accuracy,
            "baseline": self.baseline,
            "baseline_description": self.baseline_description,
            "recoveries": len(self.recoveries),
            "elapsed_seconds": self.elapsed,
            "steps_per_second": self.steps_per_second,
            "run_dir": None if self.run_dir is None else str(self.run_dir),
        }


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_metrics(run_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of ``run_dir``/metrics.jsonl, in order."""
    path = Path(run_dir) / METRICS_FILE
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _float(x: float) -> float | None:
    """JSON has no NaN/inf: non-finite numbers are logged as null."""
    return float(x) if math.isfinite(x) else None


# -- the trainer -----------------------------------------------------------------------------


class Trainer:
    """Runs a :class:`TrainConfig`; see the module docstring for the loop and the files.

    ``run_dir``: the run folder (None: nothing is written, checkpoints are kept in memory
    only). A fresh trainer refuses a folder that already holds a checkpoint unless
    ``overwrite=True``; continue such a run with :meth:`resume`. ``progress``: show a tqdm
    bar with the loss and the gradient norm. ``gradient_hook(step, grads)`` is called on
    the raw gradients of every step before they are measured and clipped (it may change
    them in place or return new ones), e.g. :func:`inject_nonfinite`.
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: str | os.PathLike | None = None,
        *,
        progress: bool = False,
        gradient_hook: GradientHook | None = None,
        overwrite: bool = False,
    ):
        if not isinstance(config, TrainConfig):
            raise InvalidValueError(f"config must be a TrainConfig, got {type(config).__name__}")
        self.config = config.validate()
        self.task = build_task(config)
        init_seq, data_seq, _ = np.random.SeedSequence(config.seed).spawn(3)
        self.network = build_network(config, self.task, np.random.default_rng(init_seq))
        self.data_rng = np.random.default_rng(data_seq)
        self.optimiser = _optimiser(config)
        self.clipper = _clipper(config)
        self.truncation = Truncation.parse(config.truncation)
        self.progress = bool(progress)
        self.gradient_hook = gradient_hook
        self.step = 0
        self.recoveries: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, Any] = {}
        self._metrics_lines = 0
        self._elapsed = 0.0
        self.run_dir = None if run_dir is None else Path(run_dir)
        if self.run_dir is not None and not overwrite and (self.run_dir / CHECKPOINT_FILE).exists():
            raise InvalidValueError(
                f"run folder {self.run_dir} already holds a run ({CHECKPOINT_FILE}); "
                "resume it (Trainer.resume / --resume) or choose another folder"
            )
        self._fresh = True
        self._good = self._snapshot()

    # -- resuming ----------------------------------------------------------------------

    @classmethod
    def resume(
        cls,
        source: str | os.PathLike,
        *,
        config: TrainConfig | None = None,
        steps: int | None = None,
        progress: bool = False,
        gradient_hook: GradientHook | None = None,
    ) -> Trainer:
        """A trainer continuing from a checkpoint: ``source`` is a run folder or a
        checkpoint file. ``config`` (default: the checkpoint's own) must agree with the
        checkpoint's except for :data:`RESUMABLE_CHANGES`; ``steps`` extends the run.

        Raises CheckpointError for an unreadable, corrupt or foreign checkpoint or one
        written by a different configuration, naming the file and what is wrong.
        """
        source = Path(source)
        path = source / CHECKPOINT_FILE if source.is_dir() else source
        ckpt = load_checkpoint(path)
        try:
            saved = TrainConfig.from_dict(ckpt.config)
        except (GradsymError, TypeError) as exc:
            raise CheckpointError(
                f"checkpoint {path}: its configuration is invalid: {exc}"
            ) from exc
        if config is not None:
            mine, theirs = config.to_dict(), saved.to_dict()
            differ = sorted(
                k for k in mine if k not in RESUMABLE_CHANGES and mine[k] != theirs.get(k)
            )
            if differ:
                detail = ", ".join(f"{k}: {theirs.get(k)!r} ≠ {mine[k]!r}" for k in differ)
                raise CheckpointError(
                    f"checkpoint {path} was written by another configuration ({detail})"
                )
        else:
            config = saved
        if steps is not None:
            config = config.replace(steps=steps)
        if config.steps < ckpt.step:
            raise InvalidValueError(
                f"steps ({config.steps}) is below the checkpoint's step ({ckpt.step})"
            )
        trainer = cls(config, None, progress=progress, gradient_hook=gradient_hook)
        trainer.run_dir = path.parent if source.is_dir() or path.name == CHECKPOINT_FILE else None
        trainer._restore(ckpt, path)
        trainer._good = ckpt
        trainer._fresh = False
        return trainer

    def _restore(self, ckpt: Checkpoint, path: Path | None = None) -> None:
        """Load parameters, optimiser, data generator, step, lr and log from ``ckpt``."""
        where = f"checkpoint {path}" if path is not None else "checkpoint"
        mine = {k: (v.shape, v.dtype) for k, v in self.network.params.items()}
        theirs = {k: (v.shape, v.dtype) for k, v in ckpt.params.items()}
        if mine != theirs:
            diff = sorted(set(mine) ^ set(theirs)) or sorted(
                k for k in mine if mine[k] != theirs[k]
            )
            raise CheckpointError(
                f"{where}: its parameters do not fit this network (differing: "
                f"{', '.join(diff[:5])})"
            )
        self.network.set_params(ckpt.params)
        self.optimiser.load_state_dict(ckpt.optimiser)
        try:
            self.data_rng.bit_generator.state = copy.deepcopy(ckpt.rng_state)
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"{where}: bad data-generator state ({exc})") from exc
        self.optimiser.lr = ckpt.lr
        self.step = ckpt.step
        self.recoveries = copy.deepcopy(ckpt.recoveries)
        self._metrics_lines = ckpt.metrics_lines

    # -- checkpoints -------------------------------------------------------------------

    def _snapshot(self) -> Checkpoint:
        ckpt = Checkpoint(
            step=self.step,
            lr=self.optimiser.lr,
            config=self.config.to_dict(),
            params=self.network.get_params(),
            optimiser=self.optimiser.state_dict(),
            rng_state=copy.deepcopy(self.data_rng.bit_generator.state),
            recoveries=copy.deepcopy(self.recoveries),
            metrics_lines=self._metrics_lines,
        )
        return ckpt

    def checkpoint(self) -> Checkpoint:
        """Take a checkpoint now: kept in memory as the last good state and, with a run
        folder, written atomically to checkpoint.npz."""
        if self._metrics is not None:
            self._metrics.flush()
        ckpt = self._snapshot()
        self._good = ckpt
        if self.run_dir is not None:
            save_checkpoint(self.run_dir / CHECKPOINT_FILE, ckpt)
        return ckpt

    # -- evaluation --------------------------------------------------------------------

    def evaluate(self, step: int | None = None, batch: int | None = None) -> dict[str, Any]:
        """Loss (and accuracy) on ``batch`` (default ``eval_batch``) fresh sequences drawn
        from the evaluation stream of ``step`` (default: the current step)."""
        step = self.step if step is None else step
        n = positive_int("batch", self.config.eval_batch if batch is None else batch)
        rng = np.random.default_rng(
            np.random.SeedSequence(self.config.seed, spawn_key=(_EVAL_KEY, step))
        )
        b = self.task.sample(n, rng)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            try:
                pred = self.network.forward(b.x).predictions
                loss = self.network.loss_fn(pred, b.y)[0]
            except (NonFiniteError, FloatingPointError):
                return {"eval_loss": None, "eval_accuracy": None}
        acc = None
        if self.task.loss == "xent":
            acc = float(np.mean(np.argmax(pred, axis=-1) == b.y))
        elif hasattr(self.task, "solved_below"):
            acc = float(np.mean(np.abs(pred - b.y).max(axis=-1) < self.task.solved_below))
        return {"eval_loss": _float(loss), "eval_accuracy": acc}

    # -- the loop ----------------------------------------------------------------------

    _metrics = None

    def _log(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        if self._metrics is not None:
            self._metrics.write(json.dumps(record) + "\n")
            self._metrics_lines += 1

    def _open_files(self) -> None:
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_text_atomic(self.run_dir / CONFIG_FILE, self.config.to_json() + "\n")
        metrics = self.run_dir / METRICS_FILE
        if self._fresh:
            (self.run_dir / SUMMARY_FILE).unlink(missing_ok=True)
            self._metrics_lines = 0
            metrics.write_text("", encoding="utf-8")
        else:
            # Drop what was logged after the checkpoint: those steps are replayed now.
            kept = []
            if metrics.exists():
                with open(metrics, encoding="utf-8") as f:
                    kept = [line for line in f if line.strip()][: self._metrics_lines]
            _write_text_atomic(metrics, "".join(kept))
        self._metrics = open(metrics, "a", encoding="utf-8")  # noqa: SIM115

    def _one_step(self, step: int) -> dict[str, Any] | str:
        """One training step; the record to log, or the reason it was non-finite."""
        cfg = self.config
        batch = self.task.sample(cfg.batch, self.data_rng)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            try:
                r = self.network.loss_and_grads(batch.x, batch.y, truncation=self.truncation)
            except (NonFiniteError, FloatingPointError) as exc:
                return f"non-finite forward or backward pass: {exc}"
            grads = r.grads
            if self.gradient_hook is not None:
                out = self.gradient_hook(step, grads)
                if out is not None:
                    grads = out
            if self.clipper is None:
                norm = global_norm(grads)
                clipped = False
            elif cfg.clip_mode == "value":
                clipped = bool(max(float(np.max(np.abs(g))) for g in grads.values()) > cfg.clip)
                grads, norm = self.clipper(grads)
            else:
                grads, norm = self.clipper(grads)
                clipped = bool(
                    norm >= cfg.clip
                    if cfg.norm_mode == "algorithm1"
                    else cfg.clip / (norm + TORCH_EPS) < 1.0
                )
        if not math.isfinite(r.loss):
            return f"non-finite loss {r.loss}"
        if not math.isfinite(norm):
            return f"non-finite gradient norm {norm}"
        self.optimiser.step(self.network.params, grads)
        return {
            "step": step,
            "loss": float(r.loss),
            "grad_norm": float(norm),
            "clipped": clipped,
            "lr": self.optimiser.lr,
        }

    def train_step(self) -> dict[str, Any] | str:
        """Take one training step (no logging, evaluation, checkpoint or recovery) and
        advance :attr:`step`; returns the step's record, or the reason it was non-finite
        (the step counter then stays). Used by the benchmark."""
        out = self._one_step(self.step + 1)
        if not isinstance(out, str):
            self.step += 1
        return out

    def _recover(self, step: int, reason: str) -> None:
        cfg = self.config
        if len(self.recoveries) >= cfg.max_recoveries:
            raise NonFiniteError(
                f"training diverged at step {step} ({reason}) after {len(self.recoveries)} "
                f"recoveries (max_recoveries = {cfg.max_recoveries}); lower the learning "
                "rate or clip the gradients"
            )
        good = self._good
        old_lr = self.optimiser.lr
        self.network.set_params(good.params)
        self.optimiser.load_state_dict(good.optimiser)
        self.data_rng.bit_generator.state = copy.deepcopy(good.rng_state)
        self.step = good.step
        new_lr = old_lr * cfg.recovery_factor
        self.optimiser.lr = new_lr
        event = {
            "event": "recovery",
            "step": step,
            "reason": reason,
            "rolled_back_to": good.step,
            "old_lr": old_lr,
            "lr": new_lr,
        }
        self.recoveries.append(event)
        self._log(event)
        self.checkpoint()

    def run(self, stop_at: int | None = None) -> TrainResult:
        """Train up to ``config.steps`` (or only up to step ``stop_at``, leaving a
        checkpoint there to resume from) and return a :class:`TrainResult`."""
        cfg = self.config
        end = cfg.steps if stop_at is None else min(positive_int("stop_at", stop_at), cfg.steps)
        self._open_files()
        self._fresh = False
        if self.step == 0 and self.run_dir is not None:
            self.checkpoint()
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=cfg.steps,
                initial=self.step,
                desc=f"{cfg.cell} on {cfg.task}",
                unit="step",
                dynamic_ncols=True,
            )
        t0 = time.perf_counter()
        start_step = self.step
        try:
            while self.step < end:
                step = self.step + 1
                out = self._one_step(step)
                if isinstance(out, str):
                    self._recover(step, out)
                    if bar is not None:
                        bar.n = self.step
                        bar.refresh()
                    continue
                self.step = step
                if step % cfg.eval_every == 0 or step == cfg.steps:
                    self.last_eval = self.evaluate(step)
                    out.update(self.last_eval)
                if step % cfg.log_every == 0 or "eval_loss" in out or step == end:
                    self._log(out)
                if bar is not None:
                    bar.update(1)
                    if step % 10 == 0 or step == end:
                        bar.set_postfix(loss=f"{out['loss']:.4g}", gnorm=f"{out['grad_norm']:.3g}")
                if step % cfg.checkpoint_every == 0 or step == end:
                    self.checkpoint()
        finally:
            if bar is not None:
                bar.close()
            if self._metrics is not None:
                self._metrics.close()
                self._metrics = None
        elapsed = time.perf_counter() - t0
        self._elapsed += elapsed
        result = self._result(elapsed, self.step - start_step)
        if result.finished and self.run_dir is not None:
            _write_text_atomic(
                self.run_dir / SUMMARY_FILE, json.dumps(result.summary(), indent=2) + "\n"
            )
        return result

    def _result(self, elapsed: float, steps_done: int) -> TrainResult:
        recent = [r["loss"] for r in self.history if "loss" in r][-50:]
        return TrainResult(
            config=self.config,
            step=self.step,
            finished=self.step >= self.config.steps,
            train_loss=float(np.mean(recent)) if recent else math.nan,
            eval_loss=self.last_eval.get("eval_loss"),
            eval_accuracy=self.last_eval.get("eval_accuracy"),
            baseline=float(self.task.baseline),
            baseline_description=self.task.baseline_description,
            recoveries=list(self.recoveries),
            elapsed=elapsed,
            steps_per_second=steps_done / elapsed if elapsed > 0 else math.nan,
            history=self.history,
            run_dir=self.run_dir,
        )


def train(
    config: TrainConfig,
    run_dir: str | os.PathLike | None = None,
    *,
    progress: bool = False,
    gradient_hook: GradientHook | None = None,
) -> TrainResult:
    """Train ``config`` from scratch: ``Trainer(config, run_dir, ...).run()``."""
    return Trainer(config, run_dir, progress=progress, gradient_hook=gradient_hook).run()
