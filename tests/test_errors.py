"""The error family's helpers: "did you mean" for near-miss names, wherever names are
looked up (one helper, beside unknown_name)."""

from __future__ import annotations

import pytest

from gradsym.errors import InvalidValueError, UnknownNameError, did_you_mean, unknown_name


@pytest.mark.parametrize(
    ("name", "known", "hint"),
    [
        ("lstn", ["rnn", "lstm", "gru"], " (did you mean 'lstm'?)"),
        ("LSTM", ["rnn", "lstm", "gru"], " (did you mean 'lstm'?)"),
        ("adding-le", ["adding", "adding_le"], " (did you mean 'adding_le' or 'adding'?)"),
        ("W_f", ["layer0.W_f", "layer1.W_f", "layer0.W_i"], None),
        ("transformer", ["rnn", "lstm", "gru"], ""),
        (3, ["rnn"], ""),
    ],
)
def test_near_misses_are_suggested_and_far_ones_not(name, known, hint):
    got = did_you_mean(name, known)
    if hint is None:
        assert got == " (did you mean 'layer0.W_f' or 'layer1.W_f'?)"
    else:
        assert got == hint


def test_unknown_name_puts_the_suggestion_before_the_list():
    err = unknown_name("cell", "lstn", ["rnn", "lstm", "gru"])
    assert str(err) == (
        "unknown cell 'lstn' (did you mean 'lstm'?); expected one of: 'gru', 'lstm', 'rnn'"
    )


def test_names_are_suggested_in_every_layer():
    from gradsym import TrainConfig, jacobian, make_task
    from gradsym.notes import claims
    from gradsym.numeric.cells.factory import make_cell
    from gradsym.render.figures import figure_module

    for lookup, hint in [
        (lambda: make_cell("lstn", None, 3, 4), "'lstm'"),
        (lambda: make_task("adding-le"), "'adding_le'"),
        (lambda: make_task("adding", lenght=30), "'length'"),
        (lambda: TrainConfig.from_dict({"hiden": 3}), "'hidden'"),
        (lambda: jacobian("lstm", of="c", wrt="cprev"), "'c_prev'"),
        (lambda: claims(["chain-rul"]), "'chain-rule'"),
        (lambda: figure_module("gradient-norm"), "'gradient-norms'"),
    ]:
        with pytest.raises((UnknownNameError, InvalidValueError), match=f"did you mean {hint}"):
            lookup()
