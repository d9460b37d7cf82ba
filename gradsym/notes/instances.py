"""Random instances and the bridge between the two layers.

A symbolic cell (``gradsym.symbolic.cell``) and a NumPy cell (``gradsym.numeric``) name
their parameters alike (W_h, W_x, b; W_f, U_f, b_f, …; W_u, …; W_r, W_z, W_n, b_hn), so one
random instance — parameters, input x and previous state — can be evaluated on both
sides: by :func:`evaluate` (a small NumPy interpreter of the notes' matrix expressions,
intermediates computed from the cell's equations), by the library's lambdified Jacobian,
and by the NumPy cells' own ``state_jacobian`` (:func:`numeric_block`).

:func:`evaluate_bounded` also returns a running bound on the round-off of the float64
evaluation (Higham, *Accuracy and Stability of Numerical Algorithms*, ch. 3): arrays M with
|computed − exact| ≤ u·M entrywise, u = 2⁻⁵³, to first order in u. A difference between two
evaluations is "at round-off" or "far above round-off" against u·(M₁ + M₂), never against a
tolerance picked by hand.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from gradsym.cells import registry
from gradsym.errors import NonFiniteError
from gradsym.lang.elementwise import MAPS, PAIRWISE, numpy_map
from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym
from gradsym.lang.visitor import MatrixVisitor
from gradsym.numeric.cells.factory import make_cell
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.stacked import Stacked

UNIT_ROUNDOFF = 2.0**-53


# The elementwise maps ("tanh", "tanh'", …) are the function table's NumPy values, f'
# written from the output f(z) as the cells compute it. For the rows the table marks
# 1-Lipschitz (the activations, softplus, |·|) an error δ in the argument moves the value
# by at most δ; for the others (exp, log, sqrt) by |f'(z)| δ, and f' by |f''(z)| δ, to
# first order; the evaluation itself adds a few units of round-off. A map whose value is a
# step (ReLU', |·|', the step itself) is unknown within round-off of its jump.
_MAPS = {name: numpy_map(name) for name in MAPS}
_STEP_MAPS = {f.prime for f, is_prime in MAPS.values() if is_prime and f.prime_is_step} | {
    f.name for f, is_prime in MAPS.values() if not is_prime and f.is_step
}
# maps whose float64 value rounds nothing and is exactly 0 for a negative argument (ReLU)
_EXACT_ZERO_BELOW = {f.name for f, is_prime in MAPS.values() if not is_prime and f.exact_zero_below}


def _slope(name: str, a: np.ndarray) -> np.ndarray | float:
    """A bound on |g'| at a for the map g called ``name``: 1 for a 1-Lipschitz row, else
    |f'(a)| (g = f) or |f''(a)| (g = f')."""
    f, is_prime = MAPS[name]
    if f.lipschitz or name in _STEP_MAPS:
        return 1.0
    return np.abs(f.second_derivative(a) if is_prime else f.derivative(a))


def sizes(n: int, d: int) -> dict:
    return {n_sym: n, d_sym: d}


@lru_cache(maxsize=1024)
def _dim(e, n: int, d: int) -> int:
    return int(sp.sympify(e, strict=True).subs(sizes(n, d)))


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


#: Redraws of an instance at which the cell's equations are undefined, before giving up.
DEFINED_ATTEMPTS = 20


def defined_instance(cell, n: int, d: int, rng: np.random.Generator) -> dict[str, Any]:
    """A :func:`random_instance` at which every vector of the cell is finite: a cell with
    log, sqrt, a quotient or a power is undefined at some points (sqrt(1 − q²) with a
    random exponent that makes q > 1), and is drawn again there. A cell defined everywhere
    takes the first draw, so its instances are those of :func:`random_instance`.

    Raises NonFiniteError when :data:`DEFINED_ATTEMPTS` draws all fail."""
    for _ in range(DEFINED_ATTEMPTS):
        inst = random_instance(cell, n, d, rng)
        with np.errstate(all="ignore"):
            env = environment(cell, inst)
        if all(np.all(np.isfinite(v)) for v in env.values()):
            return inst
    bad = next(k for k, v in env.items() if not np.all(np.isfinite(v)))
    raise NonFiniteError(
        f"the equations of {cell.name!r} are undefined (NaN or ∞) at {DEFINED_ATTEMPTS} random "
        f"instances (parameters, input and state drawn from normal distributions; {bad} was "
        "not finite): write them so that they are defined for every real parameter "
        "(softplus(c) for a positive c, σ(λ) for a rate in (0, 1))"
    )


def hold(cell, inst: dict[str, Any], name: str) -> dict[str, Any]:
    """The instance with the intermediate ``name`` held at its value, as a variable (the
    variable of a Jacobian taken with respect to an intermediate); a leaf: unchanged."""
    if name in inst["leaves"] or name in ("state", "x"):
        return inst
    value = environment(cell, inst)[name].reshape(-1)
    base = {k: v for k, v in inst.items() if k != "_bounded"}
    return {**base, "leaves": {**inst["leaves"], name: value}}


def environment(cell, inst: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every named vector and parameter of the cell as NumPy arrays (vectors as (k, 1))."""
    return environment_bounded(cell, inst)[0]


