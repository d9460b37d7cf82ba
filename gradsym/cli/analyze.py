"""``gradsym analyze``: the gradient flow and Lyapunov spectrum of trained recurrent models.

    gradsym analyze runs/lstm-adding-s0 runs/rnn-adding-s0 --length 200 --out analysis
    gradsym analyze model.pt --data inputs.npy --batch-first --out analysis
    gradsym analyze model.pt --gaussian 0.5 --steps 500 --exponents 16

MODEL is a gradsym run folder (analysed at initialisation and at its checkpoint, side by
side), a gradsym checkpoint (.npz) or a PyTorch state_dict (.pt/.pth, read with
``torch.load(weights_only=True)``; the module is inferred from its keys and shapes).
Several models are analysed side by side on the same inputs: ``--task`` (with
``--length``, ``--delay``, ``--task-arg``), ``--data FILE.npy`` (T, B, d), or
``--gaussian SCALE``; by default the task the runs were trained on, else Gaussian inputs
of scale 1. Writes report.md, report.json and the figures (PDF and PNG) into ``--out``
and prints the summary table (``--json``: report.json and the files written).

``add_analyze_parser(subparsers)`` registers the command; bad input raises, and
:func:`gradsym.cli.main` makes it exit 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

import numpy as np

from gradsym.cli.options import (
    TASK_OPTIONS,
    add_cell_file,
    add_json,
    add_no_progress,
    add_out,
    add_seed,
    add_task_options,
    task_kwargs,
    task_names,
)
from gradsym.cli.output import print_json, written
from gradsym.errors import InvalidValueError

__all__ = ["add_analyze_parser", "cmd_analyze"]


def add_analyze_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``analyze`` on ``subparsers``."""
    p = subparsers.add_parser(
        "analyze",
        help="gradient flow and Lyapunov spectrum of trained models",
        description=(
            "Per-lag gradient norms, the Lyapunov spectrum (QR method), the notes' bound "
            "σ₁(W) < 1/γ and the gates of trained recurrent models, per layer and direction, "
            "side by side on the same inputs."
        ),
    )
    p.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="a gradsym run folder, a checkpoint (.npz) or a PyTorch state_dict (.pt, .pth)",
    )
    add_out(p, "report.md, report.json and the figures", default="analysis")
    d = p.add_argument_group("inputs (default: the runs' task, else Gaussian inputs of scale 1)")
    which = d.add_mutually_exclusive_group()
    which.add_argument("--task", help=f"a task: {task_names()}")
    which.add_argument("--data", type=Path, metavar="FILE.npy", help="input sequences (T, B, d)")
    which.add_argument(
        "--gaussian", type=float, metavar="SCALE", help="Gaussian inputs x ~ N(0, SCALE²)"
    )
    which.add_argument(
        "--autonomous", action="store_true",
        help="no input (x = 0): the network left to itself, for --steps steps",
    )  # fmt: skip
    add_task_options(d, length="the task's sequence length")
    d.add_argument("--batch-first", action="store_true", help="the --data array is (B, T, d)")
    d.add_argument("--steps", type=int, help="steps of the Gaussian inputs (default 200)")
    d.add_argument(
        "--batch", type=int, help="sequences of a task or of Gaussian inputs (default 32)"
    )
    add_seed(d, "the inputs and initial frames")
    d.add_argument(
        "--state0", default="zeros", metavar="zeros|random|FILE",
        help="the initial state: zeros (default), random (uniform in (-1, 1), seeded), or a "
        ".npy of h / .npz of h and c, as the model's state or in PyTorch's layout "
        "(layers x directions, B, N)",
    )  # fmt: skip
    m = p.add_argument_group("measurements")
    m.add_argument(
        "--exponents", type=int, metavar="K",
        help="the top K Lyapunov exponents (default: all for states up to 256, else 64)",
    )  # fmt: skip
    m.add_argument("--transient", type=int, help="steps discarded (default T/5, at most 100)")
    m.add_argument(
        "--flow-block", default="h", metavar="h|c|state",
        help="the block of the state whose gradient flow is measured: h (default), another "
        "state vector of the cells (c: the LSTM's cell path, or a declared cell's memory) or "
        "state (all of it)",
    )  # fmt: skip
    m.add_argument(
        "--max-lag", type=int, help="longest lag of the gradient norms (default min(T, 200))"
    )
    m.add_argument(
        "--flow-sequences", type=int, help="sequences for the gradient norms (default 32)"
    )
    s = p.add_argument_group("PyTorch state_dicts")
    s.add_argument(
        "--nonlinearity", choices=("tanh", "relu"),
        help="the RNN's nonlinearity (a state_dict does not record it; default tanh)",
    )  # fmt: skip
    s.add_argument("--prefix", help="the recurrent module's key prefix, when there are several")
    add_cell_file(
        p,
        "the cell of the models (a run records its equations; this is for a checkpoint "
        "that does not, and a run's recorded cell must be the same)",
    )
    add_no_progress(p)
    add_json(p, "the report (what report.json holds) and the files written")
    p.set_defaults(func=cmd_analyze)
    return p


