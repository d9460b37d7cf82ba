"""One exception family for gradsym.

Every error a user can provoke with bad input is a :class:`GradsymError`, and each
subclass also derives from the matching built-in exception so that ``except ValueError``
keeps working. Messages name the argument, what was expected and what came.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GradsymError(Exception):
    """Base class of every error gradsym raises on purpose."""


class ShapeError(GradsymError, ValueError):
    """An array has the wrong number of dimensions or the wrong sizes."""


class DTypeError(GradsymError, TypeError):
    """An array has a dtype gradsym does not accept (or mixes dtypes)."""


class NonFiniteError(GradsymError, FloatingPointError):
    """NaN or Inf where a finite number is required; the message says where."""


class UnknownNameError(GradsymError, KeyError):
    """An unknown cell, variant, activation, task, initialiser, claim or figure name."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message
        return str(self.args[0]) if self.args else ""


class InvalidValueError(GradsymError, ValueError):
    """A value outside its allowed range (a window <= 0, a threshold <= 0, ...)."""


class NotDiagonalizableError(GradsymError, ValueError):
    """A matrix given to the eigen argument has no eigenvector basis."""


class CheckpointError(GradsymError, ValueError):
    """A checkpoint that cannot be read, or that belongs to another run or format."""


class CandidateError(GradsymError, ValueError):
    """A user's candidate formula cannot be judged (wrong shape, unknown symbols, ...)."""


class DeclarationError(GradsymError, ValueError):
    """A declared cell's equations are wrong: one line naming the equation and the problem."""


class OutputError(GradsymError, OSError):
    """A file or folder gradsym was asked to write cannot be written (a full disk, a
    read-only folder, a path through a file); ``errno`` is the operating system's."""

    def __str__(self) -> str:  # OSError would prefix "[Errno n]"; the message says it
        return str(self.args[0]) if self.args else ""


class GradsymWarning(UserWarning):
    """Something gradsym does differently from what was asked, where the user can still
    get the right numbers (the message says how)."""


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known names closest to ``name`` (difflib's
    similarity ≥ 0.6, at most two), or ``""`` when none is close."""
    if not isinstance(name, str):
        return ""
    known = [k for k in known if isinstance(k, str)]
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
    if not close:  # a different case or separator is a near miss too: "LSTM", "adding-le"
        folded = {k.lower().replace("-", "_"): k for k in known}
        key = name.lower().replace("-", "_")
        close = [folded[key]] if key in folded else []
    if not close:  # a name without its prefix: "W_f" for "layer0.W_f"
        close = [k for k in known if k.rsplit(".", 1)[-1] == name][:2]
    if not close:
        return ""
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)"


def unknown_name(kind: str, name: object, known) -> UnknownNameError:
    """Build the error for an unknown ``kind`` called ``name``: the near misses first
    (:func:`did_you_mean`), then every known name."""
    known = list(known)
    choices = ", ".join(repr(k) for k in sorted(known))
    hint = did_you_mean(name, known)
    return UnknownNameError(f"unknown {kind} {name!r}{hint}; expected one of: {choices}")
