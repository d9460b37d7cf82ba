r"""Truncated BPTT is biased; randomised truncation is not (Williams & Peng 1990; Tallec &
Ollivier 2017; Zhang et al. 2023, §9.7).

Both on the network of one unit $h^{(t)} = w h^{(t-1)} + x^{(t)}$ with the loss $J =
h^{(T)}$, where the gradient $\partial J/\partial w$ is a sum of one term per lag. The
checks compute the derivatives by their definitions, not by the printed sums: SymPy
differentiates the unrolled recurrence (for the truncated derivative, with the state that
enters the window replaced by a constant), float64 takes central differences of the
recurrence; the expectation over the random truncation length is an exact sum over its
distribution.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import MatMul

from gradsym.lang.notation import (
    IndexedSum,
    Named,
    NamedScalar,
    Partial,
    T,
    TruncatedPartial,
    ell,
    family,
)

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, Unbound, seq_key
from .scalar import w

K = sp.Symbol("K", integer=True, positive=True)  # the window (k is a step)
h1 = family("h1", "h", rows=1, cols=1)
J1 = Named("J", 1, 1, "J")
W1 = Named("w", 1, 1, "w")  # w as the variable a derivative is taken with respect to

# the term of lag ℓ: w^ℓ h^(T−1−ℓ), from the step T − ℓ
_full = IndexedSum(MatMul(w**ell, h1(T - 1 - ell)), ell, 0, T - 1)
_kept = IndexedSum(MatMul(w**ell, h1(T - 1 - ell)), ell, 0, K - 1)
_dropped = IndexedSum(MatMul(w**ell, h1(T - 1 - ell)), ell, K, T - 1)


def _run(w_, xs, h0, frozen_at=None, frozen=None):
    """h⁽⁰⁾ … h⁽ᵀ⁾ of h⁽ᵗ⁾ = w h⁽ᵗ⁻¹⁾ + x⁽ᵗ⁾; ``frozen_at``: h there is ``frozen`` instead."""
    hs = [h0]
    for t_, x_ in enumerate(xs, 1):
        hs.append(frozen if t_ == frozen_at else w_ * hs[-1] + x_)
    return hs


class _Scalar(Model):
    """One instance: w, the inputs x⁽¹⁾ … x⁽ᵀ⁾, h⁽⁰⁾, T, K; the states, ∂J/∂w and ∂_K J/∂w
    by differentiation (exact) or central differences (float) of the recurrence."""

    def __init__(self, w_, xs, h0, K_, exact: bool, label: str) -> None:
        self.w_, self.xs, self.h0, self.K_, self.exact = w_, list(xs), h0, K_, exact
        T_ = len(xs)
        values = {w: w_, T: T_, K: K_}
        for t_, h_ in enumerate(_run(w_, xs, h0)):
            values[seq_key("h1", t_)] = sp.ImmutableMatrix([[h_]]) if exact else np.array([[h_]])
        super().__init__(values, label=label)

    def _derivative(self, frozen_at=None) -> object:
        T_ = len(self.xs)
        if self.exact:
            u = sp.Symbol("u")
            freeze = None
            if frozen_at is not None:  # the state entering the window, a constant
                freeze = _run(self.w_, self.xs, self.h0)[frozen_at]
            hs = _run(u, self.xs, self.h0, frozen_at, freeze)
            return sp.ImmutableMatrix([[sp.diff(hs[T_], u).subs(u, self.w_)]])
        eps = 1e-6
        freeze = None if frozen_at is None else _run(self.w_, self.xs, self.h0)[frozen_at]
        hi = _run(self.w_ + eps, self.xs, self.h0, frozen_at, freeze)[T_]
        lo = _run(self.w_ - eps, self.xs, self.h0, frozen_at, freeze)[T_]
        return np.array([[(hi - lo) / (2 * eps)]])

    def resolve(self, key, ev):
        if key == ("partial", J1, W1):
            return self._derivative()
        if isinstance(key, tuple) and key[0] == "truncated" and key[1:3] == (J1, W1):
            return self._derivative(frozen_at=len(self.xs) - key[3])
        raise Unbound(f"no value for {key}")


def _exact_instances():
    a, b, c, d_ = sp.symbols("x1:5")
    ww = sp.Symbol("w")
    yield _Scalar(ww, [a, b, c, d_], sp.Symbol("h0"), 2, True, "T = 4, K = 2, symbolic")
    yield _Scalar(sp.Rational(1, 2), [1, 1, 1, 1], 0, 2, True, "w = 1/2, x = 1, T = 4, K = 2")
    yield _Scalar(sp.Rational(-3, 2), [2, -1, 1], 1, 1, True, "w = -3/2, T = 3, K = 1")


def _float_instance(rng, trial=0):
    T_ = int(rng.integers(3, 12))
    K_ = int(rng.integers(1, T_))
    w_ = float(rng.uniform(-1.2, 1.2))
    return _Scalar(w_, rng.normal(size=T_), float(rng.normal()), K_, False, f"T = {T_}, K = {K_}")


_exact = Exact(_exact_instances, r"SymPy differentiates the unrolled recurrence, $T \leq 4$")
_float = Sampled(
    _float_instance, "central differences of the recurrence", trials=8, tol=1e-7, scale="absolute"
)

tbptt_bias = Claim(
    id="tbptt-bias",
    title="Truncated BPTT is biased: it drops the long-range terms",
    statement=(
        r"For $h^{(t)} = w\, h^{(t-1)} + x^{(t)}$ and $J = h^{(T)}$, $\partial J/\partial w = "
        r"\sum_{\ell=0}^{T-1} w^{\ell} h^{(T-1-\ell)}$, one term per lag $\ell$; truncation "
        r"to $K$ steps keeps the terms of lag $\ell < K$ and drops the others, which are not zero in "
        r"general (with constant inputs $x^{(t)} = 1$ at $w = 1/2$, $T = 4$, $K = 2$ they add "
        r"up to $1/4$): the truncated gradient is then a biased estimate of the full one."
    ),
    assumptions=(
        (
            r"one unit, no activation; $\partial_K$ holds the state $h^{(T-K)}$ that enters the "
            r"window constant"
        ),
    ),
    steps=(
        Step(
            Partial(J1, W1),
            "=",
            _full,
            r"the chain rule through every step: $w$ is used at each one",
            checks=(_exact, _float),
        ),
        Step(
            TruncatedPartial(J1, W1, K),
            "=",
            _kept,
            r"only the steps inside the window of $K$ steps",
            hypotheses=(Condition(K, "≤", T),),
            checks=(_exact, _float),
        ),
        Step(
            Partial(J1, W1) - TruncatedPartial(J1, W1, K),
            "=",
            _dropped,
            r"the terms from more than $K - 1$ steps back",
            hypotheses=(Condition(K, "≤", T),),
            checks=(_exact, _float),
        ),
        Step(
            Partial(J1, W1) - TruncatedPartial(J1, W1, K),
            "≠",
            sp.S.Zero,
            r"inputs $x^{(t)} = 1$, $h^{(0)} = 0$: the bias is $w^2 h^{(1)} + w^3 h^{(0)} = 1/4$",
            where=((w, sp.Rational(1, 2)), (T, 4), (K, 2)),
            checks=(
                Exact(
                    lambda: [_Scalar(sp.Rational(1, 2), [1, 1, 1, 1], 0, 2, True, "x = 1")],
                    r"exact, at $w = 1/2$, $x^{(t)} = 1$",
                ),
                Sampled(
                    lambda rng: _Scalar(0.5, [1.0] * 4, 0.0, 2, False, "x = 1"),
                    "central differences",
                    trials=1,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("williams1990", "003", "004"),
    section="Exploding gradients",
    formula=2,
)


# -- randomised truncation ----------------------------------------------------------------------------

psi = family("psi", r"\psi", rows=1, cols=1, script="sub")  # the term of the gradient at lag ℓ
E_psi = NamedScalar("E_psi_hat", r"\mathbb{E}\hat{\Psi}")


class _Randomised(_Scalar):
    """An instance with a distribution of the truncation length K on {1, …, T}: ψ_ℓ the
    lag-ℓ term (the difference of the truncated derivatives at K = ℓ + 1 and K = ℓ),
    π_ℓ = P(K > ℓ), and the expectation of the estimator Ψ̂ = Σ_ℓ [K > ℓ] ψ_ℓ/π_ℓ by a sum
    over K."""

    def __init__(self, w_, xs, h0, probs, exact: bool, label: str) -> None:
        super().__init__(w_, xs, h0, 1, exact, label)
        T_ = len(xs)
        terms = []
        for lag in range(T_):  # ∂_{ℓ+1} − ∂_ℓ: what one more step of the window adds
            terms.append(
                self._derivative(frozen_at=T_ - lag - 1) - self._derivative(frozen_at=T_ - lag)
            )
        keep = [sum(probs[k_ - 1] for k_ in range(lag + 1, T_ + 1)) for lag in range(T_)]
        estimate = terms[0] * 0
        for k_, p_ in enumerate(probs, 1):  # E over K: Σ_K P(K) Σ_{ℓ < K} ψ_ℓ/π_ℓ
            for lag in range(k_):
                estimate = estimate + terms[lag] * (p_ / keep[lag])
        for lag in range(T_):
            self.values[seq_key("psi", lag)] = terms[lag]
        self.values[E_psi] = estimate[0, 0] if exact else float(estimate[0, 0])


def _random_exact():
    ww = sp.Symbol("w")
    xs = list(sp.symbols("x1:5"))
    yield _Randomised(
        ww,
        xs,
        sp.Symbol("h0"),
        [sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 8), sp.Rational(1, 8)],
        True,
        "symbolic, geometric K",
    )
    yield _Randomised(sp.Rational(3, 2), [1, -2, 1], 1, [sp.Rational(1, 3)] * 3, True, "uniform K")


def _random_float(rng, trial=0):
    T_ = int(rng.integers(3, 10))
    probs = rng.dirichlet(np.ones(T_))
    return _Randomised(
        float(rng.uniform(-1.3, 1.3)),
        rng.normal(size=T_),
        float(rng.normal()),
        list(probs),
        False,
        f"T = {T_}, random distribution of K",
    )


_random_checks = (
    Exact(_random_exact, r"exact sums over the distribution of $K$, $T \leq 4$"),
    Sampled(_random_float, r"random distributions of $K$, $T < 10$", trials=6, tol=1e-7),
)

random_truncation = Claim(
    id="random-truncation",
    title="Randomised truncation is unbiased",
    statement=(
        r"Draw the truncation length $K$ at random, let $\pi_{\ell} = P(K > \ell) > 0$, and "
        r"weight the term $\psi_{\ell}$ of lag $\ell$ by $1/\pi_{\ell}$ when it is kept: the "
        r"estimate $\hat{\Psi} = \sum_{\ell < K} \psi_{\ell}/\pi_{\ell}$ has expectation "
        r"$\partial J/\partial w$, the full gradient."
    ),
    assumptions=(
        (
            r"$h^{(t)} = w\, h^{(t-1)} + x^{(t)}$ and $J = h^{(T)}$, as for truncation; "
            r"$\psi_{\ell} = w^{\ell} h^{(T-1-\ell)}$, the lag-$\ell$ term of $\partial J/\partial w$"
        ),
    ),
    steps=(
        Step(
            E_psi,
            "=",
            IndexedSum(psi(ell), ell, 0, T - 1),
            r"term $\ell$ is kept with probability $\pi_{\ell}$ and weighted $1/\pi_{\ell}$: "
            r"in expectation, $\pi_{\ell} \cdot \psi_{\ell}/\pi_{\ell} = \psi_{\ell}$",
            checks=_random_checks,
        ),
        Step(
            E_psi,
            "=",
            Partial(J1, W1),
            r"the lag terms add up to the full gradient",
            checks=_random_checks,
        ),
    ),
    sources=("tallec2017", "zhang2023"),
    section="Exploding gradients",
    formula=1,
)

CLAIMS = (tbptt_bias, random_truncation)
