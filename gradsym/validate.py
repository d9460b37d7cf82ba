"""Input checks shared by the NumPy backend.

Real checks (never ``assert``, which ``python -O`` removes) whose messages name the
argument, what was expected and what came, and say where a NaN or Inf sits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, NonFiniteError, ShapeError

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def as_dtype(dtype) -> np.dtype:
    """The cell dtype: float64 (default, for verification) or float32."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise DTypeError(f"dtype must be float64 or float32, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise DTypeError(f"dtype must be float64 or float32, got {dt}")
    return dt


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, or an InvalidValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidValueError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise InvalidValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


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


def real_number(name: str, value, *, low=None, high=None, low_open=False) -> float:
    """``value`` as a finite float in [low, high) (or (low, high) with ``low_open``), or an
    InvalidValueError naming ``name``, the range and what came."""
    lo = "" if low is None else f"{'(' if low_open else '['}{low:g}, "
    hi = "" if high is None else f"{high:g})"
    where = f" in {lo or '(-inf, '}{hi or 'inf)'}" if lo or hi else ""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a number{where}, got {value!r}") from exc
    below = low is not None and (v <= low if low_open else v < low)
    if not np.isfinite(v) or below or (high is not None and v >= high):
        raise InvalidValueError(f"{name} must be a finite number{where}, got {value!r}")
    return v


def check_threshold(name: str, value) -> float:
    """A strictly positive finite threshold (clipping, learning rates, gains, ...)."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a positive number, got {value!r}") from exc
    if not np.isfinite(v) or v <= 0:
        raise InvalidValueError(f"{name} must be a positive finite number, got {value!r}")
    return v
