"""Small helpers shared by the figure modules: seeding, derived constants and live
progress."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from functools import cache

import numpy as np


def seeded(seed: int, name: str) -> np.random.Generator:
    """A generator for figure ``name`` under the build seed ``seed``.

    Each figure gets its own stream (the name's CRC-32 is mixed into the seed), so adding
    or reordering figures never changes another figure's data. CRC-32, not ``hash()``:
    Python salts string hashes per process.
    """
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def floats(values) -> np.ndarray:
    """A list read back from a figure's JSON (null for a non-finite value) as floats, NaN
    where it was null (matplotlib draws a gap)."""
    return np.asarray([np.nan if v is None else v for v in values], float)


@cache
def gamma_value(activation: str) -> float:
    """γ = sup_z |σ'(z)|, derived symbolically (never typed in), as a float."""
    from gradsym.symbolic.spectral import gamma

    return float(gamma(activation).value)


# -- live progress inside a figure's computation ------------------------------------------

#: Opens a live counter: ``factory(name, total, unit)`` is a context manager yielding
#: ``advance(n=1)``. Set by :func:`gradsym.render.figures.make_figures` while a figure is
#: computed (the CLI passes tqdm bars); None: no live progress (the library's default).
LiveFactory = Callable[[str, int, str], AbstractContextManager[Callable[..., None]]]
_LIVE: ContextVar[tuple[str, LiveFactory] | None] = ContextVar("gradsym_figure_live", default=None)


@contextmanager
def live_progress(figure: LiveFactory | None, name: str) -> Iterator[None]:
    """While the ``with`` block runs, :func:`progress` of figure ``name`` reports to
    ``figure`` (None: to nobody)."""
    token = _LIVE.set(None if figure is None else (name, figure))
    try:
        yield
    finally:
        _LIVE.reset(token)


@contextmanager
def progress(total: int, unit: str) -> Iterator[Callable[..., None]]:
    """``advance(n=1)`` for a computation of ``total`` ``unit``s (the runs of a figure, the
    models of another), shown live where :func:`live_progress` asked for it and a no-op
    otherwise. Figures that compute for more than a moment report through this."""
    live = _LIVE.get()
    if live is None:
        yield lambda n=1: None
        return
    name, factory = live
    with factory(name, total, unit) as advance:
        yield advance
