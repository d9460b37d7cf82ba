"""Initialisers: orthogonal (claim orthogonal), identity (claim relu / IRNN), scaled
Gaussian, PyTorch uniform, spectral rescaling, and the cell-level ``initialise`` with the
forget-gate and GRU update-gate biases (claims forget-bias, gru-update-bias)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError, NonFiniteError, ShapeError, UnknownNameError
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.optim.initialisers import (
    identity,
    initialise,
    orthogonal,
    scaled_gaussian,
    set_spectral_norm,
    set_spectral_radius,
    spectral_radius,
    torch_uniform,
)

EXACT = tol("exact")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def assert_orthonormal_columns(Q, gain=1.0):
    k = Q.shape[1]
    np.testing.assert_allclose(Q.T @ Q, gain**2 * np.eye(k), atol=EXACT)


# -- orthogonal ---------------------------------------------------------------------------


@pytest.mark.parametrize("gain", [1.0, 0.5, 2.0])
def test_orthogonal_square(gain, rng):
    Q = orthogonal((6, 6), rng, gain)
    assert Q.shape == (6, 6) and Q.dtype == np.float64
    assert_orthonormal_columns(Q, gain)
    np.testing.assert_allclose(Q @ Q.T, gain**2 * np.eye(6), atol=EXACT)
    np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), gain, rtol=EXACT)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(Q)), gain, rtol=1e-9)


def test_orthogonal_powers_preserve_norm(rng):
    # claim orthogonal: ‖Qˡ x‖ = ‖x‖ for every ℓ; a Gaussian matrix of the same scale drifts.
    Q = orthogonal((8, 8), rng)
    G = scaled_gaussian((8, 8), rng)
    x = rng.normal(size=8)
    qx, gx = x.copy(), x.copy()
    for _ in range(200):
        qx, gx = Q @ qx, G @ gx
    assert math.isclose(np.linalg.norm(qx), np.linalg.norm(x), rel_tol=1e-10)
    assert not math.isclose(np.linalg.norm(gx), np.linalg.norm(x), rel_tol=0.1)


@pytest.mark.parametrize("shape", [(7, 3), (3, 7)])
def test_orthogonal_rectangular(shape, rng):
    Q = orthogonal(shape, rng)
    assert Q.shape == shape
    assert_orthonormal_columns(Q if shape[0] >= shape[1] else Q.T)


def test_orthogonal_is_haar_thanks_to_sign_correction():
    # Under the Haar measure Q[0, 0] is symmetric about 0. The raw QR factor is not
    # (LAPACK fixes the sign of R's diagonal), which is the wrong answer this test
    # must distinguish.
    rng = np.random.default_rng(7)
    draws = np.array([orthogonal((3, 3), rng)[0, 0] for _ in range(4000)])
    # sd of Q[0,0] is 1/√3; the mean of 4000 draws has sd ≈ 0.009
    assert abs(draws.mean()) < 0.04
    rng = np.random.default_rng(7)
    raw = np.array([np.linalg.qr(rng.standard_normal((3, 3)))[0][0, 0] for _ in range(4000)])
    assert abs(raw.mean()) > 0.3


def test_orthogonal_reproducible_and_errors():
    a = orthogonal((4, 4), np.random.default_rng(3))
    b = orthogonal((4, 4), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    for g in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(InvalidValueError, match="gain"):
            orthogonal((3, 3), rng, g)
    with pytest.raises(ShapeError):
        orthogonal((3, 3, 3), rng)
    with pytest.raises(InvalidValueError):
        orthogonal((0, 3), rng)
    with pytest.raises(InvalidValueError, match="Generator"):
        orthogonal((3, 3), 0)
    assert orthogonal((3, 3), rng, dtype=np.float32).dtype == np.float32


# -- identity, Gaussian, uniform ----------------------------------------------------------


def test_identity():
    np.testing.assert_array_equal(identity(4), np.eye(4))
    np.testing.assert_array_equal(identity(3, gain=0.5), 0.5 * np.eye(3))
    with pytest.raises(InvalidValueError, match="gain"):
        identity(3, gain=0.0)
    with pytest.raises(InvalidValueError):
        identity(0)


def test_scaled_gaussian_default_std_is_one_over_sqrt_fan_in(rng):
    W = scaled_gaussian((400, 100), rng)  # fan_in = 100 → std 0.1
    # the sample sd of 40 000 normals is within ~0.35% of the truth (1 sd)
    assert math.isclose(W.std(), 0.1, rel_tol=0.02)
    assert abs(W.mean()) < 0.002
    W = scaled_gaussian((200, 200), rng, std=2.0)
    assert math.isclose(W.std(), 2.0, rel_tol=0.02)
    with pytest.raises(InvalidValueError, match="std"):
        scaled_gaussian((3, 3), rng, std=0.0)


def test_torch_uniform(rng):
    n = 25
    W = torch_uniform((n, 4 * n), rng, n)
    bound = 1.0 / math.sqrt(n)
    assert W.min() >= -bound and W.max() < bound
    # U(−a, a) has variance a²/3
    assert math.isclose(W.var(), bound**2 / 3, rel_tol=0.05)
    assert torch_uniform(5, rng, 5).shape == (5,)


# -- spectral rescaling -------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.5, 0.95, 1.0, 3.0])
def test_set_spectral_radius(rho, rng):
    W = rng.normal(size=(7, 7))
    V = set_spectral_radius(W, rho)
    assert math.isclose(np.max(np.abs(np.linalg.eigvals(V))), rho, rel_tol=1e-10)
    assert math.isclose(spectral_radius(V), rho, rel_tol=1e-10)
    c = V[0, 0] / W[0, 0]
    assert c > 0
    np.testing.assert_allclose(V, c * W, rtol=EXACT)  # a rescaling, nothing else
    np.testing.assert_array_equal(W, W.copy())


@pytest.mark.parametrize("sigma", [0.25, 1.0, 4.0])
def test_set_spectral_norm(sigma, rng):
    for shape in [(6, 6), (6, 3)]:
        W = rng.normal(size=shape)
        V = set_spectral_norm(W, sigma)
        assert math.isclose(np.linalg.svd(V, compute_uv=False)[0], sigma, rel_tol=1e-12)


def test_spectral_errors(rng):
    with pytest.raises(InvalidValueError, match="spectral radius"):
        set_spectral_radius(np.zeros((3, 3)), 1.0)
    with pytest.raises(InvalidValueError, match="nilpotent"):
        set_spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0)
    with pytest.raises(ShapeError, match="square"):
        set_spectral_radius(rng.normal(size=(3, 4)), 1.0)
    with pytest.raises(InvalidValueError, match="zero matrix"):
        set_spectral_norm(np.zeros((3, 4)), 1.0)
    with pytest.raises(ShapeError):
        set_spectral_norm(np.ones(3), 1.0)
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(InvalidValueError):
            set_spectral_radius(np.eye(2), bad)
        with pytest.raises(InvalidValueError):
            set_spectral_norm(np.eye(2), bad)
    with pytest.raises(NonFiniteError):
        set_spectral_radius(np.array([[1.0, math.nan], [0.0, 1.0]]), 1.0)


# -- initialise on a cell -----------------------------------------------------------------


class FakeCell:
    """The cell interface ``initialise`` is written against: named views into fused storage."""

    def __init__(
        self, n, d, recurrent, inputs, biases, *, peepholes=(), forget=None, update=None, sign=None
    ):
        self.hidden_size, self.input_size, self.dtype = n, d, np.dtype(np.float64)
        self.recurrent_weights, self.input_weights, self.biases = recurrent, inputs, biases
        self.peephole_weights = peepholes
        self.forget_gate_bias, self.update_gate_bias = forget, update
        self.update_gate_sign = sign
        # Non-zero garbage, so that a parameter initialise forgets to write is noticed.
        self.fused = {
            "W": np.full((n * len(recurrent), n), 7.0),
            "U": np.full((n * len(inputs), d), 7.0),
            "b": np.full((n * len(biases),), 7.0),
            "V": np.full((n * max(len(peepholes), 1),), 7.0),
        }
        self.params = {}
        for kind, names in (("W", recurrent), ("U", inputs), ("b", biases), ("V", peepholes)):
            for k, name in enumerate(names):
                self.params[name] = self.fused[kind][k * n : (k + 1) * n]


def rnn(n=5, d=3):
    return FakeCell(n, d, ("W_h",), ("W_x",), ("b",))


def lstm(n=5, d=3, *, forget_gate=True, peephole=False):
    g = ("f", "i", "o", "c") if forget_gate else ("i", "o", "c")
    return FakeCell(
        n,
        d,
        tuple(f"W_{x}" for x in g),
        tuple(f"U_{x}" for x in g),
        tuple(f"b_{x}" for x in g),
        peepholes=("V_f", "V_i", "V_o") if peephole else (),
        forget="b_f" if forget_gate else None,
    )


def gru(variant="textbook", n=5, d=3):
    g = {"textbook": ("u", "r", "h"), "minimal": ("u", "h"), "torch": ("r", "z", "n")}[variant]
    biases = tuple(f"b_{x}" for x in g) + (("b_hn",) if variant == "torch" else ())
    return FakeCell(
        n,
        d,
        tuple(f"W_{x}" for x in g),
        tuple(f"U_{x}" for x in g),
        biases,
        update="b_z" if variant == "torch" else "b_u",
        sign=GRU(1, 1, variant=variant).update_gate_sign,  # the cell knows its convention
    )


ALL_CELLS = {
    "rnn": rnn,
    "lstm": lstm,
    "lstm-no-forget": lambda: lstm(forget_gate=False),
    "lstm-peephole": lambda: lstm(peephole=True),
    "gru-textbook": gru,
    "gru-minimal": lambda: gru("minimal"),
    "gru-torch": lambda: gru("torch"),
}


@pytest.mark.parametrize("kind", list(ALL_CELLS))
def test_orthogonal_per_gate_block(kind, rng):
    cell = ALL_CELLS[kind]()
    initialise(cell, "orthogonal", rng=rng, gain=1.0)
    n = cell.hidden_size
    for name in cell.recurrent_weights:
        assert_orthonormal_columns(cell.params[name])
    # the writes went into the fused storage, and every parameter was written
    stacked = cell.fused["W"]
    np.testing.assert_allclose(
        stacked.T @ stacked, len(cell.recurrent_weights) * np.eye(n), atol=EXACT
    )
    for name in cell.biases + cell.peephole_weights:
        np.testing.assert_array_equal(cell.params[name], 0.0)
    for name in cell.input_weights:
        assert np.all(np.abs(cell.params[name]) <= 1 / math.sqrt(n))


def test_whole_matrix_orthogonal_is_not_per_block(rng):
    # The wrong answer the per-block test rejects: an orthogonal stacked 4n×n matrix
    # leaves each n×n block far from orthogonal.
    n = 5
    S = orthogonal((4 * n, n), rng)
    block = S[:n]
    assert np.max(np.abs(block.T @ block - np.eye(n))) > 0.3


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru-torch"])
def test_identity_and_spectral_options(kind, rng):
    cell = ALL_CELLS[kind]()
    initialise(cell, "identity", rng=rng, gain=0.9)
    for name in cell.recurrent_weights:
        np.testing.assert_array_equal(cell.params[name], 0.9 * np.eye(cell.hidden_size))
    initialise(cell, "gaussian", rng=rng, spectral_radius=1.1)
    for name in cell.recurrent_weights:
        assert math.isclose(spectral_radius(cell.params[name]), 1.1, rel_tol=1e-10)
    initialise(cell, "uniform", "orthogonal", rng=rng, spectral_norm=0.5)
    for name in cell.recurrent_weights:
        s = np.linalg.svd(cell.params[name], compute_uv=False)
        assert math.isclose(s[0], 0.5, rel_tol=1e-12)
    for name in cell.input_weights:
        assert_orthonormal_columns(cell.params[name])  # (n, d) with n ≥ d


def test_initialise_is_reproducible():
    a, b = lstm(), lstm()
    initialise(a, "orthogonal", "gaussian", rng=np.random.default_rng(5), bias="uniform")
    initialise(b, "orthogonal", "gaussian", rng=np.random.default_rng(5), bias="uniform")
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert np.all(a.params["b_i"] != 0.0)


def test_forget_bias(rng):
    cell = lstm()
    initialise(cell, rng=rng, forget_bias=2.0)
    np.testing.assert_array_equal(cell.params["b_f"], 2.0)
    for name in ("b_i", "b_o", "b_c"):
        np.testing.assert_array_equal(cell.params[name], 0.0)
    # claim forget-bias: f = σ(b_f) ≈ 1 at the start when the pre-activation is b_f
    assert sigmoid(cell.params["b_f"]).min() > 0.88
    with pytest.raises(InvalidValueError, match="no forget gate"):
        initialise(lstm(forget_gate=False), rng=rng, forget_bias=1.0)
    with pytest.raises(InvalidValueError, match="no forget gate"):
        initialise(rnn(), rng=rng, forget_bias=1.0)
    with pytest.raises(InvalidValueError, match="forget_bias"):
        initialise(lstm(), rng=rng, forget_bias=math.inf)


def carry_coefficient(cell) -> np.ndarray:
    """The coefficient of h⁽ᵗ⁻¹⁾ on the identity path at zero input and zero state, from
    each convention's own update equation (written out here, independently of gradsym):
    textbook h = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃ with u = σ(b_u); PyTorch h = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾
    with z = σ(b_z)."""
    if "b_u" in cell.params:
        return 1.0 - sigmoid(cell.params["b_u"])
    return sigmoid(cell.params["b_z"])


@pytest.mark.parametrize("variant", ["textbook", "minimal", "torch"])
def test_update_bias_opens_the_identity_path_in_both_conventions(variant, rng):
    cell = gru(variant)
    initialise(cell, rng=rng, update_bias=3.0)
    # claim gru-update-bias: same "opening" a → the same carry coefficient σ(a) ≈ 1
    np.testing.assert_allclose(carry_coefficient(cell), sigmoid(3.0), rtol=EXACT)
    name = cell.update_gate_bias
    expected_sign = -1.0 if variant in ("textbook", "minimal") else 1.0
    np.testing.assert_array_equal(cell.params[name], expected_sign * 3.0)
    # a negative opening closes the path (the checker can see the wrong sign)
    initialise(cell, rng=rng, update_bias=-3.0)
    assert carry_coefficient(cell).max() < 0.05


@pytest.mark.parametrize("variant", ["textbook", "minimal", "torch"])
def test_update_bias_opens_the_real_grus_identity_path(variant, rng):
    cell = GRU(3, 5, variant=variant)
    initialise(cell, rng=rng, update_bias=3.0)
    np.testing.assert_allclose(carry_coefficient(cell), sigmoid(3.0), rtol=EXACT)
    cell.update_gate_sign = None  # a cell that does not say which sign opens its path
    with pytest.raises(InvalidValueError, match="update_gate_sign"):
        initialise(cell, rng=rng, update_bias=3.0)


def test_initialise_errors(rng):
    cell = rnn()
    with pytest.raises(
        UnknownNameError, match="'gaussian', 'identity', 'orthogonal', 'sparse', 'uniform'"
    ):
        initialise(cell, "xavier", rng=rng)
    with pytest.raises(UnknownNameError, match="input initialiser"):
        initialise(cell, "orthogonal", "identity", rng=rng)
    with pytest.raises(UnknownNameError):
        initialise(cell, rng=rng, bias="ones")
    for g in (0.0, -0.5, math.nan):
        with pytest.raises(InvalidValueError, match="gain"):
            initialise(cell, rng=rng, gain=g)
        with pytest.raises(InvalidValueError, match="input_gain"):
            initialise(cell, rng=rng, input_gain=g)
    with pytest.raises(InvalidValueError, match="not both"):
        initialise(cell, rng=rng, spectral_radius=1.0, spectral_norm=1.0)
    with pytest.raises(InvalidValueError, match="update gate"):
        initialise(cell, rng=rng, update_bias=1.0)
    with pytest.raises(InvalidValueError, match="update gate"):
        initialise(lstm(), rng=rng, update_bias=1.0)
    with pytest.raises(InvalidValueError, match="Generator"):
        initialise(cell, rng=None)
    with pytest.raises(InvalidValueError, match="spectral_radius"):
        initialise(cell, rng=rng, spectral_radius=0.0)


def test_initialise_real_rnn_cell(rng):
    try:
        from gradsym.numeric.cells.rnn import RNN
    except ImportError:  # pragma: no cover - the cells are written in parallel
        pytest.skip("gradsym.numeric.cells.rnn is not available")
    cell = RNN(3, 4, activation="relu")
    initialise(cell, "identity", "gaussian", rng=rng)
    np.testing.assert_array_equal(cell.params["W_h"], np.eye(4))
    np.testing.assert_array_equal(cell.fused["W"], np.eye(4))
    np.testing.assert_array_equal(cell.params["b"], 0.0)


@pytest.mark.parametrize("variant", ["textbook", "minimal", "torch"])
def test_update_bias_on_the_real_gru_keeps_the_state(variant, rng):
    # End to end: with the identity path opened, one step of gradsym's own GRU (in each
    # convention) barely changes h; with it closed, the state is overwritten.
    try:
        from gradsym.numeric.cells.gru import GRU
    except ImportError:  # pragma: no cover - the cells are written in parallel
        pytest.skip("gradsym.numeric.cells.gru is not available")
    cell = GRU(3, 4, variant=variant)
    h0 = rng.normal(size=(2, 4))
    xs = rng.normal(size=(1, 2, 3))
    initialise(cell, "orthogonal", rng=rng, update_bias=10.0)
    assert np.max(np.abs(cell.forward(xs, h0).h[0] - h0)) < 1e-3
    initialise(cell, "orthogonal", rng=rng, update_bias=-10.0)
    assert np.max(np.abs(cell.forward(xs, h0).h[0] - h0)) > 0.1


# -- sparse (Pascanu, Mikolov & Bengio 2013) ----------------------------------------------


def test_sparse_has_exactly_k_nonzeros_per_unit_and_spectral_radius_095(rng):
    from gradsym.numeric.optim.initialisers import sparse

    W = sparse((40, 40), rng, nonzeros=15)
    assert (np.count_nonzero(W, axis=1) == 15).all()  # incoming weights of each unit
    assert spectral_radius(W) == pytest.approx(0.95, rel=1e-12)
    assert spectral_radius(sparse((40, 40), rng, 15, spectral_radius=1.2)) == pytest.approx(1.2)
    raw = sparse((8, 30), rng, nonzeros=3, spectral_radius=None)
    assert raw.shape == (8, 30) and (np.count_nonzero(raw, axis=1) == 3).all()
    # the positions differ from unit to unit (not one fixed pattern)
    assert len({tuple(np.flatnonzero(row)) for row in W}) > 30


def test_sparse_errors(rng):
    from gradsym.numeric.optim.initialisers import sparse

    with pytest.raises(InvalidValueError, match="at most the 10 inputs"):
        sparse((10, 10), rng, nonzeros=11)
    with pytest.raises(InvalidValueError, match="nonzeros"):
        sparse((10, 10), rng, nonzeros=0)
    with pytest.raises(ShapeError, match="square"):
        sparse((10, 12), rng, nonzeros=2)


def test_initialise_sparse_works_per_gate_block(rng):
    cell = lstm(n=20)
    initialise(cell, "sparse", rng=rng, nonzeros=4)
    for name in cell.recurrent_weights:
        W = cell.params[name]
        assert (np.count_nonzero(W, axis=1) == 4).all(), name
        assert spectral_radius(W) == pytest.approx(0.95, rel=1e-12), name
    initialise(cell, "sparse", rng=rng, nonzeros=4, spectral_radius=0.5)
    assert spectral_radius(cell.params["W_f"]) == pytest.approx(0.5, rel=1e-12)
    initialise(cell, "sparse", rng=rng, nonzeros=4, spectral_norm=0.5)
    assert np.linalg.norm(cell.params["W_f"], 2) == pytest.approx(0.5, rel=1e-12)


def test_train_config_sparse_init_and_its_nonzeros():
    from gradsym.numeric.train import TrainConfig, Trainer

    cfg = TrainConfig(cell="rnn", init="sparse", hidden=20, nonzeros=5, steps=1)
    W = Trainer(cfg).network.params["cell.W_h"]
    assert (np.count_nonzero(W, axis=1) == 5).all()
    assert spectral_radius(W) == pytest.approx(0.95, rel=1e-12)
    with pytest.raises(InvalidValueError, match="hidden = 8"):
        TrainConfig(cell="rnn", init="sparse", hidden=8)  # 15 non-zeros by default
    with pytest.raises(InvalidValueError, match="applies to init 'sparse'"):
        TrainConfig(cell="rnn", init="orthogonal", nonzeros=3)
