"""The Lyapunov spectrum of a cell's driven state dynamics, by the QR (Benettin) method.

Along a trajectory s⁽ᵗ⁾ = F(x⁽ᵗ⁾, s⁽ᵗ⁻¹⁾) driven by the inputs, with J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾,
the Lyapunov exponents are the growth rates (per step, natural log) of the singular values
of the long product J⁽ᵗ⁾ ⋯ J⁽¹⁾ — the product whose norm is the vanishing or exploding
gradient. The QR method (Benettin, Galgani, Giorgilli & Strelcyn 1980; for recurrent
networks: Vogt, Puelma Touzel, Shlizerman & Lajoie 2022, "On Lyapunov exponents for
RNNs"; Engelken, Wolf & Abbott 2023, "Lyapunov spectra of chaotic recurrent neural
networks") propagates an orthonormal frame Q (S × k) instead of the product:

    Q⁽ᵗ⁾ R⁽ᵗ⁾ = J⁽ᵗ⁾ Q⁽ᵗ⁻¹⁾      (a QR decomposition, R upper triangular)
    λ_i = (1 / (T − T₀)) Σ_{t > T₀} ln |R⁽ᵗ⁾_ii|,     i = 1 … k

with λ₁ ≥ λ₂ ≥ … (the i-th exponent is the growth rate of i-dimensional volumes minus
that of (i−1)-dimensional ones). The first T₀ steps (``transient``) align the frame with
the dynamics and are not counted. k = S gives the whole spectrum, k < S the top k.

Re-orthonormalising every m steps instead of every step gives the same numbers in exact
arithmetic (the QR of a product is the product of the QRs). In floating point, Householder
QR resolves |R_jj| to about ε·‖R_:j‖/|R_jj| relative (it is backward stable column by
column): the block's growth, e^{m(λ₁ − λ_j)} once the frame is aligned. m is chosen after
every re-orthonormalisation from the growth just observed, so that it stays below
:data:`MAX_CONDITION` (1e4: ~1e−12 relative per block), at most :data:`MAX_INTERVAL`; a
block that grew more than that anyway is taken again one step at a time, and a singular
Jacobian (an exponent of −∞) forces m = 1. Fewer QR decompositions are the difference
between a QR-bound and a GEMM-bound computation; so is forming Q as A R⁻¹ by matrix
products instead of from the Householder vectors (:func:`orthonormalise`).

Convergence estimate: with B ≥ 2 sequences, the standard error of each exponent is the
standard deviation of the B per-sequence exponents over √B; with one sequence, it is that
of 10 consecutive time blocks (batch means) over √10.

The memory horizon 1/|λ₁| (steps) is the time over which the most persistent perturbation
of the state decays by a factor e when λ₁ < 0; when λ₁ > 0 the dynamics is chaotic and
1/λ₁ is the time over which the fastest-growing perturbation grows by e.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError, NonFiniteError
from gradsym.numeric.analysis.tangents import tangent_map
from gradsym.numeric.cells.cell import Cell
from gradsym.validate import check_array, nonnegative_int, positive_int

__all__ = [
    "MAX_CONDITION",
    "MAX_INTERVAL",
    "SE_BLOCKS",
    "LyapunovSpectrum",
    "default_transient",
    "lyapunov_spectrum",
]

#: The largest spread of column growths allowed between two re-orthonormalisations.
MAX_CONDITION = 1e4
#: The most steps between two re-orthonormalisations.
MAX_INTERVAL = 8
#: The smallest S·k² for which Q is formed as A R⁻¹ (see :func:`orthonormalise`).
_FAST_Q_FROM = 2**20
#: The number of time blocks for the batch-means standard error of a single sequence.
SE_BLOCKS = 10

Progress = Callable[[int], None]


@dataclass
class LyapunovSpectrum:
    """The top ``k`` Lyapunov exponents of one cell's driven dynamics.

    ``exponents`` (k,): λ₁ ≥ … ≥ λ_k per step (natural log), the mean over sequences;
    ``standard_error`` (k,) (``se_method`` says how); ``per_sequence`` (B, k). An exponent
    of −inf is an exactly singular direction; exponents near ln ε ≈ −36 (see
    ``roundoff_floor``) are directions the step annihilates up to round-off.
    ``steps`` steps were measured after ``transient`` discarded ones, with
    ``reorthonormalisations`` QR decompositions (``max_interval`` the longest gap).
    """

    exponents: np.ndarray
    standard_error: np.ndarray
    per_sequence: np.ndarray
    state_size: int
    steps: int
    transient: int
    sequences: int
    se_method: str
    reorthonormalisations: int
    max_interval: int

    @property
    def k(self) -> int:
        """How many exponents were computed."""
        return int(self.exponents.shape[0])

    @property
    def lambda_max(self) -> float:
        """λ₁, the largest exponent."""
        return float(self.exponents[0])

    @property
    def lambda_max_se(self) -> float:
        return float(self.standard_error[0])

    @property
    def horizon(self) -> float:
        """1/|λ₁| in steps (inf when λ₁ = 0)."""
        lam = abs(self.lambda_max)
        return math.inf if lam == 0 else 1.0 / lam

    @property
    def roundoff_floor(self) -> float:
        """ln ε of float64: exponents at or below it are zeros of the Jacobian up to
        round-off, not measured rates."""
        return float(np.log(np.finfo(np.float64).eps))

    def settings(self) -> dict:
        """The settings that produced these numbers."""
        return {
            "method": "QR (Benettin): Q R = J Q, exponents = time average of ln|R_ii|",
            "k": self.k,
            "state_size": self.state_size,
            "steps_measured": self.steps,
            "transient": self.transient,
            "sequences": self.sequences,
            "standard_error": self.se_method,
            "reorthonormalisations": self.reorthonormalisations,
            "max_interval": self.max_interval,
            "max_condition": MAX_CONDITION,
        }

    def __repr__(self) -> str:
        return (
            f"LyapunovSpectrum(k={self.k} of {self.state_size}, λ₁ = {self.lambda_max:.4g} "
            f"± {self.lambda_max_se:.2g}, steps={self.steps}, transient={self.transient})"
        )


def _check_state(state: tuple, step: int) -> None:
    for s in state:
        if not np.isfinite(s).all():
            raise NonFiniteError(
                f"the state left float64's range by step {step}: the forward dynamics "
                "explode, and their Lyapunov exponents cannot be measured along it"
            )


def default_transient(T: int) -> int:
    """The default transient: a fifth of the sequence, at most 100 steps."""
    return min(T // 5, 100)


def _abs_log_diag(R: np.ndarray) -> np.ndarray:
    """ln |R_ii| (B, k), −inf for an exact zero."""
    d = np.abs(np.diagonal(R, axis1=1, axis2=2))
    with np.errstate(divide="ignore"):
        return np.log(d)


def triangular_inverse(R: np.ndarray, base: int = 32) -> np.ndarray:
    """R⁻¹ of upper triangular matrices R (B, k, k), by the block recursion
    [[A, X], [0, C]]⁻¹ = [[A⁻¹, −A⁻¹ X C⁻¹], [0, C⁻¹]]: k³/3 flops, almost all in
    matrix products (NumPy has no triangular solve)."""
    k = R.shape[-1]
    if k <= base:
        return np.linalg.inv(R)
    h = k // 2
    A_inv = triangular_inverse(R[:, :h, :h], base)
    C_inv = triangular_inverse(R[:, h:, h:], base)
    out = np.zeros_like(R)
    out[:, :h, :h] = A_inv
    out[:, h:, h:] = C_inv
    out[:, :h, h:] = -np.matmul(np.matmul(A_inv, R[:, :h, h:]), C_inv)
    return out


def orthonormalise(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Q with A = Q R (A (B, S, k), Q orthonormal columns, R upper triangular), ln |R_ii|
    (B, k), and the growth max_j ‖R_:j‖ / |R_jj| (over the batch).

    Householder QR is backward stable column by column, so |R_jj| is accurate to about
    ε·‖R_:j‖ / |R_jj| relative: the growth is the error amplification of the block.

    Q: with R from Householder QR (LAPACK geqrf), Q = A R⁻¹ by matrix products — faster
    than forming Householder's Q (LAPACK orgqr) for all but small frames (by 1.3 to 2 times
    from S·k² ≈ 1e6 on) and orthonormal to about ε·κ(R). When κ(R) (estimated as ‖R‖_F ‖R⁻¹‖_F) exceeds :data:`MAX_CONDITION`²,
    as for a nearly singular step, Householder's own Q is formed instead: it stays
    orthonormal whatever A is."""
    R = np.linalg.qr(A, mode="r")
    d = np.abs(np.diagonal(R, axis1=1, axis2=2))
    columns = np.sqrt(np.einsum("bij,bij->bj", R, R))
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = float(np.max(columns / d)) if (d > 0).all() else math.inf
    Q = None
    _, S, k = A.shape
    # Small frames: the products' Python overhead costs more than forming Q the LAPACK way.
    if growth < MAX_CONDITION**2 and S * k * k >= _FAST_Q_FROM:
        R_inv = triangular_inverse(R)
        kappa = np.sqrt(np.einsum("bij,bij->b", R, R) * np.einsum("bij,bij->b", R_inv, R_inv))
        if np.isfinite(kappa).all() and kappa.max() < MAX_CONDITION**2:
            Q = np.matmul(A, R_inv)
    if Q is None:
        Q, R = np.linalg.qr(A)
    return Q, _abs_log_diag(R), growth


