"""Synthetic long-range-dependency tasks: adding (two forms), copy, temporal order, echo.

Each one puts the information the target needs far from where the target is read, so a
model solves it only if gradient flows across that span — the setting where vanishing
gradients bite.
"""

from __future__ import annotations

import math

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.numeric.train.tasks.base import Batch, Task, one_hot
from gradsym.validate import boolean, positive_int


def _at_least(name: str, value, low: int) -> int:
    v = positive_int(name, value)
    if v < low:
        raise InvalidValueError(f"{name} must be at least {low}, got {v}")
    return v


# -- adding problem -----------------------------------------------------------------------


class AddingLe(Task):
    """The adding problem in the form of Le, Jaitly & Hinton 2015 (IRNN paper).

    x⁽ᵗ⁾ = (vₜ, mₜ), t = 0 … T−1: values vₜ ~ U(0, 1); markers mₜ ∈ {0, 1} with exactly
    two ones, one at a uniform position in the first half [0, ⌊T/2⌋) and one in the
    second half [⌊T/2⌋, T). Target after the last step: y = Σₜ mₜ vₜ, loss MSE.

    Trivial baseline: always predict 1 = E[y]. Then MSE = Var(X₁ + X₂) with X₁, X₂ i.i.d.
    U(0, 1), i.e. 2 · 1/12 = **1/6**.

    x: (T, B, 2) float64; y: (B, 1) float64.
    """

    name = "adding_le"
    loss = "mse"
    target = "last"

    def __init__(self, length: int = 100):
        self.length = _at_least("length", length, 2)
        self.input_size = 2
        self.output_size = 1
        self.baseline = 1.0 / 6.0
        self.baseline_description = "always predict 1 (= E[y]); MSE = Var(X1 + X2) = 1/6"

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, batch_size
        half = T // 2
        values = rng.uniform(0.0, 1.0, size=(T, B))
        first = rng.integers(0, half, size=B)
        second = rng.integers(half, T, size=B)
        markers = np.zeros((T, B))
        cols = np.arange(B)
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        x = np.stack([values, markers], axis=-1)
        y = (values[first, cols] + values[second, cols])[:, None]
        return Batch(x, y)


