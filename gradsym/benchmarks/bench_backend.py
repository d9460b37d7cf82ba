"""Forward + backward of the NumPy cells against torch's nn.RNN / nn.LSTM / nn.GRU.

Same process, same shapes, interleaved rounds (torch, gradsym, torch, gradsym, ...), the
fastest round of each (``--stat median`` for the median: on a machine shared with other
work the load only ever adds time, so the fastest round is the one that measured the code
and the median measures the neighbours too); prints the ratio gradsym / torch (below 1 means gradsym is faster), the
ratio of each cell's float32 time to its float64 time, and the cost per step at batch 1
(n = d = 32), where NumPy's per-call cost is what is measured.

Both sides run on the same number of threads (``--threads``, default 1): torch through
``torch.set_num_threads``, NumPy's BLAS through threadpoolctl when it is installed and
else through ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``/``MKL_NUM_THREADS``, which this
script sets before it imports NumPy (they do nothing if NumPy was imported before, as
under ``gradsym bench``; the header line says which way was used). One thread is the
default because a 2-core machine shared with other work gives noise, not a second core,
and torch's OpenMP threads keep spinning after each call, slowing whatever runs next.

``--clock cpu`` times the process's CPU time instead of the wall clock: with one thread a
side, the time the work takes while it runs, whatever else the machine runs meanwhile.

    gradsym bench backend [--rounds 7] [--threads 1] [--stat min|median]
                          [--clock wall|cpu] [--quick] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds per case")
    ap.add_argument(
        "--stat", choices=["min", "median"], default="min", help="which round to report"
    )
    ap.add_argument("--threads", type=int, default=1, help="threads for torch and for BLAS")
    ap.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall", help="wall-clock or process CPU time"
    )
    ap.add_argument("--quick", action="store_true", help="first shape only, 3 rounds")
    ap.add_argument("--markdown", action="store_true", help="also print the README's tables")
    return ap


_ARGS, _ = build_parser().parse_known_args()
if _ARGS.threads < 1:
    raise SystemExit("--threads must be at least 1")
_NUMPY_LOADED_BEFORE = "numpy" in sys.modules  # then the variables below come too late
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_ARGS.threads)

import numpy as np  # after the thread variables, on purpose

try:
    import torch
except ImportError as exc:  # the reference is the point of this script
    raise SystemExit("this benchmark needs torch: pip install torch==2.13.0") from exc

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

SHAPES = [(32, 100, 64, 128), (1, 1000, 32, 32), (64, 50, 256, 256)]  # (batch, T, input, hidden)
STEP_SHAPE = (1, 1000, 32, 32)  # batch 1, n = d = 32: the per-step cost
DTYPES = (np.float64, np.float32)
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}

# cell name → (gradsym cell, torch module or None); the compared cells first.
CELLS = {
    "rnn": (lambda d, n, dt: RNN(d, n, "tanh", dtype=dt), torch.nn.RNN),
    "lstm": (lambda d, n, dt: LSTM(d, n, dtype=dt), torch.nn.LSTM),
    # PyTorch's form, so that both do the same arithmetic
    "gru": (lambda d, n, dt: GRU(d, n, variant="torch", dtype=dt), torch.nn.GRU),
    "lstm peephole": (lambda d, n, dt: LSTM(d, n, peephole=True, dtype=dt), None),
    "lstm no forget": (lambda d, n, dt: LSTM(d, n, forget_gate=False, dtype=dt), None),
    "gru textbook": (lambda d, n, dt: GRU(d, n, variant="textbook", dtype=dt), None),
    "gru minimal": (lambda d, n, dt: GRU(d, n, variant="minimal", dtype=dt), None),
}
COMPARED = ("rnn", "lstm", "gru")


def limit_blas_threads(threads: int) -> str:
    """Hold NumPy's BLAS to ``threads`` threads; say how, and what BLAS it is."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        if _NUMPY_LOADED_BEFORE:
            return (
                "BLAS threads NOT set: NumPy was loaded before this script could set "
                "OPENBLAS_NUM_THREADS (pip install threadpoolctl, or run the script directly)"
            )
        return f"BLAS threads from OPENBLAS_NUM_THREADS={threads} (threadpoolctl not installed)"
    global _LIMITS  # kept alive: the limit holds while the object exists
    _LIMITS = threadpool_limits(limits=threads, user_api="blas")
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    desc = ", ".join(
        f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}), "
        f"{i['num_threads']} thread(s)"
        for i in blas
    )
    return f"BLAS {desc} (threadpoolctl)"


