"""Speed of gradsym.symbolic (prints numbers; not a test).

1. cold start: import and derive every compact Jacobian (target < 5 s), in a fresh process;
2. prove compact = explicit for every cell, variant and block at n = 1, 2, 3 (target < 60 s);
3. the largest n at which the LSTM's full 2n×2n explicit proof finishes within 10 s;
4. evaluation of the lambdified LSTM state Jacobian at n = 128, batch 32, and its ratio
   to gradsym.numeric's LSTM.state_jacobian (target ≤ 1.5).

The LSTM timing compares like with like: the numeric state_jacobian returns both ∂s/∂s and
∂s/∂x from one forward step, as does gradsym.symbolic.api.lambdify_state_and_input; the
two separately lambdified functions and ∂s/∂s alone are printed too.

Run: gradsym bench symbolic [--max-n 12] [--eval-only]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

# The folder that holds the gradsym package (the repository in a checkout,
# site-packages in an installation): the cold start imports the same gradsym.
ROOT = Path(__file__).resolve().parents[2]
# As in tests/conftest.py: on the shared 2-core machine, OpenBLAS's second thread made
# best-of-20 timings stall (≈ 10-180 ms) in some runs; one thread for both sides of the
# ratio. Override with OPENBLAS_NUM_THREADS=2 gradsym bench symbolic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(ROOT))

COLD = """
import time
t0 = time.perf_counter()
from gradsym.symbolic import all_cells, cell_blocks, jacobian
t1 = time.perf_counter()
count = 0
for c in all_cells():
    for of, wrt in cell_blocks(c):
        jacobian(c, of=of, wrt=wrt).expr
        count += 1
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {count}")
"""


def cold_start() -> None:
    out = subprocess.run(
        [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, check=True
    )
    imp, derive, count = out.stdout.split()
    print(
        f"cold start: import {float(imp):.2f} s, derive {count} compact Jacobians "
        f"{float(derive):.2f} s, total {float(imp) + float(derive):.2f} s (target < 5 s)"
    )


def prove_all() -> None:
    from gradsym.symbolic import all_cells, cell_blocks, jacobian

    start = time.perf_counter()
    failures = 0
    count = 0
    for c in all_cells():
        for of, wrt in cell_blocks(c):
            jac = jacobian(c, of=of, wrt=wrt)
            for n in (1, 2, 3):
                failures += not jac.prove(n, n + 1)
                count += 1
    took = time.perf_counter() - start
    print(
        f"prove compact = explicit: {count} proofs (n = 1..3) in {took:.2f} s, "
        f"{failures} failures (target < 60 s)"
    )


def largest_lstm_n(max_n: int, budget: float = 10.0) -> None:
    from gradsym.symbolic import jacobian
    from gradsym.symbolic.explicit import environment, explicit_jacobian

    jac = jacobian("lstm", of="state", wrt="state")
    best = 0
    for n in range(1, max_n + 1):
        environment.cache_clear()
        explicit_jacobian.cache_clear()
        start = time.perf_counter()
        ok = jac.prove(n)
        took = time.perf_counter() - start
        print(f"  LSTM full explicit proof n = {n}: {took:.2f} s, holds = {ok.holds}")
        if took > budget:
            break
        best = n
    print(
        f"largest n with the LSTM's full explicit proof within {budget:.0f} s: {best}"
        + (f" (stopped at --max-n {max_n})" if best == max_n else "")
    )


def _timeit(fn, repeat: int = 20) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def lstm_evaluation(n: int = 128, batch: int = 32) -> None:
    import numpy as np

    from gradsym.symbolic import jacobian
    from gradsym.symbolic.api import lambdify_state_and_input

    rng = np.random.default_rng(0)
    d = n
    J_ss = jacobian("lstm", of="state", wrt="state").lambdify()
    J_sx = jacobian("lstm", of="state", wrt="x").lambdify()
    J_both = lambdify_state_and_input("lstm")  # one forward step, (∂s/∂s, ∂s/∂x)
    params = {}
    for g in "fioc":
        params[f"W_{g}"] = rng.uniform(-1, 1, (n, n)) / np.sqrt(n)
        params[f"U_{g}"] = rng.uniform(-1, 1, (n, d)) / np.sqrt(n)
        params[f"b_{g}"] = rng.uniform(-1, 1, n) / np.sqrt(n)
    x, h, c = (rng.standard_normal((batch, k)) for k in (d, n, n))
    t_ss = _timeit(lambda: J_ss(params, x, (h, c)))
    t_sx = _timeit(lambda: J_sx(params, x, (h, c)))
    t_sep = _timeit(lambda: (J_ss(params, x, (h, c)), J_sx(params, x, (h, c))))
    t_both = _timeit(lambda: J_both(params, x, (h, c)))
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(
        f"lambdified LSTM at n = {n}, batch {batch}: ∂s/∂s alone {t_ss * 1e3:.2f} ms, "
        f"∂s/∂x alone {t_sx * 1e3:.2f} ms, both as two functions {t_sep * 1e3:.2f} ms, "
        f"both from one forward step {t_both * 1e3:.2f} ms"
    )
    from gradsym.numeric.cells.lstm import LSTM  # the one place symbolic meets numeric

    cell = LSTM(d, n)
    cell.load_params(params)
    ref_ss, ref_sx = cell.state_jacobian(x, (h, c))
    sym_ss, sym_sx = J_both(params, x, (h, c))
    err = max(
        np.max(np.abs(ref_ss - sym_ss)),
        np.max(np.abs(ref_sx - sym_sx)),
        np.max(np.abs(ref_ss - J_ss(params, x, (h, c)))),
        np.max(np.abs(ref_sx - J_sx(params, x, (h, c)))),
    )
    t_num = _timeit(lambda: cell.state_jacobian(x, (h, c)))
    print(
        f"gradsym.numeric LSTM.state_jacobian (∂s/∂s and ∂s/∂x): {t_num * 1e3:.2f} ms; "
        f"ratio symbolic/numeric, both blocks vs both blocks: {t_both / t_num:.2f} "
        f"(target ≤ 1.5; as two functions {t_sep / t_num:.2f}; ∂s/∂s alone "
        f"{t_ss / t_num:.2f}); max difference {err:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=16)
    parser.add_argument(
        "--eval-only", action="store_true", help="only part 4, the LSTM evaluation timing"
    )
    args = parser.parse_args()
    if args.eval_only:
        lstm_evaluation()
        return
    cold_start()
    prove_all()
    lstm_evaluation()
    largest_lstm_n(args.max_n)


if __name__ == "__main__":
    main()
