"""The GRU in the notes' convention (h = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃, textbook and minimal) and in
PyTorch's (h = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import DTypeError, NonFiniteError, ShapeError, UnknownNameError
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.gradcheck import check_cell_gradients, check_state_jacobian

VARIANTS = ["textbook", "minimal", "torch"]


def make(rng, variant, d=3, n=4) -> GRU:
    cell = GRU(d, n, variant=variant, rng=rng)
    cell.fused["b"][...] = rng.normal(size=cell.fused["b"].shape)  # not zero, not uniform
    return cell


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def diag(v):
    return v[:, :, None] * np.eye(v.shape[1])


def assert_close(actual, expected, rtol):
    """Agreement relative to the scale of ``expected`` (entries near 0 count absolutely)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


# -- the hand-written backward pass and the closed-form Jacobian ---------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_backward_matches_central_differences(variant, rng):
    cell = make(rng, variant)
    xs, h0 = rng.normal(size=(5, 2, 3)), rng.normal(size=(2, 4))
    checks = check_cell_gradients(cell, xs, (h0,), rng)
    assert {c.name for c in checks} == {"x", "h0", *cell.params}
    for check in checks:
        assert check.ok(tol("gradcheck")), str(check)


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_jacobian_matches_central_differences(variant, rng):
    cell = make(rng, variant)
    x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    J_hh, J_hx = cell.state_jacobian(x, h)
    assert J_hh.shape == (3, 4, 4) and J_hx.shape == (3, 4, 3)
    for check in check_state_jacobian(cell, x, (h,)):
        assert check.ok(tol("jacobian")), str(check)


def test_textbook_jacobian_in_compact_form(rng):
    """gru-jacobian: ∂h/∂h_prev = diag(1 − u) + diag((h̃ − h_prev)∘u') W_u
    + diag(u∘h̃') W_h (diag(r) + diag(h_prev∘r') W_r), evaluated independently."""
    cell = make(rng, "textbook")
    P = cell.params
    x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    u = sig(h @ P["W_u"].T + x @ P["U_u"].T + P["b_u"])
    r = sig(h @ P["W_r"].T + x @ P["U_r"].T + P["b_r"])
    h_tilde = np.tanh((r * h) @ P["W_h"].T + x @ P["U_h"].T + P["b_h"])
    expected = (
        diag(1 - u)
        + diag((h_tilde - h) * u * (1 - u)) @ P["W_u"]
        + diag(u * (1 - h_tilde**2)) @ P["W_h"] @ (diag(r) + diag(h * r * (1 - r)) @ P["W_r"])
    )
    assert_close(cell.state_jacobian(x, h)[0], expected, 1e-13)


def test_trace_holds_every_gate(rng):
    for variant, gates in (
        ("textbook", {"u", "r", "h_tilde"}),
        ("minimal", {"u", "h_tilde"}),
        ("torch", {"r", "z", "n"}),
    ):
        tr = make(rng, variant).forward(rng.normal(size=(6, 2, 3)))
        assert set(tr.gates) == gates
        assert all(v.shape == (6, 2, 4) for v in [*tr.gates.values(), tr.h])
    # the notes' interpolation, from the stored gates
    tr = make(rng, "textbook").forward(rng.normal(size=(6, 2, 3)))
    h_prev = np.concatenate([np.zeros((1, 2, 4)), tr.h[:-1]])
    u = tr.gates["u"]
    assert_close(tr.h, (1 - u) * h_prev + u * tr.gates["h_tilde"], 1e-15)


# -- u = 0 (notes) and z = 1 (PyTorch) keep the state -----------------------------------------


