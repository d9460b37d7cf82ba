"""The ``gradsym`` command line: one module per command, and the one place that turns
errors into exit codes.

    gradsym build      the main job: derive + figures + verify, with a report  (build.py)
    gradsym derive     LaTeX and Markdown derivations of every claim, and notes.tex  (derive.py)
    gradsym figures    the figures of the notes, with the data behind each  (figures.py)
    gradsym verify     check every claim symbolically and numerically  (verify.py)
    gradsym check      check a candidate Jacobian of a cell  (check.py)
    gradsym train      train a recurrent network on a long-dependency task  (train.py)
    gradsym sweep      success-rate sweeps on Dask, results in SQLite, and their report  (sweep.py)
    gradsym bench      the speed benchmarks (ratios against torch in the same process)  (bench.py)

Each command module has ``add_<command>_parser(subparsers)``, which registers the command
with ``func=`` set to a function of the parsed arguments returning 0 or 1. Errors are not
caught there: :func:`main` maps them.

Exit codes: 0 success, 1 a check failed, 2 bad input (one line on stderr), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from gradsym import __version__
from gradsym.errors import GradsymError

__all__ = ["BAD_INPUT", "INTERRUPTED", "build_parser", "main"]

#: The exit code of every error a user can provoke with bad input (a GradsymError).
BAD_INPUT = 2
#: The exit code after Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The ``gradsym`` parser with every command registered."""
    from gradsym.cli.bench import add_bench_parser
    from gradsym.cli.build import add_build_parser
    from gradsym.cli.check import add_check_parser
    from gradsym.cli.derive import add_derive_parser
    from gradsym.cli.figures import add_figures_parser
    from gradsym.cli.sweep import add_sweep_parser
    from gradsym.cli.train import add_train_parser
    from gradsym.cli.verify import add_verify_parser

    p = argparse.ArgumentParser(prog="gradsym", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"gradsym {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        add_build_parser,
        add_derive_parser,
        add_figures_parser,
        add_verify_parser,
        add_check_parser,
        add_train_parser,
        add_sweep_parser,
        add_bench_parser,
    ):
        add(sub)
    return p


def _fail(command: str, message: str, code: int) -> int:
    print(f"gradsym {command}: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run ``gradsym`` with ``argv`` (default: the process's arguments); the exit code.

    The one place where errors become exit codes: a :class:`~gradsym.errors.GradsymError`
    (bad input) is one line on stderr and exit 2; Ctrl-C is exit 130. argparse's own
    usage errors exit with 2 through SystemExit, as for any program. Any other exception
    is a bug and propagates with its traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GradsymError as exc:
        return _fail(args.command, f"error: {exc}", BAD_INPUT)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted; files already written are complete", INTERRUPTED)
