"""``gradsym exercises [--seed S] [--out DIR] [--pdf] [--json]``: the exercise sheet (for a
seed, a student's variants) in DIR/exercises, its answer file and its solutions;
``gradsym grade ANSWERS [--json] [--instructor] [--time-limit SECONDS]``: grade an answer
file with the checker.

Exit codes of ``grade``: 0 every answer right, 1 some answer wrong, undecided, unreadable or
missing; 2 bad input (a malformed answer file), mapped in :func:`gradsym.cli.main`.
"""

from __future__ import annotations

import argparse

from gradsym.cli.options import add_json, add_out, add_pdf, add_seed, add_time_limit
from gradsym.cli.output import print_json, written
from gradsym.cli.writing import exercises_into


def cmd_exercises(args: argparse.Namespace) -> int:
    paths = exercises_into(args.out, args.seed, args.pdf)
    answers = args.out / "exercises" / "answers.toml"
    if args.json:
        print_json({"seed": args.seed, "answers": str(answers), "written": written(paths)})
        return 0
    which = "the questions of the notes" if args.seed is None else f"seed {args.seed}"
    print(f"exercises ({which}) → {(args.out / 'exercises').resolve()}")
    for p in paths:
        print(f"  {p.name}")
    print(f"Fill in {answers} and grade it with: gradsym grade {answers}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from gradsym.checker.exercises import grade, read_answers

    answers = read_answers(args.answers)
    result = grade(answers, time_limit=args.time_limit)
    if args.json:
        print_json(result.to_dict(args.instructor))
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
        help="an exercise sheet, its answer file and its solutions",
        description=(
            "Write exercises.tex and exercises.md (the questions), answers.toml (the answer "
            "file to fill in) and solutions.tex and solutions.md into DIR/exercises. "
            "Without --seed the questions are those of the notes; with one, every exercise "
            "draws a variant (another cell, variant, block, convention or numbers): give "
            "each student a seed."
        ),
    )
    add_seed(p, "the student's variants (default: none, the questions of the notes)", None)
    add_out(p, "DIR/exercises")
    add_pdf(p, "both sheets")
    add_json(p, "the files written")
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
    p.add_argument(
        "--instructor",
        action="store_true",
        help="add the reference answers and the checker's full diagnosis",
    )
    add_time_limit(
        p, "each symbolic proof", default=30.0, zero="no proof, an answer at best undecided"
    )
    add_json(p, "the grades")
    p.set_defaults(func=cmd_grade)
    return p
