"""Forward + backward of the NumPy cells against torch's nn.RNN / nn.LSTM / nn.GRU.

Same process, same shapes, interleaved rounds (torch, gradsym, torch, gradsym, ...), the
median of each; prints the ratio gradsym / torch (below 1 means gradsym is faster).

    python benchmarks/bench_backend.py [--rounds 7] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

try:
    import torch
except ImportError as exc:  # the reference is the point of this script
    raise SystemExit("this benchmark needs torch: pip install torch==2.13.0") from exc

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

SHAPES = [(32, 100, 64, 128), (1, 1000, 32, 32), (64, 50, 256, 256)]  # (batch, T, input, hidden)
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}


def make_pair(kind: str, d: int, n: int, dtype):
    """A gradsym cell and the torch module computing the same function family."""
    tdtype = TORCH_DTYPES[dtype]
    if kind == "rnn":
        return RNN(d, n, "tanh", dtype=dtype), torch.nn.RNN(d, n, dtype=tdtype)
    if kind == "lstm":
        return LSTM(d, n, dtype=dtype), torch.nn.LSTM(d, n, dtype=tdtype)
    if kind == "gru":  # PyTorch's form, so that both do the same arithmetic
        return GRU(d, n, variant="torch", dtype=dtype), torch.nn.GRU(d, n, dtype=tdtype)
    raise ValueError(kind)


def time_gradsym(cell, xs, g):
    t0 = time.perf_counter()
    trace = cell.forward(xs)
    cell.backward(trace, g)
    return time.perf_counter() - t0


def time_torch(module, xs, g):
    t0 = time.perf_counter()
    out, _ = module(xs)
    out.backward(g)
    return time.perf_counter() - t0


def measure(kind, shape, dtype, rounds):
    B, T, d, n = shape
    rng = np.random.default_rng(0)
    cell, module = make_pair(kind, d, n, dtype)
    xs = rng.standard_normal((T, B, d)).astype(dtype)
    g = rng.standard_normal((T, B, n)).astype(dtype)
    txs = torch.tensor(xs, requires_grad=True)
    tg = torch.tensor(g)
    time_gradsym(cell, xs, g), time_torch(module, txs, tg)  # warm-up
    ours, theirs = [], []
    for _ in range(rounds):
        theirs.append(time_torch(module, txs, tg))
        ours.append(time_gradsym(cell, xs, g))
    return statistics.median(ours), statistics.median(theirs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="first shape only, 3 rounds")
    args = ap.parse_args(argv)
    shapes = SHAPES[:1] if args.quick else SHAPES
    rounds = 3 if args.quick else args.rounds
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, numpy {np.__version__}")
    print(
        f"{'cell':5} {'dtype':8} {'(B, T, d, n)':20} {'gradsym ms':>11} {'torch ms':>9} {'ratio':>6}"
    )
    for dtype in (np.float64, np.float32):
        for kind in ("rnn", "lstm", "gru"):
            for shape in shapes:
                ours, theirs = measure(kind, shape, dtype, rounds)
                print(
                    f"{kind:5} {np.dtype(dtype).name:8} {shape!s:20} "
                    f"{ours * 1e3:11.2f} {theirs * 1e3:9.2f} {ours / theirs:6.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
