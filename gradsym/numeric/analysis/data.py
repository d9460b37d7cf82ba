"""The input sequences that drive a model under analysis, and what they were.

Three sources, each giving float64 inputs ``xs`` (T, B, d), time-major like the cells, and
a description of where they came from (recorded beside every number):

* a task of :func:`~gradsym.numeric.train.tasks.make_task` (``adding``, ``copy``, …):
  ``batch`` sequences drawn with ``seed``;
* an array (a ``.npy`` file or one in memory), time-major (T, B, d) or batch-first
  (B, T, d) with ``batch_first=True``;
* Gaussian inputs x ~ N(0, scale²) i.i.d., ``steps`` × ``batch`` × ``input_size``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradsym.errors import InvalidValueError, ShapeError
from gradsym.files import open_regular
from gradsym.numeric.train.tasks import make_task
from gradsym.validate import (
    boolean,
    check_finite,
    check_memory,
    nonnegative_int,
    positive_int,
    positive_number,
)

__all__ = ["Inputs", "as_inputs", "gaussian_inputs", "load_array", "task_inputs"]


@dataclass
class Inputs:
    """Input sequences ``xs`` (T, B, d) float64 and a ``description`` of their source."""

    xs: np.ndarray
    description: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return int(self.xs.shape[0])

    @property
    def batch(self) -> int:
        return int(self.xs.shape[1])

    @property
    def width(self) -> int:
        return int(self.xs.shape[2])

    def summary(self) -> str:
        """One line: what the inputs are and their shape."""
        d = self.description
        what = {
            "task": lambda: f"task {d.get('task')!r} {d.get('task_kwargs') or ''}".rstrip(),
            "gaussian": lambda: f"Gaussian x ~ N(0, {d.get('scale'):g}²)",
            "array": lambda: f"array {d.get('source', '')}".rstrip(),
            "none": lambda: "no input (x = 0: the autonomous network)",
        }.get(d.get("kind"), lambda: "inputs")()
        return f"{what}, T = {self.steps}, B = {self.batch}, d = {self.width}"

    def check_width(self, input_size: int, who: str) -> None:
        """ShapeError unless the inputs have ``input_size`` features (for model ``who``)."""
        if self.width != input_size:
            raise ShapeError(
                f"input width d = {self.width} does not match the input size {input_size} of {who}"
            )


def _as_sequences(xs, name: str) -> np.ndarray:
    """``xs`` as a finite float64 (T, B, d) array, or a one-line error."""
    a = np.asarray(xs)
    if a.dtype == object or a.dtype.kind not in "iuf":
        raise InvalidValueError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.ndim != 3:
        raise ShapeError(f"{name} must have 3 axes (T, B, d), got shape {a.shape}")
    if 0 in a.shape:
        raise ShapeError(f"{name} must have at least one step, sequence and feature, got {a.shape}")
    a = a.astype(np.float64)  # exact for float32 and for integers below 2^53
    check_finite(name, a, "(t, b, j)")
    return a


def as_inputs(xs, *, batch_first: bool = False, description: dict | None = None) -> Inputs:
    """:class:`Inputs` from an array (or an Inputs, returned as it is); ``batch_first``:
    the array is (B, T, d)."""
    if isinstance(xs, Inputs):
        return xs
    if type(xs).__module__.startswith("torch"):
        xs = xs.detach().cpu().double().numpy()
    batch_first = boolean("batch_first", batch_first)
    a = _as_sequences(xs, "xs (batch-first (B, T, d))" if batch_first else "xs")
    if batch_first:
        a = np.ascontiguousarray(a.transpose(1, 0, 2))
    desc = {"kind": "array", "batch_first": batch_first, **(description or {})}
    return Inputs(a, desc)


def load_array(path: str | os.PathLike, *, batch_first: bool = False) -> Inputs:
    """The input sequences saved in the ``.npy`` file ``path`` (read without pickle)."""
    path = Path(path)
    if not path.exists():
        raise InvalidValueError(f"no such data file: {path}")
    try:
        with open_regular(path) as f:  # a FIFO would block the read
            a = np.load(f, allow_pickle=False)
            if not isinstance(a, np.ndarray):
                a.close()
                raise InvalidValueError(
                    f"{path} is an .npz archive; save one array with np.save (.npy)"
                )
    except (ValueError, OSError, EOFError) as exc:
        if isinstance(exc, InvalidValueError):
            raise
        raise InvalidValueError(f"{path} is not a .npy array NumPy can read ({exc})") from None
    return as_inputs(
        _as_sequences(a, f"the array in {path.name}"),
        batch_first=batch_first,
        description={"source": str(path)},
    )


def task_inputs(
    task: str, task_kwargs: dict | None = None, *, batch: int = 32, seed: int = 0
) -> Inputs:
    """``batch`` input sequences of ``task`` (with ``task_kwargs``), drawn with ``seed``."""
    t = make_task(task, **dict(task_kwargs or {}))
    b = positive_int("batch", batch)
    steps = t.length + t.length // 10 + 1
    check_memory(f"length = {t.length} and batch = {b}", 8.0 * steps * b * t.input_size)
    rng = np.random.default_rng(nonnegative_int("seed", seed))
    xs = t.sample(b, rng).x
    desc = {"kind": "task", "task": task, "task_kwargs": dict(task_kwargs or {}), "seed": seed}
    return Inputs(np.ascontiguousarray(xs, dtype=np.float64), desc)


def no_inputs(steps: int, batch: int, input_size: int) -> Inputs:
    """x = 0 at every step, shape (steps, batch, input_size): the network left to itself
    (with its biases), for the dynamics of an autonomous network."""
    shape = (
        positive_int("steps", steps),
        positive_int("batch", batch),
        positive_int("input_size", input_size),
    )
    check_memory(f"steps = {shape[0]} and batch = {shape[1]}", 8.0 * math.prod(shape))
    return Inputs(np.zeros(shape), {"kind": "none"})


def gaussian_inputs(
    steps: int, batch: int, input_size: int, *, scale: float = 1.0, seed: int = 0
) -> Inputs:
    """x ~ N(0, scale²) i.i.d., shape (steps, batch, input_size), drawn with ``seed``."""
    shape = (
        positive_int("steps", steps),
        positive_int("batch", batch),
        positive_int("input_size", input_size),
    )
    scale = positive_number("scale (of the Gaussian inputs)", scale)
    check_memory(f"steps = {shape[0]} and batch = {shape[1]}", 8.0 * math.prod(shape))
    rng = np.random.default_rng(nonnegative_int("seed", seed))
    desc = {"kind": "gaussian", "scale": scale, "seed": seed}
    return Inputs(scale * rng.standard_normal(shape), desc)
