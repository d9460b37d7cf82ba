"""``gradsym derive [ID ...] [--out DIR] [--pdf] [--audience student|instructor] [--json]``:
the LaTeX and Markdown derivation of every claim (or of the named ones) in DIR/derivations,
and the notes that input them and the figures: notes.tex for students (the default),
notes-instructor.tex (every claim followed by how each line was checked) for instructors.
``--cell-file FILE`` derives every Jacobian block of a declared cell instead."""

from __future__ import annotations

import argparse

from gradsym.cli.options import (
    add_audience,
    add_cell_file,
    add_claim_ids,
    add_json,
    add_out,
    add_pdf,
)
from gradsym.cli.output import print_json, written
from gradsym.cli.writing import check_pdflatex, derive_into
from gradsym.errors import InvalidValueError
from gradsym.files import folder_lock


def cmd_derive(args: argparse.Namespace) -> int:
    check_pdflatex(args.pdf)
    folder = args.out / "derivations"
    if args.cell_file is not None:
        from gradsym.declared import load_cell_file
        from gradsym.render.derivations.declared import write_cell_derivation

        if args.ids is not None or args.pdf:
            raise InvalidValueError("--cell-file derives one cell: no claim ids, no --pdf")
        declared = load_cell_file(args.cell_file)
        with folder_lock(folder, "write the derivations") as derivations:
            paths = write_cell_derivation(declared, derivations)
        note = " (every step checked)"
    else:
        paths = derive_into(args.out, args.ids, args.pdf, args.audience)
        note = ""
    if args.json:
        print_json({"written": written(paths)})
    else:
        print(f"wrote {len(paths)} files in {folder}{note}")
    return 0


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
    add_json(d, "the files written")
    d.set_defaults(func=cmd_derive)
    return d
