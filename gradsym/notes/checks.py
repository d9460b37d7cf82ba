"""The checkers. Each has ``kind`` ("symbolic" or "numeric"), ``method`` and
``run(step, seed, rng) -> CheckResult``; each evaluates the step it is given — its lhs,
rhs, where and hypotheses, the printed objects — on the instances of its models, and can
fail on every one of them.

- :class:`Exact` (symbolic) — exact instances (SymPy models): explicit matrices of entry
  symbols, rational witnesses, free symbols ("for every ℓ"). The relation is decided
  without heuristics: an identity by expanding every entry of the difference with each
  function application an opaque symbol (a constant difference by ``equals(0)``, which
  settles algebraic numbers); an inequality by the sign SymPy can prove of
  factor(together(rhs − lhs)); a limit term by term; an interval by exact comparison.
- :class:`EverySize` (symbolic) — a step about one cell (∂a/∂b = a compact form, or an
  equation between expressions in the cell's symbols, after its ``where``) proved for
  every n and d: both sides in index notation with n and d as symbols, the Jacobian
  derived entrywise from the cell's equations, their normal forms equal
  (:mod:`gradsym.symbolic.every_size`, ``docs/every-size.md``); when they differ, the
  first size and a rational point where they do, exactly.
- :class:`Sampled` (numeric) — seeded random float64 instances (NumPy models, the NumPy
  cells as the independent reference): the largest (relative) error or violation must stay
  within ``tol``; a limit is evaluated where the model binds its variable far out.

An instance on which a hypothesis fails is excluded; a check needs ``minimum`` instances
that satisfy every hypothesis. A hypothesis that is dropped from the display therefore
lets in the instances that break the relation — the checks see hypotheses too.
"""

from __future__ import annotations

import importlib.util
import inspect
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from gradsym.symbolic.proof import is_identically_zero

from .claim import CheckResult, Condition, Step
from .evaluate import (
    Evaluator,
    ExactEvaluator,
    FloatEvaluator,
    Model,
    Unbound,
    _definition_form,
    display_atoms,
    limit_at,
)
from .prose import to_unicode


def combine_powers(e: sp.Expr) -> sp.Expr:
    """a^ℓ / b^ℓ → (a/b)^ℓ throughout: an exact rewriting for powers with a symbolic ℓ."""
    return sp.expand(sp.powsimp(sp.expand(e), combine="base", force=True))


def rng_for(seed: int, *labels: object) -> np.random.Generator:
    """A generator determined by the run's seed and the check's place (claim, step)."""
    key = zlib.crc32(":".join(str(x) for x in labels).encode())
    return np.random.default_rng([int(seed), key])


WHERE_TOL = 1e-12  # a float64 instance "has" u = 0 when |u| ≤ this


class _Excluded(Exception):
    """A hypothesis does not hold on this instance."""


# -- one instance -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    """The step's two sides on one instance (``None`` when a hypothesis excluded it)."""

    lhs: Any
    rhs: Any
    evaluator: Evaluator


def evaluate_step(step: Step, model: Model, exact: bool) -> Evaluation:
    """The step's where applied, its hypotheses checked, its two sides evaluated."""
    cls = ExactEvaluator if exact else FloatEvaluator
    ev = cls(model, definitions=step.definitions)
    if step.where:
        overrides, derived = {}, []
        seen: set = set()
        for atom, value in step.where:  # in order: a value may use the ones before it
            ev = cls(model, definitions=step.definitions, overrides=overrides)
            ev.visited = seen
            key = ev.key(atom)
            if exact or key in model.values or not _derived(ev, atom):
                overrides[key] = ev.visit(value)
            else:
                # float64 models compute derived atoms (a gate u⁽ᵗ⁾) by their own route, which
                # an override would not reach: the instance must have the value itself
                derived.append((atom, value))
        visited = seen | {atom for atom, _ in step.where}
        ev = cls(model, definitions=step.definitions, overrides=overrides)
        ev.visited = visited
        for atom, value in derived:
            if float_error("=", ev.visit(atom), ev.visit(value), "absolute") > WHERE_TOL:
                raise _Excluded(f"{sp.sstr(atom)} = {sp.sstr(value)}")
    for cond in step.hypotheses:
        a, b = ev.visit(cond.lhs), ev.visit(cond.rhs)
        ok = _exact_relation(cond.relation, a, b)[0] if exact else _float_holds(cond, a, b)
        if ok is None:
            raise ValueError(f"cannot decide the hypothesis {cond.text} on {model.label}")
        if not ok:
            raise _Excluded(cond.text)
    return Evaluation(ev.visit(step.lhs), ev.visit(step.rhs), ev)


