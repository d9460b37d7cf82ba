"""Figure "training-curves": the adding problem at T = 50, four models, five seeds each.

Plotted, two panels on the adding problem in Le et al.'s form (two marked values among
T = 50; trivial baseline: always predict 1, MSE = 1/6), for a tanh RNN (orthogonal W_h),
an IRNN (ReLU, W_h = I; Le, Jaitly & Hinton 2015), an LSTM (forget bias 1) and a GRU,
each trained with Adam and norm clipping at 1 (:mod:`gradsym.numeric.train`) from
:data:`SEEDS` seeds:

(a) the evaluation loss (MSE on 256 fresh sequences, every 100 steps) against the
    training step, log scale: the median over the seeds as a line, the band from the
    smallest to the largest seed;
(b) every seed's final loss (the median of its last five evaluations, so that one
    spike decides nothing) relative to the baseline, one dot per seed, with the
    baseline (ratio 1) and the success criterion of the example sweep (ratio 0.1).

The settings are those of the example sweep (``gradsym/experiments/examples/classic.toml``:
16 hidden units, 32 sequences a step, learning rate 0.01) with 2000 steps; there, at
T = 50, the tanh RNN fails in 10 of 10 seeds while the LSTM (b_f = 1) and the GRU
succeed in 10 of 10. The figure records a verdict per model (every seed below a tenth of
the baseline at the end: "learns"; every seed above half of it: "fails"; otherwise
"mixed") and the margins behind it, so a conclusion that hangs on one seed, or on the
last bit (a run changed by round-off diverges as another seed would), shows in the data;
the tests check the committed verdicts.

The 20 runs are independent and seeded, so they run in parallel (a process pool whose
workers die with the parent: :mod:`gradsym.workers`) with identical results; they take
about 80 s on two cores (78 s measured; 140 s while other jobs shared the cores): the
slowest figure of the build, the others take seconds.

Claims: sequential-recency, lstm-cell-path, forget-bias, gru-retain, relu, clip-norm.
"""

from __future__ import annotations

import os

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from gradsym.render.figures import style as st
from gradsym.render.figures._common import floats, progress
from gradsym.workers import worker_pool

NAME = "training-curves"
TITLE = r"On the adding problem the tanh RNN stays at the baseline while the gated and identity-initialised cells learn"
CLAIMS = ("sequential-recency", "lstm-cell-path", "forget-bias", "gru-retain", "relu", "clip-norm")
CAPTION = (
    r"Training on the adding problem of \cite{le2015} (two marked values among $T = 50$; "
    r"predict their sum), $n = 16$ units, 5 seeds per model. (a) The loss on 256 fresh "
    r"sequences, every 100 steps, against the training step (log scale): lines, the median "
    r"over the seeds; bands, from the smallest to the largest. (b) Each seed's final loss "
    r"divided by the baseline; below $0.1$ (dotted) counts as solved. Adam with learning "
    r"rate $0.01$ ($0.004$ for the IRNN), minibatches of 32, the gradient's norm clipped at "
    r"1, 2000 steps. $\mathbf{W}_h$ orthogonal for the tanh RNN, the LSTM and the GRU (per "
    r"gate), $\mathbf{W}_h = \mathbf{I}$ with ReLU for the IRNN; input weights uniform in "
    r"$\pm 1/\sqrt{n}$; biases 0 but the LSTM's $\mathbf{b}_f = \mathbf{1}$. Dashed: the "
    r"trivial baseline (always predict 1: a loss of $1/6$). In every seed the tanh RNN "
    r"stays at the baseline while the IRNN, the LSTM and the GRU learn the sum."
)

TASK, TASK_KWARGS = "adding_le", {"length": 50}
MODELS = ("rnn", "irnn", "lstm", "gru")
LABELS = {
    "rnn": "tanh RNN",
    "irnn": "IRNN (ReLU, $W_h = I$)",
    "lstm": "LSTM ($b_f = 1$)",
    "gru": "GRU",
}
SEEDS, STEPS, HIDDEN, BATCH, EVAL_EVERY, EVAL_BATCH = 5, 2000, 16, 32, 100, 256
LR = {"rnn": 0.01, "irnn": 0.004, "lstm": 0.01, "gru": 0.01}  # IRNN: small lr, as Le et al.
CLIP = 1.0
WORKERS = 2
#: The verdicts: a run learned when its final loss is below LEARNED × baseline, failed when
#: above FAILED × baseline (the sweep's success criterion, and half the baseline).
LEARNED, FAILED = 0.1, 0.5
#: A run's final loss is the median of its last FINAL_EVALS evaluations (the last 500
#: steps): one spike of the last evaluation (the IRNN has them) decides nothing.
FINAL_EVALS = 5


