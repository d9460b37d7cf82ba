"""Gradient clipping: Algorithm 1 of the notes (claims clip-norm, clip-value) and PyTorch's
``clip_grad_norm_`` reproduced exactly."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from repo import REPO
from tolerances import tol

from gradsym.errors import InvalidValueError, NonFiniteError, UnknownNameError
from gradsym.numeric.optim.clipping import (
    Clipper,
    ClipResult,
    by_norm,
    by_value,
    chain,
    clip_by_norm,
    clip_by_norm_,
    clip_by_value,
    clip_by_value_,
    global_norm,
)

EXACT = tol("exact")


def flat(grads) -> np.ndarray:
    """All gradients as one vector (the ĝ of Algorithm 1), computed independently."""
    if isinstance(grads, dict):
        grads = list(grads.values())
    if isinstance(grads, np.ndarray):
        grads = [grads]
    return np.concatenate([np.ravel(g) for g in grads]) if grads else np.zeros(0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def same_direction(before, after) -> bool:
    """True when ``after`` is a positive multiple of ``before`` (cosine 1)."""
    a, b = flat(before), flat(after)
    return abs(cosine(a, b) - 1.0) < 1e-12


# -- strategies ---------------------------------------------------------------------------

elements = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
arrays = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=elements
)
grad_lists = st.lists(arrays, min_size=1, max_size=4).filter(
    lambda gs: np.linalg.norm(flat(gs)) > 1e-6
)
thresholds = st.floats(1e-3, 1e3)


# -- Algorithm 1 properties ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(grad_lists, thresholds)
def test_clip_norm_properties(grads, threshold):
    before = [g.copy() for g in grads]
    norm_expected = np.linalg.norm(flat(grads))
    clipped, norm = clip_by_norm(grads, threshold)
    assert math.isclose(norm, norm_expected, rel_tol=EXACT)
    after = np.linalg.norm(flat(clipped))
    assert after <= threshold * (1 + EXACT)
    if norm_expected >= threshold:
        assert math.isclose(after, threshold, rel_tol=EXACT)
        assert same_direction(before, clipped)
    else:
        assert all(np.array_equal(a, b) for a, b in zip(clipped, before))
    # the input is left alone
    assert all(np.array_equal(a, b) for a, b in zip(grads, before))


@settings(max_examples=100, deadline=None)
@given(grad_lists, thresholds)
def test_clip_norm_twice_changes_nothing(grads, threshold):
    once, _ = clip_by_norm(grads, threshold)
    twice, norm2 = clip_by_norm(once, threshold)
    assert norm2 <= threshold * (1 + EXACT)
    for a, b in zip(once, twice):
        np.testing.assert_allclose(b, a, rtol=EXACT, atol=0)


@settings(max_examples=50, deadline=None)
@given(grad_lists, st.sampled_from([1.0, 3.0, math.inf]))
def test_clip_norm_other_norm_types(grads, p):
    v = flat(grads)
    expected = np.max(np.abs(v)) if math.isinf(p) else np.sum(np.abs(v) ** p) ** (1 / p)
    threshold = 0.5 * expected
    clipped, norm = clip_by_norm(grads, threshold, norm_type=p)
    assert math.isclose(norm, expected, rel_tol=EXACT)
    assert math.isclose(global_norm(clipped, p), threshold, rel_tol=EXACT)
    assert same_direction(grads, clipped)


def test_direction_checker_sees_a_wrong_clipping():
    # Clipping each array separately (not the global norm) changes the direction: the
    # property checks above would catch that implementation.
    grads = [np.array([3.0, 4.0]), np.array([0.1])]
    per_array = [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in grads]
    assert not same_direction(grads, per_array)
    assert same_direction(grads, clip_by_norm(grads, 1.0).grads)


def test_threshold_reached_exactly_is_clipped():
    # ‖ĝ‖ ≥ threshold includes equality; the factor is then exactly 1.
    g = np.array([3.0, 4.0])
    clipped, norm = clip_by_norm(g, 5.0)
    assert norm == 5.0 and np.array_equal(clipped, g)


def test_huge_finite_gradients_are_clipped_without_overflow():
    # An exploding gradient of 1e200: the plain ‖g‖ overflows to inf, Algorithm 1 here
    # does not, so the direction survives.
    g = {"W_h": np.array([[3e200, -4e200]]), "b": np.array([0.0])}
    with np.errstate(all="raise"):
        clipped, norm = clip_by_norm(g, 1.0)
    assert math.isclose(norm, 5e200, rel_tol=EXACT)
    np.testing.assert_allclose(clipped["W_h"], [[0.6, -0.8]], rtol=EXACT)


def test_zero_gradient_is_returned_unchanged():
    g = [np.zeros(3), np.zeros((2, 2))]
    clipped, norm = clip_by_norm(g, 1.0)
    assert norm == 0.0 and all(np.array_equal(c, z) for c, z in zip(clipped, g))


# -- containers and in place --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dict", "list", "tuple", "array"])
def test_container_type_is_kept(kind, rng):
    arrays_ = [rng.normal(size=(3, 2)) * 10, rng.normal(size=4) * 10]
    grads = {
        "dict": {"W_h": arrays_[0], "b": arrays_[1]},
        "list": arrays_,
        "tuple": tuple(arrays_),
        "array": arrays_[0],
    }[kind]
    result = clip_by_norm(grads, 1.0)
    assert isinstance(result, ClipResult)
    assert type(result.grads) is type(grads)
    if kind == "dict":
        assert list(result.grads) == ["W_h", "b"]
    assert math.isclose(global_norm(result.grads), 1.0, rel_tol=EXACT)


def test_in_place_variants_write_into_views(rng):
    fused = rng.normal(size=(6, 3)) * 10
    grads = {"W_1": fused[:3], "W_2": fused[3:]}
    expected = clip_by_norm({k: v.copy() for k, v in grads.items()}, 2.0).grads
    result = clip_by_norm_(grads, 2.0)
    assert result.grads is grads
    np.testing.assert_allclose(fused[:3], expected["W_1"], rtol=EXACT)
    assert math.isclose(np.linalg.norm(fused), 2.0, rel_tol=EXACT)

    clip_by_value_(grads, 0.1)
    assert np.max(np.abs(fused)) <= 0.1


def test_errors():
    g = [np.ones(3)]
    for bad in (0.0, -1.0, math.nan, math.inf, "one"):
        with pytest.raises(InvalidValueError, match="threshold"):
            clip_by_norm(g, bad)
        with pytest.raises(InvalidValueError, match="threshold"):
            clip_by_value(g, bad)
        with pytest.raises(InvalidValueError):
            by_norm(bad)
    with pytest.raises(UnknownNameError, match="'algorithm1', 'torch'"):
        clip_by_norm(g, 1.0, mode="optax")
    for p in (0.0, -2.0, math.nan):
        with pytest.raises(InvalidValueError, match="norm_type"):
            clip_by_norm(g, 1.0, norm_type=p)
    with pytest.raises(TypeError):
        clip_by_norm([np.ones(3, dtype=np.int64)], 1.0)
    with pytest.raises(TypeError):
        clip_by_norm(3.0, 1.0)


# -- non-finite gradients -----------------------------------------------------------------


def test_algorithm1_on_nonfinite_gradients():
    nan = [np.array([1.0, math.nan])]
    clipped, norm = clip_by_norm(nan, 1.0)  # NaN ≥ threshold is false: no rescaling
    assert math.isnan(norm) and np.array_equal(clipped[0], nan[0], equal_nan=True)
    with pytest.raises(NonFiniteError, match="non-finite|nan"):
        clip_by_norm(nan, 1.0, error_if_nonfinite=True)
    inf = [np.array([1.0, math.inf])]
    clipped, norm = clip_by_norm(inf, 1.0)  # factor threshold/inf = 0
    assert norm == math.inf
    assert clipped[0][0] == 0.0 and math.isnan(clipped[0][1])
    with pytest.raises(NonFiniteError):
        clip_by_norm(inf, 1.0, error_if_nonfinite=True)


# -- clipping by value --------------------------------------------------------------------


def test_clip_by_value_bounds_components_and_changes_direction():
    g = {"a": np.array([3.0, 0.5]), "b": np.array([-2.0])}
    clipped, norm = clip_by_value(g, 1.0)
    assert math.isclose(norm, math.sqrt(9 + 0.25 + 4), rel_tol=EXACT)
    np.testing.assert_array_equal(clipped["a"], [1.0, 0.5])
    np.testing.assert_array_equal(clipped["b"], [-1.0])
    # claim clip-value: the direction changes (cosine < 1), unlike norm clipping
    assert cosine(flat(g), flat(clipped)) < 0.99
    assert not same_direction(g, clipped)
    np.testing.assert_array_equal(g["a"], [3.0, 0.5])  # input untouched


@settings(max_examples=100, deadline=None)
@given(grad_lists, thresholds)
def test_clip_by_value_properties(grads, threshold):
    clipped, _ = clip_by_value(grads, threshold)
    for g, c in zip(grads, clipped):
        assert np.all(np.abs(c) <= threshold)
        inside = np.abs(g) <= threshold
        np.testing.assert_array_equal(c[inside], g[inside])
        np.testing.assert_array_equal(c[~inside], threshold * np.sign(g[~inside]))


# -- whether clipping was active: ClipResult.clipped and .scale ---------------------------


def test_algorithm1_clips_at_equality_and_reports_it():
    """‖ĝ‖ ≥ threshold includes equality: ‖(3, 4)‖ = 5 is clipped by 5 (factor exactly 1)
    and not by the next float above 5; a ``>`` rule would call both unclipped."""
    g = np.array([3.0, 4.0])
    at = clip_by_norm(g, 5.0)
    assert at.norm == 5.0 and at.clipped and at.scale == 1.0
    above = clip_by_norm(g, math.nextafter(5.0, math.inf))
    assert not above.clipped and above.scale == 1.0
    below = clip_by_norm(g, 2.5)
    assert below.clipped and below.scale == 0.5


def test_torch_rule_is_active_just_below_the_threshold_too():
    """PyTorch multiplies by min(threshold / (‖ĝ‖ + 1e-6), 1): at ‖ĝ‖ = threshold − 5e-7
    the factor is below 1 (clipped), where Algorithm 1 leaves ĝ alone."""
    g = np.array([1.0 - 5e-7])
    torch_rule = clip_by_norm(g, 1.0, mode="torch")
    assert torch_rule.clipped and torch_rule.scale < 1.0
    assert not clip_by_norm(g, 1.0).clipped
    far_below = clip_by_norm(np.array([0.5]), 1.0, mode="torch")
    assert not far_below.clipped and far_below.scale == 1.0


def test_value_clipping_reports_a_component_beyond_the_bound():
    at_bound = clip_by_value([np.array([0.5, -0.5])], 0.5)
    assert not at_bound.clipped and at_bound.scale is None
    beyond = clip_by_value([np.array([0.5, -0.5000001])], 0.5)
    assert beyond.clipped
    assert clip_by_value_([np.array([np.inf, 0.0])], 0.5).clipped
    assert not clip_by_value([np.array([np.nan, 0.1])], 0.5).clipped  # NaN stays, unchanged


def test_a_nan_norm_is_not_clipped_by_either_rule():
    g = np.array([np.nan, 1.0])
    assert not clip_by_norm(g, 1.0).clipped
    assert not clip_by_norm(g, 1.0, mode="torch").clipped


def test_in_place_clipping_reports_like_the_copying_one(rng):
    g = {"W": rng.normal(size=(3, 3)) * 10, "b": rng.normal(size=3)}
    for mode in ("algorithm1", "torch"):
        ref = clip_by_norm(g, 1.0, mode=mode)
        got = clip_by_norm_({k: v.copy() for k, v in g.items()}, 1.0, mode=mode)
        assert (got.clipped, got.scale, got.norm) == (ref.clipped, ref.scale, ref.norm)


def test_a_chain_is_clipped_if_any_link_is():
    g = [np.array([3.0, 4.0])]
    both = chain(by_norm(10.0), by_norm(2.5))(g)
    assert both.clipped and both.scale == 0.5 and both.norm == 5.0
    neither = chain(by_norm(10.0), by_norm(20.0))(g)
    assert not neither.clipped and neither.scale == 1.0
    with_value = chain(by_value(10.0), by_norm(2.5))(g)
    assert with_value.clipped and with_value.scale is None


def test_a_result_still_unpacks_as_grads_and_norm():
    grads, norm = clip_by_norm(np.array([3.0, 4.0]), 1.0)
    assert norm == 5.0 and np.allclose(grads, [0.6, 0.8])


# -- composable clippers ------------------------------------------------------------------


def test_clippers_compose(rng):
    g = {"W": rng.normal(size=(4, 4)) * 5, "b": rng.normal(size=4) * 5}
    clip = by_norm(1.0)
    assert isinstance(clip, Clipper) and not clip.in_place
    out, norm = clip(g)
    ref, ref_norm = clip_by_norm(g, 1.0)
    assert norm == ref_norm and all(np.array_equal(out[k], ref[k]) for k in g)

    both = chain(by_value(0.5), by_norm(1.0))
    out, norm = both(g)
    assert norm == global_norm(g)  # the norm of the gradients as they came in
    expected = clip_by_norm(clip_by_value(g, 0.5).grads, 1.0).grads
    assert all(np.array_equal(out[k], expected[k]) for k in g)
    assert "by_value" in repr(both) and "by_norm" in repr(both)
    with pytest.raises(InvalidValueError):
        chain()

    fused = rng.normal(size=5) * 10
    by_norm(1.0, in_place=True)([fused])
    assert math.isclose(np.linalg.norm(fused), 1.0, rel_tol=EXACT)


# -- PyTorch's semantics ------------------------------------------------------------------


def torch_clip(grads, max_norm, **kw):
    """Run torch.nn.utils.clip_grad_norm_ on copies of ``grads``; returns (grads, norm)."""
    torch = pytest.importorskip("torch", reason="torch is not installed")
    params = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.tensor(g.copy())
        params.append(p)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm, **kw)
    return [p.grad.numpy() for p in params], float(norm)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e4])
def test_torch_mode_matches_clip_grad_norm(norm_type, max_norm, rng):
    grads = [rng.normal(size=(5, 7)) * 3, rng.normal(size=(7,)), rng.normal(size=(2, 3, 4))]
    ref, ref_norm = torch_clip(grads, max_norm, norm_type=norm_type)
    ours, norm = clip_by_norm(grads, max_norm, mode="torch", norm_type=norm_type)
    assert math.isclose(norm, ref_norm, rel_tol=EXACT)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=EXACT, atol=0)
    ours_, _ = clip_by_norm_([g.copy() for g in grads], max_norm, mode="torch", norm_type=norm_type)
    for a, b in zip(ours_, ref):
        np.testing.assert_allclose(a, b, rtol=EXACT, atol=0)


def test_torch_mode_differs_from_algorithm1_at_the_threshold():
    # PyTorch divides by ‖g‖ + 1e-6, so it shrinks a gradient whose norm equals the
    # threshold; Algorithm 1 multiplies it by exactly 1.
    g = [np.array([1.0])]
    ref, _ = torch_clip(g, 1.0)
    ours, _ = clip_by_norm(g, 1.0, mode="torch")
    np.testing.assert_array_equal(ours[0], ref[0])
    assert ours[0][0] == 1.0 / (1.0 + 1e-6)
    assert clip_by_norm(g, 1.0).grads[0][0] == 1.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_torch_mode_on_nonfinite_gradients(bad, rng):
    grads = [rng.normal(size=(3, 3)), rng.normal(size=4)]
    grads[1][2] = bad
    ref, ref_norm = torch_clip(grads, 1.0)
    ours, norm = clip_by_norm(grads, 1.0, mode="torch")
    assert (math.isnan(norm) and math.isnan(ref_norm)) or norm == ref_norm
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(a, b)  # NaN where torch has NaN, 0 where 0

    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="non-finite"):
        p = torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))
        p.grad = torch.tensor(grads[1].copy())
        torch.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(NonFiniteError, match="non-finite"):
        clip_by_norm(grads, 1.0, mode="torch", error_if_nonfinite=True)


def test_torch_mode_overflows_like_torch():
    # PyTorch's norm overflows for 1e200 entries; torch mode reproduces it (factor 0).
    g = [np.array([3e200, 4e200])]
    ref, ref_norm = torch_clip(g, 1.0)
    ours, norm = clip_by_norm(g, 1.0, mode="torch")
    assert norm == ref_norm == math.inf
    np.testing.assert_array_equal(ours[0], ref[0])


# -- layering -----------------------------------------------------------------------------


def test_numeric_modules_do_not_import_sympy():
    code = (
        "import sys\n"
        "import gradsym.numeric.optim.clipping, gradsym.numeric.optim.initialisers\n"
        "import gradsym.numeric.optim.optimisers, gradsym.numeric.train.tasks\n"
        "bad = sorted(m for m in sys.modules if m == 'sympy' or m.startswith('sympy.'))\n"
        "assert not bad, bad\n"
    )
    root = str(REPO)
    env = {**os.environ, "PYTHONPATH": root}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)


# -- many arrays at once, float32 -------------------------------------------------------------


def _awkward_arrays(rng, dtype):
    """Gradients as a training step has them, and worse: views, empty arrays, zeros, a
    NaN, an inf, entries whose squares overflow or underflow."""
    big = 1e200 if dtype == np.float64 else 1e30
    arrays = [rng.normal(size=(6, 4)), rng.normal(size=5) * big, rng.normal(size=3) / big]
    arrays += [np.zeros((2, 2)), np.zeros(0), rng.normal(size=(5, 6))[:, ::2]]
    nan, inf = rng.normal(size=4), rng.normal(size=(2, 3))
    nan[1], inf[0, 2] = np.nan, -np.inf
    return [a.astype(dtype) for a in arrays], [a.astype(dtype) for a in (nan, inf)]


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_the_norms_of_many_arrays_are_bit_for_bit_each_arrays_norm(p, rng):
    """The norms of a step's dozen gradients in a few passes over all of them, bit for bit
    what each array's own computation gives (float64 logs and clips with them)."""
    from gradsym.numeric.optim.clipping import _array_norms, _robust_pnorm

    good, bad = _awkward_arrays(rng, np.float64)
    for arrays in (good, good + bad, bad[::-1] + good):
        with np.errstate(under="ignore"):
            want = [_robust_pnorm(a, p) for a in arrays]
            got = _array_norms(arrays, p)
        assert len(got) == len(want)
        assert all(w == g or (math.isnan(w) and math.isnan(g)) for w, g in zip(want, got))


