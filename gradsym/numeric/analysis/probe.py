"""The two numbers a training run logs every ``analysis_every`` steps: the largest
Lyapunov exponent λ₁ of the model's driven dynamics and the norm ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ at lag
ℓ = 50 — cheap versions of :func:`~gradsym.numeric.analysis.analyze.analyze` (the top
exponent only, one lag only).

λ₁ is the largest over the model's layers (:mod:`.units`), with its standard error over
the sequences; the norm is that of the top layer (the one the output reads), the median
over the sequences, at lag min(50, T).
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.analysis.flow import LOGGED_LAG, gradient_flow
from gradsym.numeric.analysis.lyapunov import lyapunov_spectrum
from gradsym.numeric.analysis.units import as_float64, driven_cells

__all__ = ["PROBE_SEQUENCES", "probe"]

#: Sequences per probe.
PROBE_SEQUENCES = 8


def probe(model, xs: np.ndarray, *, seed: int = 0) -> dict[str, float | int]:
    """``lyapunov_max`` (λ₁), ``lyapunov_max_se``, ``jacobian_norm`` (the median
    ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂) and ``jacobian_norm_lag`` (ℓ) of ``model`` driven by ``xs`` (T, B, d)."""
    xs = np.asarray(xs, dtype=np.float64)
    units = driven_cells(as_float64(model), xs)
    spectra = [lyapunov_spectrum(u.cell, u.xs, u.state0, k=1, rng=seed) for u in units]
    top = max(spectra, key=lambda s: s.lambda_max)
    last = units[-1]
    lag = min(LOGGED_LAG, xs.shape[0])
    flow = gradient_flow(last.cell, last.xs, last.state0, max_lag=lag, lags=[lag])
    return {
        "lyapunov_max": top.lambda_max,
        "lyapunov_max_se": top.lambda_max_se,
        "jacobian_norm": float(np.exp(np.median(flow.log_norms[0]))),
        "jacobian_norm_lag": lag,
    }