def test_update_gate_closed_keeps_the_state_in_the_notes_convention(rng):
    """gru-retain: u = 0 gives ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = I (b_u = −40: u ≈ 4e-18)."""
    cell = make(rng, "textbook")
    assert cell.update_gate_bias == "b_u"
    x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    J, _ = cell.state_jacobian(x, h)
    assert np.abs(J - np.eye(4)).max() > 1e-2  # an open gate: far from I
    cell.params["b_u"][...] = -40.0
    assert cell.forward(x[None], h).gates["u"].max() < 1e-15
    J, J_x = cell.state_jacobian(x, h)
    assert np.abs(J - np.eye(4)).max() < 1e-15
    assert np.abs(J_x).max() < 1e-15  # and the input is ignored


def test_update_gate_open_keeps_the_state_in_pytorchs_convention(rng):
    """gru-update-bias: PyTorch's z weighs the old state, so z = 1 (b_z = +40) gives I."""
    cell = make(rng, "torch")
    assert cell.update_gate_bias == "b_z"
    x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    J, _ = cell.state_jacobian(x, h)
    assert np.abs(J - np.eye(4)).max() > 1e-2
    cell.params["b_z"][...] = 40.0
    J, J_x = cell.state_jacobian(x, h)
    assert np.abs(J - np.eye(4)).max() < 1e-15
    assert np.abs(J_x).max() < 1e-15
    # the same bias in the notes' convention would do the opposite: u = 1 rewrites h
    notes = make(rng, "textbook")
    notes.params["b_u"][...] = 40.0
    assert np.abs(notes.state_jacobian(x, h)[0] - np.eye(4)).max() > 1e-2


def test_minimal_gru_is_the_textbook_gru_with_r_equal_to_one(rng):
    """gru-variants: with W_r = U_r = 0 and b_r = 40 (r = 1) the two agree."""
    textbook, minimal = make(rng, "textbook"), make(rng, "minimal")
    textbook.load_params({k: v for k, v in minimal.params.items()})
    textbook.load_params(
        {"W_r": np.zeros((4, 4)), "U_r": np.zeros((4, 3)), "b_r": np.full(4, 40.0)}
    )
    xs, h0, G = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(6, 2, 4))
    tr_t, tr_m = textbook.forward(xs, h0), minimal.forward(xs, h0)
    assert np.array_equal(tr_t.gates["r"], np.ones((6, 2, 4)))
    assert_close(tr_t.h, tr_m.h, 1e-15)
    g_t, g_m = textbook.backward(tr_t, G), minimal.backward(tr_m, G)
    assert_close(g_t.dxs, g_m.dxs, 1e-14)
    for name in minimal.params:
        assert_close(g_t.params[name], g_m.params[name], 1e-14)


def test_gru_has_three_blocks_to_the_lstms_four():
    """gru-params [001, 004]."""
    assert 4 * GRU(7, 5).n_params == 3 * LSTM(7, 5).n_params
    assert GRU(7, 5, variant="torch").n_params == GRU(7, 5).n_params + 5  # b_hn


# -- every checker must be able to fail ------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_gradient_check_rejects_a_wrong_gate_gradient(variant, rng, monkeypatch):
    cell = make(rng, variant)
    gate = "W_r"  # textbook and torch: the reset gate; minimal has none, so its update gate
    if variant == "minimal":
        gate = "W_u"
    original = GRU._backward

    def wrong(self, trace, direct, final):
        g = original(self, trace, direct, final)
        g.params[gate][...] = g.params[gate].T  # the classic W instead of Wᵀ slip
        return g

    monkeypatch.setattr(GRU, "_backward", wrong)
    checks = {c.name: c for c in check_cell_gradients(cell, rng.normal(size=(4, 2, 3)), None, rng)}
    assert not checks[gate].ok(tol("gradcheck"))
    assert checks["x"].ok(tol("gradcheck"))


