"""``gradsym verify [ID ...] [--json] [--seed S] [--mutations [--per-claim N]]``: check
every claim of the notes (or the named ones), symbolically and numerically; with
``--mutations``, mutate what every step prints and report how many mutants its checks
refuse.

Exit code: 0 every claim verified (with ``--mutations``: every mutant refused or
equivalent), 1 a claim fails or a mutant survived (2, bad input, is mapped in
:func:`gradsym.cli.main`).
"""

from __future__ import annotations

import argparse

from gradsym.cli.options import add_claim_ids, add_json, add_seed
from gradsym.errors import InvalidValueError
from gradsym.validate import positive_int


def cmd_verify(args: argparse.Namespace) -> int:
    if args.per_claim is not None:
        if not args.mutations:
            raise InvalidValueError("--per-claim needs --mutations")
        positive_int("--per-claim", args.per_claim)
    if args.mutations:
        from gradsym.notes.mutations import mutation_report

        mutated = mutation_report(args.ids, seed=args.seed, per_claim=args.per_claim)
        print(mutated.to_json() if args.json else mutated.table())
        return 0 if mutated.complete else 1
    from gradsym.notes.verify import verify

    report = verify(args.ids, seed=args.seed)
    print(report.to_json() if args.json else report.table())
    return 0 if report.passed else 1


def add_verify_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``verify``: run every claim (or those named), print a table, exit 1 on failure."""
    p = subparsers.add_parser(
        "verify",
        help="check every claim of the notes, symbolically and numerically",
        description="Run the derivation of every claim (or of the named ones): each step "
        "symbolically (SymPy) and numerically (the NumPy cells).",
    )
    add_claim_ids(p)
    add_seed(p, "the random instances")
    p.add_argument(
        "--mutations",
        action="store_true",
        help="mutate what every step prints (transpose a factor, drop a term, flip a sign, swap "
        "two gates, change a constant, flip the relation, drop a hypothesis, …) and report "
        "how many mutants the step's checks refuse, per claim; exit 1 if any survives",
    )
    p.add_argument(
        "--per-claim",
        type=int,
        default=None,
        metavar="N",
        help="with --mutations: at most N mutants per claim, a fixed subset (default: all)",
    )
    add_json(p, "the report (or the mutation scores)")
    p.set_defaults(func=cmd_verify)
    return p
