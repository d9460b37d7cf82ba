"""Mutation testing of the derivations: change what a step prints and see its checks refuse.

For every step, :func:`mutants` makes the printed line wrong in the ways a derivation goes
wrong on a slide — transpose a factor, swap two factors, drop a term or a factor, flip the
sign of a term, swap two symbols of the same shape (two gates, two weights, two time
steps), swap an activation for another (σ' for tanh'), change a constant (a time index, an
exponent, a bound), flip the relation, drop a hypothesis, change or drop a value of
``where``. Each mutant is a well-formed step: a mutant whose shapes do not fit is not made.

:func:`score_claim` runs the step's own checks on every mutant (float64 checks first, the
exact ones only if those accept it) and sorts the mutants into

- **killed** — some check refused it;
- **equivalent** — no check refused it, and on every instance the checks evaluate its two
  sides have the values of the original step's (the mutant says the same thing:
  diag(f)ᵀ = diag(f); for a limit, the same limits), or — for an inequality — it asks no
  more than the original at any instance (a weaker bound, which a correct check accepts);
- **true** — no check refused it and it is a true statement as far as the checks can
  tell: it holds on every exact instance and on five times as many float64 instances as
  the checks draw (σ(z) < 2 from σ(z) < 1, a witness changed into another witness). Only a
  step with a float64 check can call a mutant true;
- **survived** — none of the above: the checks cannot see the change, or a larger sample
  refutes what the checks' own instances do not. The goal is none.

The score of a claim is killed / (killed + survived).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import sympy as sp
from sympy import (
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.core.symbol import Str

from gradsym.lang.elementwise import FUNCTIONS, MAPS, confusion
from gradsym.lang.matexpr import Apply, Diag
from gradsym.lang.notation import Decimal, Partial, Seq
from gradsym.lang.rewrite import positions, replace_at
from gradsym.lang.symbolic_table import FUNCTION_CLASSES

from .checks import EverySize, Exact, _exact_matrix, _Excluded, evaluate_step, float_error, rng_for
from .claim import FLIPPED, Claim, Step
from .evaluate import Unbound, Unsupported, limit_at

# The elementwise map a careless derivation puts in place of another.
SWAPPED_MAP = {name: confusion(name) for name in MAPS}
_SYMMETRIC = (Diag, Identity, ZeroMatrix, OneMatrix)  # their transpose is themselves
_LEAVES = (MatrixSymbol, Seq, Partial, sp.Symbol, sp.Indexed)


@dataclass(frozen=True)
class Mutant:
    """A step made wrong in one place: ``kind`` of change, ``part`` changed, a description."""

    kind: str
    part: str
    description: str
    step: Step


# -- well-formedness ---------------------------------------------------------------------------


def _shape(e):
    return e.shape if getattr(e, "is_Matrix", False) else None


def well_formed(e) -> bool:
    """Whether every product, sum and Hadamard product in ``e`` has fitting shapes."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, MatMul):
            mats = [a for a in node.args if getattr(a, "is_Matrix", False)]
            mats = [a for a in mats if a.shape != (1, 1)] or mats
            for a, b in pairwise(mats):
                if sp.simplify(a.shape[1] - b.shape[0]) != 0:
                    return False
        elif isinstance(node, (MatAdd, HadamardProduct)):
            shapes = {tuple(a.shape) for a in node.args}
            if len(shapes) > 1:
                return False
        elif isinstance(node, sp.Add) and any(getattr(a, "is_Matrix", False) for a in node.args):
            return False
    return True


def _square(e) -> bool:
    s = _shape(e)
    return s is not None and sp.simplify(s[0] - s[1]) == 0 and s != (1, 1)


# -- positions in an expression tree ------------------------------------------------------------


# The mutations rewrite what a step displays, not a name's shape or a number's digits.
_LEAVES = (MatrixSymbol, sp.Symbol, Str, Decimal, Identity, ZeroMatrix, OneMatrix)


