"""Figure "lstm-cell-path": ‖∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾‖₂ against the lag, by forget-gate bias.

Plotted (log scale; mean over a batch of input sequences of log10, 10–90 % band):
for an LSTM (n = 16, PyTorch's uniform recurrent and input weights, zero biases) with
forget-gate bias b_f = 0, 1, 3 and for the 1997 LSTM without a forget gate,

* solid: the full derivative ∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾, the c–c block of the product of state
  Jacobians ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾ with s = [h; c] (every path, through h too);
* dashed: the direct cell path alone, ‖∏ diag(f⁽ᵗ⁾)‖₂ = maxᵢ ∏ₜ fᵢ⁽ᵗ⁾ (identity, norm 1,
  without a forget gate).

With b_f = 0 the gate sits near σ(0) = ½ and the path decays like ½ˡ; b_f = 3 gives
f ≈ σ(3) ≈ 0.95 and the gradient survives ten times longer; without a forget gate the
direct path is the identity (the constant error carousel).

Claims: lstm-cell-path, forget-bias, cec, lstm-remember.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.nets.spans import jacobian_products
from gradsym.numeric.optim.initialisers import initialise
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "lstm-cell-path"
TITLE = r"The forget-gate bias sets how slowly the cell path decays; without a forget gate it does not decay"
CLAIMS = ("lstm-cell-path", "forget-bias", "cec", "lstm-remember")
CAPTION = (
    r"$\lVert \partial \mathbf{c}^{(T)}/\partial \mathbf{c}^{(T-\ell)} \rVert_2$ against "
    r"the lag $\ell$ (log scale) for LSTMs of $n = 16$ units, weights uniform in $\pm "
    r"1/\sqrt{n}$, biases 0 but the forget gate's, $\mathbf{b}_f = \mathbf{0}$, "
    r"$\mathbf{1}$ or $3 \cdot \mathbf{1}$, and for the LSTM without a forget gate. Dashed: "
    r"the direct path, $\lVert \operatorname{diag}(\mathbf{f}^{(T)}) \cdots "
    r"\operatorname{diag}(\mathbf{f}^{(T-\ell+1)}) \rVert_2$, which decays like the product "
    r"of the forget gates (about $1/2$, $0.73$, $0.95$ per step) and is exactly 1 without "
    r"a forget gate. Solid: the full derivative, every path through $\mathbf{h}$ and the "
    r"gates too. Without a forget gate those other paths add to the constant direct path "
    r"with nothing to damp them, and the full derivative grows to about $10^2$ at $\ell = "
    r"100$: the carousel keeps the gradient, and can let it grow. Lines: geometric means "
    r"over 16 input sequences $\mathbf{x}^{(t)} \sim \mathcal{N}(0, \mathbf{I})$ in "
    r"$\mathbb{R}^4$; bands: their 10\% to 90\% range. One seeded draw."
)

INPUT_SIZE, HIDDEN, LENGTH, BATCH = 4, 16, 100, 16
FORGET_BIASES = (0.0, 1.0, 3.0)
# The colours of the LSTMs in the other figures (b_f ≈ 0 orange, b_f = 1 brown), blue for
# b_f = 3, the CEC (no forget gate) in black: distinct hues, each dark enough to print.
_SHADES = {
    "b_f=0": st.COLOURS["lstm"],
    "b_f=1": st.COLOURS["lstm_bf1"],
    "b_f=3": st.COLOURS["rnn"],
    "no forget gate": "#000000",
}


def _quantiles(log10: np.ndarray) -> dict:
    return {
        "mean": log10.mean(axis=1),
        "q10": np.quantile(log10, 0.1, axis=1),
        "q90": np.quantile(log10, 0.9, axis=1),
    }


def compute(seed: int = 0) -> dict:
    """Full and direct-path cell Jacobian norms per lag for the four LSTMs."""
    rng = seeded(seed, NAME)
    xs = rng.standard_normal((LENGTH, BATCH, INPUT_SIZE))
    configs = [(f"b_f={b:g}", b) for b in FORGET_BIASES] + [("no forget gate", None)]
    curves = []
    for key, bias in configs:
        cell = LSTM(INPUT_SIZE, HIDDEN, forget_gate=bias is not None)
        initialise(cell, recurrent="uniform", rng=rng, forget_bias=bias)
        spans = jacobian_products(cell, xs, keep_products=True)
        cc = spans.products[:, :, HIDDEN:, HIDDEN:]  # s = [h; c]: the c–c block
        full = np.log10(np.linalg.svd(cc, compute_uv=False)[..., 0])
        if bias is None:
            direct = np.zeros_like(full)  # ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = I on the direct path
            mean_f = None
        else:
            f = cell.forward(xs).gates["f"]  # (T, B, n); steps T, T−1, … for lags 1, 2, …
            log_f = np.cumsum(np.log10(f[::-1]), axis=0)  # Σ over the ℓ last steps
            direct = log_f.max(axis=2)  # ‖diag(∏ f)‖₂ = the largest entry
            mean_f = float(f.mean())
        curves.append(
            {
                "key": key,
                "forget_bias": bias,
                "mean_forget_gate": mean_f,
                "full_log10": _quantiles(full),
                "direct_log10_mean": direct.mean(axis=1),
            }
        )
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "settings": {
            "input_size": INPUT_SIZE,
            "hidden_size": HIDDEN,
            "length": LENGTH,
            "batch": BATCH,
            "init": "W, U ~ U(-1/sqrt(n), 1/sqrt(n)); biases 0 except b_f",
            "inputs": "x ~ N(0, 1) i.i.d.; state0 = 0",
        },
        "lags": np.arange(1, LENGTH + 1),
        "curves": curves,
    }


def draw(data: dict):
    """Log-scale cell-path norms against the lag, one colour per forget bias."""
    fig = st.new_figure(st.FULL_WIDTH, 2.9)
    ax = fig.add_subplot()
    lags = np.asarray(data["lags"])
    for c in data["curves"]:
        colour = _SHADES[c["key"]]
        if c["forget_bias"] is None:
            label = r"no forget gate: $c^{(t)} = c^{(t-1)} + i \circ \tilde c$"
        else:
            label = (
                rf"$\mathbf{{b}}_f = {c['forget_bias']:g}$ (mean $f = {c['mean_forget_gate']:.2f}$)"
            )
        full = c["full_log10"]
        ax.plot(lags, 10.0 ** np.asarray(full["mean"]), color=colour, lw=1.6, label=label)
        ax.fill_between(
            lags,
            10.0 ** np.asarray(full["q10"]),
            10.0 ** np.asarray(full["q90"]),
            color=colour,
            alpha=0.15,
            lw=0,
        )
        ax.plot(
            lags, 10.0 ** np.asarray(c["direct_log10_mean"]), color=colour, lw=1.0, ls=(0, (4, 2))
        )
    ax.plot(
        [],
        [],
        color="0.4",
        lw=1.6,
        label=r"full $\|\partial \mathbf{c}^{(T)}/\partial \mathbf{c}^{(T-\ell)}\|_2$",
    )
    ax.plot(
        [],
        [],
        color="0.4",
        lw=1.0,
        ls=(0, (4, 2)),
        label=r"direct path $\|\mathrm{diag}(\mathbf{f}^{(T)}) \cdots \mathrm{diag}(\mathbf{f}^{(T-\ell+1)})\|_2$",
    )
    ax.set_yscale("log")
    ax.set_xlim(1, lags[-1])
    ax.set_ylim(1e-25, 1e4)
    ax.set_xlabel(r"lag $\ell = T - k$ (time steps)")
    ax.set_ylabel(r"$\|\partial \mathbf{c}^{(T)} / \partial \mathbf{c}^{(T-\ell)}\|_2$")
    st.legend_below(fig, ax, ncol=3)
    return fig