def environment_bounded(cell, inst: dict[str, Any]) -> tuple[dict, dict]:
    """(values, round-off bounds) of every named vector and parameter; inputs are exact."""
    env: dict[str, np.ndarray] = {}
    for name, v in inst["params"].items():
        v = np.asarray(v, dtype=float)
        env[name] = v.reshape(-1, 1) if v.ndim == 1 else v
    for name, v in inst["leaves"].items():
        env[name] = np.asarray(v, dtype=float).reshape(-1, 1)
    bounds = {name: np.zeros_like(v) for name, v in env.items()}
    ev = _Evaluator(env, bounds, inst["n"], inst["d"])
    for sym, e in cell.definitions:
        # An intermediate given among the leaves is held fixed (the variable of a Jacobian
        # taken with respect to it), as the symbolic side cuts it.
        if sym.name not in env:
            env[sym.name], bounds[sym.name] = ev.visit(e)
    return env, bounds


class _Evaluator(MatrixVisitor):
    """The value of a matrix expression and its round-off bound M (|error| ≤ u·M), one
    ``_print_<Class>`` method per construct."""

    def __init__(self, env: dict, bounds: dict, n: int, d: int) -> None:
        super().__init__()
        self.env, self.bounds, self.n, self.d = env, bounds, n, d

    def emptyPrinter(self, e):
        raise TypeError(f"cannot evaluate {type(e).__name__}: {e}")

    def _print_MatrixSymbol(self, e):
        if e.name not in self.env:
            raise KeyError(e.name)
        return self.env[e.name], self.bounds[e.name]

    def _print_MatAdd(self, e):
        out, m = self._print(e.args[0])
        for t in e.args[1:]:
            v, mv = self._print(t)
            out = out + v
            m = m + mv + np.abs(out)
        return out, m

    def _print_MatMul(self, e):
        coef = sp.Mul(*[a for a in e.args if not getattr(a, "is_Matrix", False)])
        mats = [self._print(a) for a in e.args if getattr(a, "is_Matrix", False)]
        out, m = mats[0]
        for v, mv in mats[1:]:
            k = out.shape[1]  # γ_k: an inner product of length k adds k roundings
            m = m @ np.abs(v) + np.abs(out) @ mv + k * (np.abs(out) @ np.abs(v))
            out = out @ v
        if coef == 1:
            return out, m
        c = float(coef)
        out = c * out
        return out, abs(c) * m + 2 * np.abs(out)  # c itself rounded, and the product

    def _print_HadamardProduct(self, e):
        out, m = self._print(e.args[0])
        for t in e.args[1:]:
            v, mv = self._print(t)
            m = m * np.abs(v) + np.abs(out) * mv
            out = out * v
            m = m + np.abs(out)
        return out, m

    def _print_Apply(self, e):
        a, ma = self._print(e.vector)
        out = _MAPS[e.name](a)
        m = _slope(e.name, a) * ma + 4.0 * (np.abs(out) + 1.0)
        # the sign of the argument is known unless it is within its round-off of 0 (an
        # exact argument, ma = 0, has a known sign: 0 itself, and ReLU'(0) = 0)
        unsure = (np.abs(a) <= 4.0 * ma * UNIT_ROUNDOFF) & (ma > 0)
        if e.name in _STEP_MAPS:  # a step: exact where the sign is known, unknown elsewhere
            m = np.where(unsure, np.inf, 0.0)
        elif e.name in _EXACT_ZERO_BELOW:  # exactly 0 where a < 0 is known, else a's error
            m = np.where((a < 0) & ~unsure, 0.0, ma)
        return out, m

    def _print_Pairwise(self, e):
        f = PAIRWISE[e.name]
        (a, ma), (b, mb) = self._print(e.first), self._print(e.second)
        out = f.apply(a, b)
        da, db = f.partials(a, b, out)
        m = np.abs(da) * ma + np.abs(db) * mb + 4.0 * (np.abs(out) + 1.0)
        return out, m

    def _print_Diag(self, e):
        v, m = self._print(e.vector)
        return np.diag(v.reshape(-1)), np.diag(m.reshape(-1))

    def _print_Identity(self, e):
        k = _dim(e.shape[0], self.n, self.d)
        return np.eye(k), np.zeros((k, k))

    def _print_ZeroMatrix(self, e):
        shape = (_dim(e.shape[0], self.n, self.d), _dim(e.shape[1], self.n, self.d))
        return np.zeros(shape), np.zeros(shape)

    def _print_OneMatrix(self, e):
        shape = (_dim(e.shape[0], self.n, self.d), _dim(e.shape[1], self.n, self.d))
        return np.ones(shape), np.zeros(shape)

    def _print_Transpose(self, e):
        v, m = self._print(e.arg)
        return v.T, m.T

    def _print_BlockMatrix(self, e):
        parts = [[self._print(b) for b in row] for row in e.blocks.tolist()]
        return (
            np.block([[v for v, _ in row] for row in parts]),
            np.block([[m for _, m in row] for row in parts]),
        )

    def _print_MatrixSlice(self, e):
        v, m = self._print(e.parent)
        (r0, r1, _), (c0, c1, _) = e.rowslice, e.colslice
        rows = slice(*(_dim(b, self.n, self.d) for b in (r0, r1)))
        cols = slice(*(_dim(b, self.n, self.d) for b in (c0, c1)))
        return v[rows, cols], m[rows, cols]

    def _print_MatrixBase(self, e):
        v = np.array(e.tolist(), dtype=float)
        return v, np.abs(v)


