"""Backpropagation through time (notes 001, 000, 004): the chain rule across steps, shared
weights, and the number of Jacobian factors.

Numerator layout throughout: ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ is a row, ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ the n×n Jacobian, and
∏_{j<t≤i} is ordered with the latest factor on the left, so the chain rule reads
∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∂h⁽ⁱ⁾/∂h⁽ⁱ⁻¹⁾ ⋯ ∂h⁽ʲ⁺¹⁾/∂h⁽ʲ⁾. Note 001 writes the first formula
in denominator layout (gradient as a column, factors transposed); it is shown once, as
the transpose of the numerator-layout line, and checked as such.

The models: a tanh RNN unrolled with symbolic entries at n = 2 (exact: every ∂ by
``Matrix.jacobian`` of the unrolled equations, J⁽ⁱ⁾ = cᵀh⁽ⁱ⁾ with symbolic c), and the
NumPy RNN and GRU (float64: ∂J/∂h from the backward pass, ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ from
``state_jacobian``, longer spans by central differences of the forward pass).
"""

from __future__ import annotations

import sympy as sp
from sympy import HadamardProduct, MatMul, Transpose

from gradsym.lang.matexpr import Apply
from gradsym.lang.notation import (
    Degree,
    IndexedSum,
    Named,
    OrderedProduct,
    Partial,
    T,
    family,
    i,
    j,
    k,
    t,
)
from gradsym.symbolic import cell as get_cell

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..models import exact_unrolled, float_unrolled, numpy_unrolled
from .common import J, S, h, z

SECTION = "Backpropagation through time"
RNN = get_cell("rnn", "tanh")
GRU = get_cell("gru", "textbook")


def jacobian_chain(lo, hi, var=t):
    """∏_{lo<var≤hi} ∂h⁽ᵛᵃʳ⁾/∂h⁽ᵛᵃʳ⁻¹⁾, latest factor on the left."""
    return OrderedProduct(Partial(h(var), h(var - 1)), var, lo, hi)


# -- models ------------------------------------------------------------------------------------


def _exact(cell=RNN, T_=4, n=2, **scalars):
    """The cell unrolled with symbolic entries; ``scalars`` bind i, j, … (several values: one
    instance each)."""

    def instances():
        names = list(scalars)
        combos = list(zip(*[scalars[k_] for k_ in names])) if names else [()]
        for combo in combos:
            model = exact_unrolled(cell, T_, n)
            for name, value in zip(names, combo):
                model.values[sp.Symbol(name, integer=True)] = value
            model.label += "".join(f", {nm} = {v}" for nm, v in zip(names, combo))
            yield model

    return instances


def _numpy(cell=RNN, T_=6, *, pairs=None, **fixed):
    """The NumPy cell over T_ steps; ``pairs`` draws (i, j) with 1 ≤ j, i ≤ T_ (j > i too,
    for the hypothesis j ≤ i to exclude), ``fixed`` binds scalars."""

    def sample(rng):
        model = numpy_unrolled(cell, rng, T_)
        for name, value in fixed.items():
            model.values[sp.Symbol(name, integer=True)] = value
        if pairs is not None:
            a, b = (int(v) for v in rng.integers(pairs[0], pairs[1] + 1, size=2))
            model.values[i], model.values[j] = a, b
        return model

    return sample


def chain_rule_checks(cell_name: str = "rnn"):
    """The checks of ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ (if j ≤ i) for any
    claim that takes the step, on the RNN (tanh or, for the linear case, identity) or GRU."""
    cell = {"rnn": RNN, "gru": GRU, "identity": get_cell("rnn", "identity")}[cell_name]
    return (
        Exact(
            _exact(cell, 4, i=(4, 3, 2), j=(1, 2, 3)),
            "symbolic entries, $n = 2$, $(i, j) = (4, 1), (3, 2), (2, 3)$",
        ),
        Sampled(
            _numpy(cell, pairs=(1, 6)),
            f"the NumPy {cell.name.upper()}: its backward pass against products of its state Jacobians",
            trials=6,
            tol=1e-10,
        ),
    )