def _derived(ev: Evaluator, atom) -> bool:
    """Whether the model computes ``atom`` itself (rather than leaving it to the step)."""
    try:
        ev.fork().visit(atom)
    except Unbound:
        return False
    return True


def _float_holds(cond: Condition, a, b, tol: float = 1e-12) -> bool:
    err = float_error(cond.relation, a, b, "absolute")
    return err <= tol if cond.relation not in ("<", ">") else err == 0.0


# -- exact decisions ----------------------------------------------------------------------------


def _exact_matrix(v) -> sp.ImmutableMatrix:
    if isinstance(v, sp.MatrixBase):
        return sp.ImmutableMatrix(v)
    return sp.ImmutableMatrix([[v]])


def _is_zero(e: sp.Expr, prepare: Callable | None) -> bool | None:
    if prepare is not None:
        e = prepare(e)
    if e.free_symbols:
        if is_identically_zero(e):
            return True
        if _probe_nonzero(e):  # a value far from 0 at one point: not identically 0
            return False
        # σ written out (a derivative the step takes of σ is in that form), common factors
        # pulled out of radicals (√(α²Σg²) = α√(Σg²) for α > 0): exact rewritings only
        spelled = sp.factor_terms(_definition_form(e))
        if is_identically_zero(spelled):
            return True
        return _rational_zero(spelled)
    if e.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return e == 0
    z = sp.expand(e)
    if z == 0:
        return True
    return z.equals(0)


def _probe_nonzero(e: sp.Expr) -> bool:
    """Whether e, at one point with rational coordinates, evaluates (to 40 digits) clearly
    away from 0 — a proof that e is not identically 0. False when it cannot tell."""
    if e.has(sp.Indexed, sp.Sum, sp.Subs, sp.Derivative, sp.Piecewise):
        return False
    e = _definition_form(e)
    symbols = sorted(e.free_symbols, key=sp.default_sort_key)
    point = {s: sp.Rational(3 + 7 * k % 11, 7 + k % 5) * (-1) ** k for k, s in enumerate(symbols)}
    try:
        value = sp.N(e.xreplace(point), 40)
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    if not value.is_number or value.has(sp.nan, sp.zoo) or not value.is_finite:
        return False
    return abs(value) > sp.Float(10) ** -20


def _rational_zero(e: sp.Expr) -> bool:
    """e = 0 as a rational function of its exponentials and other function applications:
    e^(a) and e^(−a) become D and 1/D for one symbol D (σ(−z) = 1 − σ(z) is then visible),
    every other application an opaque symbol, then ``cancel`` — exact, for the small
    expressions of these checks."""
    powers: dict = {}
    subs = {}
    for ex in e.atoms(sp.exp):
        arg = sp.expand(ex.args[0])
        sign = -1 if arg.could_extract_minus_sign() else 1
        base = powers.setdefault(sp.expand(sign * arg), sp.Dummy())
        subs[ex] = base**sign
    e = e.xreplace(subs)
    funcs = sorted(e.atoms(sp.Function), key=sp.default_sort_key)
    return sp.cancel(sp.together(e.xreplace({f: sp.Dummy() for f in funcs}))) == 0


def _sign(e: sp.Expr) -> tuple[bool | None, bool | None]:
    """(e ≥ 0, e > 0) when SymPy can prove them, else None."""
    e = _definition_form(e)
    if not e.free_symbols:
        if e.has(sp.nan, sp.zoo) or not (e.is_comparable or e.is_infinite):
            return None, None
        return bool(e >= 0), bool(e > 0)
    f = sp.factor(sp.together(e))
    return f.is_nonnegative, f.is_positive


