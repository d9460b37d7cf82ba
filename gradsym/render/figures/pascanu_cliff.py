"""Figure "pascanu-cliff": the wall in the error surface, and why clipping helps.

The one-unit network of Pascanu, Mikolov & Bengio 2013 (section 2.3, Fig. 6),
x⁽ᵗ⁾ = w σ(x⁽ᵗ⁻¹⁾) + b, x⁽⁰⁾ = 0.5, E = (σ(x⁽⁵⁰⁾) − 0.7)², from
:mod:`gradsym.render.figures.cliff`. Plotted, two panels:

(a) E over (w, b) (colour), the wall b = wall_bias(w) where x⁽⁵⁰⁾ jumps between the two
    stable branches (white dashes), and gradient-descent paths (learning rate α = 0.5,
    60 steps) from two starts below the wall: plain (the step at the wall throws the
    parameters onto the far plateau, E ≈ 0.09) and with norm clipping at 1 (Algorithm 1:
    the same direction, a step of length ≤ 0.5, which stays in the valley);
(b) the gradient norm ‖∇E‖ at every step of the same paths, with the threshold: it
    explodes by orders of magnitude at the wall.

The run is deterministic (no random numbers): ``seed`` is recorded, not used.

Claims: explode, clip-norm, sgd-step.
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects as pe
from matplotlib.colors import LogNorm

from gradsym.render.figures import cliff
from gradsym.render.figures import style as st

NAME = "pascanu-cliff"
CLAIMS = ("explode", "clip-norm", "sgd-step")
CAPTION = r"The wall in the error surface of a one-unit recurrent network \cite{pascanu2013}, and why clipping helps."

W_RANGE, B_RANGE, GRID = (3.0, 8.0), (-5.0, 4.0), (161, 181)  # (n_w, n_b)
STARTS = ((4.5, -3.5), (5.0, -3.0))
LR, STEPS, THRESHOLD = 0.5, 60, 1.0
E_FLOOR = 1e-4  # bottom of the colour scale


def compute(seed: int = 0) -> dict:
    """The error surface on a grid, the wall, and plain and clipped descent paths."""
    ws = np.linspace(*W_RANGE, GRID[0])
    bs = np.linspace(*B_RANGE, GRID[1])
    # Rounded to 1e-6: the picture cannot show more, and the data file stays small.
    surface = np.round(cliff.error_surface(ws, bs), 6)
    wall_w = np.linspace(max(W_RANGE[0], 0.5), W_RANGE[1], 51)
    paths = []
    for clip in (None, THRESHOLD):
        run = cliff.descend(np.asarray(STARTS), lr=LR, steps=STEPS, clip=clip)
        for k, start in enumerate(STARTS):
            paths.append(
                {
                    "clip": clip,
                    "start": start,
                    "w": run.points[:, k, 0],
                    "b": run.points[:, k, 1],
                    "error": run.errors[:, k],
                    "gradient_norm": run.norms[:, k],
                    "clipped": run.clipped[:, k],
                    "final_error": run.final_error[k],
                    "longest_step": run.longest_step[k],
                    "blew_up": run.blew_up[k],
                }
            )
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "model": {
            "recurrence": "x(t) = w sigmoid(x(t-1)) + b",
            "x0": cliff.X0,
            "steps": cliff.STEPS,
            "target": cliff.TARGET,
            "error": "E = (sigmoid(x(T)) - target)^2",
        },
        "descent": {"lr": LR, "steps": STEPS, "threshold": THRESHOLD},
        "w_grid": ws,
        "b_grid": bs,
        "error_surface": surface,  # [i_b][i_w]
        "wall": {"w": wall_w, "b": cliff.wall_bias(wall_w)},
        "paths": paths,
    }


def draw(data: dict):
    """Surface with wall and paths; gradient norms along the paths."""
    fig = st.new_figure(st.FULL_WIDTH, 2.9)
    ax_s, ax_n = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.05, 1]})
    ws, bs = np.asarray(data["w_grid"]), np.asarray(data["b_grid"])
    E = np.asarray(data["error_surface"], dtype=float)
    # Log colour scale: the valley (E → 0) and the far plateau (E ≈ 0.09) must differ.
    im = ax_s.imshow(
        np.maximum(E, E_FLOOR),
        origin="lower",
        aspect="auto",
        cmap="viridis",
        interpolation="nearest",
        extent=(ws[0], ws[-1], bs[0], bs[-1]),
        norm=LogNorm(vmin=E_FLOOR, vmax=float(np.nanmax(E))),
    )
    cb = fig.colorbar(im, ax=ax_s, pad=0.02)
    cb.set_label(r"error $E = (\sigma(x^{(50)}) - 0.7)^2$ (log scale)", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    ax_s.plot(
        data["wall"]["w"],
        data["wall"]["b"],
        color="white",
        ls=(0, (3, 2)),
        lw=1.0,
        label="the wall",
    )
    thr = data["descent"]["threshold"]
    style = {
        None: {"color": st.COLOURS["value_clip"], "marker": "o", "label": "plain GD"},
        thr: {"color": "white", "marker": None, "label": f"GD, norm clipped at {thr:g}"},
    }
    seen = set()
    for p in data["paths"]:
        s = style[p["clip"]]
        label = s["label"] if p["clip"] not in seen else None
        seen.add(p["clip"])
        w, b = np.asarray(p["w"], float), np.asarray(p["b"], float)
        # A dark outline keeps the white path visible on every colour of the surface.
        outline = [pe.withStroke(linewidth=2.2, foreground="black")] if p["clip"] else None
        ax_s.plot(
            w,
            b,
            color=s["color"],
            lw=1.0,
            marker=s["marker"],
            ms=2.2,
            mew=0,
            label=label,
            path_effects=outline,
        )
        ax_s.plot([w[0]], [b[0]], marker="*", color="k", ms=7, mec="white", mew=0.5)
        if tuple(p["start"]) == tuple(data["paths"][0]["start"]):  # panel (b): first start
            steps = np.arange(1, len(p["gradient_norm"]) + 1)
            ax_n.plot(
                steps,
                np.asarray(p["gradient_norm"], float),
                color=s["color"] if p["clip"] is None else st.COLOURS["norm_clip"],
                ls="-" if p["clip"] is None else (0, (3, 1.5)),
                lw=1.1,
                label=s["label"],
            )
    ax_s.plot([], [], ls="none", marker="*", color="k", ms=7, label="start")
    ax_s.set_xlim(ws[0], ws[-1])
    ax_s.set_ylim(bs[0], bs[-1])
    ax_s.set_xlabel(r"recurrent weight $w$")
    ax_s.set_ylabel(r"bias $b$")
    ax_s.grid(False)
    leg = ax_s.legend(
        loc="upper left",
        fontsize=6.5,
        frameon=True,
        facecolor="0.85",
        edgecolor="none",
        framealpha=0.9,
    )
    leg.get_frame().set_linewidth(0)
    st.panel_label(ax_s, "a", r"$x^{(t)} = w\,\sigma(x^{(t-1)}) + b$")

    ax_n.axhline(thr, color="k", lw=0.8, ls=":", label=f"threshold {thr:g}")
    ax_n.set_yscale("log")
    ax_n.set_xlim(1, data["descent"]["steps"])
    ax_n.set_xlabel("gradient-descent step")
    ax_n.set_ylabel(r"$\|\nabla_{(w,b)} E\|_2$ before clipping")
    ax_n.legend(loc="lower left", fontsize=7)
    w0, b0 = data["paths"][0]["start"]
    st.panel_label(
        ax_n, "b", rf"start $({w0:g}, {b0:g})$, step size $\alpha = {data['descent']['lr']:g}$"
    )
    return fig
