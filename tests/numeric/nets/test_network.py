"""Unrolling with full and truncated BPTT (claims weights-shared, truncated-bptt)."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError, ShapeError, UnknownNameError
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.gradcheck import numerical_gradient
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import (
    Network,
    Truncation,
    check_model_gradients,
    flatten_state,
    state_at,
    unflatten_state,
)

CELLS = {
    "rnn-tanh": lambda d, n, rng: RNN(d, n, "tanh", rng=rng),
    "rnn-sigmoid": lambda d, n, rng: RNN(d, n, "sigmoid", rng=rng),
    "lstm": lambda d, n, rng: LSTM(d, n, rng=rng),
    "lstm-peephole": lambda d, n, rng: LSTM(d, n, peephole=True, rng=rng),
    "lstm-1997": lambda d, n, rng: LSTM(d, n, forget_gate=False, rng=rng),
}
try:
    from gradsym.numeric.cells.gru import GRU

    for _v in ("textbook", "minimal", "torch"):
        CELLS[f"gru-{_v}"] = lambda d, n, rng, v=_v: GRU(d, n, variant=v, rng=rng)
except ImportError:  # the GRU is written in parallel; its cases join once it imports
    pass

T, B, D, N, K = 6, 2, 3, 4, 3


def make_network(kind, rng, loss="xent", where="all", output=True):
    cell = CELLS[kind](D, N, rng)
    out = Linear(N, K if output else N, rng=rng) if output else None
    return Network(cell, out, loss=loss, where=where)


def make_targets(net, rng, loss, where):
    lead = (T, B) if where == "all" else (B,)
    size = net.output.out_features if net.output is not None else N
    if loss == "xent":
        return rng.integers(0, size, size=lead)
    return rng.normal(size=lead + (size,))


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("loss", ["xent", "mse"])
@pytest.mark.parametrize("where", ["all", "last"])
def test_full_bptt_matches_central_differences(kind, loss, where, rng):
    # With only the last step scored, the gradient reaching s⁽⁰⁾ of a sigmoid RNN after T
    # steps is ~(γ‖W_h‖)ᵀ ≈ 1e-7 (γ = 1/4): vanishing, and below what central differences
    # resolve on an O(1) loss. Three steps keep it measurable.
    steps = T if where == "all" else 3
    net = make_network(kind, rng, loss, where)
    xs = rng.normal(size=(steps, B, D))
    s0 = tuple(rng.normal(size=(B, N)) for _ in net.model.state_names)
    ys = make_targets(net, rng, loss, where)
    ys = ys[:steps] if where == "all" else ys
    for check in net.check_gradients(xs, ys, s0):
        assert check.ok(tol("gradcheck")), f"{kind}: {check}"


def test_network_without_output_layer_scores_h_itself(rng):
    net = make_network("lstm", rng, "mse", "all", output=False)
    xs, ys = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, N))
    r = net.loss_and_grads(xs, ys)
    np.testing.assert_array_equal(r.predictions, r.trace.h)
    assert set(r.grads) == set(net.params) and all(k.startswith("cell.") for k in r.grads)
    for check in net.check_gradients(xs, ys):
        assert check.ok(tol("gradcheck")), str(check)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm-peephole"])
def test_model_gradients_match_central_differences(kind, rng):
    cell = CELLS[kind](D, N, rng)
    for check in check_model_gradients(cell, rng.normal(size=(T, B, D)), None, rng):
        assert check.ok(tol("gradcheck")), str(check)


def test_a_pass_keeps_every_state_gate_and_adjoint(rng):
    net = make_network("lstm", rng)
    xs = rng.normal(size=(T, B, D))
    r = net.loss_and_grads(xs, make_targets(net, rng, "xent", "all"))
    assert r.trace.h.shape == r.trace.c.shape == (T, B, N)
    assert set(r.trace.gates) == {"f", "i", "o", "c_tilde"}
    assert r.adjoints["h"].shape == r.adjoints["c"].shape == (T, B, N)
    assert r.dxs.shape == (T, B, D)
    assert all(np.array_equal(a, b[-1]) for a, b in zip(r.final_state, (r.trace.h, r.trace.c)))
    assert set(r.grads) == set(net.params)
    assert {k.split(".")[0] for k in r.grads} == {"cell", "out"}


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm-peephole"])
def test_per_step_adjoints_are_dL_ds_t(kind, rng):
    """adjoints["h"][t−1] = ∂L/∂h⁽ᵗ⁾: with only the last step scored, L depends on s⁽ᵗ⁾
    through the rest of the sequence, so it is the gradient of xs[t:] run from s⁽ᵗ⁾.

    The LSTM's adjoints["c"] is the total ∂L/∂c⁽ᵗ⁾, which includes the path through
    h⁽ᵗ⁾ = o⁽ᵗ⁾∘tanh c⁽ᵗ⁾ of the same step; the state coordinate c (h held fixed) sees
    adjoints["c"] − adjoints["h"]∘o∘tanh'(c)."""
    net = make_network(kind, rng, "xent", "last")
    xs = rng.normal(size=(T, B, D))
    ys = make_targets(net, rng, "xent", "last")
    r = net.loss_and_grads(xs, ys)
    names = net.model.state_names
    for t in (1, 3, T - 1):
        s = [v.copy() for v in state_at(r.trace, t)]
        for name, v in zip(names, s):
            num = numerical_gradient(lambda t=t, s=s: net.loss(xs[t:], ys, tuple(s)), v, 1e-5)
            ana = r.adjoints[name][t - 1]
            if name == "c":
                o, c = r.trace.gates["o"][t - 1], r.trace.c[t - 1]
                ana = ana - r.adjoints["h"][t - 1] * o * (1 - np.tanh(c) ** 2)
            assert np.abs(num - ana).max() < tol("gradcheck") * np.abs(ana).max(), (name, t)


