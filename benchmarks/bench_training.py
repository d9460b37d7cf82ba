"""Training speed: the adding-problem LSTM in gradsym against the same model in PyTorch.

One training step = sample a batch (B = 32, T = 50), forward, backward (full BPTT),
norm clipping at 1.0, one Adam step (lr 1e-2). gradsym: :class:`gradsym.numeric.train.trainer.Trainer`
with ``cell="lstm", hidden=16, forget_bias=1`` (the CLI example), float64.
PyTorch: ``nn.LSTM`` + ``nn.Linear``, ``clip_grad_norm_``, ``torch.optim.Adam`` on the CPU,
float64 too (float32 is printed as well), fed the same kind of batches.

Both run in this process, interleaved in rounds so that a change of machine load hits
both; the median rate over the rounds is reported, and the ratio gradsym / torch
(above 1: gradsym is faster).

    python benchmarks/bench_training.py [--rounds 5] [--steps 40] [--threads 1]
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

import numpy as np

from gradsym.numeric.train import TrainConfig, Trainer


def gradsym_runner(steps: int):
    config = TrainConfig(
        cell="lstm", task="adding", task_kwargs={"length": 50}, hidden=16, forget_bias=1.0,
        clip=1.0, lr=1e-2, batch=32, steps=10**9, eval_every=10**9, checkpoint_every=10**9,
        seed=0,
    )  # fmt: skip
    trainer = Trainer(config)

    def run() -> float:
        t0 = time.perf_counter()
        for _ in range(steps):
            out = trainer.train_step()
            if isinstance(out, str):
                raise FloatingPointError(out)
        return steps / (time.perf_counter() - t0)

    return run, trainer.task


def torch_runner(steps: int, task, dtype):
    import torch
    from torch import nn

    torch.manual_seed(0)
    lstm = nn.LSTM(task.input_size, 16).to(dtype)
    head = nn.Linear(16, task.output_size).to(dtype)
    with torch.no_grad():
        lstm.bias_ih_l0[16:32].fill_(1.0)  # forget-gate bias 1 (gate order i, f, g, o)
        lstm.bias_hh_l0[16:32].zero_()
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    rng = np.random.default_rng(1)

    def run() -> float:
        t0 = time.perf_counter()
        for _ in range(steps):
            b = task.sample(32, rng)
            x = torch.from_numpy(b.x).to(dtype)
            y = torch.from_numpy(b.y).to(dtype)
            opt.zero_grad()
            hs, _ = lstm(x)
            loss = nn.functional.mse_loss(head(hs[-1]), y)
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        return steps / (time.perf_counter() - t0)

    return run


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=40, help="steps per round and framework")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    ours, task = gradsym_runner(args.steps)
    theirs64 = torch_runner(args.steps, task, torch.float64)
    theirs32 = torch_runner(args.steps, task, torch.float32)
    for run in (ours, theirs64, theirs32):  # warm-up
        run()
    rates: dict[str, list[float]] = {"gradsym": [], "torch64": [], "torch32": []}
    for _ in range(args.rounds):
        rates["gradsym"].append(ours())
        rates["torch64"].append(theirs64())
        rates["torch32"].append(theirs32())
    med = {k: statistics.median(v) for k, v in rates.items()}
    print("Adding-problem LSTM (T = 50, B = 32, hidden 16, Adam, norm clipping 1.0), CPU,")
    print(
        f"torch {torch.__version__} with {torch.get_num_threads()} thread(s); "
        f"median of {args.rounds} interleaved rounds of {args.steps} steps"
    )
    print(f"  gradsym (NumPy, float64)   {med['gradsym']:8.1f} steps/s")
    print(f"  torch   (float64)          {med['torch64']:8.1f} steps/s")
    print(f"  torch   (float32)          {med['torch32']:8.1f} steps/s")
    print(f"  ratio gradsym / torch64    {med['gradsym'] / med['torch64']:8.2f}")
    print(f"  ratio gradsym / torch32    {med['gradsym'] / med['torch32']:8.2f}")


if __name__ == "__main__":
    main()