# -- the chain rule ----------------------------------------------------------------------------

_EXACT4 = Exact(_exact(RNN, 4), "symbolic entries, $n = 2$, $T = 4$")
_NUMPY4 = Sampled(
    _numpy(RNN, 4), "the NumPy RNN: its backward pass and its state Jacobian", tol=1e-10
)


def _chain4(k_: int):
    """∂J⁽⁴⁾/∂h⁽ᵏ⁾ ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾ ⋯ ∂h⁽²⁾/∂h⁽¹⁾."""
    return MatMul(Partial(J(4), h(k_)), *[Partial(h(s), h(s - 1)) for s in range(k_, 1, -1)])


chain_rule = Claim(
    id="chain-rule",
    title="The chain rule across time steps",
    statement=(
        r"$\partial J^{(4)}/\partial \mathbf{h}^{(1)}$ is the product of $\partial "
        r"J^{(4)}/\partial \mathbf{h}^{(4)}$, $\partial \mathbf{h}^{(4)}/\partial "
        r"\mathbf{h}^{(3)}$, $\partial \mathbf{h}^{(3)}/\partial \mathbf{h}^{(2)}$ and "
        r"$\partial \mathbf{h}^{(2)}/\partial \mathbf{h}^{(1)}$ in that order, and in "
        r"general $\partial J^{(i)}/\partial \mathbf{h}^{(j)} = \partial J^{(i)}/\partial "
        r"\mathbf{h}^{(i)} \prod_{j<t\leq i} \partial \mathbf{h}^{(t)}/\partial "
        r"\mathbf{h}^{(t-1)}$ for $j \leq i$."
    ),
    assumptions=(
        (
            r"$\mathbf{h}^{(t)}$ depends on $\mathbf{h}^{(t-1)}$ only through one step of the "
            "cell"
        ),
    ),
    steps=(
        Step(Partial(J(4), h(1)), "=", _chain4(2), "chain rule", checks=(_EXACT4, _NUMPY4)),
        Step(Partial(J(4), h(1)), "=", _chain4(3), "chain rule", checks=(_EXACT4, _NUMPY4)),
        Step(Partial(J(4), h(1)), "=", _chain4(4), "chain rule", checks=(_EXACT4, _NUMPY4)),
        Step(
            Transpose(Partial(J(4), h(1))),
            "=",
            MatMul(
                *[Transpose(Partial(h(s), h(s - 1))) for s in (2, 3, 4)],
                Transpose(Partial(J(4), h(4))),
            ),
            r"the layout of \cite{001}: the transpose",
            checks=(_EXACT4, _NUMPY4),
        ),
        Step(
            Partial(J(i), h(j)),
            "=",
            MatMul(Partial(J(i), h(i)), jacobian_chain(j, i)),
            "chain rule, by induction on $i - j$",
            checks=chain_rule_checks("rnn"),
            hypotheses=(Condition(j, "≤", i),),
        ),
    ),
    sources=("001", "000", "004"),
    section=SECTION,
    caveat=(
        r"\cite{001} writes $\partial J^{(4)}/\partial \mathbf{h}^{(1)} = \partial "
        r"\mathbf{h}^{(2)}/\partial \mathbf{h}^{(1)} \times \partial "
        r"\mathbf{h}^{(3)}/\partial \mathbf{h}^{(2)} \times \partial "
        r"\mathbf{h}^{(4)}/\partial \mathbf{h}^{(3)} \times \partial J^{(4)}/\partial "
        r"\mathbf{h}^{(4)}$, the gradient as a column and each factor the transpose of "
        r"the Jacobian (denominator layout), and then $\partial J^{(i)}/\partial "
        r"\mathbf{h}^{(j)} = \partial J^{(i)}/\partial \mathbf{h}^{(i)} \prod_{j<t\leq i} "
        r"\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ with the gradient as a "
        "row (numerator layout). Here every line is in numerator layout, and the first "
        r"form of \cite{001} is shown once, as the transpose."
    ),
    formula=4,
    cells=(RNN,),
)


