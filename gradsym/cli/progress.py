"""Live progress on the terminal for the long commands (build, figures): a tqdm bar on
stderr, shown only when stderr is a terminal (never in a pipe, a log file or a test), with
the finished items logged on stdout above it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["live_bar", "progress_bar"]


@contextmanager
def progress_bar(total: int, desc: str, unit: str, position: int = 0) -> Iterator:
    """A tqdm bar of ``total`` ``unit``s (disabled unless stderr is a terminal) on line
    ``position`` below the cursor (1: under another bar)."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=None,
        leave=False,
        dynamic_ncols=True,
        position=position,
    )
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def live_bar(name: str, total: int, unit: str) -> Iterator[Callable[..., None]]:
    """A second bar, under the figures' bar, while figure ``name`` computes its ``total``
    ``unit``s: the ``live`` argument of :func:`gradsym.render.figures.make_figures`."""
    with progress_bar(total, f"  {name}", unit, position=1) as bar:
        yield bar.update
