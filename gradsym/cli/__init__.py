"""The ``gradsym`` command line: one module per command, the options they share, and the
one place that turns errors into exit codes.

Each command module (build, derive, figures, slides, site, verify, check, exercises and
grade, cells, train, analyze, sweep, bench) has ``add_<command>_parser(subparsers)``,
which registers the command with ``func=`` set to a function of the parsed arguments
returning its exit code. Command modules never import one another: what several share
lives in :mod:`.options` (one function per common option: ids, ``--out``, ``--json``,
``--seed``, ``--time-limit``, …), :mod:`.output` (JSON and where progress goes),
:mod:`.writing` (the notes' files under one output folder), :mod:`.progress` and
:mod:`.ascii_output`. Errors are not caught in the commands: :func:`main` maps them.

Exit codes: 0 success, 1 a check failed, 2 bad input (one line on stderr), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM), 141 when the reader of the output went away
(``gradsym verify | head``: quietly, as Unix tools do). Under ``--json`` an error is a JSON
object on stdout instead of a line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import signal
import sys
import threading

from gradsym.cli.ascii_output import ascii_safe, can_encode
from gradsym.errors import GradsymError, did_you_mean
from gradsym.validate import nonnegative_int
from gradsym.version import __version__

__all__ = ["BAD_INPUT", "BROKEN_PIPE", "INTERRUPTED", "TERMINATED", "build_parser", "main"]

#: The exit code of every error a user can provoke with bad input (a GradsymError).
BAD_INPUT = 2
#: The exit code after Ctrl-C (128 + SIGINT, as a shell reports it).
INTERRUPTED = 130
#: The exit code after SIGTERM (128 + SIGTERM).
TERMINATED = 143
#: The exit code when stdout's reader closed the pipe (128 + SIGPIPE, as a shell reports
#: a tool that SIGPIPE stopped).
BROKEN_PIPE = 141


#: The errors of a write to stdout that cannot succeed (no space, an I/O error, a file
#: too large, a closed descriptor).
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF})

#: The arguments (dest) that name a file or folder: none may be empty.
PATH_ARGUMENTS = frozenset({"out", "cell_file", "data", "models", "folder", "spec", "answers"})


#: What ``gradsym --help`` says before the list of commands.
DESCRIPTION = """\
Vanishing and exploding gradients in recurrent networks, made exact, checked and
publishable: the derivations, figures and slides of the lecture notes, every claim
checked symbolically (SymPy) and numerically (NumPy), a checker for your own Jacobians,
training on long-range tasks, the gradient flow of trained models, and success-rate
sweeps."""

#: What ``gradsym --help`` says after it.
EPILOG = """\
every command follows one convention:
  ID ...         claim ids, as arguments (derive, slides, verify; figures takes figure
                 names too); none: every claim
  --out DIR      the folder the command writes into: the notes' commands (build,
                 derive, figures, slides, exercises, site) write DIR/derivations,
                 DIR/figures, DIR/slides, DIR/exercises and DIR/site; train, analyze
                 and sweep write their files into DIR itself
  --json         the results as one JSON document on stdout (errors too)
  --seed S       the seed of every random draw

exit status: 0 success, 1 a check failed (or an answer is not right), 2 bad input
(one line naming the problem), 3 a candidate undecided (check), 130 interrupted, 143
terminated.

gradsym COMMAND --help describes a command; python -m gradsym is the same program."""


class Terminated(BaseException):
    """SIGTERM arrived: unwinds the command like Ctrl-C, so that worker processes are
    stopped and temporary files removed on the way out."""


class _Parser(argparse.ArgumentParser):
    """argparse with a "did you mean" for a mistyped command or choice, and usage errors
    as JSON under ``--json``."""

    json_errors = False  # set by main() for the one parse it runs

    def _get_value(self, action, arg_string):
        # An empty path would be read as the current folder: refused for every command
        # here, where argparse converts each value (abbreviations and --opt= forms too).
        if arg_string == "" and action.dest in PATH_ARGUMENTS:
            raise argparse.ArgumentError(action, "an empty path; give a file or folder name")
        return super()._get_value(action, arg_string)

    def _check_value(self, action, value):
        # a sub-command with a default takes any first word (its action reads it)
        if getattr(action, "default_command", None) is not None:
            return
        super()._check_value(action, value)

    def _print_message(self, message, file=None):
        # argparse drops a failed write of the help silently; main() reports it
        if message:
            (file or sys.stderr).write(message)

    def error(self, message: str):
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            message += did_you_mean(m[1], re.findall(r"'([^']*)'", m[2]))
        if _Parser.json_errors:
            command = self.prog.removeprefix("gradsym").strip() or None
            _print_json_error(command, "UsageError", message, BAD_INPUT)
            self.exit(BAD_INPUT)
        # one line, as every other error (argparse would print the whole usage first)
        self.exit(BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The description and epilog as written; the commands listed without a "COMMAND"
    line above them."""

    def __init__(self, prog: str):
        super().__init__(prog)
        # room for the longest command name ("exercises") beside its help, at its indent
        self._action_max_length = 14

    def _format_action(self, action):
        text = super()._format_action(action)
        if isinstance(action, argparse._SubParsersAction):
            text = text.split("\n", 1)[1]
        return text


