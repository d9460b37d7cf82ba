"""How much of the machine's GEMM rate a forward + backward pass reaches, gradsym's
against torch's, and how gradsym's time splits between its matrix products and the rest.

At (B, T, d, n) = (64, 50, 256, 256) (``--shape``), float64 (``--dtype``), one thread a
side: a pass of a cell with G gate blocks (LSTM 4, GRU 3, tanh RNN 1) does
6·T·B·G·n·(n + d) useful floating-point operations in its matrix products — forward
U x⁽ᵗ⁾ and W h⁽ᵗ⁻¹⁾ for every gate and step, backward δZ W (the adjoint flowing back),
δZᵀ h, δZᵀ x (the weight gradients) and δZ U (the input gradient) — and nothing else of
its work grows as fast. The machine's GEMM rate is the fastest of a square
(1024 × 1024)·(1024 × 1024) product in this dtype (NumPy's BLAS, one thread). For each
pass this prints its time, useful GFLOP/s and the share of the GEMM rate it reaches,
and for gradsym the time its products take when made alone (the same products, of the
same shapes, as the pass makes them) and the rest: the elementwise passes over the gate
values, the checks, the allocations.

Times are process CPU time (``--clock wall`` for the wall clock), the fastest of
``--rounds`` interleaved rounds.

    gradsym bench products [--shape 64,50,256,256] [--dtype float64]
                           [--cells lstm,gru,rnn] [--rounds 5] [--clock cpu]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread, as torch's one

import numpy as np  # after the thread variable, on purpose

from gradsym.numeric.cells.gates import step_product
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def useful_flops(kind: str, B: int, T: int, d: int, n: int) -> float:
    """6·T·B·G·n·(n + d): the multiply–adds (×2) of the products of a forward + backward
    pass: forward U x and W h, backward δZ W, δZᵀ h, δZᵀ x and δZ U, each 2·T·B·G·n·(n or d)."""
    return 6.0 * T * B * GATES[kind] * n * (n + d)


def gemm_rate(dtype, rounds: int, clock, size: int = 1024) -> float:
    """The machine's GEMM rate (FLOP/s): the fastest of ``rounds`` square products."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
    out = np.empty_like(a)
    best = float("inf")
    for _ in range(rounds + 1):
        t0 = clock()
        np.matmul(a, b, out=out)
        best = min(best, clock() - t0)
    return 2.0 * size**3 / best


def make_cell(kind: str, d: int, n: int, dtype):
    if kind == "lstm":
        return LSTM(d, n, dtype=dtype)
    if kind == "gru":
        return GRU(d, n, variant="torch", dtype=dtype)  # torch's form: the same arithmetic
    return RNN(d, n, "tanh", dtype=dtype)


def products_alone(kind: str, B: int, T: int, d: int, n: int, dtype):
    """A function making the products of one pass alone, as the pass makes them: the
    input projections of every step in one batched product, one recurrent product per
    step forward and one back, the weight and input gradients as single products of the
    stacked (T·B, ·) rows."""
    G = GATES[kind]
    rng = np.random.default_rng(1)
    X = rng.standard_normal((T * B, d)).astype(dtype)
    H = rng.standard_normal((T * B, n)).astype(dtype)
    dZ = rng.standard_normal((T * B, G * n)).astype(dtype)
    W = rng.standard_normal((G * n, n)).astype(dtype)
    U = rng.standard_normal((G * n, d)).astype(dtype)
    h = rng.standard_normal((B, n)).astype(dtype)
    A = np.empty((G, T * B, n), dtype)
    if kind == "rnn":
        operand, rec = np.ascontiguousarray(W.T), np.empty((B, n), dtype)
    else:
        operand, rec, _ = step_product(W, n, B)
    back = np.empty((B, n), dtype)
    UT = U.reshape(G, n, d).transpose(0, 2, 1)

    def run() -> None:
        np.matmul(X, UT, out=A)  # U x⁽ᵗ⁾ + b of every step (the bias add excluded)
        for _ in range(T):
            np.matmul(h, operand, rec)  # W h⁽ᵗ⁻¹⁾
        for t in range(T):
            np.matmul(dZ[t * B : (t + 1) * B], W, back)  # δZ W
        dZ.T @ H  # ∂L/∂W
        dZ.T @ X  # ∂L/∂U
        dZ @ U  # ∂L/∂x

    return run


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="64,50,256,256", help="B,T,d,n")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--cells", default="lstm,gru,rnn")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = ap.parse_args(argv)
    B, T, d, n = (int(v) for v in args.shape.split(","))
    dtype = np.dtype(args.dtype)
    kinds = [k.strip() for k in args.cells.split(",") if k.strip()]
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    import torch

    torch.set_num_threads(1)
    tdt = getattr(torch, args.dtype)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((T, B, d)).astype(dtype)
    g = rng.standard_normal((T, B, n)).astype(dtype)
    txs, tg = torch.tensor(xs, requires_grad=True), torch.tensor(g)
    cases = {}
    for kind in kinds:
        cell, module = make_cell(kind, d, n, dtype), modules[kind](d, n, dtype=tdt)

        def ours(cell=cell):
            cell.backward(cell.forward(xs), g)

        def theirs(module=module):
            out, _ = module(txs)
            out.backward(tg)

        cases[kind, "gradsym"] = ours
        cases[kind, "torch"] = theirs
        cases[kind, "products"] = products_alone(kind, B, T, d, n, dtype)
    best = {k: float("inf") for k in cases}
    for r in range(args.rounds + 1):  # round 0 warms up
        for key, run in cases.items():
            t0 = clock()
            run()
            if r:
                best[key] = min(best[key], clock() - t0)
    rate = gemm_rate(dtype, args.rounds, clock)
    what = "process CPU time" if args.clock == "cpu" else "wall-clock time"
    print(
        f"(B, T, d, n) = ({B}, {T}, {d}, {n}), {args.dtype}, one thread a side; {what}, "
        f"fastest of {args.rounds} rounds; numpy {np.__version__}, torch {torch.__version__}"
    )
    print(f"machine GEMM rate ({args.dtype}, 1024³, one thread): {rate / 1e9:.1f} GFLOP/s")
    print(
        f"{'cell':5} {'GFLOP':>6} {'gradsym ms':>11} {'GFLOP/s':>8} {'share':>6} "
        f"{'torch ms':>9} {'GFLOP/s':>8} {'share':>6} {'products ms':>12} {'share':>6} "
        f"{'rest ms':>8}"
    )
    for kind in kinds:
        flops = useful_flops(kind, B, T, d, n)
        ours, theirs, prods = (best[kind, w] for w in ("gradsym", "torch", "products"))
        print(
            f"{kind:5} {flops / 1e9:6.2f} {ours * 1e3:11.1f} {flops / ours / 1e9:8.1f} "
            f"{flops / ours / rate:6.0%} {theirs * 1e3:9.1f} {flops / theirs / 1e9:8.1f} "
            f"{flops / theirs / rate:6.0%} {prods * 1e3:12.1f} {flops / prods / rate:6.0%} "
            f"{(ours - prods) * 1e3:8.1f}"
        )


if __name__ == "__main__":
    main()