def _next_interval(growth: float, steps: int) -> int:
    """Steps until the next re-orthonormalisation, so that the growth of the next block
    stays below :data:`MAX_CONDITION` if it grows per step as the last one did."""
    if not math.isfinite(growth):
        return 1
    per_step = math.log(max(growth, 1.0)) / steps
    if per_step <= 0:
        return MAX_INTERVAL
    return int(max(1, min(MAX_INTERVAL, math.log(MAX_CONDITION) // per_step)))


def lyapunov_spectrum(
    cell: Cell,
    xs,
    state0=None,
    *,
    k: int | None = None,
    transient: int | None = None,
    rng=0,
    progress: Progress | None = None,
) -> LyapunovSpectrum:
    """The top ``k`` (default: all S) Lyapunov exponents of ``cell`` driven by ``xs``
    (T, B, d) from ``state0`` (default zeros), by the QR method (module docstring).

    ``transient`` steps are discarded (default :func:`default_transient`); the initial
    frame is a random orthonormal S × k matrix per sequence from ``rng``.
    ``progress(steps)`` is called with the number of steps just taken.
    """
    if not isinstance(cell, Cell):
        raise InvalidValueError(
            f"lyapunov_spectrum needs a cell (one layer, one direction), got {type(cell).__name__}"
        )
    xs = check_array("xs", xs, (None, None, cell.input_size), cell.dtype, axes="(t, b, j)")
    T, B, _ = xs.shape
    S = cell.state_size
    k = S if k is None else positive_int("k (number of exponents)", k)
    if k > S:
        raise InvalidValueError(f"k = {k} exponents asked of a state of size {S}")
    T0 = default_transient(T) if transient is None else nonnegative_int("transient", transient)
    if T0 >= T:
        raise InvalidValueError(
            f"transient ({T0} steps) leaves no step to measure in a sequence of {T} steps"
        )
    state = cell._check_state(state0, B)
    tangent = tangent_map(cell, xs)
    gen = np.random.default_rng(rng)
    Q, _ = np.linalg.qr(gen.standard_normal((B, S, k)))
    total = np.zeros((B, k))
    block_sums = np.zeros((SE_BLOCKS, B, k))
    block_steps = np.zeros(SE_BLOCKS, np.int64)
    measured = T - T0
    qr_count, interval, longest = 0, 1, 1
    t = 0
    while t < T:
        # A block never straddles the end of the transient: the counted steps start clean.
        m = min(interval, (T0 - t) if t < T0 else T - t)
        start = (state, Q)
        for s in range(t, t + m):
            state, Q = tangent.step(s, state, Q)
        Q_next, logs, growth = orthonormalise(Q)
        qr_count += 1
        if growth > MAX_CONDITION and m > 1:
            # The block grew too unevenly for one QR to resolve its smallest growths:
            # take it again one step at a time (the steps are deterministic).
            state, Q = start
            logs = np.zeros_like(logs)
            for s in range(t, t + m):
                state, Q = tangent.step(s, state, Q)
                Q, block_logs, growth = orthonormalise(Q)
                logs += block_logs
                qr_count += 1
            interval = 1
        else:
            Q = Q_next
            interval = _next_interval(growth, m)
            longest = max(longest, m)
        _check_state(state, t + m)
        t += m
        if t > T0:
            total += logs
            # the block's time slot for the batch-means estimate (by its last step)
            j = min((t - 1 - T0) * SE_BLOCKS // measured, SE_BLOCKS - 1)
            block_sums[j] += logs
            block_steps[j] += m
        if progress is not None:
            progress(m)
    per_sequence = total / measured
    exponents = per_sequence.mean(axis=0)
    with np.errstate(invalid="ignore"):  # −inf − (−inf) for exactly singular directions
        if B >= 2:
            se = per_sequence.std(axis=0, ddof=1) / np.sqrt(B)
            method = f"standard deviation over {B} sequences / √{B}"
        else:
            filled = block_steps > 0
            if filled.sum() >= 2:
                rates = block_sums[filled, 0] / block_steps[filled, None]
                m = int(filled.sum())
                se = rates.std(axis=0, ddof=1) / np.sqrt(m)
                method = f"batch means over {m} consecutive time blocks of one sequence"
            else:
                se = np.full(k, np.nan)
                method = "too few steps for a batch-means estimate"
    return LyapunovSpectrum(
        exponents=exponents,
        standard_error=se,
        per_sequence=per_sequence,
        state_size=S,
        steps=measured,
        transient=T0,
        sequences=B,
        se_method=method,
        reorthonormalisations=qr_count,
        max_interval=longest,
    )
