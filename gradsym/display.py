"""Short text for notebooks and the shell: what an object holds in one line (``__repr__``)
or a small table (``_repr_markdown_``), never the whole arrays.

Used by the results a user looks at in Jupyter: traces and gradients of a pass, products
of Jacobians over spans, training results. (Symbolic objects show their LaTeX instead.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["exp_number", "markdown_table", "number", "shape", "shapes", "time_step"]


def shape(a) -> str:
    """``(20, 8, 16)``, the shape of an array (or ``None``)."""
    return "None" if a is None else str(tuple(np.shape(a)))


def shapes(arrays: Mapping[str, np.ndarray], limit: int = 6) -> str:
    """``h (20, 8, 16), c (20, 8, 16)``; names beyond ``limit`` counted, not listed."""
    items = [f"{k} {shape(v)}" for k, v in list(arrays.items())[:limit]]
    if len(arrays) > limit:
        items.append(f"… {len(arrays) - limit} more")
    return ", ".join(items)


def number(x, digits: int = 4) -> str:
    """A float in ``digits`` significant digits; ``n/a`` for None."""
    if x is None:
        return "n/a"
    return f"{float(x):.{digits}g}"


def exp_number(log_value: float, digits: int = 3) -> str:
    """e^``log_value`` in ``digits`` digits, even beyond float64's range (``1e-400``)."""
    if not math.isfinite(log_value):
        return "0" if log_value < 0 else "inf"
    if abs(log_value) < 700:
        return f"{math.exp(log_value):.{digits}g}"
    return f"1e{log_value / math.log(10):+.0f}"


_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def time_step(name: str, t: int) -> str:
    """``s⁽¹⁹⁾``: a vector at time step ``t``, as the notes write it."""
    return f"{name}⁽{str(t).translate(_SUPERSCRIPT)}⁾"


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table (``|`` in cells escaped)."""
    header = list(header)

    def line(cells):
        return "| " + " | ".join(str(c).replace("|", r"\|") for c in cells) + " |"

    out = [line(header), "|" + "---|" * len(header)]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"
