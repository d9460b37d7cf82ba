"""The grammar of candidates: a string (or an explicit SymPy matrix) → a SymPy expression.

Grammar of string candidates
----------------------------
    expr  := expr + expr | expr - expr | -expr
           | expr @ expr                   the matrix product
           | expr ∘ expr | expr ⊙ expr     the Hadamard (entrywise) product, always
           | expr * expr                   see below
           | expr / number | expr ** k | expr.T | call | name | slice | number | (expr)
    call  := diag(v) | hadamard(a, b)
           | block([[expr, expr, …], [expr, expr, …], …])   a block matrix
           | sigma(v) | tanh(v) | relu(v) | identity(v)    (σ(v), sigmoid(v), ReLU(v))
           | exp(v) | log(v) | softplus(v) | sqrt(v) | abs(v) | step(v)
           | sigma'(v) | tanh'(v) | relu'(v) | exp'(v) | …
                                    (σ'(v), σ′(v), sigmoid'(v), sigma_prime(v), tanh_prime(v), …:
                                     the spellings of gradsym.lang.elementwise.FUNCTIONS)
           | max(a, b) | min(a, b) | logaddexp(a, b)
                                    (entrywise, a and b vectors of one size or one of them a
                                     number or a scalar: gradsym.lang.elementwise.PAIRWISE)
    name  := a vector or parameter of the cell (W_h, h_prev, x, b, z, f, c_tilde, …: see
             :func:`gradsym.checker.symbols`), or I, the identity matrix of size n
    slice := name[bound:bound, bound:bound] | name[bound:bound]    (rows only)
    bound := nothing (the end) | 0 | n | k*n | d | a sum of those  (n, d: the sizes)

What the operators mean:

- ``A @ B`` is the matrix product, and so is juxtaposition in the notes (write it ``@``
  or ``*``: ``diag(v) W_h`` is an implicit multiplication, refused with a one-line hint).
- ``a ∘ b``, ``a ⊙ b`` and ``hadamard(a, b)`` are the Hadamard product (a_ij b_ij) of two
  vectors or matrices of the same shape, never a matrix product: ``diag(v) ∘ W_h`` keeps
  only the diagonal of W_h. ``∘`` binds like ``*`` and ``@``.
- ``a * b`` is the matrix product when the shapes chain (``diag(v) * W_h``, ``W_h * W_h``),
  the Hadamard product of two column vectors of the same size (``u * h_prev`` is u∘h_prev)
  and scaling when one side is a number. For the entrywise product of two matrices write
  ``∘`` or ``hadamard``.
- ``1 - u`` is the all-ones vector minus u; a number plus a matrix is refused (write s*I).
- A scalar parameter (shape 1×1, ``shapes={"zeta": "1"}``) meets a vector as a number
  does: ``zeta * (1 - u) + nu`` is ζ(1 − u) + ν𝟏, ``zeta * W_h`` is diag(ζ𝟏) W_h.
- ``v ** k`` (k a positive integer ≤ 16) is v∘…∘v for a column vector; ``v ** 0.5``,
  ``v ** -1``, ``a ** (c * r)`` and ``2 ** v`` are entrywise powers (a^b, the base
  positive where the exponent is not an integer); between numbers ``**`` is the power
  (exponents up to 1000 in size; no complex results).
- ``/`` divides by a nonzero number, or entrywise by a vector of the same size
  (``c / n``, ``1 / v``).
- ``M.T`` (or ``Mᵀ``, ``M⊤``) is the transpose.
- ``block([[A, B], [C, D]])`` is the block matrix [A B; C D] (``block([A, B])`` one block
  row): the blocks of a block row have the same height, those of a block column the same
  width, checked for every size n, d; ``0`` is a zero block of the size its row and
  column give. The full state Jacobian of the LSTM, ∂[h; c]⁽ᵗ⁾/∂[h; c]⁽ᵗ⁻¹⁾ (``of="state"``,
  ``wrt="state"``), is ``block([[∂h/∂h_prev, ∂h/∂c_prev], [∂c/∂h_prev, ∂c/∂c_prev]])``.
- ``W_o[:, :n]`` and ``W_o[:, n:]`` are the column blocks of a named matrix (``W_o[:n, :]``,
  ``W_o[:n]`` rows): bounds are multiples of the sizes n and d (0, n, 2*n, d, n + d) so
  that the slice is one block at every size; no steps, no numeric bounds, only names are
  sliced (:mod:`gradsym.lang.blocks`).

A number is the exact value it spells: ``1.00000001`` is 100000001/10⁸ and ``0.1`` is 1/10
(read from the source text, never through a binary double), in the symbolic and in the
numeric check. Unicode is accepted: σ, σ', σ′, tanh', ∘, ⊙, ᵀ, ⊤, · and × (as ``*``), −.

Limits, so that every input is judged or refused in bounded time: at most 100 000
characters and 20 000 expression nodes, numbers of magnitude 10⁻³⁰⁰ … 10³⁰⁰, exponents as
above. Everything malformed, undefined or over a limit is a one-line
:class:`gradsym.errors.CandidateError`.

Scalar answers
--------------
:func:`parse_scalar` reads a number or an expression in named scalars (a parameter count
in n and d, a bound in ℓ and a) with the same numbers, operators ``+ - * / **`` (and the
Unicode ``−``, ``×``, ``·``) and ``sqrt(…)``; no matrices, no other functions.

Explicit candidates
-------------------
A SymPy ``Matrix`` at a fixed n is a candidate too: its entries are expressions in the
cell's entry symbols, ``W_h[0,1]``, ``h_prev[2]``, … — :func:`gradsym.checker.entry_symbols` gives them (and
every intermediate such as z or f written out in them), so
``S = entry_symbols("rnn", n=3); sp.diag(*[1 - sp.tanh(z)**2 for z in S["z"]]) * S["W_h"]``
is the RNN's ∂h/∂h⁽ᵗ⁻¹⁾ at n = 3. The sizes are read off the matrix and its symbols.
"""

