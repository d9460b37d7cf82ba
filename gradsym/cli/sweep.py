"""``gradsym sweep``: success-rate experiments on Dask, results in SQLite; two sub-commands.

    gradsym sweep run SPEC.toml --out DIR [--scheduler tcp://HOST:8786 | --workers N]
    gradsym sweep report DIR [--success EXPR] [--out DIR2]

``run`` runs every unfinished run of the spec (an embedded LocalCluster by default, one
worker process per core; ``--scheduler`` an existing Dask cluster) and keeps the results
in ``DIR/sweep.db``; run again, it resumes. ``gradsym sweep SPEC.toml --out DIR`` (no
sub-command) is ``run``. ``report`` writes the success-rate report of the sweep in ``DIR``
(``report.md``, ``report.csv`` and the figure ``success-rate.pdf`` / ``.png`` with its
data ``.json``) into ``--out`` (default ``DIR``; ``--report-dir`` is its old spelling) and
prints the table.

Exit status: 0 when every run finished (done or diverged), 1 when some runs are still
pending (their workers kept dying: run again to resume them), 2 for bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from gradsym.cli.options import (
    add_deprecated_alias,
    add_json,
    add_no_progress,
    add_out,
    add_subcommands,
)
from gradsym.cli.output import print_json, written

__all__ = ["add_sweep_parser", "cmd_sweep_report", "cmd_sweep_run"]


def add_sweep_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` with its sub-commands ``run`` and ``report``."""
    p = subparsers.add_parser(
        "sweep",
        help="success-rate sweeps on Dask, results in SQLite, and reports",
        description="Run a success-rate sweep (configurations x grid x seeds) on Dask, "
        "keeping the results in SQLite, or report one. gradsym sweep SPEC.toml --out DIR "
        "is gradsym sweep run SPEC.toml --out DIR.",
    )
    # gradsym sweep SPEC.toml --out DIR, the form from before sub-commands, is run
    modes = add_subcommands(p, "sweep_command", ("run", "report"), default="run")
    run = modes.add_parser(
        "run",
        help="run every unfinished run of a spec (run again to resume)",
        description="Run every run of the spec (configurations x grid x seeds) on Dask and "
        "keep the results in DIR/sweep.db, skipping the runs already finished. Exit 1 when "
        "runs are left pending (run again to resume them).",
    )
    run.add_argument("spec", metavar="SPEC.toml", help="the sweep's spec (TOML)")
    add_out(run, "the sweep folder: DIR/sweep.db holds the results", required=True)
    cluster = run.add_mutually_exclusive_group()
    cluster.add_argument(
        "--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786"
    )
    cluster.add_argument(
        "--workers", type=int, help="worker processes of the embedded cluster (default: cores)"
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to try to reach --scheduler (default 10)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh: delete DIR/sweep.db and its results (never done without it)",
    )
    add_no_progress(run)
    add_json(run, "what the sweep did (runs done, diverged, pending)")
    run.set_defaults(func=cmd_sweep_run)

    report = modes.add_parser(
        "report",
        help="the success rates of a sweep: table, CSV and figure",
        description="Write the success-rate report of the sweep in DIR (report.md, "
        "report.csv, success-rate.pdf/.png and its data .json), with Wilson intervals and "
        "the median steps to success, and print the table.",
    )
    report.add_argument("folder", type=Path, metavar="DIR", help="the sweep folder (sweep.db)")
    report.add_argument(
        "--success", metavar="EXPR", help="another success criterion than the spec's"
    )
    add_out(report, "report.md, report.csv and the figure (default: DIR)", default=None)
    add_deprecated_alias(report, "--report-dir", "out", "--out", type=Path, metavar="DIR")
    add_json(report, "the success rates (one entry per configuration and x)")
    report.set_defaults(func=cmd_sweep_report)
    return p


def cmd_sweep_run(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep; 0, or 1 when runs are left pending."""
    from gradsym.experiments.execute import sweep
    from gradsym.experiments.spec import load_spec

    spec = load_spec(args.spec)
    result = sweep(
        spec,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        connect_timeout=args.timeout,
    )
    if args.json:
        print_json(
            {
                "sweep": spec.name,
                "database": str(result.database),
                "total": result.total,
                "done": result.done,
                "diverged": result.failed - result.not_run,
                "not_run": result.not_run,
                "pending": result.pending,
                "ran": result.ran,
                "skipped": result.skipped,
                "seconds": round(result.seconds, 1),
            }
        )
        return 1 if result.pending else 0
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


def cmd_sweep_report(args: argparse.Namespace) -> int:
    """Write and print the success-rate report of a sweep; 0."""
    from gradsym.experiments.success_rates import report
    from gradsym.files import atomic_write_text, writable_dir
    from gradsym.render.figures import figure_module
    from gradsym.render.figures.writer import write_figure

    rep = report(args.folder, success=args.success)
    out = writable_dir(args.out if args.out is not None else args.folder)
    paths = [
        atomic_write_text(out / "report.md", f"# Sweep {rep.name}\n\n" + rep.markdown()),
        atomic_write_text(out / "report.csv", rep.csv()),
    ]
    module = figure_module("success-rate")
    data = {"figure": module.NAME, "claims": list(module.CLAIMS), "seed": 0, **rep.figure_data()}
    paths += write_figure(module.NAME, data, module.draw, out)
    if args.json:
        print_json(
            {
                "sweep": rep.name,
                "criterion": rep.criterion,
                "x": rep.x,
                "settings": rep.settings,
                "pending": rep.pending,
                "not_run": rep.not_run,
                "rates": [dataclasses.asdict(cell) for cell in rep.cells],
                "written": written(paths),
            }
        )
        return 0
    print(rep.wide_markdown())
    print(rep.markdown(), end="")
    print(f"\nwritten: {out / 'report.md'}, report.csv, success-rate.pdf/.png/.json")
    return 0
