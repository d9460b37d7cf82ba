"""The LSTM: f, i, o = σ(W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾ + b), c̃ = tanh(…), c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃,
h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾; with peepholes (+ V c⁽ᵗ⁻¹⁾ in f, i, o) and without a forget gate."""

import numpy as np
import pytest
from tolerances import tol

import gradsym.numeric.cells.lstm as lstm_module
from gradsym.errors import DTypeError, NonFiniteError, ShapeError
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.gradcheck import check_cell_gradients, check_state_jacobian

VARIANTS = {
    "standard": {},
    "peephole": {"peephole": True},
    "no forget gate": {"forget_gate": False},
    "peephole, no forget gate": {"peephole": True, "forget_gate": False},
}


def make(rng, d=3, n=4, **options) -> LSTM:
    cell = LSTM(d, n, rng=rng, **options)
    cell.fused["b"][...] = rng.normal(size=cell.fused["b"].shape)  # not zero, not uniform
    return cell


def sig(z):
    """σ written independently of the package (overflow-free for the sizes used here)."""
    return 1.0 / (1.0 + np.exp(-z))


def diag(v):
    """diag(v) for a batch: (B, n) → (B, n, n)."""
    return v[:, :, None] * np.eye(v.shape[1])


def reference_gates(cell, x, h, c):
    """f, i, o, c̃ of one step straight from the equations of the notes."""
    P = cell.params

    def z(g):
        out = h @ P[f"W_{g}"].T + x @ P[f"U_{g}"].T + P[f"b_{g}"]
        return out + c @ P[f"V_{g}"].T if f"V_{g}" in P else out

    f = sig(z("f")) if cell.forget_gate else np.ones_like(c)
    return f, sig(z("i")), sig(z("o")), np.tanh(z("c"))


