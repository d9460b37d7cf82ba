"""The SymPy functions of the table :mod:`gradsym.lang.elementwise` that SymPy lacks.

The sigmoid is a custom ``Function`` whose derivative is written as σ(1 − σ): SymPy then
differentiates the explicit (entry-wise) equations fast and in exactly the form the compact
Jacobian uses (differentiating the plain 1/(1 + e^{-z}) is 5–10× slower and needs
``simplify`` to reach that form).
The softplus, log(1 + e^z), is a custom ``Function`` too, its derivative σ; so is
logaddexp(a, b) = log(e^a + e^b), its partial derivatives σ(a − b) and σ(b − a).
ReLU's derivative is a named function ``relu_prime``, the Heaviside step with ReLU'(0) = 0
— the subgradient the NumPy cells and PyTorch use, and the value every side of gradsym
gives it (``sp.Heaviside(z, 0)`` when written out), so that ReLU'(ReLU(z)) = ReLU'(z)
holds at 0 too.

The table itself (names, NumPy values, printing, the grammar) is
:data:`gradsym.lang.elementwise.FUNCTIONS`; each of its rows gives f and f' of a SymPy scalar
with the functions here, and :mod:`.symbolic_table` indexes them. This module imports
nothing of gradsym.
"""

from __future__ import annotations

import sympy as sp


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


class softplus(sp.Function):
    """softplus(z) = log(1 + e^z), kept opaque; softplus'(z) = σ(z) (the table's σ, so that
    the explicit and the compact Jacobians meet in the same symbol)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))

    def _eval_rewrite_as_log(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))


class logaddexp(sp.Function):
    """logaddexp(a, b) = log(e^a + e^b), kept opaque; ∂/∂a = σ(a − b), ∂/∂b = σ(b − a)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = self.args
        return sigmoid(a - b) if argindex == 1 else sigmoid(b - a)

    def _eval_rewrite_as_exp(self, a, b, **kwargs):
        return sp.log(sp.exp(a) + sp.exp(b))


__all__ = ["logaddexp", "relu", "relu_prime", "sigmoid", "softplus"]
