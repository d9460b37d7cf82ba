"""The vanilla RNN (notes 001): its Jacobian, the linear case, the eigenvalue argument, the
exploding case, Pascanu's bound with derived γ, and sequential recency.

h⁽ᵗ⁾ = σ(z⁽ᵗ⁾), z⁽ᵗ⁾ = W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b, and ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(σ'(z⁽ᵗ⁾)) W_h.
Gradients are rows (numerator layout): g = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾, and g W_hˡ expands in the *left*
eigenvectors pₖᵀ of W_h (the rows of Q⁻¹) with coefficients cₖ = g qₖ.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import Identity as I_
from sympy import ImmutableMatrix as M
from sympy import Inverse, MatAdd, MatMul, MatPow, Transpose, ZeroMatrix

from gradsym.lang.elementwise import ACTIVATIONS, get_activation
from gradsym.lang.functions import relu, sigmoid
from gradsym.lang.notation import (
    Decimal,
    FloatRound,
    IndexedSum,
    MaxOver,
    Named,
    NamedScalar,
    Norm,
    OrderedProduct,
    Partial,
    SingularValue,
    SpectralRadius,
    Sup,
    ell,
    family,
    i,
    j,
    matrix,
    n,
)
from gradsym.numeric.optim.initialisers import orthogonal
from gradsym.symbolic import cell as get_cell

from ..checks import Exact, Sampled, combine_powers
from ..claim import Claim, Condition, Step
from ..evaluate import Model, seq_key
from ..models import exact_cell, exact_unrolled, float_cell, numpy_unrolled
from .bptt import chain_rule_checks, jacobian_chain
from .common import Apply, Diag, J, S, h, jacobian_step, x

SECTION = "Vanilla RNN"
SIGMA_IS = {
    "tanh": r"$\phi = \tanh$",
    "sigmoid": r"$\phi = \sigma$",
    "relu": r"$\phi = \operatorname{ReLU}$",
    "identity": r"$\phi = \operatorname{id}$",
}
RNN = {a: get_cell("rnn", a) for a in ACTIVATIONS}
W_h, W_x, b = S(RNN["tanh"], "W_h", "W_x", "b")
z_sym = sp.Symbol("z", real=True)
sigma = sp.Function("phi")  # the RNN's activation φ, any (σ is only the sigmoid)
k = sp.Symbol("k", integer=True, positive=True)

# what σ is on each side: an exact function for SymPy, the NumPy cells' own for float64
EXACT_SIGMA = {
    "tanh": sp.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "identity": sp.Lambda(z_sym, z_sym),
}


def float_sigma(name: str):
    act = get_activation(name)
    return lambda z: act.apply(np.asarray(z, dtype=float))


def rnn_form(activation: str):
    """diag(σ'(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b)) W_h, as the slide writes it."""

    def form(cell):
        W, U, bias, h_prev, x_ = S(cell, "W_h", "W_x", "b", "h_prev", "x")
        return MatMul(Diag(Apply(f"{activation}'", MatAdd(W * h_prev, U * x_, bias))), W)

    return form


def rnn_x_form(cell):
    W, U, bias, h_prev, x_ = S(cell, "W_h", "W_x", "b", "h_prev", "x")
    return MatMul(Diag(Apply("tanh'", MatAdd(W * h_prev, U * x_, bias))), U)


# -- the Jacobian, in index notation for every n ------------------------------------------------

ii = sp.Symbol("mu", integer=True, positive=True)  # entry indices: μ, ν, κ
jj = sp.Symbol("nu", integer=True, positive=True)
kk = sp.Symbol("kappa", integer=True, positive=True)
p_extra = sp.Symbol("p", integer=True, nonnegative=True)  # n = j + p: every n ≥ j
d_sym = sp.Symbol("d", integer=True, positive=True)
Hb, Hp, Zb = sp.IndexedBase("h"), sp.IndexedBase("h_prev"), sp.IndexedBase("z")
Wb, Ub, Xb, Bb = (
    sp.IndexedBase("W_h"),
    sp.IndexedBase("W_x"),
    sp.IndexedBase("x"),
    sp.IndexedBase("b"),
)
INDEX_DEFINITIONS = (
    (
        Zb[ii],
        sp.Sum(Wb[ii, kk] * Hp[kk], (kk, 1, n))
        + sp.Sum(Ub[ii, kk] * Xb[kk], (kk, 1, d_sym))
        + Bb[ii],
    ),
    (Hb[ii], sigma(Zb[ii])),
)


def _index_instances():
    """n = j + p with p ≥ 0 symbolic: every n ≥ j at once; σ any differentiable function,
    then each activation of the notes."""

    def free(key, ev):
        if isinstance(key, sp.Indexed):
            return key
        raise KeyError(key)

    for name, f in [("any σ", sigma)] + [(a, EXACT_SIGMA[a]) for a in ("tanh", "sigmoid")]:
        yield Model(
            {n: jj + p_extra, sigma: f},
            free=(ii, jj, d_sym),
            label=f"index notation, every n ≥ j, σ = {name}",
            resolve=free,
        )


rnn_jacobian = Claim(
    id="rnn-jacobian",
    title="The vanilla RNN's Jacobian",
    statement=(
        r"$\mathbf{h}^{(t)} = \phi(\mathbf{W}_h \mathbf{h}^{(t-1)} + \mathbf{W}_x "
        r"\mathbf{x}^{(t)} + \mathbf{b})$ has $\partial \mathbf{h}^{(t)}/\partial "
        r"\mathbf{h}^{(t-1)} = \operatorname{diag}(\phi'(\mathbf{W}_h "
        r"\mathbf{h}^{(t-1)} + \mathbf{W}_x \mathbf{x}^{(t)} + \mathbf{b})) \mathbf{W}_h$ "
        r"for $\phi$ each of $\tanh$, the sigmoid $\sigma$, $\operatorname{ReLU}$ and the "
        "identity."
    ),
    assumptions=(
        r"$\phi$ acts elementwise",
        (
            r"for $\operatorname{ReLU}$: $\mathbf{z}^{(t)}$ has no zero entry "
            r"($\operatorname{ReLU}'$ is undefined at 0)"
        ),
    ),
    steps=tuple(
        jacobian_step("rnn", a, "h", "h_prev", rnn_form(a), f"chain rule, {SIGMA_IS[a]}")
        for a in ACTIVATIONS
    )
    + (
        Step(
            sp.Derivative(Hb[ii], Hp[jj]),
            "=",
            sp.Derivative(sigma(Zb[ii]), Zb[ii]) * Wb[ii, jj],
            r"chain rule in index notation: every $n$, any differentiable $\phi$",
            checks=(
                Exact(
                    _index_instances,
                    (
                        r"index notation with $n = \nu + p$, $p \geq 0$ symbolic: $\phi$ any function, "
                        r"$\tanh$, the sigmoid"
                    ),
                ),
            ),
        ),
        jacobian_step("rnn", "tanh", "h", "x", rnn_x_form, "chain rule"),
    ),
    sources=("001",),
    section=SECTION,
    formula=4,  # the index form: every n, any φ (the others are one activation each)
    cells=(RNN["tanh"],),
    definitions=INDEX_DEFINITIONS,
)


# -- the linear case ----------------------------------------------------------------------------

LINEAR = RNN["identity"]

linear_case = Claim(
    id="linear-case",
    title=r"The linear case: the gradient is multiplied by $\mathbf{W}_h^{\ell}$",
    statement=(
        r"With $\phi$ the identity, $\partial \mathbf{h}^{(t)}/\partial "
        r"\mathbf{h}^{(t-1)} = \mathbf{I} \mathbf{W}_h = \mathbf{W}_h$, and with $\ell = "
        r"i - j$, $\partial J^{(i)}/\partial \mathbf{h}^{(j)} = \partial J^{(i)}/\partial "
        r"\mathbf{h}^{(i)} \mathbf{W}_h^{\ell}$."
    ),
    assumptions=(r"$\phi(z) = z$",),
    steps=(
        jacobian_step("rnn", "identity", "h", "h_prev", rnn_form("identity"), "chain rule"),
        jacobian_step(
            "rnn",
            "identity",
            "h",
            "h_prev",
            lambda c: MatMul(I_(n), S(c, "W_h")),
            r"$\operatorname{id}' = 1$",
        ),
        jacobian_step(
            "rnn", "identity", "h", "h_prev", lambda c: S(c, "W_h"), r"$\phi$ is the identity"
        ),
        Step(
            Partial(J(i), h(j)),
            "=",
            MatMul(Partial(J(i), h(i)), jacobian_chain(j, i)),
            "chain rule",
            hypotheses=(Condition(j, "≤", i),),
            checks=chain_rule_checks("identity"),
        ),
        Step(
            Partial(J(i), h(j)),
            "=",
            MatMul(Partial(J(i), h(i)), OrderedProduct(W_h, sp.Symbol("t", integer=True), j, i)),
            r"value of $\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$",
            hypotheses=(Condition(j, "≤", i),),
            checks=chain_rule_checks("identity"),
        ),
        Step(
            Partial(J(i), h(j)),
            "=",
            MatMul(Partial(J(i), h(i)), MatPow(W_h, ell)),
            r"$\ell = i - j$ factors $\mathbf{W}_h$",
            hypotheses=(Condition(j, "≤", i),),
            checks=chain_rule_checks("identity"),
        ),
    ),
    sources=("001",),
    section=SECTION,
    formula=5,
    cells=(LINEAR,),
    definitions=((ell, i - j),),
)


# -- the eigenvalue argument --------------------------------------------------------------------

g = Partial(J(i), h(i))  # the row vector the slide expands
Q = matrix("Q", r"\mathbf{V}")  # the eigenvector matrix (Q is an orthogonal matrix)
Lam = matrix("Lambda", r"\boldsymbol{\Lambda}")
q = family("q", r"\mathbf{v}", script="sub")
p_ = family("p", r"\mathbf{p}", script="sub")
lam = family("lambda", r"\lambda", rows=1, cols=1, script="sub")
coef = family("coef", r"\xi", rows=1, cols=1, script="sub")
lam_s = sp.Symbol("lambda")

# exact instances of W_h: non-normal, rational eigenvalues; one with ρ > 1 (for hypotheses)
W_DIAG = [
    M([[sp.Rational(7, 10), sp.Rational(1, 5)], [sp.Rational(1, 10), sp.Rational(4, 5)]]),
    M(
        [
            [sp.Rational(1, 2), sp.Rational(3, 4), 0],
            [0, -sp.Rational(1, 3), 1],
            [0, 0, sp.Rational(1, 4)],
        ]
    ),
]
W_BIG = M([[sp.Rational(3, 2), sp.Rational(1, 2)], [0, sp.Rational(1, 2)]])  # ρ = 3/2
W_JORDAN = (
    M([[1, 1], [0, 1]]) * M([[sp.Rational(1, 2), 1], [0, sp.Rational(1, 2)]]) * M([[1, -1], [0, 1]])
)  # not diagonalizable, ρ = 1/2


def _eigen_values(W: M, exact: bool = True) -> dict:
    """W_h, Q = [q₁ ⋯ qₙ], Λ, λₖ, qₖ, pₖ (pₖᵀ the rows of Q⁻¹) of a diagonalizable W."""
    size = W.rows
    pairs = [(val, vec) for val, mult, vecs in W.eigenvects() for vec in vecs]
    pairs.sort(key=lambda pv: sp.N(pv[0]))
    Qm = M.hstack(*[vec for _, vec in pairs])
    P = Qm.inv()
    values = {W_h: W, Q: Qm, Lam: M(sp.diag(*[v for v, _ in pairs])), n: size}
    for idx, (val, vec) in enumerate(pairs, start=1):
        values[seq_key("lambda", idx)] = M([[val]])
        values[seq_key("q", idx)] = M(vec)
        values[seq_key("p", idx)] = M(P.row(idx - 1).T)
    return values


def _g_row(size: int, exact: bool = True, rng=None):
    if exact:
        return M([[sp.Symbol(f"g{m}") for m in range(1, size + 1)]])
    return rng.normal(size=(1, size))


def _eigen_exact(Ws=W_DIAG, ks=(None,), free_ell=True, extra=()):
    def instances():
        for W in (*Ws, *extra):
            for kv in ks:
                values = _eigen_values(W) if W.is_diagonalizable() else {W_h: W, n: W.rows}
                values[("partial", seq_key("J", 1), seq_key("h", 1))] = _g_row(W.rows)
                values[i] = 1
                if kv is not None:
                    values[k] = min(kv, W.rows)
                yield Model(values, free=(ell,) if free_ell else (), label=f"W_h = {W.tolist()}")

    return instances


def _random_W(rng, size=4, radius=(0.3, 0.9), jordan=False):
    lam_ = rng.uniform(*radius, size) * rng.choice([-1, 1], size)
    Qm = rng.normal(size=(size, size))
    D = np.diag(lam_)
    if jordan:
        D[0, 1] = 1.0
        D[1, 1] = D[0, 0]
    return Qm @ D @ np.linalg.inv(Qm), lam_, Qm


def _eigen_float(*, lag=None, k_index=True, radius=(0.3, 0.9), jordan=False):
    def sample(rng):
        W, _, _ = _random_W(rng, radius=radius, jordan=jordan)
        size = W.shape[0]
        values = {W_h: W, n: size, i: 1, ell: int(rng.integers(1, 30)) if lag is None else lag}
        values[("partial", seq_key("J", 1), seq_key("h", 1))] = _g_row(size, False, rng)
        if not jordan:
            val, vec = np.linalg.eig(W)
            P = np.linalg.inv(vec)
            values[Q], values[Lam] = vec, np.diag(val)
            for idx in range(size):
                values[seq_key("lambda", idx + 1)] = np.array([[val[idx]]])
                values[seq_key("q", idx + 1)] = vec[:, idx : idx + 1]
                values[seq_key("p", idx + 1)] = P[idx : idx + 1].T
            if k_index:
                values[k] = int(rng.integers(1, size + 1))
        return Model(values, label="random W_h")

    return sample


def _growing_float(rng, trial=0):
    """ρ(W_h) ∈ (1.05, 1.3) or ≤ 0.9 at ℓ = 600: the hypothesis ρ < 1 decides."""
    grow = trial % 3 == 2
    model = _eigen_float(lag=600, radius=(1.05, 1.3) if grow else (0.2, 0.9))(rng)
    return model


_eigsum = IndexedSum(MatMul(coef(k), MatPow(lam(k), ell), Transpose(p_(k))), k, 1, n)
_gW = MatMul(g, MatPow(W_h, ell))
_rho_lt_1 = (Condition(SpectralRadius(W_h), "<", 1),)
_JB = M([[lam_s, 1], [0, lam_s]])
_JB_power = M([[lam_s**ell, ell * lam_s ** (ell - 1)], [0, lam_s**ell]])
W_nn = matrix("W", r"\mathbf{W}")
a_s, b_s = NamedScalar("a", r"\lambda_{W}"), NamedScalar("b", r"\omega")
NONNORMAL = ((0.9, 10.0), (0.0, 0.9))
_W_WHERE = ((a_s, sp.Rational(9, 10)), (b_s, 90 * a_s**8), (W_nn, M([[a_s, 10], [0, a_s]])))


def _lambda_exact(values, extra_free=()):
    def instances():
        for lv in values:
            yield Model({lam_s: lv}, free=(ell, *extra_free), label=f"λ = {lv}")

    return instances


def _lambda_float(lag, lo=0.0, hi=0.97, outside=(1.03, 1.3)):
    def sample(rng, trial=0):
        inside = trial % 3 != 2
        mag = rng.uniform(lo, hi) if inside else rng.uniform(*outside)
        return Model({lam_s: mag * rng.choice([-1.0, 1.0]), ell: lag}, label="random λ")

    return sample


def _plain(values=None, free=(), label=""):
    return lambda: [Model(values or {}, free=free, label=label)]


def _plain_float(values, label=""):
    return lambda rng: Model(values, label=label)


_s = sp.Symbol("s", positive=True)

eigen_vanish = Claim(
    id="eigen-vanish",
    title="Eigenvalues inside the unit circle: the linear-case gradient vanishes",
    statement=(
        r"If $\mathbf{W}_h$ is diagonalizable and every eigenvalue has $|\lambda_k| < 1$ "
        r"($k = 1, \ldots, n$), then $\partial J^{(i)}/\partial \mathbf{h}^{(i)} "
        r"\mathbf{W}_h^{\ell} = \sum_{k} \xi_k \lambda_k^{\ell} \mathbf{p}_k^{\top} \to 0$ "
        r"as $\ell \to \infty$, where $\mathbf{p}_k^{\top}$ are the left eigenvectors and "
        r"$\xi_k = \partial J^{(i)}/\partial \mathbf{h}^{(i)} \mathbf{v}_k$. In general "
        r"(Jordan blocks) a spectral radius below 1 is what matters: the terms $\ell "
        r"\lambda^{\ell-1}$ still vanish."
    ),
    assumptions=(
        (
            r"$\mathbf{W}_h \mathbf{v}_k = \lambda_k \mathbf{v}_k$ for $k = 1, \ldots, n$, "
            r"with $\mathbf{V} = [\mathbf{v}_1 \cdots \mathbf{v}_n]$ invertible "
            r"($\mathbf{W}_h$ diagonalizable)"
        ),
    ),
    steps=(
        Step(
            W_h,
            "=",
            MatMul(Q, Lam, Inverse(Q)),
            (
                r"$\mathbf{V} = [\mathbf{v}_1 \cdots \mathbf{v}_n]$, $\boldsymbol{\Lambda} = "
                r"\operatorname{diag}(\lambda_1, \ldots, \lambda_n)$: the eigenvector basis"
            ),
            checks=(
                Exact(
                    _eigen_exact(free_ell=False),
                    (
                        r"non-normal $2 \times 2$ and $3 \times 3$ matrices $\mathbf{W}_h$, SymPy's "
                        "eigenvectors"
                    ),
                ),
                Sampled(
                    _eigen_float(),
                    r"random non-normal $\mathbf{W}_h$, NumPy's eigendecomposition",
                    tol=1e-10,
                ),
            ),
        ),
        Step(
            MatMul(W_h, q(k)),
            "=",
            MatMul(lam(k), q(k)),
            r"$\mathbf{v}_k$: the right eigenvectors, the columns of $\mathbf{V}$",
            checks=(
                Exact(
                    _eigen_exact(ks=(1, 2, 3), free_ell=False), r"every $k$, exact $\mathbf{W}_h$"
                ),
                Sampled(_eigen_float(), r"random $\mathbf{W}_h$, random $k$", tol=1e-10),
            ),
        ),
        Step(
            MatMul(Transpose(p_(k)), W_h),
            "=",
            MatMul(lam(k), Transpose(p_(k))),
            r"$\mathbf{p}_k^{\top}$: the rows of $\mathbf{V}^{-1}$, the left eigenvectors",
            checks=(
                Exact(
                    _eigen_exact(ks=(1, 2, 3), free_ell=False), r"every $k$, exact $\mathbf{W}_h$"
                ),
                Sampled(_eigen_float(), r"random $\mathbf{W}_h$, random $k$", tol=1e-10),
            ),
        ),
        Step(
            _gW,
            "=",
            _eigsum,
            (
                r"$\mathbf{W}_h^{\ell} = \mathbf{V} \boldsymbol{\Lambda}^{\ell} \mathbf{V}^{-1}$, "
                r"$\xi_k = \partial J^{(i)}/\partial \mathbf{h}^{(i)} \mathbf{v}_k$"
            ),
            checks=(
                Exact(
                    _eigen_exact(),
                    (
                        r"symbolic $\ell$ and $\mathbf{g}$, exact $\mathbf{W}_h$ (SymPy's own "
                        r"$\mathbf{W}_h^{\ell}$)"
                    ),
                    prepare=combine_powers,
                ),
                Sampled(
                    _eigen_float(),
                    (
                        r"random $\mathbf{W}_h$ and $\mathbf{g}$, $\ell < 30$: $\mathbf{W}_h^{\ell}$ by "
                        "repeated products"
                    ),
                    tol=1e-8,
                ),
            ),
        ),
        Step(
            _eigsum,
            "→",
            ZeroMatrix(1, n),
            r"$|\lambda_k| \leq \rho(\mathbf{W}_h) < 1$",
            limit=(ell, sp.oo),
            hypotheses=_rho_lt_1,
            checks=(
                Exact(
                    _eigen_exact(extra=(W_BIG,)),
                    r"limit in $\ell$, exact $\mathbf{W}_h$ (one with $\rho = 3/2$)",
                ),
                Sampled(
                    _growing_float,
                    r"random $\mathbf{W}_h$ at $\ell = 600$",
                    trials=6,
                    tol=1e-12,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            MatPow(_JB, ell),
            "=",
            _JB_power,
            (
                r"a Jordan block: $(\lambda \mathbf{I} + \mathbf{N})^{\ell}$ with $\mathbf{N}^2 = "
                r"\mathbf{0}$"
            ),
            checks=(
                Exact(
                    _plain(free=(lam_s, ell), label=r"symbolic $\lambda$ and $\ell$"),
                    r"symbolic $\lambda$ and $\ell$",
                ),
                Sampled(
                    lambda rng: Model(
                        {lam_s: rng.uniform(-1.5, 1.5), ell: int(rng.integers(1, 12))}
                    ),
                    r"random $\lambda$ and $\ell$",
                    tol=1e-12,
                ),
            ),
        ),
        Step(
            _JB_power,
            "→",
            ZeroMatrix(2, 2),
            r"$\ell \lambda^{\ell-1} \to 0$ for $|\lambda| < 1$",
            limit=(ell, sp.oo),
            hypotheses=(Condition(sp.Abs(lam_s), "<", 1),),
            checks=(
                Exact(
                    _lambda_exact(
                        [sp.Rational(9, 10), -sp.Rational(3, 5), 1 / (1 + _s), sp.Rational(11, 10)]
                    ),
                    r"$\lambda = 9/10$, $-3/5$ and $1/(1 + s)$ for every $s > 0$; $11/10$ excluded",
                ),
                Sampled(
                    _lambda_float(3000),
                    r"random $\lambda$ at $\ell = 3000$",
                    trials=8,
                    tol=1e-9,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _gW,
            "→",
            ZeroMatrix(1, n),
            r"$\rho(\mathbf{W}_h) < 1$, diagonalizable or not",
            limit=(ell, sp.oo),
            hypotheses=_rho_lt_1,
            checks=(
                Exact(
                    _eigen_exact(Ws=(*W_DIAG, W_JORDAN), extra=(W_BIG,)),
                    (
                        r"limit in $\ell$, exact $\mathbf{W}_h$: two diagonalizable, one Jordan block, "
                        r"one with $\rho = 3/2$"
                    ),
                ),
                Sampled(
                    lambda rng, trial=0: (
                        _eigen_float(lag=600, radius=(0.2, 0.9), jordan=True, k_index=False)(rng)
                        if trial % 2 == 0
                        else _growing_float(rng, trial)
                    ),
                    r"random $\mathbf{W}_h$ (Jordan block or $\rho > 1$) at $\ell = 600$",
                    trials=6,
                    tol=1e-12,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            sp.Abs(lam_s**ell),
            "→",
            sp.oo,
            r"$\lambda < 1$ is not enough: $|\lambda| < 1$ is needed",
            limit=(ell, sp.oo),
            where=((lam_s, -sp.Rational(11, 10)),),
            checks=(
                Exact(_plain(free=(ell,)), r"limit in $\ell$"),
                Sampled(_plain_float({ell: 600}), r"at $\ell = 600$", trials=1, tol=0.0),
            ),
        ),
        Step(
            SpectralRadius(W_nn),
            "=",
            sp.Rational(9, 10),
            r"a non-normal $\mathbf{W}$: upper triangular, $\rho(\mathbf{W}) = \lambda_{W}$",
            checks=(
                Exact(_plain(), "exact eigenvalues"),
                Sampled(_plain_float({}), "numpy.linalg.eigvals", trials=1, tol=1e-12),
            ),
        ),
        Step(
            MaxOver(Norm(MatPow(W_nn, ell), 2), ell, 1, 60),
            "=",
            Norm(MatPow(W_nn, 9), 2),
            (
                r"$\rho(\mathbf{W}) < 1$ gives only eventual decay: $\|\mathbf{W}^{\ell}\|_2$ "
                "first grows"
            ),
            checks=(
                Exact(
                    _plain(),
                    (
                        r"exact $\|\mathbf{W}^{\ell}\|_2$ for $\ell = 1, \ldots, 60$, compared to 60 "
                        "digits"
                    ),
                ),
                Sampled(
                    _plain_float({}), r"float64 $\|\mathbf{W}^{\ell}\|_2$", trials=1, tol=1e-12
                ),
            ),
        ),
        Step(
            Norm(MatPow(W_nn, 9), 2),
            "=",
            (b_s + sp.sqrt(b_s**2 + 4 * a_s**18)) / 2,
            (
                r"the largest singular value of $\mathbf{W}^9$, whose entries are "
                r"$\lambda_{W}^9$, $\omega$, 0 and $\lambda_{W}^9$"
            ),
            checks=(
                Exact(
                    _plain(),
                    (
                        r"exact: the square root of the largest eigenvalue of $(\mathbf{W}^9)^{\top} "
                        r"\mathbf{W}^9$"
                    ),
                ),
                Sampled(_plain_float({}), "float64", trials=1, tol=1e-12),
            ),
        ),
        Step(
            Norm(MatPow(W_nn, 9), 2),
            "∈",
            sp.Interval(Decimal("38.7459"), Decimal("38.7460")),
            r"the value: $38.7459\ldots$",
            checks=(
                Exact(_plain(), "exact comparison"),
                Sampled(_plain_float({}), "float64", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("001", "bengio1994", "pascanu2013"),
    section=SECTION,
    caveat=(
        r"Three precisions. First, the condition is $|\lambda_k| < 1$, not $\lambda_k < "
        "1$: an eigenvalue $-1.1$ is below 1 and explodes. Second, the row vector "
        r"$\partial J^{(i)}/\partial \mathbf{h}^{(i)} \mathbf{W}_h^{\ell}$ expands in the "
        r"\emph{left} eigenvectors $\mathbf{p}_k^{\top}$ (the rows of $\mathbf{V}^{-1}$, "
        r"eigenvectors of $\mathbf{W}_h^{\top}$); \cite{001} writes the right eigenvectors, "
        r"which is the same only for a normal (for example symmetric) "
        r"$\mathbf{W}_h$. Third, $\rho(\mathbf{W}_h) < 1$ guarantees only eventual decay: "
        r"for a non-normal $\mathbf{W}_h$ the norm can grow first. $\mathbf{W} = "
        r"\begin{pmatrix} 0.9 & 10 \\ 0 & 0.9 \end{pmatrix}$ has spectral radius 0.9, yet "
        r"$\|\mathbf{W}^{\ell}\|_2$ rises to $38.7459\ldots$ at $\ell = 9$ before it "
        "decays."
    ),
    formula=7,
    cells=(LINEAR,),
    definitions=((coef(k), MatMul(g, q(k))), *_W_WHERE),
)


# -- exploding ------------------------------------------------------------------------------------

p_vec = Named("p", n, 1, r"\mathbf{p}")
_left = (Condition(MatMul(Transpose(p_vec), W_h), "=", MatMul(lam_s, Transpose(p_vec))),)


def _left_exact(*, big_only=False):
    def instances():
        for W in (W_BIG, M([[2, 1, 0], [0, sp.Rational(1, 2), 1], [0, 0, sp.Rational(1, 3)]])):
            for val, mult, vecs in W.T.eigenvects():
                if big_only and not abs(val) > 1:
                    continue
                for vec in vecs:
                    yield Model(
                        {W_h: W, p_vec: M(vec), lam_s: val, n: W.rows},
                        free=(ell,),
                        label=f"W_h = {W.tolist()}, λ = {val}",
                    )
            # excluded by the hypothesis: a vector that is not a left eigenvector, and the
            # left eigenvector of a small eigenvalue paired with a large λ
            yield Model({W_h: W, p_vec: M([1] * W.rows), lam_s: 2, n: W.rows}, free=(ell,))
            small = [v for val, _, vs in W.T.eigenvects() if abs(val) < 1 for v in vs]
            yield Model({W_h: W, p_vec: M(small[0]), lam_s: 2, n: W.rows}, free=(ell,))

    return instances


def _left_float(lag=None):
    def sample(rng, trial=0):
        size = 3
        lam_ = np.array([1.5, 0.3, -0.4])
        Qm = orthogonal((size, size), rng) @ np.diag([1.0, 1.5, 0.7])  # well conditioned
        W = Qm @ np.diag(lam_) @ np.linalg.inv(Qm)
        pick = 0 if trial % 2 == 0 else int(rng.integers(1, 5))  # λ = 1.5 every other trial
        if pick < size:
            pv, lv = np.linalg.inv(Qm)[pick].reshape(-1, 1), lam_[pick]
        elif pick == size:  # not an eigenvector: the hypothesis excludes it
            pv, lv = rng.normal(size=(size, 1)), 1.5
        else:  # the left eigenvector of 0.3 claimed for λ = 1.5: excluded too
            pv, lv = np.linalg.inv(Qm)[1].reshape(-1, 1), 1.5
        values = {W_h: W, p_vec: pv, lam_s: lv, n: size}
        values[ell] = int(rng.integers(1, 9)) if lag is None else lag  # λ^ℓ ≫ round-off
        return Model(values, label="random W_h with eigenvalues 1.5, 0.3, −0.4")

    return sample


T_sym = sp.Symbol("T", integer=True, positive=True)


def _overflow(rng, trial=0):
    """W_h = 2Q over 1040 steps; ∂J⁽ᵀ⁾/∂h⁽ᵀ⁾ = c of norm 1 to 3, or (every other trial)
    of norm 10⁻³, whose gradient 2¹⁰³⁰·10⁻³ ≈ 10³⁰⁷ is finite: excluded."""
    T_ = 1040
    model = numpy_unrolled(LINEAR, rng, T_, 3, 2)
    model.values[Named("Q", n, n, r"\mathbf{Q}")] = orthogonal((3, 3), rng)
    model.values[T_sym] = T_
    model.values[ell] = 1030
    c = rng.normal(size=(3, 1))
    size = 1e-3 if trial % 2 else rng.uniform(1.0, 3.0)
    model.values[seq_key("c_loss", 0)] = c * (size / np.linalg.norm(c))
    return model


explode = Claim(
    id="explode",
    title=r"An eigenvalue with $|\lambda| > 1$: the gradient explodes",
    statement=(
        r"An eigenvalue with $|\lambda| > 1$ makes the gradient grow without bound along "
        "its eigenvector; in floating point exploding gradients give Inf/NaN."
    ),
    assumptions=(
        (
            r"$\mathbf{p}^{\top} \mathbf{W}_h = \lambda \mathbf{p}^{\top}$ ($\mathbf{p}$ a "
            r"left eigenvector of $\mathbf{W}_h$), $\mathbf{p} \neq \mathbf{0}$"
        ),
    ),
    steps=(
        Step(
            MatMul(Transpose(p_vec), MatPow(W_h, ell)),
            "=",
            MatMul(lam_s**ell, Transpose(p_vec)),
            (
                r"$\mathbf{p}^{\top} \mathbf{W}_h = \lambda \mathbf{p}^{\top}$, applied $\ell$ "
                "times"
            ),
            hypotheses=_left,
            checks=(
                Exact(
                    _left_exact(),
                    r"symbolic $\ell$, exact $\mathbf{W}_h$ and its left eigenvectors",
                    prepare=combine_powers,
                ),
                Sampled(_left_float(), r"random $\mathbf{W}_h$, $\ell \leq 8$", trials=6, tol=1e-9),
            ),
        ),
        Step(
            Norm(MatMul(Transpose(p_vec), MatPow(W_h, ell))),
            "→",
            sp.oo,
            r"$|\lambda| > 1$",
            limit=(ell, sp.oo),
            hypotheses=(*_left, Condition(sp.Abs(lam_s), ">", 1)),
            checks=(
                Exact(_left_exact(), r"limit in $\ell$, exact $\mathbf{W}_h$"),
                Sampled(
                    _left_float(200), r"random $\mathbf{W}_h$ at $\ell = 200$", trials=6, tol=0.0
                ),
            ),
        ),
        Step(
            FloatRound(Norm(Partial(J(T_sym), h(T_sym - ell)))),
            "∉",
            sp.S.Reals,
            (
                r"exactly, the norm is $2^{\ell} \lVert \partial J^{(T)}/\partial "
                r"\mathbf{h}^{(T)} \rVert \geq 2^{1025}$, twice beyond float64's largest "
                "number: an evaluation accurate to a factor 2 overflows (Inf, then NaN)"
            ),
            where=((W_h, MatMul(2, Named("Q", n, n, r"\mathbf{Q}"))), (T_sym, 1040), (ell, 1030)),
            hypotheses=(
                Condition(
                    MatMul(
                        Transpose(Named("Q", n, n, r"\mathbf{Q}")), Named("Q", n, n, r"\mathbf{Q}")
                    ),
                    "=",
                    I_(n),
                ),
                Condition(Norm(Partial(J(T_sym), h(T_sym))), "≥", sp.Rational(1, 32)),
            ),
            checks=(
                Sampled(
                    _overflow,
                    (
                        r"the NumPy linear RNN's backward pass, $\mathbf{W}_h = 2\mathbf{Q}$; "
                        r"$\lVert \partial J^{(T)}/\partial \mathbf{h}^{(T)} \rVert = 10^{-3}$ "
                        "(a finite gradient) excluded"
                    ),
                    trials=2,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("001", "002", "bengio1994", "pascanu2013"),
    section=SECTION,
    formula=1,
    cells=(LINEAR,),
)


# -- Pascanu's bound -------------------------------------------------------------------------------

gamma = NamedScalar("gamma", r"\gamma", positive=True)
GAMMA_DEFINITION = (gamma, Sup(sp.Abs(sp.Derivative(sigma(z_sym), z_sym)), z_sym))
smax = SingularValue(W_h)
t_sym = sp.Symbol("t", integer=True)
_prod = OrderedProduct(Partial(h(t_sym), h(t_sym - 1)), t_sym, j, i)
THREE_FIFTHS = sp.Rational(3, 5)
R34 = M([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])


def _bound_exact(*, scales=(THREE_FIFTHS, 1), extra_scales=(), unrolled=True, T_=3):
    """Tight rational instances: W_h = s R (R a rotation), zero inputs and initial state,
    b = 0 for tanh (z = 0, tanh'(0) = 1 = γ) — the bound holds with equality."""

    def instances():
        for s_ in (*scales, *extra_scales):
            values = {W_h: s_ * R34, b: M([0, 0]), sigma: sp.tanh, i: T_, j: 0}
            if unrolled:
                values.update({seq_key("x", t_): M([0, 0]) for t_ in range(1, T_ + 1)})
                values[seq_key("h", 0)] = M([0, 0])
                values[seq_key("c_loss", 0)] = M([1, 2])
                model = exact_unrolled(RNN["tanh"], T_, 2, 2, values=values)
            else:
                model = exact_cell(RNN["tanh"], 2, 2)
                model.values.update(values)
                model.values[RNN["tanh"].vectors["h_prev"]] = M([0, 0])
                model.values[RNN["tanh"].vectors["x"]] = M([0, 0])
            model.label = f"W_h = {s_}·rotation, zero inputs (tight)"
            yield model

    return instances


def _tight_W(rng, name, s1):
    """W_h with every singular value s1 (s1 · orthogonal) and b putting z = 0 at the fixed
    point: h = 0 for tanh, h = 1/2 for the sigmoid (σ(0) = 1/2)."""
    n_ = 4
    W = s1 * orthogonal((n_, n_), rng)
    h_star = 0.0 if name == "tanh" else 0.5
    bias = -W @ np.full((n_, 1), h_star)
    return W, bias, np.full((n_, 1), h_star)


def _one_step_float(rng, trial=0):
    name = ["tanh", "sigmoid"][trial % 2]
    model = float_cell(RNN[name], rng, 4, 2, scale=3.0)
    model.values[sigma] = float_sigma(name)
    if (trial // 2) % 2 == 0:  # the tight case: z = 0
        W, bias, h_star = _tight_W(rng, name, rng.uniform(0.5, 3.0))
        model.values.update(
            {
                W_h: W,
                b: bias,
                RNN[name].vectors["h_prev"]: h_star,
                RNN[name].vectors["x"]: np.zeros((2, 1)),
            }
        )
    model.label = f"σ = {name}"
    return model


def _span_float(*, sigma_max=None, over=None):
    """Products over 8 steps, half of them at the tight fixed point z = 0; σ_max(W_h) =
    ``sigma_max``/γ (default random in (0.5, 0.95)/γ); ``over`` adds instances above 1/γ."""

    def sample(rng, trial=0):
        name = ["tanh", "sigmoid"][trial % 2]
        gam = 1.0 if name == "tanh" else 0.25
        s1 = (sigma_max if sigma_max is not None else rng.uniform(0.5, 0.95)) / gam
        if over is not None and trial % 4 == 3:
            s1 = rng.uniform(*over) / gam
        T_ = 8
        tight = (trial // 2) % 2 == 0
        if tight:
            W, bias, h_star = _tight_W(rng, name, s1)
            values = {W_h: W, b: bias, seq_key("h", 0): h_star}
            values.update({seq_key("x", t_): np.zeros((2, 1)) for t_ in range(1, T_ + 1)})
        else:
            W = s1 * orthogonal((4, 4), rng) @ np.diag(rng.uniform(0.3, 1.0, 4))
            W *= s1 / np.linalg.norm(W, 2)
            values = {W_h: W}
        model = numpy_unrolled(RNN[name], rng, T_, 4, 2, values=values)
        model.values[sigma] = float_sigma(name)
        model.values[i], model.values[j] = T_, int(rng.integers(0, T_))
        model.label = f"σ = {name}, σ_max(W_h) = {s1:.3g}" + (" (tight)" if tight else "")
        return model

    return sample


def _limit_exact():
    for s_ in (sp.Rational(3, 5), sp.Rational(9, 10), sp.Rational(3, 2)):
        for name, W_ in (("tanh", s_ * R34), ("sigmoid", 4 * s_ * R34)):
            yield Model(
                {W_h: W_, sigma: EXACT_SIGMA[name], n: 2},
                free=(ell,),
                label=f"σ = {name}, W_h = {W_.tolist()}",
            )


def _limit_float(rng, trial=0):
    name = ["tanh", "sigmoid"][trial % 2]
    gam = 1.0 if name == "tanh" else 0.25
    s1 = (rng.uniform(0.3, 0.95) if trial % 3 != 2 else rng.uniform(1.05, 2.0)) / gam
    W = s1 * orthogonal((3, 3), rng)
    return Model({W_h: W, sigma: float_sigma(name), ell: 2000, n: 3}, label=f"σ = {name}")


_witness_W = M([[sp.Rational(1, 2), 6], [0, sp.Rational(1, 2)]])
_witness_where = (
    (W_h, _witness_W),
    (b, ZeroMatrix(n, 1)),
    (h(0), ZeroMatrix(n, 1)),
    (x(1), ZeroMatrix(sp.Symbol("d", integer=True, positive=True), 1)),
    (x(2), ZeroMatrix(sp.Symbol("d", integer=True, positive=True), 1)),
)


def _witness_exact():
    model = exact_unrolled(RNN["tanh"], 2, 2, 2)
    model.values[sigma] = sp.tanh
    yield model


def _witness_float(rng):
    model = numpy_unrolled(RNN["tanh"], rng, 2, 2, 2)
    model.values[sigma] = float_sigma("tanh")
    return model


nonlinear_bound = Claim(
    id="nonlinear-bound",
    title=r"A nonlinear $\phi$: Pascanu's bound with a derived $\gamma$",
    statement=(
        r"With $\|\operatorname{diag}(\phi'(\mathbf{z}))\|_2 \leq \gamma = \sup "
        r"|\phi'|$ ($\gamma = 1$ for $\tanh$, $1/4$ for the sigmoid, both derived), "
        r"vanishing is guaranteed when the largest singular value of $\mathbf{W}_h$ is "
        r"below $1/\gamma$, and exploding needs it above $1/\gamma$ \cite{pascanu2013}."
    ),
    assumptions=(r"$s_{\max}(\mathbf{W}_h) < 1/\gamma$ for vanishing",),
    steps=(
        Step(
            Sup(sp.Abs(sp.Derivative(sp.tanh(z_sym), z_sym)), z_sym),
            "=",
            sp.S.One,
            r"$\tanh' = 1 - \tanh^2$, largest at $z = 0$",
            checks=(
                Exact(_plain(), r"the critical points of $\tanh'$ and its limits, derived"),
                Sampled(_plain_float({}), "a grid of $z$", trials=1, tol=1e-9),
            ),
        ),
        Step(
            Sup(sp.Abs(sp.Derivative(sigmoid(z_sym), z_sym)), z_sym),
            "=",
            sp.Rational(1, 4),
            r"$\sigma' = \sigma(1 - \sigma)$, largest at $z = 0$",
            checks=(
                Exact(
                    _plain(),
                    r"the critical points of $\sigma'(z) = e^{-z}/(1 + e^{-z})^2$ and its limits",
                ),
                Sampled(_plain_float({}), "a grid of $z$", trials=1, tol=1e-9),
            ),
        ),
        Step(
            Norm(Partial(RNN["tanh"].vectors["h"], RNN["tanh"].vectors["h_prev"]), 2),
            "≤",
            gamma * smax,
            (
                r"$\|\operatorname{diag}(\phi')\|_2 = \max |\phi'| \leq \gamma$, "
                "submultiplicativity"
            ),
            checks=(
                Exact(
                    _bound_exact(unrolled=False),
                    r"rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$), $\mathbf{z} = \mathbf{0}$ (equality)",
                ),
                Sampled(
                    _one_step_float,
                    (
                        r"NumPy state Jacobians, $\tanh$ and the sigmoid, half of them at $\mathbf{z} = "
                        r"\mathbf{0}$ (equality)"
                    ),
                    trials=8,
                    tol=1e-9,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            Norm(_prod, 2),
            "≤",
            (gamma * smax) ** ell,
            r"submultiplicativity over $\ell = i - j$ factors",
            checks=(
                Exact(
                    _bound_exact(),
                    r"rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$), $\mathbf{z} = \mathbf{0}$ (equality)",
                ),
                Sampled(
                    _span_float(),
                    (
                        r"products of NumPy state Jacobians, half of them at $\mathbf{z} = \mathbf{0}$ "
                        "(equality)"
                    ),
                    trials=8,
                    tol=1e-9,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            (gamma * smax) ** ell,
            "→",
            sp.S.Zero,
            r"$\gamma\, s_{\max}(\mathbf{W}_h) < 1$",
            limit=(ell, sp.oo),
            hypotheses=(Condition(smax, "<", 1 / gamma),),
            checks=(
                Exact(
                    _limit_exact,
                    r"the limit in $\ell$, rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$) for $\tanh$ and the sigmoid",
                ),
                Sampled(_limit_float, r"$\ell = 2000$", trials=8, tol=1e-12, scale="absolute"),
            ),
        ),
        Step(
            Norm(_prod, 2),
            "≤",
            sp.S.One,
            (
                r"$s_{\max}(\mathbf{W}_h) \leq 1/\gamma$: no explosion, so exploding needs "
                r"$s_{\max}(\mathbf{W}_h) > 1/\gamma$"
            ),
            hypotheses=(Condition(smax, "≤", 1 / gamma),),
            checks=(
                Exact(
                    _bound_exact(scales=(sp.Rational(3, 5), 1), extra_scales=(sp.Rational(3, 2),)),
                    (
                        r"rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$), $\mathbf{z} = \mathbf{0}$ (equality at "
                        r"$s_{\max}(\mathbf{W}_h) = 1/\gamma$)"
                    ),
                ),
                Sampled(
                    _span_float(sigma_max=1.0, over=(1.05, 1.5)),
                    (
                        r"$s_{\max}(\mathbf{W}_h) = 1/\gamma$ exactly, half of them at $\mathbf{z} = "
                        r"\mathbf{0}$ (equality)"
                    ),
                    trials=8,
                    tol=1e-9,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            SpectralRadius(W_h),
            "<",
            1 / gamma,
            r"a non-normal $\mathbf{W}_h$",
            where=((W_h, _witness_W),),
            checks=(
                Exact(lambda: [Model({sigma: sp.tanh})], r"exact eigenvalues, $\phi = \tanh$"),
                Sampled(
                    _plain_float({sigma: float_sigma("tanh")}),
                    r"$\phi = \tanh$",
                    trials=1,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            Norm(Partial(h(2), h(0)), 2),
            ">",
            sp.S.One,
            (
                r"the bound is on $s_{\max}(\mathbf{W}_h)$, not on the eigenvalues ($\phi "
                r"= \tanh$)"
            ),
            where=_witness_where,
            checks=(
                Exact(
                    _witness_exact,
                    (
                        r"exact: $\partial \mathbf{h}^{(2)}/\partial \mathbf{h}^{(0)} = \mathbf{W}_h^2$ "
                        r"at $\mathbf{z} = \mathbf{0}$"
                    ),
                ),
                Sampled(_witness_float, "the NumPy RNN", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("001", "pascanu2013"),
    section=SECTION,
    caveat=(
        r"\cite{001} says that the nonlinear proof ``requires $\lambda_i < \gamma$ for some "
        r"$\gamma$ dependent on dimensionality and $\sigma$'' (its $\sigma$ is our $\phi$). "
        r"As \cite{pascanu2013} prove it, the condition is on the largest singular value, "
        r"$s_{\max}(\mathbf{W}_h) < 1/\gamma$ with $\gamma = \sup |\phi'|$ (1 for "
        r"$\tanh$, $1/4$ for the sigmoid), independent of the dimension, and it is "
        r"sufficient for vanishing; $s_{\max}(\mathbf{W}_h) > 1/\gamma$ is necessary "
        r"(not sufficient) for exploding. Eigenvalues below $1/\gamma$ do not suffice: a "
        r"non-normal $\mathbf{W}_h$ with $\rho(\mathbf{W}_h) = 1/2$ can still amplify."
    ),
    formula=4,
    cells=(RNN["tanh"], RNN["sigmoid"]),
    definitions=(GAMMA_DEFINITION, (ell, i - j)),
)


# -- sequential recency ------------------------------------------------------------------------------


def _recency_float(rng, trial=0):
    return _span_float()(rng, trial)


def _decrease_exact():
    for s_ in (sp.Rational(3, 5), sp.Rational(9, 10), sp.Rational(3, 2)):
        for name, W_ in (("tanh", s_ * R34), ("sigmoid", 4 * s_ * R34)):
            yield Model({W_h: W_, sigma: EXACT_SIGMA[name], n: 2}, free=(ell,), label=f"σ = {name}")


def _decrease_float(rng, trial=0):
    """Random W_h = s·Q, s in (0.2, 1.5); every fourth trial W_h = 0 (γσ_max = 0, where
    both sides are 0: excluded)."""
    scale_ = 0.0 if trial % 4 == 3 else rng.uniform(0.2, 1.5)
    return Model(
        {
            W_h: scale_ * orthogonal((3, 3), rng),
            sigma: float_sigma("tanh"),
            ell: int(rng.integers(1, 40)),
            n: 3,
        }
    )


def _far_exact():
    """The linear RNN, Q a rational rotation (j < i); excluded: Q/2 (not orthogonal),
    j > i, and a loss that does not depend on h⁽ⁱ⁾ (c = 0)."""
    values = {seq_key("h", 0): M([0, 0])}
    for Qm, i_, j_, c_ in (
        (R34, 3, 1, M([1, 2])),
        (R34 / 2, 3, 1, M([1, 2])),
        (R34, 1, 3, M([1, 2])),
        (R34, 3, 1, M([0, 0])),
    ):
        extra = {Q: Qm, i: i_, j: j_, seq_key("c_loss", 0): c_}
        yield exact_unrolled(LINEAR, 3, 2, 2, values={**values, **extra})


def _far_float(rng, trial=0):
    model = numpy_unrolled(LINEAR, rng, 15, 3, 2)
    Qm = orthogonal((3, 3), rng)
    kind = trial % 5
    model.values[Q] = Qm / 2 if kind == 2 else Qm  # not orthogonal: excluded
    model.values[i], model.values[j] = (1, 15) if kind == 3 else (15, 1)  # j > i: excluded
    if kind == 4:  # ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ = 0: excluded
        model.values[seq_key("c_loss", 0)] = np.zeros((3, 1))
    return model


sequential_recency = Claim(
    id="sequential-recency",
    title="Far gradient signal is smaller than near",
    statement=(
        "Gradient from far away is much smaller than from close by, so the updates follow "
        "near effects (sequential rather than syntactic recency)."
    ),
    assumptions=(r"$s_{\max}(\mathbf{W}_h) < 1/\gamma$ (the vanishing regime)",),
    steps=(
        Step(
            Norm(Partial(J(i), h(j))),
            "≤",
            Norm(Partial(J(i), h(i))) * (gamma * smax) ** ell,
            (
                r"the chain rule, each of the $\ell$ factors of norm at most "
                r"$\gamma\, s_{\max}(\mathbf{W}_h)$ \cite{pascanu2013}"
            ),
            checks=(
                Exact(
                    _bound_exact(),
                    r"rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$), $\mathbf{z} = \mathbf{0}$ (equality)",
                ),
                Sampled(
                    _recency_float,
                    (
                        r"the adjoints of the NumPy RNN, half of them at $\mathbf{z} = \mathbf{0}$ "
                        "(equality)"
                    ),
                    trials=8,
                    tol=1e-9,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            (gamma * smax) ** (ell + 1),
            "<",
            (gamma * smax) ** ell,
            (
                r"$0 < \gamma\, s_{\max}(\mathbf{W}_h) < 1$: the bound decreases geometrically "
                r"in $\ell$"
            ),
            hypotheses=(Condition(gamma * smax, ">", 0), Condition(gamma * smax, "<", 1)),
            checks=(
                Exact(
                    _decrease_exact,
                    r"symbolic $\ell$, rational $2 \times 2$ $\mathbf{W}_h$ ($n = 2$) for $\tanh$ and the sigmoid",
                ),
                Sampled(
                    _decrease_float,
                    r"random $\mathbf{W}_h$, $\ell < 40$ ($\mathbf{W}_h = \mathbf{0}$ excluded)",
                    trials=8,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            Norm(Partial(J(i), h(j))),
            ">",
            Norm(Partial(J(i), h(i))),
            (
                r"the linear RNN ($\phi = \operatorname{id}$, its equations above): $\partial "
                r"J^{(i)}/\partial "
                r"\mathbf{h}^{(j)} = \partial J^{(i)}/\partial \mathbf{h}^{(i)} (\frac{3}{2} "
                r"\mathbf{Q})^{\ell}$, of norm $(\frac{3}{2})^{\ell}$ times the near one: "
                "without the condition the far gradient can be the larger"
            ),
            where=((W_h, MatMul(sp.Rational(3, 2), Q)),),
            hypotheses=(
                Condition(MatMul(Transpose(Q), Q), "=", I_(n)),
                Condition(j, "<", i),
                Condition(Norm(Partial(J(i), h(i))), ">", 0),
            ),
            checks=(
                Exact(_far_exact, r"the linear RNN, $\mathbf{Q}$ a rational rotation, $\ell = 2$"),
                Sampled(
                    _far_float,
                    r"the NumPy linear RNN, Haar-orthogonal $\mathbf{Q}$, $\ell = 14$",
                    trials=8,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("001", "000", "pascanu2013", "linzen2016"),
    section=SECTION,
    caveat=(
        r"\cite{001} states it qualitatively. What is shown: in the vanishing "
        r"regime, $s_{\max}(\mathbf{W}_h) < 1/\gamma$, the contribution from $\ell$ "
        r"steps back is bounded by a bound that decays geometrically in $\ell$; outside "
        "it, far contributions can be the larger. The linguistic consequence "
        r"\cite{linzen2016} is measured, not proved, in the claim that follows."
    ),
    cells=(RNN["tanh"], LINEAR),
    definitions=(GAMMA_DEFINITION, (ell, i - j)),
)

CLAIMS = (rnn_jacobian, linear_case, eigen_vanish, explode, nonlinear_bound, sequential_recency)
