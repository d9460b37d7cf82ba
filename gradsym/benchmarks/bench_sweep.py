"""Sweep speed: throughput with 2 Dask workers against 1, and the per-run overhead of the
sweep machinery (scheduling, shipping results, the database).

The workload is 16 short runs (an LSTM, 16 units, on the adding problem of length 50,
``--steps`` training steps each, one seed per run), swept with :func:`gradsym.sweep` on
an embedded LocalCluster of 1 and of 2 worker processes (one thread and one BLAS thread
each), each started before the clock starts, so the time is that of the sweep, not of
starting Python processes. Rounds alternate 1 and 2 workers; medians are reported.

- throughput ratio = time with 1 worker / time with 2 workers (target ≥ 1.7 on 2 cores);
- overhead per run = (wall time with 1 worker − the runs' own training time, measured
  inside the worker) / 16 (target < 0.2 s).

    gradsym bench sweep [--rounds 3] [--steps 150] [--runs 16]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from distributed import Client, LocalCluster

from gradsym.experiments import sweep
from gradsym.experiments.store import SweepStore


def spec(runs: int, steps: int) -> dict:
    return {
        "name": "bench",
        "seeds": runs,
        "success": "eval_loss / baseline < 0.1",
        "base": {
            "cell": "lstm", "task": "adding_le", "hidden": 16, "batch": 32, "steps": steps,
            "eval_every": steps, "eval_batch": 64, "log_every": 10, "checkpoint_every": steps,
        },
        "grid": {"length": [50]},
    }  # fmt: skip


def timed_sweep(client: Client, runs: int, steps: int) -> tuple[float, float]:
    """(wall seconds of the sweep, the runs' own training seconds summed)."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = sweep(spec(runs, steps), folder, client=client, progress=False)
        wall = time.perf_counter() - start
        assert result.done == runs, result
        with SweepStore.open(folder) as store:
            inside = sum(r.seconds for r in store.rows())
    return wall, inside


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--runs", type=int, default=16)
    args = p.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)

    clusters = {}
    for n in (1, 2):
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR,
        )  # fmt: skip
        clusters[n] = (cluster, Client(cluster, set_as_default=False))
    try:
        for n in (1, 2):  # warm-up: imports on the workers
            timed_sweep(clusters[n][1], 2, 5)
        walls: dict[int, list[float]] = {1: [], 2: []}
        overheads: list[float] = []
        for r in range(args.rounds):
            for n in (1, 2):
                wall, inside = timed_sweep(clusters[n][1], args.runs, args.steps)
                walls[n].append(wall)
                if n == 1:
                    overheads.append((wall - inside) / args.runs)
                print(f"round {r + 1}: {n} worker(s) {wall:6.2f} s", flush=True)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    overhead = statistics.median(overheads)
    print(f"\n{args.runs} runs of {args.steps} steps (LSTM, 16 units, adding problem T = 50)")
    print(f"  1 worker    {one:6.2f} s   ({args.runs / one:.2f} runs/s)")
    print(f"  2 workers   {two:6.2f} s   ({args.runs / two:.2f} runs/s)")
    print(f"  throughput ratio 2 / 1 workers: {one / two:.2f}   (target >= 1.7)")
    print(f"  overhead per run:               {overhead * 1000:.0f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
