r"""Drawing a sheet for a seed, the answer file, and grading it with the checker.

``draw(seed)`` gives every exercise's question for that seed: without a seed the notes'
version (question 0), with one a variant drawn per exercise from the seed and the
exercise's id, so that two students with two seeds get different questions training the
same skills, and one seed always gives the same sheet.

The answer file is plain TOML (:func:`answer_template` writes it)::

    seed = 7
    student = "Ada"

    [rnn-recurrent-jacobian]       # 2.1 The recurrent Jacobian
    answer = "diag(tanh'(z)) @ W_h"

    [gru-error]                    # 7.3 Find the error: the GRU
    line = 3
    answer = "W_h @ (diag(r) + diag(h_prev * σ'(z_r)) @ W_r)"

:func:`grade` judges every answer with the checker (a Jacobian with
:func:`~gradsym.checker.check_jacobian`, a number or a count exactly) and gives per exercise
the outcome, the points, and for a wrong answer a hint made from the checker's diagnosis
(:mod:`.hints`) that does not give the answer away.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from gradsym.errors import CandidateError, InvalidValueError, unknown_name
from gradsym.lang.parser import count_nodes, parse_scalar
from gradsym.notes.prose import to_unicode

from .catalogue import SECTIONS, exercises
from .hints import finding_hint
from .model import (
    ErrorQuestion,
    Exercise,
    JacobianQuestion,
    Question,
    ScalarQuestion,
    parse_answer,
)

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "OUTCOMES",
    "Drawn",
    "Grade",
    "Result",
    "answer_template",
    "draw",
    "grade",
    "read_answers",
]

#: What a graded answer can be: the checker's three verdicts, and two of the grader's own.
OUTCOMES = ("holds", "refuted", "undecided", "unanswered", "unreadable")
MAX_ANSWER_FILE = 1_000_000  # bytes
MAX_SCALAR_NODES = 300
TIME_LIMIT = 30.0  # seconds for each symbolic proof of a Jacobian answer


@dataclass(frozen=True)
class Drawn:
    """An exercise's question on one sheet: ``number`` ("7.3": section 7, third exercise),
    the exercise, which ``variant`` of it, and the question."""

    number: str
    exercise: Exercise
    variant: int
    question: Question

    @property
    def id(self) -> str:
        return self.exercise.id


def _variant(exercise: Exercise, seed: int | None) -> int:
    if seed is None:
        return 0
    rng = np.random.default_rng([seed, zlib.crc32(exercise.id.encode())])
    return int(rng.integers(len(exercise.questions)))


def draw(seed: int | None = None, sections=None) -> list[Drawn]:
    """Every exercise's question for ``seed`` (None: the notes' version), numbered by
    section, in the order of the lecture; ``sections`` keeps only those sections."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidValueError(f"seed must be an integer ≥ 0 (or None), got {seed!r}")
    out = []
    for s_no, section in enumerate(SECTIONS, start=1):
        if sections is not None and section not in sections:
            continue
        for k, e in enumerate(exercises(section), start=1):
            v = _variant(e, seed)
            out.append(Drawn(f"{s_no}.{k}", e, v, e.questions[v]))
    return out


# -- the answer file ------------------------------------------------------------------------------------


def _toml_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def answer_template(seed: int | None = None, answers: Mapping[str, Any] | None = None) -> str:
    """The answer file for ``seed``: every exercise's table with an empty answer (or the
    given ``answers``: id → answer string, or (line, answer) for a derivation)."""
    lines = [
        "# Answers to the exercises, written in the checker's grammar:",
        "#   @ the matrix product, ∘ (or hadamard(a, b)) the entrywise product, diag(v),",
        "#   σ'(z) and tanh'(z) the derivatives, W.T the transpose, 1 - u, block([[A, B], [C, D]]);",
        "#   a number or a count as a number or an expression (4*(n*n + n*d + n), 3/4).",
        "# Grade them with: gradsym grade THIS_FILE",
        "",
        f"seed = {seed}" if seed is not None else "# seed = 0  (none: the questions of the notes)",
        'student = ""',
        "",
    ]
    for d in draw(seed):
        q = d.question
        given = (answers or {}).get(d.id)
        lines.append(f"[{d.id}]  # {d.number} {q.title}")
        if isinstance(q, ErrorQuestion):
            line, text = given if given else (0, "")
            lines.append(f"line = {line}")
        else:
            text = given or ""
        lines.append(f"answer = {_toml_string(text)}")
        lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class Answers:
    """An answer file read: its ``seed`` (None: the notes' questions), the ``student``'s
    name and the answers by exercise id (a string, or (line, string) for a derivation)."""

    seed: int | None
    student: str
    answers: dict[str, Any]


