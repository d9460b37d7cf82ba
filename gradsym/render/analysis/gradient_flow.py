"""Figure "gradient-flow": the median ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ against the lag ℓ, with the band
from the 10 % to the 90 % sequence, one curve per model and unit (log scale)."""

from __future__ import annotations

import numpy as np

from gradsym.numeric.analysis.result import flow_norm
from gradsym.render.analysis._common import curves, numbers
from gradsym.render.figures import style as st

NAME = "gradient-flow"
CAPTION = (
    "Median ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ over the sequences against the lag ℓ (log scale), with the "
    "10–90 % band; for the LSTM the h–h block of ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾ (c⁽ᵀ⁻ˡ⁾ held fixed)."
)


def caption(block: str = "h") -> str:
    """The caption for the flow of ``block`` (:data:`CAPTION` for h)."""
    if block == "h":
        return CAPTION
    what = "the whole state s" if block == "state" else f"the {block}–{block} block"
    return (
        f"Median {flow_norm(block)} over the sequences against the lag ℓ (log scale), with "
        f"the 10–90 % band: {what} of ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾."
    )


def draw(report: dict):
    fig = st.new_figure(st.FULL_WIDTH, 3.0)
    ax = fig.add_subplot()
    for label, colour, dash, unit in curves(report):
        flow = unit["gradient_flow"]
        lags = np.asarray(flow["lags"], dtype=float)
        q = flow["log10_norm"]
        median = 10.0 ** np.asarray(numbers(q["median"]))
        ax.plot(lags, median, color=colour, ls=dash, label=label)
        with np.errstate(under="ignore"):
            ax.fill_between(
                lags,
                10.0 ** np.asarray(numbers(q["q10"])),
                10.0 ** np.asarray(numbers(q["q90"])),
                color=colour,
                alpha=0.15,
                lw=0,
            )
    ax.set_yscale("log")
    ax.set_xlim(left=1)
    ax.set_xlabel(r"lag $\ell$ (time steps)")
    v = report.get("settings", {}).get("flow_block", "h")
    v = "s" if v == "state" else v
    ax.set_ylabel(rf"$\|\partial {v}^{{(T)}} / \partial {v}^{{(T-\ell)}}\|_2$")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
