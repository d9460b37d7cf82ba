"""``check_jacobian``: is a user's formula for a Jacobian block of a cell right?

The verdict (:class:`Verdict`) is one of three outcomes, decided so that it is never false:

1. **For every size** (:mod:`.prover`, :mod:`gradsym.symbolic.every_size`): the candidate
   and the Jacobian derived entrywise from the cell's equations are written in index
   notation with n and d as symbols and brought to a normal form. Equal forms — the
   candidate **holds**, for every n and d. Different forms — the difference is evaluated
   exactly at the smallest sizes first (in the order of n + d, then n), at random rational
   points: the first entry proved nonzero refutes the candidate (**refuted**, with that
   exact counterexample and the smaller sizes at which it is proved right). Neither (an
   identity between elementwise functions the form does not see, a time limit, a
   construct outside the fragment) — **undecided**, saying at which sizes it holds
   exactly and where it was searched. ``docs/every-size.md`` has the argument.
2. Numerically, on seeded random instances at the size the user asked for, the candidate
   is compared with the library's Jacobian (its compact form, and that form lambdified)
   and with the NumPy cells' ``state_jacobian``, the independent implementation, each
   comparison judged against the round-off bound u·M of the evaluation
   (``instances.evaluate_bounded``): at round-off (≤ 10³·u·M), far above it (≥ 10⁶·u·M) or
   in between. Far above round-off refutes a candidate the proof did not refute; a
   candidate proved for every size that differs far above round-off is a bug of gradsym,
   raised as one.
3. A refuted candidate is then tested against the standard mistakes (:mod:`.diagnosis`):
   the smallest edit whose correction is proved right (for every size) is the diagnosis.

A Python function is judged numerically only: refuted by an error far above round-off,
undecided otherwise. An explicit SymPy matrix is a statement at its own size, and its
verdict says so ("proved at n = 3, d = 2 only").
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from gradsym.errors import CandidateError, InvalidValueError
from gradsym.lang.parser import MAX_NODES, count_nodes, rename, shape_error
from gradsym.lang.symbolic_table import LAMBDIFY_FUNCTIONS
from gradsym.notes import instances
from gradsym.symbolic import CellEquations, every_size, jacobian
from gradsym.symbolic.every_size import values as V
from gradsym.symbolic.explicit import check_size

from .candidate import explicit_candidate, parse_candidate, symbols
from .diagnosis import Finding, mistakes
from .prover import EverySize as EverySizeProof
from .prover import (
    ProofOutcome,
    entry_point,
    expanded_terms,
    proof_size,
    prove,
    prove_every_size,
)
from .verdict import Verdict

U = instances.UNIT_ROUNDOFF
NEAR = 1e3  # |difference| ≤ NEAR·u·M: at round-off
FAR = 1e6  # |difference| ≥ FAR·u·M: far above round-off
# A function's (or an explicit matrix's) own round-off is unknown: allowed 10⁴ ulps.
OPAQUE_ULPS = 1e4
MAX_N = 256
MAX_TRIALS = 100
MAX_WORK = 3e10  # expression nodes × n³ × instances: a bound on the numeric work
DIAGNOSIS_INSTANCES = 2
DIAGNOSIS_SECONDS = 10.0  # the search for a mistake stops here (a proof in flight finishes)
DIAGNOSIS_NODES = 400  # larger candidates are not searched for a standard mistake
DIAGNOSIS_TERMS = 2000  # nor those that expand to more terms

LAMBDIFIED = "the library's compact Jacobian (lambdified)"
NUMPY = "the NumPy cells' state_jacobian"


def _sizes(jac) -> tuple[str, str]:
    c = jac.cell
    if "state" not in (jac.of, jac.wrt):
        return f"∂{jac.of}/∂{jac.wrt}", f"{c.name} ({c.variant})"
    of = "s" if jac.of == "state" else jac.of
    wrt = "s_prev" if jac.wrt == "state" else jac.wrt
    return f"∂{of}/∂{wrt} (s = [{'; '.join(c.outputs)}])", f"{c.name} ({c.variant})"


def _vector(name: str, state: str) -> str:
    return state if name == "state" else name


def _validate(n, d, trials, time_limit) -> None:
    for name, v, top in (("n", n, MAX_N), ("d", d, MAX_N), ("trials", trials, MAX_TRIALS)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= top:
            raise InvalidValueError(f"{name} must be an integer from 1 to {top}, got {v!r}")
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, (int, float))
        or not time_limit >= 0
    ):
        raise InvalidValueError(
            f"time_limit must be a number of seconds ≥ 0 (or None), got {time_limit!r}"
        )


@dataclass
class InstanceComparison:
    """The candidate against every reference on one instance."""

    inst: dict[str, Any]
    candidate: np.ndarray
    expected: np.ndarray
    ratio: float  # max over entries of |difference| / (u·M)
    error: float  # relative error at the worst entry, |diff| / max(1, |expected|)
    roundoff: float  # relative round-off bound at that entry
    max_error: float  # max relative error over the entries
    entries: list

    @property
    def far(self) -> bool:
        return self.ratio >= FAR

    @property
    def near(self) -> bool:
        return self.ratio <= NEAR


class _Candidate:
    """What kind of candidate this is, and how it is evaluated on an instance."""

    def __init__(self, kind: str, expr: Any = None, fn: Callable | None = None) -> None:
        self.kind, self.expr, self.fn = kind, expr, fn
        self.symbols: list[sp.Symbol] = []

    def value(self, c: CellEquations, inst: dict, rows: int, cols: int, label: str):
        """(value, round-off bound M) on one instance."""
        if self.kind == "expression":
            return instances.evaluate_bounded(c, self.expr, inst)
        if self.kind == "explicit":
            out = np.array(self.fn(*_flat_values(c, inst, self.symbols)), dtype=float)
            out = out.reshape(rows, cols)
        else:
            out = _call_function(self.fn, c, inst, rows, cols, label)
        return out, OPAQUE_ULPS * np.abs(out)


def _flat_values(c: CellEquations, inst: dict, syms: list) -> list[float]:
    point = entry_point(c, inst)
    return [float(point[s]) for s in syms]


def _call_function(
    fn, c: CellEquations, inst: dict, rows: int, cols: int, label: str
) -> np.ndarray:
    state = tuple(inst["leaves"][s][None] for s in c.state)
    state = state[0] if len(state) == 1 else (state or None)
    x = inst["leaves"]["x"][None] if "x" in inst["leaves"] else None
    try:
        with np.errstate(all="ignore"):
            out = fn(inst["params"], x, state)
    except Exception as exc:
        raise CandidateError(f"candidate function raised {type(exc).__name__}: {exc}") from exc
    try:
        raw = np.asarray(out)
        complex_values = raw.dtype.kind == "c" or (
            raw.dtype == object and any(isinstance(v, complex) for v in raw.flat)
        )
        if not complex_values:
            out = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise CandidateError(
            f"candidate function returned {type(out).__name__}, not an array"
        ) from exc
    if complex_values:  # converting would drop the imaginary part in silence
        raise CandidateError(
            f"candidate function returned complex values ({raw.dtype}); a Jacobian here is real"
        )
    if out.ndim == 3 and out.shape[0] == 1:
        out = out[0]
    if out.shape != (rows, cols):
        raise CandidateError(
            f"candidate function returned shape {out.shape}, expected ({rows}, {cols}) "
            f"or (1, {rows}, {cols}) for {label} at n = {inst['n']}, d = {inst['d']}"
        )
    return out


def _shape(jac, n: int, d: int) -> tuple[int, int]:
    sub = instances.sizes(n, d)
    return tuple(int(sp.sympify(s, strict=True).subs(sub)) for s in jac.shape)


def _references(jac, inst: dict) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The true block (compact form, with its bound) and the references that must agree."""
    c, of, wrt = jac.cell, jac.of, jac.wrt
    expected, bound = instances.evaluate_bounded(c, jac.expr, inst)
    refs = {LAMBDIFIED: instances.lambdified(jac, inst)}
    if instances.has_numeric_block(c, of, wrt):
        refs[NUMPY] = instances.numeric_block(c, inst, of, wrt)
    for name, ref in refs.items():
        gap = np.abs(ref - expected)
        if not np.all(gap <= NEAR * U * (bound + np.abs(expected)) + 1e-300):
            raise RuntimeError(
                f"internal inconsistency: {name} differs from the compact form of "
                f"∂{of}/∂{wrt} of {c.name} ({c.variant}) by {gap.max():.3g} at n = {inst['n']} "
                "(NumPy cells and symbolic Jacobian disagree; please report this)"
            )
    return expected, bound, refs


