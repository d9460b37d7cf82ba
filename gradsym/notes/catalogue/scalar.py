r"""Networks of one unit: the worked example $w^{\ell}$ of Goodfellow, Bengio and Courville
(2016, §10.7), and the dynamical-systems view of the cliff (Pascanu et al. 2013, §2.2).

With one unit every Jacobian is a number, so the chain rule is a product of numbers and a
fixed point of the recurrence can be found and differentiated exactly. The checks compute
the derivatives by routes of their own: SymPy differentiates the unrolled recurrence (the
composition of the steps, not the printed product), float64 takes central differences of
the recurrence iterated step by step, and the fixed point's derivative by central
differences of the converged state.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from gradsym.lang.functions import sigmoid
from gradsym.lang.notation import Decimal, Named, NamedScalar, Partial, ell, family, k, t

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, Unbound

# -- w^ℓ ------------------------------------------------------------------------------------------

w = NamedScalar("w", "w", real=True)
h1 = family("h1", "h", rows=1, cols=1)  # the state of a network of one unit


def _unrolled_exact(key, ev):
    """∂h⁽ᵗ⁾/∂h⁽ᵏ⁾ of h⁽ᵗ⁾ = w h⁽ᵗ⁻¹⁾: SymPy differentiates the composition of the steps."""
    if not (isinstance(key, tuple) and key[0] == "partial"):
        raise Unbound(f"no value for {key}")
    (_, _, top), (_, _, bottom) = key[1], key[2]
    start = sp.Symbol("h_k")
    state = start
    for _ in range(int(top) - int(bottom)):
        state = ev.visit(w) * state
    return sp.ImmutableMatrix([[sp.diff(state, start)]])


def _unrolled_float(key, ev):
    """The same by central differences of the recurrence iterated in float64."""
    if not (isinstance(key, tuple) and key[0] == "partial"):
        raise Unbound(f"no value for {key}")
    (_, _, top), (_, _, bottom) = key[1], key[2]
    w_ = float(ev.visit(w))

    def run(h0: float) -> float:
        for _ in range(int(top) - int(bottom)):
            h0 = w_ * h0
        return h0

    eps = 1e-6
    return np.array([[(run(0.3 + eps) - run(0.3 - eps)) / (2 * eps)]])


def _steps_exact():
    for t_, k_ in ((2, 1), (4, 1), (7, 3)):
        yield Model(
            {t: t_, k: k_},
            free=(w,),
            label=f"t = {t_}, k = {k_}, w symbolic",
            resolve=_unrolled_exact,
        )


def _steps_float(rng, trial=0):
    k_ = int(rng.integers(1, 5))
    t_ = k_ + int(rng.integers(1, 40))
    w_ = float(rng.uniform(0.5, 1.3)) * rng.choice([-1.0, 1.0])
    return Model(
        {t: t_, k: k_, w: w_}, label=f"w = {w_:.3f}, t = {t_}, k = {k_}", resolve=_unrolled_float
    )


def _w_exact(values):
    def instances():
        for v in values:
            yield Model({w: v}, free=(ell,), label=f"w = {v}")

    return instances


def _w_float(lag, inside):
    def sample(rng, trial=0):
        lo, hi = (0.0, 0.97) if (trial % 3 != 2) == inside else (1.03, 1.3)
        return Model({w: rng.uniform(lo, hi) * rng.choice([-1.0, 1.0]), ell: lag}, label="random w")

    return sample


scalar_example = Claim(
    id="scalar-example",
    title=r"A worked example: one unit, and the gradient is multiplied by $w^{\ell}$",
    statement=(
        r"For the network of one unit $h^{(t)} = w\, h^{(t-1)}$, $\partial h^{(t)}/\partial "
        r"h^{(k)} = w^{\ell}$ with $\ell = t - k$: the gradient from $\ell$ steps away "
        r"vanishes geometrically if $|w| < 1$ and explodes if $|w| > 1$; $0.9^{50}$ is about "
        r"$0.005$, $1.1^{50}$ about $117$."
    ),
    assumptions=(
        (
            r"one unit ($n = 1$), no input and no activation: the linear RNN with $\mathbf{W}_h "
            r"= w$"
        ),
    ),
    steps=(
        Step(
            Partial(h1(t), h1(t - 1)),
            "=",
            w,
            r"one step multiplies the state by $w$",
            checks=(
                Exact(_steps_exact, "SymPy differentiates the unrolled recurrence, $w$ symbolic"),
                Sampled(_steps_float, "central differences of the recurrence", trials=6, tol=1e-8),
            ),
        ),
        Step(
            Partial(h1(t), h1(k)),
            "=",
            w**ell,
            r"the chain rule: $\ell = t - k$ factors $w$",
            hypotheses=(Condition(k, "≤", t),),
            checks=(
                Exact(_steps_exact, "SymPy differentiates the unrolled recurrence, $w$ symbolic"),
                Sampled(_steps_float, "central differences of the recurrence", trials=6, tol=1e-8),
            ),
        ),
        Step(
            w**ell,
            "→",
            sp.S.Zero,
            r"$|w| < 1$",
            limit=(ell, sp.oo),
            hypotheses=(Condition(sp.Abs(w), "<", 1),),
            checks=(
                Exact(
                    _w_exact((sp.Rational(9, 10), -sp.Rational(1, 2), sp.Rational(11, 10))),
                    r"the limit in $\ell$ at $w = 9/10$ and $-1/2$ ($w = 11/10$ excluded)",
                ),
                Sampled(
                    _w_float(3000, True), r"$\ell = 3000$", trials=6, tol=1e-12, scale="absolute"
                ),
            ),
        ),
        Step(
            sp.Abs(w**ell),
            "→",
            sp.oo,
            r"$|w| > 1$",
            limit=(ell, sp.oo),
            hypotheses=(Condition(sp.Abs(w), ">", 1),),
            checks=(
                Exact(
                    _w_exact((sp.Rational(11, 10), -sp.Rational(3, 2), sp.Rational(1, 2))),
                    r"the limit in $\ell$ at $w = 11/10$ and $-3/2$ ($w = 1/2$ excluded)",
                ),
                Sampled(_w_float(3000, False), r"$\ell = 3000$", trials=6, tol=0.0),
            ),
        ),
        Step(
            w**ell,
            "∈",
            sp.Interval(Decimal("0.00515"), Decimal("0.00516")),
            r"fifty steps at $w = 0.9$",
            where=((w, sp.Rational(9, 10)), (ell, 50)),
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "double precision", trials=1, tol=0.0),
            ),
        ),
        Step(
            w**ell,
            "∈",
            sp.Interval(Decimal("117.39"), Decimal("117.40")),
            r"fifty steps at $w = 1.1$",
            where=((w, sp.Rational(11, 10)), (ell, 50)),
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "double precision", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("goodfellow2016", "001"),
    section="Vanilla RNN",
    formula=1,
    definitions=((ell, t - k),),
)


# -- the cliff: a fixed point that disappears -------------------------------------------------------

beta = NamedScalar("beta", r"\beta", real=True)
h_star = NamedScalar("h_star", r"h^{*}", real=True)
H_STAR = Named("h_star", 1, 1, r"h^{*}")  # the fixed point as the Jacobian's numerator
BETA = Named("beta", 1, 1, r"\beta")
W6 = sp.Integer(6)
H_CRIT = sp.log(2 + sp.sqrt(3))  # σ(h)(1 − σ(h)) = 1/6 there: 6σ'(h) = 1
_z = sp.Symbol("z", real=True)
SLOPE = sp.Derivative(sigmoid(_z), _z)  # σ'(z), evaluated at z = h*


def _slope_at(value):
    return SLOPE  # placeholder never used: kept for symmetry with the float side


def _fixed_point_float(w_: float, b_: float, start: float) -> float:
    """Iterate h ← wσ(h) + β to convergence (a stable fixed point is attracting)."""
    h = start
    for _ in range(20000):
        new = w_ / (1.0 + np.exp(-h)) + b_
        if abs(new - h) < 1e-15 * max(1.0, abs(h)):
            return new
        h = new
    return h


def _cliff_exact():
    """Rational fixed points h* of w σ(h) + β with β := h* − w σ(h*); the derivative of the
    fixed point in β by SymPy's implicit differentiation of h − wσ(h) − β = 0."""
    hh, bb = sp.symbols("hh bb", real=True)
    for w_, h_ in (
        (sp.Integer(6), sp.Integer(3)),
        (sp.Integer(2), sp.Rational(1, 2)),
        (sp.Integer(6), sp.Rational(-5, 2)),
        (sp.Integer(6), sp.Integer(0)),
    ):
        eq = hh - w_ * (1 / (1 + sp.exp(-hh))) - bb
        slope = sp.idiff(eq, hh, bb)  # dh/dβ along the fixed points, in terms of h
        b_ = h_ - w_ / (1 + sp.exp(-h_))
        values = {
            w: w_,
            h_star: h_,
            beta: b_,
            ("partial", H_STAR, BETA): sp.ImmutableMatrix([[slope.subs(hh, h_)]]),
        }
        yield Model(values, label=f"w = {w_}, h* = {h_}")


