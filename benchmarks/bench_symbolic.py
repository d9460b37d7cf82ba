"""Speed of gradsym.symbolic (prints numbers; not a test).

1. cold start: import and derive every compact Jacobian (target < 5 s), in a fresh process;
2. prove compact = explicit for every cell, variant and block at n = 1, 2, 3 (target < 60 s);
3. the largest n at which the LSTM's full 2n×2n explicit proof finishes within 10 s;
4. evaluation of the lambdified LSTM state Jacobian at n = 128, batch 32, and its ratio
   to gradsym.numeric's LSTM.state_jacobian when that exists (target ≤ 1.5).

Run: python benchmarks/bench_symbolic.py [--max-n 12]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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

    rng = np.random.default_rng(0)
    d = n
    J_ss = jacobian("lstm", of="state", wrt="state").lambdify()
    J_sx = jacobian("lstm", of="state", wrt="x").lambdify()
    params = {}
    for g in "fioc":
        params[f"W_{g}"] = rng.uniform(-1, 1, (n, n)) / np.sqrt(n)
        params[f"U_{g}"] = rng.uniform(-1, 1, (n, d)) / np.sqrt(n)
        params[f"b_{g}"] = rng.uniform(-1, 1, n) / np.sqrt(n)
    x, h, c = (rng.standard_normal((batch, k)) for k in (d, n, n))
    t_ss = _timeit(lambda: J_ss(params, x, (h, c)))
    t_both = _timeit(lambda: (J_ss(params, x, (h, c)), J_sx(params, x, (h, c))))
    print(
        f"lambdified LSTM at n = {n}, batch {batch}: ∂s/∂s {t_ss * 1e3:.2f} ms, "
        f"∂s/∂s and ∂s/∂x {t_both * 1e3:.2f} ms"
    )
    try:  # the one place symbolic meets numeric
        from gradsym.numeric import LSTM
    except ImportError:
        try:
            from gradsym.numeric.lstm import LSTM
        except ImportError:
            print("gradsym.numeric.LSTM not available: no ratio")
            return
    try:
        cell = LSTM(d, n)
        for k, v in params.items():
            cell.params[k][...] = v
        ref_ss, ref_sx = cell.state_jacobian(x, (h, c))
        err = max(
            np.max(np.abs(ref_ss - J_ss(params, x, (h, c)))),
            np.max(np.abs(ref_sx - J_sx(params, x, (h, c)))),
        )
        t_num = _timeit(lambda: cell.state_jacobian(x, (h, c)))
    except Exception as exc:  # noqa: BLE001 - the numeric API may still move; report, not fail
        print(f"gradsym.numeric.LSTM.state_jacobian could not be compared: {exc!r}")
        return
    print(
        f"gradsym.numeric LSTM.state_jacobian (∂s/∂s and ∂s/∂x): {t_num * 1e3:.2f} ms; "
        f"ratio symbolic/numeric {t_both / t_num:.2f} (target ≤ 1.5); max difference {err:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=16)
    args = parser.parse_args()
    cold_start()
    prove_all()
    lstm_evaluation()
    largest_lstm_n(args.max_n)


if __name__ == "__main__":
    main()
