"""A claim of the notes as a chain of checked steps.

A :class:`Claim` is one small declaration that reads like the slide: its id (the
kebab-case name ``gradsym verify`` shows), a title, the statement, the assumptions, the cells whose equations it uses,
the definitions it prints (z⁽ᵗ⁾ = …, ℓ = i − j), the steps and the source notes. A
:class:`Step` is one line of the derivation,

    lhs  relation  rhs    for <where>, if <hypotheses>    (justification)

whose pieces are SymPy objects (:mod:`.notation`). ``relation`` is one of "=", "≠", "≤",
"<", "≥", ">", "→" (with ``limit=(ℓ, ∞)``: lhs tends to rhs as ℓ → ∞) and "∈" (rhs an
interval). ``where`` substitutes values into the display (W_h = 2Q, u⁽ᵗ⁾ = 0), and the
``hypotheses`` are conditions the step needs (‖∂F_l/∂x‖₂ ≤ 1): both are printed, and a
check evaluates the relation only on instances where every hypothesis holds.

A step's checks (:mod:`.checks`) receive the step and evaluate *its* lhs, rhs, where and
hypotheses on instances a model provides — so the printed line is the checked object.
The renderer reads the pieces (``lhs_latex``, ``relation_latex``, ``rhs_latex``,
``conditions_latex``, ``justification``); it never parses LaTeX.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import sympy as sp

from gradsym.errors import InvalidValueError
from gradsym.symbolic import notes_latex

RELATIONS = ("=", "≠", "≤", "<", "≥", ">", "→", "∈", "∉")
LATEX_RELATION = {
    "=": "=",
    "≠": r"\neq",
    "≤": r"\leq",
    "<": "<",
    "≥": r"\geq",
    ">": ">",
    "→": r"\to",
    "∈": r"\in",
    "∉": r"\notin",
}
FLIPPED = {"≤": ">", ">": "≤", "<": "≥", "≥": "<", "=": "≠", "≠": "=", "∈": "∉", "∉": "∈"}

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
    "Declared cells",  # a user's cell from its equations (gradsym derive --cell-file)
)


@dataclass
class CheckResult:
    """The outcome of one check.

    ``passed``; ``max_error`` (numeric checks: the largest scaled error or violation seen,
    else None); ``counterexample`` (a dict: the instance on which the step failed);
    ``seconds``; ``detail`` (one line); ``skipped`` (the check could not run here, e.g.
    torch is not installed: not a failure, and said); ``instances`` (evaluated) and
    ``excluded`` (instances whose hypotheses did not hold); ``visited`` (the displayed
    atoms the evaluation reached — every atom of the step, by construction).
    """

    kind: str
    passed: bool
    max_error: float | None = None
    counterexample: dict[str, Any] | None = None
    seconds: float = 0.0
    detail: str = ""
    skipped: bool = False
    instances: int = 0
    excluded: int = 0
    visited: frozenset = field(default_factory=frozenset, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "passed": self.passed,
            "skipped": self.skipped,
            "max_error": self.max_error,
            "counterexample": _jsonable(self.counterexample),
            "seconds": round(self.seconds, 4),
            "detail": self.detail,
            "instances": self.instances,
            "excluded": self.excluded,
        }


class Check(Protocol):
    """``kind`` ("symbolic" or "numeric"), ``method``, ``run(step, seed, rng)``."""

    kind: str
    method: str

    def run(self, step: Step, seed: int = 0, rng=None) -> CheckResult: ...


@dataclass(frozen=True)
class Condition:
    """lhs relation rhs, printed with the step and evaluated on every instance."""

    lhs: Any
    relation: str
    rhs: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "lhs", sp.sympify(self.lhs, strict=True))
        object.__setattr__(self, "rhs", sp.sympify(self.rhs, strict=True))
        if self.relation not in RELATIONS or self.relation == "→":
            raise InvalidValueError(
                f"a condition's relation must be one of =, ≠, ≤, <, ≥, >, ∈, got {self.relation!r}"
            )

    def latex(self, style: str = "001") -> str:
        return (
            f"{notes_latex(self.lhs, style)} {LATEX_RELATION[self.relation]} "
            f"{notes_latex(self.rhs, style)}"
        )

    @property
    def text(self) -> str:
        return f"{sp.sstr(self.lhs)} {self.relation} {sp.sstr(self.rhs)}"


def _basic(part: str, e: Any) -> sp.Basic:
    if isinstance(e, str) or not isinstance(e, (sp.Basic, sp.MatrixBase)):
        raise InvalidValueError(
            f"a step's {part} must be a SymPy object (what is printed is what is checked), "
            f"got {type(e).__name__}: {e!r}"
        )
    return e


@dataclass(frozen=True)
class Step:
    """lhs relation rhs, with its justification, where, hypotheses and checks."""

    lhs: Any
    relation: str
    rhs: Any
    justification: str
    checks: tuple[Check, ...] = ()
    hypotheses: tuple[Condition, ...] = ()
    where: tuple[tuple[Any, Any], ...] = ()
    limit: tuple[sp.Symbol, Any] | None = None
    definitions: tuple[tuple[Any, Any], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.relation not in RELATIONS:
            raise InvalidValueError(
                f"relation must be one of {', '.join(RELATIONS)}, got {self.relation!r}"
            )
        for part in ("lhs", "rhs"):
            if isinstance(getattr(self, part), (int, float)):
                object.__setattr__(self, part, sp.sympify(getattr(self, part), strict=True))
        object.__setattr__(
            self,
            "where",
            tuple(
                (a, sp.sympify(v, strict=True) if isinstance(v, (int, float)) else v)
                for a, v in self.where
            ),
        )
        _basic("lhs", self.lhs)
        _basic("rhs", self.rhs)
        for atom, value in self.where:
            _basic("where", atom)
            _basic("where", value)
        for c in self.hypotheses:
            if not isinstance(c, Condition):
                raise InvalidValueError(f"a hypothesis must be a Condition, got {c!r}")
        if (self.relation == "→") != (self.limit is not None):
            raise InvalidValueError("a step with relation → needs limit=(variable, target)")

    # -- the pieces, for renderers --------------------------------------------------------

    def lhs_latex(self, style: str = "001") -> str:
        return notes_latex(self.lhs, style)

    def rhs_latex(self, style: str = "001") -> str:
        return notes_latex(self.rhs, style)

    def relation_latex(self, style: str = "001") -> str:
        if self.relation == "→":
            var, target = self.limit
            return rf"\xrightarrow{{{notes_latex(var, style)} \to {notes_latex(target, style)}}}"
        return LATEX_RELATION[self.relation]

    def where_latex(self, style: str = "001") -> list[str]:
        """``atom = value`` for each substitution of ``where``."""
        return [f"{notes_latex(a, style)} = {notes_latex(v, style)}" for a, v in self.where]

    def hypotheses_latex(self, style: str = "001") -> list[str]:
        return [c.latex(style) for c in self.hypotheses]

    def conditions_latex(self, style: str = "001") -> str:
        """``\\text{for } … \\text{ if } …`` (empty without where and hypotheses)."""
        parts = []
        if self.where:
            parts.append(r"\text{for } " + ", ".join(self.where_latex(style)))
        if self.hypotheses:
            parts.append(r"\text{if } " + ", ".join(self.hypotheses_latex(style)))
        return r"\quad ".join(parts)

    def latex(self, style: str = "001") -> str:
        """The step as one ``align`` line: ``lhs &= rhs \\quad … && \\text{(why)}``."""
        line = f"{self.lhs_latex(style)} &{self.relation_latex(style)} {self.rhs_latex(style)}"
        cond = self.conditions_latex(style)
        if cond:
            line += r" \quad " + cond
        if self.justification:
            line += rf" && \text{{({self.justification})}}"
        return line

    @property
    def text(self) -> str:
        """The step in plain text: ``lhs = rhs  for …, if …  (justification)``."""
        rel = self.relation
        if self.limit is not None:
            rel = f"→ ({sp.sstr(self.limit[0])} → {sp.sstr(self.limit[1])})"
        out = f"{sp.sstr(self.lhs)} {rel} {sp.sstr(self.rhs)}"
        if self.where:
            out += "  for " + ", ".join(f"{sp.sstr(a)} = {sp.sstr(v)}" for a, v in self.where)
        if self.hypotheses:
            out += "  if " + ", ".join(c.text for c in self.hypotheses)
        if self.justification:
            from .prose import to_unicode

            out += f"  ({to_unicode(self.justification)})"
        return out

    @property
    def symbolic(self) -> Check | None:
        return next((c for c in self.checks if c.kind == "symbolic"), None)

    @property
    def numeric(self) -> Check | None:
        return next((c for c in self.checks if c.kind == "numeric"), None)


@dataclass(frozen=True)
class Claim:
    """One claim of the notes: id, statement, assumptions, steps, sources, section.

    ``cells`` are the symbolic cells whose equations the derivation uses (printed with
    it); ``definitions`` the (lhs, rhs) pairs it prints and evaluates (``z⁽ᵗ⁾ = W_h h⁽ᵗ⁻¹⁾
    + …``, ``ℓ = i − j``); ``formula`` the index of the step whose relation is the claim's
    statement in formula form (None: no formula); ``caveat`` says where the notes are loose
    and which precise version is proved. The title, statement, assumptions, caveat, the
    steps' justifications and the checks' methods are LaTeX prose (:mod:`.prose`: ASCII,
    math in ``$…$``, sources by ``\\cite{key}``); ``sources`` are bibliography keys
    (:mod:`.bibliography`): the lecture notes ("001") and the papers ("pascanu2013").
    """

    id: str
    title: str
    statement: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    sources: tuple[str, ...]
    section: str
    caveat: str | None = None
    formula: int | None = None
    style: str = "001"
    cells: tuple[Any, ...] = ()
    definitions: tuple[tuple[Any, Any], ...] = ()
    parent: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise InvalidValueError(
                f"claim {self.id!r}: section must be one of {SECTIONS}, got {self.section!r}"
            )
        if not self.steps:
            raise InvalidValueError(f"claim {self.id!r} has no steps")
        if self.formula is not None and not 0 <= self.formula < len(self.steps):
            raise InvalidValueError(f"claim {self.id!r}: formula {self.formula} is not a step")
        for lhs, rhs in self.definitions:
            _basic("definition", lhs)
            _basic("definition", rhs)
        # every step evaluates with the claim's definitions, the ones printed with it
        steps = tuple(replace(s, definitions=self.definitions) for s in self.steps)
        object.__setattr__(self, "steps", steps)

    @property
    def formula_step(self) -> Step | None:
        return None if self.formula is None else self.steps[self.formula]

    @property
    def statement_latex(self) -> str:
        """The formula in the notes' LaTeX (empty when the claim has none)."""
        step = self.formula_step
        if step is None:
            return ""
        out = f"{step.lhs_latex(self.style)} {step.relation_latex(self.style)} "
        out += step.rhs_latex(self.style)
        cond = step.conditions_latex(self.style)
        return out + (r" \quad " + cond if cond else "")

    def definitions_latex(self) -> list[tuple[str, str]]:
        """(lhs, rhs) LaTeX of each printed definition."""
        return [
            (notes_latex(a, self.style), notes_latex(b, self.style)) for a, b in self.definitions
        ]

    def prose(self) -> list[tuple[str, str]]:
        """(part, text) of every piece of the claim's prose: title, statement,
        assumptions, justifications, caveat and check methods (LaTeX, printed as it is)."""
        parts = [("title", self.title), ("statement", self.statement)]
        parts += [(f"assumption {k}", a) for k, a in enumerate(self.assumptions, 1)]
        for k, step in enumerate(self.steps, 1):
            if step.justification:
                parts.append((f"step {k}, justification", step.justification))
            parts += [(f"step {k}, {c.kind} check", c.method) for c in step.checks]
        if self.caveat:
            parts.append(("caveat", self.caveat))
        return parts

    def with_step(self, index: int, step: Step) -> Claim:
        """A copy with step ``index`` replaced (to see a broken derivation fail)."""
        steps = list(self.steps)
        steps[index] = step
        return replace(self, steps=tuple(steps))


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
    if isinstance(v, sp.Basic):
        return sp.sstr(v)
    return str(v)
