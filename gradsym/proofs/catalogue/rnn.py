"""The vanilla RNN (notes 001): its Jacobian, the linear case, the eigenvalue argument, the
exploding case, Pascanu's bound with derived γ, and sequential recency.

h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b),  ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(σ'(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b)) W_h.
Gradients are rows here (numerator layout): gᵀ W_hˡ, with g = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import MatAdd, MatMul, MatPow

from gradsym.numeric.optim.initialisers import orthogonal, set_spectral_norm
from gradsym.symbolic import (
    cell,
    eigen_power,
    gamma,
    jordan_power,
    jordan_vanishes,
    power_limit,
    rnn_index_form,
)
from gradsym.symbolic.spectral import ell

from ..checks import Counterexample, Generic, Identity, Numeric, combine_powers
from ..claim import Claim, Step
from ..notation import matrix, partial, scalar
from ..notation import n as n_
from .bptt import general_chain_rule_checks
from .common import Apply, Diag, S, entries, jacobian_step, numeric_rnn, step_jacobians

SECTION = "Vanilla RNN"
ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
GAMMA_LATEX = r"\gamma"


def rnn_form(activation: str):
    """diag(σ'(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b)) W_h, as the slide writes it."""

    def form(cell):
        W_h, W_x, b, h_prev, x = S(cell, "W_h", "W_x", "b", "h_prev", "x")
        return MatMul(Diag(Apply(f"{activation}'", MatAdd(W_h * h_prev, W_x * x, b))), W_h)

    return form


def rnn_x_form(cell):
    W_h, W_x, b, h_prev, x = S(cell, "W_h", "W_x", "b", "h_prev", "x")
    return MatMul(Diag(Apply("tanh'", MatAdd(W_h * h_prev, W_x * x, b))), W_x)


def _index_forms():
    out = {a: rnn_index_form(a)[2] for a in ACTIVATIONS}
    return all(out.values()), ", ".join(f"{a}: {'✓' if v else '✗'}" for a, v in out.items())


rnn_jacobian = Claim(
    id="rnn-jacobian",
    title="The vanilla RNN's Jacobian",
    statement=(
        "h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b) has ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = "
        "diag(σ'(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b)) W_h for σ ∈ {tanh, sigmoid, ReLU, identity}."
    ),
    assumptions=("σ acts elementwise", "ReLU: z ≠ 0 in every unit (ReLU' is undefined at 0)"),
    steps=tuple(
        jacobian_step("rnn", a, "h", "h_prev", rnn_form(a), f"chain rule, σ = {a}")
        for a in ACTIVATIONS
    )
    + (
        Step(
            scalar("∂h_i/∂h_j^{(t-1)}", r"\frac{\partial h_i^{(t)}}{\partial h_j^{(t-1)}}"),
            scalar("σ'(z_i) [W_h]_ij", r"\sigma'(z_i)\,[\mathbf{W}_h]_{ij}"),
            "=",
            "chain rule, index notation, every n",
            symbolic=Generic(_index_forms, method="index notation for every n, each σ"),
        ),
        jacobian_step("rnn", "tanh", "h", "x", rnn_x_form, "chain rule"),
    ),
    sources=("001",),
    section=SECTION,
    formula=(partial("h", "t", "h", "t-1"), "=", rnn_form("sigmoid")(cell("rnn", "sigmoid"))),
)


# -- the linear case ------------------------------------------------------------------------------


def _linear_power_pair(lag: int = 3, n: int = 2):
    """σ = id: (∂J⁽ⁱ⁾/∂h⁽ʲ⁾)ᵀ of J = cᵀh⁽ⁱ⁾ equals cᵀ W_hˡ, ℓ = 3, n = 2."""

    def pair():
        W, U, b, c = entries("W_h", n, n), entries("W_x", n, n), entries("b", n), entries("c", n)
        h = entries("hj", n)
        v = h
        for t in range(lag):
            v = W * v + U * entries(f"x{t}", n) + b
        return sp.Matrix([(c.T * v)[0]]).jacobian(h), c.T * W**lag

    return pair


def _linear_sample(rng):
    T, n, d = 7, 3, 2
    cell = numeric_rnn(rng, n, d, activation="identity")
    xs, h0 = rng.normal(size=(T, 1, d)), rng.normal(size=(1, n))
    c = rng.normal(size=n)
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = c
    adj = cell.backward(cell.forward(xs, (h0,)), dh).adjoints["h"][:, 0]
    lag = int(rng.integers(0, T))
    W = cell.params["W_h"]
    return adj[T - 1 - lag], c @ np.linalg.matrix_power(W, lag), {"lag": lag}


def _identity_jac_sample(rng):
    cell = numeric_rnn(rng, 3, 2, activation="identity")
    J, _ = cell.state_jacobian(rng.normal(size=(1, 2)), (rng.normal(size=(1, 3)),))
    return J[0], cell.params["W_h"]


_gi = partial("J", "i", "h", "i", rows=1)
_gj = partial("J", "i", "h", "j", rows=1)
_W = None


def _Wh():
    from gradsym.symbolic import cell

    return S(cell("rnn", "identity"), "W_h")


_prod = matrix(
    "∏_{j<t≤i} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾",
    r"\prod_{j < t \leq i} \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}",
)
_prod_W = matrix("∏_{j<t≤i} W_h", r"\prod_{j < t \leq i} \mathbf{W}_h")
_lag = sp.Symbol("ell", integer=True, positive=True)

linear_case = Claim(
    id="linear-case",
    title="The linear case: the gradient is multiplied by W_hˡ",
    statement=(
        "With σ the identity, ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = I W_h = W_h, and with ℓ = i − j, "
        "∂J⁽ⁱ⁾/∂h⁽ʲ⁾ = ∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ W_hˡ."
    ),
    assumptions=("σ(x) = x",),
    steps=(
        jacobian_step("rnn", "identity", "h", "h_prev", rnn_form("identity"), "chain rule"),
        Step(
            partial("h", "t", "h", "t-1"),
            _Wh(),
            "=",
            "σ is the identity",
            symbolic=Identity(
                lambda: (
                    __import__("gradsym.symbolic", fromlist=["jacobian"])
                    .jacobian("rnn", variant="identity")
                    .explicit(3),
                    entries("W_h", 3, 3),
                ),
                method="explicit Jacobian = W_h at n = 3",
            ),
            numeric=Numeric(_identity_jac_sample, method="NumPy identity RNN's Jacobian = W_h"),
        ),
        Step(_gj, MatMul(_gi, _prod), "=", "chain rule", **general_chain_rule_checks("rnn")),
        Step(
            _gj,
            MatMul(_gi, MatPow(_Wh(), _lag)),
            "=",
            "value of ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾",
            symbolic=Identity(_linear_power_pair(), method="ℓ = 3, n = 2"),
            numeric=Numeric(_linear_sample, method="NumPy backward pass against c W_hˡ"),
        ),
    ),
    sources=("001",),
    section=SECTION,
    formula=(_gj, "=", MatMul(_gi, MatPow(_Wh(), _lag))),
)


# -- the eigenvalue argument -------------------------------------------------------------------

_W0 = sp.Matrix([[sp.Rational(7, 10), sp.Rational(1, 5)], [sp.Rational(1, 10), sp.Rational(4, 5)]])
NONNORMAL = ((0.9, 10.0), (0.0, 0.9))


def _diagonalize_pair():
    ep = eigen_power(_W0)
    return ep.Q * ep.Lambda * ep.Q.inv(), _W0


def _eigen_sum_pair():
    """gᵀ W^ℓ = Σ cᵢ λᵢˡ pᵢᵀ, pᵢᵀ the rows of Q⁻¹ (left eigenvectors), c = gᵀQ; symbolic ℓ."""
    ep = eigen_power(_W0)
    g = sp.Matrix([[sp.Symbol("g1", real=True), sp.Symbol("g2", real=True)]])
    c, Qi = g * ep.Q, ep.Q.inv()
    rhs = sp.zeros(1, 2)
    for i in range(2):
        rhs += c[i] * ep.Lambda[i, i] ** ell * Qi[i, :]
    return g * ep.power, rhs


def _random_diagonalizable(rng, n=4, radius=0.95):
    lam = rng.uniform(-radius, radius, n)
    Q = rng.normal(size=(n, n))
    return Q @ np.diag(lam) @ np.linalg.inv(Q), lam


def _eigen_sum_sample(rng):
    W, _ = _random_diagonalizable(rng)
    g = rng.normal(size=W.shape[0])
    lag = int(rng.integers(1, 30))
    lam, Q = np.linalg.eig(W)
    P = np.linalg.inv(Q)  # rows: left eigenvectors pᵢᵀ
    c = g @ Q
    rhs = sum(c[i] * lam[i] ** lag * P[i] for i in range(len(lam)))
    return g @ np.linalg.matrix_power(W, lag), np.real(rhs), {"W": W, "g": g, "lag": lag}


def _vanish_limits():
    s = sp.Symbol("s", positive=True)
    lims = [
        power_limit(lam)
        for lam in (sp.Rational(9, 10), sp.Rational(-3, 5), 1 / (1 + s), -1 / (1 + s))
    ]
    return all(v == 0 for v in lims), f"lim |λ|^ℓ = {lims} for λ = 9/10, −3/5, ±1/(1+s)"


def _vanish_sample(rng):
    W, _ = _random_diagonalizable(rng, radius=0.9)
    g = rng.normal(size=W.shape[0])
    v = g @ np.linalg.matrix_power(W, 600)
    return np.linalg.norm(v) / np.linalg.norm(g), 0.0, {"W": W, "lag": 600}


def _jordan_fact():
    lam = sp.Symbol("lambda")
    P = jordan_power(lam, 2)
    expected = sp.Matrix([[lam**ell, ell * lam ** (ell - 1)], [0, lam**ell]])
    form = all(sp.expand(a - b) == 0 for a, b in zip(P, expected))
    s = sp.Symbol("s", positive=True)
    vanish = jordan_vanishes(1 / (1 + s)) and jordan_vanishes(sp.Rational(9, 10))
    return form and vanish, "J^ℓ = [[λ^ℓ, ℓλ^(ℓ−1)], [0, λ^ℓ]] and every entry → 0 for |λ| < 1"


def _jordan_sample(rng):
    lam = rng.uniform(-0.95, 0.95)
    Jb = np.array([[lam, 1.0, 0.0], [0.0, lam, 1.0], [0.0, 0.0, lam]])
    Q = rng.normal(size=(3, 3))
    W = Q @ Jb @ np.linalg.inv(Q)  # not diagonalizable, spectral radius |λ| < 1
    return np.linalg.norm(np.linalg.matrix_power(W, 2000), 2), 0.0, {"lambda": lam}


def _modulus_fact():
    lim = power_limit(sp.Rational(-11, 10))
    return lim == sp.oo, f"λ = −11/10 < 1 but lim |λ|^ℓ = {lim}"


def _modulus_search(rng):
    n = 3
    lam = np.array([-rng.uniform(1.05, 1.5), *rng.uniform(-0.5, 0.5, n - 1)])
    Q = rng.normal(size=(n, n))
    W = Q @ np.diag(lam) @ np.linalg.inv(Q)
    g = rng.normal(size=n)
    norm = np.linalg.norm(g @ np.linalg.matrix_power(W, 100))
    if np.all(lam < 1) and norm > 1e3 * np.linalg.norm(g):
        return {"eigenvalues": lam, "norm_at_100": norm, "W": W}
    return None


def nonnormal_peak(W=NONNORMAL, max_lag: int = 200) -> tuple[int, float, float]:
    """(ℓ of the largest ‖Wˡ‖₂, that norm, ρ(W)) for ℓ = 1 … max_lag, in float64."""
    W = np.asarray(W, dtype=float)
    norms = [np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(1, max_lag + 1)]
    k = int(np.argmax(norms))
    return k + 1, float(norms[k]), float(np.max(np.abs(np.linalg.eigvals(W))))


def nonnormal_exact() -> tuple[int, sp.Expr]:
    """The peak of ‖Wˡ‖₂ for W = [[9/10, 10], [0, 9/10]], exactly.

    Wˡ = [[aˡ, bℓ], [0, aˡ]] with a = 9/10 and b_ℓ = 10 ℓ a^(ℓ−1); its largest singular value
    is (√(b_ℓ² + 4a^(2ℓ)) + b_ℓ)/2. b_(ℓ+1)/b_ℓ = 9(ℓ+1)/(10ℓ) ≥ 1 exactly for ℓ ≤ 9, so b
    rises to ℓ = 9, b_10 = b_9, then falls; of ℓ = 9 and 10 the larger aˡ wins: ℓ = 9.
    """
    a = sp.Rational(9, 10)
    P = sp.Matrix([[a, 10], [0, a]]) ** ell
    b = P[0, 1]
    k = sp.Symbol("k", positive=True)
    ratio = sp.simplify(b.subs(ell, k + 1) / b.subs(ell, k))
    rising = sp.solve_univariate_inequality(ratio >= 1, k, relational=False)
    if rising != sp.Interval.Lopen(0, 9) or b.subs(ell, 9) != b.subs(ell, 10):
        raise ArithmeticError(f"unexpected: b ratio {ratio} ≥ 1 on {rising}")

    def norm(lag):
        bb, aa = b.subs(ell, lag), a**lag
        return (sp.sqrt(bb**2 + 4 * aa**2) + bb) / 2

    # the singular value formula, checked on the matrix itself at the peak
    M = P.subs(ell, 9)
    top = max((M.T * M).eigenvals(), key=lambda e: sp.N(e))
    if abs(sp.N(sp.sqrt(top) - norm(9), 40)) > 1e-30:
        raise ArithmeticError("singular value formula disagrees")
    if not sp.N(norm(9)) > sp.N(norm(10)):
        raise ArithmeticError("ℓ = 9 is not the peak")
    return 9, norm(9)


def _nonnormal_fact():
    lag, peak = nonnormal_exact()
    return lag == 9 and abs(
        float(peak) - 38.75
    ) < 0.01, f"peak at ℓ = {lag}, ‖W⁹‖₂ = {sp.N(peak, 8)}"


def _nonnormal_sample(rng):
    lag, peak, rho = nonnormal_peak()
    _, exact = nonnormal_exact()
    return np.array([lag, peak, rho]), np.array([9, float(exact), 0.9]), {"W": NONNORMAL}


_gW = MatMul(_gi, MatPow(_Wh(), _lag))
_eigsum = matrix("Σᵢ cᵢ λᵢˡ qᵢᵀ", r"\sum_{i=1}^{n} c_i \lambda_i^{\ell} \mathbf{q}_i^\top", 1, n_)
_zero = matrix("0", r"\mathbf{0}", 1, n_)
_Wl_norm = scalar("max_ℓ ‖W^ℓ‖₂", r"\max_{\ell} \lVert \mathbf{W}^{\ell} \rVert_2")

eigen_vanish = Claim(
    id="eigen-vanish",
    title="Eigenvalues inside the unit circle: the linear-case gradient vanishes",
    statement=(
        "If W_h is diagonalizable with eigenvalues |λ₁|, …, |λₙ| < 1, then "
        "∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ W_hˡ = Σ cᵢ λᵢˡ qᵢ → 0 as ℓ → ∞; in general (Jordan blocks) spectral "
        "radius < 1 is what matters: ℓ λ^(ℓ−1) terms still vanish."
    ),
    assumptions=("|λᵢ| < 1 for every eigenvalue (spectral radius ρ(W_h) < 1)",),
    steps=(
        Step(
            _Wh(),
            matrix("Q Λ Q⁻¹", r"\mathbf{Q} \boldsymbol{\Lambda} \mathbf{Q}^{-1}"),
            "=",
            "W_h diagonalizable (eigenvector basis)",
            symbolic=Identity(
                _diagonalize_pair, method="W = QΛQ⁻¹ for W = [[7/10, 1/5], [1/10, 4/5]]"
            ),
        ),
        Step(
            _gW,
            _eigsum,
            "=",
            "eigenvector basis",
            symbolic=Identity(
                _eigen_sum_pair,
                method="symbolic ℓ, W = [[7/10, 1/5], [1/10, 4/5]]",
                prepare=combine_powers,
            ),
            numeric=Numeric(
                _eigen_sum_sample,
                tol=1e-8,
                method="random diagonalizable W against its eigen-expansion",
            ),
        ),
        Step(
            _eigsum,
            _zero,
            "→",
            "|λᵢ| < 1 (ℓ → ∞)",
            symbolic=Generic(_vanish_limits, method="limits"),
            numeric=Numeric(
                _vanish_sample,
                "→",
                tol=1e-12,
                scale="absolute",
                method="‖gᵀWˡ‖/‖g‖ at ℓ = 600, ρ(W) ≤ 0.9",
            ),
        ),
        Step(
            matrix("J_λ^ℓ (Jordan block)", r"\mathbf{J}_\lambda^{\ell}"),
            _zero,
            "→",
            "Jordan blocks: ℓ λ^(ℓ−1) → 0 for |λ| < 1",
            symbolic=Generic(_jordan_fact, method="Jordan block power and its limit"),
            numeric=Numeric(
                _jordan_sample,
                "→",
                tol=1e-12,
                scale="absolute",
                method="non-diagonalizable W with ρ < 1 at ℓ = 2000",
            ),
        ),
        Step(
            sp.Abs(sp.Symbol("lambda")) ** _lag,
            sp.oo,
            "→",
            "λ < 1 is not enough: |λ| < 1 is needed",
            symbolic=Generic(_modulus_fact, method="λ = −11/10"),
            numeric=Counterexample(
                _modulus_search, method="eigenvalues all < 1 (one < −1): the gradient grows"
            ),
        ),
        Step(
            _Wl_norm,
            sp.Float(38.75, 4),
            "=",
            "non-normal W: ρ(W) < 1 gives only eventual decay",
            symbolic=Generic(
                _nonnormal_fact, method="exact peak of ‖Wˡ‖₂ for [[0.9, 10], [0, 0.9]]"
            ),
            numeric=Numeric(
                _nonnormal_sample,
                tol=1e-12,
                trials=1,
                method="float64 ‖Wˡ‖₂ over ℓ = 1…200: argmax, peak, ρ",
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    caveat=(
        "Three precisions. (1) The condition is |λᵢ| < 1, not λᵢ < 1: an eigenvalue −1.1 is "
        "below 1 and explodes. (2) A row vector gᵀW_hˡ expands in the *left* eigenvectors "
        "(eigenvectors of W_hᵀ); the notes' qᵢ are right eigenvectors, which is the same only "
        "for a normal (e.g. symmetric) W_h. (3) ρ(W_h) < 1 guarantees only eventual decay: for a "
        "non-normal W_h the norm can grow first — W = [[0.9, 10], [0, 0.9]] has spectral radius "
        "0.9, yet ‖Wˡ‖₂ rises to 38.75 at ℓ = 9 before it decays. Proved: Σ cᵢλᵢˡpᵢᵀ → 0 for "
        "|λᵢ| < 1, Jordan blocks likewise, and the transient exactly."
    ),
    formula=(_gW, "→", _zero),
)


# -- exploding ------------------------------------------------------------------------------------

_W1 = sp.Matrix([[sp.Rational(3, 2), sp.Rational(1, 2)], [0, sp.Rational(1, 2)]])


def _left_eigen_pair():
    """pᵀ W^ℓ = λ^ℓ pᵀ for the left eigenvector p of λ = 3/2 (W = [[3/2, 1/2], [0, 1/2]])."""
    ep = eigen_power(_W1)
    p = sp.Matrix([[1, sp.Rational(1, 2)]])  # pᵀW = (3/2) pᵀ
    return p * ep.power, sp.Rational(3, 2) ** ell * p


def _explode_limit():
    s = sp.Symbol("s", positive=True)
    lims = [power_limit(lam) for lam in (sp.Rational(3, 2), 1 + s, -(1 + s))]
    return all(v == sp.oo for v in lims), f"lim |λ|^ℓ = {lims}"


def _explode_sample(rng):
    n, T = 3, 12
    cell = numeric_rnn(rng, n, 2, activation="identity")
    lam = np.array([1.5, 0.3, -0.4])
    Q = rng.normal(size=(n, n))
    cell.params["W_h"][...] = Q @ np.diag(lam) @ np.linalg.inv(Q)
    p = np.linalg.inv(Q)[0]  # left eigenvector of λ = 1.5
    xs, h0 = rng.normal(size=(T, 1, 2)), rng.normal(size=(1, n))
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = p
    adj = cell.backward(cell.forward(xs, (h0,)), dh).adjoints["h"][0, 0]  # ℓ = T − 1
    return adj, 1.5 ** (T - 1) * p, {"lag": T - 1}


def _overflow_search(rng):
    n, T = 3, 1200
    cell = numeric_rnn(rng, n, 2, activation="identity")
    cell.params["W_h"][...] = 2.0 * orthogonal((n, n), rng)
    xs = rng.normal(size=(T, 1, 2))
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = rng.normal(size=n)
    with np.errstate(over="ignore", invalid="ignore"):
        adj = cell.backward(cell.forward(xs, (np.zeros((1, n)),)), dh).adjoints["h"][:, 0]
    bad = ~np.all(np.isfinite(adj), axis=1)
    if bad.any():
        first = int(T - 1 - np.nonzero(bad)[0].max())
        return {
            "first_nonfinite_lag": first,
            "has_inf": bool(np.isinf(adj).any()),
            "has_nan": bool(np.isnan(adj).any()),
        }
    return None


_p = matrix("pᵀ", r"\mathbf{p}^\top", 1, n_)
explode = Claim(
    id="explode",
    title="An eigenvalue with |λ| > 1: the gradient explodes",
    statement=(
        "An eigenvalue with |λ| > 1 makes the gradient grow without bound along its "
        "eigenvector; in floating point exploding gradients give Inf/NaN."
    ),
    assumptions=("W_hᵀ p = λ p with |λ| > 1 (p a left eigenvector of W_h)",),
    steps=(
        Step(
            MatMul(_p, MatPow(_Wh(), _lag)),
            MatMul(sp.Symbol("lambda") ** _lag, _p),
            "=",
            "eigenvector",
            symbolic=Identity(_left_eigen_pair, method="symbolic ℓ", prepare=combine_powers),
            numeric=Numeric(_explode_sample, method="NumPy backward pass along the eigenvector"),
        ),
        Step(
            sp.Abs(sp.Symbol("lambda")) ** _lag,
            sp.oo,
            "→",
            "|λ| > 1",
            symbolic=Generic(_explode_limit, method="limits"),
        ),
        Step(
            scalar(
                "‖∂J/∂h⁽ʲ⁾‖ in float64", r"\lVert \partial J / \partial \mathbf{h}^{(j)} \rVert"
            ),
            scalar("Inf/NaN", r"\text{Inf/NaN}"),
            "=",
            "overflow",
            numeric=Counterexample(
                _overflow_search,
                trials=3,
                method="linear RNN, W_h = 2Q, T = 1200: non-finite adjoints",
            ),
        ),
    ),
    sources=("001", "002"),
    section=SECTION,
    formula=(MatMul(_p, MatPow(_Wh(), _lag)), "=", MatMul(sp.Symbol("lambda") ** _lag, _p)),
)


# -- Pascanu's bound --------------------------------------------------------------------------------


def _gamma_tanh():
    g = gamma("tanh")
    return g.value == 1 and bool(g.certificate.is_nonnegative), (
        f"γ = max (1 − tanh²) = {g.value}, certificate 1 − tanh'(z) = {g.certificate} ≥ 0"
    )


def _gamma_sigmoid():
    g = gamma("sigmoid")
    s = sp.Symbol("s", real=True)
    cert_ok = sp.expand(g.certificate - (g.value - s * (1 - s))) == 0
    return g.value == sp.Rational(1, 4) and cert_ok, (
        f"γ = max σ(1 − σ) = {g.value}, certificate 1/4 − s(1 − s) = {g.certificate}"
    )


def _gamma_grid(name):
    def sample(rng):
        z = np.linspace(-12, 12, 24001)
        from gradsym.numeric.cells.activations import get_activation

        act = get_activation(name)
        prime = act.grad_from_output(act.apply(z))
        return np.array([prime.max()]), np.array([1.0 if name == "tanh" else 0.25])

    return sample


def _one_step_bound(rng):
    name = ["tanh", "sigmoid"][int(rng.integers(2))]
    gam = 1.0 if name == "tanh" else 0.25
    cell = numeric_rnn(rng, 4, 2, activation=name, scale=3.0)
    J, _ = cell.state_jacobian(rng.normal(size=(1, 2)), (rng.normal(size=(1, 4)),))
    return np.linalg.norm(J[0], 2), gam * np.linalg.norm(cell.params["W_h"], 2), {"sigma": name}


def _span_bound(rng, sigma_max=None):
    name = ["tanh", "sigmoid"][int(rng.integers(2))]
    gam = 1.0 if name == "tanh" else 0.25
    s1 = (0.9 if sigma_max is None else sigma_max) / gam
    cell = numeric_rnn(rng, 4, 2, activation=name)
    cell.params["W_h"][...] = set_spectral_norm(cell.params["W_h"], s1)
    T = 25
    xs = rng.normal(size=(T, 1, 2)) * 0.1
    trace = cell.forward(xs, (np.zeros((1, 4)),))
    Js = step_jacobians(cell, xs, trace)
    P, norms, bounds = np.eye(4), [], []
    for lag, J in enumerate(Js[::-1], start=1):
        P = P @ J
        norms.append(np.linalg.norm(P, 2))
        bounds.append((gam * s1) ** lag)
    return np.array(norms), np.array(bounds) * (1 + 1e-12), {"sigma": name, "sigma_max": s1}


def _bound_limit():
    s = sp.Symbol("s", positive=True)
    g = sp.Symbol("gamma", positive=True)
    smax = 1 / (g * (1 + s))  # any σ_max < 1/γ
    return power_limit(g * smax) == 0, "(γσ_max)^ℓ → 0 for σ_max = 1/(γ(1+s)) < 1/γ"


def _needs_more(rng):
    return _span_bound(rng, sigma_max=1.0)


def _transient_search(rng):
    # ρ(W_h) < 1/γ is not enough: non-normal W with ρ = 0.5 but σ_max ≫ 1 (tanh, γ = 1)
    cell = numeric_rnn(rng, 2, 2, activation="tanh")
    cell.params["W_h"][...] = [[0.5, rng.uniform(4, 8)], [0.0, 0.5]]
    cell.params["b"][...] = 0.0
    cell.params["W_x"][...] = 0.0
    xs = np.zeros((3, 1, 2))
    trace = cell.forward(xs, (np.zeros((1, 2)),))
    Js = step_jacobians(cell, xs, trace)
    norm = np.linalg.norm(Js[1] @ Js[0], 2)
    rho = np.max(np.abs(np.linalg.eigvals(cell.params["W_h"])))
    if rho < 1 and norm > 1:
        return {"W_h": cell.params["W_h"].copy(), "spectral_radius": rho, "norm_2_steps": norm}
    return None


_gamma = scalar("γ", GAMMA_LATEX, positive=True)
_smax = scalar("σ_max(W_h)", r"\sigma_{\max}(\mathbf{W}_h)", positive=True)
_jnorm = scalar(
    "‖∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾‖₂",
    r"\left\lVert \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} \right\rVert_2",
)
_pnorm = scalar(
    "‖∏ ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾‖₂",
    r"\left\lVert \prod_{j<t\leq i} \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} \right\rVert_2",
)
z = sp.Symbol("z", real=True)

nonlinear_bound = Claim(
    id="nonlinear-bound",
    title="Nonlinear σ: Pascanu's bound with a derived γ",
    statement=(
        "With ‖diag(σ'(z))‖ ≤ γ (γ = 1 for tanh, 1/4 for the sigmoid, derived), vanishing is "
        "guaranteed when the largest singular value of W_h is below 1/γ, and exploding needs "
        "it above 1/γ (Pascanu, Mikolov and Bengio 2013)."
    ),
    assumptions=("σ_max(W_h) < 1/γ for vanishing",),
    steps=(
        Step(
            scalar("γ_tanh", r"\gamma_{\tanh} = \sup_z \lvert \tanh'(z) \rvert"),
            sp.S.One,
            "=",
            "γ = sup |tanh'|, 1 − tanh'(z) = tanh²(z) ≥ 0",
            symbolic=Generic(_gamma_tanh, method="maximum with certificate"),
            numeric=Numeric(_gamma_grid("tanh"), tol=1e-12, trials=1, method="grid of z"),
        ),
        Step(
            scalar("γ_σ", r"\gamma_{\sigma} = \sup_z \sigma'(z)"),
            sp.Rational(1, 4),
            "=",
            "γ = sup σ', 1/4 − s(1 − s) = (s − 1/2)²",
            symbolic=Generic(_gamma_sigmoid, method="maximum with certificate"),
            numeric=Numeric(_gamma_grid("sigmoid"), tol=1e-12, trials=1, method="grid of z"),
        ),
        Step(
            _jnorm,
            _gamma * _smax,
            "≤",
            "‖diag(σ')‖₂ = max|σ'| ≤ γ, submultiplicativity",
            numeric=Numeric(
                _one_step_bound,
                "≤",
                tol=1e-12,
                trials=6,
                method="NumPy state Jacobians, tanh and sigmoid",
            ),
        ),
        Step(
            _pnorm,
            (_gamma * _smax) ** _lag,
            "≤",
            "submultiplicativity over ℓ factors",
            numeric=Numeric(
                _span_bound,
                "≤",
                tol=1e-12,
                trials=4,
                method="products of NumPy state Jacobians, σ_max = 0.9/γ",
            ),
        ),
        Step(
            (_gamma * _smax) ** _lag,
            sp.S.Zero,
            "→",
            "σ_max(W_h) < 1/γ",
            symbolic=Generic(_bound_limit, method="limit"),
        ),
        Step(
            _pnorm,
            sp.S.One,
            "≤",
            "σ_max(W_h) ≤ 1/γ: no explosion, so exploding needs σ_max > 1/γ",
            numeric=Numeric(
                _needs_more,
                "≤",
                tol=1e-12,
                trials=4,
                method="σ_max = 1/γ exactly: products never exceed 1",
            ),
        ),
        Step(
            _pnorm,
            sp.S.One,
            ">",
            "the bound is on σ_max, not on the eigenvalues",
            numeric=Counterexample(
                _transient_search, method="ρ(W_h) = 0.5 < 1/γ yet the 2-step product has norm > 1"
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    caveat=(
        "The notes say the nonlinear proof 'requires λᵢ < γ for some γ dependent on "
        "dimensionality and σ'. Precisely (Pascanu et al. 2013): the condition is on the "
        "largest singular value, σ_max(W_h) < 1/γ with γ = sup|σ'| (1 for tanh, 1/4 for the "
        "sigmoid) — independent of the dimension — and it is sufficient for vanishing; "
        "σ_max > 1/γ is necessary (not sufficient) for exploding. Eigenvalues below 1/γ do not "
        "suffice: a non-normal W_h with ρ = 0.5 can still amplify."
    ),
    formula=(_smax, "<", 1 / _gamma),
)


# -- sequential recency ------------------------------------------------------------------------------


def _recency_sample(rng):
    T, n = 20, 4
    cell = numeric_rnn(rng, n, 2)
    cell.params["W_h"][...] = set_spectral_norm(cell.params["W_h"], 0.8)
    xs, h0 = rng.normal(size=(T, 1, 2)), rng.normal(size=(1, n))
    c = rng.normal(size=n)
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = c
    adj = cell.backward(cell.forward(xs, (h0,)), dh).adjoints["h"][::-1, 0]  # lag 0, 1, …
    norms = np.linalg.norm(adj, axis=1)
    bound = np.linalg.norm(c) * 0.8 ** np.arange(T)
    return norms, bound * (1 + 1e-12), {"sigma_max": 0.8}


def _decreasing_fact():
    s = sp.Symbol("s", positive=True)
    q = 1 / (1 + s)  # γσ_max ∈ (0, 1)
    diff = sp.factor(q**ell - q ** (ell + 1))
    return bool(diff.is_positive), f"(γσ)^ℓ − (γσ)^(ℓ+1) = {diff} > 0"


def _far_bigger(rng):
    T, n = 15, 3
    cell = numeric_rnn(rng, n, 2, activation="identity")
    cell.params["W_h"][...] = 1.5 * orthogonal((n, n), rng)
    xs = rng.normal(size=(T, 1, 2))
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = rng.normal(size=n)
    adj = cell.backward(cell.forward(xs, (np.zeros((1, n)),)), dh).adjoints["h"][:, 0]
    near, far = np.linalg.norm(adj[-1]), np.linalg.norm(adj[0])
    if far > near:
        return {"near": near, "far": far, "W_h": "1.5 Q"}
    return None


_near = scalar(
    "‖∂J⁽ⁱ⁾/∂h⁽ʲ⁾‖", r"\left\lVert \frac{\partial J^{(i)}}{\partial \mathbf{h}^{(j)}} \right\rVert"
)
sequential_recency = Claim(
    id="sequential-recency",
    title="Far gradient signal is smaller than near",
    statement=(
        "Gradient from far away is much smaller than from close by, so the updates follow "
        "near effects (sequential rather than syntactic recency)."
    ),
    assumptions=("σ_max(W_h) < 1/γ (the vanishing regime)",),
    steps=(
        Step(
            _near,
            scalar(
                "‖∂J⁽ⁱ⁾/∂h⁽ⁱ⁾‖ (γσ_max)^ℓ",
                r"\left\lVert \frac{\partial J^{(i)}}{\partial \mathbf{h}^{(i)}} \right\rVert (\gamma \sigma_{\max})^{\ell}",
            ),
            "≤",
            "nonlinear-bound",
            numeric=Numeric(
                _recency_sample,
                "≤",
                tol=1e-12,
                method="adjoints of a tanh RNN with σ_max(W_h) = 0.8, every lag",
            ),
        ),
        Step(
            (_gamma * _smax) ** (_lag + 1),
            (_gamma * _smax) ** _lag,
            "<",
            "0 < γσ_max < 1: the bound decreases geometrically in ℓ",
            symbolic=Generic(_decreasing_fact, method="sign of the difference"),
        ),
        Step(
            _near,
            scalar("far > near", r"\text{far} > \text{near}"),
            "=",
            "without the condition, far can dominate",
            numeric=Counterexample(_far_bigger, method="W_h = 1.5Q, identity σ"),
        ),
    ),
    sources=("001", "000"),
    section=SECTION,
    caveat=(
        "The notes' statement is qualitative. What is proved: in the vanishing regime "
        "(σ_max(W_h) < 1/γ) the contribution from ℓ steps back is bounded by a bound that "
        "decays geometrically in ℓ; outside it far contributions can be the larger. The "
        "linguistic consequence (Linzen et al. 2016) is an empirical observation, not checked."
    ),
)

CLAIMS = (rnn_jacobian, linear_case, eigen_vanish, explode, nonlinear_bound, sequential_recency)