def _positions(e):
    """Every subexpression with its path (:func:`gradsym.lang.rewrite.positions`)."""
    return positions(e, _LEAVES)


def _text(e) -> str:
    return sp.sstr(e)


# -- the mutation operators -----------------------------------------------------------------------


def _expression_mutants(e) -> Iterator[tuple[str, str, Any]]:
    """(kind, description, mutated expression) for one side of a step."""
    for path, node in _positions(e):
        if isinstance(node, MatMul):
            mats = [k for k, a in enumerate(node.args) if getattr(a, "is_Matrix", False)]
            for k in mats:
                factor = node.args[k]
                if isinstance(factor, Transpose):
                    yield (
                        "transpose",
                        f"{_text(factor)} → {_text(factor.arg)}",
                        replace_at(e, (*path, k), factor.arg),
                    )
                elif _square(factor) and not isinstance(factor, _SYMMETRIC):
                    yield (
                        "transpose",
                        f"{_text(factor)} → {_text(factor)}ᵀ",
                        replace_at(e, (*path, k), Transpose(factor)),
                    )
                if len(mats) > 1 and _square(factor):
                    args = [a for j, a in enumerate(node.args) if j != k]
                    yield "drop factor", f"drop {_text(factor)}", replace_at(e, path, MatMul(*args))
            for a, b in pairwise(mats):
                if _square(node.args[a]) and _square(node.args[b]):
                    args = list(node.args)
                    args[a], args[b] = args[b], args[a]
                    yield (
                        "swap factors",
                        f"{_text(node.args[a])} ⇄ {_text(node.args[b])}",
                        replace_at(e, path, MatMul(*args)),
                    )
        if isinstance(node, (MatAdd, sp.Add)) and len(node.args) > 1:
            for k, term in enumerate(node.args):
                rest = [a for j, a in enumerate(node.args) if j != k]
                yield (
                    "drop term",
                    f"drop {_text(term)}",
                    replace_at(e, path, rest[0] if len(rest) == 1 else node.func(*rest)),
                )
                flipped = MatMul(-1, term) if isinstance(node, MatAdd) else -term
                yield (
                    "flip sign",
                    f"{_text(term)} → −({_text(term)})",
                    replace_at(e, (*path, k), flipped),
                )
        if isinstance(node, HadamardProduct) and len(node.args) > 1:
            for k, factor in enumerate(node.args):
                rest = [a for j, a in enumerate(node.args) if j != k]
                yield (
                    "drop factor",
                    f"drop ∘{_text(factor)}",
                    replace_at(e, path, rest[0] if len(rest) == 1 else HadamardProduct(*rest)),
                )
        if isinstance(node, Apply) and node.name in SWAPPED_MAP:
            yield (
                "swap activation",
                f"{node.name} → {SWAPPED_MAP[node.name]}",
                replace_at(e, path, Apply(SWAPPED_MAP[node.name], node.vector)),
            )
        if isinstance(node, sp.Function) and type(node) in _FUNCTION_SWAP:
            other = _FUNCTION_SWAP[type(node)]
            yield (
                "swap activation",
                f"{type(node).__name__} → {other.name}",
                replace_at(e, path, other.scalar(*node.args)),
            )
        if isinstance(node, sp.Number) and node not in (sp.oo, -sp.oo, sp.zoo):
            for new in _changed(node):
                yield "constant", f"{node} → {new}", replace_at(e, path, new)
        if isinstance(node, Decimal):
            last = node.digits[-1]
            bumped = node.digits[:-1] + str((int(last) + 1) % 10)
            yield "constant", f"{node.digits} → {bumped}", replace_at(e, path, Decimal(bumped))
    yield from _swaps(e)


def _changed(c: sp.Number) -> list[sp.Number]:
    if c.is_Integer:
        return [c + 1, c - 1] if c != 0 else [sp.Integer(1)]
    return [2 * c, c / 2]


