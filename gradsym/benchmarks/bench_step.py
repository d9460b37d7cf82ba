"""Where a training step's time goes: data, forward, backward, clipping, optimiser,
metrics and checkpoints, for the adding-problem runs of ``bench_training.py``.

A real :class:`~gradsym.numeric.train.trainer.Trainer` runs with a run folder (in a
temporary directory) and ``gradsym train``'s bookkeeping defaults: a record logged to
metrics.jsonl every step, an evaluation on 256 fresh sequences and a checkpoint every 100
steps. The pieces it calls are wrapped by timers (a wrapper costs well under a
microsecond, against steps of a millisecond or more); a piece called inside another
(the evaluation's forward pass) counts for the outer one:

    data          task.sample: the batch, in the run's dtype
    forward       the recurrent model's forward pass, the output layer and the loss
    backward      the output layer's and the model's backward passes (BPTT)
    regulariser   Pascanu et al.'s Ω and its gradient (only when omega > 0)
    clipping      the global norm and the rescaling
    optimiser     the Adam (or SGD) update
    metrics       the step's record, metrics.jsonl, and the evaluation every 100 steps
    checkpoints   checkpoint.npz every 100 steps (atomic write)
    other         the rest of the loop (the total less the pieces)

Times are process CPU time (``--clock wall`` for the wall clock), per step, the median
over ``--rounds`` rounds of ``--steps`` steps; the cells and dtypes are interleaved round
by round, one BLAS thread (set before NumPy is imported).

    gradsym bench step [--cells lstm,gru,rnn] [--dtypes float64,float32]
                       [--rounds 5] [--steps 200] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict

# One BLAS thread: the products here are (32 × 16)·(16 × 64); see bench_training.py.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the thread variable, on purpose

from gradsym.numeric.train import TrainConfig, Trainer

PHASES = (
    "data",
    "forward",
    "backward",
    "regulariser",
    "clipping",
    "optimiser",
    "metrics",
    "checkpoints",
    "other",
)

#: The runs of bench_training.py: the adding problem (T = 50), batch 32, 16 hidden units,
#: Adam at 1e-2, norm clipping at 1; the GRU in PyTorch's form, the tanh RNN.
CELLS = {
    "lstm": {"cell": "lstm", "forget_bias": 1.0},
    "gru": {"cell": "gru", "variant": "torch"},
    "rnn": {"cell": "rnn"},
}


def config(cell: str, dtype: str) -> TrainConfig:
    fields = {
        **CELLS[cell],
        "task": "adding",
        "task_kwargs": {"length": 50},
        "hidden": 16,
        "clip": 1.0,
        "lr": 1e-2,
        "batch": 32,
        "steps": 10**9,
        "eval_every": 100,
        "checkpoint_every": 100,
        "log_every": 1,
        "seed": 0,
    }
    if dtype != "float64":
        fields["dtype"] = dtype  # float64 is the default (and the only dtype before it)
    return TrainConfig(**fields)


class Timers:
    """Exclusive CPU time per phase: a wrapped call inside another counts for the outer."""

    def __init__(self, clock):
        self.clock = clock
        self.spent: dict[str, int] = defaultdict(int)
        self.active: str | None = None

    def wrap(self, phase: str, fn):
        clock = self.clock

        def timed(*args, **kwargs):
            if self.active is not None:
                return fn(*args, **kwargs)
            self.active = phase
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[phase] += clock() - t0
                self.active = None

        return timed


class Profiled:
    """A trainer whose pieces are timed, run ``steps`` steps at a time."""

    def __init__(self, cell: str, dtype: str, clock, folder: str):
        self.trainer = Trainer(config(cell, dtype), os.path.join(folder, f"{cell}-{dtype}"))
        self.timers = timers = Timers(clock)
        tr, net = self.trainer, self.trainer.network
        tr.task.sample = timers.wrap("data", tr.task.sample)
        net.model.forward = timers.wrap("forward", net.model.forward)
        net.output.forward = timers.wrap("forward", net.output.forward)
        net.loss_fn = timers.wrap("forward", net.loss_fn)
        net.model.backward = timers.wrap("backward", net.model.backward)
        net.output.backward = timers.wrap("backward", net.output.backward)
        if tr.config.omega:
            tr._regulariser = timers.wrap("regulariser", tr._regulariser)
        tr.clipper._fn = timers.wrap("clipping", tr.clipper._fn)  # the Clipper's own function
        tr.optimiser.step = timers.wrap("optimiser", tr.optimiser.step)
        tr._log = timers.wrap("metrics", tr._log)
        tr.evaluate = timers.wrap("metrics", tr.evaluate)
        tr.checkpoint = timers.wrap("checkpoints", tr.checkpoint)
        self.clock = clock

    def round(self, steps: int) -> dict[str, float]:
        """Run ``steps`` more steps; seconds per step of each phase."""
        self.timers.spent.clear()
        t0 = self.clock()
        self.trainer.run(stop_at=self.trainer.step + steps)
        total = self.clock() - t0
        spent = dict(self.timers.spent)
        spent["other"] = total - sum(spent.values())
        return {p: spent.get(p, 0) / steps / 1e9 for p in PHASES} | {"total": total / steps / 1e9}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated: lstm, gru, rnn")
    ap.add_argument("--dtypes", default="float64,float32", help="float64, float32 or both")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200, help="steps per round (eval every 100)")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = ap.parse_args(argv)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    bad = [c for c in cells if c not in CELLS] + [
        d for d in dtypes if d not in ("float64", "float32")
    ]
    if bad or args.rounds < 1 or args.steps < 1:
        raise SystemExit(f"bad arguments: {bad or 'rounds and steps must be >= 1'}")
    clock = time.process_time_ns if args.clock == "cpu" else time.perf_counter_ns
    rows: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for cell in cells:
            for dtype in dtypes:
                try:
                    runs[cell, dtype] = Profiled(cell, dtype, clock, folder)
                except TypeError as exc:  # a gradsym without TrainConfig.dtype
                    print(f"skipping {cell} {dtype}: {exc}", file=sys.stderr)
        for run in runs.values():  # warm-up: first allocations, first checkpoint
            run.round(args.steps)
        for _ in range(args.rounds):
            for key, run in runs.items():
                rows[key].append(run.round(args.steps))
    what = "process CPU time" if args.clock == "cpu" else "wall-clock time"
    print(
        f"Training step, adding problem (T = 50, B = 32, 16 hidden, Adam, norm clipping 1.0; "
        f"log every step, evaluate and checkpoint every 100); numpy {np.__version__}, "
        f"one BLAS thread; {what}, median of {args.rounds} rounds of {args.steps} steps; "
        "µs per step (share of the step)"
    )
    keys = list(rows)
    header = f"{'':12}" + "".join(f"{c + ' ' + d:>20}" for c, d in keys)
    print(header)
    med = {
        k: {p: statistics.median(r[p] for r in rows[k]) for p in (*PHASES, "total")} for k in keys
    }
    for phase in (*PHASES, "total"):
        if phase == "regulariser" and all(med[k][phase] == 0 for k in keys):
            continue
        cells_text = []
        for k in keys:
            v, tot = med[k][phase], med[k]["total"]
            share = "" if phase == "total" else f" ({100 * v / tot:4.1f}%)"
            cells_text.append(f"{v * 1e6:8.1f}{share:>9}" if share else f"{v * 1e6:8.1f}{'':9}")
        print(f"{phase:12}" + "".join(f"{t:>20}" for t in cells_text))
    print(f"{'steps/s':12}" + "".join(f"{1 / med[k]['total']:>11.1f}{'':9}" for k in keys))


if __name__ == "__main__":
    main()
