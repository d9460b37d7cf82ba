"""Figure "linear-case": σ = identity, so ∂h⁽ⁱ⁾/∂h⁽ʲ⁾ = W_hˡ and its eigenvalues decide.

Plotted, three panels:

(a) the eigenvalues of a seeded Gaussian W_h (n = 8) rescaled to spectral radius 0.9, and
    of the same matrix rescaled to 1.1, in the complex plane with the unit circle;
(b) ‖W_hˡ‖₂ against ℓ (log scale) for both, with the terms |λᵢ|ˡ of the eigen-expansion
    W_hˡ = Σ λᵢˡ qᵢ pᵢᵀ thin — every term inside the circle decays, one outside grows;
(c) the non-normal W = [[0.9, 10], [0, 0.9]]: spectral radius 0.9, yet ‖Wˡ‖₂ first grows
    (peak ≈ 38.7 at ℓ = 9, from the ℓ·0.9ˡ⁻¹ Jordan term) before it decays like 0.9ˡ.

Claims: linear-case, eigen-vanish (and its non-diagonalizable case), explode.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.optim.initialisers import set_spectral_radius
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "linear-case"
TITLE = r"Powers of the recurrent matrix: decay inside the unit circle, growth outside, a hump when non-normal"
CLAIMS = ("linear-case", "eigen-vanish", "explode")
CAPTION = (
    r"The linear RNN, $\phi(z) = z$, where $\partial \mathbf{h}^{(t)}/\partial "
    r"\mathbf{h}^{(t-\ell)} = \mathbf{W}_h^{\ell}$. (a) The eigenvalues $\lambda_k$ of "
    r"one seeded Gaussian $\mathbf{W}_h$ ($n = 8$) rescaled to spectral radius $\rho = "
    r"0.9$ and $1.1$, with the unit circle; rescaled to $1.1$, a conjugate pair "
    r"$1.057 \pm 0.306\,i$ lies outside it. (b) $\lVert \mathbf{W}_h^{\ell} \rVert_2$ "
    r"against $\ell$ (log scale) for both, with the moduli $\lvert \lambda_k "
    r"\rvert^{\ell}$ of the terms of the eigen-expansion (thin dashes): inside the circle "
    r"every term decays; the pair outside makes the norm grow. (c) The non-normal "
    r"$\mathbf{W} = \left[\begin{smallmatrix} 0.9 & 10 \\ 0 & 0.9 \end{smallmatrix}\right]$: "
    r"$\rho(\mathbf{W}) = 0.9$, yet $\lVert \mathbf{W}^{\ell} \rVert_2$ first grows, to "
    r"$38.7$ at $\ell = 9$, before it decays like $0.9^{\ell}$."
)

SIZE = 8
RADII = {"vanish": 0.9, "explode": 1.1}
MAX_LAG = 60
NON_NORMAL = [[0.9, 10.0], [0.0, 0.9]]
NON_NORMAL_LAGS = 80


def _power_norms(W: np.ndarray, max_lag: int) -> np.ndarray:
    """‖Wˡ‖₂ for ℓ = 0 … max_lag, by repeated multiplication."""
    P = np.eye(W.shape[0])
    out = [1.0]
    for _ in range(max_lag):
        P = W @ P
        out.append(np.linalg.norm(P, 2))
    return np.asarray(out)


def compute(seed: int = 0) -> dict:
    """Eigenvalues, power norms and the non-normal transient (see the module doc)."""
    rng = seeded(seed, NAME)
    base = rng.standard_normal((SIZE, SIZE)) / np.sqrt(SIZE)
    lags = np.arange(MAX_LAG + 1)
    matrices = []
    for key, rho in RADII.items():
        W = set_spectral_radius(base, rho)
        lam = np.linalg.eigvals(W)
        # Sorted by (modulus, angle) so the file does not depend on LAPACK's order.
        lam = lam[np.lexsort((np.angle(lam), np.abs(lam)))][::-1]
        moduli = np.unique(np.round(np.abs(lam), 12))[::-1]
        matrices.append(
            {
                "key": key,
                "spectral_radius": rho,
                "W_h": W,
                "eig_real": lam.real,
                "eig_imag": lam.imag,
                "power_norms": _power_norms(W, MAX_LAG),
                # one term |λ|ˡ per distinct modulus (conjugate pairs share one)
                "eig_moduli": moduli,
            }
        )
    N = np.asarray(NON_NORMAL)
    nn_norms = _power_norms(N, NON_NORMAL_LAGS)
    peak = int(np.argmax(nn_norms))
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "lags": lags,
        "matrices": matrices,
        "non_normal": {
            "W": N,
            "spectral_radius": float(np.max(np.abs(np.linalg.eigvals(N)))),
            "lags": np.arange(NON_NORMAL_LAGS + 1),
            "power_norms": nn_norms,
            "peak_lag": peak,
            "peak_norm": nn_norms[peak],
        },
    }


def _legend_below(ax, handlelength: float = 1.6) -> None:
    """The panel's legend under its axes, one entry a line: off the curves."""
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=1,
        fontsize=st.scaled(7),
        handlelength=handlelength,
        handletextpad=0.4,
    )


