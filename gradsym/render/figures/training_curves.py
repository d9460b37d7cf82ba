"""Figure "training-curves": the adding problem and the copy task, four models, baselines.

Plotted (two panels, loss against the training step): the evaluation loss (256 fresh
sequences, every 25 steps) of a tanh RNN (orthogonal W_h), an IRNN (ReLU, W_h = I; Le,
Jaitly & Hinton 2015), an LSTM (forget bias 1) and a GRU, each trained with Adam and norm
clipping at 1 (:mod:`gradsym.numeric.train`), on

(a) the adding problem in Le et al.'s form, T = 30 (MSE; trivial baseline: always predict
    1, MSE = 1/6);
(b) the copy task, delay 10, 5 symbols of 8 to copy (cross-entropy per step; memoryless
    baseline L ln K / (T + 2L)).

The runs are short on purpose (a few hundred steps, 32 hidden units) so that the figure
regenerates in about a minute on two cores; they still show the picture of the notes: the
plain tanh RNN stays at the baseline, the gated cells (and the IRNN on the adding problem)
get below it. The eight runs are independent and seeded, so they run in parallel
(process pool, whose workers die with the parent: :mod:`gradsym.workers`) with identical
results.

Claims: sequential-recency, lstm-cell-path, forget-bias, gru-retain, relu, clip-norm.
"""

from __future__ import annotations

import os

import numpy as np

from gradsym.render.figures import style as st
from gradsym.workers import worker_pool

NAME = "training-curves"
CLAIMS = ("sequential-recency", "lstm-cell-path", "forget-bias", "gru-retain", "relu", "clip-norm")
CAPTION = (
    r"Training on the adding problem and the copy task: a $\tanh$ RNN, an IRNN, an LSTM and a GRU."
)

TASKS = {
    "adding_le": {"length": 30},
    "copy": {"delay": 10, "n_copy": 5},
}
MODELS = ("rnn", "irnn", "lstm", "gru")
LABELS = {
    "rnn": "tanh RNN",
    "irnn": "IRNN (ReLU, $W_h = I$)",
    "lstm": "LSTM ($b_f = 1$)",
    "gru": "GRU",
}
STEPS, HIDDEN, BATCH, EVAL_EVERY, EVAL_BATCH = 500, 32, 32, 25, 256
LR = {"rnn": 0.02, "irnn": 0.004, "lstm": 0.02, "gru": 0.02}  # IRNN: small lr, as Le et al.
CLIP = 1.0
WORKERS = 2


def _config(cell: str, task: str, seed: int, steps: int) -> dict:
    """The TrainConfig options of one run (plain, for the data file and the workers)."""
    return {
        "cell": cell,
        "task": task,
        "task_kwargs": dict(TASKS[task]),
        "hidden": HIDDEN,
        "batch": BATCH,
        "steps": steps,
        "optimiser": "adam",
        "lr": LR[cell],
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
        "train_loss": [h["loss"] for h in evals],
        "baseline": result.baseline,
        "baseline_description": result.baseline_description,
        "recoveries": len(result.recoveries),
    }


def compute(seed: int = 0, *, steps: int | None = None) -> dict:
    """Train the four models on both tasks (``steps`` overrides the run length)."""
    n = STEPS if steps is None else steps
    jobs = [_config(cell, task, seed, n) for task in TASKS for cell in MODELS]
    workers = max(1, min(WORKERS, os.cpu_count() or 1))
    if workers > 1:
        with worker_pool(workers) as pool:  # its workers die with this process
            curves = list(pool.map(_run, jobs))
    else:
        curves = [_run(j) for j in jobs]
    tasks = []
    for task, kwargs in TASKS.items():
        runs = [
            {"cell": job["cell"], "config": job, **curve}
            for job, curve in zip(jobs, curves)
            if job["task"] == task
        ]
        # The baseline is the task's, the same in every run: kept once per task.
        baseline = runs[0]["baseline"]
        description = runs[0]["baseline_description"]
        for r in runs:
            del r["baseline"], r["baseline_description"]
        tasks.append(
            {
                "task": task,
                "task_kwargs": kwargs,
                "baseline": baseline,
                "baseline_description": description,
                "runs": runs,
            }
        )
    return {"figure": NAME, "claims": list(CLAIMS), "seed": seed, "steps": n, "tasks": tasks}


_TITLES = {
    "adding_le": r"adding problem, $T = {length}$",
    "copy": r"copy task, delay ${delay}$, ${n_copy}$ symbols",
}
_YLABELS = {"adding_le": "evaluation loss (MSE)", "copy": "evaluation loss (cross-entropy, nats)"}


def draw(data: dict):
    """Two panels of evaluation loss against step, baselines dashed."""
    fig = st.new_figure(st.FULL_WIDTH, 3.0)
    axes = fig.subplots(1, 2)
    for ax, task, letter in zip(axes, data["tasks"], "ab"):
        for run in task["runs"]:
            cell = run["cell"]
            loss = np.asarray([np.nan if v is None else v for v in run["eval_loss"]], float)
            ax.plot(
                run["steps"],
                loss,
                color=st.COLOURS[cell],
                ls=st.LINESTYLES[cell],
                label=LABELS[cell],
            )
        ax.axhline(
            task["baseline"],
            color=st.COLOURS["baseline"],
            lw=1.0,
            ls=(0, (6, 3)),
            label="trivial baseline",
        )
        ax.annotate(
            f"baseline {task['baseline']:.3g}",
            xy=(data["steps"], task["baseline"]),
            xytext=(-2, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7,
            color=st.COLOURS["baseline"],
        )
        ax.set_xlim(0, data["steps"])
        ax.set_ylim(0, 2.0 * task["baseline"])
        ax.set_xlabel("training step (minibatch of 32)")
        ax.set_ylabel(_YLABELS.get(task["task"], "evaluation loss"))
        st.panel_label(
            ax, letter, _TITLES.get(task["task"], task["task"]).format(**task["task_kwargs"])
        )
    # One legend for both panels, below them: no curve is hidden behind it.
    handles, labels = axes[0].get_legend_handles_labels()
    labels[-1] = "trivial baseline"
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=7.5)
    return fig
