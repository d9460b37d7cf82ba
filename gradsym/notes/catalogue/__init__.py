"""The catalogue: every claim of the lecture notes, keyed by its id, in the order of the notes.

One module per section of the notes; each module's ``CLAIMS`` tuple is registered here.
"""

from __future__ import annotations

from gradsym.errors import unknown_name

from ..claim import Claim
from ..lecture import teaching
from . import (
    agreement,
    bptt,
    clipping,
    counts,
    fixes,
    gru,
    lstm,
    memory,
    networks,
    rnn,
    scalar,
    truncation,
)

_MODULES = (
    bptt,
    rnn,
    agreement,
    scalar,
    clipping,
    truncation,
    fixes,
    memory,
    lstm,
    gru,
    networks,
    counts,
)

REGISTRY: dict[str, Claim] = {}
for _module in _MODULES:
    for _claim in _module.CLAIMS:
        if _claim.id in REGISTRY:
            raise RuntimeError(f"claim id {_claim.id!r} registered twice")
        REGISTRY[_claim.id] = _claim

# The claims' ids in the order of the notes: the one list of them is the lecture's outline
# (gradsym.notes.lecture.teaching.OUTLINE, which also places the cells, pictures and
# figures); every registered claim must be in it, and nothing else.
IDS: tuple[str, ...] = tuple(
    item.id for _, items in teaching.OUTLINE for item in items if isinstance(item, teaching.C)
)


def claims(ids=None) -> list[Claim]:
    """The claims named by ``ids`` (default: all, in the order of the notes: :data:`IDS`).

    Raises UnknownNameError for an unknown id, listing the known ones.
    """
    if ids is None:
        return [REGISTRY[i] for i in IDS]
    if isinstance(ids, str):
        ids = [ids]
    out = []
    for i in ids:
        if i not in REGISTRY:
            raise unknown_name("claim", i, REGISTRY)
        out.append(REGISTRY[i])
    return out


def get(claim_id: str) -> Claim:
    """The claim ``claim_id`` (UnknownNameError listing the known ids otherwise)."""
    return claims([claim_id])[0]


_missing = set(REGISTRY) ^ set(IDS)
if _missing:
    raise RuntimeError(f"claims registered and claims in IDS differ: {sorted(_missing)}")
