"""The shared look of every figure, and byte-reproducible saving.

One place decides sizes, fonts, colours and how a figure becomes bytes, so that the eight
figures of the notes read as one set in print:

* :func:`style` — an ``rc_context`` with print sizes (9 pt text in a 6.5 in wide page),
  a serif font with Computer Modern mathtext (labels set in the notes' notation match
  the LaTeX body text) and TrueType fonts embedded in the PDF (type 42: the text stays
  text);
* :data:`COLOURS` — one colour per model, the same in every figure, from the Okabe–Ito
  palette (distinguishable with colour-blindness); :data:`LINESTYLES` give each model a
  dash pattern too, so a greyscale print still separates the curves;
* :func:`new_figure` — a :class:`matplotlib.figure.Figure` (no pyplot, no global state)
  with constrained layout;
* :func:`savefig` — PNG or PDF with the metadata that changes from run to run switched
  off (PNG ``Software``; PDF ``Creator``, ``Producer``, ``CreationDate``), so that the
  same data gives the same bytes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import BinaryIO

import matplotlib
from matplotlib.figure import Figure

# Figure widths in inches: a LaTeX article page with 1 in margins is 6.5 in wide.
FULL_WIDTH = 6.5
PNG_DPI = 150

# Okabe & Ito (2008), "Color universal design": safe for the common colour-blindnesses.
COLOURS: dict[str, str] = {
    "rnn_below": "#0072B2",  # blue
    "rnn_at": "#56B4E9",  # sky blue
    "rnn_above": "#D55E00",  # vermilion
    "rnn": "#0072B2",
    "irnn": "#009E73",  # bluish green
    "lstm": "#E69F00",  # orange
    "gru": "#CC79A7",  # reddish purple
    "orthogonal": "#009E73",
    "gaussian": "#D55E00",
    "raw": "#000000",
    "norm_clip": "#0072B2",
    "value_clip": "#D55E00",
    "baseline": "#666666",
    "bound": "#999999",
    "reference": "#666666",
    "declared": "#009E73",  # a cell declared by its equations
}

LINESTYLES: dict[str, object] = {
    "rnn_below": "-",
    "rnn_at": (0, (5, 1.5)),
    "rnn_above": "-",
    "rnn": "-",
    "irnn": (0, (5, 1.5)),
    "lstm": (0, (1.5, 1)),
    "gru": (0, (4, 1, 1, 1)),
    "declared": "-",
}

RC: dict[str, object] = {
    "font.family": "serif",
    "font.serif": ["DejaVu Serif"],  # shipped with matplotlib: the same glyphs everywhere
    "mathtext.fontset": "cm",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.3,
    "lines.markersize": 4,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "legend.frameon": False,
    "legend.handlelength": 2.4,
    "savefig.dpi": PNG_DPI,
    "pdf.fonttype": 42,
    "image.cmap": "RdBu_r",
    "axes.unicode_minus": True,
}

# What changes from run to run in a saved file, switched off (None removes the key).
_METADATA_OFF: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The rcParams of every gradsym figure, for the duration of the ``with`` block.

    Drawing *and* saving must happen inside it: some parameters (fonts, pdf.fonttype)
    are read only when the file is written.
    """
    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float = FULL_WIDTH, height: float = 2.6, **kwargs) -> Figure:
    """A pyplot-free :class:`Figure` of ``width`` × ``height`` inches, constrained layout."""
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def savefig(fig: Figure, file: BinaryIO, fmt: str) -> None:
    """Write ``fig`` as ``fmt`` ("pdf" or "png") to the open binary ``file``.

    The metadata that would differ between two runs is switched off, so two runs on the
    same data give identical bytes (checked by the tests).
    """
    if fmt not in _METADATA_OFF:
        from gradsym.errors import unknown_name

        raise unknown_name("figure format", fmt, _METADATA_OFF)
    # fontTools (subsetting the TrueType fonts for the PDF) logs a warning about the
    # creation timestamp of matplotlib's shipped DejaVu fonts on every save; it is
    # harmless (the timestamp is not written), so it is silenced while saving.
    head_log = logging.getLogger("fontTools.ttLib.tables._h_e_a_d")
    level = head_log.level
    head_log.setLevel(logging.ERROR)
    try:
        fig.savefig(file, format=fmt, dpi=PNG_DPI, metadata=_METADATA_OFF[fmt])
    finally:
        head_log.setLevel(level)


def panel_label(ax, letter: str, title: str = "", **kwargs) -> None:
    """The bold "(a)", "(b)", … above the upper left corner, followed by ``title``.

    One left-aligned title, so a panel letter and a long title never overlap.
    """
    head = rf"$\mathbf{{({letter})}}$"
    ax.set_title(f"{head}  {title}" if title else head, loc="left", **kwargs)
