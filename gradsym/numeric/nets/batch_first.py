"""Batch-major sequences: :class:`BatchFirst` wraps a (time-major) model so that it reads
``xs`` of shape (B, T, d) and returns outputs of shape (B, T, n), as a torch module built
with ``batch_first=True`` does. States keep their shape (B, n) in either layout (torch's
h0 is (layers·directions, B, n) with ``batch_first`` too), and so do one-step methods
(``step``, ``state_jacobian``), which the wrapper hands to the model unchanged.

The work is done by ``.model`` on the transposed sequence; a batch-major trace keeps the
time-major one as ``.time_major`` (for every gate, cell state and per-layer value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradsym.errors import ShapeError
from gradsym.numeric.cells.cell import Gradients

__all__ = ["BatchFirst", "BatchFirstTrace", "require_time_major"]


def _swap(a: np.ndarray) -> np.ndarray:
    """(T, B, ·) ↔ (B, T, ·)."""
    return np.swapaxes(a, 0, 1)


@dataclass(repr=False)
class BatchFirstTrace:
    """A forward pass of a :class:`BatchFirst` model: ``xs`` and ``h`` batch-major
    (B, T, ·), ``time_major`` the model's own trace (T, B, ·)."""

    xs: np.ndarray
    time_major: Any

    @property
    def h(self) -> np.ndarray:
        """The outputs h⁽ᵗ⁾ (or the stack's y⁽ᵗ⁾), (B, T, n)."""
        return _swap(self.time_major.h)

    @property
    def c(self) -> np.ndarray:
        """The LSTM's cell states c⁽ᵗ⁾, (B, T, n)."""
        return _swap(self.time_major.c)

    @property
    def state0(self):
        return self.time_major.state0

    @property
    def final_state(self):
        return self.time_major.final_state

    def __repr__(self) -> str:
        B, T = self.xs.shape[:2]
        return f"BatchFirstTrace(B={B}, T={T}, h {self.h.shape}, time_major={self.time_major!r})"


def require_time_major(model, what: str) -> None:
    """Refuse a :class:`BatchFirst` model where sequences are time-major (a transposed
    sequence would be read silently as another one)."""
    if isinstance(model, BatchFirst):
        raise ShapeError(
            f"{what} reads time-major sequences (T, B, d), and this model is BatchFirst: "
            "pass model.model with xs.transpose(1, 0, 2)"
        )


class BatchFirst:
    """``model`` (a cell, :class:`~gradsym.numeric.nets.bidirectional.Bidirectional` or
    :class:`~gradsym.numeric.nets.stacked.Stacked`) reading and writing batch-major
    sequences; every other attribute (``params``, ``step``, ``state_jacobian``, ...) is
    the model's own."""

    def __init__(self, model):
        if isinstance(model, BatchFirst):
            raise ShapeError("the model is batch-first already")
        self.model = model

    def __getattr__(self, name: str):
        if name == "model":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.model, name)

    def forward(self, xs, state0=None) -> BatchFirstTrace:
        """The model over ``xs`` (B, T, d) from ``state0`` (default zeros)."""
        xs = np.asarray(xs)
        if xs.ndim != 3:
            raise ShapeError(f"xs must have shape (B, T, d) (batch first), got {xs.shape}")
        trace = self.model.forward(np.ascontiguousarray(_swap(xs)), state0)
        return BatchFirstTrace(xs, trace)

    def backward(self, trace: BatchFirstTrace, dh=None, **kwargs) -> Gradients:
        """The model's backward pass with ``dh`` (and the LSTM's ``dc``) batch-major,
        (B, T, n); ``dxs`` and the per-step ``adjoints`` come back batch-major too."""
        if not isinstance(trace, BatchFirstTrace):
            raise ShapeError(f"trace must come from BatchFirst.forward, got {type(trace).__name__}")
        if dh is not None:
            dh = np.ascontiguousarray(_swap(np.asarray(dh)))
        if kwargs.get("dc") is not None:
            kwargs["dc"] = np.ascontiguousarray(_swap(np.asarray(kwargs["dc"])))
        g = self.model.backward(trace.time_major, dh, **kwargs)
        adjoints = {k: _swap(v) for k, v in g.adjoints.items()}
        return Gradients(_swap(g.dxs), g.dstate0, g.params, adjoints)

    def __repr__(self) -> str:
        return f"BatchFirst({self.model!r})"