# -- weights shared across steps ---------------------------------------------------------------

W_h, W_x, b = S(RNN, "W_h", "W_x", "b")
J_total = Named("J", 1, 1, "J")
W_copy = family("W_h", r"\mathbf{W}_h", cols=RNN.params[0].shape[1])


def _contribution(step):
    """((∂J/∂h⁽ᵗ⁾)ᵀ ∘ tanh'(z⁽ᵗ⁾)) h⁽ᵗ⁻¹⁾ᵀ."""
    return MatMul(
        HadamardProduct(Transpose(Partial(J_total, h(step))), Apply("tanh'", z(step))),
        Transpose(h(step - 1)),
    )


def _shared_exact(**scalars):
    def instances():
        values = list(zip(*scalars.values())) if scalars else [()]
        for combo in values:
            model = exact_unrolled(RNN, 2, 2, total=J_total, untied=True)
            for name, v in zip(scalars, combo):
                model.values[sp.Symbol(name, integer=True)] = v
            model.values[T] = 2
            yield model

    return instances


def _shared_float(rng):
    model = float_unrolled(RNN, rng, 4, total=J_total, untied=True)
    model.values[T] = 4
    return model


def _untied_with_t(rng):
    model = _shared_float(rng)
    model.values[t] = int(rng.integers(1, 5))
    return model


def _shared_numpy(rng):
    model = numpy_unrolled(RNN, rng, 5, total=J_total)
    model.values[T] = 5
    model.values[t] = int(rng.integers(1, 6))
    return model


