"""The one validation policy of gradsym, for every layer.

Real checks (never ``assert``, which ``python -O`` removes) whose messages name the
argument, what was expected and what came, and say where a NaN or Inf sits.

The policy for scalars:

* a **number** is an int or a float (Python's or NumPy's); a bool is never a number
  (``lr=True`` is refused, not read as 1.0), nor is a string (``"0.1"``);
* an **integer** is an int (Python's or NumPy's), never a bool and never a float, even a
  whole one (``hidden=16.0`` is refused);
* a **boolean** is ``True`` or ``False`` (or NumPy's), never a string (``"no"`` and
  ``"false"`` are true in Python, the opposite of what was meant) and never a number;
* a **name** (a cell, a variant, a scheme) is one of the known strings; the error lists
  them.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, NonFiniteError, ShapeError, unknown_name

__all__ = [
    "FLOAT_DTYPES",
    "as_dtype",
    "boolean",
    "check_array",
    "check_finite",
    "check_memory",
    "check_params",
    "choice",
    "first_nonfinite",
    "integer",
    "nonnegative_int",
    "number",
    "physical_memory",
    "positive_int",
    "positive_number",
]

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


# -- scalars -------------------------------------------------------------------------------


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not _is_bool(value)


def number(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """``value`` as a finite float within the bounds (``low`` included unless
    ``low_open``, ``high`` excluded unless ``high_open=False``), or an
    :class:`~gradsym.errors.InvalidValueError` naming ``name``, the range and what came."""
    lo = "" if low is None else f"{'(' if low_open else '['}{low:g}, "
    hi = "" if high is None else f"{high:g}{')' if high_open else ']'}"
    where = f" in {lo or '(-inf, '}{hi or 'inf)'}" if lo or hi else ""
    if not _is_number(value):
        raise InvalidValueError(f"{name} must be a number{where}, got {value!r}")
    v = float(value)
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise InvalidValueError(f"{name} must be a finite number{where}, got {value!r}")
    return v


def positive_number(name: str, value) -> float:
    """A strictly positive finite number (a threshold, a learning rate, a gain, ...)."""
    if not _is_number(value):
        raise InvalidValueError(f"{name} must be a positive number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise InvalidValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def integer(name: str, value, *, low: int | None = None) -> int:
    """``value`` as an int >= ``low`` (if given), or an InvalidValueError naming ``name``."""
    bound = "" if low is None else f" >= {low}"
    if not _is_integer(value) or (low is not None and value < low):
        raise InvalidValueError(f"{name} must be an integer{bound}, got {value!r}")
    return int(value)


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, or an InvalidValueError naming ``name``."""
    if not _is_integer(value) or value <= 0:
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def nonnegative_int(name: str, value) -> int:
    """``value`` as an int >= 0 (a seed, a count), or an InvalidValueError naming ``name``."""
    return integer(name, value, low=0)


def boolean(name: str, value) -> bool:
    """``value`` as a bool; anything but True or False (a string, a number) is an
    InvalidValueError naming ``name``."""
    if not _is_bool(value):
        raise InvalidValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(kind: str, value, known: Iterable[str]) -> str:
    """``value`` if it is one of the names ``known``; otherwise an
    :class:`~gradsym.errors.UnknownNameError` for ``kind`` listing them."""
    known = tuple(known)
    if not isinstance(value, str) or value not in known:
        raise unknown_name(kind, value, known)
    return value


# -- sizes against memory --------------------------------------------------------------------


def physical_memory() -> int | None:
    """Bytes of memory of this machine (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB"


def check_memory(what: str, nbytes: float) -> None:
    """An InvalidValueError, before anything is allocated, when ``what`` (the sizes that
    decide it, e.g. "steps = 10000000 and batch = 32") needs more than this machine's
    memory: ``nbytes``, an estimate from above."""
    have = physical_memory()
    if have and nbytes > have:
        raise InvalidValueError(
            f"{what} need about {_gib(nbytes)} of memory; this machine has {_gib(have)}"
        )


# -- arrays --------------------------------------------------------------------------------


def as_dtype(dtype) -> np.dtype:
    """The cell dtype: float64 (default, for verification) or float32."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise DTypeError(f"dtype must be float64 or float32, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise DTypeError(f"dtype must be float64 or float32, got {dt}")
    return dt


def first_nonfinite(a: np.ndarray) -> tuple[int, ...]:
    """Index of the first NaN or Inf in ``a`` (C order)."""
    flat = np.flatnonzero(~np.isfinite(a))
    return tuple(int(i) for i in np.unravel_index(flat[0], a.shape))


def check_finite(name: str, a: np.ndarray, axes: str = "") -> None:
    """Raise NonFiniteError if ``a`` holds NaN or Inf, saying which entry and what value.

    ``axes`` names the axes for the message, e.g. ``"(t, b, j)"``.
    """
    if not np.isfinite(a).all():
        where = first_nonfinite(a)
        label = f" {axes}" if axes else ""
        raise NonFiniteError(
            f"{name} contains a non-finite value: {name}[{', '.join(map(str, where))}]"
            f"{label} = {a[where]}"
        )


def check_array(
    name: str,
    value,
    shape: tuple,
    dtype: np.dtype,
    *,
    axes: str = "",
    finite: bool = True,
) -> np.ndarray:
    """Convert ``value`` to an ndarray and check its shape, dtype and finiteness.

    ``shape`` may contain ``None`` for a free axis. The dtype must be exactly ``dtype``
    (a float32 input to a float64 cell is refused rather than silently converted, so that
    precision is never lost or invented behind the user's back).
    """
    a = np.asarray(value)
    if a.dtype != dtype:
        if a.dtype.kind in "iub" and dtype.kind == "f":
            # Integer inputs (one-hot codes, markers) are exact in any float dtype.
            a = a.astype(dtype)
        else:
            raise DTypeError(
                f"{name} must have dtype {dtype}, got {a.dtype}; convert it with "
                f".astype(np.{dtype.name})"
            )
    if a.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(a.shape, shape)
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        label = f" {axes}" if axes else ""
        raise ShapeError(f"{name} must have shape {want}{label}, got {a.shape}")
    if finite:
        check_finite(name, a, axes)
    return a


def check_params(params: Mapping[str, np.ndarray], names: Iterable[str]) -> None:
    """Every named parameter finite (a NaN weight poisons every later step)."""
    for n in names:
        check_finite(f"parameter {n}", params[n])