def _inputs(args: argparse.Namespace, models):
    """The Inputs the options describe: ``--data``, ``--gaussian`` or a task (``--task``,
    else the one the runs were trained on, with ``--length`` etc.); Gaussian inputs of
    scale 1 when there is no task."""
    from gradsym.numeric.analysis import gaussian_inputs, load_array, task_inputs
    from gradsym.numeric.analysis.analyze import (
        GAUSSIAN_BATCH,
        GAUSSIAN_STEPS,
        check_analysis_memory,
        common_input_size,
        common_task,
    )
    from gradsym.numeric.analysis.data import no_inputs
    from gradsym.numeric.train.tasks import make_task

    task_options = any(getattr(args, o) is not None for o in TASK_OPTIONS)
    if (args.data is not None or args.gaussian is not None) and task_options:
        raise InvalidValueError("--length, --delay and --task-arg describe a --task")
    if args.batch_first and args.data is None:
        raise InvalidValueError("--batch-first applies to a --data array")
    if args.data is not None:
        if args.batch is not None or args.steps is not None:
            raise InvalidValueError("--batch and --steps do not apply to a --data array")
        return load_array(args.data, batch_first=args.batch_first)
    batch = GAUSSIAN_BATCH if args.batch is None else args.batch
    if args.autonomous:
        if task_options:
            raise InvalidValueError("--length, --delay and --task-arg describe a --task")
        steps = GAUSSIAN_STEPS if args.steps is None else args.steps
        size = common_input_size(models)
        check_analysis_memory(models, steps, batch, size)
        return no_inputs(steps, batch, size)
    trained_on = common_task(models)
    if args.gaussian is None and (args.task is not None or trained_on is not None):
        if args.steps is not None:
            raise InvalidValueError(
                "--steps applies to --gaussian inputs (a task has its --length)"
            )
        task = args.task if args.task is not None else trained_on[0]
        start = trained_on[1] if args.task is None else {}
        kwargs = task_kwargs(args, task, start)
        sample = make_task(task, **kwargs)  # its length, before any sequence is drawn
        length = sample.length + sample.length // 10 + 1
        check_analysis_memory(models, length, batch, sample.input_size)
        return task_inputs(task, kwargs, batch=batch, seed=args.seed)
    if task_options:
        raise InvalidValueError(
            "--length, --delay and --task-arg need --task (the models were not all trained "
            "on one task)"
        )
    steps = GAUSSIAN_STEPS if args.steps is None else args.steps
    scale = 1.0 if args.gaussian is None else args.gaussian
    size = common_input_size(models)
    check_analysis_memory(models, steps, batch, size)  # before any input is drawn
    return gaussian_inputs(steps, batch, size, scale=scale, seed=args.seed)


def _inferred(info: dict) -> str:
    """What was inferred from a state_dict, in one line."""
    layers = info["num_layers"]
    parts = [
        f"{info['module']} ({info['input_size']} → {info['hidden_size']})",
        f"{layers} layer{'s' if layers > 1 else ''}",
        "bidirectional" if info["bidirectional"] else "one direction",
        "with biases" if info["bias"] else "without biases",
    ]
    if "nonlinearity" in info:
        parts.append(f"nonlinearity {info['nonlinearity']}")
    if info["prefix"]:
        parts.append(f"keys {info['prefix']}*")
    return ", ".join(parts)


