"""Fixes for vanishing gradients (notes 004, 000, 001): orthogonal recurrent matrices, ReLU,
residual, dense and highway connections."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul
from sympy import Identity as I_

from gradsym.numeric.nets.spans import jacobian_products_from
from gradsym.numeric.optim.initialisers import orthogonal
from gradsym.symbolic import jacobian, orthogonal_norm_preserved, rotation, rotation_power
from gradsym.symbolic.functions import relu, relu_prime

from ..checks import Generic, Identity, Numeric
from ..claim import Claim, Step
from ..notation import matrix, scalar
from ..notation import n as n_
from .common import Apply, Diag, S, entries, jacobian_step, numeric_rnn, pd
from .rnn import rnn_form

SECTION = "Fixes for vanishing gradients"
theta = sp.Symbol("theta", real=True)
_lag = sp.Symbol("ell", integer=True, positive=True)
_Q = matrix("Q", r"\mathbf{Q}")
_x = matrix("x", r"\mathbf{x}", cols=1)


def _norm_fact():
    ok = orthogonal_norm_preserved(rotation(theta))
    return ok, "QᵀQ = I for the rotation Q(θ), so ‖Qx‖² = xᵀQᵀQx = ‖x‖²"


def _power_fact():
    _, diff = rotation_power(theta)
    return diff == 0, f"Q^ℓ = Q(ℓθ) by induction, ‖Q^ℓx‖² − ‖x‖² = {diff}"


def _power_sample(rng):
    n = 8
    Q = orthogonal((n, n), rng)
    x = rng.normal(size=n)
    lags = rng.integers(1, 300, size=5)
    norms = [np.linalg.norm(np.linalg.matrix_power(Q, int(k)) @ x) for k in lags]
    return np.array(norms), np.full(5, np.linalg.norm(x)), {"lags": lags}


def _eig_fact():
    lams = list(rotation(theta).eigenvals())
    mods = [sp.trigsimp(sp.expand(lam * sp.conjugate(lam))) for lam in lams]
    return all(m == 1 for m in mods), f"eigenvalues {lams}, |λ|² = {mods}"


def _eig_sample(rng):
    Q = orthogonal((7, 7), rng)
    return np.abs(np.linalg.eigvals(Q)), np.ones(7), {"n": 7}


def _gradient_sample(rng):
    T, n = 40, 4
    cell = numeric_rnn(rng, n, 2, activation="identity")
    cell.params["W_h"][...] = orthogonal((n, n), rng)
    xs = rng.normal(size=(T, 1, 2))
    c = rng.normal(size=n)
    dh = np.zeros((T, 1, n))
    dh[-1, 0] = c
    adj = cell.backward(cell.forward(xs, (np.zeros((1, n)),)), dh).adjoints["h"][:, 0]
    return np.linalg.norm(adj, axis=1), np.full(T, np.linalg.norm(c)), {"T": T}


_Qlx = scalar("‖Qˡx‖", r"\lVert \mathbf{Q}^{\ell} \mathbf{x} \rVert")
_xn = scalar("‖x‖", r"\lVert \mathbf{x} \rVert")
orthogonal_claim = Claim(
    id="orthogonal",
    title="Orthogonal matrices neither explode nor vanish",
    statement=(
        "For orthogonal Q, ‖Qˡx‖ = ‖x‖ for every ℓ: repeated multiplication neither explodes "
        "nor vanishes; every eigenvalue has modulus 1."
    ),
    assumptions=("QᵀQ = I",),
    steps=(
        Step(
            scalar("‖Qx‖²", r"\lVert \mathbf{Q}\mathbf{x} \rVert^2"),
            scalar("‖x‖²", r"\lVert \mathbf{x} \rVert^2"),
            "=",
            "xᵀQᵀQx = xᵀx (orthogonality)",
            symbolic=Generic(_norm_fact, method="rotation Q(θ)"),
        ),
        Step(
            _Qlx,
            _xn,
            "=",
            "induction on ℓ",
            symbolic=Generic(_power_fact, method="rotation Q(θ), symbolic ℓ"),
            numeric=Numeric(_power_sample, tol=1e-12, method="Haar-orthogonal Q, ℓ < 300"),
        ),
        Step(
            scalar("|λ|", r"\lvert \lambda \rvert"),
            sp.S.One,
            "=",
            "Qv = λv ⇒ ‖v‖ = |λ|‖v‖",
            symbolic=Generic(_eig_fact, method="eigenvalues of Q(θ)"),
            numeric=Numeric(_eig_sample, tol=1e-12, method="eigenvalues of a Haar-orthogonal Q"),
        ),
        Step(
            scalar(
                "‖∂J⁽ⁱ⁾/∂h⁽ⁱ⁾ W_hˡ‖",
                r"\left\lVert \frac{\partial J^{(i)}}{\partial \mathbf{h}^{(i)}} \mathbf{W}_h^{\ell} \right\rVert",
            ),
            scalar(
                "‖∂J⁽ⁱ⁾/∂h⁽ⁱ⁾‖",
                r"\left\lVert \frac{\partial J^{(i)}}{\partial \mathbf{h}^{(i)}} \right\rVert",
            ),
            "=",
            "W_h = Q orthogonal (linear case)",
            numeric=Numeric(
                _gradient_sample, tol=1e-12, method="linear RNN with orthogonal W_h, every lag"
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        "Exactly so only in the linear case: with a nonlinearity the factors diag(σ'(z)) "
        "(≤ 1 for tanh) still shrink the gradient; orthogonality removes only the W_h part."
    ),
    formula=(_Qlx, "=", _xn),
)


# -- ReLU -----------------------------------------------------------------------------------------------


def _relu_prime_fact():
    zp = sp.Symbol("zp", positive=True)
    d = relu(sp.Symbol("z", real=True)).diff(sp.Symbol("z", real=True)).rewrite(sp.Heaviside)
    z = sp.Symbol("z", real=True)
    pos, neg = d.subs(z, zp), d.subs(z, -zp)
    return (pos, neg) == (1, 0), f"ReLU'(z) = {d}: 1 for z > 0, 0 for z < 0"


def _relu_prime_sample(rng):
    from gradsym.numeric.cells.activations import get_activation

    act = get_activation("relu")
    z = rng.normal(size=50)
    z = z[np.abs(z) > 1e-9]
    return act.grad_from_output(act.apply(z)), (z > 0).astype(float)


def _active_rows_sample(rng):
    cell = numeric_rnn(rng, 5, 2, activation="relu")
    x, h = rng.normal(size=(1, 2)), rng.normal(size=(1, 5))
    J = cell.state_jacobian(x, (h,))[0][0]
    z = h[0] @ cell.params["W_h"].T + x[0] @ cell.params["W_x"].T + cell.params["b"]
    expected = np.where((z > 0)[:, None], cell.params["W_h"], 0.0)
    return J, expected, {"active": z > 0}


def _irnn_pair():
    """W_h = I, every ReLU' = 1: the explicit Jacobian (n = 3) is I."""
    cell_j = jacobian("rnn", variant="relu").explicit(3)
    W = entries("W_h", 3, 3)
    eye = {W[i, j]: (1 if i == j else 0) for i in range(3) for j in range(3)}
    J = cell_j.xreplace(eye)
    return J.xreplace({f: 1 for f in J.atoms(relu_prime)}), sp.eye(3)


