"""One model per name: the symbolic ``stacked`` cells and the NumPy ``Stacked`` agree on
every Jacobian block.

The residual stack is Wu et al.'s (2016, GNMT): layer 2 passes up y₂ = h₂ + h₁ while each
layer carries its own h. Every block the symbolic cells document (and the whole state
Jacobian) is compared with the NumPy stack, read three ways: its analytic
``state_jacobian`` / ``output_jacobian``, central differences of its ``forward`` pass, and
— for the blocks taken with respect to the intermediate h₁, which the NumPy stack does not
expose — the chain rule ∂·/∂h₁ = ∂·/∂h₁⁽ᵗ⁻¹⁾ (∂h₁/∂h₁⁽ᵗ⁻¹⁾)⁻¹ on its central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import tol

from gradsym.notes import instances
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.stacked import Stacked
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic import jacobian
from gradsym.symbolic.api import cell_blocks

N, D = 3, 2
VARIANTS = ("plain", "residual")


def _numpy_stack(inst, residual: bool) -> Stacked:
    """The NumPy stack built here from the instance's weights (not through instances.py)."""
    p = inst["params"]
    bottom, top = RNN(D, N), RNN(N, N)
    bottom.load_params({"W_h": p["W_h1"], "W_x": p["W_x1"], "b": p["b1"]})
    top.load_params({"W_h": p["W_h2"], "W_x": p["W_x2"], "b": p["b2"]})
    return Stacked([bottom, top], residual=residual)


def _vectors(stack: Stacked, leaves: dict) -> dict[str, np.ndarray]:
    """h1, h2 (the layers' states) and y2 (what the stack passes up) after one step."""
    trace = stack.forward(
        leaves["x"][None, None], ((leaves["h1_prev"][None],), (leaves["h2_prev"][None],))
    )
    h1, h2 = trace.layers[0].h[0, 0], trace.layers[1].h[0, 0]
    return {"h1": h1, "h2": h2, "y2": trace.h[0, 0], "state": np.concatenate([h1, h2])}


def _central(stack: Stacked, leaves: dict, of: str, wrt: str, eps: float = 1e-6) -> np.ndarray:
    names = ("h1_prev", "h2_prev") if wrt == "state" else (wrt,)
    cols = []
    for name in names:
        for k in range(leaves[name].size):
            e = np.zeros_like(leaves[name])
            e[k] = eps
            plus = _vectors(stack, {**leaves, name: leaves[name] + e})[of]
            minus = _vectors(stack, {**leaves, name: leaves[name] - e})[of]
            cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=1)


def _numpy_reference(stack: Stacked, leaves: dict, of: str, wrt: str) -> np.ndarray:
    if wrt == "h1":  # an intermediate: the chain rule through h1 = F(h1_prev, x)
        through = _central(stack, leaves, of, "h1_prev")
        return through @ np.linalg.inv(_central(stack, leaves, "h1", "h1_prev"))
    return _central(stack, leaves, of, wrt)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_block_agrees_with_the_numpy_stack(variant, rng):
    c = get_cell("stacked", variant)
    blocks = cell_blocks(c)
    assert len(blocks) == (8 if variant == "plain" else 12)
    for _ in range(3):
        inst = instances.random_instance(c, N, D, rng)
        stack = _numpy_stack(inst, residual=variant == "residual")
        for of, wrt in blocks:
            jac = jacobian(c, of=of, wrt=wrt)
            held = instances.hold(c, inst, wrt)
            compact = instances.value(c, jac.expr, held)
            reference = _numpy_reference(stack, inst["leaves"], of, wrt)
            scale = max(1.0, np.abs(reference).max())
            assert np.abs(compact - reference).max() < tol("jacobian") * 10 * scale, (of, wrt)
            if instances.has_numeric_block(c, of, wrt):
                analytic = instances.numeric_block(c, held, of, wrt)
                assert np.abs(compact - analytic).max() < tol("exact"), (of, wrt)
            if wrt != "h1":
                lam = instances.lambdified(jac, held)
                assert np.abs(compact - lam).max() < tol("same-formula"), (of, wrt)


