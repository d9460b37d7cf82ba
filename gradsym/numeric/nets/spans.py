"""Products of state Jacobians over a span: the quantity that vanishes or explodes.

Along a trajectory s⁽⁰⁾, s⁽¹⁾, …, s⁽ᵀ⁾ of a cell (or a stack), with the one-step Jacobians
J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ evaluated at (x⁽ᵗ⁾, s⁽ᵗ⁻¹⁾), the chain rule (claim "chain-rule") gives,
numerator layout,

    ∂s⁽ᵗ⁾/∂s⁽ᵏ⁾ = J⁽ᵗ⁾ J⁽ᵗ⁻¹⁾ ⋯ J⁽ᵏ⁺¹⁾          (t − k factors: claim "bptt-factors")

:func:`jacobian_products` fixes the end t = ``end`` and grows the lag ℓ = t − k backwards
(the gradient reaching ever earlier states from one loss term);
:func:`jacobian_products_from` fixes the start k and grows t (how a perturbation of s⁽ᵏ⁾
propagates forward). Each returns a :class:`SpanJacobians` with, per lag ℓ = 1 … L and per
sequence, the product (optional), its spectral and Frobenius norms and its singular values.

Numerics. The running product is kept as P̃ · 2^E: after every factor the exponent of its
largest entry is moved into the integer E (``np.frexp``). Scaling by a power of two is
exact, so ``products`` equals the naive left-to-right product bit for bit wherever that is
representable, while the log-norms ``log_spectral_norms`` etc. stay finite far beyond
float64's range (ln ‖∂s⁽ᵗ⁾/∂s⁽ᵏ⁾‖ = ln ‖P̃‖ + E ln 2). The plain (non-log) values are
float64 and overflow to inf, or underflow to 0, when the true value is outside float64 —
that is the explosion or vanishing itself and is not hidden: ``overflow[ℓ, b]`` and
``underflow[ℓ, b]`` say where it happened. Singular values far below the largest are
resolved only down to about 1e-16 times it (they are computed from the same matrix).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.display import exp_number, markdown_table, time_step
from gradsym.errors import InvalidValueError, ShapeError
from gradsym.numeric.nets.batch_first import require_time_major
from gradsym.numeric.nets.network import Network, state_at

_LN2 = float(np.log(2.0))


@dataclass
class SpanJacobians:
    """Products of state Jacobians per lag.

    ``anchor`` is ``"end"`` (products ∂s⁽ᵉ⁾/∂s⁽ᵉ⁻ˡ⁾, e = ``anchor_step``) or ``"start"``
    (∂s⁽ᵏ⁺ˡ⁾/∂s⁽ᵏ⁾, k = ``anchor_step``); ``lags`` (L,) = 1 … L; ``steps`` (L,) the other
    end of each span (e − ℓ or k + ℓ). Per lag and sequence:

    * ``products`` (L, B, S, S) or None (``keep_products=False``);
    * ``spectral_norms``, ``frobenius_norms`` (L, B); ``singular_values`` (L, B, S),
      descending — float64, inf or 0 where out of range;
    * ``log_spectral_norms``, ``log_frobenius_norms`` (L, B), ``log_singular_values``
      (L, B, S): natural logs, finite whatever the span (−inf for an exact 0);
    * ``overflow``, ``underflow`` (L, B): the plain values overflowed to inf, or the
      product underflowed to all zeros although it is not zero.
    """

    anchor: str
    anchor_step: int
    lags: np.ndarray
    steps: np.ndarray
    products: np.ndarray | None
    spectral_norms: np.ndarray
    frobenius_norms: np.ndarray
    singular_values: np.ndarray
    log_spectral_norms: np.ndarray
    log_frobenius_norms: np.ndarray
    log_singular_values: np.ndarray
    overflow: np.ndarray
    underflow: np.ndarray

    @property
    def any_overflow(self) -> bool:
        return bool(self.overflow.any())

    def _span(self, k: int) -> str:
        e, lag = self.anchor_step, int(self.lags[k])
        t, k = (e, e - lag) if self.anchor == "end" else (e + lag, e)
        return f"∂{time_step('s', t)}/∂{time_step('s', k)}"

    def __repr__(self) -> str:  # a summary, not the arrays (a notebook shows this)
        L, B = self.log_spectral_norms.shape
        S = self.log_singular_values.shape[-1]
        median = np.median(self.log_spectral_norms, axis=1)
        flags = f", overflow at {int(self.overflow.sum())}" if self.overflow.any() else ""
        flags += f", underflow at {int(self.underflow.sum())}" if self.underflow.any() else ""
        return (
            f"SpanJacobians(anchor={self.anchor!r} at step {self.anchor_step}, lags 1..{L}, "
            f"B={B}, S={S}; median ‖{self._span(0)}‖₂ = {exp_number(median[0])}, "
            f"‖{self._span(L - 1)}‖₂ = {exp_number(median[-1])}{flags})"
        )

    def _repr_markdown_(self) -> str:
        """Spectral norms per lag (over the batch), a few lags from each end."""
        L = len(self.lags)
        picks = sorted({*range(min(L, 4)), *range(max(0, L - 3), L), L // 2})
        rows = []
        for k in picks:
            logs = self.log_spectral_norms[k]
            rows.append(
                [
                    int(self.lags[k]),
                    self._span(k),
                    exp_number(float(np.median(logs))),
                    exp_number(float(logs.min())),
                    exp_number(float(logs.max())),
                ]
            )
        head = ["lag ℓ", "span", "median ‖·‖₂", "min", "max"]
        return f"`{self!r}`\n\n" + markdown_table(head, rows)


def step_jacobians(model, xs, state0=None) -> tuple[np.ndarray, object]:
    """J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ for t = 1 … T along the trajectory from ``state0``:
    (T, B, S, S), with the forward trace. ``model`` is a cell, a stack or a
    :class:`~gradsym.numeric.nets.network.Network` (its sequence model is used)."""
    if isinstance(model, Network):
        model = model.model
    if not hasattr(model, "state_jacobian") or not getattr(model, "causal", True):
        raise InvalidValueError(
            f"products of state Jacobians need a model with one state recursion (a cell or "
            f"a Stacked stack of cells), got {type(model).__name__}; a bidirectional model "
            f"has one per direction: gradsym.analyze measures each"
        )
    require_time_major(model, "jacobian_products")
    trace = model.forward(xs, state0)
    T = trace.xs.shape[0]
    Js = np.stack([model.state_jacobian(trace.xs[t], state_at(trace, t))[0] for t in range(T)])
    return Js, trace


def rescale(P: np.ndarray, E: np.ndarray) -> np.ndarray:
    """P̃ = P / 2^e with e the exponent of each product's largest entry, and E += e
    (in place): the running product P̃ · 2^E of the module docstring. ``P`` (B, ·, ·),
    ``E`` (B,) integers. Exact: only the exponents change. Underflow of entries far below
    the peak is expected (call inside ``np.errstate(under="ignore")``)."""
    peak = np.abs(P).max(axis=(1, 2))
    _, e = np.frexp(peak)  # peak = m·2^e, 0.5 ≤ m < 1 (e = 0 for an exact zero)
    E += e
    return np.ldexp(P, -e[:, None, None])


def _products(factors, left: bool, keep: bool, dtype) -> tuple:
    """Running products of ``factors`` (L, B, S, S) as P̃ · 2^E; ``left``: P ← J P, else
    P ← P J. Returns (products or None, plain and log singular values and Frobenius
    norms, overflow, underflow)."""
    L, B, S, _ = factors.shape
    P = np.broadcast_to(np.eye(S, dtype=dtype), (B, S, S)).copy()
    E = np.zeros(B, dtype=np.int64)
    mant = np.empty((L, B, S, S), dtype)
    exps = np.empty((L, B), np.int64)
    # Underflow is expected and harmless throughout: P̃ has peak entry ~1, so only entries
    # below ~1e-308 of the peak (far below what float64 resolves next to it) go to 0.
    with np.errstate(under="ignore"):
        for k in range(L):
            P = rescale(factors[k] @ P if left else P @ factors[k], E)
            mant[k], exps[k] = P, E
        sv = np.linalg.svd(mant, compute_uv=False)  # (L, B, S), of the scaled products
        fro = np.sqrt((mant * mant).sum(axis=(2, 3)))
    with np.errstate(divide="ignore"):  # log 0 = −inf for an exactly vanished product
        log_sv = np.log(sv) + exps[..., None] * _LN2
        log_fro = np.log(fro) + exps * _LN2
    with np.errstate(over="ignore", under="ignore"):
        # The plain values may leave float64's range: that is the result, reported below.
        products = np.ldexp(mant, exps[..., None, None]) if keep else None
        sv_plain = np.ldexp(sv, exps[..., None])
        fro_plain = np.ldexp(fro, exps)
    overflow = ~np.isfinite(fro_plain)
    underflow = (fro > 0) & (fro_plain == 0)
    return products, sv_plain, fro_plain, log_sv, log_fro, overflow, underflow


def _result(anchor, anchor_step, steps, factors, left, keep, dtype) -> SpanJacobians:
    products, sv, fro, log_sv, log_fro, over, under = _products(factors, left, keep, dtype)
    L = factors.shape[0]
    return SpanJacobians(
        anchor=anchor,
        anchor_step=anchor_step,
        lags=np.arange(1, L + 1),
        steps=np.asarray(steps),
        products=products,
        spectral_norms=sv[..., 0],
        frobenius_norms=fro,
        singular_values=sv,
        log_spectral_norms=log_sv[..., 0],
        log_frobenius_norms=log_fro,
        log_singular_values=log_sv,
        overflow=over,
        underflow=under,
    )


def _step_index(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidValueError(f"{name} must be an integer step, got {value!r}")
    if not lo <= value <= hi:
        raise InvalidValueError(f"{name} must be a step in [{lo}, {hi}], got {value}")
    return int(value)


def jacobian_products(
    model, xs, state0=None, *, end: int | None = None, keep_products: bool = True
) -> SpanJacobians:
    """∂s⁽ᵉ⁾/∂s⁽ᵉ⁻ˡ⁾ = J⁽ᵉ⁾ J⁽ᵉ⁻¹⁾ ⋯ J⁽ᵉ⁻ˡ⁺¹⁾ for ℓ = 1 … e, e = ``end`` (default T).

    ``model``: a cell, a :class:`~gradsym.numeric.nets.stacked.Stacked` or a
    :class:`~gradsym.numeric.nets.network.Network`; ``xs`` (T, B, d);
    steps count from 1 (s⁽ᵉ⁾ is the state after reading ``xs[e − 1]``; s⁽⁰⁾ = ``state0``).
    """
    xs = np.asarray(xs)
    if xs.ndim != 3:
        raise ShapeError(f"xs must have shape (T, B, d), got {xs.shape}")
    e = _step_index("end", xs.shape[0] if end is None else end, 1, xs.shape[0])
    Js, _ = step_jacobians(model, xs[:e], state0)
    factors = Js[::-1]  # J⁽ᵉ⁾ first: P(ℓ) = P(ℓ−1) J⁽ᵉ⁻ˡ⁺¹⁾ multiplies on the right
    return _result("end", e, e - np.arange(1, e + 1), factors, False, keep_products, Js.dtype)


def jacobian_products_from(
    model, xs, state0=None, *, start: int = 0, keep_products: bool = True
) -> SpanJacobians:
    """∂s⁽ᵏ⁺ˡ⁾/∂s⁽ᵏ⁾ = J⁽ᵏ⁺ˡ⁾ ⋯ J⁽ᵏ⁺¹⁾ for ℓ = 1 … T − k, k = ``start`` (default 0)."""
    xs = np.asarray(xs)
    if xs.ndim != 3:
        raise ShapeError(f"xs must have shape (T, B, d), got {xs.shape}")
    k = _step_index("start", start, 0, xs.shape[0] - 1)
    Js, _ = step_jacobians(model, xs, state0)
    factors = Js[k:]  # J⁽ᵏ⁺¹⁾ first: Q(ℓ) = J⁽ᵏ⁺ˡ⁾ Q(ℓ−1) multiplies on the left
    T = xs.shape[0]
    return _result("start", k, k + np.arange(1, T - k + 1), factors, True, keep_products, Js.dtype)
