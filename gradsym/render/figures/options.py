"""How the figures are written: resolution, file formats and style, checked once.

:class:`FigureOptions` is what :func:`gradsym.render.figures.make_figures` and
``gradsym figures`` / ``gradsym build`` (``--dpi``, ``--format``, ``--style``) pass down to
the writer. Build one with :func:`figure_options`, which checks every value and raises
a one-line :class:`~gradsym.errors.GradsymError` naming the bad one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gradsym.errors import InvalidValueError, unknown_name
from gradsym.render.figures.style import DEFAULT_FORMATS, FORMATS, PNG_DPI, STYLES
from gradsym.validate import choice, integer

__all__ = ["DPI_RANGE", "FigureOptions", "figure_options", "parse_formats"]

#: The resolutions accepted (dots per inch): below 30 the text is unreadable, above 1200
#: a full-width PNG is over 60 megapixels.
DPI_RANGE = (30, 1200)


@dataclass(frozen=True)
class FigureOptions:
    """``dpi`` of the PNG, the ``formats`` written (in the order of
    :data:`~gradsym.render.figures.style.FORMATS`) and the ``style`` ("paper" or
    "slides"). The defaults are those of the committed figures/."""

    dpi: int = PNG_DPI
    formats: tuple[str, ...] = DEFAULT_FORMATS
    style: str = "paper"


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """``"pdf,png"`` (or ``["pdf", "png"]``) as a tuple of known formats, each once, in the
    order of :data:`~gradsym.render.figures.style.FORMATS`.

    Raises:
        UnknownNameError: a format not in FORMATS (the message lists them).
        InvalidValueError: no format at all.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [f.strip().lower() if isinstance(f, str) else f for f in items]
    names = [f for f in names if f != ""]
    if not names:
        raise InvalidValueError(
            f"figure formats must name at least one of {', '.join(FORMATS)}, got {formats!r}"
        )
    for f in names:
        if f not in FORMATS:
            raise unknown_name("figure format", f, FORMATS)
    return tuple(f for f in FORMATS if f in names)


def figure_options(
    dpi: int | None = None,
    formats: str | Iterable[str] | None = None,
    style: str | None = None,
) -> FigureOptions:
    """Checked :class:`FigureOptions`; None keeps a default.

    Raises:
        InvalidValueError: ``dpi`` not an integer in :data:`DPI_RANGE`, no format.
        UnknownNameError: an unknown format or style.
    """
    default, given = FigureOptions(), dpi
    if dpi is None:
        dpi = default.dpi
    else:
        low, high = DPI_RANGE
        try:
            dpi = integer("dpi", dpi, low=low)
        except InvalidValueError:
            dpi = None
        if dpi is None or dpi > high:
            raise InvalidValueError(f"dpi must be an integer in [{low}, {high}], got {given!r}")
    return FigureOptions(
        dpi=dpi,
        formats=default.formats if formats is None else parse_formats(formats),
        style=default.style if style is None else choice("figure style", style, STYLES),
    )
