"""``gradsym build [--out DIR] [--seed S] [--pdf] [--audience student|instructor] [--site]
[--dpi N] [--format LIST] [--style S] [--json]``: the main job. Figures (in the formats,
resolution and style asked for), derivations (and notes.pdf), slides, the exercise sheet
(and with ``--site`` the website) into DIR, the verification of every claim and the
numeric backend's self-check, with a report; exit 1 if any check failed."""

from __future__ import annotations

import argparse
import json
import time

from gradsym.cli.options import (
    add_audience,
    add_figure_options,
    add_json,
    add_out,
    add_pdf,
    add_seed,
)
from gradsym.cli.output import print_json, progress_stream, written
from gradsym.cli.progress import progress_bar
from gradsym.cli.writing import (
    check_pdflatex,
    derive_into,
    exercises_into,
    figure_options,
    figures_into,
    site_folder,
    site_into,
    slides_into,
)
from gradsym.files import folder_lock


def backend_table(rows) -> str:
    """The rows of :func:`gradsym.numeric.selfcheck.check_backend` as the report prints them."""
    from gradsym.numeric.selfcheck import GRADCHECK_RTOL

    rtol = f"{GRADCHECK_RTOL:.0e}".replace("e-0", "e-")
    lines = [
        "Numeric backend: hand-written backward passes and state Jacobians",
        f"against central differences (float64, relative error, pass < {rtol})",
        f"  {'cell':30} {'worst gradient':>16} {'error':>10} {'Jacobian error':>15}",
    ]
    for r in rows:
        lines.append(
            f"  {r.label:30} {r.worst_gradient:>16} {r.gradient_error:10.2e} "
            f"{r.jacobian_error:15.2e}  {'✓' if r.passed else '✗'}"
        )
    return "\n".join(lines)


def backend_json(rows) -> list[dict]:
    """The same rows for ``--json``."""
    return [
        {
            "cell": r.label,
            "worst_gradient": r.worst_gradient,
            "gradient_error": r.gradient_error,
            "jacobian_error": r.jacobian_error,
            "passed": r.passed,
        }
        for r in rows
    ]


def verify_with_progress(seed: int):
    """:func:`gradsym.notes.verify` of every claim, one claim at a time under a live bar."""
    from gradsym.notes import claims
    from gradsym.notes.verify import Report, verify_claim

    chosen = claims()
    t0 = time.perf_counter()
    rows = []
    with progress_bar(len(chosen), "verifying", "claim") as bar:
        for claim in chosen:
            bar.set_postfix_str(claim.id)
            rows.append(verify_claim(claim, seed))
            bar.update(1)
    return Report(rows, seed, time.perf_counter() - t0)


def cmd_build(args: argparse.Namespace) -> int:
    from gradsym.numeric.selfcheck import check_backend
    from gradsym.render.derivations import notes_name
    from gradsym.render.figures import figure_names
    from gradsym.render.slides import beamer_missing

    t0 = time.perf_counter()
    log = progress_stream(args)
    options = figure_options(args)
    check_pdflatex(args.pdf)
    beamer = beamer_missing() if args.pdf else ""  # the notes' PDF does not need Beamer
    out = args.out
    # Both output folders are held for the whole build: a second build into the same
    # folder is refused at once instead of interleaving its files with this one's.
    with (
        folder_lock(out / "figures", "build"),
        folder_lock(out / "derivations", "build"),
    ):
        print(f"gradsym build → {out.resolve()}\n", file=log)
        print("1/4 figures", file=log)
        figure_paths = figures_into(out, None, args.seed, options, log=log)
        print(f"2/4 derivations and slides{' (and their PDFs)' if args.pdf else ''}", file=log)
        derivation_paths = derive_into(out, None, args.pdf, args.audience)
        slide_paths = slides_into(out, None, args.pdf and not beamer, args.audience)
        if args.pdf and beamer:
            print(f"  slides.pdf not compiled: {beamer}", file=log)
        exercise_paths = exercises_into(out)
        site = site_into(out, args.audience) if args.site else None
    print("3/4 verifying every claim\n", file=log)
    report = verify_with_progress(args.seed)
    if not args.json:
        print(report.table())
    print("\n4/4 checking the numeric backend\n", file=log)
    backend = check_backend(seed=args.seed)
    ok = report.passed and all(r.passed for r in backend)
    seconds = time.perf_counter() - t0
    if args.json:
        print_json(
            {
                "passed": ok,
                "seconds": round(seconds, 1),
                "written": {
                    "figures": written(figure_paths),
                    "derivations": written(derivation_paths),
                    "slides": written(slide_paths),
                    "exercises": written(exercise_paths),
                    **({} if site is None else {"site": written(site.paths)}),
                },
                "verify": json.loads(report.to_json()),
                "backend": backend_json(backend),
            }
        )
        return 0 if ok else 1
    print(backend_table(backend))
    print("\nWritten:")
    notes = notes_name(args.audience)
    pdf = f", {notes.removesuffix('.tex')}.pdf" if args.pdf else ""
    print(
        f"  {len(derivation_paths):3} files in {out / 'derivations'} "
        f"(per claim its .tex and .md and how it was checked, {notes}{pdf}, "
        f"{notes.removesuffix('.tex')}.md)"
    )
    print(f"  {len(slide_paths):3} files in {out / 'slides'} (the Beamer deck, one claim a frame)")
    print(
        f"  {len(exercise_paths):3} files in {out / 'exercises'} (the exercise sheet, its "
        "answer file and its solutions)"
    )
    if site is not None:
        print(
            f"  {len(site.paths):3} files in {out / site_folder(args.audience)} (the website: "
            f"{len(site.pages)} pages)"
        )
    print(
        f"  {len(figure_paths):3} files in {out / 'figures'} "
        f"({len(figure_names())} figures as {', '.join('.' + f for f in options.formats)} "
        "and their data as .json)"
    )
    status = "every claim verified" if ok else "SOME CHECKS FAILED"
    print(f"\n{status}: {len(report.rows)} claims, {seconds:.0f} s")
    return 0 if ok else 1


def add_build_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``build``."""
    b = subparsers.add_parser(
        "build",
        help="the main job: figures, derivations, slides, verification",
        description="Write the figures, the derivations and notes, the slides and the "
        "exercise sheet (and the website) into DIR, verify every claim symbolically and "
        "numerically, check the numeric backend against central differences, and report; "
        "exit 1 if any check fails.",
    )
    add_out(b, "DIR/figures, DIR/derivations, DIR/slides, DIR/exercises (and DIR/site)")
    add_seed(b, "every random run")
    add_pdf(b, "derivations/notes.tex and slides/slides.tex", "Beamer for the slides")
    add_audience(b, "notes.tex, slides.tex", "notes-instructor.tex, slides-instructor.tex")
    b.add_argument(
        "--site",
        action="store_true",
        help="also write the notes as a static website (site/, or site-instructor/)",
    )
    add_figure_options(b)
    add_json(b, "the report (verification, backend check, files written)")
    b.set_defaults(func=cmd_build)
    return b
