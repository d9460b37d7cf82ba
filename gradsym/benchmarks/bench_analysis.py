"""Speed of the Lyapunov spectrum (QR method): time, and the fraction of the machine's
float64 matrix-product (GEMM) rate the computation achieves, both measured in this run.

Cases (float64, batch 1 unless said, Gaussian inputs x ~ N(0, 1), PyTorch's default
initialisation, a transient of 100 steps within the total):

* the whole spectrum (256 exponents) of a 128-unit LSTM (state [h; c] of 256) over 2,000
  steps;
* the top 16 exponents of a 512-unit GRU (the notes' form) over 10,000 steps, for one
  sequence and for four at once (their standard error needs several).

The GEMM rate is the best of several 1024 × 1024 float64 products, measured before every
case; times are the best of the rounds and the rate the best measured. Both sides are
timed in CPU time of this process (``time.process_time``) with one BLAS thread: on a
machine shared with other work, wall time counts the waits for the other processes, CPU
time only this computation (it equals the wall time of an undisturbed run).

The achieved rate counts the useful work of the standard algorithm only: per step and
sequence the products of the weights with the frame (the Jacobian–vector products:
2·G·n·n·(k+1) for G gate blocks, k frame columns and the state column), and per
re-orthonormalisation and sequence a Householder QR with its Q formed
(2·(2·S·k² − 2k³/3)). What the implementation spends beyond that (forming Q as A R⁻¹,
the elementwise gate algebra, Python) counts against it.

    gradsym bench analysis [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import time


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="rounds (the best is reported)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the steps (a quick look)")
    return p.parse_args()


ARGS = _parse()
# Before NumPy is imported: OpenBLAS reads its thread count once.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np

from gradsym.numeric.analysis.lyapunov import lyapunov_spectrum
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM

INPUT_SIZE = 32
TRANSIENT = 100


def gemm_rate(n: int = 1024, repeats: int = 5) -> float:
    """The best float64 GEMM rate (flop/s) of ``repeats`` n × n products."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2.0 * n**3 / best


def _timed(f) -> float:
    t0 = time.process_time()
    f()
    return time.process_time() - t0


def qr_flops(S: int, k: int) -> float:
    """Householder QR of an S × k matrix with its Q formed (geqrf + orgqr)."""
    return 2.0 * (2.0 * S * k * k - 2.0 * k**3 / 3.0)


CASES = {
    "LSTM 128 units, all 256 exponents, 2,000 steps": {
        "cell": lambda: LSTM(INPUT_SIZE, 128, rng=1),
        "steps": 2000,
        "k": 256,
        "gates": 4,
    },
    "GRU 512 units, top 16 exponents, 10,000 steps": {
        "cell": lambda: GRU(INPUT_SIZE, 512, rng=1),
        "steps": 10000,
        "k": 16,
        "gates": 3,
    },
    "the same GRU, 4 sequences at once (standard errors)": {
        "cell": lambda: GRU(INPUT_SIZE, 512, rng=1),
        "steps": 10000,
        "k": 16,
        "gates": 3,
        "batch": 4,
    },
}


def run_case(case: dict) -> dict:
    cell = case["cell"]()
    T = max(int(case["steps"] * ARGS.scale), TRANSIENT + 10)
    B = case.get("batch", 1)
    xs = np.random.default_rng(2).standard_normal((T, B, INPUT_SIZE))
    t0, w0 = time.process_time(), time.perf_counter()
    spectrum = lyapunov_spectrum(cell, xs, k=case["k"], transient=TRANSIENT)
    seconds, wall = time.process_time() - t0, time.perf_counter() - w0
    n, k, S = cell.hidden_size, case["k"], cell.state_size
    jvp = T * 2.0 * case["gates"] * n * n * (k + 1)
    useful = B * (jvp + spectrum.reorthonormalisations * qr_flops(S, k))
    return {
        "seconds": seconds,
        "wall": wall,
        "rate": useful / seconds,
        "steps": T * B,
        "qr": spectrum.reorthonormalisations,
        "interval": spectrum.max_interval,
        "lambda": (spectrum.exponents[0], spectrum.exponents[-1]),
    }


def main() -> None:
    print(
        f"bench_analysis: {ARGS.rounds} rounds, {ARGS.threads} BLAS thread(s), numpy {np.__version__}"
    )
    peaks: list[float] = []
    results: dict[str, list[dict]] = {name: [] for name in CASES}
    for _ in range(ARGS.rounds):
        for name, case in CASES.items():
            peaks.append(gemm_rate())
            results[name].append(run_case(case))
    peak = max(peaks)
    print(f"float64 GEMM rate (1024³, best): {peak / 1e9:.1f} GFLOP/s")
    print()
    print(
        "| case | CPU time (s) | wall (s) | steps/s | QR decompositions | useful GFLOP/s "
        "| of GEMM rate |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        seconds = min(r["seconds"] for r in runs)
        wall = min(r["wall"] for r in runs)
        rate = max(r["rate"] for r in runs)
        r0 = runs[0]
        print(
            f"| {name} | {seconds:.2f} | {wall:.2f} | {r0['steps'] / seconds:.0f} | {r0['qr']} "
            f"(every ≤ {r0['interval']} steps) | {rate / 1e9:.1f} | {rate / peak:.0%} |"
        )
    print()
    for name, runs in results.items():
        lo, hi = runs[0]["lambda"]
        print(f"{name}: λ₁ = {lo:.4f}, λ_k = {hi:.4f} per step")


if __name__ == "__main__":
    main()
