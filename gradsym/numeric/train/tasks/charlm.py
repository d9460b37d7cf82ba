"""Character-level language modelling on a small public-domain text shipped with gradsym.

The corpus ``public_domain.txt`` (about 5 KB, read with ``importlib.resources``, never
downloaded) holds Abraham Lincoln's Gettysburg Address (1863) and the opening of
chapter I of Lewis Carroll's *Alice's Adventures in Wonderland* (1865), both in the
public domain.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.numeric.train.tasks.base import Batch, Task, one_hot
from gradsym.validate import positive_int

CORPUS_FILE = "public_domain.txt"


@lru_cache(maxsize=1)
def corpus() -> str:
    """The shipped public-domain text."""
    return resources.files("gradsym.numeric.train.tasks").joinpath(CORPUS_FILE).read_text("utf-8")


class CharLM(Task):
    """Next-character prediction on windows of a text.

    The vocabulary is the sorted set of characters of the text (V of them); a window of
    T + 1 consecutive characters c₀ … c_T starting at a uniform position gives inputs
    x⁽ᵗ⁾ = one-hot(c_t) and targets y⁽ᵗ⁾ = c_{t+1}, t = 0 … T−1. Loss cross-entropy at
    every step.

    Baseline: the unigram model (predict the text's character frequencies pᵥ at every
    step, ignoring the past) has expected cross-entropy the unigram entropy
    **H = −Σᵥ pᵥ ln pᵥ** (nats per character) on the text as a whole; random windows
    weigh the ends of the text slightly less, so a sample's loss is close to, not
    exactly, H.

    x: (T, B, V) float64; y: (T, B) int64.
    """

    name = "charlm"
    loss = "xent"
    target = "every"

    def __init__(self, length: int = 50, *, text: str | None = None):
        self.text = corpus() if text is None else str(text)
        self.length = positive_int("length", length)
        if len(self.text) < self.length + 1:
            raise InvalidValueError(
                f"length must be below the text's length ({len(self.text)}), got {self.length}"
            )
        self.vocabulary = "".join(sorted(set(self.text)))
        self._index = {ch: i for i, ch in enumerate(self.vocabulary)}
        self.codes = self.encode(self.text)
        self.input_size = self.output_size = len(self.vocabulary)
        counts = np.bincount(self.codes, minlength=len(self.vocabulary))
        self.unigram = counts / counts.sum()
        self.baseline = float(-np.sum(self.unigram * np.log(self.unigram)))
        self.baseline_description = (
            "unigram character frequencies at every step; cross-entropy H = −Σ p ln p"
        )

    def encode(self, s: str) -> np.ndarray:
        """Characters → int64 codes (an unknown character is an InvalidValueError)."""
        try:
            return np.array([self._index[ch] for ch in s], dtype=np.int64)
        except KeyError as exc:
            raise InvalidValueError(f"character {exc.args[0]!r} is not in the vocabulary") from exc

    def decode(self, codes) -> str:
        """int codes → the string they spell."""
        return "".join(self.vocabulary[int(i)] for i in np.ravel(codes))

    @property
    def uniform_loss(self) -> float:
        """ln V: the cross-entropy of a uniform guess over the vocabulary."""
        return math.log(len(self.vocabulary))

    def _sample(self, batch_size: int, rng: np.random.Generator) -> Batch:
        T = self.length
        starts = rng.integers(0, len(self.codes) - T, size=batch_size)
        idx = starts[None, :] + np.arange(T + 1)[:, None]  # (T + 1, B)
        window = self.codes[idx]
        return Batch(one_hot(window[:-1], self.input_size), window[1:].astype(np.int64))
