"""``gradsym build [--out DIR] [--seed S] [--pdf] [--audience student|instructor] [--dpi N]
[--format LIST] [--style S]``: the main job. Figures (in the formats, resolution and style
asked for), derivations (and notes.pdf), the verification of every claim and the numeric
backend's self-check, with a report; exit 1 if any check failed."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gradsym.cli.derive import add_audience_option, check_pdflatex, derive_into
from gradsym.cli.figures import add_figure_options, figures_into, options_from_args
from gradsym.cli.progress import progress_bar
from gradsym.cli.site import site_folder, site_into
from gradsym.cli.slides import slides_into
from gradsym.files import folder_lock


def print_backend_report(rows) -> bool:
    """Print the rows of :func:`gradsym.numeric.selfcheck.check_backend`; True if all pass."""
    from gradsym.numeric.selfcheck import GRADCHECK_RTOL

    print("Numeric backend: hand-written backward passes and state Jacobians")
    rtol = f"{GRADCHECK_RTOL:.0e}".replace("e-0", "e-")
    print(f"against central differences (float64, relative error, pass < {rtol})")
    print(f"  {'cell':30} {'worst gradient':>16} {'error':>10} {'Jacobian error':>15}")
    ok = True
    for r in rows:
        ok &= r.passed
        print(
            f"  {r.label:30} {r.worst_gradient:>16} {r.gradient_error:10.2e} "
            f"{r.jacobian_error:15.2e}  {'✓' if r.passed else '✗'}"
        )
    return ok


def exercises_into(out: Path) -> list[Path]:
    """The exercise sheet of the notes (no seed), its answer file and its solutions in
    ``out``/exercises."""
    from gradsym.render.exercises import EXERCISES_DIR, write_exercises

    with folder_lock(out / EXERCISES_DIR, "write the exercises") as folder:
        return write_exercises(folder)


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
    options = options_from_args(args)
    check_pdflatex(args.pdf)
    beamer = beamer_missing() if args.pdf else ""  # the notes' PDF does not need Beamer
    out = Path(args.out)
    # Both output folders are held for the whole build: a second build into the same
    # folder is refused at once instead of interleaving its files with this one's.
    with (
        folder_lock(out / "figures", "build"),
        folder_lock(out / "derivations", "build"),
    ):
        print(f"gradsym build → {out.resolve()}\n")
        print("1/4 figures")
        figure_paths = figures_into(out, None, args.seed, options)
        print(f"2/4 derivations and slides{' (and their PDFs)' if args.pdf else ''}")
        derivation_paths = derive_into(out, None, args.pdf, args.audience)
        slide_paths = slides_into(out, None, args.pdf and not beamer, args.audience)
        if args.pdf and beamer:
            print(f"  slides.pdf not compiled: {beamer}")
        exercise_paths = exercises_into(out)
        site = site_into(out, args.audience) if args.site else None
    print("3/4 verifying every claim\n")
    report = verify_with_progress(args.seed)
    print(report.table())
    print("\n4/4 checking the numeric backend\n")
    backend_ok = print_backend_report(check_backend(seed=args.seed))
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
    ok = report.passed and backend_ok
    n_claims = len(report.rows)
    status = "every claim verified" if ok else "SOME CHECKS FAILED"
    print(f"\n{status}: {n_claims} claims, {time.perf_counter() - t0:.0f} s")
    return 0 if ok else 1


def add_build_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``build``."""
    b = subparsers.add_parser("build", help="derive + figures + verify, with a report")
    b.add_argument("--out", default=".", help="folder for derivations/ and figures/ (default .)")
    b.add_argument("--seed", type=int, default=0, help="seed of every random run (default 0)")
    b.add_argument("--pdf", action="store_true", help="also compile derivations/notes.pdf")
    b.add_argument(
        "--site",
        action="store_true",
        help="also write the notes as a static website (site/, or site-instructor/)",
    )
    add_audience_option(b)
    add_figure_options(b)
    b.set_defaults(func=cmd_build)
    return b
