"""One traversal for every walk over the cells' matrix expressions.

A walk is a class with one ``_print_<Class>`` method per construct (``_print_MatAdd``,
``_print_HadamardProduct``, ``_print_Apply`` …), dispatched by SymPy's own
:class:`~sympy.printing.printer.Printer` along the class's MRO, exactly as the LaTeX printer
(:mod:`.printing`) is. Nested parts go through ``self._print``. The walks are:

- the matrix calculus (``gradsym.symbolic.calculus``): an expression → its differential, a
  linear map;
- explicit evaluation (``gradsym.symbolic.explicit``): an expression → its matrix of SymPy
  entries;
- the NumPy code printers (:mod:`.numpy_code`): an expression → NumPy source;
- the claims' evaluators (``gradsym.notes.evaluate``): what a step displays → its exact
  (SymPy) or float64 (NumPy) value on a model;
- the float64 evaluation of cells' forms with a round-off bound
  (``gradsym.notes.instances``); the checker's product degree (``gradsym.checker.prover``).

A construct a walk has no rule for is a TypeError naming the walk and the construct (the
claims' evaluators raise their own ``Unsupported``).
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