# A scalar function a careless derivation puts in place of another.
# A scalar function's class → the table's function confused with it (σ for tanh).
_FUNCTION_SWAP: dict = {
    cls: FUNCTIONS[f.confused_with]
    for cls, (f, is_prime) in FUNCTION_CLASSES.items()
    if not is_prime
}


def _swap_key(a):
    """Atoms that can stand in for one another: same shape, same kind."""
    if isinstance(a, Seq):
        return ("seq", a.name, a.shape)
    if isinstance(a, Partial):
        return ("partial", a.shape)
    if isinstance(a, MatrixSymbol):
        return ("symbol", a.shape)
    return None


def _swaps(e) -> Iterator[tuple[str, str, Any]]:
    atoms = sorted(
        {a for a in sp.preorder_traversal(e) if _swap_key(a) is not None}, key=sp.default_sort_key
    )
    for k, a in enumerate(atoms):
        for b in atoms[k + 1 :]:
            if _swap_key(a) == _swap_key(b):
                swapped = e.xreplace({a: b, b: a})
                if swapped != e:
                    yield "swap symbols", f"{_text(a)} ⇄ {_text(b)}", swapped


def _printed(step: Step) -> str | None:
    try:
        return step.latex() + "|" + step.conditions_latex()
    except Exception:  # noqa: BLE001 (a mutant that cannot print is not shown either)
        return None


def mutants(step: Step) -> list[Mutant]:
    """Every well-formed mutant of what ``step`` prints, in a fixed order."""
    out: list[Mutant] = []
    seen: set = set()
    printed = _printed(step)

    def add(kind, part, description, **changes):
        try:
            mutant = dataclasses.replace(step, **changes)
        except Exception:  # noqa: BLE001 (an ill-formed step is not a mutant)
            return
        for side in (mutant.lhs, mutant.rhs):
            if not well_formed(side):
                return
        if _printed(mutant) == printed:  # prints the same: not a change of what is shown
            return
        key = (
            mutant.lhs,
            mutant.relation,
            mutant.rhs,
            mutant.hypotheses,
            mutant.where,
            mutant.limit,
        )
        if key in seen:
            return
        seen.add(key)
        out.append(Mutant(kind, part, description, mutant))

    for part in ("lhs", "rhs"):
        original = getattr(step, part)
        for kind, description, new in _expression_mutants(original):
            if new != original:
                add(kind, part, description, **{part: new})
    if step.relation in FLIPPED:
        add(
            "relation",
            "relation",
            f"{step.relation} → {FLIPPED[step.relation]}",
            relation=FLIPPED[step.relation],
        )
    for k, cond in enumerate(step.hypotheses):
        rest = step.hypotheses[:k] + step.hypotheses[k + 1 :]
        add("drop hypothesis", f"hypothesis {k + 1}", f"drop {cond.text}", hypotheses=rest)
    for k, (atom, value) in enumerate(step.where):
        for kind, description, new in _expression_mutants(value):
            if new != value:
                where = step.where[:k] + ((atom, new),) + step.where[k + 1 :]
                add(kind, f"where {k + 1}", f"{_text(atom)}: {description}", where=where)
    return out


# -- running them --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the checks made of one mutant."""

    mutant: Mutant
    status: str  # "killed", "equivalent", "true", "survived"
    by: str = ""  # the check that killed it, or why it is equivalent
    seconds: float = 0.0


def _ordered_checks(step: Step):
    # float64 checks first: cheap, and they kill most mutants
    return sorted(step.checks, key=lambda c: 0 if c.kind == "numeric" else 1)


def _killed_by(mutant: Mutant, seed: int, labels: tuple) -> str:
    for check in _ordered_checks(mutant.step):
        res = check.run(mutant.step, seed, rng_for(seed, *labels, check.kind))
        if res.skipped:
            continue
        if not res.passed:
            return f"{check.kind}: {res.detail}"
    return ""


