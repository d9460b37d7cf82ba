"""The elementwise functions: one table, one row per function, every fact about it.

A row (:class:`ElementwiseFunction`) holds what every part of gradsym needs to know about
one function f, side by side:

- NumPy: ``apply(z, out=None)`` the value, ``grad_from_output(a)`` the derivative f'(z)
  written from the output a = f(z) (tanh' = 1 − a², σ' = a(1 − a)), so that a backward
  pass reuses what its forward pass stored instead of recomputing z;
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
- the round-off model of the float64 evaluation (:mod:`gradsym.notes.instances`): f and f'
  are 1-Lipschitz, except f' where ``prime_is_step`` (ReLU', whose value is unknown
  within round-off of 0).

A new function is one row; ``tests/lang/test_functions.py`` checks every row's facets
against each other (the NumPy value against SymPy's, the derivatives against central
differences and against SymPy's derivative, the code against the value, the Lipschitz
bounds on a grid).

In compact forms the map f is ``Apply(name, v)`` and f' is ``Apply(name + "'", v)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradsym.errors import unknown_name

from .numpy_functions import VALUES, sigmoid

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
    grad_from_output: Callable[[np.ndarray], np.ndarray]
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
        """f'(z) in NumPy (ReLU'(0) = 0, PyTorch's subgradient)."""
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
        ),
        ElementwiseFunction(
            name="sigmoid",
            apply=VALUES["sigmoid"],
            grad_from_output=lambda a: a * (1.0 - a),
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
        ),
        ElementwiseFunction(
            name="relu",
            apply=VALUES["relu"],
            # ReLU'(0) is taken as 0, the subgradient PyTorch uses; a = 0 exactly iff z <= 0.
            grad_from_output=lambda a: (a > 0).astype(a.dtype),
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
        ),
        ElementwiseFunction(
            name="identity",
            apply=VALUES["identity"],
            grad_from_output=lambda a: np.ones_like(a),
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
        ),
    )
}

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
    """The function called ``name`` (tanh, sigmoid, relu, identity), or UnknownNameError."""
    try:
        return FUNCTIONS[name]
    except (KeyError, TypeError):
        raise unknown_name("activation", name, FUNCTIONS) from None


def numpy_map(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy elementwise map called ``name`` in ``Apply`` ("tanh" or "tanh'"); f' is
    written from the output f(z), as the cells' backward passes compute it."""
    if name not in MAPS:
        raise unknown_name("elementwise map", name, MAPS)
    f, is_prime = MAPS[name]
    return f.derivative if is_prime else f.apply


def confusion(name: str) -> str:
    """The map a careless derivation writes for ``name`` in ``Apply``: σ for tanh, σ′ for
    tanh′ (the same order of derivative of the function it is confused with)."""
    f, is_prime = MAPS[name]
    other = FUNCTIONS[f.confused_with]
    return other.prime if is_prime else other.name


__all__ = [
    "CODE_NAMESPACE",
    "DERIVATIVE_OF",
    "FUNCTIONS",
    "MAPS",
    "ElementwiseFunction",
    "confusion",
    "get_function",
    "numpy_map",
]