def _irnn_sample(rng):
    n, T = 4, 12
    cell = numeric_rnn(rng, n, 2, activation="relu")
    cell.params["W_h"][...] = np.eye(n)
    cell.params["W_x"][...] = np.abs(cell.params["W_x"])
    cell.params["b"][...] = np.abs(cell.params["b"]) + 0.1  # every unit active
    xs = np.abs(rng.normal(size=(T, 1, 2)))
    spans = jacobian_products_from(cell, xs, (np.abs(rng.normal(size=(1, n))),))
    return spans.products[:, 0], np.broadcast_to(np.eye(n), (T, n, n)), {"T": T}


relu_claim = Claim(
    id="relu",
    title="ReLU does not shrink the gradient where it is active",
    statement=(
        "ReLU's derivative is 0 or 1, so it does not shrink the gradient where it is active; "
        "with an identity recurrent matrix the linear-case product is I."
    ),
    assumptions=("z ≠ 0 (ReLU' undefined at 0)", "for the product: W_h = I and every unit active"),
    steps=(
        Step(
            scalar("ReLU'(z)", r"\operatorname{ReLU}'(z)"),
            sp.Heaviside(sp.Symbol("z")),
            "=",
            "step(z) is the unit step: 1 for z > 0 and 0 for z < 0",
            symbolic=Generic(_relu_prime_fact, method="derivative as a Heaviside step"),
            numeric=Numeric(_relu_prime_sample, tol=0.0, method="NumPy ReLU'"),
        ),
        jacobian_step("rnn", "relu", "h", "h_prev", rnn_form("relu"), "chain rule"),
        Step(
            pd("h", "h_prev"),
            matrix("rows of W_h where z > 0, else 0", r"\left[\mathbf{W}_h\right]_{z > 0}"),
            "=",
            "ReLU' ∈ {0, 1}: active rows pass unchanged",
            numeric=Numeric(_active_rows_sample, tol=0.0, method="NumPy ReLU RNN"),
        ),
        Step(
            matrix(
                "∂h⁽ᵏ⁺ˡ⁾/∂h⁽ᵏ⁾", r"\frac{\partial \mathbf{h}^{(k+\ell)}}{\partial \mathbf{h}^{(k)}}"
            ),
            I_(n_),
            "=",
            "W_h = I, every unit active",
            symbolic=Identity(
                _irnn_pair, method="explicit Jacobian at n = 3 with W_h = I, ReLU' = 1"
            ),
            numeric=Numeric(_irnn_sample, tol=0.0, method="NumPy IRNN span products"),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        "ReLU passes the gradient unchanged only through active units; an inactive unit "
        "(z < 0) blocks it entirely, and ReLU' is undefined at 0 (gradsym and PyTorch take 0)."
    ),
)


# -- residual, dense, highway -----------------------------------------------------------------------


def _residual_form(cell):
    W, b, x = S(cell, "W", "b", "x")
    return MatAdd(I_(x.shape[0]), MatMul(Diag(Apply("tanh'", MatAdd(W * x, b))), W))


def _highway_form(cell):
    T, H, x, z_T, z_H, W_T, W_H = S(cell, "T", "H", "x", "z_T", "z_H", "W_T", "W_H")
    from sympy import HadamardProduct, OneMatrix

    one = OneMatrix(x.shape[0], 1)
    return MatAdd(
        Diag(MatAdd(one, -T)),
        MatMul(Diag(HadamardProduct(MatAdd(H, -x), Apply("sigmoid'", z_T))), W_T),
        MatMul(Diag(HadamardProduct(T, Apply("tanh'", z_H))), W_H),
    )


def _dense_pair():
    """y = [x; tanh(Wx + b)]: Matrix.jacobian against [I; diag(tanh'(Wx + b)) W], n = 2."""
    n = 2
    W, b, x = entries("W", n, n), entries("b", n), entries("x", n)
    z = W * x + b
    y = sp.Matrix.vstack(x, z.applyfunc(sp.tanh))
    form = sp.Matrix.vstack(sp.eye(n), sp.diag(*[1 - sp.tanh(zi) ** 2 for zi in z]) * W)
    return y.jacobian(x), form


def _dense_sample(rng):
    n = 3
    W, b, x = rng.normal(size=(n, n)), rng.normal(size=n), rng.normal(size=n)

    def y(v):
        return np.concatenate([v, np.tanh(W @ v + b)])

    fd = np.stack([(y(x + e) - y(x - e)) / 2e-6 for e in np.eye(n) * 1e-6], axis=1)
    form = np.vstack([np.eye(n), (1 - np.tanh(W @ x + b) ** 2)[:, None] * W])
    return form, fd


def _deep_residual_sample(rng):
    """σ_min(∏_l (I + A_l)) ≥ ∏_l (1 − ‖A_l‖₂) for ‖A_l‖₂ < 1: the identity path keeps the
    signal, while a plain stack's ∏ A_l has norm ≤ ∏ ‖A_l‖₂."""
    n, L = 4, 12
    P, bound = np.eye(n), 1.0
    for _ in range(L):
        W = rng.normal(size=(n, n))
        W *= rng.uniform(0.05, 0.5) / np.linalg.norm(W, 2)
        x = rng.normal(size=n)
        A = (1 - np.tanh(W @ x) ** 2)[:, None] * W  # ∂F/∂x, ‖A‖₂ ≤ ‖W‖₂ < 1
        P = (np.eye(n) + A) @ P
        bound *= 1 - np.linalg.norm(A, 2)
    smin = np.linalg.svd(P, compute_uv=False)[-1]
    return np.array([smin]), np.array([bound * (1 - 1e-12)]), {"layers": L}


_dy = pd("y", "x")
residual_claim = Claim(
    id="residual",
    title="Skip connections: the identity preserves information by default",
    statement=(
        "A skip connection y = x + F(x) has Jacobian I + ∂F/∂x: the identity preserves "
        "information by default. Dense connections y = [x; F(x)] and highway connections "
        "y = T∘H(x) + (1 − T)∘x likewise."
    ),
    assumptions=("F(x) = tanh(Wx + b) as the layer; H = tanh(W_H x + b_H), T = σ(W_T x + b_T)",),
    steps=(
        jacobian_step(
            "residual", "tanh", "y", "x", _residual_form, "d(x + F(x)) = I + ∂F/∂x", reference="fd"
        ),
        Step(
            matrix(
                "∂[x; F(x)]/∂x", r"\frac{\partial [\mathbf{x}; F(\mathbf{x})]}{\partial \mathbf{x}}"
            ),
            BlockMatrix([[I_(n_)], [matrix("∂F/∂x", r"\frac{\partial F}{\partial \mathbf{x}}")]]),
            "=",
            "dense connection: concatenation",
            symbolic=Identity(_dense_pair, method="Matrix.jacobian at n = 2"),
            numeric=Numeric(_dense_sample, tol=1e-7, method="central differences"),
        ),
        jacobian_step(
            "highway",
            "standard",
            "y",
            "x",
            _highway_form,
            "highway: d(T∘H + (1 − T)∘x), product rule",
            reference="fd",
        ),
        Step(
            scalar(
                "σ_min(∏_l (I + ∂F_l/∂x))",
                r"\sigma_{\min}\left(\prod_l \left(\mathbf{I} + \frac{\partial F_l}{\partial \mathbf{x}}\right)\right)",
            ),
            scalar(
                "∏_l (1 − ‖∂F_l/∂x‖₂)",
                r"\prod_l \left(1 - \left\lVert \frac{\partial F_l}{\partial \mathbf{x}} \right\rVert_2\right)",
            ),
            "≥",
            "Weyl: σ_min(I + A) ≥ 1 − ‖A‖₂, and σ_min(AB) ≥ σ_min(A)σ_min(B)",
            numeric=Numeric(
                _deep_residual_sample,
                "≥",
                tol=0.0,
                trials=5,
                method="12 residual layers with ‖∂F/∂x‖₂ < 1/2",
            ),
        ),
    ),
    sources=("000", "001"),
    section=SECTION,
    formula=(_dy, "=", MatAdd(I_(n_), matrix("∂F/∂x", r"\frac{\partial F}{\partial \mathbf{x}}"))),
)

CLAIMS = (orthogonal_claim, relu_claim, residual_claim)
