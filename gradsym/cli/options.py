"""The options the commands share, one function each, so that an option is spelt, parsed
and explained the same way in every command that has it.

The convention (the README's *The command line* says it to users):

- **IDs** are positional: ``gradsym derive ID ...``, ``gradsym slides ID ...``,
  ``gradsym verify ID ...`` take claim ids (none: every claim), ``gradsym figures ID ...``
  takes figure names and claim ids (a claim's figures); a mistyped id is one line with the
  nearest ids, before any work.
- **--out DIR** is the folder the command writes into, and nothing is written outside it;
  a file lands at the same place under DIR whichever command writes it (``build``,
  ``derive``, ``figures`` and ``slides`` lay out DIR/derivations, DIR/figures and
  DIR/slides, so that they can share one DIR; ``train`` writes its run files, ``analyze``
  and ``sweep report`` their report, ``sweep run`` its database into DIR itself).
- **--json** prints the command's results (its table, verdicts or the files it wrote) as
  one JSON document on stdout and nothing else there; what would have been progress goes
  to stderr, and an error is a JSON object too.
- **--seed S** seeds every random draw of the command (an integer >= 0);
  **--time-limit SECONDS** bounds a command's symbolic work (check's proof,
  derive --cell-file's derivation).
- An old spelling kept for scripts (``--run-dir``, ``--report-dir``, ``--claims a,b``)
  still works and says on stderr what to write instead.

Each ``add_*`` function registers one option on an argparse parser (or group); values
that need the library to be checked (ids, formats, sizes) are checked by the library,
which raises a GradsymError (one line, exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "AUDIENCES",
    "TASK_OPTIONS",
    "add_audience",
    "add_cell_file",
    "add_claim_ids",
    "add_deprecated_alias",
    "add_figure_ids",
    "add_figure_options",
    "add_json",
    "add_no_progress",
    "add_out",
    "add_pdf",
    "add_seed",
    "add_subcommands",
    "add_task_options",
    "add_time_limit",
    "task_kwargs",
    "task_names",
]

#: The audiences of the notes and slides (the renderers' AUDIENCES, without importing them).
AUDIENCES = ("student", "instructor")


# -- ids ------------------------------------------------------------------------------------


class _Ids(argparse.Action):
    """IDs from the positional arguments and from a deprecated ``--claims a,b``, in the
    order given. None when neither was given (every claim); an empty list when only an
    empty ``--claims`` was (which the library refuses: "no claims chosen")."""

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string is None and not values:
            return  # no positional ids: leave None, or what --claims gave
        given = list(getattr(namespace, self.dest, None) or [])
        setattr(namespace, self.dest, given + list(values))


def add_claim_ids(parser: argparse.ArgumentParser, what: str = "every claim") -> None:
    """Positional ``ID ...`` (dest ``ids``): claim ids, None when none is given (``what``
    is then done for every claim)."""
    parser.add_argument(
        "ids",
        nargs="*",
        action=_Ids,
        default=None,
        metavar="ID",
        help=f"claim ids, in any order (default: {what}); gradsym verify lists every id",
    )


def add_figure_ids(parser: argparse.ArgumentParser) -> None:
    """Positional ``ID ...`` of ``figures``: figure names or claim ids (a claim's figures)."""
    parser.add_argument(
        "ids",
        nargs="*",
        action=_Ids,
        default=None,
        metavar="ID",
        help="a figure's name, or a claim id for the figures that illustrate the claim "
        "(default: every figure)",
    )


def _comma_list(text: str) -> list[str]:
    """``a, b,,c`` → ``['a', 'b', 'c']``."""
    return [word.strip() for word in text.split(",") if word.strip()]


# -- deprecated spellings ------------------------------------------------------------------


def _warn(parser: argparse.ArgumentParser, message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a stderr that cannot be written
        print(f"{parser.prog}: warning: {message}", file=sys.stderr)


class _DeprecatedAlias(argparse.Action):
    """An old spelling of an option: does what the new one does, and says so on stderr.

    ``instead`` is the spelling to use; ``merge`` (for ids) adds the comma-separated
    values to ``dest`` instead of replacing it."""

    def __init__(self, option_strings, dest, instead: str, merge: bool = False, **kwargs):
        self.instead = instead
        self.merge = merge
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        _warn(parser, f"{option_string} is deprecated; use {self.instead}")
        if self.merge:
            given = list(getattr(namespace, self.dest, None) or [])
            setattr(namespace, self.dest, given + _comma_list(values))
        else:
            setattr(namespace, self.dest, values)


def add_deprecated_alias(
    parser: argparse.ArgumentParser,
    old: str,
    dest: str,
    instead: str,
    *,
    type: Any = None,
    metavar: str | None = None,
    merge: bool = False,
) -> None:
    """Keep ``old`` working as the option whose value goes to ``dest``: its value is used
    as that option's, and a warning names ``instead`` on stderr. Hidden from the help."""
    parser.add_argument(
        old,
        dest=dest,
        action=_DeprecatedAlias,
        instead=instead,
        merge=merge,
        type=type,
        metavar=metavar,
        help=argparse.SUPPRESS,
    )


# -- sub-commands ---------------------------------------------------------------------------


class _SubcommandsWithDefault(argparse._SubParsersAction):
    """Sub-commands where a first word that names none is the first argument of
    ``default_command`` (``gradsym sweep SPEC.toml`` is ``gradsym sweep run SPEC.toml``),
    unless it is a near miss of one (``reprot``) and no such file exists. The parser's
    check of the word (``_Parser._check_value``) lets any word through to here."""

    default_command: str

    def __call__(self, parser, namespace, values, option_string=None):
        from gradsym.errors import did_you_mean

        names = list(self.choices)
        if values and values[0] not in names:
            if did_you_mean(values[0], names) and not Path(values[0]).exists():
                listed = ", ".join(repr(n) for n in names)
                parser.error(f"invalid choice: {values[0]!r} (choose from {listed})")
            values = [self.default_command, *values]
        super().__call__(parser, namespace, values, option_string)


def add_subcommands(
    parser: argparse.ArgumentParser, dest: str, names: tuple[str, ...], default: str | None = None
):
    """Real sub-commands ``names`` of ``parser`` (argparse sub-parsers; the one given in
    ``dest``); with ``default``, a first word that names none is that sub-command's first
    argument. Returns the object whose ``add_parser`` registers each."""
    metavar = "{" + ",".join(names) + "}"
    if default is None:
        return parser.add_subparsers(dest=dest, required=True, metavar=metavar)
    modes = parser.add_subparsers(
        dest=dest, required=True, metavar=metavar, action=_SubcommandsWithDefault
    )
    modes.default_command = default
    return modes


# -- where the output goes -----------------------------------------------------------------


def add_out(
    parser: argparse.ArgumentParser,
    holds: str,
    default: str | None = ".",
    *,
    required: bool = False,
) -> None:
    """``--out DIR`` (dest ``out``, a Path, or None when it has no default): the folder
    the command writes into; ``holds`` says what lands there."""
    if required or default is None:
        shown = ""
    else:
        shown = "; default: the current folder" if default == "." else f"; default {default}"
    parser.add_argument(
        "--out",
        type=Path,
        default=None if default is None else Path(default),
        required=required,
        metavar="DIR",
        help=f"the folder to write into: {holds}{shown}",
    )


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json``: print ``what`` as one JSON document on stdout (errors as JSON too)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON document on stdout, and nothing else there (an error too)",
    )


def add_pdf(parser: argparse.ArgumentParser, what: str, needs: str = "") -> None:
    """``--pdf``: also compile ``what`` with pdflatex (and what else it ``needs``)."""
    also = f" and {needs}" if needs else ""
    parser.add_argument(
        "--pdf", action="store_true", help=f"also compile {what} (needs pdflatex{also})"
    )


def add_audience(
    parser: argparse.ArgumentParser,
    student: str,
    instructor: str,
    *,
    student_gets: str = "the lecture without its checks",
    instructor_also: str = "how every line was checked",
) -> None:
    """``--audience student|instructor`` (default student); ``student`` and ``instructor``
    name the files each writes, ``student_gets`` and ``instructor_also`` what is in them."""
    parser.add_argument(
        "--audience",
        choices=AUDIENCES,
        default="student",
        help=f"student: {student_gets} ({student}, the default); instructor: also "
        f"{instructor_also} ({instructor})",
    )


def add_no_progress(parser: argparse.ArgumentParser) -> None:
    """``--no-progress``: no progress bar (there is none anyway when stderr is no terminal)."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


# -- randomness and time -------------------------------------------------------------------


def add_seed(
    parser: argparse.ArgumentParser,
    what: str = "every random draw",
    default: int | None = 0,
    shown: int | None = None,
) -> None:
    """``--seed S`` (an integer; :func:`gradsym.cli.main` refuses a negative one). With
    ``default`` None (a seed given or not), ``shown`` is the default the help states."""
    shown = default if shown is None else shown
    shown = "" if shown is None else f", default {shown}"
    parser.add_argument(
        "--seed",
        type=int,
        default=default,
        metavar="S",
        help=f"seed of {what} (an integer >= 0{shown})",
    )


def add_time_limit(
    parser: argparse.ArgumentParser,
    what: str,
    default: float = 60.0,
    zero: str | None = "no proof, the verdict is at best undecided",
) -> None:
    """``--time-limit SECONDS`` (dest ``time_limit``, a float; inf: no limit; ``zero``
    what 0 means, None where 0 is refused). The command or the library checks the value
    (NaN and negatives are refused: one line, exit 2)."""
    means = f"; 0: {zero}" if zero is not None else ""
    parser.add_argument(
        "--time-limit",
        type=float,
        default=default,
        metavar="SECONDS",
        help=f"time for {what} (default {default:g}; inf: no limit{means})",
    )


# -- cells and tasks -----------------------------------------------------------------------


def add_cell_file(parser, what: str) -> None:
    """``--cell-file FILE``: a cell declared by its equations (.toml or .txt); ``what``
    the command does with it."""
    parser.add_argument(
        "--cell-file",
        type=Path,
        metavar="FILE",
        help=f"a cell declared by its equations (.toml or .txt): {what}",
    )


def task_names() -> str:
    """The long-range tasks, for help texts (from the tasks' registry, which checks a name)."""
    from gradsym.numeric.train.tasks import TASKS

    return ", ".join(TASKS)


def _task_arg(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON when it is JSON, else kept as text."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"task arguments are KEY=VALUE, got {text!r}")
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):  # not JSON (or too long or deep to read): the text
        parsed = value
    return key.strip(), parsed


def add_task_options(group, length: str = "the task's sequence length T") -> None:
    """``--length``, ``--delay`` and ``--task-arg KEY=VALUE`` (repeatable): the arguments
    of a long-range task, read together by :func:`task_kwargs`."""
    group.add_argument("--length", type=int, help=length)
    group.add_argument("--delay", type=int, help="the delay of the echo and copy tasks")
    group.add_argument(
        "--task-arg",
        type=_task_arg,
        action="append",
        metavar="KEY=VALUE",
        help="another argument of the task, e.g. n_copy=2 (repeatable)",
    )


#: The dests of :func:`add_task_options`.
TASK_OPTIONS = ("length", "delay", "task_arg")


def task_kwargs(args: argparse.Namespace, task: str, start: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``task``: ``start`` updated with --task-arg, --length and --delay
    (the copy task's length is its delay)."""
    import inspect

    from gradsym.errors import InvalidValueError
    from gradsym.numeric.train.tasks import TASKS

    kwargs: dict[str, Any] = {**start, **dict(args.task_arg or [])}
    if args.length is not None:
        if task == "copy":
            if args.delay is not None and args.delay != args.length:
                raise InvalidValueError(
                    "the copy task's length is its delay T; give --length or --delay, not both"
                )
            kwargs["delay"] = args.length
        else:
            kwargs["length"] = args.length
    if args.delay is not None:
        if task in TASKS and "delay" not in inspect.signature(TASKS[task]).parameters:
            raise InvalidValueError(f"--delay applies to the echo and copy tasks, not to {task!r}")
        kwargs["delay"] = args.delay
    return kwargs


# -- figures ------------------------------------------------------------------------------


def add_figure_options(parser: argparse.ArgumentParser) -> None:
    """``--dpi``, ``--format`` and ``--style`` (figures, build); checked by
    :func:`gradsym.render.figures.options.figure_options` (GradsymError, exit 2)."""
    from gradsym.render.figures.style import DEFAULT_FORMATS, FORMATS, PNG_DPI, STYLES

    parser.add_argument(
        "--dpi", type=int, default=None, metavar="N", help=f"PNG resolution (default {PNG_DPI})"
    )
    parser.add_argument(
        "--format",
        default=None,
        metavar="LIST",
        help=f"comma-separated subset of {','.join(FORMATS)} (default {','.join(DEFAULT_FORMATS)})",
    )
    parser.add_argument(
        "--style",
        default=None,
        metavar="STYLE",
        help=f"{' or '.join(STYLES)}: print sizes, or larger text and thicker lines for a "
        "projector (default paper)",
    )
