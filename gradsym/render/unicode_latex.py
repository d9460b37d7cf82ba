"""Unicode text → LaTeX, for the claims' plain-text statements, justifications and titles.

The claims are written as the notes write them on the slides: ``∂J⁽⁴⁾/∂h⁽¹⁾``,
``θⁿᵉʷ = θᵒˡᵈ − α∇_θJ(θ)``, ``|λ₁| < 1``, ``c̃``. pdflatex takes none of that raw, so every
string goes through one of two functions here:

- :func:`text_to_latex` — prose with math in it. Runs of math (words containing Greek,
  operators, super/subscript characters, ``W_h``-style names or single-letter variables,
  joined by ``=``, ``+``, numbers …) become inline math ``$…$``; a run of superscript
  characters becomes one ``^{…}`` group and a run of subscripts one ``_{…}`` group
  (``h⁽ᵗ⁻¹⁾`` → ``h^{(t-1)}``, never ``h^{(}^{t}…``), Greek and symbols become macros,
  combining accents wrap their letter (``c̃`` → ``\\tilde{c}``) and LaTeX's specials in the
  prose are escaped (``50% of`` → ``50\\% of``).
- :func:`math_to_latex` — a string that is already LaTeX but carries stray Unicode
  (``\\mathbf{h₁}``): only the Unicode is converted, and the contents of ``\\text{…}`` go
  through :func:`text_to_latex`.

``flavour="mathjax"`` (for Markdown, inside ``\\text{…}`` of a ``$$`` block) escapes the
prose's specials as math (``$\\_$``), since MathJax's ``\\text`` knows no ``\\_``.

A character with no LaTeX here raises :class:`UnicodeLatexError` naming it and where it
came from, so a new claim with an unmapped symbol fails the tests rather than the TeX run.
"""

from __future__ import annotations

import re
import unicodedata

from gradsym.errors import InvalidValueError

__all__ = ["UnicodeLatexError", "math_to_latex", "text_to_latex"]


class UnicodeLatexError(InvalidValueError):
    """A character the converter has no LaTeX for."""


GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\epsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\phi", "χ": r"\chi",
    "ψ": r"\psi", "ω": r"\omega", "ϵ": r"\epsilon", "ϑ": r"\vartheta", "ϕ": r"\varphi",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi",
    "Π": r"\Pi", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
}  # fmt: skip

SYMBOLS = {
    "∂": r"\partial", "∇": r"\nabla", "∞": r"\infty", "ℓ": r"\ell", "∘": r"\circ",
    "·": r"\cdot", "×": r"\times", "−": "-", "±": r"\pm", "→": r"\to", "←": r"\leftarrow",
    "⇒": r"\Rightarrow", "↦": r"\mapsto", "≤": r"\leq", "≥": r"\geq", "≠": r"\neq",
    "≈": r"\approx", "≡": r"\equiv", "≫": r"\gg", "≪": r"\ll", "≳": r"\gtrsim",
    "≲": r"\lesssim", "∈": r"\in", "∉": r"\notin", "∏": r"\prod", "∑": r"\sum",
    # The notes write Σ only for a sum (Σ cᵢ λᵢˡ qᵢ), never for a covariance.
    "Σ": r"\sum", "‖": r"\|", "…": r"\ldots", "⋯": r"\cdots", "√": r"\surd", "∀": r"\forall",
    "∃": r"\exists", "⊙": r"\odot", "⊗": r"\otimes", "∝": r"\propto", "⟨": r"\langle",
    "⟩": r"\rangle", "∠": r"\angle", "∼": r"\sim", "⊤": r"\top", "∅": r"\emptyset",
    "∩": r"\cap", "∪": r"\cup", "⊂": r"\subset", "½": r"\tfrac{1}{2}", "¼": r"\tfrac{1}{4}",
}  # fmt: skip