def _exact_relation(rel: str, a, b, prepare=None, limit=None) -> tuple[bool | None, str]:
    """Whether ``a rel b`` holds exactly: True, False, or None (undecided)."""
    if rel in ("∈", "∉"):
        if not isinstance(b, sp.Set):
            return None, f"{rel} needs a set on the right"
        ok = b.contains(_exact_matrix(a)[0, 0] if isinstance(a, sp.MatrixBase) else a)
        if ok not in (sp.true, sp.false):
            return None, f"cannot decide {sp.sstr(a)} {rel} {b}"
        return bool(ok) == (rel == "∈"), f"{sp.sstr(a)} {rel} {b}"
    A, B = _exact_matrix(a), _exact_matrix(b)
    if A.shape != B.shape:
        if B.shape == (1, 1) and rel not in ("=", "≠", "→"):
            B = sp.ImmutableMatrix(A.shape[0], A.shape[1], [B[0, 0]] * len(A))
        else:
            return False, f"shapes differ: {A.shape} vs {B.shape}"
    if rel == "→":
        var, target = limit
        A = A.applyfunc(lambda e: limit_at(e, var, target))
        rel = "="
    if rel in ("=", "≠"):
        for r in range(A.rows):
            for c in range(A.cols):
                if A[r, c] == B[r, c]:
                    continue
                zero = _is_zero(A[r, c] - B[r, c], prepare)
                if zero is None:
                    return None, f"entry ({r}, {c}): cannot decide {sp.sstr(A[r, c] - B[r, c])} = 0"
                if not zero:
                    if rel == "=":
                        return (
                            False,
                            f"entry ({r}, {c}) differs: {sp.sstr(A[r, c])} vs {sp.sstr(B[r, c])}",
                        )
                    return True, f"entry ({r}, {c}) differs"
        return (rel == "="), "every entry equal"
    for r in range(A.rows):
        for c in range(A.cols):
            diff = B[r, c] - A[r, c] if rel in ("≤", "<") else A[r, c] - B[r, c]
            nonneg, pos = _sign(diff)
            ok = nonneg if rel in ("≤", "≥") else pos
            if ok is None:
                return None, f"entry ({r}, {c}): cannot decide the sign of {sp.sstr(diff)}"
            if not ok:
                return False, f"entry ({r}, {c}): {sp.sstr(A[r, c])} {rel} {sp.sstr(B[r, c])} fails"
    return True, "holds in every entry"


# -- float decisions -------------------------------------------------------------------------------


def float_error(relation: str, lhs, rhs, scale: str = "relative") -> float:
    with np.errstate(invalid="ignore", over="ignore"):
        return _float_error(relation, lhs, rhs, scale)


