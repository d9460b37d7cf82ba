"""The number-agreement task: every sentence read back from its tokens alone (subject,
distance, nouns, attractors, nearest noun, label), its distribution against its
definition, the test sets built to order, determinism, and bad arguments refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradsym.errors import InvalidValueError
from gradsym.numeric.train.tasks import Agreement, AgreementBatch, make_task, one_hot


def within_standard_errors(samples, expected: float, k: float = 5.0) -> bool:
    """|mean − expected| ≤ k standard errors of the mean (seeded: not flaky)."""
    samples = np.asarray(samples, float)
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return abs(samples.mean() - expected) <= k * se


def read(task: Agreement, tokens: np.ndarray) -> dict:
    """What each sentence is, from its codes only: the subject is the token after the last
    start code (0), the verb would follow the last token; nouns are the codes above the
    fillers, their number is which half of the nouns they lie in."""
    F, N = task.n_fillers, task.n_nouns
    T, B = tokens.shape
    out = {k: [] for k in ("y", "distance", "nouns", "attractors", "nearest", "letters")}
    for b in range(B):
        column = list(tokens[:, b])
        starts = [t for t, c in enumerate(column) if c == 0]
        s = starts[-1] + 1 if starts else 0
        number = (column[s] - 1 - F) // N
        between = [c for c in column[s + 1 :] if c > F]
        numbers = [(c - 1 - F) // N for c in between]
        out["y"].append(number)
        out["distance"].append(T - 1 - s)
        out["nouns"].append(len(between))
        out["attractors"].append(sum(n != number for n in numbers))
        out["nearest"].append(numbers[-1] if numbers else number)
        out["letters"].append("".join("A" if n != number else "S" for n in numbers))
    return out


def assert_reads_back(task: Agreement, batch: AgreementBatch) -> dict:
    """The batch's labels and facts are what its tokens say, and x is their one-hot code."""
    seen = read(task, batch.tokens)
    for key in ("y", "distance", "nouns", "attractors", "nearest"):
        np.testing.assert_array_equal(getattr(batch, key), seen[key], err_msg=key)
    np.testing.assert_array_equal(batch.x, one_hot(batch.tokens, task.input_size))
    assert batch.y.dtype == np.int64 and set(np.unique(batch.y)) <= {0, 1}
    return seen


def test_the_reader_sees_a_wrong_label():
    """The read-back is a real check: a batch with one label flipped is refused."""
    task = Agreement(max_distance=6)
    batch = task.sample(20, np.random.default_rng(0))
    y = batch.y.copy()
    y[3] = 1 - y[3]
    wrong = AgreementBatch(
        batch.x, y, batch.tokens, batch.distance, batch.nouns, batch.attractors, batch.nearest
    )
    with pytest.raises(AssertionError, match="y"):
        assert_reads_back(task, wrong)


@pytest.mark.parametrize("context", [0, 3])
def test_every_sentence_reads_back_from_its_tokens(context, rng):
    task = Agreement(max_distance=9, max_nouns=4, attractor_rate=0.3, context=context)
    batch = task.sample(400, rng)
    T = 9 + 1 + (context + 1 if context else 0)
    assert task.length == T and batch.x.shape == (T, 400, 1 + 4 + 8)
    seen = assert_reads_back(task, batch)
    assert max(seen["distance"]) <= 9 and max(seen["nouns"]) <= 4
    assert all(n <= d for n, d in zip(seen["nouns"], seen["distance"]))
    if context:
        # The previous sentence: at least `context` words (nouns among them), then the
        # boundary right before the subject, and no other start code.
        first = T - 1 - batch.distance
        for b in range(400):
            column = batch.tokens[:, b]
            assert column[first[b] - 1] == 0 and np.count_nonzero(column == 0) == 1
            assert first[b] - 1 >= context
        before = batch.tokens[:context]
        assert np.any(before > task.n_fillers) and np.any((before > 0) & (before <= 4))


def test_the_distribution_is_the_definition():
    task = Agreement(max_distance=8, max_nouns=3, attractor_rate=0.25)
    batch = task.sample(40_000, np.random.default_rng(3))
    # D uniform in {0 … 8}; subjects a fair coin; m ≤ min(3, D), uniform.
    counts = np.bincount(batch.distance, minlength=9)
    assert np.all(np.abs(counts / 40_000 - 1 / 9) < 0.01)
    assert within_standard_errors(batch.y, 0.5)
    assert not within_standard_errors(batch.y, 0.55)  # the check can fail
    at_8 = batch.nouns[batch.distance == 8]
    assert np.all(np.abs(np.bincount(at_8, minlength=4) / at_8.size - 1 / 4) < 0.03)
    # Each intervening noun an attractor with probability 1/4.
    share = batch.attractors.sum() / batch.nouns.sum()
    assert abs(share - 0.25) < 0.01
    # Agreeing with the nearest noun fails as often as the analytic rate says.
    wrong = (batch.nearest != batch.y).astype(float)
    assert within_standard_errors(wrong, task.nearest_noun_error)
    assert task.nearest_noun_error == pytest.approx(0.25 * np.mean([0, 1 / 2, 2 / 3] + [3 / 4] * 6))


