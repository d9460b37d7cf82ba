"""The mean-field reference: the fixed point q* and λ₁ = ½ ln(g² E[tanh'(√q* z)²]) of a
random tanh network, by quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial.hermite import hermgauss

from gradsym.errors import InvalidValueError
from gradsym.numeric.analysis.meanfield import gaussian_expectation, mean_field


def gauss_hermite(F, q, nodes=300):
    x, w = hermgauss(nodes)
    return float(np.dot(w / np.sqrt(np.pi), F(np.sqrt(q) * np.sqrt(2.0) * x)))


def test_gaussian_moments_are_exact():
    assert gaussian_expectation(lambda z: z**2) == pytest.approx(1.0, abs=1e-14)
    assert gaussian_expectation(lambda z: z**4) == pytest.approx(3.0, abs=1e-13)
    assert gaussian_expectation(lambda z: np.cos(z)) == pytest.approx(np.exp(-0.5), abs=1e-15)


@pytest.mark.parametrize("g", [1.5, 2.0, 3.0])
def test_the_trapezoidal_rule_agrees_with_gauss_hermite(g):
    """Two quadratures, one answer (Gauss–Hermite converges slowly here: the integrands'
    poles lie at Im z = ±π/(2√q), close to the real axis)."""
    q = mean_field(g).q_star
    for F in (lambda u: np.tanh(u) ** 2, lambda u: (1 - np.tanh(u) ** 2) ** 2):
        assert gaussian_expectation(F, q) == pytest.approx(gauss_hermite(F, q), abs=2e-5)


@pytest.mark.parametrize("g", [1.1, 1.5, 2.0, 3.0, 10.0])
def test_q_star_is_the_fixed_point_and_lambda_follows(g):
    mf = mean_field(g)
    assert mf.q_star > 0
    tanh2 = gaussian_expectation(lambda u: np.tanh(u) ** 2, mf.q_star)
    assert g * g * tanh2 == pytest.approx(mf.q_star, rel=1e-13)
    slope = gaussian_expectation(lambda u: (1 - np.tanh(u) ** 2) ** 2, mf.q_star)
    assert mf.lambda_max == pytest.approx(0.5 * np.log(g * g * slope), abs=1e-15)
    assert 0 < mf.lambda_max < np.log(g)  # saturation makes it less than the linear ln g


def test_the_transition_to_chaos_is_at_g_equal_one():
    for g in (0.3, 0.9, 1.0):
        mf = mean_field(g)
        assert mf.q_star == 0.0 and mf.lambda_max == pytest.approx(np.log(g))
    just_above = mean_field(1.01)
    assert 0 < just_above.lambda_max < 1e-3  # continuous at the transition


def test_known_values():
    """λ₁ for the gains of the tests, to the digits the tests need."""
    assert mean_field(1.5).lambda_max == pytest.approx(0.065217, abs=1e-6)
    assert mean_field(2.0).lambda_max == pytest.approx(0.154724, abs=1e-6)
    assert mean_field(3.0).lambda_max == pytest.approx(0.310249, abs=1e-6)


@pytest.mark.parametrize("g", [0, -1, True, "2", float("nan")])
def test_a_bad_gain_is_refused(g):
    with pytest.raises(InvalidValueError, match="g \\(gain\\)"):
        mean_field(g)