def _float_error(relation: str, lhs, rhs, scale: str) -> float:
    """The error of ``lhs relation rhs`` in float64 (0 when it holds exactly).

    "=" and "→": max |lhs − rhs| (relative to the largest entry with ``scale="relative"``;
    a target ±∞ is reached when lhs is beyond ±1e12 or infinite); inequalities: the
    largest violation; "≠": 0 when some entry differs by more than round-off, else 1;
    "∈": the distance outside the interval.
    """
    if relation in ("∈", "∉"):
        v = np.asarray(lhs, dtype=float)
        if isinstance(rhs, tuple):  # an interval (lo, hi)
            lo, hi = rhs
            outside = float(max(np.max(lo - v, initial=0.0), np.max(v - hi, initial=0.0)))
            inside = bool(np.all((v >= lo) & (v <= hi)))
        elif rhs == sp.S.Reals:
            inside = bool(np.all(np.isfinite(v)))
            outside = 0.0 if not inside else 1.0
        else:
            raise ValueError(f"no float64 membership test for {rhs}")
        if relation == "∈":
            return outside if not inside else 0.0
        return 1.0 if inside else 0.0
    a = np.asarray(lhs, dtype=np.complex128 if np.iscomplexobj(lhs) else np.float64)
    b = np.asarray(rhs, dtype=np.complex128 if np.iscomplexobj(rhs) else np.float64)
    if relation in ("=", "→", "≠") and a.size != b.size and b.size != 1:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    a, b = a.reshape(-1), b.reshape(-1)
    if relation == "→" and np.all(np.isinf(b)):
        sign = np.sign(b.real)
        reached = np.all(np.where(np.isnan(a), False, sign * a.real >= 1e12))
        return 0.0 if reached else float("inf")
    if relation == "≠":
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return 0.0 if np.any(a != b) else 1.0
        gap = np.abs(a - b).max(initial=0.0)
        size = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-300)
        return 0.0 if gap > 1e-8 * size else 1.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        if relation in ("=", "→") and np.array_equal(a, b):
            return 0.0
        return float("inf")
    if relation in ("=", "→"):
        err = np.abs(a - b).max(initial=0.0)
        if scale == "relative":
            s = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
            return float(err / s) if s > 0 else 0.0
        return float(err)
    a, b = a.real, b.real
    viol = a - b if relation in ("≤", "<") else b - a
    worst = float(viol.max(initial=-np.inf))
    if relation in ("<", ">") and worst >= 0:
        return max(worst, np.finfo(float).tiny)  # equality violates a strict relation
    return max(worst, 0.0)


def _timed(kind: str, fn: Callable[[], CheckResult]) -> CheckResult:
    t0 = time.perf_counter()
    try:
        res = fn()
    except Exception as exc:  # noqa: BLE001 (a check that raises has failed: say why, go on)
        res = CheckResult(kind, False, detail=f"raised {type(exc).__name__}: {exc}")
    res.seconds = time.perf_counter() - t0
    return res


# -- the checkers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exact:
    """The step on exact instances: ``instances()`` yields SymPy :class:`Model`s."""

    instances: Callable[[], Iterable[Model]]
    method: str
    kind: str = "symbolic"
    # An exact rewriting applied to each difference first (e.g. combining 30^ℓ/50^ℓ into
    # (3/5)^ℓ), never a heuristic simplification.
    prepare: Callable[[sp.Expr], sp.Expr] | None = None
    minimum: int = 1

    def run(self, step: Step, seed: int = 0, rng=None) -> CheckResult:
        return _timed(self.kind, lambda: self._run(step))

    @property
    def _method(self) -> str:
        return to_unicode(self.method)  # the method is LaTeX prose; details are for terminals

    @cached_property
    def models(self) -> list[Model]:
        """The exact instances, built once: their derived values (a Jacobian of an
        unrolled network) are then shared by every step and mutant checked on them."""
        return list(self.instances())

    def _run(self, step: Step) -> CheckResult:
        used = excluded = 0
        visited: set = set()
        for model in self.models:
            try:
                ev = evaluate_step(step, model, exact=True)
            except _Excluded:
                excluded += 1
                continue
            visited |= ev.evaluator.visited
            ok, why = _exact_relation(step.relation, ev.lhs, ev.rhs, self.prepare, step.limit)
            used += 1
            if not ok:
                cx = {
                    **model.describe(),
                    "lhs": sp.sstr(ev.lhs),
                    "rhs": sp.sstr(ev.rhs),
                    "why": why,
                }
                verdict = "undecided" if ok is None else "fails"
                return CheckResult(
                    self.kind,
                    False,
                    counterexample=cx,
                    detail=f"{self._method}: {verdict} on {model.label or 'an instance'}: {why}",
                    instances=used,
                    excluded=excluded,
                    visited=frozenset(visited),
                )
        if used < self.minimum:
            return CheckResult(
                self.kind,
                False,
                detail=f"{self._method}: only {used} instance(s) satisfy the hypotheses "
                f"({excluded} excluded), {self.minimum} needed",
                instances=used,
                excluded=excluded,
                visited=frozenset(visited),
            )
        return CheckResult(
            self.kind,
            True,
            detail=f"{self._method}: {used} exact instance(s)"
            + (f", {excluded} excluded by the hypotheses" if excluded else ""),
            instances=used,
            excluded=excluded,
            visited=frozenset(visited),
        )


