"""The SymPy side of the function table (:mod:`.elementwise`), indexed for the walks that
meet SymPy objects: the elementwise maps of compact forms by name, and each SymPy function
class (σ, tanh, ReLU, ReLU') with the table's row it belongs to."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from gradsym.lang.elementwise import FUNCTIONS, PAIRWISE

from . import functions as symbolic_functions


def _scalar_maps() -> dict[str, Callable[[sp.Expr], sp.Expr]]:
    maps = {}
    for f in FUNCTIONS.values():
        maps[f.name] = f.scalar
        maps[f.prime] = f.scalar_prime
    return maps


#: Every elementwise map that can appear in a compact form, by its name in ``Apply``: the
#: SymPy facet of the table :data:`gradsym.lang.elementwise.FUNCTIONS`.
SCALAR_MAPS: dict[str, Callable[[sp.Expr], sp.Expr]] = _scalar_maps()


#: Every function of two vectors by its name in ``Pairwise``: f(a, b) of SymPy scalars.
PAIRWISE_SCALARS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    f.name: f.scalar for f in PAIRWISE.values()
}


def _z() -> sp.Symbol:
    return sp.Symbol("z", real=True)


#: The SymPy function class of each function whose value or derivative is one (σ, tanh,
#: ReLU, ReLU'): class → (the table's row, whether it is the derivative).
FUNCTION_CLASSES: dict[type, tuple] = {}
for _f in FUNCTIONS.values():
    for _form, _is_prime in ((_f.scalar(_z()), False), (_f.scalar_prime(_z()), True)):
        if isinstance(_form, sp.Function) and _form.args == (_z(),):
            FUNCTION_CLASSES.setdefault(type(_form), (_f, _is_prime))


#: The classes above (the table's functions SymPy lacks) among them.
OWN_CLASSES: dict[type, tuple] = {
    cls: row
    for cls, row in FUNCTION_CLASSES.items()
    if cls.__module__ == symbolic_functions.__name__
}

#: For ``sympy.lambdify(…, modules=[LAMBDIFY_FUNCTIONS, "numpy"])``: the classes above by
#: name, evaluated with the table's NumPy values.
LAMBDIFY_FUNCTIONS: dict[str, Callable] = {
    cls.__name__: (f.derivative if is_prime else f.apply)
    for cls, (f, is_prime) in OWN_CLASSES.items()
} | {"logaddexp": PAIRWISE["logaddexp"].apply}


__all__ = [
    "FUNCTION_CLASSES",
    "LAMBDIFY_FUNCTIONS",
    "OWN_CLASSES",
    "PAIRWISE_SCALARS",
    "SCALAR_MAPS",
]
