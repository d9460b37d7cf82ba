"""Shared by the analysis tests and their fixtures: the random tanh networks and the
training both models of the horizon comparison go through."""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells.rnn import RNN

#: Width of the random tanh networks, their chaotic gains and one below the transition.
N = 500
GAINS = (1.5, 2.0, 3.0)
SUBCRITICAL_GAIN = 0.5

#: How the adding-problem LSTM and tanh RNN are both trained: the adding problem of Le et
#: al. (T = 30) as in the training-curves figure, and as the README's example.
TRAINING = {
    "task": "adding_le",
    "task_kwargs": {"length": 30},
    "hidden": 32,
    "lr": 0.02,
    "clip": 1.0,
    "steps": 500,
    "eval_every": 500,
    "checkpoint_every": 500,
    "seed": 0,
}
#: The length of the sequences the two trained models are analysed on.
ANALYSIS_LENGTH = 200


def tanh_network(g: float, W: np.ndarray) -> RNN:
    """h⁽ᵗ⁾ = tanh(g W h⁽ᵗ⁻¹⁾): an RNN cell whose input weights and bias are zero."""
    cell = RNN(1, W.shape[0], "tanh")
    cell.params["W_h"][...] = g * W
    cell.params["W_x"][...] = 0.0
    cell.params["b"][...] = 0.0
    return cell