def _cliff_float(rng, trial=0):
    """A random (w, β) with a stable fixed point; dh*/dβ by central differences of the
    converged state (the last instance of three sits near the bifurcation: unstable, for
    the hypothesis to exclude)."""
    w_ = float(rng.uniform(1.0, 8.0))
    start = float(rng.uniform(-4.0, 6.0))
    b_ = float(rng.uniform(-6.0, 2.0))
    if trial % 3 == 2:  # an unstable fixed point: h* where wσ'(h*) > 1, excluded
        w_, h_ = 6.0, 0.0
        b_ = h_ - w_ / (1.0 + np.exp(-h_))
        return Model(
            {w: w_, h_star: h_, beta: b_, ("partial", H_STAR, BETA): np.array([[np.nan]])},
            label="unstable",
        )
    h_ = _fixed_point_float(w_, b_, start)
    eps = 1e-6
    hi = _fixed_point_float(w_, b_ + eps, h_)
    lo = _fixed_point_float(w_, b_ - eps, h_)
    values = {
        w: w_,
        h_star: h_,
        beta: b_,
        ("partial", H_STAR, BETA): np.array([[(hi - lo) / (2 * eps)]]),
    }
    return Model(values, label=f"w = {w_:.2f}, β = {b_:.2f}")


_stable = (Condition(sp.Abs(w * SLOPE.subs(_z, h_star)), "<", 1),)