def test_the_skip_is_outside_the_recurrence(rng):
    """The residual stack carries the same state as the plain one (two layers: the skip
    only changes what is passed up), and passes up y₂ = h₂ + h₁."""
    plain, residual = get_cell("stacked", "plain"), get_cell("stacked", "residual")
    inst = instances.random_instance(residual, N, D, rng)
    env = instances.environment(residual, inst)
    np.testing.assert_array_equal(env["y2"], env["h2"] + env["h1"])
    both = [jacobian(c, of="state", wrt="state") for c in (plain, residual)]
    values = [instances.value(c, j.expr, inst) for c, j in zip((plain, residual), both)]
    np.testing.assert_array_equal(values[0], values[1])
    v = _vectors(_numpy_stack(inst, residual=True), inst["leaves"])
    w = _vectors(_numpy_stack(inst, residual=False), inst["leaves"])
    np.testing.assert_array_equal(v["state"], w["state"])
    np.testing.assert_allclose(v["y2"], w["h2"] + w["h1"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(v["y2"], env["y2"].ravel(), rtol=0, atol=1e-14)
    # and the skip shows where it should: ∂y₂/∂h₁ = I + ∂h₂/∂h₁
    skip = instances.value(residual, jacobian(residual, of="y2", wrt="h1").expr, inst)
    inner = instances.value(residual, jacobian(residual, of="h2", wrt="h1").expr, inst)
    np.testing.assert_allclose(skip - inner, np.eye(N), rtol=0, atol=1e-15)


def test_a_state_inside_skip_would_be_caught(rng):
    """The comparison above can fail: the other model once named "residual stack",
    h₂ = h₁ + tanh(z₂) carried as the state, differs from the NumPy stack's state Jacobian
    (and agrees with its ∂y₂/∂h₁⁽ᵗ⁻¹⁾ only)."""
    from sympy import MatAdd

    from gradsym.lang.matexpr import Apply

    c = get_cell("stacked", "residual")
    h1, z2 = c.symbol("h1"), c.symbol("z2")
    inside = c.with_equation("h2", MatAdd(h1, Apply("tanh", z2)))
    inst = instances.random_instance(c, N, D, rng)
    stack = _numpy_stack(inst, residual=True)
    wrong = instances.value(inside, jacobian(inside, of="h2", wrt="h1_prev").expr, inst)
    numpy_state = _central(stack, inst["leaves"], "h2", "h1_prev")
    numpy_output = _central(stack, inst["leaves"], "y2", "h1_prev")
    assert np.abs(wrong - numpy_state).max() > 1e-2
    assert np.abs(wrong - numpy_output).max() < tol("jacobian") * 10


@pytest.mark.parametrize("skip", [True, False])
def test_the_residual_cell_is_the_numpy_stacks_inter_layer_skip(skip, rng):
    """The ``residual`` cell's y = x + tanh(W x + b) is what NumPy's residual stack passes
    up from a tanh layer reading x (with h⁽ᵗ⁻¹⁾ = 0): ∂y/∂x = I + diag(tanh′(z)) W against
    ``Stacked.output_jacobian``, whose first layer here passes x up unchanged; without the
    skip the same comparison fails by I."""
    c = get_cell("residual", "tanh")
    inst = instances.random_instance(c, N, N, rng)
    W, b, x = inst["params"]["W"], inst["params"]["b"], inst["leaves"]["x"]
    copy = RNN(N, N, "identity")  # h₀ = x: the layer below is the input itself
    copy.load_params({"W_h": np.zeros((N, N)), "W_x": np.eye(N), "b": np.zeros(N)})
    layer = RNN(N, N, "tanh")
    layer.load_params({"W_h": rng.normal(size=(N, N)), "W_x": W, "b": b})
    stack = Stacked([copy, layer], residual=skip)
    zero = np.zeros((1, N))
    _, J_yx = stack.output_jacobian(x[None], ((zero,), (zero,)))
    mine = instances.value(c, jacobian(c, of="y", wrt="x").expr, inst)
    gap = np.abs(mine - J_yx[0]).max()
    if skip:
        assert gap < tol("exact")
        y = stack.forward(x[None, None], ((zero,), (zero,))).h[0, 0]
        np.testing.assert_allclose(y, instances.environment(c, inst)["y"].ravel(), atol=1e-15)
    else:
        assert abs(gap - 1.0) < 1e-12
