"""Gradient flow against the lag: ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ over many sequences.

The gradient a loss term at the last step T sends back to the hidden state ℓ steps
earlier passes through the product (claims "chain-rule", "bptt-factors")

    ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾ = J⁽ᵀ⁾ J⁽ᵀ⁻¹⁾ ⋯ J⁽ᵀ⁻ˡ⁺¹⁾,      J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾,

and ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ is its h–h block (the whole product for the RNN and the GRU; for the
LSTM, s = [h; c], the block with c⁽ᵀ⁻ˡ⁾ held fixed — the path by which the gradient
reaches h⁽ᵀ⁻ˡ⁾ itself; the norm of the whole product is reported beside it). ``block``
measures another block instead: ∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾ (the LSTM's cell path, or the memory of a
declared cell whose h is only read out of c), or "state", the whole product.

The product grows one factor per lag from the end, P ← P J⁽ᵀ⁻ˡ⁺¹⁾ (the one-step
Jacobians come from the cell's closed-form ``state_jacobian``, evaluated along the forward
pass), and is kept as P̃ · 2^E (:func:`gradsym.numeric.nets.spans.rescale`), so the
log-norms stay finite and exact for any span while the plain norms would overflow or
underflow. Only O(B·S²) memory is used, whatever the length.

The spectral norm costs an SVD (about eight times the product itself), so it is taken at
every lag up to :data:`DENSE_LAGS`, and beyond that at about :data:`GRID_LAGS` evenly
spaced lags that always include :data:`LOGGED_LAG` (the lag the trainer logs) and the last
lag — unless the state is small (S ≤ :data:`SMALL_STATE`), when every lag is taken.
``lags`` says exactly which lags were measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError, unknown_name
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.nets.network import state_at
from gradsym.numeric.nets.spans import rescale
from gradsym.validate import check_array, positive_int

__all__ = [
    "DENSE_LAGS",
    "GRID_LAGS",
    "LOGGED_LAG",
    "SMALL_STATE",
    "GradientFlow",
    "gradient_flow",
    "lag_grid",
    "quantiles",
]

DENSE_LAGS = 16
GRID_LAGS = 48
SMALL_STATE = 32
#: The lag whose gradient norm the trainer logs (``TrainConfig.analysis_every``).
LOGGED_LAG = 50

_LN10 = float(np.log(10.0))

Progress = Callable[[int], None]


def lag_grid(max_lag: int, state_size: int) -> np.ndarray:
    """The lags at which norms are taken (module docstring), ascending."""
    L = positive_int("max_lag", max_lag)
    if L <= DENSE_LAGS + GRID_LAGS or state_size <= SMALL_STATE:
        return np.arange(1, L + 1)
    grid = np.rint(np.linspace(1, L, GRID_LAGS)).astype(np.int64)
    extra = [LOGGED_LAG] if LOGGED_LAG <= L else []
    return np.unique(np.concatenate([np.arange(1, DENSE_LAGS + 1), grid, extra, [L]]))


def quantiles(values: np.ndarray, qs=(0.1, 0.5, 0.9)) -> np.ndarray:
    """Quantiles along axis 1 ((L, N) → (len(qs), L)), linear interpolation, with −inf
    (an exactly vanished norm) kept as −inf instead of poisoning its neighbours."""
    v = np.where(np.isneginf(values), -np.finfo(np.float64).max, values)
    out = np.quantile(v, qs, axis=1)
    return np.where(out <= -np.finfo(np.float64).max / 2, -np.inf, out)


@dataclass
class GradientFlow:
    """Norms of ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ per measured lag and sequence (natural logs, exact for any
    span): ``log_norms`` (L, B); ``log_state_norms`` (L, B) those of the whole
    ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾ (the same array unless s ≠ h); ``lags`` (L,); ``end`` = T, the step
    the gradient starts from; ``max_lag`` the longest span."""

    lags: np.ndarray
    log_norms: np.ndarray
    log_state_norms: np.ndarray
    end: int
    max_lag: int
    sequences: int
    hidden_size: int
    state_size: int
    #: The block measured: a state vector's name ("h", "c", …), or "state" for all of s.
    block: str = "h"

    def log10_quantiles(self, state: bool = False) -> dict[str, np.ndarray]:
        """Per lag: the 10 %, 50 % and 90 % quantiles over sequences of log10 ‖·‖₂."""
        q10, q50, q90 = quantiles((self.log_state_norms if state else self.log_norms) / _LN10)
        return {"q10": q10, "median": q50, "q90": q90}

    def at(self, lag: int) -> np.ndarray:
        """ln ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ per sequence at ``lag`` (one of ``lags``)."""
        where = np.flatnonzero(self.lags == lag)
        if where.size == 0:
            raise InvalidValueError(f"lag {lag} was not measured; measured lags: {self.lags}")
        return self.log_norms[where[0]]

    def settings(self) -> dict:
        return {
            "quantity": (
                "spectral norm of ds(T)/ds(T-l) (the whole state Jacobian product)"
                if self.block == "state"
                else f"spectral norm of d{self.block}(T)/d{self.block}(T-l) "
                f"({self.block}-{self.block} block of the state Jacobian product)"
            ),
            "block": self.block,
            "end_step": self.end,
            "max_lag": self.max_lag,
            "lags_measured": len(self.lags),
            "sequences": self.sequences,
        }

    def __repr__(self) -> str:
        return (
            f"GradientFlow(lags 1…{self.max_lag} ({len(self.lags)} measured), "
            f"sequences={self.sequences}, state_size={self.state_size})"
        )


def _spectral_log_norms(P: np.ndarray, E: np.ndarray) -> np.ndarray:
    """ln σ₁ of P̃ · 2^E per sequence (−inf for an exact zero)."""
    s1 = np.linalg.svd(P, compute_uv=False)[:, 0]
    with np.errstate(divide="ignore"):
        return np.log(s1) + E * np.log(2.0)


def gradient_flow(
    cell: Cell,
    xs,
    state0=None,
    *,
    max_lag: int | None = None,
    lags=None,
    progress: Progress | None = None,
    block: str = "h",
) -> GradientFlow:
    """‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ for ℓ in ``lags`` (default :func:`lag_grid` up to ``max_lag``,
    default T) for ``cell`` driven by ``xs`` (T, B, d) from ``state0``; see the module
    docstring; ``block`` another state vector of the cell ("c") or "state" (all of s).
    ``progress(1)`` is called once per lag."""
    if not isinstance(cell, Cell):
        raise InvalidValueError(
            f"gradient_flow needs a cell (one layer, one direction), got {type(cell).__name__}"
        )
    xs = check_array("xs", xs, (None, None, cell.input_size), cell.dtype, axes="(t, b, j)")
    T, B, _ = xs.shape
    L = T if max_lag is None else positive_int("max_lag", max_lag)
    if L > T:
        raise InvalidValueError(f"max_lag = {L} is longer than the sequence ({T} steps)")
    S, n = cell.state_size, cell.hidden_size
    lags = lag_grid(L, S) if lags is None else np.unique(np.asarray(lags, dtype=np.int64))
    if lags.size == 0 or lags[0] < 1 or lags[-1] > L:
        raise InvalidValueError(f"lags must lie in [1, {L}], got {lags}")
    wanted = {int(lag): i for i, lag in enumerate(lags)}
    trace = cell.forward(xs, state0)
    rows = block_rows(cell, block)
    P = np.broadcast_to(np.eye(S), (B, S, S)).copy()
    E = np.zeros(B, np.int64)
    log_h = np.empty((len(lags), B))
    log_s = np.empty((len(lags), B)) if S != n else log_h
    with np.errstate(under="ignore"):
        for lag in range(1, int(lags[-1]) + 1):
            t = T - lag  # the factor J⁽ᵀ⁻ˡ⁺¹⁾ reads xs[T − ℓ] from s⁽ᵀ⁻ˡ⁾
            J = cell.state_jacobian(xs[t], state_at(trace, t))[0]
            P = rescale(P @ J, E)
            if lag in wanted:
                i = wanted[lag]
                log_h[i] = _spectral_log_norms(P[:, rows, rows], E)
                if S != n:
                    log_s[i] = _spectral_log_norms(P, E)
            if progress is not None:
                progress(1)
    return GradientFlow(
        lags=lags,
        log_norms=log_h,
        log_state_norms=log_s,
        end=T,
        max_lag=L,
        sequences=B,
        hidden_size=n,
        state_size=S,
        block=block,
    )


def block_rows(cell: Cell, block: str) -> slice:
    """The rows (and columns) of the state s = [h; c; …] that ``block`` names: one of the
    cell's state vectors, or "state" for all of them; UnknownNameError otherwise."""
    names = tuple(cell.state_names)
    if block == "state":
        return slice(0, cell.state_size)
    if not isinstance(block, str) or block not in names:
        raise unknown_name(f"block of the {type(cell).__name__}'s state", block, (*names, "state"))
    k, n = names.index(block), cell.hidden_size
    return slice(k * n, (k + 1) * n)
