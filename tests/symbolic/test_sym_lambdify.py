"""The lambdified compact Jacobians agree with central differences of the equations.

The reference is the NumPy transcription in ``symbolic_reference.py`` (written from the
notes for the tests), never gradsym.numeric. Tolerance: ``tol("lambdified")``, relative to
the largest entry.
"""

from __future__ import annotations

import numpy as np
import pytest
from symbolic.symbolic_reference import fd_jacobian, forward, random_instance, relative_error
from tolerances import tol

from gradsym.errors import InvalidValueError, ShapeError
from gradsym.symbolic import all_cells, cell_blocks, jacobian

RTOL = tol("lambdified")
CASES = [(c.name, c.variant, of, wrt) for c in all_cells() for of, wrt in cell_blocks(c)]


def _names(cell, name, kind):
    if name == "state":
        return list(cell.outputs if kind == "of" else cell.state)
    return [name]


def _compare(name, variant, of, wrt, n, d, rng, batch=2):
    jac = jacobian(name, of=of, wrt=wrt, variant=variant)
    cell = jac.cell
    params, leaves = random_instance(cell, n, d, batch, rng)
    state = tuple(leaves[s] for s in cell.state)
    state = state[0] if len(state) == 1 else (state or None)
    with np.errstate(all="raise"):
        J = jac.lambdify()(params, leaves["x"], state)
        ref = fd_jacobian(
            name, variant, params, leaves, _names(cell, of, "of"), _names(cell, wrt, "wrt")
        )
    return J, ref


@pytest.mark.parametrize("name, variant, of, wrt", CASES, ids=["-".join(c) for c in CASES])
def test_lambdified_matches_finite_differences(name, variant, of, wrt, rng):
    J, ref = _compare(name, variant, of, wrt, n=5, d=3, rng=rng)
    assert J.shape == ref.shape
    assert relative_error(J, ref) < RTOL


@pytest.mark.parametrize(
    "name, variant",
    [
        ("lstm", "standard"),
        ("lstm", "peephole"),
        ("lstm", "no_forget"),
        ("gru", "textbook"),
        ("gru", "torch"),
        ("rnn", "tanh"),
    ],
)
def test_state_jacobian_at_n_64(name, variant, rng):
    wrt = "state" if name == "lstm" else "h_prev"
    of = "state" if name == "lstm" else "h"
    J, ref = _compare(name, variant, of, wrt, n=64, d=16, rng=rng)
    assert relative_error(J, ref) < RTOL


def test_the_finite_difference_check_rejects_a_wrong_jacobian(rng):
    J, ref = _compare("lstm", "standard", "state", "state", n=4, d=3, rng=rng)
    assert relative_error(np.swapaxes(J, 1, 2), ref) > 1e-3  # the transpose
    wrong = J.copy()
    wrong[:, 4:, 4:] = np.eye(4)  # ∂c/∂c = I, the CEC, is wrong with a forget gate
    assert relative_error(wrong, ref) > 1e-3


def test_batched_evaluation_is_per_example(rng):
    jac = jacobian("gru", of="h", wrt="h_prev")
    params, leaves = random_instance(jac.cell, 6, 4, 5, rng)
    f = jac.lambdify()
    whole = f(params, leaves["x"], leaves["h_prev"])
    one = f(params, leaves["x"][2:3], leaves["h_prev"][2:3])
    np.testing.assert_allclose(whole[2:3], one, rtol=0, atol=1e-14)


def test_reference_transcription_is_the_notes_lstm(rng):
    # f = 1, i = 0 (huge biases): the cell is carried over, c = c_prev (notes 001)
    jac = jacobian("lstm", of="c", wrt="c_prev")
    params, leaves = random_instance(jac.cell, 3, 2, 1, rng)
    params["b_f"], params["b_i"] = np.full(3, 50.0), np.full(3, -50.0)
    out = forward("lstm", "standard", params, leaves)
    np.testing.assert_allclose(out["c"], leaves["c_prev"], atol=1e-12)
    J = jac.lambdify()(params, leaves["x"], (leaves["h_prev"], leaves["c_prev"]))
    np.testing.assert_allclose(J[0], np.eye(3), atol=1e-12)


def test_bad_arrays_give_clear_errors(rng):
    jac = jacobian("lstm", of="h", wrt="h_prev")
    params, leaves = random_instance(jac.cell, 3, 2, 2, rng)
    f = jac.lambdify()
    with pytest.raises(ShapeError, match="state must be a tuple"):
        f(params, leaves["x"], leaves["h_prev"])
    with pytest.raises(ShapeError, match="x must have shape"):
        f(params, leaves["x"][0], (leaves["h_prev"], leaves["c_prev"]))
    del params["W_f"]
    with pytest.raises(InvalidValueError, match="W_f"):
        f(params, leaves["x"], (leaves["h_prev"], leaves["c_prev"]))
