"""Proofs that a compact Jacobian is right.

At fixed sizes: the compact form expanded entry by entry equals SymPy's explicit Jacobian
*identically* — the difference is the zero matrix. Each entry of the difference is decided
by the cheapest of three exact tests (``simplify``, slow and heuristic, is never needed):

1. every function application (σ(·), tanh(·), ReLU(·), …) replaced by a fresh symbol, the
   difference is a polynomial, and ``expand`` decides it — enough when both sides are
   written with the same arguments (σ' as σ(1 − σ), tanh' as 1 − tanh²); 1b. the same
   with exp kept, which SymPy multiplies out (exp(a)·exp(b) = exp(a + b));
2. the same after :func:`canonical_arguments` — every argument expanded (so that
   r∘(W h + b) and r∘W h + r∘b, or (1 − u)∘h + u∘h and h, meet), tanh written as
   2σ(2a) − 1 and σ(−a) as 1 − σ(a): σ(z)σ(−z) = σ(z)(1 − σ(z)) and 4σ(2z)σ(−2z) =
   1 − tanh²(z) are then polynomial identities;
3a. σ's of one argument at several scales (σ(z) and σ(2z)) written through one
   E = exp(z/L), every other σ independent (:func:`_zero_by_families`);
3. :func:`exp_rational_form` — σ and tanh written through exp, each exp(a) a monomial in
   fresh symbols E_k = exp(a_k/L) of independent atoms a_k (the monomials of a polynomial
   argument; a non-polynomial argument is one atom), and the difference a rational function
   whose numerator, expanded, is 0 (``expand(together(·))``). This covers tanh(z) =
   2σ(2z) − 1, σ(z)σ(−z) = σ'(z) and every other identity of σ and tanh through exp.

A test that finds 0 proves the entry is 0. A nonzero remainder is not yet a proof of a
difference (two atoms could still be dependent): :func:`exact_value` evaluates an entry at a
point with guaranteed digits (``evalf(strict=True)``), and a nonzero value there is.

For every n: index-notation statements, ∂h_i/∂h_j = σ'(z_i) W_ij, derived by SymPy from
h_i = σ(Σ_k W_ik h_k + Σ_k U_ik x_k + b_i) with n = j + 1 + p, p ≥ 0 (so that j < n is
known without a Piecewise).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import reduce

import sympy as sp
from sympy.core.evalf import PrecisionExhausted
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.elementwise import get_activation
from gradsym.lang.functions import relu, relu_prime, sigmoid

from .equations import CellEquations
from .explicit import expand_compact, explicit_jacobian, sizes_for


@dataclass(frozen=True)
class ProofResult:
    """Outcome of compact = explicit at one size: ``holds``, and a witness if not."""

    holds: bool
    n: int
    d: int
    entry: tuple[int, int] | None = None
    residual: sp.Expr | None = None

    def __bool__(self) -> bool:
        return self.holds


def _zero_as_polynomial(e: sp.Expr) -> bool:
    """Test 1: 0 once each function application is an opaque symbol."""
    if e == 0:
        return True
    funcs = sorted(e.atoms(sp.Function), key=sp.default_sort_key)
    # xreplace works top-down, so an outer application is replaced as a whole.
    dummies = {f: sp.Dummy() for f in funcs}
    return sp.expand(e.xreplace(dummies)) == 0


def _zero_with_exponentials(e: sp.Expr) -> bool:
    """Test 1b: 0 once each function application but exp is an opaque symbol, exp kept:
    SymPy multiplies exp(a)·exp(b) into exp(a + b) as it expands, so that the identities
    of the exponential gates (e^{−A} e^{A} = 1 in a zero-order hold, e^{ĩ − m} e^{m}) are
    polynomial ones."""
    if not e.has(sp.exp):
        return False
    funcs = sorted(
        (f for f in e.atoms(sp.Function) if not isinstance(f, sp.exp)), key=sp.default_sort_key
    )
    return sp.expand(e.xreplace({f: sp.Dummy() for f in funcs})) == 0


def canonical_arguments(e: sp.Expr) -> sp.Expr:
    """``e`` with every function argument expanded, innermost first, tanh written through
    σ (tanh(a) = 2σ(2a) − 1) and σ(−a) written 1 − σ(a): an exact rewriting after which
    σ(z)σ(−z), σ(z)(1 − σ(z)), 4σ(2z)σ(−2z) + tanh(z)² − 1 and the like meet as polynomials
    in the same σ(·)'s."""
    memo: dict[sp.Basic, sp.Basic] = {}

    def walk(x: sp.Basic) -> sp.Basic:
        if x.is_Atom or not x.args:
            return x
        if x in memo:
            return memo[x]
        args = [walk(a) for a in x.args]
        if isinstance(x, sp.Function):
            args = [sp.expand(a) for a in args]
            if isinstance(x, sp.tanh):
                out = 2 * _sigma(2 * args[0]) - 1
            elif isinstance(x, sigmoid):
                out = _sigma(args[0])
            else:
                out = x.func(*args)
        else:
            out = x.func(*args)
        memo[x] = out
        return out

    return walk(e)


