"""Optimisers: the notes' SGD step (claim sgd-step), momentum, Adam; exact resume; PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import (
    CheckpointError,
    InvalidValueError,
    NonFiniteError,
    ShapeError,
    UnknownNameError,
)
from gradsym.numeric.optim.optimisers import SGD, Adam

EXACT = tol("exact")


def make_problem(rng, steps=6):
    params = {"W_h": rng.normal(size=(4, 4)), "b": rng.normal(size=4)}
    grads = [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(steps)]
    return params, grads


def copy(d):
    return {k: v.copy() for k, v in d.items()}


# -- SGD ----------------------------------------------------------------------------------


def test_sgd_step_is_theta_minus_alpha_grad(rng):
    params, grads = make_problem(rng, 1)
    before = copy(params)
    SGD(lr=0.1).step(params, grads[0])
    for k in params:
        np.testing.assert_array_equal(params[k], before[k] - 0.1 * grads[0][k])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_by_hand(nesterov, rng):
    params, grads = make_problem(rng, 3)
    p = params["b"].copy()
    opt = SGD(lr=0.05, momentum=0.9, nesterov=nesterov)
    buf = None
    for g in grads:
        opt.step(params, g)
        # Sutskever et al. 2013 / PyTorch: b₁ = g₁, bₜ = μ bₜ₋₁ + gₜ
        buf = g["b"].copy() if buf is None else 0.9 * buf + g["b"]
        d = g["b"] + 0.9 * buf if nesterov else buf
        p = p - 0.05 * d
    np.testing.assert_allclose(params["b"], p, rtol=EXACT)


def test_updates_write_into_views(rng):
    fused = rng.normal(size=(8, 4))
    params = {"W_1": fused[:4], "W_2": fused[4:]}
    g = {"W_1": np.ones((4, 4)), "W_2": np.ones((4, 4))}
    before = fused.copy()
    Adam(lr=0.01).step(params, g)
    assert params["W_1"].base is fused
    np.testing.assert_allclose(fused, before - 0.01, rtol=1e-6)


def test_missing_gradient_is_skipped(rng):
    params, grads = make_problem(rng, 1)
    before = copy(params)
    SGD(lr=0.1).step(params, {"b": grads[0]["b"]})
    np.testing.assert_array_equal(params["W_h"], before["W_h"])
    assert not np.array_equal(params["b"], before["b"])


# -- Adam ---------------------------------------------------------------------------------


def test_adam_against_kingma_and_ba(rng):
    # Algorithm 1 of Kingma & Ba 2015, written out independently.
    params, grads = make_problem(rng, 5)
    theta = params["W_h"].copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    a, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = Adam(lr=a)
    for t, g in enumerate(grads, start=1):
        opt.step(params, g)
        m = b1 * m + (1 - b1) * g["W_h"]
        v = b2 * v + (1 - b2) * g["W_h"] ** 2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - a * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(params["W_h"], theta, rtol=EXACT)


def test_adam_first_step_has_size_lr(rng):
    # m̂₁/√v̂₁ = g/|g|: the first step moves every coordinate by ≈ lr whatever |g| is.
    params, grads = make_problem(rng, 1)
    before = copy(params)
    Adam(lr=0.003).step(params, grads[0])
    np.testing.assert_allclose(np.abs(params["b"] - before["b"]), 0.003, rtol=1e-5)


# -- exact resume -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make", [lambda: SGD(0.1, momentum=0.9, nesterov=True), lambda: Adam(0.01, weight_decay=0.1)]
)
def test_state_dict_resumes_exactly(make, rng):
    params, grads = make_problem(rng, 6)
    opt = make()
    for g in grads[:3]:
        opt.step(params, g)
    saved = opt.state_dict()
    saved_params = copy(params)
    for g in grads[3:]:
        opt.step(params, g)
    # the saved state is a copy, not a view of the live buffers
    assert not any(
        np.shares_memory(a, b)
        for name in saved["state"]
        for a, b in zip(saved["state"][name].values(), opt.state[name].values())
    )

    resumed = make()
    resumed.lr = 0.5  # overwritten by the saved hyperparameters
    resumed.load_state_dict(saved)
    assert resumed.steps == 3
    for g in grads[3:]:
        resumed.step(saved_params, g)
    for k in params:
        np.testing.assert_array_equal(saved_params[k], params[k])

    # and a fresh optimiser (no state) would not have matched: the test can fail
    fresh_params = copy(saved_params)
    fresh = make()
    for g in grads[3:]:
        fresh.step(fresh_params, g)
    assert not np.array_equal(fresh_params["b"], params["b"])


def test_state_dict_holds_plain_values(rng):
    params, grads = make_problem(rng, 1)
    opt = Adam(0.01)
    opt.step(params, grads[0])
    sd = opt.state_dict()
    assert sd["type"] == "Adam" and sd["steps"] == 1
    assert sd["hyper"] == {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    assert all(isinstance(v, np.ndarray) for s in sd["state"].values() for v in s.values())


def test_load_state_dict_errors(rng):
    params, grads = make_problem(rng, 1)
    sgd = SGD(0.1, momentum=0.5)
    sgd.step(params, grads[0])
    with pytest.raises(CheckpointError, match="SGD"):
        Adam(0.1).load_state_dict(sgd.state_dict())
    with pytest.raises(CheckpointError):
        Adam(0.1).load_state_dict({"type": "Adam"})
    bad = sgd.state_dict()
    bad["state"]["b"] = {"exp_avg": np.zeros(4)}
    target = SGD(0.2)
    with pytest.raises(CheckpointError, match="momentum_buffer"):
        target.load_state_dict(bad)
    assert target.lr == 0.2  # a failed load leaves the optimiser untouched


# -- errors -------------------------------------------------------------------------------


def test_argument_errors(rng):
    for bad in (0.0, -1.0, math.nan, math.inf, "fast"):
        with pytest.raises(InvalidValueError, match="lr"):
            SGD(bad)
        with pytest.raises(InvalidValueError, match="lr"):
            Adam(bad)
    opt = SGD(0.1)
    with pytest.raises(InvalidValueError, match="lr"):
        opt.lr = 0.0
    with pytest.raises(InvalidValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(InvalidValueError, match="nesterov"):
        SGD(0.1, nesterov=True)
    with pytest.raises(InvalidValueError, match="betas"):
        Adam(0.1, betas=(0.9, 1.0))
    with pytest.raises(InvalidValueError, match="eps"):
        Adam(0.1, eps=-1.0)
    with pytest.raises(InvalidValueError, match="weight_decay"):
        SGD(0.1, weight_decay=-0.1)


def test_step_errors_leave_params_untouched(rng):
    params, grads = make_problem(rng, 1)
    before = copy(params)
    opt = Adam(0.1)
    bad = copy(grads[0])
    bad["b"][1] = math.nan
    with pytest.raises(NonFiniteError, match="gradient of b"):
        opt.step(params, bad)
    with pytest.raises(ShapeError, match="W_h"):
        opt.step(params, {"W_h": np.ones(3)})
    with pytest.raises(UnknownNameError, match="W_x"):
        opt.step(params, {"W_x": np.ones(3)})
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert opt.steps == 0 and opt.state == {}


# -- PyTorch ------------------------------------------------------------------------------

TORCH_CASES = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd-momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd-nesterov": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    "sgd-decay": ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam-betas": ("Adam", {"lr": 0.002, "betas": (0.8, 0.99), "eps": 1e-6}),
    "adam-decay": ("Adam", {"lr": 0.01, "weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_matches_torch_optim(case, rng):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    kind, kw = TORCH_CASES[case]
    params, grads = make_problem(rng, 8)
    tparams = {k: torch.nn.Parameter(torch.tensor(v.copy())) for k, v in params.items()}
    topt = getattr(torch.optim, kind)(list(tparams.values()), foreach=False, **kw)
    opt = {"SGD": SGD, "Adam": Adam}[kind](**kw)
    for g in grads:
        for k, p in tparams.items():
            p.grad = torch.tensor(g[k].copy())
        topt.step()
        opt.step(params, g)
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=EXACT, atol=1e-14)


# -- the whole model at once ------------------------------------------------------------------

OPTIMISERS = {
    "sgd": lambda: SGD(0.1),
    "sgd momentum": lambda: SGD(0.1, momentum=0.9),
    "sgd nesterov, weight decay": lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda: Adam(0.01),
    "adam, weight decay": lambda: Adam(0.01, weight_decay=0.1),
}


def model_problem(rng, dtype, steps=5):
    shapes = {"W": (6, 4), "U": (6, 3), "b": (6,), "out.W": (1, 4), "out.b": (1,)}
    params = {k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()}
    grads = [{k: rng.normal(size=s).astype(dtype) for k, s in shapes.items()} for _ in range(steps)]
    return params, grads


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", OPTIMISERS.values(), ids=OPTIMISERS)
def test_a_whole_model_step_is_bit_for_bit_the_step_of_each_parameter(make, dtype, rng):
    """A step given every parameter runs on the gradients laid end to end; one given a
    single parameter at a time runs parameter by parameter: the same numbers."""
    params, grads = model_problem(rng, dtype)
    apart = copy(params)
    whole, each = make(), make()
    for g in grads:
        whole.step(params, g)
        for name in g:
            each.step({name: apart[name]}, {name: g[name]})
    for name in params:
        assert params[name].dtype == dtype and np.array_equal(params[name], apart[name]), name
    a, b = whole.state_dict()["state"], each.state_dict()["state"]
    assert a.keys() == b.keys()
    for name in a:
        for slot in a[name]:
            assert a[name][slot].dtype == dtype and np.array_equal(a[name][slot], b[name][slot])


@pytest.mark.parametrize("make", [OPTIMISERS["adam"], OPTIMISERS["sgd momentum"]])
def test_steps_of_part_of_the_model_and_of_all_of_it_mix(make, rng):
    """After a step of one parameter alone (its Adam count ahead of the others'), whole
    steps go on parameter by parameter; the numbers are those of steps made one by one."""
    params, grads = model_problem(rng, np.float64, steps=4)
    apart = copy(params)
    mixed, each = make(), make()
    mixed.step(params, grads[0])
    mixed.step({"b": params["b"]}, {"b": grads[1]["b"]})
    for g in grads[2:]:
        mixed.step(params, g)
    for k, g in enumerate(grads):
        for name in g if k != 1 else ["b"]:
            each.step({name: apart[name]}, {name: g[name]})
    for name in params:
        assert np.array_equal(params[name], apart[name]), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_scaled_step_is_bit_for_bit_clipping_in_place_then_stepping(dtype, rng):
    from gradsym.numeric.optim.clipping import clip_by_norm_, clip_factor

    params, grads = model_problem(rng, dtype)
    clipped = copy(params)
    deferred, in_place = Adam(0.01), Adam(0.01)
    for g in grads:
        factor = clip_factor(g, 0.5)
        assert factor.clipped and all(np.array_equal(v, g[k]) for k, v in factor.grads.items())
        deferred.step(params, g, scale=factor.scale)
        g = copy(g)
        assert clip_by_norm_(g, 0.5).scale == factor.scale
        in_place.step(clipped, g)
    for name in params:
        assert np.array_equal(params[name], clipped[name]), name


def test_a_whole_model_state_resumes_exactly(rng):
    params, grads = model_problem(rng, np.float32, steps=6)
    opt = Adam(0.01)
    for g in grads[:3]:
        opt.step(params, g)
    saved, saved_params = opt.state_dict(), copy(params)
    for g in grads[3:]:
        opt.step(params, g)
    resumed = Adam(0.01)
    resumed.load_state_dict(saved, saved_params)
    for g in grads[3:]:
        resumed.step(saved_params, g)
    for name in params:
        assert np.array_equal(saved_params[name], params[name]), name


def test_a_non_finite_gradient_of_a_whole_model_step_is_named_and_touches_nothing(rng):
    params, grads = model_problem(rng, np.float32, steps=1)
    before = copy(params)
    grads[0]["out.W"][0, 2] = np.nan
    opt = Adam(0.01)
    with pytest.raises(NonFiniteError, match=r"gradient of out\.W"):
        opt.step(params, grads[0])
    assert opt.steps == 0 and all(np.array_equal(before[k], params[k]) for k in params)


def test_a_model_of_one_number_per_parameter_keeps_each_states_shape(rng):
    """Adam's step count is one number per parameter, as is every state here: each
    state array keeps its parameter's shape, the count its own 0-d shape."""
    params = {"W": np.zeros((1, 1)), "b": np.zeros(1), "c": np.zeros(())}
    opt = Adam(0.1)
    for _ in range(2):
        opt.step(params, {k: rng.normal(size=v.shape) for k, v in params.items()})
    for name, p in params.items():
        state = opt.state_dict()["state"][name]
        assert state["exp_avg"].shape == p.shape and state["step"].shape == ()
        assert float(state["step"]) == 2.0