def _compare(inst, cand, cand_bound, expected, bound, refs) -> InstanceComparison:
    diffs = [np.abs(cand - expected)] + [np.abs(cand - r) for r in refs.values()]
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.maximum.reduce(diffs)
        allowed = U * (cand_bound + bound)
        ratio = np.where(diff == 0, 0.0, diff / np.maximum(allowed, 1e-300))
    finite = np.isfinite(cand) & np.isfinite(cand_bound)
    # Overflow is not a mathematical difference: a non-finite value decides nothing.
    ratio = np.where(finite, ratio, min(FAR / 10, NEAR * 10))
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.size else (0, 0)
    order = np.argsort(-np.where(finite, diff, np.inf), axis=None)
    entries = []
    for flat in order:
        i, j = np.unravel_index(int(flat), diff.shape)
        if ratio[i, j] <= NEAR:
            break
        entries.append((int(i), int(j), float(cand[i, j]), float(expected[i, j])))
    with np.errstate(invalid="ignore"):
        max_error = float(np.where(finite, diff, np.inf).max(initial=0.0)) / scale
    return InstanceComparison(
        inst,
        cand,
        expected,
        float(ratio.max(initial=0.0)),
        float(diff[worst]) / scale if ratio.size else 0.0,
        float(allowed[worst]) / scale if ratio.size else 0.0,
        max_error,
        entries,
    )


