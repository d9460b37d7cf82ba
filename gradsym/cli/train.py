"""``gradsym train``: train a recurrent network on a long-range task from the command line.

    gradsym train --cell lstm --task adding --length 50 --hidden 16 --clip 1.0 \\
        --init orthogonal --forget-bias 1 --steps 3000 --seed 0

prints a summary (final training and evaluation loss, the task's trivial baseline, time,
recoveries, where the files went; ``--json``: summary.json) and leaves config.json,
metrics.jsonl, checkpoint.npz and summary.json in the run folder (``--out``, default
``runs/<cell>-<task>-s<seed>``; ``--run-dir`` is its old spelling). ``--resume`` continues
the run in ``--out`` from its checkpoint (``--steps`` may extend it); the model and
optimisation options cannot change on resume (repeating them with their saved values is
fine).

Every field of :class:`~gradsym.numeric.train.config.TrainConfig` is an option of the same
name (``forget_bias`` is ``--forget-bias``; ``forget_gate`` is ``--no-forget-gate``), except
``task_kwargs``, which ``--length``, ``--delay`` and ``--task-arg`` fill. Which options are
given, and which may change on resume, is read from the dataclass's fields, never from a
list kept here.

``add_train_parser(subparsers)`` registers the command; ``args.func(args)`` returns 0 on
success (bad input raises, and :func:`gradsym.cli.main` makes it exit 2).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradsym.cli.options import (
    TASK_OPTIONS,
    add_cell_file,
    add_deprecated_alias,
    add_json,
    add_no_progress,
    add_out,
    add_seed,
    add_task_options,
    task_kwargs,
    task_names,
)
from gradsym.cli.output import print_json
from gradsym.errors import InvalidValueError

if TYPE_CHECKING:
    from gradsym.numeric.train.config import TrainConfig

__all__ = ["add_train_parser", "cmd_train", "config_from_args"]


def _truncation(text: str):
    """``k`` or ``k1,k2``."""
    parts = text.replace(" ", "").split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"truncation must be k or k1,k2 (integers), got {text!r}"
        ) from None
    if len(values) == 1:
        return values[0]
    if len(values) == 2:
        return tuple(values)
    raise argparse.ArgumentTypeError(f"truncation must be k or k1,k2, got {text!r}")


_NO_CLIP = "none"


def _clip(text: str):
    """A positive threshold, or "none" (no clipping; kept as a string so that it differs
    from "not given")."""
    if text.lower() in ("none", "off"):
        return _NO_CLIP
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"clip must be a positive number or 'none', got {text!r}"
        ) from None


def _cell_help() -> str:
    from gradsym.cells import entries
    from gradsym.cells.builtin import PRESETS

    built_in = [e.name for e in entries(["builtin"]) if e.numpy is not None]
    presets = [f"{name} ({p.description})" for name, p in PRESETS.items()]
    return ", ".join(built_in + presets) + " (default lstm), or a library cell (gradsym cells)"


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``train`` on ``subparsers`` (from ``ArgumentParser.add_subparsers``);
    returns the new parser, whose ``func`` default is :func:`cmd_train`."""
    p = subparsers.add_parser(
        "train",
        help="train a recurrent network on a long-range task",
        description=(
            "Train a recurrent network on one of the long-range tasks with the notes' "
            "fixes (clipping, truncated BPTT, orthogonal/identity init, gate biases, "
            "gated cells, residual stacks) switched on or off."
        ),
    )
    # Each dest is the TrainConfig field's name. Defaults are None so that --resume can
    # tell which options were given; the TrainConfig defaults apply otherwise.
    m = p.add_argument_group("model")
    m.add_argument(
        "--cell",
        help=_cell_help(),
    )
    add_cell_file(m, "train it (also on --resume)")
    m.add_argument("--hidden", type=int, help="hidden units per layer (default 16)")
    m.add_argument("--layers", type=int, help="stacked layers (default 1)")
    m.add_argument(
        "--residual",
        action="store_true",
        default=None,
        help="skip connections y = h + x between stacked layers",
    )
    m.add_argument("--activation", help="rnn activation: tanh, sigmoid, relu, identity")
    m.add_argument("--variant", help="gru variant: textbook, minimal, torch")
    m.add_argument("--peephole", action="store_true", default=None, help="LSTM peepholes")
    m.add_argument(
        "--no-forget-gate",
        dest="forget_gate",
        action="store_false",
        default=None,
        help="the 1997 LSTM without a forget gate (constant error carousel)",
    )
    t = p.add_argument_group("task")
    t.add_argument("--task", help=f"{task_names()} (default adding)")
    add_task_options(t, length="sequence length T (for copy: its delay T, as --delay)")
    i = p.add_argument_group("initialisation")
    i.add_argument("--init", help="recurrent init: uniform, orthogonal, identity, gaussian, sparse")
    i.add_argument("--gain", type=float, help="gain of the recurrent init (default 1)")
    i.add_argument("--forget-bias", type=float, help="LSTM forget-gate bias b_f")
    i.add_argument(
        "--update-bias",
        type=float,
        help="GRU: open the carry path with this bias (either convention)",
    )
    i.add_argument("--spectral-radius", type=float, help="rescale W_h to this spectral radius")
    i.add_argument("--spectral-norm", type=float, help="rescale W_h to this largest singular value")
    i.add_argument(
        "--nonzeros", type=int, help="sparse init: non-zero weights per unit (default 15)"
    )
    o = p.add_argument_group("optimisation")
    o.add_argument("--optimiser", help="sgd or adam (default adam)")
    o.add_argument("--lr", type=float, help="learning rate (default 0.01)")
    o.add_argument("--momentum", type=float, help="SGD momentum (default 0)")
    o.add_argument("--clip", type=_clip, help="clipping threshold, or 'none' (default 1.0)")
    o.add_argument("--clip-mode", help="norm (Algorithm 1, default) or value")
    o.add_argument("--norm-mode", help="norm clipping as algorithm1 (default) or torch")
    o.add_argument(
        "--truncation",
        type=_truncation,
        metavar="K|K1,K2",
        help="truncated BPTT: window k, or every k1 steps back k2 steps",
    )
    o.add_argument(
        "--omega",
        type=float,
        help="weight of Pascanu et al.'s regulariser Omega (rnn/irnn; default 0: off)",
    )
    o.add_argument(
        "--dtype",
        help="float64 (default: the exact reference) or float32 (faster; every array of "
        "the run, checkpoints included)",
    )
    o.add_argument("--batch", type=int, help="sequences per step (default 32)")
    o.add_argument("--steps", type=int, help="training steps (default 1000)")
    add_seed(o, "init, data and evaluation", default=None, shown=0)
    r = p.add_argument_group("run")
    r.add_argument("--eval-every", type=int, help="evaluate every n steps (default 100)")
    r.add_argument("--eval-batch", type=int, help="fresh sequences per evaluation (default 256)")
    r.add_argument("--checkpoint-every", type=int, help="checkpoint every n steps (default 100)")
    r.add_argument("--log-every", type=int, help="log a metrics line every n steps (default 1)")
    r.add_argument(
        "--analysis-every",
        type=int,
        help="log λ₁ and the lag-50 norm of dh(T)/dh(T-50) every n steps (default never)",
    )
    r.add_argument(
        "--recovery-factor",
        type=float,
        help="learning-rate factor after a non-finite step is rolled back (default 0.5)",
    )
    r.add_argument("--max-recoveries", type=int, help="roll-backs before giving up (default 5)")
    add_out(
        r,
        "the run folder: config.json, metrics.jsonl, checkpoint.npz, summary.json (default "
        "runs/CELL-TASK-sSEED)",
        default=None,
    )
    add_deprecated_alias(r, "--run-dir", "out", "--out (the run folder)", type=Path, metavar="DIR")
    r.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoint"
    )
    r.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even if --out already holds a run (not with --resume)",
    )
    add_no_progress(r)
    add_json(r, "the summary (summary.json)")
    p.set_defaults(func=cmd_train)
    return p


