"""Models: what a check gives the atoms of a step, exactly or in float64.

A model holds the primitive values of one instance (weights, inputs, an initial state)
and computes derived atoms on request, each by a route independent of the step being
checked:

- a cell's intermediates (z_f, f, c̃, …) from the cell's equations — the equations the
  derivation prints;
- ∂a/∂b: exactly, SymPy's ``Matrix.jacobian`` of the equations (never the matrix-calculus
  engine that derived the compact forms); in float64, the NumPy cell's ``state_jacobian``
  where the block is one of the cell's own, else central differences;
- along a sequence (:class:`Unrolled`): **h**⁽ᵗ⁾ by stepping the cell; in float64 the
  NumPy cell's forward pass, ∂J⁽ⁱ⁾/∂**h**⁽ʲ⁾ from its backward pass (the adjoints),
  ∂**h**⁽ᵗ⁾/∂**h**⁽ᵗ⁻¹⁾ from ``state_jacobian`` and longer spans by central differences of
  the forward pass.

Every derived value is computed from what the evaluator returns for its inputs, so a
``where`` of the step (W_h = 2Q, u = 0, V_f = 0) reaches everything downstream.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy import MatrixSymbol

from gradsym.lang.names import d as d_sym
from gradsym.lang.names import entry_symbol
from gradsym.lang.names import n as n_sym

from .evaluate import Evaluator, Model, Unbound, describe_key, seq_key
from .instances import numeric_cell

FD_STEP = 1e-6


def entries(name: str, rows: int, cols: int = 1, *, real: bool = True) -> sp.ImmutableMatrix:
    """The explicit matrix of entry symbols ``name[i]`` / ``name[i,j]``, real or (faster to
    build nested expressions from: no assumptions to query) plain."""
    if real:
        if cols == 1:
            return sp.ImmutableMatrix(rows, 1, [entry_symbol(name, r) for r in range(rows)])
        return sp.ImmutableMatrix(rows, cols, lambda r, c: entry_symbol(name, r, c))
    if cols == 1:
        return sp.ImmutableMatrix(rows, 1, [sp.Symbol(f"{name}[{r}]") for r in range(rows)])
    return sp.ImmutableMatrix(rows, cols, lambda r, c: sp.Symbol(f"{name}[{r},{c}]"))


def _dim(e, n: int, d: int) -> int:
    return int(sp.sympify(e, strict=True).subs({n_sym: n, d_sym: d}))


def _fresh(shape) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(shape[0], shape[1], [sp.Dummy() for _ in range(shape[0] * shape[1])])


def _as_exact(v) -> sp.ImmutableMatrix:
    return v if isinstance(v, sp.MatrixBase) else sp.ImmutableMatrix([[v]])


def _as_np(v) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    return a.reshape(1, 1) if a.ndim == 0 else (a.reshape(-1, 1) if a.ndim == 1 else a)


def jacobian_exact(key, ev: Evaluator) -> sp.ImmutableMatrix:
    """∂of/∂wrt by SymPy's ``Matrix.jacobian``: wrt replaced by fresh symbols, ``of``
    recomputed from them, differentiated, and the fresh symbols put back. Numerator
    layout; a scalar by a matrix gives the gradient, shaped like the matrix."""
    _, of, wrt = key
    natural = _as_exact(ev.lookup(wrt))
    fresh = _fresh(natural.shape)
    value = _as_exact(ev.fork({wrt: fresh}).lookup(of))
    J = value.reshape(len(value), 1).jacobian(list(fresh))
    J = J.xreplace(dict(zip(fresh, natural)))
    if natural.shape[1] > 1:  # d(scalar)/d(matrix): the gradient, shaped like the matrix
        return sp.ImmutableMatrix(natural.shape[0], natural.shape[1], list(J))
    return sp.ImmutableMatrix(J)


def jacobian_fd(key, ev: Evaluator, step: float = FD_STEP) -> np.ndarray:
    """∂of/∂wrt by central differences of ``of`` recomputed by the evaluator."""
    _, of, wrt = key
    natural = _as_np(ev.lookup(wrt))
    cols = []
    for k in range(natural.size):
        e = np.zeros(natural.size)
        e[k] = step
        e = e.reshape(natural.shape)
        hi = _as_np(ev.fork({wrt: natural + e}).lookup(of)).reshape(-1)
        lo = _as_np(ev.fork({wrt: natural - e}).lookup(of)).reshape(-1)
        cols.append((hi - lo) / (2 * step))
    J = np.stack(cols, axis=1)
    if natural.shape[1] > 1:
        return J.reshape(natural.shape)
    return J


# -- one cell --------------------------------------------------------------------------------


def numpy_cell(cell, params: dict[str, np.ndarray], n: int, d: int):
    """The NumPy cell of the same kind and variant as the symbolic ``cell``, loaded with
    ``params`` (vectors as (k, 1) arrays). KeyError for a cell without a NumPy twin."""
    flat = {k: v.reshape(-1) if v.shape[1] == 1 else v for k, v in params.items()}
    return numeric_cell(cell, {"params": flat, "n": n, "d": d})


class CellModel(Model):
    """One step of a symbolic ``cell`` on one instance: leaves and parameters are
    primitives, intermediates come from the cell's equations, ∂a/∂b as described above.

    ``reference`` (float64 only): "numpy" takes ∂(output)/∂(state or x) from the NumPy
    cell's ``state_jacobian``, "fd" takes every block by central differences, or a
    function (key, ev) → array for a block of a cell without a NumPy twin.
    """

    def __init__(self, cell, values, *, exact: bool, n: int, d: int, reference="numpy", label=""):
        super().__init__({**values, n_sym: n, d_sym: d}, label=label)
        self.cell = cell
        self.exact = exact
        self.n, self.d = n, d
        self.reference = reference

    def resolve(self, key, ev):
        if isinstance(key, MatrixSymbol) and key in self.cell.definition:
            return ev.visit(self.cell.definition[key])
        if isinstance(key, tuple) and key[0] == "partial":
            if self.exact:
                return jacobian_exact(key, ev)
            return self._float_partial(key, ev)
        raise Unbound(f"cell {self.cell.name!r} has no value for {describe_key(key)}")

    def _float_partial(self, key, ev):
        _, of, wrt = key
        if callable(self.reference):
            return self.reference(key, ev)
        cell = self.cell
        if (
            self.reference == "numpy"
            and isinstance(of, MatrixSymbol)
            and isinstance(wrt, MatrixSymbol)
            and of.name in cell.outputs
            and (wrt.name in cell.state or wrt.name == "x")
        ):
            params = {p.name: _as_np(ev.visit(p)) for p in cell.params}
            num = numpy_cell(cell, params, self.n, self.d)
            state = tuple(_as_np(ev.visit(cell.vectors[s])).reshape(1, -1) for s in cell.state)
            x = _as_np(ev.visit(cell.vectors["x"])).reshape(1, -1)
            J_ss, J_sx = num.state_jacobian(x, state)
            r = cell.outputs.index(of.name)
            rows = slice(r * self.n, (r + 1) * self.n)
            if wrt.name == "x":
                return J_sx[0][rows]
            k = cell.state.index(wrt.name)
            return J_ss[0][rows, k * self.n : (k + 1) * self.n]
        return jacobian_fd(key, ev)


def exact_cell(cell, n: int = 3, d: int = 2, **kwargs) -> CellModel:
    """The cell with every leaf and parameter a matrix of entry symbols."""
    values = {}
    for s in (*cell.leaves, *cell.params):
        values[s] = entries(s.name, _dim(s.shape[0], n, d), _dim(s.shape[1], n, d))
    return CellModel(cell, values, exact=True, n=n, d=d, label=f"n = {n}, d = {d}", **kwargs)


def random_values(cell, rng: np.random.Generator, n: int, d: int, scale: float = 1.0) -> dict:
    """Weights N(0, scale²/cols), biases N(0, (scale/2)²), leaves N(0, 1); vectors (k, 1)."""
    values = {}
    for p in cell.params:
        rows, cols = _dim(p.shape[0], n, d), _dim(p.shape[1], n, d)
        if cols == 1:
            values[p] = rng.normal(0.0, 0.5 * scale, (rows, 1))
        else:
            values[p] = rng.normal(0.0, scale / np.sqrt(cols), (rows, cols))
    for s in cell.leaves:
        values[s] = rng.normal(0.0, 1.0, (_dim(s.shape[0], n, d), 1))
    return values


def float_cell(
    cell, rng: np.random.Generator, n: int = 3, d: int = 2, *, scale: float = 1.0, **kwargs
) -> CellModel:
    """The cell on random float64 values (see :func:`random_values`)."""
    values = random_values(cell, rng, n, d, scale)
    return CellModel(cell, values, exact=False, n=n, d=d, label="random weights", **kwargs)


# -- a cell unrolled over time ---------------------------------------------------------------


class Unrolled(Model):
    """A cell stepped over t = 1 … T: families **h**⁽ᵗ⁾ (and **c**⁽ᵗ⁾), **x**⁽ᵗ⁾, every
    vector of the cell at step t (**z**⁽ᵗ⁾, **f**⁽ᵗ⁾, …) and the losses J⁽ⁱ⁾ = cᵀ**h**⁽ⁱ⁾.

    Primitives: the parameters, ``seq_key("x", t)``, the initial state ``seq_key(h, 0)``
    and the loss vectors: J⁽ⁱ⁾ = cᵀ**h**⁽ⁱ⁾ with c = ``seq_key("c_loss", 0)``, and, when
    ``total`` names a scalar atom, J = Σₜ cₜᵀ**h**⁽ᵗ⁾ with cₜ = ``seq_key("c_loss", t)``.
    With ``untied`` each step t uses its own copy W⁽ᵗ⁾ of every parameter (the family
    ``seq_key("W_h", t)``), each equal to the shared parameter unless overridden.
    """

    def __init__(self, cell, values, *, exact, n, d, T, total=None, untied=False, label=""):
        super().__init__({**values, n_sym: n, d_sym: d}, label=label)
        self.cell, self.exact = cell, exact
        self.n, self.d, self.T = n, d, T
        self.families = tuple(cell.outputs)  # state families, in the cell's order
        self.total = total
        self.untied = untied
        self.param_names = {p.name: p for p in cell.params}

    # the state at t ≥ 1 comes from one step of the cell
    def _step(self, ev: Evaluator, t: int) -> Evaluator:
        cell = self.cell
        over = {cell.vectors[s]: ev.seq(f, t - 1) for s, f in zip(cell.state, self.families)}
        over[cell.vectors["x"]] = ev.seq("x", t)
        if self.untied:
            over.update({p: ev.seq(p.name, t) for p in cell.params})
        return ev.fork(over)

    def _loss_vector(self, ev, t: int = 0):
        return ev.lookup(seq_key("c_loss", t))

    def _total_loss(self, ev):
        out = None
        for t in range(1, self.T + 1):
            c, h = self._loss_vector(ev, t), ev.seq(self.families[0], t)
            term = _as_exact(c).T * _as_exact(h) if self.exact else _as_np(c).T @ _as_np(h)
            out = term if out is None else out + term
        return out

    def resolve(self, key, ev):
        cell = self.cell
        if isinstance(key, MatrixSymbol) and key in cell.definition:
            return ev.visit(cell.definition[key])
        if self.total is not None and key == self.total:
            return self._total_loss(ev)
        if isinstance(key, tuple) and key[0] == "seq":
            _, name, t = key
            t = int(t)
            if name in self.param_names:  # the copy used at step t: the shared parameter
                return ev.visit(self.param_names[name])
            if name == "J":
                h = ev.seq(self.families[0], t)
                c = self._loss_vector(ev)
                return (_as_exact(c).T * _as_exact(h)) if self.exact else _as_np(c).T @ _as_np(h)
            if t < 0 or t > self.T or (t == 0 and name in self.families):
                raise Unbound(f"no value for {describe_key(key)} (T = {self.T})")
            if name in cell.vectors:
                return self._step(ev, t).lookup(cell.vectors[name])
        if isinstance(key, tuple) and key[0] == "partial":
            if self.exact:
                return jacobian_exact(key, ev)
            return self._float_partial(key, ev)
        raise Unbound(f"the unrolled {cell.name} has no value for {describe_key(key)}")

    def _float_partial(self, key, ev):
        return jacobian_fd(key, ev)


class NumpyUnrolled(Unrolled):
    """The same sequence in float64 from the NumPy cell (an independent implementation):
    **h**⁽ᵗ⁾, **c**⁽ᵗ⁾ and the gates from its forward pass, ∂J⁽ⁱ⁾/∂**h**⁽ʲ⁾ from its
    backward pass, ∂**s**⁽ᵗ⁾/∂**s**⁽ᵗ⁻¹⁾ from ``state_jacobian``, longer spans by central
    differences of the forward pass."""

    def _numpy(self, ev):
        if ("numpy",) not in ev.cache:
            params = {p.name: _as_np(ev.visit(p)) for p in self.cell.params}
            num = numpy_cell(self.cell, params, self.n, self.d)
            xs = np.stack([_as_np(ev.seq("x", t)).reshape(1, -1) for t in range(1, self.T + 1)])
            s0 = tuple(_as_np(ev.seq(f, 0)).reshape(1, -1) for f in self.families)
            ev.cache[("numpy",)] = (num, xs, s0, num.forward(xs, s0))
        return ev.cache[("numpy",)]

    def resolve(self, key, ev):
        if isinstance(key, tuple) and key[0] == "seq" and key[1] != "J":
            _, name, t = key
            t = int(t)
            if 1 <= t <= self.T:
                _num, _xs, _s0, trace = self._numpy(ev)
                if name in trace.states:
                    return trace.states[name][t - 1, 0].reshape(-1, 1)
                if name in trace.gates:
                    return trace.gates[name][t - 1, 0].reshape(-1, 1)
        return super().resolve(key, ev)

    def _state(self, ev, t):
        return tuple(_as_np(ev.seq(f, t)).reshape(1, -1) for f in self.families)

    def _float_partial(self, key, ev):
        _, of, wrt = key
        if self.total is not None and of == self.total and isinstance(wrt, tuple):
            num, _, _, trace = self._numpy(ev)
            if wrt[1] == self.families[0] and 1 <= int(wrt[2]) <= self.T:
                dh = np.stack(
                    [_as_np(self._loss_vector(ev, t)).reshape(1, -1) for t in range(1, self.T + 1)]
                )
                grads = num.backward(trace, dh)
                return grads.adjoints[wrt[1]][int(wrt[2]) - 1, 0].reshape(1, -1)
        if not (isinstance(of, tuple) and isinstance(wrt, tuple) and of[0] == "seq" == wrt[0]):
            return jacobian_fd(key, ev)
        (_, a, t1), (_, b, t0) = of, wrt
        t1, t0 = int(t1), int(t0)
        num, xs, _s0, trace = self._numpy(ev)
        n = self.n
        if a == "J" and b == self.families[0]:
            if t0 > t1:
                return np.zeros((1, n))
            dh = np.zeros((self.T, 1, n))
            dh[t1 - 1, 0] = _as_np(self._loss_vector(ev)).reshape(-1)
            grads = num.backward(trace, dh)
            if t0 == 0:
                return grads.dstate0[0].reshape(1, -1)
            return grads.adjoints[b][t0 - 1, 0].reshape(1, -1)
        if a in self.families and b in self.families and t1 == t0 + 1:
            J_ss, _ = num.state_jacobian(xs[t1 - 1], self._state(ev, t0))
            r, k = self.families.index(a), self.families.index(b)
            return J_ss[0][r * n : (r + 1) * n, k * n : (k + 1) * n]
        if a in self.families and b in self.families:
            return self._span_fd(ev, a, t1, b, t0)
        return jacobian_fd(key, ev)

    def _span_fd(self, ev, a, t1, b, t0):
        """∂a⁽ᵗ¹⁾/∂b⁽ᵗ⁰⁾ by central differences of the NumPy forward pass from t0."""
        num, xs, _, _ = self._numpy(ev)
        n = self.n
        if t1 <= t0:
            return np.eye(n) if (t1 == t0 and a == b) else np.zeros((n, n))
        state = [s.copy() for s in self._state(ev, t0)]
        k = self.families.index(b)
        cols = []
        for m in range(n):
            outs = []
            for sign in (1.0, -1.0):
                s = [v.copy() for v in state]
                s[k][0, m] += sign * FD_STEP
                outs.append(num.forward(xs[t0:t1], tuple(s)).states[a][-1, 0])
            cols.append((outs[0] - outs[1]) / (2 * FD_STEP))
        return np.stack(cols, axis=1)


def unrolled_values(
    cell,
    n: int,
    d: int,
    T: int,
    *,
    exact: bool,
    rng: np.random.Generator | None = None,
    scale: float = 1.0,
) -> dict:
    """Primitives of a sequence: parameters, x⁽¹⁾ … x⁽ᵀ⁾, the initial state, the loss
    vector — entry symbols when ``exact``, else random (as :func:`random_values`)."""
    families = tuple(cell.outputs)
    values = {}
    if exact:  # plain symbols: nested tanh over T steps builds slowly with real ones
        for p in cell.params:
            values[p] = entries(p.name, _dim(p.shape[0], n, d), _dim(p.shape[1], n, d), real=False)
        for t in range(1, T + 1):
            values[seq_key("x", t)] = entries(f"x{t}", d, real=False)
        for f in families:
            values[seq_key(f, 0)] = entries(f"{f}0", n, real=False)
        values[seq_key("c_loss", 0)] = entries("c", n, real=False)
        for t in range(1, T + 1):
            values[seq_key("c_loss", t)] = entries(f"c{t}", n, real=False)
        return values
    for p, v in random_values(cell, rng, n, d, scale).items():
        if p in cell.params:
            values[p] = v
    for t in range(1, T + 1):
        values[seq_key("x", t)] = rng.normal(size=(d, 1))
    for f in families:
        values[seq_key(f, 0)] = rng.normal(size=(n, 1))
    for t in range(T + 1):
        values[seq_key("c_loss", t)] = rng.normal(size=(n, 1))
    return values


def exact_unrolled(
    cell, T: int, n: int = 2, d: int = 2, *, values: dict | None = None, label: str = "", **kwargs
) -> Unrolled:
    """The cell unrolled over T steps with symbolic entries (n = 2 keeps it small);
    ``values`` replaces some of them (a rational witness)."""
    base = unrolled_values(cell, n, d, T, exact=True)
    base.update(values or {})
    label = label or f"symbolic entries, n = {n}, T = {T}"
    return Unrolled(cell, base, exact=True, n=n, d=d, T=T, label=label, **kwargs)


def float_unrolled(cell, rng, T: int, n: int = 3, d: int = 2, *, values=None, **kwargs) -> Unrolled:
    """The cell unrolled in float64 by its equations (not the NumPy cell): for what the
    NumPy cell cannot express, such as a separate copy of W_h at every step."""
    base = unrolled_values(cell, n, d, T, exact=False, rng=rng)
    base.update(values or {})
    return Unrolled(cell, base, exact=False, n=n, d=d, T=T, label="random weights", **kwargs)


def numpy_unrolled(
    cell,
    rng: np.random.Generator,
    T: int,
    n: int = 3,
    d: int = 2,
    *,
    scale: float = 1.0,
    values: dict | None = None,
    **kwargs,
) -> NumpyUnrolled:
    """The NumPy cell over T steps on random weights, inputs and initial state."""
    base = unrolled_values(cell, n, d, T, exact=False, rng=rng, scale=scale)
    base.update(values or {})
    return NumpyUnrolled(
        cell, base, exact=False, n=n, d=d, T=T, label="random NumPy instance", **kwargs
    )


def scalar_model(values: dict, *, free=(), label: str = "", resolve: Callable | None = None):
    """A model of plain values (no cell): scalars, named matrices."""
    return Model(values, free=free, label=label, resolve=resolve)


def counting_model(counts: dict, *, free=(), values=None, label: str = "") -> Model:
    """Parameter counts #θ given as polynomials in the sizes; a size is whatever the step
    makes it (free, bound by the model, or set by a ``where`` such as n = 100)."""

    def resolve(key, ev):
        if key in counts:
            expr = sp.sympify(counts[key], strict=True)
            return expr.xreplace({s: ev.visit(s) for s in expr.free_symbols})
        raise Unbound(f"no count for {describe_key(key)}")

    return Model(values or {}, free=free, label=label, resolve=resolve)
