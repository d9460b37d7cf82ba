"""Random instances and the bridge between the two layers.

A symbolic cell (``gradsym.symbolic.cell``) and a NumPy cell (``gradsym.numeric``) name
their parameters alike (W_h, W_x, b; W_f, U_f, b_f, …; W_u, …; W_r, W_z, W_n, b_hn), so one
random instance — parameters, input x and previous state — can be evaluated on both
sides: by :func:`evaluate` (a small NumPy interpreter of the notes' matrix expressions,
intermediates computed from the cell's equations), by the library's lambdified Jacobian,
and by the NumPy cell's own ``state_jacobian``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)

from gradsym.numeric.cells.activations import sigmoid
from gradsym.numeric.cells.factory import make_cell
from gradsym.symbolic.matexpr import Apply, Diag
from gradsym.symbolic.notation import d as d_sym
from gradsym.symbolic.notation import n as n_sym

_MAPS = {
    "sigmoid": sigmoid,
    "sigmoid'": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
    "tanh": np.tanh,
    "tanh'": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: np.maximum(z, 0.0),
    "relu'": lambda z: (z > 0).astype(float),
    "identity": lambda z: z,
    "identity'": np.ones_like,
}


def sizes(n: int, d: int) -> dict:
    return {n_sym: n, d_sym: d}


def _dim(e, n: int, d: int) -> int:
    return int(sp.sympify(e).subs(sizes(n, d)))


def random_instance(
    cell, n: int, d: int, rng: np.random.Generator, scale: float = 1.0, state_scale: float = 1.0
) -> dict[str, Any]:
    """Parameters (biases as (k,) arrays), input x (d,) and every state leaf (n,).

    Weights are N(0, (scale/√n)²)-ish, so pre-activations are O(1): far enough from 0 that
    σ' varies across units, near enough that tanh does not saturate.
    """
    params = {}
    for p in cell.params:
        rows, cols = _dim(p.shape[0], n, d), _dim(p.shape[1], n, d)
        if p.shape[1] == 1:
            params[p.name] = rng.normal(0.0, 0.5 * scale, rows)
        else:
            params[p.name] = rng.normal(0.0, scale / np.sqrt(cols), (rows, cols))
    leaves = {s.name: rng.normal(0.0, state_scale, _dim(s.shape[0], n, d)) for s in cell.leaves}
    return {"params": params, "leaves": leaves, "n": n, "d": d}


def environment(cell, inst: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every named vector and parameter of the cell as NumPy arrays (vectors as (k, 1))."""
    env: dict[str, np.ndarray] = {}
    for name, v in inst["params"].items():
        v = np.asarray(v, dtype=float)
        env[name] = v.reshape(-1, 1) if v.ndim == 1 else v
    for name, v in inst["leaves"].items():
        env[name] = np.asarray(v, dtype=float).reshape(-1, 1)
    n, d = inst["n"], inst["d"]
    for sym, e in cell.definitions:
        # An intermediate given among the leaves is held fixed (the variable of a Jacobian
        # taken with respect to it), as the symbolic side cuts it.
        if sym.name not in env:
            env[sym.name] = evaluate(e, env, n, d)
    return env


def evaluate(e, env: dict[str, np.ndarray], n: int, d: int) -> np.ndarray:
    """The value of a matrix expression in the cell's names (env from :func:`environment`)."""
    if isinstance(e, MatrixSymbol):
        if e.name not in env:
            raise KeyError(e.name)
        return env[e.name]
    if isinstance(e, MatAdd):
        out = evaluate(e.args[0], env, n, d)
        for t in e.args[1:]:
            out = out + evaluate(t, env, n, d)
        return out
    if isinstance(e, MatMul):
        coef = float(sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)]))
        mats = [evaluate(a, env, n, d) for a in e.args if getattr(a, "is_Matrix", False)]
        out = mats[0]
        for m in mats[1:]:
            out = out @ m
        return coef * out
    if isinstance(e, HadamardProduct):
        out = evaluate(e.args[0], env, n, d)
        for t in e.args[1:]:
            out = out * evaluate(t, env, n, d)
        return out
    if isinstance(e, Apply):
        return _MAPS[e.name](evaluate(e.vector, env, n, d))
    if isinstance(e, Diag):
        return np.diag(evaluate(e.vector, env, n, d).reshape(-1))
    if isinstance(e, Identity):
        return np.eye(_dim(e.shape[0], n, d))
    if isinstance(e, ZeroMatrix):
        return np.zeros((_dim(e.shape[0], n, d), _dim(e.shape[1], n, d)))
    if isinstance(e, OneMatrix):
        return np.ones((_dim(e.shape[0], n, d), _dim(e.shape[1], n, d)))
    if isinstance(e, Transpose):
        return evaluate(e.arg, env, n, d).T
    if isinstance(e, BlockMatrix):
        return np.block([[evaluate(b, env, n, d) for b in row] for row in e.blocks.tolist()])
    if isinstance(e, sp.MatrixBase):
        return np.array(e.tolist(), dtype=float)
    raise TypeError(f"cannot evaluate {type(e).__name__}: {e}")


def value(cell, expr, inst: dict[str, Any]) -> np.ndarray:
    """expr on one instance."""
    return evaluate(expr, environment(cell, inst), inst["n"], inst["d"])


def lambdified(jac, inst: dict[str, Any]) -> np.ndarray:
    """The library's lambdified compact Jacobian on one instance, (rows, cols)."""
    cell = jac.cell
    state = tuple(inst["leaves"][s][None] for s in cell.state)
    state = state[0] if len(state) == 1 else (state or None)
    x = inst["leaves"].get("x")
    x = x[None] if x is not None else np.zeros((1, 1))
    return jac.lambdify()(inst["params"], x, state)[0]


def numeric_cell(cell, inst: dict[str, Any]):
    """The NumPy cell of the same name and variant, loaded with the instance's weights."""
    c = make_cell(cell.name, cell.variant, inst["d"], inst["n"])
    c.load_params(inst["params"])
    return c


def numeric_state_jacobian(cell, inst: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(∂s/∂s_prev, ∂s/∂x) of the NumPy cell on the instance, s = [h; c] for the LSTM."""
    c = numeric_cell(cell, inst)
    state = tuple(inst["leaves"][s][None] for s in cell.state)
    J_ss, J_sx = c.state_jacobian(inst["leaves"]["x"][None], state)
    return J_ss[0], J_sx[0]


def numeric_block(cell, inst: dict[str, Any], of: str, wrt: str) -> np.ndarray:
    """One block ∂of/∂wrt of the NumPy cell's state Jacobian (of ∈ outputs, wrt ∈ state or x)."""
    J_ss, J_sx = numeric_state_jacobian(cell, inst)
    n = inst["n"]
    r = cell.outputs.index(of)
    rows = slice(r * n, (r + 1) * n)
    if wrt == "x":
        return J_sx[rows]
    k = cell.state.index(wrt)
    return J_ss[rows, k * n : (k + 1) * n]
