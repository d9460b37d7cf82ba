"""The elementwise functions: one table, one row per function, every fact about it.

A row (:class:`ElementwiseFunction`) holds what every part of gradsym needs to know about
one function f, side by side:

- NumPy: ``apply(z, out=None)`` the value, ``grad_from_output(a)`` the derivative f'(z)
  written from the output a = f(z) (tanh' = 1 − a², σ' = a(1 − a)), so that a backward
  pass reuses what its forward pass stored instead of recomputing z; where f' is not a
  function of the output (|z|' = sign z) or is more accurate from the input (log' = 1/z),
  ``grad_from_input(z)``;
- what it is: ``activation`` (one of the vanilla RNN's activations σ of the notes, the
  variants of the RNN cell), ``domain`` ("real", or "positive" for log and sqrt);
- SymPy: ``scalar(z)`` and ``scalar_prime(z)``, f and f' of a SymPy scalar, written with
  the functions of :mod:`.functions` (loaded on first use: this module, and so the NumPy
  cells that read it, never import SymPy);
- printing: ``latex`` (the notes' \\sigma, \\tanh, …; f' adds a prime) and ``text`` (σ,
  tanh, …, for the terminal; f' adds ′);
- the grammar of candidates and declared equations: ``spellings`` (sigma, sigmoid, …;
  each may be primed, sigma'(z)) and ``prime_spellings`` (sigma_prime, dsigma, …);
- NumPy code (:mod:`.numpy_code`): ``code``, ``code_prime`` and, where f' is a function
  of the output, ``code_prime_from_value``, with ``{0}`` where the argument goes;
- the standard mistake: ``confused_with``, the function a careless derivation writes in
  its place (σ for tanh, σ′ for tanh′); the mutation tests and the checker's diagnosis
  both read it;
- the round-off model of the float64 evaluation (:mod:`gradsym.notes.instances`): where
  ``lipschitz``, f and f' are 1-Lipschitz, except f' where ``prime_is_step`` (ReLU',
  |·|', whose value is unknown within round-off of 0); for exp, log, sqrt and the step
  (``is_step``: f itself jumps) the evaluator propagates an error δ of the argument as
  |f'(z)| δ and |f''(z)| δ (first order), with ``second_derivative(z)``, f'' in NumPy;
  ``exact_zero_below`` where f's float64 value rounds nothing and is exactly 0 for z < 0
  (ReLU: an argument known to be negative gives an exact 0). The value at 0 is the same
  on every side (ReLU'(0) = 0 in NumPy and in SymPy's ``relu_prime``, which the proofs
  for every size read from here).

A new function is one row; ``tests/lang/test_functions.py`` checks every row's facets
against each other (the NumPy value against SymPy's, the derivatives against central
differences and against SymPy's derivative, the code against the value, the Lipschitz
bounds on a grid, the values at 0, the exactness where a row claims it).

In compact forms the map f is ``Apply(name, v)`` and f' is ``Apply(name + "'", v)``.

Functions of two vectors (max, min, logaddexp, the division a/b and the power a^b, all
entrywise) are the second table, :data:`PAIRWISE`, one :class:`PairwiseFunction` row each:
its NumPy value and partial derivatives, its SymPy scalar form, its partial derivatives as
expressions of the language (∂max(a, b)/∂a = step(a − b), built from the rows above, so
that a compact Jacobian prints, evaluates and compiles through them), its LaTeX, text,
spellings and NumPy code. In compact forms f(a, b) is ``Pairwise(name, a, b)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import unknown_name

from .numpy_functions import (
    PAIRWISE_VALUES,
    VALUES,
    sigmoid,
    softplus_prime_from_value,
)

# -- SymPy, loaded on first use -----------------------------------------------------------


def _sympy():
    import sympy

    return sympy


def _own():
    from gradsym.lang import functions

    return functions


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ElementwiseFunction:
    """One elementwise function f and every fact about it (see the module's docstring)."""

    name: str
    apply: Callable[..., np.ndarray]
    grad_from_output: Callable[[np.ndarray], np.ndarray] | None
    scalar: Callable
    scalar_prime: Callable
    latex: str
    text: str
    spellings: tuple[str, ...]
    prime_spellings: tuple[str, ...]
    code: str
    code_prime: str
    code_prime_from_value: str | None
    confused_with: str
    prime_is_step: bool = False
    grad_from_input: Callable[[np.ndarray], np.ndarray] | None = None
    activation: bool = False
    domain: str = "real"
    lipschitz: bool = True
    latex_call: str | None = None
    second_derivative: Callable[[np.ndarray], np.ndarray] | None = None
    is_step: bool = False
    exact_zero_below: bool = False

    @property
    def prime(self) -> str:
        """The name of f' as an elementwise map in compact forms ("tanh'")."""
        return self.name + "'"

    @property
    def latex_prime(self) -> str:
        return self.latex + "'"

    @property
    def text_prime(self) -> str:
        return self.text + "′"

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """f'(z) in NumPy (ReLU'(0) = 0, PyTorch's subgradient; |·|'(0) = sign 0 = 0)."""
        if self.grad_from_input is not None:
            return self.grad_from_input(z)
        return self.grad_from_output(self.apply(z))

    def __reduce__(self):  # by name: a copied or pickled cell finds the same functions
        return (get_function, (self.name,))


FUNCTIONS: dict[str, ElementwiseFunction] = {
    f.name: f
    for f in (
        ElementwiseFunction(
            name="tanh",
            apply=VALUES["tanh"],
            grad_from_output=lambda a: 1.0 - a * a,
            second_derivative=lambda z: -2.0 * np.tanh(z) * (1.0 - np.tanh(z) ** 2),
            scalar=lambda z: _sympy().tanh(z),
            scalar_prime=lambda z: 1 - _sympy().tanh(z) ** 2,
            latex=r"\tanh",
            text="tanh",
            spellings=("tanh",),
            prime_spellings=("tanh_prime", "dtanh"),
            code="(numpy.tanh({0}))",
            code_prime="(1 - numpy.tanh({0})**2)",
            code_prime_from_value="(1 - {0}**2)",
            confused_with="sigmoid",
            activation=True,
        ),
        ElementwiseFunction(
            name="sigmoid",
            apply=VALUES["sigmoid"],
            grad_from_output=lambda a: a * (1.0 - a),
            second_derivative=lambda z: sigmoid(z) * (1.0 - sigmoid(z)) * (1.0 - 2.0 * sigmoid(z)),
            scalar=lambda z: _own().sigmoid(z),
            scalar_prime=lambda z: _own().sigmoid(z) * (1 - _own().sigmoid(z)),
            latex=r"\sigma",
            text="σ",
            spellings=("sigma", "sigmoid"),
            prime_spellings=("sigma_prime", "sigmoid_prime", "dsigma"),
            code="(_sigmoid({0}))",
            code_prime="((1 - _sigmoid({0}))*_sigmoid({0}))",
            code_prime_from_value="({0}*(1 - {0}))",
            confused_with="tanh",
            activation=True,
        ),
        ElementwiseFunction(
            name="relu",
            apply=VALUES["relu"],
            # ReLU'(0) is taken as 0, the subgradient PyTorch uses; a = 0 exactly iff z <= 0.
            grad_from_output=lambda a: (a > 0).astype(a.dtype),
            second_derivative=np.zeros_like,
            scalar=lambda z: _own().relu(z),
            scalar_prime=lambda z: _own().relu_prime(z),
            latex=r"\operatorname{ReLU}",
            text="ReLU",
            spellings=("relu", "ReLU"),
            prime_spellings=("relu_prime", "ReLU_prime"),
            code="(numpy.maximum({0}, 0.0))",
            code_prime="(numpy.greater({0}, 0.0).astype(float))",
            code_prime_from_value=None,
            confused_with="identity",
            prime_is_step=True,
            activation=True,
            exact_zero_below=True,
        ),
        ElementwiseFunction(
            name="identity",
            apply=VALUES["identity"],
            grad_from_output=lambda a: np.ones_like(a),
            second_derivative=np.zeros_like,
            scalar=lambda z: z,
            scalar_prime=lambda z: _sympy().S.One,
            latex=r"\operatorname{id}",
            text="id",
            spellings=("identity",),
            prime_spellings=("identity_prime",),
            code="({0})",
            code_prime="numpy.full_like({0}, 1.0)",
            code_prime_from_value=None,
            confused_with="relu",
            activation=True,
        ),
        ElementwiseFunction(
            name="exp",
            apply=VALUES["exp"],
            grad_from_output=lambda a: a,
            second_derivative=np.exp,
            scalar=lambda z: _sympy().exp(z),
            scalar_prime=lambda z: _sympy().exp(z),
            latex=r"\exp",
            text="exp",
            spellings=("exp",),
            prime_spellings=("exp_prime",),
            code="(numpy.exp({0}))",
            code_prime="(numpy.exp({0}))",
            code_prime_from_value="({0})",
            # exponential gating (xLSTM) written where the LSTM's sigmoid gate belongs
            confused_with="sigmoid",
            lipschitz=False,
        ),
        ElementwiseFunction(
            name="log",
            apply=VALUES["log"],
            # 1/z from the input: e^(−log z) from the output loses |log z| units of 2⁻⁵³
            grad_from_output=None,
            grad_from_input=lambda z: 1.0 / z,
            second_derivative=lambda z: -1.0 / (z * z),
            scalar=lambda z: _sympy().log(z),
            scalar_prime=lambda z: 1 / z,
            latex=r"\log",
            text="log",
            spellings=("log",),
            prime_spellings=("log_prime",),
            code="(numpy.log({0}))",
            code_prime="(1.0 / {0})",
            code_prime_from_value=None,
            confused_with="exp",  # the inverse written for the function
            domain="positive",
            lipschitz=False,
        ),
        ElementwiseFunction(
            name="softplus",
            apply=VALUES["softplus"],
            grad_from_output=softplus_prime_from_value,
            second_derivative=lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
            scalar=lambda z: _own().softplus(z),
            scalar_prime=lambda z: _own().sigmoid(z),
            latex=r"\operatorname{softplus}",
            text="softplus",
            spellings=("softplus",),
            prime_spellings=("softplus_prime",),
            code="(numpy.logaddexp(0.0, {0}))",
            code_prime="(_sigmoid({0}))",
            code_prime_from_value="(-numpy.expm1(-{0}))",
            confused_with="relu",  # its limit for large |z|
        ),
        ElementwiseFunction(
            name="sqrt",
            apply=VALUES["sqrt"],
            grad_from_output=lambda a: 0.5 / a,
            second_derivative=lambda z: -0.25 / (z * np.sqrt(z)),
            scalar=lambda z: _sympy().sqrt(z),
            scalar_prime=lambda z: 1 / (2 * _sympy().sqrt(z)),
            latex=r"\sqrt{\cdot}",
            latex_call=r"\sqrt{{{0}}}",
            text="sqrt",
            spellings=("sqrt",),
            prime_spellings=("sqrt_prime",),
            code="(numpy.sqrt({0}))",
            code_prime="(0.5 / numpy.sqrt({0}))",
            code_prime_from_value="(0.5 / {0})",
            confused_with="identity",  # the root forgotten
            domain="positive",
            lipschitz=False,
        ),
        ElementwiseFunction(
            name="abs",
            apply=VALUES["abs"],
            grad_from_output=None,  # the sign is lost in |z|
            grad_from_input=np.sign,
            second_derivative=np.zeros_like,
            scalar=lambda z: _sympy().Abs(z),
            scalar_prime=lambda z: _sympy().sign(z),
            latex=r"\lvert\cdot\rvert",
            latex_call=r"\left|{0}\right|",
            text="abs",
            spellings=("abs",),
            prime_spellings=("abs_prime",),
            code="(numpy.abs({0}))",
            code_prime="(numpy.sign({0}))",
            code_prime_from_value=None,
            confused_with="relu",  # max(z, 0) written for |z|
            prime_is_step=True,
        ),
        ElementwiseFunction(
            name="step",
            apply=VALUES["step"],
            # 0 away from the jump (SymPy's DiracDelta there is 0 too)
            grad_from_output=np.zeros_like,
            second_derivative=np.zeros_like,
            is_step=True,
            scalar=lambda z: _sympy().Heaviside(z),
            scalar_prime=lambda z: _sympy().DiracDelta(z),
            latex=r"\operatorname{step}",
            text="step",
            spellings=("step", "heaviside"),
            prime_spellings=("step_prime",),
            code="(numpy.heaviside({0}, 0.5))",
            code_prime="numpy.zeros_like({0})",
            code_prime_from_value="numpy.zeros_like({0})",
            confused_with="sigmoid",  # the hard step for the smooth one
            lipschitz=False,
        ),
    )
}

#: The vanilla RNN's activations (the notes' σ ∈ {tanh, sigmoid, ReLU, identity}): the
#: variants of the RNN cell and of the claims about it.
ACTIVATIONS: tuple[str, ...] = tuple(f.name for f in FUNCTIONS.values() if f.activation)

#: What NumPy code (``code``, ``code_prime``, …) calls besides ``numpy``.
CODE_NAMESPACE: dict[str, Callable] = {"_sigmoid": sigmoid}

#: Every elementwise map of compact forms by its name in ``Apply`` (f and f'), with
#: ``(function, is_prime)``.
MAPS: dict[str, tuple[ElementwiseFunction, bool]] = {}
for _f in FUNCTIONS.values():
    MAPS[_f.name] = (_f, False)
    MAPS[_f.prime] = (_f, True)

#: f -> f' by name, for the rule d f(z) = diag(f'(z)) dz.
DERIVATIVE_OF: dict[str, str] = {f.name: f.prime for f in FUNCTIONS.values()}


def get_function(name: str) -> ElementwiseFunction:
    """The function called ``name`` (tanh, sigmoid, …, exp, log, softplus, …), or
    UnknownNameError."""
    try:
        return FUNCTIONS[name]
    except (KeyError, TypeError):
        raise unknown_name("function", name, FUNCTIONS) from None


def get_activation(name: str) -> ElementwiseFunction:
    """The activation called ``name`` (tanh, sigmoid, relu, identity), or UnknownNameError."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise unknown_name("activation", name, ACTIVATIONS)
    return FUNCTIONS[name]


def numpy_map(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy elementwise map called ``name`` in ``Apply`` ("tanh" or "tanh'"); f' is
    written from the output f(z), as the cells' backward passes compute it."""
    if name not in MAPS:
        raise unknown_name("elementwise map", name, MAPS)
    f, is_prime = MAPS[name]
    return f.derivative if is_prime else f.apply


# -- functions of two vectors ----------------------------------------------------------------


@dataclass(frozen=True)
class PairwiseFunction:
    """One entrywise function f(a, b) of two vectors of one shape and every fact about it
    (see the module's docstring).

    ``apply(a, b)`` and ``partials(a, b, y)`` → (∂f/∂a, ∂f/∂b) in NumPy (y = f(a, b));
    ``scalar(a, b)`` the SymPy value; ``partial_forms(a, b, E)`` the partial derivatives as
    matrix expressions of the language, built with the constructors of ``E`` (the caller
    hands in :mod:`gradsym.lang.matexpr`, which this module, below it, does not import);
    ``latex`` and ``text`` templates with {0}, {1} for
    the printed arguments (``latex_wrap`` and ``text_wrap`` say which arguments take
    parentheses when they are sums, products or carry a superscript); ``spellings`` of the
    call max(a, b), or ``operator`` ("/", "**"); ``code`` NumPy source with {0}, {1}.
    """

    name: str
    apply: Callable[[np.ndarray, np.ndarray], np.ndarray]
    partials: Callable[..., tuple[np.ndarray, np.ndarray]]
    scalar: Callable
    partial_forms: Callable
    latex: str
    text: str
    code: str
    spellings: tuple[str, ...] = ()
    operator: str | None = None
    latex_wrap: tuple[bool, bool] = (False, False)
    text_wrap: tuple[bool, bool] = (False, False)
    domain: tuple[str, str] = ("real", "real")

    def __reduce__(self):
        return (get_pairwise, (self.name,))


PAIRWISE: dict[str, PairwiseFunction] = {
    f.name: f
    for f in (
        PairwiseFunction(
            name="max",
            apply=PAIRWISE_VALUES["max"][0],
            partials=PAIRWISE_VALUES["max"][1],
            scalar=lambda a, b: _sympy().Max(a, b),
            # SymPy's: ∂max(a, b)/∂a = H(a − b), H(0) = ½ (a tie splits evenly)
            partial_forms=lambda a, b, E: (
                E.Apply("step", E.difference(a, b)),
                E.Apply("step", E.difference(b, a)),
            ),
            latex=r"\max\left({0}, {1}\right)",
            text="max({0}, {1})",
            code="numpy.maximum({0}, {1})",
            spellings=("max", "maximum"),
        ),
        PairwiseFunction(
            name="min",
            apply=PAIRWISE_VALUES["min"][0],
            partials=PAIRWISE_VALUES["min"][1],
            scalar=lambda a, b: _sympy().Min(a, b),
            partial_forms=lambda a, b, E: (
                E.Apply("step", E.difference(b, a)),
                E.Apply("step", E.difference(a, b)),
            ),
            latex=r"\min\left({0}, {1}\right)",
            text="min({0}, {1})",
            code="numpy.minimum({0}, {1})",
            spellings=("min", "minimum"),
        ),
        PairwiseFunction(
            name="logaddexp",
            apply=PAIRWISE_VALUES["logaddexp"][0],
            partials=PAIRWISE_VALUES["logaddexp"][1],
            scalar=lambda a, b: _own().logaddexp(a, b),
            partial_forms=lambda a, b, E: (
                E.Apply("sigmoid", E.difference(a, b)),
                E.Apply("sigmoid", E.difference(b, a)),
            ),
            latex=r"\log\left(e^{{{0}}} + e^{{{1}}}\right)",
            text="logaddexp({0}, {1})",
            # log-sum-exp with its stabiliser: max(a, b) + log1p(e^(−|a − b|))
            code="numpy.logaddexp({0}, {1})",
            spellings=("logaddexp",),
        ),
        PairwiseFunction(
            name="divide",
            apply=PAIRWISE_VALUES["divide"][0],
            partials=PAIRWISE_VALUES["divide"][1],
            scalar=lambda a, b: a / b,
            partial_forms=lambda a, b, E: (
                E.Pairwise("divide", E.ones_like(b), b),
                E.negated(E.Pairwise("divide", a, E.hadamard_square(b))),
            ),
            latex=r"\frac{{{0}}}{{{1}}}",
            text="{0} / {1}",
            code="({0} / {1})",
            operator="/",
            text_wrap=(True, True),
            domain=("real", "nonzero"),
        ),
        PairwiseFunction(
            name="power",
            apply=PAIRWISE_VALUES["power"][0],
            partials=PAIRWISE_VALUES["power"][1],
            scalar=lambda a, b: a**b,
            # SymPy's forms: ∂a^b/∂a = b a^b / a, ∂a^b/∂b = a^b log a
            partial_forms=lambda a, b, E: (
                E.Pairwise("divide", E.hadamard_of(b, E.Pairwise("power", a, b)), a),
                E.hadamard_of(E.Pairwise("power", a, b), E.Apply("log", a)),
            ),
            latex="{0}^{{{1}}}",
            text="{0}^{1}",
            code="numpy.power({0}, {1})",
            operator="**",
            latex_wrap=(True, False),
            text_wrap=(True, True),
            domain=("positive", "real"),
        ),
    )
}


def get_pairwise(name: str) -> PairwiseFunction:
    """The function of two vectors called ``name`` (max, min, logaddexp, divide, power)."""
    try:
        return PAIRWISE[name]
    except (KeyError, TypeError):
        raise unknown_name("function of two vectors", name, PAIRWISE) from None


def confusion(name: str) -> str:
    """The map a careless derivation writes for ``name`` in ``Apply``: σ for tanh, σ′ for
    tanh′ (the same order of derivative of the function it is confused with)."""
    f, is_prime = MAPS[name]
    other = FUNCTIONS[f.confused_with]
    return other.prime if is_prime else other.name


__all__ = [
    "ACTIVATIONS",
    "CODE_NAMESPACE",
    "DERIVATIVE_OF",
    "FUNCTIONS",
    "MAPS",
    "PAIRWISE",
    "ElementwiseFunction",
    "PairwiseFunction",
    "confusion",
    "get_activation",
    "get_function",
    "get_pairwise",
    "numpy_map",
]
