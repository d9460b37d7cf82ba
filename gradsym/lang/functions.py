"""Scalar activation functions and their derivatives, as SymPy objects.

The sigmoid is a custom ``Function`` whose derivative is written as σ(1 − σ): SymPy then
differentiates the explicit (entry-wise) equations fast and in exactly the form the compact
Jacobian uses (differentiating the plain 1/(1 + e^{-z}) is 5–10× slower and needs
``simplify`` to reach that form).
ReLU's derivative is a named function ``relu_prime``, the Heaviside step with ReLU'(0) = 0
— the subgradient the NumPy cells and PyTorch use, and the value every side of gradsym
gives it (``sp.Heaviside(z, 0)`` when written out), so that ReLU'(ReLU(z)) = ReLU'(z)
holds at 0 too.

``ACTIVATIONS`` is the one table of activation names: each entry knows the scalar function,
its derivative and the name of the elementwise map in compact forms (``Apply``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..errors import unknown_name


class sigmoid(sp.Function):
    """σ(z) = 1 / (1 + e^{-z}), kept opaque; σ'(z) = σ(z)(1 − σ(z))."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))


class relu_prime(sp.Function):
    """ReLU'(z): 1 for z > 0, 0 for z ≤ 0 (ReLU'(0) = 0 by convention)."""

    @classmethod
    def eval(cls, arg):
        if arg.is_positive:
            return sp.S.One
        if arg.is_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    def _eval_rewrite_as_Heaviside(self, arg, **kwargs):
        return sp.Heaviside(arg, 0)


class relu(sp.Function):
    """ReLU(z) = max(z, 0); its derivative is the opaque ``relu_prime``."""

    @classmethod
    def eval(cls, arg):
        if arg.is_nonnegative:
            return arg
        if arg.is_negative:
            return sp.S.Zero
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return relu_prime(self.args[0])

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return sp.Max(arg, 0)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation: its scalar form f, its derivative f', and names.

    ``name`` is the user-facing name ("tanh"); ``prime`` is the name of f' as an
    elementwise map in compact forms ("tanh'"). ``scalar`` and ``scalar_prime`` map a
    SymPy scalar to f(z) and f'(z) written with the functions above.
    """

    name: str
    prime: str
    scalar: Callable[[sp.Expr], sp.Expr]
    scalar_prime: Callable[[sp.Expr], sp.Expr]


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", "tanh'", sp.tanh, lambda z: 1 - sp.tanh(z) ** 2),
    "sigmoid": Activation("sigmoid", "sigmoid'", sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "relu": Activation("relu", "relu'", relu, relu_prime),
    "identity": Activation("identity", "identity'", lambda z: z, lambda z: sp.S.One),
}

# Every elementwise map that can appear in a compact form, by its name in ``Apply``.
SCALAR_MAPS: dict[str, Callable[[sp.Expr], sp.Expr]] = {}
for _act in ACTIVATIONS.values():
    SCALAR_MAPS[_act.name] = _act.scalar
    SCALAR_MAPS[_act.prime] = _act.scalar_prime

# f -> f' by name, for the rule d f(z) = diag(f'(z)) dz.
DERIVATIVE_OF: dict[str, str] = {a.name: a.prime for a in ACTIVATIONS.values()}


def activation(name: str) -> Activation:
    """Look up an activation by name, raising UnknownNameError for an unknown one."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise unknown_name("activation", name, ACTIVATIONS) from None
