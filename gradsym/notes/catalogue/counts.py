"""Parameter counts (notes 004): the windowed MLP and the RNN's first layer.

#θ of a model is counted two ways: exactly, from the shapes of its symbolic parameters;
in float64, by the implementations (gradsym's Linear and RNN, and torch.nn.RNN when torch
is installed — the check says so when it is skipped).
"""

from __future__ import annotations

import sympy as sp

from gradsym.lang.notation import ParamCount, n
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.losses import Linear
from gradsym.symbolic import cell as get_cell

from ..checks import Exact, Sampled
from ..claim import Claim, Step
from ..evaluate import Model
from ..models import counting_model
from .lstm import count

SECTION = "Parameter counts"
# the window's width m, the embedding size d (the input size) and the hidden size n
w = sp.Symbol("m", integer=True, positive=True)
e = d_sym = sp.Symbol("d", integer=True, positive=True)
H = n
RNN_CELL = get_cell("rnn", "tanh")

MLP = ParamCount("mlp", r"\text{MLP}")
RNN_COUNT = ParamCount("rnn", r"\text{RNN}")
TORCH_RNN = ParamCount("torch_rnn", r"\text{PyTorch RNN}")


def _mlp_shapes() -> sp.Expr:
    """One layer from the w·e inputs of the window to H units: W (H × we), b (H)."""
    shapes = [(H, w * e), (H, 1)]
    return sp.expand(sum(r * c_ for r, c_ in shapes))


def _mlp_exact():
    yield counting_model({MLP: _mlp_shapes()}, free=(w, e, H), label="symbolic m, d, n")


def _mlp_float(rng):
    w_, e_, H_ = (int(v) for v in rng.integers(1, 30, size=3))
    return Model(
        {MLP: Linear(w_ * e_, H_).n_params, w: w_, e: e_, H: H_}, label=f"Linear({w_}·{e_}, {H_})"
    )


mlp_window = Claim(
    id="mlp-window",
    title=r"A windowed MLP: 1\,000\,100 weights",
    statement=(
        r"A window of $m = 100$ words, embeddings of size $d = 100$, $n = 100$ hidden units: $100 \cdot 100 "
        r"\cdot 100 + 100 = 1\,000\,100$ weights."
    ),
    assumptions=(
        (
            "the embeddings of the $m$ words of the window are concatenated into one input of $m d$ "
            "entries"
        ),
    ),
    steps=(
        Step(
            MLP,
            "=",
            w * e * H + H,
            "$n$ units with $m d$ weights each, plus $n$ biases",
            checks=(
                Exact(_mlp_exact, "the layer's parameter shapes, symbolic $m$, $d$, $n$"),
                Sampled(
                    _mlp_float,
                    "the library's linear layer with $m d$ inputs and $n$ outputs, random sizes",
                    trials=5,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            MLP,
            "=",
            sp.Integer(1_000_100),
            "$m = d = n = 100$",
            where=((w, 100), (e, 100), (H, 100)),
            checks=(
                Exact(_mlp_exact, "the layer's parameter shapes"),
                Sampled(
                    lambda rng: Model({MLP: Linear(100 * 100, 100).n_params}),
                    r"the library's linear layer with 10\,000 inputs and 100 outputs",
                    trials=1,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=1,
)


def _torch_rnn_count(e_: int, n_: int) -> int:
    import torch

    return sum(p.numel() for p in torch.nn.RNN(e_, n_).parameters())


def _rnn_exact():
    yield counting_model(
        {RNN_COUNT: count(RNN_CELL).subs(d_sym, e), TORCH_RNN: _torch_shapes()},
        free=(e, n),
        label="symbolic d, n",
    )


def _torch_shapes() -> sp.Expr:
    """torch.nn.RNN's parameters: weight_ih (n × e), weight_hh (n × n), bias_ih, bias_hh (n)."""
    return sp.expand(n * e + n * n + n + n)


def _rnn_float(rng):
    e_, n_ = (int(v) for v in rng.integers(1, 40, size=2))
    return Model({RNN_COUNT: RNN(e_, n_).n_params, e: e_, n: n_}, label=f"RNN({e_}, {n_})")


def _torch_float(rng):
    e_, n_ = (int(v) for v in rng.integers(1, 40, size=2))
    return Model(
        {TORCH_RNN: _torch_rnn_count(e_, n_), e: e_, n: n_}, label=f"torch.nn.RNN({e_}, {n_})"
    )


rnn_count = Claim(
    id="rnn-count",
    title=r"The RNN's first layer: 20\,100 weights",
    statement=(
        "Embeddings of size $d = 100$, $n = 100$ hidden units, the previous hidden state fed back: "
        r"$(100 + 100) \cdot 100 + 100 = 20\,100$ weights."
    ),
    assumptions=("one bias vector",),
    steps=(
        Step(
            RNN_COUNT,
            "=",
            (e + n) * n + n,
            (
                r"$d + n$ inputs ($\mathbf{x}^{(t)}$ and $\mathbf{h}^{(t-1)}$) times $n$ units, "
                "plus the bias"
            ),
            checks=(
                Exact(
                    _rnn_exact,
                    r"the symbolic RNN's $\mathbf{W}_h$, $\mathbf{W}_x$, $\mathbf{b}$",
                ),
                Sampled(
                    _rnn_float,
                    "the library's RNN with $d$ inputs and $n$ units, random sizes",
                    trials=5,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            RNN_COUNT,
            "=",
            sp.Integer(20_100),
            "$d = n = 100$",
            where=((e, 100), (n, 100)),
            checks=(
                Exact(_rnn_exact, "the symbolic RNN's parameter shapes"),
                Sampled(
                    lambda rng: Model({RNN_COUNT: RNN(100, 100).n_params}),
                    "the library's RNN with 100 inputs and 100 units",
                    trials=1,
                    tol=0.0,
                ),
            ),
        ),
        Step(
            TORCH_RNN,
            "=",
            (e + n) * n + 2 * n,
            r"PyTorch keeps two bias vectors, $\mathbf{b}_{ih}$ and $\mathbf{b}_{hh}$",
            checks=(
                Exact(_rnn_exact, "the parameter shapes of PyTorch's RNN"),
                Sampled(
                    _torch_float,
                    "the parameters of PyTorch's RNN with $d$ inputs and $n$ units, random sizes",
                    trials=3,
                    tol=0.0,
                    requires="torch",
                ),
            ),
        ),
        Step(
            TORCH_RNN,
            "=",
            sp.Integer(20_200),
            "$d = n = 100$",
            where=((e, 100), (n, 100)),
            checks=(
                Exact(_rnn_exact, "the parameter shapes of PyTorch's RNN"),
                Sampled(
                    lambda rng: Model({TORCH_RNN: _torch_rnn_count(100, 100)}),
                    "the parameters of PyTorch's RNN with 100 inputs and 100 units",
                    trials=1,
                    tol=0.0,
                    requires="torch",
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        r"The count of \cite{004} has one bias vector. PyTorch's RNN, with 100 inputs and "
        r"100 units, has 20\,200 parameters: it keeps two bias vectors, $\mathbf{b}_{ih}$ "
        r"and $\mathbf{b}_{hh}$, whose sum is the one bias of the formula."
    ),
    formula=1,
    cells=(RNN_CELL,),
)

CLAIMS = (mlp_window, rnn_count)
