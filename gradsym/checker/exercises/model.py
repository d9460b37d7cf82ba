r"""What an exercise is: its variants (questions), the reference answer of each, the wrong
answers students typically give and the hints those must get.

An :class:`Exercise` belongs to a section of the lecture and trains one skill (deriving a
Jacobian block, a bound, a parameter count, finding the error in a derivation); its
``questions`` are variants of one another — another cell, variant, block, convention or
numbers — that test the same skill. Question 0 is the one the notes print; a seed draws
one per exercise (:func:`gradsym.checker.exercises.draw`).

A question is one of three kinds, each graded by the checker:

- :class:`JacobianQuestion`: derive ∂``of``/∂``wrt`` of a cell; the answer is a string in
  the checker's grammar (:mod:`gradsym.lang.parser`), judged by
  :func:`~gradsym.checker.check_jacobian`;
- :class:`ScalarQuestion`: a number or an expression in named scalars (a parameter count
  in n and d, a bound, a number of factors), read by
  :func:`~gradsym.lang.parser.parse_scalar` and compared exactly;
- :class:`ErrorQuestion`: a derivation, every line a Jacobian block of a cell, with one
  line wrong (the lines after it inherit the mistake); the answer names the first wrong
  line and gives it corrected.

All prose (statements, solutions, hints) is LaTeX, as the claims' prose is
(:func:`gradsym.notes.prose.check_prose`); every printed formula is printed from the SymPy
object the checker judges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from gradsym.checker.candidate import block_size, symbols
from gradsym.lang.latex import notes_latex
from gradsym.lang.parser import parse_expression, parse_scalar
from gradsym.symbolic import CellEquations
from gradsym.symbolic import cell as get_cell

__all__ = [
    "ANSWER_NAMES",
    "SKILLS",
    "ErrorQuestion",
    "Exercise",
    "JacobianQuestion",
    "Known",
    "Mutation",
    "Question",
    "Scalar",
    "ScalarQuestion",
    "Wrong",
    "answer_symbols",
    "grammar_symbols",
    "parse_answer",
]

#: What an exercise trains.
SKILLS = {
    "jacobian": "derive a Jacobian block",
    "bound": "a bound",
    "count": "a count",
    "error": "find the error in a derivation",
}


#: The names an answer uses where a cell's own names are not the letters the lecture prints:
#: a student writes what they read. The highway layer is printed with g and a (Srivastava et
#: al.'s T and H would be the sequence length and nothing), the bidirectional RNN's output
#: with y (o is the LSTM's output gate), PyTorch's GRU in the letters of the notes' Box 1
#: (its gate z on the previous state is ū, its candidate n is ĥ: z is only a
#: pre-activation, n only the hidden size). cell name → {the cell's name: the answer's}.
ANSWER_NAMES: dict[str, dict[str, str]] = {
    "highway": {
        "T": "g",
        "H": "a",
        "W_T": "W_g",
        "W_H": "W_a",
        "b_T": "b_g",
        "b_H": "b_a",
        "z_T": "z_g",
        "z_H": "z_a",
    },
    "birnn": {"o": "y", "W_o": "W_y", "b_o": "b_y", "z_o": "z_y"},
    "gru": {
        "z": "u_bar",
        "n_tilde": "h_hat",
        "a_z": "z_ubar",
        "a_n": "z_hhat",
        "a_r": "z_r",
        "g_n": "z_hh",
        "W_z": "W_ubar",
        "U_z": "U_ubar",
        "b_z": "b_ubar",
        "W_n": "W_hhat",
        "U_n": "U_hhat",
        "b_n": "b_hhat",
        "b_hn": "b_hh",
    },
}


def answer_symbols(cell: CellEquations) -> dict[str, sp.MatrixSymbol]:
    """Every symbol an answer about ``cell`` may use, by the name the answer writes
    (:data:`ANSWER_NAMES`; the cell's own name where the lecture prints that)."""
    renamed = ANSWER_NAMES.get(cell.name, {})
    return {renamed.get(name, name): symbol for name, symbol in symbols(cell).items()}


def parse_answer(text: str, cell: CellEquations):
    """An answer about ``cell`` (in the names of :func:`answer_symbols`) as the SymPy matrix
    expression the checker judges; CandidateError, one line, for anything else."""
    return parse_expression(text, answer_symbols(cell), block_size(cell))


@dataclass(frozen=True)
class Wrong:
    """A wrong answer students typically give, and what it must be told: ``kind`` is the
    checker's finding (:data:`gradsym.checker.diagnosis.KINDS`), the name of one of the
    question's :class:`Known` mistakes, or for a derivation ``"line"`` (a wrong line
    named). ``line`` is the line named (derivations only)."""

    answer: str
    kind: str
    line: int = 0


@dataclass(frozen=True)
class Known:
    """A wrong answer the checker's standard mistakes do not name (the other convention of
    the GRU, a count without the biases): recognised when the answer is proved equal to
    ``answer``; ``hint`` is what the student is told (LaTeX prose)."""

    name: str
    answer: str
    hint: str


@dataclass(frozen=True)
class Question:
    """One variant of an exercise: ``statement`` and ``solution`` are LaTeX prose,
    ``typical`` the wrong answers the tests show the grader, ``hints`` per finding kind
    the hints that replace the general ones (LaTeX prose)."""

    title: str
    statement: str
    solution: str
    typical: tuple[Wrong, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()
    known: tuple[Known, ...] = ()

    kind = "question"
    points = 1

    def hint_for(self, kind: str) -> str:
        return dict(self.hints).get(kind, "")


@dataclass(frozen=True)
class JacobianQuestion(Question):
    r"""Derive ∂``of``/∂``wrt`` of ``cell`` (``variant``); ``answer`` is the reference in the
    checker's grammar. ``show_cell``: print the cell's equations with the question (a cell
    the notes do not introduce); the sheet always prints them."""

    cell: str = ""
    variant: str | None = None
    of: str = "h"
    wrt: str = "h_prev"
    answer: str = ""
    show_cell: bool = False

    kind = "jacobian"

    @cached_property
    def cell_obj(self) -> CellEquations:
        return get_cell(self.cell, self.variant)

    @cached_property
    def expr(self):
        """The reference answer as the SymPy matrix expression the checker judges."""
        return parse_answer(self.answer, self.cell_obj)

    def answer_latex(self) -> str:
        return notes_latex(self.expr, self.cell_obj.style)


@dataclass(frozen=True)
class Scalar:
    """A scalar an answer may use: its ``name`` in the answer, its ``latex`` in print, and
    whether it is a positive ``integer`` (a size, a step, a lag) or a positive real."""

    name: str
    latex: str
    integer: bool = True

    @cached_property
    def symbol(self) -> sp.Symbol:
        if self.integer:
            return sp.Symbol(self.name, integer=True, positive=True)
        return sp.Symbol(self.name, positive=True)


@dataclass(frozen=True)
class ScalarQuestion(Question):
    """A number, or an expression in ``names`` (:class:`Scalar`); ``answer`` is the
    reference in the grammar of :func:`~gradsym.lang.parser.parse_scalar`."""

    names: tuple[Scalar, ...] = ()
    answer: str = ""

    kind = "scalar"

    @property
    def table(self) -> dict[str, sp.Symbol]:
        return {s.name: s.symbol for s in self.names}

    @cached_property
    def expr(self) -> sp.Expr:
        return parse_scalar(self.answer, self.table)

    def answer_latex(self) -> str:
        latex = {s.symbol: s.latex for s in self.names}
        return sp.latex(self.expr, symbol_names=latex)


@dataclass(frozen=True)
class Mutation:
    """The mistake planted in a derivation: from line ``line`` (1-based) on, ``old`` is
    written ``new`` (so that the lines after it inherit it, as they would on paper)."""

    line: int
    old: str
    new: str


@dataclass(frozen=True)
class ErrorQuestion(Question):
    """A derivation of Jacobian blocks of ``cell`` with respect to ``wrt``: ``lines`` are
    (of, right answer) in the checker's grammar; ``mutation`` makes one of them wrong and
    the lines after it inherit the mistake. The answer names the first wrong line and
    gives it corrected (a point each)."""

    cell: str = ""
    variant: str | None = None
    wrt: str = "h_prev"
    lines: tuple[tuple[str, str], ...] = ()
    mutation: Mutation = field(default_factory=lambda: Mutation(1, "", ""))
    show_cell: bool = False

    kind = "error"
    points = 2

    @cached_property
    def cell_obj(self) -> CellEquations:
        return get_cell(self.cell, self.variant)

    @property
    def wrong_line(self) -> int:
        """The first wrong line (1-based): the answer's ``line``."""
        return self.mutation.line

    @property
    def answer(self) -> str:
        """The wrong line as it should read (the reference correction)."""
        return self.lines[self.wrong_line - 1][1]

    def printed(self) -> tuple[tuple[str, str], ...]:
        """The derivation as printed: the mistake planted from its line on."""
        m = self.mutation
        return tuple(
            (of, text.replace(m.old, m.new) if k >= m.line else text)
            for k, (of, text) in enumerate(self.lines, start=1)
        )

    def changed(self) -> tuple[int, ...]:
        """The lines (1-based) the planted mistake changes: the first wrong line and those
        after it that inherit it; every other line is right as printed (the tests prove
        both)."""
        return tuple(
            k
            for k, ((_, right), (_, shown)) in enumerate(zip(self.lines, self.printed()), start=1)
            if right != shown
        )

    def printed_exprs(self) -> list:
        c = self.cell_obj
        return [parse_answer(text, c) for _, text in self.printed()]

    def right_exprs(self) -> list:
        c = self.cell_obj
        return [parse_answer(text, c) for _, text in self.lines]


@dataclass(frozen=True)
class Exercise:
    """An exercise of ``section`` (a section of the lecture) that trains ``skill`` (a key
    of :data:`SKILLS`), with its variants: ``questions[0]`` is the notes' version."""

    id: str
    section: str
    skill: str
    questions: tuple[Question, ...]

    @property
    def title(self) -> str:
        return self.questions[0].title


def grammar_symbols(cell: CellEquations) -> list[tuple[str, str]]:
    """(name in an answer, LaTeX as printed) for every symbol of ``cell`` an answer may
    use, parameters first, in a stable order."""
    table = answer_symbols(cell)
    params = {p.name for p in cell.params}
    names = sorted(table, key=lambda name: (table[name].name not in params, name))
    return [(name, notes_latex(table[name], cell.style)) for name in names]