def draw(data: dict):
    """Three panels: eigenvalues and unit circle; ‖W_hˡ‖ with |λᵢ|ˡ; non-normal transient."""
    fig = st.new_figure(st.FULL_WIDTH, 2.9)
    ax_eig, ax_pow, ax_nn = fig.subplots(1, 3, gridspec_kw={"width_ratios": [0.8, 1, 1]})
    colour = {"vanish": st.COLOURS["rnn_below"], "explode": st.COLOURS["rnn_above"]}
    marker = {"vanish": "o", "explode": "x"}

    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    ax_eig.plot(np.cos(theta), np.sin(theta), color="k", lw=0.8)
    lags = np.asarray(data["lags"])
    for m in data["matrices"]:
        key, rho = m["key"], m["spectral_radius"]
        label = rf"$\rho(W_h) = {rho:g}$"
        ax_eig.plot(
            m["eig_real"],
            m["eig_imag"],
            ls="none",
            marker=marker[key],
            color=colour[key],
            mfc="none" if key == "vanish" else colour[key],
            label=label,
        )
        for k, mod in enumerate(m["eig_moduli"]):
            ax_pow.plot(
                lags,
                np.asarray(mod, float) ** lags,
                color=colour[key],
                lw=0.6,
                alpha=0.45,
                ls="--",
                label=r"terms $|\lambda_k|^\ell$" if (k == 0 and key == "vanish") else None,
            )
        ax_pow.plot(
            lags,
            m["power_norms"],
            color=colour[key],
            lw=1.6,
            label=rf"$\|\mathbf{{W}}_h^\ell\|_2$, $\rho = {rho:g}$",
        )
    ax_eig.set_aspect("equal")
    ax_eig.set_xlim(-1.3, 1.3)
    ax_eig.set_ylim(-1.3, 1.3)
    ax_eig.axhline(0, color="0.6", lw=0.5)
    ax_eig.axvline(0, color="0.6", lw=0.5)
    ax_eig.set_xlabel(r"$\mathrm{Re}\,\lambda_k$")
    ax_eig.set_ylabel(r"$\mathrm{Im}\,\lambda_k$")
    _legend_below(ax_eig, handlelength=1.0)
    st.panel_label(ax_eig, "a")

    ax_pow.set_yscale("log")
    ax_pow.set_xlim(0, lags[-1])
    ax_pow.set_ylim(1e-10, 1e4)  # the fastest terms leave the picture: they only vanish
    ax_pow.set_xlabel(r"lag $\ell$ (time steps)")
    ax_pow.set_ylabel(r"$\|\mathbf{W}_h^\ell\|_2$ and $|\lambda_k|^\ell$")
    _legend_below(ax_pow)
    st.panel_label(ax_pow, "b")

    nn = data["non_normal"]
    nl = np.asarray(nn["lags"])
    rho = nn["spectral_radius"]
    ax_nn.plot(nl, nn["power_norms"], color="k", lw=1.6, label=r"$\|\mathbf{W}^\ell\|_2$")
    ax_nn.plot(
        nl,
        rho**nl,
        color=st.COLOURS["reference"],
        ls="--",
        lw=1.0,
        label=rf"$\rho(\mathbf{{W}})^\ell = {rho:g}^\ell$",
    )
    ax_nn.plot([nn["peak_lag"]], [nn["peak_norm"]], "o", color=st.COLOURS["rnn_above"], ms=4)
    ax_nn.annotate(
        rf"peak ${nn['peak_norm']:.1f}$ at $\ell = {nn['peak_lag']}$",
        xy=(nn["peak_lag"], nn["peak_norm"]),
        xytext=(nn["peak_lag"] + 12, nn["peak_norm"] * 1.6),
        fontsize=st.scaled(7.5),
        arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.3"},
    )
    ax_nn.set_yscale("log")
    ax_nn.set_xlim(0, nl[-1])
    ax_nn.set_ylim(1e-3, 5e2)
    ax_nn.set_xlabel(r"lag $\ell$ (time steps)")
    ax_nn.set_ylabel(r"$\|\mathbf{W}^\ell\|_2$")
    _legend_below(ax_nn)
    st.panel_label(ax_nn, "c", r"$\mathbf{W} = \genfrac{[}{]}{0}{}{0.9\quad 10}{0\quad\;\; 0.9}$")
    return fig
