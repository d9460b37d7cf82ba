"""The QR (Benettin) method against exact and theoretical Lyapunov spectra: a linear
recurrence, random tanh networks against their mean-field λ₁ (Molgedey, Schuchhardt &
Schuster 1992; Poole et al. 2016), LSTMs whose cell path is known in closed form
(claims lstm-cell-path and cec), and the method's own numerics."""

from __future__ import annotations

import numpy as np
import pytest
from numeric.analysis.reference import GAINS, SUBCRITICAL_GAIN

import gradsym.numeric.analysis.lyapunov as lyapunov_module
from gradsym.errors import InvalidValueError, ShapeError
from gradsym.lang.numpy_functions import sigmoid
from gradsym.numeric.analysis.lyapunov import (
    lyapunov_spectrum,
    orthonormalise,
    triangular_inverse,
)
from gradsym.numeric.analysis.meanfield import mean_field
from gradsym.numeric.cells.factory import cell_variants, make_cell
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.stacked import Stacked


def non_normal(rng) -> tuple[np.ndarray, np.ndarray]:
    """W = S D S⁻¹ with eigenvalue moduli 1.3, 1.1, 0.9 (a complex pair), 0.6, 0.3 and a
    badly conditioned S (κ ≈ 300): far from normal, so its singular values are not the
    moduli of its eigenvalues."""
    D = np.zeros((6, 6))
    D[0, 0], D[1, 1], D[4, 4], D[5, 5] = 1.3, -1.1, 0.6, -0.3
    D[2:4, 2:4] = 0.9 * np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    S = rng.standard_normal((6, 6))
    S[:, 1] += 3 * S[:, 0]
    return S @ D @ np.linalg.inv(S), np.log([1.3, 1.1, 0.9, 0.9, 0.6, 0.3])


def linear_cell(W: np.ndarray) -> RNN:
    """h⁽ᵗ⁾ = W h⁽ᵗ⁻¹⁾ (no input, no bias: the state stays 0 and never overflows)."""
    cell = RNN(1, W.shape[0], "identity")
    cell.params["W_h"][...] = W
    cell.params["W_x"][...] = 0.0
    cell.params["b"][...] = 0.0
    return cell


def test_a_linear_recurrence_has_the_log_moduli_of_its_eigenvalues(rng):
    """h⁽ᵗ⁾ = W h⁽ᵗ⁻¹⁾: λ_i = ln|λ_i(W)|, non-normal W included, to 1e-3."""
    W, expected = non_normal(rng)
    spectrum = lyapunov_spectrum(linear_cell(W), np.zeros((3000, 2, 1)), transient=100)
    assert np.abs(spectrum.exponents - expected).max() < 1e-3
    # the real eigenvalues converge geometrically, the rotating complex pair like 1/T
    assert np.abs(spectrum.exponents[[0, 1, 4, 5]] - expected[[0, 1, 4, 5]]).max() < 1e-9
    # ... and the test can tell: the log singular values of W are another spectrum
    log_sv = np.log(np.linalg.svd(W, compute_uv=False))
    assert np.abs(spectrum.exponents - log_sv).max() > 1.0


def test_the_top_k_exponents_are_the_first_k_of_the_whole_spectrum(rng):
    W, expected = non_normal(rng)
    top = lyapunov_spectrum(linear_cell(W), np.zeros((400, 1, 1)), k=2, transient=100)
    assert top.k == 2
    np.testing.assert_allclose(top.exponents, expected[:2], atol=1e-9)


@pytest.mark.parametrize("g", GAINS)
def test_random_tanh_networks_match_the_mean_field_lambda_max(random_tanh, g):
    """N = 500, W_ij ~ N(0, 1/N): λ₁ = ½ ln(g² E[tanh'(√q* z)²]) within 0.03."""
    spectrum = random_tanh.chaotic[g]
    theory = mean_field(g).lambda_max
    assert spectrum.lambda_max_se < 0.01  # the measurement is far sharper than the tolerance
    assert abs(spectrum.lambda_max - theory) < 0.03
    # the tolerance discriminates: the linearisation at h = 0 predicts ln g
    assert abs(np.log(g) - theory) > 0.2
    assert theory > 0  # chaos