def read_answers(path: str | Path) -> Answers:
    """The answer file at ``path``, checked: InvalidValueError (one line, naming the file)
    for anything but the keys :func:`answer_template` writes, with values of their types;
    UnknownNameError for an exercise id that does not exist."""
    p = Path(path)
    if not str(path):
        raise InvalidValueError("the answer file's path is empty")
    if not p.is_file():
        raise InvalidValueError(
            f"answer file {str(p)!r} " + ("is not a file" if p.exists() else "does not exist")
        )
    if p.stat().st_size > MAX_ANSWER_FILE:
        raise InvalidValueError(f"{p.name}: larger than {MAX_ANSWER_FILE} bytes")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidValueError(f"{p.name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValueError(f"{p.name}: not valid TOML: {exc}") from None
    return answers_from(data, p.name)


def answers_from(data: Mapping[str, Any], where: str = "answers") -> Answers:
    """:class:`Answers` from a mapping as the TOML file holds it (checked as
    :func:`read_answers` does)."""
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidValueError(f"{where}: seed must be an integer ≥ 0, got {seed!r}")
    student = data.get("student", "")
    if not isinstance(student, str):
        raise InvalidValueError(f"{where}: student must be a string, got {student!r}")
    known = {e.id: e for e in exercises()}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("seed", "student"):
            continue
        if key not in known:
            raise unknown_name("exercise", key, known)
        if not isinstance(value, dict):
            raise InvalidValueError(
                f'{where}: [{key}] must be a table with answer = "…", got {value!r}'
            )
        extra = sorted(set(value) - {"answer", "line"})
        if extra:
            raise InvalidValueError(f"{where}: [{key}] has unknown key(s) {', '.join(extra)}")
        text = value.get("answer", "")
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = repr(text)  # answer = 9 or 0.25 for a count or a bound: as it was typed
        if not isinstance(text, str):
            raise InvalidValueError(
                f"{where}: [{key}] answer must be a string (or a number), got {text!r}"
            )
        is_error = known[key].skill == "error"
        if "line" in value and not is_error:
            raise InvalidValueError(f"{where}: [{key}] has no line (it is not a derivation)")
        if is_error:
            line = value.get("line", 0)
            if isinstance(line, bool) or not isinstance(line, int) or line < 0:
                raise InvalidValueError(
                    f"{where}: [{key}] line must be a line number (0: not answered), got {line!r}"
                )
            out[key] = (line, text)
        else:
            out[key] = text
    return Answers(seed, student, out)


# -- grading -------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One exercise graded: its ``number`` and ``id``, the ``outcome`` (one of
    :data:`OUTCOMES`), ``points`` of ``max_points``, a ``hint`` (Unicode text; empty when
    right), the ``kinds`` of mistake found, and for the instructor the checker's own
    ``diagnosis`` and the reference answer."""

    number: str
    id: str
    title: str
    skill: str
    outcome: str
    points: int
    max_points: int
    hint: str = ""
    kinds: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    reference: str = ""

    def to_dict(self, instructor: bool = False) -> dict[str, Any]:
        out = {
            "number": self.number,
            "id": self.id,
            "title": self.title,
            "skill": self.skill,
            "outcome": self.outcome,
            "points": self.points,
            "max_points": self.max_points,
            "hint": self.hint,
            "kinds": list(self.kinds),
        }
        if instructor:
            out["diagnosis"] = list(self.diagnosis)
            out["reference"] = self.reference
        return out


@dataclass
class Grade:
    """A graded answer file: the ``seed``, the ``student`` and one :class:`Result` per
    exercise of the sheet."""

    seed: int | None
    student: str
    results: list[Result] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.max_points for r in self.results)

    def counts(self) -> dict[str, int]:
        return {o: sum(r.outcome == o for r in self.results) for o in OUTCOMES}

    @property
    def passed(self) -> bool:
        """Every answer right."""
        return self.score == self.max_score

    def summary(self) -> str:
        c = self.counts()
        parts = [f"{c['holds']} right", f"{c['refuted']} wrong"]
        for o, said in (
            ("undecided", "undecided"),
            ("unreadable", "unreadable"),
            ("unanswered", "unanswered"),
        ):
            if c[o]:
                parts.append(f"{c[o]} {said}")
        pct = 100 * self.score / self.max_score if self.max_score else 0.0
        return f"score {self.score}/{self.max_score} ({pct:.0f} %): " + ", ".join(parts)

    def report(self) -> str:
        """The grades as the terminal shows them: a line per exercise, its hint under it."""
        mark = {
            "holds": "✓",
            "refuted": "✗",
            "undecided": "?",
            "unanswered": "·",
            "unreadable": "✗",
        }
        who = f" for {self.student}" if self.student else ""
        seed = "the notes' questions" if self.seed is None else f"seed {self.seed}"
        lines = [f"Exercises{who} ({seed})"]
        for r in self.results:
            lines.append(
                f"  {mark[r.outcome]} {r.number:5} {r.title:42} {r.points}/{r.max_points}  "
                f"{r.outcome}"
            )
            if r.hint:
                lines.append(f"          hint: {r.hint}")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self, instructor: bool = False) -> dict[str, Any]:
        """Everything for a learning platform: the score, the counts, every result (the
        checker's diagnosis and the reference answers only for ``instructor``)."""
        return {
            "seed": self.seed,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "passed": self.passed,
            "counts": self.counts(),
            "summary": self.summary(),
            "results": [r.to_dict(instructor) for r in self.results],
        }


def _counterexample_hint(verdict) -> str:
    cx = verdict.counterexample or {}
    entries = cx.get("entries") or []
    if not entries:
        return "Your answer is not the Jacobian; no standard mistake explains the difference."
    i, j, a, b = entries[0]
    return (
        f"Your answer is not the Jacobian: with n = {cx['n']}, d = {cx['d']} and random "
        f"weights, its entry ({i + 1}, {j + 1}) is {a:.4g} where the Jacobian's is {b:.4g}. "
        "No standard mistake explains the difference: derive it again, one dependence at a "
        "time."
    )


def _grade_block(q, text: str, of: str, time_limit: float) -> tuple[str, str, tuple, tuple]:
    """(outcome, hint, kinds, diagnosis) of a Jacobian answer for block ∂of/∂wrt.

    A refuted answer is first compared with the question's known wrong answers (the
    other convention, a factor left out: their hints are the question's own), then
    diagnosed by the checker's standard mistakes."""
    from gradsym.checker import check_jacobian

    if not text.strip():
        return "unanswered", "", (), ()
    c = q.cell_obj
    try:
        candidate = parse_answer(text, c)
        verdict = check_jacobian(
            c, candidate, of=of, wrt=q.wrt, time_limit=time_limit, diagnose=False
        )
    except CandidateError as exc:
        return "unreadable", f"Your answer could not be judged: {exc}", ("unreadable",), ()
    if verdict.holds:
        return "holds", "", (), ()
    if verdict.undecided:
        hint = (
            "The checker finds your answer equal to the Jacobian at every test point but "
            "could not prove it; your lecturer will look at it."
        )
        return "undecided", hint, ("undecided",), ()
    for known in q.known:
        if _is_known_block(q, candidate, known.answer, of, time_limit):
            return "refuted", to_unicode(known.hint), (known.name,), ()
    verdict = check_jacobian(c, candidate, of=of, wrt=q.wrt, time_limit=time_limit)
    if verdict.findings:
        f = verdict.findings[0]
        hint = q.hint_for(f.kind) if not f.block else ""
        hint = hint or finding_hint(f, c, of, q.wrt)
        kinds = tuple(x.kind for x in verdict.findings)
        return "refuted", to_unicode(hint), kinds, verdict.diagnosis
    return "refuted", _counterexample_hint(verdict), ("other",), verdict.diagnosis


def _is_known_block(q, candidate, known: str, of: str, time_limit: float) -> bool:
    from sympy import MatAdd, MatMul

    from gradsym.checker import check_jacobian

    c = q.cell_obj
    reference = q.expr if isinstance(q, JacobianQuestion) else None
    if reference is None:
        return False
    wrong = parse_answer(known, c)
    if candidate.shape != wrong.shape:
        return False
    shifted = MatAdd(candidate, MatMul(-1, wrong), reference)
    verdict = check_jacobian(
        c, shifted, of=of, wrt=q.wrt, time_limit=time_limit, diagnose=False, trials=2
    )
    return verdict.holds


def _scalar_equal(a: sp.Expr, b: sp.Expr, names) -> tuple[str, dict | None]:
    """("holds" | "refuted" | "undecided", a point where they differ): exact values at
    seeded points decide a difference, a symbolic simplification the equality."""
    diff = a - b
    if diff == 0:
        return "holds", None
    rng = np.random.default_rng(0)
    for _ in range(6):
        point = {}
        for s in names:
            if s.integer:
                point[s.symbol] = sp.Integer(int(rng.integers(2, 9)))
            else:
                point[s.symbol] = sp.Rational(int(rng.integers(1, 19)), int(rng.integers(2, 11)))
        value = diff.subs(point)
        if value.is_Rational:
            if value != 0:
                return "refuted", point
            continue
        approx = sp.N(value, 50)
        if approx.is_number and abs(approx) > sp.Float("1e-30"):
            return "refuted", point
    if sp.simplify(diff) == 0:
        return "holds", None
    return "undecided", None


def _grade_scalar(q: ScalarQuestion, text: str) -> tuple[str, str, tuple]:
    if not text.strip():
        return "unanswered", "", ()
    try:
        value = parse_scalar(text, q.table)
        if count_nodes(value) > MAX_SCALAR_NODES:
            raise CandidateError(f"the answer is too large (more than {MAX_SCALAR_NODES} nodes)")
    except CandidateError as exc:
        return "unreadable", f"Your answer could not be read: {exc}", ("unreadable",)
    outcome, point = _scalar_equal(value, q.expr, q.names)
    if outcome == "holds":
        return "holds", "", ()
    if outcome == "undecided":
        hint = "The checker could not decide whether your expression is right; your lecturer will."
        return "undecided", hint, ("undecided",)
    for known in q.known:
        if _scalar_equal(value, parse_scalar(known.answer, q.table), q.names)[0] == "holds":
            return "refuted", to_unicode(known.hint), (known.name,)
    if q.names:
        at = ", ".join(f"{s.name} = {point[s.symbol]}" for s in q.names)
        shown = value.subs(point)
        shown = shown if shown.is_Rational else sp.N(shown, 6)
        hint = f"Not right: at {at} your expression is {shown}, which is not the answer."
    else:
        hint = "Not right: compute it again from the definition."
    return "refuted", hint, ("other",)


def _grade_error(q: ErrorQuestion, given, time_limit: float):
    line, text = given if isinstance(given, tuple) else (0, given or "")
    if not line and not text.strip():
        return "unanswered", 0, "", (), ()
    points, hints, kinds, diagnosis = 0, [], [], ()
    n = len(q.lines)
    if line == q.wrong_line:
        points += 1
    elif not 1 <= line <= n:
        hints.append(f"Name the first wrong line, a number from 1 to {n}.")
        kinds.append("line")
    elif line not in q.changed():
        hints.append(f"Line {line} is right as printed.")
        kinds.append("line")
    else:
        hints.append(
            f"Line {line} is wrong, but it inherits its mistake from an earlier line: find "
            "where it first appears."
        )
        kinds.append("line")
    if line == q.wrong_line:
        of = q.lines[line - 1][0]
        outcome, hint, found, diagnosis = _grade_block(q, text, of, time_limit)
        if outcome == "holds":
            points += 1
        elif outcome == "unanswered":
            hints.append("Give the line corrected as well.")
        else:
            hints.append(hint)
            kinds += list(found)
    outcome = "holds" if points == q.points else "refuted"
    return outcome, points, " ".join(hints), tuple(kinds), diagnosis


def grade(
    answers: Answers | Mapping[str, Any],
    seed: int | None = None,
    *,
    student: str = "",
    time_limit: float = TIME_LIMIT,
) -> Grade:
    """Grade ``answers`` (an :class:`Answers`, or a mapping id → answer with ``seed``):
    every exercise of the sheet gets a :class:`Result`, unanswered ones included."""
    if not isinstance(answers, Answers):
        answers = answers_from({"seed": seed, "student": student, **_as_tables(answers)})
        answers = Answers(seed, student, answers.answers)
    out = Grade(answers.seed, answers.student)
    for d in draw(answers.seed):
        q, given = d.question, answers.answers.get(d.id)
        reference = getattr(q, "answer", "")
        common = {
            "number": d.number,
            "id": d.id,
            "title": q.title,
            "skill": d.exercise.skill,
            "max_points": q.points,
            "reference": reference,
        }
        if isinstance(q, ErrorQuestion):
            reference = f"line {q.wrong_line}: {q.answer}"
            common["reference"] = reference
            outcome, points, hint, kinds, diagnosis = _grade_error(q, given, time_limit)
            out.results.append(
                Result(
                    outcome=outcome,
                    points=points,
                    hint=hint,
                    kinds=kinds,
                    diagnosis=diagnosis,
                    **common,
                )
            )
        elif isinstance(q, JacobianQuestion):
            outcome, hint, kinds, diagnosis = _grade_block(q, given or "", q.of, time_limit)
            out.results.append(
                Result(
                    outcome=outcome,
                    points=q.points if outcome == "holds" else 0,
                    hint=hint,
                    kinds=kinds,
                    diagnosis=diagnosis,
                    **common,
                )
            )
        else:
            outcome, hint, kinds = _grade_scalar(q, given or "")
            out.results.append(
                Result(
                    outcome=outcome,
                    points=q.points if outcome == "holds" else 0,
                    hint=hint,
                    kinds=kinds,
                    **common,
                )
            )
    return out


def _as_tables(answers: Mapping[str, Any]) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, tuple):
            tables[key] = {"line": value[0], "answer": value[1]}
        elif isinstance(value, dict):
            tables[key] = value
        else:
            tables[key] = {"answer": value}
    return tables
