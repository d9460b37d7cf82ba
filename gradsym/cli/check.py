"""``gradsym check --cell lstm --of c --wrt c_prev [--variant V] [--n N] [--d D] [--trials K]
[--seed S] [--time-limit SECONDS] [--json] "CANDIDATE"``: judge a user's formula for a
Jacobian block of a cell.

Exit code: 0 the candidate holds (for every n and d), 1 it is refuted, 3 it is undecided
(equal numerically, no proof for every size); 2, bad input, is mapped in :func:`gradsym.cli.main`. Under ``--json`` every
outcome is JSON on stdout, errors included (``{"error": …, "exit_code": 2}``).
"""

from __future__ import annotations

import argparse

from gradsym.cli.options import add_cell_file, add_json, add_seed, add_time_limit
from gradsym.cli.output import print_json


def cmd_check(args: argparse.Namespace) -> int:
    from gradsym.checker import check_jacobian

    cell = args.cell
    if args.cell_file is not None:
        from gradsym.declared import load_cell_file

        cell = load_cell_file(args.cell_file).cell
    elif cell is None:
        from gradsym.errors import InvalidValueError

        raise InvalidValueError("the cell is required: --cell NAME or --cell-file FILE")
    verdict = check_jacobian(
        cell,
        args.candidate,
        of=args.of,
        wrt=args.wrt,
        variant=args.variant,
        n=args.n,
        d=args.d,
        trials=args.trials,
        seed=args.seed,
        time_limit=args.time_limit,
    )
    if args.json:
        print_json(verdict.to_dict())
    else:
        print(verdict.report())
    return verdict.exit_code


def add_check_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``check``: judge a user's candidate for a Jacobian block."""
    from gradsym.cells import names

    p = subparsers.add_parser(
        "check",
        help="check your formula for a Jacobian block of a cell",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Judge a candidate for the Jacobian block d(of)/d(wrt) of a cell, in numerator layout.

Outcomes and exit codes:
  0  holds      proved equal for every n and d (index notation, n and d symbols;
                docs/every-size.md) and equal numerically
  1  refuted    an exact counterexample at the smallest size where the candidate is wrong
                (or one far above round-off), and a diagnosis (transpose, missing or extra
                term, sign, σ′ for tanh′, …) when one is proved
  2  bad input  a one-line error (JSON under --json)
  3  undecided  equal numerically at every random instance, but no proof for every size
                within the time limit: the verdict says at which sizes it holds exactly

Grammar: the cell's symbols (W_h, h_prev, x, b, z, f, c_tilde, u, …) and I;
A @ B the matrix product; a ∘ b, a ⊙ b, hadamard(a, b) the Hadamard (entrywise)
product; a * b the matrix product when the shapes chain, the Hadamard product of two
vectors, or scaling by a number; diag(v); sigma(v) (σ), tanh(v), relu(v) and their
derivatives sigma'(v) (σ′, sigma_prime), tanh'(v), relu'(v); 1 - u (the ones vector);
v**2 (v∘v); M.T (Mᵀ); numbers are exact (1.00000001 is 100000001/10^8).
Write every product: σ(z)*(1 − σ(z)), not σ(z)(1 − σ(z)).

Blocks: block([[A, B], [C, D]]) is the block matrix [A B; C D] (0 is a zero block; the
blocks of a row must be equally high and those of a column equally wide, for every n
and d). W_o[:, :n], W_o[:, n:] (and rows, W_o[:n, :]) are blocks of a named matrix;
bounds are 0, n, 2*n, d or sums of those. The whole state Jacobian is --of state
--wrt state (s = [h; c] for the LSTM, [h1; h2] stacked, [h_fw; h_bw] bidirectional):
  gradsym check --cell stacked --of state --wrt state "block([
      [diag(tanh'(z1)) @ W_h1, 0],
      [diag(tanh'(z2)) @ W_x2 @ diag(tanh'(z1)) @ W_h1, diag(tanh'(z2)) @ W_h2]])"
  gradsym check --cell birnn --of o --wrt h_fw "diag(tanh'(z_o)) @ W_o[:, :n]"
""",
    )
    p.add_argument(
        "candidate", help='the formula, e.g. "diag(tanh\'(W_h @ h_prev + W_x @ x + b)) @ W_h"'
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--cell",
        help=", ".join(names(["builtin", "connection"]))
        + ", or a library cell (gradsym cells lists them)",
    )
    add_cell_file(which, "check the candidate against its Jacobian")
    p.add_argument(
        "--of", default="h", help='the differentiated vector (default h; "state": all of s)'
    )
    p.add_argument(
        "--wrt", default="h_prev", help='the variable (default h_prev; "state": all of s_prev)'
    )
    p.add_argument("--variant", default=None, help="the cell's variant (default: its default)")
    p.add_argument(
        "--n", type=int, default=3, help="hidden size of the numeric check, 1 to 256 (default 3)"
    )
    p.add_argument(
        "--d", type=int, default=2, help="input size of the numeric check, 1 to 256 (default 2)"
    )
    p.add_argument("--trials", type=int, default=5, help="random instances per size (default 5)")
    add_seed(p, "the random instances")
    add_time_limit(p, "the whole check, proof and diagnosis included")
    add_json(p, "the verdict")
    p.set_defaults(func=cmd_check)
    return p
