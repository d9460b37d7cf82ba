"""Bidirectional and multi-layer RNNs (notes 001, 000, 003)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul, ZeroMatrix
from sympy import Identity as I_

from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.stacked import Stacked
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic import jacobian

from ..checks import Counterexample, JacobianIdentity, Numeric
from ..claim import Claim, Step
from ..instances import lambdified, random_instance, value
from ..notation import matrix
from .common import Apply, Diag, S, jacobian_step, pd

SECTION = "Bidirectional and multi-layer RNNs"


# -- bidirectional ------------------------------------------------------------------------------------


def _fw_form(cell):
    W, z = S(cell, "W_h_fw", "z_fw")
    return MatMul(Diag(Apply("tanh'", z)), W)


def _bw_form(cell):
    W, z = S(cell, "W_h_bw", "z_bw")
    return MatMul(Diag(Apply("tanh'", z)), W)


def _cross_form(cell):
    n = S(cell, "h_fw").shape[0]
    return ZeroMatrix(n, n)


def _o_fw_form(cell):
    W_o, z_o = S(cell, "W_o", "z_o")
    n = S(cell, "h_fw").shape[0]
    return MatMul(Diag(Apply("tanh'", z_o)), W_o, BlockMatrix([[I_(n)], [ZeroMatrix(n, n)]]))


def _pair(rng, T=5, n=3, d=2):
    fw, bw = RNN(d, n, rng=int(rng.integers(1 << 30))), RNN(d, n, rng=int(rng.integers(1 << 30)))
    out = Linear(2 * n, n, names=("W_o", "b_o"), rng=int(rng.integers(1 << 30)))
    return Bidirectional(fw, bw, out, output_activation="tanh")


def _dependence(model, xs, t: int, s: int) -> np.ndarray:
    """∂H⁽ᵗ⁾/∂x⁽ˢ⁾ by central differences, H = [→h; ←h] (batch 0)."""
    d = xs.shape[2]
    cols = []
    for k in range(d):
        e = np.zeros_like(xs)
        e[s, 0, k] = 1e-6
        cols.append(
            (model.forward(xs + e).concat[t, 0] - model.forward(xs - e).concat[t, 0]) / 2e-6
        )
    return np.stack(cols, axis=1)


def _causal_sample(rng):
    model = _pair(rng)
    xs = rng.normal(size=(5, 1, 2))
    t = int(rng.integers(0, 4))
    D = _dependence(model, xs, t, t + 1)
    return D[:3], np.zeros_like(D[:3]), {"t": t}


def _right_context_search(rng):
    model = _pair(rng)
    xs = rng.normal(size=(5, 1, 2))
    t = int(rng.integers(0, 4))
    D = _dependence(model, xs, t, t + 1)
    if np.abs(D[3:]).max() > 1e-6:
        return {"t": t, "d_backward_h_t_d_x_t_plus_1": D[3:], "d_forward_h_t_d_x_t_plus_1": D[:3]}
    return None


def _output_sample(rng):
    model = _pair(rng)
    xs = rng.normal(size=(4, 1, 2))
    tr = model.forward(xs)
    p = model.params
    o = np.tanh(tr.concat @ p["out.W_o"].T + p["out.b_o"])
    return tr.o, o


def _birnn_numpy_sample(rng):
    """The symbolic →h block against a NumPy RNN with →W's weights."""
    cell = get_cell("birnn", "tanh")
    inst = random_instance(cell, 3, 2, rng)
    p = inst["params"]
    fw = RNN(2, 3)
    fw.load_params({"W_h": p["W_h_fw"], "W_x": p["W_x_fw"], "b": p["b_fw"]})
    J = fw.state_jacobian(inst["leaves"]["x"][None], (inst["leaves"]["h_fw_prev"][None],))[0][0]
    return value(cell, _fw_form(cell), inst), J