def test_jacobian_check_rejects_the_reset_gate_forgotten(rng, monkeypatch):
    """A student's textbook Jacobian without the ∂r/∂h_prev term is refuted."""
    cell = make(rng, "textbook")
    original = GRU._state_jacobian

    def without_reset_term(self, x, state):
        J, J_x = original(self, x, state)
        P, (h,) = self.params, state
        tr = self.forward(x[None], state)
        u, r, h_tilde = (tr.gates[k][0] for k in ("u", "r", "h_tilde"))
        J -= (u * (1 - h_tilde**2))[:, :, None] * (P["W_h"] @ diag(h * r * (1 - r)) @ P["W_r"])
        return J, J_x

    monkeypatch.setattr(GRU, "_state_jacobian", without_reset_term)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    checks = {c.name: c for c in check_state_jacobian(cell, x, (h,))}
    assert not checks["ds/ds_prev"].ok(tol("jacobian"))
    assert checks["ds/dx"].ok(tol("jacobian"))


# -- PyTorch as the outside reference ---------------------------------------------------------


def test_torch_variant_matches_torch_nn_gru(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is the outside reference")
    d, n, T, B = 3, 5, 6, 2
    module = torch.nn.GRU(d, n, dtype=torch.float64)
    with torch.no_grad():  # random weights and distinct, non-zero b_ih and b_hh
        for p in module.parameters():
            p.copy_(torch.from_numpy(rng.normal(scale=0.6, size=tuple(p.shape))))
    cell = GRU(d, n, variant="torch")
    order = dict(zip("rzn", range(3)))  # torch stacks the gates as [r, z, n]

    def block(name, g):
        return getattr(module, name).detach().numpy()[order[g] * n : (order[g] + 1) * n]

    cell.load_params(
        {f"W_{g}": block("weight_hh_l0", g) for g in "rzn"}
        | {f"U_{g}": block("weight_ih_l0", g) for g in "rzn"}
        | {
            "b_r": block("bias_ih_l0", "r") + block("bias_hh_l0", "r"),
            "b_z": block("bias_ih_l0", "z") + block("bias_hh_l0", "z"),
            "b_n": block("bias_ih_l0", "n"),
            "b_hn": block("bias_hh_l0", "n"),
        }
    )
    xs, h0 = rng.normal(size=(T, B, d)), rng.normal(size=(B, n))
    G, Gh = rng.normal(size=(T, B, n)), rng.normal(size=(B, n))
    txs, th0 = torch.tensor(xs, requires_grad=True), torch.tensor(h0[None], requires_grad=True)
    out, hT = module(txs, th0)
    ((out * torch.tensor(G)).sum() + (hT[0] * torch.tensor(Gh)).sum()).backward()

    tr = cell.forward(xs, h0)
    g = cell.backward(tr, G, d_final=(Gh,))
    exact = tol("exact")
    assert_close(tr.h, out.detach().numpy(), exact)
    assert_close(g.dxs, txs.grad.numpy(), exact)
    assert_close(g.dstate0[0], th0.grad.numpy()[0], exact)
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}

    def gblock(name, gate):
        return grads[name][order[gate] * n : (order[gate] + 1) * n]

    for gate in "rzn":
        assert_close(g.params[f"W_{gate}"], gblock("weight_hh_l0", gate), exact)
        assert_close(g.params[f"U_{gate}"], gblock("weight_ih_l0", gate), exact)
    for gate in "rz":
        assert_close(g.params[f"b_{gate}"], gblock("bias_ih_l0", gate), exact)
        assert_close(g.params[f"b_{gate}"], gblock("bias_hh_l0", gate), exact)
    assert_close(g.params["b_n"], gblock("bias_ih_l0", "n"), exact)
    assert_close(g.params["b_hn"], gblock("bias_hh_l0", "n"), exact)


