"""Figure "gradient-norms": ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ against the lag ℓ — vanishing and exploding.

Plotted (log scale; the line is the mean of log10 over N = 16 input sequences, i.e. the
geometric mean, with the 10–90 % band across the sequences): a tanh RNN whose recurrent
matrix has all singular values equal to 0.8/γ, 1/γ and 1.5/γ (a scaled orthogonal matrix,
so σ₁ is exactly that value and so is the spectral radius), with the bound (γσ₁)ˡ dotted
where it is below 1; an LSTM and a GRU with PyTorch's default initialisation (every
weight and bias uniform in ±1/√n, so the forget-gate bias b_f ≈ 0 and f ≈ σ(0) = ½: the
LSTM keeps half its cell per step and vanishes fastest of all), and the same LSTM with
b_f = 1 (f ≈ 0.73; the measured mean f is in the data and the legend).
γ = sup|tanh'| is derived by :func:`gradsym.symbolic.spectral.gamma`.
For the LSTM, whose state is s = [h; c], the curve is the h–h block of ∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾,
i.e. ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ with c⁽ᵀ⁻ˡ⁾ held fixed.

Claims: nonlinear-bound (below 1/γ the norm vanishes at least as fast as (γσ₁)ˡ; growth
needs σ₁ > 1/γ), explode, bptt-factors, sequential-recency.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.spans import jacobian_products
from gradsym.numeric.optim.initialisers import initialise
from gradsym.render.figures import style as st
from gradsym.render.figures._common import gamma_value, progress, seeded

NAME = "gradient-norms"
TITLE = (
    r"The gradient against the distance: geometric decay or growth, slowest with a forget-gate bias"
)
CLAIMS = ("nonlinear-bound", "explode", "bptt-factors", "sequential-recency")
CAPTION = (
    r"The norm $\lVert \partial \mathbf{h}^{(T)}/\partial \mathbf{h}^{(T-\ell)} \rVert_2$ "
    r"against the lag $\ell$ (log scale) for networks of $n = 32$ units reading 4 inputs "
    r"$\mathbf{x}^{(t)} \sim \mathcal{N}(0, \mathbf{I})$ from $\mathbf{h}^{(0)} = "
    r"\mathbf{0}$; lines: geometric means over 16 input sequences, bands: their 10\% to "
    r"90\% range. The tanh RNNs have $\mathbf{W}_h = s\, \mathbf{Q}$ with $\mathbf{Q}$ "
    r"orthogonal, so every singular value is $s = 0.8$, $1$ or $1.5$ ($\gamma = 1$): "
    r"below $1/\gamma$ the norm decays at least as fast as the bound $(\gamma\, "
    r"s_{\max})^{\ell}$ (dotted), above it grows. The LSTM and the GRU are at a common "
    r"default initialisation, every weight and bias uniform in $\pm 1/\sqrt{n}$. They "
    r"vanish faster than the RNN with $s = 0.8$ because their short paths multiply the "
    r"gradient by their gate values at every step, about $\sigma(0) = 1/2$ here (the "
    r"forget gate $\mathbf{f}$, the GRU's $1 - \mathbf{u}$), less than $0.8$; the same "
    r"LSTM with $\mathbf{b}_f = \mathbf{1}$ ($\mathbf{f} \approx 0.73$) keeps the gradient "
    r"longest. One seeded draw of the weights and the inputs."
)

INPUT_SIZE, HIDDEN, LENGTH, BATCH = 4, 32, 100, 16
SIGMA_FACTORS = {"rnn_below": 0.8, "rnn_at": 1.0, "rnn_above": 1.5}  # σ₁ = factor / γ
# {f}: the mean forget gate measured on the run (σ(0) = 1/2 at b_f ≈ 0, σ(1) ≈ 0.73).
GATED_LABELS = {
    "lstm": r"LSTM, uniform init. ($\mathbf{{b}}_f \approx \mathbf{{0}}$: mean $f = {f:.2f}$)",
    "lstm_bf1": r"LSTM, uniform init. but $\mathbf{{b}}_f = \mathbf{{1}}$ (mean $f = {f:.2f}$)",
    "gru": "GRU, uniform init.",
}


def _summary(log_norms: np.ndarray) -> dict:
    """Per-lag mean and 10/90 % quantiles over the batch of log10 ‖·‖₂ (L, B) → (L,)."""
    l10 = log_norms / np.log(10.0)
    return {
        "log10_norm_mean": l10.mean(axis=1),
        "log10_norm_q10": np.quantile(l10, 0.1, axis=1),
        "log10_norm_q90": np.quantile(l10, 0.9, axis=1),
    }


def _settings() -> dict:
    return {
        "input_size": INPUT_SIZE,
        "hidden_size": HIDDEN,
        "length": LENGTH,
        "batch": BATCH,
        "inputs": "x ~ N(0, 1) i.i.d.; state0 = 0",
    }


def compute(seed: int = 0) -> dict:
    """Norms of the Jacobian products per lag for the six models (see the module doc)."""
    rng = seeded(seed, NAME)
    xs = rng.standard_normal((LENGTH, BATCH, INPUT_SIZE))
    g = gamma_value("tanh")
    n_models = len(SIGMA_FACTORS) + len(GATED_LABELS)
    with progress(n_models, "model") as advance:
        curves = []
        for key, factor in SIGMA_FACTORS.items():
            sigma1 = factor / g
            cell = RNN(INPUT_SIZE, HIDDEN, "tanh")
            initialise(cell, recurrent="orthogonal", gain=sigma1, rng=rng)
            spans = jacobian_products(cell, xs, keep_products=False)
            relation = {"rnn_below": "<", "rnn_at": "=", "rnn_above": ">"}[key]
            curves.append(
                {
                    "key": key,
                    "label": rf"tanh RNN, $s_{{\max}} {relation} 1/\gamma$ ($s_{{\max}} = {sigma1:g}$)",
                    "sigma1": sigma1,
                    # ‖∏ diag(σ') W_h‖ ≤ (γσ₁)ˡ: the guarantee, drawn where it is one (< 1).
                    **(
                        {"bound_log10": spans.lags * np.log10(g * sigma1)} if g * sigma1 < 1 else {}
                    ),
                    **_summary(spans.log_spectral_norms),
                }
            )
            advance()
        gated = {}
        # Drawn in this order from rng (the LSTM with b_f = 1 last, so that adding it left the
        # other curves' weights as they were); listed in the order of the legend below.
        for key, cell, forget_bias in (
            ("lstm", LSTM(INPUT_SIZE, HIDDEN), None),
            ("gru", GRU(INPUT_SIZE, HIDDEN), None),
            ("lstm_bf1", LSTM(INPUT_SIZE, HIDDEN), 1.0),
        ):
            initialise(cell, recurrent="uniform", bias="uniform", forget_bias=forget_bias, rng=rng)
            spans = jacobian_products(cell, xs, keep_products=True)
            extra = {}
            if key.startswith("lstm"):
                # s = [h; c]: the h–h block is ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ at fixed c⁽ᵀ⁻ˡ⁾.
                hh = spans.products[:, :, :HIDDEN, :HIDDEN]
                log_norms = np.log(np.linalg.svd(hh, compute_uv=False)[..., 0])
                extra = {"mean_forget_gate": float(cell.forward(xs).gates["f"].mean())}
            else:
                log_norms = spans.log_spectral_norms
            label = GATED_LABELS[key].format(f=extra.get("mean_forget_gate", 0.0))
            gated[key] = {"key": key, "label": label, **extra, **_summary(log_norms)}
            advance()
        curves += [gated[k] for k in GATED_LABELS]
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "gamma_tanh": g,
        "settings": _settings(),
        "lags": np.arange(1, LENGTH + 1),
        "curves": curves,
    }


def compute_for_cell(cell, label: str, seed: int = 0) -> dict:
    """The same figure for any NumPy cell (a declared cell's generated one, say), beside the
    tanh RNN at σ₁ = 1/γ: ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ with the cell initialised as the LSTM and GRU
    are above (PyTorch's uniform weights and biases). ``cell`` reads INPUT_SIZE inputs."""
    rng = seeded(seed, NAME)
    xs = rng.standard_normal((LENGTH, BATCH, INPUT_SIZE))
    g = gamma_value("tanh")
    reference = RNN(INPUT_SIZE, HIDDEN, "tanh")
    initialise(reference, recurrent="orthogonal", gain=1.0 / g, rng=rng)
    ref = jacobian_products(reference, xs, keep_products=False)
    initialise(cell, recurrent="uniform", bias="uniform", rng=rng)
    spans = jacobian_products(cell, xs, keep_products=True)
    n = cell.hidden_size
    h0 = cell.state_names.index("h") * n
    hh = spans.products[:, :, h0 : h0 + n, h0 : h0 + n]
    log_norms = np.log(np.maximum(np.linalg.svd(hh, compute_uv=False)[..., 0], 1e-300))
    return {
        "figure": f"{NAME} ({label})",
        "seed": seed,
        "gamma_tanh": g,
        "settings": _settings(),
        "lags": np.arange(1, LENGTH + 1),
        "curves": [
            {
                "key": "rnn_at",
                "label": rf"tanh RNN, $s_{{\max}} = 1/\gamma$ ($s_{{\max}} = {1.0 / g:g}$)",
                "sigma1": 1.0 / g,
                **_summary(ref.log_spectral_norms),
            },
            {"key": "declared", "label": f"{label} (uniform init.)", **_summary(log_norms)},
        ],
    }


def draw(data: dict):
    """Log-scale norms against the lag, one curve per model, bounds dotted."""
    fig = st.new_figure(st.FULL_WIDTH, 3.0)
    ax = fig.add_subplot()
    lags = np.asarray(data["lags"])
    for c in data["curves"]:
        key = c["key"]
        colour = st.COLOURS[key]
        mean = 10.0 ** np.asarray(c["log10_norm_mean"])
        ax.plot(lags, mean, color=colour, ls=st.LINESTYLES[key], label=c["label"])
        ax.fill_between(
            lags,
            10.0 ** np.asarray(c["log10_norm_q10"]),
            10.0 ** np.asarray(c["log10_norm_q90"]),
            color=colour,
            alpha=0.2,
            lw=0,
        )
        if "bound_log10" in c:
            ax.plot(
                lags,
                10.0 ** np.asarray(c["bound_log10"]),
                color=colour,
                ls=":",
                lw=1.0,
                label=rf"bound $(\gamma s_{{\max}})^\ell = {data['gamma_tanh'] * c['sigma1']:g}^\ell$",
            )
    n_seq = data["settings"]["batch"]
    ax.fill_between(
        [], [], [], color="0.5", alpha=0.3, lw=0, label=f"10 to 90 % of {n_seq} sequences"
    )
    ax.set_yscale("log")
    ax.set_xlim(1, lags[-1])
    ax.set_xlabel(r"lag $\ell = T - k$ (time steps)")
    ax.set_ylabel(r"$\|\partial \mathbf{h}^{(T)} / \partial \mathbf{h}^{(T-\ell)}\|_2$")
    st.legend_below(fig, ax, ncol=2, title=rf"$\gamma = \sup|\tanh'| = {data['gamma_tanh']:g}$")
    return fig