birnn = Claim(
    id="birnn",
    title="Bidirectional RNNs: two directions, separate weights, right context",
    statement=(
        "h⁽ᵗ⁾ = [→h⁽ᵗ⁾; ←h⁽ᵗ⁾] with separate weights; output o_t = g(W_o [→h_t, ←h_t] + b_o); "
        "the backward direction depends on the right context, so a language model cannot use it."
    ),
    assumptions=("both directions are tanh RNNs; g = tanh",),
    steps=(
        Step(
            pd("h_fw", "h_fw_prev"),
            _fw_form(get_cell("birnn", "tanh")),
            "=",
            "the forward RNN's Jacobian",
            symbolic=JacobianIdentity(
                lambda: get_cell("birnn", "tanh"), "h_fw", "h_fw_prev", _fw_form
            ),
            numeric=Numeric(_birnn_numpy_sample, tol=1e-12, method="against a NumPy RNN with →W"),
        ),
        jacobian_step(
            "birnn",
            "tanh",
            "h_bw",
            "h_bw_next",
            _bw_form,
            "the backward RNN reads its own state at t + 1",
            reference="fd",
        ),
        jacobian_step(
            "birnn",
            "tanh",
            "h_fw",
            "h_bw_next",
            _cross_form,
            "separate weights: the directions do not mix",
            reference="fd",
        ),
        jacobian_step(
            "birnn",
            "tanh",
            "o",
            "h_fw",
            _o_fw_form,
            "the output reads the forward state through the first n columns of W_o",
            reference="fd",
        ),
        Step(
            matrix("o⁽ᵗ⁾", r"\mathbf{o}^{(t)}", cols=1),
            matrix(
                "g(W_o [→h⁽ᵗ⁾; ←h⁽ᵗ⁾] + b_o)",
                r"g\left(\mathbf{W}_o [\overrightarrow{\mathbf{h}}^{(t)}; \overleftarrow{\mathbf{h}}^{(t)}] + \mathbf{b}_o\right)",
                cols=1,
            ),
            "=",
            "output layer of 003",
            numeric=Numeric(
                _output_sample, tol=1e-12, method="NumPy Bidirectional with output layer"
            ),
        ),
        Step(
            matrix(
                "∂→h⁽ᵗ⁾/∂x⁽ᵗ⁺¹⁾",
                r"\frac{\partial \overrightarrow{\mathbf{h}}^{(t)}}{\partial \mathbf{x}^{(t+1)}}",
            ),
            sp.S.Zero,
            "=",
            "the forward direction is causal",
            numeric=Numeric(
                _causal_sample,
                tol=0.0,
                scale="absolute",
                method="central differences, NumPy Bidirectional",
            ),
        ),
        Step(
            matrix(
                "∂←h⁽ᵗ⁾/∂x⁽ᵗ⁺¹⁾",
                r"\frac{\partial \overleftarrow{\mathbf{h}}^{(t)}}{\partial \mathbf{x}^{(t+1)}}",
            ),
            sp.S.Zero,
            "≠",
            "the backward direction reads the right context: not for language models",
            numeric=Counterexample(
                _right_context_search, method="central differences, NumPy Bidirectional"
            ),
        ),
    ),
    sources=("001", "000", "003"),
    section=SECTION,
)


# -- stacked ----------------------------------------------------------------------------------------------


def _zero_form(cell):
    n = S(cell, "h1").shape[0]
    return ZeroMatrix(n, n)


def _cross_layer_form(cell):
    W_h1, W_x2, z1, z2 = S(cell, "W_h1", "W_x2", "z1", "z2")
    inner = MatMul(Diag(Apply("tanh'", z1)), W_h1)
    if cell.variant == "residual":
        n = W_h1.shape[0]
        return MatMul(MatAdd(I_(n), MatMul(Diag(Apply("tanh'", z2)), W_x2)), inner)
    return MatMul(Diag(Apply("tanh'", z2)), W_x2, inner)


def _skip_form(cell):
    W_x2, z2 = S(cell, "W_x2", "z2")
    n = W_x2.shape[0]
    return MatAdd(I_(n), MatMul(Diag(Apply("tanh'", z2)), W_x2))


