r"""Exercises graded by the checker: two to four per section of the lecture, with seeded
variants, an answer file in the checker's grammar, and hints that do not give the answer
away.

- :mod:`.model` — what an exercise and its questions are (Jacobian blocks, numbers and
  counts, derivations with an error to find);
- :mod:`.catalogue` — the exercises of the lecture, section by section;
- :mod:`.grading` — drawing a sheet for a seed, the answer file, grading it;
- :mod:`.hints` — the checker's diagnosis turned into a hint.

``gradsym exercises --seed S`` writes a sheet and its answer file; ``gradsym grade FILE``
grades it.
"""

from .catalogue import SECTIONS, exercises, get_exercise
from .grading import (
    OUTCOMES,
    Answers,
    Drawn,
    Grade,
    Result,
    answer_template,
    answers_from,
    draw,
    grade,
    read_answers,
)
from .model import (
    ANSWER_NAMES,
    SKILLS,
    ErrorQuestion,
    Exercise,
    JacobianQuestion,
    Known,
    Mutation,
    Question,
    Scalar,
    ScalarQuestion,
    Wrong,
    answer_symbols,
    grammar_symbols,
    parse_answer,
)

__all__ = [
    "ANSWER_NAMES",
    "OUTCOMES",
    "SECTIONS",
    "SKILLS",
    "Answers",
    "Drawn",
    "ErrorQuestion",
    "Exercise",
    "Grade",
    "JacobianQuestion",
    "Known",
    "Mutation",
    "Question",
    "Result",
    "Scalar",
    "ScalarQuestion",
    "Wrong",
    "answer_symbols",
    "answer_template",
    "answers_from",
    "draw",
    "exercises",
    "get_exercise",
    "grade",
    "grammar_symbols",
    "parse_answer",
    "read_answers",
]
