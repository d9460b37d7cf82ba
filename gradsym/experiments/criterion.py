"""Success criteria: a small expression over a run's evaluation metrics, e.g.

    eval_loss / baseline < 0.1        the loss on fresh sequences below 10 % of the trivial one
    eval_error < 0.01                 Pascanu et al.'s "error < 1 % on fresh sequences"

Names: the metrics of an evaluation on fresh sequences (:data:`METRICS`: ``eval_loss``,
``eval_accuracy``, ``eval_error`` = 1 − accuracy, ``train_loss``) and the task's constant
``baseline`` (the loss of its trivial predictor). Numbers, + − × /, comparisons (chains
too), ``and``, ``or``, ``not``. A criterion must name at least one metric. It is parsed
with :mod:`ast` and evaluated by walking the tree: no ``eval``.

A metric the run does not have (accuracy of a task that reports none, a loss that went
non-finite) makes the criterion undecidable for that run: :meth:`Criterion.holds` returns
False (the run did not succeed) and :meth:`Criterion.value` None.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field

from gradsym.errors import InvalidValueError

__all__ = ["CONSTANTS", "METRICS", "Criterion", "metrics_of"]

#: The names a criterion may read that change during a run.
METRICS = ("eval_loss", "eval_accuracy", "eval_error", "train_loss")
#: The task's constants a criterion may read.
CONSTANTS = ("baseline",)

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class _Undefined(Exception):
    """A metric the run does not have, or a division by zero."""


def metrics_of(record: Mapping, baseline: float | None, train_loss: float | None = None) -> dict:
    """The names a criterion reads, from an evaluation record (``eval_loss``,
    ``eval_accuracy``) and the task's ``baseline``; missing values are None."""
    acc = record.get("eval_accuracy")
    return {
        "eval_loss": record.get("eval_loss"),
        "eval_accuracy": acc,
        "eval_error": None if acc is None else 1.0 - acc,
        "train_loss": train_loss if train_loss is not None else record.get("train_loss"),
        "baseline": baseline,
    }


@dataclass(frozen=True)
class Criterion:
    """A parsed success criterion; ``text`` as given, ``names`` the names it reads."""

    text: str
    names: tuple[str, ...] = field(compare=False)
    _tree: ast.Expression = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text) -> Criterion:
        """Parse and check ``text``; InvalidValueError naming what is wrong."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidValueError(
                f"the success criterion must be an expression such as "
                f"'eval_loss / baseline < 0.1', got {text!r:.60}"
            )
        if len(text) > MAX_CHARACTERS:
            raise InvalidValueError(
                f"the success criterion is {len(text)} characters long (at most "
                f"{MAX_CHARACTERS}): {text[:40]!r}…"
            )
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise InvalidValueError(
                f"success criterion {text!r} is not an expression: {exc.msg}"
            ) from None
        except (RecursionError, MemoryError, ValueError):  # nesting, a number past 4300 digits
            raise InvalidValueError(
                f"success criterion {text[:40]!r}… is too deeply nested or too long to read"
            ) from None
        depth = _depth(tree)
        if depth > MAX_DEPTH:
            raise InvalidValueError(
                f"success criterion {text[:40]!r}… nests {depth} deep (at most {MAX_DEPTH})"
            )
        names: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if node.id not in METRICS + CONSTANTS:
                    raise InvalidValueError(
                        f"success criterion {text!r} names {node.id!r}, which is not a metric; "
                        f"expected one of: {', '.join(METRICS + CONSTANTS)}"
                    )
                if node.id not in names:
                    names.append(node.id)
            elif not isinstance(node, _ALLOWED):
                raise InvalidValueError(
                    f"success criterion {text!r} uses {type(node).__name__}; allowed are "
                    "numbers, metric names, + - * /, comparisons, and, or, not"
                )
            elif isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, (int, float))
            ):
                raise InvalidValueError(
                    f"success criterion {text!r} contains {node.value!r}; only numbers are allowed"
                )
            elif isinstance(node, ast.Constant) and not _finite_number(node.value):
                shown = ast.get_source_segment(text.strip(), node) or "a number"
                raise InvalidValueError(
                    f"success criterion: the number {shown[:30]!r}"
                    f"{'…' if len(shown) > 30 else ''} is not a finite float64 (at most about "
                    "1.8e308 in magnitude)"
                )
        if not any(n in METRICS for n in names):
            raise InvalidValueError(
                f"success criterion {text!r} names no metric; it must read one of: "
                f"{', '.join(METRICS)}"
            )
        if not isinstance(tree.body, (ast.Compare, ast.BoolOp)) and not (
            isinstance(tree.body, ast.UnaryOp) and isinstance(tree.body.op, ast.Not)
        ):
            raise InvalidValueError(
                f"success criterion {text!r} is not a condition; compare a metric, e.g. "
                "'eval_loss / baseline < 0.1'"
            )
        return cls(text.strip(), tuple(names), tree)

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics (not constants) the criterion reads."""
        return tuple(n for n in self.names if n in METRICS)

    def value(self, values: Mapping) -> bool | None:
        """True or False for ``values`` (name → number, see :func:`metrics_of`), or None
        when a metric it reads is missing (None or non-finite)."""
        try:
            return bool(self._eval(self._tree.body, values))
        except _Undefined:
            return None

    def holds(self, values: Mapping) -> bool:
        """Whether the criterion is met; an undecidable criterion is not met."""
        return self.value(values) is True

    def _eval(self, node, values):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            v = values.get(node.id)
            if v is None or not math.isfinite(v):
                raise _Undefined(node.id)
            return float(v)
        if isinstance(node, ast.BinOp):
            a, b = self._eval(node.left, values), self._eval(node.right, values)
            if isinstance(node.op, ast.Div) and b == 0:
                raise _Undefined("division by zero")
            return _BINARY[type(node.op)](a, b)
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, values)
            return (
                -v
                if isinstance(node.op, ast.USub)
                else (+v if isinstance(node.op, ast.UAdd) else not v)
            )
        if isinstance(node, ast.BoolOp):
            parts = [self._eval(v, values) for v in node.values]
            return all(parts) if isinstance(node.op, ast.And) else any(parts)
        # ast.Compare, chained as in Python: a < b < c is a < b and b < c
        left = self._eval(node.left, values)
        for op, right_node in zip(node.ops, node.comparators):
            right = self._eval(right_node, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True


#: Limits, so that a criterion is read in bounded time and evaluated without overflow.
MAX_CHARACTERS = 1000
MAX_DEPTH = 50


def _depth(tree: ast.AST) -> int:
    """The depth of ``tree`` (walked on a list, not the call stack)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _finite_number(value) -> bool:
    """Whether ``value`` (an int or float literal) is a finite float64."""
    if isinstance(value, int) and value.bit_length() > 1024:
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


_ALLOWED = (
    ast.Expression,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Name,
    ast.Load,
    ast.Constant,
    *_BINARY,
    *_COMPARE,
)
