r"""Reading the printed lecture for what a lecturer would object to: symbols that mean two
things, symbols the notation table does not declare, sources called "the notes", and talk
of the software in the students' notes.

Each function takes LaTeX (the notes, a caption, a piece of prose) and returns what it
found, so that the tests can hold the generated notes to zero and show each rule a wrong
input. The mathematics is read token by token: a bold letter (``\mathbf{z}``) is a vector
or matrix, a plain letter a scalar; sub- and superscripts are labels and indices (``W_h``,
``h^{(t-1)}``, ``\lambda^{\ell}``), not symbols of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .symbols import INDEX_LETTERS, NOTATION, ONE_UNIT, SIZE_LETTERS

__all__ = [
    "MAPPING_BOX",
    "collisions",
    "maths",
    "misused_symbols",
    "software_talk",
    "symbols",
    "undeclared",
    "unnamed_sources",
]

#: Where other sources' notations are shown on purpose (the one box that maps them: in
#: LaTeX its notebox, in Markdown its heading and table).
MAPPING_BOX = re.compile(
    r"\\begin\{notebox\}\{Other sources'.*?\\end\{notebox\}"
    r"|\*\*Box \d+\. Other sources['\u2019].*?\n\n(?:\|.*\n)+",
    re.DOTALL,
)

_INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)
_DISPLAY = re.compile(r"\\begin\{(align\*|equation|aligned)\}(.*?)\\end\{\1\}", re.DOTALL)
_DROP_ARG = re.compile(
    r"\\(?:text|textbf|emph|operatorname|mathit|mathrm|mathbb|mathcal|label|begin|end|cite|ref"
    r"|eqref)"
    r"\{[^{}]*\}"
)
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol)\{(\\?[A-Za-z]+)\}")
_ACCENT_BOLD = re.compile(
    r"\\(tilde|hat|bar|overrightarrow|overleftarrow)\{\\(?:mathbf|boldsymbol)\{(\\?[A-Za-z]+)\}\}"
)
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
          "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
          "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
          "Pi", "Sigma", "Phi", "Psi", "Omega", "ell"}  # fmt: skip


_WRAPPERS = re.compile(r"\\(?:text|parbox\[t\]\{[^{}]*\})\{")


def _unwrap(display: str) -> tuple[str, list[str]]:
    """A display without the prose it holds (``\\text{…}``, ``\\parbox{…}{…}``: the
    justifications), and the inline mathematics of that prose."""
    out, inner, k = [], [], 0
    while True:
        m = _WRAPPERS.search(display, k)
        if m is None:
            out.append(display[k:])
            break
        out.append(display[k : m.start()])
        depth, j = 1, m.end()
        while j < len(display) and depth:
            depth += {"{": 1, "}": -1}.get(display[j], 0) if display[j - 1] != "\\" else 0
            j += 1
        inner += [x.group(1) for x in _INLINE.finditer(display[m.end() : j - 1])]
        out.append(" ")
        k = j
    return "".join(out), inner


def maths(tex: str) -> list[str]:
    """Every piece of mathematics of ``tex``: displayed environments (their justifications'
    inline mathematics apart) and inline ``$…$``."""
    out: list[str] = []
    display = re.compile(r"\$\$(.*?)\$\$", re.DOTALL)  # Markdown's displays
    blocks = display.findall(tex)
    tex = display.sub(" ", tex)
    for block in blocks:
        body, inner = _unwrap(block)
        out += [body, *inner]
    for m in _DISPLAY.finditer(tex):
        body, inner = _unwrap(m.group(2))
        out += [body, *inner]
    rest = _DISPLAY.sub(" ", tex)
    return out + [m.group(1) for m in _INLINE.finditer(rest)]


def _strip_scripts(s: str) -> str:
    """``s`` without its sub- and superscripts (labels and indices, not symbols)."""
    out, k = [], 0
    while k < len(s):
        if s[k] in "_^":
            k += 1
            while k < len(s) and s[k] == " ":
                k += 1
            if k < len(s) and s[k] == "{":
                depth = 0
                while k < len(s):
                    depth += {"{": 1, "}": -1}.get(s[k], 0)
                    k += 1
                    if depth == 0:
                        break
            elif k < len(s) and s[k] == "\\":
                m = re.match(r"\\[A-Za-z]+", s[k:])
                k += len(m.group(0)) if m else 2
            else:
                k += 1
            continue
        out.append(s[k])
        k += 1
    return "".join(out)


def symbols(tex_maths: Iterable[str]) -> tuple[set[str], set[str], set[str]]:
    """(bold, italic, greek) symbols of some mathematics: bold letters (``z``, ``Q``, with an
    accent ``hat g``), plain letters, and the Greek letters used as symbols."""
    bold: set[str] = set()
    italic: set[str] = set()
    greek: set[str] = set()
    for m in tex_maths:
        m = _strip_scripts(m)
        while True:  # nested arguments of \text{…} and the like, innermost first
            stripped = _DROP_ARG.sub(" ", m)
            if stripped == m:
                break
            m = stripped
        for accent, letter in _ACCENT_BOLD.findall(m):
            bold.add(f"{accent} {letter.lstrip(chr(92))}")
        m = _ACCENT_BOLD.sub(" ", m)
        bold.update(letter.lstrip("\\") for letter in _BOLD.findall(m))
        m = _BOLD.sub(" ", m)
        for name in re.findall(r"\\([A-Za-z]+)", m):
            if name in _GREEK:
                greek.add(name)
        m = re.sub(r"\\[A-Za-z]+|\\.", " ", m)
        italic.update(re.findall(r"[A-Za-z]", m))
    return bold, italic, greek


def collisions(tex: str) -> list[str]:
    """Letters that stand for a scalar and for a vector or matrix in ``tex`` — unless the
    scalar is an index, a size, or the one-unit (entry) form of the same quantity."""
    bold, italic, _ = symbols(maths(MAPPING_BOX.sub(" ", tex)))
    allowed = INDEX_LETTERS | SIZE_LETTERS | ONE_UNIT
    return sorted((italic & bold) - allowed)


def _declared() -> tuple[set[str], set[str], set[str]]:
    cells = [sym for _, rows in NOTATION for sym, meaning in rows for sym in (sym, meaning)]
    return symbols(m for cell in cells for m in maths(cell))


def undeclared(tex: str) -> list[str]:
    """Symbols of ``tex`` that the notation table does not list (``e``, Euler's number,
    is a constant; the mapping box shows other sources' symbols on purpose)."""
    bold, italic, greek = symbols(maths(MAPPING_BOX.sub(" ", tex)))
    d_bold, d_italic, d_greek = _declared()
    out = [f"bold {b}" for b in sorted(bold - d_bold)]
    entries = {letter for letter in ONE_UNIT if letter in d_bold}  # h_μ: an entry of h
    out += sorted(italic - d_italic - entries - {"e"})
    out += [f"\\{g}" for g in sorted(greek - d_greek)]
    return out


_MISUSE = {
    "z used as a gate": re.compile(
        r"\\operatorname\{diag\}\\left\(\\mathbf\{z\}\^|\\circ \\mathbf\{z\}\^|\\mathbf\{z\}\^\{\(t\)\} \\circ"
        r"|\(1 - \\mathbf\{z\}"
    ),
    "sigma for a singular value": re.compile(r"\\sigma_\{?\\?(?:max|min|1|\d)"),
    "a power of sigma written as a composition": re.compile(r"\\sigma\^\{"),
    "a loss other than J": re.compile(r"\\mathcal\{E\}|\\epsilon|\\varepsilon"),
    "Gamma gates": re.compile(r"\\Gamma"),
}


def misused_symbols(tex: str) -> list[str]:
    """The rules of the notation broken in ``tex`` (outside the mapping box), each once."""
    body = "\n".join(maths(MAPPING_BOX.sub(" ", tex)))
    return [name for name, pattern in _MISUSE.items() if pattern.search(body)]


_THE_NOTES = re.compile(r"(?<!these )(?<!These )\bthe notes\b", re.IGNORECASE)
_BARE_KEY = re.compile(r"\[\s*00\d\s*[;\]]")


def unnamed_sources(text: str) -> list[str]:
    """ "the notes" for an outside text, and bare keys such as [001], in printed text."""
    return [m.group(0) for m in _THE_NOTES.finditer(text)] + _BARE_KEY.findall(text)


_SOFTWARE = re.compile(
    r"\b(?:gradsym|NumPy|numpy|SymPy|sympy|matplotlib|library|libraries|build seed|API"
    r"|Python|torch\.|nn\.\w+|committed|sweep)\b",
    re.IGNORECASE,
)


def software_talk(text: str) -> list[str]:
    """Names of software, its builds and its API in printed text (``PyTorch`` may name a
    convention: its GRU; ``PyTorch`` followed by a dot, an API, may not)."""
    found = [m.group(0) for m in _SOFTWARE.finditer(text)]
    found += re.findall(r"PyTorch\.\w+", text)
    return found
