"""The NumPy values of the elementwise functions, for the table :mod:`.elementwise` (which
also writes each derivative from the output: tanh' = 1 − tanh², σ' = σ(1 − σ), so that a
backward pass reuses what its forward pass stored instead of recomputing z) and for the
cells' hot loops (:func:`sigmoid_of_negated`).
"""

from __future__ import annotations

import numpy as np


def _exp_bound(dtype: np.dtype) -> float:
    """L with e^(±L) finite and normal in ``dtype``: 708 in float64, 87 in float32."""
    fi = np.finfo(dtype)
    return float(np.floor(min(-np.log(fi.tiny), np.log(fi.max))))


_EXP_BOUND = {np.dtype(t): _exp_bound(np.dtype(t)) for t in (np.float64, np.float32)}


def _sigmoid_constants(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """−L, L and 1 as 0-d arrays of ``dtype``: a typed operand skips the conversion of a
    Python scalar on every call (a third of a small step's cost), and values typed as the
    array keep float32 arithmetic in float32."""
    bound = _EXP_BOUND.get(dtype) or _exp_bound(dtype)
    return np.array(-bound, dtype), np.array(bound, dtype), np.array(1, dtype)


_SIGMOID_CONSTANTS = {dt: _sigmoid_constants(dt) for dt in _EXP_BOUND}


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), with z first clipped to ±L (L = 708 in float64, 87 in
    float32): no overflow or underflow, and beyond ±L the true σ is within the smallest
    normal number of 0, or rounds to 1.

    This form keeps full relative accuracy for z ≪ 0 (where (1 + tanh(z/2)) / 2 cancels)
    and NumPy's exp is about twice as fast as its tanh — it is the gated cells' hot loop.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if out is None:
        out = np.empty_like(z)
    np.negative(z, out=out)
    return sigmoid_of_negated(out)


def sigmoid_of_negated(minus_z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) given ``minus_z`` = −z (float64 or float32), which it overwrites: the form of
    :func:`sigmoid`, 1 / (1 + e^(clip(−z, ±L))), in four passes, the last one into ``out``
    (default ``minus_z`` itself).

    The gated cells keep their sigmoid gates' pre-activations negated (their weights are
    negated when the products are formed, which is exact), so that e^(−z) needs no
    separate negation pass: the result is bit for bit :func:`sigmoid`'s.
    """
    lo, hi, one = _SIGMOID_CONSTANTS.get(minus_z.dtype) or _sigmoid_constants(minus_z.dtype)
    minus_z.clip(lo, hi, out=minus_z)
    np.exp(minus_z, out=minus_z)
    np.add(minus_z, one, out=minus_z)
    return np.divide(one, minus_z, out=minus_z if out is None else out)


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _relu(z, out=None):
    return np.maximum(z, 0.0, out=out)


def _identity(z, out=None):
    if out is None:
        return z.copy()
    out[...] = z
    return out


#: The values by the table's names (each ``f(z, out=None)``).
VALUES = {"tanh": _tanh, "sigmoid": sigmoid, "relu": _relu, "identity": _identity}
