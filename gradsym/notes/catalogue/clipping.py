"""Exploding gradients (notes 001, 000, 003, 004): the SGD step, norm clipping (Algorithm 1),
value clipping, truncated BPTT.

The float64 models are gradsym's own implementations — ``SGD``, ``clip_by_norm``,
``clip_by_value``, ``Network.loss_and_grads(truncation=k)`` — independent of the displayed
formulas; the exact models are the algorithms' definitions on rational instances.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import ImmutableMatrix as M
from sympy import MatAdd, MatMul, ZeroMatrix

from gradsym.lang.notation import (
    Clip,
    CosAngle,
    Named,
    NamedScalar,
    Norm,
    Partial,
    T,
    TruncatedPartial,
    j,
    n,
    vector,
)
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.optim.clipping import clip_by_norm, clip_by_value
from gradsym.numeric.optim.optimisers import SGD
from gradsym.symbolic import cell as get_cell

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, Unbound, seq_key
from ..models import NumpyUnrolled, entries, exact_unrolled, jacobian_exact, numpy_unrolled
from .bptt import jacobian_chain
from .common import J, h

SECTION = "Exploding gradients"
RNN = get_cell("rnn", "tanh")

# -- the SGD step ------------------------------------------------------------------------------------

theta_new = vector("theta_new", r"\boldsymbol{\theta}^{\text{new}}")
theta_old = vector("theta_old", r"\boldsymbol{\theta}^{\text{old}}")
grad = vector("grad_J", r"\nabla_{\boldsymbol{\theta}}J")
alpha = NamedScalar("alpha", r"\alpha", positive=True)


def _sgd_exact():
    """The SGD rule on symbolic θ and ∇J (4 entries), α > 0."""
    th, g = entries("theta", 4), entries("g", 4)
    a = sp.Symbol("alpha", positive=True)
    yield Model({theta_old: th, grad: g, alpha: a, theta_new: th - a * g, n: 4}, label="symbolic")


def _sgd_float(rng):
    """gradsym's SGD (no momentum) on a random parameter and gradient."""
    old = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4)) * 10.0 ** rng.uniform(-2, 4)
    lr = 10.0 ** rng.uniform(-3, -1)
    params = {"w": old.copy()}
    SGD(lr).step(params, {"w": g})
    return Model(
        {
            theta_old: old.reshape(-1, 1),
            grad: g.reshape(-1, 1),
            alpha: lr,
            theta_new: params["w"].reshape(-1, 1),
            n: 12,
        },
        label=f"gradsym SGD, α = {lr:.3g}",
    )


