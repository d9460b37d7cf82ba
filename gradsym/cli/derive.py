"""``gradsym derive [ID ...] [--out DIR] [--pdf] [--audience student|instructor]``: the
LaTeX and Markdown derivation of every claim (or of the named ones), and the notes that
input them and the figures: notes.tex for students (the default), notes-instructor.tex
(every claim followed by how each line was checked) for instructors."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from gradsym.errors import InvalidValueError
from gradsym.files import folder_lock


def check_pdflatex(pdf: bool) -> None:
    """With ``pdf``, fail before any work if pdflatex is missing (saying how to get it)."""
    if pdf and shutil.which("pdflatex") is None:
        raise InvalidValueError(
            "--pdf needs pdflatex on the PATH (Debian: apt-get install texlive-latex-base "
            "texlive-latex-recommended texlive-fonts-recommended texlive-pictures)"
        )


def derive_into(out: Path, ids, pdf: bool, audience: str = "student") -> list[Path]:
    """Write ``out``/derivations (claims ``ids``, None: all and the notes for
    ``audience``); with ``pdf`` also compile the notes' PDF. The folder is locked
    meanwhile (another gradsym process writing there is refused). Returns the written
    paths."""
    from gradsym.render.derivations import compile_pdf, notes_name, write_derivations

    name = notes_name(audience)
    with folder_lock(out / "derivations", "write the derivations") as derivations:
        paths = write_derivations(derivations, ids, figures_dir=out / "figures", audience=audience)
        if pdf:
            paths.append(compile_pdf(derivations, notes=name))
    return paths


def add_audience_option(parser: argparse.ArgumentParser) -> None:
    """``--audience student|instructor`` (default student)."""
    parser.add_argument(
        "--audience",
        choices=("student", "instructor"),
        default="student",
        help="student: derivations, figures, no checks (notes.tex, the default); "
        "instructor: also how every line was checked (notes-instructor.tex)",
    )


def cmd_derive(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_pdflatex(args.pdf)
    if args.cell_file is not None:
        from gradsym.declared import load_cell_file
        from gradsym.render.derivations.declared import write_files

        if args.ids or args.pdf:
            raise InvalidValueError("--cell-file derives one cell: no claim ids, no --pdf")
        declared = load_cell_file(args.cell_file)  # a bad file is refused at once
        files = _within(args.time_limit, _cell_derivation, args.cell_file, declared.name)
        with folder_lock(out / "derivations", "write the derivations") as derivations:
            paths = write_files(files, derivations)
        print(f"wrote {len(paths)} files in {out / 'derivations'} (every step checked)")
        return 0
    if args.time_limit != DEFAULT_TIME_LIMIT:
        raise InvalidValueError("--time-limit applies to --cell-file (the claims are fixed)")
    paths = derive_into(out, args.ids or None, args.pdf, args.audience)
    print(f"wrote {len(paths)} files in {out / 'derivations'}")
    return 0


#: The default time for deriving and checking a declared cell (seconds).
DEFAULT_TIME_LIMIT = 600.0


def _cell_derivation(path: str) -> dict[str, str]:
    """The checked derivation files of the cell in the file ``path`` (in a worker)."""
    from gradsym.declared import load_cell_file
    from gradsym.render.derivations.declared import cell_derivation_files

    return cell_derivation_files(load_cell_file(path))


def _within(limit: float, work, path: str, name: str) -> dict[str, str]:
    """``work(path)`` in a worker process stopped after ``limit`` seconds (inf: in this
    process, without a limit): a cell of many chained equations can take SymPy very long."""
    if limit == float("inf"):
        return work(path)
    from concurrent.futures import TimeoutError as FutureTimeout

    from gradsym.workers import worker_pool

    try:
        with worker_pool(1) as pool:
            return pool.submit(work, path).result(timeout=limit)
    except FutureTimeout:
        raise InvalidValueError(
            f"the derivation of cell {name!r} did not finish within {limit:g} s; nothing was "
            "written (give it more with --time-limit SECONDS, or inf)"
        ) from None


def _seconds(text: str) -> float:
    """A --time-limit: a positive number of seconds, or inf."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:  # NaN, 0 and negatives
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def add_derive_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``derive``."""
    d = subparsers.add_parser("derive", help="write the LaTeX and Markdown derivations")
    d.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all and notes.tex)")
    d.add_argument("--out", default=".", help="folder that holds derivations/ (default .)")
    d.add_argument("--pdf", action="store_true", help="also compile derivations/notes.pdf")
    add_audience_option(d)
    d.add_argument(
        "--cell-file",
        metavar="FILE",
        help="derive every Jacobian block of a cell declared by its equations instead",
    )
    d.add_argument(
        "--time-limit",
        type=_seconds,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"time for deriving and checking a --cell-file cell (default {DEFAULT_TIME_LIMIT:g}; "
        "inf: no limit)",
    )
    d.set_defaults(func=cmd_derive)
    return d