def test_a_subcritical_random_tanh_network_falls_to_zero_and_has_ln_g_lambda(random_tanh):
    """g < 1: the state falls to 0, where the Jacobian is g W: λ_i = ln|g λ_i(W)|."""
    moduli = np.sort(np.abs(np.linalg.eigvals(random_tanh.W)))[::-1][:4]
    expected = np.log(SUBCRITICAL_GAIN * moduli)
    np.testing.assert_allclose(random_tanh.subcritical.exponents, expected, atol=1e-3)
    assert mean_field(SUBCRITICAL_GAIN).lambda_max == pytest.approx(np.log(SUBCRITICAL_GAIN))


def zero_weight_lstm(forget_gate: bool = True) -> LSTM:
    cell = LSTM(2, 4, forget_gate=forget_gate)
    for arr in cell.fused.values():
        arr[...] = 0.0
    if forget_gate:
        cell.params["b_f"][...] = [2.0, 0.5, -0.5, -2.0]
    cell.params["b_i"][...] = 1.0
    cell.params["b_c"][...] = 0.5
    return cell


def test_an_lstm_with_zero_weights_has_ln_sigma_of_b_f_on_its_cell_path(rng):
    """All W, U = 0: ∂c/∂c_prev = diag(σ(b_f)) and h⁽ᵗ⁾ forgets h⁽ᵗ⁻¹⁾ entirely, so the
    spectrum is ln σ(b_f,i) (the cell path, claim lstm-cell-path) and n directions that the
    step annihilates (below the round-off floor)."""
    cell = zero_weight_lstm()
    # c⁽ᵗ⁾ → its fixed point and the frame → the eigenvectors at rate σ(0.5)/σ(2) ≈ 0.7
    # per step: after 120 steps both are there to round-off
    spectrum = lyapunov_spectrum(cell, rng.standard_normal((300, 3, 2)), transient=120)
    expected = np.log(sigmoid(cell.params["b_f"]))
    np.testing.assert_allclose(spectrum.exponents[:4], expected, atol=1e-12)
    assert (spectrum.exponents[4:] < spectrum.roundoff_floor + 5).all()
    # the test can tell another bias apart
    assert np.abs(spectrum.exponents[:4] - np.log(sigmoid(cell.params["b_f"] + 0.1))).min() > 0.01


def test_the_1997_lstm_without_a_forget_gate_has_exponent_zero_on_its_cell_path(rng):
    """c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ + i∘c̃: ∂c/∂c_prev = I, the constant error carousel (claim cec)."""
    spectrum = lyapunov_spectrum(
        zero_weight_lstm(forget_gate=False), rng.standard_normal((300, 3, 2)), transient=120
    )
    np.testing.assert_allclose(spectrum.exponents[:4], 0.0, atol=1e-12)
    assert (spectrum.exponents[4:] < spectrum.roundoff_floor + 5).all()


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_fewer_re_orthonormalisations_give_the_same_exponents(name, variant, rng, monkeypatch):
    """Re-orthonormalising every step and every few steps agree (the QR of a product is
    the product of the QRs): the adaptive interval costs no accuracy. Compared: every
    exponent within ln 1e4 of λ₁ — those float64 resolves in one step; a direction a step
    shrinks e^17 times more than the first (the 1997 LSTM with peepholes saturates so) is
    resolved only to ε·e^17 relative by any method."""
    cell = make_cell(name, variant, 3, 6, rng=1)
    xs = rng.standard_normal((120, 2, 3))
    adaptive = lyapunov_spectrum(cell, xs, transient=20)
    monkeypatch.setattr(lyapunov_module, "MAX_INTERVAL", 1)
    every_step = lyapunov_spectrum(cell, xs, transient=20)
    assert every_step.reorthonormalisations == 120
    lam = adaptive.exponents
    resolved = np.isfinite(lam) & (lam > lam[0] - np.log(lyapunov_module.MAX_CONDITION))
    np.testing.assert_allclose(
        lam[resolved], every_step.exponents[resolved], rtol=1e-10, atol=1e-10
    )
    np.testing.assert_array_equal(np.isneginf(lam), np.isneginf(every_step.exponents))


