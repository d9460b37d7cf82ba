"""One exception family for gradsym.

Every error a user can provoke with bad input is a :class:`GradsymError`, and each
subclass also derives from the matching built-in exception so that ``except ValueError``
keeps working. Messages name the argument, what was expected and what came.
"""

from __future__ import annotations


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


def unknown_name(kind: str, name: object, known) -> UnknownNameError:
    """Build the error for an unknown ``kind`` called ``name``, listing the known ones."""
    choices = ", ".join(repr(k) for k in sorted(known))
    return UnknownNameError(f"unknown {kind} {name!r}; expected one of: {choices}")