from __future__ import annotations

import ast
import io
import itertools
import keyword
import re
import tokenize

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
)
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.slice import MatrixSlice

from gradsym.errors import CandidateError
from gradsym.lang.broadcast import broadcast
from gradsym.lang.elementwise import FUNCTIONS, PAIRWISE
from gradsym.lang.matexpr import Apply, Diag, Pairwise
from gradsym.lang.names import d as d_sym

from .blocks import block_matrix, block_problem, slice_of, slice_problem

MAX_CHARACTERS = 100_000
MAX_NODES = 20_000
MAX_EXPONENT = 1000
MAX_VECTOR_POWER = 16
MAX_MAGNITUDE = sp.Integer(10) ** 300

# Function names of the grammar → the elementwise map (``Apply``) they denote: the
# spellings of the function table (sigma, tanh, …), then those of the derivatives.
SPELLINGS = {s: f.name for f in FUNCTIONS.values() for s in f.spellings} | {
    s: f.prime for f in FUNCTIONS.values() for s in f.prime_spellings
}
# Function names of two arguments → the row of the pairwise table (max, min, logaddexp).
PAIRWISE_SPELLINGS = {s: f.name for f in PAIRWISE.values() for s in f.spellings}
#: Every name the grammar reads as a function.
FUNCTION_NAMES = frozenset({"diag", "hadamard", "block", *SPELLINGS, *PAIRWISE_SPELLINGS})
_PRIMED_NAMES = ", ".join(
    f"{f.text_prime} ({', '.join(s + chr(39) for s in f.spellings)})" for f in FUNCTIONS.values()
)
# Single-character spellings, replaced before Python's parser sees the text.
_CHARACTERS = {
    "σ": "sigma",
    "∘": "%",  # the Hadamard product; '%' typed by the user is refused first
    "⊙": "%",
    "·": "*",
    "×": "*",
    "ᵀ": ".T",
    "⊤": ".T",
    "−": "-",
    "𝟙": "1",
    "\n": " ",
    "\r": " ",
    "\t": " ",
}
# A spelling primed, sigma'(z), is read as the derivative's first spelling (σ' too).
_PRIMED = {s: f.prime_spellings[0] for f in FUNCTIONS.values() for s in f.spellings}
_PRIMED |= {c: _PRIMED[s] for c, s in _CHARACTERS.items() if s in _PRIMED}
_PRIME = re.compile(r"([A-Za-z_σ][A-Za-z_0-9]*)\s*['′](?=\s*\()")


