"""``gradsym check --cell lstm --of c --wrt c_prev [--variant V] [--n N] [--seed S] [--json]
"CANDIDATE"``: judge a user's formula for a Jacobian block of a cell.

Exit code: 0 the candidate holds, 1 it is refuted (2, bad input, is mapped in
:func:`gradsym.cli.main`).
"""

from __future__ import annotations

import argparse
import json


def cmd_check(args: argparse.Namespace) -> int:
    from gradsym.proofs.candidate import check_jacobian
    from gradsym.proofs.claim import _jsonable

    verdict = check_jacobian(
        args.cell,
        args.candidate,
        of=args.of,
        wrt=args.wrt,
        variant=args.variant,
        n=args.n,
        seed=args.seed,
    )
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
