"""Every row of the function tables has every facet, and the facets agree with each other:
the NumPy value with SymPy's, the derivative with central differences and with SymPy's
derivative, the printed code with the value, the grammar and printers with the row; and
the round-off model's Lipschitz bounds hold on a grid (and fail where a row says they
do not). The same for the functions of two vectors (max, min, logaddexp, a/b, a^b):
their partial derivatives in NumPy, in SymPy and as expressions of the language agree.
A new function is one row, and this file is what checks it."""

from __future__ import annotations

import dataclasses
import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp

from gradsym.errors import UnknownNameError
from gradsym.lang import matexpr
from gradsym.lang.elementwise import (
    ACTIVATIONS,
    CODE_NAMESPACE,
    DERIVATIVE_OF,
    FUNCTIONS,
    MAPS,
    PAIRWISE,
    ElementwiseFunction,
    PairwiseFunction,
    confusion,
    get_activation,
    get_function,
    get_pairwise,
    numpy_map,
)
from gradsym.lang.latex import FUNCTION_LATEX, notes_latex
from gradsym.lang.matexpr import Apply, Pairwise
from gradsym.lang.names import vector
from gradsym.lang.parser import PAIRWISE_SPELLINGS, SPELLINGS, parse_expression
from gradsym.lang.symbolic_table import FUNCTION_CLASSES, PAIRWISE_SCALARS, SCALAR_MAPS
from gradsym.lang.text import FUNCTION_TEXT, notes_text

ROWS = list(FUNCTIONS.values())
PAIRS = list(PAIRWISE.values())
# points away from 0 (where ReLU' and the step jump) and from the sigmoid's clipping; on
# (0, ∞) for the rows defined there (log, sqrt)
GRIDS = {
    "real": np.array([-3.1, -1.2, -0.4, 0.3, 0.9, 2.7]),
    "positive": np.array([0.2, 0.45, 0.9, 1.3, 2.7, 5.1]),
}
Z = sp.Symbol("z", real=True)


def grid(f) -> np.ndarray:
    return GRIDS[f.domain].copy()


def _ids(rows):
    return [f.name for f in rows]


# Optional facets: f' from the output or from the input (at least one), LaTeX of a call
# that is not f\left(z\right) (\sqrt{z}, |z|).
OPTIONAL = {"code_prime_from_value", "grad_from_output", "grad_from_input", "latex_call"}
FLAGS = {"prime_is_step", "activation", "lipschitz", "is_step"}


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_every_facet_is_filled(f: ElementwiseFunction):
    for field in dataclasses.fields(f):
        value = getattr(f, field.name)
        if field.name in OPTIONAL or field.name in FLAGS:
            continue
        assert value is not None and value != "" and value != (), field.name
    assert f.grad_from_output is not None or f.grad_from_input is not None
    assert f.domain in GRIDS
    assert f.confused_with in FUNCTIONS and f.confused_with != f.name
    assert f.prime == f.name + "'" and DERIVATIVE_OF[f.name] == f.prime
    assert MAPS[f.name] == (f, False) and MAPS[f.prime] == (f, True)


