"""``gradsym slides [--out DIR] [--claims ID,...] [--audience student|instructor] [--pdf]``:
the lecture as a Beamer deck in ``DIR/slides/``: the 90-minute lecture (at most 50 frames,
its figures redrawn in the slide style from the data in ``DIR/figures/``), or with
``--claims`` one claim per frame."""

from __future__ import annotations

import argparse
from pathlib import Path

from gradsym.cli.derive import check_pdflatex
from gradsym.errors import InvalidValueError
from gradsym.files import folder_lock


def slides_into(out: Path, ids, pdf: bool, audience: str = "student") -> list[Path]:
    """Write ``out``/slides/slides.tex for ``audience``: the 90-minute lecture (``ids``
    None; its figures redrawn in the slide style from ``out``/figures) or one frame per
    claim of ``ids`` (the figures included from ``out``/figures); with ``pdf`` also
    compile the PDF. The folder is locked meanwhile. Returns the written paths."""
    from gradsym.render.deck import write_deck
    from gradsym.render.slides import SLIDES_DIR, compile_slides, write_slides

    with folder_lock(out / SLIDES_DIR, "write the slides") as folder:
        if ids is None:
            paths = write_deck(folder, out / "figures", audience)
        else:
            paths = [write_slides(folder, ids, figures_dir=out / "figures", audience=audience)]
        if pdf:
            paths.append(compile_slides(folder, audience=audience))
    return paths


def claim_ids(text: str) -> list[str]:
    """``--claims a,b``: the ids, stripped, blanks dropped."""
    return [i.strip() for i in text.split(",") if i.strip()]


def check_beamer(pdf: bool) -> None:
    """With ``pdf``, fail before any work if the deck cannot be compiled here."""
    from gradsym.render.slides import beamer_missing

    check_pdflatex(pdf)
    missing = beamer_missing() if pdf else ""
    if missing:
        raise InvalidValueError(f"--pdf cannot compile the slides: {missing}")


def cmd_slides(args: argparse.Namespace) -> int:
    check_beamer(args.pdf)
    ids = None if args.claims is None else claim_ids(args.claims)
    paths = slides_into(Path(args.out), ids, args.pdf, args.audience)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def add_slides_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``slides``."""
    s = subparsers.add_parser(
        "slides", help="the 90-minute lecture as a Beamer deck (or one claim per frame)"
    )
    s.add_argument("--out", default=".", help="folder that holds slides/ and figures/ (default .)")
    s.add_argument(
        "--claims",
        metavar="ID,...",
        help="a deck of these claims, one per frame, comma-separated (default: the lecture)",
    )
    s.add_argument("--pdf", action="store_true", help="also compile slides.pdf with pdflatex")
    s.add_argument(
        "--audience",
        choices=("student", "instructor"),  # AUDIENCES, without importing the renderer
        default="student",
        help="student: the lecture (slides.tex, the default); instructor: also how every "
        "line was checked (slides-instructor.tex)",
    )
    s.set_defaults(func=cmd_slides)
    return s