def test_a_relu_rnn_whose_units_all_switch_off_forgets_everything():
    """One step with every ReLU inactive has Jacobian 0: all exponents are −∞, reported
    as such (not as a large negative number)."""
    cell = RNN(1, 3, "relu")
    cell.params["b"][...] = -1.0  # every unit off whatever the (small) input
    spectrum = lyapunov_spectrum(cell, np.zeros((20, 2, 1)), transient=5)
    assert np.isneginf(spectrum.exponents).all()


@pytest.mark.parametrize("shape", [(3, 8, 5), (2, 120, 100)])  # Householder's Q, then A R⁻¹
def test_orthonormalise_resolves_r_and_stays_orthonormal_for_a_singular_frame(
    shape, rng, monkeypatch
):
    inverted = []
    monkeypatch.setattr(
        lyapunov_module,
        "triangular_inverse",
        lambda R, *base: inverted.append(R.shape) or triangular_inverse(R, *base),
    )
    A = rng.standard_normal(shape)
    eye = np.broadcast_to(np.eye(shape[2]), (shape[0], shape[2], shape[2]))
    Q, logs, growth = orthonormalise(A)
    np.testing.assert_allclose(np.swapaxes(Q, 1, 2) @ Q, eye, atol=1e-12)
    R = np.linalg.qr(A)[1]
    np.testing.assert_allclose(logs, np.log(np.abs(np.diagonal(R, axis1=1, axis2=2))), atol=1e-12)
    np.testing.assert_allclose(Q @ np.triu(np.swapaxes(Q, 1, 2) @ A), A, atol=1e-12)
    assert 1 <= growth < 1e4
    assert bool(inverted) is (shape[1] > 8)  # the large frame took the fast path
    A[1, :, 2] = A[1, :, 0]  # rank-deficient: R₃₃ = 0 up to round-off
    Q, logs, growth = orthonormalise(A)
    np.testing.assert_allclose(np.swapaxes(Q, 1, 2) @ Q, eye, atol=1e-12)
    assert logs[1, 2] < -30 and growth > 1e12


def test_triangular_inverse(rng):
    R = np.triu(rng.standard_normal((2, 70, 70))) + 5 * np.eye(70)
    np.testing.assert_allclose(
        triangular_inverse(R) @ R, np.broadcast_to(np.eye(70), R.shape), atol=1e-12
    )


def test_standard_errors_over_sequences_and_over_time_blocks(rng):
    cell = make_cell("lstm", None, 3, 4, rng=1)
    many = lyapunov_spectrum(cell, rng.standard_normal((100, 5, 3)))
    np.testing.assert_allclose(
        many.standard_error, many.per_sequence.std(axis=0, ddof=1) / np.sqrt(5)
    )
    assert "5 sequences" in many.se_method
    one = lyapunov_spectrum(cell, rng.standard_normal((100, 1, 3)))
    assert "batch means over 10" in one.se_method and np.isfinite(one.standard_error).all()
    assert one.per_sequence.shape == (1, 8)


def test_horizon_and_repr():
    cell = linear_cell(np.diag([0.5, 0.25]))
    spectrum = lyapunov_spectrum(cell, np.zeros((150, 2, 1)), transient=100)
    assert spectrum.lambda_max == pytest.approx(np.log(0.5), abs=1e-12)
    assert spectrum.horizon == pytest.approx(1 / np.log(2))
    assert spectrum.steps == 50 and spectrum.transient == 100
    assert repr(spectrum).startswith("LyapunovSpectrum(k=2 of 2, λ₁ = -0.6931")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"k": 9}, InvalidValueError, "k = 9 exponents asked of a state of size 8"),
        ({"k": 0}, InvalidValueError, "positive integer"),
        ({"transient": 30}, InvalidValueError, "leaves no step to measure"),
        ({"transient": -1}, InvalidValueError, "transient must be an integer >= 0"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs, error, message, rng):
    with pytest.raises(error, match=message):
        lyapunov_spectrum(LSTM(3, 4), rng.standard_normal((30, 2, 3)), **kwargs)


def test_only_cells_and_matching_inputs_are_taken(rng):
    with pytest.raises(InvalidValueError, match="needs a cell"):
        lyapunov_spectrum(Stacked([RNN(3, 4), RNN(4, 4)]), rng.standard_normal((5, 2, 3)))
    with pytest.raises(ShapeError, match="xs must have shape"):
        lyapunov_spectrum(RNN(3, 4), rng.standard_normal((5, 2, 2)))