def _instances(check, seed: int, labels: tuple) -> tuple[list, bool]:
    """The instances a survivor is judged on: an exact check's own models, or EXTENDED
    times the float64 instances of a sampled one (drawn once, for both steps)."""
    if isinstance(check, Exact):
        return check.models, True
    rng = rng_for(seed, *labels, check.kind, "extended")
    return [check.draw(rng, trial) for trial in range(check.trials * EXTENDED)], False


def _values(step: Step, models: list, exact: bool) -> list:
    """(lhs, rhs) of ``step`` on each model (None when a hypothesis excludes it, "error"
    when it cannot be evaluated); a limit step's lhs is its limit."""
    out = []
    for model in models:
        try:
            with np.errstate(all="ignore"):
                ev = evaluate_step(step, model, exact)
            lhs = ev.lhs
            if exact and step.limit is not None:  # what a limit step asserts: the limit
                var, target = step.limit
                lhs = _exact_matrix(lhs).applyfunc(
                    lambda e, var=var, target=target: limit_at(e, var, target)
                )
            out.append((lhs, ev.rhs))
        except _Excluded:
            out.append(None)
        except (Unbound, Unsupported, ValueError, TypeError, ArithmeticError):
            out.append("error")
    return out


def _same(a, b, exact: bool) -> bool:
    if isinstance(a, (sp.Set, tuple)) or isinstance(b, (sp.Set, tuple)):
        return a == b
    try:
        return _same_values(a, b, exact)
    except (TypeError, ValueError, AttributeError):
        return False


def _same_values(a, b, exact: bool) -> bool:
    if exact:
        A = a if isinstance(a, sp.MatrixBase) else sp.ImmutableMatrix([[a]])
        B = b if isinstance(b, sp.MatrixBase) else sp.ImmutableMatrix([[b]])
        if A.shape != B.shape:
            return False
        from .checks import _is_zero

        return all(_is_zero(x - y, None) for x, y in zip(A, B))
    try:
        return float_error("=", a, b, "relative") <= 1e-12
    except (ValueError, TypeError):
        return False


def _has_free(value) -> bool:
    return any(isinstance(v, sp.Basic) and v.free_symbols for v in value)


def _slack(relation: str, lhs, rhs) -> float | None:
    """How far an inequality is from failing (its smallest margin), in float64."""
    try:
        a = np.asarray(sp.N(lhs) if isinstance(lhs, sp.Basic) else lhs, dtype=float)
        b = np.asarray(sp.N(rhs) if isinstance(rhs, sp.Basic) else rhs, dtype=float)
    except (TypeError, ValueError):
        return None
    margin = b - a if relation in ("≤", "<") else a - b
    return float(np.min(margin))


EXTENDED = 5  # how many times more float64 instances judge a survivor


def _judge(mutant: Mutant, original: Step, seed: int, labels: tuple) -> tuple[str, str]:
    """("equivalent" | "true" | "survived", why) for a mutant no check refused.

    Equivalent: on every instance the two steps have the same values (for a limit, the
    same limits), or the mutant asks no more than the original (a weaker bound); the
    evidence is every exact instance that is generic (its values keep free symbols: "for
    every x") and EXTENDED times the float64 instances — a step checked only on exact
    numbers (x = 0) cannot call a mutant equivalent. True: the mutant holds on those
    float64 instances too (the step needs a float64 check for that).
    """
    every = [c for c in original.checks if isinstance(c, EverySize)]
    if every:  # the mutant passed a proof for every size: it is true, or the same step
        try:
            a, b = every[0].sides(original)[:2], every[0].sides(mutant.step)[:2]
        except Exception:  # noqa: BLE001 (a mutant whose sides have no index form)
            a, b = None, None
        if a is not None and a == b:
            return "equivalent", "the same index normal forms: equal for every n and d"
        return "true", "proved for every n and d"
    judged = [(check, *_instances(check, seed, labels)) for check in original.checks]
    before = {id(c): _values(original, models, exact) for c, models, exact in judged}
    after = {id(c): _values(mutant.step, models, exact) for c, models, exact in judged}
    sampled = [(c, m, e) for c, m, e in judged if not e]
    if not sampled and not all(
        v is None or v == "error" or _has_free(v) for vals in before.values() for v in vals
    ):
        return "survived", ""
    if mutant.kind not in ("relation", "drop hypothesis") and _no_more(
        original.relation, judged, before, after
    ):
        return "equivalent", "the same values on every instance (or a weaker bound)"
    if sampled and all(_holds(mutant.step, c, after[id(c)]) for c, _, _ in sampled):
        return "true", f"holds on every exact instance and on {EXTENDED}× the float64 ones"
    return "survived", ""


