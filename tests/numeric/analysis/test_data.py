"""The inputs that drive an analysis: arrays, .npy files, tasks, Gaussian inputs."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.errors import DTypeError, InvalidValueError, NonFiniteError, ShapeError
from gradsym.numeric.analysis.data import as_inputs, gaussian_inputs, load_array, task_inputs


def test_arrays_are_time_major_float64(rng):
    xs = rng.standard_normal((6, 2, 3)).astype(np.float32)
    inputs = as_inputs(xs)
    assert inputs.xs.dtype == np.float64 and inputs.xs.shape == (6, 2, 3)
    np.testing.assert_array_equal(inputs.xs, xs)  # widening is exact
    batch_first = as_inputs(xs.transpose(1, 0, 2), batch_first=True)
    np.testing.assert_array_equal(batch_first.xs, inputs.xs)
    assert batch_first.description["batch_first"] is True
    assert as_inputs(inputs) is inputs
    assert inputs.summary() == "array, T = 6, B = 2, d = 3"


@pytest.mark.parametrize(
    ("xs", "error", "message"),
    [
        (np.zeros((4, 3)), ShapeError, "must have 3 axes \\(T, B, d\\), got shape \\(4, 3\\)"),
        (np.zeros((0, 2, 3)), ShapeError, "at least one step"),
        (np.array([[["a"]]]), InvalidValueError, "must hold real numbers"),
        (np.full((2, 2, 2), np.nan), NonFiniteError, "non-finite value"),
    ],
)
def test_bad_arrays_are_one_line_errors(xs, error, message):
    with pytest.raises(error, match=message):
        as_inputs(xs)
    assert issubclass(error, (ShapeError, InvalidValueError, NonFiniteError, DTypeError))


def test_npy_files(tmp_path, rng):
    xs = rng.standard_normal((5, 2, 3))
    np.save(tmp_path / "x.npy", xs)
    inputs = load_array(tmp_path / "x.npy")
    np.testing.assert_array_equal(inputs.xs, xs)
    assert inputs.description["source"].endswith("x.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidValueError, match="not a .npy array NumPy can read"):
        load_array(tmp_path / "objects.npy")
    np.savez(tmp_path / "x.npz", x=xs)
    with pytest.raises(InvalidValueError, match="is an .npz archive"):
        load_array(tmp_path / "x.npz")
    with pytest.raises(InvalidValueError, match="no such data file"):
        load_array(tmp_path / "missing.npy")
    np.save(tmp_path / "flat.npy", np.zeros(4))
    with pytest.raises(ShapeError, match="the array in flat.npy must have 3 axes"):
        load_array(tmp_path / "flat.npy")


def test_tasks_and_gaussian_inputs_are_seeded():
    a = task_inputs("adding", {"length": 30}, batch=4, seed=1)
    b = task_inputs("adding", {"length": 30}, batch=4, seed=1)
    np.testing.assert_array_equal(a.xs, b.xs)
    assert a.xs.shape == (30, 4, 2) and a.description["task"] == "adding"
    g = gaussian_inputs(200, 50, 3, scale=0.5, seed=2)
    assert g.xs.shape == (200, 50, 3) and g.xs.std() == pytest.approx(0.5, rel=0.05)
    assert g.summary() == "Gaussian x ~ N(0, 0.5²), T = 200, B = 50, d = 3"
    with pytest.raises(
        InvalidValueError, match="scale \\(of the Gaussian inputs\\) must be a positive"
    ):
        gaussian_inputs(10, 2, 3, scale=0)
    with pytest.raises(KeyError, match="unknown task"):
        task_inputs("addition")