def evaluate(e, env: dict[str, np.ndarray], n: int, d: int) -> np.ndarray:
    """The value of a matrix expression in the cell's names (env from :func:`environment`)."""
    bounds = {k: np.zeros_like(v) for k, v in env.items()}
    return _Evaluator(env, bounds, n, d).visit(e)[0]


def evaluate_bounded(cell, expr, inst: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(value, M) of expr on one instance: |value − exact| ≤ u·M, u = 2⁻⁵³ (first order).

    The cell's intermediates are computed once per instance (kept in ``inst`` under
    ``"_bounded"``), so that many expressions on one instance cost one forward step."""
    cached = inst.get("_bounded")
    if cached is None or cached[0] is not cell:
        cached = (cell, *environment_bounded(cell, inst))
        inst["_bounded"] = cached
    _, env, bounds = cached
    return _Evaluator(env, bounds, inst["n"], inst["d"]).visit(expr)


def value(cell, expr, inst: dict[str, Any]) -> np.ndarray:
    """expr on one instance."""
    return evaluate(expr, environment(cell, inst), inst["n"], inst["d"])


def _state(cell, inst: dict[str, Any]):
    state = tuple(inst["leaves"][s][None] for s in cell.state)
    return state[0] if len(state) == 1 else (state or None)


def lambdified(jac, inst: dict[str, Any]) -> np.ndarray:
    """The library's lambdified compact Jacobian on one instance, (rows, cols)."""
    x = inst["leaves"].get("x")
    x = x[None] if x is not None else np.zeros((1, 1))
    return jac.lambdify()(inst["params"], x, _state(jac.cell, inst))[0]


# -- the NumPy cells as the independent reference ---------------------------------------------------


