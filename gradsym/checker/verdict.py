"""The verdict on a candidate, and how it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .diagnosis import Finding

OUTCOMES = ("holds", "refuted", "undecided")
EXIT_CODES = {"holds": 0, "refuted": 1, "undecided": 3}


@dataclass
class Verdict:
    """The verdict on a candidate Jacobian block.

    ``outcome`` is one of

    - ``"holds"``: proved equal symbolically at ``proof_size`` = (n, d), a size that can
      see any error of the candidate (n and d above half the number of matrix factors in
      any product term, at least 3), and equal to round-off numerically;
    - ``"refuted"``: a ``counterexample`` — weights, input, state, both values and the
      differing entries — whose error is far above the round-off bound of the comparison
      (or computed exactly, when float64 cannot see it), and a ``diagnosis`` when one of
      the standard mistakes is proved to be the one (``findings``: what each line of the
      diagnosis is, for a program — :class:`~gradsym.checker.diagnosis.Finding`);
    - ``"undecided"``: numerically equal to round-off at ``points`` random instances, but no
      symbolic proof (a Python function, a time limit, or SymPy could not decide).

    ``max_error`` is the largest error seen, relative to the largest entry of the true block
    (at least 1). ``symbolic`` is True when proved, False when refuted, None otherwise.
    """

    outcome: str
    max_error: float
    counterexample: dict[str, Any] | None = None
    symbolic: bool | None = None
    detail: str = ""
    cell: str = ""
    block: str = ""
    trials: int = 0
    points: int = 0
    proof_size: tuple[int, int] | None = None
    diagnosis: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    references: tuple[str, ...] = ()
    residual: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def holds(self) -> bool:
        return self.outcome == "holds"

    @property
    def refuted(self) -> bool:
        return self.outcome == "refuted"

    @property
    def undecided(self) -> bool:
        return self.outcome == "undecided"

    @property
    def exit_code(self) -> int:
        """The CLI's exit status: 0 holds, 1 refuted, 3 undecided (2 is bad input)."""
        return EXIT_CODES[self.outcome]

    def __bool__(self) -> bool:
        return self.holds

    def headline(self) -> str:
        mark = {"holds": "✓ holds", "refuted": "✗ refuted", "undecided": "? undecided"}
        how = {
            "holds": f"proved symbolically at n = {self.proof_size[0] if self.proof_size else '?'}",
            "refuted": "a counterexample",
            "undecided": f"holds numerically at {self.points} points; no symbolic proof found",
        }[self.outcome]
        return (
            f"{mark[self.outcome]}: {self.block} of {self.cell} ({how}; max error "
            f"{self.max_error:.2e} over {self.points} random instances)"
        )

    def report(self) -> str:
        """The verdict in a few lines, as the CLI prints it."""
        lines = [self.headline()]
        if self.detail:
            lines.append(f"  {self.detail}")
        for d in self.diagnosis:
            lines.append(f"  diagnosis: {d}")
        if self.references:
            lines.append(f"  compared with: {', '.join(self.references)}")
        if self.counterexample:
            lines += _counterexample_lines(self.counterexample)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything the verdict says, for JSON."""
        return {
            "outcome": self.outcome,
            "holds": self.holds,
            "exit_code": self.exit_code,
            "max_error": self.max_error,
            "symbolic": self.symbolic,
            "proof_size": list(self.proof_size) if self.proof_size else None,
            "points": self.points,
            "detail": self.detail,
            "diagnosis": list(self.diagnosis),
            "findings": [f.to_dict() for f in self.findings],
            "references": list(self.references),
            "cell": self.cell,
            "block": self.block,
            "counterexample": self.counterexample,
        }


def _counterexample_lines(cx: dict[str, Any]) -> list[str]:
    lines = [
        (
            f"  counterexample at n = {cx['n']}, d = {cx['d']} (error {cx['error']:.3g}, "
            f"round-off bound {cx['roundoff']:.3g}, {cx['precision']}):"
        )
    ]
    with np.printoptions(precision=6, suppress=True, linewidth=100):
        for k, v in cx["weights"].items():
            lines.append(f"    {k} = {np.array2string(np.asarray(v), prefix='    ' + k + ' = ')}")
        if cx.get("input") is not None:
            lines.append(f"    x = {np.asarray(cx['input'])}")
        for k, v in cx["state"].items():
            lines.append(f"    {k} = {np.asarray(v)}")
        lines.append(
            f"    candidate = {np.array2string(cx['candidate'], prefix='    candidate = ')}"
        )
        lines.append(
            f"    expected  = {np.array2string(cx['expected'], prefix='    expected  = ')}"
        )
    if cx.get("exact_entries"):
        lines.append("    differing entries, to 50 digits (row, col, candidate, expected):")
        for i, j, a, b in cx["exact_entries"][:8]:
            lines.append(f"      ({i}, {j}): {a}\n              vs {b}")
    else:
        lines.append("    differing entries (row, col, candidate, expected):")
        for i, j, a, b in cx["entries"][:8]:
            # as many digits as it takes to see the difference
            digits = 6 if abs(a - b) > 1e-5 * max(abs(a), abs(b)) else 17
            lines.append(f"      ({i}, {j}): {a: .{digits}g} vs {b: .{digits}g}")
        if len(cx["entries"]) > 8:
            lines.append(f"      … {len(cx['entries']) - 8} more")
    return lines