def _sigma(a: sp.Expr) -> sp.Expr:
    a = sp.expand(a)
    return 1 - sigmoid(-a) if a.could_extract_minus_sign() else sigmoid(a)


def through_exp(e: sp.Expr) -> sp.Expr:
    """σ(a) = 1/(1 + exp(−a)) and tanh(a) = 1 − 2/(exp(2a) + 1), innermost first."""
    e = e.replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a)))
    return e.replace(sp.tanh, lambda a: 1 - 2 / (sp.exp(2 * a) + 1))


def _exponent_atoms(arg: sp.Expr) -> list[tuple[sp.Expr, sp.Rational]] | None:
    """arg = Σ c_k a_k with rational c_k and atoms a_k: the monomials of a polynomial
    argument, or the whole (normalised) rational function. None if no such split."""
    num, den = sp.fraction(sp.cancel(sp.together(arg)))
    if den.is_number:
        out = []
        for term in sp.Add.make_args(sp.expand(num / den)):
            c, mono = term.as_coeff_Mul(rational=True)
            if mono.has(sp.I):
                return None
            # a constant term is a constant factor exp(c), however irrational c is
            out.append((sp.S.One, c * mono) if mono.is_number else (mono, c))
        return out
    gens = sorted(arg.free_symbols, key=sp.default_sort_key)
    try:
        p, q = sp.Poly(num, *gens), sp.Poly(den, *gens)
    except sp.PolynomialError:
        return None
    lq = q.LC()
    p, q = p.quo_ground(lq), q.quo_ground(lq)
    lp = p.LC()
    if not (sp.sympify(lq, strict=True).is_Rational and sp.sympify(lp, strict=True).is_Rational):
        return None
    return [((p.quo_ground(lp)).as_expr() / q.as_expr(), sp.Rational(lp))]


def exp_rational_form(e: sp.Expr) -> sp.Expr | None:
    """``e`` (σ and tanh already through exp) as a rational function of its symbols and
    fresh symbols E_k = exp(a_k/L_k), innermost exps first; None where the exponents do
    not split into rational multiples of atoms."""
    chosen: dict[sp.Expr, tuple[sp.Symbol, int]] = {}
    while True:
        inner = [x for x in e.atoms(sp.exp) if not x.args[0].has(sp.exp)]
        if not inner:
            return e
        split = {}
        for x in inner:
            atoms = _exponent_atoms(x.args[0])
            if atoms is None:
                return None
            split[x] = atoms
        for atoms in split.values():
            for atom, c in atoms:
                if atom == 1:
                    continue
                if atom not in chosen:
                    dens = [c2.q for atoms2 in split.values() for a2, c2 in atoms2 if a2 == atom]
                    chosen[atom] = (sp.Dummy("E"), reduce(sp.ilcm, dens, 1))
                elif chosen[atom][1] % c.q:
                    return None
        mapping = {}
        for x, atoms in split.items():
            value = sp.S.One
            for atom, c in atoms:
                if atom == 1:
                    value *= sp.exp(c)
                else:
                    sym, L = chosen[atom]
                    value *= sym ** int(c * L)
            mapping[x] = value
        e = e.xreplace(mapping)


