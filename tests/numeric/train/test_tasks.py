"""Tasks: each generator checked against an independent reading of its definition, and
each trivial baseline checked empirically against its analytic value."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import InvalidValueError, UnknownNameError
from gradsym.numeric.train.tasks import (
    AddingHS,
    AddingLe,
    CharLM,
    CopyMemory,
    DelayedEcho,
    TemporalOrder,
    corpus,
    make_task,
    task_names,
)

EXACT = tol("exact")


def within_standard_errors(samples: np.ndarray, expected: float, k: float = 5.0) -> bool:
    """|mean − expected| ≤ k standard errors of the mean (a seeded, non-flaky check)."""
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return abs(samples.mean() - expected) <= k * se


def xent(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean −ln p[y] over every position; probs (..., C), y (...)."""
    p = np.take_along_axis(probs, y[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.log(p)))


# -- adding problem, Le et al. form -------------------------------------------------------


def test_adding_le_structure(rng):
    task = AddingLe(length=40)
    b = task.sample(500, rng)
    assert b.x.shape == (40, 500, 2) and b.x.dtype == np.float64
    assert b.y.shape == (500, 1) and b.y.dtype == np.float64
    values, markers = b.x[..., 0], b.x[..., 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers[:20].sum(axis=0), 1.0)  # one in the first half
    np.testing.assert_array_equal(markers[20:].sum(axis=0), 1.0)  # one in the second
    np.testing.assert_allclose(b.y[:, 0], (values * markers).sum(axis=0), rtol=EXACT)


def test_adding_le_trivial_mse_is_one_sixth():
    task = make_task("adding_le", length=30)
    assert task.baseline == 1.0 / 6.0
    y = task.sample(200_000, np.random.default_rng(11)).y[:, 0]
    errors = (y - 1.0) ** 2
    assert within_standard_errors(errors, task.baseline)
    assert not within_standard_errors(errors, 1.0 / 12.0)  # the check can fail


# -- adding problem, Hochreiter & Schmidhuber form ----------------------------------------


def test_adding_hs_structure(rng):
    T = 60
    b = AddingHS(length=T).sample(2000, rng)
    values, markers = b.x[..., 0], b.x[..., 1]
    assert b.x.shape == (T, 2000, 2)
    assert values.min() >= -1.0 and values.max() < 1.0
    marked = markers == 1.0
    np.testing.assert_array_equal(marked.sum(axis=0), 2)
    pos = np.sort(np.argwhere(marked.T)[:, 1].reshape(-1, 2), axis=1)
    assert pos[:, 0].max() < 10  # one of the first ten pairs is always marked
    assert pos[:, 1].max() < T // 2  # the other among the first T/2 pairs
    # first and last pair carry −1 unless marked; every other unmarked marker is 0
    assert np.all(markers[0][~marked[0]] == -1.0) and np.all(markers[-1] == -1.0)
    assert np.all(markers[1:-1][~marked[1:-1]] == 0.0)
    # the first pair's value is 0 whenever it is marked
    assert np.all(values[0][marked[0]] == 0.0) and marked[0].any()
    expected = 0.5 + (values * marked).sum(axis=0) / 4.0
    np.testing.assert_allclose(b.y[:, 0], expected, rtol=EXACT)
    assert b.y.min() >= 0.0 and b.y.max() <= 1.0


