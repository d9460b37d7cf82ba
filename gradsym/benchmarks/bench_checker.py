"""Speed of the checker and of the claims' verification (prints numbers; not a test).

1. ``check_jacobian`` from Python on every candidate of the public corpus
   (``tests/checker/corpus.py``: right answers in many forms, and wrong ones of every
   class), one after another in this process after one warm-up check: the median, the
   90th percentile and the largest time (target: median < 0.5 s), by verdict;
2. the classes of issue 25 (traces through 1, J² = nJ, Cayley–Hamilton, S₄ on skew parts,
   Gram determinants, coefficients in d), each refuted at its smallest size: their times;
3. ``gradsym verify`` of all the claims in a fresh process, wall and CPU time (target:
   < 30 s), ``--rounds`` times.

CPU time is printed beside wall time: on a machine shared with other work the wall time
counts the waits.

Run: gradsym bench checker [--rounds 1] [--skip-verify] [--limit N], from a source
checkout (the corpus and the classes are the tests').
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

# The folder that holds the gradsym package: in a source checkout the repository, whose
# tests/ hold the corpus and the classes this benchmark times.
ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TESTS))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def corpus_checks(limit: int | None) -> None:
    from checker.corpus import corpus

    from gradsym.checker import check_jacobian

    entries = corpus()[:limit] if limit else corpus()
    check_jacobian("rnn", "diag(tanh'(z)) @ W_h")  # warm-up: imports, caches of the first cell
    walls, cpus = [], []
    by_outcome: dict[str, list[float]] = defaultdict(list)
    for e in entries:
        t0, c0 = time.perf_counter(), _cpu()
        v = check_jacobian(
            e.cell,
            e.sympy if e.sympy is not None else e.text,
            of=e.of,
            wrt=e.wrt,
            variant=e.variant,
        )
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        by_outcome[v.outcome].append(walls[-1])
    print(
        f"check_jacobian on the corpus: {len(walls)} candidates; wall median "
        f"{statistics.median(walls):.3f} s (target < 0.5 s), 90th percentile "
        f"{_percentile(walls, 0.9):.3f} s, largest {max(walls):.3f} s, total {sum(walls):.1f} s; "
        f"CPU median {statistics.median(cpus):.3f} s"
    )
    for outcome, ts in sorted(by_outcome.items()):
        print(
            f"  {outcome:9} {len(ts):4}  median {statistics.median(ts):.3f} s, largest {max(ts):.3f} s"
        )


def issue_classes() -> None:
    from checker import test_every_size as cls

    from gradsym.checker import check_jacobian

    tr_i = cls.trace("I")
    skew = [f"(W_{g} - W_{g}.T)" for g in "fioc"]
    gram = cls.gram_determinant(["h_prev", "c_prev", "b_f", "b_i"])
    cases = [
        ("(n − 1)(n − 2) through tr(I)", "rnn", "h",
         f"{cls.RNN} + {cls.scalar(f'{tr_i} @ {tr_i} - 3 * {tr_i}')} @ W_h + 2 * W_h"),
        ("J² − 2J", "rnn", "h", f"{cls.RNN} + {cls.J} @ {cls.J} @ W_h - 2 * {cls.J} @ W_h"),
        ("Cayley–Hamilton 2×2", "rnn", "h", f"{cls.RNN} + {cls.cayley_hamilton_2('W_h')}"),
        ("Cayley–Hamilton 3×3", "rnn", "h", f"{cls.RNN} + {cls.cayley_hamilton_3('W_h')}"),
        ("S₄ on skew parts", "lstm", "h", f"{cls.LSTM_DH_DH} + {cls.standard_polynomial(skew)}"),
        ("Gram determinant of 4", "lstm", "c", f"{cls.LSTM_DC_DH} + {cls.scalar(gram)} @ W_f"),
        ("(d − 1)(d − 2)(d − 3)", "rnn", "h", f"{cls.RNN} + {cls._poly_in_d([-6, 11, -6, 1])} @ W_h"),
    ]  # fmt: skip
    print("the classes of issue 25, each refuted at its smallest size:")
    for label, cell, of, text in cases:
        t0 = time.perf_counter()
        v = check_jacobian(cell, text, of=of, wrt="h_prev")
        wall = time.perf_counter() - t0
        cx = v.counterexample or {}
        print(f"  {label:32} {v.outcome:9} at n = {cx.get('n')}, d = {cx.get('d')}  {wall:.2f} s")


def verify_all(rounds: int) -> None:
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "gradsym", "verify"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-200:]
        print(
            f"gradsym verify (all claims, a fresh process): wall {wall:.1f} s, CPU {cpu:.1f} s "
            f"(target < 30 s); exit {out.returncode}: {last}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs of gradsym verify")
    parser.add_argument("--limit", type=int, default=None, help="first N corpus candidates")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--skip-classes", action="store_true")
    args = parser.parse_args()
    if not (TESTS / "checker" / "corpus.py").is_file():
        print(
            "gradsym bench checker: error: it times the checker on the corpus of the tests "
            f"(tests/checker/ of a source checkout), not found beside {ROOT}",
            file=sys.stderr,
        )
        sys.exit(2)
    corpus_checks(args.limit)
    if not args.skip_classes:
        issue_classes()
    if not args.skip_verify:
        verify_all(args.rounds)


if __name__ == "__main__":
    main()