class AddingHS(Task):
    """The adding problem of Hochreiter & Schmidhuber 1997 (LSTM paper, Experiment 4).

    x⁽ᵗ⁾ = (vₜ, mₜ): values vₜ ~ U(−1, 1); markers mₜ ∈ {−1, 0, 1}. Exactly two pairs are
    marked with 1: first one of the first ten pairs (its value is X₁), then one of the
    first ⌊T/2⌋ − 1 still unmarked pairs (value X₂). The first and the last pair carry the
    marker −1 unless marked; every other marker is 0. "X₁ is set to zero in the rare
    case where the first pair of the sequence got marked": we read the condition as
    stated — whenever pair 0 is marked (by either draw) its value is 0. Target after the
    last step: y = 0.5 + (X₁ + X₂)/4 (the sum scaled to [0, 1]); a sequence counts as
    solved when |error| < 0.04. Loss MSE.

    Length: the paper draws each sequence's length uniformly from [T, T + T/10]. A batch
    here shares one length (time-major arrays); with ``vary_length=False`` (default) it
    is always T, with ``vary_length=True`` it is drawn per batch from [T, T + ⌊T/10⌋].

    Trivial baseline: always predict 0.5 = E[y]. The two marked values are independent
    with mean 0 and E[X²] = 1/3, except that pair 0 (marked with probability
    p₀ = 1/10 + (9/10)/(⌊T/2⌋ − 1): by the first draw, or by the second when the first
    missed it) contributes 0. So

        MSE = E[(X₁ + X₂)²]/16 = (2 − p₀)/48      (≈ 0.0392 for T = 100).

    x: (T, B, 2) float64; y: (B, 1) float64. Needs T ≥ 20 (so that the first ten pairs
    lie inside the first ⌊T/2⌋).
    """

    name = "adding"
    loss = "mse"
    target = "last"
    solved_below = 0.04

    def __init__(self, length: int = 100, *, vary_length: bool = False):
        self.length = _at_least("length", length, 20)
        self.vary_length = boolean("vary_length", vary_length)
        self.input_size = 2
        self.output_size = 1
        p0 = 0.1 + 0.9 / (self.length // 2 - 1)  # P(pair 0 is marked)
        self.baseline = (2.0 - p0) / 48.0
        self.baseline_description = (
            "always predict 0.5 (= E[y]); MSE = E[(X1 + X2)²]/16 = (2 − p0)/48 with "
            "p0 = 1/10 + (9/10)/(T/2 − 1) the probability that pair 0 (value 0) is marked"
        )

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T0, B = self.length, batch_size
        T = int(rng.integers(T0, T0 + T0 // 10 + 1)) if self.vary_length else T0
        cols = np.arange(B)
        values = rng.uniform(-1.0, 1.0, size=(T, B))
        markers = np.zeros((T, B))
        markers[0, :] = -1.0
        markers[T - 1, :] = -1.0
        p1 = rng.integers(0, 10, size=B)
        # The second mark is one of the first ⌊T/2⌋ − 1 unmarked pairs: draw an index
        # among ⌊T/2⌋ − 1 slots and skip over the first mark.
        k = rng.integers(0, T0 // 2 - 1, size=B)
        p2 = k + (k >= p1)
        values[0, (p1 == 0) | (p2 == 0)] = 0.0
        markers[p1, cols] = 1.0
        markers[p2, cols] = 1.0
        x = np.stack([values, markers], axis=-1)
        y = (0.5 + (values[p1, cols] + values[p2, cols]) / 4.0)[:, None]
        return Batch(x, y)


# -- copy / memory ------------------------------------------------------------------------


class CopyMemory(Task):
    """The copy (memory) task of Arjovsky, Shah & Bengio 2016 (unitary RNN paper).

    Alphabet: 0 = blank, 1 … K = symbols (K = 8), K + 1 = delimiter; inputs and targets
    are indices into it, inputs one-hot (d = K + 2). With L = 10 symbols to copy and a
    delay T, a sequence has T + 2L steps::

        input:  s₁ … s_L, blank × (T − 1), delimiter, blank × L
        target: blank × (T + L), s₁ … s_L

    The model must output the L symbols after the delimiter. Loss: cross-entropy at
    every step, averaged over all T + 2L steps.

    Memoryless baseline: blank for the first T + L steps (loss 0), then a uniform guess
    among the K symbols (loss ln K each): **L ln K / (T + 2L)** = 10 ln 8 / (T + 20).

    x: (T + 2L, B, K + 2) float64; y: (T + 2L, B) int64.
    """

    name = "copy"
    loss = "xent"
    target = "every"

    def __init__(self, delay: int = 100, *, n_symbols: int = 8, n_copy: int = 10):
        self.delay = positive_int("delay", delay)
        self.n_symbols = positive_int("n_symbols", n_symbols)
        self.n_copy = positive_int("n_copy", n_copy)
        self.blank = 0
        self.delimiter = self.n_symbols + 1
        self.length = self.delay + 2 * self.n_copy
        self.input_size = self.output_size = self.n_symbols + 2
        self.baseline = self.n_copy * math.log(self.n_symbols) / self.length
        self.baseline_description = (
            "blank for the first T + L steps, then uniform over the K symbols; "
            "cross-entropy L ln K / (T + 2L)"
        )

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        L, T, B = self.n_copy, self.delay, batch_size
        symbols = rng.integers(1, self.n_symbols + 1, size=(L, B))
        codes = np.full((self.length, B), self.blank, dtype=np.int64)
        codes[:L] = symbols
        codes[L + T - 1] = self.delimiter
        y = np.full((self.length, B), self.blank, dtype=np.int64)
        y[T + L :] = symbols
        return Batch(one_hot(codes, self.input_size), y)


# -- temporal order -----------------------------------------------------------------------


class TemporalOrder(Task):
    """The temporal order problem (Hochreiter & Schmidhuber 1997, Exp. 6a) as set up by
    Pascanu, Mikolov & Bengio 2013 (their ``tempOrder.py``).

    Six one-hot symbols: 0 = A, 1 = B (relevant), 2 … 5 = c, d, e, f (distractors). With
    T steps and w = ⌊T/10⌋: at a uniform position p₀ ∈ [w, 2w) the symbol v₀ ∈ {A, B},
    at p₁ ∈ [5w, 6w) the symbol v₁ ∈ {A, B}, everywhere else a uniform distractor. After
    the last step the class of the order is read: class = v₀ + 2 v₁, i.e.
    0 = AA, 1 = BA, 2 = AB, 3 = BB (first symbol, then second). Loss cross-entropy.

    Baseline: the four classes are equally likely, so the uniform guess has
    cross-entropy **ln 4** and no memoryless predictor does better.

    x: (T, B, 6) float64; y: (B,) int64. Needs T ≥ 10.
    """

    name = "temporal_order"
    loss = "xent"
    target = "last"
    classes = ("AA", "BA", "AB", "BB")

    def __init__(self, length: int = 100):
        self.length = _at_least("length", length, 10)
        self.input_size = 6
        self.output_size = 4
        self.baseline = math.log(4.0)
        self.baseline_description = "uniform over the 4 classes; cross-entropy ln 4"

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, B = self.length, batch_size
        w = T // 10
        cols = np.arange(B)
        p0 = rng.integers(w, 2 * w, size=B)
        v0 = rng.integers(0, 2, size=B)
        p1 = rng.integers(5 * w, 6 * w, size=B)
        v1 = rng.integers(0, 2, size=B)
        codes = rng.integers(2, 6, size=(T, B))
        codes[p0, cols] = v0
        codes[p1, cols] = v1
        y = (v0 + 2 * v1).astype(np.int64)
        return Batch(one_hot(codes, 6), y)


# -- delayed echo -------------------------------------------------------------------------


class DelayedEcho(Task):
    """Delayed echo: the target at step t is the input symbol of step t − d.

    Inputs: uniform symbols from K, one-hot (d_in = K). Targets: class 0 ("nothing to
    echo yet") for t < d, and class s + 1 for the input symbol s of step t − d. Loss
    cross-entropy at every step. The dependency spans d steps: truncated BPTT with
    k1 = k2 = k lets the loss term at the end of a chunk reach back k − 1 steps, so it
    learns the echo for k ≥ d + 1 (a window holding the input and its echo, both ends
    included) and stays at the baseline for k ≤ d — the task for truncation.

    Memoryless baseline: class 0 for t < d (loss 0), uniform over the K symbols after
    (loss ln K): **(T − d) ln K / T**.

    x: (T, B, K) float64; y: (T, B) int64. Needs 1 ≤ d < T.
    """

    name = "echo"
    loss = "xent"
    target = "every"

    def __init__(self, length: int = 50, delay: int = 5, *, n_symbols: int = 2):
        self.length = positive_int("length", length)
        self.delay = positive_int("delay", delay)
        if self.delay >= self.length:
            raise InvalidValueError(
                f"delay must be smaller than length ({self.length}), got {self.delay}"
            )
        self.n_symbols = _at_least("n_symbols", n_symbols, 2)
        self.input_size = self.n_symbols
        self.output_size = self.n_symbols + 1
        self.baseline = (self.length - self.delay) * math.log(self.n_symbols) / self.length
        self.baseline_description = (
            "class 0 for t < d, then uniform over the K symbols; cross-entropy (T − d) ln K / T"
        )

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T, d, B = self.length, self.delay, batch_size
        codes = rng.integers(0, self.n_symbols, size=(T, B))
        y = np.zeros((T, B), dtype=np.int64)
        y[d:] = codes[: T - d] + 1
        return Batch(one_hot(codes, self.n_symbols), y)