def _plain_table(rows: list[dict[str, str]], block: str = "h") -> str:
    """The summary table as aligned columns for the terminal."""
    from gradsym.numeric.analysis.result import columns

    cols = columns(block)
    table = [[h for _, h in cols]] + [[r[k] for k, _ in cols] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in table
    )


def _command_line(args: argparse.Namespace) -> str:
    """The command line that reproduces this analysis (recorded in the report)."""
    words = ["gradsym", "analyze", *args.models, "--out", str(args.out)]
    for dest in (
        "task", "data", "gaussian", "length", "delay", "steps", "batch", "seed", "exponents",
        "transient", "max_lag", "flow_sequences", "nonlinearity", "prefix",
    ):  # fmt: skip
        value = getattr(args, dest)
        if value is not None:
            words += ["--" + dest.replace("_", "-"), str(value)]
    for key, value in args.task_arg or []:
        words += ["--task-arg", f"{key}={value}"]
    if args.batch_first:
        words.append("--batch-first")
    if args.autonomous:
        words.append("--autonomous")
    if args.state0 != "zeros":
        words += ["--state0", args.state0]
    if args.flow_block != "h":
        words += ["--flow-block", args.flow_block]
    if args.cell_file is not None:
        words += ["--cell-file", str(args.cell_file)]
    return " ".join(shlex.quote(str(w)) for w in words)


def _state0(value: str):
    """--state0: "zeros", "random", or the arrays of a .npy (h) or .npz (h and c) file."""
    if value in ("zeros", "random"):
        return value
    from gradsym.files import open_regular

    path = Path(value)
    if path.suffix not in (".npy", ".npz"):
        raise InvalidValueError(
            f"--state0 must be zeros, random, or a .npy / .npz file, got {value!r}"
        )
    try:
        with open_regular(path) as f:
            loaded = np.load(f, allow_pickle=False)
            if path.suffix == ".npy":
                return loaded
            names = [n for n in ("h", "c") if n in loaded.files]
            if not names or set(loaded.files) - {"h", "c"}:
                raise InvalidValueError(
                    f"--state0 {value}: a .npz holds arrays named h (and c), got "
                    f"{', '.join(loaded.files) or 'none'}"
                )
            arrays = tuple(loaded[n] for n in names)
    except (OSError, ValueError) as exc:
        raise InvalidValueError(
            f"--state0 {value}: cannot be read as NumPy arrays: {exc}"
        ) from None
    return arrays[0] if len(arrays) == 1 else arrays


def cmd_analyze(args: argparse.Namespace) -> int:
    """Run ``gradsym analyze``; 0 on success."""
    from gradsym.numeric.analysis import compare, load_models
    from gradsym.render.analysis import report_json, write_report

    if args.cell_file is not None:  # registered before the models are read
        from gradsym.declared import load_cell_file

        load_cell_file(args.cell_file)
    options = {"nonlinearity": args.nonlinearity, "prefix": args.prefix}
    loaded = []
    for source in args.models:
        loaded += load_models(source, **options)
    inputs = _inputs(args, loaded)
    result = compare(
        loaded,
        inputs,
        k=args.exponents,
        transient=args.transient,
        max_lag=args.max_lag,
        flow_sequences=args.flow_sequences,
        seed=args.seed,
        progress=not args.no_progress,
        state0=_state0(args.state0),
        flow_block=args.flow_block,
    )
    command = _command_line(args)
    paths = write_report(result, args.out, command=command)
    if args.json:  # what report.json holds, and where the files went
        print_json({**json.loads(report_json(result, command)), "written": written(paths)})
        return 0
    print(f"gradsym analyze: {len(result.analyses)} model(s) on {inputs.summary()}")
    for m in loaded:
        if "file" in m.inferred:  # a state_dict: say what its keys and shapes told
            print(f"  {m.label}: inferred {_inferred(m.inferred)}")
    print(_plain_table(result.rows(), args.flow_block))
    for analysis in result.analyses:
        for warning in analysis.warnings:
            print(f"  warning: {analysis.label}, {warning}")
    names = ", ".join(p.name for p in paths)
    print(f"wrote {names} to {args.out}")
    return 0