EVERY_SIZE_METHOD = (
    "in index notation with $n$ and $d$ as symbols, against the Jacobian derived entrywise "
    "from the cell's equations (equal normal forms)"
)


@dataclass(frozen=True)
class EverySize:
    """The step proved for every n and d (see the module docstring); ``cell`` is the
    symbolic cell whose symbols the step shows."""

    cell: Any
    method: str = EVERY_SIZE_METHOD
    kind: str = "symbolic"
    # how the notes say it (the words before the method; in a table's column of exact
    # checks, the scope alone)
    how: str = "for every $n$ and $d$, exactly"
    scope: str = "for every $n$ and $d$"
    seconds: float = 30.0

    @property
    def _method(self) -> str:
        return to_unicode(self.method)

    def run(self, step: Step, seed: int = 0, rng=None) -> CheckResult:
        return _timed(self.kind, lambda: self._run(step, seed))

    def sides(self, step: Step) -> tuple:
        """(lhs, rhs, variables): the step's two sides in index form (a ∂a/∂b derived
        entrywise from the cell's equations), after its ``where``."""
        from gradsym.lang.notation import Partial
        from gradsym.symbolic import every_size

        cell, swap = _with_where(_with_definitions(self.cell, step.definitions), step.where)
        lhs, rhs = step.lhs.xreplace(swap), step.rhs.xreplace(swap)
        partial = next((e for e in (lhs, rhs) if isinstance(e, Partial)), None)
        wrt = partial.wrt.name if partial is not None else None

        def side(e):
            if isinstance(e, Partial):
                return every_size.jacobian(cell, e.of.name, e.wrt.name)
            return every_size.grid(e, cell, wrt)

        variables = every_size.variables(cell, wrt) if wrt else [*cell.leaves, *cell.params]
        return side(lhs), side(rhs), variables

    def _run(self, step: Step, seed: int) -> CheckResult:
        from gradsym.symbolic import every_size
        from gradsym.symbolic.every_size.decide import decide as decide_grids

        if step.relation != "=" or step.hypotheses:
            raise ValueError("a proof for every size decides an equation without hypotheses")
        with every_size.limits(self.seconds):
            lhs, rhs, variables = self.sides(step)
            outcome = decide_grids(lhs, rhs, variables, seed=seed, seconds=self.seconds / 3)
        visited = display_atoms(step.lhs) | display_atoms(step.rhs)
        for atom, value in step.where:
            visited |= {atom} | display_atoms(value)
        if outcome.status == "equal":
            return CheckResult(
                self.kind,
                True,
                detail=f"{self._method}: equal for every n and d ({outcome.how})",
                instances=1,
                visited=frozenset(visited),
            )
        cx = outcome.counterexample
        if cx is not None:
            from gradsym.symbolic.every_size import values as V

            counterexample = {
                "n": cx.n,
                "d": cx.d,
                "entry": cx.entry,
                "difference": V.digits(cx.difference),
                **{k: v.tolist() for k, v in cx.point.items()},
            }
            why = (
                f"differs at n = {cx.n}, d = {cx.d}, entry {cx.entry}, by "
                f"{V.digits(cx.difference, 12)}"
            )
            counterexample["why"] = why
        else:
            counterexample, why = None, f"undecided: {outcome.reason}"
        return CheckResult(
            self.kind,
            False,
            counterexample=counterexample,
            detail=f"{self._method}: {why}",
            instances=1,
            visited=frozenset(visited),
        )


def _with_definitions(cell, definitions) -> Any:
    """The cell with the claim's printed definitions of named vectors (y_dense = [x; F(x)])
    as equations of its own, after its equations."""
    from dataclasses import replace

    from sympy import MatrixSymbol

    extra = tuple(
        (a, b)
        for a, b in definitions
        if isinstance(a, MatrixSymbol)
        and getattr(b, "is_Matrix", False)
        and a not in cell.definition
    )
    if not extra:
        return cell
    return replace(cell, definitions=cell.definitions + extra, variant=f"{cell.variant}+")


