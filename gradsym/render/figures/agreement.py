"""Figure "agreement": number agreement measured as Linzen, Dupoux & Goldberg (2016) did,
for a tanh RNN and an LSTM (:mod:`gradsym.experiments.agreement` trains and tests them).

Two rows, one per training condition — every noun of every training sentence shares the
subject's number (top), or one intervening training noun in a hundred is an attractor
(bottom) — and three panels each:

(a, d) the error rate against the number of attractors (every intervening noun of the
       other number), k = 0 … 4;
(b, e) the error rate against the distance between subject and verb, with one attractor
       (solid) and with no noun in between (dotted);
(c, f) the share of errors that agree with the noun nearest to the verb, for the same
       nouns in the two orders (attractor nearest / farthest), one dot per seed; 1/2 is
       what errors that ignore the order give, 1 is pure sequential recency.

Lines are the median over the seeds, bands run from the smallest to the largest seed.
The data keeps the error counts of every run (so the claim "agreement-recency" compares
exact fractions) and each run's evaluation loss every :data:`EVAL_EVERY` steps (the
tests recompute the first of them: a run is chaotic, its end is compared through the
claim's conclusions, which hold in every seed with a margin).

The 20 runs (2 conditions × 2 models × 5 seeds, 1500 steps each) run in parallel and take
about 30 s on two cores (28 s measured on an idle machine; four and a half minutes while
other jobs loaded both cores).

Claims: sequential-recency, agreement-recency.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gradsym.experiments import agreement as experiment
from gradsym.render.figures import style as st
from gradsym.render.figures._common import progress

NAME = "agreement"
TITLE = r"In number agreement the tanh RNN follows the nearest noun, the LSTM mostly the subject"
CLAIMS = ("sequential-recency", "agreement-recency")
CAPTION = (
    "Number agreement as Linzen, Dupoux and Goldberg (2016) measured it: a network reads "
    "a sentence up to its verb and predicts the verb's number, the subject's. The "
    "sentences: the end of a previous one, the subject, then up to 20 "
    "words before the verb, up to 6 of them nouns; an intervening noun of the other number "
    "is an attractor. A tanh RNN and an LSTM ($\\mathbf{b}_f = 1$), $n = 16$, one-hot "
    "inputs ($d = 13$), 5 seeds (0--4) per model and row; Adam (learning rate $0.01$, "
    "minibatches of 32, gradient norm clipped at 1), 1500 steps; $\\mathbf{W}_h$ "
    "orthogonal (per gate), input weights uniform in $\\pm 1/\\sqrt{n}$, biases 0 but "
    "$\\mathbf{b}_f$. Top row: trained on sentences whose nouns all have the subject's "
    "number (the data cannot tell the subject from the nearest noun); bottom row: one "
    "intervening training noun in a hundred is an attractor. (a, d) Error rate against the "
    "number of attractors; (b, e) against the distance from subject to verb, with one "
    "attractor (solid) and no noun in between (dotted); median over the seeds, band from "
    "the smallest to the largest; 1000 test sentences per point. (c, f) Of the errors on "
    "the same nouns in two orders, the share made with the attractor nearest to the verb: "
    "the share that agrees with the nearest noun; a dot per seed (none without errors); "
    "dashed: 1/2, errors that ignore the order. Trained without attractors, the RNN errs "
    "with one attractor more often than the LSTM in every seed, and mostly by agreeing "
    "with the nearest noun; with one attractor and one other noun, most of the LSTM's "
    "errors do not. One attractor in a hundred training nouns removes most of the RNN's "
    "errors with one attractor; with more, both err."
)

#: What the build trains (the tests shorten the runs and the test sets).
STEPS, SEEDS, SENTENCES = experiment.STEPS, experiment.SEEDS, experiment.TEST_SENTENCES
EVAL_EVERY = 100
LABELS = {"rnn": "tanh RNN", "lstm": "LSTM ($b_f = 1$)"}
CONDITION_TITLES = {
    0.0: "trained on sentences whose nouns all share the subject's number",
    0.01: "trained with one intervening noun in a hundred an attractor",
}
#: The nouns of an order pair: attractors (A) and nouns of the subject's number (S).
PAIR_LABELS = {("SA", "AS"): "A, S", ("SSA", "ASS"): "A, 2 S", ("SAA", "AAS"): "2 A, S"}


def _shares(near: list[int], far: list[int]) -> list[float | None]:
    """Per order pair, the share of errors that agree with the nearest noun (None
    without errors)."""
    out = []
    for a, b in zip(near, far, strict=True):
        share = experiment.nearest_share(a, b)
        out.append(None if share is None else float(share))
    return out


def _summary(counts: np.ndarray, sentences: int) -> dict:
    """Rates (count / sentences) per seed and their median, smallest and largest."""
    rates = counts / sentences
    return {
        "median": np.median(rates, axis=0),
        "low": rates.min(axis=0),
        "high": rates.max(axis=0),
    }


def compute(seed: int = 0) -> dict:
    """Train and test the two models under the two training conditions, :data:`SEEDS`
    seeds each (:func:`gradsym.experiments.agreement.run`), and gather what is drawn."""
    total = len(experiment.RATES) * len(experiment.CELLS) * SEEDS
    with progress(total, "run") as advance:
        records = experiment.run(
            seed,
            steps=STEPS,
            seeds=SEEDS,
            sentences=SENTENCES,
            eval_every=EVAL_EVERY,
            advance=advance,
        )
    conditions = []
    for rate in experiment.RATES:
        runs = []
        for cell in experiment.CELLS:
            own = [r for r in records if r["cell"] == cell and r["attractor_rate"] == rate]
            attractors = np.array([r["attractors"] for r in own])
            none = np.array([r["distance"]["none"] for r in own])
            one = np.array([r["distance"]["attractor"] for r in own])
            near = [r["order"]["near"] for r in own]
            far = [r["order"]["far"] for r in own]
            runs.append(
                {
                    "cell": cell,
                    "seeds": [r["seed"] for r in own],
                    "config": {**experiment.config(cell, rate, 0, STEPS, EVAL_EVERY), "seed": None},
                    "eval_steps": own[0]["eval_steps"],
                    "eval_loss": [r["eval_loss"] for r in own],
                    "recoveries": [r["recoveries"] for r in own],
                    "attractor_errors": attractors,
                    "distance_none_errors": none,
                    "distance_attractor_errors": one,
                    "order_near_errors": near,
                    "order_far_errors": far,
                    "nearest_share": [_shares(a, b) for a, b in zip(near, far, strict=True)],
                    "attractors": _summary(attractors, SENTENCES),
                    "distance_none": _summary(none, SENTENCES),
                    "distance_attractor": _summary(one, SENTENCES),
                }
            )
        conditions.append({"attractor_rate": rate, "runs": runs})
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "steps": STEPS,
        "sentences": SENTENCES,
        "task": dict(experiment.TASK_KWARGS),
        "attractors": list(experiment.ATTRACTORS),
        "distances": list(experiment.DISTANCES),
        "order_pairs": [list(p) for p in experiment.ORDER_PAIRS],
        "band": "smallest to largest seed; line: median",
        "conditions": conditions,
    }


def _curve(ax, x, summary: dict, cell: str, ls=None, band: bool = True, lw=None) -> None:
    colour = st.COLOURS[cell]
    x = np.asarray(x)
    if band:
        ax.fill_between(x, summary["low"], summary["high"], color=colour, alpha=0.18, lw=0)
    ax.plot(x, summary["median"], color=colour, ls=ls or st.LINESTYLES[cell], lw=lw)


def draw(data: dict):
    """Two rows (training conditions) of three panels; one legend below."""
    fig = st.new_figure(st.FULL_WIDTH, 5.0)
    rows = fig.subfigures(len(data["conditions"]), 1)
    letters = iter("abcdef")
    pairs = [tuple(p) for p in data["order_pairs"]]
    for row, condition in zip(np.atleast_1d(rows), data["conditions"]):
        row.suptitle(
            CONDITION_TITLES.get(condition["attractor_rate"], str(condition["attractor_rate"])),
            fontsize=st.scaled(8.5),
        )
        ax_k, ax_d, ax_s = row.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.35, 1.15]})
        for run in condition["runs"]:
            cell = run["cell"]
            _curve(ax_k, data["attractors"], run["attractors"], cell)
            _curve(ax_d, data["distances"], run["distance_attractor"], cell)
            _curve(ax_d, data["distances"], run["distance_none"], cell, ls=":", band=False, lw=1)
        for ax in (ax_k, ax_d):
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel("error rate")
        ax_k.set_xticks(data["attractors"])
        ax_k.set_xlabel("number of attractors")
        ax_d.set_xlabel("distance from subject to verb")
        st.panel_label(ax_k, next(letters), "attractors")
        st.panel_label(ax_d, next(letters), "distance")
        # (c): per order pair, one column of dots per model, a dot per seed.
        cells = [run["cell"] for run in condition["runs"]]
        for i, run in enumerate(condition["runs"]):
            for p in range(len(pairs)):
                values = [s[p] for s in run["nearest_share"] if s[p] is not None]
                x = p + (i - (len(cells) - 1) / 2) * 0.28 + np.linspace(-0.06, 0.06, len(values))
                ax_s.plot(
                    x,
                    values,
                    ls="none",
                    marker="o",
                    ms=st.scaled(3.5),
                    color=st.COLOURS[run["cell"]],
                    mec="black",
                    mew=0.4,
                )
        ax_s.axhline(0.5, color=st.COLOURS["baseline"], lw=1.0, ls=(0, (6, 3)), zorder=1)
        ax_s.set_ylim(-0.05, 1.05)
        ax_s.set_xlim(-0.5, len(pairs) - 0.5)
        ax_s.set_xticks(range(len(pairs)), [PAIR_LABELS.get(p, "/".join(p)) for p in pairs])
        ax_s.grid(axis="x", visible=False)
        ax_s.set_xlabel("nouns in between")
        ax_s.set_ylabel("errors agreeing with\nthe nearest noun")
        st.panel_label(ax_s, next(letters), "nearest noun")
    n_seeds = len(data["conditions"][0]["runs"][0]["seeds"])
    handles = [Line2D([], [], color=st.COLOURS[c], ls=st.LINESTYLES[c]) for c in cells]
    labels = [LABELS.get(c, c) for c in cells]
    handles += [
        Patch(color="0.5", alpha=0.35, lw=0),
        Line2D([], [], color="0.3", ls=":", lw=1),
        Line2D([], [], color=st.COLOURS["baseline"], lw=1.0, ls=(0, (6, 3))),
    ]
    labels += [
        f"min–max of {n_seeds} seeds",
        "no noun in between",
        "errors that ignore the order: 1/2",
    ]
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig
