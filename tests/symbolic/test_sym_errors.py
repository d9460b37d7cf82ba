"""Bad input gives a clear error from the gradsym.errors family."""

from __future__ import annotations

import pytest

from gradsym.errors import GradsymError, InvalidValueError, UnknownNameError
from gradsym.symbolic import cell, jacobian


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "transformer"}, "unknown cell 'transformer'"),
        ({"cell": "lstm", "variant": "bidirectional"}, "unknown lstm variant"),
        ({"cell": "gru", "variant": "tanh"}, "unknown gru variant"),
        ({"cell": "rnn", "variant": "softmax"}, "unknown rnn variant"),
        ({"cell": "rnn", "of": "c"}, "unknown vector of cell 'rnn' 'c'"),
        ({"cell": "lstm", "of": "h", "wrt": "x_prev"}, "'x_prev'"),
        ({"cell": "rnn", "of": "h_prev"}, "unknown output"),
        ({"cell": "residual", "of": "y", "wrt": "state"}, "no state"),
    ],
)
def test_unknown_names(kwargs, match):
    with pytest.raises(UnknownNameError, match=match) as info:
        jacobian(**kwargs)
    assert isinstance(info.value, GradsymError)
    assert "expected one of" in str(info.value)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_sizes_must_be_positive_integers(n):
    jac = jacobian("rnn")
    with pytest.raises(InvalidValueError, match="n must be a positive integer"):
        jac.explicit(n)
    with pytest.raises(InvalidValueError):
        jac.prove(n)


def test_input_size_is_checked_too():
    with pytest.raises(InvalidValueError, match="d must be a positive integer"):
        jacobian("rnn", wrt="x").explicit(2, 0)


def test_equations_of_leaves_cannot_be_replaced():
    lstm = cell("lstm")
    with pytest.raises(InvalidValueError, match="leaf"):
        lstm.with_equation("c_prev", lstm.symbol("c"))


def test_symbolic_never_imports_the_numeric_backend():
    import re
    from pathlib import Path

    import gradsym.symbolic as pkg

    importing = re.compile(r"^\s*(from|import)\s+(gradsym\.numeric|\.\.numeric)", re.MULTILINE)
    for path in Path(pkg.__file__).parent.glob("*.py"):
        assert not importing.search(path.read_text()), path.name
