"""One traversal for every walk over the cells' matrix expressions.

A walk is a class with one ``_print_<Class>`` method per construct (``_print_MatAdd``,
``_print_HadamardProduct``, ``_print_Apply`` …), dispatched by SymPy's own
:class:`~sympy.printing.printer.Printer` along the class's MRO, exactly as the LaTeX printer
(:mod:`.printing`) is. Nested parts go through ``self._print``. The walks are:

- the matrix calculus (:mod:`.calculus`): an expression → its differential, a linear map;
- explicit evaluation (:mod:`.explicit`): an expression → its matrix of SymPy entries;
- the NumPy code printers (:mod:`.numpy_printer`): an expression → NumPy source;
- the proofs' evaluator (``gradsym.notes.instances``): an expression → its float64 value
  and round-off bound; the checker's product degree (``gradsym.checker.prover``).

A construct a walk has no rule for is a TypeError naming the walk and the construct.
"""

from __future__ import annotations

from typing import Any

from sympy.printing.printer import Printer


class MatrixVisitor(Printer):
    """Base class of the walks: ``visit(e)`` dispatches to ``_print_<Class>(e)``."""

    def emptyPrinter(self, expr: Any) -> Any:
        raise TypeError(f"{type(self).__name__} has no rule for {type(expr).__name__}: {expr}")

    def visit(self, expr: Any) -> Any:
        """The walk's result for ``expr`` (the construct's ``_print_<Class>``)."""
        return self._print(expr)


__all__ = ["MatrixVisitor"]
