"""What every task is: a seeded generator of batches plus the metadata a training loop needs.

Layout (time-major, as the cells): inputs ``x`` are float64 (T, B, d). Targets:

========  ===========  =====================================================
loss      target       ``y``
========  ===========  =====================================================
"mse"     "last"       float64 (B, k): read after the last step
"xent"    "last"       int64 (B,): class index read after the last step
"xent"    "every"      int64 (T, B): class index at every step
========  ===========  =====================================================

A batch comes in the dtype asked of :meth:`Task.sample` (float64 by default, or float32:
the numbers are drawn exactly as for float64 and rounded once, so a float32 run sees the
sequences of the float64 run with the same generator; class indices stay int64).

``baseline`` is the loss of the trivial predictor each task names in
``baseline_description`` (derived analytically; the tests check it empirically). A model
that does not beat it has learnt nothing about the long-range dependency.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.validate import as_dtype, positive_int

Loss = Literal["mse", "xent"]
Target = Literal["last", "every"]


@dataclass(frozen=True)
class Batch:
    """One batch: ``x`` (T, B, d) float64 and its targets ``y`` (see the module table)."""

    x: np.ndarray
    y: np.ndarray

    @property
    def length(self) -> int:
        """T, the number of steps."""
        return self.x.shape[0]

    @property
    def batch_size(self) -> int:
        """B, the number of sequences."""
        return self.x.shape[1]


class Task:
    """Base class: subclasses set the metadata and implement :meth:`_sample`."""

    name: ClassVar[str] = ""
    loss: ClassVar[Loss]
    target: ClassVar[Target]
    input_size: int
    output_size: int
    length: int
    baseline: float
    baseline_description: str

    def sample(self, batch_size: int, rng: np.random.Generator, dtype=np.float64) -> Batch:
        """A batch of ``batch_size`` sequences drawn with ``rng`` (same rng state → same
        batch), its inputs and real targets in ``dtype`` (float64 or float32)."""
        b = positive_int("batch_size", batch_size)
        dt = as_dtype(dtype)
        if not isinstance(rng, np.random.Generator):
            raise InvalidValueError(
                "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                f"got {type(rng).__name__}"
            )
        batch = self._sample(b, rng)
        if dt == batch.x.dtype:
            return batch
        y = batch.y.astype(dt) if batch.y.dtype.kind == "f" else batch.y
        return dataclasses.replace(batch, x=batch.x.astype(dt), y=y)  # a task's own fields kept

    def batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """An endless stream of batches from one generator."""
        while True:
            yield self.sample(batch_size, rng)

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(length={self.length}, input_size={self.input_size}, "
            f"output_size={self.output_size}, loss={self.loss!r}, target={self.target!r})"
        )


def one_hot(codes: np.ndarray, size: int) -> np.ndarray:
    """float64 one-hot encoding: ``codes`` of any shape → shape + (size,)."""
    out = np.zeros(codes.shape + (size,), dtype=np.float64)
    np.put_along_axis(out, codes[..., None], 1.0, axis=-1)
    return out