def _no_more(relation: str, judged, before, after) -> bool:
    for check, _, exact in judged:
        for x, y in zip(before[id(check)], after[id(check)]):
            if x is None and y is None:
                continue
            if x is None or y is None or "error" in (x, y):
                return False
            if _same(x[0], y[0], exact) and _same(x[1], y[1], exact):
                continue
            if relation in ("≤", "<", "≥", ">"):
                s0, s1 = _slack(relation, *x), _slack(relation, *y)
                if s0 is not None and s1 is not None and s1 >= s0 - 1e-12:
                    continue  # asks no more here: a weaker (or equal) bound
            return False
    return True


def _holds(step: Step, check, values: list) -> bool:
    used = 0
    for v in values:
        if v is None:
            continue
        if v == "error":
            return False
        err = float_error(step.relation, v[0], v[1], check.scale)
        if err > check.tol or (step.relation in ("<", ">") and err > 0):
            return False
        used += 1
    return used >= check.minimum


def run_mutant(mutant: Mutant, original: Step, seed: int = 0, labels: tuple = ()) -> Outcome:
    t0 = time.perf_counter()
    by = _killed_by(mutant, seed, labels)
    if by:
        return Outcome(mutant, "killed", by, time.perf_counter() - t0)
    status, why = _judge(mutant, original, seed, labels)
    return Outcome(mutant, status, why, time.perf_counter() - t0)


@dataclass
class ClaimScore:
    """The mutants of one claim and what became of them."""

    id: str
    outcomes: list[tuple[int, Outcome]] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for _, o in self.outcomes)

    @property
    def killed(self) -> int:
        return self.count("killed")

    @property
    def survived(self) -> int:
        return self.count("survived")

    @property
    def equivalent(self) -> int:
        return self.count("equivalent")

    @property
    def true(self) -> int:
        return self.count("true")

    @property
    def score(self) -> float:
        counted = self.killed + self.survived
        return 1.0 if counted == 0 else self.killed / counted

    def survivors(self) -> list[tuple[int, Mutant]]:
        return [(k, o.mutant) for k, o in self.outcomes if o.status == "survived"]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mutants": len(self.outcomes),
            "killed": self.killed,
            "equivalent": self.equivalent,
            "true": self.true,
            "survived": self.survived,
            "score": self.score,
            "seconds": round(self.seconds, 3),
            "survivors": [
                {"step": k + 1, "kind": m.kind, "part": m.part, "mutant": m.description}
                for k, m in self.survivors()
            ],
            "not_counted": [
                {"step": k + 1, "status": o.status, "mutant": o.mutant.description, "why": o.by}
                for k, o in self.outcomes
                if o.status in ("equivalent", "true")
            ],
        }


def claim_mutants(claim: Claim, per_claim: int | None = None) -> list[tuple[int, Mutant]]:
    """(step index, mutant) for every mutant of the claim, or a deterministic subset of
    ``per_claim``: by a hash of their description, one of each kind first, then spread
    over the steps."""
    everything = [
        (k, m) for k, step in enumerate(claim.steps) if step.checks for m in mutants(step)
    ]
    if per_claim is None or len(everything) <= per_claim:
        return everything

    def rank(pair):
        k, m = pair
        key = f"{claim.id}:{k}:{m.kind}:{m.part}:{m.description}"
        return hashlib.sha256(key.encode()).hexdigest()

    ranked = sorted(everything, key=rank)
    chosen, kinds, steps = [], set(), set()
    for pair in ranked:  # one of each kind first …
        if pair[1].kind not in kinds:
            chosen.append(pair)
            kinds.add(pair[1].kind)
            steps.add(pair[0])
    for pair in ranked:  # … then steps not yet mutated, then the rest
        if len(chosen) < per_claim and pair[0] not in steps and pair not in chosen:
            chosen.append(pair)
            steps.add(pair[0])
    for pair in ranked:
        if len(chosen) < per_claim and pair not in chosen:
            chosen.append(pair)
    return sorted(chosen[:per_claim], key=lambda p: (p[0], everything.index(p)))


