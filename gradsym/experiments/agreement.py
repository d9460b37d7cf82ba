"""Number agreement, measured as Linzen, Dupoux & Goldberg (2016) measured it: the
experiment behind the figure "agreement" and the claim "agreement-recency".

A tanh RNN and an LSTM are trained with :mod:`gradsym.numeric.train` on the synthetic
number-prediction task (:class:`~gradsym.numeric.train.tasks.agreement.Agreement`: read
the words up to the verb, predict its number), and tested on sentences built to order:

* **attractors** — k = 0 … 4 intervening nouns, all of the other number than the subject
  (Linzen et al.'s "homogeneous intervention", their count of attractors);
* **distance** — the subject D tokens before the verb, D = 1 … 20, with no intervening
  noun and with one attractor (Linzen et al. measure the distance without nouns);
* **order** — the same intervening nouns in two orders: the attractor nearest to the verb
  or farthest from it ("SA" / "AS", "SSA" / "ASS", "SAA" / "AAS"; Linzen et al.'s "last
  intervening noun"). An error in the first order agrees with the nearest noun, in the
  second it does not. Of the errors in both orders together, the share in the first is
  the share of errors that agree with the nearest noun; a network whose errors ignore
  the order has 1/2, sequential recency pushes it to 1.

Every sentence of a test set is scored (argmax of the output after the last step against
the subject's number); the counts are kept, so shares are exact fractions.

Two training conditions (the rate of attractors among the training nouns):
``attractor_rate`` 0 — every noun of every training sentence has the subject's number, so
the data cannot tell "agree with the subject" from "agree with the nearest noun" and the
test with attractors shows which rule each network learned — and 0.01, where one in a
hundred training nouns is an attractor. The training sentences follow other words (the
end of a previous sentence, with nouns of either number, then a boundary: ``context``),
as every sentence of running text does.

Runs are independent and seeded: they run in parallel (:func:`gradsym.workers.worker_pool`)
with the same results as one by one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from gradsym.validate import nonnegative_int, positive_int

__all__ = [
    "ATTRACTORS",
    "CELLS",
    "DISTANCES",
    "ORDER_PAIRS",
    "RATES",
    "TASK_KWARGS",
    "config",
    "measure",
    "nearest_share",
    "run",
    "run_seeds",
]

#: The language: subject at distance up to 20 from the verb, up to 6 nouns in between,
#: at least 4 words of a previous sentence before the boundary; 4 nouns and 4 fillers.
TASK_KWARGS = {"max_distance": 20, "max_nouns": 6, "context": 4, "n_nouns": 4, "n_fillers": 4}
#: Training conditions: the probability that an intervening training noun is an attractor.
RATES = (0.0, 0.01)
CELLS = ("rnn", "lstm")
SEEDS, STEPS, HIDDEN, BATCH, LR, CLIP = 5, 1500, 16, 32, 0.01, 1.0
#: Sentences per test set (per pattern and distance).
TEST_SENTENCES = 1000
ATTRACTORS = (0, 1, 2, 3, 4)
DISTANCES = (1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
#: (attractor nearest to the verb, attractor farthest): the same nouns in two orders.
ORDER_PAIRS = (("SA", "AS"), ("SSA", "ASS"), ("SAA", "AAS"))
WORKERS = 2
#: The test sets' generator: SeedSequence((build seed, run seed, TEST_KEY)).
TEST_KEY = 7


def run_seeds(seed: int, seeds: int = SEEDS) -> list[int]:
    """The training seeds under build seed ``seed``: 0 … 4 for 0, 5 … 9 for 1."""
    return [seed * seeds + k for k in range(seeds)]


def config(
    cell: str, rate: float, seed: int, steps: int = STEPS, eval_every: int | None = None
) -> dict:
    """The :class:`~gradsym.numeric.train.TrainConfig` options of one run (plain data);
    evaluated every ``eval_every`` steps (None: at the end only)."""
    every = steps if eval_every is None else min(eval_every, steps)
    return {
        "cell": cell,
        "task": "agreement",
        "task_kwargs": {**TASK_KWARGS, "attractor_rate": rate},
        "hidden": HIDDEN,
        "batch": BATCH,
        "steps": steps,
        "optimiser": "adam",
        "lr": LR,
        "clip": CLIP,
        "clip_mode": "norm",
        "forget_bias": 1.0 if cell == "lstm" else None,
        "eval_every": every,
        "eval_batch": 256,
        "checkpoint_every": steps,
        "log_every": every,
        "seed": seed,
    }


def _errors(network, batch) -> int:
    """How many sentences of ``batch`` the network gets wrong (argmax vs the subject)."""
    predicted = np.argmax(network.forward(batch.x).predictions, axis=-1)
    return int(np.sum(predicted != batch.y))


def measure(network, task, rng: np.random.Generator, sentences: int = TEST_SENTENCES) -> dict:
    """Error counts of ``network`` on the test sets (each of ``sentences`` sentences):
    ``attractors`` per k of :data:`ATTRACTORS`; ``distance`` per D of :data:`DISTANCES`
    without intervening nouns (``none``) and with one attractor (``attractor``);
    ``order`` per pair of :data:`ORDER_PAIRS`, the errors with the attractor nearest
    (``near``) and farthest (``far``). Drawn from ``rng`` in that order. A task whose
    ``max_distance`` is below 20 is tested on the counts and distances it can hold
    (``attractor_counts``, ``distances`` and ``order_pairs`` say which)."""
    n = positive_int("sentences", sentences)
    room = task.max_distance
    counts = [k for k in ATTRACTORS if k <= room]
    distances = [d for d in DISTANCES if d <= room]
    pairs = [p for p in ORDER_PAIRS if len(p[0]) <= room]
    attractors = [_errors(network, task.sample_pattern(n, rng, "A" * k)) for k in counts]
    none, one = [], []
    for d in distances:
        none.append(_errors(network, task.sample_pattern(n, rng, "", d)))
        one.append(_errors(network, task.sample_pattern(n, rng, "A", d)))
    near, far = [], []
    for near_pattern, far_pattern in pairs:
        near.append(_errors(network, task.sample_pattern(n, rng, near_pattern)))
        far.append(_errors(network, task.sample_pattern(n, rng, far_pattern)))
    return {
        "sentences": n,
        "attractor_counts": counts,
        "distances": distances,
        "order_pairs": [list(p) for p in pairs],
        "attractors": attractors,
        "distance": {"none": none, "attractor": one},
        "order": {"near": near, "far": far},
    }


def nearest_share(near: int, far: int) -> Fraction | None:
    """The share of errors that agree with the nearest noun, near / (near + far), exactly;
    None without errors."""
    near, far = nonnegative_int("near", near), nonnegative_int("far", far)
    return None if near + far == 0 else Fraction(near, near + far)


def _run_one(job: tuple[dict, int, int]) -> dict:
    """Train one network (in a worker) and measure it on ``sentences`` per test set."""
    from gradsym.numeric.train import TrainConfig, Trainer

    options, build_seed, sentences = job
    trainer = Trainer(TrainConfig(**options))
    result = trainer.run()
    rng = np.random.default_rng(np.random.SeedSequence((build_seed, options["seed"], TEST_KEY)))
    evals = [h for h in result.history if "eval_loss" in h]
    return {
        "cell": options["cell"],
        "seed": options["seed"],
        "attractor_rate": options["task_kwargs"]["attractor_rate"],
        "eval_steps": [h["step"] for h in evals],
        "eval_loss": [h["eval_loss"] for h in evals],
        "eval_accuracy": result.eval_accuracy,
        "recoveries": len(result.recoveries),
        **measure(result.network, trainer.task, rng, sentences),
    }


def run(
    seed: int = 0,
    *,
    steps: int | None = None,
    seeds: int = SEEDS,
    sentences: int = TEST_SENTENCES,
    eval_every: int | None = None,
    workers: int = WORKERS,
    advance: Callable[[], None] | None = None,
) -> list[dict]:
    """Train every cell of :data:`CELLS` under every rate of :data:`RATES`, ``seeds``
    seeds each (:func:`run_seeds`), and measure each network; ``steps`` overrides the
    training length, ``sentences`` the size of a test set. Returns one record per run
    (cell, seed, attractor_rate, final evaluation, the counts of :func:`measure`), in
    the order rate, cell, seed; each run is evaluated every ``eval_every`` steps (None:
    at its end; ``eval_steps`` and ``eval_loss`` hold them). ``advance()`` is called as
    each run finishes."""
    seed = nonnegative_int("seed", seed)
    n = STEPS if steps is None else positive_int("steps", steps)
    sentences = positive_int("sentences", sentences)
    if eval_every is not None:
        positive_int("eval_every", eval_every)
    jobs = [
        (config(cell, rate, s, n, eval_every), seed, sentences)
        for rate in RATES
        for cell in CELLS
        for s in run_seeds(seed, positive_int("seeds", seeds))
    ]
    done = (lambda: None) if advance is None else advance
    records = []
    workers = max(1, min(positive_int("workers", workers), os.cpu_count() or 1))
    if workers > 1:
        from gradsym.workers import worker_pool

        with worker_pool(workers) as pool:  # its workers die with this process
            for record in pool.map(_run_one, jobs):
                records.append(record)
                done()
    else:
        for job in jobs:
            records.append(_run_one(job))
            done()
    return records
