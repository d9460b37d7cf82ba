"""``gradsym bench NAME [ARGS ...]``: run one of the speed benchmarks, the scripts in
gradsym/benchmarks/ (shipped with the package, so that an installed gradsym runs them as
a checkout does); each prints ratios against a reference measured in the same process.
ARGS are the script's own (``gradsym bench backend --help``)."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from gradsym.errors import InvalidValueError

#: The benchmark scripts: package data of gradsym (pyproject.toml), not modules (each
#: runs as ``__main__`` and sets its thread counts before it imports NumPy).
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: Their names, in the README's order (a test checks that each has its script).
WHICH = (
    "backend",
    "products",
    "training",
    "step",
    "symbolic",
    "declared",
    "analysis",
    "sweep",
    "checker",
)

#: The scripts' options that count something (rounds, steps, runs, threads, sizes): a
#: count below 1 leaves a script nothing to time (an empty min(), a division by zero).
COUNTS = ("--rounds", "--steps", "--runs", "--threads", "--max-n")


def script_path(which: str) -> Path:
    """The script of benchmark ``which``."""
    return BENCHMARKS / f"bench_{which}.py"


def _check_counts(rest: list[str]) -> None:
    """Every count option in ``rest`` a positive integer (one line, exit 2, before the
    script imports anything)."""
    for k, arg in enumerate(rest):
        name, eq, value = arg.partition("=")
        if name not in COUNTS:
            continue
        if not eq:
            value = rest[k + 1] if k + 1 < len(rest) else ""
        if not (value.isdigit() and int(value) >= 1):
            raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")


def cmd_bench(args: argparse.Namespace) -> int:
    _check_counts(args.rest)
    script = script_path(args.which)
    if not script.is_file():
        raise InvalidValueError(
            f"this installation of gradsym lacks its benchmark script {script}; reinstall it"
        )
    argv, sys.argv = sys.argv, [str(script), *args.rest]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    return 0


def add_bench_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``bench``."""
    be = subparsers.add_parser(
        "bench",
        help="run a speed benchmark (ratios against torch, same process)",
        description="Run one of the speed benchmarks shipped with gradsym; each prints "
        "ratios against a reference (torch, or NumPy's own matrix products) measured in "
        "the same process. The script's own options follow its name; most need torch.",
    )
    be.add_argument("which", choices=WHICH, metavar="NAME", help=", ".join(WHICH))
    be.add_argument(
        "rest", nargs=argparse.REMAINDER, metavar="ARGS", help="the script's own options"
    )
    be.set_defaults(func=cmd_bench)
    return be