def _counterexample(
    c: CellEquations, cmp: InstanceComparison, precision: str = "float64"
) -> dict[str, Any]:
    inst = cmp.inst
    return {
        "n": inst["n"],
        "d": inst["d"],
        "weights": inst["params"],
        "input": inst["leaves"].get("x"),
        "state": {s: inst["leaves"][s] for s in c.state},
        "candidate": cmp.candidate,
        "expected": cmp.expected,
        "entries": cmp.entries,
        "error": cmp.error,
        "roundoff": cmp.roundoff,
        "precision": precision,
    }


def _exact_counterexample(c: CellEquations, cx) -> dict[str, Any]:
    """An every-size counterexample (:class:`every_size.Counterexample`) as the verdict
    prints it: the rational point, both matrices in float64, the differing entry and the
    difference exactly (a rational), or to 50 digits from an interval that excludes 0."""
    point = cx.point
    i, j = cx.entry
    scale = max(1.0, float(np.abs(cx.expected.astype(float)).max(initial=0.0)))
    diff = cx.difference
    error = abs(V.as_float(diff)) / scale
    if cx.exact:
        roundoff, precision = 0.0, "exact: rational arithmetic"
    else:
        roundoff = V.width(diff) / scale
        precision = "exact: interval arithmetic, 200 bits"
    held = {w: point[w] for w in point if w in c.vectors and w not in {s.name for s in c.leaves}}
    out = {
        "n": cx.n,
        "d": cx.d,
        "weights": {p.name: point[p.name] for p in c.params},
        "input": point.get("x"),
        "state": {s: point[s] for s in c.state},
        "candidate": cx.candidate.astype(float),
        "expected": cx.expected.astype(float),
        "entries": [(i, j, float(cx.candidate[i, j]), float(cx.expected[i, j]))],
        "error": error,
        "roundoff": roundoff,
        "precision": precision,
        "exact": cx.exact,
        "difference": V.digits(diff),
    }
    if held:
        out["held"] = held
    if cx.candidate_entry is not None:
        out["exact_entries"] = [(i, j, V.digits(cx.candidate_entry), V.digits(cx.expected_entry))]
    return out


def _fixed_size_counterexample(
    c: CellEquations, cmp: InstanceComparison, proof: ProofOutcome
) -> dict[str, Any]:
    """The instance of a symbolic difference, with the differing entry to 50 digits."""
    i, j = proof.entry
    scale = max(1.0, float(np.abs(cmp.expected).max(initial=0.0)))
    error = abs(float(sp.Float(proof.difference, 50))) / scale
    cx = _counterexample(c, cmp, precision="exact: the entry computed to 50 digits")
    cx["exact_entries"] = [(i, j, proof.candidate, proof.expected)]
    cx["entries"] = cx["entries"] or [(i, j, float(cmp.candidate[i, j]), float(cmp.expected[i, j]))]
    cx["error"] = error
    cx["roundoff"] = error * 1e-40  # 40 guaranteed digits of the difference itself
    return cx


def _prepare(
    candidate, jac, c: CellEquations, n: int, d: int
) -> tuple[_Candidate, tuple[int, int]]:
    block, label = _sizes(jac)
    table = symbols(c)
    if isinstance(candidate, str):
        candidate = parse_candidate(candidate, c)
    if isinstance(candidate, sp.MatrixBase):
        matrix, n_e, d_e = explicit_candidate(
            candidate, c, jac.shape, f"{block} of {label}", keep=jac.wrt
        )
        cand = _Candidate("explicit", matrix)
        cand.symbols = sorted(entry_point(c, _blank(c, n_e, d_e, jac.wrt)), key=str)
        cand.fn = sp.lambdify(cand.symbols, list(matrix), modules=[_NUMPY_FUNCTIONS, "numpy"])
        return cand, (n_e, d_e)
    if isinstance(candidate, sp.Basic):
        if not getattr(candidate, "is_Matrix", False):
            raise CandidateError(
                f"candidate must be a matrix expression, got {sp.sstr(candidate)[:80]!r}"
            )
        if count_nodes(candidate) > MAX_NODES:
            raise CandidateError(f"candidate is too large: more than {MAX_NODES} nodes")
        candidate = rename(candidate, table)
        problem = shape_error(candidate)
        if problem:
            raise CandidateError(f"candidate is malformed: {problem}")
        if any(sp.expand(a - b) != 0 for a, b in zip(candidate.shape, jac.shape)):
            hint = ""
            if all(sp.expand(a - b) == 0 for a, b in zip(candidate.shape, jac.shape[::-1])):
                hint = (
                    "; its transpose has the right shape: the notes use numerator layout, "
                    f"J[i, j] = ∂{_vector(jac.of, 's')}_i/∂{_vector(jac.wrt, 's_prev')}_j"
                )
            raise CandidateError(
                f"candidate has shape {candidate.shape}, but {block} of {label} has shape "
                f"{jac.shape}{hint}"
            )
        return _Candidate("expression", candidate), proof_size(candidate, jac.expr)
    if callable(candidate):
        return _Candidate("function", fn=candidate), (n, d)
    raise CandidateError(
        "candidate must be a SymPy expression, a string or a function, got "
        f"{type(candidate).__name__}"
    )


