"""What the catalogue's claims share: symbols by name, a Jacobian step, finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sympy import MatrixSymbol

from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.matexpr import Apply, Diag

from ..checks import JacobianIdentity, Numeric
from ..claim import Step
from ..instances import environment, numeric_block, random_instance, value
from ..notation import partial

__all__ = ["Apply", "Diag", "S", "fd_jacobian", "jacobian_step", "pd"]

TIME = {  # the notes' time stamps of each vector, for printing ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾
    "h_prev": ("h", "t-1"),
    "c_prev": ("c", "t-1"),
    "h": ("h", "t"),
    "c": ("c", "t"),
    "x": ("x", "t"),
    "y": ("y", ""),
    "o": ("o", "t"),
    "h_fw": ("h→", "t"),
    "h_fw_prev": ("h→", "t-1"),
    "h_bw": ("h←", "t"),
    "h_bw_next": ("h←", "t+1"),
    "h1": ("h₁", "t"),
    "h2": ("h₂", "t"),
    "h1_prev": ("h₁", "t-1"),
    "h2_prev": ("h₂", "t-1"),
    "y2": ("y₂", "t"),
}


def S(cell, *names: str) -> MatrixSymbol | tuple[MatrixSymbol, ...]:
    """The cell's vectors or parameters called ``names`` (one symbol, or a tuple)."""
    table = dict(cell.vectors)
    table.update({p.name: p for p in cell.params})
    out = tuple(table[k] for k in names)
    return out[0] if len(out) == 1 else out


def pd(of: str, wrt: str, rows=None, cols=None) -> MatrixSymbol:
    """∂of/∂wrt as a printable symbol, from the cells' vector names."""
    (a, ta), (b, tb) = TIME.get(of, (of, "")), TIME.get(wrt, (wrt, ""))
    kw = {}
    if rows is not None:
        kw["rows"] = rows
    if cols is not None:
        kw["cols"] = cols
    return partial(a, ta, b, tb, **kw)


def fd_jacobian(cell, inst: dict, of: str, wrt: str, eps: float = 1e-6) -> np.ndarray:
    """∂of/∂wrt by central differences of the cell's equations evaluated in NumPy."""
    base = inst["leaves"][wrt]
    cols = []
    for k in range(base.size):
        vals = []
        for sgn in (1.0, -1.0):
            leaves = dict(inst["leaves"])
            v = base.copy()
            v[k] += sgn * eps
            leaves[wrt] = v
            vals.append(environment(cell, {**inst, "leaves": leaves})[of].reshape(-1))
        cols.append((vals[0] - vals[1]) / (2 * eps))
    return np.stack(cols, axis=1)


def jacobian_step(
    name: str,
    variant: str | None,
    of: str,
    wrt: str,
    form: Callable,
    justification: str,
    *,
    n: int = 2,
    reference: str = "numpy",
    tol: float = 1e-10,
    lhs=None,
) -> Step:
    """∂of/∂wrt = form(cell): proved against SymPy's explicit Jacobian at size n, and
    evaluated on random instances against the NumPy cell's ``state_jacobian``
    (``reference="numpy"``) or central differences of the equations (``"fd"``)."""

    def cell():
        return get_cell(name, variant)

    def sample(rng):
        c = cell()
        inst = random_instance(c, 3, 2, rng)
        if wrt not in inst["leaves"]:  # an intermediate: hold it at its value, as a variable
            inst["leaves"][wrt] = environment(c, inst)[wrt].reshape(-1)
        mine = value(c, form(c), inst)
        if reference == "numpy":
            ref = numeric_block(c, inst, of, wrt)
        else:
            ref = fd_jacobian(c, inst, of, wrt)
        return mine, ref, {"params": inst["params"], "leaves": inst["leaves"]}

    method = (
        "the form on random weights against the NumPy cell's state_jacobian"
        if reference == "numpy"
        else "the form on random weights against central differences of the equations"
    )
    c0 = cell()
    if lhs is None:
        lhs = pd(of, wrt, S(c0, of).shape[0], S(c0, wrt).shape[0])
    return Step(
        lhs=lhs,
        rhs=form(c0),
        relation="=",
        justification=justification,
        symbolic=JacobianIdentity(cell, of, wrt, form, n=n),
        numeric=Numeric(sample, "=", tol=tol if reference == "numpy" else 1e-7, method=method),
    )


# -- unrolled networks with explicit entries (for identities across several steps) ---------


def entries(name: str, rows: int, cols: int = 1):
    """A SymPy Matrix of real symbols name[i,j] (or name[i] for a column)."""
    import sympy as sp

    if cols == 1:
        return sp.Matrix(rows, 1, [sp.Symbol(f"{name}[{i}]", real=True) for i in range(rows)])
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}[{i},{j}]", real=True))


def substitute(M, v, value):
    """M with the entries of the vector v replaced by those of ``value``."""
    return M.xreplace({v[k]: value[k] for k in range(v.rows)})


def numeric_rnn(rng, n: int = 3, d: int = 2, activation: str = "tanh", scale: float = 1.0):
    """A NumPy RNN with N(0, scale²/n) weights and N(0, 0.25) biases."""
    from gradsym.numeric.cells.rnn import RNN

    cell = RNN(d, n, activation=activation)
    cell.load_params(
        {
            "W_h": rng.normal(0, scale / np.sqrt(n), (n, n)),
            "W_x": rng.normal(0, 1 / np.sqrt(d), (n, d)),
            "b": rng.normal(0, 0.5, n),
        }
    )
    return cell


def step_jacobians(cell, xs, trace) -> list[np.ndarray]:
    """J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾ for t = 1 … T along a trace (batch index 0), NumPy cell."""
    out = []
    states = [trace.state0] + [
        tuple(trace.states[k][t] for k in cell.state_names) for t in range(xs.shape[0])
    ]
    for t in range(xs.shape[0]):
        s_prev = tuple(s[:1] for s in states[t])
        out.append(cell.state_jacobian(xs[t, :1], s_prev)[0][0])
    return out
