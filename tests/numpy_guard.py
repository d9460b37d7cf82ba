"""A stand-in for NumPy that refuses float64: the check behind "no float64 array is made
on the float32 path" (tests/numeric/test_dtypes.py for the cells, the training step in
tests/numeric/train/test_float32.py).

Two checks: every NumPy function called through a guarded module's ``np`` has its
arguments and results checked (:class:`GuardedNumpy`), and the arrays it hands out are
:class:`Guarded`, checking every ufunc applied to them (operators included), so that a
float64 temporary is caught where it is made even when it is cast back before anything
is stored.
"""

from __future__ import annotations

import inspect
import sys
import types

import numpy as np


class Float64Seen(AssertionError):
    pass


def _check(value, where: str) -> None:
    dtype = getattr(value, "dtype", None)
    if isinstance(value, (np.ndarray, np.generic)) and dtype.kind in "fc" and dtype != np.float32:
        raise Float64Seen(f"{where} is {dtype} {type(value).__name__} {np.shape(value)}")


def _leaves(obj):
    if isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _leaves(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _leaves(item)
    else:
        yield obj


class Guarded(np.ndarray):
    """An array that checks the operands and results of every ufunc applied to it
    (operators, ``@``, methods such as ``.sum`` and ``.clip`` go through ufuncs)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        where = f"{ufunc.__name__}.{method}"
        for x in inputs:
            _check(x, f"an operand of {where}")
        plain = [x.view(np.ndarray) if isinstance(x, Guarded) else x for x in inputs]
        if out is not None:
            for o in out:
                _check(o, f"the output of {where}")
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Guarded) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        for r in _leaves(result):
            _check(r, f"the result of {where}")
        if out is not None:
            return out[0] if len(out) == 1 else out
        return guard_array(result)


def guard_array(obj):
    """``obj`` as Guarded (an array or a tuple of them), anything else unchanged."""
    if isinstance(obj, np.ndarray) and not isinstance(obj, Guarded):
        return obj.view(Guarded)
    if isinstance(obj, tuple):
        return tuple(guard_array(o) for o in obj)
    return obj


class GuardedNumpy(types.ModuleType):
    """Stands in for ``numpy`` inside guarded modules: checks every argument and result of
    every function called through it, and hands out :class:`Guarded` arrays."""

    def __init__(self):
        super().__init__("numpy")
        self.calls = 0

    def __getattr__(self, name):
        value = getattr(np, name)
        if isinstance(value, type) or not callable(value):
            return value  # dtypes, np.ndarray, submodules, constants
        guard = self

        def checked(*args, **kwargs):
            guard.calls += 1
            for a in _leaves((args, kwargs)):
                _check(a, f"an argument of np.{name}")
            result = value(*args, **kwargs)
            for r in _leaves(result):
                _check(r, f"the result of np.{name}")
            return guard_array(result)

        return checked


def module_of(obj) -> types.ModuleType:
    return sys.modules[obj.__module__]


#: Where gradsym's NumPy code lives: the numeric layer and the NumPy values of the one
#: table of elementwise functions (tanh, σ, … that the cells call).
NUMPY_MODULES = ("gradsym.numeric", "gradsym.lang.elementwise", "gradsym.lang.numpy_functions")


def modules_reached(*roots, skip: tuple[str, ...] = ()) -> list[types.ModuleType]:
    """The modules defining ``roots`` (classes or functions) and every NumPy module of
    gradsym (:data:`NUMPY_MODULES`: gradsym.numeric and the function table's NumPy values)
    whose functions or classes they name, transitively (found from the objects,
    so that a move of the files does not leave the guard watching nothing); modules whose
    name starts with one of ``skip`` are left out, and not followed."""
    found: dict[str, types.ModuleType] = {}
    todo = [module_of(r) for r in roots]
    while todo:
        mod = todo.pop()
        if mod.__name__ in found or mod.__name__.startswith(skip):
            continue
        found[mod.__name__] = mod
        for value in vars(mod).values():
            name = getattr(value, "__module__", None) or ""
            if (inspect.isfunction(value) or inspect.isclass(value)) and name.startswith(
                NUMPY_MODULES
            ):
                todo.append(sys.modules[name])
    return list(found.values())


def install(monkeypatch, modules) -> GuardedNumpy:
    """Put one :class:`GuardedNumpy` in place of ``np`` in every module of ``modules``
    that uses it (undone by ``monkeypatch``)."""
    numpy = GuardedNumpy()
    for mod in modules:
        if getattr(mod, "np", None) is np:
            monkeypatch.setattr(mod, "np", numpy)
    return numpy
