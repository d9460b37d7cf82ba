"""What an analysis found: :class:`UnitAnalysis` per driven cell, :class:`Analysis` per
model, :class:`Comparison` for models side by side on the same inputs.

Each has ``to_dict()`` (plain Python: every number with the settings that produced it;
non-finite numbers stay floats — the report writer spells them out for JSON), a short
``repr`` and, for Jupyter, ``_repr_markdown_`` / ``_repr_html_`` showing the summary table.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradsym.numeric.analysis.bound import NotesBound
from gradsym.numeric.analysis.flow import LOGGED_LAG, GradientFlow
from gradsym.numeric.analysis.gates import GateStatistics
from gradsym.numeric.analysis.lyapunov import LyapunovSpectrum

__all__ = [
    "COLUMNS",
    "Analysis",
    "Comparison",
    "UnitAnalysis",
    "columns",
    "flow_norm",
    "fmt",
    "number",
    "summary_row",
]


def _plain(value):
    """NumPy arrays and scalars as lists, floats and ints (recursively)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


def fmt(x: float | None, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, "−" for minus, ∞ and n/a spelled out."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:.{digits}g}"
    return text.replace("-", "−")


@dataclass
class UnitAnalysis:
    """Everything measured on one driven cell (one layer, one direction)."""

    name: str
    cell: str
    reversed: bool
    lyapunov: LyapunovSpectrum
    flow: GradientFlow
    bound: NotesBound
    gates: GateStatistics | None

    def to_dict(self) -> dict[str, Any]:
        ly, fl = self.lyapunov, self.flow
        d = {
            "name": self.name,
            "cell": self.cell,
            "reads_reversed": self.reversed,
            "lyapunov": {
                "exponents": ly.exponents,
                "standard_error": ly.standard_error,
                "lambda_max": ly.lambda_max,
                "lambda_max_se": ly.lambda_max_se,
                "horizon_steps": ly.horizon,
                "roundoff_floor": ly.roundoff_floor,
                "per_sequence": ly.per_sequence,
                "settings": ly.settings(),
            },
            "gradient_flow": {
                "lags": fl.lags,
                "log10_norm": fl.log10_quantiles(),
                "settings": fl.settings(),
            },
            "bound": {
                "blocks": self.bound.blocks,
                "verdict": self.bound.verdict,
                "note": self.bound.note,
            },
            "gates": None,
        }
        if fl.state_size != fl.hidden_size:
            d["gradient_flow"]["log10_state_norm"] = fl.log10_quantiles(state=True)
        if self.gates is not None:
            g = self.gates
            d["gates"] = {
                "gates": g.gates,
                "carry": {"name": g.carry_name, "lags": g.carry_lags, "log10": g.carry_log10},
                "settings": g.settings(),
            }
        return _plain(d)


def flow_norm(block: str = "h") -> str:
    """The gradient-flow norm of ``block`` in text: ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂, ‖∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾‖₂, or
    ‖∂s⁽ᵀ⁾/∂s⁽ᵀ⁻ˡ⁾‖₂ for the whole state."""
    v = "s" if block == "state" else block
    return f"‖∂{v}⁽ᵀ⁾/∂{v}⁽ᵀ⁻ˡ⁾‖₂"


def columns(block: str = "h") -> tuple[tuple[str, str], ...]:
    """The summary table's columns, (key, header), for the gradient flow of ``block``."""
    return (
        ("model", "model"),
        ("unit", "unit"),
        ("cell", "cell"),
        ("lambda", "λ₁ ± s.e."),
        ("horizon", "1/|λ₁| (steps)"),
        ("norm", f"median {flow_norm(block)}"),
        ("bound", "max γσ₁(W)"),
        ("carry", "carry path at ℓ"),
    )


#: The summary table's columns: (key, header), for the flow of h.
COLUMNS = columns("h")


def number(x) -> float:
    """A number of a report back as a float: JSON spells the non-finite ones out."""
    if isinstance(x, str):
        return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[x]
    return float(x)


def summary_row(label: str, unit: dict) -> dict[str, str]:
    """The summary table's row (:data:`COLUMNS`) for ``unit`` (a
    :meth:`UnitAnalysis.to_dict`, as is or read back from report.json) of model
    ``label``: λ₁, the horizon, the median norm and the carry path at lag
    :data:`~gradsym.numeric.analysis.flow.LOGGED_LAG` (or the longest lag measured), and
    the largest γσ₁ with the notes' verdict."""
    ly, fl, bd = unit["lyapunov"], unit["gradient_flow"], unit["bound"]
    lags = [int(x) for x in fl["lags"]]
    lag = LOGGED_LAG if LOGGED_LAG in lags else lags[-1]
    median = 10.0 ** number(fl["log10_norm"]["median"][lags.index(lag)])
    blocks = bd["blocks"]
    bound = "n/a"
    if blocks:
        worst = max(blocks, key=lambda b: number(blocks[b]["gamma_sigma1"]))
        bound = fmt(number(blocks[worst]["gamma_sigma1"]))
        bound += f" ({bd['verdict']})" if bd["verdict"] else f" ({worst})"
    carry = "—"
    if unit["gates"] is not None:
        c = unit["gates"]["carry"]
        clags = [int(x) for x in c["lags"]]
        value = 10.0 ** number(c["log10"]["median"][clags.index(lag)]) if lag in clags else None
        carry = f"{c['name']} = {fmt(value)}"
    return {
        "model": label,
        "unit": unit["name"],
        "cell": unit["cell"],
        "lambda": f"{fmt(number(ly['lambda_max']), 4)} ± {fmt(number(ly['lambda_max_se']), 2)}",
        "horizon": fmt(number(ly["horizon_steps"])),
        "norm": f"{fmt(median)} (ℓ = {lag})",
        "bound": bound,
        "carry": carry,
    }


def _markdown(rows: list[dict[str, str]], caption: str, block: str = "h") -> str:
    cols = columns(block)
    head = "| " + " | ".join(h.replace("|", "\\|") for _, h in cols) + " |"
    rule = "|" + "|".join("---" for _ in cols) + "|"
    body = ["| " + " | ".join(r[k].replace("|", "\\|") for k, _ in cols) + " |" for r in rows]
    return "\n".join([caption, "", head, rule, *body]) + "\n"


def _html(rows: list[dict[str, str]], caption: str, block: str = "h") -> str:
    cols = columns(block)
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(r[k])}</td>" for k, _ in cols) + "</tr>" for r in rows
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


