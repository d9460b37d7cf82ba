"""Every row of the function table has every facet, and the facets agree with each other:
the NumPy value with SymPy's, the derivative with central differences and with SymPy's
derivative, the printed code with the value, the grammar and printers with the row; and
the round-off model's Lipschitz bounds hold on a grid. A new function is one row, and this
file is what checks it."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import sympy as sp

from gradsym.errors import UnknownNameError
from gradsym.lang.elementwise import (
    CODE_NAMESPACE,
    DERIVATIVE_OF,
    FUNCTIONS,
    MAPS,
    ElementwiseFunction,
    confusion,
    get_function,
    numpy_map,
)
from gradsym.lang.latex import FUNCTION_LATEX, notes_latex
from gradsym.lang.matexpr import Apply
from gradsym.lang.names import vector
from gradsym.lang.parser import SPELLINGS, parse_expression
from gradsym.lang.symbolic_table import FUNCTION_CLASSES, SCALAR_MAPS
from gradsym.lang.text import FUNCTION_TEXT, notes_text

ROWS = list(FUNCTIONS.values())
# points away from 0 (where ReLU' jumps) and from the sigmoid's clipping
GRID = np.array([-3.1, -1.2, -0.4, 0.3, 0.9, 2.7])
Z = sp.Symbol("z", real=True)


def _ids(rows):
    return [f.name for f in rows]


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_every_facet_is_filled(f: ElementwiseFunction):
    for field in dataclasses.fields(f):
        value = getattr(f, field.name)
        if field.name == "code_prime_from_value":
            continue  # optional: f' is not a function of f's value for every f
        assert value is not None and value != "" and value != (), field.name
    assert f.confused_with in FUNCTIONS and f.confused_with != f.name
    assert f.prime == f.name + "'" and DERIVATIVE_OF[f.name] == f.prime
    assert MAPS[f.name] == (f, False) and MAPS[f.prime] == (f, True)


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_value_is_sympys(f):
    exact = [float(sp.N(f.scalar(sp.Float(z, 30)).rewrite(sp.exp), 20)) for z in GRID]
    np.testing.assert_allclose(f.apply(GRID.copy()), exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_derivative_is_central_differences_and_sympys(f):
    h = 1e-6
    differences = (f.apply(GRID + h) - f.apply(GRID - h)) / (2 * h)
    np.testing.assert_allclose(f.derivative(GRID), differences, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(f.grad_from_output(f.apply(GRID)), f.derivative(GRID))
    symbolic = sp.diff(f.scalar(Z), Z)
    assert sp.simplify((symbolic - f.scalar_prime(Z)).rewrite(sp.exp)) == 0
    exact = [float(sp.N(f.scalar_prime(sp.Float(z, 30)).rewrite(sp.exp), 20)) for z in GRID]
    np.testing.assert_allclose(f.derivative(GRID), exact, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_code_computes_the_value(f):
    namespace = {"numpy": np, **CODE_NAMESPACE}
    z = GRID.copy()

    def run(code, arg):
        return eval(code.format("arg"), namespace, {"arg": arg})

    np.testing.assert_allclose(run(f.code, z), f.apply(z), rtol=1e-15)
    np.testing.assert_allclose(run(f.code_prime, z), f.derivative(z), rtol=1e-15)
    if f.code_prime_from_value is not None:
        np.testing.assert_allclose(run(f.code_prime_from_value, f.apply(z)), f.derivative(z))


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_the_round_off_model_holds(f):
    """f, and f' unless it is a step, are 1-Lipschitz (the float64 evaluator's error model)."""
    z = np.linspace(-6, 6, 4001)
    for values, is_step in ((f.apply(z), False), (f.derivative(z), f.prime_is_step)):
        slopes = np.abs(np.diff(values)) / np.diff(z)
        if is_step:
            assert slopes.max() > 10, "a step jumps"
        else:
            assert slopes.max() <= 1 + 1e-9


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_grammar_printers_and_sympy_read_the_row(f):
    v = vector("v")
    table = {"v": v}
    for spelling in f.spellings:
        assert SPELLINGS[spelling] == f.name
        assert parse_expression(f"{spelling}(v)", table, v.shape[0]) == Apply(f.name, v)
        assert parse_expression(f"{spelling}'(v)", table, v.shape[0]) == Apply(f.prime, v)
    for spelling in f.prime_spellings:
        assert parse_expression(f"{spelling}(v)", table, v.shape[0]) == Apply(f.prime, v)
    assert FUNCTION_LATEX[f.name] == f.latex and FUNCTION_LATEX[f.prime] == f.latex_prime
    assert notes_latex(Apply(f.prime, v)).startswith(f.latex_prime + r"\left(")
    assert FUNCTION_TEXT[f.name] == f.text and notes_text(Apply(f.prime, v)) == f"{f.text}′(v)"
    assert SCALAR_MAPS[f.name] is f.scalar and SCALAR_MAPS[f.prime] is f.scalar_prime
    form = f.scalar(Z)
    if isinstance(form, sp.Function):
        assert FUNCTION_CLASSES[type(form)] == (f, False)


def test_confusions_pair_the_same_order_of_derivative():
    assert confusion("tanh") == "sigmoid" and confusion("tanh'") == "sigmoid'"
    assert confusion("relu'") == "identity'"
    for name in MAPS:
        assert MAPS[confusion(name)][1] == MAPS[name][1]


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(UnknownNameError, match="tanh"):
        get_function("tahn")
    with pytest.raises(UnknownNameError):
        numpy_map("cosh'")


def test_a_row_pickles_by_name():
    f = FUNCTIONS["sigmoid"]
    assert pickle.loads(pickle.dumps(f)) is f


def test_the_facet_checks_reject_a_wrong_row():
    """A row with a wrong derivative or wrong code is caught by the checks above."""
    good = FUNCTIONS["tanh"]
    wrong_derivative = dataclasses.replace(good, grad_from_output=lambda a: 1.0 - a)
    with pytest.raises(AssertionError):
        test_numpy_derivative_is_central_differences_and_sympys(wrong_derivative)
    wrong_code = dataclasses.replace(good, code="(numpy.sinh({0}))")
    with pytest.raises(AssertionError):
        test_numpy_code_computes_the_value(wrong_code)
    steep = dataclasses.replace(good, apply=lambda z, out=None: 2 * np.tanh(z))
    with pytest.raises(AssertionError):
        test_the_round_off_model_holds(steep)
