"""Training recurrent networks on the long-range tasks, with the notes' fixes switchable.

The fixes for exploding and vanishing gradients are options of
:class:`~gradsym.numeric.train.config.TrainConfig`: norm or value clipping (Algorithm 1 of
the notes; Pascanu, Mikolov & Bengio 2013), truncated BPTT (TBPTT(k1, k2)), orthogonal and
identity initialisation (Saxe et al. 2014; the IRNN of Le, Jaitly & Hinton 2015: ReLU with
W_h = I), a forget-gate bias (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015) and
an update-gate bias, gated cells (LSTM, Hochreiter & Schmidhuber 1997; GRU, Cho et al.
2014) and residual connections between stacked layers.

One training step, with θ every parameter of the :class:`~gradsym.numeric.nets.network.Network`:

    (x, y) ~ task                          a fresh minibatch, x (T, B, d)
    L, ĝ = loss_and_grads(x, y)            full BPTT or TBPTT(k1, k2)
    ĝ_W_h += λ ∂⁺Ω/∂W_h                    Pascanu et al.'s regulariser, if omega = λ > 0
    ‖ĝ‖ logged, then ĝ ← clip(ĝ)           by norm (Algorithm 1) or by value
    θ ← optimiser(θ, ĝ)                    SGD (with momentum) or Adam

every array in the run's ``dtype`` (float64, the default, or float32). Norm clipping
measures ‖ĝ‖ and the optimiser applies the factor to the gradient it holds end to end
(one pass; the numbers of clipping each array, bit for bit).

:class:`Trainer` runs the steps and keeps a run folder (config.json, metrics.jsonl,
checkpoint.npz, summary.json: see :mod:`gradsym.numeric.train.run_files`).

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

import contextlib
import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gradsym.display import markdown_table, number
from gradsym.errors import (
    CheckpointError,
    GradsymError,
    InvalidValueError,
    NonFiniteError,
    OutputError,
)
from gradsym.files import folder_lock
from gradsym.numeric.cells.factory import declared_cell_record
from gradsym.numeric.nets.network import Network, Truncation
from gradsym.numeric.optim.clipping import global_norm
from gradsym.numeric.optim.regularisers import OmegaResult, omega
from gradsym.numeric.train.build import build_clipper, build_network, build_optimiser
from gradsym.numeric.train.checkpoint import (
    Checkpoint,
    declare_recorded_cell,
    load_checkpoint,
    save_checkpoint,
)
from gradsym.numeric.train.config import RESUMABLE_CHANGES, TrainConfig, build_task
from gradsym.numeric.train.run_files import (
    CHECKPOINT_FILE,
    MetricsLog,
    restore_metrics,
    write_config,
    write_summary,
)
from gradsym.validate import positive_int

__all__ = ["GradientHook", "TrainResult", "Trainer", "inject_nonfinite", "train"]

# The evaluation stream's spawn key: (0,) is initialisation, (1,) training data; the
# analysis probe's inputs come from a stream of their own, so that logging them changes
# nothing else.
_EVAL_KEY = 2
_PROBE_KEY = 3

GradientHook = Callable[[int, dict[str, np.ndarray]], "dict[str, np.ndarray] | None"]


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


# -- results --------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What :meth:`Trainer.run` returns.

    ``train_loss`` is the mean training loss over the last (up to) 50 steps; ``eval_loss``
    and ``eval_accuracy`` come from the last evaluation (accuracy: fraction of correct
    argmax predictions for cross-entropy tasks, of sequences within the task's
    ``solved_below`` for the adding problem, None otherwise). ``history`` holds every
    logged record (as written to metrics.jsonl) of this process. ``network`` is the
    trained :class:`~gradsym.numeric.nets.network.Network` itself (the trainer's own
    object: training on changes it; ``gradsym.analyze(result)`` analyses it).
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
    network: Network | None = None

    def summary_rows(self) -> list[tuple[str, str]]:
        """(what, value) of the run, as ``gradsym train`` prints them and a notebook
        shows them (:meth:`_repr_markdown_`)."""
        cfg = self.config
        layers = f"{cfg.layers} layer{'s' if cfg.layers > 1 else ''}"
        task_args = ", ".join(f"{k}={v}" for k, v in cfg.task_kwargs.items())
        evaluated = number(self.eval_loss)
        if self.eval_accuracy is not None:
            evaluated += f"  accuracy {self.eval_accuracy:.3f}"
        rows = [
            ("model", f"{cfg.cell} ({cfg.hidden} hidden × {layers}, {cfg.dtype})"),
            ("task", cfg.task + (f" ({task_args})" if task_args else "")),
            ("step", f"{self.step}/{cfg.steps}" + ("" if self.finished else " (stopped)")),
            ("final train loss", f"{number(self.train_loss)}  (mean of the last 50 steps)"),
            ("final eval loss", evaluated),
            ("trivial baseline", f"{number(self.baseline)}  ({self.baseline_description})"),
        ]
        if self.eval_loss is not None and self.baseline > 0:
            rows.append(("eval / baseline", f"{self.eval_loss / self.baseline:.3f}"))
        rows.append(("time", f"{self.elapsed:.1f} s ({number(self.steps_per_second, 3)} steps/s)"))
        rows.append(("recoveries", str(len(self.recoveries))))
        if self.run_dir is not None:
            rows.append(("run folder", str(self.run_dir)))
        return rows

    def __repr__(self) -> str:  # one line, not the history (a notebook shows this)
        cfg = self.config
        return (
            f"TrainResult({cfg.cell} on {cfg.task}, step {self.step}/{cfg.steps}, "
            f"train loss {number(self.train_loss)}, eval loss {number(self.eval_loss)} "
            f"(baseline {number(self.baseline)}), {len(self.recoveries)} recoveries, "
            f"{len(self.history)} records in history)"
        )

    def _repr_markdown_(self) -> str:
        return markdown_table(["", ""], self.summary_rows())

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (summary.json)."""
        return {
            "step": self.step,
            "steps": self.config.steps,
            "dtype": self.config.dtype,
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
        self.optimiser = build_optimiser(config)
        self.clipper = build_clipper(config)
        self.truncation = Truncation.parse(config.truncation)
        self.progress = bool(progress)
        self.gradient_hook = gradient_hook
        self.step = 0
        self.recoveries: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, Any] = {}
        self._metrics: MetricsLog | None = None
        self._metrics_lines = 0
        self._metrics_sha256: str | None = None
        self._restored_metrics: str | None = None
        # a declared cell's equations, recorded with every checkpoint (None: a built-in)
        self.cell_record = declared_cell_record(config.cell) if config.declared else None
        if run_dir is not None and os.fspath(run_dir) == "":  # Path("") is the current folder
            raise OutputError("the run folder is an empty path; give a folder name (or None)")
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
        if os.fspath(source) == "":
            raise CheckpointError("the run to resume is an empty path; give its folder")
        source = Path(source)
        path = source / CHECKPOINT_FILE if source.is_dir() else source
        ckpt = load_checkpoint(path)
        declare_recorded_cell(ckpt, path)
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
        if trainer.run_dir is not None:
            # The log must hold what the checkpoint covers: repaired exactly, or refused
            # here, before any file of the run is touched.
            trainer._restored_metrics = restore_metrics(
                trainer.run_dir, ckpt.metrics_lines, ckpt.metrics_sha256
            )
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
        try:
            self.optimiser.load_state_dict(ckpt.optimiser, self.network.params)
        except CheckpointError as exc:
            raise CheckpointError(f"{where}: {exc}") from exc
        try:
            self.data_rng.bit_generator.state = copy.deepcopy(ckpt.rng_state)
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"{where}: bad data-generator state ({exc})") from exc
        self.optimiser.lr = ckpt.lr
        self.step = ckpt.step
        self.recoveries = copy.deepcopy(ckpt.recoveries)
        self._metrics_lines = ckpt.metrics_lines
        self._metrics_sha256 = ckpt.metrics_sha256

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
            metrics_sha256=self._metrics_sha256,
            cell=self.cell_record,
        )
        return ckpt

    def _nonfinite_parameter(self) -> str | None:
        """The name of a parameter holding NaN or Inf (after an overflowing update), or None."""
        for name, value in self.network.params.items():
            if not np.isfinite(value).all():
                return name
        return None

    def checkpoint(self) -> Checkpoint:
        """Take a checkpoint now: kept in memory as the last good state and, with a run
        folder, written atomically to checkpoint.npz. Only a finite state is a checkpoint
        (NonFiniteError otherwise): recovery must always have a good state to go back to."""
        bad = self._nonfinite_parameter()
        if bad is not None:
            raise NonFiniteError(f"parameter {bad} is not finite at step {self.step}")
        if self._metrics is not None:
            self._metrics.flush()
            self._metrics_lines = self._metrics.lines
            self._metrics_sha256 = self._metrics.sha256()
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
        b = self.task.sample(n, rng, self.config.np_dtype)
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

    def analysis_probe(self, step: int | None = None) -> dict[str, Any]:
        """λ₁ and the lag-50 norm ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻⁵⁰⁾‖₂ of the network now
        (:func:`~gradsym.numeric.analysis.probe.probe`), on fresh sequences from the probe's
        own stream for ``step`` (default: the current step): the training data are not
        touched, so a run logs the same losses with the probe as without it."""
        from gradsym.numeric.analysis.probe import PROBE_SEQUENCES, probe

        step = self.step if step is None else step
        rng = np.random.default_rng(
            np.random.SeedSequence(self.config.seed, spawn_key=(_PROBE_KEY, step))
        )
        xs = self.task.sample(PROBE_SEQUENCES, rng).x
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            try:
                found = probe(self.network.model, xs, seed=self.config.seed)
            except (NonFiniteError, FloatingPointError):
                return {"lyapunov_max": None, "lyapunov_max_se": None, "jacobian_norm": None}
        return {k: v if isinstance(v, int) else _float(v) for k, v in found.items()}

    # -- the loop ----------------------------------------------------------------------

    def _log(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        if self._metrics is not None:
            self._metrics.write(record)

    def _open_files(self) -> None:
        if self.run_dir is None:
            return
        write_config(self.run_dir, self.config.to_json())
        # A resumed run keeps exactly the lines its checkpoint covers (checked in resume());
        # what was logged after the checkpoint is dropped: those steps are replayed.
        if self._fresh:
            start = None
        elif self._restored_metrics is not None:
            start = self._restored_metrics
        else:  # run() again in this process: the log as the last checkpoint left it
            start = restore_metrics(self.run_dir, self._metrics_lines, self._metrics_sha256)
        self._metrics = MetricsLog(self.run_dir, start)
        self._restored_metrics = None

    def _one_step(self, step: int) -> dict[str, Any] | str:
        """One training step; the record to log, or the reason it was non-finite."""
        cfg = self.config
        batch = self.task.sample(cfg.batch, self.data_rng, cfg.np_dtype)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            try:
                r = self.network.loss_and_grads(batch.x, batch.y, truncation=self.truncation)
            except (NonFiniteError, FloatingPointError) as exc:
                return f"non-finite forward or backward pass: {exc}"
            grads = r.grads
            reg = self._regulariser(r)
            if reg is not None:
                grads["cell.W_h"] += cfg.omega * reg.grad
            if self.gradient_hook is not None:
                out = self.gradient_hook(step, grads)
                if out is not None:
                    grads = out
            scale = None
            if self.clipper is None:
                norm, clipped = global_norm(grads), False
            else:
                result = self.clipper(grads)
                grads, norm, clipped = result.grads, result.norm, result.clipped
                if self.clipper.deferred:  # the optimiser applies the factor
                    scale = result.scale
        if not math.isfinite(r.loss):
            return f"non-finite loss {r.loss}"
        if not math.isfinite(norm):
            return f"non-finite gradient norm {norm}"
        self.optimiser.step(self.network.params, grads, scale=scale)
        record = {
            "step": step,
            "loss": float(r.loss),
            "grad_norm": float(norm),
            "clipped": clipped,
            "lr": self.optimiser.lr,
        }
        if reg is not None:
            record["omega"] = reg.value
        return record

    def _regulariser(self, r) -> OmegaResult | None:
        """Ω and ∂⁺Ω/∂W_h of this step's BPTT pass (None when ``omega`` is 0)."""
        if not self.config.omega:
            return None
        return omega(
            r.adjoints["h"],
            r.trace.h,
            self.network.params["cell.W_h"],
            self.config.resolved_activation,
        )

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
        with contextlib.ExitStack() as stack:
            if self.run_dir is not None:
                # One process per run folder; stale temporary files of a killed run go.
                stack.enter_context(folder_lock(self.run_dir, "train"))
            return self._run(end)

    def _run(self, end: int) -> TrainResult:
        cfg = self.config
        self._open_files()
        self._fresh = False
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
            if self.step == 0 and self.run_dir is not None:
                self.checkpoint()
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
                probed = cfg.analysis_every is not None and step % cfg.analysis_every == 0
                if probed:
                    out.update(self.analysis_probe(step))
                if step % cfg.log_every == 0 or "eval_loss" in out or probed or step == end:
                    self._log(out)
                if bar is not None:
                    bar.update(1)
                    if step % 10 == 0 or step == end:
                        bar.set_postfix(loss=f"{out['loss']:.4g}", gnorm=f"{out['grad_norm']:.3g}")
                if step % cfg.checkpoint_every == 0 or step == end:
                    bad = self._nonfinite_parameter()
                    if bad is not None:  # an update overflowed: never a checkpoint
                        self._recover(step, f"non-finite parameter {bad} after the update")
                        continue
                    self.checkpoint()
        finally:
            if bar is not None:
                bar.close()
            if self._metrics is not None:
                self._metrics.close()
                self._metrics = None
        elapsed = time.perf_counter() - t0
        result = self._result(elapsed, self.step - start_step)
        if result.finished and self.run_dir is not None:
            write_summary(self.run_dir, result.summary())
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
            network=self.network,
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