def _blank(c: CellEquations, n: int, d: int, wrt: str) -> dict:
    inst = instances.random_instance(c, n, d, np.random.default_rng(0))
    return instances.hold(c, inst, wrt)


_NUMPY_FUNCTIONS = LAMBDIFY_FUNCTIONS | {
    # SymPy's Heaviside(z, H0) with its own H0 (H0 = 1/2 when not given)
    "Heaviside": lambda z, h0=0.5: np.where(np.equal(z, 0.0), h0, np.greater(z, 0.0)),
}


def check_jacobian(
    cell: str | CellEquations,
    candidate: Any,
    of: str = "h",
    wrt: str = "h_prev",
    variant: str | None = None,
    *,
    n: int = 3,
    d: int = 2,
    trials: int = 5,
    seed: int = 0,
    time_limit: float | None = 60.0,
    diagnose: bool = True,
) -> Verdict:
    """Is ``candidate`` the Jacobian ∂``of``/∂``wrt`` of ``cell`` (numerator layout)?

    candidate: a string in the grammar of :mod:`gradsym.lang.parser`, a SymPy
        matrix expression in the cell's symbols (:func:`symbols`), an explicit SymPy
        ``Matrix`` in the entry symbols (:func:`entry_symbols`), or a function
        ``f(params, x, state) -> (B, rows, cols)`` with the arguments of
        ``Jacobian.lambdify()``.
    n, d: hidden and input size of the numeric check (1 … 256); the proof is for every
        size.
    trials: random instances per size. seed: their generator's seed.
    time_limit: seconds for the whole check, counted from the call: what is left after
        the numeric comparison goes to the symbolic proof, what is left after that to the
        diagnosis (None or inf: no limit; 0: no proof).
    diagnose: test a refuted candidate against the standard mistakes.

    Returns a :class:`Verdict`. Raises CandidateError for a candidate that cannot be judged,
    UnknownNameError for an unknown cell, variant or vector and InvalidValueError for
    sizes out of range.
    """
    _validate(n, d, trials, time_limit)
    if time_limit is not None and math.isinf(time_limit):
        time_limit = None  # no limit, as the CLI's --time-limit inf asks
    # One deadline for the whole check: what the preparation and the numeric comparison
    # spend (both linear in the candidate's size) is not given to the proof again.
    deadline = None if time_limit is None else time.monotonic() + time_limit
    jac = jacobian(cell, of=of, wrt=wrt, variant=variant)
    c = jac.cell
    block, label = _sizes(jac)
    cand, (n_p, d_p) = _prepare(candidate, jac, c, n, d)

    # The numeric check runs at the user's size; an explicit matrix or a function at its own.
    sizes = [(n, d)] if cand.kind == "expression" else [(n_p, d_p)]
    nodes = count_nodes(cand.expr) if cand.kind == "expression" else 1
    work = nodes * sum(nn**3 for nn, _ in sizes) * trials
    if work > MAX_WORK:
        raise CandidateError(
            f"the candidate ({nodes} nodes) is too large to evaluate at n = {max(sizes)[0]} "
            f"with {trials} trials; use a smaller n"
        )
    rng = np.random.default_rng(seed)
    comparisons, references = _numeric(cand, jac, sizes, trials, rng, block)
    max_error = max(cmp.max_error for cmp in comparisons)
    common = {
        "cell": label,
        "block": block,
        "trials": trials,
        "points": len(comparisons),
        "references": tuple(sorted(references)),
        "numeric_sizes": tuple(sorted({(cmp.inst["n"], cmp.inst["d"]) for cmp in comparisons})),
    }
    far = [cmp for cmp in comparisons if cmp.far]

    if cand.kind == "function":
        if far:
            return _refuted_numerically(c, far, max_error, common)
        return Verdict(
            "undecided",
            max_error,
            detail="a function is checked numerically only" + _gap(comparisons),
            **common,
        )
    if cand.kind == "explicit":
        return _at_its_size(cand, jac, comparisons, far, max_error, common, deadline, diagnose)

    proof = _proof_for_every_size(cand, jac, time_limit, deadline, seed)
    if proof.status == "equal":
        if far:
            worst = max(far, key=lambda cmp: cmp.ratio)
            raise RuntimeError(
                f"internal inconsistency: the candidate is proved equal to ∂{of}/∂{wrt} of "
                f"{label} for every size, but differs from {', '.join(common['references'])} "
                f"by {worst.error:.3g} at n = {worst.inst['n']} (please report this)"
            )
        return Verdict(
            "holds",
            max_error,
            symbolic=True,
            every_size=True,
            detail=(
                "proved equal to the Jacobian of the cell's equations for every n and d ("
                + proof.outcome.how
                + "; the argument: docs/every-size.md)"
                + _gap(comparisons)
                + _cancellation(comparisons, max_error)
            ),
            **{**common, "references": (EVERY_SIZE, *common["references"])},
        )
    if proof.status == "different":
        outcome = proof.outcome
        cx = _exact_counterexample(c, outcome.counterexample)
        verdict = Verdict(
            "refuted",
            max(max_error, cx["error"]),
            cx,
            symbolic=False,
            detail=_difference_detail(outcome, cx),
            sizes_equal=tuple(outcome.zero_at),
            **common,
        )
        return _diagnosed(verdict, cand, jac, deadline, diagnose)
    if far:
        verdict = _refuted_numerically(c, far, max_error, common)
        return _diagnosed(verdict, cand, jac, deadline, diagnose)
    if proof.status == "unsupported":
        return _outside_the_fragment(
            cand, jac, proof, comparisons, max_error, common, deadline, seed, diagnose
        )
    outcome = proof.outcome
    zeros = tuple(outcome.zero_at) if outcome is not None else ()
    return Verdict(
        "undecided",
        max_error,
        detail=(
            f"no proof for every n and d: {proof.reason}"
            + (
                _search_note(outcome)
                if outcome is not None
                else "; it is proved exactly at no size"
            )
            + _gap(comparisons)
        ),
        sizes_equal=zeros,
        **common,
    )


