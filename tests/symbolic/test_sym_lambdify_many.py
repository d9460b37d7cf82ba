"""Several Jacobians from one forward step, and the gate sums printed as one matmul.

``lambdify_state_and_input`` / ``lambdify_jacobians`` must return exactly what the separate
``jacobian(...).lambdify()`` functions return (``tol("same-formula")``, relative), and agree
with central differences of the reference transcription (``tol("lambdified")``). The
batched-matmul form of Σ_k diag(v_k) M_k is checked against the sum written out term by
term.
"""

from __future__ import annotations

import numpy as np
import pytest
from symbolic.symbolic_reference import fd_jacobian, forward, random_instance, relative_error
from tolerances import tol

from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.symbolic import all_cells, jacobian
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.api import lambdify_jacobians, lambdify_state_and_input

SAME = tol("same-formula")
STATEFUL = [(c.name, c.variant) for c in all_cells() if c.state]


def _instance(name, variant, n, d, batch, rng):
    cell = get_cell(name, variant)
    params, leaves = random_instance(cell, n, d, batch, rng)
    state = tuple(leaves[s] for s in cell.state)
    return cell, params, leaves, state[0] if len(state) == 1 else state


def _separate(cell, pairs, params, x, state):
    return [jacobian(cell, of=of, wrt=wrt).lambdify()(params, x, state) for of, wrt in pairs]


@pytest.mark.parametrize("name, variant", STATEFUL, ids=["-".join(c) for c in STATEFUL])
def test_state_and_input_agree_with_the_separate_functions(name, variant, rng):
    cell, params, leaves, state = _instance(name, variant, 6, 4, 3, rng)
    J_ss, J_sx = lambdify_state_and_input(name, variant)(params, leaves["x"], state)
    if len(cell.state) == 1:
        pairs = [(cell.outputs[0], cell.state[0]), (cell.outputs[0], "x")]
    else:
        pairs = [("state", "state"), ("state", "x")]
    ref_ss, ref_sx = _separate(cell, pairs, params, leaves["x"], state)
    assert J_ss.shape == ref_ss.shape and J_sx.shape == ref_sx.shape
    assert relative_error(J_ss, ref_ss) <= SAME
    assert relative_error(J_sx, ref_sx) <= SAME


@pytest.mark.parametrize("variant", ["standard", "peephole", "no_forget", "peephole_no_forget"])
def test_lstm_state_and_input_match_finite_differences(variant, rng):
    _cell, params, leaves, state = _instance("lstm", variant, 7, 5, 2, rng)
    with np.errstate(all="raise"):
        J_ss, J_sx = lambdify_state_and_input("lstm", variant)(params, leaves["x"], state)
        ref_ss = fd_jacobian("lstm", variant, params, leaves, ["h", "c"], ["h_prev", "c_prev"])
        ref_sx = fd_jacobian("lstm", variant, params, leaves, ["h", "c"], ["x"])
    assert relative_error(J_ss, ref_ss) < tol("lambdified")
    assert relative_error(J_sx, ref_sx) < tol("lambdified")


def test_any_list_of_blocks_shares_one_step(rng):
    pairs = [("h", "h_prev"), ("c", "x"), ("state", "state"), ("h", "c_prev")]
    cell, params, leaves, state = _instance("lstm", "peephole", 5, 3, 4, rng)
    f = lambdify_jacobians("lstm", pairs, variant="peephole")
    got = f(params, leaves["x"], state)
    assert isinstance(got, tuple) and len(got) == len(pairs)
    for J, ref in zip(got, _separate(cell, pairs, params, leaves["x"], state)):
        assert J.shape == ref.shape
        assert relative_error(J, ref) <= SAME
    assert f.__source__.count("v_z_f = ") == 1  # one forward step
    assert lambdify_jacobians("lstm", pairs, variant="peephole") is f  # cached


def test_gate_sums_are_one_matmul_and_equal_the_written_out_sum(rng):
    n, d, B = 64, 16, 5
    _cell, params, leaves, state = _instance("lstm", "standard", n, d, B, rng)
    f = jacobian("lstm", of="state", wrt="state").lambdify()
    assert "np.matmul(" in f.__source__ and "_tmp" not in f.__source__
    J = f(params, leaves["x"], state)
    v = forward("lstm", "standard", params, leaves)
    h, c_prev, x = leaves["h_prev"], leaves["c_prev"], leaves["x"]

    def z(g):
        return h @ params[f"W_{g}"].T + x @ params[f"U_{g}"].T + params[f"b_{g}"]

    f_, i, o = (0.5 * (1 + np.tanh(0.5 * z(g))) for g in "fio")
    ct, tc = np.tanh(z("c")), np.tanh(v["c"])
    a = {"f": c_prev * f_ * (1 - f_), "i": ct * i * (1 - i), "c": i * (1 - ct**2)}
    dc_dh = sum(a[g][:, :, None] * params[f"W_{g}"] for g in "fic")
    dh_dh = (tc * o * (1 - o))[:, :, None] * params["W_o"] + (o * (1 - tc**2))[:, :, None] * dc_dh
    assert relative_error(J[:, n:, :n], dc_dh) <= SAME
    assert relative_error(J[:, :n, :n], dh_dh) <= SAME


def test_parameter_layout_and_batch_of_one_do_not_matter(rng):
    _cell, params, leaves, state = _instance("gru", "torch", 6, 4, 3, rng)
    f = lambdify_state_and_input("gru", "torch")
    ref = f(params, leaves["x"], state)
    fortran = {k: np.asfortranarray(p) for k, p in params.items()}
    for J, R in zip(f(fortran, leaves["x"], state), ref):
        assert relative_error(J, R) <= SAME
    for J, R in zip(f(params, leaves["x"][1:2], state[1:2]), ref):
        assert relative_error(J, R[1:2]) <= SAME


def test_errors():
    with pytest.raises(UnknownNameError):
        lambdify_state_and_input("highway")  # no state
    with pytest.raises(UnknownNameError):
        lambdify_state_and_input("lstm", "nonsense")
    with pytest.raises(UnknownNameError):
        lambdify_jacobians("lstm", [("state", "state"), ("h", "q")])
    with pytest.raises(InvalidValueError):
        lambdify_jacobians("lstm", [])
