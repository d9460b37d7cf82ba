"""Figure "orthogonal-init": singular values of W_hˡ over ℓ, orthogonal against Gaussian.

Plotted (log scale, two panels sharing the y axis): every singular value of W_hˡ,
ℓ = 1 … 50, for an n = 32 recurrent matrix drawn by
:func:`~gradsym.numeric.optim.initialisers.orthogonal` (all equal to 1 for every ℓ: ‖Qˡx‖ = ‖x‖)
and by :func:`~gradsym.numeric.optim.initialisers.scaled_gaussian` with std 1/√n (spectral
radius ≈ 1, yet the singular values fan out: some directions explode, most vanish).
The largest and the smallest are drawn thicker.

Claims: orthogonal, linear-case, eigen-vanish, explode.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.optim.initialisers import orthogonal, scaled_gaussian, spectral_radius
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "orthogonal-init"
CLAIMS = ("orthogonal", "linear-case", "eigen-vanish", "explode")
CAPTION = r"The singular values of $\mathbf{W}_h^{\ell}$ against $\ell$: an orthogonal matrix against a Gaussian one."

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
        "orthogonal": ("orthogonal $Q$ (Haar)", orthogonal((SIZE, SIZE), rng)),
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
    """Two panels, one line per singular-value index, extremes thicker."""
    fig = st.new_figure(st.FULL_WIDTH, 2.6)
    axes = fig.subplots(1, 2, sharey=True)
    lags = np.asarray(data["lags"])
    for ax, panel, letter in zip(axes, data["panels"], "ab"):
        sv = np.asarray(panel["singular_values"], dtype=float)
        colour = st.COLOURS[panel["key"]]
        ax.plot(lags, sv[:, 1:-1], color=colour, lw=0.5, alpha=0.45)
        ax.plot(lags, sv[:, 0], color=colour, lw=1.6, label=r"largest $\sigma_1(W_h^\ell)$")
        ax.plot(
            lags, sv[:, -1], color=colour, lw=1.6, ls="--", label=r"smallest $\sigma_n(W_h^\ell)$"
        )
        ax.plot([], [], color=colour, lw=0.5, alpha=0.6, label="the others")
        ax.set_yscale("log")
        ax.set_xlim(1, lags[-1])
        ax.set_xlabel(r"power $\ell$ (time steps)")
        ax.legend(
            loc="lower left",
            fontsize=7,
            frameon=True,
            facecolor="white",
            edgecolor="none",
            framealpha=0.9,
        )
        st.panel_label(
            ax,
            letter,
            rf"{panel['label']}, $n = {data['hidden_size']}$, "
            rf"$\rho(W_h) = {panel['spectral_radius']:.2f}$",
        )
    axes[0].set_ylabel(r"singular values of $W_h^\ell$")
    # Below ~1e-8 the SVD of a product whose top value is ~1e5 only shows rounding noise.
    axes[0].set_ylim(1e-8, 1e6)
    return fig