def numeric_cell(cell, inst: dict[str, Any]):
    """The NumPy cell of the same name and variant, loaded with the instance's weights."""
    inputs = _dim(cell.symbol("x").shape[0], inst["n"], inst["d"])  # d, or n for x + …
    c = make_cell(cell.name, cell.variant, inputs, inst["n"])
    c.load_params(inst["params"])
    return c


def _rnn(d: int, n: int, params: dict, names: tuple[str, str, str], activation="tanh") -> RNN:
    cell = RNN(d, n, activation=activation)
    cell.load_params(dict(zip(("W_h", "W_x", "b"), (params[k] for k in names))))
    return cell


def _stack(cell, inst: dict[str, Any]) -> Stacked:
    """``Stacked([RNN, RNN], residual)`` with layer l's weights W_h{l+1}, W_x{l+1}, b{l+1}:
    the same model as the symbolic ``stacked`` cell (for residual: the skip y₂ = h₂ + h₁
    passed up, each layer carrying its own h, Wu et al. 2016)."""
    n, d, p = inst["n"], inst["d"], inst["params"]
    layers = [_rnn(d, n, p, ("W_h1", "W_x1", "b1")), _rnn(n, n, p, ("W_h2", "W_x2", "b2"))]
    return Stacked(layers, residual=cell.variant == "residual")


def _stack_state(cell, inst: dict[str, Any]) -> tuple:
    return tuple((inst["leaves"][s][None],) for s in cell.state)