EVERY_SIZE = "the Jacobian of the cell's equations, entrywise, for every n and d"


def _proof_for_every_size(cand, jac, time_limit, deadline, seed):
    """The proof for every size within what is left of the check's time limit."""
    left = _remaining(deadline)
    if left is not None and left <= 0 and time_limit > 0:
        reason = f"the time limit of {time_limit:g} s was spent before the symbolic proof"
        return EverySizeProof("timeout", reason=reason)
    proof = prove_every_size(cand.expr, jac.cell, jac.of, jac.wrt, left, seed)
    if proof.status == "timeout" and "did not finish" in proof.reason:
        reason = (
            f"the symbolic proof did not finish within {time_limit:g} s (the check's time limit)"
        )
        proof = dataclasses.replace(proof, reason=reason)
    return proof


def _numeric(cand, jac, sizes, trials, rng, block):
    """The candidate against every reference on ``trials`` random instances per size."""
    c, wrt = jac.cell, jac.wrt
    comparisons: list[InstanceComparison] = []
    references: set[str] = set()
    for nn, dd in sizes:
        check_size("n", nn)
        rows, cols = _shape(jac, nn, dd)
        for _ in range(trials):
            inst = instances.hold(c, instances.defined_instance(c, nn, dd, rng), wrt)
            expected, bound, refs = _references(jac, inst)
            references |= set(refs)
            try:
                with np.errstate(all="ignore"):
                    value, value_bound = cand.value(c, inst, rows, cols, block)
            except TypeError as exc:  # a SymPy construct outside the grammar (an inverse)
                raise CandidateError(f"the candidate cannot be evaluated: {exc}") from None
            comparisons.append(_compare(inst, value, value_bound, expected, bound, refs))
    return comparisons, references


def _gap(comparisons: list[InstanceComparison]) -> str:
    return "" if all(cmp.near for cmp in comparisons) else "; " + _gap_note(comparisons)


def _cancellation(comparisons: list[InstanceComparison], max_error: float) -> str:
    if max_error > NEAR * U and all(cmp.near for cmp in comparisons):
        return (
            f"; evaluated in float64 your expression loses digits to cancellation (error "
            f"{max_error:.2g}, within its round-off bound)"
        )
    return ""


def _refuted_numerically(
    c: CellEquations, far: list[InstanceComparison], max_error: float, common
) -> Verdict:
    worst = max(far, key=lambda cmp: (cmp.ratio, -cmp.inst["n"]))
    return Verdict(
        "refuted",
        max_error,
        _counterexample(c, worst),
        symbolic=False,
        detail=(
            f"differs from the Jacobian by {worst.error:.3g} (relative) at n = "
            f"{worst.inst['n']}, d = {worst.inst['d']}: {worst.ratio:.1e} times the "
            "round-off bound of the comparison"
        ),
        **common,
    )


