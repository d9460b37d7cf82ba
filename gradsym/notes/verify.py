"""``verify(ids=None, seed=0) -> Report``: run every check of every step of the claims.

A claim passes when every check of every step passes; each check evaluates the step's own
printed objects (see :mod:`.checks`). The report has one row per claim: id, statement (the
claim's LaTeX prose in Unicode, :func:`~gradsym.notes.prose.to_unicode`),
symbolic ✓/✗ (— when the claim has no check of that kind), numeric ✓/✗ with the largest
numeric error, seconds, and — when it fails — the first failing step (its index, text and
justification), the check that failed and its counterexample. A check that could not run
here (torch not installed) is listed as skipped, and does not count either way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gradsym.validate import nonnegative_int

from .catalogue import claims as catalogue_claims
from .checks import run_check
from .claim import CheckResult, Claim, _jsonable
from .prose import to_unicode


@dataclass
class StepFailure:
    """Where a claim failed: the step, the check, what it found."""

    index: int
    step: str
    justification: str
    check: str
    method: str
    detail: str
    counterexample: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "step": self.step,
            "justification": self.justification,
            "check": self.check,
            "method": self.method,
            "detail": self.detail,
            "counterexample": _jsonable(self.counterexample),
        }


@dataclass
class Row:
    """One claim's outcome."""

    id: str
    title: str
    statement: str
    section: str
    symbolic: bool | None
    numeric: bool | None
    max_error: float | None
    seconds: float
    failure: StepFailure | None = None
    results: list[tuple[int, CheckResult]] = field(default_factory=list, repr=False)
    skipped: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.symbolic is not False and self.numeric is not False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "section": self.section,
            "passed": self.passed,
            "symbolic": self.symbolic,
            "numeric": self.numeric,
            "max_error": _jsonable(self.max_error),
            "seconds": round(self.seconds, 4),
            "failure": None if self.failure is None else self.failure.to_json(),
            "skipped": list(self.skipped),
            "checks": [{"step": k, **r.to_json()} for k, r in self.results],
        }


@dataclass
class Report:
    """All rows, with ``passed``, ``table()`` and ``to_json()``."""

    rows: list[Row]
    seed: int
    seconds: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.passed]

    def to_json(self) -> str:
        return json.dumps(
            {
                "passed": self.passed,
                "seed": self.seed,
                "seconds": round(self.seconds, 3),
                "claims": [r.to_json() for r in self.rows],
            },
            ensure_ascii=False,
            indent=2,
        )

    def table(self, width: int = 60) -> str:
        """A plain-text table; failing claims get their step and counterexample below it."""
        mark = {True: "✓", False: "✗", None: "—"}
        head = (
            f"{'id':20} {'statement':{width}} {'sym':>3} {'num':>3} {'max error':>10} {'time':>7}"
        )
        lines = [head, "─" * len(head)]
        for r in self.rows:
            stmt = r.statement if len(r.statement) <= width else r.statement[: width - 1] + "…"
            err = "" if r.max_error is None else f"{r.max_error:.1e}"
            lines.append(
                f"{r.id:20} {stmt:{width}} {mark[r.symbolic]:>3} {mark[r.numeric]:>3} "
                f"{err:>10} {r.seconds:6.2f}s"
            )
        for r in self.failures:
            f = r.failure
            lines.append("")
            lines.append(f"✗ {r.id}: step {f.index + 1} fails its {f.check} check")
            lines.append(f"    step: {f.step}")
            lines.append(f"    check: {f.method} — {f.detail}")
            if f.counterexample is not None:
                lines.append(f"    counterexample: {_short(f.counterexample)}")
        for r in self.rows:
            for note in r.skipped:
                lines.append(f"  {r.id}: {note}")
        n_ok = sum(r.passed for r in self.rows)
        lines.append("")
        lines.append(
            f"{n_ok}/{len(self.rows)} claims verified in {self.seconds:.1f} s (seed {self.seed})"
            + ("" if self.passed else " — SOME CLAIMS FAIL")
        )
        return "\n".join(lines)


def _short(v: Any, limit: int = 400) -> str:
    s = json.dumps(_jsonable(v), ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + " …"


def verify_claim(claim: Claim, seed: int = 0) -> Row:
    """Run every check of ``claim``'s steps and summarise them in a row."""
    t0 = time.perf_counter()
    outcome: dict[str, bool | None] = {"symbolic": None, "numeric": None}
    errors: list[float] = []
    failure = None
    results = []
    skipped: list[str] = []
    for k, step in enumerate(claim.steps):
        for check in step.checks:
            res = run_check(check, step, seed, claim.id, k, check.kind)
            results.append((k, res))
            if res.skipped:  # not run here (an optional package is missing): said, not counted
                skipped.append(f"step {k + 1}: {res.detail}")
                continue
            kind = check.kind
            outcome[kind] = res.passed if outcome[kind] is None else (outcome[kind] and res.passed)
            if res.max_error is not None:
                errors.append(res.max_error)
            if not res.passed and failure is None:
                failure = StepFailure(
                    k,
                    step.text,
                    to_unicode(step.justification),
                    kind,
                    to_unicode(getattr(check, "method", "")),
                    res.detail,
                    res.counterexample,
                )
    return Row(
        id=claim.id,
        title=to_unicode(claim.title),
        statement=to_unicode(claim.statement),
        section=claim.section,
        symbolic=outcome["symbolic"],
        numeric=outcome["numeric"],
        max_error=max(errors) if errors else None,
        seconds=time.perf_counter() - t0,
        failure=failure,
        results=results,
        skipped=skipped,
    )


def verify(
    ids: Iterable[str] | str | None = None, seed: int = 0, *, claims: Iterable[Claim] | None = None
) -> Report:
    """Verify the claims named by ``ids`` (default: every claim), or the given ``claims``.

    Deterministic for a given ``seed`` (an integer ≥ 0). Raises UnknownNameError for an
    unknown id, InvalidValueError for a bad seed.
    """
    nonnegative_int("seed", seed)
    t0 = time.perf_counter()
    chosen = (
        list(claims)
        if claims is not None
        else catalogue_claims(
            None if ids is None else list([ids] if isinstance(ids, str) else ids) or None
        )
    )
    rows = [verify_claim(c, seed) for c in chosen]
    return Report(rows, seed, time.perf_counter() - t0)