def score_claim(claim: Claim, seed: int = 0, per_claim: int | None = None) -> ClaimScore:
    """Mutate the steps of ``claim`` (all mutants, or a deterministic subset of ``per_claim``)
    and run the step's checks on each mutant."""
    t0 = time.perf_counter()
    out = ClaimScore(claim.id)
    for k, mutant in claim_mutants(claim, per_claim):
        out.outcomes.append((k, run_mutant(mutant, claim.steps[k], seed, (claim.id, k))))
    out.seconds = time.perf_counter() - t0
    return out


@dataclass
class MutationReport:
    """Every claim's mutation score: ``table()``, ``to_json()``, ``complete``."""

    claims: list[ClaimScore]
    per_claim: int | None
    seconds: float

    @property
    def complete(self) -> bool:
        """No mutant survived."""
        return all(c.survived == 0 for c in self.claims)

    def table(self) -> str:
        head = (
            f"{'id':20} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'true':>5} "
            f"{'survived':>9} {'score':>7} {'time':>7}"
        )
        lines = [head, "─" * len(head)]
        for c in self.claims:
            lines.append(
                f"{c.id:20} {len(c.outcomes):8d} {c.killed:7d} {c.equivalent:7d} {c.true:5d} "
                f"{c.survived:9d} {100 * c.score:6.1f}% {c.seconds:6.1f}s"
            )
        for c in self.claims:
            for k, m in c.survivors():
                lines.append(
                    f"  survived: {c.id} step {k + 1} ({m.part}, {m.kind}): {m.description}"
                )
        total = sum(len(c.outcomes) for c in self.claims)
        killed = sum(c.killed for c in self.claims)
        survived = sum(c.survived for c in self.claims)
        score = 100.0 * killed / (killed + survived) if killed + survived else 100.0
        scope = (
            "every mutant"
            if self.per_claim is None
            else f"up to {self.per_claim} mutants per claim"
        )
        lines += [
            "",
            f"{killed}/{killed + survived} counted mutants killed ({score:.1f} %), {total} made, {scope}, in {self.seconds:.1f} s",
        ]
        return "\n".join(lines)

    def to_json(self) -> str:
        import json

        return json.dumps(
            {
                "complete": self.complete,
                "per_claim": self.per_claim,
                "seconds": round(self.seconds, 3),
                "claims": [c.to_json() for c in self.claims],
            },
            ensure_ascii=False,
            indent=2,
        )


def mutation_report(
    ids: Iterable[str] | str | None = None, seed: int = 0, per_claim: int | None = None
) -> MutationReport:
    """Mutation scores of the claims named by ``ids`` (default: all): every mutant, or a
    deterministic subset of ``per_claim`` per claim."""
    from .catalogue import claims as catalogue_claims

    t0 = time.perf_counter()
    chosen = catalogue_claims(
        None if ids is None else list([ids] if isinstance(ids, str) else ids) or None
    )
    scores = [score_claim(c, seed, per_claim) for c in chosen]
    return MutationReport(scores, per_claim, time.perf_counter() - t0)


__all__ = [
    "ClaimScore",
    "Mutant",
    "MutationReport",
    "Outcome",
    "claim_mutants",
    "mutants",
    "mutation_report",
    "run_mutant",
    "score_claim",
    "well_formed",
]
