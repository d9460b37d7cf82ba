"""Exploding gradients (notes 001, 000, 003, 004): the SGD step, norm clipping (Algorithm 1),
value clipping, truncated BPTT."""

from __future__ import annotations

import numpy as np
import sympy as sp

from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.optim.clipping import clip_by_norm, clip_by_value
from gradsym.numeric.optim.optimisers import SGD

from ..checks import Counterexample, Generic, Identity, Numeric
from ..claim import Claim, Step
from ..notation import scalar
from .common import entries, numeric_rnn

SECTION = "Exploding gradients"
K = 4  # entries of the symbolic gradient vector

_g = scalar("‖ĝ‖", r"\lVert \hat{\mathbf{g}} \rVert", positive=True)
_thr = scalar("threshold", r"\mathit{threshold}", positive=True)
_alpha = scalar("α", r"\alpha", positive=True)
_step = scalar("‖θⁿᵉʷ − θᵒˡᵈ‖", r"\lVert \theta^{new} - \theta^{old} \rVert")
_grad = scalar("‖∇_θ J(θ)‖", r"\lVert \nabla_\theta J(\theta) \rVert")


# -- the SGD step ------------------------------------------------------------------------------------


def _sgd_pair():
    """‖θ_new − θ_old‖² = α² ‖g‖² for θ_new = θ_old − α g (K entries)."""
    theta, g = entries("theta", K), entries("g", K)
    a = sp.Symbol("alpha", positive=True)
    new = theta - a * g
    return ((new - theta).T * (new - theta))[0], a**2 * (g.T * g)[0]


def _sgd_sample(rng):
    theta = {"w": rng.normal(size=(3, 4))}
    g = {"w": rng.normal(size=(3, 4)) * 10.0 ** rng.uniform(-2, 4)}
    lr = 10.0 ** rng.uniform(-3, -1)
    old = theta["w"].copy()
    SGD(lr).step(theta, g)
    return np.linalg.norm(theta["w"] - old), lr * np.linalg.norm(g["w"]), {"lr": lr}


sgd_step = Claim(
    id="sgd-step",
    title="A large gradient gives a large step",
    statement="θⁿᵉʷ = θᵒˡᵈ − α ∇_θ J(θ); the step length is α‖∇_θ J(θ)‖, so a large gradient gives a large step.",
    assumptions=("plain SGD (no momentum)",),
    steps=(
        Step(
            _step,
            _alpha * _grad,
            "=",
            "θⁿᵉʷ = θᵒˡᵈ − α∇_θJ(θ), homogeneity of the norm",
            symbolic=Identity(_sgd_pair, method=f"squared norms, {K} entries"),
            numeric=Numeric(_sgd_sample, tol=1e-12, trials=5, method="gradsym's SGD step"),
        ),
    ),
    sources=("001",),
    section=SECTION,
    formula=(_step, "=", _alpha * _grad),
)


# -- norm clipping -------------------------------------------------------------------------------------


def _clip_norm_pair():
    """‖(t/‖g‖) g‖² = t² with ‖g‖² = Σ gᵢ² (K entries)."""
    g = entries("g", K)
    t = sp.Symbol("t", positive=True)
    N = sp.sqrt((g.T * g)[0])
    clipped = (t / N) * g
    return sp.expand((clipped.T * clipped)[0]), t**2


def _parallel_pair():
    """ĝ_clipped = c ĝ: every 2×2 minor of [ĝ_clipped, ĝ] vanishes, and c = t/‖g‖ > 0."""
    g = entries("g", K)
    t = sp.Symbol("t", positive=True)
    N = sp.Symbol("N", positive=True)  # ‖g‖
    clipped = (t / N) * g
    minors = [clipped[i] * g[j] - clipped[j] * g[i] for i in range(K) for j in range(i + 1, K)]
    return sp.Matrix(minors), sp.zeros(len(minors), 1)


def _random_grads(rng):
    scale = 10.0 ** rng.uniform(-2, 3)
    return {"W_h": rng.normal(size=(3, 3)) * scale, "b": rng.normal(size=3) * scale}


def _flat(g):
    return np.concatenate([v.ravel() for v in g.values()])


def _clip_norm_sample(rng):
    g = _random_grads(rng)
    thr = 10.0 ** rng.uniform(-1, 2)
    out, norm = clip_by_norm(g, thr)
    after = np.linalg.norm(_flat(out))
    return np.array([after]), np.array([thr * (1 + 1e-12)]), {"threshold": thr, "norm_before": norm}


