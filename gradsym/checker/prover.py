"""The symbolic half of the check: candidate = Jacobian for every n and d, within a time
limit — and, outside the fragment the index form covers, at one size only.

**For every size** (:func:`prove_every_size`): the candidate and the Jacobian, derived
entrywise from the cell's equations, are written in index notation with n and d as symbols
and brought to a normal form (:mod:`gradsym.symbolic.every_size`). Equal forms are equal at
every size; different forms are searched for a counterexample, size by size from the
smallest, at random rational points, evaluated exactly. The budget is cooperative: the
work checks the clock (``time_limit``) and a largest number of terms.

**At one size** (:func:`prove`, the fallback for a construct the index form does not
cover, and for an explicit matrix, which has one size): the entry-by-entry decision of
:func:`gradsym.symbolic.proof.decide_entry` at a size chosen from the product degree
(:func:`proof_size`: the standard polynomial S₂ₖ vanishes on k×k matrices, Amitsur–Levitzki,
so n > half the number of matrix factors in the longest product). Such a proof says "at
n = …" and nothing more: it never makes a verdict "holds" for every size. :func:`prove`
builds the explicit Jacobian and the cell's explicit environment, expands the candidate in
it and decides entry by entry, all in a forked child process that is stopped at the time
limit, so that no candidate can hang the caller (what the child built comes back with the
outcome and is kept for the next proof); where ``fork`` is unavailable it runs in-process
without a limit. (The explicit forms of the notes' own cells, whose cost is known, are
built in the caller and kept; those of declared cells in the child.) The child dies with
its caller, on any signal, SIGKILL included (:func:`gradsym.workers.tie_to_parent`).
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.visitor import MatrixVisitor
from gradsym.symbolic import every_size
from gradsym.symbolic.equations import CellEquations
from gradsym.symbolic.explicit import (
    evaluate,
    explicit_jacobian,
    sizes_for,
    symbols_of,
    wrt_environment,
)
from gradsym.symbolic.proof import decide_entry
from gradsym.workers import tie_to_parent

MAX_PROOF_SIZE = 6
SEARCH_SECONDS = 10.0  # the search for a counterexample, within the time limit
FORK_TERMS = 2000  # a candidate that may expand to more terms is judged in a child process


class _ProductDegree(MatrixVisitor):
    """The largest number of matrix factors in a product term, one ``_print_<Class>`` per
    construct; anything else (a number, OneMatrix, Identity) counts 0."""

    def emptyPrinter(self, e) -> int:
        return 0

    def _print_MatrixSymbol(self, e) -> int:
        return 0 if 1 in (e.shape[0], e.shape[1]) else 1

    def _print_MatMul(self, e) -> int:
        return sum(self._print(a) for a in e.args if getattr(a, "is_Matrix", False))

    def _print_HadamardProduct(self, e) -> int:
        return sum(self._print(a) for a in e.args)

    def _print_MatAdd(self, e) -> int:
        return max((self._print(a) for a in e.args), default=0)

    def _print_BlockMatrix(self, e) -> int:
        return max((self._print(a) for a in e.blocks), default=0)

    def _print_Diag(self, e) -> int:
        return max(1, self._print(e.vector))

    def _print_Apply(self, e) -> int:
        return self._print(e.vector)

    def _print_Pairwise(self, e) -> int:  # a product a∘b, or a quotient or a power of both
        return self._print(e.first) + self._print(e.second)

    def _print_Transpose(self, e) -> int:
        return self._print(e.arg)

    def _print_MatrixSlice(self, e) -> int:  # a block of one named matrix: that matrix
        return self._print(e.parent)


def product_degree(e: Any) -> int:
    """The largest number of matrix factors in a product term of ``e``, products distributed
    over sums; diag(v) counts as one factor (more if v itself is a product of matrices),
    vectors count 0, a Hadamard product as the sum of its factors'. A block matrix counts
    as its largest block (each block of a product of block matrices is a sum of products
    of one block from each factor), a slice W_o[:, :n] as the matrix it is cut from."""
    return _ProductDegree().visit(e)


def proof_size(*exprs: MatrixExpr) -> tuple[int, int]:
    """(n, d) of a proof that sees every error of candidate − truth: both above half the
    product degree, n ≥ 3, d ≥ 2 (the same bound, as U_g and W_x chain through d too)."""
    degree = max(product_degree(e) for e in exprs)
    n = max(3, degree // 2 + 1)
    return n, n


@dataclass(frozen=True)
class ProofOutcome:
    """What the symbolic half found at size (n, d).

    ``status``: "proved" (every entry of candidate − truth is identically 0), "different"
    (entry ``entry`` is nonzero at test point ``point``; ``difference``, ``candidate`` and
    ``expected`` are its values there to 50 digits), "unknown" (SymPy could not decide entry
    ``entry``), "timeout", "too large" or "skipped" (no time given); ``reason`` says more.
    """

    status: str
    n: int
    d: int
    entry: tuple[int, int] | None = None
    point: int | None = None
    difference: str | None = None
    candidate: str | None = None
    expected: str | None = None
    residual: str | None = None
    reason: str = ""
    seconds: float = 0.0


@lru_cache(maxsize=256)
def _entry_symbols(cell: CellEquations, name: str, n: int, d: int) -> tuple[sp.Symbol, ...]:
    table = {**cell.vectors, **{p.name: p for p in cell.params}}
    return tuple(symbols_of(table[name], sizes_for(n, d)))


def entry_point(cell: CellEquations, inst: dict[str, Any]) -> dict[sp.Symbol, sp.Rational]:
    """The instance as exact values of the entry symbols (a float is the rational it is)."""
    out = {}
    for name, value in {**inst["params"], **inst["leaves"]}.items():
        symbols = _entry_symbols(cell, name, inst["n"], inst["d"])
        for s, v in zip(symbols, np.asarray(value).reshape(-1)):
            out[s] = sp.Rational(float(v))
    return out


#: What proof processes built (explicit Jacobians, explicit environments), kept by the
#: caller for the next proof: built in the child, so that the time limit covers them, and
#: sent back with the outcome (keys of ``_NEW``).
_BUILT: dict[tuple, Any] = {}
_NEW: list[tuple] = []
_MAX_BUILT = 256


def _keep(key: tuple, value: Any) -> None:
    if len(_BUILT) >= _MAX_BUILT:
        del _BUILT[next(iter(_BUILT))]  # the oldest
    _BUILT[key] = value


def _cached(key: tuple, build) -> Any:
    if key not in _BUILT:
        _keep(key, build())
        _NEW.append(key)
    return _BUILT[key]


def _decide(
    candidate: Any, cell: CellEquations, of: str, wrt: str, n: int, d: int, points: list[dict]
) -> ProofOutcome:
    t0 = time.perf_counter()
    truth = _cached(("truth", cell, of, wrt, n, d), lambda: explicit_jacobian(cell, of, wrt, n, d))
    if isinstance(candidate, sp.MatrixBase):
        mine = sp.ImmutableMatrix(candidate)
    else:
        env = _cached(("env", cell, wrt, n, d), lambda: wrt_environment(cell, wrt, n, d))
        mine = evaluate(candidate, env, sizes_for(n, d))
    if mine.shape != truth.shape:
        return ProofOutcome("different", n, d, reason=f"shape {mine.shape} ≠ {truth.shape}")
    unknown = None
    for i in range(truth.rows):
        for j in range(truth.cols):
            res = decide_entry(mine[i, j], truth[i, j], points)
            if res.status == "nonzero":
                return ProofOutcome(
                    "different",
                    n,
                    d,
                    (i, j),
                    res.point,
                    str(res.difference),
                    str(res.candidate),
                    str(res.expected),
                    seconds=time.perf_counter() - t0,
                )
            if res.status == "unknown" and unknown is None:
                unknown = (i, j)
    if unknown is not None:
        i, j = unknown
        residual = sp.sstr(mine[i, j] - truth[i, j])
        return ProofOutcome(
            "unknown",
            n,
            d,
            unknown,
            residual=residual[:2000],
            reason=f"SymPy could not decide entry {unknown}",
            seconds=time.perf_counter() - t0,
        )
    return ProofOutcome("proved", n, d, seconds=time.perf_counter() - t0)


def _child(conn, args) -> None:
    """The proof process: sends (outcome, the explicit Jacobian if it built it)."""
    tie_to_parent()  # a SIGKILL of the caller must not leave a proof running on
    _NEW.clear()
    try:
        outcome = _decide(*args)
    except RecursionError:
        outcome = ProofOutcome("too large", args[4], args[5], reason="too deeply nested")
    except MemoryError:
        outcome = ProofOutcome("too large", args[4], args[5], reason="out of memory")
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which decides)
        reason = f"{type(exc).__name__}: {exc}"
        outcome = ProofOutcome("unknown", args[4], args[5], reason=reason)
    built = {key: _BUILT[key] for key in _NEW if key in _BUILT}
    try:
        try:
            conn.send((outcome, built))
        except (RecursionError, pickle.PicklingError):  # too deep to send: kept here only
            conn.send((outcome, {}))
    finally:
        conn.close()


def prove(
    candidate: Any,
    cell: CellEquations,
    of: str,
    wrt: str,
    n: int,
    d: int,
    points: list[dict[sp.Symbol, sp.Rational]],
    time_limit: float | None,
) -> ProofOutcome:
    """candidate = ∂of/∂wrt identically at sizes n, d, tested at ``points`` for a
    counterexample on the way; stopped after ``time_limit`` seconds (None: no limit)."""
    if time_limit is not None and time_limit <= 0:
        return ProofOutcome("skipped", n, d, reason="no time was given for a proof")
    if n > MAX_PROOF_SIZE:
        return ProofOutcome(
            "too large",
            n,
            d,
            reason=f"a proof would need n = {n}, above the limit {MAX_PROOF_SIZE}",
        )
    started = time.perf_counter()
    if cell.variant != "declared":
        # The notes' own cells: their explicit forms at the proof sizes (n ≤ 6) are known to
        # build in about a second, so they are built here once, as warm as SymPy's cache
        # is, for every later proof; a declared cell's (the user's equations) are built in
        # the child, within the time limit.
        _cached(("truth", cell, of, wrt, n, d), lambda: explicit_jacobian(cell, of, wrt, n, d))
        if not isinstance(candidate, sp.MatrixBase):
            _cached(("env", cell, wrt, n, d), lambda: wrt_environment(cell, wrt, n, d))
        if time_limit is not None:  # what the build took is part of the limit
            given, time_limit = time_limit, time_limit - (time.perf_counter() - started)
            if time_limit <= 0:
                reason = f"the symbolic proof did not finish within {given:g} s"
                return ProofOutcome("timeout", n, d, reason=reason)
    args = (candidate, cell, of, wrt, n, d, points)
    if time_limit is None or "fork" not in multiprocessing.get_all_start_methods():
        try:
            return _decide(*args)
        except RecursionError:
            return ProofOutcome("too large", n, d, reason="too deeply nested")
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, args), daemon=True)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        # Python ≥ 3.12 warns about fork in a threaded process; the child runs only SymPy.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    send.close()
    try:
        if receive.poll(time_limit):
            try:
                outcome, built = receive.recv()
            except EOFError:
                return ProofOutcome("unknown", n, d, reason="the proof process died")
            for key, value in built.items():  # for the next proof at this size
                _keep(key, value)
            return outcome
        return ProofOutcome(
            "timeout",
            n,
            d,
            reason=f"the symbolic proof did not finish within {time_limit:g} s",
            seconds=time.perf_counter() - t0,
        )
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


# -- for every size ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EverySize:
    """What the proof for every size found: ``status`` "equal" (for every n and d),
    "different" (``outcome.counterexample``), "undecided" (``outcome`` says what was
    tried), "unsupported" (a construct outside the fragment: ``reason``), "timeout" or
    "skipped" (no time given)."""

    status: str
    outcome: Any = None
    reason: str = ""
    seconds: float = 0.0


def expanded_terms(e: Any, cap: int = 10**9) -> int:
    """An upper bound on the number of terms of ``e`` with every product distributed over
    its sums (at most ``cap``): sums add, products and Hadamard products multiply, a
    function of a vector or a diag counts its argument's."""
    memo: dict = {}

    def walk(x) -> int:
        if x in memo:
            return memo[x]
        args = [a for a in getattr(x, "args", ()) if getattr(a, "is_Matrix", False)]
        if isinstance(x, sp.MatAdd):
            out = sum(walk(a) for a in args)
        elif isinstance(x, (sp.MatMul, sp.HadamardProduct)):
            out = 1
            for a in args:
                out = min(cap, out * walk(a))
        elif isinstance(x, sp.MatPow) and x.exp.is_Integer:
            out = min(cap, walk(x.base) ** min(int(x.exp), 64))
        elif args:
            out = max(walk(a) for a in args)
        else:
            out = 1
        memo[x] = min(cap, out)
        return memo[x]

    return walk(e)


