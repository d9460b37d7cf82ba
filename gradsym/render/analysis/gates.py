"""Figure "gates": (a) the carry path over a span of ℓ steps — ∏ f for the LSTM, ∏ (1 − u)
for the notes' GRU, ∏ z for PyTorch's — median and 10–90 % band over units × sequences;
then one panel per sigmoid gate with the distribution of its values."""

from __future__ import annotations

import numpy as np

from gradsym.render.analysis._common import curves, numbers
from gradsym.render.figures import style as st

NAME = "gates"
CAPTION = (
    "(a) The carry path ∏ f (LSTM), ∏ (1 − u) (GRU, notes) or ∏ z (GRU, PyTorch) over a span "
    "of ℓ steps ending at T: median and 10–90 % band over units and sequences. Then the "
    "distribution of each gate's values over steps, sequences and units."
)


def gated(report: dict) -> list:
    """The curves whose unit has gates."""
    return [c for c in curves(report) if c[3]["gates"] is not None]


def draw(report: dict):
    rows = gated(report)
    gate_names = list(dict.fromkeys(g for *_, unit in rows for g in unit["gates"]["gates"]))
    panels = 1 + len(gate_names)
    cols = min(panels, 3)
    nrows = -(-panels // cols)
    fig = st.new_figure(st.FULL_WIDTH, 2.2 * nrows + 0.4)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    ax = axes[0]
    for label, colour, dash, unit in rows:
        carry = unit["gates"]["carry"]
        lags = np.asarray(carry["lags"], dtype=float)
        q = carry["log10"]
        with np.errstate(under="ignore"):
            ax.plot(lags, 10.0 ** np.asarray(numbers(q["median"])), color=colour, ls=dash,
                    label=f"{label}: {carry['name']}")  # fmt: skip
            ax.fill_between(
                lags, 10.0 ** np.asarray(numbers(q["q10"])), 10.0 ** np.asarray(numbers(q["q90"])),
                color=colour, alpha=0.15, lw=0,
            )  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel(r"span $\ell$ (steps)")
    ax.set_ylabel("carry path")
    st.panel_label(ax, "a", "carry path")
    ax.legend(fontsize=6)
    for k, gate in enumerate(gate_names, start=1):
        ax = axes[k]
        for label, colour, dash, unit in rows:
            stats = unit["gates"]["gates"].get(gate)
            if stats is None:
                continue
            hist = np.asarray(numbers(stats["histogram"]))
            edges = np.linspace(0.0, 1.0, hist.size + 1)
            ax.stairs(hist, edges, color=colour, ls=dash, label=label)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"gate value {gate}")
        ax.set_ylabel("fraction")
        st.panel_label(ax, chr(ord("a") + k), f"gate {gate}")
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig
