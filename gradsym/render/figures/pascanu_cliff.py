"""Figure "pascanu-cliff": the wall in the error surface, and why clipping helps.

The one-unit network of Pascanu, Mikolov & Bengio 2013 (section 2.3, Fig. 6),
x⁽ᵗ⁾ = w σ(x⁽ᵗ⁻¹⁾) + b, x⁽⁰⁾ = 0.5, E = (σ(x⁽⁵⁰⁾) − 0.7)², from
:mod:`gradsym.render.figures.cliff`. Plotted, two panels:

(a) E over (w, b) (colour), the wall b = wall_bias(w) where x⁽⁵⁰⁾ jumps between the two
    stable branches (white dashes), and gradient-descent paths (learning rate α = 0.5,
    60 steps) from two starts below the wall: plain (the step at the wall throws the
    parameters onto the far plateau, E ≈ 0.09) and with norm clipping at 1 (Algorithm 1:
    the same direction, a step of length ≤ 0.5, which stays in the valley);
(b) the error E along the same paths against the step: the plain run stalls on the
    plateau, the clipped one goes down (both coincide until the first clipped step);
(c) the gradient norm ‖∇E‖ at every step of the same paths, with the threshold: it
    explodes by orders of magnitude at the wall.

Both starts appear in every panel (solid: start 1, dashed: start 2); one legend below.
60 steps, not more: at the wall the clipped path bounces, and its sensitivity to the last
bit grows with every bounce. Measured, a change of one unit in the last place of a start
moves the paths by at most 5e-11 (relative) over the first 40 steps, by 2e-8 at step 45
and by up to 1e-4 by step 60 (the clipped run's error, where it is small), by 0.1 after
100 steps. So the paths are reproducible to round-off for their first
:data:`REPRODUCIBLE_STEPS` steps on any machine; after that another CPU's last bits move
the points as visibly as a tiny change of the start would, while the picture's conclusion
(the plain runs stall on the plateau at E ≈ 0.09, the clipped runs end lower) is
unchanged, which the tests check on the committed and the recomputed data.

The run is deterministic (no random numbers): ``seed`` is recorded, not used.

Claims: explode, clip-norm, sgd-step.
"""

from __future__ import annotations

import numpy as np
from matplotlib import patheffects as pe
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

from gradsym.render.figures import cliff
from gradsym.render.figures import style as st
from gradsym.render.figures._common import floats

NAME = "pascanu-cliff"
TITLE = r"At the cliff the gradient explodes; a clipped step stays in the valley"
CLAIMS = ("explode", "clip-norm", "sgd-step", "cliff")
CAPTION = (
    r"The cliff of \cite{pascanu2013} on the one-unit network $h^{(t)} = w\, "
    r"\sigma(h^{(t-1)}) + \beta$, $h^{(0)} = 0.5$, with the loss $J = (\sigma(h^{(50)}) - "
    r"0.7)^2$. (a) $J$ over $(w, \beta)$ (colour, log scale); the wall (white dashes), "
    r"where $h^{(50)}$ jumps from one stable fixed point to the other (a bifurcation); "
    r"gradient descent with step size $\alpha = 0.5$ for 60 steps from two starts, plain "
    r"and with the gradient's norm clipped at 1 (a step is then at most $0.5$ long). "
    r"(b) The loss and (c) the gradient's norm before clipping, against the step. At the "
    r"wall the gradient explodes: the plain step throws the parameters onto the far "
    r"plateau, where the loss stays at $0.09$; the clipped steps stay in the valley, and "
    r"after 60 steps their loss is lower ($0.035$ from start 1, below $0.01$ from start "
    r"2), though not steadily: they bounce on the edge of the wall. The runs coincide "
    r"until the first clipped step. No random numbers."
)

