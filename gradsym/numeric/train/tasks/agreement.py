"""Subject–verb number agreement: a synthetic version of the number-prediction task of
Linzen, Dupoux & Goldberg (2016).

A sentence is a subject noun, then ``distance`` intervening tokens, then the verb, which
the model does not see: it reads the words up to the verb and predicts the verb's
number, which is the subject's (the verb agrees with its subject, never with a noun in
between: *the writer of the books* **is**). Intervening nouns of the other number than
the subject are *attractors* (*books*); the others share the subject's number; every
other intervening token is a filler (a word that is not a noun: *of*, *the*, *old*, …).
A model that agrees with the noun nearest to the verb (sequential recency) is right
whenever that noun is the subject or shares its number, and wrong whenever it is an
attractor; a model that agrees with the subject (the structure of the sentence) is right
every time.

Vocabulary (one-hot inputs): code 0 is the start — the padding before the subject, or,
with ``context``, the boundary that ends the previous sentence; codes 1 … F are the
fillers, F + 1 … F + N the singular nouns and F + N + 1 … F + 2N their plurals (noun i
singular is code F + 1 + i, plural F + N + 1 + i). Targets: 0 singular, 1 plural. The
sentences of a batch share one length and are aligned at the verb (the last step), as
Linzen et al. pad theirs at the front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.numeric.train.tasks.base import Batch, Task, one_hot
from gradsym.validate import nonnegative_int, number, positive_int

#: The letters of :meth:`Agreement.sample_pattern`: an attractor, a noun of the subject's
#: own number.
ATTRACTOR, SAME = "A", "S"
#: Code 0: the padding, or the boundary after the previous sentence.
START = 0


@dataclass(frozen=True)
class AgreementBatch(Batch):
    """A batch of sentences and, per sentence (arrays of shape (B,) unless said), what it
    is made of: ``tokens`` the codes, (T, B) int64; ``distance`` the tokens between subject
    and verb; ``nouns`` the nouns among them; ``attractors`` those of the other number
    than the subject; ``nearest`` the number of the noun nearest to the verb (the
    subject's own when no noun intervenes). ``y`` is the subject's number."""

    tokens: np.ndarray
    distance: np.ndarray
    nouns: np.ndarray
    attractors: np.ndarray
    nearest: np.ndarray


def _choose_slots(
    rng: np.random.Generator, slots: int, distance: np.ndarray, count: np.ndarray
) -> np.ndarray:
    """(slots, B) bool: per column, ``count`` of the first ``distance`` slots, uniformly
    (rank uniform keys, with the slots beyond the distance ranked last)."""
    keys = rng.random((slots, distance.size))
    keys[np.arange(slots)[:, None] >= distance[None, :]] = np.inf
    rank = np.argsort(np.argsort(keys, axis=0), axis=0)
    return rank < count[None, :]


class Agreement(Task):
    """Predict the verb's number from the words before it (Linzen, Dupoux & Goldberg
    2016, their number-prediction task), in a synthetic language.

    A sentence: the subject (a noun of either number, each with probability 1/2), then D
    intervening tokens, D uniform in {0, …, ``max_distance``}; m of them are nouns, m
    uniform in {0, …, min(``max_nouns``, D)} at uniform positions, each an attractor
    (the other number) with probability ``attractor_rate`` and otherwise of the
    subject's number; the rest are fillers. Noun and filler identities are uniform
    among ``n_nouns`` nouns and ``n_fillers`` fillers. Before the subject: padding, or
    with ``context`` > 0 the end of a previous sentence — at least ``context`` tokens,
    each a noun (of either number) with probability 1/2 and otherwise a filler — and
    the boundary, as every sentence of running text follows other words. The target,
    read after the last step: the subject's number. Loss cross-entropy.

    With a small ``attractor_rate`` most sentences have no attractor, and agreeing with
    the nearest noun is right most of the time (:attr:`nearest_noun_error` says how
    often it is wrong); with ``attractor_rate`` 0 it is always right, and the data
    cannot tell that rule from agreeing with the subject.

    Trivial baseline: the subject's number is a fair coin, so no predictor that ignores
    the subject does better than the uniform guess: cross-entropy **ln 2**.

    x: (T, B, d) float64 with T = ``max_distance`` + 1, plus ``context`` + 1 with a
    context, and d = 1 + F + 2N; y: (B,) int64. :meth:`sample` returns an
    :class:`AgreementBatch`; :meth:`sample_pattern` draws sentences with given
    intervening nouns at a given distance (the test sets of the number of attractors,
    of the distance and of the nearest noun).
    """

    name = "agreement"
    loss = "xent"
    target = "last"
    classes = ("singular", "plural")

    def __init__(
        self,
        max_distance: int = 12,
        *,
        max_nouns: int = 3,
        attractor_rate: float = 0.1,
        context: int = 0,
        n_nouns: int = 4,
        n_fillers: int = 4,
    ):
        self.max_distance = positive_int("max_distance", max_distance)
        self.max_nouns = nonnegative_int("max_nouns", max_nouns)
        if self.max_nouns > self.max_distance:
            raise InvalidValueError(
                f"max_nouns must be at most max_distance ({self.max_distance}): the nouns "
                f"stand between the subject and the verb, got {self.max_nouns}"
            )
        self.attractor_rate = number(
            "attractor_rate", attractor_rate, low=0.0, high=1.0, high_open=False
        )
        self.context = nonnegative_int("context", context)
        self.n_nouns = positive_int("n_nouns", n_nouns)
        self.n_fillers = positive_int("n_fillers", n_fillers)
        self.length = self.max_distance + 1 + (self.context + 1 if self.context else 0)
        self.input_size = 1 + self.n_fillers + 2 * self.n_nouns
        self.output_size = 2
        self.baseline = math.log(2.0)
        self.baseline_description = (
            "the subject's number is a fair coin: uniform guess, cross-entropy ln 2"
        )

    # -- the vocabulary -----------------------------------------------------------------

    def noun_code(self, noun, plural) -> np.ndarray:
        """The code of noun ``noun`` (0 … N − 1) in number ``plural`` (0 or 1)."""
        return 1 + self.n_fillers + np.asarray(plural) * self.n_nouns + np.asarray(noun)

    def number_of(self, codes) -> np.ndarray:
        """Per code: 0 a singular noun, 1 a plural noun, −1 not a noun."""
        c = np.asarray(codes) - 1 - self.n_fillers
        return np.where(c < 0, -1, c // self.n_nouns)

    @property
    def nearest_noun_error(self) -> float:
        """How often agreeing with the noun nearest to the verb is wrong on the sentences
        :meth:`sample` draws: P(some noun intervenes) × ``attractor_rate`` (the nearest
        intervening noun is an attractor with that probability, whatever the others)."""
        m = np.minimum(self.max_nouns, np.arange(self.max_distance + 1))
        return float(np.mean(m / (m + 1))) * self.attractor_rate

    # -- sampling -----------------------------------------------------------------------

    def _sample(self, batch_size: int, rng: np.random.Generator) -> AgreementBatch:
        distance = rng.integers(0, self.max_distance + 1, size=batch_size)
        nouns = rng.integers(0, np.minimum(self.max_nouns, distance) + 1)
        is_noun = _choose_slots(rng, self.max_distance, distance, nouns)
        attract = is_noun & (rng.random(is_noun.shape) < self.attractor_rate)
        return self._build(rng, distance, is_noun, attract)

    def sample_pattern(
        self,
        batch_size: int,
        rng: np.random.Generator,
        pattern: str = "",
        distance: int | None = None,
    ) -> AgreementBatch:
        """``batch_size`` sentences whose intervening nouns are ``pattern``, in the order
        subject → verb ("A" an attractor, "S" a noun of the subject's number: "SA" puts
        the attractor nearest to the verb, "AAA" is three attractors), at uniform
        positions among ``distance`` intervening tokens (None: D uniform in
        {len(pattern), …, max_distance} per sentence); everything else as
        :meth:`sample` draws it.

        Raises InvalidValueError for a pattern with other letters, or a distance that
        cannot hold the pattern or exceeds ``max_distance``."""
        B = positive_int("batch_size", batch_size)
        if not isinstance(rng, np.random.Generator):
            raise InvalidValueError(
                "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                f"got {type(rng).__name__}"
            )
        if not isinstance(pattern, str) or set(pattern) - {ATTRACTOR, SAME}:
            raise InvalidValueError(
                f"pattern must be a string of {ATTRACTOR!r} (an attractor) and {SAME!r} (a "
                f"noun of the subject's number), got {pattern!r}"
            )
        m = len(pattern)
        if m > self.max_distance:
            raise InvalidValueError(
                f"pattern {pattern!r} has {m} nouns, more than the max_distance = "
                f"{self.max_distance} tokens between subject and verb can hold"
            )
        if distance is None:
            distances = rng.integers(m, self.max_distance + 1, size=B)
        else:
            d = nonnegative_int("distance", distance)
            if not m <= d <= self.max_distance:
                raise InvalidValueError(
                    f"distance must be in [{m}, {self.max_distance}] (at least the "
                    f"pattern's {m} nouns, at most max_distance), got {d}"
                )
            distances = np.full(B, d)
        is_noun = _choose_slots(rng, self.max_distance, distances, np.full(B, m))
        # The k-th noun of a sentence (in order) takes the k-th letter of the pattern.
        letters = np.array([c == ATTRACTOR for c in pattern] + [False])
        order = np.minimum(np.cumsum(is_noun, axis=0) - 1, m)
        attract = is_noun & letters[order]
        return self._build(rng, distances, is_noun, attract)

    def _build(
        self,
        rng: np.random.Generator,
        distance: np.ndarray,
        is_noun: np.ndarray,
        attract: np.ndarray,
    ) -> AgreementBatch:
        """Sentences from their layout: slot s (0 … max_distance − 1) is the s-th token
        after the subject; ``is_noun`` and ``attract`` (max_distance, B) bool, only
        within each sentence's ``distance``."""
        T, D, B = self.length, self.max_distance, distance.size
        cols = np.arange(B)
        subject = rng.integers(0, 2, size=B)
        subject_noun = rng.integers(0, self.n_nouns, size=B)
        noun_ids = rng.integers(0, self.n_nouns, size=(D, B))
        fillers = rng.integers(1, self.n_fillers + 1, size=(D, B))
        numbers = np.where(attract, 1 - subject[None, :], subject[None, :])
        slots = np.where(is_noun, self.noun_code(noun_ids, numbers), fillers)
        # Aligned at the verb: the subject at step T − 1 − D, slot s at step T − D + s.
        tokens = np.full((T, B), START, dtype=np.int64)
        first = T - 1 - distance
        if self.context:
            previous = np.where(
                rng.random((T, B)) < 0.5,
                self.noun_code(rng.integers(0, self.n_nouns, (T, B)), rng.integers(0, 2, (T, B))),
                rng.integers(1, self.n_fillers + 1, (T, B)),
            )
            before = np.arange(T)[:, None] < first[None, :] - 1  # the boundary stays START
            tokens[before] = previous[before]
        tokens[first, cols] = self.noun_code(subject_noun, subject)
        inside = np.arange(D)[:, None] < distance[None, :]
        steps = first[None, :] + 1 + np.arange(D)[:, None]
        tokens[steps[inside], np.broadcast_to(cols, (D, B))[inside]] = slots[inside]
        between = is_noun & inside
        count = between.sum(axis=0)
        last = D - 1 - np.argmax(between[::-1], axis=0)  # the nearest noun's slot
        nearest = np.where(count > 0, numbers[last, cols], subject)
        return AgreementBatch(
            x=one_hot(tokens, self.input_size),
            y=subject.astype(np.int64),
            tokens=tokens,
            distance=distance.astype(np.int64),
            nouns=count.astype(np.int64),
            attractors=(attract & inside).sum(axis=0).astype(np.int64),
            nearest=nearest.astype(np.int64),
        )

    def __repr__(self) -> str:
        return (
            f"Agreement(max_distance={self.max_distance}, max_nouns={self.max_nouns}, "
            f"attractor_rate={self.attractor_rate:g}, context={self.context}, "
            f"n_nouns={self.n_nouns}, n_fillers={self.n_fillers})"
        )
