"""Figure "clipping": clipping by norm keeps the direction, clipping by value bends it.

Plotted, two panels:

(a) a 2-D gradient ĝ = (4, 1.5) with threshold 1: norm clipping (Algorithm 1 of the
    notes) moves it onto the circle ‖ĝ‖ = 1 along the same ray; value clipping moves it
    to the corner (1, 1) of the box [−1, 1]², a different direction (the angle is marked);
(b) the gradient of every parameter of a tanh RNN on an exploding trajectory (all
    singular values of W_h equal to 1.5, 50 steps), clipped with
    :func:`~gradsym.numeric.optim.clipping.clip_by_norm` and
    :func:`~gradsym.numeric.optim.clipping.clip_by_value` at thresholds from 10⁻³ to 1 times the
    largest value they act on: the angle between the clipped and the raw gradient
    (0 for norm clipping at every threshold; growing for value clipping).

Claims: clip-norm, clip-value, sgd-step.
"""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.optim.clipping import clip_by_norm, clip_by_value, global_norm
from gradsym.numeric.optim.initialisers import initialise
from gradsym.render.figures import style as st
from gradsym.render.figures._common import seeded

NAME = "clipping"
TITLE = r"Norm clipping keeps the gradient's direction; value clipping turns it"
CLAIMS = ("clip-norm", "clip-value", "sgd-step")
CAPTION = (
    r"(a) The gradient $\hat{\mathbf{g}} = (4, 1.5)$ with threshold 1: clipped by norm it "
    r"lands on the circle $\lVert \hat{\mathbf{g}} \rVert_2 = 1$ on the same ray; clipped "
    r"by value, at the corner $(1, 1)$ of the box, $24.4$ degrees off. (b) The angle "
    r"between the clipped and the raw gradient of all 336 parameters of a tanh RNN ($n = "
    r"16$, 4 inputs, $\mathbf{W}_h = 1.5\,\mathbf{Q}$ with $\mathbf{Q}$ orthogonal, $T = "
    r"50$ steps, a batch of 8 sequences, one seeded draw) against the threshold, relative "
    r"to the largest value it acts on: 0 degrees at every threshold for the norm, up to "
    r"70 degrees for the value."
)

TOY_GRADIENT = (4.0, 1.5)
TOY_THRESHOLD = 1.0
INPUT_SIZE, HIDDEN, LENGTH, BATCH, GAIN = 4, 16, 50, 8, 1.5
RELATIVE_THRESHOLDS = np.logspace(-3, 0, 31)


