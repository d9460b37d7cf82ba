"""Fixes for vanishing gradients (notes 004, 000, 001): orthogonal recurrent matrices, ReLU,
residual, dense and highway connections."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul, MatPow, Transpose, ZeroMatrix
from sympy import Identity as I_
from sympy import ImmutableMatrix as M

from gradsym.lang.functions import relu
from gradsym.lang.notation import (
    MaxOver,
    MinEntry,
    MinOver,
    Named,
    Norm,
    OrderedProduct,
    Partial,
    SingularValue,
    ell,
    family,
    i,
    j,
    k,
    matrix,
    n,
    t,
    vector,
)
from gradsym.numeric.optim.initialisers import orthogonal
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.equations import one_minus

from ..checks import EverySize, Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, seq_key
from ..models import entries, exact_unrolled, float_cell, numpy_unrolled
from .common import Apply, Diag, J, S, h, jacobian_step, z

SECTION = "Fixes for vanishing gradients"
LINEAR = get_cell("rnn", "identity")
RELU = get_cell("rnn", "relu")
RESIDUAL = get_cell("residual", "tanh")
HIGHWAY = get_cell("highway", "standard")

Q = matrix("Q", r"\mathbf{Q}")
xv = vector("x", r"\mathbf{x}")
v = vector("v", r"\mathbf{v}")
lam = sp.Symbol("lambda")
_orthogonal = Condition(MatMul(Transpose(Q), Q), "=", I_(n))

R34 = M([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
O3 = M([[1, 2, 2], [2, 1, -2], [2, -2, 1]]) / 3
SHEAR = M([[1, 1], [0, 1]])  # not orthogonal: excluded by the hypothesis


def _orth_exact(*, lags=(None,), eig=False):
    """Q a rational rotation, a rational 3×3 orthogonal matrix, and a shear (excluded);
    x symbolic; with ``eig`` every eigenpair (λ, v) of Q instead."""

    def instances():
        for Qm in (R34, O3, SHEAR):
            size = Qm.rows
            if eig:
                for val, _, vecs in Qm.eigenvects():
                    for vec in vecs:
                        yield Model(
                            {Q: Qm, lam: val, v: M(vec), n: size}, label=f"Q = {Qm.tolist()}"
                        )
                # excluded: a vector that is no eigenvector, and v = 0 (Qv = λv for any λ)
                yield Model({Q: Qm, lam: 2, v: M([1] + [0] * (size - 1)), n: size})
                yield Model({Q: Qm, lam: 2, v: M([0] * size), n: size})
                continue
            for lag in lags:
                values = {Q: Qm, xv: entries("x", size), n: size}
                if lag is not None:
                    values[ell] = lag
                yield Model(values, label=f"Q = {Qm.tolist()}" + (f", ℓ = {lag}" if lag else ""))

    return instances


def _orth_float(*, lag=False, eig=False):
    def sample(rng, trial=0):
        size = 6
        Qm = orthogonal((size, size), rng)
        if trial % 3 == 2:  # not orthogonal: the hypothesis excludes it
            Qm = Qm @ np.diag(rng.uniform(0.5, 1.5, size))
        values = {Q: Qm, xv: rng.normal(size=(size, 1)), n: size}
        if lag:
            values[ell] = int(rng.integers(1, 300))
        if eig:
            vals, vecs = np.linalg.eig(Qm)
            pick = int(rng.integers(size))
            values[lam], values[v] = vals[pick], vecs[:, pick : pick + 1]
            if trial % 4 == 3:  # v = 0: Qv = λv for any λ, excluded by v ≠ 0
                values[lam], values[v] = 2.0, np.zeros((size, 1))
        return Model(values, label="Haar-orthogonal Q (or a distorted one)")

    return sample


W_h = S(LINEAR, "W_h")


def _linear_orth_exact():
    for Wm in (R34, SHEAR):
        values = {W_h: Wm, seq_key("c_loss", 0): M([1, 2]), i: 3, j: 1}
        yield exact_unrolled(LINEAR, 3, 2, 2, values=values)


def _linear_orth_float(rng, trial=0):
    T_ = 40
    Wm = orthogonal((4, 4), rng)
    if trial % 3 == 2:  # not orthogonal: excluded
        Wm = Wm * rng.uniform(0.8, 1.2)
    model = numpy_unrolled(LINEAR, rng, T_, 4, 2, values={W_h: Wm})
    model.values[i], model.values[j] = T_, int(rng.integers(0, T_))
    return model


orthogonal_claim = Claim(
    id="orthogonal",
    title="Orthogonal matrices neither explode nor vanish",
    statement=(
        r"For orthogonal $\mathbf{Q}$, $\|\mathbf{Q}^{\ell} \mathbf{x}\| = "
        r"\|\mathbf{x}\|$ for every $\ell$: repeated multiplication neither explodes nor "
        "vanishes; every eigenvalue has modulus 1."
    ),
    assumptions=(r"$\mathbf{Q}^{\top} \mathbf{Q} = \mathbf{I}$",),
    steps=(
        Step(
            Norm(MatMul(Q, xv)),
            "=",
            Norm(xv),
            (
                r"$\|\mathbf{Q}\mathbf{x}\|^2 = \mathbf{x}^{\top} \mathbf{Q}^{\top} \mathbf{Q} "
                r"\mathbf{x} = \mathbf{x}^{\top} \mathbf{x}$"
            ),
            hypotheses=(_orthogonal,),
            checks=(
                Exact(
                    _orth_exact(),
                    (
                        r"symbolic $\mathbf{x}$; $\mathbf{Q}$ a rational rotation and a rational $3 "
                        r"\times 3$ orthogonal matrix"
                    ),
                ),
                Sampled(_orth_float(), r"Haar-orthogonal $\mathbf{Q}$", trials=6, tol=1e-12),
            ),
        ),
        Step(
            Norm(MatMul(MatPow(Q, ell), xv)),
            "=",
            Norm(xv),
            r"induction on $\ell$",
            hypotheses=(_orthogonal,),
            checks=(
                Exact(_orth_exact(lags=(2, 3, 7)), r"symbolic $\mathbf{x}$; $\ell = 2, 3, 7$"),
                Sampled(
                    _orth_float(lag=True),
                    r"Haar-orthogonal $\mathbf{Q}$, $\ell < 300$",
                    trials=6,
                    tol=1e-12,
                ),
            ),
        ),
        Step(
            sp.Abs(lam),
            "=",
            sp.S.One,
            (
                r"$\mathbf{Q}\mathbf{v} = \lambda \mathbf{v} \Rightarrow \|\mathbf{v}\| = "
                r"\|\mathbf{Q}\mathbf{v}\| = |\lambda| \|\mathbf{v}\|$"
            ),
            hypotheses=(
                Condition(MatMul(Q, v), "=", MatMul(lam, v)),
                Condition(v, "≠", ZeroMatrix(n, 1)),
                _orthogonal,
            ),
            checks=(
                Exact(_orth_exact(eig=True), r"every eigenpair of the exact matrices $\mathbf{Q}$"),
                Sampled(
                    _orth_float(eig=True),
                    r"the eigenpairs of a Haar-orthogonal $\mathbf{Q}$",
                    trials=6,
                    tol=1e-12,
                ),
            ),
        ),
        Step(
            Norm(Partial(J(i), h(j))),
            "=",
            Norm(Partial(J(i), h(i))),
            (
                r"$\mathbf{W}_h$ orthogonal, linear RNN: $\partial J^{(i)}/\partial "
                r"\mathbf{h}^{(j)} = \partial J^{(i)}/\partial \mathbf{h}^{(i)} "
                r"\mathbf{W}_h^{\ell}$"
            ),
            hypotheses=(Condition(MatMul(Transpose(W_h), W_h), "=", I_(n)),),
            checks=(
                Exact(
                    _linear_orth_exact,
                    r"$\mathbf{W}_h$ a rational rotation (and a shear, excluded)",
                ),
                Sampled(
                    _linear_orth_float,
                    r"the NumPy linear RNN's backward pass, orthogonal $\mathbf{W}_h$",
                    trials=6,
                    tol=1e-12,
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        "Exactly so only in the linear case: with a nonlinearity the factors "
        r"$\operatorname{diag}(\phi'(\mathbf{z}))$, at most 1 in norm for $\tanh$, "
        "still shrink the gradient; orthogonality removes only the part that comes from "
        r"$\mathbf{W}_h$."
    ),
    formula=1,
    cells=(LINEAR,),
)


# -- ReLU -----------------------------------------------------------------------------------------------

zs = sp.Symbol("z", real=True)
tau = sp.Symbol("tau", integer=True)


def _relu_exact():
    yield Model({}, free=(zs,), label="symbolic z")
    for value in (sp.Rational(1, 2), -sp.Rational(3, 2), sp.Integer(0)):
        yield Model({zs: value}, label=f"z = {value}")


def _relu_float(rng, trial=0):
    z_ = 0.0 if trial % 2 == 1 else float(rng.normal())  # z = 0 is excluded
    return Model({zs: z_}, label=f"z = {z_:.3g}")


def _irnn_exact():
    """Positive rational inputs and biases: every unit active; one with a negative input."""
    for sign in (1, -1):
        values = {
            S(RELU, "W_x"): M([[1, 2], [2, 1]]),
            S(RELU, "b"): M([sp.Rational(1, 2), sp.Rational(1, 3)]),
            seq_key("h", 0): M([1, 2]),
            t: 3,
            k: 0,
        }
        values.update({seq_key("x", s_): sign * M([s_, 1]) for s_ in (1, 2, 3)})
        yield exact_unrolled(RELU, 3, 2, 2, values=values, label=f"rational inputs × {sign}")


def _irnn_float(rng, trial=0):
    T_ = 10
    model = numpy_unrolled(RELU, rng, T_, 4, 2)
    if trial % 3 != 2:  # every unit active (else some inactive: excluded)
        model.values[S(RELU, "W_x")] = np.abs(model.values[S(RELU, "W_x")])
        model.values[S(RELU, "b")] = np.abs(model.values[S(RELU, "b")]) + 0.1
        for s_ in range(1, T_ + 1):
            model.values[seq_key("x", s_)] = np.abs(model.values[seq_key("x", s_)])
        model.values[seq_key("h", 0)] = np.abs(model.values[seq_key("h", 0)])
    model.values[t], model.values[k] = T_, int(rng.integers(0, T_))
    return model


relu_claim = Claim(
    id="relu",
    title="ReLU does not shrink the gradient where it is active",
    statement=(
        r"The derivative of $\operatorname{ReLU}$ is 0 or 1, so it does not shrink the "
        "gradient where it is active; with an identity recurrent matrix the linear-case "
        r"product is $\mathbf{I}$."
    ),
    assumptions=(r"$z \neq 0$ ($\operatorname{ReLU}'$ is undefined at 0)",),
    steps=(
        Step(
            sp.Derivative(relu(zs), zs),
            "=",
            sp.Heaviside(zs),
            (
                r"$\operatorname{ReLU}(z) = \max(z, 0)$: its slope is 1 for $z > 0$ and 0 for $z "
                r"< 0$, which is $\operatorname{step}(z)$"
            ),
            hypotheses=(Condition(zs, "≠", 0),),
            checks=(
                Exact(
                    _relu_exact,
                    (
                        r"SymPy differentiates $\max(z, 0)$: symbolic $z$, $z = 1/2$ and $z = -3/2$ ($z = "
                        "0$ excluded)"
                    ),
                ),
                Sampled(
                    _relu_float,
                    r"the NumPy cells' $\operatorname{ReLU}'$ (0 at $z = 0$)",
                    trials=8,
                    tol=0.0,
                ),
            ),
        ),
        jacobian_step(
            "rnn",
            "relu",
            "h",
            "h_prev",
            lambda c: MatMul(
                Diag(
                    Apply(
                        "relu'",
                        MatAdd(S(c, "W_h") * S(c, "h_prev"), S(c, "W_x") * S(c, "x"), S(c, "b")),
                    )
                ),
                S(c, "W_h"),
            ),
            "chain rule: active rows pass, inactive rows are 0",
        ),
        Step(
            Partial(h(t), h(k)),
            "=",
            I_(n),
            r"$\mathbf{W}_h = \mathbf{I}$ and every unit active: every factor is $\mathbf{I}$",
            where=((S(RELU, "W_h"), I_(n)),),
            hypotheses=(Condition(MinOver(MinEntry(z(tau)), tau, k + 1, t), ">", 0),),
            checks=(
                Exact(
                    _irnn_exact, "rational inputs, $n = 2$, three steps (negative inputs excluded)"
                ),
                Sampled(
                    _irnn_float,
                    r"the NumPy ReLU RNN, $\mathbf{W}_h = \mathbf{I}$",
                    trials=8,
                    tol=1e-8,
                    scale="absolute",
                ),
            ),
        ),
    ),
    sources=("004", "le2015"),
    section=SECTION,
    caveat=(
        r"$\operatorname{ReLU}$ passes the gradient unchanged only through active units; "
        r"an inactive unit ($z < 0$) blocks it entirely, and $\operatorname{ReLU}'$ is "
        "undefined at 0."
    ),
    formula=0,
    cells=(RELU,),
)


# -- residual, dense, highway -----------------------------------------------------------------------


def _residual_form(cell):
    W, b, x = S(cell, "W", "b", "x")
    return MatAdd(I_(x.shape[0]), MatMul(Diag(Apply("tanh'", MatAdd(W * x, b))), W))


def _highway_form(cell):
    T_, H, x, z_T, z_H, W_T, W_H = S(cell, "T", "H", "x", "z_T", "z_H", "W_T", "W_H")
    from sympy import HadamardProduct

    return MatAdd(
        Diag(one_minus(T_)),
        MatMul(Diag(HadamardProduct(MatAdd(H, -x), Apply("sigmoid'", z_T))), W_T),
        MatMul(Diag(HadamardProduct(T_, Apply("tanh'", z_H))), W_H),
    )


W_r, b_r, x_r = S(RESIDUAL, "W", "b", "x")
y_dense = Named("y_dense", 2 * n, 1, r"\mathbf{y}_{\text{dense}}")
DENSE_DEFINITION = (y_dense, BlockMatrix([[x_r], [Apply("tanh", MatAdd(W_r * x_r, b_r))]]))

A = family("A", r"\mathbf{A}", rows=n, cols=n, script="sub")
L_sym = sp.Symbol("L", integer=True, positive=True)
l_sym = sp.Symbol("l", integer=True, positive=True)
_layers = OrderedProduct(MatAdd(I_(n), A(l_sym)), l_sym, 0, L_sym)
_weyl_lhs = SingularValue(_layers, "min")
_weyl_rhs = sp.Product(1 - Norm(A(l_sym), 2), (l_sym, 1, L_sym))
_small = (Condition(MaxOver(Norm(A(l_sym), 2), l_sym, 1, L_sym), "≤", 1),)


def _weyl_exact():
    half = M([[-sp.Rational(1, 2), 0], [0, sp.Rational(1, 3)]])
    shear = M([[0, sp.Rational(1, 2)], [0, 0]])
    rot = R34 * sp.Rational(1, 2)
    for pair in (
        (half, half),
        (shear, rot),
        (-sp.Rational(1, 2) * sp.eye(2), -sp.Rational(1, 3) * sp.eye(2)),
    ):
        values = {seq_key("A", 1): M(pair[0]), seq_key("A", 2): M(pair[1]), L_sym: 2, n: 2}
        yield Model(values, label=f"A₁ = {pair[0].tolist()}, A₂ = {pair[1].tolist()}")
    bad = M([[-1, 0], [0, 2]])  # the counterexample without the hypothesis
    yield Model(
        {seq_key("A", 1): bad, seq_key("A", 2): bad, L_sym: 2, n: 2}, label="A = diag(−1, 2)"
    )


def _weyl_float(rng, trial=0):
    """Six layers: tanh branches ∂F/∂x = diag(tanh'(Wx)) W with random ‖W‖₂ up to 1.3 (those
    above 1 break the hypothesis), or −aₗI, where the bound is an equality — each layer its
    own aₗ, or one a for all (then a bound with 1 − 2‖Aₗ‖₂ would fail for a > 2/3)."""
    size, L_ = 4, 6
    values = {L_sym: L_, n: size}
    kind = trial % 3
    shared = rng.uniform(0.3, 0.95)
    for layer in range(1, L_ + 1):
        if kind == 0:
            W = rng.normal(size=(size, size))
            W *= rng.uniform(0.05, 1.3) / np.linalg.norm(W, 2)
            x_ = rng.normal(size=size)
            A_ = (1 - np.tanh(W @ x_) ** 2)[:, None] * W
        else:
            a_ = shared if kind == 2 else rng.uniform(0.05, 0.9)
            A_ = -a_ * np.eye(size)
        values[seq_key("A", layer)] = A_
    return Model(values, label=("tanh layers", "−aₗI (equality)", "−aI (equality)")[kind])


residual_claim = Claim(
    id="residual",
    title="Skip connections: the identity preserves information by default",
    statement=(
        r"A skip connection $\mathbf{y} = \mathbf{x} + F(\mathbf{x})$ has the Jacobian "
        r"$\mathbf{I} + \partial F/\partial \mathbf{x}$: the identity preserves "
        r"information by default. Dense connections $\mathbf{y} = [\mathbf{x}; "
        r"F(\mathbf{x})]$ and highway connections $\mathbf{y} = \mathbf{g} \circ "
        r"\mathbf{a} + (1 - \mathbf{g}) \circ \mathbf{x}$ likewise. Through $L$ "
        r"residual layers the smallest singular value stays above $\prod_l (1 - "
        r"\|\partial F_l/\partial \mathbf{x}\|_2)$, provided every $\|\partial "
        r"F_l/\partial \mathbf{x}\|_2 \leq 1$."
    ),
    assumptions=(
        (
            r"$F(\mathbf{x}) = \tanh(\mathbf{W}\mathbf{x} + \mathbf{b})$ as the layer; "
            r"the highway layer's transform $\mathbf{a} = \tanh(\mathbf{W}_a \mathbf{x} + "
            r"\mathbf{b}_a)$ and gate $\mathbf{g} = \sigma(\mathbf{W}_g \mathbf{x} + "
            r"\mathbf{b}_g)$"
        ),
        (
            r"$\mathbf{A}_l = \partial F_l/\partial \mathbf{x}$, the Jacobian of the branch "
            "of layer $l$"
        ),
    ),
    steps=(
        jacobian_step(
            "residual",
            "tanh",
            "y",
            "x",
            _residual_form,
            (
                r"$d(\mathbf{x} + F(\mathbf{x})) = (\mathbf{I} + \partial F/\partial "
                r"\mathbf{x})\, d\mathbf{x}$"
            ),
            reference="fd",
        ),
        Step(
            Partial(y_dense, x_r),
            "=",
            BlockMatrix([[I_(n)], [MatMul(Diag(Apply("tanh'", MatAdd(W_r * x_r, b_r))), W_r)]]),
            "dense connection: the rows of the concatenation",
            checks=(
                EverySize(RESIDUAL),
                Sampled(
                    lambda rng: float_cell(RESIDUAL, rng, 3, 2, reference="fd"),
                    "random weights, central differences",
                    tol=1e-7,
                ),
            ),
        ),
        jacobian_step(
            "highway",
            "standard",
            "y",
            "x",
            _highway_form,
            (
                r"highway: the product rule on $\mathbf{g} \circ \mathbf{a} + (1 - \mathbf{g}) "
                r"\circ \mathbf{x}$"
            ),
            reference="fd",
        ),
        Step(
            _weyl_lhs,
            "≥",
            _weyl_rhs,
            (
                r"Weyl: $s_{\min}(\mathbf{I} + \mathbf{A}) \geq 1 - \|\mathbf{A}\|_2$, and "
                r"$s_{\min}(\mathbf{A}\mathbf{B}) \geq s_{\min}(\mathbf{A})\, "
                r"s_{\min}(\mathbf{B})$"
            ),
            hypotheses=_small,
            checks=(
                Exact(
                    _weyl_exact,
                    r"rational $\mathbf{A}_l$, $L = 2$ ($\operatorname{diag}(-1, 2)$ excluded)",
                ),
                Sampled(
                    _weyl_float,
                    r"6 layers: $\tanh$ branches, or $-a_l \mathbf{I}$ (equality)",
                    trials=20,
                    tol=1e-12,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _weyl_lhs,
            "<",
            _weyl_rhs,
            "without the hypothesis the bound fails",
            where=((L_sym, 2), (A(1), M([[-1, 0], [0, 2]])), (A(2), M([[-1, 0], [0, 2]]))),
            checks=(
                Exact(
                    lambda: [Model({n: 2})],
                    r"exact: $s_{\min}(\operatorname{diag}(0, 9)) = 0 < 1 = (1 - 2)^2$",
                ),
                Sampled(lambda rng: Model({n: 2}), "float64", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("000", "001", "wu2016"),
    section=SECTION,
    formula=0,
    cells=(RESIDUAL, HIGHWAY),
    definitions=(DENSE_DEFINITION,),
)

CLAIMS = (orthogonal_claim, relu_claim, residual_claim)
