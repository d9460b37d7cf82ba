"""Coefficients of index terms: polynomials in the sizes n and d with rational coefficients.

A polynomial is a dict {(a, b): Fraction}, the coefficient of nᵃ dᵇ; {} is 0. Summing over
an index that no factor uses multiplies a term by the size of its range (Σ_k 1 = n), which
is how 1ᵀ1 = n and (11ᵀ)² = n·11ᵀ arise; nothing else makes a coefficient depend on a size.
"""

from __future__ import annotations

from fractions import Fraction

Poly = dict  # {(power of n, power of d): Fraction}

ONE: tuple = (((0, 0), Fraction(1)),)
SIZE_MONOMIAL = {"n": (1, 0), "d": (0, 1)}


def const(c) -> Poly:
    c = Fraction(c)
    return {(0, 0): c} if c else {}


def add(p: Poly, q: Poly) -> Poly:
    out = dict(p)
    for m, c in q.items():
        s = out.get(m, 0) + c
        if s:
            out[m] = s
        else:
            out.pop(m, None)
    return out


def mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for (a, b), c in p.items():
        for (e, f), g in q.items():
            m = (a + e, b + f)
            s = out.get(m, 0) + c * g
            if s:
                out[m] = s
            else:
                out.pop(m, None)
    return out


def scale(p: Poly, c) -> Poly:
    c = Fraction(c)
    return {m: v * c for m, v in p.items()} if c else {}


def times_size(p: Poly, kind: str) -> Poly:
    """p·n or p·d (Σ over an unused index of that range)."""
    da, db = SIZE_MONOMIAL[kind]
    return {(a + da, b + db): c for (a, b), c in p.items()}


def constant(p: Poly) -> Fraction | None:
    """The value of p if it does not depend on n, d (0 for {}), else None."""
    if not p:
        return Fraction(0)
    if len(p) == 1 and (0, 0) in p:
        return p[(0, 0)]
    return None


def at(p: Poly, n: int, d: int) -> Fraction:
    return sum((c * n**a * d**b for (a, b), c in p.items()), Fraction(0))


def degrees(p: Poly) -> tuple[int, int]:
    """(degree in n, degree in d)."""
    return (max((a for a, _ in p), default=0), max((b for _, b in p), default=0))


def frozen(p: Poly) -> tuple:
    """A hashable, ordered form (monomials sorted)."""
    return tuple(sorted(p.items()))


def text(p: Poly) -> str:
    """p as text: 3/2, n − 3, (d − 2)(d − 3) expanded as d² − 5d + 6."""
    if not p:
        return "0"
    parts = []
    for (a, b), c in sorted(p.items(), key=lambda mc: (-(mc[0][0] + mc[0][1]), mc[0])):
        mono = "·".join(
            s + ("" if k == 1 else _superscript(k)) for s, k in (("n", a), ("d", b)) if k
        )
        mag = abs(c)
        num = "" if (mag == 1 and mono) else str(mag)
        sep = "·" if (num and mono and "/" in num) else ""
        body = f"{num}{sep}{mono}" if mono else num
        parts.append(("−" if c < 0 else "+", body))
    out = ("−" if parts[0][0] == "−" else "") + parts[0][1]
    for sign, body in parts[1:]:
        out += f" {sign} {body}"
    return out


def _superscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