def _given_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig fields given on the command line (not None), as config values."""
    from gradsym.numeric.train.config import TrainConfig

    given = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if getattr(args, f.name, None) is not None
    }
    if given.get("clip") == _NO_CLIP:
        given["clip"] = None
    return given


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The :class:`~gradsym.numeric.train.config.TrainConfig` the options describe (its
    defaults for the options not given)."""
    from gradsym.numeric.train.config import TrainConfig

    given = _given_fields(args)
    task = given.get("task", TrainConfig.__dataclass_fields__["task"].default)
    return TrainConfig(**given, task_kwargs=task_kwargs(args, task, {}))


def _flag(field: str) -> str:
    """The command-line option of a TrainConfig field."""
    if field == "forget_gate":
        return "--no-forget-gate"
    if field == "task_kwargs":
        return "/".join("--" + o.replace("_", "-") for o in TASK_OPTIONS)
    return "--" + field.replace("_", "-")


def resumed_config(args: argparse.Namespace, saved: TrainConfig) -> TrainConfig:
    """The configuration a ``--resume`` run continues with: ``saved`` (the checkpoint's)
    with the resumable options that were given (--steps, --eval-every, ...).

    An option that would change the model or the optimisation is refused, naming it; one
    repeated with its saved value is not a change.
    """
    from gradsym.numeric.train.config import RESUMABLE_CHANGES

    given = _given_fields(args)
    changed = sorted(
        name
        for name, value in given.items()
        if name not in RESUMABLE_CHANGES and value != getattr(saved, name)
    )
    if any(getattr(args, o) is not None for o in TASK_OPTIONS):
        task = given.get("task", saved.task)
        start = saved.task_kwargs if task == saved.task else {}
        if task_kwargs(args, task, start) != saved.task_kwargs:
            changed.append("task_kwargs")
    if changed:
        opts = ", ".join(_flag(name) for name in changed)
        allowed = ", ".join(_flag(name) for name in RESUMABLE_CHANGES)
        raise InvalidValueError(
            f"--resume continues the run with its saved configuration; {opts} cannot "
            f"be changed (only {allowed})"
        )
    changes = {k: v for k, v in given.items() if v != getattr(saved, k)}
    return saved.replace(**changes) if changes else saved


