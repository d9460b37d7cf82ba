"""``gradsym derive [ID ...] [--out DIR] [--pdf] [--audience student|instructor] [--json]``:
the LaTeX and Markdown derivation of every claim (or of the named ones) in DIR/derivations,
and the notes that input them and the figures: notes.tex for students (the default),
notes-instructor.tex (every claim followed by how each line was checked) for instructors.
``--cell-file FILE [--time-limit SECONDS]`` derives every Jacobian block of a declared
cell instead, in a worker stopped at the time limit."""

from __future__ import annotations

import argparse
import math

from gradsym.cli.options import (
    add_audience,
    add_cell_file,
    add_claim_ids,
    add_json,
    add_out,
    add_pdf,
    add_time_limit,
)
from gradsym.cli.output import print_json, written
from gradsym.cli.writing import check_pdflatex, derive_into
from gradsym.errors import InvalidValueError
from gradsym.files import folder_lock

#: The default time for deriving and checking a declared cell (seconds).
DEFAULT_TIME_LIMIT = 600.0


def cmd_derive(args: argparse.Namespace) -> int:
    check_pdflatex(args.pdf)
    if math.isnan(args.time_limit) or args.time_limit <= 0:
        raise InvalidValueError(
            f"--time-limit must be a positive number of seconds, got {args.time_limit:g}"
        )
    folder = args.out / "derivations"
    if args.cell_file is not None:
        from gradsym.declared import load_cell_file
        from gradsym.render.derivations.declared import write_files

        if args.ids is not None or args.pdf:
            raise InvalidValueError("--cell-file derives one cell: no claim ids, no --pdf")
        declared = load_cell_file(args.cell_file)  # a bad file is refused at once
        files = _within(args.time_limit, _cell_derivation, args.cell_file, declared.name)
        with folder_lock(folder, "write the derivations") as derivations:
            paths = write_files(files, derivations)
        note = " (every step checked)"
    else:
        if args.time_limit != DEFAULT_TIME_LIMIT:
            raise InvalidValueError("--time-limit applies to --cell-file (the claims are fixed)")
        paths = derive_into(args.out, args.ids, args.pdf, args.audience)
        note = ""
    if args.json:
        print_json({"written": written(paths)})
    else:
        print(f"wrote {len(paths)} files in {folder}{note}")
    return 0


def _cell_derivation(path) -> dict[str, str]:
    """The checked derivation files of the cell in the file ``path`` (in a worker)."""
    from gradsym.declared import load_cell_file
    from gradsym.render.derivations.declared import cell_derivation_files

    return cell_derivation_files(load_cell_file(path))


def _within(limit: float, work, path, name: str) -> dict[str, str]:
    """``work(path)`` in a worker process stopped after ``limit`` seconds (inf: in this
    process, without a limit): a cell of many chained equations can take SymPy very long."""
    if limit == math.inf:
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


def add_derive_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``derive``."""
    d = subparsers.add_parser(
        "derive",
        help="write the LaTeX and Markdown derivations and the notes",
        description="Write the derivation of every claim (or of the named ones) as LaTeX "
        "(an align* with the justification of each step) and Markdown, how each line was "
        "checked, and the lecture notes that input them, into DIR/derivations.",
    )
    add_claim_ids(d, "every claim, and the notes")
    add_out(d, "DIR/derivations, which refers to the figures in DIR/figures")
    add_pdf(d, "derivations/notes.tex")
    add_audience(d, "notes.tex", "notes-instructor.tex")
    add_cell_file(d, "derive each of its Jacobian blocks instead, every step checked")
    add_time_limit(
        d, "deriving and checking a --cell-file cell", default=DEFAULT_TIME_LIMIT, zero=None
    )
    add_json(d, "the files written")
    d.set_defaults(func=cmd_derive)
    return d