def build_parser() -> argparse.ArgumentParser:
    """The ``gradsym`` parser with every command registered."""
    from gradsym.cli.analyze import add_analyze_parser
    from gradsym.cli.bench import add_bench_parser
    from gradsym.cli.build import add_build_parser
    from gradsym.cli.cells import add_cells_parser
    from gradsym.cli.check import add_check_parser
    from gradsym.cli.derive import add_derive_parser
    from gradsym.cli.exercises import add_exercises_parser, add_grade_parser
    from gradsym.cli.figures import add_figures_parser
    from gradsym.cli.site import add_site_parser
    from gradsym.cli.slides import add_slides_parser
    from gradsym.cli.sweep import add_sweep_parser
    from gradsym.cli.train import add_train_parser
    from gradsym.cli.verify import add_verify_parser

    p = _Parser(
        prog="gradsym",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_HelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"gradsym {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for add in (
        add_build_parser,
        add_derive_parser,
        add_figures_parser,
        add_slides_parser,
        add_site_parser,
        add_verify_parser,
        add_check_parser,
        add_exercises_parser,
        add_grade_parser,
        add_cells_parser,
        add_train_parser,
        add_analyze_parser,
        add_sweep_parser,
        add_bench_parser,
    ):
        add(sub)
    return p


def _print_json_error(command: str | None, kind: str, message: str, code: int) -> None:
    # Flat, like the commands' own JSON (which carries "exit_code" too).
    error = {"error": message, "type": kind, "command": command, "exit_code": code}
    print(json.dumps(error, ensure_ascii=not can_encode(sys.stdout)))


def _fail(args: argparse.Namespace, kind: str, message: str, code: int) -> int:
    """Report an error of the command: one line on stderr, or JSON on stdout (--json)."""
    if getattr(args, "json", False):
        _print_json_error(args.command, kind, message, code)
    else:
        prefix = "error: " if code == BAD_INPUT else ""
        with contextlib.suppress(OSError, ValueError):  # a stderr that cannot be written
            print(f"gradsym {args.command}: {prefix}{message}", file=sys.stderr)
    return code


def _quiet_stdout() -> None:
    """After a broken pipe: send what is still buffered for stdout to /dev/null, so that
    the interpreter's final flush does not fail with a second traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextlib.contextmanager
def _sigterm_unwinds():
    """While a command runs in the main thread, SIGTERM raises :class:`Terminated` (the
    default would end the process at once, leaving worker processes and temporary files)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _flush_output(prog: str) -> int | None:
    """Flush stdout: None when it took everything, else the exit code of a closed pipe
    (quietly) or of an output that refused the write (one line on stderr)."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return _output_refused(prog, exc)
    return None


def _output_refused(prog: str, exc: OSError) -> int:
    """The exit code for a write to stdout that failed: a closed pipe quietly, a full disk
    or a bad descriptor with one line on stderr; any other OSError is not ours to name."""
    if isinstance(exc, BrokenPipeError):
        _quiet_stdout()
        return BROKEN_PIPE
    if exc.errno not in _OUTPUT_ERRNOS:
        raise exc
    _quiet_stdout()
    with contextlib.suppress(OSError, ValueError):
        print(f"{prog}: error: cannot write the output: {exc.strerror}", file=sys.stderr)
    return BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run ``gradsym`` with ``argv`` (default: the process's arguments); the exit code.

    The one place where errors become exit codes: a :class:`~gradsym.errors.GradsymError`
    (bad input) is one line on stderr and exit 2 (a JSON object on stdout under
    ``--json``); Ctrl-C is exit 130, SIGTERM 143, a closed stdout 141 (quietly).
    argparse's own usage errors exit with 2 through SystemExit, as for any program. Any
    other exception is a bug and propagates with its traceback.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    ascii_safe()  # a terminal that cannot show Unicode gets ASCII spellings, not a traceback
    _Parser.json_errors = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version print, then exit 0
        if exc.code in (0, None):
            failed = _flush_output("gradsym")
            if failed is not None:
                return failed
        raise
    except OSError as exc:  # the help or the version could not be written
        return _output_refused("gradsym", exc)
    finally:
        _Parser.json_errors = False
    try:
        with _sigterm_unwinds():
            if getattr(args, "seed", None) is not None:  # numpy's seeds are >= 0
                nonnegative_int("--seed", args.seed)
            code = args.func(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
    except GradsymError as exc:
        return _fail(args, type(exc).__name__, str(exc), BAD_INPUT)
    except MemoryError:  # sizes are checked against memory first; this is the last guard
        message = "out of memory; try smaller sizes (hidden, batch, length, steps)"
        return _fail(args, "MemoryError", message, BAD_INPUT)
    except KeyboardInterrupt:
        message = "interrupted; files already written are complete"
        return _fail(args, "Interrupted", message, INTERRUPTED)
    except Terminated:
        message = "terminated; files already written are complete"
        return _fail(args, "Terminated", message, TERMINATED)
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE
    except OSError as exc:
        if isinstance(exc, GradsymError) or exc.errno not in _OUTPUT_ERRNOS:
            raise
        # stdout (or stderr) refused a write: a full disk, /dev/full, a closed descriptor;
        # files gradsym writes itself fail as an OutputError, caught above
        _quiet_stdout()
        reason = exc.strerror or str(exc)
        with contextlib.suppress(OSError, ValueError):  # on stderr even under --json
            print(
                f"gradsym {args.command}: error: cannot write the output: {reason}", file=sys.stderr
            )
        return BAD_INPUT
