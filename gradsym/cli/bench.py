"""``gradsym bench {backend,products,training,step,symbolic,declared,analysis,sweep,checker}
[ARGS ...]``: run a speed benchmark script from benchmarks/ (a source checkout only); it prints
times, and ratios against a reference measured in the same process."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from gradsym.errors import InvalidValueError

#: benchmarks/ of a source checkout (absent from an installed wheel).
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
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
    script = BENCHMARKS / f"bench_{args.which}.py"
    if not script.exists():
        raise InvalidValueError(f"benchmarks are run from a source checkout; {script} not found")
    argv, sys.argv = sys.argv, [str(script), *args.rest]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    return 0


def add_bench_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``bench``."""
    be = subparsers.add_parser("bench", help="run a benchmark script from benchmarks/")
    be.add_argument("which", choices=WHICH, help="which benchmark")
    be.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the script")
    be.set_defaults(func=cmd_bench)
    return be
