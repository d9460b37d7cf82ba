"""Figure "orthogonal-init": singular values of W_hˡ over ℓ, orthogonal against Gaussian.

Plotted (log scale, one panel): every singular value of W_hˡ,
ℓ = 1 … 50, for an n = 32 recurrent matrix drawn by
:func:`~gradsym.numeric.optim.initialisers.orthogonal` (all equal to 1 for every ℓ: ‖Qˡx‖ = ‖x‖)
and by :func:`~gradsym.numeric.optim.initialisers.scaled_gaussian` with std 1/√n (spectral
radius ≈ 1, yet the singular values fan out: some directions explode, most vanish).
The largest and the smallest are drawn thicker.

Claims: orthogonal, linear-case, eigen-vanish, explode.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from gradsym.numeric.optim.initialisers import orthogonal, scaled_gaussian, spectral_radius
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "orthogonal-init"
TITLE = (
    r"Powers of an orthogonal matrix keep every singular value at 1; a Gaussian matrix's fan out"
)
CLAIMS = ("orthogonal", "linear-case", "eigen-vanish", "explode")
RESOLVED = 1e-13  # the smallest singular value drawn, relative to the largest
CAPTION = (
    r"The singular values of $\mathbf{W}_h^{\ell}$ against the power $\ell$ (log scale), "
    r"$n = 32$. An orthogonal $\mathbf{W}_h$ (drawn uniformly among orthogonal matrices) "
    r"keeps all 32 at 1 for every $\ell$: one line, since $\lVert \mathbf{Q}^{\ell} "
    r"\mathbf{x} \rVert = \lVert \mathbf{x} \rVert$. A Gaussian $\mathbf{W}_h$ with entries "
    r"of standard deviation $1/\sqrt{n}$ (spectral radius $1.25$ in this draw) fans out: "
    r"the largest grows, the smallest fall by many orders of magnitude (solid: the "
    r"largest; dashed: the smallest; thin: the others). A value below $10^{-13}$ times the "
    r"largest of the same power is not drawn: double precision cannot resolve it. One "
    r"seeded draw of each."
)

SIZE, MAX_LAG = 32, 50


def _power_singular_values(W: np.ndarray, max_lag: int) -> np.ndarray:
    """Singular values of Wˡ, ℓ = 1 … max_lag, descending: (max_lag, n)."""
    P = np.eye(W.shape[0])
    out = []
    for _ in range(max_lag):
        P = W @ P
        out.append(np.linalg.svd(P, compute_uv=False))
    return np.asarray(out)


def compute(seed: int = 0) -> dict:
    """Singular values of the powers of an orthogonal and a Gaussian W_h."""
    rng = seeded(seed, NAME)
    inits = {
        "orthogonal": (r"orthogonal $\mathbf{Q}$", orthogonal((SIZE, SIZE), rng)),
        "gaussian": (r"Gaussian, std $1/\sqrt{n}$", scaled_gaussian((SIZE, SIZE), rng)),
    }
    panels = []
    for key, (label, W) in inits.items():
        panels.append(
            {
                "key": key,
                "label": label,
                "spectral_radius": spectral_radius(W),
                "singular_values": _power_singular_values(W, MAX_LAG),  # [ℓ − 1][i]
            }
        )
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "hidden_size": SIZE,
        "lags": np.arange(1, MAX_LAG + 1),
        "panels": panels,
    }


def draw(data: dict):
    """One panel: the Gaussian's singular values fan out (one thin line each, the
    extremes thicker) while the orthogonal matrix's all stay at 1 (one thick line: the
    32 coincide); the legend beside the axes."""
    fig = st.new_figure(st.FULL_WIDTH, 2.7)
    ax = fig.add_subplot()
    lags = np.asarray(data["lags"])
    panels = {p["key"]: p for p in data["panels"]}
    n = data["hidden_size"]
    g = panels["gaussian"]
    sv = np.asarray(g["singular_values"], dtype=float)
    # below 1e-13 of the largest, double precision cannot resolve a singular value
    sv = np.where(sv >= RESOLVED * sv[:, :1], sv, np.nan)
    colour = st.COLOURS["gaussian"]
    ax.plot(lags, sv[:, 1:-1], color=colour, lw=0.5, alpha=0.5)
    ax.plot(lags, sv[:, 0], color=colour, lw=1.6)
    ax.plot(lags, sv[:, -1], color=colour, lw=1.6, ls="--")
    q = panels["orthogonal"]
    sq = np.asarray(q["singular_values"], dtype=float)
    # All n lines of the orthogonal matrix lie on top of each other at 1.
    ax.plot(lags, sq, color=st.COLOURS["orthogonal"], lw=2.2)
    handles = [
        Line2D([], [], color=st.COLOURS["orthogonal"], lw=2.2),
        Line2D([], [], color=colour, lw=1.6),
        Line2D([], [], color=colour, lw=0.5, alpha=0.7),
        Line2D([], [], color=colour, lw=1.6, ls="--"),
    ]
    labels = [
        f"{q['label']}: all {n} singular values $= 1$"
        + "\n"
        + rf"($\rho = {q['spectral_radius']:.2f}$)",
        f"{g['label']}" + "\n" + rf"($\rho = {g['spectral_radius']:.2f}$): the largest",
        f"the other {n - 2}",
        "the smallest",
    ]
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    ax.set_yscale("log")
    ax.set_xlim(1, lags[-1])
    ax.set_xlabel(r"power $\ell$ (time steps)")
    ax.set_ylabel(r"singular values of $\mathbf{W}_h^\ell$")
    low = np.floor(np.log10(np.nanmin(sv)))
    ax.set_ylim(10.0**low, 1e6)
    return fig