def sizes_text(sizes, depends: tuple[bool, bool] = (True, True)) -> str:
    """(1, 1), (2, 1), (3, 1) as "n = 1, 2, 3 (d = 1)", or "(every d)" when the difference
    does not involve d; mixed sizes as pairs."""
    sizes = list(sizes)
    if not sizes:
        return ""
    ns, ds = {n for n, _ in sizes}, {d for _, d in sizes}
    if len(ds) == 1:
        rest = "every d" if not depends[1] else f"d = {ds.pop()}"
        return f"n = {', '.join(str(n) for n, _ in sizes)} ({rest})"
    if len(ns) == 1:
        rest = "every n" if not depends[0] else f"n = {ns.pop()}"
        return f"d = {', '.join(str(d) for _, d in sizes)} ({rest})"
    return "(n, d) = " + ", ".join(f"({n}, {d})" for n, d in sizes)


def _difference_detail(outcome, cx: dict) -> str:
    i, j = cx["entries"][0][:2]
    how = "exactly" if cx["exact"] else "proved nonzero by interval arithmetic"
    out = (
        f"differs from the Jacobian of the cell's equations at n = {cx['n']}, d = {cx['d']}: "
        f"entry ({i}, {j}) is off by {cx['difference']} ({how}, at a rational point)"
    )
    before = outcome.tried[:-1]
    if list(outcome.zero_at) == list(before):
        where = (
            f"it is proved equal at every smaller size, {sizes_text(before, outcome.depends)}"
            if before
            else "there is no smaller size"
        )
        out += (
            f"; {where}: n = {cx['n']}, d = {cx['d']} is the smallest size at which it is "
            "wrong (sizes ordered by n + d, then n)"
        )
    elif outcome.zero_at:
        out += f"; proved equal at {sizes_text(outcome.zero_at, outcome.depends)}"
    return out


def _search_note(outcome) -> str:
    """Where an undecided candidate holds exactly, where that was tried and not proved, and
    the points of the numeric search."""
    out = ""
    if outcome.zero_at:
        out += f"; it holds exactly at {sizes_text(outcome.zero_at, outcome.depends)}"
    unproved = [s for s in outcome.proof_tried if s not in outcome.zero_at]
    if unproved:
        out += (
            f"; {'it is ' if not outcome.zero_at else ''}not proved exactly at "
            f"{sizes_text(unproved, outcome.depends)} (the difference written out there, a "
            "polynomial in the entries and the functions' values, is not 0, or too large)"
        )
    elif not outcome.zero_at:
        out += "; it is proved exactly at no size (no time was left to try one)"
    if outcome.tried:
        out += (
            f"; no difference at {outcome.points} random rational points at each of "
            f"{sizes_text(outcome.tried, outcome.depends)}"
        )
    return out


def _outside_the_fragment(
    cand, jac, proof, comparisons, max_error, common, deadline, seed, diagnose
):
    """A candidate the index form does not cover: proved at one size at most (never holds)."""
    c, of, wrt = jac.cell, jac.of, jac.wrt
    n_p, d_p = proof_size(cand.expr, jac.expr)
    rng = np.random.default_rng([seed, 1])
    insts = [instances.hold(c, instances.random_instance(c, n_p, d_p, rng), wrt) for _ in range(2)]
    points = [entry_point(c, inst) for inst in insts]
    fixed = prove(cand.expr, c, of, wrt, n_p, d_p, points, _remaining(deadline))
    at = f"n = {n_p}, d = {d_p}"
    if fixed.status == "different" and fixed.entry is not None and fixed.point is not None:
        inst = insts[fixed.point]
        expected, bound, refs = _references(jac, inst)
        rows, cols = expected.shape
        value, value_bound = cand.value(c, inst, rows, cols, common["block"])
        cmp = _compare(inst, value, value_bound, expected, bound, refs)
        cx = _fixed_size_counterexample(c, cmp, fixed)
        verdict = Verdict(
            "refuted",
            max(max_error, cx["error"]),
            cx,
            symbolic=False,
            detail=(
                f"entry {fixed.entry} differs from SymPy's Jacobian at {at} by "
                f"{cx['error']:.3g} (relative), computed to 50 digits"
            ),
            proof_size=(n_p, d_p),
            **common,
        )
        return _diagnosed(verdict, cand, jac, deadline, diagnose)
    said = (
        f"it holds exactly at {at} (SymPy's Jacobian, entry by entry)"
        if fixed.status == "proved"
        else f"no proof at {at} either: {fixed.reason}"
    )
    residual = {"entry": list(fixed.entry), "difference": fixed.residual} if fixed.entry else None
    return Verdict(
        "undecided",
        max_error,
        detail=(
            f"no proof for every n and d: {proof.reason} is outside the fragment the index "
            f"form decides; {said}" + _gap(comparisons)
        ),
        proof_size=(n_p, d_p),
        sizes_equal=((n_p, d_p),) if fixed.status == "proved" else (),
        residual=residual,
        **common,
    )


