"""The shared look of every figure, and byte-reproducible saving.

One place decides sizes, fonts, colours and how a figure becomes bytes, so that the
figures of the notes read as one set in print or on a projector:

* :func:`style` — an ``rc_context`` for one of :data:`STYLES`: "paper" (print sizes, 9 pt
  text in a 6.5 in wide page) or "slides" (the same figure sizes with larger text and
  thicker lines, legible from the back of a lecture room); both set text in a serif font
  with math in Computer Modern through matplotlib's mathtext (``mathtext.fontset = cm``:
  labels in the notes' notation match the LaTeX body text without needing a TeX
  installation, so every machine draws the same glyphs) and embed TrueType fonts in the
  PDF (type 42: the text stays text);
* :data:`COLOURS` — one colour per model, the same in every figure, from the Okabe–Ito
  palette (distinguishable with colour-blindness); :data:`LINESTYLES` give each model a
  dash pattern too, so a greyscale print still separates the curves;
* :func:`new_figure` — a :class:`matplotlib.figure.Figure` (no pyplot, no global state)
  with constrained layout;
* :func:`savefig` — PDF, PNG or SVG (:data:`FORMATS`) at a chosen resolution, with the
  metadata that changes from run to run switched off (PNG ``Software``; PDF ``Creator``,
  ``Producer``, ``CreationDate``; SVG ``Creator``, ``Date`` and random element ids), so that
  the same data gives the same bytes on one machine.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import BinaryIO

import matplotlib
from matplotlib.figure import Figure

# Figure widths in inches: a LaTeX article page with 1 in margins is 6.5 in wide.
FULL_WIDTH = 6.5
#: The resolution of raster output (PNG) unless another is asked for.
PNG_DPI = 150
#: The file formats a figure can be written in, in the order they are written.
FORMATS: tuple[str, ...] = ("pdf", "png", "svg")
#: The formats written unless others are asked for (those committed in figures/).
DEFAULT_FORMATS: tuple[str, ...] = ("pdf", "png")

# Okabe & Ito (2008), "Color universal design": safe for the common colour-blindnesses.
COLOURS: dict[str, str] = {
    "rnn_below": "#0072B2",  # blue
    "rnn_at": "#000000",  # black: the boundary case σ₁ = 1/γ (sky blue was too pale in print)
    "sky": "#56B4E9",  # sky blue: only beside darker colours (a palette's sixth colour)
    "rnn_above": "#D55E00",  # vermilion
    "rnn": "#0072B2",
    "irnn": "#009E73",  # bluish green
    "lstm": "#E69F00",  # orange
    "lstm_bf1": "#8C4F00",  # dark orange (brown): the same cell, another forget bias
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
    "lstm_bf1": (0, (6, 1.5, 1.5, 1.5, 1.5, 1.5)),
    "gru": (0, (4, 1, 1, 1)),
    "declared": "-",
}

RC: dict[str, object] = {
    "font.family": ["cmr10", "DejaVu Serif"],  # DejaVu for the glyphs cmr10 lacks (∏, …)
    # Computer Modern, the notes' own typeface (shipped with matplotlib: the same glyphs on
    # every machine)
    "font.serif": ["cmr10", "DejaVu Serif"],
    "axes.formatter.use_mathtext": True,  # cmr10 has no minus sign: tick labels as maths
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
    "grid.color": "#b0b0b0",
    "legend.frameon": False,
    "legend.handlelength": 2.4,
    "savefig.dpi": PNG_DPI,
    "pdf.fonttype": 42,
    "image.cmap": "RdBu_r",
    "axes.unicode_minus": True,
    "svg.hashsalt": "gradsym",  # element ids from a fixed salt: the same SVG bytes every run
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the fonts
}

# The slides style: a Beamer frame shows a 6.5 in wide figure at about 0.7 of its size, so
# the text is ~1.25 times larger and the lines ~1.5 times thicker than in print, and the
# figure 1.3 times taller (a slide has room in height, and the larger text needs it).
_SLIDES: dict[str, object] = {
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "legend.fontsize": 9.5,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.linewidth": 0.9,
    "lines.linewidth": 2.0,
    "lines.markersize": 5.5,
    "xtick.major.width": 0.9,
    "ytick.major.width": 0.9,
    "grid.linewidth": 0.5,
}

#: The styles a figure can be drawn in: rcParams by name.
STYLES: dict[str, dict[str, object]] = {"paper": RC, "slides": {**RC, **_SLIDES}}
#: How much taller than in print each style draws a figure.
_HEIGHT_SCALE: dict[str, float] = {"paper": 1.0, "slides": 1.3}
_current_style: ContextVar[str] = ContextVar("gradsym_figure_style", default="paper")

# What changes from run to run in a saved file, switched off (None removes the key).
_METADATA_OFF: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "svg": {"Creator": None, "Date": None},
}


@contextlib.contextmanager
def style(name: str = "paper") -> Iterator[None]:
    """The rcParams of style ``name`` (:data:`STYLES`) for the ``with`` block.

    Drawing *and* saving must happen inside it: some parameters (fonts, pdf.fonttype)
    are read only when the file is written. UnknownNameError for another name.
    """
    if name not in STYLES:
        from gradsym.errors import unknown_name

        raise unknown_name("figure style", name, STYLES)
    token = _current_style.set(name)
    try:
        with matplotlib.rc_context(STYLES[name]):
            yield
    finally:
        _current_style.reset(token)


def scaled(size: float) -> float:
    """``size`` (points, given for the paper style) scaled as the current style's text.

    For the few sizes set by hand in a figure (a small annotation, a colour bar's ticks):
    they grow with the slides style's fonts as the rcParams-driven text does.
    """
    return size * float(matplotlib.rcParams["font.size"]) / float(RC["font.size"])


def new_figure(width: float = FULL_WIDTH, height: float = 2.6, **kwargs) -> Figure:
    """A pyplot-free :class:`Figure` of ``width`` × ``height`` inches (the print size;
    taller in the slides style), constrained layout."""
    height *= _HEIGHT_SCALE[_current_style.get()]
    return Figure(figsize=(width, height), layout="constrained", **kwargs)


def savefig(fig: Figure, file: BinaryIO, fmt: str, dpi: int = PNG_DPI) -> None:
    """Write ``fig`` as ``fmt`` (one of :data:`FORMATS`) to the open binary ``file``;
    ``dpi`` is the resolution of the PNG (and of any raster image inside a PDF or SVG).

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
        fig.savefig(file, format=fmt, dpi=dpi, metadata=_METADATA_OFF[fmt])
    finally:
        head_log.setLevel(level)


def legend_below(fig: Figure, ax=None, ncol: int = 2, **kwargs):
    """The legend of ``ax`` (default: every axes' handles) under the axes, outside the data,
    in ``ncol`` columns: the plot keeps the figure's whole width."""
    axes = [ax] if ax is not None else fig.axes
    handles, labels = [], []
    for a in axes:
        for h, label in zip(*a.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(h)
                labels.append(label)
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, **kwargs)


def panel_label(ax, letter: str, title: str = "", **kwargs) -> None:
    """The bold "(a)", "(b)", … above the upper left corner, followed by ``title``.

    One left-aligned title, so a panel letter and a long title never overlap.
    """
    head = rf"$\mathbf{{({letter})}}$"
    ax.set_title(f"{head}  {title}" if title else head, loc="left", **kwargs)
