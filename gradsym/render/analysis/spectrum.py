"""Figure "lyapunov-spectrum": the exponents λ_i against their index i, one curve per
model and unit, with ± one standard error; exponents at the round-off floor (directions
the step annihilates) are drawn on the floor with open markers."""

from __future__ import annotations

import numpy as np

from gradsym.render.analysis._common import curves, number, numbers
from gradsym.render.figures import style as st

NAME = "lyapunov-spectrum"
CAPTION = (
    "Lyapunov exponents λ_i (per step) against i by the QR method, with ± one standard "
    "error; λ < 0 contracts, λ = 0 keeps, λ > 0 amplifies a perturbation of the state."
)


def draw(report: dict):
    fig = st.new_figure(st.FULL_WIDTH, 3.0)
    ax = fig.add_subplot()
    ax.axhline(0.0, color=st.COLOURS["reference"], lw=0.6)
    lowest = 0.0
    for label, colour, dash, unit in curves(report):
        ly = unit["lyapunov"]
        lam = np.asarray(numbers(ly["exponents"]))
        se = np.nan_to_num(np.asarray(numbers(ly["standard_error"])), nan=0.0, posinf=0.0)
        floor = number(ly["roundoff_floor"])
        i = np.arange(1, lam.size + 1)
        dead = ~(lam > floor)
        shown = np.where(dead, floor, lam)
        ax.plot(i, shown, color=colour, ls=dash, label=label, marker="o" if lam.size <= 16 else "")
        band = ~dead
        ax.fill_between(
            i, np.where(band, lam - se, np.nan), np.where(band, lam + se, np.nan),
            color=colour, alpha=0.2, lw=0,
        )  # fmt: skip
        if dead.any():
            ax.plot(i[dead], shown[dead], ls="", marker="o", mfc="none", color=colour)
        lowest = min(lowest, float(shown.min()))
    ax.set_xlabel(r"index $i$")
    ax.set_ylabel(r"$\lambda_i$ (per step)")
    ax.set_xlim(left=0.5)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