def _at_its_size(cand, jac, comparisons, far, max_error, common, deadline, diagnose):
    """An explicit matrix: a statement at its own size (which it says)."""
    c = jac.cell
    if far:
        verdict = _refuted_numerically(c, far, max_error, common)
        return _diagnosed(verdict, cand, jac, deadline, diagnose, [cmp.inst for cmp in comparisons])
    insts = [cmp.inst for cmp in comparisons]
    n_p, d_p = insts[0]["n"], insts[0]["d"]
    points = [entry_point(c, inst) for inst in insts]
    proof = prove(cand.expr, c, jac.of, jac.wrt, n_p, d_p, points, _remaining(deadline))
    at = f"at n = {n_p}, d = {d_p}"
    if proof.status == "proved":
        return Verdict(
            "holds",
            max_error,
            symbolic=True,
            detail=(
                f"proved identical to SymPy's Jacobian of the cell's equations {at} only "
                "(the size of your matrix)" + _gap(comparisons)
            ),
            proof_size=(n_p, d_p),
            **{
                **common,
                "references": ("SymPy's Jacobian of the equations", *common["references"]),
            },
        )
    if proof.status == "different" and proof.entry is not None and proof.point is not None:
        cmp = comparisons[proof.point]
        cx = _fixed_size_counterexample(c, cmp, proof)
        verdict = Verdict(
            "refuted",
            max(max_error, cx["error"]),
            cx,
            symbolic=False,
            detail=(
                f"entry {proof.entry} differs from SymPy's Jacobian {at} by {cx['error']:.3g} "
                "(relative), computed to 50 digits"
                + (": below what float64 can see" if cmp.near else "")
            ),
            proof_size=(n_p, d_p),
            **common,
        )
        return _diagnosed(verdict, cand, jac, deadline, diagnose, insts)
    residual = {"entry": list(proof.entry), "difference": proof.residual} if proof.entry else None
    return Verdict(
        "undecided",
        max_error,
        detail=f"no symbolic proof {at}: {proof.reason}" + _gap(comparisons),
        proof_size=(n_p, d_p),
        residual=residual,
        **common,
    )


def _gap_note(comparisons: list[InstanceComparison]) -> str:
    worst = max(comparisons, key=lambda cmp: cmp.ratio)
    return (
        f"the largest difference, {worst.error:.3g} at n = {worst.inst['n']}, is "
        f"{worst.ratio:.1e} times the round-off bound: above it, but not far enough to count"
    )


def _remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a time.monotonic() value; None: no limit)."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _diagnosed(
    verdict: Verdict,
    cand: _Candidate,
    jac,
    deadline: float | None,
    diagnose,
    insts: list[dict] | None = None,
) -> Verdict:
    """The verdict with the smallest standard mistake whose correction is proved right: for
    every n and d when the index form covers the candidate, else at one size."""
    if not diagnose or cand.kind == "function":
        return verdict
    if cand.kind == "expression" and (
        count_nodes(cand.expr) > DIAGNOSIS_NODES or expanded_terms(cand.expr) > DIAGNOSIS_TERMS
    ):
        return verdict  # a diagnosis names a small edit of a candidate of a textbook's size
    left = _remaining(deadline)
    budget = DIAGNOSIS_SECONDS if left is None else min(left, DIAGNOSIS_SECONDS)
    c = jac.cell
    if cand.kind == "explicit":
        return _diagnosed_explicit(verdict, cand, jac, budget, insts or [])
    t0 = time.perf_counter()
    try:
        with every_size.limits(budget):
            truth = every_size.jacobian(c, jac.of, jac.wrt)
    except (every_size.Unsupported, every_size.TooLarge):
        return _diagnosed_at_one_size(verdict, cand, jac, budget)
    right = _block_judge_every_size(jac)
    # every standard mistake, the smallest edits first (in the order they are made among
    # equals): the first whose correction is proved right is the smallest that is
    found = []
    for k, mistake in enumerate(mistakes(cand.expr, jac.expr, c, jac.of, jac.wrt, right)):
        if time.perf_counter() - t0 > budget:
            break
        if mistake.corrected.shape == jac.expr.shape:  # else not a matrix of the block's
            found.append((mistake.cost, k, mistake))
    # one float64 instance screens the corrections (a wrong one rarely survives it, and
    # costs a millisecond there against tens in the index form)
    rng = np.random.default_rng(7)
    insts = [instances.hold(c, instances.random_instance(c, 3, 2, rng), jac.wrt)]
    truths = [instances.evaluate_bounded(c, jac.expr, inst) for inst in insts]
    best = None
    for _, _, mistake in sorted(found, key=lambda item: item[:2]):
        spent = time.perf_counter() - t0
        if spent > budget:
            break
        if not _numerically_right(mistake.corrected, c, insts, truths):
            continue
        # a correction whose inner shapes do not fit is refused by the index form itself,
        # at once (shape_error's message would print the whole expression)
        try:
            with every_size.limits(budget - spent):
                fixed = every_size.grid(mistake.corrected, c, jac.wrt)
        except (every_size.Unsupported, every_size.TooLarge, ValueError):
            continue
        if fixed == truth:
            best = mistake
            break
    if best is not None:
        verdict.diagnosis = best.messages
        verdict.findings = best.findings
    return verdict