def _default_run_dir(config) -> Path:
    return Path("runs") / f"{config.cell}-{config.task}-s{config.seed}"


def _print_summary(result) -> None:
    from gradsym.numeric.train import CHECKPOINT_FILE, CONFIG_FILE, METRICS_FILE, SUMMARY_FILE

    rows = dict(result.summary_rows())
    model, task, step = rows.pop("model"), rows.pop("task"), rows.pop("step")
    print(f"gradsym train: {model} on {task}, step {step}")
    if "run folder" in rows:
        names = f"{CONFIG_FILE}, {METRICS_FILE}, {CHECKPOINT_FILE}, {SUMMARY_FILE}"
        rows["run folder"] += f"  ({names})"
    for what, value in rows.items():
        print(f"  {what:18} {value}")


def cmd_train(args: argparse.Namespace) -> int:
    """Run ``gradsym train``: train (or resume) and print the summary; 0 on success."""
    from gradsym.numeric.train import Trainer

    progress = not args.no_progress
    if args.cell_file is not None:
        from gradsym.declared import load_cell_file

        declared = load_cell_file(args.cell_file)
        if args.cell is not None and args.cell != declared.name:
            raise InvalidValueError(
                f"--cell {args.cell} and --cell-file {args.cell_file} (cell "
                f"{declared.name!r}) name different cells"
            )
        if not args.resume:
            args.cell = declared.name
    if args.resume:
        if args.out is None:
            raise InvalidValueError("--resume needs --out (the run folder to continue)")
        if args.overwrite:
            raise InvalidValueError(
                "--resume continues the run in --out and --overwrite starts it afresh: "
                "give one of them"
            )
        trainer = Trainer.resume(args.out, progress=progress)
        config = resumed_config(args, trainer.config)
        if config is not trainer.config:
            trainer = Trainer.resume(args.out, config=config, progress=progress)
    else:
        config = config_from_args(args)
        run_dir = args.out if args.out is not None else _default_run_dir(config)
        trainer = Trainer(config, run_dir, progress=progress, overwrite=args.overwrite)
    result = trainer.run()
    if args.json:
        print_json(result.summary())
    else:
        _print_summary(result)
    return 0
