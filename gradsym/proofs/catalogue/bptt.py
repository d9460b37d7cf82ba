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

from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.matexpr import Apply

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..models import exact_unrolled, float_unrolled, numpy_unrolled
from ..notation import Degree, IndexedSum, Named, OrderedProduct, Partial, T, family, i, j, k, t
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
            "symbolic entries, n = 2, (i, j) = (4, 1), (3, 2), (2, 3)",
        ),
        Sampled(
            _numpy(cell, pairs=(1, 6)),
            f"NumPy {cell.name.upper()}: backward pass against state_jacobian products",
            trials=6,
            tol=1e-10,
        ),
    )


# -- the chain rule ----------------------------------------------------------------------------

_EXACT4 = Exact(_exact(RNN, 4), "symbolic entries, n = 2, T = 4")
_NUMPY4 = Sampled(_numpy(RNN, 4), "NumPy RNN: backward pass and state_jacobian", tol=1e-10)


def _chain4(k_: int):
    """∂J⁽⁴⁾/∂h⁽ᵏ⁾ ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾ ⋯ ∂h⁽²⁾/∂h⁽¹⁾."""
    return MatMul(Partial(J(4), h(k_)), *[Partial(h(s), h(s - 1)) for s in range(k_, 1, -1)])


chain_rule = Claim(
    id="chain-rule",
    title="The chain rule across time steps",
    statement=(
        "∂J⁽⁴⁾/∂h⁽¹⁾ is the product of ∂J⁽⁴⁾/∂h⁽⁴⁾, ∂h⁽⁴⁾/∂h⁽³⁾, ∂h⁽³⁾/∂h⁽²⁾ and ∂h⁽²⁾/∂h⁽¹⁾ "
        "in that order, and in general ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ "
        "for j ≤ i."
    ),
    assumptions=("h⁽ᵗ⁾ depends on h⁽ᵗ⁻¹⁾ only through one step of the cell",),
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
            "[001]'s layout: the transpose",
            checks=(_EXACT4, _NUMPY4),
        ),
        Step(
            Partial(J(i), h(j)),
            "=",
            MatMul(Partial(J(i), h(i)), jacobian_chain(j, i)),
            "chain rule, by induction on i − j",
            checks=chain_rule_checks("rnn"),
            hypotheses=(Condition(j, "≤", i),),
        ),
    ),
    sources=("001", "000", "004"),
    section=SECTION,
    caveat=(
        "Note 001 writes ∂J⁽⁴⁾/∂h⁽¹⁾ = ∂h⁽²⁾/∂h⁽¹⁾ × ∂h⁽³⁾/∂h⁽²⁾ × ∂h⁽⁴⁾/∂h⁽³⁾ × ∂J⁽⁴⁾/∂h⁽⁴⁾, "
        "the gradient as a column and each factor the transpose of the Jacobian (denominator "
        "layout), and then ∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ ∏ ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ with the gradient as a row "
        "(numerator layout). Here every line is in numerator layout, and 001's first form is "
        "shown once as the transpose."
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
        "The same W_h, W_x, b are used at every step, so ∂J/∂W_h is the sum over the steps of "
        "the per-step contributions ((∂J/∂h⁽ᵗ⁾)ᵀ ∘ tanh'(z⁽ᵗ⁾)) h⁽ᵗ⁻¹⁾ᵀ."
    ),
    assumptions=(
        "W_h⁽ᵗ⁾ denotes the copy of W_h used at step t; every copy equals W_h (shared weights)",
        "J = Σₜ J⁽ᵗ⁾, a loss term at every step; ∂J/∂W is the gradient, shaped like W",
    ),
    steps=(
        Step(
            Partial(J_total, W_h),
            "=",
            IndexedSum(Partial(J_total, W_copy(t)), t, 1, T),
            "the copies are all W_h: multivariable chain rule",
            checks=(
                Exact(_shared_exact(), "symbolic entries, n = 2, T = 2, untied copies"),
                Sampled(_shared_float, "untied copies, central differences", tol=1e-7),
            ),
        ),
        Step(
            Partial(J_total, W_copy(t)),
            "=",
            _contribution(t),
            "h⁽ᵗ⁾ = tanh(z⁽ᵗ⁾), z⁽ᵗ⁾ linear in W_h⁽ᵗ⁾",
            checks=(
                Exact(_shared_exact(t=(1, 2)), "symbolic entries, n = 2, T = 2, t = 1, 2"),
                Sampled(
                    _untied_with_t,
                    "untied copies, central differences, random t",
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
                Exact(_shared_exact(), "symbolic entries, n = 2, T = 2"),
                Sampled(
                    _shared_numpy,
                    "NumPy RNN: ∂J/∂h⁽ᵗ⁾ from the backward pass, ∂J/∂W_h by central differences",
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
        "∂h⁽ᵗ⁾/∂h⁽ᵏ⁾ = ∏_{k<τ≤t} ∂h⁽τ⁾/∂h⁽τ⁻¹⁾ has t − k factors: the further apart steps k "
        "and t, the more factors in the product."
    ),
    assumptions=("k ≤ t",),
    steps=(
        Step(
            Partial(h(t), h(k)),
            "=",
            jacobian_chain(k, t, sp.Symbol("tau", integer=True)),
            "chain rule, by induction on t − k",
            hypotheses=(Condition(k, "≤", t),),
            checks=(
                Exact(
                    _span_exact, "symbolic entries, n = 2, (t, k) = (3, 1), (4, 2), (2, 2), (1, 3)"
                ),
                Sampled(
                    _span_numpy,
                    "NumPy RNN: central differences of the forward pass against state_jacobian products",
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
            "one factor tanh'(z⁽τ⁾) W_h per step (n = 1: W_h is a number)",
            hypotheses=(Condition(RNN1_N, "=", 1), Condition(k, "≤", t)),
            checks=(
                Exact(
                    _degree_exact,
                    "n = 1, symbolic entries, degree in W_h with tanh' opaque, (t, k) = (2, 1), "
                    "(4, 1), (5, 3), (3, 3)",
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
