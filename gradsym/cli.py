"""The ``gradsym`` command line.

    gradsym build      the main job: everything that regenerates or verifies, with a report
    gradsym bench      the speed benchmarks (ratios against torch in the same process)
"""

from __future__ import annotations

import argparse
import sys
import time


def _print_backend_report(rows) -> bool:
    print("Numeric backend: hand-written backward passes and state Jacobians")
    print("against central differences (float64, relative error, pass < 1e-7)")
    print(f"  {'cell':22} {'worst gradient':>16} {'error':>10} {'Jacobian error':>15} {'':>3}")
    ok = True
    for r in rows:
        mark = "✓" if r.passed else "✗"
        ok &= r.passed
        print(
            f"  {r.label:22} {r.worst_gradient:>16} {r.gradient_error:10.2e} "
            f"{r.jacobian_error:15.2e} {mark:>3}"
        )
    return ok


def cmd_build(args) -> int:
    from gradsym.numeric.selfcheck import check_backend

    t0 = time.perf_counter()
    ok = _print_backend_report(check_backend(seed=args.seed))
    print(f"\n{'all checks passed' if ok else 'SOME CHECKS FAILED'} in {time.perf_counter() - t0:.1f} s")
    return 0 if ok else 1


def cmd_bench(args) -> int:
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / f"bench_{args.which}.py"
    if not script.exists():
        print(f"gradsym bench: benchmarks are run from a source checkout; {script} not found",
              file=sys.stderr)
        return 2
    sys.argv = [str(script), *args.rest]
    runpy.run_path(str(script), run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradsym", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="verify and regenerate everything, with a report")
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_build)
    be = sub.add_parser("bench", help="run a benchmark script from benchmarks/")
    be.add_argument("which", choices=["backend"], help="which benchmark")
    be.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the script")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from gradsym.errors import GradsymError

    try:
        return args.func(args)
    except GradsymError as exc:
        print(f"gradsym {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
