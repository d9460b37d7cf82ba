"""make_cell: the one factory of the NumPy cells, by the symbolic cells' names and
variants; and the one step of every cell it builds (step, step_backward)."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import tol

from gradsym.cells.builtin import LSTM_SWITCHES as LSTM_VARIANTS
from gradsym.cells.builtin import lstm_variant
from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.numeric.cells import GRU, LSTM, RNN, cell_variants, make_cell
from gradsym.numeric.cells.factory import CELL_VARIANTS
from gradsym.numeric.gradcheck import numerical_gradient


def test_every_variant_of_the_table_is_built():
    assert CELL_VARIANTS == {
        "rnn": ("tanh", "sigmoid", "relu", "identity"),
        "lstm": ("standard", "peephole", "no_forget", "peephole_no_forget"),
        "gru": ("textbook", "minimal", "torch"),
    }
    assert len(cell_variants()) == 11


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_make_cell_is_the_constructor_with_the_variant_spelled_out(name, variant):
    cell = make_cell(name, variant, 3, 4, rng=7)
    if name == "rnn":
        same = RNN(3, 4, variant, rng=7)
        assert cell.activation.name == variant
    elif name == "lstm":
        peephole, forget_gate = LSTM_VARIANTS[variant]
        same = LSTM(3, 4, peephole=peephole, forget_gate=forget_gate, rng=7)
        assert (cell.peephole, cell.forget_gate) == (peephole, forget_gate)
    else:
        same = GRU(3, 4, variant=variant, rng=7)
        assert cell.variant == variant
    assert type(cell) is type(same) and cell.params.keys() == same.params.keys()
    for k in cell.params:
        assert np.array_equal(cell.params[k], same.params[k]), k


def test_the_default_variant_comes_first():
    assert make_cell("rnn", None, 2, 3).activation.name == "tanh"
    lstm = make_cell("lstm", None, 2, 3)
    assert (lstm.peephole, lstm.forget_gate) == (False, True)
    assert make_cell("gru", None, 2, 3).variant == "textbook"


def test_make_cell_passes_dtype_and_sizes():
    cell = make_cell("gru", "torch", 5, 2, dtype=np.float32)
    assert (cell.input_size, cell.hidden_size, cell.dtype) == (5, 2, np.dtype(np.float32))


def test_unknown_names_and_variants_list_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"unknown cell 'transformer'.*'gru'.*'lstm'.*'rnn'"):
        make_cell("transformer", None, 2, 3)
    with pytest.raises(UnknownNameError, match=r"unknown lstm variant 'peepholes'.*'standard'"):
        make_cell("lstm", "peepholes", 2, 3)
    with pytest.raises(UnknownNameError, match=r"unknown rnn variant 'gelu'"):
        make_cell("rnn", "gelu", 2, 3)
    with pytest.raises(InvalidValueError, match="hidden_size must be a positive integer"):
        make_cell("rnn", "tanh", 2, 0)


def test_lstm_variant_names_the_switches():
    for name, (peephole, forget_gate) in LSTM_VARIANTS.items():
        assert lstm_variant(peephole, forget_gate) == name
    with pytest.raises(InvalidValueError, match="peephole must be True or False"):
        lstm_variant("no", True)


# -- one step ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "variant"), cell_variants())
def test_step_backward_is_the_vector_jacobian_product_of_step(name, variant, rng):
    """∂L/∂s⁽ᵗ⁾ → (∂L/∂s⁽ᵗ⁻¹⁾, ∂L/∂x⁽ᵗ⁾, ∂L/∂θ) for L = ⟨u, s⁽ᵗ⁾⟩, against central
    differences of one step."""
    cell = make_cell(name, variant, 3, 4, rng=rng)
    x = rng.normal(size=(2, 3))
    state = tuple(rng.normal(size=(2, 4)) for _ in cell.state_names)
    u = tuple(rng.normal(size=(2, 4)) for _ in cell.state_names)
    new_state, trace = cell.step(x, state)
    assert len(new_state) == len(state)
    d_state, dx, dparams = cell.step_backward(trace, u)

    def loss():
        return sum(float(np.vdot(g, s)) for g, s in zip(u, cell.step(x, state)[0]))

    scale = tol("gradcheck")
    for analytic, array in [(dx, x), *zip(d_state, state)]:
        numeric = numerical_gradient(loss, array)
        assert np.abs(analytic - numeric).max() <= scale * max(np.abs(numeric).max(), 1.0)
    for k, p in cell.params.items():
        numeric = numerical_gradient(loss, p)
        assert np.abs(dparams[k] - numeric).max() <= scale * max(np.abs(numeric).max(), 1.0), k


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "indrnn"])
def test_sizes_no_memory_holds_are_refused_before_allocating(name):
    """A GradsymError naming the sizes, not NumPy's MemoryError (issue 21)."""
    with pytest.raises(
        InvalidValueError, match=r"input_size = 1000000 and hidden_size = 1000000 need about"
    ):
        make_cell(name, None, 10**6, 10**6)