def _stack(inst, residual=False):
    p = inst["params"]
    l0, l1 = RNN(2, 3), RNN(3, 3)
    l0.load_params({"W_h": p["W_h1"], "W_x": p["W_x1"], "b": p["b1"]})
    l1.load_params({"W_h": p["W_h2"], "W_x": p["W_x2"], "b": p["b2"]})
    return Stacked([l0, l1], residual=residual)


def _state_sample(rng):
    """The symbolic stack's whole state Jacobian ∂[h₁; h₂]/∂[h₁⁽ᵗ⁻¹⁾; h₂⁽ᵗ⁻¹⁾] against NumPy's."""
    cell = get_cell("stacked", "plain")
    inst = random_instance(cell, 3, 2, rng)
    mine = lambdified(jacobian("stacked", of="state", wrt="state", variant="plain"), inst)
    lv = inst["leaves"]
    J = _stack(inst).state_jacobian(
        lv["x"][None], ((lv["h1_prev"][None],), (lv["h2_prev"][None],))
    )[0][0]
    return mine, J


def _residual_sample(rng):
    """Residual stack: ∂y₂/∂h₁⁽ᵗ⁻¹⁾ against central differences of NumPy's Stacked(residual=True)
    (the same model: y₂ = h₂ + h₁ passed up, each layer carrying its own h)."""
    cell = get_cell("stacked", "residual")
    inst = random_instance(cell, 3, 2, rng)
    lv = inst["leaves"]
    model = _stack(inst, residual=True)
    x = lv["x"][None, None]
    cols = []
    for k in range(3):
        e = np.zeros((1, 3))
        e[0, k] = 1e-6
        yp = model.forward(x, ((lv["h1_prev"][None] + e,), (lv["h2_prev"][None],))).h[0, 0]
        ym = model.forward(x, ((lv["h1_prev"][None] - e,), (lv["h2_prev"][None],))).h[0, 0]
        cols.append((yp - ym) / 2e-6)
    return value(cell, _cross_layer_form(cell), inst), np.stack(cols, axis=1)


stacked = Claim(
    id="stacked",
    title="Stacked RNNs: the Jacobian of the stack, and skip connections",
    statement=(
        "The hidden states of layer i are the inputs of layer i + 1; the stack's state Jacobian "
        "is block lower-triangular, the cross-layer block passes through both layers' "
        "Jacobians, and a skip connection adds I to the inter-layer factor."
    ),
    assumptions=(
        (
            "two tanh layers; residual (Wu et al. 2016): layer 2 passes up y₂ = h₂ + h₁, "
            "h₂ = tanh(W_h2 h₂⁽ᵗ⁻¹⁾ + W_x2 h₁ + b₂) is its state"
        ),
    ),
    steps=(
        jacobian_step(
            "stacked",
            "plain",
            "h1",
            "h2_prev",
            _zero_form,
            "layer 1 does not read layer 2: block lower-triangular",
            reference="fd",
        ),
        Step(
            pd("h2", "h1_prev"),
            _cross_layer_form(get_cell("stacked", "plain")),
            "=",
            "layer i's h is layer i + 1's input: chain rule",
            symbolic=JacobianIdentity(
                lambda: get_cell("stacked", "plain"), "h2", "h1_prev", _cross_layer_form
            ),
            numeric=Numeric(
                _state_sample,
                tol=1e-10,
                method="the whole symbolic state Jacobian against NumPy's Stacked",
            ),
        ),
        jacobian_step(
            "stacked",
            "residual",
            "y2",
            "h1",
            _skip_form,
            "skip connection: d(h₁ + F(h₁)) = I + ∂F/∂h₁",
            reference="fd",
        ),
        Step(
            pd("y2", "h1_prev"),
            _cross_layer_form(get_cell("stacked", "residual")),
            "=",
            "chain rule through the skip",
            symbolic=JacobianIdentity(
                lambda: get_cell("stacked", "residual"), "y2", "h1_prev", _cross_layer_form
            ),
            numeric=Numeric(
                _residual_sample,
                tol=1e-7,
                method="central differences of NumPy's Stacked(residual=True)",
            ),
        ),
    ),
    sources=("001", "000", "003"),
    section=SECTION,
)

CLAIMS = (birnn, stacked)
