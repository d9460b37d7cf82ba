"""What the analysis figures share: the colour of each curve and the curves themselves.

Every figure is drawn from the report's own data (``Comparison.to_dict()`` read back from
report.json), so what is plotted is exactly what the report states. Curves are the pairs
(model, unit); a model's units (layers, directions) share its colour and differ by dash.
"""

from __future__ import annotations

from gradsym.numeric.analysis.result import number
from gradsym.render.figures.style import COLOURS

# The Okabe–Ito colours of the house style, neighbours far apart: blue, vermilion, bluish
# green, orange, reddish purple, sky blue, black.
PALETTE = [COLOURS[k] for k in ("rnn", "rnn_above", "irnn", "lstm", "gru", "sky", "raw")]
DASHES = ["-", (0, (5, 1.5)), (0, (1.5, 1)), (0, (4, 1, 1, 1))]


def curves(report: dict):
    """(label, colour, dash, unit dict) for every unit of every model, in order."""
    out = []
    for i, model in enumerate(report["models"]):
        units = model["units"]
        for j, unit in enumerate(units):
            label = model["label"] if len(units) == 1 else f"{model['label']} · {unit['name']}"
            out.append((label, PALETTE[i % len(PALETTE)], DASHES[j % len(DASHES)], unit))
    return out


def numbers(xs) -> list[float]:
    return [number(x) for x in xs]
