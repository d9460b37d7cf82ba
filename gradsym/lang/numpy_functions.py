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


# The gated cells form their sigmoid gates' pre-activations with the weights multiplied
# by an exact factor (a sign or a power of two), chosen per dtype so that σ takes the
# fewest passes over the gate values (see sigmoid_of_prescaled).
_SIGMOID_PRESCALE = {np.dtype(np.float64): -1.0, np.dtype(np.float32): 0.5}
#: ½ as a 0-d array of each dtype (a typed operand: no conversion per call, and float32
#: arithmetic stays float32).
HALF = {dt: np.array(0.5, dt) for dt in _SIGMOID_PRESCALE}


def sigmoid_prescale(dtype) -> float:
    """The factor s by which the gated cells multiply their sigmoid gates' weights and
    biases, so that the products give w = s·z and :func:`sigmoid_of_prescaled` reads σ(z)
    from w: −1 in float64, ½ in float32. Both are exact (a sign, a power of two), so w is
    s·z to the last bit."""
    return _SIGMOID_PRESCALE[np.dtype(dtype)]


def sigmoid_of_prescaled(w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) from w = :func:`sigmoid_prescale`·z (overwritten), into ``out`` (default w).

    float64, w = −z: :func:`sigmoid_of_negated`, 1 / (1 + e^(−z)), full relative accuracy
    for z ≪ 0 (the exact reference). float32, w = z/2: σ(z) = ½ + ½ tanh(z/2), three
    passes instead of four and no clipping (tanh cannot overflow); its error is a few
    units of 2⁻²⁴ absolute, the rounding of the gate values themselves, so that a gate
    below about 10⁻⁷ reads as 0 (its relative accuracy is lost, and nothing a gate
    multiplies notices). NumPy's float32 tanh is about as fast as its exp.
    """
    if w.dtype != np.float32:
        return sigmoid_of_negated(w, out)
    out = np.tanh(w, out=w if out is None else out)
    return half_plus_half(out, out)


def half_plus_half(t: np.ndarray, out: np.ndarray) -> np.ndarray:
    """½ + ½ t into ``out`` (which may be t): σ(z) from t = tanh(z/2)."""
    half = HALF.get(t.dtype) or np.array(0.5, t.dtype)
    np.multiply(t, half, out=out)
    return np.add(out, half, out=out)


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _relu(z, out=None):
    return np.maximum(z, 0.0, out=out)


def _identity(z, out=None):
    if out is None:
        return z.copy()
    out[...] = z
    return out


def _exp(z, out=None):
    return np.exp(z, out=out)


def _log(z, out=None):
    return np.log(z, out=out)


def softplus(z, out=None):
    """softplus(z) = log(1 + e^z), as log(e^0 + e^z) by NumPy's ``logaddexp``: max(z, 0) +
    log1p(e^(−|z|)), which neither overflows for z ≫ 0 (where log(1 + e^z) is inf beyond
    z = 709) nor loses the tiny value e^z for z ≪ 0 (where 1 + e^z rounds to 1)."""
    return np.logaddexp(0.0, z, out=out)


def softplus_prime_from_value(a):
    """softplus'(z) = σ(z) from a = softplus(z): 1 − e^(−a), as −expm1(−a) so that
    σ(z) ≈ e^z keeps its relative accuracy for z ≪ 0 (where a ≈ e^z is tiny)."""
    return -np.expm1(-a)


def _sqrt(z, out=None):
    return np.sqrt(z, out=out)


def _abs(z, out=None):
    return np.abs(z, out=out)


def step(z, out=None):
    """The Heaviside step H(z) with H(0) = ½ (SymPy's convention, the derivative of max at a
    tie split evenly between its arguments as PyTorch's ``torch.maximum`` does)."""
    return np.heaviside(z, 0.5, out=out)


#: The values by the table's names (each ``f(z, out=None)``).
VALUES = {
    "tanh": _tanh,
    "sigmoid": sigmoid,
    "relu": _relu,
    "identity": _identity,
    "exp": _exp,
    "log": _log,
    "softplus": softplus,
    "sqrt": _sqrt,
    "abs": _abs,
    "step": step,
}


# -- functions of two vectors -------------------------------------------------------------


def _max_partials(a, b, y):
    return step(a - b), step(b - a)


def _min_partials(a, b, y):
    return step(b - a), step(a - b)


def _logaddexp_partials(a, b, y):
    # σ(a − b) from the difference, not e^(a − y): a − y loses |a| units of 2⁻⁵³ when a is
    # large (1000 gives 1e-13), a − b is exact to half a unit of the difference
    return sigmoid(a - b), sigmoid(b - a)


def _divide_partials(a, b, y):
    return 1.0 / b, -y / b


def _power_partials(a, b, y):
    # ∂(a^b)/∂a = b a^b / a (SymPy's form), ∂(a^b)/∂b = a^b log a; the bases of the gated
    # recurrences are in (0, 1), where both are finite
    return b * y / a, y * np.log(a)


#: Functions of two vectors by the pairwise table's names: (value f(a, b), partials
#: (a, b, y = f(a, b)) → (∂f/∂a, ∂f/∂b), each reusing the output y where that is cheaper).
PAIRWISE_VALUES = {
    "max": (np.maximum, _max_partials),
    "min": (np.minimum, _min_partials),
    "logaddexp": (np.logaddexp, _logaddexp_partials),
    "divide": (np.divide, _divide_partials),
    "power": (np.power, _power_partials),
}
