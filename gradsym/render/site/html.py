r"""HTML for the website: the lecture's LaTeX prose as HTML, formulas for KaTeX, the page.

Prose (:func:`prose_html`) is the claims' LaTeX text — ``$…$`` mathematics, ``\emph``,
``\textbf``, ``\cite``, ``\ref``, quotation marks and dashes — turned into HTML; the
mathematics stays LaTeX in a ``<span class="math">`` that the page's script renders with
the KaTeX shipped beside it (:func:`math`), so the website shows the very formulas the PDF
prints. Every text is escaped; nothing from the prose reaches the page as markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from gradsym.notes.prose import math_segments

__all__ = ["esc", "math", "page", "prose_html"]

Link = Callable[[str], str]


def esc(text: str) -> str:
    """``text`` escaped for HTML (quotes included)."""
    return html.escape(text, quote=True)


def math(latex: str, display: bool = False, tag: str = "") -> str:
    """A formula for KaTeX: inline, or displayed (with an equation number ``tag``)."""
    body = latex + (rf" \tag{{{tag}}}" if tag else "")
    if display:
        return f'<div class="math display">{esc(body)}</div>'
    return f'<span class="math">{esc(body)}</span>'


_TEXT = [("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘"), ("'", "’"),
         ("~", "\u00a0")]  # fmt: skip


def _group(s: str, k: int) -> tuple[str, int]:
    """The braced group starting at s[k] (its content) and the index after it."""
    if k >= len(s) or s[k] != "{":
        return "", k
    depth, j = 0, k
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        j += 1
        if depth == 0:
            break
    return s[k + 1 : j - 1], j


def _text_html(s: str, cite: Link, ref: Link) -> str:
    out, k = [], 0
    while k < len(s):
        ch = s[k]
        if ch == "\\":
            j = k + 1
            while j < len(s) and s[j].isalpha():
                j += 1
            name = s[k + 1 : j] if j > k + 1 else s[k + 1 : k + 2]
            k = j if j > k + 1 else k + 2
            if name in ("emph", "textit"):
                body, k = _group(s, k)
                out.append(f"<em>{_text_html(body, cite, ref)}</em>")
            elif name == "textbf":
                body, k = _group(s, k)
                out.append(f"<strong>{_text_html(body, cite, ref)}</strong>")
            elif name == "cite":
                body, k = _group(s, k)
                out.append(cite(body))
            elif name in ("ref", "eqref"):
                body, k = _group(s, k)
                out.append(ref(body) if name == "ref" else f"({ref(body)})")
            elif name == "ldots":
                out.append("…")
                k = k + 2 if s.startswith("{}", k) else k
            elif name == "S":
                out.append("§")
            elif name == "textbackslash":
                out.append("\\")
                k = k + 2 if s.startswith("{}", k) else k
            elif name in ("^", "~"):
                out.append(name)
                k = k + 2 if s.startswith("{}", k) else k
            elif name in (",", " "):
                out.append("\u2009" if name == "," else " ")
            else:
                out.append(esc(name))
            continue
        for tex, uni in _TEXT:
            if s.startswith(tex, k):
                out.append(uni)
                k += len(tex)
                break
        else:
            if ch not in "{}":
                out.append(esc(ch))
            k += 1
    return "".join(out)


def _no_link(keys: str) -> str:
    return esc(keys)


def prose_html(tex: str, cite: Link = _no_link, ref: Link = _no_link) -> str:
    """LaTeX prose as HTML: text escaped and typeset (quotes, dashes, emphasis), math for
    KaTeX; ``cite(keys)`` and ``ref(label)`` give the HTML of ``\\cite`` and ``\\ref``
    (links)."""
    return "".join(
        math(piece) if is_math else _text_html(piece, cite, ref)
        for is_math, piece in math_segments(tex)
    )


def page(
    title: str,
    body: str,
    *,
    site_title: str,
    nav: Sequence[tuple[str, str]],
    assets: str = "assets",
    description: str = "",
) -> str:
    """A whole page: ``<head>`` with KaTeX and the site's style (all local), the header
    with ``nav`` (label, href) links, ``body`` and the same links at the foot."""
    links = " ".join(f'<a href="{esc(href)}">{label}</a>' for label, href in nav)
    meta = f'<meta name="description" content="{esc(description)}">\n' if description else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradsym">
<link rel="icon" href="data:,">
{meta}<title>{esc(title)}</title>
<link rel="stylesheet" href="{assets}/katex/katex.min.css">
<link rel="stylesheet" href="{assets}/site.css">
<script defer src="{assets}/katex/katex.min.js"></script>
<script defer src="{assets}/site.js"></script>
</head>
<body>
<header class="site"><a class="title" href="index.html">{esc(site_title)}</a>
<nav>{links}</nav></header>
<main>
{body}
</main>
<footer class="site"><nav>{links}</nav></footer>
</body>
</html>
"""