def _zero_by_families(e: sp.Expr) -> bool:
    """Test 3a, the cheap case of test 3: ``e`` (after :func:`canonical_arguments`, so a
    polynomial in σ(·)'s) where only σ's of one argument at several scales are related —
    σ(2z) and σ(z). Such a family is written through one E = exp(a/L) (σ(c·a) =
    1/(1 + E^(−cL))); every other application stays an independent symbol."""
    families: dict[sp.Expr, list[tuple[sp.Rational, sp.Basic]]] = {}
    for app in e.atoms(sigmoid):
        c, base = sp.expand(app.args[0]).as_content_primitive()
        families.setdefault(base, []).append((c, app))
    mapping: dict[sp.Basic, sp.Expr] = {}
    for members in families.values():
        if len({c for c, _ in members}) < 2 or not all(c.is_Rational for c, _ in members):
            continue
        E, L = sp.Dummy("E"), reduce(sp.ilcm, [c.q for c, _ in members], 1)
        for c, app in members:
            mapping[app] = 1 / (1 + E ** int(-c * L))
    if not mapping:
        return False
    form = e.xreplace(mapping)
    funcs = sorted(form.atoms(sp.Function), key=sp.default_sort_key)
    form = form.xreplace({f: sp.Dummy() for f in funcs})
    numerator, _ = sp.fraction(sp.together(form))
    return sp.expand(numerator) == 0


def _zero_through_exp(e: sp.Expr) -> bool:
    """Test 3: σ and tanh through exp, a rational function whose numerator expands to 0."""
    form = exp_rational_form(through_exp(e))
    if form is None:
        return False
    funcs = sorted(form.atoms(sp.Function) - form.atoms(sp.exp), key=sp.default_sort_key)
    form = form.xreplace({f: sp.Dummy() for f in funcs})
    numerator, _ = sp.fraction(sp.together(form))
    return sp.expand(numerator) == 0


def evaluable(e: sp.Expr) -> sp.Expr:
    """``e`` with the opaque functions written as SymPy can evaluate them, each by its own
    rewriting (:mod:`gradsym.lang.functions`): σ through exp, ReLU as Max, ReLU' as the
    Heaviside step with H(0) = 0 (ReLU'(0) = 0, the function table's value on every side)."""
    e = e.replace(sigmoid, lambda a: sigmoid(a).rewrite(sp.exp))
    e = e.replace(relu, lambda a: relu(a).rewrite(sp.Max))
    return e.replace(relu_prime, lambda a: relu_prime(a).rewrite(sp.Heaviside))


def exact_value(
    e: sp.Expr, point: dict[sp.Symbol, sp.Rational], digits: int = 40
) -> sp.Float | None:
    """e at ``point`` with ``digits`` guaranteed significant digits, or None when SymPy
    cannot separate it from 0 (then it is 0 or closer to it than the working precision)."""
    try:
        # xreplace first: evalf(subs=…) is two orders of magnitude slower on these trees
        value = evaluable(e).xreplace(point).evalf(digits, strict=True)
    except PrecisionExhausted:
        return None
    if not value.is_Number:
        return None
    return value


def fixed_point(e: sp.Expr) -> dict[sp.Symbol, sp.Rational]:
    """A deterministic point, different for every symbol (by its name), in (−1, 1)."""
    out = {}
    for s in e.free_symbols:
        k = zlib.crc32(s.name.encode())
        out[s] = sp.Rational(k % 1999 - 999, 1013)
    return out


def is_identically_zero(e: sp.Expr) -> bool:
    """Whether a scalar expression built from σ, tanh, ReLU, … is identically 0.

    True is a proof. False means no proof was found: the expression is nonzero at a point,
    or the three tests above could not decide it.
    """
    if _zero_as_polynomial(e) or _zero_with_exponentials(e):
        return True
    e = canonical_arguments(e)
    if _zero_as_polynomial(e):
        return True
    if _zero_by_families(e):
        return True
    if exact_value(e, fixed_point(e), 15) is not None:
        return False  # nonzero at a point, with guaranteed digits
    return _zero_through_exp(e)


@dataclass(frozen=True)
class EntryDecision:
    """One entry of candidate − truth: "zero" (proved), "nonzero" (at ``point``, with the
    exact values there) or "unknown" (no proof either way)."""

    status: str
    point: int | None = None
    difference: sp.Float | None = None
    candidate: sp.Float | None = None
    expected: sp.Float | None = None


