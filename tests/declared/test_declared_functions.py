"""The grammar of 2023–2024 recurrences: exp, log, softplus, sqrt, abs, max and min (with a
number or another vector), logaddexp, entrywise division and powers with an expression as
exponent, scalar parameters and per-unit vectors, and more states than h and c.

A declared cell that uses every one of them is generated, and agrees with the same
recurrence written by hand in PyTorch (forward, state Jacobian, every gradient) to 1e-12
in float64; its compact Jacobians are proved equal to SymPy's explicit ones; the checker
grades candidates written with the new functions; bad inputs are one-line errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_reference import agreement

import gradsym
from gradsym import check_jacobian
from gradsym.errors import DeclarationError, UnknownNameError

#: Every new construct at least once: softplus, σ, the power σ(λ)^(c g) with a per-unit
#: base and a scalar in the exponent, sqrt, tanh, max with a stabiliser state m, log, exp,
#: abs, a quotient, min with a number, a scalar ζ times a vector, logaddexp.
EVERYTHING = """
a = softplus(W_a @ x + U_a @ h_prev + b_a)
g = sigma(W_g @ x + U_g @ h_prev + b_g)
q = sigma(lambda_) ** (c * g)
s = sqrt(1 - q ** 2) * tanh(W_s @ x + b_s)
m = max(log(g) + m_prev, log(a))
k = exp(log(g) + m_prev - m)
h = q * h_prev + s + k * abs(h_prev) / (1 + a) + zeta * min(h_prev, 0.5) - logaddexp(h_prev, m_prev) / 10
"""
SHAPES = {"lambda_": "n", "c": "1", "zeta": "1"}

#: FastGRNN (Kusupati et al. 2018, eq. 4): two scalars, ζ and ν.
FASTGRNN = """
z = sigma(W @ x + U @ h_prev + b_z)
h_tilde = tanh(W @ x + U @ h_prev + b_h)
h = (zeta * (1 - z) + nu) * h_tilde + z * h_prev
"""

D, N, T, B = 2, 3, 4, 2


def _torch_everything(P, x, state):
    import torch

    h, m = state
    a = torch.nn.functional.softplus(x @ P["W_a"].T + h @ P["U_a"].T + P["b_a"])
    g = torch.sigmoid(x @ P["W_g"].T + h @ P["U_g"].T + P["b_g"])
    q = torch.pow(torch.sigmoid(P["lambda_"]), P["c"] * g)
    s = torch.sqrt(1 - q * q) * torch.tanh(x @ P["W_s"].T + P["b_s"])
    m_new = torch.maximum(torch.log(g) + m, torch.log(a))
    k = torch.exp(torch.log(g) + m - m_new)
    h_new = (
        q * h
        + s
        + k * torch.abs(h) / (1 + a)
        + P["zeta"] * torch.minimum(h, torch.tensor(0.5, dtype=h.dtype))
        - torch.logaddexp(h, m) / 10
    )
    return h_new, m_new


def _torch_fastgrnn(P, x, state):
    import torch

    (h,) = state
    pre = x @ P["W"].T + h @ P["U"].T
    z = torch.sigmoid(pre + P["b_z"])
    h_tilde = torch.tanh(pre + P["b_h"])
    return ((P["zeta"] * (1 - z) + P["nu"]) * h_tilde + z * h,)


@pytest.fixture(scope="module")
def everything():
    return gradsym.cell_from_equations(
        "test_everything", EVERYTHING, ["h", "m"], shapes=SHAPES, register=False
    )


@pytest.fixture(scope="module")
def fastgrnn():
    return gradsym.cell_from_equations(
        "test_fastgrnn", FASTGRNN, ["h"], shapes={"zeta": "1", "nu": "1"}
    )


def _inputs(rng, states):
    xs = rng.standard_normal((T, B, D))
    return xs, tuple(0.5 * rng.standard_normal((B, N)) for _ in range(states))


@pytest.mark.parametrize(
    "which, reference, states",
    [("everything", _torch_everything, 2), ("fastgrnn", _torch_fastgrnn, 1)],
)
def test_declared_cells_agree_with_torch_written_by_hand(which, reference, states, request, rng):
    pytest.importorskip("torch")
    declared = request.getfixturevalue(which)
    cell = declared.numpy(D, N, rng=np.random.default_rng(3))
    xs, state0 = _inputs(rng, states)
    found = agreement(cell, reference, xs, state0, rng)
    name, worst = found.worst()
    assert worst < 1e-12, f"{which}: {name} differs by {worst:.2e}"


def test_the_agreement_sees_a_wrong_step(everything, rng):
    """The reference comparison fails when the torch step differs in one term."""
    pytest.importorskip("torch")

    def off(P, x, state):
        h, m = _torch_everything(P, x, state)
        return h + 1e-9 * state[1], m

    cell = everything.numpy(D, N, rng=np.random.default_rng(3))
    xs, state0 = _inputs(rng, 2)
    assert agreement(cell, off, xs, state0, rng).worst()[1] > 1e-11


def test_compact_jacobians_are_proved_at_n_2(everything, fastgrnn):
    for declared in (everything, fastgrnn):
        for of, wrt in declared.blocks:
            assert declared.jacobian(of, wrt).prove(2).holds, (declared.name, of, wrt)


def test_the_notes_notation_of_the_new_constructs(everything, fastgrnn):
    tex = everything.latex()
    for piece in [
        r"\operatorname{softplus}\left(",
        r"\left(\sigma\left(\boldsymbol{\lambda}\right)\right)^{c \mathbf{g}^{(t)}}",
        r"\sqrt{1 - \left(\mathbf{q}^{(t)} \circ \mathbf{q}^{(t)}\right)}",
        r"\max\left(\log\left(\mathbf{g}^{(t)}\right) + \mathbf{m}^{(t-1)}, ",
        r"\frac{\mathbf{k}^{(t)} \circ \left|\mathbf{h}^{(t-1)}\right|}{1 + \mathbf{a}^{(t)}}",
        r"\zeta \min\left(\mathbf{h}^{(t-1)}, \frac{1}{2}\right)",
        r"\log\left(e^{\mathbf{h}^{(t-1)}} + e^{\mathbf{m}^{(t-1)}}\right)",
    ]:
        assert piece in tex, piece
    # the scalars print as scalars: ζ (1 − z) + ν, not bold, not ζ ∘ …
    assert r"\left(\zeta \left(1 - \mathbf{z}^{(t)}\right) + \nu\right)" in fastgrnn.latex()
    # ∂m/∂m⁽ᵗ⁻¹⁾ of the stabiliser is a step: the tie split evenly
    J = everything.jacobian("m", "m_prev")
    assert "step(" in str(J) or r"\operatorname{step}" in J.latex()


def test_the_checker_grades_candidates_written_with_the_new_functions(everything):
    """The proof for every size covers σ, tanh and ReLU only: a right candidate with the
    new functions is proved exactly at the checked size and says it is undecided for the
    others; a wrong one is refuted with a counterexample."""
    right = "diag(step(log(g) + m_prev - log(a)))"
    verdict = check_jacobian(everything.cell, right, of="m", wrt="m_prev", trials=2)
    assert verdict.outcome == "undecided" and verdict.sizes_equal == ((3, 3),)
    assert "outside the fragment" in verdict.detail and "holds exactly at n = 3" in verdict.detail
    wrong = "diag(step(log(a) - log(g) - m_prev))"
    assert check_jacobian(everything.cell, wrong, of="m", wrt="m_prev", trials=2).refuted


def test_the_checker_draws_instances_where_the_equations_are_defined():
    """A cell undefined at some random points (sqrt of a weighted sum) is checked at points
    where it is defined; one defined nowhere is a one-line error, not a verdict."""
    somewhere = gradsym.cell_from_equations(
        "test_sqrt", "h = sqrt(W @ h_prev + U @ x + 1)", register=False
    )
    J = "diag(0.5 / sqrt(W @ h_prev + U @ x + 1)) @ W"
    assert check_jacobian(somewhere.cell, J, trials=2).sizes_equal == ((3, 3),)
    assert check_jacobian(somewhere.cell, J.replace("0.5", "0.6"), trials=2).refuted
    nowhere = gradsym.cell_from_equations(
        "test_nowhere", "h = log(0 - exp(W @ h_prev + U @ x))", register=False
    )
    with pytest.raises(gradsym.errors.NonFiniteError, match="undefined") as info:
        check_jacobian(nowhere.cell, "diag(1 / h) @ W", trials=2)
    assert "\n" not in str(info.value)


def test_a_state_need_not_be_h_or_c_and_any_number_of_them_train(everything):
    cell = everything.numpy(D, N, rng=np.random.default_rng(0))
    assert cell.state_names == ("h", "m")
    net = gradsym.Network(cell, gradsym.Linear(N, 1), loss="mse", where="last")
    rng = np.random.default_rng(1)
    xs, targets = rng.standard_normal((T, B, D)), rng.standard_normal((B, 1))
    out = net.loss_and_grads(xs, targets)
    assert np.isfinite(out.loss) and all(np.isfinite(g).all() for g in out.grads.values())


@pytest.mark.parametrize(
    "equations, message",
    [
        ("h = cosh(W @ h_prev)", "equation h: unknown function 'cosh'; the functions are"),
        ("h = exp(h_prev, x)", "exp(…) takes 1 argument, got 2"),
        ("h = max(h_prev)", "max(…) takes 2 arguments, got 1"),
        ("h = max(W @ h_prev, W)", "takes two column vectors of the same size"),
        ("h = max(2, 3) * h_prev", "needs a vector argument"),
        ("h = h_prev / W", "can only divide by a number, or entrywise by a vector"),
        ("h = W ** 0.5 @ h_prev", "not on matrices"),
        ("h = h_prev ** W", "an exponent is a number, or a vector of the base's size"),
        ("h = (-2) ** h_prev", "needs a positive base"),
        ("h = h_prev ** 2000.5", "at most 1000"),
        ("h = exp + h_prev", "'exp' is a function: write exp(v)"),
        ("h = max + h_prev", "'max' is a function: write max(a, b)"),
        ("h = min(h_prev, 1e400)", "too large"),
        ("h = h_prev / 0", "division by zero"),
        ("h = zeta @ h_prev", "cannot multiply shapes"),
        ("log = exp(h_prev)\nh = log", "'log' is reserved"),
    ],
)
def test_bad_equations_are_one_line_errors(equations, message):
    with pytest.raises(DeclarationError) as info:
        gradsym.cell_from_equations(
            "test_bad", equations, ["h"], shapes={"zeta": "1"}, register=False
        )
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_function_in_a_candidate_says_so():
    with pytest.raises(gradsym.errors.CandidateError, match="unknown function 'cosh'"):
        check_jacobian("rnn", "diag(cosh(z)) @ W_h")
    with pytest.raises(UnknownNameError, match="unknown activation 'softplus'"):
        gradsym.RNN(2, 3, activation="softplus")