def test_weight_gradient_is_a_sum_over_steps(rng):
    """Claim weights-shared: ∂L/∂W_h = Σₜ (∂L/∂z⁽ᵗ⁾) h⁽ᵗ⁻¹⁾ᵀ, one term per step."""
    net = make_network("rnn-tanh", rng)
    xs = rng.normal(size=(T, B, D))
    r = net.loss_and_grads(xs, make_targets(net, rng, "xent", "all"))
    dz = r.adjoints["h"] * (1 - r.trace.h**2)
    h_prev = np.concatenate([r.trace.state0[0][None], r.trace.h[:-1]])
    terms = np.einsum("tbi,tbj->tij", dz, h_prev)
    np.testing.assert_allclose(terms.sum(0), r.grads["cell.W_h"], rtol=1e-12, atol=1e-15)


# -- truncated BPTT -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm-peephole", "lstm-1997"])
@pytest.mark.parametrize("truncation", [T, T + 5, (2, T), (1, T + 1), (4, 9)])
def test_truncation_with_window_at_least_T_is_full_bptt(kind, truncation, rng):
    net = make_network(kind, rng, "mse", "all")
    xs = rng.normal(size=(T, B, D))
    ys = make_targets(net, rng, "mse", "all")
    s0 = tuple(rng.normal(size=(B, N)) for _ in net.model.state_names)
    full = net.loss_and_grads(xs, ys, s0)
    trunc = net.loss_and_grads(xs, ys, s0, truncation=truncation)
    assert trunc.loss == full.loss
    for k in full.grads:
        np.testing.assert_allclose(trunc.grads[k], full.grads[k], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(trunc.dxs, full.dxs, rtol=1e-12, atol=1e-16)
    for a, b in zip(trunc.dstate0, full.dstate0):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-16)
    for k in full.adjoints:
        np.testing.assert_allclose(trunc.adjoints[k], full.adjoints[k], rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_inputs_beyond_the_window_get_exactly_zero_gradient(kind, k, rng):
    net = make_network(kind, rng, "xent", "last")
    xs = rng.normal(size=(T, B, D))
    ys = make_targets(net, rng, "xent", "last")
    r = net.loss_and_grads(xs, ys, truncation=k)
    assert not r.dxs[: T - k].any()  # exactly 0.0, not merely small
    assert (np.abs(r.dxs[T - k :]).max(axis=(1, 2)) > 0).all()
    assert not any(leaf.any() for leaf in r.dstate0)
    assert not r.adjoints["h"][: T - k].any()
    full = net.loss_and_grads(xs, ys)
    assert np.abs(full.dxs[: T - k]).max() > 0  # without truncation they do get gradient


def _surrogate_loss(net, xs, ys, frozen, truncation):
    """Σ_j L_j: the loss terms of chunk j, for the network run over its window from the
    frozen state s⁽ʷʲ⁾, written out independently of Network (mean over all T·B terms)."""
    total = 0.0
    for (w, c, e), s_w in zip(truncation.windows(xs.shape[0]), frozen):
        h = net.model.forward(xs[w:e], s_w).h[c - w :]
        z = h @ net.params["out.W_y"].T + net.params["out.b_y"]
        if net.loss_name == "xent":
            z = z - z.max(-1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
            total -= np.take_along_axis(logp, ys[c:e, :, None], -1).sum() / ys.size
        else:
            total += ((z - ys[c:e]) ** 2).sum() / ys.size
    return total


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm-peephole"])
@pytest.mark.parametrize("loss", ["xent", "mse"])
@pytest.mark.parametrize("k1, k2", [(2, 3), (3, 3), (1, 2), (2, 2)])
def test_truncated_gradient_is_the_sum_of_window_gradients(kind, loss, k1, k2, rng):
    """TBPTT(k1, k2) = Σ_j ∇ L_j(θ; s⁽ʷʲ⁾ constant), checked by central differences of
    the surrogate Σ_j L_j with the window states frozen, computed independently."""
    T7 = 7
    net = make_network(kind, rng, loss, "all")
    xs = rng.normal(size=(T7, B, D))
    lead = (T7, B)
    ys = rng.integers(0, K, size=lead) if loss == "xent" else rng.normal(size=lead + (K,))
    tr = Truncation.parse((k1, k2))
    r = net.loss_and_grads(xs, ys, truncation=(k1, k2))
    trace = net.model.forward(xs)
    frozen = [tuple(a.copy() for a in state_at(trace, w)) for w, _, _ in tr.windows(T7)]

    def f():
        return _surrogate_loss(net, xs, ys, frozen, tr)

    full = net.loss_and_grads(xs, ys)
    differs = False
    for name, p in [("x", xs)] + list(net.params.items()):
        ana = r.dxs if name == "x" else r.grads[name]
        num = numerical_gradient(f, p, 1e-5)
        scale = np.abs(num).max()
        assert np.abs(ana - num).max() < tol("gradcheck") * scale, name
        ref = full.dxs if name == "x" else full.grads[name]
        differs |= np.abs(ref - num).max() > 1e3 * tol("gradcheck") * scale
    assert differs  # the check can tell truncated from full BPTT


def test_state_carried_across_calls_without_gradient(rng):
    """Two calls on the halves, the state of the first passed on, are TBPTT(T/2, T/2) on
    the whole (each call's mean is over half the terms, hence the factor 2)."""
    net = make_network("lstm", rng, "xent", "all")
    xs = rng.normal(size=(T, B, D))
    ys = make_targets(net, rng, "xent", "all")
    whole = net.loss_and_grads(xs, ys, truncation=T // 2)
    first = net.loss_and_grads(xs[: T // 2], ys[: T // 2])
    second = net.loss_and_grads(xs[T // 2 :], ys[T // 2 :], first.final_state)
    for k in whole.grads:
        np.testing.assert_allclose(first.grads[k] + second.grads[k], 2 * whole.grads[k], rtol=1e-11)
    np.testing.assert_allclose((first.loss + second.loss) / 2, whole.loss, rtol=1e-14)
    for a, b in zip(second.final_state, whole.final_state):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_truncation_windows():
    assert Truncation.parse(3).windows(7) == [(0, 0, 3), (3, 3, 6), (4, 6, 7)]
    assert Truncation.parse((2, 3)).windows(5) == [(0, 0, 2), (1, 2, 4), (2, 4, 5)]
    assert Truncation.parse(None) is None


# -- parameters and errors ----------------------------------------------------------------


def test_flat_parameters_round_trip(rng):
    net = make_network("lstm-peephole", rng)
    p = net.get_params()
    assert list(p) == list(net.params) and net.n_params == sum(a.size for a in p.values())
    net.set_params({"cell.W_f": np.zeros((N, N)), "out.b_y": np.ones(K)})
    assert not net.model.params["W_f"].any() and (net.output.params["b_y"] == 1).all()
    net.set_params(p)
    assert all(np.array_equal(v, net.params[k]) for k, v in p.items())
    p["cell.W_f"][...] = 7.0  # get_params hands out copies
    assert not (net.model.params["W_f"] == 7.0).any()


def test_state_flattening_round_trips(rng):
    state = (rng.normal(size=(2, 3)), (rng.normal(size=(2, 4)), rng.normal(size=(2, 1))))
    s = flatten_state(state)
    assert s.shape == (2, 8)
    back = unflatten_state(state, s)
    assert np.array_equal(back[1][0], state[1][0]) and np.array_equal(back[1][1], state[1][1])


def test_bad_input_is_named(rng):
    net = make_network("rnn-tanh", rng)
    xs = rng.normal(size=(T, B, D))
    ys = make_targets(net, rng, "xent", "all")
    with pytest.raises(
        InvalidValueError, match="truncation window k must be a positive integer, got 0"
    ):
        net.loss_and_grads(xs, ys, truncation=0)
    with pytest.raises(InvalidValueError, match="k2 \\(backward window\\) must be a positive"):
        net.loss_and_grads(xs, ys, truncation=(2, -1))
    with pytest.raises(InvalidValueError, match="k1 = 3 > k2 = 2"):
        net.loss_and_grads(xs, ys, truncation=(3, 2))
    with pytest.raises(InvalidValueError, match="pair"):
        net.loss_and_grads(xs, ys, truncation=(1, 2, 3))
    with pytest.raises(InvalidValueError, match="positive integer, got 2.5"):
        net.loss_and_grads(xs, ys, truncation=2.5)
    with pytest.raises(UnknownNameError, match="loss 'hinge'"):
        Network(RNN(D, N), loss="hinge")
    with pytest.raises(UnknownNameError, match="scoring mode 'where' 'first'"):
        Network(RNN(D, N), where="first")
    with pytest.raises(ShapeError, match="output layer must read the model's outputs of size 4"):
        Network(RNN(D, N), Linear(5, 2))
    with pytest.raises(ShapeError, match=r"xs must have shape \(\*, \*, 3\)"):
        net.loss_and_grads(np.zeros((T, B, 2)), ys)
    with pytest.raises(ShapeError, match=r"targets must have shape \(6, 2\)"):
        net.loss_and_grads(xs, ys[:, :1])
    with pytest.raises(UnknownNameError, match="network parameter 'W_h'"):
        net.set_params({"W_h": np.zeros((N, N))})
    with pytest.raises(ShapeError, match=r"parameter cell.W_h must have shape \(4, 4\)"):
        net.set_params({"cell.W_h": np.zeros((N, N + 1))})
    bi = Network(Bidirectional(RNN(D, N), RNN(D, N)), loss="mse")
    with pytest.raises(InvalidValueError, match="causal"):
        bi.loss_and_grads(xs, rng.normal(size=(T, B, 2 * N)), truncation=2)
