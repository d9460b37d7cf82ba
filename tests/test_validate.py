"""The one validation policy (gradsym/validate.py): a bool is never a number, a string
never a number nor a boolean, a whole float never an integer; and every constructor
that takes such options follows it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradsym import LSTM, RNN, SGD, Stacked, TrainConfig, make_task
from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.validate import (
    boolean,
    choice,
    integer,
    nonnegative_int,
    number,
    positive_int,
    positive_number,
)


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.float64(2.0), np.int64(3)])
def test_numbers_are_numbers(value):
    assert number("x", value) == float(value)
    assert isinstance(number("x", value), float)


@pytest.mark.parametrize("value", [True, False, np.True_, "0.1", None, [1.0], 1j])
def test_bools_strings_and_others_are_not_numbers(value):
    with pytest.raises(InvalidValueError, match=r"x must be a number, got"):
        number("x", value)
    with pytest.raises(InvalidValueError, match=r"x must be a positive number, got"):
        positive_number("x", value)


def test_number_bounds_and_finiteness():
    assert number("m", 0.0, low=0.0, high=1.0) == 0.0
    for bad in (1.0, -0.1, math.nan, math.inf):
        with pytest.raises(InvalidValueError, match=r"m must be a finite number in \[0, 1\)"):
            number("m", bad, low=0.0, high=1.0)
    with pytest.raises(InvalidValueError, match=r"in \(0, 1\]"):
        number("f", 0.0, low=0.0, high=1.0, low_open=True, high_open=False)
    assert number("f", 1.0, low=0.0, high=1.0, low_open=True, high_open=False) == 1.0
    with pytest.raises(InvalidValueError, match="finite number, got inf"):
        number("x", math.inf)


@pytest.mark.parametrize("value", [0, -1e-300, math.nan, math.inf, -math.inf])
def test_positive_numbers_are_positive_and_finite(value):
    with pytest.raises(InvalidValueError, match="must be a positive finite number"):
        positive_number("lr", value)


def test_integers():
    assert positive_int("n", np.int32(4)) == 4 and type(positive_int("n", np.int32(4))) is int
    assert nonnegative_int("seed", 0) == 0
    assert integer("k", -3) == -3
    for bad in (16.0, True, "3", None, 2.5):
        with pytest.raises(InvalidValueError, match="n must be a positive integer"):
            positive_int("n", bad)
    with pytest.raises(InvalidValueError, match="seed must be an integer >= 0, got -1"):
        nonnegative_int("seed", -1)
    with pytest.raises(InvalidValueError, match="n must be a positive integer, got 0"):
        positive_int("n", 0)


def test_booleans_are_true_or_false():
    assert boolean("p", True) is True and boolean("p", np.False_) is False
    for bad in ("no", "false", "True", 0, 1, None, 1.0):
        with pytest.raises(InvalidValueError, match="p must be True or False, got"):
            boolean("p", bad)


def test_choice_lists_the_known_names():
    assert choice("cell", "lstm", ("rnn", "lstm")) == "lstm"
    for bad in ("LSTM", None, 3):
        with pytest.raises(UnknownNameError, match=r"unknown cell .*'lstm', 'rnn'"):
            choice("cell", bad, ("rnn", "lstm"))


# -- the policy, where options are given ------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TrainConfig(lr=True), "lr .* must be a positive number, got True"),
        (lambda: TrainConfig(momentum=True), "momentum must be a number"),
        (lambda: TrainConfig(gain=False), "gain must be a positive number"),
        (lambda: TrainConfig(lr="0.01"), "lr .* must be a positive number"),
        (lambda: TrainConfig(hidden=16.0), "hidden must be a positive integer"),
        (lambda: TrainConfig(seed=True), "seed must be an integer >= 0"),
        (lambda: TrainConfig(max_recoveries=2.0), "max_recoveries must be an integer"),
        (lambda: TrainConfig(peephole="false"), "peephole must be True or False"),
        (lambda: TrainConfig(forget_gate="no"), "forget_gate must be True or False"),
        (lambda: TrainConfig(residual="no", layers=2), "residual must be True or False"),
        (lambda: TrainConfig(forget_bias=True), "forget_bias must be a number"),
        (lambda: LSTM(3, 4, peephole="no"), "peephole must be True or False"),
        (lambda: LSTM(3, 4, forget_gate=0), "forget_gate must be True or False"),
        (lambda: Stacked([RNN(3, 4), RNN(4, 4)], residual="no"), "residual must be True"),
        (lambda: SGD(lr=True), "lr must be a positive number"),
        (lambda: SGD(0.1, momentum=True), "momentum must be a number"),
        (lambda: SGD(0.1, nesterov="yes"), "nesterov must be True or False"),
        (lambda: make_task("adding", length=True), "length must be a positive integer"),
    ],
)
def test_every_option_follows_the_policy(build, message):
    with pytest.raises(InvalidValueError, match=message):
        build()


def test_the_same_options_with_proper_values_are_accepted():
    TrainConfig(lr=0.1, momentum=0.5, optimiser="sgd", peephole=True, forget_gate=False)
    TrainConfig(cell="rnn", layers=2, residual=True, seed=np.int64(3))
    assert LSTM(3, 4, peephole=np.True_).peephole is True
    assert SGD(0.1, momentum=0.5, nesterov=True).nesterov is True