def _block_judge_every_size(jac):
    """right(i, j, expr): whether expr equals block (i, j) of the Jacobian for every n and
    d (for the diagnosis of block candidates)."""
    from .diagnosis import block_names

    c = jac.cell
    rows, cols = block_names(c, jac.of, jac.wrt)
    truths: dict = {}

    def right(i: int, j: int, expr) -> bool:
        if not (0 <= i < len(rows) and 0 <= j < len(cols)):
            return False
        if (i, j) not in truths:
            truths[i, j] = every_size.jacobian(c, rows[i], cols[j])
        try:
            return every_size.grid(expr, c, jac.wrt) == truths[i, j]
        except (every_size.Unsupported, every_size.TooLarge, ValueError):
            return False

    return right


def _diagnosed_explicit(verdict: Verdict, cand, jac, budget: float, insts: list[dict]) -> Verdict:
    """An explicit matrix: the transpose or the sign, proved at its size."""
    if not insts:
        return verdict
    c = jac.cell
    n_i, d_i = insts[0]["n"], insts[0]["d"]
    points = [entry_point(c, inst) for inst in insts[:DIAGNOSIS_INSTANCES]]
    found = [
        (
            "this is the transpose of the right answer (denominator layout)",
            cand.expr.T,
            Finding("transpose"),
        ),
        ("the sign of the whole Jacobian is flipped", -cand.expr, Finding("sign")),
    ]
    for message, corrected, finding in found:
        if corrected.shape == cand.expr.shape:
            proof = prove(corrected, c, jac.of, jac.wrt, n_i, d_i, points, budget)
            if proof.status == "proved":
                verdict.diagnosis = (message,)
                verdict.findings = (finding,)
                break
    return verdict


def _diagnosed_at_one_size(verdict: Verdict, cand, jac, budget: float) -> Verdict:
    """A candidate outside the index form's fragment: corrections proved at one size."""
    c = jac.cell
    n_p, d_p = proof_size(cand.expr, jac.expr)
    rng = np.random.default_rng(1)
    insts = [
        instances.hold(c, instances.random_instance(c, n_p, d_p, rng), jac.wrt)
        for _ in range(DIAGNOSIS_INSTANCES)
    ]
    points = [entry_point(c, inst) for inst in insts]
    truths = [instances.evaluate_bounded(c, jac.expr, inst) for inst in insts]
    right = _block_judge(jac, insts)
    t0 = time.perf_counter()
    for mistake in mistakes(cand.expr, jac.expr, c, jac.of, jac.wrt, right):
        spent = time.perf_counter() - t0
        if spent > budget:
            break
        if mistake.corrected.shape != jac.expr.shape or shape_error(mistake.corrected):
            continue
        if not _numerically_right(mistake.corrected, c, insts, truths):
            continue
        n_c, d_c = proof_size(mistake.corrected, jac.expr)
        if n_c > n_p or d_c > d_p:
            continue  # a correction that needs a larger proof than the candidate's: skipped
        proof = prove(mistake.corrected, c, jac.of, jac.wrt, n_p, d_p, points, budget - spent)
        if proof.status == "proved":
            verdict.diagnosis = mistake.messages
            verdict.findings = mistake.findings
            break
    return verdict


def _block_judge(jac, insts: list[dict]):
    """right(i, j, expr): whether expr equals block (i, j) of the Jacobian on the
    instances, to round-off (for the diagnosis of block candidates)."""
    truths: dict[tuple[int, int], list] = {}
    c = jac.cell

    def right(i: int, j: int, expr) -> bool:
        if not (0 <= i < len(jac.blocks) and 0 <= j < len(jac.blocks[i])):
            return False
        block = jac.blocks[i][j]
        if any(sp.expand(a - b) != 0 for a, b in zip(expr.shape, block.shape)):
            return False
        if shape_error(expr):
            return False
        if (i, j) not in truths:
            truths[i, j] = [instances.evaluate_bounded(c, block, inst) for inst in insts]
        return _numerically_right(expr, c, insts, truths[i, j])

    return right


def _numerically_right(expr, c: CellEquations, insts: list[dict], truths: list) -> bool:
    for inst, (expected, bound) in zip(insts, truths):
        try:
            with np.errstate(all="ignore"):
                value, value_bound = instances.evaluate_bounded(c, expr, inst)
        except (TypeError, KeyError, ValueError):
            return False
        if value.shape != expected.shape:
            return False
        diff = np.abs(value - expected)
        if not np.all(diff <= NEAR * U * (value_bound + bound)):
            return False
    return True
