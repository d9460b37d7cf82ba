"""A claim of the notes as a chain of checked steps.

A :class:`Claim` is one small declaration that reads like the slide: its id (as in
CLAIMS.md), a title, the statement (plain text, plus a SymPy ``formula`` for LaTeX), the
assumptions, the steps and the source notes. A :class:`Step` is one line of the
derivation,

    lhs  relation  rhs        (justification, as the notes print it)

with ``relation`` one of "=", "≤", "<", "≥", "→", and up to two checks: ``symbolic`` (SymPy:
an identity at fixed n, or a generic fact — a limit, a maximum, an index-notation proof)
and ``numeric`` (random instances against the NumPy cells, or a counterexample search for a
condition the claim needs). A renderer prints a step as the ``align`` line
``lhs &= rhs && \\text{(justification)}`` with ``gradsym.symbolic.NotesLatexPrinter``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import sympy as sp

from gradsym.errors import InvalidValueError
from gradsym.symbolic import notes_latex

RELATIONS = ("=", "≤", "<", "≥", ">", "→", "≠")
_LATEX_RELATION = {
    "=": "=",
    "≤": r"\leq",
    "<": "<",
    "≥": r"\geq",
    ">": ">",
    "→": r"\to",
    "≠": r"\neq",
}

SECTIONS = (
    "Backpropagation through time",
    "Vanilla RNN",
    "Exploding gradients",
    "Fixes for vanishing gradients",
    "LSTM",
    "LSTM with peephole connections",
    "GRU",
    "Bidirectional and multi-layer RNNs",
    "Parameter counts",
)


@dataclass
class CheckResult:
    """The outcome of one check.

    ``passed``; ``max_error`` (numeric checks: the largest scaled error or violation seen,
    else None); ``counterexample`` (a dict: the instance on which an identity failed, or
    the witness a counterexample search found); ``seconds``; ``detail`` (one line).
    """

    kind: str
    passed: bool
    max_error: float | None = None
    counterexample: dict[str, Any] | None = None
    seconds: float = 0.0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "passed": self.passed,
            "max_error": self.max_error,
            "counterexample": _jsonable(self.counterexample),
            "seconds": round(self.seconds, 4),
            "detail": self.detail,
        }


class Check(Protocol):
    """Anything with ``kind`` ("symbolic" or "numeric"), ``method`` and ``run(seed)``."""

    kind: str
    method: str

    def run(self, seed: int) -> CheckResult: ...


@dataclass(frozen=True)
class Step:
    """lhs ``relation`` rhs, with the notes' justification and its checks."""

    lhs: Any
    rhs: Any
    relation: str = "="
    justification: str = ""
    symbolic: Check | None = None
    numeric: Check | None = None

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise InvalidValueError(
                f"relation must be one of {', '.join(RELATIONS)}, got {self.relation!r}"
            )

    @property
    def text(self) -> str:
        """The step in plain text: ``lhs = rhs  (justification)``."""
        just = f"  ({self.justification})" if self.justification else ""
        return f"{_text(self.lhs)} {self.relation} {_text(self.rhs)}{just}"

    def latex(self, style: str = "001") -> str:
        """``lhs &= rhs && \\text{(justification)}``, an ``align`` line."""
        rel = _LATEX_RELATION[self.relation]
        line = f"{_latex(self.lhs, style)} &{rel} {_latex(self.rhs, style)}"
        if self.justification:
            line += rf" && \text{{({self.justification})}}"
        return line

    @property
    def checks(self) -> list[Check]:
        return [c for c in (self.symbolic, self.numeric) if c is not None]


@dataclass(frozen=True)
class Claim:
    """One claim of CLAIMS.md: id, statement, assumptions, steps, sources, section.

    ``formula`` is the statement as (lhs, relation, rhs) SymPy objects (for LaTeX);
    ``caveat`` says where the notes are loose and which precise version is proved.
    """

    id: str
    title: str
    statement: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    sources: tuple[str, ...]
    section: str
    caveat: str | None = None
    formula: tuple[Any, str, Any] | None = None
    style: str = "001"
    parent: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise InvalidValueError(
                f"claim {self.id!r}: section must be one of {SECTIONS}, got {self.section!r}"
            )
        if not self.steps:
            raise InvalidValueError(f"claim {self.id!r} has no steps")

    @property
    def statement_latex(self) -> str:
        """The formula in the notes' LaTeX (empty when the claim has none)."""
        if self.formula is None:
            return ""
        lhs, rel, rhs = self.formula
        return f"{_latex(lhs, self.style)} {_LATEX_RELATION[rel]} {_latex(rhs, self.style)}"

    def with_step(self, index: int, step: Step) -> Claim:
        """A copy with step ``index`` replaced (to see a broken derivation fail)."""
        steps = list(self.steps)
        steps[index] = step
        return replace(self, steps=tuple(steps))


def _text(e: Any) -> str:
    if isinstance(e, str):
        return e
    return sp.sstr(e) if isinstance(e, sp.Basic) else str(e)


def _latex(e: Any, style: str) -> str:
    if isinstance(e, str):
        return rf"\text{{{e}}}"
    return notes_latex(e, style)


def _jsonable(v: Any) -> Any:
    import numpy as np

    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if np.isfinite(v) else str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return _jsonable(v.item())
    return str(v)
