"""Training speed: the adding-problem LSTM, GRU and tanh RNN in gradsym against the same
models in PyTorch, in float64 and in float32.

One training step = sample a batch (B = 32, T = 50), forward, backward (full BPTT), norm
clipping at 1.0, one Adam step (lr 1e-2). gradsym:
:meth:`gradsym.numeric.train.trainer.Trainer.train_step` with ``hidden=16`` (the LSTM
with ``forget_bias=1``, the CLI example; the GRU in PyTorch's form, ``variant="torch"``,
the same arithmetic as ``nn.GRU``) and ``dtype`` float64 or float32. PyTorch:
``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` + ``nn.Linear``, ``clip_grad_norm_``,
``torch.optim.Adam`` on the CPU, fed batches of the same task, converted with
``torch.from_numpy(...).to(dtype)``.

Everything runs in this process with one thread a side (``torch.set_num_threads`` and
one OpenBLAS thread), interleaved in rounds so that a change of machine load hits every
case alike; the rate reported is the median over the rounds, timed as process CPU time
(``--clock wall`` for the wall clock): other work on a shared machine then hardly moves
it. Ratios are gradsym's steps/s over torch's in the same dtype (above 1: gradsym is
faster).

    gradsym bench training [--cells lstm,gru,rnn] [--dtypes float64,float32]
                           [--rounds 5] [--steps 40] [--clock cpu|wall]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# One BLAS thread, like torch's one thread below: the matrices here are tiny (32×16), and
# OpenBLAS's threads only add overhead — on a loaded machine they slowed a step 3–10
# times. Takes effect only if NumPy was not imported before this script.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the thread variable, on purpose

from gradsym.numeric.train import TrainConfig, Trainer

#: The gradsym side of each model (TrainConfig fields), and torch's module.
CELLS = {
    "lstm": {"cell": "lstm", "forget_bias": 1.0},
    "gru": {"cell": "gru", "variant": "torch"},
    "rnn": {"cell": "rnn"},
}
HIDDEN, LENGTH, BATCH = 16, 50, 32


def gradsym_runner(cell: str, dtype: str, steps: int, clock):
    fields = {
        **CELLS[cell],
        "task": "adding",
        "task_kwargs": {"length": LENGTH},
        "hidden": HIDDEN,
        "clip": 1.0,
        "lr": 1e-2,
        "batch": BATCH,
        "steps": 10**9,
        "eval_every": 10**9,
        "checkpoint_every": 10**9,
        "seed": 0,
    }
    if dtype != "float64":
        fields["dtype"] = dtype
    trainer = Trainer(TrainConfig(**fields))

    def run() -> float:
        t0 = clock()
        for _ in range(steps):
            out = trainer.train_step()
            if isinstance(out, str):
                raise FloatingPointError(out)
        return steps / (clock() - t0)

    return run, trainer.task


def torch_runner(cell: str, dtype: str, steps: int, task, clock):
    import torch
    from torch import nn

    dt = getattr(torch, dtype)
    torch.manual_seed(0)
    module = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](task.input_size, HIDDEN)
    module = module.to(dt)
    head = nn.Linear(HIDDEN, task.output_size).to(dt)
    if cell == "lstm":
        with torch.no_grad():
            n = HIDDEN
            module.bias_ih_l0[n : 2 * n].fill_(1.0)  # forget-gate bias 1 (gate order i, f, g, o)
            module.bias_hh_l0[n : 2 * n].zero_()
    params = list(module.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    rng = np.random.default_rng(1)

    def run() -> float:
        t0 = clock()
        for _ in range(steps):
            b = task.sample(BATCH, rng)
            x = torch.from_numpy(b.x).to(dt)
            y = torch.from_numpy(b.y).to(dt)
            opt.zero_grad()
            hs, _ = module(x)
            loss = nn.functional.mse_loss(head(hs[-1]), y)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        return steps / (clock() - t0)

    return run


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", default="lstm,gru,rnn", help="comma-separated: lstm, gru, rnn")
    p.add_argument("--dtypes", default="float64,float32", help="float64, float32 or both")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=40, help="steps per round and case")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = p.parse_args(argv)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    bad = [c for c in cells if c not in CELLS] + [
        d for d in dtypes if d not in ("float64", "float32")
    ]
    if bad:
        raise SystemExit(f"unknown cells or dtypes: {bad}")
    import torch

    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    runners = {}
    for cell in cells:
        for dtype in dtypes:
            ours, task = gradsym_runner(cell, dtype, args.steps, clock)
            runners["gradsym", cell, dtype] = ours
            runners["torch", cell, dtype] = torch_runner(cell, dtype, args.steps, task, clock)
    for run in runners.values():  # warm-up
        run()
    rates: dict[tuple, list[float]] = {k: [] for k in runners}
    for _ in range(args.rounds):
        for key, run in runners.items():
            rates[key].append(run())
    med = {k: statistics.median(v) for k, v in rates.items()}
    what = "process CPU time" if args.clock == "cpu" else "wall-clock time"
    print(
        f"Adding problem (T = {LENGTH}, B = {BATCH}, {HIDDEN} hidden, Adam, norm clipping 1.0); "
        f"numpy {np.__version__}, torch {torch.__version__}, {torch.get_num_threads()} "
        f"thread(s) a side; {what}, median of {args.rounds} interleaved rounds of {args.steps} "
        "steps"
    )
    print(f"{'model':6} {'dtype':8} {'gradsym steps/s':>16} {'torch steps/s':>14} {'ratio':>7}")
    for cell in cells:
        for dtype in dtypes:
            ours, theirs = med["gradsym", cell, dtype], med["torch", cell, dtype]
            print(f"{cell:6} {dtype:8} {ours:16.1f} {theirs:14.1f} {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
