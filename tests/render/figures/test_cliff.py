"""Pascanu's cliff (Pascanu, Mikolov & Bengio 2013, section 2.3, Fig. 6): the error
surface of x⁽ᵗ⁾ = w σ(x⁽ᵗ⁻¹⁾) + b has a wall, and norm clipping survives it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError
from gradsym.numeric.gradcheck import check_gradient
from gradsym.render.figures import cliff


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _gradient_checks(w: float, b: float, steps: int = 50):
    """Central-difference checks of (∂E/∂w, ∂E/∂b) of the T = 50 error, with the gradient
    computed for ``steps`` steps (50 is right; anything else must fail)."""
    theta = np.array([w, b])
    _, dw, db = cliff.error_and_gradient(w, b, steps=steps)

    def f() -> float:
        return float(cliff.error(theta[0], theta[1]))

    return check_gradient("(w, b)", f, theta, np.array([float(dw), float(db)]), 1e-6)


@pytest.mark.parametrize("offset", [0.01, 0.05, 0.3, 1.0, -0.05, -0.5])
def test_gradient_matches_central_differences(offset):
    w = 5.0
    b = cliff.wall_bias(w) + offset
    check = _gradient_checks(w, b)
    assert check.max_rel_error < tol("gradcheck"), check


def test_gradient_check_rejects_a_wrong_gradient():
    # BPTT over 49 steps is the gradient of another function: the check must say so
    # (near the wall, where x⁽ᵗ⁾ is still moving at t = 50).
    check = _gradient_checks(5.0, cliff.wall_bias(5.0) + 0.01, steps=49)
    assert check.max_rel_error > 1e-3


def test_wall_sits_where_the_start_leaves_the_upper_basin():
    # For T → ∞ the wall is where the unstable fixed point x_u(b) reaches x⁽⁰⁾ = 0.5:
    # 0.5 = 5σ(0.5) + b. At T = 50 an orbit starting just inside the lower basin still
    # lingers near x_u > 0, so the finite-T wall lies a little lower.
    analytic = 0.5 - 5.0 * _sigmoid(0.5)
    wall = cliff.wall_bias(5.0)
    assert 0 < analytic - wall < 1e-3
    below, above = cliff.error(5.0, wall - 1e-3), cliff.error(5.0, wall + 1e-3)
    assert below > 0.3 and above < 0.02


def test_gradient_explodes_at_the_wall():
    wall = cliff.wall_bias(5.0)
    near = np.hypot(*cliff.error_and_gradient(5.0, wall + 1e-5)[1:])
    far = np.hypot(*cliff.error_and_gradient(5.0, wall + 0.3)[1:])
    assert near > 100 * far


def test_wall_bias_broadcasts():
    ws = np.array([4.5, 5.0, 5.5])
    walls = cliff.wall_bias(ws)
    assert walls.shape == (3,)
    assert walls[1] == pytest.approx(cliff.wall_bias(5.0), abs=1e-12)
    assert np.all(np.diff(walls) < 0)  # a larger w needs a lower b to leave the upper branch


def test_error_surface_layout():
    ws, bs = np.linspace(4.0, 6.0, 5), np.linspace(-3.0, -2.0, 4)
    E = cliff.error_surface(ws, bs)
    assert E.shape == (4, 5)
    assert E[2, 3] == pytest.approx(float(cliff.error(ws[3], bs[2])), abs=0)


def _starts(n: int, seed: int) -> np.ndarray:
    """Starts in the valley just above the wall (in b) around w = 5: w ∈ 5 ± 0.5,
    b ∈ b_wall(w) + (0, 0.2)."""
    r = np.random.default_rng(seed)
    w = 5.0 + r.uniform(-0.5, 0.5, n)
    b = cliff.wall_bias(w) + r.uniform(0.0, 0.2, n)
    return np.stack([w, b], axis=-1)


def test_plain_descent_fails_at_the_wall_far_more_often_than_clipped_descent():
    starts = _starts(200, seed=0)
    plain = cliff.descend(starts, lr=0.5, steps=100)
    clipped = cliff.descend(starts, lr=0.5, steps=100, clip=1.0)
    plain_fail = plain.failed().mean()
    clipped_fail = clipped.failed().mean()
    # Observed: 74 % against 0 %.
    assert plain_fail > 0.5
    assert clipped_fail < 0.05
    # Plain descent is thrown: its longest step is many times what clipping allows.
    assert np.median(plain.longest_step) > 2.0
    assert clipped.longest_step.max() <= 0.5 * 1.0 + 1e-12
    assert clipped.clipped.any()


def test_descend_single_path_and_shapes():
    path = cliff.descend((5.0, -2.3), lr=0.5, steps=10, clip=1.0)
    assert path.points.shape == (11, 2)
    assert path.errors.shape == (11,)
    assert path.norms.shape == (10,)
    assert not path.blew_up
    assert path.final_error <= path.errors[0]


def test_descend_marks_a_path_that_leaves_the_box():
    path = cliff.descend((5.0, -2.3), lr=1e6, steps=5, bound=10.0)
    assert path.blew_up
    assert math.isnan(path.final_error)
    assert path.failed()


@pytest.mark.parametrize(
    "kwargs",
    [{"lr": 0.0, "steps": 3}, {"lr": 0.1, "steps": 0}, {"lr": 0.1, "steps": 3, "clip": -1.0}],
)
def test_descend_rejects_bad_arguments(kwargs):
    with pytest.raises(InvalidValueError):
        cliff.descend((5.0, -2.3), **kwargs)


def test_descend_rejects_bad_starts():
    with pytest.raises(InvalidValueError, match="starts"):
        cliff.descend([1.0, 2.0, 3.0], lr=0.1, steps=1)