def test_no_attractor_rate_means_every_noun_agrees_with_the_verb(rng):
    task = Agreement(max_distance=10, max_nouns=5, attractor_rate=0.0, context=4)
    batch = task.sample(500, rng)
    assert_reads_back(task, batch)
    assert batch.attractors.max() == 0 and batch.nouns.max() > 0
    np.testing.assert_array_equal(batch.nearest, batch.y)
    assert task.nearest_noun_error == 0.0
    every = Agreement(max_distance=10, max_nouns=5, attractor_rate=1.0).sample(500, rng)
    np.testing.assert_array_equal(every.attractors, every.nouns)


def test_the_baseline_is_the_uniform_guess():
    task = make_task("agreement")
    assert task.baseline == math.log(2) and task.loss == "xent" and task.target == "last"
    assert task.output_size == 2 and task.classes == ("singular", "plural")


@pytest.mark.parametrize("pattern", ["", "A", "SA", "AS", "AAS", "SSAA", "AAAA"])
def test_patterns_put_the_nouns_in_order(pattern, rng):
    task = Agreement(max_distance=12, context=2)
    batch = task.sample_pattern(300, rng, pattern)
    seen = assert_reads_back(task, batch)
    assert set(seen["letters"]) == {pattern}
    assert np.all(batch.attractors == pattern.count("A"))
    assert batch.distance.min() >= len(pattern) and batch.distance.max() <= 12
    fixed = task.sample_pattern(50, rng, pattern, distance=12)
    assert np.all(fixed.distance == 12) and set(read(task, fixed.tokens)["letters"]) == {pattern}
    if pattern:  # the noun nearest to the verb is the pattern's last letter
        agrees = pattern[-1] == "S"
        np.testing.assert_array_equal(batch.nearest == batch.y, agrees)


def test_the_nouns_of_a_pattern_sit_anywhere_between_subject_and_verb():
    task = Agreement(max_distance=6)
    batch = task.sample_pattern(3000, np.random.default_rng(5), "A", distance=6)
    first = task.length - 1 - 6
    where = np.argmax(batch.tokens[first + 1 :] > task.n_fillers, axis=0)
    counts = np.bincount(where, minlength=6)
    assert np.all(np.abs(counts / 3000 - 1 / 6) < 0.03)


def test_sampling_is_seeded():
    task = Agreement(max_distance=7, context=2)
    for draw in (lambda r: task.sample(16, r), lambda r: task.sample_pattern(16, r, "SA")):
        a, b, c = (draw(np.random.default_rng(s)) for s in (1, 1, 2))
        for key in ("tokens", "y", "distance", "nouns", "attractors", "nearest"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
        assert not np.array_equal(a.tokens, c.tokens)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_distance": 0}, "max_distance must be a positive integer"),
        ({"max_distance": 2.5}, "max_distance"),
        ({"max_nouns": -1}, "max_nouns must be an integer >= 0"),
        ({"max_distance": 3, "max_nouns": 4}, "max_nouns must be at most max_distance"),
        ({"attractor_rate": 1.5}, r"attractor_rate must be a finite number in \[0, 1\]"),
        ({"attractor_rate": -0.1}, "attractor_rate"),
        ({"attractor_rate": float("nan")}, "attractor_rate"),
        ({"attractor_rate": "0.1"}, "attractor_rate must be a number"),
        ({"context": -2}, "context"),
        ({"n_nouns": 0}, "n_nouns"),
        ({"n_fillers": 0}, "n_fillers"),
        ({"max_nouns": True}, "max_nouns"),
    ],
)
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(InvalidValueError, match=message):
        make_task("agreement", **kwargs)


def test_an_unknown_argument_is_named_with_a_suggestion():
    with pytest.raises(InvalidValueError, match="did you mean 'attractor_rate'"):
        make_task("agreement", attractor_rat=0.1)


@pytest.mark.parametrize(
    "pattern, distance, message",
    [
        ("AX", None, "pattern must be a string of 'A'"),
        (["A"], None, "pattern must be a string"),
        ("A" * 7, None, "more than the max_distance = 6"),
        ("AA", 1, r"distance must be in \[2, 6\]"),
        ("A", 7, r"distance must be in \[1, 6\]"),
        ("A", -1, "distance must be an integer >= 0"),
    ],
)
def test_bad_patterns_are_one_line_errors(pattern, distance, message):
    task = Agreement(max_distance=6)
    with pytest.raises(InvalidValueError, match=message):
        task.sample_pattern(4, np.random.default_rng(0), pattern, distance)


def test_bad_batch_and_generator_are_refused():
    task = Agreement()
    with pytest.raises(InvalidValueError, match="batch_size"):
        task.sample_pattern(0, np.random.default_rng(0), "A")
    with pytest.raises(InvalidValueError, match="Generator"):
        task.sample_pattern(3, 0, "A")
    with pytest.raises(InvalidValueError, match="Generator"):
        task.sample(3, 0)
