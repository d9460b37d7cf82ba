"""The report of ``gradsym analyze``: report.md, report.json and the figures.

:func:`write_report` writes, into one folder, each file atomically
(:func:`gradsym.files.atomic_write`):

* ``report.json`` — every number of the analysis with the settings that produced it
  (``Comparison.to_dict()``; JSON has no infinities, so −inf, inf and NaN are written as
  the strings "-inf", "inf" and "nan");
* the figures (house style, :mod:`gradsym.render.figures.style`) as PDF and PNG:
  ``gradient-flow`` (:mod:`.gradient_flow`), ``lyapunov-spectrum`` (:mod:`.spectrum`) and,
  when a model has gates, ``gates`` (:mod:`.gates`) — drawn from report.json's text read
  back, so a figure shows exactly what the report states;
* ``report.md`` — summary table, figures, details per model and unit (:mod:`.markdown`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from gradsym.files import atomic_write, atomic_write_text, writable_dir
from gradsym.numeric.analysis.result import Analysis, Comparison
from gradsym.render.analysis import gates as gates_figure
from gradsym.render.analysis import gradient_flow, spectrum
from gradsym.render.analysis.markdown import report_markdown
from gradsym.render.figures.style import savefig, style
from gradsym.render.figures.writer import dumps
from gradsym.version import __version__

__all__ = ["REPORT_JSON", "REPORT_MD", "report_json", "write_report"]

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def _spelled(value):
    """``value`` with non-finite floats as the strings "inf", "-inf", "nan"."""
    if isinstance(value, dict):
        return {k: _spelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spelled(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def report_json(result: Analysis | Comparison, command: str | None = None) -> str:
    """The text of report.json."""
    if isinstance(result, Analysis):
        result = Comparison([result], result.data, result.settings)
    head = {"generated_by": f"gradsym {__version__} analyze", "command": command}
    return dumps(_spelled({**head, **result.to_dict()}))


def write_report(
    result: Analysis | Comparison, out_dir: str | os.PathLike, *, command: str | None = None
) -> list[Path]:
    """Write report.json, the figures (PDF and PNG) and report.md into ``out_dir``;
    returns the paths written. ``command`` (the command line) is recorded in both."""
    out = writable_dir(out_dir)
    text = report_json(result, command)
    report = json.loads(text)
    paths = [atomic_write_text(out / REPORT_JSON, text)]
    figures = [gradient_flow, spectrum]
    if gates_figure.gated(report):
        figures.append(gates_figure)
    with style():
        for module in figures:
            fig = module.draw(report)
            for fmt in ("pdf", "png"):
                path = out / f"{module.NAME}.{fmt}"
                paths.append(atomic_write(path, lambda f, fig=fig, fmt=fmt: savefig(fig, f, fmt)))
    names = [m.NAME for m in figures]
    paths.append(atomic_write_text(out / REPORT_MD, report_markdown(report, names, command)))
    return paths