# Superscript and subscript characters → what they raise or lower. ˡ is ℓ (W_hˡ) and ᵀ the
# transpose, except inside a word (θᵒˡᵈ), see _script.
SUPERSCRIPTS = dict(
    zip(
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᴺᴷᴸᵝᵞᵟ",
        "0123456789+-=()niabcdefghjklmoprstuvwxyzTNKLβγδ",
        strict=True,
    )
)
SUBSCRIPTS = dict(
    zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", "0123456789+-=()aeoxhklmnpstijruv", strict=True)
)

ACCENTS = {"\u0303": r"\tilde", "\u0302": r"\hat", "\u0304": r"\bar", "\u0307": r"\dot",
           "\u0308": r"\ddot", "\u20d7": r"\overrightarrow", "\u20d6": r"\overleftarrow"}  # fmt: skip
# The notes write the two directions of a bidirectional RNN as →h and ←h (an arrow right
# before a letter); those are accents over the letter, not "tends to".
_DIRECTION = re.compile(r"(?<![A-Za-z0-9])([→←])([A-Za-z])")

# Prose punctuation that is not math.
TEXT_CHARS = {"—": "---", "–": "--", "“": "``", "”": "''", "‘": "`", "’": "'", "\u00a0": "~"}

# Function names written in plain text inside math.
FUNCTIONS = {
    "tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "ln": r"\ln", "max": r"\max",
    "min": r"\min", "sup": r"\sup", "inf": r"\inf", "cos": r"\cos", "sin": r"\sin",
    "lim": r"\lim", "det": r"\det", "diag": r"\operatorname{diag}",
    "argmax": r"\operatorname{argmax}", "sigmoid": r"\operatorname{sigmoid}",
    "ReLU": r"\operatorname{ReLU}", "clip": r"\operatorname{clip}", "fl": r"\operatorname{fl}",
}  # fmt: skip