def machine() -> str:
    """CPU model and cores, NumPy and its BLAS, torch and its backends."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    torch_blas = "MKL" if torch.backends.mkl.is_available() else "no MKL"
    onednn = "oneDNN" if torch.backends.mkldnn.is_available() else "no oneDNN"
    return (
        f"{cpu}, {os.cpu_count()} cores; numpy {np.__version__}; "
        f"torch {torch.__version__} ({torch_blas}, {onednn})"
    )


def make_pair(kind: str, d: int, n: int, dtype):
    """A gradsym cell and the torch module computing the same function (None if torch
    has no such cell)."""
    ours, theirs = CELLS[kind]
    module = theirs(d, n, dtype=TORCH_DTYPES[dtype]) if theirs is not None else None
    return ours(d, n, dtype), module


CLOCK = time.perf_counter  # or time.process_time (--clock cpu)


def time_gradsym(cell, xs, g):
    t0 = CLOCK()
    trace = cell.forward(xs)
    cell.backward(trace, g)
    return CLOCK() - t0


def time_torch(module, xs, g):
    t0 = CLOCK()
    out, _ = module(xs)
    out.backward(g)
    return CLOCK() - t0


def measure(kind, shape, rounds, stat=min) -> dict:
    """dtype name → seconds of forward + backward (gradsym, torch or None), the ``stat``
    of the rounds (min or statistics.median): both
    dtypes and both sides interleaved round by round, so that a change of machine load
    hits all four alike (the float32 / float64 ratio included)."""
    B, T, d, n = shape
    cases = {}
    for dtype in DTYPES:
        rng = np.random.default_rng(0)
        cell, module = make_pair(kind, d, n, dtype)
        xs = rng.standard_normal((T, B, d)).astype(dtype)
        g = rng.standard_normal((T, B, n)).astype(dtype)
        cases[np.dtype(dtype).name] = (cell, module, xs, g, torch.tensor(xs, requires_grad=True),
                                       torch.tensor(g), [], [])  # fmt: skip
    for r in range(rounds + 1):  # round 0 is the warm-up
        for cell, module, xs, g, txs, tg, ours, theirs in cases.values():
            if module is not None:
                t = time_torch(module, txs, tg)
                if r:
                    theirs.append(t)
            t = time_gradsym(cell, xs, g)
            if r:
                ours.append(t)
    return {name: (stat(c[6]), stat(c[7]) if c[7] else None) for name, c in cases.items()}


def main(argv=None):
    global CLOCK
    args = build_parser().parse_args(argv)
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    blas = limit_blas_threads(args.threads)
    shapes = SHAPES[:1] if args.quick else SHAPES
    rounds = 3 if args.quick else args.rounds
    print(machine())
    print(f"{args.threads} thread(s) each: torch.set_num_threads({args.threads}); {blas}")
    stat = min if args.stat == "min" else statistics.median
    clock = "process CPU time" if args.clock == "cpu" else "wall-clock time"
    print(
        f"{clock}, {'fastest' if args.stat == 'min' else 'median'} of {rounds} interleaved rounds"
    )
    print()
    print("forward + backward, ratio = gradsym / torch; f32/f64 = gradsym float32 / float64")
    print(f"{'cell':5} {'dtype':8} {'(B, T, d, n)':20} {'gradsym ms':>11} {'torch ms':>9} "
          f"{'ratio':>6} {'f32/f64':>8}")  # fmt: skip
    table: dict[tuple, tuple[float, float]] = {}
    for kind in COMPARED:
        for shape in shapes:
            times = measure(kind, shape, rounds, stat)
            for dtype, (ours, theirs) in times.items():
                table[kind, dtype, shape] = (ours, theirs)
                vs64 = f"{ours / times['float64'][0]:8.2f}" if dtype == "float32" else ""
                print(
                    f"{kind:5} {dtype:8} {shape!s:20} "
                    f"{ours * 1e3:11.2f} {theirs * 1e3:9.2f} {ours / theirs:6.2f}{vs64}",
                    flush=True,
                )

    T = STEP_SHAPE[1]
    print()
    print(f"per step at batch 1, n = d = {STEP_SHAPE[3]} (T = {T}): µs of forward + backward")
    print(f"{'cell':15} {'float64':>8} {'float32':>8} {'torch f64':>10} {'torch f32':>10}")
    steps: dict[str, list] = {}
    for kind in CELLS:
        if (kind, "float64", STEP_SHAPE) in table:
            times = {dt: table[kind, dt, STEP_SHAPE] for dt in ("float64", "float32")}
        else:
            times = measure(kind, STEP_SHAPE, rounds, stat)
        row = [times["float64"], times["float32"]]
        steps[kind] = row
        cols = [f"{ours / T * 1e6:8.1f}" for ours, _ in row] + [
            f"{theirs / T * 1e6:10.1f}" if theirs is not None else f"{'—':>10}" for _, theirs in row
        ]
        print(f"{kind:15} " + " ".join(cols), flush=True)

    if args.markdown:
        print_markdown(table, steps, shapes, T)


def print_markdown(table, steps, shapes, T) -> None:
    """The README's two tables."""
    print()
    head = " | ".join(str(s) for s in shapes)
    print(f"| cell | dtype | {head} |")
    print("|---|---|" + "---|" * len(shapes))
    for dtype in ("float64", "float32"):
        for kind in COMPARED:
            cells = []
            for shape in shapes:
                ours, theirs = table[kind, dtype, shape]
                cell = f"{ours / theirs:.2f}"
                if dtype == "float32":
                    cell += f" ({ours / table[kind, 'float64', shape][0]:.2f})"
                cells.append(cell)
            print(f"| {kind.upper()} | {dtype} | " + " | ".join(cells) + " |")
    print()
    print("| cell | float64 µs | float32 µs | torch float64 µs | torch float32 µs |")
    print("|---|---|---|---|---|")
    for kind, row in steps.items():
        ours = [f"{o / T * 1e6:.1f}" for o, _ in row]
        theirs = [f"{t / T * 1e6:.1f}" if t is not None else "—" for _, t in row]
        print(f"| {kind} | " + " | ".join(ours + theirs) + " |")


if __name__ == "__main__":
    main()