def test_adding_hs_trivial_mse():
    # P(pair 0 marked) = P(first draw hits it) + P(first misses) · P(second hits it)
    T = 40
    p0 = 1 / 10 + (9 / 10) * 1 / (T // 2 - 1)
    task = make_task("adding", length=T)
    assert math.isclose(task.baseline, ((1 - p0) / 3 + 1 / 3) / 16, rel_tol=EXACT)
    y = task.sample(400_000, np.random.default_rng(12)).y[:, 0]
    errors = (y - 0.5) ** 2
    assert within_standard_errors(errors, task.baseline)
    # the check can fail: ignoring the second draw's hits (19/480), or every zeroing
    assert not within_standard_errors(errors, (0.9 / 3 + 1 / 3) / 16)
    assert not within_standard_errors(errors, 2 / 3 / 16)


def test_adding_hs_lengths(rng):
    task = AddingHS(length=50, vary_length=True)
    lengths = {task.sample(2, rng).length for _ in range(200)}
    assert lengths <= set(range(50, 56)) and len(lengths) > 3
    assert AddingHS(length=50).sample(2, rng).length == 50
    with pytest.raises(InvalidValueError, match="at least 20"):
        AddingHS(length=19)


# -- copy task ----------------------------------------------------------------------------


@pytest.mark.parametrize("T", [1, 10, 100])
def test_copy_structure(T, rng):
    task = CopyMemory(delay=T)
    b = task.sample(64, rng)
    assert b.x.shape == (T + 20, 64, 10) and b.y.shape == (T + 20, 64)
    np.testing.assert_array_equal(b.x.sum(axis=-1), 1.0)  # one-hot
    codes = b.x.argmax(axis=-1)
    symbols = codes[:10]
    assert symbols.min() >= 1 and symbols.max() <= 8
    np.testing.assert_array_equal(codes[10 : 10 + T - 1], 0)
    np.testing.assert_array_equal(codes[T + 9], 9)  # the delimiter
    np.testing.assert_array_equal(codes[T + 10 :], 0)
    np.testing.assert_array_equal(b.y[: T + 10], 0)
    np.testing.assert_array_equal(b.y[T + 10 :], symbols)  # the 10 symbols, copied


@pytest.mark.parametrize("T", [1, 50, 200])
def test_copy_memoryless_baseline(T, rng):
    task = make_task("copy", delay=T)
    assert math.isclose(task.baseline, 10 * math.log(8) / (T + 20), rel_tol=EXACT)
    b = task.sample(256, rng)
    # the memoryless strategy, built here: blank for T + 10 steps, then uniform over 1…8
    probs = np.zeros(b.y.shape + (10,))
    probs[: T + 10, :, 0] = 1.0
    probs[T + 10 :, :, 1:9] = 1.0 / 8
    assert math.isclose(xent(probs, b.y), task.baseline, rel_tol=EXACT)


# -- temporal order -----------------------------------------------------------------------


def test_temporal_order_structure(rng):
    T = 100
    b = TemporalOrder(length=T).sample(4000, rng)
    codes = b.x.argmax(axis=-1)
    relevant = codes <= 1
    np.testing.assert_array_equal(relevant.sum(axis=0), 2)
    pos = np.argwhere(relevant.T)[:, 1].reshape(-1, 2)
    assert pos[:, 0].min() >= 10 and pos[:, 0].max() < 20
    assert pos[:, 1].min() >= 50 and pos[:, 1].max() < 60
    cols = np.arange(4000)
    first, second = codes[pos[:, 0], cols], codes[pos[:, 1], cols]
    names = np.array(TemporalOrder.classes)[b.y]
    expected = np.array(["AB"[f] + "AB"[s] for f, s in zip(first, second)])
    np.testing.assert_array_equal(names, expected)
    freq = np.bincount(b.y, minlength=4) / 4000
    assert np.all(np.abs(freq - 0.25) < 5 * math.sqrt(0.25 * 0.75 / 4000))
    assert b.y.dtype == np.int64 and b.y.shape == (4000,)
    uniform = np.full((4000, 4), 0.25)
    assert math.isclose(xent(uniform, b.y), TemporalOrder(length=T).baseline, rel_tol=EXACT)


# -- delayed echo -------------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 7])
def test_echo(d, rng):
    task = make_task("echo", length=30, delay=d, n_symbols=3)
    b = task.sample(128, rng)
    codes = b.x.argmax(axis=-1)
    np.testing.assert_array_equal(b.y[:d], 0)
    for t in range(d, 30):
        np.testing.assert_array_equal(b.y[t], codes[t - d] + 1)
    probs = np.zeros(b.y.shape + (4,))
    probs[:d, :, 0] = 1.0
    probs[d:, :, 1:] = 1.0 / 3
    assert math.isclose(xent(probs, b.y), task.baseline, rel_tol=EXACT)
    assert math.isclose(task.baseline, (30 - d) * math.log(3) / 30, rel_tol=EXACT)
    with pytest.raises(InvalidValueError, match="delay"):
        DelayedEcho(length=5, delay=5)


# -- character-level language model -------------------------------------------------------


def test_corpus_ships_with_the_package():
    text = corpus()
    assert 3000 < len(text) < 20000
    assert text.startswith("Four score and seven years ago")
    assert "White Rabbit" in text


def test_charlm_windows_are_text(rng):
    task = CharLM(length=40)
    b = task.sample(16, rng)
    V = len(set(corpus()))
    assert b.x.shape == (40, 16, V) and b.y.shape == (40, 16)
    for j in range(16):
        inputs = task.decode(b.x[:, j].argmax(axis=-1))
        window = inputs + task.decode(b.y[-1, j])
        assert window in corpus()
        assert task.decode(b.y[:-1, j]) == inputs[1:]  # targets are the next characters


def test_charlm_unigram_baseline():
    task = make_task("charlm", length=64)
    counts = Counter(corpus())
    total = sum(counts.values())
    entropy = -sum(c / total * math.log(c / total) for c in counts.values())
    assert math.isclose(task.baseline, entropy, rel_tol=EXACT)
    assert task.baseline < task.uniform_loss
    b = task.sample(2000, np.random.default_rng(13))
    probs = np.broadcast_to(task.unigram, b.y.shape + (task.output_size,))
    assert math.isclose(xent(probs, b.y), task.baseline, rel_tol=0.03)


def test_charlm_encode_decode():
    task = CharLM(length=5, text="abracadabra")
    assert task.vocabulary == "abcdr"
    assert task.decode(task.encode("cab")) == "cab"
    with pytest.raises(InvalidValueError, match="'z'"):
        task.encode("z")
    with pytest.raises(InvalidValueError, match="length"):
        CharLM(length=11, text="abracadabra")


# -- registry, sizes, seeds ---------------------------------------------------------------


def test_registry():
    assert set(task_names()) == {
        "adding",
        "adding_le",
        "copy",
        "temporal_order",
        "echo",
        "charlm",
        "agreement",
    }
    for name in task_names():
        task = make_task(name)
        assert task.name == name and task.loss in ("mse", "xent")
        assert task.target in ("last", "every") and task.baseline > 0
        b = task.sample(3, np.random.default_rng(0))
        assert b.x.dtype == np.float64 and b.x.shape[1:] == (3, task.input_size)
        assert b.x.shape[0] == task.length
        want = {"last": (3,), "every": (task.length, 3)}[task.target]
        if task.loss == "mse":
            want += (task.output_size,)
        assert b.y.shape == want
    with pytest.raises(UnknownNameError, match="unknown task 'adder'.*'adding_le'"):
        make_task("adder")
    with pytest.raises(KeyError):  # UnknownNameError is a KeyError too
        make_task("adder")
    with pytest.raises(InvalidValueError, match="delay"):
        make_task("adding", delay=3)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("adding", {"length": 0}),
        ("adding_le", {"length": -3}),
        ("copy", {"delay": 0}),
        ("copy", {"n_symbols": 0}),
        ("temporal_order", {"length": 0}),
        ("echo", {"length": 0}),
        ("echo", {"delay": 0}),
        ("charlm", {"length": 0}),
        ("adding_le", {"length": 2.5}),
    ],
)
def test_non_positive_sizes(name, kwargs):
    with pytest.raises(InvalidValueError):
        make_task(name, **kwargs)


