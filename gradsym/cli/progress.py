"""Live progress on the terminal for the long commands (build, figures): a tqdm bar on
stderr, shown only when stderr is a terminal (never in a pipe, a log file or a test), with
the finished items logged on stdout above it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(total: int, desc: str, unit: str) -> Iterator:
    """A tqdm bar of ``total`` ``unit``s (disabled unless stderr is a terminal)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, disable=None, leave=False, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()