@dataclass
class Analysis:
    """The analysis of one model on one set of inputs: one :class:`UnitAnalysis` per layer
    and direction, the model's ``label``, ``source``, what was ``inferred`` about it, the
    ``data`` it was driven by and the ``settings``."""

    label: str
    model: str
    source: str
    inferred: dict[str, Any]
    data: dict[str, Any]
    settings: dict[str, Any]
    units: list[UnitAnalysis] = field(default_factory=list)
    #: What the numbers cannot show, in words (a trajectory at a fixed point).
    warnings: list[str] = field(default_factory=list)

    @property
    def lambda_max(self) -> float:
        """The model's largest exponent: the largest over its layers and directions (a
        stack's Jacobian is block-triangular, so its spectrum is the union of theirs)."""
        return max(u.lyapunov.lambda_max for u in self.units)

    @property
    def horizon(self) -> float:
        """1/|λ₁| of the model, in steps."""
        lam = abs(self.lambda_max)
        return math.inf if lam == 0 else 1.0 / lam

    def unit(self, name: str) -> UnitAnalysis:
        """The unit called ``name`` (``cell``, ``layer0``, ``fwd``, ``layer1.bwd``, …)."""
        for u in self.units:
            if u.name == name:
                return u
        from gradsym.errors import unknown_name

        raise unknown_name("unit", name, [u.name for u in self.units])

    def rows(self) -> list[dict[str, str]]:
        """The summary table's rows, formatted (see :data:`COLUMNS`)."""
        return [summary_row(self.label, u.to_dict()) for u in self.units]

    def _caption(self) -> str:
        return f"{self.label} ({self.model}) driven by {self.data.get('summary', 'inputs')}"

    def to_dict(self) -> dict[str, Any]:
        return _plain(
            {
                "label": self.label,
                "model": self.model,
                "source": self.source,
                "inferred": self.inferred,
                "data": self.data,
                "settings": self.settings,
                "lambda_max": self.lambda_max,
                "horizon_steps": self.horizon,
                "units": [u.to_dict() for u in self.units],
                "warnings": list(self.warnings),
            }
        )

    def _repr_markdown_(self) -> str:
        return _markdown(self.rows(), self._caption(), self.settings.get("flow_block", "h"))

    def _repr_html_(self) -> str:
        return _html(self.rows(), self._caption(), self.settings.get("flow_block", "h"))

    def __repr__(self) -> str:
        lam = max(self.units, key=lambda u: u.lyapunov.lambda_max).lyapunov
        return (
            f"Analysis({self.label!r}: {self.model}; λ₁ = {fmt(lam.lambda_max, 4)} ± "
            f"{fmt(lam.lambda_max_se, 2)}, horizon {fmt(self.horizon)} steps; "
            f"{len(self.units)} unit{'s' if len(self.units) != 1 else ''})"
        )


@dataclass
class Comparison:
    """Several models analysed on the same inputs, side by side (same display)."""

    analyses: list[Analysis]
    data: dict[str, Any]
    settings: dict[str, Any]

    def __getitem__(self, label: str) -> Analysis:
        for a in self.analyses:
            if a.label == label:
                return a
        from gradsym.errors import unknown_name

        raise unknown_name("model", label, [a.label for a in self.analyses])

    def rows(self) -> list[dict[str, str]]:
        return [row for a in self.analyses for row in a.rows()]

    def _caption(self) -> str:
        return f"{len(self.analyses)} models driven by {self.data.get('summary', 'inputs')}"

    def to_dict(self) -> dict[str, Any]:
        return _plain(
            {
                "data": self.data,
                "settings": self.settings,
                "models": [a.to_dict() for a in self.analyses],
            }
        )

    def _repr_markdown_(self) -> str:
        return _markdown(self.rows(), self._caption(), self.settings.get("flow_block", "h"))

    def _repr_html_(self) -> str:
        return _html(self.rows(), self._caption(), self.settings.get("flow_block", "h"))

    def __repr__(self) -> str:
        inner = "; ".join(
            f"{a.label}: λ₁ = {fmt(a.lambda_max, 4)}, horizon {fmt(a.horizon)}"
            for a in self.analyses
        )
        return f"Comparison({inner})"
