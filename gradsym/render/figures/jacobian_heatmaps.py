"""Figure "jacobian-heatmaps": the state Jacobian of an LSTM and of a GRU at one step.

Plotted (diverging colour map, symmetric about 0, entry [i, j] = ∂sᵢ⁽ᵗ⁾/∂sⱼ⁽ᵗ⁻¹⁾,
numerator layout):

(a) the LSTM's ∂(h⁽ᵗ⁾, c⁽ᵗ⁾)/∂(h⁽ᵗ⁻¹⁾, c⁽ᵗ⁻¹⁾), n = 8, split into its four blocks — the
    c–c block is diagonal, diag(f⁽ᵗ⁾) (claim lstm-cell-path), the other three are dense;
(b) the textbook GRU's ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾, n = 8: diag(1 − u) plus dense gate and candidate
    terms (claim gru-jacobian).

Both at step t = 6 of a seeded input sequence (so the previous state is not zero), from
:meth:`~gradsym.numeric.cells.cell.Cell.state_jacobian`; PyTorch's default initialisation, the
LSTM with forget bias 1.

Claims: lstm-jacobians, lstm-cell-path, gru-jacobian.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.nets.network import state_at
from gradsym.numeric.optim.initialisers import initialise
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "jacobian-heatmaps"
CLAIMS = ("lstm-jacobians", "lstm-cell-path", "gru-jacobian")
CAPTION = r"The state Jacobian of an LSTM and of a GRU at one step, entry $(i, j)$ equal to $\partial s_i^{(t)}/\partial s_j^{(t-1)}$."

INPUT_SIZE, HIDDEN, STEP = 3, 8, 6


def compute(seed: int = 0) -> dict:
    """The two state Jacobians at step ``STEP`` and the gate values they contain."""
    rng = seeded(seed, NAME)
    xs = rng.standard_normal((STEP, 1, INPUT_SIZE))
    lstm = initialise(
        LSTM(INPUT_SIZE, HIDDEN), recurrent="uniform", bias="uniform", forget_bias=1.0, rng=rng
    )
    gru = initialise(GRU(INPUT_SIZE, HIDDEN), recurrent="uniform", bias="uniform", rng=rng)
    out = {}
    for key, cell, gate in (("lstm", lstm, "f"), ("gru", gru, "u")):
        trace = cell.forward(xs)
        # s⁽ᵗ⁻¹⁾ and x⁽ᵗ⁾ of the last step: the Jacobian of the step that read xs[-1].
        J, _ = cell.state_jacobian(xs[-1], state_at(trace, STEP - 1))
        out[key] = {"jacobian": J[0], gate: trace.gates[gate][-1, 0]}
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "settings": {
            "input_size": INPUT_SIZE,
            "hidden_size": HIDDEN,
            "step": STEP,
            "init": "PyTorch uniform weights and biases; LSTM b_f = 1; GRU variant textbook",
            "inputs": "x ~ N(0, 1), state0 = 0",
        },
        "lstm": out["lstm"],
        "gru": out["gru"],
    }


def _heatmap(fig, ax, J: np.ndarray, letter: str, title: str):
    vmax = float(np.max(np.abs(J)))
    im = ax.imshow(J, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, shrink=0.85, pad=0.02)
    cb.ax.tick_params(labelsize=7)
    cb.set_label("entry value (dimensionless)", fontsize=7.5)
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    st.panel_label(ax, letter, title, fontsize=8.5)
    return im


def draw(data: dict):
    """Two heatmaps with block boundaries and block names for the LSTM."""
    fig = st.new_figure(st.FULL_WIDTH, 3.2)
    ax_l, ax_g = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.0]})
    n = data["settings"]["hidden_size"]

    J = np.asarray(data["lstm"]["jacobian"])
    _heatmap(fig, ax_l, J, "a", r"LSTM $\partial s^{(t)}/\partial s^{(t-1)}$, $s = [h; c]$")
    for v in (n - 0.5,):
        ax_l.axhline(v, color="k", lw=0.9)
        ax_l.axvline(v, color="k", lw=0.9)
    ticks = [n / 2 - 0.5, 3 * n / 2 - 0.5]
    ax_l.set_xticks(ticks, [r"$h^{(t-1)}$", r"$c^{(t-1)}$"])
    ax_l.set_yticks(ticks, [r"$h^{(t)}$", r"$c^{(t)}$"])
    ax_l.tick_params(length=0)
    blocks = {
        (0, 0): r"$\partial h/\partial h$",
        (0, 1): r"$\partial h/\partial c$",
        (1, 0): r"$\partial c/\partial h$",
        (1, 1): r"$\mathrm{diag}(f^{(t)})$",
    }
    for (r, c), text in blocks.items():
        ax_l.text(
            c * n + 0.2 - 0.5,
            r * n + 0.2 - 0.5,
            text,
            fontsize=6.5,
            va="top",
            ha="left",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.8},
        )

    G = np.asarray(data["gru"]["jacobian"])
    _heatmap(fig, ax_g, G, "b", r"GRU $\partial h^{(t)}/\partial h^{(t-1)}$ (textbook form)")
    idx = list(range(0, n, 2))
    ax_g.set_xticks(idx, [rf"$h^{{(t-1)}}_{{{i + 1}}}$" for i in idx])
    ax_g.set_yticks(idx, [rf"$h^{{(t)}}_{{{i + 1}}}$" for i in idx])
    ax_g.tick_params(labelsize=7)
    ax_g.set_xlabel(r"diagonal $\approx 1 - u^{(t)}$ plus gate and candidate terms", fontsize=7.5)
    return fig
