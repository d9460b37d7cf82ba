"""Rewriting an expression tree at a position: the one engine under the checker's diagnosis
of standard mistakes (:mod:`gradsym.checker.diagnosis`) and the claims' mutation tests
(:mod:`gradsym.notes.mutations`).

A position is a path of argument indices from the root (an entry k of an explicit matrix is
the step ``("entry", k)``); :func:`positions` walks every subexpression with its path,
:func:`node_at` reads one, :func:`replace_at` rebuilds the tree with one subexpression
replaced (rebuilt with each node's own constructor, nothing evaluated). Where the walk stops
is the caller's choice (``leaves``): the diagnosis does not look into a slice's bounds, the
mutations do not look into a named matrix's shape. The mistakes themselves — which function
is confused with which — come from the function table
(:func:`gradsym.lang.elementwise.confusion`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sympy as sp
from sympy import MatrixSymbol

from .notation import Seq

Path = tuple

#: Where a walk stops unless told otherwise: named matrices and scalars, numbers.
ATOMS: tuple[type, ...] = (MatrixSymbol, sp.Symbol, sp.Number)


def positions(e, leaves: tuple[type, ...] = ATOMS, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every subexpression of ``e`` with its path, in preorder; the walk does not enter an
    instance of ``leaves``, enters a family member h⁽ᵗ⁻¹⁾ (:class:`Seq`) only at its
    index, and an explicit matrix entry by entry."""
    yield path, e
    if isinstance(e, leaves) or not isinstance(e, sp.Basic):
        return
    if isinstance(e, Seq):
        yield from positions(e.index, leaves, (*path, 1))
        return
    if isinstance(e, sp.MatrixBase):
        for k, entry in enumerate(e):
            yield from positions(entry, leaves, (*path, ("entry", k)))
        return
    for k, a in enumerate(e.args):
        if isinstance(a, sp.Basic):
            yield from positions(a, leaves, (*path, k))


def matching(e, match: Callable[[Any], bool], leaves: tuple[type, ...] = ATOMS) -> Iterator[Path]:
    """The paths of the subexpressions of ``e`` for which ``match`` holds, in preorder."""
    for path, node in positions(e, leaves):
        if match(node):
            yield path


def node_at(e, path: Path):
    """The subexpression of ``e`` at ``path``."""
    for step in path:
        e = list(e)[step[1]] if isinstance(step, tuple) else e.args[step]
    return e


def replace_at(e, path: Path, new):
    """``e`` with the subexpression at ``path`` replaced by ``new``."""
    if not path:
        return new
    head, *rest = path
    if isinstance(head, tuple) and head[0] == "entry":
        entries = list(e)
        entries[head[1]] = replace_at(entries[head[1]], rest, new)
        return sp.ImmutableMatrix(e.rows, e.cols, entries)
    args = list(e.args)
    args[head] = replace_at(args[head], rest, new)
    return e.func(*args)


__all__ = ["ATOMS", "Path", "matching", "node_at", "positions", "replace_at"]