def _clip_equal_sample(rng):
    g = _random_grads(rng)
    norm = np.linalg.norm(_flat(g))
    thr = norm * rng.uniform(0.01, 0.99)  # clipping active
    out, _ = clip_by_norm(g, thr)
    return np.array([np.linalg.norm(_flat(out))]), np.array([thr]), {"threshold": thr}


def _direction_sample(rng):
    g = _random_grads(rng)
    thr = np.linalg.norm(_flat(g)) * rng.uniform(0.01, 2.0)
    out, _ = clip_by_norm(g, thr)
    a, b = _flat(out), _flat(g)
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    return np.array([cos]), np.array([1.0]), {"threshold": thr}


_ghat = scalar(
    "‖ĝ_clipped‖",
    r"\left\lVert \frac{threshold}{\lVert \hat{\mathbf{g}} \rVert} \hat{\mathbf{g}} \right\rVert",
)
_cos = scalar(
    "cos∠(ĝ_clipped, ĝ)",
    r"\cos\angle\left(\hat{\mathbf{g}}_{\text{clipped}}, \hat{\mathbf{g}}\right)",
)

clip_norm = Claim(
    id="clip-norm",
    title="Norm clipping (Algorithm 1): bounded norm, same direction",
    statement=(
        "Algorithm 1: ĝ ← ∂ε/∂θ; if ‖ĝ‖ ≥ threshold then ĝ ← (threshold/‖ĝ‖) ĝ. After clipping "
        "‖ĝ‖ ≤ threshold and the direction is unchanged."
    ),
    assumptions=("threshold > 0", "ĝ ≠ 0 when clipping"),
    steps=(
        Step(
            _ghat,
            _thr,
            "=",
            "homogeneity of the norm (when ‖ĝ‖ ≥ threshold)",
            symbolic=Identity(
                _clip_norm_pair, method=f"squared norm, {K} entries", prepare=sp.cancel
            ),
            numeric=Numeric(
                _clip_equal_sample, tol=1e-12, trials=5, method="gradsym's clip_by_norm, active"
            ),
        ),
        Step(
            scalar("‖ĝ‖ after clipping", r"\lVert \hat{\mathbf{g}} \rVert"),
            _thr,
            "≤",
            "unchanged when ‖ĝ‖ < threshold",
            numeric=Numeric(
                _clip_norm_sample, "≤", tol=0.0, trials=8, method="gradsym's clip_by_norm"
            ),
        ),
        Step(
            _cos,
            sp.S.One,
            "=",
            "ĝ is scaled by threshold/‖ĝ‖ > 0: same direction",
            symbolic=Identity(_parallel_pair, method="2×2 minors vanish"),
            numeric=Numeric(_direction_sample, tol=1e-12, trials=8, method="cosine after clipping"),
        ),
    ),
    sources=("001", "000", "003"),
    section=SECTION,
    formula=(_ghat, "≤", _thr),
)


# -- value clipping ------------------------------------------------------------------------------------


def _value_bound_sample(rng):
    g = _random_grads(rng)
    thr = 10.0 ** rng.uniform(-1, 1)
    out, _ = clip_by_value(g, thr)
    return np.abs(_flat(out)), np.full(_flat(g).size, thr), {"threshold": thr}


def _value_direction_fact():
    g = sp.Matrix([10, 1])
    clipped = sp.Matrix([1, 1])  # threshold 1
    cos = (g.T * clipped)[0] / (sp.sqrt((g.T * g)[0]) * sp.sqrt((clipped.T * clipped)[0]))
    return cos != 1 and sp.N(
        cos
    ) < 1, f"g = (10, 1), threshold 1 → (1, 1): cos = {cos} = {sp.N(cos, 6)}"


def _value_direction_search(rng):
    g = _random_grads(rng)
    thr = float(np.median(np.abs(_flat(g))))
    out, _ = clip_by_value(g, thr)
    a, b = _flat(out), _flat(g)
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    if cos < 1 - 1e-6:
        return {"g": b, "threshold": thr, "clipped": a, "cosine": cos}
    return None