sgd_step = Claim(
    id="sgd-step",
    title="A large gradient gives a large step",
    statement=(
        r"$\theta^{\mathrm{new}} = \theta^{\mathrm{old}} - \alpha \nabla_{\theta} "
        r"J(\theta)$; the step length is $\alpha \|\nabla_{\theta} J(\theta)\|$, so a "
        "large gradient gives a large step."
    ),
    assumptions=("plain SGD (no momentum)",),
    steps=(
        Step(
            theta_new,
            "=",
            MatAdd(theta_old, MatMul(-alpha, grad)),
            "the SGD update",
            checks=(Sampled(_sgd_float, "the library's SGD step", trials=5, tol=1e-14),),
        ),
        Step(
            Norm(MatAdd(theta_new, MatMul(-1, theta_old))),
            "=",
            alpha * Norm(grad),
            r"homogeneity of the norm, $\alpha > 0$",
            checks=(
                Exact(
                    _sgd_exact,
                    r"symbolic $\theta$ and $\nabla_{\theta} J$ with 4 entries, $\alpha > 0$",
                ),
                Sampled(_sgd_float, "the library's SGD step", trials=5, tol=1e-12),
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    formula=1,
)


# -- norm clipping -------------------------------------------------------------------------------------

g_hat = vector("g_hat", r"\hat{\mathbf{g}}")
threshold = NamedScalar("threshold", r"\mathit{threshold}", positive=True)
clipped = Clip(g_hat, threshold, "norm")
clipped_v = Clip(g_hat, threshold, "value")
_active = (Condition(Norm(g_hat), "≥", threshold),)

RATIONAL_GRADIENTS = [M([3, 4]), M([1, 2, 2]), M([2, 3, 6]), M([-1, 4, 8]), M([0, 0, 0])]


def _clip_exact_value(key, ev):
    """Algorithm 1 and clipping by value, exactly (the instances are rational)."""
    if not isinstance(key, Clip):
        raise Unbound(f"no value for {key}")
    g = ev.visit(key.arg)
    t_ = ev.visit(key.threshold)
    if key.kind == "norm":
        norm = sp.sqrt(sum(x**2 for x in g))
        return M((t_ / norm) * g) if norm >= t_ else g
    return g.applyfunc(lambda x: sp.Max(-t_, sp.Min(x, t_)))


def _clip_exact():
    for g in RATIONAL_GRADIENTS:
        for t_ in (2, 5, 10):
            yield Model(
                {g_hat: g, threshold: sp.Integer(t_), n: g.rows},
                label=f"ĝ = {list(g)}, threshold = {t_}",
                resolve=_clip_exact_value,
            )


def _clip_float_value(key, ev):
    if not isinstance(key, Clip):
        raise Unbound(f"no value for {key}")
    flat = np.asarray(ev.visit(key.arg), dtype=float).reshape(-1)
    grads = {"W_h": flat[:9].reshape(3, 3).copy(), "b": flat[9:].copy()}
    thr = float(ev.visit(key.threshold))
    out, _ = (clip_by_norm if key.kind == "norm" else clip_by_value)(grads, thr)
    return np.concatenate([out["W_h"].ravel(), out["b"].ravel()]).reshape(-1, 1)


def _clip_float(rng, trial=0):
    """A gradient of W_h (3×3) and b (3) at a random scale; every other threshold makes
    clipping active (where ‖clip(ĝ)‖ = threshold exactly)."""
    g = rng.normal(size=(12, 1)) * 10.0 ** rng.uniform(-2, 3)
    norm = np.linalg.norm(g)
    thr = norm * (rng.uniform(0.05, 0.99) if trial % 2 == 0 else rng.uniform(1.01, 3.0))
    return Model(
        {g_hat: g, threshold: thr, n: 12},
        label=f"threshold/‖ĝ‖ = {thr / norm:.3g}",
        resolve=_clip_float_value,
    )


clip_norm = Claim(
    id="clip-norm",
    title="Norm clipping (Algorithm 1): bounded norm, same direction",
    statement=(
        r"Algorithm 1 of \cite{pascanu2013}: $\hat{\mathbf{g}} \leftarrow \partial "
        r"J/\partial \boldsymbol{\theta}$; if $\|\hat{\mathbf{g}}\| \geq \mathit{threshold}$ "
        r"then $\hat{\mathbf{g}} \leftarrow (\mathit{threshold}/\|\hat{\mathbf{g}}\|) "
        r"\hat{\mathbf{g}}$. After clipping $\|\hat{\mathbf{g}}\| \leq "
        r"\mathit{threshold}$ and the direction is unchanged."
    ),
    assumptions=(r"$\mathit{threshold} > 0$",),
    steps=(
        Step(
            clipped,
            "=",
            MatMul(threshold / Norm(g_hat), g_hat),
            r"Algorithm 1, when $\|\hat{\mathbf{g}}\| \geq \mathit{threshold}$",
            hypotheses=_active,
            checks=(
                Exact(
                    _clip_exact,
                    r"the algorithm on five rational $\hat{\mathbf{g}}$ of 2 and 3 entries, thresholds 2, 5 and 10",
                ),
                Sampled(_clip_float, "the library's norm clipping", trials=8, tol=1e-14),
            ),
        ),
        Step(
            clipped,
            "=",
            g_hat,
            r"Algorithm 1, when $\|\hat{\mathbf{g}}\| < \mathit{threshold}$",
            hypotheses=(Condition(Norm(g_hat), "<", threshold),),
            checks=(
                Exact(
                    _clip_exact,
                    r"the algorithm on five rational $\hat{\mathbf{g}}$ of 2 and 3 entries, thresholds 2, 5 and 10",
                ),
                Sampled(_clip_float, "the library's norm clipping", trials=8, tol=0.0),
            ),
        ),
        Step(
            Norm(clipped),
            "≤",
            threshold,
            r"homogeneity of the norm: equal to $\mathit{threshold}$ when clipping",
            checks=(
                Exact(
                    _clip_exact,
                    r"the algorithm on five rational $\hat{\mathbf{g}}$ of 2 and 3 entries, thresholds 2, 5 and 10",
                ),
                Sampled(
                    _clip_float,
                    "the library's norm clipping, active on half of the instances (equality)",
                    trials=8,
                    tol=1e-12,
                ),
            ),
        ),
        Step(
            CosAngle(clipped, g_hat),
            "=",
            sp.S.One,
            (
                r"$\hat{\mathbf{g}}$ is scaled by $\mathit{threshold}/\|\hat{\mathbf{g}}\| > 0$ "
                "(or not at all): the same direction"
            ),
            hypotheses=(Condition(g_hat, "≠", ZeroMatrix(n, 1)),),
            checks=(
                Exact(
                    _clip_exact,
                    (
                        r"the algorithm on five rational $\hat{\mathbf{g}}$ of 2 and 3 entries, thresholds 2, 5 and 10 ($\hat{\mathbf{g}} = \mathbf{0}$ "
                        "excluded)"
                    ),
                ),
                Sampled(_clip_float, "the library's norm clipping", trials=8, tol=1e-12),
            ),
        ),
    ),
    sources=("001", "000", "003", "pascanu2013"),
    section=SECTION,
    formula=2,
)


# -- value clipping ------------------------------------------------------------------------------------

value_clip = Claim(
    id="clip-value",
    title="Value clipping bounds each component but changes the direction",
    statement="Clipping by value bounds each component and in general changes the direction.",
    assumptions=(r"$\mathit{threshold} > 0$",),
    steps=(
        Step(
            Norm(clipped_v, sp.oo),
            "≤",
            threshold,
            r"each component clipped to lie between $-\mathit{threshold}$ and $\mathit{threshold}$",
            checks=(
                Exact(
                    _clip_exact,
                    r"the rule on five rational $\hat{\mathbf{g}}$ of 2 and 3 entries, thresholds 2, 5 and 10",
                ),
                Sampled(
                    _clip_float,
                    "the library's clipping by value (equality when a component is clipped)",
                    trials=8,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            CosAngle(clipped_v, g_hat),
            "<",
            sp.S.One,
            "a clipped component is shortened, the others are not",
            where=((g_hat, M([10, 1])), (threshold, 1)),
            checks=(
                Exact(
                    lambda: [Model({n: 2}, resolve=_clip_exact_value)],
                    r"exact: $(10, 1)$ clipped to $(1, 1)$, cosine $11/(\sqrt{101}\sqrt{2})$",
                ),
                Sampled(
                    lambda rng: Model({n: 2}, resolve=_value_float_pair),
                    "the library's clipping by value",
                    trials=1,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("003",),
    section=SECTION,
    caveat=(
        r"``In general'': when no component of $\hat{\mathbf{g}}$ exceeds "
        r"$\mathit{threshold}$ in absolute value, nothing changes."
    ),
)


def _value_float_pair(key, ev):
    if not isinstance(key, Clip):
        raise Unbound(f"no value for {key}")
    g = np.asarray(ev.visit(key.arg), dtype=float).reshape(-1)
    out, _ = clip_by_value({"g": g.copy()}, float(ev.visit(key.threshold)))
    return out["g"].reshape(-1, 1)


# -- truncated BPTT ------------------------------------------------------------------------------------

k_win = sp.Symbol("K", integer=True, positive=True)  # the window (k is a step)


class _Truncated(NumpyUnrolled):
    """The NumPy RNN in gradsym's Network: J^(T) the squared error of a linear read-out at
    the last step; ∂J^(T)/∂h⁽ʲ⁾ and the truncated ∂_k from ``loss_and_grads`` (full BPTT,
    ``truncation=k``)."""

    def _network(self, ev):
        if ("network",) not in ev.cache:
            num, xs, s0, _ = self._numpy(ev)
            out = Linear(self.n, 1, rng=0)
            net = Network(num, out, loss="mse", where="last")
            target = np.array([[0.3]])
            ev.cache[("network",)] = (net, xs, target, s0)
        return ev.cache[("network",)]

    def resolve(self, key, ev):
        if isinstance(key, tuple) and key[0] == "truncated":
            _, _of, wrt, window = key
            net, xs, target, s0 = self._network(ev)
            res = net.loss_and_grads(xs, target, s0, truncation=int(window))
            return self._adjoint(res, wrt)
        return super().resolve(key, ev)

    def _adjoint(self, res, wrt):
        _, name, t_ = wrt
        t_ = int(t_)
        if t_ == 0:
            return (
                np.asarray(res.dstate0[0]).reshape(1, -1) if res.dstate0 else np.zeros((1, self.n))
            )
        return res.adjoints[name][t_ - 1, 0].reshape(1, -1)

    def _float_partial(self, key, ev):
        _, of, wrt = key
        if isinstance(of, tuple) and of[1] == "J" and int(of[2]) == self.T and wrt[1] == "h":
            net, xs, target, s0 = self._network(ev)
            return self._adjoint(net.loss_and_grads(xs, target, s0), wrt)
        return super()._float_partial(key, ev)


def _trunc_float(rng, trial=0):
    T_ = 9
    model = _Truncated(
        RNN,
        numpy_unrolled(RNN, rng, T_).values,
        exact=False,
        n=3,
        d=2,
        T=T_,
        label="NumPy RNN in a Network",
    )
    model.values[T] = T_
    k_ = int(rng.integers(1, 6))
    model.values[k_win] = k_
    # every other trial inside the window (T − j < k), the others outside
    lag = int(rng.integers(0, k_)) if trial % 2 == 0 else int(rng.integers(k_, T_))
    model.values[j] = T_ - lag
    return model


def _trunc_exact_value(model):
    def resolve(key, ev):
        if isinstance(key, tuple) and key[0] == "truncated":
            _, of, wrt, window = key
            if int(of[2]) - int(wrt[2]) < int(window):  # inside the window: the full ∂
                return jacobian_exact(("partial", of, wrt), ev)
            return sp.zeros(1, model.n)  # the state entering the window is a constant
        return type(model).resolve(model, key, ev)

    return resolve


def _trunc_exact():
    for k_, j_ in ((2, 3), (2, 2), (3, 1), (4, 1), (1, 2), (2, 1), (1, 0)):
        model = exact_unrolled(RNN, 3, 2)
        model.values[T], model.values[k_win], model.values[j] = 3, k_, j_
        model.resolve = _trunc_exact_value(model)
        model.label += f", k = {k_}, j = {j_}"
        yield model


truncated = Claim(
    id="truncated-bptt",
    title="Truncated BPTT bounds the number of Jacobian factors",
    statement=(
        r"Backpropagating only $K$ steps: $\partial_K J^{(T)}/\partial \mathbf{h}^{(j)}$ "
        r"is the full $\partial J^{(T)}/\partial \mathbf{h}^{(j)} = \partial "
        r"J^{(T)}/\partial \mathbf{h}^{(T)} \prod_{j<t\leq T} \partial "
        r"\mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ when $T - j < K$, a product of at "
        r"most $K - 1$ Jacobian factors, and $\mathbf{0}$ otherwise."
    ),
    assumptions=(
        (
            r"$\partial_K$: the state $\mathbf{h}^{(T-K)}$ entering the window of the last "
            "$K$ steps is held constant"
        ),
        "$J^{(T)}$ a loss at the last step",
    ),
    steps=(
        Step(
            TruncatedPartial(J(T), h(j), k_win),
            "=",
            MatMul(Partial(J(T), h(T)), jacobian_chain(j, T)),
            r"inside the window: $T - j \leq K - 1$ factors",
            hypotheses=(Condition(T - j, "<", k_win),),
            checks=(
                Exact(
                    _trunc_exact,
                    r"symbolic entries, $n = 2$, $T = 3$: the definition of $\partial_K$",
                ),
                Sampled(
                    _trunc_float,
                    (
                        "the library's truncated BPTT (a network trained with truncation $K$) against "
                        "full BPTT"
                    ),
                    trials=10,
                    tol=1e-10,
                ),
            ),
        ),
        Step(
            TruncatedPartial(J(T), h(j), k_win),
            "=",
            ZeroMatrix(1, n),
            r"outside the window: $\mathbf{h}^{(T-K)}$ is a constant",
            hypotheses=(Condition(T - j, "≥", k_win),),
            checks=(
                Exact(_trunc_exact, "symbolic entries, $n = 2$, $T = 3$"),
                Sampled(
                    _trunc_float,
                    "the library's truncated BPTT (a network trained with truncation $K$)",
                    trials=10,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("003", "004"),
    section=SECTION,
    formula=0,
    cells=(RNN,),
)

CLAIMS = (sgd_step, clip_norm, value_clip, truncated)
_ = (Named, seq_key)
