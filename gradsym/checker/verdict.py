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

    - ``"holds"``: proved equal to the Jacobian of the cell's equations for every n and d
      (``every_size``: their index forms agree, docs/every-size.md) — or, for an explicit
      SymPy matrix, at its own size ``proof_size`` only, which the verdict says — and
      equal to round-off numerically;
    - ``"refuted"``: a ``counterexample`` — weights, input, state, both values and the
      differing entries — at the first size at which the candidate is wrong, found by the
      proof and computed exactly (rational weights; the difference a rational, or an
      interval that excludes 0), or one far above the round-off bound of a numeric
      comparison; ``sizes_equal`` the smaller sizes at which it is proved right; and a
      ``diagnosis`` when a standard mistake's correction is proved right (``findings``:
      what each line of the diagnosis is, for a program —
      :class:`~gradsym.checker.diagnosis.Finding`);
    - ``"undecided"``: numerically equal to round-off at ``points`` random instances (of
      the sizes ``numeric_sizes``), but no
      proof for every size (a Python function, a time limit, a construct outside the
      fragment the index form decides, or an identity between elementwise functions it
      does not see): ``sizes_equal`` the sizes at which it is proved right, ``detail``
      the sizes and points searched.

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
    every_size: bool = False
    sizes_equal: tuple[tuple[int, int], ...] = ()
    # the sizes (n, d) of the numeric comparison's random instances
    numeric_sizes: tuple[tuple[int, int], ...] = ()

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
        if self.every_size:
            proved = "proved for every n and d"
        elif self.proof_size:
            proved = f"proved at n = {self.proof_size[0]}, d = {self.proof_size[1]} only"
        else:
            proved = "proved"
        how = {
            "holds": proved,
            "refuted": "a counterexample",
            "undecided": (
                f"holds numerically at {self.points} points{self._numeric_at()}; no symbolic "
                "proof found"
            ),
        }[self.outcome]
        return (
            f"{mark[self.outcome]}: {self.block} of {self.cell} ({how}; max error "
            f"{self.max_error:.2e} over {self.points} random instances)"
        )

    def _numeric_at(self) -> str:
        """ " (n = 3, d = 2)": where the numeric comparison's instances were drawn."""
        if not self.numeric_sizes:
            return ""
        return " (" + "; ".join(f"n = {n}, d = {d}" for n, d in self.numeric_sizes) + ")"

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
            "every_size": self.every_size,
            "sizes_equal": [list(s) for s in self.sizes_equal],
            "numeric_sizes": [list(s) for s in self.numeric_sizes],
            "points": self.points,
            "detail": self.detail,
            "diagnosis": list(self.diagnosis),
            "findings": [f.to_dict() for f in self.findings],
            "references": list(self.references),
            "cell": self.cell,
            "block": self.block,
            "counterexample": self.counterexample,
        }


def _text(v) -> str:
    """An array as text: rationals exactly (3/97), floats to 6 digits."""
    a = np.asarray(v)
    if a.dtype == object:
        return _exact_text(a.tolist())
    with np.printoptions(precision=6, suppress=True, linewidth=100):
        return np.array2string(a)


def _exact_text(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_exact_text(x) for x in v) + "]"
    return str(v)


def _counterexample_lines(cx: dict[str, Any]) -> list[str]:
    if cx.get("exact") is not None:
        head = (
            f"  counterexample at n = {cx['n']}, d = {cx['d']} (difference {cx['difference']}"
            f" at entry {tuple(cx['entries'][0][:2])}, {cx['precision']}; weights, input and "
            "state exact):"
        )
    else:
        head = (
            f"  counterexample at n = {cx['n']}, d = {cx['d']} (error {cx['error']:.3g}, "
            f"round-off bound {cx['roundoff']:.3g}, {cx['precision']}):"
        )
    lines = [head]
    for k, v in cx["weights"].items():
        lines.append(f"    {k} = {_text(v)}")
    if cx.get("input") is not None:
        lines.append(f"    x = {_text(cx['input'])}")
    for k, v in cx["state"].items():
        lines.append(f"    {k} = {_text(v)}")
    for k, v in cx.get("held", {}).items():
        lines.append(f"    {k} = {_text(v)} (held as the variable)")
    with np.printoptions(precision=6, suppress=True, linewidth=100):
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