@pytest.mark.parametrize("variant", ["textbook", "minimal"])
def test_notes_variants_match_torch_autograd_of_the_equations(variant, rng):
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the outside reference")
    T, B, d, n = 5, 2, 3, 5
    cell = make(rng, variant, d, n)
    for v in cell.fused.values():
        v[...] = rng.normal(scale=0.6, size=v.shape)
    P = {k: torch.tensor(v, requires_grad=True) for k, v in cell.state_dict().items()}
    xs, h0, G = rng.normal(size=(T, B, d)), rng.normal(size=(B, n)), rng.normal(size=(T, B, n))
    txs, th0 = torch.tensor(xs, requires_grad=True), torch.tensor(h0, requires_grad=True)
    h, hs = th0, []
    for t in range(T):
        x = txs[t]
        u = torch.sigmoid(h @ P["W_u"].T + x @ P["U_u"].T + P["b_u"])
        r = torch.sigmoid(h @ P["W_r"].T + x @ P["U_r"].T + P["b_r"]) if "W_r" in P else 1.0
        h_tilde = torch.tanh((r * h) @ P["W_h"].T + x @ P["U_h"].T + P["b_h"])
        h = (1 - u) * h + u * h_tilde
        hs.append(h)
    out = torch.stack(hs)
    (out * torch.tensor(G)).sum().backward()

    tr = cell.forward(xs, h0)
    g = cell.backward(tr, G)
    exact = tol("exact")
    assert_close(tr.h, out.detach().numpy(), exact)
    assert_close(g.dxs, txs.grad.numpy(), exact)
    assert_close(g.dstate0[0], th0.grad.numpy(), exact)
    for name in cell.params:
        assert_close(g.params[name], P[name].grad.numpy(), exact)


# -- dtype and input checks ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_float32_runs_in_float32_and_agrees_with_float64(variant, rng):
    cell64 = make(rng, variant)
    cell32 = GRU(3, 4, variant=variant, dtype=np.float32)
    cell32.load_params({k: v.astype(np.float32) for k, v in cell64.params.items()})
    xs, G = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 4))
    tr32 = cell32.forward(xs.astype(np.float32))
    g32 = cell32.backward(tr32, G.astype(np.float32))
    assert tr32.h.dtype == np.float32 and all(v.dtype == np.float32 for v in tr32.gates.values())
    assert g32.dxs.dtype == g32.dstate0[0].dtype == np.float32
    assert all(v.dtype == np.float32 for v in g32.params.values())
    tr64 = cell64.forward(xs)
    g64 = cell64.backward(tr64, G)
    assert_close(tr32.h, tr64.h, tol("exact", np.float32))
    assert_close(g32.dxs, g64.dxs, tol("exact", np.float32))
    for name in cell64.params:
        assert_close(g32.params[name], g64.params[name], tol("exact", np.float32))


def test_bad_input_is_named(rng):
    with pytest.raises(UnknownNameError, match="GRU variant 'cho'.*'minimal', 'textbook', 'torch'"):
        GRU(3, 4, variant="cho")
    cell = GRU(3, 4, variant="torch")
    with pytest.raises(ShapeError, match=r"xs must have shape \(\*, \*, 3\)"):
        cell.forward(np.zeros((5, 2, 4)))
    with pytest.raises(DTypeError, match="float32"):
        GRU(3, 4, dtype=np.float32).forward(np.zeros((5, 2, 3)))
    xs = np.zeros((5, 2, 3))
    xs[0, 1, 2] = np.nan
    with pytest.raises(NonFiniteError, match=r"xs\[0, 1, 2\]"):
        cell.forward(xs)
    with pytest.raises(ShapeError, match="h must have shape"):
        cell.forward(np.zeros((5, 2, 3)), np.zeros((3, 4)))
    cell.params["b_hn"][2] = np.inf
    with pytest.raises(NonFiniteError, match=r"parameter b_hn\[2\]"):
        cell.forward(np.zeros((5, 2, 3)))
    textbook = GRU(3, 4)
    textbook.params["W_r"][0, 3] = np.nan
    with pytest.raises(NonFiniteError, match=r"parameter W_r\[0, 3\]"):
        textbook.state_jacobian(np.zeros((2, 3)), np.zeros((2, 4)))
