r"""The claims' prose, written once as LaTeX: every other form is derived from it.

A title, statement, assumption, justification, caveat or check method is LaTeX text: words,
inline mathematics between ``$…$`` in the notes' notation (the macros the printed formulas
use: ``$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$``, ``$\mathbf{X}^{\top}$``),
and a few text macros (``\emph{…}``, ````…''``, ``--``, ``\%``, ``\cite{…}``). It is plain
ASCII, so the sequence length ``T`` and the transpose ``^{\top}`` cannot be confused, and
no converter has to guess which words are mathematics. The notes print it as it is; the
Markdown of the notes and the terminal's Unicode (:func:`to_unicode`) are derived from it.

:func:`check_prose` refuses what would go wrong on a page: Unicode, unbalanced ``$`` or
braces, a subscript or superscript outside math, Markdown (``*left*``, backticks, ``[[``),
Python (``update_bias``, ``Linear(10000, 100).n_params``, ``[[0.9, 10], [0, 0.9]]``), a
macro this module does not know, and an unclosed quotation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from gradsym.errors import InvalidValueError

__all__ = [
    "MATH_MACROS",
    "TEXT_MACROS",
    "ProseError",
    "check_prose",
    "escape_text",
    "math_segments",
    "to_markdown",
    "to_unicode",
]


class ProseError(InvalidValueError):
    """Prose that is not the LaTeX text a claim must be written in."""


# -- the vocabulary --------------------------------------------------------------------------------

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ",
    "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip

SYMBOLS = {
    "partial": "∂", "nabla": "∇", "infty": "∞", "ell": "ℓ", "circ": "∘", "cdot": "·",
    "times": "×", "pm": "±", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "mapsto": "↦", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "neq": "≠", "ne": "≠", "approx": "≈", "equiv": "≡", "gg": "≫", "ll": "≪", "in": "∈",
    "notin": "∉", "sum": "Σ", "prod": "∏", "ldots": "…", "cdots": "⋯", "dots": "…",
    "forall": "∀", "exists": "∃", "odot": "⊙", "top": "ᵀ", "sim": "∼", "lVert": "‖",
    "rVert": "‖", "|": "‖", "langle": "⟨", "rangle": "⟩", "angle": "∠", "quad": "  ",
    "qquad": "    ", ",": " ", ";": " ", "!": "", " ": " ", "{": "{", "}": "}", "#": "#",
    "%": "%", "&": "&", "_": "_", "$": "$", "lfloor": "⌊", "rfloor": "⌋", "emptyset": "∅",
    "cap": "∩", "cup": "∪", "subset": "⊂", "propto": "∝", "surd": "√", "vert": "|",
    "lvert": "|", "rvert": "|",
}  # fmt: skip

# \mathbb{R}: the number sets, one double-struck letter each.
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}

# Named operators printed upright: \tanh, \max, ... (their name is their text).
OPERATORS = {"tanh", "exp", "log", "ln", "max", "min", "sup", "inf", "lim", "det", "cos",
             "sin", "arg", "deg"}  # fmt: skip
# Macros that print their one argument in another face: the text is the argument's.
FACES = {"mathbf", "boldsymbol", "bm", "mathrm", "mathit", "mathcal", "mathsf", "mathtt",
         "operatorname", "text", "textrm", "textit", "textbf", "emph", "mbox"}  # fmt: skip
# Accents over one argument: combining characters (→h is written before the letter).
ACCENTS = {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0304", "dot": "\u0307"}
ARROWS = {"overrightarrow": "→", "overleftarrow": "←", "vec": "→"}
# Sizing and spacing that print nothing of their own.
INVISIBLE = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
             "limits", "nolimits"}  # fmt: skip

#: Every macro allowed inside $…$.
MATH_MACROS = (
    set(GREEK) | set(SYMBOLS) | OPERATORS | FACES | set(ACCENTS) | set(ARROWS) | INVISIBLE
) | {"mathbb", "frac", "tfrac", "dfrac", "sqrt", "xrightarrow", "begin", "end", "cite", "\\"}
#: Every macro allowed in text (outside $…$).
TEXT_MACROS = {"emph", "textbf", "textit", "cite", "ldots", "%", "&", "#", "_", "$", "{", "}",
               ",", " ", "S", "textbackslash", "^", "~", '"', "ref", "eqref"}  # fmt: skip

_SUPERSCRIPT = dict(zip("0123456789+-−=()niabcdefghjklmoprstuvwxyzTNKLℓβγδᵀ",
                        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᴺᴷᴸˡᵝᵞᵟᵀ", strict=True))  # fmt: skip
_SUBSCRIPT = dict(zip("0123456789+-−=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ",
                      strict=True))  # fmt: skip

_MACRO = re.compile(r"\\([A-Za-z]+|.)")
# Relations and operators keep the spaces around them in Unicode (a ≥ b, not a ≥b).
_SPACED = {"leq", "le", "geq", "ge", "neq", "ne", "approx", "equiv", "gg", "ll", "in", "notin",
           "to", "rightarrow", "leftarrow", "Rightarrow", "mapsto", "sim", "propto", "subset",
           "cap", "cup", "times", "cdot", "circ", "odot", "pm", "quad", "qquad"}  # fmt: skip


# -- splitting -------------------------------------------------------------------------------------


def math_segments(s: str) -> Iterator[tuple[bool, str]]:
    """(is_math, piece) in order: the text and the inline math of ``s`` (``\\$`` is text)."""
    out, buf, math, k = [], "", False, 0
    while k < len(s):
        if s[k] == "\\" and k + 1 < len(s):
            buf += s[k : k + 2]
            k += 2
            continue
        if s[k] == "$":
            out.append((math, buf))
            buf, math = "", not math
        else:
            buf += s[k]
        k += 1
    out.append((math, buf))
    if math:
        raise ProseError(f"an unclosed $ in {s!r}")
    return iter([(m, p) for m, p in out if p])


# -- checking --------------------------------------------------------------------------------------

_MARKDOWN = re.compile(
    r"(?<![\\\w])\*[^*\s][^*]*\*|(?<!`)`(?![`A-Za-z])|\[\[|\]\]|(?<![\\\w])_[A-Za-z]"
)
_PYTHON = re.compile(
    r"[A-Za-z]\w*_\w+|\b[A-Za-z_]\w*\.[A-Za-z_]\w*\(|\)\.[A-Za-z_]\w*|\b[a-z_]+\([^)$]*=[^)$]*\)"
)


def check_prose(s: str, where: str = "") -> str:
    """``s`` if it is well-formed LaTeX prose; otherwise :class:`ProseError` saying why."""
    place = f"{where}: " if where else ""

    def fail(why: str):
        raise ProseError(f"{place}{why} in {s!r}")

    bad = sorted({c for c in s if not c.isascii()})
    if bad:
        fail(f"non-ASCII characters {bad} (write the LaTeX: \\partial, ^{{\\top}}, ...)")
    depth = 0
    for m in re.finditer(r"\\.|[{}]", s):
        depth += {"{": 1, "}": -1}.get(m.group(0), 0)
        if depth < 0:
            fail("a closing brace without its opening one")
    if depth:
        fail("unbalanced braces")
    try:
        segments = list(math_segments(s))
    except ProseError as exc:
        raise ProseError(place + str(exc)) from None
    for is_math, piece in segments:
        for name in _MACRO.findall(piece):
            allowed = MATH_MACROS if is_math else TEXT_MACROS
            if name not in allowed:
                where_ = "mathematics" if is_math else "text"
                fail(f"the macro \\{name} is not one the notes use in {where_}")
        if is_math:
            if re.search(r"\[\s*\[", piece):
                fail("a Python list: write the matrix with \\begin{pmatrix}")
            if piece != piece.strip():
                fail("math that starts or ends with a space (Markdown would not see it)")
            continue
        text = re.sub(r"\\.", "", piece)
        if re.search(r"[_^]", text):
            fail("a sub- or superscript outside $...$")
        if _MARKDOWN.search(piece):
            fail(f"Markdown ({_MARKDOWN.search(piece).group(0)!r}): write \\emph{{...}}")
        if _PYTHON.search(text):
            fail(f"Python ({_PYTHON.search(text).group(0)!r}): say it in words or in $...$")
        if re.search(r"\[\s*\[|\[\s*-?\d+(\.\d+)?\s*,", text):
            fail("a Python list: write the matrix in $...$")
        if '"' in text:
            fail("a straight double quote: write ``...''")
    text = re.sub(r"\\.", "", "".join(piece for is_math, piece in segments if not is_math))
    if text.count("``") != text.count("''"):
        fail("an unclosed quotation: ``...'' must pair")
    if re.search(r"(?:^|(?<=[\s(]))'(?=\w)", text):
        fail("a quotation opened with ': write `...'")
    for m in re.finditer(r"(?<!`)`(?!`)", text):
        if not re.search(r"'(?![A-Za-z])", text[m.end() :]):
            fail("an unclosed quotation: `...' must pair")
    try:  # the terminal form is derived from it: it must exist
        to_unicode(s)
    except ProseError as exc:
        raise ProseError(place + str(exc)) from None
    return s


def escape_text(plain: str) -> str:
    """Plain ASCII text (a user's description) as LaTeX prose: specials escaped, quotation
    marks opened and closed as LaTeX writes them, no math."""
    specials = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%",
                "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}  # fmt: skip
    out = "".join(specials.get(c, c) for c in plain)
    # quotation marks as LaTeX writes them: `single' and ``double''
    out = re.sub(r'"([^"]*)"', r"``\1''", out)
    return re.sub(r"(^|(?<=[\s(\[]))'", "`", out)


# -- Unicode, for terminals -------------------------------------------------------------------------

_TEXT_UNICODE = [("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘"), ("'", "’"),
                 ("~", " ")]  # fmt: skip


def _group(s: str, k: int) -> tuple[str, int]:
    """The argument starting at ``k`` ({…} or one token) and the index after it."""
    while k < len(s) and s[k] == " ":
        k += 1
    if k >= len(s):
        return "", k
    if s[k] == "{":
        depth = 0
        for j in range(k, len(s)):
            if s[j] == "\\":
                continue
            if s[j] == "{" and (j == 0 or s[j - 1] != "\\"):
                depth += 1
            elif s[j] == "}" and s[j - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return s[k + 1 : j], j + 1
        raise ProseError(f"unbalanced braces in {s!r}")
    m = _MACRO.match(s, k)
    if m:
        return m.group(0), m.end()
    return s[k], k + 1


def _script(body: str, table: dict[str, str], mark: str) -> str:
    if body and all(c in table for c in body):
        return "".join(table[c] for c in body)
    if len(body) == 1:
        return mark + body
    return f"{mark}({body})"


def _simple(s: str) -> bool:
    return bool(re.fullmatch(r"[\w∂′'ᵀ⁽⁾⁻⁺⁰-⁹ⁱⁿ₀-₉ₐ-ₜᵢ-ᵥ\u0300-\u036f→←‖|]+|[\w]+\([^()]*\)", s))


def _math_unicode(s: str, cite: Callable[[str], str]) -> str:
    out, k = [], 0
    while k < len(s):
        ch = s[k]
        if ch == "\\":
            m = _MACRO.match(s, k)
            name, k = m.group(1), m.end()
            if name.isalpha() and name not in _SPACED:  # the space ending \partial is not a gap
                j = k
                while j < len(s) and s[j] == " ":
                    j += 1
                after = _MACRO.match(s, j)
                spaced = after is not None and after.group(1) in _SPACED  # ℓ → ∞, not ℓ→ ∞
                if j < len(s) and (s[j].isalnum() or s[j] in "\\{") and not spaced:
                    k = j
            if name in GREEK:
                out.append(GREEK[name])
            elif name in SYMBOLS:
                out.append(SYMBOLS[name])
            elif name in OPERATORS:
                out.append(name)
            elif name in INVISIBLE:
                continue
            elif name in FACES:
                body, k = _group(s, k)
                out.append(_math_unicode(body, cite) if not name.startswith("text") else body)
            elif name == "mathbb":
                body, k = _group(s, k)
                if body not in BLACKBOARD:
                    raise ProseError(
                        f"\\mathbb{{{body}}} is not a number set the notes use in {s!r}"
                    )
                out.append(BLACKBOARD[body])
            elif name in ACCENTS:
                body, k = _group(s, k)
                out.append(_math_unicode(body, cite) + ACCENTS[name])
            elif name in ARROWS:
                body, k = _group(s, k)
                out.append(ARROWS[name] + _math_unicode(body, cite))
            elif name in ("frac", "tfrac", "dfrac"):
                num, k = _group(s, k)
                den, k = _group(s, k)
                a, b = _math_unicode(num, cite), _math_unicode(den, cite)
                a = a if _simple(a) else f"({a})"
                b = b if _simple(b) else f"({b})"
                out.append(f"{a}/{b}")
            elif name == "sqrt":
                body, k = _group(s, k)
                out.append(f"√({_math_unicode(body, cite)})")
            elif name == "xrightarrow":
                body, k = _group(s, k)
                out.append(f"→ (as {_math_unicode(body, cite)})")
            elif name == "cite":
                body, k = _group(s, k)
                out.append(cite(body))
            elif name in ("begin", "end"):
                _, k = _group(s, k)
                out.append("[" if name == "begin" else "]")
            elif name == "\\":
                out.append("; ")
            else:
                raise ProseError(f"no Unicode for the macro \\{name} in {s!r}")
        elif ch in "^_":
            body, k = _group(s, k + 1)
            text = _math_unicode(body, cite)
            table = _SUPERSCRIPT if ch == "^" else _SUBSCRIPT
            out.append(_script(text, table, ch))
        elif ch in "{}":
            k += 1
        elif ch == "'":
            out.append("'")
            k += 1
        elif ch == "-":
            out.append("−")
            k += 1
        elif ch == "&":
            out.append(",")
            k += 1
        else:
            out.append(ch)
            k += 1
    return "".join(out)


def _default_ref(label: str) -> str:
    """What ``\\ref{label}`` prints where no numbering is known: the label's name."""
    return label.partition(":")[2] or label


def _text_unicode(s: str, cite: Callable[[str], str], ref=_default_ref) -> str:
    out, k = [], 0
    while k < len(s):
        if s[k] == "\\":
            m = _MACRO.match(s, k)
            name, k = m.group(1), m.end()
            if name in ("emph", "textbf", "textit"):
                body, k = _group(s, k)
                out.append(_text_unicode(body, cite, ref))
            elif name in ("ref", "eqref"):
                body, k = _group(s, k)
                out.append(ref(body) if name == "ref" else f"({ref(body)})")
            elif name == "cite":
                body, k = _group(s, k)
                out.append(cite(body))
            elif name == "ldots":
                out.append("…")
                if k < len(s) and s[k] == "{":
                    k = _group(s, k)[1]
            elif name == "S":
                out.append("§")
            elif name == "textbackslash":
                out.append("\\")
                k = _group(s, k)[1] if s.startswith("{}", k) else k
            else:
                out.append(name if len(name) == 1 else "")
            continue
        for tex, uni in _TEXT_UNICODE:
            if s.startswith(tex, k):
                out.append(uni)
                k += len(tex)
                break
        else:
            if s[k] not in "{}":
                out.append(s[k])
            k += 1
    return "".join(out)


def _default_cite(keys: str) -> str:
    from .bibliography import cite_text

    return cite_text(keys)


def to_unicode(
    s: str, cite: Callable[[str], str] = _default_cite, ref: Callable[[str], str] = _default_ref
) -> str:
    """The prose ``s`` in Unicode for a terminal: ``$\\partial \\mathbf{h}^{(t)}$`` → ∂h⁽ᵗ⁾.

    ``cite`` turns the keys of ``\\cite{…}`` into text (default: the bibliography's label,
    ``[Pascanu et al. 2013]``).
    """
    text = "".join(
        _math_unicode(piece, cite) if is_math else _text_unicode(piece, cite, ref)
        for is_math, piece in math_segments(s)
    )
    return unicodedata.normalize("NFC", text)  # g + combining hat is ĝ


# -- Markdown, for MathJax (Jupyter, Obsidian) -------------------------------------------------------

# MathJax's \text{} takes ASCII as it is (no ligatures): quotes and dashes spelled plainly.
_MATHJAX_TEXT = [("---", "$-$"), ("--", "$-$"), ("``", '"'), ("''", '"'), ("~", " ")]
_MD_ESCAPE = {"*": r"\*", "_": r"\_", "`": r"\`", "<": "&lt;", "#": r"\#", "|": r"\|"}


def _text_markdown(s: str, cite: Callable[[str], str], in_math: bool, ref=_default_ref) -> str:
    out, k = [], 0
    while k < len(s):
        if s[k] == "\\":
            m = _MACRO.match(s, k)
            name, k = m.group(1), m.end()
            if name in ("ref", "eqref"):
                body, k = _group(s, k)
                out.append(ref(body) if name == "ref" else f"({ref(body)})")
            elif name in ("emph", "textit", "textbf"):
                body, k = _group(s, k)
                inner = _text_markdown(body, cite, in_math, ref)
                mark = "" if in_math else ("**" if name == "textbf" else "*")
                out.append(f"{mark}{inner}{mark}")
            elif name == "cite":
                body, k = _group(s, k)
                out.append(cite(body))
            elif name == "ldots":
                out.append(r"$\ldots$" if in_math else "…")
                if s.startswith("{}", k):
                    k += 2
            elif name == "S":
                out.append(r"$\S$" if in_math else "§")
            elif name in ("%", "$", "&", "#", "_", "{", "}") and in_math:
                out.append(f"$\\{name}$")  # MathJax's \text{} knows no \% or \_
            elif name in ("_", "#"):
                out.append(_MD_ESCAPE[name])
            elif name == "$":
                out.append("\\$")
            elif name == "textbackslash":
                out.append("\\\\")
                k = k + 2 if s.startswith("{}", k) else k
            elif name in ("^", "~"):
                out.append(name)
                k = k + 2 if s.startswith("{}", k) else k
            else:
                out.append(" " if name in (",", " ") else name)
            continue
        for tex, uni in _MATHJAX_TEXT if in_math else _TEXT_UNICODE:
            if s.startswith(tex, k):
                out.append(uni)
                k += len(tex)
                break
        else:
            ch = s[k]
            if ch not in "{}":
                out.append(ch if in_math else _MD_ESCAPE.get(ch, ch))
            k += 1
    return "".join(out)


def to_markdown(
    s: str,
    cite: Callable[[str], str] = _default_cite,
    *,
    in_math: bool = False,
    ref: Callable[[str], str] = _default_ref,
) -> str:
    """The prose ``s`` as Markdown: math stays ``$…$`` (MathJax renders the same LaTeX), the
    text macros become Markdown (``\\emph{a}`` → ``*a*``, ````a''`` → “a”, ``\\cite{k}`` →
    ``[Pascanu et al. 2013]``).

    ``in_math`` gives the text for a ``\\text{…}`` inside a ``$$`` block (a justification
    beside a derivation's row): no Markdown emphasis, and LaTeX's specials as math.
    """
    return "".join(
        f"${piece}$" if is_math else _text_markdown(piece, cite, in_math, ref)
        for is_math, piece in math_segments(s)
    )
