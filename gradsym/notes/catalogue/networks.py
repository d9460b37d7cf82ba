"""Bidirectional and multi-layer RNNs (notes 001, 000, 003)."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul, ZeroMatrix
from sympy import Identity as I_

from gradsym.lang.notation import Partial, d, family, n, t
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.stacked import Stacked
from gradsym.symbolic import cell as get_cell

from ..checks import Sampled
from ..claim import Claim, Step
from ..evaluate import Model, Unbound, seq_key
from ..models import exact_cell, float_cell, jacobian_fd
from .common import Apply, Diag, S, jacobian_step

SECTION = "Bidirectional and multi-layer RNNs"
BIRNN = get_cell("birnn", "tanh")
PLAIN = get_cell("stacked", "plain")
RESIDUAL_STACK = get_cell("stacked", "residual")


# -- bidirectional ------------------------------------------------------------------------------------


def _fw_form(cell):
    W, z = S(cell, "W_h_fw", "z_fw")
    return MatMul(Diag(Apply("tanh'", z)), W)


def _bw_form(cell):
    W, z = S(cell, "W_h_bw", "z_bw")
    return MatMul(Diag(Apply("tanh'", z)), W)


def _cross_form(cell):
    size = S(cell, "h_fw").shape[0]
    return ZeroMatrix(size, size)


def _o_fw_form(cell):
    W_o, z_o = S(cell, "W_o", "z_o")
    size = S(cell, "h_fw").shape[0]
    return MatMul(
        Diag(Apply("tanh'", z_o)), W_o, BlockMatrix([[I_(size)], [ZeroMatrix(size, size)]])
    )


def _forward_rnn_reference(key, ev):
    """∂→h/∂→h⁽ᵗ⁻¹⁾ from a NumPy RNN loaded with the forward direction's weights."""
    _, of, wrt = key
    if (getattr(of, "name", None), getattr(wrt, "name", None)) != ("h_fw", "h_fw_prev"):
        return jacobian_fd(key, ev)
    W, U, b = (np.asarray(ev.visit(S(BIRNN, p)), dtype=float) for p in ("W_h_fw", "W_x_fw", "b_fw"))
    fw = RNN(U.shape[1], W.shape[0])
    fw.load_params({"W_h": W, "W_x": U, "b": b.reshape(-1)})
    x = np.asarray(ev.visit(S(BIRNN, "x")), dtype=float).reshape(1, -1)
    h_prev = np.asarray(ev.visit(S(BIRNN, "h_fw_prev")), dtype=float).reshape(1, -1)
    return fw.state_jacobian(x, (h_prev,))[0][0]


h_fw = family("h_fw", r"\overrightarrow{\mathbf{h}}")
h_bw = family("h_bw", r"\overleftarrow{\mathbf{h}}")
x_seq = family("x", r"\mathbf{x}", rows=d)
o_seq = family("o", r"\mathbf{y}")  # the output (o is the LSTM's output gate)
W_o, b_o = S(BIRNN, "W_o", "b_o")


class _Sequence(Model):
    """The NumPy Bidirectional pair (tanh output layer) over T steps: →h⁽ᵗ⁾, ←h⁽ᵗ⁾, o⁽ᵗ⁾ from
    its forward pass, ∂h⁽ᵗ⁾/∂x⁽ˢ⁾ by central differences of it."""

    def __init__(self, rng, T_=5, size=3, inputs=2):
        self.model = Bidirectional(
            RNN(inputs, size, rng=int(rng.integers(1 << 30))),
            RNN(inputs, size, rng=int(rng.integers(1 << 30))),
            Linear(2 * size, size, names=("W_o", "b_o"), rng=int(rng.integers(1 << 30))),
            output_activation="tanh",
        )
        self.xs = rng.normal(size=(T_, 1, inputs))
        trace = self.model.forward(self.xs)
        p = self.model.params
        values = {W_o: p["out.W_o"], b_o: p["out.b_o"].reshape(-1, 1), n: size, d: inputs}
        for s in range(1, T_ + 1):
            values[seq_key("h_fw", s)] = trace.concat[s - 1, 0, :size].reshape(-1, 1)
            values[seq_key("h_bw", s)] = trace.concat[s - 1, 0, size:].reshape(-1, 1)
            values[seq_key("o", s)] = trace.o[s - 1, 0].reshape(-1, 1)
            values[seq_key("x", s)] = self.xs[s - 1, 0].reshape(-1, 1)
        values[t] = int(rng.integers(1, T_))
        super().__init__(values, label="NumPy Bidirectional, tanh output")
        self.size = size

    def resolve(self, key, ev):
        if isinstance(key, tuple) and key[0] == "partial":
            _, of, wrt = key
            (_, name, s_out), (_, xname, s_in) = of, wrt
            if xname != "x":
                raise Unbound(f"no value for {key}")
            part = slice(0, self.size) if name == "h_fw" else slice(self.size, 2 * self.size)
            cols = []
            for k_ in range(self.xs.shape[2]):
                e = np.zeros_like(self.xs)
                e[int(s_in) - 1, 0, k_] = 1e-6
                hi = self.model.forward(self.xs + e).concat[int(s_out) - 1, 0, part]
                lo = self.model.forward(self.xs - e).concat[int(s_out) - 1, 0, part]
                cols.append((hi - lo) / 2e-6)
            return np.stack(cols, axis=1)
        raise Unbound(f"no value for {key}")


