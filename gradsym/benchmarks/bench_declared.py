"""Declared cells: how long declaring a cell and deriving all its compact Jacobians takes
from a cold start, and the generated NumPy LSTM's forward + backward against the
hand-written LSTM in the same process.

    gradsym bench declared

Targets: declare + derive every compact Jacobian block of the LSTM-sized cells (the LSTM,
peephole LSTM, GRU and CIFG re-declared from their equations) under 2 s each, cold (a fresh
process, SymPy imported); the generated LSTM's forward + backward within 2× of the
hand-written LSTM at (batch, T, input, hidden) = (32, 100, 64, 128), float64, one BLAS
thread on both sides, interleaved rounds, medians.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

COLD = """
import time
t0 = time.perf_counter()
from gradsym.declared import library_cell
c = library_cell({name!r})
for of, wrt in c.blocks:
    c.jacobian(of, wrt).expr
c.jacobian("state", "state") if len(c.state) > 1 else None
print(time.perf_counter() - t0)
"""


def cold(name: str) -> float:
    """Seconds to declare ``name`` and derive every block, in a fresh process (import
    of gradsym's symbolic side included)."""
    out = subprocess.run(
        [sys.executable, "-c", COLD.format(name=name)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def forward_backward(rounds: int = 7) -> tuple[float, float]:
    import numpy as np

    from gradsym import LSTM
    from gradsym.declared import library_cell

    B, T, d, n = 32, 100, 64, 128
    generated = library_cell("lstm_eq").numpy(d, n)
    hand = LSTM(d, n)
    generated.load_params(hand.state_dict())
    xs = np.random.default_rng(0).standard_normal((T, B, d))
    dh = np.ones((T, B, n))

    def run(cell):
        cell.backward(cell.forward(xs), dh)

    times: dict[int, list[float]] = {0: [], 1: []}
    for cell in (generated, hand):
        run(cell)
    for _ in range(rounds):
        for k, cell in enumerate((generated, hand)):
            t0 = time.perf_counter()
            run(cell)
            times[k].append(time.perf_counter() - t0)
    return float(np.median(times[0])), float(np.median(times[1]))


def main() -> int:
    print("declare + derive every compact Jacobian block, cold (target < 2 s):")
    worst = 0.0
    for name in ("lstm_eq", "peephole_lstm_eq", "gru_eq", "torch_gru_eq", "cifg", "mgu"):
        seconds = cold(name)
        worst = max(worst, seconds)
        print(f"  {name:18} {seconds:6.2f} s")
    gen, hand = forward_backward()
    print(
        "forward + backward at (32, 100, 64, 128) float64 (target ratio ≤ 2):\n"
        f"  generated LSTM {gen * 1e3:7.1f} ms   hand-written LSTM {hand * 1e3:7.1f} ms   "
        f"ratio {gen / hand:.2f}"
    )
    return 0 if worst < 2.0 and gen / hand <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