def _crit_exact():
    yield Model({w: W6, h_star: H_CRIT}, label="w = 6, h* = log(2 + √3)")


def _crit_float(rng):
    return Model({w: 6.0, h_star: float(sp.N(H_CRIT, 20))}, label="w = 6, h* = log(2 + √3)")


def _near_float(rng, trial=0):
    side = 1.0 if trial % 2 == 0 else -1.0
    return Model({w: 6.0, h_star: float(sp.N(H_CRIT, 30)) + side * 1e-13}, label="near log(2 + √3)")


cliff = Claim(
    id="cliff",
    title="The cliff seen as dynamics: a fixed point that disappears",
    statement=(
        r"For the one-unit network $h^{(t)} = w\, \sigma(h^{(t-1)}) + \beta$, a stable fixed "
        r"point $h^{*} = w\, \sigma(h^{*}) + \beta$ moves with the bias at the rate "
        r"$\partial h^{*}/\partial \beta = 1/(1 - w\, \sigma'(h^{*}))$. Where $w\, "
        r"\sigma'(h^{*})$ reaches 1 the fixed point meets an unstable one and disappears "
        r"(a bifurcation), and the rate is unbounded: the long-run state jumps, and so does "
        r"a loss computed from it."
    ),
    assumptions=(
        (
            r"the sequence is long enough for the state to reach its fixed point, so that "
            r"$h^{(T)} = h^{*}$"
        ),
    ),
    steps=(
        Step(
            Partial(H_STAR, BETA),
            "=",
            1 / (1 - w * SLOPE.subs(_z, h_star)),
            r"implicit differentiation of $h^{*} - w\, \sigma(h^{*}) - \beta = 0$",
            hypotheses=_stable,
            checks=(
                Exact(_cliff_exact, r"SymPy's implicit derivative at rational fixed points"),
                Sampled(
                    _cliff_float,
                    r"central differences of the converged state, random stable $(w, \beta)$",
                    trials=9,
                    tol=1e-6,
                ),
            ),
        ),
        Step(
            w * SLOPE.subs(_z, h_star),
            "=",
            sp.S.One,
            r"at $w = 6$, $h^{*} = \log(2 + \sqrt{3})$: $\sigma(h^{*})(1 - \sigma(h^{*})) = 1/6$",
            where=((w, W6), (h_star, H_CRIT)),
            checks=(
                Exact(_crit_exact, "exact: $\\sigma'$ written out at the algebraic point"),
                Sampled(_crit_float, "double precision", trials=1, tol=1e-14),
            ),
        ),
        Step(
            sp.Abs(1 / (1 - w * SLOPE.subs(_z, h_star))),
            ">",
            sp.Integer(10) ** 12,
            r"within $10^{-13}$ of the bifurcation, on either side",
            where=((w, W6),),
            checks=(
                Sampled(
                    _near_float, r"$h^{*} = \log(2 + \sqrt{3}) \pm 10^{-13}$", trials=2, tol=0.0
                ),
            ),
        ),
    ),
    sources=("pascanu2013", "bengio1994"),
    section="Exploding gradients",
    formula=0,
)

CLAIMS = (scalar_example, cliff)