def _with_where(cell, where) -> tuple[Any, dict]:
    """The cell with a step's ``where`` applied (an intermediate's equation replaced by the
    value, a parameter or leaf substituted in every equation), and the substitution for
    the step's own sides."""
    from sympy import MatrixSymbol

    swap = {}
    for atom, value in where:
        if not isinstance(atom, MatrixSymbol) or atom.name not in {
            *cell.vectors,
            *(p.name for p in cell.params),
        }:
            raise ValueError(f"where {sp.sstr(atom)}: not a symbol of cell {cell.name!r}")
        swap[atom] = value
    if not swap:
        return cell, swap
    from dataclasses import replace

    definitions = tuple(
        (sym, swap[sym] if sym in swap else expr.xreplace(swap)) for sym, expr in cell.definitions
    )
    return replace(cell, definitions=definitions, variant=f"{cell.variant}*"), swap


@dataclass(frozen=True)
class Sampled:
    """The step on ``trials`` seeded float64 instances: ``sample(rng)`` — or
    ``sample(rng, trial)``, to cycle through kinds of instance (those a hypothesis excludes
    among them) whatever the seed — gives a Model."""

    sample: Callable[[np.random.Generator], Model]
    method: str
    trials: int = 3
    tol: float = 1e-9
    scale: str = "relative"
    kind: str = "numeric"
    minimum: int = 1
    requires: str | None = None  # an optional package the check needs (skipped without it)

    @property
    def _method(self) -> str:
        return to_unicode(self.method)  # the method is LaTeX prose; details are for terminals

    def run(self, step: Step, seed: int = 0, rng: np.random.Generator | None = None):
        if self.requires is not None and importlib.util.find_spec(self.requires) is None:
            return CheckResult(
                self.kind,
                True,
                skipped=True,
                detail=f"{self._method}: skipped, {self.requires} is not installed",
            )
        rng = np.random.default_rng(seed) if rng is None else rng
        return _timed(self.kind, lambda: self._run(step, rng))

    def draw(self, rng: np.random.Generator, trial: int) -> Model:
        """The instance of trial ``trial``."""
        if len(inspect.signature(self.sample).parameters) >= 2:
            return self.sample(rng, trial)
        return self.sample(rng)

    def _run(self, step: Step, rng: np.random.Generator) -> CheckResult:
        worst, worst_case = 0.0, None
        used = excluded = 0
        visited: set = set()
        for trial in range(self.trials):
            model = self.draw(rng, trial)
            try:
                with np.errstate(all="ignore"):
                    ev = evaluate_step(step, model, exact=False)
            except _Excluded:
                excluded += 1
                continue
            visited |= ev.evaluator.visited
            used += 1
            err = float_error(step.relation, ev.lhs, ev.rhs, self.scale)
            if worst_case is None or err > worst or np.isnan(err):
                worst = err if not np.isnan(err) else float("inf")
                worst_case = {
                    "trial": trial,
                    **model.describe(),
                    "lhs": np.asarray(ev.lhs),
                    "rhs": ev.rhs if isinstance(ev.rhs, tuple) else np.asarray(ev.rhs),
                }
        ok = worst <= self.tol and used >= self.minimum
        if step.relation in ("<", ">") and worst > 0:
            ok = False
        detail = f"{self._method}: {used} instances, max error {worst:.2e} (tol {self.tol:g})" + (
            f", {excluded} excluded by the hypotheses" if excluded else ""
        )
        if used < self.minimum:
            detail += f"; only {used} satisfy the hypotheses, {self.minimum} needed"
        return CheckResult(
            self.kind,
            ok,
            max_error=worst,
            counterexample=None if ok else worst_case,
            detail=detail,
            instances=used,
            excluded=excluded,
            visited=frozenset(visited),
        )


def run_check(check, step: Step, seed: int, *labels: object) -> CheckResult:
    """Run one check of ``step`` with the generator of its place (claim id, step, kind)."""
    return check.run(step, seed, rng_for(seed, *labels))
