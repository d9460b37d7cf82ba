"""A checker for users' own Jacobians: ``check_jacobian(cell, candidate, of, wrt)``.

The grammar is the expression language's (:mod:`gradsym.lang.parser`: a candidate string,
or an explicit SymPy matrix, becomes a SymPy expression in the cell's symbols, or a
one-line CandidateError; ``help(gradsym.lang.parser)`` states the grammar).

- :mod:`.candidate` — a candidate read in the cell's symbols (a string, or an explicit
  SymPy matrix in the entry symbols of :func:`entry_symbols`);
- :mod:`.check` — the verdict: holds (proved for every n and d, and numerically), refuted
  (an exact counterexample at the smallest size found, and a diagnosis when one is proved)
  or undecided; with :mod:`.prover` (the time-limited proof for every size,
  :mod:`gradsym.symbolic.every_size`),
  :mod:`.diagnosis` (the standard mistakes), :mod:`.verdict` (printed with
  :mod:`gradsym.lang.text`).
"""

from .candidate import entry_symbols, parse_candidate, symbols
from .check import check_jacobian
from .verdict import Verdict

__all__ = ["Verdict", "check_jacobian", "entry_symbols", "parse_candidate", "symbols"]
