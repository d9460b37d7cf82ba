"""``check_jacobian``: is a user's formula for a Jacobian block of a cell right?

A candidate is

- a SymPy matrix expression in the cell's symbols (see :func:`symbols`: ``W_h``, ``h_prev``,
  ``x``, ``b``, the named intermediates ``z``, ``f``, ``c_tilde``, …, with ``Diag``,
  ``Apply`` from :mod:`gradsym.symbolic.matexpr`, ``HadamardProduct``, ``Identity``, ``.T``);
- a string in the grammar below, parsed with a restricted namespace (never ``eval``);
- a Python function ``f(params, x, state) -> array`` of shape (B, rows, cols) or (rows, cols),
  with the arguments of ``Jacobian.lambdify()``: ``params`` name → array (biases (n,)),
  ``x`` (B, d), ``state`` h⁽ᵗ⁻¹⁾ (B, n) or a tuple in the cell's state order.

Symbolic candidates are decided symbolically when possible — expanded entry by entry at
fixed n and compared with SymPy's own Jacobian of the cell's equations, so any equivalent
form is accepted (expanded, factored, transposed twice, σ(1 − σ) for σ') — and confirmed or
refuted numerically on seeded random weights against the library's Jacobian; a refutation
carries a concrete counterexample: weights, input, state, both values and the entries that
differ. Function candidates are judged numerically.

Grammar of string candidates
----------------------------
    expr    := expr (+ | - | * | @) expr | -expr | expr ** k | expr.T | call | name | number
    call    := diag(v) | sigma(v) | tanh(v) | relu(v)
             | sigma_prime(v) | tanh_prime(v) | relu_prime(v) | hadamard(a, b)
    name    := a vector or parameter of the cell, or I (the n×n identity)

``A @ B`` is the matrix product; ``a * b`` is the matrix product when the shapes chain
(W_h * diag(v)), the Hadamard (elementwise) product for two vectors of the same shape, and
scaling for a number. ``1 - u`` is the all-ones vector minus u; ``v ** 2`` is v∘v. Unicode
is accepted: σ, σ', tanh', ∘ (Hadamard), ᵀ (transpose), · and × (product), − (minus).

Bad input — a candidate of the wrong shape, with unknown symbols, that does not parse, or
a function that raises — raises :class:`gradsym.errors.CandidateError`, not a verdict.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy import HadamardProduct, Identity, MatAdd, MatMul, MatrixSymbol, OneMatrix, Transpose
from sympy.matrices.expressions import MatrixExpr

from gradsym.errors import CandidateError, InvalidValueError
from gradsym.symbolic import Cell, jacobian
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.matexpr import Apply, Diag
from gradsym.symbolic.proof import prove_at

from .instances import environment, evaluate, lambdified, random_instance

TOLERANCE = 1e-9  # relative to the largest entry of the true Jacobian (at least 1)


@dataclass
class Verdict:
    """The verdict on a candidate: ``holds``, the largest relative error seen on the random
    instances, and — when refuted — a ``counterexample`` (weights, input, state, the
    candidate's and the true value, the differing entries). ``symbolic`` is True/False when
    the candidate was decided symbolically (None for a function)."""

    holds: bool
    max_error: float
    counterexample: dict[str, Any] | None = None
    symbolic: bool | None = None
    detail: str = ""
    cell: str = ""
    block: str = ""
    trials: int = 0
    residual: dict[str, Any] | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.holds

    def report(self) -> str:
        """The verdict in a few lines, as the CLI prints it."""
        head = "✓ holds" if self.holds else "✗ refuted"
        how = {
            True: "symbolically identical",
            False: "symbolically different",
            None: "numeric only",
        }[self.symbolic]
        lines = [
            f"{head}: {self.block} of {self.cell} ({how}; max error {self.max_error:.2e} over {self.trials} random instances)"
        ]
        if self.detail:
            lines.append(f"  {self.detail}")
        if self.counterexample:
            cx = self.counterexample
            lines.append("  counterexample:")
            with np.printoptions(precision=6, suppress=True, linewidth=100):
                for k, v in cx["weights"].items():
                    lines.append(
                        f"    {k} = {np.array2string(np.asarray(v), prefix='    ' + k + ' = ')}"
                    )
                lines.append(f"    x = {np.asarray(cx['input'])}")
                for k, v in cx["state"].items():
                    lines.append(f"    {k} = {np.asarray(v)}")
                lines.append(
                    f"    candidate = {np.array2string(cx['candidate'], prefix='    candidate = ')}"
                )
                lines.append(
                    f"    expected  = {np.array2string(cx['expected'], prefix='    expected  = ')}"
                )
            lines.append("    differing entries (row, col, candidate, expected):")
            for i, j, a, b in cx["entries"][:8]:
                lines.append(f"      ({i}, {j}): {a: .6g} vs {b: .6g}")
            if len(cx["entries"]) > 8:
                lines.append(f"      … {len(cx['entries']) - 8} more")
        return "\n".join(lines)


# -- symbols and parsing ---------------------------------------------------------------------------------


def symbols(cell: str | Cell, variant: str | None = None) -> dict[str, MatrixSymbol]:
    """Every symbol a candidate may use: the cell's vectors (leaves and intermediates)
    and parameters, by name."""
    c = get_cell(cell, variant) if isinstance(cell, str) else cell
    table = dict(c.vectors)
    table.update({p.name: p for p in c.params})
    return table


_UNICODE = (
    ("σ'", "sigma_prime"),
    ("σ′", "sigma_prime"),
    ("tanh'", "tanh_prime"),
    ("tanh′", "tanh_prime"),
    ("relu'", "relu_prime"),
    ("ReLU'", "relu_prime"),
    ("ReLU", "relu"),
    ("σ", "sigma"),
    ("∘", "*"),
    ("⊙", "*"),
    ("·", "*"),
    ("×", "*"),
    ("ᵀ", ".T"),
    ("−", "-"),
    ("𝟙", "1"),
)
_FUNCS = {
    "sigma": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "sigma_prime": "sigmoid'",
    "sigmoid_prime": "sigmoid'",
    "dsigma": "sigmoid'",
    "tanh_prime": "tanh'",
    "dtanh": "tanh'",
    "relu_prime": "relu'",
}


def _is_matrix(v) -> bool:
    return getattr(v, "is_Matrix", False)


def _ones_like(v):
    return OneMatrix(v.shape[0], v.shape[1])


class _Parser:
    """Walks the AST of a candidate string, building a SymPy matrix expression."""

    def __init__(self, table: dict[str, MatrixSymbol], n: sp.Expr) -> None:
        self.table = table
        self.n = n

    def parse(self, text: str) -> MatrixExpr:
        for a, b in _UNICODE:
            text = text.replace(a, b)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise CandidateError(f"candidate does not parse: {exc.msg} in {text!r}") from None
        return self.visit(tree.body)

    def visit(self, node):
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            op = type(node.op)
            if op is ast.Add:
                return self.add(a, b)
            if op is ast.Sub:
                return self.add(a, self.neg(b))
            if op is ast.Mult:
                return self.mul(a, b)
            if op is ast.MatMult:
                return self.matmul(a, b)
            if op is ast.Pow:
                return self.pow(a, b)
            raise CandidateError(f"operator {type(node.op).__name__} is not allowed in a candidate")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            return self.neg(v) if isinstance(node.op, ast.USub) else v
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return sp.nsimplify(node.value)
        if isinstance(node, ast.Name):
            if node.id == "I":
                return Identity(self.n)
            if node.id not in self.table:
                known = ", ".join(sorted(self.table)) + ", I"
                raise CandidateError(f"unknown symbol {node.id!r} in candidate; known: {known}")
            return self.table[node.id]
        if isinstance(node, ast.Attribute) and node.attr == "T":
            v = self.visit(node.value)
            if not _is_matrix(v):
                raise CandidateError("'.T' applies to a matrix or vector, not a number")
            return Transpose(v)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            args = [self.visit(a) for a in node.args]
            if name == "diag" and len(args) == 1:
                v = args[0]
                if not _is_matrix(v) or v.shape[1] != 1:
                    raise CandidateError("diag(v) needs a column vector v")
                return Diag(v)
            if name == "hadamard" and len(args) == 2:
                return self.hadamard(*args)
            if name in _FUNCS and len(args) == 1:
                v = args[0]
                if not _is_matrix(v) or v.shape[1] != 1:
                    raise CandidateError(f"{name}(·) applies elementwise to a column vector")
                return Apply(_FUNCS[name], v)
            allowed = ", ".join(["diag", "hadamard", *_FUNCS])
            raise CandidateError(
                f"unknown function {name!r} (or wrong arguments); allowed: {allowed}"
            )
        raise CandidateError(f"{type(node).__name__} is not allowed in a candidate")

    # -- operations with shape rules ------------------------------------------------------------------

    def neg(self, v):
        return MatMul(-1, v) if _is_matrix(v) else -v

    def add(self, a, b):
        if _is_matrix(a) and _is_matrix(b):
            if a.shape != b.shape:
                raise CandidateError(f"cannot add shapes {a.shape} and {b.shape}")
            return MatAdd(a, b)
        if _is_matrix(a) or _is_matrix(b):
            s, m = (b, a) if _is_matrix(a) else (a, b)
            if m.shape[1] != 1:
                raise CandidateError(
                    f"a number plus a matrix of shape {m.shape} is ambiguous; write s*I"
                )
            return MatAdd(MatMul(s, _ones_like(m)) if s != 1 else _ones_like(m), m)
        return a + b

    def hadamard(self, a, b):
        if not (_is_matrix(a) and _is_matrix(b)) or a.shape != b.shape:
            raise CandidateError("hadamard(a, b) needs two matrices of the same shape")
        return HadamardProduct(a, b)

    def mul(self, a, b):
        if not _is_matrix(a) or not _is_matrix(b):
            return MatMul(a, b) if (_is_matrix(a) or _is_matrix(b)) else a * b
        if a.shape[1] == b.shape[0] and not (a.shape[1] == 1 and b.shape[1] == 1):
            return MatMul(a, b)
        if a.shape == b.shape:
            return HadamardProduct(a, b)
        raise CandidateError(f"cannot multiply shapes {a.shape} and {b.shape}")

    def matmul(self, a, b):
        if not (_is_matrix(a) and _is_matrix(b)):
            raise CandidateError("'@' needs two matrices")
        if a.shape[1] != b.shape[0]:
            raise CandidateError(f"cannot multiply shapes {a.shape} @ {b.shape}")
        return MatMul(a, b)

    def pow(self, a, k):
        if not _is_matrix(a):
            return a**k
        if a.shape[1] != 1 or not (isinstance(k, sp.Integer) and k >= 1):
            raise CandidateError(
                "'**' is allowed on column vectors with a positive integer power (v**2 = v∘v)"
            )
        return HadamardProduct(*([a] * int(k))) if k > 1 else a


def parse_candidate(text: str, cell: str | Cell, variant: str | None = None) -> MatrixExpr:
    """A candidate string as a SymPy matrix expression in the cell's symbols."""
    c = get_cell(cell, variant) if isinstance(cell, str) else cell
    n = c.symbol(c.outputs[0]).shape[0] if c.outputs else next(iter(c.vectors.values())).shape[0]
    return _Parser(symbols(c), n).parse(text)


def _rename(expr: MatrixExpr, table: dict[str, MatrixSymbol]) -> MatrixExpr:
    """Replace every MatrixSymbol by the cell's symbol of the same name (unknown: error)."""
    subs = {}
    for s in expr.atoms(MatrixSymbol):
        if s.name not in table:
            known = ", ".join(sorted(table))
            raise CandidateError(f"unknown symbol {s.name!r} in candidate; known: {known}")
        subs[s] = table[s.name]
    return expr.xreplace(subs)


# -- the check ----------------------------------------------------------------------------------------------


def _shape(jac, n: int, d: int) -> tuple[int, int]:
    sub = {
        sp.Symbol("n", integer=True, positive=True): n,
        sp.Symbol("d", integer=True, positive=True): d,
    }
    return tuple(int(sp.sympify(s).subs(sub)) for s in jac.shape)


def _state_of(cell: Cell, inst: dict) -> Any:
    state = tuple(inst["leaves"][s][None] for s in cell.state)
    return state[0] if len(state) == 1 else (state or None)


def _compare(cand: np.ndarray, true: np.ndarray) -> tuple[float, list]:
    scale = max(1.0, float(np.abs(true).max(initial=0.0)))
    diff = np.abs(cand - true) / scale
    if not np.all(np.isfinite(cand)):
        diff = np.where(np.isfinite(cand), diff, np.inf)
    bad = np.argwhere(diff > TOLERANCE)
    entries = [(int(i), int(j), float(cand[i, j]), float(true[i, j])) for i, j in bad]
    return float(diff.max(initial=0.0)), entries


def check_jacobian(
    cell: str | Cell,
    candidate: Any,
    of: str = "h",
    wrt: str = "h_prev",
    variant: str | None = None,
    *,
    n: int = 3,
    d: int = 2,
    trials: int = 5,
    seed: int = 0,
) -> Verdict:
    """Is ``candidate`` the Jacobian ∂``of``/∂``wrt`` of ``cell`` (numerator layout)?

    Returns a :class:`Verdict`. Raises CandidateError for a candidate that cannot be judged
    and UnknownNameError for an unknown cell, variant or vector.
    """
    for name, v in (("n", n), ("d", d), ("trials", trials)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise InvalidValueError(f"{name} must be a positive integer, got {v!r}")
    jac = jacobian(cell, of=of, wrt=wrt, variant=variant)
    c = jac.cell
    table = symbols(c)
    rows, cols = _shape(jac, n, d)
    block = f"∂{of}/∂{wrt}"
    label = f"{c.name} ({c.variant})"

    symbolic: bool | None = None
    residual = None
    if isinstance(candidate, str):
        candidate = parse_candidate(candidate, c)
    if isinstance(candidate, sp.Basic):
        if not _is_matrix(candidate):
            raise CandidateError(
                f"candidate must be a matrix expression, got {sp.sstr(candidate)!r}"
            )
        candidate = _rename(candidate, table)
        if any(sp.expand(a - b) != 0 for a, b in zip(candidate.shape, jac.shape)):
            raise CandidateError(
                f"candidate has shape {candidate.shape}, but {block} of {label} has shape {jac.shape}"
            )
        try:
            proof = prove_at(candidate, c, of, wrt, min(n, 3), min(d, 3))
        except (TypeError, KeyError, ValueError) as exc:
            raise CandidateError(f"candidate cannot be expanded: {exc}") from None
        symbolic = proof.holds
        if not proof.holds and proof.entry is not None:
            residual = {"entry": list(proof.entry), "difference": sp.sstr(proof.residual)}
        expr = candidate

        def value(inst):
            return evaluate(expr, environment(c, inst), n, d)
    elif callable(candidate):
        fn: Callable = candidate

        def value(inst):
            try:
                out = fn(inst["params"], inst["leaves"]["x"][None], _state_of(c, inst))
            except Exception as exc:
                raise CandidateError(
                    f"candidate function raised {type(exc).__name__}: {exc}"
                ) from exc
            try:
                out = np.asarray(out, dtype=float)
            except (TypeError, ValueError) as exc:
                raise CandidateError(
                    f"candidate function returned {type(out).__name__}, not an array"
                ) from exc
            if out.ndim == 3 and out.shape[0] == 1:
                out = out[0]
            if out.shape != (rows, cols):
                raise CandidateError(
                    f"candidate function returned shape {out.shape}, expected ({rows}, {cols}) "
                    f"or (1, {rows}, {cols}) for {block} at n = {n}, d = {d}"
                )
            return out
    else:
        raise CandidateError(
            f"candidate must be a SymPy expression, a string or a function, got {type(candidate).__name__}"
        )

    rng = np.random.default_rng(seed)
    worst, witness = 0.0, None
    for _ in range(trials):
        inst = random_instance(c, n, d, rng)
        true = lambdified(jac, inst)
        with np.errstate(all="ignore"):
            cand = value(inst)
        err, entries = _compare(cand, true)
        if entries and (witness is None or err > witness["max_error"]):
            witness = {
                "weights": inst["params"],
                "input": inst["leaves"].get("x"),
                "state": {s: inst["leaves"][s] for s in c.state},
                "candidate": cand,
                "expected": true,
                "entries": entries,
                "max_error": err,
            }
        worst = max(worst, err)

    if symbolic is None:
        holds = witness is None
        detail = "" if holds else "the candidate differs from the Jacobian on random weights"
    elif symbolic:
        holds = witness is None
        detail = f"identical to SymPy's Jacobian of the equations at n = {min(n, 3)}"
        if not holds:  # should not happen: symbolic identity but numeric disagreement
            detail += ", yet it differs numerically"
    else:
        holds = False
        detail = f"differs from SymPy's Jacobian of the equations at n = {min(n, 3)}"
        if residual:
            detail += f", first at entry {tuple(residual['entry'])}"
    return Verdict(holds, worst, witness, symbolic, detail, label, block, trials, residual)
