"""Backpropagation through time (notes 001, 000, 004): the chain rule across steps, shared
weights, and the number of Jacobian factors.

Layout. The notes' first formula multiplies ∂h⁽²⁾/∂h⁽¹⁾ × ∂h⁽³⁾/∂h⁽²⁾ × ∂h⁽⁴⁾/∂h⁽³⁾ ×
∂J⁽⁴⁾/∂h⁽⁴⁾ with the gradient as a column: each factor is then the *transpose* of the
Jacobian J⁽ᵗ⁾ = ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ (denominator layout). The general formula writes the gradient
as a row, ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏_{j<t≤i} J⁽ᵗ⁾, which is right in numerator layout with the product
ordered t = i, i−1, …, j+1 from the left. Both are proved, each in its own layout.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import MatMul, Transpose

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.gradcheck import numerical_gradient
from gradsym.numeric.nets.spans import jacobian_products_from

from ..checks import Generic, Identity, Numeric
from ..claim import Claim, Step
from ..notation import LATEX, matrix, partial, product
from .common import entries, numeric_rnn, step_jacobians, substitute

SECTION = "Backpropagation through time"
N = 2  # the size of the explicit identities


# -- an RNN unrolled with explicit entries -------------------------------------------------


class _Unrolled:
    """h⁽ᵗ⁾ = tanh(W h⁽ᵗ⁻¹⁾ + U x⁽ᵗ⁾ + b) from a free h⁽ʲ⁾, and J = cᵀ h⁽ⁱ⁾."""

    def __init__(self, n: int = N) -> None:
        self.n = n
        self.W, self.U, self.b, self.c = (
            entries("W_h", n, n),
            entries("W_x", n, n),
            entries("b", n),
            entries("c", n),
        )

    def x(self, t: int):
        return entries(f"x{t}", self.n)

    def step(self, v, t: int):
        return (self.W * v + self.U * self.x(t) + self.b).applyfunc(sp.tanh)

    def jac(self, t: int, at):
        """J⁽ᵗ⁾ = ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ evaluated at h⁽ᵗ⁻¹⁾ = ``at``."""
        v = entries("v", self.n)
        return substitute(self.step(v, t).jacobian(v), v, at)

    def states(self, j: int, i: int) -> dict:
        hs = {j: entries(f"h{j}", self.n)}
        for t in range(j + 1, i + 1):
            hs[t] = self.step(hs[t - 1], t)
        return hs

    def gradient(self, j: int, k: int, i: int):
        """∂J⁽ⁱ⁾/∂h⁽ᵏ⁾ (column) with h⁽ᵏ⁾ a fresh variable, then evaluated along h⁽ʲ⁾ → h⁽ᵏ⁾."""
        hs = self.states(j, i)
        v = entries("v", self.n)
        h = v
        for t in range(k + 1, i + 1):
            h = self.step(h, t)
        J = (self.c.T * h)[0]
        g = sp.Matrix([J]).jacobian(v).T
        return substitute(g, v, hs[k])


def _chain_pair(k: int, i: int = 4, j: int = 1):
    """∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = J⁽ʲ⁺¹⁾ᵀ ⋯ J⁽ᵏ⁾ᵀ ∂J⁽ⁱ⁾/∂h⁽ᵏ⁾ (the notes' column form), at n = 2."""

    def pair():
        u = _Unrolled()
        hs = u.states(j, i)
        rhs = u.gradient(j, k, i)
        for t in range(k, j, -1):
            rhs = u.jac(t, hs[t - 1]).T * rhs
        return u.gradient(j, j, i), rhs

    return pair


def _row_pair(i: int, j: int):
    """(∂J⁽ⁱ⁾/∂h⁽ʲ⁾)ᵀ = (∂J⁽ⁱ⁾/∂h⁽ⁱ⁾)ᵀ J⁽ⁱ⁾ J⁽ⁱ⁻¹⁾ ⋯ J⁽ʲ⁺¹⁾ (numerator layout)."""

    def pair():
        u = _Unrolled()
        hs = u.states(j, i)
        rhs = u.c.T
        for t in range(i, j, -1):
            rhs = rhs * u.jac(t, hs[t - 1])
        return u.gradient(j, j, i).T, rhs

    return pair


def _adjoint_sample(model: str, k_from_end: int | None = None):
    """NumPy: the backward pass's ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ against the product of state Jacobians."""

    def sample(rng):
        T, n, d = 6, 3, 2
        if model == "rnn":
            cell = numeric_rnn(rng, n, d)
        else:
            cell = GRU(d, n, variant="textbook", rng=int(rng.integers(1 << 30)))
        xs = rng.normal(size=(T, 1, d))
        h0 = rng.normal(size=(1, n))
        i = T if k_from_end is None else int(rng.integers(2, T + 1))
        j = 1 if k_from_end is None else int(rng.integers(1, i))
        trace = cell.forward(xs, (h0,))
        c = rng.normal(size=n)
        dh = np.zeros((T, 1, n))
        dh[i - 1, 0] = c  # J = cᵀ h⁽ⁱ⁾, the only loss term
        adj = cell.backward(trace, dh).adjoints["h"][j - 1, 0]
        Js = step_jacobians(cell, xs, trace)
        row = c
        for t in range(i, j, -1):
            row = row @ Js[t - 1]
        return adj, row, {"i": i, "j": j, "model": model}

    return sample


def general_chain_rule_checks(model: str) -> dict:
    """The checks of ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾, for any claim that
    takes that step: the identity at n = 2 and ``model``'s backward pass against it."""
    return {
        "symbolic": Identity(_row_pair(4, 2)),
        "numeric": Numeric(
            _adjoint_sample(model, k_from_end=1),
            method=f"{model.upper()} backward pass against the product of state Jacobians",
        ),
    }


_J4 = lambda k: partial("J", "4", "h", str(k), cols=1)
_D = lambda t: Transpose(partial("h", str(t), "h", str(t - 1)))


chain_rule = Claim(
    id="chain-rule",
    title="The chain rule across time steps",
    statement=(
        "∂J⁽⁴⁾/∂h⁽¹⁾ = ∂h⁽²⁾/∂h⁽¹⁾ · ∂h⁽³⁾/∂h⁽²⁾ · ∂h⁽⁴⁾/∂h⁽³⁾ · ∂J⁽⁴⁾/∂h⁽⁴⁾, and in general "
        "∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾."
    ),
    assumptions=("h⁽ᵗ⁾ depends on h⁽ᵗ⁻¹⁾ only through one step of the cell",),
    steps=(
        Step(
            _J4(1),
            MatMul(_D(2), _J4(2)),
            "=",
            "chain rule",
            symbolic=Identity(_chain_pair(2)),
            numeric=Numeric(_adjoint_sample("rnn")),
        ),
        Step(
            _J4(1),
            MatMul(_D(2), _D(3), _J4(3)),
            "=",
            "chain rule",
            symbolic=Identity(_chain_pair(3)),
        ),
        Step(
            _J4(1),
            MatMul(_D(2), _D(3), _D(4), _J4(4)),
            "=",
            "chain rule",
            symbolic=Identity(_chain_pair(4)),
        ),
        Step(
            Transpose(partial("J", "i", "h", "j", cols=1)),
            MatMul(
                Transpose(partial("J", "i", "h", "i", cols=1)),
                product(
                    "∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾",
                    r"\prod_{j < t \leq i} \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}",
                ),
            ),
            "=",
            "chain rule",
            **general_chain_rule_checks("gru"),
        ),
    ),
    sources=("001", "000", "004"),
    section=SECTION,
    caveat=(
        "The notes mix layouts. In ∂h⁽²⁾/∂h⁽¹⁾ × ⋯ × ∂J⁽⁴⁾/∂h⁽⁴⁾ the gradient is a column and "
        "each factor is the transpose of the Jacobian ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ (denominator layout); in the "
        "general formula the gradient is a row and the product is of the Jacobians themselves, "
        "ordered t = i, i−1, …, j+1 from the left (numerator layout). Proved: both, each in "
        "its layout, as identities at n = 2 and on random RNN and GRU instances."
    ),
    formula=(
        Transpose(partial("J", "i", "h", "j", cols=1)),
        "=",
        MatMul(
            Transpose(partial("J", "i", "h", "i", cols=1)), product("∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾", "")
        ),
    ),
)
LATEX["∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾"] = (
    r"\prod_{j < t \leq i} \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}"
)


# -- weights shared across steps ---------------------------------------------------------------


def _shared_pair():
    """T = 2, n = 2: ∂J/∂W_h with W_h tied equals Σ_t ∂J/∂W_h⁽ᵗ⁾ for untied copies at W_h."""
    n = N
    W, W1, W2 = entries("W_h", n, n), entries("W1", n, n), entries("W2", n, n)
    U, b, c, h0 = entries("W_x", n, n), entries("b", n), entries("c", n), entries("h0", n)
    x1, x2 = entries("x1", n), entries("x2", n)

    def J(Wa, Wb):
        h1 = (Wa * h0 + U * x1 + b).applyfunc(sp.tanh)
        h2 = (Wb * h1 + U * x2 + b).applyfunc(sp.tanh)
        return (c.T * h2)[0]

    def grad(f, M):
        return sp.Matrix(n, n, lambda i, j: sp.diff(f, M[i, j]))

    tied = grad(J(W, W), W)
    untied = J(W1, W2)
    back = {**{W1[k]: W[k] for k in range(n * n)}, **{W2[k]: W[k] for k in range(n * n)}}
    per_step = (grad(untied, W1) + grad(untied, W2)).xreplace(back)
    return tied, per_step


def _shared_sample(rng):
    """Σ_t (δ⁽ᵗ⁾ ∘ σ'(z⁽ᵗ⁾)) h⁽ᵗ⁻¹⁾ᵀ against ∂L/∂W_h by central differences of the loss."""
    T, n, d = 5, 3, 2
    cell = numeric_rnn(rng, n, d)
    xs, h0 = rng.normal(size=(T, 1, d)), rng.normal(size=(1, n))
    dh = rng.normal(size=(T, 1, n))  # L = Σ_t dh⁽ᵗ⁾ · h⁽ᵗ⁾
    trace = cell.forward(xs, (h0,))
    adj = cell.backward(trace, dh).adjoints["h"][:, 0]
    hs = trace.h[:, 0]
    h_prev = np.concatenate([h0, hs[:-1]])
    per_step = sum(np.outer(adj[t] * (1 - hs[t] ** 2), h_prev[t]) for t in range(T))

    def loss():
        return float(np.sum(cell.forward(xs, (h0,)).h * dh))

    fd = numerical_gradient(loss, cell.params["W_h"])
    return per_step, fd, {"T": T}


_dW = matrix("∂J/∂W_h", r"\frac{\partial J}{\partial \mathbf{W}_h}")
_dWt = matrix(
    "Σ_t ∂J/∂W_h|₍ₜ₎", r"\sum_{t=1}^{T} \left.\frac{\partial J}{\partial \mathbf{W}_h}\right|_{(t)}"
)
_contrib = matrix(
    "Σ_t (δ⁽ᵗ⁾ ∘ σ'(z⁽ᵗ⁾)) h⁽ᵗ⁻¹⁾ᵀ",
    r"\sum_{t=1}^{T} \left(\boldsymbol{\delta}^{(t)} \circ \sigma'(\mathbf{z}^{(t)})\right) "
    r"\mathbf{h}^{(t-1)\top}",
)

weights_shared = Claim(
    id="weights-shared",
    title="Shared weights: the gradient is a sum over time steps",
    statement=(
        "The same W_h, W_x, b are used at every step, so ∂J/∂W_h is the sum over the steps of "
        "the per-step contributions (δ⁽ᵗ⁾ ∘ σ'(z⁽ᵗ⁾)) h⁽ᵗ⁻¹⁾ᵀ, δ⁽ᵗ⁾ = ∂J/∂h⁽ᵗ⁾."
    ),
    assumptions=("W_h⁽ᵗ⁾ = W_h for every t (weights shared across time)",),
    steps=(
        Step(
            _dW,
            _dWt,
            "=",
            "weights are shared: multivariable chain rule",
            symbolic=Identity(
                _shared_pair, method="tied gradient = Σ untied gradients, n = 2, T = 2"
            ),
        ),
        Step(
            _dWt,
            _contrib,
            "=",
            "chain rule",
            numeric=Numeric(
                _shared_sample,
                tol=1e-7,
                method="per-step sum against central differences of the loss",
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=(_dW, "=", _contrib),
)


# -- the number of factors ---------------------------------------------------------------------


def _degree_fact():
    """n = 1: ∂h⁽ᵏ⁺ˡ⁾/∂h⁽ᵏ⁾ is a product of ℓ factors w·tanh'(·): degree ℓ in w."""
    w, u, b, h = sp.symbols("w u b h_k", real=True)
    degrees = []
    for lag in range(1, 6):
        v = h
        for t in range(1, lag + 1):
            v = sp.tanh(w * v + u * sp.Symbol(f"x{t}", real=True) + b)
        der = sp.diff(v, h)
        dummies = {f: sp.Dummy() for f in der.atoms(sp.Function)}
        degrees.append(sp.degree(sp.expand(der.xreplace(dummies)), w))
    return degrees == list(range(1, 6)), f"degrees in w for ℓ = 1…5: {degrees}"


def _span_sample(rng):
    """∂h⁽ᵏ⁺ˡ⁾/∂h⁽ᵏ⁾: the product of ℓ NumPy state Jacobians against central differences."""
    T, n, d = 5, 3, 2
    cell = numeric_rnn(rng, n, d)
    xs, h0 = rng.normal(size=(T, 1, d)), rng.normal(size=(1, n))
    spans = jacobian_products_from(cell, xs, (h0,), start=0)
    lag = int(rng.integers(1, T + 1))
    prod = spans.products[lag - 1, 0]
    fd = np.zeros((n, n))
    for k in range(n):
        e = np.zeros((1, n))
        e[0, k] = 1e-6
        hp = cell.forward(xs[:lag], (h0 + e,)).h[-1, 0]
        hm = cell.forward(xs[:lag], (h0 - e,)).h[-1, 0]
        fd[:, k] = (hp - hm) / 2e-6
    return prod, fd, {"lag": lag, "factors": lag}


_span = partial("h", "t", "h", "k")
_factors = product(
    "∏_{k<τ≤t} ∂h⁽τ⁾/∂h⁽τ⁻¹⁾",
    r"\prod_{k < \tau \leq t} \frac{\partial \mathbf{h}^{(\tau)}}{\partial \mathbf{h}^{(\tau-1)}}",
)
bptt_factors = Claim(
    id="bptt-factors",
    title="The further apart, the more Jacobian factors",
    statement=(
        "∂h⁽ᵗ⁾/∂h⁽ᵏ⁾ = ∏_{k<τ≤t} ∂h⁽τ⁾/∂h⁽τ⁻¹⁾ has t − k factors: the further apart steps k "
        "and t, the more factors in the product."
    ),
    assumptions=("k < t",),
    steps=(
        Step(
            _span,
            _factors,
            "=",
            "chain rule, by induction on t − k: t − k factors",
            symbolic=Generic(_degree_fact, method="n = 1: degree t − k in w"),
            numeric=Numeric(
                _span_sample,
                tol=1e-8,
                scale="absolute",  # central differences: ~1e-10 absolute, however small the product
                method="span products of NumPy state Jacobians against central differences",
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=(_span, "=", _factors),
)

CLAIMS = (chain_rule, weights_shared, bptt_factors)
