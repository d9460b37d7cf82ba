"""A tiny sweep spec shared by the sweep tests (tests/experiments, tests/cli)."""

from __future__ import annotations

#: A sweep of 8 short runs: 2 configurations × 2 lengths × 2 seeds (about 0.1 s each).
TINY = {
    "name": "tiny",
    "seeds": 2,
    "success": "eval_loss / baseline < 0.9",
    "base": {
        "task": "adding_le",
        "hidden": 4,
        "batch": 4,
        "steps": 6,
        "eval_every": 3,
        "eval_batch": 8,
        "log_every": 2,
        "checkpoint_every": 6,
    },
    "grid": {"length": [3, 5]},
    "configurations": [
        {"label": "tanh RNN", "panel": "a", "cell": "rnn"},
        {"label": "GRU", "panel": "a", "cell": "gru"},
    ],
}

TOML = """
name = "tiny"
seeds = 2
success = "eval_loss / baseline < 0.9"
[base]
task = "adding_le"
hidden = 4
batch = 4
steps = 6
eval_every = 3
eval_batch = 8
log_every = 2
checkpoint_every = 6
[grid]
length = [3, 5]
[[configurations]]
label = "tanh RNN"
panel = "a"
cell = "rnn"
[[configurations]]
label = "GRU"
panel = "a"
cell = "gru"
"""