def run_seeds(seed: int) -> list[int]:
    """The training seeds under the build seed ``seed``: 0 … 4 for seed 0, 5 … 9 for 1."""
    return [seed * SEEDS + k for k in range(SEEDS)]


def _config(cell: str, task: str, kwargs: dict, seed: int, steps: int, lr_scale: float) -> dict:
    """The TrainConfig options of one run (plain, for the data file and the workers)."""
    return {
        "cell": cell,
        "task": task,
        "task_kwargs": dict(kwargs),
        "hidden": HIDDEN,
        "batch": BATCH,
        "steps": steps,
        "optimiser": "adam",
        "lr": LR[cell] * lr_scale,
        "clip": CLIP,
        "clip_mode": "norm",
        "forget_bias": 1.0 if cell == "lstm" else None,
        "eval_every": EVAL_EVERY,
        "eval_batch": EVAL_BATCH,
        "checkpoint_every": steps,
        "log_every": EVAL_EVERY,
        "seed": seed,
    }


def _run(options: dict) -> dict:
    """Train one model (in a worker process) and return its curve."""
    from gradsym.numeric.train import TrainConfig, train

    result = train(TrainConfig(**options))
    evals = [h for h in result.history if "eval_loss" in h]
    return {
        "steps": [h["step"] for h in evals],
        "eval_loss": [h["eval_loss"] for h in evals],
        "baseline": result.baseline,
        "baseline_description": result.baseline_description,
        "recoveries": len(result.recoveries),
    }


def verdict(final_ratios) -> str:
    """ "learns" if every seed ends below LEARNED × baseline, "fails" if every seed ends
    above FAILED × baseline, "mixed" otherwise."""
    r = np.asarray(final_ratios, float)
    if np.all(r < LEARNED):
        return "learns"
    if np.all(r > FAILED):
        return "fails"
    return "mixed"


def compute(seed: int = 0, *, steps: int | None = None, lr_scale: float = 1.0) -> dict:
    """Train the four models on the task, :data:`SEEDS` seeds each (``steps``
    overrides the run length; ``lr_scale`` multiplies every learning rate, e.g.
    ``1 + 1e-12`` to see that no conclusion hangs on the last bit)."""
    n = STEPS if steps is None else steps
    seeds = run_seeds(seed)
    jobs = [_config(cell, TASK, TASK_KWARGS, s, n, lr_scale) for cell in MODELS for s in seeds]
    workers = max(1, min(WORKERS, os.cpu_count() or 1))
    with progress(len(jobs), "run") as advance:
        if workers > 1:
            with worker_pool(workers) as pool:  # its workers die with this process
                curves = []
                for curve in pool.map(_run, jobs):
                    curves.append(curve)
                    advance()
        else:
            curves = []
            for job in jobs:
                curves.append(_run(job))
                advance()
    baseline = curves[0]["baseline"]
    runs = []
    for cell in MODELS:
        own = [(j, c) for j, c in zip(jobs, curves) if j["cell"] == cell]
        losses = np.asarray([c["eval_loss"] for _, c in own], float)  # (seed, evaluation)
        ratios = np.median(losses[:, -FINAL_EVALS:], axis=1) / baseline
        runs.append(
            {
                "cell": cell,
                "config": {**own[0][0], "seed": None},
                "seeds": [j["seed"] for j, _ in own],
                "steps": own[0][1]["steps"],
                "eval_loss": losses,
                "median": np.median(losses, axis=0),
                "low": losses.min(axis=0),
                "high": losses.max(axis=0),
                "final_ratio": ratios,
                "verdict": verdict(ratios),
                "recoveries": [c["recoveries"] for _, c in own],
            }
        )
    task = {
        "task": TASK,
        "task_kwargs": dict(TASK_KWARGS),
        "baseline": baseline,
        "baseline_description": curves[0]["baseline_description"],
        "runs": runs,
    }
    return {
        "figure": NAME,
        "claims": list(CLAIMS),
        "seed": seed,
        "steps": n,
        "band": "smallest to largest seed; line: median",
        "final": f"median of the last {FINAL_EVALS} evaluations",
        "verdict_rule": f"learns: every seed's final loss < {LEARNED} baseline; "
        f"fails: every seed's final loss > {FAILED} baseline",
        "lr_scale": lr_scale,
        "task": task,
    }