W_RANGE, B_RANGE, GRID = (3.0, 8.0), (-5.0, 4.0), (161, 181)  # (n_w, n_b)
STARTS = ((4.5, -3.5), (5.0, -3.0))
LR, STEPS, THRESHOLD = 0.5, 60, 1.0
#: The steps of a path that are equal to round-off on any machine (measured above).
REPRODUCIBLE_STEPS = 40
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
    """(a) surface with the wall and the paths; (b) the error and (c) the gradient norm
    along the same paths, against the step; one legend below the panels."""
    fig = st.new_figure(st.FULL_WIDTH, 3.1)
    ax_s, ax_e, ax_n = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1]})
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
    cb = fig.colorbar(im, ax=ax_s, pad=0.02, aspect=30)
    cb.set_label(r"loss $J$ (log scale)")
    cb.ax.tick_params(labelsize=st.scaled(7))
    ax_s.plot(data["wall"]["w"], data["wall"]["b"], color="white", ls=(0, (3, 2)), lw=1.0)
    thr = data["descent"]["threshold"]
    colour = {None: st.COLOURS["value_clip"], thr: st.COLOURS["norm_clip"]}
    starts = [tuple(p["start"]) for p in data["paths"] if p["clip"] is None]
    dashes = {start: ls for start, ls in zip(starts, ("-", (0, (3, 1.5)), ":"))}
    halo = [pe.withStroke(linewidth=2.0, foreground="white")]
    for p in data["paths"]:
        c, ls = colour[p["clip"]], dashes[tuple(p["start"])]
        w, b = floats(p["w"]), floats(p["b"])
        ax_s.plot(w, b, color=c, lw=0.9, ls=ls, path_effects=halo)
        steps = np.arange(len(p["error"]))
        # The clipped run equals the plain one until its first clipped step: the plain
        # run is drawn on top, so where they coincide it shows.
        z = 2 if p["clip"] is None else 1.5
        ax_e.plot(steps, floats(p["error"]), color=c, ls=ls, lw=1.1, zorder=z)
        ax_n.plot(
            np.arange(1, len(p["gradient_norm"]) + 1),
            floats(p["gradient_norm"]),
            color=c,
            ls=ls,
            lw=1.1,
            zorder=z,
        )
    for k, (w0, b0) in enumerate(starts, start=1):
        ax_s.plot([w0], [b0], marker="*", color="k", ms=st.scaled(7), mec="white", mew=0.5)
        ax_s.annotate(
            str(k),
            (w0, b0),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=st.scaled(7.5),
            color="white",
            path_effects=[pe.withStroke(linewidth=1.5, foreground="black")],
        )
    ax_s.set_xlim(ws[0], ws[-1])
    ax_s.set_ylim(bs[0], bs[-1])
    ax_s.set_xlabel(r"recurrent weight $w$")
    ax_s.set_ylabel(r"bias $\beta$")
    ax_s.grid(False)
    st.panel_label(ax_s, "a", r"$h^{(t)} = w\,\sigma(h^{(t-1)}) + \beta$")

    n_steps = data["descent"]["steps"]
    ax_e.set_yscale("log")
    ax_e.set_xlim(0, n_steps)
    ax_e.set_xlabel("step")
    ax_e.set_ylabel(r"loss $J(w, \beta)$")
    st.panel_label(ax_e, "b")

    ax_n.axhline(thr, color="k", lw=0.8, ls=":")
    ax_n.set_yscale("log")
    ax_n.set_xlim(1, n_steps)
    ax_n.set_xlabel("step")
    ax_n.set_ylabel(r"$\|\nabla J\|_2$ before clipping")
    st.panel_label(ax_n, "c")

    lr = data["descent"]["lr"]
    handles = [
        Line2D([], [], color=colour[None], lw=1.2),
        Line2D([], [], color=colour[thr], lw=1.2),
        *[Line2D([], [], color="0.3", ls=dashes[s], lw=1.2) for s in starts],
        Line2D(
            [],
            [],
            color="white",
            ls=(0, (3, 2)),
            lw=1.0,
            path_effects=[pe.withStroke(linewidth=2.2, foreground="0.3")],
        ),
        Line2D([], [], color="k", ls=":", lw=0.8),
    ]
    labels = [
        rf"plain GD, $\alpha = {lr:g}$",
        rf"GD, norm clipped at {thr:g}",
        *[rf"start {k}: $(w, \beta) = ({w0:g}, {b0:g})$" for k, (w0, b0) in enumerate(starts, 1)],
        "the wall",
        f"threshold {thr:g}",
    ]
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig
