"""``gradsym exercises [--seed S] [--out DIR] [--pdf]``: the exercise sheet for a seed, its
answer file and its solutions; ``gradsym grade ANSWERS [--json] [--instructor]``: grade an
answer file with the checker.

Exit codes of ``grade``: 0 every answer right, 1 some answer wrong, undecided, unreadable or
missing; 2 bad input (a malformed answer file), mapped in :func:`gradsym.cli.main`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_exercises(args: argparse.Namespace) -> int:
    from gradsym.files import folder_lock
    from gradsym.render.derivations.pdflatex import compile_pdf
    from gradsym.render.exercises import write_exercises

    out = Path(args.out)
    with folder_lock(out, "exercises"):
        paths = write_exercises(out, args.seed)
        if args.pdf:
            for name in ("exercises.tex", "solutions.tex"):
                paths.append(compile_pdf(out, notes=name))
    which = "the questions of the notes" if args.seed is None else f"seed {args.seed}"
    print(f"exercises ({which}) → {out.resolve()}")
    for p in paths:
        print(f"  {p.name}")
    print(f"Fill in {out / 'answers.toml'} and grade it with: gradsym grade {out / 'answers.toml'}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from gradsym.checker.exercises import grade, read_answers

    answers = read_answers(args.answers)
    result = grade(answers, time_limit=args.time_limit)
    if args.json:
        print(json.dumps(result.to_dict(args.instructor), ensure_ascii=False, indent=2))
    else:
        print(result.report())
        if args.instructor:
            print("\nFor the instructor:")
            for r in result.results:
                if r.outcome != "holds":
                    print(f"  {r.number} {r.id}: reference {r.reference}")
                    for d in r.diagnosis:
                        print(f"      diagnosis: {d}")
    return 0 if result.passed else 1


def add_exercises_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``exercises``."""
    p = subparsers.add_parser(
        "exercises",
        help="the exercise sheet for a seed, its answer file and its solutions",
        description=(
            "Write exercises.tex and exercises.md (the questions), answers.toml (the answer "
            "file to fill in) and solutions.tex and solutions.md. Without --seed the "
            "questions are those of the notes; with one, every exercise draws a variant "
            "(another cell, variant, block, convention or numbers): give each student a seed."
        ),
    )
    p.add_argument("--seed", type=int, default=None, help="the student's seed (default: none)")
    p.add_argument("--out", default="exercises", help="folder to write into (default exercises)")
    p.add_argument("--pdf", action="store_true", help="also compile both sheets with pdflatex")
    p.set_defaults(func=cmd_exercises)
    return p


def add_grade_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``grade``."""
    p = subparsers.add_parser(
        "grade",
        help="grade an answer file with the checker",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Grade an answer file (gradsym exercises writes it): every answer is judged by the
checker, and a wrong one gets a hint made from the checker's diagnosis that does not
give the answer away.

Per exercise: the outcome (holds, refuted, undecided, unreadable, unanswered), the
points, and a hint; then the score. --json prints it for a learning platform.

Exit codes: 0 every answer right, 1 otherwise, 2 a malformed answer file.
""",
    )
    p.add_argument("answers", help="the answer file (TOML), e.g. exercises/answers.toml")
    p.add_argument("--json", action="store_true", help="print the grades as JSON")
    p.add_argument(
        "--instructor",
        action="store_true",
        help="add the reference answers and the checker's full diagnosis",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="time for each symbolic proof (default 30)",
    )
    p.set_defaults(func=cmd_grade)
    return p
