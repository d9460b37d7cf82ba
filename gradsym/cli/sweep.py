"""``gradsym sweep``: success-rate experiments on Dask, results in SQLite.

    gradsym sweep SPEC.toml --out DIR [--scheduler tcp://HOST:8786 | --workers N]
    gradsym sweep report DIR [--success EXPR] [--report-dir DIR2]

The first runs every unfinished run of the spec (an embedded LocalCluster by default,
one worker process per core; ``--scheduler`` an existing Dask cluster) and keeps the
results in ``DIR/sweep.db``; run again, it resumes. The second writes the success-rate
report of ``DIR`` (``report.md``, ``report.csv`` and the figure ``success-rate.pdf`` /
``.png`` with its data ``.json``) into ``DIR`` (or ``--report-dir``) and prints the table.

Exit status: 0 when every run finished (done or diverged), 1 when some runs are still
pending (their workers kept dying: run again to resume them), 2 for bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gradsym.errors import InvalidValueError

__all__ = ["add_sweep_parser", "cmd_sweep"]


def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` on ``subparsers``; returns the new parser."""
    p = subparsers.add_parser(
        "sweep",
        help="run a success-rate sweep on Dask (results in SQLite), or report one",
        description=(
            "gradsym sweep SPEC.toml --out DIR runs every run of the spec (configurations "
            "x grid x seeds) on Dask and keeps the results in DIR/sweep.db, skipping the "
            "runs already finished; gradsym sweep report DIR writes the success-rate table and "
            "figure."
        ),
    )
    p.add_argument("target", metavar="SPEC|report", help="the spec (TOML), or 'report'")
    p.add_argument("folder", nargs="?", metavar="DIR", help="with 'report': the sweep folder")
    run = p.add_argument_group("running a sweep")
    run.add_argument("--out", type=Path, help="the sweep folder (holds sweep.db)")
    run.add_argument(
        "--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786"
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to try to reach --scheduler (default 10)",
    )
    run.add_argument(
        "--workers", type=int, help="worker processes of the embedded cluster (default: cores)"
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh: delete DIR/sweep.db and its results (never done without it)",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    rep = p.add_argument_group("reporting")
    rep.add_argument("--success", metavar="EXPR", help="another success criterion")
    rep.add_argument("--report-dir", type=Path, help="where the report goes (default: DIR)")
    p.set_defaults(func=cmd_sweep)
    return p


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or report a sweep; 0, or 1 when runs are left pending."""
    if args.target == "report":
        return _report(args)
    for option in ("success", "report_dir"):
        if getattr(args, option) is not None:
            raise InvalidValueError(
                f"--{option.replace('_', '-')} belongs to `gradsym sweep report`"
            )
    if args.folder is not None:
        raise InvalidValueError(
            f"unexpected argument {args.folder!r}; the sweep folder is given with --out"
        )
    if args.out is None:
        raise InvalidValueError("--out DIR is needed: the folder that holds sweep.db")
    if args.scheduler is not None and args.workers is not None:
        raise InvalidValueError("give --scheduler (an existing cluster) or --workers, not both")
    from gradsym.experiments.execute import sweep
    from gradsym.experiments.spec import load_spec

    spec = load_spec(args.target)
    result = sweep(
        spec,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        connect_timeout=args.timeout,
    )
    not_run = f", {result.not_run} could not run" if result.not_run else ""
    print(
        f"gradsym sweep {spec.name}: {result.total} runs, {result.done} done, "
        f"{result.failed - result.not_run} diverged{not_run}, {result.pending} pending; this "
        f"call ran {result.ran} and skipped {result.skipped} finished in {result.seconds:.1f} s"
    )
    if result.not_run:
        print(f"  {result.not_run} run(s) could not run: their errors are in sweep.db")
    print(f"  results    {result.database}")
    print(f"  report     gradsym sweep report {result.database.parent}")
    if result.pending:
        print("  some runs were lost with their workers: run the same command again to resume")
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    for option in ("out", "scheduler", "workers"):
        if getattr(args, option) is not None:
            raise InvalidValueError(f"--{option} belongs to running a sweep, not to its report")
    if args.overwrite:
        raise InvalidValueError("--overwrite belongs to running a sweep, not to its report")
    if args.folder is None:
        raise InvalidValueError(
            "gradsym sweep report needs the sweep folder: gradsym sweep report DIR"
        )
    from gradsym.experiments.success_rates import report
    from gradsym.files import atomic_write_text, writable_dir
    from gradsym.render.figures import figure_module
    from gradsym.render.figures.writer import write_figure

    rep = report(args.folder, success=args.success)
    out = writable_dir(args.report_dir if args.report_dir is not None else args.folder)
    atomic_write_text(out / "report.md", f"# Sweep {rep.name}\n\n" + rep.markdown())
    atomic_write_text(out / "report.csv", rep.csv())
    module = figure_module("success-rate")
    data = {"figure": module.NAME, "claims": list(module.CLAIMS), "seed": 0, **rep.figure_data()}
    write_figure(module.NAME, data, module.draw, out)
    print(rep.wide_markdown())
    print(rep.markdown(), end="")
    print(f"\nwritten: {out / 'report.md'}, report.csv, success-rate.pdf/.png/.json")
    return 0