TEXT_SPECIALS = {
    "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\~{}", "^": r"\^{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}  # fmt: skip
# MathJax's \text{} has no \_ or \%: the specials go through math there.
MATHJAX_SPECIALS = {
    "#": r"$\#$", "$": r"$\$$", "%": r"$\%$", "&": r"$\&$", "_": r"$\_$", "{": r"$\{$",
    "}": r"$\}$", "~": r"$\sim$", "^": r"$\hat{}$", "\\": r"$\backslash$", "<": "$<$",
    ">": "$>$", "|": "$|$",
}  # fmt: skip
MATHJAX_TEXT_CHARS = {"—": "$-$", "–": "$-$", "“": '"', "”": '"', "‘": "'", "’": "'",
                      "\u00a0": " "}  # fmt: skip
MATH_SPECIALS = {"#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "~": r"\sim",
                 "\\": r"\backslash"}  # fmt: skip

_MATH_CHARS = set(GREEK) | set(SYMBOLS) | set(SUPERSCRIPTS) | set(SUBSCRIPTS) | set(ACCENTS)
_OPERATOR = re.compile(r"^(=|\+|-|<|>|/|\*)$")
_NUMBER = re.compile(r"^\(?[0-9]+(?:[.,/][0-9]+)*\)?$")
_SOURCE = re.compile(r"^\(0[0-9][0-9]\)$")  # (001): a source note, not a number
_COEFFICIENT = re.compile(r"^[0-9]*\.?[0-9]+[A-Za-z]$")  # 2Q, 1.5Q
_ASCII_EXPRESSION = re.compile(r"^([A-Za-z]|[0-9]+)([-+*/=<>]([A-Za-z]|[0-9]+))+$")  # j+1, b=8
# Short English words that are never a variable.
_WORDS = frozenset(
    [
        "a",
        "is",
        "of",
        "in",
        "to",
        "as",
        "at",
        "by",
        "be",
        "or",
        "on",
        "an",
        "if",
        "no",
        "so",
        "we",
        "it",
        "up",
        "do",
        "vs",
        "he",
        "me",
        "my",
        "us",
    ]
)
_SUBSCRIPTED = re.compile(r"(?<![A-Za-z])[A-Za-z]{1,2}_(\{|[A-Za-z0-9]{1,2}(?![A-Za-z0-9]))")
_FUNCTION_CALL = re.compile(r"(?<![A-Za-z])([A-Za-z]|" + "|".join(FUNCTIONS) + r")'?\(")
_CONTROL_WORD_END = re.compile(r"\\[A-Za-z]+$")
_TRAILING = ",.;:"


def _unknown(ch: str, where: str) -> UnicodeLatexError:
    name = unicodedata.name(ch, "unnamed")
    place = f" in {where}" if where else ""
    return UnicodeLatexError(
        f"no LaTeX for the character {ch!r} (U+{ord(ch):04X} {name}){place}; "
        "add it to gradsym.render.unicode_latex"
    )


def _decompose(s: str) -> str:
    """Accented letters as letter + combining accent (ĝ → g + U+0302); nothing else (NFD
    would also split ≠ into = and a combining solidus)."""
    s = _DIRECTION.sub(lambda m: m[2] + ("\u20d7" if m[1] == "→" else "\u20d6"), s)
    out = []
    for ch in s:
        nfd = unicodedata.normalize("NFD", ch)
        ok = len(nfd) > 1 and nfd[0].isalpha() and all(c in ACCENTS for c in nfd[1:])
        out.append(nfd if ok else ch)
    return "".join(out)


def _join(atoms: list[str]) -> str:
    """Concatenate, with a space after a control word that a letter would otherwise extend."""
    out = ""
    for a in atoms:
        if a and out and _CONTROL_WORD_END.search(out) and (a[0].isalpha()):
            out += " "
        out += a
    return out


# -- math: plain text that is math (W_h h⁽ᵗ⁻¹⁾ + b) -----------------------------------------


def _script(chars: str, table: dict[str, str]) -> str:
    """One ^{…} or _{…} body from a run of super/subscript characters."""
    plain = "".join(table[c] for c in chars)
    if len(plain) >= 2 and plain.isalpha():  # a word: θⁿᵉʷ, θᵒˡᵈ
        return rf"\mathrm{{{plain}}}"
    atoms = []
    depth = 0  # inside ⁽…⁾ a ᵀ is the time T (h⁽ᵀ⁻ˡ⁾), elsewhere the transpose (hᵀ)
    for c in plain:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "l" and table is SUPERSCRIPTS:
            atoms.append(r"\ell")
        elif c == "T" and table is SUPERSCRIPTS and depth == 0:
            atoms.append(r"\top")
        elif c in GREEK:
            atoms.append(GREEK[c])
        else:
            atoms.append(c)
    return _join(atoms)


def _plain_math(s: str, where: str) -> str:
    """LaTeX (math mode) of math written in plain Unicode text."""
    atoms: list[str] = []
    i, n = 0, len(s)

    def group_after(k: int, close: str) -> tuple[str, int]:
        depth, j = 0, k
        while j < n:
            if s[j] in "({":
                depth += 1
            elif s[j] in ")}":
                depth -= 1
                if depth == 0:
                    return s[k : j + 1], j + 1
            j += 1
        return s[k:], n

    while i < n:
        ch = s[i]
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and s[j].isascii() and s[j].isalpha():
                j += 1
            word = s[i:j]
            if word in FUNCTIONS:
                atoms.append(FUNCTIONS[word])
            elif len(word) >= 3:
                atoms.append(rf"\mathrm{{{word}}}")
            else:
                atoms.append(word)
            i = j
        elif ch in "_^" and i + 1 < n:
            nxt = s[i + 1]
            if nxt in "{(":
                body, i = group_after(i + 1, "}" if nxt == "{" else ")")
                inner = body[1:-1] if nxt == "{" else body
                atoms.append(f"{ch}{{{_plain_math(inner, where)}}}")
                continue
            j = i + 1
            if s[j].isascii() and s[j].isalnum():
                while j < n and s[j].isascii() and s[j].isalnum():
                    j += 1
            else:
                j += 1
            body = _plain_math(s[i + 1 : j], where)
            single = len(s[i + 1 : j]) == 1 and not body.startswith("\\")
            atoms.append(f"{ch}{body}" if single else f"{ch}{{{body}}}")
            i = j
        elif ch in SUPERSCRIPTS or ch in SUBSCRIPTS:
            table = SUPERSCRIPTS if ch in SUPERSCRIPTS else SUBSCRIPTS
            j = i
            while j < n and s[j] in table:
                j += 1
            mark = "^" if table is SUPERSCRIPTS else "_"
            atoms.append(f"{mark}{{{_script(s[i:j], table)}}}")
            i = j
        elif ch in ACCENTS:
            if not atoms or not atoms[-1]:
                raise _unknown(ch, where)
            atoms[-1] = rf"{ACCENTS[ch]}{{{atoms[-1]}}}"
            i += 1
        elif ch in GREEK:
            atoms.append(GREEK[ch])
            i += 1
        elif ch in SYMBOLS:
            atoms.append(SYMBOLS[ch])
            i += 1
        elif ch in "{}":
            atoms.append("\\" + ch)
            i += 1
        elif ch in MATH_SPECIALS:
            atoms.append(MATH_SPECIALS[ch])
            i += 1
        elif ch in TEXT_CHARS:
            atoms.append(rf"\text{{{TEXT_CHARS[ch]}}}")
            i += 1
        elif ch == " " and atoms and atoms[-1].isdigit() and i + 1 < n and s[i + 1].isdigit():
            atoms.append(r"\,")  # 1 000 100: a thin space between digit groups
            i += 1
        elif ch.isascii():
            atoms.append(ch)
            i += 1
        else:
            raise _unknown(ch, where)
    return _join(atoms)


# -- text: prose with math in it ----------------------------------------------------------------


def _is_math_token(tok: str) -> bool:
    if any(c in _MATH_CHARS for c in tok):
        return True
    core = tok.strip("()[],.;:")
    if len(core) == 1 and core.isascii() and core.isalpha() and core not in "aA":
        return True
    if _COEFFICIENT.match(core) or _ASCII_EXPRESSION.match(core):
        return True
    return bool(_SUBSCRIPTED.search(tok) or _FUNCTION_CALL.search(tok))


def _prose(s: str, specials: dict[str, str], text_chars: dict[str, str], where: str) -> str:
    out = []
    for ch in s:
        if ch in specials:
            out.append(specials[ch])
        elif ch in text_chars:
            out.append(text_chars[ch])
        elif ch.isascii():
            out.append(ch)
        elif ch in _MATH_CHARS:  # a lone math character in prose punctuation: still math
            out.append(f"${_plain_math(ch, where)}$")
        else:
            raise _unknown(ch, where)
    return "".join(out)


def _split_run(run: str) -> tuple[str, str, str]:
    """(prose before, math, prose after): unbalanced outer brackets and final punctuation
    stay in the prose — "(γ = 1" → "(", "γ = 1"."""
    before, after = "", ""
    changed = True
    while changed and run:
        changed = False
        if (
            run[-1] in _TRAILING
            or run[-1] in ")]"
            and run.count(run[-1]) > run.count("(" if run[-1] == ")" else "[")
        ):
            after, run, changed = run[-1] + after, run[:-1], True
        elif run[0] in "([" and run.count(run[0]) > run.count(")" if run[0] == "(" else "]"):
            before, run, changed = before + run[0], run[1:], True
    return before, run, after


def _kind(tok: str) -> str:
    """ "math" (starts a math run), "op" (=, +, …: joins one), "weak" (a number, a short
    name: joins one, ends one), or "text"."""
    if _is_math_token(tok):
        return "math"
    core = tok.rstrip(_TRAILING)
    if _OPERATOR.match(core):
        return "op"
    if (_NUMBER.match(core) and not _SOURCE.match(core)) or (
        re.fullmatch(r"[()]*[A-Za-z]{1,2}[()]*", core) and core.strip("()").lower() not in _WORDS
    ):
        return "weak"
    return "text"


def text_to_latex(s: str, where: str = "", flavour: str = "latex") -> str:
    """LaTeX (text mode) of Unicode prose: math runs as ``$…$``, specials escaped.

    ``where`` names the string's origin for the error message (``claim 'x', statement``);
    ``flavour`` is "latex" or "mathjax" (escapes for MathJax's ``\\text{…}``).
    """
    if flavour not in ("latex", "mathjax"):
        raise InvalidValueError(f"flavour must be 'latex' or 'mathjax', got {flavour!r}")
    specials = TEXT_SPECIALS if flavour == "latex" else MATHJAX_SPECIALS
    text_chars = TEXT_CHARS if flavour == "latex" else MATHJAX_TEXT_CHARS
    s = _decompose(s)
    parts = re.split(r"(\s+)", s)
    tokens, seps = parts[0::2], parts[1::2] + [""]
    kinds = [_kind(t) for t in tokens]

    def prose(a: int, b: int) -> str:
        return "".join(
            _prose(tokens[m], specials, text_chars, where) + seps[m] for m in range(a, b)
        )

    out: list[str] = []
    k = 0
    while k < len(tokens):
        j = k
        while j < len(tokens) and kinds[j] != "text":
            j += 1
            if tokens[j - 1][-1] in ".;:":  # a sentence or clause ends the math
                break
        maths = [m for m in range(k, j) if kinds[m] == "math"]
        if not maths:
            out.append(prose(k, max(j, k + 1)))
            k = max(j, k + 1)
            continue
        start, end = k, j
        while kinds[start] == "op":
            start += 1
        while kinds[end - 1] == "op":
            end -= 1
        run = "".join(tokens[m] + (seps[m] if m < end - 1 else "") for m in range(start, end))
        before, math, after = _split_run(run)
        out.append(prose(k, start))
        out.append(
            _prose(before, specials, text_chars, where)
            + (f"${_plain_math(math, where)}$" if math else "")
            + _prose(after, specials, text_chars, where)
            + seps[end - 1]
        )
        out.append(prose(end, j))
        k = j
    return "".join(out)


# -- math mode: LaTeX with stray Unicode ----------------------------------------------------------

_TEXT_MACRO = re.compile(r"\\(text|textrm|mbox)\{")


def _matching_brace(s: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(s)):
        if s[j] == "{" and (j == 0 or s[j - 1] != "\\"):
            depth += 1
        elif s[j] == "}" and s[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return j
    raise InvalidValueError(f"unbalanced braces in LaTeX: {s!r}")


def math_to_latex(s: str, where: str = "", flavour: str = "latex") -> str:
    """``s`` (LaTeX, math mode) with its Unicode converted; ``\\text{…}`` bodies as prose."""
    s = _decompose(s)
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        m = _TEXT_MACRO.match(s, i)
        if m:
            close = _matching_brace(s, m.end() - 1)
            body = s[m.end() : close]
            out.append(s[i : m.end()] + text_to_latex(body, where, flavour) + "}")
            i = close + 1
            continue
        ch = s[i]
        if ch.isascii():
            # a macro emitted for the previous character must not swallow this letter
            if ch.isalpha() and i and not s[i - 1].isascii() and _CONTROL_WORD_END.search(out[-1]):
                out.append(" ")
            out.append(ch)
            i += 1
            continue
        if ch in SUPERSCRIPTS or ch in SUBSCRIPTS:
            table = SUPERSCRIPTS if ch in SUPERSCRIPTS else SUBSCRIPTS
            j = i
            while j < n and s[j] in table:
                j += 1
            out.append(("^" if table is SUPERSCRIPTS else "_") + f"{{{_script(s[i:j], table)}}}")
            i = j
        elif ch in ACCENTS:
            prev = "".join(out)
            if not prev or not prev[-1].isalnum():
                raise _unknown(ch, where)
            out = [prev[:-1], rf"{ACCENTS[ch]}{{{prev[-1]}}}"]
            i += 1
        elif ch in GREEK or ch in SYMBOLS:
            out.append(GREEK.get(ch) or SYMBOLS[ch])
            i += 1
        else:
            raise _unknown(ch, where)
    return "".join(out)
