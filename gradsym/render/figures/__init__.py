"""The figures of the notes: one module per figure, each writing the data it plots.

========================  ==================================  =============================
name                      module                              what it shows
========================  ==================================  =============================
``gradient-norms``        :mod:`.gradient_norms`              ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖ against ℓ
``linear-case``           :mod:`.linear_case`                 eigenvalues, ‖W_hˡ‖, non-normal
``pascanu-cliff``         :mod:`.pascanu_cliff`               error surface, clipped GD
``clipping``              :mod:`.clipping`                    norm vs value clipping
``orthogonal-init``       :mod:`.orthogonal_init`             singular values of W_hˡ
``lstm-cell-path``        :mod:`.lstm_cell_path`              ∂c⁽ᵀ⁾/∂c⁽ᵏ⁾, forget biases
``training-curves``       :mod:`.training_curves`             adding and copy tasks
``jacobian-heatmaps``     :mod:`.jacobian_heatmaps`           LSTM and GRU Jacobian blocks
``success-rate``          :mod:`.success_rate`                success rate against T (sweep)
========================  ==================================  =============================

Each module has ``NAME``, ``CLAIMS`` (the ids of the claims it illustrates, as in
:data:`gradsym.proofs.IDS`), ``compute(seed) -> dict`` (plain
data: dicts, lists, numbers, strings) and ``draw(data) -> matplotlib.figure.Figure``.
:func:`make_figures` writes ``<name>.pdf``, ``<name>.png`` and ``<name>.json`` for each,
atomically and byte-reproducibly (see :mod:`.writer` and :mod:`.style`).

Modules are imported on first use, so ``figure_names()`` is cheap.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from gradsym.errors import unknown_name
from gradsym.files import folder_lock
from gradsym.render.figures.writer import write_figure
from gradsym.validate import nonnegative_int

__all__ = ["FIGURES", "compute", "draw", "figure_module", "figure_names", "make_figures", "write"]

# The order of the notes; names are stable (file names and the CLI use them).
FIGURES: dict[str, str] = {
    "gradient-norms": "gradient_norms",
    "linear-case": "linear_case",
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


def compute(name: str, seed: int = 0) -> dict:
    """The data figure ``name`` plots, from seeded runs (plain dicts and lists)."""
    return figure_module(name).compute(seed)


def draw(name: str, data: dict):
    """The :class:`~matplotlib.figure.Figure` of ``name`` drawn from ``data``.

    Draw inside :func:`gradsym.render.figures.style.style` to get the print style.
    """
    return figure_module(name).draw(data)


def write(name: str, data: dict, out_dir: str | Path) -> list[Path]:
    """Write figure ``name`` drawn from already computed ``data`` into ``out_dir``."""
    return write_figure(name, data, figure_module(name).draw, Path(out_dir))


def make_figures(
    out_dir: str | Path,
    names: Iterable[str] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[Path]:
    """Compute and write figures ``names`` (default: all) into ``out_dir``.

    For each figure: ``<name>.pdf`` (for LaTeX), ``<name>.png`` (150 dpi) and
    ``<name>.json`` (the data plotted), each replaced atomically. The same ``seed`` gives
    byte-identical files. ``progress(name, index, total, seconds)`` is called after each
    figure (index from 1). Every name is checked before anything is computed.

    The folder is locked while the figures are written (another gradsym process writing
    into it is refused: :func:`gradsym.files.folder_lock`).

    Returns the written paths, three per figure, in order.

    Raises:
        UnknownNameError: a name not in :data:`FIGURES`.
        InvalidValueError: a negative seed.
        OutputError: the folder cannot be written, or another process is writing there.
    """
    chosen = figure_names() if names is None else tuple(names)
    modules = [figure_module(n) for n in chosen]  # fail on a bad name before any work
    seed = nonnegative_int("seed", seed)
    paths: list[Path] = []
    with folder_lock(out_dir, "write the figures") as out:
        for index, (name, module) in enumerate(zip(chosen, modules), start=1):
            start = time.perf_counter()
            paths += write_figure(name, module.compute(seed), module.draw, out)
            if progress is not None:
                progress(name, index, len(chosen), time.perf_counter() - start)
    return paths
