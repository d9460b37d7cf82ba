"""The ``verify`` and ``check`` subcommands, for ``gradsym/cli.py`` to register:

    add_verify_parser(subparsers)   gradsym verify [IDS ...] [--json] [--seed S]
                                                   [--mutations [--per-claim N]]
    add_check_parser(subparsers)    gradsym check --cell lstm --of c --wrt c_prev [--variant V]
                                                  [--n N] [--seed S] [--json] "CANDIDATE"

Each sets ``func=`` to a function of the parsed arguments returning the exit code:
0 verified / holds (with ``--mutations``: every mutant refused or equivalent), 1 a claim
fails / the candidate is refuted / a mutant survived, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from gradsym.errors import CandidateError, GradsymError


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify

    if args.per_claim is not None and not args.mutations:
        print("gradsym verify: error: --per-claim needs --mutations", file=sys.stderr)
        return 2
    if args.per_claim is not None and args.per_claim < 1:
        print(
            f"gradsym verify: error: --per-claim must be ≥ 1, got {args.per_claim}", file=sys.stderr
        )
        return 2
    try:
        if args.mutations:
            from .mutations import mutation_report

            mutated = mutation_report(args.ids or None, seed=args.seed, per_claim=args.per_claim)
            print(mutated.to_json() if args.json else mutated.table())
            return 0 if mutated.complete else 1
        report = verify(args.ids or None, seed=args.seed)
    except GradsymError as exc:
        print(f"gradsym verify: error: {exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.json else report.table())
    return 0 if report.passed else 1


def cmd_check(args: argparse.Namespace) -> int:
    from .candidate import check_jacobian
    from .claim import _jsonable

    try:
        verdict = check_jacobian(
            args.cell,
            args.candidate,
            of=args.of,
            wrt=args.wrt,
            variant=args.variant,
            n=args.n,
            seed=args.seed,
        )
    except (CandidateError, GradsymError) as exc:
        print(f"gradsym check: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                _jsonable(
                    {
                        "holds": verdict.holds,
                        "max_error": verdict.max_error,
                        "symbolic": verdict.symbolic,
                        "detail": verdict.detail,
                        "cell": verdict.cell,
                        "block": verdict.block,
                        "counterexample": verdict.counterexample,
                    }
                ),
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(verdict.report())
    return 0 if verdict.holds else 1


def add_verify_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``verify``: run every claim (or those named), print a table, exit 1 on failure."""
    p = subparsers.add_parser(
        "verify",
        help="check every claim of the notes, symbolically and numerically",
        description="Run the derivation of every claim (or of the named ones): each step "
        "symbolically (SymPy) and numerically (the NumPy cells).",
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--seed", type=int, default=0, help="seed of the random instances")
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
    p.set_defaults(func=cmd_verify)
    return p


def add_check_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``check``: judge a user's candidate for a Jacobian block."""
    p = subparsers.add_parser(
        "check",
        help="check your formula for a Jacobian block of a cell",
        description="Accept the candidate if it equals the Jacobian in any equivalent form; "
        "refute it with a counterexample otherwise. Grammar: diag(v), sigma(v), "
        "tanh(v), sigma_prime(v), tanh_prime(v), relu(v), relu_prime(v), "
        "hadamard(a, b), I, A @ B, a * b (product, or Hadamard for two vectors), "
        "1 - u, v**2, M.T; the cell's symbols (W_h, h_prev, x, b, f, c_tilde, …).",
    )
    p.add_argument(
        "candidate", help='the formula, e.g. "diag(tanh_prime(W_h*h_prev + W_x*x + b))*W_h"'
    )
    p.add_argument(
        "--cell", required=True, help="rnn, lstm, gru, birnn, stacked, residual, highway"
    )
    p.add_argument("--of", default="h", help="the differentiated vector (default h)")
    p.add_argument("--wrt", default="h_prev", help="the variable (default h_prev)")
    p.add_argument("--variant", default=None, help="the cell's variant (default: its default)")
    p.add_argument("--n", type=int, default=3, help="hidden size of the random instances")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=cmd_check)
    return p