def prove_every_size(
    candidate: Any, cell: CellEquations, of: str, wrt: str, time_limit: float | None, seed: int = 0
) -> EverySize:
    """candidate = ∂of/∂wrt for every n and d (see the module docstring).

    The Jacobian's index form is derived here, in the caller (it is cached for the next
    candidate). The work checks the clock as it goes (a cooperative deadline); a candidate
    that may expand to many terms (:func:`expanded_terms` above FORK_TERMS) is moreover
    judged in a forked child stopped at the time limit, as the fixed-size proof is, so that
    nothing it grows into can hang the caller (and the child dies with it). A small one is judged here, where the forms it
    builds stay cached for the diagnosis: a fork costs about 10 ms, the proof of a
    textbook answer less than one."""
    if time_limit is not None and time_limit <= 0:
        return EverySize("skipped", reason="no time was given for a proof")
    t0 = time.perf_counter()
    try:
        with every_size.limits(time_limit):
            every_size.jacobian(cell, of, wrt)
    except every_size.Unsupported as exc:
        return EverySize("unsupported", reason=str(exc), seconds=time.perf_counter() - t0)
    except every_size.TooLarge:
        reason = f"the symbolic proof did not finish within {time_limit:g} s"
        return EverySize("timeout", reason=reason, seconds=time.perf_counter() - t0)
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    args = (candidate, cell, of, wrt, left, seed)
    small = expanded_terms(candidate) <= FORK_TERMS
    if left is None or small or "fork" not in multiprocessing.get_all_start_methods():
        return _every_size(*args)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_every_size_child, args=(send, args), daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a threaded process
        child.start()
    send.close()
    try:
        # the child keeps its own (cooperative) deadline; this one is the hard stop
        if receive.poll(max(left, 0.0) + 0.5):
            try:
                return receive.recv()
            except EOFError:
                return EverySize("unknown", reason="the proof process died")
        reason = f"the symbolic proof did not finish within {time_limit:g} s"
        return EverySize("timeout", reason=reason, seconds=time.perf_counter() - t0)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def _every_size_child(conn, args) -> None:
    tie_to_parent()  # a SIGKILL of the caller must not leave a proof running on
    try:
        result = _every_size(*args)
        if result.outcome is not None and result.outcome.counterexample is not None:
            result.outcome.counterexample.freeze()  # intervals as plain endpoints
        conn.send(result)
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which decides)
        conn.send(EverySize("unknown", reason=f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _every_size(candidate, cell, of, wrt, time_limit, seed) -> EverySize:
    """The proof for every size in this process, within ``time_limit`` (cooperative)."""
    t0 = time.perf_counter()
    # the search for a counterexample stops in time for the verdict to say what it found
    search = SEARCH_SECONDS if time_limit is None else min(SEARCH_SECONDS, time_limit / 3)
    try:
        with every_size.limits(time_limit):
            outcome = every_size.check(candidate, cell, of, wrt, seed=seed, seconds=search)
    except every_size.Unsupported as exc:
        return EverySize("unsupported", reason=str(exc), seconds=time.perf_counter() - t0)
    except every_size.TooLarge as exc:
        seconds = time.perf_counter() - t0
        if "time" in str(exc):
            reason = f"the symbolic proof did not finish within {time_limit:g} s"
            return EverySize("timeout", reason=reason, seconds=seconds)
        return EverySize(
            "timeout", reason=f"the index form grew too large ({exc})", seconds=seconds
        )
    except RecursionError:
        return EverySize("timeout", reason="too deeply nested", seconds=time.perf_counter() - t0)
    except MemoryError:
        return EverySize("timeout", reason="out of memory", seconds=time.perf_counter() - t0)
    return EverySize(outcome.status, outcome, outcome.reason, time.perf_counter() - t0)
