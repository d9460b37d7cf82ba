"""Gradient clipping: the fix for exploding gradients (Pascanu, Mikolov & Bengio 2013).

Algorithm 1 of the notes (norm clipping), with ĝ the gradient of every parameter seen as
one vector::

    ĝ ← ∂ε/∂θ
    if ‖ĝ‖ ≥ threshold then
        ĝ ← (threshold / ‖ĝ‖) ĝ
    end if

After clipping ‖ĝ‖ ≤ threshold, and the direction of ĝ is unchanged: the step is taken in
the same direction, only shorter. Clipping by value bounds every component to
[−threshold, threshold] instead, which in general changes the direction.

Containers
----------
``grads`` is a dict name → array (as the cells' gradients), a list or tuple of arrays,
or a single array; the same kind of container comes back, with the same keys/order.

In place or not
---------------
:func:`clip_by_norm` and :func:`clip_by_value` never touch their input: they return new
arrays. :func:`clip_by_norm_` and :func:`clip_by_value_` (trailing underscore, as in
PyTorch) overwrite the given arrays and return the same container, so views into fused
storage stay views.

Composable pieces
-----------------
:func:`by_norm`, :func:`by_value` and :func:`chain` build :class:`Clipper` objects, small
callables ``grads → ClipResult`` that a training loop holds (the idea of optax's
``clip_by_global_norm``).

What came out
-------------
Every clipping function returns a :class:`ClipResult`: the gradients, the norm before
clipping, whether clipping was active (``clipped``) and the factor applied (``scale``).
Whoever needs to know whether a gradient was clipped reads ``clipped``; the rule (≥ for
Algorithm 1, PyTorch's factor < 1, a component beyond the bound) lives here only.

Reference: R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent
neural networks", ICML 2013, Algorithm 1.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, NonFiniteError, unknown_name
from gradsym.validate import positive_number

__all__ = [
    "ClipResult",
    "Clipper",
    "by_norm",
    "by_value",
    "chain",
    "clip_by_norm",
    "clip_by_norm_",
    "clip_by_value",
    "clip_by_value_",
    "clip_factor",
    "global_norm",
]

Grads = Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray
G = TypeVar("G")
Mode = Literal["algorithm1", "torch"]

MODES = ("algorithm1", "torch")

# torch.nn.utils.clip_grad_norm_ adds this to the total norm before dividing.
TORCH_EPS = 1e-6


@dataclass(frozen=True, eq=False)
class ClipResult:
    """What a clipping function returns; it unpacks as ``grads, norm = clip_by_norm(...)``.

    ``grads`` is the clipped gradients in the container type that came in; ``norm`` is
    the global norm ‖ĝ‖ *before* clipping (a Python float, possibly ``inf`` or ``nan``).
    For :func:`clip_by_value` ``norm`` is the global 2-norm before clipping too, so that a
    training log reads the same whichever clipper it uses.

    ``clipped`` says whether clipping was active: for Algorithm 1 ‖ĝ‖ ≥ threshold
    (equality included; a NaN norm is never clipped), for PyTorch's rule a factor below 1
    (which happens just *below* the threshold too, because of the 1e-6), for value
    clipping some component beyond ±threshold. ``scale`` is the factor every gradient was
    multiplied by (1.0 when untouched, NaN after PyTorch's rule met a NaN norm), or None
    for value clipping, which has no single factor.
    """

    grads: Grads
    norm: float
    clipped: bool
    scale: float | None

    def __iter__(self):
        return iter((self.grads, self.norm))


# -- containers ---------------------------------------------------------------------------


def _arrays(grads: Grads) -> list[np.ndarray]:
    """The arrays of ``grads`` in container order, each checked to be floating point."""
    if isinstance(grads, np.ndarray):
        items = [("grads", grads)]
    elif isinstance(grads, Mapping):
        items = [(f"grads[{k!r}]", v) for k, v in grads.items()]
    elif isinstance(grads, (list, tuple)):
        items = [(f"grads[{i}]", v) for i, v in enumerate(grads)]
    else:
        raise DTypeError(
            "grads must be a dict name → array, a list or tuple of arrays, or an array; "
            f"got {type(grads).__name__}"
        )
    out = []
    for label, v in items:
        if not isinstance(v, np.ndarray):
            raise DTypeError(f"{label} must be a numpy array, got {type(v).__name__}")
        if v.dtype.kind != "f":
            raise DTypeError(f"{label} must have a floating dtype, got {v.dtype}")
        out.append(v)
    return out


def _rebuild(grads: G, arrays: list[np.ndarray]) -> G:
    """The container of ``grads`` holding ``arrays`` instead."""
    if isinstance(grads, np.ndarray):
        return arrays[0]  # type: ignore[return-value]
    if isinstance(grads, Mapping):
        return dict(zip(grads.keys(), arrays))  # type: ignore[return-value]
    return type(grads)(arrays)  # type: ignore[call-arg]


# -- norms --------------------------------------------------------------------------------


def _check_norm_type(norm_type) -> float:
    try:
        p = float(norm_type)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"norm_type must be a positive number or inf, got {norm_type!r}"
        ) from exc
    if not (p > 0):  # also refuses NaN
        raise InvalidValueError(f"norm_type must be a positive number or inf, got {norm_type!r}")
    return p


def _work_dtype(*dtypes: np.dtype) -> np.dtype:
    """The type a norm is computed in: float32 when every array is float32 (a float32
    run stays float32, as PyTorch's norms do), float64 otherwise."""
    return np.dtype(np.float32) if all(d == np.float32 for d in dtypes) else np.dtype(np.float64)


def _robust_pnorm(a: np.ndarray, p: float) -> float:
    """(Σ|aᵢ|ᵖ)^(1/p) of one array, scaled by max|aᵢ| so that a finite norm of huge
    entries (an exploding gradient of 1e200) does not overflow to inf; computed in
    float32 for a float32 array, in float64 otherwise.

    Non-finite entries give inf (an inf entry) or nan (a NaN entry), as the plain
    formula would.
    """
    x = np.abs(a.astype(_work_dtype(a.dtype), copy=False)).ravel()  # our own array
    if x.size == 0:
        return 0.0
    m = float(x.max())  # NaN if an entry is NaN
    if math.isnan(m) or m == 0.0 or math.isinf(m) or math.isinf(p):
        return m
    x /= m
    if p == 2.0:
        np.square(x, out=x)
    else:
        x = x**p
    s = float(x.sum())
    return m * s ** (1.0 / p)


@functools.lru_cache(maxsize=64)
def _segments(sizes: tuple[int, ...]) -> tuple[np.ndarray, list[int], list[int], np.ndarray]:
    """Where arrays of these sizes lie when concatenated: starts (as an index array and a
    list), ends, and each entry's array number. A training run asks for the same sizes at
    every step."""
    ends = list(itertools.accumulate(sizes))
    starts = [0, *ends[:-1]]
    ids = np.repeat(np.arange(len(sizes)), sizes)
    return np.array(starts, np.intp), starts, ends, ids


def _array_norms(arrays: list[np.ndarray], p: float) -> list[float]:
    """:func:`_robust_pnorm` of every array, bit for bit, in a few passes over all of them
    at once: |x| in one buffer, each array's max in one call (``maximum.reduceat``; a max
    is exact), the scaling and the power in one call each; only the sums stay one call
    per array (``add.reduceat`` adds in another order than ``sum``, which rounds
    differently, and float64 norms stay bit for bit what they were). A training step's
    gradients are a dozen small arrays, so the calls, not the arithmetic, were the cost."""
    dtype = _work_dtype(*(a.dtype for a in arrays))
    live = [a for a in arrays if a.size]
    if len(live) < 2 or any(a.dtype != live[0].dtype for a in live) or math.isinf(p):
        return [_robust_pnorm(a, p) for a in arrays]
    starts_at, starts, ends, ids = _segments(tuple(a.size for a in live))
    x = np.concatenate(live, axis=None, dtype=dtype)
    np.abs(x, out=x)
    m = np.maximum.reduceat(x, starts_at)  # NaN where an array holds one
    scaled = [0.0 < mk < math.inf for mk in m.tolist()]  # the others' norm is their max
    if not all(scaled):
        for ok, start, end in zip(scaled, starts, ends):
            if not ok:
                x[start:end] = 0.0  # nothing to scale, nothing to overflow
        m_safe = np.where(scaled, m, 1.0).astype(dtype, copy=False)
    else:
        m_safe = m
    x /= m_safe[ids]
    if p == 2.0:
        np.square(x, out=x)
    else:
        x = x**p
    root, total = 1.0 / p, np.add.reduce  # what ndarray.sum calls
    norms = iter(
        [
            mk * float(total(x[start:end])) ** root if ok else mk
            for mk, ok, start, end in zip(m.tolist(), scaled, starts, ends)
        ]
    )
    return [next(norms) if a.size else 0.0 for a in arrays]


def _total_norm(arrays: list[np.ndarray], p: float) -> float:
    """‖ĝ‖_p of the arrays seen as one vector, scaled so that finite gradients never
    overflow. float64 (or mixed): the p-norm of the per-array p-norms, each scaled by its
    own largest entry (the numbers float64 runs have always logged and clipped with).
    float32: one pass over all the entries at once, scaled by the largest, in float32."""
    if not arrays:
        return 0.0
    if all(a.dtype == np.float32 for a in arrays):
        return _robust_pnorm(np.concatenate(arrays, axis=None), p)
    return _robust_pnorm(np.asarray(_array_norms(arrays, p), np.float64), p)


def global_norm(grads: Grads, norm_type: float = 2.0) -> float:
    """‖ĝ‖_p of all gradients seen as one vector (computed in float32 when every
    gradient is float32, else in float64; returned as a Python float).

    ``norm_type`` p > 0 or ``inf`` (max |ĝᵢ|). In float64, the p-norm of the per-array
    p-norms, which is how PyTorch computes it; in float32, the p-norm of every entry at
    once. Computed with scaling so that finite gradients never overflow; NaN anywhere
    gives NaN, otherwise an inf entry gives inf.
    """
    return _total_norm(_arrays(grads), _check_norm_type(norm_type))


def _torch_total_norm(arrays: list[np.ndarray], p: float) -> float:
    """The total norm exactly as ``torch.nn.utils.get_total_norm`` computes it: the
    p-norm of the stacked per-tensor p-norms, each by the plain formula (so it overflows
    where PyTorch overflows)."""
    if not arrays:
        return 0.0

    dtype = _work_dtype(*(a.dtype for a in arrays))

    def pnorm(x: np.ndarray) -> float:
        x = np.abs(x.astype(dtype, copy=False)).ravel()
        if x.size == 0:
            return 0.0
        if math.isinf(p):
            return float(x.max())
        if p == 1.0:
            return float(x.sum())
        if p == 2.0:
            return float(np.sqrt(np.dot(x, x)))
        return float(np.sum(x**p) ** (1.0 / p))

    # PyTorch overflows silently to inf; NumPy would warn (an error under -W error).
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.array([pnorm(a) for a in arrays], dtype=dtype)
        return pnorm(norms)


# -- norm clipping ------------------------------------------------------------------------


def _norm_scale(
    arrays: list[np.ndarray],
    threshold: float,
    mode: str,
    norm_type: float,
    error_if_nonfinite: bool,
) -> tuple[float, float | None]:
    """The norm before clipping and the factor to multiply by (None: leave untouched)."""
    if mode not in MODES:
        raise unknown_name("clipping mode", mode, MODES)
    p = _check_norm_type(norm_type)
    if mode == "torch":
        norm = _torch_total_norm(arrays, p)
    else:
        norm = _total_norm(arrays, p)
    if error_if_nonfinite and not math.isfinite(norm):
        raise NonFiniteError(
            f"the total norm of order {p} of the gradients is non-finite ({norm}), so it "
            "cannot be clipped; pass error_if_nonfinite=False to scale by it anyway"
        )
    if mode == "torch":
        # PyTorch always multiplies by min(max_norm / (total_norm + 1e-6), 1): below
        # the threshold the factor is exactly 1.0, with a NaN norm it is NaN and every
        # gradient becomes NaN, with an inf norm it is 0 (inf entries become NaN).
        with np.errstate(invalid="ignore"):
            coef = threshold / (norm + TORCH_EPS)
        coef = coef if math.isnan(coef) else min(coef, 1.0)
        return norm, coef
    # Algorithm 1, literally: rescale only when ‖ĝ‖ ≥ threshold. A NaN norm fails the
    # comparison, so NaN gradients pass through unchanged (ask error_if_nonfinite=True
    # to stop instead); an inf norm gives the factor 0.
    if norm >= threshold:
        return norm, threshold / norm
    return norm, None


def _norm_result(grads, norm: float, scale: float | None, mode: str) -> ClipResult:
    """The result of norm clipping with factor ``scale`` (None: left untouched)."""
    if scale is None:
        return ClipResult(grads, norm, clipped=False, scale=1.0)
    # Algorithm 1 rescales only when active (norm ≥ threshold, a factor of exactly 1 at
    # equality); PyTorch's rule always multiplies, and is active when the factor is < 1.
    clipped = True if mode == "algorithm1" else bool(scale < 1.0)
    return ClipResult(grads, norm, clipped=clipped, scale=scale)


def _scaled(a: np.ndarray, scale: float) -> np.ndarray:
    # inf · 0 = NaN is the documented outcome of an inf norm, not a bug worth a warning.
    with np.errstate(invalid="ignore", over="ignore"):
        return a * a.dtype.type(scale)


def clip_by_norm(
    grads: G,
    threshold: float,
    *,
    mode: Mode = "algorithm1",
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> ClipResult:
    """Clip the global norm of ``grads`` to ``threshold``; the input is not modified.

    ``mode="algorithm1"`` (default) is Algorithm 1 of the notes (Pascanu, Mikolov &
    Bengio 2013): with ĝ every gradient concatenated into one vector,

        if ‖ĝ‖ ≥ threshold:  ĝ ← (threshold / ‖ĝ‖) ĝ     (otherwise ĝ is returned as is)

    so afterwards ‖ĝ‖ ≤ threshold (= threshold when clipping was active) and the
    direction is unchanged. The norm is computed with scaling, so huge finite gradients
    are clipped correctly instead of overflowing (in float32 when every gradient is
    float32, in float64 otherwise).

    ``mode="torch"`` reproduces ``torch.nn.utils.clip_grad_norm_``: total norm = the
    p-norm of the per-array p-norms (plain formula, overflowing like PyTorch), then every
    gradient is multiplied by ``min(threshold / (total_norm + 1e-6), 1)`` — always, even
    below the threshold (factor 1.0), so a NaN norm makes every gradient NaN and an inf
    norm makes finite entries 0 and inf entries NaN. Because of the 1e-6 the clipped norm
    is slightly *below* the threshold. The match is exact for float64 gradients; float32
    gradients have their norm computed in float32, as PyTorch does, but the order of its
    sums may differ from PyTorch's in the last bits.

    Args:
        grads: dict name → array, list/tuple of arrays, or one array (floating dtypes).
        threshold: the maximum norm, a positive finite number.
        mode: ``"algorithm1"`` or ``"torch"``.
        norm_type: p of the p-norm, p > 0, or ``inf`` for max |ĝᵢ|.
        error_if_nonfinite: raise :class:`NonFiniteError` if the norm is NaN or inf
            (PyTorch raises RuntimeError there) instead of scaling.

    Returns:
        A :class:`ClipResult`: new arrays in the same container, ‖ĝ‖ before clipping,
        whether clipping was active and the factor applied.

    Raises:
        InvalidValueError: threshold ≤ 0, NaN or inf; norm_type ≤ 0 or NaN.
        UnknownNameError: an unknown ``mode``.
        NonFiniteError: a non-finite norm with ``error_if_nonfinite=True``.
    """
    thr = positive_number("threshold", threshold)
    arrays = _arrays(grads)
    norm, scale = _norm_scale(arrays, thr, mode, norm_type, error_if_nonfinite)
    out = [a.copy() if scale is None else _scaled(a, scale) for a in arrays]
    return _norm_result(_rebuild(grads, out), norm, scale, mode)


def clip_by_norm_(
    grads: G,
    threshold: float,
    *,
    mode: Mode = "algorithm1",
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> ClipResult:
    """:func:`clip_by_norm` in place: the arrays of ``grads`` are overwritten and the same
    container (same array objects) is returned with the norm before clipping."""
    thr = positive_number("threshold", threshold)
    arrays = _arrays(grads)
    norm, scale = _norm_scale(arrays, thr, mode, norm_type, error_if_nonfinite)
    if scale is not None:
        with np.errstate(invalid="ignore", over="ignore"):
            for a in arrays:
                a *= a.dtype.type(scale)
    return _norm_result(grads, norm, scale, mode)


def clip_factor(
    grads: G,
    threshold: float,
    *,
    mode: Mode = "algorithm1",
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> ClipResult:
    """What :func:`clip_by_norm` would do, without doing it: the :class:`ClipResult` of
    the same norm, activity and factor, with ``grads`` returned untouched. For a caller
    that applies the factor itself, in one pass over gradients it holds end to end (an
    optimiser's ``step(..., scale=)``): multiplying each entry by the same factor is
    bit for bit what clipping each array gives."""
    thr = positive_number("threshold", threshold)
    arrays = _arrays(grads)
    norm, scale = _norm_scale(arrays, thr, mode, norm_type, error_if_nonfinite)
    return _norm_result(grads, norm, scale, mode)


# -- value clipping -----------------------------------------------------------------------


def clip_by_value(grads: G, threshold: float) -> ClipResult:
    """Bound every component to [−threshold, threshold]; the input is not modified.

        ĝᵢ ← min(max(ĝᵢ, −threshold), threshold)

    Unlike norm clipping this in general changes the direction of ĝ (components at the
    bound are shortened, the others are not). NaN components stay NaN (as
    ``torch.nn.utils.clip_grad_value_``), ±inf become ±threshold.

    Returns a :class:`ClipResult` with ``norm`` the global 2-norm before clipping,
    ``clipped`` True if a component lay beyond ±threshold, and ``scale`` None.
    Raises InvalidValueError for threshold ≤ 0, NaN or inf.
    """
    thr = positive_number("threshold", threshold)
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    clipped = _beyond(arrays, thr)
    out = [np.clip(a, -thr, thr) for a in arrays]
    return ClipResult(_rebuild(grads, out), norm, clipped=clipped, scale=None)


def clip_by_value_(grads: G, threshold: float) -> ClipResult:
    """:func:`clip_by_value` in place: the arrays of ``grads`` are overwritten."""
    thr = positive_number("threshold", threshold)
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    clipped = _beyond(arrays, thr)
    for a in arrays:
        np.clip(a, -thr, thr, out=a)
    return ClipResult(grads, norm, clipped=clipped, scale=None)


def _beyond(arrays: list[np.ndarray], thr: float) -> bool:
    """Some component outside [−thr, thr], i.e. changed by value clipping (NaN is not)."""
    return any(bool(np.any(np.abs(a) > thr)) for a in arrays)


# -- composable clippers ------------------------------------------------------------------


class Clipper:
    """A clipping transformation: ``clipper(grads) → ClipResult``.

    Build one with :func:`by_norm`, :func:`by_value` or :func:`chain`; a training loop
    holds it and calls it on every step's gradients. ``in_place`` says whether the
    gradients' arrays are overwritten; ``deferred`` that they are returned untouched
    and the result's ``scale`` is for the caller to apply (:func:`clip_factor`).
    """

    def __init__(self, fn, description: str, in_place: bool, deferred: bool = False):
        self._fn = fn
        self.description = description
        self.in_place = in_place
        self.deferred = deferred

    def __call__(self, grads: G) -> ClipResult:
        return self._fn(grads)

    def __repr__(self) -> str:
        return f"Clipper({self.description})"


def by_norm(
    threshold: float,
    *,
    mode: Mode = "algorithm1",
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    in_place: bool = False,
    deferred: bool = False,
) -> Clipper:
    """A :class:`Clipper` doing :func:`clip_by_norm` (Algorithm 1, Pascanu et al. 2013)
    with these settings (``in_place``: :func:`clip_by_norm_`; ``deferred``:
    :func:`clip_factor`, the factor for the caller to apply); the arguments are checked
    now, not at the first call."""
    thr = positive_number("threshold", threshold)
    if mode not in MODES:
        raise unknown_name("clipping mode", mode, MODES)
    p = _check_norm_type(norm_type)
    if in_place and deferred:
        raise InvalidValueError("a clipper is in_place or deferred, not both")
    fn = clip_factor if deferred else clip_by_norm_ if in_place else clip_by_norm

    def clip(grads):
        return fn(grads, thr, mode=mode, norm_type=p, error_if_nonfinite=error_if_nonfinite)

    desc = f"by_norm({thr}, mode={mode!r}, norm_type={p}{', deferred' if deferred else ''})"
    return Clipper(clip, desc, in_place, deferred)


def by_value(threshold: float, *, in_place: bool = False) -> Clipper:
    """A :class:`Clipper` doing :func:`clip_by_value` with this threshold."""
    thr = positive_number("threshold", threshold)
    fn = clip_by_value_ if in_place else clip_by_value
    return Clipper(lambda grads: fn(grads, thr), f"by_value({thr})", in_place)


def chain(*clippers: Clipper) -> Clipper:
    """Apply ``clippers`` one after another; the reported norm is the first one's (the
    norm of the gradients as they came in), ``clipped`` says whether any was active and
    ``scale`` is the product of the factors (None if a value clipper is in the chain)."""
    if not clippers:
        raise InvalidValueError("chain needs at least one clipper, got none")
    for c in clippers:
        if not isinstance(c, Clipper):
            raise InvalidValueError(f"chain takes Clipper objects, got {type(c).__name__}")
        if c.deferred:
            raise InvalidValueError(
                f"chain applies its clippers one after another; {c!r} only computes a factor"
            )

    def clip(grads):
        results = [clippers[0](grads)]
        for c in clippers[1:]:
            results.append(c(results[-1].grads))
        scales = [r.scale for r in results]
        scale = None if None in scales else math.prod(scales)
        clipped = any(r.clipped for r in results)
        return ClipResult(results[-1].grads, results[0].norm, clipped=clipped, scale=scale)

    desc = " → ".join(c.description for c in clippers)
    return Clipper(clip, desc, all(c.in_place for c in clippers))
