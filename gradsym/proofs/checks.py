"""The reusable checkers. Each has ``kind`` ("symbolic" or "numeric"), ``method`` and
``run(seed) -> CheckResult``; each can fail, and says how.

- :class:`Identity` — symbolic identity at fixed sizes: both sides are built as explicit
  SymPy matrices (or scalars) and every entry of the difference must expand to zero once
  each function application (σ(·), tanh(·), …) is an opaque symbol. Never ``simplify``.
- :class:`JacobianIdentity` — the same for a compact Jacobian written as the notes write
  it: the form is expanded entry by entry and compared with SymPy's own Jacobian of the
  cell's equations (``Matrix.jacobian``), so the check does not trust the matrix-calculus
  engine that derived the library's compact forms.
- :class:`Generic` — a dimension-generic or analytic fact from SymPy: a limit, a maximum
  with its certificate, an index-notation derivative for every n.
- :class:`Numeric` — seeded random instances: the two sides as NumPy arrays (usually one
  from the symbolic side, one from the NumPy cells), compared under the step's relation;
  the largest (relative) error and the worst instance are kept.
- :class:`Counterexample` — a search for an instance violating the statement once its
  condition is dropped; it passes when it finds one and records it (showing the condition
  is needed).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from gradsym.symbolic.proof import is_identically_zero, prove_at

from .claim import CheckResult


def combine_powers(e: sp.Expr) -> sp.Expr:
    """a^ℓ / b^ℓ → (a/b)^ℓ throughout: an exact rewriting for powers with a symbolic ℓ."""
    return sp.expand(sp.powsimp(sp.expand(e), combine="base", force=True))


def rng_for(seed: int, *labels: object) -> np.random.Generator:
    """A generator determined by the run's seed and the check's place (claim, step)."""
    key = zlib.crc32(":".join(str(x) for x in labels).encode())
    return np.random.default_rng([int(seed), key])


def _as_matrix(e: Any) -> sp.ImmutableMatrix:
    if isinstance(e, sp.MatrixBase):
        return sp.ImmutableMatrix(e)
    if isinstance(e, (list, tuple)):
        return sp.ImmutableMatrix(e)
    return sp.ImmutableMatrix([[sp.sympify(e)]])


def _timed(kind: str, fn: Callable[[], CheckResult]) -> CheckResult:
    t0 = time.perf_counter()
    try:
        res = fn()
    except Exception as exc:  # noqa: BLE001 (a check that raises has failed: say why, go on)
        res = CheckResult(kind, False, detail=f"raised {type(exc).__name__}: {exc}")
    res.seconds = time.perf_counter() - t0
    return res


@dataclass(frozen=True)
class Identity:
    """lhs = rhs identically, both given by ``pair()`` as explicit SymPy objects."""

    pair: Callable[[], tuple[Any, Any]]
    method: str = "identity at fixed n"
    kind: str = "symbolic"
    # An exact rewriting applied to each difference first (e.g. combining 30^ℓ/50^ℓ into
    # (3/5)^ℓ), never a heuristic simplification.
    prepare: Callable[[sp.Expr], sp.Expr] | None = None

    def run(self, seed: int = 0) -> CheckResult:
        return _timed(self.kind, self._run)

    def _run(self) -> CheckResult:
        a, b = (_as_matrix(x) for x in self.pair())
        if a.shape != b.shape:
            return CheckResult(
                self.kind,
                False,
                counterexample={"shapes": [a.shape, b.shape]},
                detail=f"shapes differ: {a.shape} vs {b.shape}",
            )
        for i in range(a.rows):
            for j in range(a.cols):
                diff = a[i, j] - b[i, j]
                if self.prepare is not None:
                    diff = self.prepare(diff)
                if not is_identically_zero(diff):
                    return CheckResult(
                        self.kind,
                        False,
                        counterexample={
                            "entry": [i, j],
                            "lhs": sp.sstr(a[i, j]),
                            "rhs": sp.sstr(b[i, j]),
                            "difference": sp.sstr(sp.expand(diff)),
                        },
                        detail=f"{self.method}: entry ({i}, {j}) differs",
                    )
        return CheckResult(self.kind, True, detail=f"{self.method}: {a.rows}×{a.cols} entries")


@dataclass(frozen=True)
class JacobianIdentity:
    """A compact form ``expr()`` of ∂of/∂wrt equals SymPy's explicit Jacobian at n (and d)."""

    cell: Callable[[], Any]
    of: str
    wrt: str
    expr: Callable[[Any], Any]
    n: int = 2
    d: int | None = None
    kind: str = "symbolic"

    @property
    def method(self) -> str:
        return f"compact form = Matrix.jacobian of the equations at n = {self.n}"

    def run(self, seed: int = 0) -> CheckResult:
        return _timed(self.kind, self._run)

    def _run(self) -> CheckResult:
        cell = self.cell()
        res = prove_at(self.expr(cell), cell, self.of, self.wrt, self.n, self.d)
        if res.holds:
            return CheckResult(self.kind, True, detail=self.method)
        cx = {
            "n": res.n,
            "d": res.d,
            "entry": list(res.entry) if res.entry else None,
            "difference": sp.sstr(res.residual),
        }
        return CheckResult(
            self.kind, False, counterexample=cx, detail=f"{self.method}: entry {res.entry} differs"
        )


