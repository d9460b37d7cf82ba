"""The elementwise functions: one table, one row per function, every fact about it.

A row (:class:`ElementwiseFunction`) holds what every part of gradsym needs to know about
one function f, side by side:

- NumPy: ``apply(z, out=None)`` the value, ``grad_from_output(a)`` the derivative f'(z)
  written from the output a = f(z) (tanh' = 1 − a², σ' = a(1 − a)), so that a backward
  pass reuses what its forward pass stored instead of recomputing z;
- SymPy: ``scalar(z)`` and ``scalar_prime(z)``, f and f' of a SymPy scalar, written with
  the functions of :mod:`.symbolic_functions` (loaded on first use: this module, and so
  the NumPy cells that read it, never import SymPy);
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

# -- NumPy values --------------------------------------------------------------------------


def _exp_bound(dtype: np.dtype) -> float:
    """L with e^(±L) finite and normal in ``dtype``: 708 in float64, 87 in float32."""
    fi = np.finfo(dtype)
    return float(np.floor(min(-np.log(fi.tiny), np.log(fi.max))))


_EXP_BOUND = {np.dtype(t): _exp_bound(np.dtype(t)) for t in (np.float64, np.float32)}


def _sigmoid_constants(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """−L, L and 1 as 0-d arrays of ``dtype``: a typed operand skips the conversion of a
    Python scalar on every call (a third of a small step's cost), and values typed as the
    array keep float32 arithmetic in float32."""
    bound = _EXP_BOUND.get(dtype) or _exp_bound(dtype)
    return np.array(-bound, dtype), np.array(bound, dtype), np.array(1, dtype)


_SIGMOID_CONSTANTS = {dt: _sigmoid_constants(dt) for dt in _EXP_BOUND}


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), with z first clipped to ±L (L = 708 in float64, 87 in
    float32): no overflow or underflow, and beyond ±L the true σ is within the smallest
    normal number of 0, or rounds to 1.

    This form keeps full relative accuracy for z ≪ 0 (where (1 + tanh(z/2)) / 2 cancels)
    and NumPy's exp is about twice as fast as its tanh — it is the gated cells' hot loop.
    """
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if out is None:
        out = np.empty_like(z)
    np.negative(z, out=out)
    return sigmoid_of_negated(out)


def sigmoid_of_negated(minus_z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) given ``minus_z`` = −z (float64 or float32), which it overwrites: the form of
    :func:`sigmoid`, 1 / (1 + e^(clip(−z, ±L))), in four passes, the last one into ``out``
    (default ``minus_z`` itself).

    The gated cells keep their sigmoid gates' pre-activations negated (their weights are
    negated when the products are formed, which is exact), so that e^(−z) needs no
    separate negation pass: the result is bit for bit :func:`sigmoid`'s.
    """
    lo, hi, one = _SIGMOID_CONSTANTS.get(minus_z.dtype) or _sigmoid_constants(minus_z.dtype)
    minus_z.clip(lo, hi, out=minus_z)
    np.exp(minus_z, out=minus_z)
    np.add(minus_z, one, out=minus_z)
    return np.divide(one, minus_z, out=minus_z if out is None else out)


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _relu(z, out=None):
    return np.maximum(z, 0.0, out=out)


def _identity(z, out=None):
    if out is None:
        return z.copy()
    out[...] = z
    return out


# -- SymPy, loaded on first use -----------------------------------------------------------


def _sympy():
    import sympy

    return sympy


def _own():
    from gradsym.lang import symbolic_functions

    return symbolic_functions


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
            apply=_tanh,
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
            apply=sigmoid,
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
            apply=_relu,
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
            apply=_identity,
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
    "sigmoid",
    "sigmoid_of_negated",
]
