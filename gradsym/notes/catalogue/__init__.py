"""The catalogue: every claim of the lecture notes, keyed by its id, in the order of the notes.

One module per section of the notes; each module's ``CLAIMS`` tuple is registered here.
"""

from __future__ import annotations

from gradsym.errors import unknown_name

from ..claim import SECTIONS, Claim
from . import agreement, bptt, clipping, counts, fixes, gru, lstm, networks, rnn

_MODULES = (bptt, rnn, agreement, clipping, fixes, lstm, gru, networks, counts)

REGISTRY: dict[str, Claim] = {}
for _module in _MODULES:
    for _claim in _module.CLAIMS:
        if _claim.id in REGISTRY:
            raise RuntimeError(f"claim id {_claim.id!r} registered twice")
        REGISTRY[_claim.id] = _claim

# The claims' ids in the order of the notes; every one must be in the registry.
IDS = (
    "chain-rule",
    "weights-shared",
    "bptt-factors",
    "rnn-jacobian",
    "linear-case",
    "eigen-vanish",
    "explode",
    "nonlinear-bound",
    "sequential-recency",
    "agreement-recency",
    "sgd-step",
    "clip-norm",
    "clip-value",
    "truncated-bptt",
    "orthogonal",
    "relu",
    "residual",
    "lstm-jacobians",
    "lstm-cell-path",
    "cec",
    "lstm-remember",
    "forget-bias",
    "lstm-params",
    "gates-range",
    "peephole-jacobians",
    "gru-jacobian",
    "gru-retain",
    "gru-update-bias",
    "gru-params",
    "gru-variants",
    "birnn",
    "stacked",
    "mlp-window",
    "rnn-count",
)


def claims(ids=None) -> list[Claim]:
    """The claims named by ``ids`` (default: all, in the order of the notes' sections).

    Raises UnknownNameError for an unknown id, listing the known ones.
    """
    if ids is None:
        order = {s: k for k, s in enumerate(SECTIONS)}
        return sorted(REGISTRY.values(), key=lambda c: order[c.section])
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
