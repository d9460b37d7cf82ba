r"""Three more fixes for vanishing gradients: leaky units (Mozer 1992), echo-state networks
(Jaeger 2001) and the regulariser Ω of Pascanu, Mikolov and Bengio (2013).

The checks reach the displayed quantities by routes of their own: Jacobians by SymPy's
differentiation of the update written out entry by entry (exact) or central differences
(float64); states by the library's RNN; Ω by the library's implementation of eq. 9 of
Pascanu et al., against the definition evaluated with back-propagated gradients taken by
central differences.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import Identity, MatAdd, MatMul, MatPow, OneMatrix, ZeroMatrix

from gradsym.lang.notation import (
    Decimal,
    IndexedSum,
    NamedScalar,
    Norm,
    OrderedProduct,
    Partial,
    SingularValue,
    T,
    ell,
    family,
    k,
    n,
    t,
)
from gradsym.numeric.cells.rnn import RNN as NumpyRNN
from gradsym.numeric.optim.initialisers import orthogonal
from gradsym.numeric.optim.regularisers import omega as library_omega
from gradsym.symbolic import cell as get_cell

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, Unbound, seq_key
from .common import Apply, Diag, J, S, h, x, z

SECTION = "Fixes for vanishing gradients"
RNN = get_cell("rnn", "tanh")
W_h, W_x, b = S(RNN, "W_h", "W_x", "b")
tau = sp.Symbol("tau", integer=True)
eta = NamedScalar("eta", r"\eta", real=True)
Z_DEF = (z(t), MatAdd(MatMul(W_h, h(t - 1)), MatMul(W_x, x(t)), b))


def _sym(name, rows, cols=1):
    return sp.ImmutableMatrix(rows, cols, lambda r, c: sp.Symbol(f"{name}{r}{c}", real=True))


# -- leaky units ---------------------------------------------------------------------------------


def _leaky_step(Wm, Um, bm, e, hprev, xv, tanh=sp.tanh):
    return e * hprev + (1 - e) * (Wm * hprev + Um * xv + bm).applyfunc(tanh)


class _Leaky(Model):
    """A leaky tanh unit over ``steps`` steps from h⁽⁰⁾: states by the update, each step's
    Jacobian by SymPy's jacobian of the update (exact) or central differences (float);
    W_h as the check sees it (a where may set it to 0)."""

    def __init__(self, values, exact: bool, steps: int, label: str) -> None:
        super().__init__(values, free=(), label=label)
        self.exact, self.steps = exact, steps

    def _states(self, ev):
        Wm, Um, bm = (ev.visit(p) for p in (W_h, W_x, b))
        e = ev.visit(eta)
        hs = [self.values[seq_key("h", 0)]]
        for s in range(1, self.steps + 1):
            xv = self.values[seq_key("x", s)]
            if self.exact:
                hs.append(sp.ImmutableMatrix(_leaky_step(sp.Matrix(Wm), Um, bm, e, hs[-1], xv)))
            else:
                hs.append(e * hs[-1] + (1 - e) * np.tanh(Wm @ hs[-1] + Um @ xv + bm))
        return hs, (Wm, Um, bm, e)

    def resolve(self, key, ev):
        if isinstance(key, tuple) and key[0] == "seq" and key[1] == "h":
            return self._states(ev)[0][int(key[2])]
        if not (isinstance(key, tuple) and key[0] == "partial"):
            raise Unbound(f"no value for {key}")
        (_, _, top), (_, _, bottom) = key[1], key[2]
        hs, (Wm, Um, bm, e) = self._states(ev)
        if int(top) != int(bottom) + 1:
            raise Unbound(f"no value for {key}")
        s = int(top)
        xv = self.values[seq_key("x", s)]
        if self.exact:
            u = sp.Matrix(len(hs[0]), 1, lambda r, c: sp.Symbol(f"u{r}"))
            out = _leaky_step(sp.Matrix(Wm), Um, bm, e, u, xv)
            jac = out.jacobian(u).subs(dict(zip(u, hs[s - 1])))
            return sp.ImmutableMatrix(jac)
        eps, size = 1e-6, hs[0].shape[0]
        cols = []
        for j_ in range(size):
            d_ = np.zeros((size, 1))
            d_[j_] = eps

            def step(v):
                return e * v + (1 - e) * np.tanh(Wm @ v + Um @ xv + bm)

            cols.append((step(hs[s - 1] + d_) - step(hs[s - 1] - d_))[:, 0] / (2 * eps))
        return np.stack(cols, axis=1)


def _leaky_exact():
    size = 2
    values = {
        W_h: sp.ImmutableMatrix([[sp.Rational(1, 2), -1], [sp.Rational(1, 3), sp.Rational(1, 4)]]),
        W_x: sp.ImmutableMatrix([[1], [-2]]),
        b: sp.ImmutableMatrix([[0], [sp.Rational(1, 5)]]),
        eta: sp.Rational(9, 10),
        seq_key("h", 0): sp.ImmutableMatrix([[sp.Rational(1, 2)], [-1]]),
        n: size,
        t: 1,
        k: 0,
    }
    for s in range(1, 4):
        values[seq_key("x", s)] = sp.ImmutableMatrix([[sp.Rational(s, 3)]])
    yield _Leaky(values, True, 3, "n = 2, rational weights, η = 9/10")
    symbolic = dict(values)
    symbolic[eta] = sp.Symbol("eta_")
    symbolic[W_h] = _sym("w", 2, 2)
    yield _Leaky(symbolic, True, 1, "n = 2, symbolic W_h and η")


def _leaky_float(rng, trial=0):
    size, steps = 3, int(rng.integers(2, 6))
    values = {
        W_h: rng.normal(size=(size, size)) / np.sqrt(size),
        W_x: rng.normal(size=(size, 2)),
        b: rng.normal(size=(size, 1)),
        eta: float(rng.uniform(0.0, 1.0)),
        seq_key("h", 0): rng.normal(size=(size, 1)),
        n: size,
        t: steps,
        k: int(rng.integers(0, steps)),
    }
    for s in range(1, steps + 1):
        values[seq_key("x", s)] = rng.normal(size=(2, 1))
    return _Leaky(values, False, steps, f"n = 3, η = {values[eta]:.2f}")


_leaky_jac = MatAdd(MatMul(eta, Identity(n)), MatMul(1 - eta, Diag(Apply("tanh'", z(t))), W_h))

leaky = Claim(
    id="leaky",
    title=r"Leaky units: a skip connection in time, of weight $\eta$",
    statement=(
        r"The leaky unit $\mathbf{h}^{(t)} = \eta\, \mathbf{h}^{(t-1)} + (1 - \eta) "
        r"\tanh(\mathbf{z}^{(t)})$ has $\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)} = "
        r"\eta \mathbf{I} + (1 - \eta) \operatorname{diag}(\tanh'(\mathbf{z}^{(t)})) "
        r"\mathbf{W}_h$; with $\mathbf{W}_h = \mathbf{0}$ the product over $\ell$ steps is "
        r"$\eta^{\ell} \mathbf{I}$, which decays on a time scale of $1/(1 - \eta)$ steps."
    ),
    assumptions=(r"$0 \leq \eta < 1$, the same $\eta$ for every unit",),
    steps=(
        Step(
            Partial(h(t), h(t - 1)),
            "=",
            _leaky_jac,
            r"the product rule; the first term is the skip connection",
            checks=(
                Exact(
                    _leaky_exact,
                    r"SymPy's Jacobian of the update, $n = 2$, symbolic $\mathbf{W}_h$",
                ),
                Sampled(_leaky_float, "central differences of the update", trials=6, tol=1e-8),
            ),
        ),
        Step(
            OrderedProduct(Partial(h(tau), h(tau - 1)), tau, k, t),
            "=",
            MatMul(eta**ell, Identity(n)),
            r"each factor is $\eta \mathbf{I}$ when $\mathbf{W}_h = \mathbf{0}$",
            where=((W_h, ZeroMatrix(n, n)),),
            hypotheses=(Condition(k, "≤", t),),
            checks=(
                Exact(lambda: [next(iter(_leaky_exact()))], r"$n = 2$, three steps, exact"),
                Sampled(_leaky_float, "central differences of the update", trials=6, tol=1e-8),
            ),
        ),
        Step(
            eta**ell,
            "∈",
            sp.Interval(Decimal("0.366"), Decimal("0.367")),
            r"$\eta = 0.99$ keeps more than a third of the gradient after 100 steps",
            where=((eta, sp.Rational(99, 100)), (ell, 100)),
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "double precision", trials=1, tol=0.0),
            ),
        ),
        Step(
            eta**ell,
            "<",
            3 * sp.Integer(10) ** -5,
            r"\ldots{} where $\eta = 0.9$ keeps almost nothing",
            where=((eta, sp.Rational(9, 10)), (ell, 100)),
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "double precision", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("mozer1992", "goodfellow2016"),
    section=SECTION,
    formula=0,
    cells=(RNN,),  # z⁽ᵗ⁾ is the RNN's pre-activation
    definitions=(Z_DEF, (ell, t - k)),
)


# -- echo-state networks ----------------------------------------------------------------------------

h_bar = family("hb", r"\bar{\mathbf{h}}")


def _two_runs(Wm, Um, bm, xs, h0, hb0, label, exact):
    """Two runs of the tanh RNN on the same inputs from different initial states (exact:
    SymPy's tanh; float: the library's RNN)."""
    values = {W_h: Wm, W_x: Um, b: bm, n: Wm.shape[0]}
    if exact:
        hs, hbs = [h0], [hb0]
        for xv in xs:
            hs.append((Wm * hs[-1] + Um * xv + bm).applyfunc(sp.tanh))
            hbs.append((Wm * hbs[-1] + Um * xv + bm).applyfunc(sp.tanh))
    else:
        rnn = NumpyRNN(Um.shape[1], Wm.shape[0], activation="tanh")
        rnn.load_params({"W_h": Wm, "W_x": Um, "b": bm.reshape(-1)})
        seq = np.stack([xv.reshape(1, -1) for xv in xs])
        hs = [h0] + [r.reshape(-1, 1) for r in rnn.forward(seq, (h0.reshape(1, -1),)).h[:, 0]]
        hbs = [hb0] + [r.reshape(-1, 1) for r in rnn.forward(seq, (hb0.reshape(1, -1),)).h[:, 0]]
    for s, (a_, b_) in enumerate(zip(hs, hbs)):
        values[seq_key("h", s)] = a_
        values[seq_key("hb", s)] = b_
    return values


def _esn_exact():
    Wm = sp.ImmutableMatrix(
        [[sp.Rational(1, 2), sp.Rational(1, 3)], [-sp.Rational(1, 4), sp.Rational(2, 5)]]
    )
    Um = sp.ImmutableMatrix([[1], [sp.Rational(-1, 2)]])
    bm = sp.ImmutableMatrix([[0], [sp.Rational(1, 10)]])
    xs = [sp.ImmutableMatrix([[v]]) for v in (1, -1, sp.Rational(1, 2))]
    values = _two_runs(
        Wm,
        Um,
        bm,
        xs,
        sp.ImmutableMatrix([[1], [-1]]),
        sp.ImmutableMatrix([[-sp.Rational(1, 2)], [2]]),
        "",
        True,
    )
    for t_ in (1, 3):
        yield Model({**values, t: t_}, label=f"n = 2, rational weights, t = {t_}")


def _esn_float(rng, trial=0):
    size = 4
    Wm = orthogonal((size, size), rng) * float(rng.uniform(0.3, 1.4))
    Wm = Wm @ np.diag(rng.uniform(0.5, 1.0, size))  # singular values spread below the scale
    Um = rng.normal(size=(size, 2))
    bm = rng.normal(size=(size, 1)) * 0.3
    steps = int(rng.integers(1, 25))
    xs = [rng.normal(size=(2, 1)) for _ in range(steps)]
    values = _two_runs(
        Wm, Um, bm, xs, rng.normal(size=(size, 1)), rng.normal(size=(size, 1)), "", False
    )
    values[t] = steps
    return Model(values, label=f"n = 4, {steps} steps, the library's RNN")


_smax = SingularValue(W_h)
_gap = lambda s: Norm(MatAdd(h(s), MatMul(-1, h_bar(s))))

echo_state = Claim(
    id="echo-state",
    title="Echo-state networks: a reservoir that forgets where it started",
    statement=(
        r"Run the $\tanh$ RNN twice on the same inputs from two initial states $\mathbf{h}^{(0)}$ "
        r"and $\bar{\mathbf{h}}^{(0)}$: $\|\mathbf{h}^{(t)} - \bar{\mathbf{h}}^{(t)}\| \leq "
        r"s_{\max}(\mathbf{W}_h)^t \|\mathbf{h}^{(0)} - \bar{\mathbf{h}}^{(0)}\|$. With "
        r"$s_{\max}(\mathbf{W}_h) < 1$ the state forgets its start and depends on the recent "
        r"inputs only (the echo-state property), so $\mathbf{W}_h$ and $\mathbf{W}_x$ can be "
        r"drawn once and left fixed, and only a readout trained."
    ),
    assumptions=(r"$\phi = \tanh$, whose slope is at most 1",),
    steps=(
        Step(
            _gap(t),
            "≤",
            _smax * _gap(t - 1),
            r"$\tanh$ is 1-Lipschitz and the input terms cancel",
            checks=(
                Exact(_esn_exact, r"$n = 2$, rational weights and inputs, exact comparison"),
                Sampled(
                    _esn_float,
                    "the library's tanh RNN, random reservoirs",
                    trials=8,
                    tol=1e-12,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _gap(t),
            "≤",
            _smax**t * _gap(0),
            r"the line above, $t$ times",
            checks=(
                Exact(_esn_exact, r"$n = 2$, rational weights and inputs, exact comparison"),
                Sampled(
                    _esn_float,
                    "the library's tanh RNN, random reservoirs",
                    trials=8,
                    tol=1e-12,
                    scale="absolute",
                ),
            ),
        ),
    ),
    sources=("jaeger2001", "goodfellow2016"),
    section=SECTION,
    formula=1,
    cells=(RNN,),
)


# -- Pascanu et al.'s regulariser Ω -----------------------------------------------------------------

Omega = NamedScalar("Omega", r"\Omega", nonnegative=True)
q = family("q", "q", rows=1, cols=1, script="sub")  # one step's ratio of norms


class _Adjoints(Model):
    """A tanh (or linear) RNN over T steps with a loss at the last step only, J = c h⁽ᵀ⁾:
    ∂J/∂h⁽ᵏ⁾ by central differences of the library's forward pass from step k (float) or
    SymPy's derivative of the unrolled network (exact); the ratios q_k = ‖a_k ∂h⁽ᵏ⁾/∂h⁽ᵏ⁻¹⁾‖
    /‖a_k‖ with the library's state Jacobians (float) or SymPy's (exact); Ω by the
    library's implementation (float: its mean times the number of terms) or by the ratios
    (exact)."""

    def __init__(self, Wm, Um, bm, c, xs, h0, activation, exact, label):
        self.exact = exact
        T_ = len(xs)
        values = {W_h: Wm, W_x: Um, b: bm, n: Wm.shape[0], T: T_}
        size = Wm.shape[0]
        act = sp.tanh if activation == "tanh" else (lambda v: v)

        def run_exact(start, s0):
            hs = [start]
            for xv in xs[s0:]:
                hs.append((Wm * hs[-1] + Um * xv + bm).applyfunc(act))
            return hs

        adj, jac = {}, {}
        if exact:
            u = sp.Matrix(size, 1, lambda r, c_: sp.Symbol(f"u{r}"))
            states = run_exact(h0, 0)
            for k_ in range(T_ + 1):
                end = run_exact(u, k_)[-1]
                grad = (c * end).jacobian(u).subs(dict(zip(u, states[k_])))
                adj[k_] = sp.ImmutableMatrix(grad)
            for k_ in range(1, T_ + 1):
                step = (Wm * u + Um * xs[k_ - 1] + bm).applyfunc(act)
                jac[k_] = sp.ImmutableMatrix(step.jacobian(u).subs(dict(zip(u, states[k_ - 1]))))
            ratios = {
                k_: sp.sqrt(sum(v**2 for v in adj[k_] * jac[k_]))
                / sp.sqrt(sum(v**2 for v in adj[k_]))
                for k_ in range(1, T_ + 1)
            }
            values[Omega] = sum((r - 1) ** 2 for r in ratios.values())
            for k_, r in ratios.items():
                values[seq_key("q", k_)] = sp.ImmutableMatrix([[r]])
        else:
            rnn = NumpyRNN(Um.shape[1], size, activation=activation)
            rnn.load_params({"W_h": Wm, "W_x": Um, "b": bm.reshape(-1)})
            seq = np.stack([xv.reshape(1, -1) for xv in xs])
            trace = rnn.forward(seq, (h0.reshape(1, -1),))
            states = [h0] + [r.reshape(-1, 1) for r in trace.h[:, 0]]
            eps = 1e-6
            for k_ in range(T_ + 1):
                cols = []
                for j_ in range(size):
                    d_ = np.zeros(size)
                    d_[j_] = eps
                    ends = []
                    for sgn in (1.0, -1.0):
                        start = (states[k_][:, 0] + sgn * d_).reshape(1, -1)
                        if k_ == T_:
                            ends.append(start[0])
                        else:
                            ends.append(rnn.forward(seq[k_:], (start,)).h[-1, 0])
                    cols.append(float(c @ (ends[0] - ends[1])) / (2 * eps))
                adj[k_] = np.array([cols])
            for k_ in range(1, T_ + 1):
                J_ss, _ = rnn.state_jacobian(seq[k_ - 1], (states[k_ - 1].reshape(1, -1),))
                jac[k_] = J_ss[0]
                a = adj[k_]
                values[seq_key("q", k_)] = np.array(
                    [[np.linalg.norm(a @ jac[k_]) / np.linalg.norm(a)]]
                )
            backward = trace.h  # the library's Ω from its own backward pass
            dh = np.zeros_like(backward)
            dh[-1, 0] = c
            grads = rnn.backward(trace, dh=dh)
            res = library_omega(grads.adjoints["h"], trace.h, Wm, activation)
            values[Omega] = res.value * res.counted
        for k_ in range(T_ + 1):
            values[("partial", seq_key("J", T_), seq_key("h", k_))] = adj[k_]
        super().__init__(values, label=label)


def _omega_exact():
    rot = sp.ImmutableMatrix(
        [[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]]
    )
    other = sp.ImmutableMatrix([[sp.Rational(1, 2), 1], [0, sp.Rational(3, 4)]])
    Um = sp.ImmutableMatrix([[1], [2]])
    bm = sp.ImmutableMatrix([[0], [0]])
    xs = [sp.ImmutableMatrix([[v]]) for v in (1, -1, 2)]
    c = sp.ImmutableMatrix([[1, 2]])
    h0 = sp.ImmutableMatrix([[1], [0]])
    for Wm, label in ((rot, "a rotation"), (other, "a non-orthogonal W_h")):
        model = _Adjoints(Wm, Um, bm, c, xs, h0, "identity", True, f"linear RNN, {label}")
        for k_ in (1, 2):
            yield Model({**model.values, k: k_}, label=f"{model.label}, k = {k_}")


def _omega_float(rng, trial=0):
    size, T_ = 3, int(rng.integers(2, 6))
    if trial % 3 == 2:  # linear and orthogonal: Ω = 0
        Wm, act = orthogonal((size, size), rng), "identity"
    else:
        Wm, act = rng.normal(size=(size, size)) / np.sqrt(size), "tanh"
    model = _Adjoints(
        Wm,
        rng.normal(size=(size, 2)),
        rng.normal(size=(size, 1)) * 0.3,
        rng.normal(size=size),
        [rng.normal(size=(2, 1)) for _ in range(T_)],
        rng.normal(size=(size, 1)),
        act,
        False,
        f"{act} RNN, T = {T_}",
    )
    model.values[k] = int(rng.integers(1, T_ + 1))
    return model


pascanu_omega = Claim(
    id="pascanu-omega",
    title=r"Pascanu's regulariser $\Omega$: zero when every step keeps the gradient's norm",
    statement=(
        r"$\Omega = \sum_{k=1}^{T} (q_k - 1)^2$, where $q_k = \|(\partial J/\partial "
        r"\mathbf{h}^{(k)})\, \partial \mathbf{h}^{(k)}/\partial \mathbf{h}^{(k-1)}\| / "
        r"\|\partial J/\partial \mathbf{h}^{(k)}\|$ is the factor by which step $k$ scales the "
        r"back-propagated gradient. For a loss at the last step, $q_k = \|\partial "
        r"J^{(T)}/\partial \mathbf{h}^{(k-1)}\| / \|\partial J^{(T)}/\partial \mathbf{h}^{(k)}\|$, "
        r"and $\Omega = 0$ means that the gradient reaches every step with its norm intact."
    ),
    assumptions=(r"a loss $J^{(T)}$ at the last step only; the $\tanh$ or the linear RNN",),
    steps=(
        Step(
            Omega,
            "=",
            IndexedSum(MatPow(MatAdd(q(k), MatMul(-1, OneMatrix(1, 1))), 2), k, 1, T),
            r"eq.~9 of \cite{pascanu2013}: each step's ratio of norms, compared with 1",
            checks=(
                Sampled(
                    _omega_float,
                    r"the library's $\Omega$ against the ratios of gradients taken by central "
                    r"differences",
                    trials=6,
                    tol=1e-6,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            q(k),
            "=",
            Norm(Partial(J(T), h(k - 1))) / Norm(Partial(J(T), h(k))),
            r"the chain rule: $\partial J^{(T)}/\partial \mathbf{h}^{(k-1)} = (\partial "
            r"J^{(T)}/\partial \mathbf{h}^{(k)})\, \partial \mathbf{h}^{(k)}/\partial "
            r"\mathbf{h}^{(k-1)}$",
            checks=(
                Exact(_omega_exact, "linear RNN, $n = 2$, $T = 3$, exact"),
                Sampled(_omega_float, "gradients by central differences", trials=6, tol=1e-6),
            ),
        ),
        Step(
            Norm(Partial(J(T), h(k - 1))),
            "=",
            Norm(Partial(J(T), h(T))),
            r"$\Omega = 0$: every $q_k = 1$, and the norms telescope",
            hypotheses=(Condition(Omega, "=", 0),),
            checks=(
                Exact(_omega_exact, "a rotation (and a non-orthogonal $\\mathbf{W}_h$, excluded)"),
                Sampled(
                    _omega_float,
                    r"linear RNNs with orthogonal $\mathbf{W}_h$ (tanh RNNs excluded)",
                    trials=6,
                    tol=1e-6,
                ),
            ),
        ),
    ),
    sources=("pascanu2013", "goodfellow2016"),
    section=SECTION,
    formula=0,
    cells=(RNN,),
)

CLAIMS = (leaky, echo_state, pascanu_omega)