def test_sampling_is_seeded():
    task = make_task("temporal_order", length=30)
    a = task.sample(8, np.random.default_rng(1))
    b = task.sample(8, np.random.default_rng(1))
    c = task.sample(8, np.random.default_rng(2))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    stream = task.batches(4, np.random.default_rng(1))
    first, second = next(stream), next(stream)
    assert not np.array_equal(first.x, second.x)
    with pytest.raises(InvalidValueError, match="batch_size"):
        task.sample(0, np.random.default_rng(1))
    with pytest.raises(InvalidValueError, match="Generator"):
        task.sample(4, 1)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("adding", {"length": 20}),
        ("adding_le", {"length": 8}),
        ("echo", {"length": 9}),
        ("agreement", {}),
    ],
)
def test_a_float32_batch_is_the_float64_batch_rounded(name, kwargs):
    """The same draws of the same generator, rounded once: a float32 run sees the
    sequences of the float64 run; class indices stay int64."""
    from gradsym.errors import DTypeError

    task = make_task(name, **kwargs)
    wide = task.sample(6, np.random.default_rng(4))
    narrow = task.sample(6, np.random.default_rng(4), np.float32)
    assert narrow.x.dtype == np.float32 and np.array_equal(narrow.x, wide.x.astype(np.float32))
    if wide.y.dtype.kind == "f":
        assert narrow.y.dtype == np.float32 and np.array_equal(narrow.y, wide.y.astype(np.float32))
    else:
        assert narrow.y.dtype == np.int64 and np.array_equal(narrow.y, wide.y)
    assert type(narrow) is type(wide)  # with the task's own fields (agreement's tokens, ...)
    for field in vars(wide):
        if field not in ("x", "y"):
            assert np.array_equal(getattr(narrow, field), getattr(wide, field)), field
    with pytest.raises(DTypeError, match="dtype must be float64 or float32, got float16"):
        task.sample(6, np.random.default_rng(4), np.float16)
