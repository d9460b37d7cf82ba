"""The objects a derivation displays, each carrying its own notation.

A step of a derivation is printed from SymPy objects and checked by evaluating those very
objects (:mod:`.evaluate`), so everything a step shows must be a SymPy object that prints
itself and that a model can give a value. Besides the cells' vectors and parameters
(``MatrixSymbol``s named ``W_h``, ``h_prev``, …, printed through ``gradsym.lang.names``),
a derivation needs:

- :class:`Named` / :class:`NamedScalar` — a named matrix (vector) or scalar that carries its
  LaTeX: **Q**, **g**, γ, α. A name is a *name*: a letter with sub- and superscripts, never a
  formula in disguise (the step-walking test holds every name to that).
- :class:`Seq` — a member of an indexed family: **h**⁽ᵗ⁻¹⁾, J⁽ⁱ⁾, **A**ₗ; the index is a
  SymPy expression a model substitutes (t − 1 at t = 3 is **h**⁽²⁾).
- :class:`Partial` — ∂a/∂b of two vectors (or a scalar and a vector, or a scalar and a
  matrix), **in numerator layout**: ∂**a**/∂**b** has shape (dim a, dim b), so ∂J/∂**h** is
  a row; for a matrix **W**, ∂J/∂**W** is the gradient, shaped like **W**.
- :class:`OrderedProduct` — ∏_{j<t≤i} Aₜ, **ordered** Aᵢ Aᵢ₋₁ ⋯ Aⱼ₊₁ (latest on the left,
  as numerator layout needs); :class:`IndexedSum` — Σ_{k=1}^{n} of matrices.
- Scalar functionals: :class:`Norm`, :class:`SingularValue` (σ_max, σ_min),
  :class:`SpectralRadius` (ρ), :class:`Sup`, :class:`MaxOver`, :class:`CosAngle`,
  :class:`Degree`, :class:`FloatRound` (fl, rounding to float64), :class:`Decimal` (a
  terminating decimal, printed with its digits), :class:`ParamCount` (#θ of a model).

The LaTeX of every object lives in its ``_gradsym_latex`` method (``NotesLatexPrinter``
calls it), its plain text in ``_sympystr``. There is no table of names to fill in or patch.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy import Basic, MatrixSymbol
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from gradsym.lang.names import d as d_sym
from gradsym.lang.names import n as n_sym

n = n_sym
d = d_sym

# Index symbols of the notes: time steps t, i, j, k; the lag ℓ; τ for a product's index.
t, i, j, k = sp.symbols("t i j k", integer=True)
tau = sp.Symbol("tau", integer=True)
ell = sp.Symbol("ell", integer=True, positive=True)  # the same ℓ as gradsym.symbolic.ell
T = sp.Symbol("T", integer=True, positive=True)  # the sequence length (never a transpose)


def _str(x) -> Str:
    return x if isinstance(x, Str) else Str(str(x))


class Named(MatrixSymbol):
    """A named matrix or vector with its LaTeX: ``Named("Q", n, n, r"\\mathbf{Q}")``."""

    def __new__(cls, name, rows, cols, latex):
        return Basic.__new__(
            cls,
            _str(name),
            sp.sympify(rows, strict=True),
            sp.sympify(cols, strict=True),
            _str(latex),
        )

    @property
    def latex(self) -> str:
        return self.args[3].name

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return self.latex

    def _latex(self, printer, **kwargs) -> str:
        return self.latex


def vector(name: str, latex: str, rows=n) -> Named:
    """A named column vector."""
    return Named(name, rows, 1, latex)


def row(name: str, latex: str, cols=n) -> Named:
    """A named row vector (a gradient ∂J/∂h in numerator layout)."""
    return Named(name, 1, cols, latex)


def matrix(name: str, latex: str, rows=n, cols=n) -> Named:
    """A named matrix."""
    return Named(name, rows, cols, latex)


class NamedScalar(sp.Symbol):
    """A scalar symbol with its LaTeX: ``NamedScalar("gamma", r"\\gamma", positive=True)``.

    Two NamedScalars are the same symbol when name, LaTeX and assumptions agree.
    """

    __slots__ = ("latex",)

    def __new__(cls, name: str, latex: str, **assumptions):
        obj = sp.Symbol.__xnew__(cls, name, **assumptions)
        obj.latex = latex
        return obj

    def __getnewargs_ex__(self):
        return ((self.name, self.latex), self.assumptions0)

    def _hashable_content(self):
        return (*super()._hashable_content(), self.latex)

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return self.latex

    def _latex(self, printer, **kwargs) -> str:
        return self.latex


class Seq(MatrixExpr):
    """Member ``index`` of a family: **h**⁽ᵗ⁻¹⁾ (``script="time"``), **A**ₗ (``"sub"``).

    ``base`` is the LaTeX of the family's letter (\\mathbf{h}, J); shape (rows, cols).
    """

    def __new__(cls, name, index, rows, cols, base, script="time"):
        return Basic.__new__(
            cls,
            _str(name),
            sp.sympify(index, strict=True),
            sp.sympify(rows, strict=True),
            sp.sympify(cols, strict=True),
            _str(base),
            _str(script),
        )

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def index(self) -> sp.Expr:
        return self.args[1]

    @property
    def shape(self):
        return (self.args[2], self.args[3])

    @property
    def base(self) -> str:
        return self.args[4].name

    @property
    def script(self) -> str:
        return self.args[5].name

    def at(self, index) -> Seq:
        """The same family at another index."""
        return Seq(self.args[0], index, *self.args[2:])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        idx = printer._print(self.index).replace(" ", "")  # h^{(t-1)}, as the cells print
        if self.script == "sub":
            return f"{self.base}_{{{idx}}}"
        return f"{self.base}^{{({idx})}}"

    def _sympystr(self, printer) -> str:
        return f"{self.name}({printer._print(self.index)})"


def family(name: str, base: str, rows=n, cols=1, script: str = "time"):
    """A function index ↦ Seq: ``h = family("h", r"\\mathbf{h}")``, then ``h(t - 1)``."""

    def member(index) -> Seq:
        return Seq(name, index, rows, cols, base, script)

    return member


def _latex_of(printer, e) -> str:
    return printer._print(e)


class Partial(MatrixExpr):
    """∂a/∂b in numerator layout: (dim a, dim b); ∂(scalar)/∂(matrix) is shaped like it."""

    def __new__(cls, of, wrt):
        return Basic.__new__(cls, of, wrt)

    @property
    def of(self):
        return self.args[0]

    @property
    def wrt(self):
        return self.args[1]

    @property
    def shape(self):
        of, wrt = self.of, self.wrt
        if wrt.shape[1] != 1:  # a matrix: the gradient, shaped like it
            return wrt.shape
        return (of.shape[0], wrt.shape[0])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\frac{{\partial {_latex_of(printer, self.of)}}}{{\partial {_latex_of(printer, self.wrt)}}}"

    def _sympystr(self, printer) -> str:
        return f"∂{printer._print(self.of)}/∂{printer._print(self.wrt)}"


class TruncatedPartial(Partial):
    """∂_k a/∂b: the derivative truncated BPTT computes with a window of k steps — the
    state entering the window held constant."""

    def __new__(cls, of, wrt, window):
        return Basic.__new__(cls, of, wrt, sp.sympify(window, strict=True))

    @property
    def window(self):
        return self.args[2]

    def _gradsym_latex(self, printer, **kwargs) -> str:
        k_ = printer._print(self.window)
        return (
            rf"\frac{{\partial_{{{k_}}} {_latex_of(printer, self.of)}}}"
            rf"{{\partial {_latex_of(printer, self.wrt)}}}"
        )

    def _sympystr(self, printer) -> str:
        return (
            f"∂_{printer._print(self.window)}{printer._print(self.of)}/∂{printer._print(self.wrt)}"
        )


class OrderedProduct(MatrixExpr):
    """∏_{low < var ≤ high} body, ordered body(high) body(high − 1) ⋯ body(low + 1)."""

    def __new__(cls, body, var, low, high):
        return Basic.__new__(
            cls, body, var, sp.sympify(low, strict=True), sp.sympify(high, strict=True)
        )

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])
    low = property(lambda self: self.args[2])
    high = property(lambda self: self.args[3])

    @property
    def shape(self):
        return self.body.shape

    def _gradsym_latex(self, printer, **kwargs) -> str:
        p = printer._print
        bound = rf"{p(self.low)} < {p(self.var)} \leq {p(self.high)}"
        return rf"\prod_{{{bound}}} {printer._factor(self.body)}"

    def _sympystr(self, printer) -> str:
        p = printer._print
        return f"∏_{{{p(self.low)}<{p(self.var)}≤{p(self.high)}}} {p(self.body)}"


class IndexedSum(MatrixExpr):
    """Σ_{var=low}^{high} body for a matrix-valued body."""

    def __new__(cls, body, var, low, high):
        return Basic.__new__(
            cls, body, var, sp.sympify(low, strict=True), sp.sympify(high, strict=True)
        )

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])
    low = property(lambda self: self.args[2])
    high = property(lambda self: self.args[3])

    @property
    def shape(self):
        return self.body.shape

    def _gradsym_latex(self, printer, **kwargs) -> str:
        p = printer._print
        return (
            rf"\sum_{{{p(self.var)}={p(self.low)}}}^{{{p(self.high)}}} {printer._factor(self.body)}"
        )

    def _sympystr(self, printer) -> str:
        p = printer._print
        return f"Σ_{{{p(self.var)}={p(self.low)}..{p(self.high)}}} {p(self.body)}"


class _Functional(sp.Expr):
    """A real scalar computed from matrices (a norm, a singular value, …)."""

    is_commutative = True
    is_real = True

    def _sympystr(self, printer) -> str:
        return f"{type(self).__name__}({', '.join(printer._print(a) for a in self.args)})"


class Norm(_Functional):
    """‖v‖ (Euclidean, ``p=2``), ‖A‖₂ (spectral, for a matrix), ‖v‖_∞ (``p=oo``)."""

    is_nonnegative = True

    def __new__(cls, arg, p=2):
        return Basic.__new__(cls, arg, sp.sympify(p, strict=True))

    arg = property(lambda self: self.args[0])
    p = property(lambda self: self.args[1])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        body = rf"\left\lVert {printer._print(self.arg)} \right\rVert"
        vector = self.arg.shape[1] == 1 or self.arg.shape[0] == 1
        if self.p == 2 and vector:
            return body
        return body + (r"_\infty" if self.p == sp.oo else f"_{{{printer._print(self.p)}}}")


class SingularValue(_Functional):
    """s_max(A) or s_min(A): the largest or smallest singular value (s, not σ: σ is the
    sigmoid)."""

    is_nonnegative = True

    def __new__(cls, arg, which="max"):
        which = which.name if isinstance(which, Str) else which
        if which not in ("max", "min"):
            raise ValueError(f"which must be 'max' or 'min', got {which!r}")
        return Basic.__new__(cls, arg, Str(which))

    arg = property(lambda self: self.args[0])
    which = property(lambda self: self.args[1].name)

    def _gradsym_latex(self, printer, **kwargs) -> str:
        # s, not σ: σ is the sigmoid in these notes
        return rf"s_{{\{self.which}}}\left({printer._print(self.arg)}\right)"


class SpectralRadius(_Functional):
    """ρ(A) = max |λ(A)|."""

    is_nonnegative = True

    def __new__(cls, arg):
        return Basic.__new__(cls, arg)

    arg = property(lambda self: self.args[0])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\rho\left({printer._print(self.arg)}\right)"


class Sup(_Functional):
    """sup over ``var`` of a real ``body`` (over the reals, or ``domain``)."""

    def __new__(cls, body, var, domain=sp.S.Reals):
        return Basic.__new__(cls, body, var, domain)

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])
    domain = property(lambda self: self.args[2])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        p = printer._print
        under = p(self.var)
        if self.domain != sp.S.Reals:
            under += rf" \in {p(self.domain)}"
        return rf"\sup_{{{under}}} {p(self.body)}"


class MaxOver(_Functional):
    """max over the integers low ≤ var ≤ high of a scalar ``body``."""

    def __new__(cls, body, var, low, high):
        return Basic.__new__(
            cls, body, var, sp.sympify(low, strict=True), sp.sympify(high, strict=True)
        )

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])
    low = property(lambda self: self.args[2])
    high = property(lambda self: self.args[3])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        p = printer._print
        return rf"\max_{{{p(self.low)} \leq {p(self.var)} \leq {p(self.high)}}} {p(self.body)}"


class MinOver(MaxOver):
    """min over the integers low ≤ var ≤ high of a scalar ``body``."""

    def _gradsym_latex(self, printer, **kwargs) -> str:
        p = printer._print
        return rf"\min_{{{p(self.low)} \leq {p(self.var)} \leq {p(self.high)}}} {p(self.body)}"


class MinEntry(_Functional):
    """minᵢ vᵢ, the smallest entry of a vector."""

    def __new__(cls, arg):
        return Basic.__new__(cls, arg)

    arg = property(lambda self: self.args[0])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\min_{{\mu}} \left[{printer._print(self.arg)}\right]_{{\mu}}"


class CosAngle(_Functional):
    """cos∠(a, b) = aᵀb / (‖a‖ ‖b‖) of two vectors."""

    def __new__(cls, a, b):
        return Basic.__new__(cls, a, b)

    def _gradsym_latex(self, printer, **kwargs) -> str:
        a, b = (printer._print(x) for x in self.args)
        return rf"\cos\angle\left({a}, {b}\right)"


class Degree(_Functional):
    """The degree in the scalar ``var`` of a 1×1 expression, functions' arguments opaque."""

    def __new__(cls, arg, var):
        return Basic.__new__(cls, arg, var)

    arg = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\deg_{{{printer._print(self.var)}}} {printer._print(self.arg)}"


