"""Output on a terminal that cannot show Unicode (``PYTHONIOENCODING=ascii``, ``LANG=C``
on an old system): every character the stream's encoding cannot encode is spelt in ASCII
instead of ending the command with a UnicodeEncodeError.

    ✓ holds: ∂h/∂h_prev        →  ok holds: dh/dh_prev
    diag(σ′(z)) ∘ W_h⁽ᵗ⁻¹⁾      →  diag(sigma'(z)) o W_h^(t-1)

:func:`ascii_safe` installs the error handler ``"gradsym-ascii"`` on stdout and stderr when
their encoding cannot encode the symbols gradsym prints; a UTF-8 terminal is left as it is.
Greek letters are spelt by their names, superscripts and subscripts as ``^(…)`` and
``_…``, accented letters without their accents; anything else becomes ``\\uXXXX``.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
import unicodedata

__all__ = ["HANDLER", "ascii_safe", "can_encode", "transliterate"]

HANDLER = "gradsym-ascii"

_TABLE = {
    "✓": "ok",
    "✗": "x",
    "∂": "d",
    "×": "x",
    "∘": "o",
    "⊙": "(.)",
    "′": "'",
    "″": "''",
    "⊤": "^T",
    "→": "->",
    "←": "<-",
    "⇒": "=>",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "≈": "~",
    "‖": "||",
    "−": "-",
    "–": "-",
    "—": "--",
    "…": "...",
    "·": "*",
    "∈": " in ",
    "√": "sqrt",
    "∏": "prod",
    "∑": "sum",
    "∞": "inf",
    "±": "+/-",
    "°": " deg",
    "ℓ": "l",
    "█": "#",
    "▏": "|",
    "│": "|",
    "─": "-",
    "•": "*",
    "⟨": "<",
    "⟩": ">",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "\u00a0": " ",
}


def _script(ch: str) -> str | None:
    """ "sup" or "sub" for a superscript or subscript character, else None."""
    name = unicodedata.name(ch, "")
    if "SUPERSCRIPT" in name or name.startswith(
        ("MODIFIER LETTER SMALL", "MODIFIER LETTER CAPITAL")
    ):
        return "sup"
    if "SUBSCRIPT" in name:
        return "sub"
    return None


def _plain(ch: str) -> str:
    """One character in ASCII."""
    if ch.isascii():
        return ch
    if ch in _TABLE:
        return _TABLE[ch]
    name = unicodedata.name(ch, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")) and " WITH " not in name:
        letter = name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")
        return letter if "SMALL" in name else letter.capitalize()
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch:
        return "".join(_plain(c) for c in folded)
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if bare and bare.isascii():
        return bare
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def transliterate(text: str) -> str:
    """``text`` in ASCII: a run of superscripts as ``^(…)`` (one alone as ``^x``), of
    subscripts as ``_…``, every other character by :func:`_plain`."""
    out: list[str] = []
    k = 0
    while k < len(text):
        kind = _script(text[k])
        if kind is None:
            out.append(_plain(text[k]))
            k += 1
            continue
        end = k
        while end < len(text) and _script(text[end]) == kind:
            end += 1
        inner = "".join(_plain(unicodedata.normalize("NFKC", c)) for c in text[k:end])
        if kind == "sub":
            out.append("_" + inner)
        elif inner.startswith("(") or len(inner) == 1:
            out.append("^" + inner)
        else:
            out.append(f"^({inner})")
        k = end
    return "".join(out)


def _handler(exc: UnicodeError):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return transliterate(exc.object[exc.start : exc.end]), exc.end


codecs.register_error(HANDLER, _handler)


def can_encode(stream) -> bool:
    """Whether ``stream``'s encoding can write the symbols gradsym prints."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "✓σ∂⁽ᵗ⁾‖".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def ascii_safe() -> None:
    """Spell in ASCII what stdout and stderr cannot encode (see the module docstring)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not can_encode(stream):
            with contextlib.suppress(AttributeError, ValueError, OSError):
                stream.reconfigure(errors=HANDLER)
