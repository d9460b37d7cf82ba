"""``gradsym verify [IDS ...] [--json] [--seed S]``: check every claim of the notes (or the
named ones), symbolically and numerically.

Exit code: 0 every claim verified, 1 a claim fails (2, bad input, is mapped in
:func:`gradsym.cli.main`).
"""

from __future__ import annotations

import argparse


def cmd_verify(args: argparse.Namespace) -> int:
    from gradsym.proofs.verify import verify

    report = verify(args.ids or None, seed=args.seed)
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
    p.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--seed", type=int, default=0, help="seed of the random instances")
    p.set_defaults(func=cmd_verify)
    return p
