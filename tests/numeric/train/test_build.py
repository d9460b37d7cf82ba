"""What a TrainConfig builds: the network's layers from make_cell, initialised and
stacked, the optimiser and the clipper."""

from __future__ import annotations

import numpy as np

from gradsym.numeric.cells import GRU, LSTM, RNN
from gradsym.numeric.nets.stacked import Stacked
from gradsym.numeric.optim.optimisers import SGD, Adam
from gradsym.numeric.train.build import (
    build_clipper,
    build_network,
    build_optimiser,
    build_task,
)
from gradsym.numeric.train.config import TrainConfig


def _network(**options):
    config = TrainConfig(task_kwargs={"length": 20}, hidden=5, **options)
    return build_network(config, build_task(config), np.random.default_rng(0))


def test_one_layer_is_the_cell_of_the_config():
    lstm = _network(peephole=True).model
    assert isinstance(lstm, LSTM) and lstm.peephole and lstm.forget_gate
    assert (lstm.input_size, lstm.hidden_size) == (2, 5)
    irnn = _network(cell="irnn").model
    assert isinstance(irnn, RNN) and irnn.activation.name == "relu"
    assert np.array_equal(irnn.params["W_h"], np.eye(5))  # identity-initialised
    assert _network(cell="gru", variant="minimal").model.variant == "minimal"


def test_layers_are_stacked_with_the_hidden_size_between_them():
    stack = _network(cell="gru", layers=3, residual=True).model
    assert isinstance(stack, Stacked) and stack.residual
    assert [type(c) for c in stack.cells] == [GRU, GRU, GRU]
    assert [c.input_size for c in stack.cells] == [2, 5, 5]


def test_the_same_seed_builds_the_same_network():
    a, b = _network(), _network()
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_optimiser_and_clipper():
    assert isinstance(build_optimiser(TrainConfig()), Adam)
    sgd = build_optimiser(TrainConfig(optimiser="sgd", momentum=0.9, lr=0.1))
    assert isinstance(sgd, SGD) and sgd.momentum == 0.9 and sgd.lr == 0.1
    assert build_clipper(TrainConfig(clip=None)) is None
    norm = build_clipper(TrainConfig(clip=2.0, norm_mode="torch"))
    # norm clipping measures; the optimiser applies the factor (one pass, same numbers)
    assert norm.deferred and not norm.in_place
    assert "by_norm(2.0, mode='torch'" in norm.description
    value = build_clipper(TrainConfig(clip=0.5, clip_mode="value"))
    assert value.description == "by_value(0.5)" and value.in_place and not value.deferred
