"""Parameter counts (notes 004): the windowed MLP and the RNN's first layer."""

from __future__ import annotations

import numpy as np
import sympy as sp

from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.losses import Linear
from gradsym.symbolic import cell as get_cell

from ..checks import Generic, Identity, Numeric
from ..claim import Claim, Step
from ..notation import d as d_
from ..notation import n as n_
from ..notation import scalar
from .lstm import count

SECTION = "Parameter counts"
w, e, H = sp.symbols("w e H", integer=True, positive=True)  # window, embedding, hidden units
SIZES = {w: 100, e: 100, H: 100}


def _mlp_fact():
    total = (w * e * H + H).subs(SIZES)
    return total == 1_000_100, f"w·e·H + H = {total} at w = e = H = 100"


def _mlp_sample(rng):
    return np.array([Linear(100 * 100, 100).n_params]), np.array([1_000_100])


mlp_window = Claim(
    id="mlp-window",
    title="A windowed MLP: 1 000 100 weights",
    statement="Window 100 words × embedding 100 → 100 hidden units: 100·100·100 + 100 = 1 000 100.",
    assumptions=("the window's embeddings are concatenated into one input of w·e entries",),
    steps=(
        Step(
            scalar("#θ_MLP", r"\#\theta_{\text{MLP}}"),
            w * e * H + H,
            "=",
            "(w·e) inputs × H units, plus the bias",
            symbolic=Generic(_mlp_fact, method="the formula at w = e = H = 100"),
        ),
        Step(
            w * e * H + H,
            sp.Integer(1_000_100),
            "=",
            "w = e = H = 100",
            symbolic=Identity(lambda: ((w * e * H + H).subs(SIZES), sp.Integer(1_000_100))),
            numeric=Numeric(_mlp_sample, tol=0.0, trials=1, method="Linear(10000, 100).n_params"),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=(scalar("#θ_MLP", r"\#\theta_{\text{MLP}}"), "=", w * e * H + H),
)


def _rnn_formula_pair():
    """The symbolic RNN cell's count n² + nd + n is (e + n)·n + n with d = e."""
    return count(get_cell("rnn", "tanh")).subs(d_, e), sp.expand((e + n_) * n_ + n_)


def _rnn_sample(rng):
    return np.array([RNN(100, 100).n_params]), np.array([20_100])


def _torch_fact():
    two_biases = ((e + n_) * n_ + 2 * n_).subs({e: 100, n_: 100})
    return two_biases == 20_200, f"with b_ih and b_hh: (e + n)·n + 2n = {two_biases}"


rnn_count = Claim(
    id="rnn-count",
    title="The RNN's first layer: 20 100 weights",
    statement=(
        "Embedding 100, hidden 100, previous hidden fed back: (100 + 100)·100 + 100 = 20 100."
    ),
    assumptions=("one bias vector",),
    steps=(
        Step(
            scalar("#θ_RNN", r"\#\theta_{\text{RNN}}"),
            (e + n_) * n_ + n_,
            "=",
            "e + n inputs (x⁽ᵗ⁾ and h⁽ᵗ⁻¹⁾) × n units, plus the bias",
            symbolic=Identity(_rnn_formula_pair, method="count of the symbolic RNN's W_h, W_x, b"),
        ),
        Step(
            (e + n_) * n_ + n_,
            sp.Integer(20_100),
            "=",
            "e = n = 100",
            symbolic=Identity(
                lambda: (((e + n_) * n_ + n_).subs({e: 100, n_: 100}), sp.Integer(20_100))
            ),
            numeric=Numeric(_rnn_sample, tol=0.0, trials=1, method="RNN(100, 100).n_params"),
        ),
        Step(
            scalar("#θ torch.nn.RNN", r"\#\theta_{\texttt{torch.nn.RNN}}"),
            sp.Integer(20_200),
            "=",
            "PyTorch keeps two bias vectors",
            symbolic=Generic(_torch_fact, method="formula with two biases"),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat="PyTorch's nn.RNN(100, 100) has 20 200 parameters: it keeps two biases, b_ih and b_hh.",
    formula=(scalar("#θ_RNN", r"\#\theta_{\text{RNN}}"), "=", (e + n_) * n_ + n_),
)

CLAIMS = (mlp_window, rnn_count)
