r"""What the assembled Markdown notes and the slides share with ``notes.tex``: the
audiences, where each figure goes, and which works are cited.

The claims' prose is LaTeX with ``$…$`` mathematics (:mod:`gradsym.notes.prose`): the
deck prints it as it is, the Markdown converts its text and keeps its mathematics for
MathJax and KaTeX (:func:`gradsym.notes.prose.to_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gradsym.notes.claim import Claim

from .derivations.layout import cited_keys as claim_cited_keys
from .derivations.notes import AUDIENCES, FigureRef, figures_after, notes_name

__all__ = ["AUDIENCES", "check_audience", "cited_keys", "figures_after"]


def check_audience(audience: str) -> str:
    """``audience`` if it is one of :data:`AUDIENCES`; InvalidValueError otherwise."""
    notes_name(audience)  # the one place that says which audiences there are
    return audience


_CITE = re.compile(r"\\cite\{([^}]*)\}")


def cited_keys(claims: Iterable[Claim], figures: Iterable[FigureRef] = ()) -> list[str]:
    """The bibliography keys the claims (their sources and what their prose cites) and the
    figures' captions cite, each once, in the order of first citation."""
    keys = [k for claim in claims for k in claim_cited_keys(claim)]
    for fig in figures:
        keys += [k.strip() for group in _CITE.findall(fig.caption) for k in group.split(",")]
    return list(dict.fromkeys(keys))