birnn = Claim(
    id="birnn",
    title="Bidirectional RNNs: two directions, separate weights, right context",
    statement=(
        r"$\mathbf{h}^{(t)} = [\overrightarrow{\mathbf{h}}^{(t)}; "
        r"\overleftarrow{\mathbf{h}}^{(t)}]$ with separate weights; the output "
        r"$\mathbf{y}^{(t)} = \phi(\mathbf{W}_y [\overrightarrow{\mathbf{h}}^{(t)}; "
        r"\overleftarrow{\mathbf{h}}^{(t)}] + \mathbf{b}_y)$; the backward direction "
        "depends on the right context, so a language model cannot use it."
    ),
    assumptions=(r"both directions are $\tanh$ RNNs; the output's $\phi = \tanh$",),
    steps=(
        jacobian_step(
            "birnn",
            "tanh",
            "h_fw",
            "h_fw_prev",
            _fw_form,
            "the forward RNN's Jacobian",
            reference=_forward_rnn_reference,
        ),
        jacobian_step(
            "birnn",
            "tanh",
            "h_bw",
            "h_bw_next",
            _bw_form,
            "the backward RNN reads its own state at $t + 1$",
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
            (
                "the output reads the forward state through the first $n$ columns of "
                r"$\mathbf{W}_y$"
            ),
            reference="fd",
        ),
        Step(
            o_seq(t),
            "=",
            Apply("tanh", MatAdd(MatMul(W_o, BlockMatrix([[h_fw(t)], [h_bw(t)]])), b_o)),
            r"the output layer of \cite{003}, $\phi = \tanh$",
            checks=(
                Sampled(
                    lambda rng: _Sequence(rng), "the NumPy bidirectional RNN's output", tol=1e-12
                ),
            ),
        ),
        Step(
            Partial(h_fw(t), x_seq(t + 1)),
            "=",
            ZeroMatrix(n, d),
            "the forward direction is causal",
            checks=(
                Sampled(
                    lambda rng: _Sequence(rng),
                    "central differences, the NumPy bidirectional RNN",
                    tol=0.0,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            Partial(h_bw(t), x_seq(t + 1)),
            "≠",
            ZeroMatrix(n, d),
            "the backward direction reads the right context: not for language models",
            checks=(
                Sampled(
                    lambda rng: _Sequence(rng),
                    "central differences, the NumPy bidirectional RNN",
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("001", "000", "003"),
    section=SECTION,
    formula=0,
    cells=(BIRNN,),
)


# -- stacked ----------------------------------------------------------------------------------------------


def _zero_form(cell):
    size = S(cell, "h1").shape[0]
    return ZeroMatrix(size, size)


def _cross_layer_form(cell):
    W_h1, W_x2, z1, z2 = S(cell, "W_h1", "W_x2", "z1", "z2")
    inner = MatMul(Diag(Apply("tanh'", z1)), W_h1)
    if cell.variant == "residual":
        size = W_h1.shape[0]
        return MatMul(MatAdd(I_(size), MatMul(Diag(Apply("tanh'", z2)), W_x2)), inner)
    return MatMul(Diag(Apply("tanh'", z2)), W_x2, inner)


def _skip_form(cell):
    W_x2, z2 = S(cell, "W_x2", "z2")
    size = W_x2.shape[0]
    return MatAdd(I_(size), MatMul(Diag(Apply("tanh'", z2)), W_x2))


def _stack(ev, cell, residual=False):
    p = {q.name: np.asarray(ev.visit(q), dtype=float) for q in cell.params}
    l0, l1 = RNN(2, 3), RNN(3, 3)
    l0.load_params({"W_h": p["W_h1"], "W_x": p["W_x1"], "b": p["b1"].reshape(-1)})
    l1.load_params({"W_h": p["W_h2"], "W_x": p["W_x2"], "b": p["b2"].reshape(-1)})
    return Stacked([l0, l1], residual=residual)


def _stack_reference(cell):
    """The cross-layer block from NumPy's Stacked: ∂h₂/∂h₁⁽ᵗ⁻¹⁾ from its state Jacobian
    (plain); ∂y₂/∂h₁⁽ᵗ⁻¹⁾ by central differences of its forward pass, whose output is
    y₂ = h₂ + h₁ (residual, Wu et al. 2016: the skip outside the recurrence, as here)."""

    def reference(key, ev):
        _, of, wrt = key
        top = "y2" if cell.variant == "residual" else "h2"
        if (getattr(of, "name", None), getattr(wrt, "name", None)) != (top, "h1_prev"):
            return jacobian_fd(key, ev)
        leaf = {
            s: np.asarray(ev.visit(S(cell, s)), dtype=float).reshape(1, -1)
            for s in ("x", "h1_prev", "h2_prev")
        }
        model = _stack(ev, cell, residual=cell.variant == "residual")
        if cell.variant == "plain":
            J = model.state_jacobian(leaf["x"], ((leaf["h1_prev"],), (leaf["h2_prev"],)))[0][0]
            return J[3:, :3]
        cols = []
        for k_ in range(3):
            e = np.zeros((1, 3))
            e[0, k_] = 1e-6
            out = [
                model.forward(
                    leaf["x"][None], ((leaf["h1_prev"] + sgn * e,), (leaf["h2_prev"],))
                ).h[0, 0]
                for sgn in (1, -1)
            ]
            cols.append((out[0] - out[1]) / 2e-6)
        return np.stack(cols, axis=1)

    return reference


stacked = Claim(
    id="stacked",
    title="Stacked RNNs: the Jacobian of the stack, and skip connections",
    statement=(
        "The hidden states of layer $l$ are the inputs of layer $l + 1$; the stack's "
        "state Jacobian is block lower-triangular, the cross-layer block passes through "
        r"both layers' Jacobians, and a skip connection adds $\mathbf{I}$ to the "
        "inter-layer factor."
    ),
    assumptions=(
        (
            r"two $\tanh$ layers; residual \cite{wu2016}: layer 2 passes up "
            r"$\mathbf{y}_2^{(t)} = \mathbf{h}_2^{(t)} + \mathbf{h}_1^{(t)}$, while "
            r"$\mathbf{h}_2^{(t)} = \tanh(\mathbf{W}_h^{[2]} \mathbf{h}_2^{(t-1)} + "
            r"\mathbf{W}_x^{[2]} \mathbf{h}_1^{(t)} + \mathbf{b}^{[2]})$ is its state"
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
        jacobian_step(
            "stacked",
            "plain",
            "h2",
            "h1_prev",
            _cross_layer_form,
            r"the $\mathbf{h}$ of layer $l$ is the input of layer $l + 1$: the chain rule",
            reference=_stack_reference(PLAIN),
        ),
        jacobian_step(
            "stacked",
            "residual",
            "y2",
            "h1",
            _skip_form,
            (
                r"skip connection: $d(\mathbf{h}_1 + F(\mathbf{h}_1)) = (\mathbf{I} + \partial "
                r"F/\partial \mathbf{h}_1)\, d\mathbf{h}_1$"
            ),
            reference="fd",
        ),
        jacobian_step(
            "stacked",
            "residual",
            "y2",
            "h1_prev",
            _cross_layer_form,
            "chain rule through the skip",
            reference=_stack_reference(RESIDUAL_STACK),
            tol=1e-7,
        ),
    ),
    sources=("001", "000", "003", "wu2016"),
    section=SECTION,
    formula=1,
    cells=(PLAIN, RESIDUAL_STACK),
)

CLAIMS = (birnn, stacked)
_ = (exact_cell, float_cell, sp)
