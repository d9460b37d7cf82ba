"""The success-rate report of a sweep: :func:`report`.

For every configuration and every value of the x axis (the sequence length T, say) the
report counts the finished runs n and the successful ones k, and gives

- the success rate k/n with its 95 % Wilson score interval (Wilson 1927): with z = 1.96,

      centre = (k + z²/2)/(n + z²),    half-width = z/(n + z²) · √(k(n − k)/n + z²/4)

  which, unlike k/n ± z√(p(1−p)/n), stays inside [0, 1] and is not empty at k = 0 or n;
- the median number of training steps to success: for each successful run, the first
  evaluation step at which the criterion held.

A run succeeds when the success criterion holds at its final evaluation (fresh sequences,
after the last step). A run whose training failed (diverged past its recoveries) counts
as finished and unsuccessful; a run still pending is not counted (and the report says
how many there are), nor is a run that could not be run at all (out of memory on its
worker, say: its error starts with "could not run"), which the report names apart.

The report reads only the database: no Dask, no training.
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
from dataclasses import dataclass
from typing import Any

from gradsym.experiments.criterion import Criterion, metrics_of
from gradsym.experiments.runner import NOT_RUN
from gradsym.experiments.store import SweepStore

__all__ = ["Z95", "RateCell", "SuccessRateReport", "report", "wilson"]

#: z of a two-sided 95 % interval (the 97.5 % quantile of the standard normal).
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) for k successes in n trials; None for n = 0."""
    if n == 0:
        return None
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    # at k = 0 (k = n) the lower (upper) end is exactly 0 (1); say so without round-off
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class RateCell:
    """One configuration at one x value: n finished runs, k successes, the rate and its
    interval (None when n = 0), the median steps to success (None without success),
    how many runs failed (training raised) and how many are still pending."""

    label: str
    panel: str
    x: Any
    n: int
    k: int
    rate: float | None
    low: float | None
    high: float | None
    median_steps: float | None
    failed: int
    pending: int
    not_run: int = 0