def numeric_state_jacobian(cell, inst: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(∂s/∂s_prev, ∂s/∂x) of the NumPy cells on the instance, rows in the order of the
    symbolic cell's outputs and columns in the order of its state leaves.

    - rnn, lstm, gru: the cell's own ``state_jacobian`` (s = [h; c] for the LSTM).
    - stacked: ``Stacked([RNN, RNN], residual)``'s ``state_jacobian``, s = [h₁; h₂].
    - birnn: two NumPy RNNs, one per direction (→: W_h_fw, W_x_fw, b_fw; ←: …_bw), each
      reading its own state: ∂s/∂s is block-diagonal.
    """
    x = inst["leaves"]["x"][None]
    n, d, p = inst["n"], inst["d"], inst["params"]
    if _has_numpy_cell(cell):
        state = tuple(inst["leaves"][s][None] for s in cell.state)
        J_ss, J_sx = numeric_cell(cell, inst).state_jacobian(x, state)
        return J_ss[0], J_sx[0]
    if cell.name == "stacked":
        J_ss, J_sx = _stack(cell, inst).state_jacobian(x, _stack_state(cell, inst))
        return J_ss[0], J_sx[0]
    if cell.name == "birnn":
        fw = _rnn(d, n, p, ("W_h_fw", "W_x_fw", "b_fw"), cell.variant)
        bw = _rnn(d, n, p, ("W_h_bw", "W_x_bw", "b_bw"), cell.variant)
        A, Ax = fw.state_jacobian(x, (inst["leaves"]["h_fw_prev"][None],))
        B, Bx = bw.state_jacobian(x, (inst["leaves"]["h_bw_next"][None],))
        J_ss = np.zeros((2 * n, 2 * n))
        J_ss[:n, :n], J_ss[n:, n:] = A[0], B[0]
        return J_ss, np.vstack([Ax[0], Bx[0]])
    raise KeyError(f"no NumPy cell for {cell.name!r}")


def _has_numpy_cell(cell) -> bool:
    """Whether ``make_cell`` builds the NumPy twin of the symbolic ``cell``: a built-in cell
    of the registry with a NumPy facet, or a registered declared cell (whose generated
    NumPy cell's state Jacobian is printed from the compact forms: a check of the
    generated code, not an independent derivation)."""
    if cell.name not in registry.names():
        return False
    entry = registry.get(cell.name)
    if entry.numpy is None:
        return False
    return entry.kind == "builtin" or cell.variant == "declared"


# The connections the NumPy side builds as networks here (not cells of make_cell).
_NETWORKS = ("stacked", "birnn")


# Vectors a NumPy model passes up besides its state: the residual stack's y₂.
_PASSED_UP = {("stacked", "residual"): "y2"}
# What the bidirectional output o = g(W_o [→h; ←h] + b_o) is differentiated by, NumPy side.
_BIRNN_OUTPUT_WRT = ("x", "h_fw", "h_bw", "h_fw_prev", "h_bw_next")


def _birnn_output_rows(cell, inst: dict[str, Any]) -> dict[str, np.ndarray]:
    """∂o/∂(x, →h, ←h, →h⁽ᵗ⁻¹⁾, ←h⁽ᵗ⁺¹⁾) of one step of NumPy's ``Bidirectional`` with
    its output layer, row k by backpropagating the unit vector e_k from o."""
    n, d, p, lv = inst["n"], inst["d"], inst["params"], inst["leaves"]
    fw = _rnn(d, n, p, ("W_h_fw", "W_x_fw", "b_fw"), cell.variant)
    bw = _rnn(d, n, p, ("W_h_bw", "W_x_bw", "b_bw"), cell.variant)
    out = Linear(2 * n, n, names=("W_o", "b_o"))
    out.load_params({"W_o": p["W_o"], "b_o": p["b_o"]})
    pair = Bidirectional(fw, bw, out, output_activation=cell.variant)
    state0 = ((lv["h_fw_prev"][None],), (lv["h_bw_next"][None],))
    trace = pair.forward(lv["x"][None, None], state0)
    rows: dict[str, list] = {w: [] for w in _BIRNN_OUTPUT_WRT}
    for k in range(n):
        g = pair.backward(trace, np.eye(n)[k][None, None])
        rows["x"].append(g.dxs[0, 0])
        rows["h_fw"].append(g.adjoints["fwd.h"][0, 0])
        rows["h_bw"].append(g.adjoints["bwd.h"][0, 0])
        rows["h_fw_prev"].append(g.dstate0[0][0][0])
        rows["h_bw_next"].append(g.dstate0[1][0][0])
    return {w: np.array(r) for w, r in rows.items()}


def has_numeric_block(cell, of: str, wrt: str) -> bool:
    """Whether the NumPy cells give ∂of/∂wrt: of an output, "state" or the residual
    stack's y2, wrt a state leaf or x, or ∂s/∂s and ∂s/∂x whole (of = "state"); for rnn,
    lstm, gru, stacked, birnn and declared cells (and the bidirectional output o by x, →h, ←h and the
    states, through NumPy's ``Bidirectional`` with its output layer)."""
    if cell.name not in _NETWORKS and not _has_numpy_cell(cell):
        return False
    if of == "state":
        return wrt in ("state", "x")
    if cell.name == "birnn" and of == "o":
        return wrt in _BIRNN_OUTPUT_WRT
    passed_up = _PASSED_UP.get((cell.name, cell.variant))
    return (of in cell.outputs or of == passed_up) and (wrt == "x" or wrt in cell.state)


def numeric_block(cell, inst: dict[str, Any], of: str, wrt: str) -> np.ndarray:
    """One block ∂of/∂wrt of the NumPy cells' state Jacobian (of ∈ outputs, wrt ∈ state or
    x; of = "state" for the whole ∂s/∂s or ∂s/∂x), or of the residual stack's output y2
    (``Stacked.output_jacobian``)."""
    n = inst["n"]
    if cell.name == "birnn" and of == "o":
        return _birnn_output_rows(cell, inst)[wrt]
    if of == _PASSED_UP.get((cell.name, cell.variant)):
        x = inst["leaves"]["x"][None]
        J_ys, J_yx = _stack(cell, inst).output_jacobian(x, _stack_state(cell, inst))
        rows_s, rows_x = J_ys[0], J_yx[0]
    else:
        J_ss, J_sx = numeric_state_jacobian(cell, inst)
        if of == "state":
            return J_sx if wrt == "x" else J_ss
        r = cell.outputs.index(of)
        rows_s, rows_x = J_ss[r * n : (r + 1) * n], J_sx[r * n : (r + 1) * n]
    if wrt == "x":
        return rows_x
    k = cell.state.index(wrt)
    return rows_s[:, k * n : (k + 1) * n]


__all__ = [
    "UNIT_ROUNDOFF",
    "environment",
    "environment_bounded",
    "evaluate",
    "evaluate_bounded",
    "has_numeric_block",
    "hold",
    "lambdified",
    "numeric_block",
    "numeric_cell",
    "numeric_state_jacobian",
    "random_instance",
    "value",
]
