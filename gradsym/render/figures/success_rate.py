"""Figure "success-rate": share of 10 seeded runs (1500 steps, 16 units) whose test MSE on the adding problem falls below a tenth of the trivial 1/6, against the length T; 95 % Wilson bands.

Drawn from the committed results of the example sweep
``gradsym/experiments/examples/classic.toml`` (its database ``classic/sweep.db``), never
by training: ``gradsym build`` stays fast, and ``gradsym sweep`` regenerates the database.

(a) The models: a tanh RNN with Gaussian and with orthogonal W_h, an LSTM with forget-gate
    bias 0 and 1, a GRU; Adam (lr 0.01), norm clipping at 1.
(b) Pascanu, Mikolov & Bengio (2013)'s fixes on a tanh RNN with their sparse
    initialisation: SGD with momentum 0.9 (lr 0.05), then with norm clipping at 1, then
    with clipping and their regulariser Ω (weight 2).

Task: the adding problem of Le, Jaitly & Hinton (2015), batches of 32; success: MSE on
256 fresh sequences after the last step below 1/60. The budget is small on purpose (the
whole sweep takes about half an hour on two cores); where a model fails at every length
at this budget the figure says so, rather than being tuned until it looks classic.

Claims: sequential-recency, lstm-cell-path, forget-bias, gru-retain, clip-norm, orthogonal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradsym.render.figures import style as st

NAME = "success-rate"
TITLE = (
    r"Success against the sequence length: the gated cells keep learning as the dependency grows"
)
CLAIMS = (
    "sequential-recency",
    "lstm-cell-path",
    "forget-bias",
    "gru-retain",
    "clip-norm",
    "orthogonal",
)
CAPTION = (
    r"The share of 10 seeds that solve the adding problem \cite{le2015} (a loss on 256 "
    r"fresh sequences below a tenth of the trivial baseline $1/6$) after a budget of 1500 "
    r"steps of 32 sequences, against the length $T$ of the dependency; $n = 16$ units; "
    r"bands: 95\% Wilson intervals; the markers of curves with equal rates are set side by "
    r"side. (a) Adam with learning rate $0.01$ and norm clipping at 1: the tanh RNN, "
    r"Gaussian or orthogonal $\mathbf{W}_h$ (the two coincide), fails from $T = 50$ on; the "
    r"LSTM (with $\mathbf{b}_f = \mathbf{0}$ and $\mathbf{1}$) holds longer and the GRU "
    r"solves every length. (b) The setting of \cite{pascanu2013}: a tanh RNN with sparse "
    r"initialisation (15 non-zero weights per unit, spectral radius $0.95$) trained by SGD "
    r"with momentum, with norm clipping added, and with clipping and their regulariser "
    r"$\Omega$ added. Within this budget none of the "
    r"three learns beyond $T = 10$: the panel shows what 1500 steps buy, not that the "
    r"fixes fail; the paper trains for far longer. Every run is seeded; the results are "
    r"stored beside the figure and reread, not retrained, when the figure is drawn."
)

#: The example sweep: its spec and the folder of its committed database.
EXAMPLES = Path(__file__).resolve().parents[2] / "experiments" / "examples"
SPEC = EXAMPLES / "classic.toml"
RESULTS = EXAMPLES / "classic"

# One colour and dash per configuration, in the spec's order (Okabe–Ito via the house
# palette: the models keep their colours of the other figures).
_COLOURS = {
    "tanh RNN, Gaussian init": st.COLOURS["gaussian"],
    "tanh RNN, orthogonal init": st.COLOURS["orthogonal"],
    "LSTM, forget bias 0": st.COLOURS["lstm"],
    "LSTM, forget bias 1": st.COLOURS["lstm_bf1"],
    "GRU": st.COLOURS["gru"],
    "SGD": st.COLOURS["raw"],
    "SGD + clipping": st.COLOURS["norm_clip"],
    "SGD + clipping + Omega": st.COLOURS["value_clip"],
}
_FALLBACK = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000")
_DASHES = ("-", (0, (5, 1.5)), (0, (1.5, 1)), (0, (4, 1, 1, 1)), (0, (3, 1.5)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_PANEL_TITLES = {
    "cells": "the models (Adam, clipping)",
    "fixes": "Pascanu et al.'s fixes",
}


def compute(seed: int = 0, *, folder: str | Path | None = None) -> dict:
    """The report of the example sweep's committed database (``folder`` for another
    sweep's). ``seed`` is recorded only: the runs' seeds are those of the sweep."""
    from gradsym.experiments.success_rates import report

    rep = report(RESULTS if folder is None else folder)
    return {"figure": NAME, "claims": list(CLAIMS), "seed": seed, **rep.figure_data()}


def _label(text: str) -> str:
    return text.replace("Omega", r"$\Omega$")


def draw(data: dict):
    """One panel per panel name of the spec: success rate against x, a line and markers
    per configuration, its 95 % Wilson interval as a band."""
    panels = data["panels"]
    fig = st.new_figure(st.FULL_WIDTH, 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for index, (ax, panel) in enumerate(zip(axes, panels)):
        curves = [c for c in data["curves"] if c["panel"] == panel]
        for i, curve in enumerate(curves):
            colour = _COLOURS.get(curve["label"], _FALLBACK[i % len(_FALLBACK)])
            # side by side on the log axis: curves with the same rates stay visible
            x = np.asarray(curve["x"], float) * 1.07 ** (i - (len(curves) - 1) / 2)
            rate = np.asarray([np.nan if v is None else v for v in curve["rate"]], float)
            low = np.asarray([np.nan if v is None else v for v in curve["low"]], float)
            high = np.asarray([np.nan if v is None else v for v in curve["high"]], float)
            ax.fill_between(x, low, high, color=colour, alpha=0.13, lw=0)
            ax.plot(
                x,
                rate,
                color=colour,
                ls=_DASHES[i % len(_DASHES)],
                marker=_MARKERS[i % len(_MARKERS)],
                label=_label(curve["label"]),
            )
        ax.set_xscale("log")
        xs = sorted({v for c in curves for v in c["x"]})
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{v:g}" for v in xs])
        ax.minorticks_off()
        ax.set_xlim(xs[0] / 1.3, xs[-1] * 1.3)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(f"sequence length {'$T$' if data['x'] == 'length' else data['x']}")
        if index == 0:
            ax.set_ylabel("success rate (95 % Wilson band)")
        st.panel_label(ax, "abcdefgh"[index], _PANEL_TITLES.get(panel, panel))
        # below the panel: no curve is hidden behind the legend
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=st.scaled(7))
    return fig
