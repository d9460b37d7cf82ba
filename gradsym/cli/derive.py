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
        from gradsym.render.derivations.declared import write_cell_derivation

        if args.ids or args.pdf:
            raise InvalidValueError("--cell-file derives one cell: no claim ids, no --pdf")
        declared = load_cell_file(args.cell_file)
        with folder_lock(out / "derivations", "write the derivations") as derivations:
            paths = write_cell_derivation(declared, derivations)
        print(f"wrote {len(paths)} files in {out / 'derivations'} (every step checked)")
        return 0
    paths = derive_into(out, args.ids or None, args.pdf, args.audience)
    print(f"wrote {len(paths)} files in {out / 'derivations'}")
    return 0


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
    d.set_defaults(func=cmd_derive)
    return d