def test_the_activations_are_the_notes_four():
    """The RNN's variants and the claims about σ: the rows marked activation, no others."""
    assert ACTIVATIONS == ("tanh", "sigmoid", "relu", "identity")
    assert get_activation("relu") is FUNCTIONS["relu"]
    with pytest.raises(UnknownNameError, match="unknown activation 'exp'"):
        get_activation("exp")
    assert get_function("exp") is FUNCTIONS["exp"]


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_value_is_sympys(f):
    z = grid(f)
    exact = [float(sp.N(f.scalar(sp.Float(v, 30)).rewrite(sp.exp), 20)) for v in z]
    np.testing.assert_allclose(f.apply(z.copy()), exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_derivative_is_central_differences_and_sympys(f):
    h = 1e-6
    z = grid(f)
    differences = (f.apply(z + h) - f.apply(z - h)) / (2 * h)
    np.testing.assert_allclose(f.derivative(z), differences, rtol=1e-8, atol=1e-9)
    if f.grad_from_output is not None:  # both ways agree where both are given
        np.testing.assert_allclose(f.grad_from_output(f.apply(z)), f.derivative(z), rtol=1e-14)
    if f.grad_from_input is not None:
        np.testing.assert_allclose(f.grad_from_input(z), f.derivative(z))
    symbolic = sp.diff(f.scalar(Z), Z)
    assert sp.simplify((symbolic - f.scalar_prime(Z)).rewrite(sp.exp)) == 0
    exact = [float(sp.N(f.scalar_prime(sp.Float(v, 30)).rewrite(sp.exp), 20)) for v in z]
    np.testing.assert_allclose(f.derivative(z), exact, rtol=1e-13, atol=1e-15)


def test_the_numerically_careful_forms_hold_far_out():
    """softplus neither overflows (log(1 + e^z) is inf beyond 709) nor loses e^z for
    z ≪ 0 (1 + e^z rounds to 1); its derivative from the output keeps σ(z) ≈ e^z; the
    log-sum-exp with its stabiliser is finite where e^a overflows."""
    softplus, sigmoid = FUNCTIONS["softplus"], FUNCTIONS["sigmoid"]
    z = np.array([-745.0, -700.0, -40.0, 40.0, 800.0, 1e300])
    # e^(−745) is subnormal: an underflow is the right answer there, anything else is not
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = softplus.apply(z.copy())
        slope = softplus.grad_from_output(value)
    with mpmath.workdps(40):
        exact = [float(mpmath.log1p(mpmath.exp(mpmath.mpf(v)))) for v in z]
    np.testing.assert_allclose(value, exact, rtol=1e-15)
    np.testing.assert_allclose(slope[1:], sigmoid.apply(z[1:].copy()), rtol=1e-13)
    lse = PAIRWISE["logaddexp"]
    a, b = np.array([1000.0, -1000.0]), np.array([999.0, -1001.0])
    with np.errstate(all="raise"):
        y = lse.apply(a, b)
        da, db = lse.partials(a, b, y)
    np.testing.assert_allclose(y - a, np.log1p(np.exp(-1.0)), rtol=1e-12)
    np.testing.assert_allclose(da + db, 1.0, rtol=1e-15)


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_numpy_code_computes_the_value(f):
    namespace = {"numpy": np, **CODE_NAMESPACE}
    z = grid(f)

    def run(code, arg):
        return eval(code.format("arg"), namespace, {"arg": arg})

    np.testing.assert_allclose(run(f.code, z), f.apply(z), rtol=1e-15)
    np.testing.assert_allclose(run(f.code_prime, z), f.derivative(z), rtol=1e-15)
    if f.code_prime_from_value is not None:
        np.testing.assert_allclose(run(f.code_prime_from_value, f.apply(z)), f.derivative(z))


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_the_round_off_model_holds(f):
    """Where the row says so, f, and f' unless it is a step, are 1-Lipschitz (the float64
    evaluator's error model); where it says not, they are not (the evaluator then uses
    |f'| and |f''|, the second derivative checked against differences and SymPy); a step
    jumps where the row says it does."""
    z = np.linspace(-6, 6, 4001) if f.domain == "real" else np.linspace(0.05, 6, 4001)
    slopes = [np.abs(np.diff(v)) / np.diff(z) for v in (f.apply(z.copy()), f.derivative(z))]
    if f.is_step:
        assert slopes[0].max() > 10, "a step jumps"
    if f.prime_is_step:
        assert slopes[1].max() > 10, "a step jumps"
    if not f.lipschitz:
        assert max(s.max() for s in slopes) > 1.5
        return
    assert slopes[0].max() <= 1 + 1e-9
    if not f.prime_is_step:
        assert slopes[1].max() <= 1 + 1e-9


@pytest.mark.parametrize("f", ROWS, ids=_ids(ROWS))
def test_the_second_derivative_is_central_differences_and_sympys(f):
    z, h = grid(f), 1e-5
    differences = (f.derivative(z + h) - f.derivative(z - h)) / (2 * h)
    np.testing.assert_allclose(f.second_derivative(z), differences, rtol=1e-6, atol=1e-8)
    exact = [
        float(sp.N(sp.diff(f.scalar_prime(Z), Z).subs(Z, sp.Float(v, 30)).rewrite(sp.exp), 20))
        for v in z
    ]
    np.testing.assert_allclose(f.second_derivative(z), exact, rtol=1e-13, atol=1e-15)


# Rows defined at 0 with a value of f' there: not log and sqrt (defined for z > 0), not
# the step (its derivative at the jump is a Dirac delta, no number).
AT_ZERO = [f for f in ROWS if f.domain == "real" and not f.is_step]


@pytest.mark.parametrize("f", AT_ZERO, ids=_ids(AT_ZERO))
def test_the_value_at_0_is_the_same_on_every_side(f):
    """f(0) and f'(0) in NumPy are SymPy's: ReLU'(0) = 0 in both (PyTorch's subgradient),
    and in the step the proofs for every size write (its Heaviside form has H(0) = 0);
    |·|'(0) = sign 0 = 0."""
    zero = np.zeros(1)
    assert f.apply(zero.copy())[0] == float(sp.N(f.scalar(sp.S.Zero).rewrite(sp.exp), 20))
    prime_at_0 = f.scalar_prime(sp.S.Zero)
    assert f.derivative(zero.copy())[0] == float(sp.N(prime_at_0.rewrite(sp.exp), 20))
    heaviside = f.scalar_prime(Z).rewrite(sp.Heaviside).subs(Z, 0)
    assert float(sp.N(heaviside.rewrite(sp.exp), 20)) == float(prime_at_0)


EXACT_ROWS = [f for f in ROWS if f.exact_zero_below]


@pytest.mark.parametrize("f", EXACT_ROWS, ids=_ids(EXACT_ROWS))
def test_a_row_exact_below_0_rounds_nothing(f):
    z = np.array([-1e300, -3.0, -5e-324, 0.0, 5e-324, 0.1, 1 / 3, 7e300])
    value = f.apply(z.copy())
    assert np.all(value[z < 0] == 0.0)
    for x, y in zip(z, value):  # the float64 value is the exact value of the float x
        assert sp.Rational(float(y)) == f.scalar(sp.Rational(float(x)))


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
    value = notes_latex(Apply(f.name, v))
    if f.latex_call is None:
        assert value.startswith(f.latex + r"\left(")
    else:
        assert value == f.latex_call.format(notes_latex(v))
    assert FUNCTION_TEXT[f.name] == f.text and notes_text(Apply(f.prime, v)) == f"{f.text}′(v)"
    assert SCALAR_MAPS[f.name] is f.scalar and SCALAR_MAPS[f.prime] is f.scalar_prime
    form = f.scalar(Z)
    if isinstance(form, sp.Function) and form.args == (Z,):
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
    with pytest.raises(UnknownNameError, match="max"):
        get_pairwise("maks")


def test_a_row_pickles_by_name():
    f = FUNCTIONS["sigmoid"]
    assert pickle.loads(pickle.dumps(f)) is f
    assert pickle.loads(pickle.dumps(PAIRWISE["max"])) is PAIRWISE["max"]


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


# -- functions of two vectors -------------------------------------------------------------

PAIR_GRIDS = {
    "real": np.array([-2.3, -0.7, 0.4, 1.1, 2.9]),
    "nonzero": np.array([-1.7, -0.6, 0.5, 1.2, 3.1]),
    "positive": np.array([0.15, 0.4, 0.8, 1.6, 2.5]),
}


def pair_grid(f: PairwiseFunction) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a, b) of the two grids, none a tie (max' jumps at a = b)."""
    a, b = np.meshgrid(PAIR_GRIDS[f.domain[0]], PAIR_GRIDS[f.domain[1]] + 0.05)
    return a.ravel(), b.ravel()


A, B = sp.symbols("a b", positive=True)


@pytest.mark.parametrize("f", PAIRS, ids=_ids(PAIRS))
def test_every_pairwise_facet_is_filled(f: PairwiseFunction):
    for field in ("apply", "partials", "scalar", "partial_forms", "latex", "text", "code"):
        assert getattr(f, field), field
    assert bool(f.spellings) != bool(f.operator), "a call or an operator"
    assert all(d in PAIR_GRIDS for d in f.domain)
    assert PAIRWISE_SCALARS[f.name] is f.scalar
    for s in f.spellings:
        assert PAIRWISE_SPELLINGS[s] == f.name


@pytest.mark.parametrize("f", PAIRS, ids=_ids(PAIRS))
def test_pairwise_value_is_sympys(f):
    a, b = pair_grid(f)
    exact = [float(sp.N(f.scalar(sp.Float(x, 30), sp.Float(y, 30)).rewrite(sp.exp), 20))
             for x, y in zip(a, b)]  # fmt: skip
    np.testing.assert_allclose(f.apply(a, b), exact, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("f", PAIRS, ids=_ids(PAIRS))
def test_pairwise_partials_are_central_differences_sympys_and_the_languages(f):
    """∂f/∂a and ∂f/∂b in NumPy against central differences; SymPy's derivative of the
    scalar form against the partials written as expressions of the language (the forms
    the matrix calculus puts into compact Jacobians), identically; and both at the grid."""
    a, b = pair_grid(f)
    y = f.apply(a, b)
    da, db = f.partials(a, b, y)
    h = 1e-6
    np.testing.assert_allclose(da, (f.apply(a + h, b) - f.apply(a - h, b)) / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(db, (f.apply(a, b + h) - f.apply(a, b - h)) / (2 * h), rtol=1e-7)
    va, vb = vector("a"), vector("b")
    forms = f.partial_forms(va, vb, matexpr)
    entry = {va[0, 0]: A, vb[0, 0]: B}
    for k, (form, var, numeric) in enumerate(zip(forms, (A, B), (da, db))):
        written = form[0, 0].xreplace(entry)
        derived = sp.diff(f.scalar(A, B), var)
        assert sp.simplify((written - derived).rewrite(sp.exp)) == 0, (f.name, k)
        if f.domain == ("real", "real") or f.domain[k] != "real":
            continue
        exact = [float(sp.N(written.subs({A: x, B: z}), 20)) for x, z in zip(a, b)]
        np.testing.assert_allclose(numeric, exact, rtol=1e-13)


def test_max_and_min_split_a_tie_evenly():
    """At a = b the step is ½: each argument gets half of the gradient, as PyTorch's
    torch.maximum and torch.minimum give it (the convention of SymPy's Heaviside too)."""
    a = np.array([0.3, 1.0])
    for name in ("max", "min"):
        f = PAIRWISE[name]
        np.testing.assert_array_equal(f.partials(a, a.copy(), f.apply(a, a)), np.full((2, 2), 0.5))
    assert sp.Heaviside(0) == sp.S.Half


def test_a_tie_splits_as_torch_splits_it():
    torch = pytest.importorskip("torch")
    for name, op in (("max", torch.maximum), ("min", torch.minimum)):
        a = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
        op(a, b).sum().backward()
        x = np.array([0.3])
        ours = PAIRWISE[name].partials(x, x.copy(), x)
        assert (a.grad.item(), b.grad.item()) == (ours[0][0], ours[1][0])


@pytest.mark.parametrize("f", PAIRS, ids=_ids(PAIRS))
def test_pairwise_code_and_printers_read_the_row(f):
    a, b = pair_grid(f)
    namespace = {"numpy": np, **CODE_NAMESPACE}
    code = f.code.format("a", "b")
    np.testing.assert_allclose(eval(code, namespace, {"a": a, "b": b}), f.apply(a, b))
    va, vb = vector("a"), vector("b")
    table = {"a": va, "b": vb}
    text = f"{f.spellings[0]}(a, b)" if f.spellings else f"a {f.operator} b"
    assert parse_expression(text, table, va.shape[0]) == Pairwise(f.name, va, vb)
    e = Pairwise(f.name, va, vb)
    assert notes_latex(e) == f.latex.format(notes_latex(va), notes_latex(vb))
    assert notes_text(e) == f.text.format("a", "b")


def test_the_pairwise_checks_reject_a_wrong_row():
    good = PAIRWISE["power"]
    wrong = dataclasses.replace(good, partials=lambda a, b, y: (b * y, y * np.log(a)))
    with pytest.raises(AssertionError):
        test_pairwise_partials_are_central_differences_sympys_and_the_languages(wrong)
    wrong_form = dataclasses.replace(
        good, partial_forms=lambda a, b, E: (Pairwise("power", a, b), Pairwise("power", a, b))
    )
    with pytest.raises(AssertionError):
        test_pairwise_partials_are_central_differences_sympys_and_the_languages(wrong_form)