weights_shared = Claim(
    id="weights-shared",
    title="Shared weights: the gradient is a sum over time steps",
    statement=(
        r"The same $\mathbf{W}_h$, $\mathbf{W}_x$, $\mathbf{b}$ are used at every step, "
        r"so $\partial J/\partial \mathbf{W}_h$ is the sum over the steps of the per-step "
        r"contributions $\bigl((\partial J/\partial \mathbf{h}^{(t)})^{\top} \circ "
        r"\tanh'(\mathbf{z}^{(t)})\bigr) \mathbf{h}^{(t-1)\top}$."
    ),
    assumptions=(
        (
            r"$\mathbf{W}_h^{(t)}$ denotes the copy of $\mathbf{W}_h$ used at step $t$; every "
            r"copy equals $\mathbf{W}_h$ (shared weights)"
        ),
        (
            r"$J = \sum_{t} J^{(t)}$, a loss term at every step; $\partial J/\partial "
            r"\mathbf{W}$ is the gradient, shaped like $\mathbf{W}$"
        ),
    ),
    steps=(
        Step(
            Partial(J_total, W_h),
            "=",
            IndexedSum(Partial(J_total, W_copy(t)), t, 1, T),
            r"the copies are all $\mathbf{W}_h$: multivariable chain rule",
            checks=(
                Exact(_shared_exact(), "symbolic entries, $n = 2$, $T = 2$, untied copies"),
                Sampled(_shared_float, "untied copies, central differences", tol=1e-7),
            ),
        ),
        Step(
            Partial(J_total, W_copy(t)),
            "=",
            _contribution(t),
            (
                r"$\mathbf{h}^{(t)} = \tanh(\mathbf{z}^{(t)})$, $\mathbf{z}^{(t)}$ linear in "
                r"$\mathbf{W}_h^{(t)}$"
            ),
            checks=(
                Exact(_shared_exact(t=(1, 2)), "symbolic entries, $n = 2$, $T = 2$, $t = 1, 2$"),
                Sampled(
                    _untied_with_t,
                    "untied copies, central differences, random $t$",
                    tol=1e-7,
                ),
            ),
        ),
        Step(
            Partial(J_total, W_h),
            "=",
            IndexedSum(_contribution(t), t, 1, T),
            "the two lines above",
            checks=(
                Exact(_shared_exact(), "symbolic entries, $n = 2$, $T = 2$"),
                Sampled(
                    _shared_numpy,
                    (
                        r"the NumPy RNN: $\partial J/\partial \mathbf{h}^{(t)}$ from its backward pass, "
                        r"$\partial J/\partial \mathbf{W}_h$ by central differences"
                    ),
                    tol=1e-7,
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=2,
    cells=(RNN,),
)


# -- the number of factors ---------------------------------------------------------------------

RNN1_N = sp.Symbol("n", integer=True, positive=True)


def _degree_exact():
    for t_, k_ in ((2, 1), (4, 1), (5, 3), (3, 3), (1, 3)):  # (1, 3): k > t, excluded
        model = exact_unrolled(RNN, 5, 1, 1)
        model.values[t], model.values[k] = t_, k_
        model.label += f", t = {t_}, k = {k_}"
        yield model
    model = exact_unrolled(RNN, 3, 2, 1)  # n = 2: excluded by the hypothesis n = 1
    model.values[t], model.values[k] = 3, 1
    yield model


def _span_numpy(rng):
    model = numpy_unrolled(RNN, rng, 6)
    a, b_ = (int(v) for v in rng.integers(0, 7, size=2))
    model.values[t], model.values[k] = a, b_
    return model


def _span_exact():
    for t_, k_ in ((3, 1), (4, 2), (2, 2), (1, 3)):
        model = exact_unrolled(RNN, 4, 2)
        model.values[t], model.values[k] = t_, k_
        model.label += f", t = {t_}, k = {k_}"
        yield model


bptt_factors = Claim(
    id="bptt-factors",
    title="The further apart, the more Jacobian factors",
    statement=(
        r"$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(k)} = \prod_{k<\tau\leq t} "
        r"\partial \mathbf{h}^{(\tau)}/\partial \mathbf{h}^{(\tau-1)}$ has $t - k$ "
        "factors: the further apart steps $k$ and $t$, the more factors in the product."
    ),
    assumptions=(r"$k \leq t$",),
    steps=(
        Step(
            Partial(h(t), h(k)),
            "=",
            jacobian_chain(k, t, sp.Symbol("tau", integer=True)),
            "chain rule, by induction on $t - k$",
            hypotheses=(Condition(k, "≤", t),),
            checks=(
                Exact(
                    _span_exact,
                    "symbolic entries, $n = 2$, $(t, k)$ equal to $(3, 1)$, $(4, 2)$, $(2, 2)$ and $(1, 3)$",
                ),
                Sampled(
                    _span_numpy,
                    (
                        "the NumPy RNN: central differences of its forward pass against products of its "
                        "state Jacobians"
                    ),
                    trials=8,
                    tol=1e-8,
                    scale="absolute",  # ~1e-10 absolute, however small the product
                ),
            ),
        ),
        Step(
            Degree(Partial(h(t), h(k)), W_h),
            "=",
            t - k,
            (
                r"$\deg_{\mathbf{W}_h}$: the degree in $\mathbf{W}_h$, with $n = 1$ (a number) and "
                r"each slope $\tanh'(z^{(\tau)})$ counted as a symbol of its own; one factor per "
                r"step"
            ),
            hypotheses=(Condition(RNN1_N, "=", 1), Condition(k, "≤", t)),
            checks=(
                Exact(
                    _degree_exact,
                    (
                        r"$n = 1$, symbolic entries, the degree in $\mathbf{W}_h$ with $\tanh'$ left "
                        "opaque, $(t, k) = (2, 1), (4, 1), (5, 3), (3, 3)$"
                    ),
                    minimum=4,
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=0,
    cells=(RNN,),
)

CLAIMS = (chain_rule, weights_shared, bptt_factors)