def _one_line(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the text: primes, Unicode, and a map back to what the user typed ------------------------------


class _Source:
    """The candidate rewritten for Python's parser, with each character's origin kept so
    that messages quote the user's own spelling (σ′(z), −, ∘)."""

    def __init__(self, original: str) -> None:
        self.original = original
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        k = 0
        while k < len(original):
            m = _PRIME.match(original, k)
            if m and (k == 0 or not (original[k - 1].isalnum() or original[k - 1] == "_")):
                name = m.group(1)
                if name not in _PRIMED:
                    raise CandidateError(
                        f"unknown function {name + '′'!r}; the primed functions are "
                        + _PRIMED_NAMES
                    )
                new = _PRIMED[name]
                out.append(new)
                spans += [(k, m.end())] * len(new)
                k = m.end()
                continue
            ch = original[k]
            new = _CHARACTERS.get(ch, ch)
            out.append(new)
            spans += [(k, k + 1)] * len(new)
            k += 1
        self.text = "".join(out)
        self.spans = spans

    def quote(self, start: int, end: int) -> str:
        """The user's text behind characters [start, end) of the rewritten text."""
        if start >= end:
            return ""
        return self.original[self.spans[start][0] : self.spans[end - 1][1]]

    def segment(self, node: ast.AST) -> str:
        return self.quote(node.col_offset, node.end_col_offset)


def _python_keyword(src: _Source) -> str | None:
    """The first Python keyword in the text (import, yield, lambda, …), or None."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(src.text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    for t in tokens:
        if t.type == tokenize.NAME and keyword.iskeyword(t.string):
            return t.string
    return None


def _implicit_multiplication(src: _Source) -> str | None:
    """A hint for 'a b' or '2W' (a SyntaxError to Python), or None."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(src.text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    tokens = [t for t in tokens if t.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP)]
    for k in range(1, len(tokens)):
        a, b = tokens[k - 1], tokens[k]
        ends_operand = a.type in (tokenize.NAME, tokenize.NUMBER) or a.string in (")", "]")
        starts_operand = b.type in (tokenize.NAME, tokenize.NUMBER) or b.string == "("
        if not (ends_operand and starts_operand) or a.string in ("lambda", "if", "else"):
            continue
        if a.type == tokenize.NAME and b.string == "(":
            continue  # a call f(…); calling a symbol is refused on the parsed tree
        if b.string in ("if", "else", "for", "in", "and", "or", "not", "is"):
            continue
        start = a.start[1]
        if a.string in (")", "]"):  # back to the matching '(' or '[' and the name before it
            close, open_ = a.string, {")": "(", "]": "["}[a.string]
            depth = 0
            for j in range(k - 1, -1, -1):
                depth += {close: 1, open_: -1}.get(tokens[j].string, 0)
                if depth == 0:
                    start = tokens[j].start[1]
                    if j > 0 and tokens[j - 1].type == tokenize.NAME:
                        start = tokens[j - 1].start[1]
                    break
        end = b.end[1]
        if b.string == "(":
            depth = 0
            for j in range(k, len(tokens)):
                depth += {"(": 1, ")": -1}.get(tokens[j].string, 0)
                if depth == 0:
                    end = tokens[j].end[1]
                    break
        left, right = src.quote(start, a.end[1]), src.quote(b.start[1], end)
        return (
            f"implicit multiplication in {left + right!r}: "
            f"write {left}*{right} (or {left} @ {right} for the matrix product)"
        )
    return None


# -- numbers -----------------------------------------------------------------------------------------


def _number(value: sp.Expr, what: str) -> sp.Expr:
    """A real, finite number of bounded magnitude, or a one-line error."""
    if value.has(sp.zoo, sp.nan) or value in (sp.oo, -sp.oo):
        raise CandidateError(f"{what} is a division by zero")
    if value.is_real is False or value.has(sp.I):
        raise CandidateError(f"{what} is a complex number; a Jacobian here is real")
    if value == 0:
        return value
    size = abs(value) if value.is_Rational else abs(sp.N(value, 30))
    if size > MAX_MAGNITUDE:
        raise CandidateError(f"{what} is too large (the limit is 1e300 in magnitude)")
    if size < 1 / MAX_MAGNITUDE:
        raise CandidateError(f"{what} is too small (the limit is 1e-300 in magnitude)")
    return value


_DECIMAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
MAX_DIGITS = 400


def _literal(source: str, value: float, shown: str) -> sp.Expr:
    """The exact rational a numeric literal spells (1.00000001 → 100000001/10⁸), its size
    checked on the text before any big number is built."""
    shown = _one_line(shown, 40)
    m = _DECIMAL.fullmatch(source.replace("_", ""))
    if m is None:  # 0x1F, 0o17, 0b101: Python's own integer
        if abs(int(value)).bit_length() > 1000:
            raise CandidateError(f"{shown!r} is too large (the limit is 1e300 in magnitude)")
        return _number(sp.Integer(int(value)), repr(shown))
    whole, fraction, exponent = m.group(1), m.group(2) or "", m.group(3) or "0"
    mantissa = (whole + fraction).lstrip("0")
    if len(mantissa) > MAX_DIGITS or len(exponent) > 6:
        raise CandidateError(f"the number {shown!r} has too many digits")
    if not mantissa:
        return sp.S.Zero
    power = int(exponent) - len(fraction)
    magnitude = len(mantissa) - 1 + power  # ⌊log10⌋ of the number
    if magnitude > 300:
        raise CandidateError(f"{shown!r} is too large (the limit is 1e300 in magnitude)")
    if magnitude < -300:
        raise CandidateError(f"{shown!r} is too small (the limit is 1e-300 in magnitude)")
    return _number(sp.Integer(int(mantissa)) * sp.Rational(10) ** power, repr(shown))


def _power(base: sp.Expr, k: sp.Expr, what: str) -> sp.Expr:
    if not k.is_Rational:
        raise CandidateError(f"the exponent of {what} must be a rational number")
    if abs(k) > MAX_EXPONENT:
        raise CandidateError(f"the exponent {k} in {what} is too large (at most {MAX_EXPONENT})")
    if base == 0 and k < 0:
        raise CandidateError(f"{what} is a division by zero (0 to a negative power)")
    if base.is_negative and not k.is_integer:
        raise CandidateError(
            f"{what} is a complex number (a negative number to a fractional power)"
        )
    if base.is_Rational and base != 0:  # the size of the result, before computing it
        digits = float(abs(k)) * abs(float(sp.log(abs(base), 10).evalf(15)))
        if digits > 300:
            raise CandidateError(f"{what} is too large or too small (the limit is 1e±300)")
    return _number(sp.Pow(base, k), what)


# -- the walk ----------------------------------------------------------------------------------------


def _is_matrix(v) -> bool:
    return getattr(v, "is_Matrix", False)


def _is_vector(v) -> bool:
    return _is_matrix(v) and v.shape[1] == 1


ALLOWED_CALLS = ", ".join(["diag", "hadamard", "block", *SPELLINGS, *PAIRWISE_SPELLINGS])
# Python constructs a candidate may not contain, named for the message.
_PYTHON = {
    ast.Lambda: "a lambda (Python code)",
    ast.IfExp: "a conditional expression (Python code)",
    ast.BoolOp: "'and'/'or' (Python code)",
    ast.Compare: "a comparison",
    ast.NamedExpr: "an assignment ':=' (Python code)",
    ast.Await: "'await' (Python code)",
    ast.Yield: "'yield' (Python code)",
    ast.ListComp: "a comprehension (Python code)",
    ast.SetComp: "a comprehension (Python code)",
    ast.DictComp: "a comprehension (Python code)",
    ast.GeneratorExp: "a comprehension (Python code)",
    ast.Dict: "a dictionary (Python code)",
    ast.Set: "a set (Python code)",
    ast.JoinedStr: "an f-string (Python code)",
    ast.Starred: "'*' unpacking (Python code)",
}
_SIZES = ("n", "d")


class _Parser:
    """Builds the SymPy matrix expression of a parsed candidate, checking every shape."""

    def __init__(self, src: _Source, table: dict[str, MatrixSymbol], n: sp.Expr) -> None:
        self.src = src
        self.table = table
        self.n = n

    def visit(self, node: ast.AST):
        if isinstance(node, ast.BinOp):
            return self.binop_chain(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            return self.neg(v) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise CandidateError(
                    f"'.{node.attr}' is not allowed in a candidate; only '.T' (transpose)"
                )
            v = self.visit(node.value)
            if not _is_matrix(v):
                raise CandidateError("'.T' applies to a matrix or vector, not a number")
            return Transpose(v)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise CandidateError(
                f"a list ({_one_line(self.src.segment(node), 40)!r}) is not allowed in a "
                "candidate, except as the rows of block([[A, B], [C, D]])"
            )
        kind = _PYTHON.get(type(node), type(node).__name__)
        if isinstance(node, ast.UnaryOp):
            kind = "'not' (Python code)" if isinstance(node.op, ast.Not) else "'~'"
        raise CandidateError(
            f"{kind} ({_one_line(self.src.segment(node), 40)!r}) is not allowed in a candidate"
        )

    def binop_chain(self, node: ast.BinOp):
        # Operators of one precedence level chain to the left: walk that spine without
        # recursion, so that a long sum (a + b + … with 900 terms) is no deep recursion.
        level = _LEVEL.get(type(node.op))
        spine = []
        while isinstance(node, ast.BinOp) and _LEVEL.get(type(node.op)) == level and level:
            spine.append(node)
            node = node.left
        if not spine:  # '**' is right-associative; its depth is bounded by the node count
            spine, node = [node], node.left
        if level == "sum":
            # One MatAdd for the whole sum: building it pairwise would cost O(terms²).
            terms = [self.visit(node)]
            for b in reversed(spine):
                right = self.visit(b.right)
                terms.append(self.neg(right) if isinstance(b.op, ast.Sub) else right)
            terms = _fit_scalars(terms)
            if all(_is_matrix(t) for t in terms):
                shapes = {t.shape for t in terms}
                if len(shapes) > 1:
                    a, b = sorted(shapes, key=str)[:2]
                    raise CandidateError(f"cannot add shapes {a} and {b}")
                return MatAdd(*[s for t in terms for s in _summands(t)])
            out = terms[0]
            for t in terms[1:]:
                out = self.add(out, t)
            return out
        out = self.visit(node)
        for b in reversed(spine):
            out = self.binop(b, out, self.visit(b.right))
        return out

    def binop(self, node: ast.BinOp, a, b):
        op = type(node.op)
        what = repr(_one_line(self.src.segment(node)))
        if op is ast.Add:
            return self.add(a, b)
        if op is ast.Sub:
            return self.add(a, self.neg(b))
        if op is ast.Mult:
            return self.mul(a, b, what)
        if op is ast.MatMult:
            return self.matmul(a, b, what)
        if op is ast.Mod:
            return self.hadamard(a, b, what)
        if op is ast.Div:
            return self.div(a, b, what)
        if op is ast.Pow:
            return self.pow(a, b, what)
        raise CandidateError(f"the operator in {what} is not allowed in a candidate")

    def constant(self, node: ast.Constant):
        value, text = node.value, self.src.segment(node)
        if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
            kind = "a string" if isinstance(value, (str, bytes)) else repr(value)
            raise CandidateError(f"{kind} ({text!r}) is not allowed in a candidate")
        if isinstance(value, complex):
            raise CandidateError(f"{text!r} is a complex number; a Jacobian here is real")
        return _literal(self.src.text[node.col_offset : node.end_col_offset], value, text)

    def name(self, name: str):
        if name == "I":
            return Identity(self.n)
        if name in FUNCTION_NAMES:
            example = f"{name}(a, b)" if name in PAIRWISE_SPELLINGS else f"{name}(v)"
            raise CandidateError(f"{name!r} is a function: write {example}")
        if name not in self.table:
            known = ", ".join(sorted(self.table)) + ", I"
            raise CandidateError(f"unknown symbol {name!r} in candidate; known: {known}")
        return self.table[name]

    def call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Call):  # σ(z)(1 − σ(z)): the inner call must be maths too
            self.call(func)
        code = isinstance(func, (ast.Lambda, ast.Attribute)) or (
            isinstance(func, ast.Name)
            and func.id not in self.table
            and func.id not in FUNCTION_NAMES
        )
        if code:  # __import__(…), (lambda: …)(), x.method(…): Python, not mathematics
            called = _one_line(self.src.segment(func), 40)
            what = (
                f"unknown function {called!r}"
                if isinstance(func, ast.Name)
                else f"calling {called!r} is not allowed"
            )
            raise CandidateError(
                f"{what}: a candidate calls only {ALLOWED_CALLS} (Python names and calls are not "
                "allowed)"
            )
        if not isinstance(node.func, ast.Name) or node.func.id in self.table:
            # the arguments' '(' after the function and any parentheses around it
            start = node.func.end_col_offset
            while start < node.end_col_offset and self.src.text[start] in ") ":
                start += 1
            func = self.src.quote(node.col_offset, start).strip()
            rest = self.src.quote(start, node.end_col_offset)
            raise CandidateError(
                f"implicit multiplication in {_one_line(func + rest)!r}: write "
                f"{_one_line(func)}*{_one_line(rest)} (or @ for the matrix product)"
            )
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise CandidateError(f"{name}(…) takes plain arguments, no keywords")
        if name == "block":
            return self.block(node)
        args = [self.visit(a) for a in node.args]
        if name == "diag" and len(args) == 1:
            if not _is_vector(args[0]):
                raise CandidateError("diag(v) needs a column vector v")
            return Diag(args[0])
        if name == "hadamard" and len(args) == 2:
            return self.hadamard(*args, f"hadamard(…) in {self.src.segment(node)!r}")
        if name in SPELLINGS and len(args) == 1:
            if not _is_vector(args[0]):
                raise CandidateError(f"{name}(·) applies elementwise to a column vector")
            return Apply(SPELLINGS[name], args[0])
        if name in PAIRWISE_SPELLINGS and len(args) == 2:
            return self.pairwise(PAIRWISE_SPELLINGS[name], *args, f"{self.src.segment(node)!r}")
        if name in FUNCTION_NAMES:
            wanted = 2 if name in PAIRWISE_SPELLINGS or name == "hadamard" else 1
            raise CandidateError(
                f"{name}(…) takes {wanted} argument{'s' if wanted > 1 else ''}, got {len(args)}"
            )
        raise CandidateError(
            f"unknown function {name!r} (or wrong arguments); allowed: {ALLOWED_CALLS}"
        )

    # -- block matrices and slices ----------------------------------------------------------------

    def block(self, node: ast.Call):
        """block([[A, B], [C, D]]) or block([A, B]): the grid visited, then fitted."""
        if len(node.args) != 1 or not isinstance(node.args[0], ast.List):
            raise CandidateError(
                "block(…) takes one list of block rows: block([[A, B], [C, D]]) or block([A, B])"
            )
        rows = node.args[0].elts
        nested = [isinstance(r, ast.List) for r in rows]
        if any(nested) and not all(nested):
            raise CandidateError(
                "block(…) takes a list of block rows, each a list: block([[A, B], [C, D]])"
            )
        cells = [r.elts for r in rows] if rows and all(nested) else [rows]
        grid = [[self.visit(e) for e in row] for row in cells]
        texts = [[_one_line(self.src.segment(e), 30) for e in row] for row in cells]
        return block_matrix(grid, texts)

    def subscript(self, node: ast.Subscript):
        text = _one_line(self.src.segment(node), 40)
        if not isinstance(node.value, ast.Name) or node.value.id not in self.table:
            raise CandidateError(
                f"only a named matrix or vector of the cell can be sliced, in {text!r} "
                "(write W_o[:, :n], then .T or products)"
            )
        m = self.table[node.value.id]
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(parts) == 1:
            parts = [parts[0], ast.Slice(None, None, None)]
        if len(parts) != 2 or not all(isinstance(p, ast.Slice) for p in parts):
            raise CandidateError(
                f"{text!r}: a slice is rows and columns, each lo:hi (W_o[:, :n], W_o[n:, :]); "
                "single entries are not blocks"
            )
        if any(p.step is not None for p in parts):
            raise CandidateError(f"{text!r}: a slice has no step")
        bounds = [(self.bound(p.lower, text), self.bound(p.upper, text)) for p in parts]
        return slice_of(m, bounds, text)

    def bound(self, node: ast.AST | None, text: str):
        """A slice bound: None (the end) or a linear form in n, d with integer coefficients
        ≥ 0 and no constant but 0."""
        if node is None:
            return None
        value = self._linear(node, text)
        if not value.free_symbols and value != 0:
            raise CandidateError(
                f"{text!r}: a slice bound is a multiple of the sizes (0, n, 2*n, d), not the "
                f"number {value}: the block must be the same at every size"
            )
        return value

    def _linear(self, node: ast.AST, text: str) -> sp.Expr:
        sizes = {"n": self.n, "d": d_sym}
        if isinstance(node, ast.Name) and node.id in _SIZES:
            return sizes[node.id]
        if isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value <= 64:
            return sp.Integer(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            a, b = self._linear(node.left, text), self._linear(node.right, text)
            if isinstance(node.op, ast.Add):
                out = a + b
                if out.free_symbols and (sp.expand(out).as_coeff_Add()[0] != 0):
                    raise CandidateError(
                        f"{text!r}: a slice bound is a sum of multiples of n and d (no constant)"
                    )
                return out
            if a.free_symbols and b.free_symbols:
                raise CandidateError(f"{text!r}: a slice bound is linear in n and d")
            return a * b
        raise CandidateError(
            f"{text!r}: a slice bound is 0, n, k*n, d or a sum of those (n the hidden size, "
            "d the input size)"
        )

    # -- operations with shape rules ------------------------------------------------------------

    def neg(self, v):
        return _product(-1, v) if _is_matrix(v) else -v

    def add(self, a, b):
        a, b = _fit_scalars([a, b])
        if _is_matrix(a) and _is_matrix(b):
            if a.shape != b.shape:
                raise CandidateError(f"cannot add shapes {a.shape} and {b.shape}")
            return MatAdd(*_summands(a), *_summands(b))
        if _is_matrix(a) or _is_matrix(b):
            s, m = (b, a) if _is_matrix(a) else (a, b)
            if m.shape[1] != 1:
                raise CandidateError(
                    f"a number plus a matrix of shape {m.shape} is ambiguous; write s*I"
                )
            ones = OneMatrix(m.shape[0], 1)
            return MatAdd(_product(s, ones) if s != 1 else ones, m)
        return _number(a + b, "a sum of numbers")

    def hadamard(self, a, b, what: str):
        a, b = _fit_scalars([a, b])
        if not (_is_matrix(a) and _is_matrix(b)) or a.shape != b.shape:
            raise CandidateError(
                f"the Hadamard product (∘, ⊙, hadamard) in {what} needs two vectors or "
                "matrices of the same shape"
            )
        return HadamardProduct(a, b)

    def mul(self, a, b, what: str):
        if _is_scalar(a) and _is_matrix(b) and not _is_scalar(b):
            return self._scale_by(a, b)
        if _is_scalar(b) and _is_matrix(a) and not _is_scalar(a):
            return self._scale_by(b, a)
        if not _is_matrix(a) or not _is_matrix(b):
            if _is_matrix(a) or _is_matrix(b):
                return _product(a, b)
            return _number(a * b, what)
        if a.shape[1] == b.shape[0] and not (a.shape[1] == 1 and b.shape[1] == 1):
            return _product(a, b)
        if a.shape == b.shape and a.shape[1] == 1:
            return HadamardProduct(a, b)
        raise CandidateError(f"cannot multiply shapes {a.shape} and {b.shape} in {what}")

    def _scale_by(self, s, m):
        """A 1×1 ``s`` times a vector (entrywise, 𝟏s ∘ v) or a matrix (diag(𝟏s) M)."""
        if m.shape[1] == 1:
            return HadamardProduct(broadcast(s, m.shape[0]), m)
        return _product(Diag(broadcast(s, m.shape[0])), m)

    def matmul(self, a, b, what: str):
        if not (_is_matrix(a) and _is_matrix(b)):
            raise CandidateError(f"'@' needs two matrices in {what}; scale with '*'")
        if _is_scalar(b) and _is_vector(a) and not _is_scalar(a):  # v @ ζ: ζ v
            return self._scale_by(b, a)
        if a.shape[1] != b.shape[0]:
            raise CandidateError(f"cannot multiply shapes {a.shape} @ {b.shape} in {what}")
        return _product(a, b)

    def div(self, a, b, what: str):
        if _is_matrix(b):
            a, b = _fit_scalars([a, b])
            if not _is_matrix(a):
                a = self._constant(a, b, what)
            if not (_is_vector(a) and a.shape == b.shape):
                raise CandidateError(
                    f"can only divide by a number, or entrywise by a vector of the same size, "
                    f"in {what}"
                )
            return Pairwise("divide", a, b)
        if b == 0:
            raise CandidateError(f"{what} is a division by zero")
        return _product(1 / b, a) if _is_matrix(a) else _number(a / b, what)

    def pow(self, a, k, what: str):
        if _is_matrix(k):
            a, k = _fit_scalars([a, k])
            if not _is_matrix(a):
                if not a.is_positive:
                    raise CandidateError(
                        f"a number to a vector's power needs a positive base, in {what}"
                    )
                a = self._constant(a, k, what)
            if not (_is_vector(a) and a.shape == k.shape):
                raise CandidateError(
                    f"an exponent is a number, or a vector of the base's size, in {what}"
                )
            return Pairwise("power", a, k)
        if not _is_matrix(a):
            return _power(a, k, what)
        if a.shape[1] != 1:
            raise CandidateError(
                "'**' is allowed on column vectors (v**2 = v∘v, v**0.5), not on matrices"
            )
        if k.is_Integer and 1 <= k <= MAX_VECTOR_POWER:
            return HadamardProduct(*([a] * int(k))) if k > 1 else a
        if k.is_Integer and k > MAX_VECTOR_POWER:
            raise CandidateError(
                f"the exponent {k} in {what} is too large (v**k for k ≤ {MAX_VECTOR_POWER})"
            )
        if not k.is_Rational or abs(k) > MAX_EXPONENT:
            raise CandidateError(
                f"the exponent {k} in {what} must be a number of size at most {MAX_EXPONENT}"
            )
        return Pairwise("power", a, self._constant(k, a, what))

    def pairwise(self, name: str, a, b, what: str):
        """f(a, b) entrywise (max, min, logaddexp): two vectors of one size, or a vector
        and a number or scalar."""
        a, b = _fit_scalars([a, b])
        if not _is_matrix(a) and not _is_matrix(b):
            raise CandidateError(f"{name}(a, b) needs a vector argument, in {what}")
        if not _is_matrix(a):
            a = self._constant(a, b, what)
        if not _is_matrix(b):
            b = self._constant(b, a, what)
        if not (_is_vector(a) and a.shape == b.shape):
            raise CandidateError(
                f"{name}(a, b) takes two column vectors of the same size, in {what}; "
                f"got shapes {a.shape} and {b.shape}"
            )
        return Pairwise(name, a, b)

    def _constant(self, c, like, what: str):
        """The number c as a constant vector c𝟏 of ``like``'s shape."""
        c = _number(c, what)
        ones = OneMatrix(like.shape[0], 1)
        return ones if c == 1 else _product(c, ones)


def _is_scalar(v) -> bool:
    """A 1×1 matrix: a scalar parameter (ζ of FastGRNN), or an expression of such."""
    return _is_matrix(v) and v.shape == (1, 1)


def _fit_scalars(terms: list) -> list:
    """Operands of one operation with every 1×1 broadcast to the column vector the others
    are (𝟏 ζ), when they are all one column vector's shape; otherwise unchanged."""
    shapes = {t.shape for t in terms if _is_matrix(t) and not _is_scalar(t)}
    if len(shapes) != 1 or not any(_is_scalar(t) for t in terms):
        return terms
    (rows, cols) = next(iter(shapes))
    if cols != 1:
        return terms
    return [broadcast(t, rows) if _is_scalar(t) else t for t in terms]


def _product(*factors) -> MatMul:
    """One flat MatMul of ``factors`` (a factor that is itself a product is unpacked).

    SymPy's ``MatMul.shape`` asks its first matrix for its rows and its last for its
    columns, each of which computes that factor's whole shape again: a product nested k
    deep (``W_h*2*2*…*2``, ``-(-(…W_h))``, ``2*(2*(…W_h))``) costs 2^k shape lookups, in
    every later walk of the expression. A flat product costs one lookup per factor.
    """
    flat: list = []
    for f in factors:
        flat.extend(f.args if isinstance(f, MatMul) else (f,))
    return MatMul(*flat)


def _summands(m) -> tuple:
    return m.args if isinstance(m, MatAdd) else (m,)


_LEVEL: dict[type, str] = {
    ast.Add: "sum",
    ast.Sub: "sum",
    ast.Mult: "product",
    ast.MatMult: "product",
    ast.Mod: "product",
    ast.Div: "product",
}


def _syntax_tree(text: str) -> tuple[_Source, ast.Expression]:
    """The text checked against the limits, rewritten for Python's parser and parsed (as
    syntax only: nothing is evaluated); CandidateError, one line, for anything else."""
    if not isinstance(text, str):
        raise CandidateError(f"a candidate string is a str, got {type(text).__name__}")
    if len(text) > MAX_CHARACTERS:
        raise CandidateError(
            f"candidate is too long: {len(text)} characters (at most {MAX_CHARACTERS})"
        )
    if not text.strip():
        raise CandidateError("the candidate is empty")
    if "%" in text:
        raise CandidateError("'%' is not an operator of the grammar; ∘ is the Hadamard product")
    src = _Source(text.strip())
    stray = sorted({ch for ch in src.text if not ch.isascii()})
    if stray:
        raise CandidateError(f"unexpected character {stray[0]!r} in candidate")
    try:
        tree = ast.parse(src.text, mode="eval")
    except SyntaxError as exc:
        keyword = _python_keyword(src)
        if keyword:
            raise CandidateError(
                f"{keyword!r} is Python, not part of the grammar of a candidate"
            ) from None
        hint = _implicit_multiplication(src)
        if hint:
            raise CandidateError(hint) from None
        if "'" in src.text or '"' in src.text:
            raise CandidateError("a string (quotes) is not part of the grammar") from None
        where = f" at column {exc.offset}" if exc.offset else ""
        raise CandidateError(
            f"candidate does not parse: {_one_line(exc.msg, 80)}{where} in {_one_line(text)!r}"
        ) from None
    except (RecursionError, MemoryError):
        raise CandidateError("candidate is too large or too deeply nested to parse") from None
    nodes = sum(1 for node in ast.walk(tree) if isinstance(node, ast.expr))
    if nodes > MAX_NODES:
        raise CandidateError(f"candidate is too large: {nodes} nodes (at most {MAX_NODES})")
    return src, tree


def parse_expression(text: str, table: dict[str, MatrixSymbol], size: sp.Expr) -> MatrixExpr:
    """A string in the grammar above as a SymPy expression over the symbols of ``table``
    (name → MatrixSymbol), ``I`` the identity of size ``size``: the entry point for
    candidates and for the right-hand sides of declared cells' equations."""
    src, tree = _syntax_tree(text)
    try:
        return _Parser(src, table, size).visit(tree.body)
    except RecursionError:
        raise CandidateError("candidate is too deeply nested") from None


# -- scalars: a number, a count, a bound ----------------------------------------------------------


class _ScalarParser:
    """Builds the SymPy expression of a scalar answer: numbers (exact, as above), the
    named scalars, + − × / and powers; nothing else."""

    def __init__(self, src: _Source, names: dict[str, sp.Symbol]) -> None:
        self.src, self.names = src, names

    def visit(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Constant):
            value, text = node.value, self.src.segment(node)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CandidateError(f"{text!r} is not a number")
            return _literal(self.src.text[node.col_offset : node.end_col_offset], value, text)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                known = ", ".join(sorted(self.names)) or "none: the answer is a number"
                raise CandidateError(f"unknown symbol {node.id!r} in the answer; known: {known}")
            return self.names[node.id]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "sqrt"
            and len(node.args) == 1
            and not node.keywords
        ):
            return self.power(self.visit(node.args[0]), sp.Rational(1, 2), "sqrt(…)")
        raise CandidateError(
            f"{_one_line(self.src.segment(node), 40)!r} is not allowed here: the answer is a "
            "number or an expression in "
            + (", ".join(sorted(self.names)) if self.names else "numbers")
            + " with + - * / ** and sqrt(…)"
        )

    def binop(self, node: ast.BinOp) -> sp.Expr:
        what = repr(_one_line(self.src.segment(node)))
        a, b = self.visit(node.left), self.visit(node.right)
        op = type(node.op)
        if op is ast.Add:
            out = a + b
        elif op is ast.Sub:
            out = a - b
        elif op is ast.Mult:
            out = a * b
        elif op is ast.Div:
            if b == 0:
                raise CandidateError(f"{what} is a division by zero")
            out = a / b
        elif op is ast.Pow:
            return self.power(a, b, what)
        else:
            raise CandidateError(
                f"the operator in {what} is not allowed in a scalar answer (+ - * / **)"
            )
        return _number(out, what) if out.is_number else out

    def power(self, a: sp.Expr, k: sp.Expr, what: str) -> sp.Expr:
        if a.is_number and k.is_number:
            return _power(a, k, what)
        if k.is_number and not k.is_Rational:
            raise CandidateError(f"the exponent of {what} must be a rational number")
        if k.is_Rational and abs(k) > MAX_EXPONENT:
            raise CandidateError(
                f"the exponent {k} in {what} is too large (at most {MAX_EXPONENT})"
            )
        return sp.Pow(a, k)


def parse_scalar(text: str, names: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """A scalar answer (a parameter count, a bound, a number of factors) as an exact SymPy
    expression: numbers as they are spelled (``0.25`` is 1/4), the scalars of ``names``
    (name → Symbol, such as ``n``, ``d``, ``l``), ``+ - * / **`` with the grammar's
    Unicode (−, ×, ·) and ``sqrt(…)``; CandidateError, one line, for anything else."""
    src, tree = _syntax_tree(text)
    try:
        return _ScalarParser(src, dict(names or {})).visit(tree.body)
    except RecursionError:
        raise CandidateError("the answer is too deeply nested") from None


def count_nodes(expr: sp.Basic, limit: int = MAX_NODES) -> int:
    """The number of nodes of a SymPy expression (a named symbol counts once), counting
    stops past ``limit``."""
    count, stack = 0, [expr]
    while stack and count <= limit:
        e = stack.pop()
        count += 1
        if not isinstance(e, (MatrixSymbol, sp.Symbol, sp.Number)):
            stack.extend(e.args)
    return count


def shape_error(expr: MatrixExpr) -> str | None:
    """Where the shapes of a matrix expression do not fit, or None. SymPy itself accepts
    W_h Wᵀ_x silently (n×n times d×n); n and d are kept apart here as symbols."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (MatrixSymbol, sp.Symbol, sp.Number)) or not getattr(e, "args", ()):
            continue
        mats = [a for a in e.args if getattr(a, "is_Matrix", False)]
        if isinstance(e, MatMul):
            for a, b in itertools.pairwise(mats):
                if sp.expand(a.shape[1] - b.shape[0]) != 0:
                    return f"cannot multiply shapes {a.shape} and {b.shape} in {sp.sstr(e)[:80]!r}"
        elif isinstance(e, (MatAdd, HadamardProduct)):
            if any(sp.expand(m.shape[k] - mats[0].shape[k]) != 0 for m in mats for k in (0, 1)):
                shapes = sorted({m.shape for m in mats}, key=str)
                return f"shapes {shapes} do not match in {sp.sstr(e)[:80]!r}"
        elif isinstance(e, (Diag, Apply)) and e.vector.shape[1] != 1:
            return f"{type(e).__name__.lower()}(·) of a matrix in {sp.sstr(e)[:80]!r}"
        elif isinstance(e, Pairwise) and (
            e.first.shape[1] != 1
            or sp.expand(e.first.shape[0] - e.second.shape[0]) != 0
            or e.second.shape[1] != 1
        ):
            return f"{e.name}(a, b) of shapes {e.first.shape}, {e.second.shape}"
        elif isinstance(e, BlockMatrix):
            problem = block_problem(e)
            if problem:
                return problem
        elif isinstance(e, MatrixSlice):
            problem = slice_problem(e)
            if problem:
                return problem
            continue  # the bounds are sizes, not expressions to check
        stack.extend(a for a in e.args if isinstance(a, sp.Basic))
    return None


def rename(expr: MatrixExpr, table: dict[str, MatrixSymbol]) -> MatrixExpr:
    """Replace every MatrixSymbol by the cell's symbol of the same name (unknown: error)."""
    subs = {}
    for s in expr.atoms(MatrixSymbol):
        if s.name not in table:
            known = ", ".join(sorted(table))
            raise CandidateError(f"unknown symbol {s.name!r} in candidate; known: {known}")
        subs[s] = table[s.name]
    return expr.xreplace(subs)
