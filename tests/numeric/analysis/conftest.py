"""The expensive fixtures of the analysis tests, built once per session.

* ``random_tanh``: the random tanh networks h⁽ᵗ⁾ = tanh(g W h⁽ᵗ⁻¹⁾), W_ij ~ N(0, 1/N),
  N = 500, and their QR-method exponents: λ₁ for g ∈ {1.5, 2, 3} and the top four for
  g = 0.5. Sizes (why the whole file stays fast): λ₁ needs a frame of one column, so a
  step costs one 500 × 500 product per sequence; 4 sequences × 700 steps (100 of them a
  transient) give standard errors of ~0.002 (measured, and asserted below 0.01), far below
  the 0.03 tolerance, which is then left to the finite-N deviation of one sampled W from
  the N → ∞ theory (~0.01). For g = 0.5 the top moduli of a 500 × 500 W lie within 2 % of
  each other, so the frame needs ~800 steps to align (the convergence rate is their
  ratio); 400 more steps measure them to ~4e-4 (the tolerance is 1e-3).
* ``trained_pair``: the adding-problem LSTM (forget-gate bias 1) and the tanh RNN, trained
  the same way (same task, length, width, clipping, optimiser, steps and seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from numeric.analysis.reference import (
    GAINS,
    SUBCRITICAL_GAIN,
    TRAINING,
    N,
    tanh_network,
)

from gradsym.numeric.analysis.lyapunov import LyapunovSpectrum, lyapunov_spectrum


@dataclass
class RandomTanh:
    W: np.ndarray
    chaotic: dict[float, LyapunovSpectrum]
    subcritical: LyapunovSpectrum


@pytest.fixture(scope="session")
def random_tanh() -> RandomTanh:
    rng = np.random.default_rng(500)
    W = rng.standard_normal((N, N)) / np.sqrt(N)
    chaotic = {}
    for g in GAINS:
        B = 4
        h0 = rng.standard_normal((B, N))  # h = 0 is a fixed point: start away from it
        xs = np.zeros((700, B, 1))
        chaotic[g] = lyapunov_spectrum(tanh_network(g, W), xs, h0, k=1, transient=100, rng=1)
    xs = np.zeros((1200, 1, 1))
    h0 = rng.standard_normal((1, N))
    subcritical = lyapunov_spectrum(
        tanh_network(SUBCRITICAL_GAIN, W), xs, h0, k=4, transient=800, rng=2
    )
    return RandomTanh(W, chaotic, subcritical)


@pytest.fixture(scope="session")
def trained_pair():
    """(LSTM, RNN) TrainResults of the same training (see the module docstring)."""
    from gradsym.numeric.train import TrainConfig, Trainer

    out = []
    for cell, extra in (("lstm", {"forget_bias": 1.0}), ("rnn", {})):
        config = TrainConfig(cell=cell, **TRAINING, **extra)
        out.append(Trainer(config).run())
    return tuple(out)