def draw(data: dict):
    """(a) per model the median line and the min–max band over the seeds, baseline
    dashed, on a log loss axis whose limits hold every plotted point; (b) every seed's
    final loss over the baseline, with the baseline and the success criterion."""
    fig = st.new_figure(st.FULL_WIDTH, 3.0)
    ax, ax_f = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    task = data["task"]
    runs = task["runs"]
    values = [v for run in runs for k in ("low", "high") for v in run[k] if v is not None]
    low, high = min([*values, task["baseline"]]), max([*values, task["baseline"]])
    for run in runs:
        cell = run["cell"]
        colour = st.COLOURS[cell]
        steps = np.asarray(run["steps"])
        lo, hi, median = (floats(run[k]) for k in ("low", "high", "median"))
        ax.fill_between(steps, lo, hi, color=colour, alpha=0.18, lw=0)
        ax.plot(steps, median, color=colour, ls=st.LINESTYLES[cell], label=LABELS[cell])
    ax.axhline(task["baseline"], color=st.COLOURS["baseline"], lw=1.0, ls=(0, (6, 3)), zorder=1)
    ax.set_yscale("log")
    ax.set_xlim(0, data["steps"])
    # Every point inside the axes, with a margin of a tenth of a decade on each side.
    ax.set_ylim(low / 10**0.1, high * 10**0.1)
    ax.set_xlabel(f"training step (minibatch of {runs[0]['config']['batch']})")
    ax.set_ylabel("evaluation loss (MSE)")
    title = _TITLES.get(task["task"], task["task"]).format(**task["task_kwargs"])
    st.panel_label(ax, "a", title)

    # (b): one column per model, one dot per seed (spread sideways so none hides another).
    ratios = [np.asarray(floats(run["final_ratio"])) for run in runs]
    for i, (run, r) in enumerate(zip(runs, ratios)):
        offsets = np.linspace(-0.18, 0.18, len(r))
        ax_f.plot(
            i + offsets,
            r,
            ls="none",
            marker="o",
            ms=st.scaled(4),
            color=st.COLOURS[run["cell"]],
            mec="black",
            mew=0.4,
        )
    ax_f.axhline(1.0, color=st.COLOURS["baseline"], lw=1.0, ls=(0, (6, 3)), zorder=1)
    ax_f.axhline(LEARNED, color=st.COLOURS["bound"], lw=0.9, ls=":", zorder=1)
    ax_f.set_yscale("log")
    every = np.concatenate([*ratios, [1.0, LEARNED]])
    ax_f.set_ylim(np.nanmin(every) / 10**0.15, np.nanmax(every) * 10**0.15)
    ax_f.set_xlim(-0.6, len(runs) - 0.4)
    ax_f.set_xticks(range(len(runs)), [SHORT[run["cell"]] for run in runs])
    ax_f.grid(axis="x", visible=False)
    ax_f.set_ylabel(f"final loss / baseline\n(median of the last {FINAL_EVALS} evaluations)")
    n_seeds = len(runs[0]["seeds"])
    st.panel_label(ax_f, "b", "per seed, at the end")

    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Patch(color="0.5", alpha=0.35, lw=0),
        Line2D([], [], color=st.COLOURS["baseline"], lw=1.0, ls=(0, (6, 3))),
        Line2D([], [], color=st.COLOURS["bound"], lw=0.9, ls=":"),
    ]
    labels += [
        f"min to max of {n_seeds} seeds",
        "trivial baseline",
        rf"solved: {LEARNED:g} $\times$ baseline",
    ]
    # One legend for both panels, below them: no curve is hidden behind it.
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig


_TITLES = {"adding_le": r"adding problem, $T = {length}$"}
SHORT = {"rnn": "tanh\nRNN", "irnn": "IRNN", "lstm": "LSTM\n$b_f = 1$", "gru": "GRU"}