def decide_entry(
    candidate: sp.Expr, expected: sp.Expr, points: list[dict[sp.Symbol, sp.Rational]]
) -> EntryDecision:
    """Is candidate − expected identically 0? Tests 1, 2 and 3a, then the exact value at the
    first two of ``points`` (a nonzero value is a counterexample), then test 3."""
    diff = candidate - expected
    if _zero_as_polynomial(diff) or _zero_with_exponentials(diff):
        return EntryDecision("zero")
    diff = canonical_arguments(diff)
    if _zero_as_polynomial(diff) or _zero_by_families(diff):
        return EntryDecision("zero")
    # A nonzero rational function of the entries is nonzero at a random point (with
    # probability 1): two points, because telling 0 apart costs SymPy most of its time.
    for k, point in enumerate(points[:2]):
        value = exact_value(diff, point)
        if value is not None and value != 0:
            values = [evaluable(x).xreplace(point).evalf(50) for x in (candidate, expected)]
            return EntryDecision("nonzero", k, value, *values)
    if _zero_through_exp(diff):
        return EntryDecision("zero")
    return EntryDecision("unknown")


def prove_at(
    expr: MatrixExpr, cell: CellEquations, of: str, wrt: str, n: int, d: int | None = None
) -> ProofResult:
    """compact = explicit at hidden size n, input size d (default n): a ProofResult."""
    sizes = sizes_for(n, d)
    dd = int(list(sizes.values())[1])
    compact = expand_compact(expr, cell, wrt, n, dd)
    explicit = explicit_jacobian(cell, of, wrt, n, dd)
    if compact.shape != explicit.shape:
        return ProofResult(
            False, n, dd, None, sp.Symbol(f"shape {compact.shape} != {explicit.shape}")
        )
    for i in range(explicit.rows):
        for j in range(explicit.cols):
            diff = compact[i, j] - explicit[i, j]
            if not is_identically_zero(diff):
                return ProofResult(False, n, dd, (i, j), diff)
    return ProofResult(True, n, dd)


def rnn_index_form(name: str = "tanh") -> tuple[sp.Expr, sp.Expr, bool]:
    """∂h_i/∂h_j for the RNN with activation ``name``, for every n, in index notation.

    Returns (derived, expected, holds): derived from h_i = σ(z_i),
    z_i = Σ_k W_h[i,k] h_k + Σ_k W_x[i,k] x_k + b_i, expected σ'(z_i) W_h[i,j].
    """
    act = get_activation(name)
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    dd = sp.Symbol("d", integer=True, positive=True)
    nn = j + 1 + p  # any n > j
    W_h, W_x, b = sp.IndexedBase("W_h"), sp.IndexedBase("W_x"), sp.IndexedBase("b")
    h, x = sp.IndexedBase("h"), sp.IndexedBase("x")
    z_i = sp.Sum(W_h[i, k] * h[k], (k, 0, nn - 1)) + sp.Sum(W_x[i, k] * x[k], (k, 0, dd - 1)) + b[i]
    derived = sp.diff(act.scalar(z_i), h[j]).doit()
    expected = act.scalar_prime(z_i) * W_h[i, j]
    holds = sp.expand(derived - expected) == 0
    return derived, expected, holds


def lstm_cell_path_index_form() -> tuple[sp.Expr, sp.Expr, bool]:
    """∂c_i/∂c^{(t-1)}_j = f_i δ_ij for every n (the direct cell path, notes 004)."""
    i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    nn = j + 1 + p
    W_f, W_i, W_c = sp.IndexedBase("W_f"), sp.IndexedBase("W_i"), sp.IndexedBase("W_c")
    h, c_prev = sp.IndexedBase("h"), sp.IndexedBase("c_prev")
    f_i = sigmoid(sp.Sum(W_f[i, k] * h[k], (k, 0, nn - 1)))
    in_i = sigmoid(sp.Sum(W_i[i, k] * h[k], (k, 0, nn - 1)))
    ct_i = sp.tanh(sp.Sum(W_c[i, k] * h[k], (k, 0, nn - 1)))
    c_i = f_i * c_prev[i] + in_i * ct_i
    derived = sp.diff(c_i, c_prev[j])
    expected = f_i * sp.KroneckerDelta(i, j)
    return derived, expected, sp.expand(derived - expected) == 0
