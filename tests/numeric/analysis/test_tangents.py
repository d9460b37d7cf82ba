"""The fused tangent map (one step and J⁽ᵗ⁾ Q in one pass) against the cells' own forward
pass and closed-form state Jacobians, for every cell and variant."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import tol

from gradsym.numeric.analysis.tangents import TangentMap, tangent_map
from gradsym.numeric.cells.factory import cell_variants, make_cell
from gradsym.numeric.cells.rnn import RNN

T, B, D, N, K = 5, 3, 4, 6, 4


def random_state(cell, rng):
    return tuple(0.5 * rng.standard_normal((B, N)) for _ in cell.state_names)


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_the_tangent_map_is_the_forward_step_and_the_state_jacobian(name, variant, rng):
    cell = make_cell(name, variant, D, N, rng=rng)
    xs = rng.standard_normal((T, B, D))
    state = random_state(cell, rng)
    trace = cell.forward(xs, state)
    tangent = tangent_map(cell, xs)
    assert type(tangent) is not TangentMap  # the fused path, not the general one
    frame = rng.standard_normal((B, cell.state_size, K))
    for t in range(T):
        J = cell.state_jacobian(xs[t], state)[0]
        state, image = tangent.step(t, state, frame)
        np.testing.assert_allclose(image, J @ frame, rtol=0, atol=tol("same-formula"))
        for name_, s in zip(cell.state_names, state):
            np.testing.assert_allclose(s, trace.states[name_][t], rtol=0, atol=1e-15)
        # the comparison can fail: the transposed Jacobian is another map
        assert np.abs(image - np.swapaxes(J, 1, 2) @ frame).max() > 1e-3
        frame = image / np.abs(image).max()


def test_any_other_cell_takes_the_general_path(rng):
    class MyRNN(RNN):
        """A user's subclass: its own equations may differ, so no fused path is assumed."""

    cell = MyRNN(D, N, "tanh", rng=1)
    xs = rng.standard_normal((T, B, D))
    tangent = tangent_map(cell, xs)
    assert type(tangent) is TangentMap
    state = random_state(cell, rng)
    frame = rng.standard_normal((B, N, K))
    new_state, image = tangent.step(0, state, frame)
    J = cell.state_jacobian(xs[0], state)[0]
    np.testing.assert_array_equal(image, J @ frame)
    np.testing.assert_array_equal(new_state[0], cell.forward(xs[:1], state).h[0])
