"""Figure "jacobian-heatmaps": the state Jacobian of an LSTM and of a GRU at one step.

Plotted (diverging colour map, symmetric about 0, one scale and one colour bar for both
panels, entry [i, j] = ∂sᵢ⁽ᵗ⁾/∂sⱼ⁽ᵗ⁻¹⁾, numerator layout):

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
TITLE = r"One step's state Jacobian: the LSTM's cell block is diagonal, the GRU's diagonal holds the short path"
CLAIMS = ("lstm-jacobians", "lstm-cell-path", "gru-jacobian")
CAPTION = (
    r"The state Jacobians of one step, entry $(\mu, \nu)$ the derivative of entry $\mu$ "
    r"of the new state by entry $\nu$ of the previous one, on one colour scale: (a) the "
    r"LSTM's, of the state $[\mathbf{h}; \mathbf{c}]$, whose $\mathbf{c}$--$\mathbf{c}$ "
    r"block is $\operatorname{diag}(\mathbf{f}^{(t)})$; (b) the GRU's, whose diagonal holds "
    r"$1 - \mathbf{u}^{(t)}$ plus the gate and candidate terms. $n = 8$ units, 3 inputs, "
    r"weights and biases uniform in $\pm 1/\sqrt{n}$ but the LSTM's $\mathbf{b}_f = "
    r"\mathbf{1}$, at step $t = 6$ of one seeded input sequence $\mathbf{x}^{(t)} \sim "
    r"\mathcal{N}(0, \mathbf{I})$."
)

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


def _heatmap(ax, J: np.ndarray, vmax: float, letter: str, title: str):
    im = ax.imshow(J, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    st.panel_label(ax, letter, title)
    return im


def draw(data: dict):
    """Two heatmaps on one colour scale (symmetric about 0, one colour bar), block
    boundaries and block names for the LSTM, entry indices for the GRU."""
    fig = st.new_figure(st.FULL_WIDTH, 3.2)
    ax_l, ax_g = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.0]})
    n = data["settings"]["hidden_size"]
    J = np.asarray(data["lstm"]["jacobian"])
    G = np.asarray(data["gru"]["jacobian"])
    # One scale for both panels: the same colour is the same number in (a) and (b).
    vmax = float(max(np.max(np.abs(J)), np.max(np.abs(G))))

    im = _heatmap(ax_l, J, vmax, "a", r"LSTM, state $[\mathbf{h}; \mathbf{c}]$")
    ax_l.axhline(n - 0.5, color="k", lw=0.9)
    ax_l.axvline(n - 0.5, color="k", lw=0.9)
    ticks = [n / 2 - 0.5, 3 * n / 2 - 0.5]
    ax_l.set_xticks(ticks, [r"$h^{(t-1)}$", r"$c^{(t-1)}$"])
    ax_l.set_yticks(ticks, [r"$h^{(t)}$", r"$c^{(t)}$"])
    ax_l.tick_params(length=0)
    # The two diagonal blocks are named in their empty lower left corners (the dense
    # blocks are named by the ticks: row h⁽ᵗ⁾, column h⁽ᵗ⁻¹⁾ is ∂h/∂h).
    blocks = {(0, 1): r"$\partial h/\partial c$", (1, 1): r"$\mathrm{diag}(f^{(t)})$"}
    for (r, c), text in blocks.items():
        ax_l.text(
            c * n + 0.1 - 0.5,
            (r + 1) * n - 0.6,
            text,
            fontsize=st.scaled(7),
            va="bottom",
            ha="left",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8},
        )

    _heatmap(ax_g, G, vmax, "b", r"GRU $\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$")
    idx = list(range(n))
    ax_g.set_xticks(idx, [str(i + 1) for i in idx])
    ax_g.set_yticks(idx, [str(i + 1) for i in idx])
    ax_g.tick_params(length=0)
    ax_g.set_xlabel(r"$\nu$ of $h^{(t-1)}_\nu$")
    ax_g.set_ylabel(r"$\mu$ of $h^{(t)}_\mu$")

    cb = fig.colorbar(im, ax=[ax_l, ax_g], shrink=0.85, pad=0.02)
    cb.set_label(r"entry $\partial s_i^{(t)}/\partial s_j^{(t-1)}$")
    return fig
