"""Figure "gradient-norms": ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ against the lag ℓ — vanishing and exploding.

Plotted (log scale, mean of log10 over a batch of input sequences, with the 10–90 %
band across sequences): a tanh RNN whose recurrent matrix has all singular values equal
to 0.8/γ, 1/γ and 1.5/γ (a scaled orthogonal matrix, so σ₁ is exactly that value and so
is the spectral radius), with the bound (γσ₁)ˡ dotted where it is below 1; an LSTM and a GRU with PyTorch's
default initialisation. γ = sup|tanh'| is derived by :func:`gradsym.symbolic.spectral.gamma`.
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
from gradsym.render.figures._common import gamma_value, seeded

NAME = "gradient-norms"
CLAIMS = ("nonlinear-bound", "explode", "bptt-factors", "sequential-recency")
CAPTION = r"$\|\partial \mathbf{h}^{(T)}/\partial \mathbf{h}^{(T-\ell)}\|_2$ against the lag $\ell$: vanishing and exploding gradients in a $\tanh$ RNN, an LSTM and a GRU."

INPUT_SIZE, HIDDEN, LENGTH, BATCH = 4, 32, 100, 16
SIGMA_FACTORS = {"rnn_below": 0.8, "rnn_at": 1.0, "rnn_above": 1.5}  # σ₁ = factor / γ


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
    """Norms of the Jacobian products per lag for the five models (see the module doc)."""
    rng = seeded(seed, NAME)
    xs = rng.standard_normal((LENGTH, BATCH, INPUT_SIZE))
    g = gamma_value("tanh")
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
                "label": rf"tanh RNN, $\sigma_1 {relation} 1/\gamma$ ($\sigma_1 = {sigma1:g}$)",
                "sigma1": sigma1,
                # ‖∏ diag(σ') W_h‖ ≤ (γσ₁)ˡ: the guarantee, drawn where it is one (< 1).
                **({"bound_log10": spans.lags * np.log10(g * sigma1)} if g * sigma1 < 1 else {}),
                **_summary(spans.log_spectral_norms),
            }
        )
    for key, cell in (("lstm", LSTM(INPUT_SIZE, HIDDEN)), ("gru", GRU(INPUT_SIZE, HIDDEN))):
        initialise(cell, recurrent="uniform", bias="uniform", rng=rng)
        spans = jacobian_products(cell, xs, keep_products=True)
        if key == "lstm":
            # s = [h; c]: the h–h block is ∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾ at fixed c⁽ᵀ⁻ˡ⁾.
            hh = spans.products[:, :, :HIDDEN, :HIDDEN]
            log_norms = np.log(np.linalg.svd(hh, compute_uv=False)[..., 0])
        else:
            log_norms = spans.log_spectral_norms
        label = "LSTM (PyTorch init.)" if key == "lstm" else "GRU (PyTorch init.)"
        curves.append({"key": key, "label": label, **_summary(log_norms)})
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
                "label": rf"tanh RNN, $\sigma_1 = 1/\gamma$ ($\sigma_1 = {1.0 / g:g}$)",
                "sigma1": 1.0 / g,
                **_summary(ref.log_spectral_norms),
            },
            {"key": "declared", "label": f"{label} (PyTorch-style init.)", **_summary(log_norms)},
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
            alpha=0.15,
            lw=0,
        )
        if "bound_log10" in c:
            ax.plot(
                lags,
                10.0 ** np.asarray(c["bound_log10"]),
                color=colour,
                ls=":",
                lw=1.0,
                label=rf"bound $(\gamma\sigma_1)^\ell = {data['gamma_tanh'] * c['sigma1']:g}^\ell$",
            )
    ax.set_yscale("log")
    ax.set_xlim(1, lags[-1])
    ax.set_xlabel(r"lag $\ell = T - k$ (time steps)")
    ax.set_ylabel(r"$\|\partial h^{(T)} / \partial h^{(T-\ell)}\|_2$")
    ax.legend(
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        title=rf"$\gamma = \sup|\tanh'| = {data['gamma_tanh']:g}$",
    )
    return fig