def test_float32_norms_are_float32_work_without_overflow(rng):
    good, _ = _awkward_arrays(rng, np.float32)
    norm = global_norm(good)
    wide = global_norm([a.astype(np.float64) for a in good])
    assert math.isfinite(norm) and norm == pytest.approx(wide, rel=1e-6)  # 1e30² overflows
    clipped = clip_by_norm(good, 1.0).grads
    assert all(c.dtype == np.float32 for c in clipped)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("mode", ["algorithm1", "torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_factor_is_clip_by_norm_without_the_clipping(mode, dtype, rng):
    from gradsym.numeric.optim.clipping import clip_factor

    grads = {k: rng.normal(size=s).astype(dtype) for k, s in (("W", (4, 3)), ("b", (3,)))}
    before = {k: v.copy() for k, v in grads.items()}
    for threshold in (0.1, 1e6):
        factor = clip_factor(grads, threshold, mode=mode)
        done = clip_by_norm(grads, threshold, mode=mode)
        assert (factor.norm, factor.clipped, factor.scale) == (done.norm, done.clipped, done.scale)
        assert factor.grads is grads and all(np.array_equal(grads[k], before[k]) for k in grads)
        for k, g in grads.items():  # applying the factor is clipping, bit for bit
            assert np.array_equal(g * dtype(factor.scale), done.grads[k])


def test_a_deferred_clipper_measures_and_does_not_chain():
    deferred = by_norm(1.0, deferred=True)
    assert deferred.deferred and not deferred.in_place and "deferred" in deferred.description
    g = [np.full(4, 2.0)]
    result = deferred(g)
    assert result.clipped and result.scale == 0.25 and np.array_equal(g[0], np.full(4, 2.0))
    with pytest.raises(InvalidValueError, match="in_place or deferred, not both"):
        by_norm(1.0, deferred=True, in_place=True)
    with pytest.raises(InvalidValueError, match="only computes a factor"):
        chain(by_value(1.0), deferred)
