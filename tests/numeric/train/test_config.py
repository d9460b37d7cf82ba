"""TrainConfig: checked on construction, a JSON round trip, the resumable options read
from its fields, and the cell it names for make_cell."""

from __future__ import annotations

import dataclasses

import pytest

from gradsym.errors import InvalidValueError
from gradsym.numeric.train.config import RESUMABLE_CHANGES, TrainConfig

SMALL = {"task_kwargs": {"length": 20}, "hidden": 8, "steps": 30, "batch": 8}


def test_config_round_trips_through_json():
    cfg = TrainConfig(**dict(SMALL, truncation=(2, 5), clip=None, forget_bias=1.0))
    back = TrainConfig.from_json(cfg.to_json())
    assert back == cfg and back.truncation == (2, 5)


def test_from_dict_names_unknown_options():
    with pytest.raises(InvalidValueError, match="hiden"):
        TrainConfig.from_dict(dict(SMALL, hiden=3))
    with pytest.raises(InvalidValueError, match="not valid JSON"):
        TrainConfig.from_json("{hidden: 3")


def test_the_resumable_options_are_the_bookkeeping_fields():
    """Marked on the fields themselves: the options that do not change the numbers."""
    assert RESUMABLE_CHANGES == (
        "steps",
        "eval_every",
        "eval_batch",
        "checkpoint_every",
        "log_every",
        "analysis_every",
    )
    marked = {f.name for f in dataclasses.fields(TrainConfig) if f.metadata.get("resumable")}
    assert marked == set(RESUMABLE_CHANGES)


@pytest.mark.parametrize(
    ("options", "cell_variant"),
    [
        ({}, ("lstm", "standard")),
        ({"peephole": True}, ("lstm", "peephole")),
        ({"forget_gate": False}, ("lstm", "no_forget")),
        ({"peephole": True, "forget_gate": False}, ("lstm", "peephole_no_forget")),
        ({"cell": "rnn"}, ("rnn", "tanh")),
        ({"cell": "rnn", "activation": "sigmoid"}, ("rnn", "sigmoid")),
        ({"cell": "irnn"}, ("rnn", "relu")),
        ({"cell": "gru", "variant": "torch"}, ("gru", "torch")),
    ],
)
def test_the_cell_is_named_as_make_cell_names_it(options, cell_variant):
    assert TrainConfig(**options).cell_variant == cell_variant
