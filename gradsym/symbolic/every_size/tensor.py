"""Index terms and their normal form: a block of a matrix expression written entrywise.

A :class:`Tensor` is one block of a matrix expression, entry (i, j), as a sum of terms

    c(n, d) · Σ_{k₁ … k_m} f₁[…] f₂[…] ⋯ · δ_ij

where the free indices i (row) and j (column) and the dummies k range over a size, n or d
(a slot of size 1 has no index at all), each factor is an entry of a named matrix or vector
(W_f[i, k₁], h_prev[k₁]) or of an elementwise function of a vector (σ(z_f)[k₁], see
:mod:`.atoms`), and c is a polynomial in n and d with rational coefficients (:mod:`.poly`).
Every product, transpose, Hadamard product, diag, identity, ones vector, inner product
and trace is such a sum; ``matmul`` contracts the column index of one factor with the row
index of the next through a fresh dummy.

A term is kept in **normal form** (:func:`normalize`):

1. Kronecker deltas are contracted: δ between a dummy and any index substitutes one for
   the other and drops the sum (Σ_k δ_ik a_k = a_i); δ between the two free indices stays,
   and the column index is renamed to the row index in every factor (δ_ij a_j = δ_ij a_i).
2. A dummy that no factor uses is summed out: the coefficient is multiplied by its size
   (Σ_k 1 = n). This is where n and d enter the coefficients: 1ᵀ1 = n, (11ᵀ)² = n·11ᵀ.
3. The dummies are renamed canonically: colour refinement of the index graph (each dummy
   coloured by its size and the factors it sits in, repeatedly), then, among the orderings
   the colours leave open, the one whose sorted factor list is smallest. Two terms that
   differ only in the names of their dummies get the same form.
4. Terms with the same form are collected: their coefficients add as polynomials in n, d.

So two blocks are equal as functions of the entries, for every n and d, when their
normal forms are equal (every step is an identity that holds at every size); the converse,
and the size at which different forms differ, is argued in ``docs/every-size.md``.

Free indices are the negative integers −1 (row) and −2 (column), dummies 0, 1, …; a term
is keyed by (sizes of its dummies, sorted factors, deltas between free indices).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass

from . import poly as P

ROW, COL = -1, -2
MAX_ORDERINGS = 720  # orderings tried by the canonical renaming (6! for one class of six)

Factor = tuple  # (name, indices)
Key = tuple  # (dummy sizes, factors, deltas)


class TooLarge(Exception):
    """The normal form grows past its limit in terms, or its time is up."""


class Unsupported(Exception):
    """A construct outside the fragment the normal form decides (said in the message)."""


@dataclass
class Limits:
    """The budget of one computation: a deadline (perf_counter seconds, None: none) and a
    largest number of terms in one block; ``exact`` turns False when a renaming had to
    give up (too many symmetric dummies): the forms are then still right, but two equal
    blocks may get different forms (never the converse)."""

    deadline: float | None = None
    max_terms: int = 200_000
    exact: bool = True

    def check(self) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise TooLarge("out of time")


_LIMITS = Limits()


@contextmanager
def limits(seconds: float | None = None, max_terms: int = 200_000):
    """Run the block in a budget (seconds None: no deadline); yields the :class:`Limits`."""
    global _LIMITS
    saved = _LIMITS
    _LIMITS = Limits(
        None if seconds is None else time.perf_counter() + seconds, max_terms, exact=True
    )
    try:
        yield _LIMITS
    finally:
        _LIMITS = saved


def current_limits() -> Limits:
    return _LIMITS


# Factors with a rule of their own (filled in by .atoms): an idempotent factor (a step
# function, H² = H) and its partner, whose product with it is 0 (H(a)·H(−a) = 0).
IDEMPOTENT: dict[str, str | None] = {}


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# -- one term ------------------------------------------------------------------------------------


class Raw:
    """A term being assembled from pieces of other terms, before its normal form."""

    __slots__ = ("coef", "deltas", "dtypes", "factors")

    def __init__(self, coef: P.Poly | None = None) -> None:
        self.coef = {(0, 0): P.Fraction(1)} if coef is None else coef
        self.dtypes: list[str] = []
        self.factors: list[Factor] = []
        self.deltas: list[tuple[int, int]] = []

    def dummy(self, kind: str) -> int | None:
        """A fresh dummy of size ``kind``; None for a size-1 slot (no index)."""
        if kind == "1":
            return None
        self.dtypes.append(kind)
        return len(self.dtypes) - 1

    def put(self, key: Key, coef: P.Poly, slots: dict) -> None:
        """Add a term of another block, its free indices sent to ``slots`` (−1 → …)."""
        dtypes, factors, deltas = key
        off = len(self.dtypes)
        self.dtypes.extend(dtypes)

        def m(i: int) -> int:
            return slots[i] if i < 0 else i + off

        self.factors.extend((name, tuple(m(i) for i in idx)) for name, idx in factors)
        self.deltas.extend((m(a), m(b)) for a, b in deltas)
        self.coef = P.mul(self.coef, coef)


def normalize(raw: Raw) -> tuple[Key, P.Poly] | None:
    """The normal form of a term (deltas contracted, unused dummies summed out, dummies
    renamed canonically), with its coefficient; None if the term is 0."""
    if not raw.coef:
        return None
    coef = raw.coef
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in raw.deltas:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # frees (negative) win, then the lowest dummy
    mapping: dict[int, int] = {}
    deltas: set[tuple[int, int]] = set()
    if parent:
        classes: dict[int, list[int]] = {}
        for x in {x for pair in raw.deltas for x in pair}:
            classes.setdefault(find(x), []).append(x)
        for members in classes.values():
            members = sorted(members)
            frees = sorted((m for m in members if m < 0), reverse=True)  # −1 before −2
            rep = frees[0] if frees else members[0]
            for m in members:
                if m != rep:
                    mapping[m] = rep
            for f in frees[1:]:
                deltas.add((rep, f))
    factors = [(name, tuple(mapping.get(i, i) for i in idx)) for name, idx in raw.factors]
    if IDEMPOTENT:
        seen: set = set()
        kept = []
        for f in factors:
            if f[0] in IDEMPOTENT:
                if f in seen:
                    continue  # H(a)² = H(a)
                partner = IDEMPOTENT[f[0]]
                if partner is not None and (partner, f[1]) in seen:
                    return None  # H(a)·H(−a) = 0
                seen.add(f)
            kept.append(f)
        factors = kept
    used = {i for _, idx in factors for i in idx if i >= 0}
    for k, kind in enumerate(raw.dtypes):
        if k not in used and k not in mapping:
            coef = P.times_size(coef, kind)  # Σ_k 1 = n
    dtypes, factors = _canonical(raw.dtypes, factors, sorted(used))
    return (dtypes, factors, tuple(sorted(deltas))), coef


def _colour_of(i: int, colour: dict[int, str]) -> str:
    return colour[i] if i >= 0 else f"F{-i}"


def _canonical(
    dtypes: list[str], factors: list[Factor], dummies: list[int], with_order: bool = False
) -> tuple:
    """(sizes, factors) with the dummies renamed 0, 1, … canonically (and the order of the
    old dummies, with_order)."""
    if not dummies:
        return ((), tuple(sorted(factors)), []) if with_order else ((), tuple(sorted(factors)))
    _LIMITS.check()
    colour = {k: dtypes[k] for k in dummies}
    where: dict[int, list[tuple[int, int]]] = {k: [] for k in dummies}
    for f, (_, idx) in enumerate(factors):
        for p, i in enumerate(idx):
            if i >= 0:
                where[i].append((f, p))
    classes = len(set(colour.values()))
    for _ in range(len(dummies)):
        if classes == len(dummies):
            break
        new = {}
        for k in dummies:
            sig = sorted(
                (
                    factors[f][0],
                    p,
                    tuple("*" if q == p else _colour_of(i, colour) for q, i in enumerate(idx)),
                )
                for f, p in where[k]
                for idx in (factors[f][1],)
            )
            new[k] = colour[k][:1] + digest(colour[k] + repr(sig))
        count = len(set(new.values()))
        colour = new
        if count == classes:
            break
        classes = count
    ordered = sorted(dummies, key=lambda k: (colour[k], k))
    groups = [list(g) for _, g in itertools.groupby(ordered, key=lambda k: colour[k])]
    total = math.prod(math.factorial(len(g)) for g in groups)
    if total > MAX_ORDERINGS:
        _LIMITS.exact = False
        choices = [ordered]
    else:
        choices = (
            [k for g in combo for k in g]
            for combo in itertools.product(*(itertools.permutations(g) for g in groups))
        )
    best, best_order = None, None
    for order in choices:
        label = {old: new for new, old in enumerate(order)}
        form = tuple(sorted((name, tuple(label.get(i, i) for i in idx)) for name, idx in factors))
        if best is None or form < best:
            best, best_order = form, order
    sizes = tuple(colour[k][:1] for k in ordered)
    return (sizes, best, list(best_order)) if with_order else (sizes, best)


def canonical_order(dtypes: list[str], factors: list[Factor], dummies: list[int]) -> tuple:
    """(sizes, factors, order): the canonical form and the dummies in their new order
    (old label of new dummy 0, 1, …), for callers that rename something else with them."""
    return _canonical(dtypes, factors, dummies, with_order=True)


# -- a block: a sum of terms ------------------------------------------------------------------------


class Tensor:
    """One block of a matrix expression, entrywise: ``free`` = (size of the row index,
    size of the column index), each "n", "d" or "1" (no index); ``terms`` maps the normal
    form of each term to its coefficient, a polynomial in n and d."""

    __slots__ = ("_key", "free", "terms")

    def __init__(self, free: tuple[str, str], terms: dict | None = None) -> None:
        self.free = free
        self.terms: dict[Key, P.Poly] = terms if terms is not None else {}
        self._key = None

    def __repr__(self) -> str:
        return f"Tensor({self.free}, {len(self.terms)} terms)"

    def accumulate(self, item: tuple[Key, P.Poly] | None) -> None:
        if item is None:
            return
        key, coef = item
        self._key = None
        old = self.terms.get(key)
        new = coef if old is None else P.add(old, coef)
        if new:
            self.terms[key] = new
            if len(self.terms) > _LIMITS.max_terms:
                raise TooLarge(f"more than {_LIMITS.max_terms} terms")
        else:
            self.terms.pop(key, None)
        _LIMITS.check()

    def key(self) -> tuple:
        """A canonical, hashable form of the whole block."""
        if self._key is None:
            self._key = (self.free, tuple(sorted((k, P.frozen(c)) for k, c in self.terms.items())))
        return self._key

    def digest(self) -> str:
        return digest(repr(self.key()))

    def __eq__(self, other) -> bool:
        return isinstance(other, Tensor) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def is_zero(self) -> bool:
        return not self.terms

    def uses(self, slot: int) -> bool:
        """Whether any term depends on the free index ``slot`` (−1 row, −2 column)."""
        for _, factors, deltas in self.terms:
            if any(slot in idx for _, idx in factors) or any(slot in pair for pair in deltas):
                return True
        return False


def zero(free: tuple[str, str]) -> Tensor:
    return Tensor(free)


def _single(free: tuple[str, str], raw: Raw) -> Tensor:
    out = Tensor(free)
    out.accumulate(normalize(raw))
    return out


def leaf(name: str, rows: str, cols: str) -> Tensor:
    """The entry of a named matrix (or vector, cols "1") block: name[i, j]."""
    raw = Raw()
    idx = tuple(s for s, kind in ((ROW, rows), (COL, cols)) if kind != "1")
    raw.factors.append((name, idx))
    return _single((rows, cols), raw)


def ones(rows: str, cols: str, c=1) -> Tensor:
    """The all-ones block times c (1 in 1 − u, 11ᵀ)."""
    return _single((rows, cols), Raw(P.const(c)))


def identity(kind: str) -> Tensor:
    """δ_ij."""
    raw = Raw()
    if kind != "1":
        raw.deltas.append((ROW, COL))
    return _single((kind, kind), raw)


def add(*blocks: Tensor) -> Tensor:
    out = Tensor(blocks[0].free, dict(blocks[0].terms))
    for b in blocks[1:]:
        if b.free != out.free:
            raise ValueError(f"blocks of sizes {out.free} and {b.free} added")
        for k, c in b.terms.items():
            out.accumulate((k, c))
    return out


def scale(block: Tensor, c) -> Tensor:
    """c·block, c a number or a polynomial in n, d."""
    coef = c if isinstance(c, dict) else P.const(c)
    out = Tensor(block.free)
    for k, v in block.terms.items():
        out.accumulate((k, P.mul(v, coef)))
    return out


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """(AB)[i, j] = Σ_k A[i, k] B[k, j], k a fresh dummy."""
    if a.free[1] != b.free[0]:
        raise ValueError(f"blocks of sizes {a.free} and {b.free} multiplied")
    out = Tensor((a.free[0], b.free[1]))
    for ka, ca in a.terms.items():
        for kb, cb in b.terms.items():
            raw = Raw()
            k = raw.dummy(a.free[1])
            raw.put(ka, ca, {ROW: ROW, COL: k})
            raw.put(kb, cb, {ROW: k, COL: COL})
            out.accumulate(normalize(raw))
    return out


def hadamard(a: Tensor, b: Tensor) -> Tensor:
    """(A∘B)[i, j] = A[i, j] B[i, j]."""
    if a.free != b.free:
        raise ValueError(f"blocks of sizes {a.free} and {b.free} multiplied entrywise")
    out = Tensor(a.free)
    same = {ROW: ROW, COL: COL}
    for ka, ca in a.terms.items():
        for kb, cb in b.terms.items():
            raw = Raw()
            raw.put(ka, ca, same)
            raw.put(kb, cb, same)
            out.accumulate(normalize(raw))
    return out


def transpose(a: Tensor) -> Tensor:
    out = Tensor((a.free[1], a.free[0]))
    for k, c in a.terms.items():
        raw = Raw()
        raw.put(k, c, {ROW: COL, COL: ROW})
        out.accumulate(normalize(raw))
    return out


def diag(v: Tensor) -> Tensor:
    """diag(v)[i, j] = δ_ij v[i]."""
    kind = v.free[0]
    out = Tensor((kind, kind))
    for k, c in v.terms.items():
        raw = Raw()
        raw.put(k, c, {ROW: ROW, COL: None})
        if kind != "1":
            raw.deltas.append((ROW, COL))
        out.accumulate(normalize(raw))
    return out


def substitute(block: Tensor, slots: dict, free: tuple[str, str]) -> Tensor:
    """The block with its free indices renamed by ``slots`` (−1 → −2, …)."""
    out = Tensor(free)
    for k, c in block.terms.items():
        raw = Raw()
        raw.put(k, c, slots)
        out.accumulate(normalize(raw))
    return out


def counts(key: Key, free: tuple[str, str]) -> dict[str, int]:
    """How many distinct indices of each size the term has (free indices included; the
    two free indices are one when a δ joins them)."""
    dtypes, _, deltas = key
    out = {"n": 0, "d": 0}
    for kind in dtypes:
        out[kind] += 1
    frees = [kind for kind in free if kind != "1"]
    for kind in frees:
        out[kind] += 1
    if deltas and len(frees) == 2:
        out[free[0]] -= 1
    return out