@dataclass(frozen=True)
class SuccessRateReport:
    """A sweep's success rates: ``cells`` in the spec's order (configuration, then x)."""

    name: str
    criterion: str
    x: str
    settings: dict[str, Any]
    cells: tuple[RateCell, ...]
    pending: int
    not_run: int = 0

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.label for c in self.cells))

    def markdown(self) -> str:
        """A Markdown table: configuration, x, successes/n, rate, interval, median steps."""
        head = (
            f"| configuration | {self.x} | successes / runs | success rate | 95 % interval "
            "| median steps to success |\n|---|---:|---:|---:|---|---:|\n"
        )
        rows = []
        for c in self.cells:
            rate = "n/a" if c.rate is None else f"{c.rate:.2f}"
            interval = "n/a" if c.low is None else f"[{c.low:.2f}, {c.high:.2f}]"
            steps = "–" if c.median_steps is None else f"{c.median_steps:g}"
            notes = [f"{c.failed} diverged"] if c.failed else []
            notes += [f"{c.not_run} could not run"] if c.not_run else []
            extra = f" ({', '.join(notes)})" if notes else ""
            rows.append(
                f"| {c.label} | {c.x} | {c.k} / {c.n}{extra} | {rate} | {interval} | {steps} |"
            )
        note = f"\n\n{self.pending} run(s) still pending." if self.pending else ""
        if self.not_run:
            note += (
                f"\n\n{self.not_run} run(s) could not be run (not counted as trials; their "
                "errors are in sweep.db)."
            )
        return (
            head
            + "\n".join(rows)
            + f"\n\nSuccess: `{self.criterion}` at the final evaluation.{note}\n"
        )

    def wide_markdown(self) -> str:
        """One row per configuration, one column per x value: successes / runs (rate),
        the compact form of :meth:`markdown`."""
        xs = list(dict.fromkeys(c.x for c in self.cells))
        head = "| configuration | " + " | ".join(f"{self.x} = {x}" for x in xs) + " |\n"
        head += "|---|" + "---:|" * len(xs) + "\n"
        rows = []
        for label in self.labels:
            by_x = {c.x: c for c in self.cells if c.label == label}
            cells = []
            for x in xs:
                c = by_x.get(x)
                cells.append("–" if c is None or c.n == 0 else f"{c.k}/{c.n}")
            rows.append(f"| {label} | " + " | ".join(cells) + " |")
        return head + "\n".join(rows) + "\n"

    def csv(self) -> str:
        """The same table as CSV (one row per configuration and x)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            [
                "configuration",
                "panel",
                self.x,
                "runs",
                "successes",
                "success_rate",
                "wilson_low",
                "wilson_high",
                "median_steps_to_success",
                "diverged",
                "pending",
            ]
        )
        for c in self.cells:
            w.writerow(
                [
                    c.label,
                    c.panel,
                    c.x,
                    c.n,
                    c.k,
                    _blank(c.rate),
                    _blank(c.low),
                    _blank(c.high),
                    _blank(c.median_steps),
                    c.failed,
                    c.pending,
                ]
            )
        return buf.getvalue()

    def figure_data(self) -> dict[str, Any]:
        """The data the success-rate figure plots: one curve per configuration (x, rate,
        Wilson band, n), grouped into panels, with the criterion and the settings."""
        curves = []
        for label in self.labels:
            cells = [c for c in self.cells if c.label == label]
            curves.append(
                {
                    "label": label,
                    "panel": cells[0].panel,
                    "x": [c.x for c in cells],
                    "n": [c.n for c in cells],
                    "successes": [c.k for c in cells],
                    "rate": [c.rate for c in cells],
                    "low": [c.low for c in cells],
                    "high": [c.high for c in cells],
                    "median_steps": [c.median_steps for c in cells],
                    "diverged": [c.failed for c in cells],
                }
            )
        return {
            "sweep": self.name,
            "criterion": self.criterion,
            "x": self.x,
            "settings": self.settings,
            "pending": self.pending,
            "panels": list(dict.fromkeys(c["panel"] for c in curves)),
            "curves": curves,
        }


def _blank(v):
    return "" if v is None else v


def report(folder: str | os.PathLike, success: str | None = None) -> SuccessRateReport:
    """The success-rate report of the sweep in ``folder`` (its ``sweep.db``), with the
    spec's success criterion or ``success`` instead."""
    with SweepStore.open(folder) as store:
        spec = store.spec_data()
        criterion = Criterion.parse(success if success is not None else spec["success"])
        rows = store.rows()
        evaluations = store.evaluations()
    groups: dict[tuple[str, str], dict[Any, list]] = {}
    for row in rows:
        groups.setdefault((row.label, row.panel), {}).setdefault(_hashable(row.x), []).append(row)
    cells = []
    for (label, panel), by_x in groups.items():
        for x in sorted(by_x, key=_sort_key):
            runs = by_x[x]
            not_run = [r for r in runs if r.status == "failed" and _not_run(r)]
            finished = [r for r in runs if r.status != "pending" and r not in not_run]
            wins = []
            for r in finished:
                if r.status == "done" and criterion.holds(
                    metrics_of(
                        {"eval_loss": r.eval_loss, "eval_accuracy": r.eval_accuracy},
                        r.baseline,
                        r.train_loss,
                    )
                ):
                    wins.append(_first_success(criterion, evaluations.get(r.key, []), r))
            n, k = len(finished), len(wins)
            interval = wilson(k, n)
            steps = [s for s in wins if s is not None]
            cells.append(
                RateCell(
                    label=label,
                    panel=panel,
                    x=x,
                    n=n,
                    k=k,
                    rate=k / n if n else None,
                    low=None if interval is None else interval[0],
                    high=None if interval is None else interval[1],
                    median_steps=float(statistics.median(steps)) if steps else None,
                    failed=sum(r.status == "failed" for r in finished),
                    pending=len(runs) - n - len(not_run),
                    not_run=len(not_run),
                )
            )
    return SuccessRateReport(
        name=spec.get("name", "sweep"),
        criterion=criterion.text,
        x=spec.get("x", "length"),
        settings=dict(spec.get("base", {})),
        cells=tuple(cells),
        pending=sum(c.pending for c in cells),
        not_run=sum(c.not_run for c in cells),
    )


def _not_run(row) -> bool:
    return (row.error or "").startswith(NOT_RUN)


def _first_success(criterion: Criterion, evals: list[dict], row) -> int | None:
    """The first evaluation step at which the criterion held (the final one at the latest)."""
    for record in evals:
        if criterion.holds(metrics_of(record, row.baseline)):
            return int(record["step"])
    return row.step


def _hashable(x):
    return tuple(x) if isinstance(x, list) else x


def _sort_key(x):
    return (0, x, "") if isinstance(x, (int, float)) else (1, 0, str(x))
