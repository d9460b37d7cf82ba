"""The notes' files under one output folder: DIR/derivations, DIR/figures, DIR/slides,
DIR/exercises and DIR/site, as ``build`` and ``derive``, ``figures``, ``slides``,
``exercises`` and ``site`` write them (each folder locked while it is written: a second
gradsym process writing there is refused at once)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TextIO

from gradsym.cli.progress import live_bar, progress_bar
from gradsym.errors import InvalidValueError
from gradsym.files import folder_lock

__all__ = [
    "check_beamer",
    "check_pdflatex",
    "derive_into",
    "exercises_into",
    "figure_options",
    "figures_into",
    "site_folder",
    "site_into",
    "slides_into",
]


def check_pdflatex(pdf: bool) -> None:
    """With ``pdf``, fail before any work if pdflatex is missing (saying how to get it)."""
    if pdf and shutil.which("pdflatex") is None:
        raise InvalidValueError(
            "--pdf needs pdflatex on the PATH (Debian: apt-get install texlive-latex-base "
            "texlive-latex-recommended texlive-fonts-recommended texlive-pictures)"
        )


def check_beamer(pdf: bool) -> None:
    """With ``pdf``, fail before any work if the deck cannot be compiled here."""
    from gradsym.render.slides import beamer_missing

    check_pdflatex(pdf)
    missing = beamer_missing() if pdf else ""
    if missing:
        raise InvalidValueError(f"--pdf cannot compile the slides: {missing}")


def derive_into(out: Path, ids, pdf: bool, audience: str = "student") -> list[Path]:
    """Write ``out``/derivations (claims ``ids``, None: all and the notes for
    ``audience``); with ``pdf`` also compile the notes' PDF. Returns the written paths."""
    from gradsym.render.derivations import compile_pdf, notes_name, write_derivations

    name = notes_name(audience)
    with folder_lock(out / "derivations", "write the derivations") as derivations:
        paths = write_derivations(derivations, ids, figures_dir=out / "figures", audience=audience)
        if pdf:
            paths.append(compile_pdf(derivations, notes=name))
    return paths


def slides_into(out: Path, ids, pdf: bool, audience: str = "student") -> list[Path]:
    """Write ``out``/slides/slides.tex for ``audience``: the 90-minute lecture (``ids``
    None; its figures redrawn in the slide style from ``out``/figures) or one frame per
    claim of ``ids`` (the figures included from ``out``/figures); with ``pdf`` also
    compile the PDF. Returns the written paths."""
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


def exercises_into(out: Path, seed: int | None = None, pdf: bool = False) -> list[Path]:
    """Write the exercise sheet (the questions of the notes, or with ``seed`` a student's
    variants), its answer file and its solutions into ``out``/exercises; with ``pdf`` also
    compile both sheets. Returns the written paths."""
    from gradsym.render.derivations.pdflatex import compile_pdf
    from gradsym.render.exercises import EXERCISES_DIR, write_exercises

    with folder_lock(out / EXERCISES_DIR, "write the exercises") as folder:
        paths = write_exercises(folder, seed)
        if pdf:
            for name in ("exercises.tex", "solutions.tex"):
                paths.append(compile_pdf(folder, notes=name))
    return paths


def site_folder(audience: str) -> str:
    """``site`` for the students, ``site-instructor`` for the instructor."""
    return "site" if audience == "student" else "site-instructor"


def site_into(out: Path, audience: str = "student"):
    """Write the website for ``audience`` into ``out``/site (or site-instructor), the
    figures from ``out``/figures. Returns :func:`gradsym.render.site.write_site`'s
    result (its root, pages, figures and written paths)."""
    from gradsym.render.site import write_site

    with folder_lock(out / site_folder(audience), "write the website") as folder:
        return write_site(folder, audience=audience, figures_dir=out / "figures")


def figure_options(args: argparse.Namespace):
    """The checked :class:`~gradsym.render.figures.options.FigureOptions` of ``--dpi``,
    ``--format`` and ``--style`` (a bad value is a GradsymError: one line, exit 2)."""
    from gradsym.render.figures.options import figure_options as checked

    return checked(args.dpi, args.format, args.style)


def figures_into(
    out: Path, names, seed: int, options=None, log: TextIO | None = None
) -> list[Path]:
    """Write figures ``names`` (None: all) into ``out``/figures, saying first on ``log``
    (default stdout) where (and which existing files it replaces), with a live bar (and a
    second one inside a figure that computes for long) and one line per figure.
    ``options``: formats, dpi and style (default: those of the committed figures).
    Returns the written paths."""
    from gradsym.render.figures import FigureOptions, figure_names, make_figures

    log = sys.stdout if log is None else log
    options = FigureOptions() if options is None else options
    names = list(names) if names else list(figure_names())
    folder = out / "figures"
    exts = (*options.formats, "json")
    targets = [folder / f"{name}.{ext}" for name in names for ext in exts]
    replaced = sum(path.exists() for path in targets)
    what = "every figure" if len(names) == len(figure_names()) else ", ".join(names)
    note = f" (replacing {replaced} existing files)" if replaced else ""
    print(f"  writing {what} into {folder.resolve()}{note}", file=log, flush=True)
    with progress_bar(len(names), "figures", "figure") as bar:
        bar.set_postfix_str(names[0])

        def progress(name, index, total, seconds):
            bar.update(1)
            if index < total:
                bar.set_postfix_str(names[index])
            bar.write(f"  [{index}/{total}] {name:20} {seconds:6.1f} s", file=log)

        return make_figures(
            folder,
            names,
            seed=seed,
            progress=progress,
            dpi=options.dpi,
            formats=options.formats,
            style=options.style,
            live=live_bar,
        )