def _flat(grads: dict) -> np.ndarray:
    return np.concatenate([np.ravel(grads[k]) for k in sorted(grads)])


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between two vectors in degrees.

    Kahan's 2·atan2(‖â − b̂‖, ‖â + b̂‖) rather than arccos of the cosine: arccos turns a
    round-off of 1e-16 in a cosine near 1 into 1e-6 degrees, so parallel vectors would come
    out 0 on one machine and 1e-6 on another.
    """
    a_unit = a / np.linalg.norm(a)
    b_unit = b / np.linalg.norm(b)
    return float(
        np.degrees(2 * np.arctan2(np.linalg.norm(a_unit - b_unit), np.linalg.norm(a_unit + b_unit)))
    )


def compute(seed: int = 0) -> dict:
    """The toy 2-D clipping and the angle sweep on a real RNN gradient."""
    g = np.asarray(TOY_GRADIENT)
    by_norm = clip_by_norm(g, TOY_THRESHOLD).grads
    by_value = clip_by_value(g, TOY_THRESHOLD).grads

    rng = seeded(seed, NAME)
    cell = RNN(INPUT_SIZE, HIDDEN, "tanh")
    initialise(cell, recurrent="orthogonal", gain=GAIN, rng=rng)
    xs = 0.1 * rng.standard_normal((LENGTH, BATCH, INPUT_SIZE))
    trace = cell.forward(xs)
    # Loss L = ⟨v, h⁽ᵀ⁾⟩ for a random v: its gradient crosses all 50 Jacobian factors.
    grads = cell.backward(trace, d_final=(rng.standard_normal((BATCH, HIDDEN)),)).params
    raw = _flat(grads)
    norm = global_norm(raw)
    peak = float(np.max(np.abs(raw)))
    angle_norm, angle_value, clipped_fraction = [], [], []
    for r in RELATIVE_THRESHOLDS:
        angle_norm.append(_angle_deg(_flat(clip_by_norm(grads, r * norm).grads), raw))
        angle_value.append(_angle_deg(_flat(clip_by_value(grads, r * peak).grads), raw))
        clipped_fraction.append(float(np.mean(np.abs(raw) > r * peak)))
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "toy": {
            "gradient": g,
            "threshold": TOY_THRESHOLD,
            "by_norm": by_norm,
            "by_value": by_value,
            "angle_norm_deg": _angle_deg(by_norm, g),
            "angle_value_deg": _angle_deg(by_value, g),
        },
        "rnn": {
            "settings": {
                "input_size": INPUT_SIZE,
                "hidden_size": HIDDEN,
                "length": LENGTH,
                "batch": BATCH,
                "recurrent": "orthogonal times recurrent_gain (every singular value)",
                "recurrent_gain": GAIN,
                "loss": "<v, h(T)>, v ~ N(0, 1)",
            },
            "n_params": raw.size,
            "gradient_norm": norm,
            "gradient_max_abs": peak,
            "relative_thresholds": RELATIVE_THRESHOLDS,
            "angle_norm_deg": angle_norm,
            "angle_value_deg": angle_value,
            "fraction_clipped_by_value": clipped_fraction,
        },
    }


def _arrow(ax, vec, colour, label, lw=1.6):
    ax.annotate(
        "",
        xy=tuple(vec),
        xytext=(0.0, 0.0),
        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": lw, "shrinkA": 0, "shrinkB": 0},
    )
    ax.plot([], [], color=colour, lw=lw, label=label)


def draw(data: dict):
    """Two panels: the 2-D geometry, the angle sweep on the RNN gradient."""
    fig = st.new_figure(st.FULL_WIDTH, 2.7)
    ax_toy, ax_rnn = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})

    toy = data["toy"]
    thr = toy["threshold"]
    g, gn, gv = (np.asarray(toy[k]) for k in ("gradient", "by_norm", "by_value"))
    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    ax_toy.plot(
        thr * np.cos(theta),
        thr * np.sin(theta),
        color=st.COLOURS["norm_clip"],
        ls="--",
        lw=0.8,
        label=r"$\|\hat{\mathbf{g}}\|_2 = $ threshold",
    )
    ax_toy.plot(
        [-thr, thr, thr, -thr, -thr],
        [-thr, -thr, thr, thr, -thr],
        color=st.COLOURS["value_clip"],
        ls=":",
        lw=1.0,
        label=r"$|\hat{g}_\mu| = $ threshold",
    )
    ax_toy.plot([0, g[0] * 1.15], [0, g[1] * 1.15], color="0.75", lw=0.6)  # the ray of ĝ
    _arrow(ax_toy, g, st.COLOURS["raw"], r"raw $\hat{\mathbf{g}}$")
    _arrow(
        ax_toy,
        gn,
        st.COLOURS["norm_clip"],
        rf"clipped by norm (${toy['angle_norm_deg']:.0f}^\circ$)",
    )
    _arrow(ax_toy, gv, st.COLOURS["value_clip"], "clipped by value")
    ax_toy.annotate(
        rf"bent by ${toy['angle_value_deg']:.1f}^\circ$",
        xy=(gv[0], gv[1]),
        xytext=(gv[0] + 0.35, gv[1] + 0.55),
        fontsize=st.scaled(7.5),
        arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.3"},
    )
    ax_toy.set_aspect("equal")
    ax_toy.set_xlim(-1.3, 4.7)
    ax_toy.set_ylim(-1.3, 2.4)
    ax_toy.set_xlabel(r"$\hat{g}_1$ (gradient component)")
    ax_toy.set_ylabel(r"$\hat{g}_2$")
    ax_toy.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=st.scaled(7))
    st.panel_label(ax_toy, "a")

    rnn = data["rnn"]
    r = np.asarray(rnn["relative_thresholds"])
    ax_rnn.plot(
        r,
        rnn["angle_value_deg"],
        color=st.COLOURS["value_clip"],
        marker="o",
        ms=2.5,
        label=r"by value, threshold $= r \cdot \max_\mu |\hat{g}_\mu|$",
    )
    ax_rnn.plot(
        r,
        rnn["angle_norm_deg"],
        color=st.COLOURS["norm_clip"],
        marker="s",
        ms=2.5,
        label=r"by norm, threshold $= r \cdot \|\hat{\mathbf{g}}\|_2$",
    )
    ax_rnn.set_xscale("log")
    ax_rnn.set_xlim(r[0], r[-1])
    ax_rnn.set_ylim(-4, 90)
    ax_rnn.set_yticks([0, 15, 30, 45, 60, 75, 90])
    ax_rnn.set_xlabel(r"relative threshold $r$")
    ax_rnn.set_ylabel("angle between clipped and raw\ngradient (degrees)")
    ax_rnn.text(
        0.03,
        0.3,
        rf"tanh RNN, $s_{{\max}}(\mathbf{{W}}_h) = {rnn['settings']['recurrent_gain']:g}$,"
        "\n"
        rf"$T = {rnn['settings']['length']}$, {rnn['n_params']} parameters",
        fontsize=st.scaled(7.5),
        transform=ax_rnn.transAxes,
        ha="left",
        va="bottom",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
    )
    ax_rnn.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=1, fontsize=st.scaled(7))
    st.panel_label(ax_rnn, "b")
    return fig