@dataclass(frozen=True)
class Generic:
    """A SymPy fact: ``fact()`` returns True/False, or (bool, detail)."""

    fact: Callable[[], Any]
    method: str = "generic"
    kind: str = "symbolic"

    def run(self, seed: int = 0) -> CheckResult:
        return _timed(self.kind, self._run)

    def _run(self) -> CheckResult:
        out = self.fact()
        ok, detail = out if isinstance(out, tuple) else (out, "")
        ok = bool(ok is True or ok == sp.true)
        return CheckResult(
            self.kind,
            ok,
            detail=f"{self.method}: {detail}".rstrip(": "),
            counterexample=None if ok else {"detail": str(detail)},
        )


def _compare(lhs, rhs, relation: str, scale: str) -> float:
    a = np.asarray(lhs, dtype=np.float64)
    b = np.asarray(rhs, dtype=np.float64)
    if a.shape != b.shape and relation in ("=", "→"):
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    if relation in ("=", "→"):
        err = np.abs(a - b).max(initial=0.0)
        if scale == "relative":
            s = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
            return float(err / s) if s > 0 else 0.0
        return float(err)
    if relation in ("≤", "<"):
        viol = a - b
    else:  # ≥, >
        viol = b - a
    worst = float(viol.max(initial=-np.inf))
    if relation in ("<", ">") and worst >= 0:
        return max(worst, np.finfo(float).tiny)  # equality violates a strict relation
    return max(worst, 0.0)


@dataclass(frozen=True)
class Numeric:
    """``sample(rng)`` gives (lhs, rhs) or (lhs, rhs, instance) as arrays; on ``trials``
    seeded instances the relation must hold within ``tol``.

    Error for "=" (and "→", a value against its limit): max |lhs − rhs| relative to the
    largest entry (``scale="relative"``) or absolute; for inequalities the largest
    violation (0 when it holds).
    """

    sample: Callable[[np.random.Generator], tuple]
    relation: str = "="
    tol: float = 1e-9
    trials: int = 3
    scale: str = "relative"
    method: str = "random instances against the NumPy cells"
    kind: str = "numeric"

    def run(self, seed: int = 0, rng: np.random.Generator | None = None) -> CheckResult:
        rng = np.random.default_rng(seed) if rng is None else rng
        return _timed(self.kind, lambda: self._run(rng))

    def _run(self, rng) -> CheckResult:
        worst, worst_case = 0.0, None
        for trial in range(self.trials):
            out = self.sample(rng)
            lhs, rhs = out[0], out[1]
            instance = out[2] if len(out) > 2 else {}
            err = _compare(lhs, rhs, self.relation, self.scale)
            if worst_case is None or err > worst:
                worst = err
                worst_case = {
                    "trial": trial,
                    **instance,
                    "lhs": np.asarray(lhs),
                    "rhs": np.asarray(rhs),
                }
        ok = worst <= self.tol
        if self.relation in ("<", ">") and worst > 0:
            ok = False
        return CheckResult(
            self.kind,
            ok,
            max_error=worst,
            counterexample=None if ok else worst_case,
            detail=f"{self.method}: {self.trials} instances, max error {worst:.2e} (tol {self.tol:g})",
        )


@dataclass(frozen=True)
class Counterexample:
    """``search(rng)`` returns a witness (dict) violating the statement without its
    condition, or None; the check passes when a witness is found within ``trials``."""

    search: Callable[[np.random.Generator], dict | None]
    trials: int = 20
    method: str = "counterexample search (the condition is needed)"
    kind: str = "numeric"

    def run(self, seed: int = 0, rng: np.random.Generator | None = None) -> CheckResult:
        rng = np.random.default_rng(seed) if rng is None else rng
        return _timed(self.kind, lambda: self._run(rng))

    def _run(self, rng) -> CheckResult:
        for trial in range(self.trials):
            witness = self.search(rng)
            if witness is not None:
                return CheckResult(
                    self.kind,
                    True,
                    max_error=None,
                    counterexample={"trial": trial, **witness},
                    detail=f"{self.method}: witness found at trial {trial}",
                )
        return CheckResult(
            self.kind, False, detail=f"{self.method}: no witness in {self.trials} trials"
        )


def run_check(check, seed: int, *labels: object) -> CheckResult:
    """Run one check with the generator of its place (claim id, step, kind)."""
    rng = rng_for(seed, *labels)
    if isinstance(check, (Numeric, Counterexample)):
        return check.run(seed, rng=rng)
    return check.run(seed)