value_clip = Claim(
    id="clip-value",
    title="Value clipping bounds each component but changes the direction",
    statement="Clipping by value bounds each component and in general changes the direction.",
    assumptions=("threshold > 0",),
    steps=(
        Step(
            scalar("|clip(ĝ)ᵢ|", r"\lvert \operatorname{clip}(\hat{\mathbf{g}})_i \rvert"),
            _thr,
            "≤",
            "each component clipped to [−threshold, threshold]",
            numeric=Numeric(
                _value_bound_sample, "≤", tol=0.0, trials=5, method="gradsym's clip_by_value"
            ),
        ),
        Step(
            scalar(
                "cos∠(clip(ĝ), ĝ)",
                r"\cos\angle\left(\operatorname{clip}(\hat{\mathbf{g}}), \hat{\mathbf{g}}\right)",
            ),
            sp.S.One,
            "<",
            "components at the bound are shortened, the others not",
            symbolic=Generic(_value_direction_fact, method="exact counterexample"),
            numeric=Counterexample(
                _value_direction_search, method="random gradients, threshold = median |gᵢ|"
            ),
        ),
    ),
    sources=("003",),
    section=SECTION,
    caveat="'In general': when no component exceeds the threshold, nothing changes.",
)


# -- truncated BPTT ------------------------------------------------------------------------------------


def _truncated_degree():
    """Scalar linear RNN h⁽ᵗ⁾ = w h⁽ᵗ⁻¹⁾ + u x⁽ᵗ⁾, J = h⁽ᵀ⁾, T = 6, k = 3: the full ∂J/∂w has
    degree T − 1 in w; with h⁽ᵀ⁻ᵏ⁾ a constant it has degree k − 1 — at most k − 1 factors."""
    w, u, s = sp.symbols("w u s", real=True)
    T, k = 6, 3

    def unroll(h, start):
        for t in range(start + 1, T + 1):
            h = w * h + u * sp.Symbol(f"x{t}", real=True)
        return h

    full = sp.diff(unroll(sp.Symbol("h0", real=True), 0), w)
    trunc = sp.diff(unroll(s, T - k), w)  # s = h⁽ᵀ⁻ᵏ⁾ held fixed
    dfull, dtrunc = sp.degree(sp.expand(full), w), sp.degree(sp.expand(trunc), w)
    return (dfull, dtrunc) == (
        T - 1,
        k - 1,
    ), f"degree in w: full {dfull}, truncated (k = {k}) {dtrunc}"


def _truncated_sample(rng):
    """TBPTT(k): the adjoints inside the window equal full BPTT's; outside they are 0."""
    T, n, d, k = 9, 3, 2, 4
    cell = numeric_rnn(rng, n, d)
    net = Network(cell, Linear(n, 2, rng=int(rng.integers(1 << 30))), loss="mse", where="last")
    xs, y = rng.normal(size=(T, 1, d)), rng.normal(size=(1, 2))
    full = net.loss_and_grads(xs, y).adjoints["h"][:, 0]
    trunc = net.loss_and_grads(xs, y, truncation=k).adjoints["h"][:, 0]
    expected = full.copy()
    expected[: T - k] = 0.0  # h⁽¹⁾ … h⁽ᵀ⁻ᵏ⁾: outside the window (h⁽ᵀ⁻ᵏ⁾ is the constant)
    return trunc, expected, {"T": T, "k": k}


truncated = Claim(
    id="truncated-bptt",
    title="Truncated BPTT bounds the number of Jacobian factors",
    statement="Backpropagating only k steps bounds the number of Jacobian factors in any product by k − 1.",
    assumptions=("the state entering the window is held constant",),
    steps=(
        Step(
            scalar(
                "∂_trunc J⁽ᵀ⁾/∂h⁽ʲ⁾", r"\partial_{\text{trunc}} J^{(T)} / \partial \mathbf{h}^{(j)}"
            ),
            scalar(
                "∂J⁽ᵀ⁾/∂h⁽ᵀ⁾ ∏_{j<t≤T} ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ if T − j < k, else 0",
                r"\begin{cases} \frac{\partial J^{(T)}}{\partial \mathbf{h}^{(T)}} "
                r"\prod_{j<t\leq T} \frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} "
                r"& T - j < k \\ 0 & \text{otherwise} \end{cases}",
            ),
            "=",
            "the state entering the window is a constant",
            symbolic=Generic(_truncated_degree, method="degree in w of ∂J/∂w, scalar linear RNN"),
            numeric=Numeric(
                _truncated_sample,
                tol=1e-12,
                method="gradsym's TBPTT(k) adjoints against full BPTT's",
            ),
        ),
    ),
    sources=("003", "004"),
    section=SECTION,
)

CLAIMS = (sgd_step, clip_norm, value_clip, truncated)