class FloatRound(_Functional):
    """fl(x): x rounded to the nearest float64 (a scalar, or the largest entry's norm)."""

    def __new__(cls, arg):
        return Basic.__new__(cls, arg)

    arg = property(lambda self: self.args[0])

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\operatorname{{fl}}\left({printer._print(self.arg)}\right)"


class Decimal(_Functional):
    """A terminating decimal, exactly the rational it spells: ``Decimal("38.746")``."""

    def __new__(cls, digits: str):
        if not re.fullmatch(r"-?\d+(\.\d+)?", str(digits)):
            raise ValueError(f"not a decimal: {digits!r}")
        return Basic.__new__(cls, _str(digits))

    @property
    def digits(self) -> str:
        return self.args[0].name

    @property
    def value(self) -> sp.Rational:
        return sp.Rational(self.digits)

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return self.digits

    def _sympystr(self, printer) -> str:
        return self.digits


class ParamCount(_Functional):
    """#θ of a model, named by its LaTeX label (\\text{LSTM})."""

    is_integer = True
    is_nonnegative = True

    def __new__(cls, model: str, label: str):
        return Basic.__new__(cls, _str(model), _str(label))

    model = property(lambda self: self.args[0].name)

    def _gradsym_latex(self, printer, **kwargs) -> str:
        return rf"\#\theta_{{{self.args[1].name}}}"

    def _sympystr(self, printer) -> str:
        return f"#θ_{self.model}"


class Clip(MatrixExpr):
    """clip(ĝ): Algorithm 1's norm clipping (``kind="norm"``) or clipping by value."""

    def __new__(cls, arg, threshold, kind="norm"):
        return Basic.__new__(cls, arg, threshold, Str(kind))

    arg = property(lambda self: self.args[0])
    threshold = property(lambda self: self.args[1])
    kind = property(lambda self: self.args[2].name)

    @property
    def shape(self):
        return self.arg.shape

    def _gradsym_latex(self, printer, **kwargs) -> str:
        name = r"\operatorname{clip}" if self.kind == "norm" else r"\operatorname{clip}_{v}"
        return rf"{name}\left({printer._print(self.arg)}\right)"


__all__ = [
    "Clip",
    "CosAngle",
    "Decimal",
    "Degree",
    "FloatRound",
    "IndexedSum",
    "MaxOver",
    "MinEntry",
    "MinOver",
    "Named",
    "NamedScalar",
    "Norm",
    "OrderedProduct",
    "ParamCount",
    "Partial",
    "Seq",
    "SingularValue",
    "SpectralRadius",
    "Sup",
    "TruncatedPartial",
    "family",
    "matrix",
    "row",
    "vector",
]
