"""Is a candidate equal to a truth for every n and d? Equal normal forms, or a size and a
point where they differ, found and shown exactly.

:func:`decide` compares two grids (:mod:`.build`) of the same layout:

1. **Equal normal forms**: equal for every n and d (each rewriting behind the form is an
   identity at every size). Outcome "equal".
2. **Different forms, σ's of related arguments**: if the σ's of the difference have
   arguments that are rational combinations of one another (σ(z) and σ(2z); σ(a), σ(b)
   and σ(a + b)), the difference is written through exponentials of a basis of those
   arguments, E_b = exp(b/L), as a rational function of the E's at each index, and
   tested for 0 term class by term class (:func:`exp_identity`). Zero: "equal".
3. **A counterexample**: the difference D = candidate − truth is evaluated at sizes in the
   order of n + d, then n — (1, 1), (1, 2), (2, 1), (1, 3), … — up to n + d = N_n + N_d
   for the bound its form gives (:func:`size_bound`; a size D does not involve stays at
   1, :func:`depends`), at seeded random rational points (first ±1, ±2 — or ±1/2,
   ±1 when σ is about, so that it is not saturated — then fractions k/97), exactly
   (rational arithmetic) when D has no σ and in interval arithmetic (200 bits) otherwise.
   The first entry proved nonzero is the counterexample: outcome "different", with the
   size, the point, and the sizes before it at which D is proved 0 exactly (written out
   at that size, :func:`zero_at`).
4. Otherwise "undecided": the sizes and points tried, and the sizes at which D is 0.

Why a difference shows at a bounded size (``docs/every-size.md``): a nonzero form has a
term with the most distinct indices; at sizes with room for all of them distinct, and
where its coefficient c(n, d) ≠ 0, no other term can cancel its monomials. So the
bound is, over the terms, max(1, number of n-indices) + degree of c in n (and the same
for d).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym

from . import atoms as A
from . import poly as P
from . import tensor as T
from . import values as V
from .build import Grid, parts

MAX_SIZE = 8  # the search stops at n, d = 8
MAX_EXP_TERMS = 300  # larger differences are not written through exp (SymPy's together)
POINTS = 3  # points per size: whole numbers ±1, ±2 (or halves), then two of fractions k/97
DENOMINATOR = 97


@dataclass
class Counterexample:
    """Where a difference shows: sizes, the point (name → full matrix of rationals), the
    entry (row, column of the whole block) and the difference there — an exact rational
    (``exact``) or an interval that excludes 0 — with the candidate's and the truth's
    value of that entry (exact or intervals) and both whole matrices in float64."""

    n: int
    d: int
    point: dict[str, np.ndarray]
    entry: tuple[int, int]
    difference: object
    candidate_entry: object
    expected_entry: object
    candidate: np.ndarray
    expected: np.ndarray
    exact: bool

    def freeze(self) -> None:
        """Intervals as their endpoints (picklable, for another process)."""
        self.difference = V.frozen(self.difference)
        self.candidate_entry = V.frozen(self.candidate_entry)
        self.expected_entry = V.frozen(self.expected_entry)


@dataclass
class Outcome:
    """``status``: "equal" (for every n and d), "different" (``counterexample``) or
    "undecided"; ``how`` says which step decided; ``zero_at`` the sizes at which the
    difference was proved 0 exactly, of ``proof_tried`` (the sizes at which a proof was
    attempted); ``tried`` the sizes searched with ``points`` points each; ``bound`` the
    sizes the search had to reach; ``reason`` for undecided."""

    status: str
    how: str = ""
    counterexample: Counterexample | None = None
    zero_at: list[tuple[int, int]] = field(default_factory=list)
    tried: list[tuple[int, int]] = field(default_factory=list)
    points: int = 0
    bound: tuple[int, int] | None = None
    reason: str = ""
    exact_forms: bool = True
    depends: tuple[bool, bool] = (True, True)  # whether the difference involves n, d
    proof_tried: list[tuple[int, int]] = field(default_factory=list)


def size_bound(g: Grid) -> tuple[int, int]:
    """(N_n, N_d): a nonzero form is nonzero at some n ≤ N_n, d ≤ N_d."""
    nn = dd = 1
    for b in g.blocks.values():
        for key, coef in b.terms.items():
            c = T.counts(key, b.free)
            dn, ddg = P.degrees(coef)
            nn = max(nn, max(1, c["n"]) + dn)
            dd = max(dd, max(1, c["d"]) + ddg)
    return nn, dd


def depends(g: Grid) -> tuple[bool, bool]:
    """(on n, on d): whether an index or a coefficient of the form involves the size.
    A form that does not involve d is written out alike at every d (its atoms, functions
    of vectors that may have d entries inside, are variables either way), so a proof at
    d = 1 is a proof at every d; the same for n."""
    on = {"n": False, "d": False}
    for b in g.blocks.values():
        for kind in b.free:
            if kind in on:
                on[kind] = True
        for (dtypes, _, _), coef in b.terms.items():
            for kind in dtypes:
                on[kind] = True
            dn, dd = P.degrees(coef)
            on["n"] |= dn > 0
            on["d"] |= dd > 0
    return on["n"], on["d"]


def sizes_in_order(
    bound: tuple[int, int], on: tuple[bool, bool] = (True, True), cap: int = MAX_SIZE
) -> list[tuple[int, int]]:
    """The sizes searched, in the order of n + d, then n: every size with n + d ≤ N_n + N_d
    (so that the first size found is the smallest in that order), n and d at most ``cap``;
    a size the form does not involve stays at 1."""
    nn, dd = min(bound[0], cap), min(bound[1], cap)
    if not on[1]:
        return [(n, 1) for n in range(1, nn + 1)]
    if not on[0]:
        return [(1, d) for d in range(1, dd + 1)]
    top = bound[0] + bound[1]
    return sorted(
        ((n, d) for n in range(1, cap + 1) for d in range(1, cap + 1) if n + d <= top),
        key=lambda s: (sum(s), s[0]),
    )


def random_point(
    symbols, n: int, d: int, rng: np.random.Generator, k: int, halves: bool = False
) -> dict:
    """Full matrices of rationals for the named matrices: point k = 0 whole numbers ±1, ±2
    (``halves``: ±1/2, ±1, so that σ and tanh are not saturated), later points fractions
    j/97, 0 < |j| ≤ 194."""
    out = {}
    for sym in symbols:
        rows = sum(V.size_of(x, n, d) for x in parts(sym.shape[0]))
        cols = sum(V.size_of(x, n, d) for x in parts(sym.shape[1]))
        count = rows * cols
        if k == 0:
            raw = rng.integers(1, 3, count) * rng.choice([-1, 1], count)
            vals = [Fraction(int(v), 2 if halves else 1) for v in raw]
        else:
            raw = rng.integers(1, 2 * DENOMINATOR + 1, count) * rng.choice([-1, 1], count)
            vals = [Fraction(int(v), DENOMINATOR) for v in raw]
        arr = np.empty(count, dtype=object)
        arr[:] = vals
        out[sym.name] = arr.reshape(rows) if sym.shape[1] == 1 else arr.reshape(rows, cols)
    return out


MAX_EXPANSION = 1_000_000  # monomials written out by zero_at (under a second)


def zero_at(g: Grid, n: int, d: int) -> bool:
    """Whether the grid is 0 at sizes (n, d): every entry written out as a polynomial in
    the entries of the named matrices and in the values of its functions at each index
    (each an independent variable; the step's H² = H and H(a)·H(−a) = 0 applied), and
    that polynomial 0. True is a proof; False: not 0 as such a polynomial (an identity
    between function values it does not see, or a real difference), or too large.

    The monomials are rows of integers (the variables' numbers, sorted, and the entry),
    collected with ``numpy.unique`` and their integer coefficients (over a common
    denominator) summed."""
    sizes = {"n": n, "d": d, "1": 1}
    work = 0
    for b in g.blocks.values():
        cells = sizes[b.free[0]] * sizes[b.free[1]]
        for dtypes, _, _ in b.terms:
            work += cells * math.prod(sizes[k] for k in dtypes)
    if work > MAX_EXPANSION:
        return False
    numbers: dict = {}  # (factor name, index values) → variable number
    for b in g.blocks.values():
        T.current_limits().check()
        rows, cols = sizes[b.free[0]], sizes[b.free[1]]
        coefs = {key: P.at(coef, n, d) for key, coef in b.terms.items()}
        scale = math.lcm(*(c.denominator for c in coefs.values()))
        monomials, weights = [], []
        for (dtypes, factors, deltas), c in coefs.items():
            grid_ = _assignments(dtypes, rows, cols, bool(deltas), sizes)
            if grid_.shape[0] == 0:
                continue
            ids = _variables(factors, grid_, sizes, numbers)
            if ids is None:  # steps: the rules H² = H, H(a)H(−a) = 0, row by row
                ids, kept = _step_rows(factors, grid_, sizes, numbers)
                grid_ = grid_[kept]
            monomials.append((ids, grid_[:, :2]))
            weights.append((ids.shape[0], int(c * scale)))
        if not monomials:
            continue
        width = max(m.shape[1] for m, _ in monomials)
        rows_ = np.concatenate(
            [
                np.hstack([np.pad(m, ((0, 0), (0, width - m.shape[1])), constant_values=-1), e])
                for m, e in monomials
            ]
        )
        total = sum(count * abs(w) for count, w in weights)
        dtype = np.int64 if total < 2**62 else object  # exact either way
        w = np.concatenate([np.full(count, w, dtype=dtype) for count, w in weights])
        # equal rows are the same monomial: sort them together and sum each run
        order = np.lexsort(rows_.T[::-1])
        rows_, w = rows_[order], w[order]
        starts = np.concatenate([[0], np.flatnonzero(np.any(rows_[1:] != rows_[:-1], axis=1)) + 1])
        if np.any(np.add.reduceat(w, starts) != 0):
            return False
    return True


def _assignments(dtypes, rows: int, cols: int, delta: bool, sizes: dict) -> np.ndarray:
    """Every (i, j, k₁, …) a term's entry sums over: i and j over the block (i = j with
    δ_ij), each dummy over its range, as rows of an integer array."""
    extents = [rows, cols] + [sizes[k] for k in dtypes]
    grid_ = np.indices(extents, dtype=np.int64).reshape(len(extents), -1).T
    if delta:
        grid_ = grid_[grid_[:, 0] == grid_[:, 1]]
    return grid_


def _column(i: int) -> int:
    return {T.ROW: 0, T.COL: 1}.get(i, i + 2)


def _base(numbers: dict, name: str) -> int:
    """The number of a factor name's first variable (each name has room for 10⁹)."""
    return numbers.setdefault(name, len(numbers) * 10**9)


def _variables(factors, grid_: np.ndarray, sizes: dict, numbers: dict) -> np.ndarray | None:
    """The variables of each assignment's monomial (sorted), or None when the term has a
    step factor (whose rules need the rows one by one). A variable is numbered by its
    factor's name and its index values."""
    if any(name in T.IDEMPOTENT for name, _ in factors):
        return None
    width = max(sizes.values()) + 1
    cols = []
    for name, idx in factors:
        code = np.zeros(grid_.shape[0], dtype=np.int64)
        for i in idx:
            code = code * width + grid_[:, _column(i)]
        cols.append(_base(numbers, name) + code)
    if not cols:
        return np.zeros((grid_.shape[0], 0), dtype=np.int64)
    return np.sort(np.stack(cols, axis=1), axis=1)


def _step_rows(factors, grid_: np.ndarray, sizes: dict, numbers: dict) -> tuple:
    """Monomials of a term with steps, row by row: H² = H, and rows with H(a)·H(−a)
    dropped; (variables, the rows kept)."""
    width = max(sizes.values()) + 1
    out, kept = [], []
    for r, row in enumerate(grid_):
        where = {T.ROW: int(row[0]), T.COL: int(row[1])}
        where.update({k: int(v) for k, v in enumerate(row[2:])})
        mono = _monomial(factors, where)
        if mono is None:
            continue
        ids = []
        for name, values in mono:
            code = 0
            for v in values:
                code = code * width + v
            ids.append(_base(numbers, name) + code)
        out.append(sorted(ids))
        kept.append(r)
    size = max((len(m) for m in out), default=0)
    arr = np.full((len(out), size), -1, dtype=np.int64)
    for r, m in enumerate(out):
        arr[r, : len(m)] = m
    return arr, kept


def _monomial(factors, where) -> tuple | None:
    out = []
    for name, idx in factors:
        var = (name, tuple(where[i] for i in idx))
        if name in T.IDEMPOTENT:
            if var in out:
                continue
            partner = T.IDEMPOTENT[name]
            if (partner, var[1]) in out:
                return None
        out.append(var)
    return tuple(sorted(out))


MAX_EXACT_WORK = 2_000  # einsum work of a whole exact evaluation when float64 sees nothing
CONFIRM = 4  # entries confirmed exactly, largest float64 value first
FLOAT_VISIBLE = 1e-9  # float64 sees an entry when it exceeds this times the terms' bound


def _work(g: Grid, n: int, d: int) -> int:
    sizes = {"n": n, "d": d, "1": 1}
    return sum(
        sizes[b.free[0]] * sizes[b.free[1]] * math.prod(sizes[k] for k in key[0])
        for b in g.blocks.values()
        for key in b.terms
    )


def _search_at(
    diff: Grid, truth: Grid, symbols, n: int, d: int, rng, sig: bool
) -> Counterexample | None:
    """A point at sizes (n, d) where diff has an entry proved nonzero, or None: each
    point is looked at in float64 first, and the entries it shows largest are then
    evaluated exactly (intervals with σ); when float64 sees only zeros, the whole
    difference is evaluated exactly if that is cheap."""
    for k in range(POINTS):
        T.current_limits().check()
        point = random_point(symbols, n, d, rng, k, halves=sig or _has_sigmoid(truth))
        leaves = V.symbol_values(symbols, n, d, point)
        arith = V.Intervals() if sig else V.Exact()
        ev = V.Evaluator(n, d, leaves, arith)
        with np.errstate(all="ignore"):
            signed = V.Evaluator(n, d, leaves, V.Floats()).grid(diff)
            approx = np.abs(signed)
            # the same with every factor and coefficient by its absolute value: a bound
            # on the terms, against which float64's round-off is measured
            scale = V.Evaluator(n, d, leaves, V.Floats(absolute=True)).grid(diff)
            visible = approx > FLOAT_VISIBLE * scale
        flat = np.argsort(-np.where(visible, approx, -1.0), axis=None)
        looks = [np.unravel_index(int(f), approx.shape) for f in flat[:CONFIRM]]
        looks = [(int(r), int(c)) for r, c in looks if visible[r, c]]
        if not looks and _work(diff, n, d) <= MAX_EXACT_WORK:
            looks = [(int(r), int(c)) for r, c in np.ndindex(approx.shape)]
        for r, c in looks:
            try:
                x = ev.grid_entry(diff, r, c)
            except V.Ambiguous:
                continue
            if V.nonzero(x, arith):
                return _counterexample(truth, n, d, point, leaves, (r, c), x, signed, not sig)
    return None


def _has_sigmoid(*grids: Grid) -> bool:
    return any(V.has_sigmoid(g) for g in grids)


def _counterexample(truth, n, d, point, leaves, entry, x, diff_floats, exact) -> Counterexample:
    """The counterexample, the candidate's values read as truth + difference (the
    difference is the exact part; the truth's entry is evaluated exactly or in intervals)."""
    both = V.Intervals() if V.has_sigmoid(truth) else V.Exact()
    ev = V.Evaluator(n, d, leaves, both)
    with both.context():
        try:
            t_entry = ev.grid_entry(truth, *entry)
            c_entry = t_entry + (both.number(x) if isinstance(x, Fraction) else x)
        except V.Ambiguous:
            c_entry = t_entry = None
    with np.errstate(all="ignore"):
        expected = V.Evaluator(n, d, leaves, V.Floats()).grid(truth)
    return Counterexample(
        n, d, point, entry, x, c_entry, t_entry, expected + diff_floats, expected, exact
    )


def decide(
    cand: Grid,
    truth: Grid,
    symbols,
    *,
    seed: int = 0,
    seconds: float | None = 10.0,
    prove_smaller: bool = True,
) -> Outcome:
    """Candidate against truth, for every n and d: see the module docstring."""
    t0 = time.perf_counter()
    exact_forms = T.current_limits().exact
    diff = cand.minus(truth)
    if diff.is_zero():
        return Outcome("equal", "the normal forms are equal", exact_forms=exact_forms)
    sig = V.has_sigmoid(diff)
    small = sum(len(b.terms) for b in diff.blocks.values()) <= MAX_EXP_TERMS
    if sig and small and related_sigmoids(diff) and exp_identity(diff):
        return Outcome("equal", "the forms differ by an identity of σ through exp")
    bound = size_bound(diff)
    on = depends(diff)
    order = sizes_in_order(bound, on)
    rng = np.random.default_rng([seed, 2025])
    tried = []
    for n, d in order:
        if seconds is not None and time.perf_counter() - t0 > seconds:
            break
        tried.append((n, d))
        cx = _search_at(diff, truth, symbols, n, d, rng, sig)
        if cx is not None:
            zeros, attempted = [], []
            if prove_smaller:
                for size in tried[:-1]:
                    if seconds is not None and time.perf_counter() - t0 > seconds:
                        break
                    attempted.append(size)
                    if zero_at(diff, *size):
                        zeros.append(size)
            return Outcome(
                "different",
                "a counterexample",
                cx,
                zeros,
                tried,
                POINTS,
                bound,
                exact_forms=exact_forms,
                depends=on,
                proof_tried=attempted,
            )
    zeros, attempted = [], []
    for size in tried[:4]:
        if seconds is not None and time.perf_counter() - t0 > 2 * seconds:
            break
        attempted.append(size)
        if zero_at(diff, *size):
            zeros.append(size)
    capped = bound[0] > MAX_SIZE or bound[1] > MAX_SIZE
    reason = (
        "the normal forms differ, and no point of the search shows a difference"
        + (" (σ's whose arguments are related: an identity the form does not see)" if sig else "")
        + ("; the search stopped at its size limit" if capped else "")
        + ("; the search ran out of time" if len(tried) < len(order) else "")
    )
    return Outcome(
        "undecided",
        "",
        None,
        zeros,
        tried,
        POINTS,
        bound,
        reason,
        exact_forms=exact_forms,
        depends=on,
        proof_tried=attempted,
    )


# -- σ's of related arguments: an identity through exp ---------------------------------------------


def _sigmoid_factors(g: Grid) -> dict[str, A.Atom]:
    out = {}
    for b in g.blocks.values():
        for _, factors, _ in b.terms:
            for name, _ in factors:
                a = A.atom_of(name)
                if a is not None and a.kind == A.SIGMOID:
                    out[name] = a
    return out


def _vector(a: A.Atom) -> dict:
    """The argument scale·base as a sparse vector over (term, monomial)."""
    out = {}
    for key, coef in a.base.terms.items():
        for mono, c in coef.items():
            out[(a.base.free, key, mono)] = c * a.scale
    return out


def _basis(atoms: list[A.Atom]) -> tuple[list[int], dict[int, dict[int, Fraction]]]:
    """Indices of a basis among the arguments, and each argument as a combination of it."""
    rows: list[tuple[object, dict, dict[int, Fraction]]] = []  # (pivot, reduced vector, combo)
    basis: list[int] = []
    combos: dict[int, dict[int, Fraction]] = {}
    for k, a in enumerate(atoms):
        vec = dict(_vector(a))
        combo: dict[int, Fraction] = {k: Fraction(1)}
        for pivot, rvec, rcombo in rows:
            c = vec.get(pivot)
            if c:
                factor = c / rvec[pivot]
                for key, v in rvec.items():
                    s = vec.get(key, 0) - factor * v
                    if s:
                        vec[key] = s
                    else:
                        vec.pop(key, None)
                for key, v in rcombo.items():
                    s = combo.get(key, 0) - factor * v
                    if s:
                        combo[key] = s
                    else:
                        combo.pop(key, None)
        if vec:
            pivot = min(vec, key=repr)
            rows.append((pivot, vec, combo))
            basis.append(k)
            combos[k] = {k: Fraction(1)}
        else:
            # 0 = Σ combo[k'] arg_k' with combo[k] = 1: arg_k = −Σ_{k' ≠ k} combo[k'] arg_k'
            combos[k] = {kk: -v for kk, v in combo.items() if kk != k}
    # express every combination in the basis arguments only (earlier dependents resolved)
    resolved: dict[int, dict[int, Fraction]] = {}
    for k in range(len(atoms)):
        todo = dict(combos[k])
        out: dict[int, Fraction] = {}
        while todo:
            kk, v = todo.popitem()
            if kk in basis:
                out[kk] = out.get(kk, 0) + v
            else:
                for b, w in resolved[kk].items():
                    todo[b] = todo.get(b, 0) + v * w
        resolved[k] = {b: v for b, v in out.items() if v}
    return basis, resolved


def related_sigmoids(g: Grid) -> bool:
    """Whether the arguments of the σ's of the grid are linearly dependent over Q."""
    atoms = list(_sigmoid_factors(g).values())
    basis, _ = _basis(atoms)
    return len(basis) < len(atoms)


def exp_identity(g: Grid) -> bool:
    """Whether the grid is 0 once its σ's are written through exponentials of a basis of
    their arguments (True is a proof; False: not proved).

    Each σ(Σ_b c_b·b) at index k is 1/(1 + Π_b E_{b,k}^(−c_b·L_b)), E_{b,k} = exp(b[k]/L_b);
    the other factors of a term are its skeleton. Terms are grouped by the normal form of
    their skeleton (a dummy that only σ's use keeps a marker), the E's renamed with it; a
    group's coefficients are summed and symmetrised over the renamings that fix its
    skeleton (the sum over the dummies does not see them), and tested for 0 as a
    rational function of the E's and of n, d.
    """
    found = _sigmoid_factors(g)
    names = sorted(found)
    atoms = [found[k] for k in names]
    basis, combos = _basis(atoms)
    lcm = {b: 1 for b in basis}
    for k in range(len(atoms)):
        for b, c in combos[k].items():
            lcm[b] = math.lcm(lcm[b], c.denominator)
    position = {name: k for k, name in enumerate(names)}

    def e_symbol(b: int, label: str) -> sp.Symbol:
        return sp.Symbol(f"E{b}_{label}", positive=True)

    groups: dict = {}
    for (bi, bj), block in g.blocks.items():
        for (dtypes, factors, deltas), coef in block.terms.items():
            T.current_limits().check()
            skeleton, sigmas = [], []
            for f in factors:
                (sigmas if f[0] in found else skeleton).append(f)
            used = {i for _, idx in skeleton for i in idx if i >= 0}
            only_sigma = sorted({i for _, idx in sigmas for i in idx if i >= 0} - used)
            skeleton += [("•", (i,)) for i in only_sigma]
            dummies = sorted(used | set(only_sigma))
            sizes, form, order = T.canonical_order(list(dtypes), skeleton, dummies)
            label = {old: str(new) for new, old in enumerate(order)}
            label.update({T.ROW: "i", T.COL: "j"})
            value = sum(
                (
                    sp.Rational(c.numerator, c.denominator) * n_sym**a * d_sym**b_
                    for (a, b_), c in coef.items()
                ),
                sp.S.Zero,
            )
            for name, idx in sigmas:
                k = position[name]
                lab = label[idx[0]] if idx else "_"
                mono = sp.Mul(*[e_symbol(b, lab) ** int(-c * lcm[b]) for b, c in combos[k].items()])
                value *= 1 / (1 + mono)
            gkey = (bi, bj, block.free, sizes, form, deltas)
            groups[gkey] = groups.get(gkey, sp.S.Zero) + value
    for (_, _, _, sizes, form, _), value in groups.items():
        autos = _automorphisms(sizes, form)
        if autos is None:
            return False
        total = sp.S.Zero
        for perm in autos:
            swap = {}
            for old, new in enumerate(perm):
                for b in basis:
                    swap[e_symbol(b, str(old))] = e_symbol(b, str(new))
            total += value.xreplace(swap)
        numerator, _ = sp.fraction(sp.together(total))
        if sp.expand(numerator) != 0:
            return False
    return True


def _automorphisms(sizes: tuple, form: tuple) -> list[tuple[int, ...]] | None:
    """The renamings of the dummies that leave a canonical skeleton unchanged (None past
    the ordering limit)."""
    m = len(sizes)
    if m == 0:
        return [()]
    groups = [[k for k in range(m) if sizes[k] == kind] for kind in sorted(set(sizes))]
    total = math.prod(math.factorial(len(g)) for g in groups)
    if total > T.MAX_ORDERINGS:
        return None
    out = []
    for combo in itertools.product(*(itertools.permutations(g) for g in groups)):
        perm = [0] * m
        for g, image in zip(groups, combo):
            for old, new in zip(g, image):
                perm[old] = new
        moved = tuple(
            sorted((nm, tuple(perm[i] if i >= 0 else i for i in idx)) for nm, idx in form)
        )
        if moved == form:
            out.append(tuple(perm))
    return out
