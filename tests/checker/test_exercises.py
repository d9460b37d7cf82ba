"""The exercises: every reference answer is right, every wrong answer a student typically
gives is refuted with the hint its kind calls for, no hint gives the answer away, seeds draw
variants, and the answer file is graded end to end (``gradsym grade``)."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache

import pytest

from gradsym.checker import check_jacobian
from gradsym.checker.diagnosis import KINDS
from gradsym.checker.exercises import (
    SECTIONS,
    SKILLS,
    ErrorQuestion,
    JacobianQuestion,
    ScalarQuestion,
    answer_symbols,
    answer_template,
    answers_from,
    draw,
    exercises,
    get_exercise,
    grade,
    grammar_symbols,
    parse_answer,
    read_answers,
)
from gradsym.checker.exercises.grading import Drawn, _grade_block, _grade_error, _grade_scalar
from gradsym.cli import main
from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.notes.lecture import audit
from gradsym.notes.prose import check_prose, to_unicode
from gradsym.render.exercises import _blocks_tex, question_blocks
from gradsym.symbolic import cell as get_cell

# The tests judge the catalogue's own answers: no time limit, so that the proofs run in
# this process and share its caches (a student's answer is judged with one).
NO_LIMIT = None

QUESTIONS = [(e.id, k, q) for e in exercises() for k, q in enumerate(e.questions)]
IDS = [f"{i}[{k}]" for i, k, _ in QUESTIONS]


@cache
def _holds(cell: str, variant, of: str, wrt: str, text: str) -> bool:
    """Whether a line holds (the variants of a derivation share their right lines)."""
    c = get_cell(cell, variant)
    return check_jacobian(c, parse_answer(text, c), of=of, wrt=wrt, time_limit=NO_LIMIT).holds


@cache
def _graded(exercise_id: str, k: int, answer: str, line: int = 0):
    """(outcome, hint, kinds) of an answer to question k of an exercise."""
    q = get_exercise(exercise_id).questions[k]
    if isinstance(q, JacobianQuestion):
        outcome, hint, kinds, _ = _grade_block(q, answer, q.of, NO_LIMIT)
    elif isinstance(q, ScalarQuestion):
        outcome, hint, kinds = _grade_scalar(q, answer)
    else:
        outcome, _, hint, kinds, _ = _grade_error(q, (line, answer), NO_LIMIT)
    return outcome, hint, kinds


def test_every_section_has_two_to_four_exercises_and_every_skill_is_trained():
    per_section = Counter(e.section for e in exercises())
    assert set(per_section) == set(SECTIONS)
    assert all(2 <= k <= 4 for k in per_section.values()), per_section
    assert {e.skill for e in exercises()} == set(SKILLS)
    assert len({e.id for e in exercises()}) == len(exercises())


@pytest.mark.parametrize(("exercise_id", "k", "q"), QUESTIONS, ids=IDS)
def test_the_question_is_lecture_prose(exercise_id, k, q):
    for text in (
        q.statement,
        q.solution,
        *(known.hint for known in q.known),
        *dict(q.hints).values(),
    ):
        check_prose(text, f"{exercise_id}[{k}]")


@pytest.mark.parametrize(("exercise_id", "k", "q"), QUESTIONS, ids=IDS)
def test_the_reference_answer_holds(exercise_id, k, q):
    if isinstance(q, ErrorQuestion):
        assert _graded(exercise_id, k, q.answer, q.wrong_line)[0] == "holds"
    else:
        assert _graded(exercise_id, k, q.answer) == ("holds", "", ())


@pytest.mark.parametrize(
    ("exercise_id", "k", "q"), [x for x in QUESTIONS if isinstance(x[2], ErrorQuestion)]
)
def test_a_derivation_is_right_but_where_the_planted_mistake_changed_it(exercise_id, k, q):
    c = q.cell_obj
    for of, text in q.lines:  # the derivation, as it should read, holds line by line
        assert _holds(q.cell, q.variant, of, q.wrt, text), (of, text)
    changed = q.changed()
    assert changed[0] == q.wrong_line and changed[-1] == len(q.lines)  # the result inherits it
    for line, (of, text) in enumerate(q.printed(), start=1):
        candidate = parse_answer(text, c)
        verdict = check_jacobian(
            c, candidate, of=of, wrt=q.wrt, time_limit=NO_LIMIT, diagnose=False
        )
        assert verdict.outcome == ("refuted" if line in changed else "holds"), (line, text)


# Every question's typical wrong answers, the notes' questions and every seeded variant.
TYPICAL = [(i, k, q, w) for i, k, q in QUESTIONS for w in q.typical]

# What the general hint of each of the checker's kinds says (the words that name the
# mistake; a question's own hint or a known answer's replaces it).
KIND_WORDS = {
    "transpose": "transpose of the jacobian",
    "sign": "sign of the whole answer",
    "term-sign": "wrong sign",
    "hadamard": "entrywise product",
    "function": "derivative of an activation is wrong",
    "transposed-factor": "a matrix is transposed",
    "slice": "wrong columns",
    "constant": "rounded",
    "missing-term": "a term is missing",
    "extra-term": "a term too many",
    "gate-convention": "one minus it",
    "symbols-swapped": "two symbols are exchanged",
    "wrong-symbol": "does not belong",
    "blocks-exchanged": "wrong places",
}


@pytest.mark.parametrize(
    ("exercise_id", "k", "q", "wrong"),
    TYPICAL,
    ids=[f"{i}[{k}]-{w.kind}" for i, k, _, w in TYPICAL],
)
def test_a_typical_wrong_answer_is_refuted_with_its_hint(exercise_id, k, q, wrong):
    outcome, hint, kinds = _graded(exercise_id, k, wrong.answer, wrong.line)
    if wrong.kind == "shape":  # a matrix of the wrong shape: the layout is named
        assert outcome == "unreadable" and "shape" in hint
        return
    assert outcome == "refuted"
    assert wrong.kind in kinds, (kinds, hint)
    known = {x.name: x for x in q.known}
    if wrong.kind in known:  # the question's own words for this wrong answer
        assert to_unicode(known[wrong.kind].hint) in hint
    elif q.hint_for(wrong.kind):  # the question's own hint for the kind
        assert to_unicode(q.hint_for(wrong.kind)) in hint
    elif wrong.kind == "line":
        assert f"Line {wrong.line} " in hint
    elif wrong.kind == "other":
        assert "not the Jacobian" in hint or hint.startswith("Not right")
    else:  # the checker's diagnosis, said as the hint of its kind
        assert KIND_WORDS[wrong.kind] in hint.lower(), hint


def test_the_typical_mistakes_of_the_issue_are_all_shown_to_the_grader():
    """A transpose, σ′ for tanh′ (and back), a missing term and the other convention of
    the GRU are each among the typical wrong answers, on Jacobians of several cells."""
    by_kind: dict[str, set[str]] = {}
    for _, _, q, w in TYPICAL:
        if isinstance(q, (JacobianQuestion, ErrorQuestion)):
            by_kind.setdefault(w.kind, set()).add(q.cell)
    assert len(by_kind["transpose"]) >= 1 and len(by_kind["missing-term"]) >= 5
    assert len(by_kind["function"]) >= 4
    assert by_kind["other-convention"] >= {"gru"} and by_kind["this-convention"] >= {"gru"}
    swaps = [w.answer for _, _, q, w in TYPICAL if w.kind == "function"]
    assert any("σ'" in a and "tanh'" not in a.replace("tanh'(c)", "") for a in swaps)


def test_an_answer_writes_the_letters_the_sheet_prints():
    """Every name an answer may use is spelled with the letters of the symbol as printed:
    the highway layer's g and a, the bidirectional RNN's y, PyTorch's GRU's ū and ĥ."""
    cells = {(q.cell, q.variant) for _, _, q in QUESTIONS if hasattr(q, "cell")}
    for cell, variant in sorted(cells, key=str):
        c = get_cell(cell, variant)
        table = answer_symbols(c)
        assert len(table) == len(set(table.values())), (cell, variant)  # one name a symbol
        for name, latex in grammar_symbols(c):
            letters = re.findall(
                r"\\mathbf\{(\w)\}|\{\\(?:hat|bar)\{(\w)\}\}|_(\w)\b|_\{(\w+)\}", latex
            )
            printed = [x for group in letters for x in group if x]
            assert name[0] == printed[0], (cell, name, latex)
            for letter in printed[1:]:
                assert letter in name, (cell, name, latex)
    highway = get_cell("highway")
    assert {"g", "a", "W_g", "W_a", "z_g", "z_a"} <= set(answer_symbols(highway))
    assert "T" not in answer_symbols(highway)  # T is the length of a sequence


def test_every_question_speaks_the_notation_of_the_notes():
    """The notes' audit, run on every question, variant and solution as the sheets print
    them: no symbol outside the notation table, none with two meanings, no misused
    symbol, no source called "the notes"."""
    for i, k, q in QUESTIONS:
        drawn = Drawn("1.1", get_exercise(i), k, q)
        tex = "\n".join(_blocks_tex(question_blocks(drawn, sheet=False, solution=True)))
        found = (
            audit.undeclared(tex),
            audit.collisions(tex),
            audit.misused_symbols(tex),
            audit.unnamed_sources(tex),
        )
        assert found == ([], [], [], []), (i, k, found)


def test_the_audit_sees_a_question_outside_the_notation():
    wrong = (
        r"Take the cell $\mathbf{s}^{(t)} = \mathbf{W}_s \mathbf{h}^{(t-1)}$ of the notes [001]."
    )
    assert audit.undeclared(wrong) == ["bold s"]
    assert audit.unnamed_sources(wrong)


def _formula_fragments(q) -> list[str]:
    """Pieces of the answer that a hint must not print."""
    answer = q.answer
    terms = [t.strip() for t in re.split(r" \+ | - (?![^()]*\))", answer) if len(t.strip()) > 6]
    return [answer, *terms]


@pytest.mark.parametrize(
    ("exercise_id", "k", "q", "wrong"),
    TYPICAL,
    ids=[f"{i}[{k}]-{w.kind}" for i, k, _, w in TYPICAL],
)
def test_no_hint_gives_the_answer_away(exercise_id, k, q, wrong):
    _, hint, _ = _graded(exercise_id, k, wrong.answer, wrong.line)
    if isinstance(q, (JacobianQuestion, ErrorQuestion)):
        assert "diag(" not in hint and "@" not in hint and "operatorname" not in hint
        for piece in _formula_fragments(q):
            assert piece not in hint
    else:
        assert not re.search(rf"(?<![\w.]){re.escape(q.answer)}(?![\w.])", hint), hint


def test_the_checker_names_the_kind_of_every_diagnosis():
    verdict = check_jacobian("lstm", "diag(f) @ diag(f)", of="c", wrt="c_prev")
    assert verdict.refuted
    for bad, kind in (
        ("W_h.T @ diag(tanh'(z))", "transpose"),
        ("diag(σ'(z)) @ W_h", "function"),
        ("diag(tanh'(z)) ∘ W_h", "hadamard"),
    ):
        verdict = check_jacobian("rnn", bad)
        assert [f.kind for f in verdict.findings] == [kind]
        assert verdict.to_dict()["findings"][0]["kind"] == kind
    block = check_jacobian(
        "lstm",
        "block([[diag(tanh(c)*σ'(z_o)) @ W_o + diag(o*tanh'(c)) @ (diag(c_prev*σ'(z_f)) @ W_f"
        " + diag(c_tilde*σ'(z_i)) @ W_i + diag(i*tanh'(z_c)) @ W_c), diag(o*tanh'(c)*f)],"
        " [diag(c_prev*σ'(z_f)) @ W_f + diag(c_tilde*σ'(z_i)) @ W_i + diag(i*tanh'(z_c)) @ W_c,"
        " diag(i)]])",
        of="state",
        wrt="state",
    )
    assert [(f.kind, f.block) for f in block.findings] == [("wrong-symbol", "∂c/∂c_prev")]
    assert all(f.kind in KINDS for f in block.findings)


# -- seeds --------------------------------------------------------------------------------------------


def test_without_a_seed_the_sheet_has_the_notes_questions_numbered_by_section():
    sheet = draw()
    assert [d.variant for d in sheet] == [0] * len(exercises())
    numbers = [d.number for d in sheet]
    assert numbers[:3] == ["1.1", "1.2", "2.1"]
    assert len(set(numbers)) == len(numbers)


def test_seeds_draw_every_variant_and_two_students_get_different_sheets():
    sheets = {s: draw(s) for s in range(40)}
    for e_index, e in enumerate(exercises()):
        drawn = {sheets[s][e_index].variant for s in sheets}
        assert drawn == set(range(len(e.questions))), e.id
    assert [d.variant for d in draw(7)] == [d.variant for d in draw(7)]
    differ = [
        sum(a.variant != b.variant for a, b in zip(sheets[s], sheets[s + 1])) for s in range(39)
    ]
    assert min(differ) >= 5, differ
    with pytest.raises(InvalidValueError):
        draw(-1)


# -- the answer file and gradsym grade ---------------------------------------------------------------


def sheet_question(seed, exercise_id):
    return next(d.question for d in draw(seed) if d.id == exercise_id)


def _right_answers(seed):
    out = {}
    for d in draw(seed):
        q = d.question
        out[d.id] = (q.wrong_line, q.answer) if isinstance(q, ErrorQuestion) else q.answer
    return out


@pytest.fixture(scope="module")
def graded_sheet(tmp_path_factory):
    """Seed 3's sheet with every answer right but two (a typical wrong Jacobian, a wrong
    count) and one left empty."""
    folder = tmp_path_factory.mktemp("answers")
    answers = _right_answers(3)
    sheet = {d.id: d.question for d in draw(3)}
    rnn = sheet["rnn-recurrent-jacobian"]
    answers["rnn-recurrent-jacobian"] = rnn.typical[0].answer
    answers["lstm-count"] = sheet["lstm-count"].typical[0].answer
    answers["bptt-factors"] = ""
    path = folder / "answers.toml"
    path.write_text(answer_template(3, answers), encoding="utf-8")
    return path


def test_grade_gives_the_verdict_a_hint_and_a_score_per_exercise(graded_sheet, capsys):
    answers = read_answers(graded_sheet)
    assert answers.seed == 3
    result = grade(answers, time_limit=NO_LIMIT)
    by_id = {r.id: r for r in result.results}
    assert by_id["rnn-recurrent-jacobian"].outcome == "refuted"
    assert by_id["rnn-recurrent-jacobian"].hint
    kind = sheet_question(3, "rnn-recurrent-jacobian").typical[0].kind
    assert kind in by_id["rnn-recurrent-jacobian"].kinds
    assert by_id["lstm-count"].outcome == "refuted" and by_id["lstm-count"].hint
    assert by_id["bptt-factors"].outcome == "unanswered"
    right = [
        r
        for r in result.results
        if r.id not in ("rnn-recurrent-jacobian", "lstm-count", "bptt-factors")
    ]
    assert all(r.outcome == "holds" and r.points == r.max_points for r in right)
    assert result.score == result.max_score - 3
    assert result.summary().startswith(f"score {result.score}/{result.max_score}")


def test_grade_json_is_for_a_learning_platform(tmp_path, capsys):
    sheet = {d.id: d.question for d in draw(3)}
    answers = {
        "lstm-count": sheet["lstm-count"].typical[0].answer,
        "rnn-count": sheet["rnn-count"].answer,
    }
    path = tmp_path / "answers.toml"
    path.write_text(answer_template(3, answers), encoding="utf-8")
    assert main(["grade", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["seed"], data["score"], data["passed"]) == (3, 1, False)
    assert data["max_score"] == sum(d.question.points for d in draw(3))
    assert data["counts"] == {"holds": 1, "refuted": 1, "undecided": 0, "unanswered": len(sheet) - 2,
                              "unreadable": 0}  # fmt: skip
    first = data["results"][0]
    assert set(first) == {"number", "id", "title", "skill", "outcome", "points", "max_points",
                          "hint", "kinds"}  # fmt: skip
    assert "reference" not in first  # the answers stay with the instructor
    assert main(["grade", str(path), "--json", "--instructor"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert all("reference" in r for r in data["results"])


def test_a_sheet_answered_right_passes_with_exit_0(tmp_path, capsys):
    path = tmp_path / "answers.toml"
    path.write_text(answer_template(None, _right_answers(None)), encoding="utf-8")
    assert main(["grade", str(path)]) == 0
    out = capsys.readouterr().out
    assert "score" in out and "✗" not in out


@pytest.mark.parametrize(
    ("text", "error", "said"),
    [
        ("seed = -1\n", InvalidValueError, "seed"),
        ('seed = "7"\n', InvalidValueError, "seed"),
        ('[rnn-recurent-jacobian]\nanswer = "W_h"\n', UnknownNameError, "rnn-recurrent-jacobian"),
        ("[lstm-count]\nanswer = true\n", InvalidValueError, "answer must be a string"),
        ("[lstm-count]\nanswer = [4]\n", InvalidValueError, "answer must be a string"),
        ('[lstm-count]\nline = 2\nanswer = "4"\n', InvalidValueError, "not a derivation"),
        ('[gru-error]\nline = -2\nanswer = ""\n', InvalidValueError, "line"),
        ('[lstm-count]\nanwser = "4"\n', InvalidValueError, "anwser"),
        ('lstm-count = "4"\n', InvalidValueError, "table"),
        ("[lstm-count\n", InvalidValueError, "TOML"),
    ],
)
def test_a_malformed_answer_file_is_one_line_naming_the_problem(
    tmp_path, text, error, said, capsys
):
    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=said):
        read_answers(path)
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err


def test_a_missing_answer_file_or_a_folder_is_refused(tmp_path):
    with pytest.raises(InvalidValueError, match="does not exist"):
        read_answers(tmp_path / "nothing.toml")
    with pytest.raises(InvalidValueError, match="not a file"):
        read_answers(tmp_path)


def test_an_unreadable_answer_says_why(tmp_path):
    answers = answers_from({"rnn-recurrent-jacobian": {"answer": "diag(tanh'(z)) W_h"}})
    result = grade(answers, time_limit=NO_LIMIT)
    r = next(r for r in result.results if r.id == "rnn-recurrent-jacobian")
    assert r.outcome == "unreadable" and "implicit multiplication" in r.hint


def test_gradsym_exercises_writes_a_seeded_sheet_and_its_answer_file(tmp_path, capsys):
    assert main(["exercises", "--seed", "5", "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["exercises"]  # DIR/exercises, as build
    tmp_path = tmp_path / "exercises"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "answers.toml",
        "exercises.md",
        "exercises.tex",
        "solutions.md",
        "solutions.tex",
    ]
    answers = read_answers(tmp_path / "answers.toml")
    assert answers.seed == 5 and set(answers.answers) == {e.id for e in exercises()}
    sheet = (tmp_path / "exercises.tex").read_text()
    assert "Solution" not in sheet
    assert (tmp_path / "solutions.tex").read_text().count(r"\textbf{Solution.}") == len(exercises())