def assert_close(actual, expected, rtol):
    """Agreement relative to the scale of ``expected`` (entries near 0 count absolutely)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


# -- the hand-written backward pass and the closed-form Jacobian ---------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_backward_matches_central_differences(variant, rng):
    cell = make(rng, **VARIANTS[variant])
    xs = rng.normal(size=(5, 2, 3))
    state0 = (rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    checks = check_cell_gradients(cell, xs, state0, rng)
    assert {c.name for c in checks} == {"x", "h0", "c0", *cell.params}
    for check in checks:
        assert check.ok(tol("gradcheck")), str(check)


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_jacobian_matches_central_differences(variant, rng):
    cell = make(rng, **VARIANTS[variant])
    x = rng.normal(size=(3, 3))
    state = (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))
    J_ss, J_sx = cell.state_jacobian(x, state)
    assert J_ss.shape == (3, 8, 8) and J_sx.shape == (3, 8, 3)
    for check in check_state_jacobian(cell, x, state):
        assert check.ok(tol("jacobian")), str(check)


def test_trace_holds_every_gate_and_state(rng):
    cell = make(rng)
    tr = cell.forward(rng.normal(size=(6, 2, 3)))
    assert set(tr.gates) == {"f", "i", "o", "c_tilde"}
    assert all(v.shape == (6, 2, 4) for v in [*tr.gates.values(), tr.h, tr.c])
    # gates-range: σ keeps every gate in (0, 1); c̃ is a tanh, in (−1, 1)
    for g in "fio":
        assert ((tr.gates[g] > 0) & (tr.gates[g] < 1)).all()
    assert (np.abs(tr.gates["c_tilde"]) < 1).all()
    # the recurrence itself, from the stored gates
    c_prev = np.concatenate([np.zeros((1, 2, 4)), tr.c[:-1]])
    assert_close(tr.c, tr.gates["f"] * c_prev + tr.gates["i"] * tr.gates["c_tilde"], 1e-15)
    assert_close(tr.h, tr.gates["o"] * np.tanh(tr.c), 1e-15)


# -- the claims about ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ --------------------------------------------------------


def test_cell_path_jacobian_is_diag_f(rng):
    """lstm-cell-path: ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾)."""
    cell = make(rng)
    x, h, c = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    J, _ = cell.state_jacobian(x, (h, c))
    f = reference_gates(cell, x, h, c)[0]
    assert_close(J[:, 4:, 4:], diag(f), 1e-14)


def test_without_forget_gate_the_cell_path_is_the_identity(rng):
    """cec: c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ + i∘c̃ gives ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = I exactly (the constant error carousel)."""
    cell = make(rng, forget_gate=False)
    assert "W_f" not in cell.params and cell.forget_gate_bias is None
    x, h, c = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    J, _ = cell.state_jacobian(x, (h, c))
    assert np.array_equal(J[:, 4:, 4:], np.broadcast_to(np.eye(4), (3, 4, 4)))
    # With the gates blind to h (W = 0) the cell path is the only way back: ∂L/∂c⁽ᵀ⁾
    # reaches c⁽⁰⁾ unchanged over 50 steps; with a forget gate it shrinks by ∏ f.
    xs, dc = rng.normal(size=(50, 3, 3)), rng.normal(size=(3, 4))
    for forget_gate in (False, True):
        cell = make(rng, forget_gate=forget_gate)
        cell.fused["W"][...] = 0.0
        g = cell.backward(cell.forward(xs, (h, c)), d_final=(np.zeros((3, 4)), dc))
        if forget_gate:
            assert np.abs(g.dstate0[1]).max() < 1e-3 * np.abs(dc).max()
        else:
            assert np.array_equal(g.dstate0[1], dc)


def test_peepholes_add_V_terms_to_the_cell_path(rng):
    """peephole-jacobians: ∂c/∂c_prev = diag(f) + diag(c_prev∘σ'(z_f)) V_f + diag(c̃∘σ'(z_i)) V_i."""
    cell = make(rng, peephole=True)
    assert cell.peephole_weights == ("V_f", "V_i", "V_o")
    x, h, c = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    J, _ = cell.state_jacobian(x, (h, c))
    f, i, _, c_tilde = reference_gates(cell, x, h, c)
    V = cell.params
    expected = (
        diag(f)
        + (c * f * (1 - f))[:, :, None] * V["V_f"]
        + (c_tilde * i * (1 - i))[:, :, None] * V["V_i"]
    )
    assert_close(J[:, 4:, 4:], expected, 1e-13)
    assert np.abs(J[:, 4:, 4:] - diag(f)).max() > 1e-3  # the V terms are really there


def test_forget_bias_opens_the_cell_path(rng):
    """forget-bias: a large b_f makes f ≈ 1, so ∂c/∂c_prev ≈ I."""
    cell = make(rng)
    cell.params[cell.forget_gate_bias][...] = 30.0
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    J, _ = cell.state_jacobian(x, (h, c))
    assert np.abs(J[:, 4:, 4:] - np.eye(4)).max() < 1e-12


def test_lstm_has_four_times_the_parameters_of_a_simple_rnn():
    """lstm-params [004]."""
    assert LSTM(7, 5).n_params == 4 * RNN(7, 5).n_params


# -- every checker must be able to fail ------------------------------------------------------


def test_gradient_check_rejects_a_wrong_output_gate_gradient(rng, monkeypatch):
    cell = make(rng)
    original = LSTM._backward

    def wrong(self, trace, direct, final):
        g = original(self, trace, direct, final)
        g.params["W_o"][...] *= 1.01  # one gate's gradient off by 1 %
        return g

    monkeypatch.setattr(LSTM, "_backward", wrong)
    checks = {c.name: c for c in check_cell_gradients(cell, rng.normal(size=(4, 2, 3)), None, rng)}
    assert not checks["W_o"].ok(tol("gradcheck"))
    assert checks["W_f"].ok(tol("gradcheck")) and checks["x"].ok(tol("gradcheck"))


def test_gradient_check_rejects_a_wrong_sigmoid_derivative(rng, monkeypatch):
    cell = make(rng)

    def sigma_instead_of_sigma_prime(a, out=None):  # σ' = σ: forgetting the (1 − σ)
        if out is None:
            return a.copy()
        out[...] = a
        return out

    monkeypatch.setattr(lstm_module, "sigmoid_prime", sigma_instead_of_sigma_prime)
    checks = {c.name: c for c in check_cell_gradients(cell, rng.normal(size=(4, 2, 3)), None, rng)}
    for name in ("W_f", "U_i", "b_o", "x", "h0"):
        assert not checks[name].ok(tol("gradcheck")), name


def test_jacobian_check_rejects_diag_f_for_a_peephole_lstm(rng, monkeypatch):
    cell = make(rng, peephole=True)
    original = LSTM._state_jacobian

    def without_peepholes(self, x, state):
        J_ss, J_sx = original(self, x, state)
        f = self.forward(x[None], state).gates["f"][0]
        J_ss[:, 4:, 4:] = diag(f)  # the standard LSTM's claim, applied where it does not hold
        return J_ss, J_sx

    monkeypatch.setattr(LSTM, "_state_jacobian", without_peepholes)
    x, state = rng.normal(size=(2, 3)), (rng.normal(size=(2, 4)), rng.normal(size=(2, 4)))
    checks = {c.name: c for c in check_state_jacobian(cell, x, state)}
    assert not checks["ds/ds_prev"].ok(tol("jacobian"))
    assert checks["ds/dx"].ok(tol("jacobian"))


# -- PyTorch as the outside reference ---------------------------------------------------------


def _torch_forward_backward(torch, step, params, xs, state0, G, G_final):
    """Run ``step`` (torch ops) over xs with autograd; return outputs and all gradients."""
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    txs = torch.tensor(xs, requires_grad=True)
    ts0 = [torch.tensor(s, requires_grad=True) for s in state0]
    state, hs = tuple(ts0), []
    for t in range(xs.shape[0]):
        state = step(P, txs[t], state)
        hs.append(state[0])
    out = torch.stack(hs)
    loss = (out * torch.tensor(G)).sum() + sum(
        (s * torch.tensor(g)).sum() for s, g in zip(state, G_final)
    )
    loss.backward()
    return (
        out.detach().numpy(),
        txs.grad.numpy(),
        [s.grad.numpy() for s in ts0],
        {k: v.grad.numpy() for k, v in P.items()},
    )


def test_matches_torch_nn_lstm(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is the outside reference")
    d, n, T, B = 3, 5, 6, 2
    module = torch.nn.LSTM(d, n, dtype=torch.float64)
    with torch.no_grad():  # random weights and distinct, non-zero b_ih and b_hh
        for p in module.parameters():
            p.copy_(torch.from_numpy(rng.normal(scale=0.6, size=tuple(p.shape))))
    cell = LSTM(d, n)
    # torch stacks the gates as [i, f, g, o]; g is the notes' c̃
    order = dict(zip("ifco", range(4)))

    def block(name, g):
        return getattr(module, name).detach().numpy()[order[g] * n : (order[g] + 1) * n]

    cell.load_params(
        {f"W_{g}": block("weight_hh_l0", g) for g in "fioc"}
        | {f"U_{g}": block("weight_ih_l0", g) for g in "fioc"}
        | {f"b_{g}": block("bias_ih_l0", g) + block("bias_hh_l0", g) for g in "fioc"}
    )
    xs, h0, c0 = rng.normal(size=(T, B, d)), rng.normal(size=(B, n)), rng.normal(size=(B, n))
    G, Gh, Gc = rng.normal(size=(T, B, n)), rng.normal(size=(B, n)), rng.normal(size=(B, n))

    txs = torch.tensor(xs, requires_grad=True)
    th0, tc0 = (
        torch.tensor(h0[None], requires_grad=True),
        torch.tensor(c0[None], requires_grad=True),
    )
    out, (hT, cT) = module(txs, (th0, tc0))
    (
        (out * torch.tensor(G)).sum()
        + (hT[0] * torch.tensor(Gh)).sum()
        + (cT[0] * torch.tensor(Gc)).sum()
    ).backward()

    tr = cell.forward(xs, (h0, c0))
    g = cell.backward(tr, G, d_final=(Gh, Gc))
    exact = tol("exact")
    assert_close(tr.h, out.detach().numpy(), exact)
    assert_close(tr.c[-1], cT[0].detach().numpy(), exact)
    assert_close(g.dxs, txs.grad.numpy(), exact)
    assert_close(g.dstate0[0], th0.grad.numpy()[0], exact)
    assert_close(g.dstate0[1], tc0.grad.numpy()[0], exact)
    for gate in "fioc":
        grad = {
            name: p.grad.numpy()[order[gate] * n : (order[gate] + 1) * n]
            for name, p in module.named_parameters()
        }
        assert_close(g.params[f"W_{gate}"], grad["weight_hh_l0"], exact)
        assert_close(g.params[f"U_{gate}"], grad["weight_ih_l0"], exact)
        # b = b_ih + b_hh, so each of torch's biases has our bias's gradient
        assert_close(g.params[f"b_{gate}"], grad["bias_ih_l0"], exact)
        assert_close(g.params[f"b_{gate}"], grad["bias_hh_l0"], exact)


@pytest.mark.parametrize("variant", ["peephole", "no forget gate", "peephole, no forget gate"])
def test_variants_match_torch_autograd_of_the_equations(variant, rng):
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the outside reference")
    cell = make(rng, 3, 5, **VARIANTS[variant])
    for v in cell.fused.values():
        v[...] = rng.normal(scale=0.6, size=v.shape)

    def step(P, x, state):
        h, c = state

        def z(g):
            out = h @ P[f"W_{g}"].T + x @ P[f"U_{g}"].T + P[f"b_{g}"]
            return out + c @ P[f"V_{g}"].T if f"V_{g}" in P else out

        i, o, c_tilde = torch.sigmoid(z("i")), torch.sigmoid(z("o")), torch.tanh(z("c"))
        c = (torch.sigmoid(z("f")) * c if "W_f" in P else c) + i * c_tilde
        return o * torch.tanh(c), c

    T, B = 5, 2
    xs, state0 = rng.normal(size=(T, B, 3)), (rng.normal(size=(B, 5)), rng.normal(size=(B, 5)))
    G, G_final = rng.normal(size=(T, B, 5)), (rng.normal(size=(B, 5)), rng.normal(size=(B, 5)))
    out, dxs, dstate0, dparams = _torch_forward_backward(
        torch, step, cell.state_dict(), xs, state0, G, G_final
    )
    tr = cell.forward(xs, state0)
    g = cell.backward(tr, G, d_final=G_final)
    exact = tol("exact")
    assert_close(tr.h, out, exact)
    assert_close(g.dxs, dxs, exact)
    for ours, theirs in zip(g.dstate0, dstate0):
        assert_close(ours, theirs, exact)
    for name in cell.params:
        assert_close(g.params[name], dparams[name], exact)


# -- dtype and input checks ---------------------------------------------------------------------


def test_float32_runs_in_float32_and_agrees_with_float64(rng):
    cell64 = make(rng, **VARIANTS["peephole"])
    cell32 = LSTM(3, 4, peephole=True, dtype=np.float32)
    cell32.load_params({k: v.astype(np.float32) for k, v in cell64.params.items()})
    xs, G = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 4))
    tr32 = cell32.forward(xs.astype(np.float32))
    g32 = cell32.backward(tr32, G.astype(np.float32), dc=G.astype(np.float32))
    assert tr32.h.dtype == tr32.c.dtype == np.float32
    assert all(v.dtype == np.float32 for v in tr32.gates.values())
    assert g32.dxs.dtype == np.float32 and all(s.dtype == np.float32 for s in g32.dstate0)
    assert all(v.dtype == np.float32 for v in g32.params.values())
    tr64 = cell64.forward(xs)
    g64 = cell64.backward(tr64, G, dc=G)
    assert_close(tr32.h, tr64.h, tol("exact", np.float32))
    assert_close(g32.dxs, g64.dxs, tol("exact", np.float32))
    for name in cell64.params:
        assert_close(g32.params[name], g64.params[name], tol("exact", np.float32))


def test_peephole_without_forget_gate_has_only_V_i_and_V_o(rng):
    cell = LSTM(3, 4, peephole=True, forget_gate=False)
    assert cell.peephole_weights == ("V_i", "V_o")
    assert sorted(cell.params) == sorted(
        ["W_i", "W_o", "W_c", "U_i", "U_o", "U_c", "b_i", "b_o", "b_c", "V_i", "V_o"]
    )
    assert set(cell.forward(rng.normal(size=(2, 1, 3))).gates) == {"i", "o", "c_tilde"}


def test_bad_input_is_named(rng):
    cell = LSTM(3, 4)
    with pytest.raises(ShapeError, match=r"xs must have shape \(\*, \*, 3\)"):
        cell.forward(np.zeros((5, 2, 2)))
    with pytest.raises(DTypeError, match="float64"):
        cell.forward(np.zeros((5, 2, 3), np.float32))
    xs = np.zeros((5, 2, 3))
    xs[3, 1, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"xs\[3, 1, 2\]"):
        cell.forward(xs)
    with pytest.raises(ShapeError, match=r"state must be a tuple \(h, c\)"):
        cell.forward(np.zeros((5, 2, 3)), np.zeros((2, 4)))
    with pytest.raises(ShapeError, match="c must have shape"):
        cell.forward(np.zeros((5, 2, 3)), (np.zeros((2, 4)), np.zeros((2, 5))))
    c0 = np.zeros((2, 4))
    c0[1, 3] = np.inf
    with pytest.raises(NonFiniteError, match=r"c\[1, 3\]"):
        cell.forward(np.zeros((5, 2, 3)), (np.zeros((2, 4)), c0))
    peep = LSTM(3, 4, peephole=True)
    peep.params["V_o"][2, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"parameter V_o\[2, 1\]"):
        peep.forward(np.zeros((5, 2, 3)))
    cell.params["W_f"][1, 0] = np.nan
    with pytest.raises(NonFiniteError, match=r"parameter W_f\[1, 0\]"):
        cell.state_jacobian(np.zeros((2, 3)))
