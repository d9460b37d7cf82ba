"""The figures of the notes: one module per figure, each writing the data it plots.

========================  ==================================  =============================
name                      module                              what it shows
========================  ==================================  =============================
``gradient-norms``        :mod:`.gradient_norms`              ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖ against ℓ
``linear-case``           :mod:`.linear_case`                 eigenvalues, ‖W_hˡ‖, non-normal
``agreement``             :mod:`.agreement`                   number agreement, RNN vs LSTM
``pascanu-cliff``         :mod:`.pascanu_cliff`               error surface; E, ‖∇E‖ per step
``clipping``              :mod:`.clipping`                    norm vs value clipping
``orthogonal-init``       :mod:`.orthogonal_init`             singular values of W_hˡ
``lstm-cell-path``        :mod:`.lstm_cell_path`              ∂c⁽ᵀ⁾/∂c⁽ᵏ⁾, forget biases
``training-curves``       :mod:`.training_curves`             adding problem, 5 seeds each
``jacobian-heatmaps``     :mod:`.jacobian_heatmaps`           LSTM and GRU Jacobian blocks
``success-rate``          :mod:`.success_rate`                success rate against T (sweep)
========================  ==================================  =============================

Each module has ``NAME``, ``CLAIMS`` (the ids of the claims it illustrates, as in
:data:`gradsym.notes.IDS`), ``CAPTION`` (the figure's caption, LaTeX text with math in
the notes' notation: what is plotted, n, the initialisation, the seeds and what a band
is), ``compute(seed) -> dict`` (plain data: dicts, lists, numbers, strings) and
``draw(data) -> matplotlib.figure.Figure``. :func:`make_figures` writes ``<name>.pdf``,
``<name>.png`` (or the formats, resolution and style of :class:`.options.FigureOptions`)
and ``<name>.json`` for each, atomically and byte-reproducibly on one machine (see
:mod:`.writer` and :mod:`.style`).

Modules are imported on first use, so ``figure_names()`` is cheap.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from gradsym.errors import InvalidValueError, UnknownNameError, did_you_mean, unknown_name
from gradsym.files import folder_lock
from gradsym.render.figures._common import LiveFactory, live_progress
from gradsym.render.figures.options import FigureOptions, figure_options
from gradsym.render.figures.writer import write_figure
from gradsym.validate import nonnegative_int

__all__ = [
    "FIGURES",
    "FigureOptions",
    "compute",
    "draw",
    "figure_module",
    "figure_names",
    "figure_options",
    "figures_of",
    "make_figures",
    "write",
]

# The order of the notes; names are stable (file names and the CLI use them).
FIGURES: dict[str, str] = {
    "gradient-norms": "gradient_norms",
    "linear-case": "linear_case",
    "agreement": "agreement",
    "pascanu-cliff": "pascanu_cliff",
    "clipping": "clipping",
    "orthogonal-init": "orthogonal_init",
    "lstm-cell-path": "lstm_cell_path",
    "training-curves": "training_curves",
    "jacobian-heatmaps": "jacobian_heatmaps",
    "success-rate": "success_rate",
}

Progress = Callable[[str, int, int, float], None]


def figure_names() -> tuple[str, ...]:
    """Every figure name, in the order of the notes."""
    return tuple(FIGURES)


def figure_module(name: str) -> ModuleType:
    """The module of figure ``name``; UnknownNameError for a name not in :data:`FIGURES`."""
    if not isinstance(name, str) or name not in FIGURES:
        raise unknown_name("figure", name, FIGURES)
    return importlib.import_module(f"{__name__}.{FIGURES[name]}")


def figures_of(ids: Iterable[str]) -> list[str]:
    """The figures ``ids`` ask for, each id a figure's name (that figure) or a claim id
    (the figures that illustrate the claim, in the notes' order: those its slides show);
    a word that is both (``linear-case``) is the figure of that name. Duplicates are
    dropped, the first kept.

    Raises:
        UnknownNameError: an id that is neither (with the nearest names).
        InvalidValueError: no figure illustrates any of the claims.
    """
    ids = list(ids)
    chosen: list[str] = []
    for word in ids:
        if isinstance(word, str) and word in FIGURES:
            chosen.append(word)
            continue
        from gradsym.notes import IDS

        if word not in IDS:
            hint = did_you_mean(word, [*FIGURES, *IDS])
            raise UnknownNameError(
                f"unknown figure {word!r}{hint}; expected a figure, one of "
                f"{', '.join(FIGURES)}, or a claim id"
            )
        chosen += [name for name in FIGURES if word in figure_module(name).CLAIMS]
    if not chosen:
        raise InvalidValueError(f"no figure illustrates {', '.join(map(repr, ids)) or 'no claim'}")
    return list(dict.fromkeys(chosen))


def compute(name: str, seed: int = 0) -> dict:
    """The data figure ``name`` plots, from seeded runs (plain dicts and lists)."""
    return figure_module(name).compute(seed)


def draw(name: str, data: dict):
    """The :class:`~matplotlib.figure.Figure` of ``name`` drawn from ``data``.

    Draw inside :func:`gradsym.render.figures.style.style` to get the print style.
    """
    return figure_module(name).draw(data)


def write(
    name: str, data: dict, out_dir: str | Path, options: FigureOptions | None = None
) -> list[Path]:
    """Write figure ``name`` drawn from already computed ``data`` into ``out_dir``
    (``options``: formats, dpi and style; default pdf and png at 150 dpi, paper style)."""
    return write_figure(name, data, figure_module(name).draw, Path(out_dir), options)


def make_figures(
    out_dir: str | Path,
    names: Iterable[str] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    dpi: int | None = None,
    formats: str | Iterable[str] | None = None,
    style: str | None = None,
    live: LiveFactory | None = None,
) -> list[Path]:
    """Compute and write figures ``names`` (default: all) into ``out_dir``.

    For each figure: one file per format of ``formats`` ("pdf", "png", "svg", as a list
    or as ``"pdf,png"``; default pdf for LaTeX and png), the PNG at ``dpi`` (default 150),
    drawn in ``style`` ("paper", the default, or "slides": larger text and thicker lines
    for a projector), and ``<name>.json`` (the data plotted), each replaced atomically.
    The same ``seed`` gives byte-identical files on one machine (another CPU or BLAS:
    the data to round-off). ``progress(name, index, total, seconds)`` is called after
    each figure (index from 1); ``live(name, total, unit)``, a context manager yielding
    ``advance(n=1)``, is opened while a long figure computes (the CLI's tqdm bars).
    Every argument is checked before anything is computed.

    The folder is locked while the figures are written (another gradsym process writing
    into it is refused: :func:`gradsym.files.folder_lock`).

    Returns the written paths, the formats' then the data file, per figure in order.

    Raises:
        UnknownNameError: a name not in :data:`FIGURES`, an unknown format or style.
        InvalidValueError: a negative seed, a dpi out of range, no format.
        OutputError: the folder cannot be written, or another process is writing there.
    """
    chosen = figure_names() if names is None else tuple(names)
    modules = [figure_module(n) for n in chosen]  # fail on a bad name before any work
    seed = nonnegative_int("seed", seed)
    options = figure_options(dpi, formats, style)
    paths: list[Path] = []
    with folder_lock(out_dir, "write the figures") as out:
        for index, (name, module) in enumerate(zip(chosen, modules), start=1):
            start = time.perf_counter()
            with live_progress(live, name):
                data = module.compute(seed)
            paths += write_figure(name, data, module.draw, out, options)
            if progress is not None:
                progress(name, index, len(chosen), time.perf_counter() - start)
    return paths
