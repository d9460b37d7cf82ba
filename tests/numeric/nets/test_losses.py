"""The output layer ŷ = W_y h + b_y, softmax cross-entropy and mean squared error."""

import numpy as np
import pytest
from tolerances import tol

from gradsym.errors import DTypeError, InvalidValueError, ShapeError, UnknownNameError
from gradsym.numeric.gradcheck import check_gradient
from gradsym.numeric.nets.losses import Linear, get_loss, log_softmax, mse, softmax_cross_entropy


def test_cross_entropy_gradient_matches_central_differences(rng):
    z = rng.normal(size=(4, 3, 5))
    y = rng.integers(0, 5, size=(4, 3))
    _, grad = softmax_cross_entropy(z, y)
    check = check_gradient("logits", lambda: softmax_cross_entropy(z, y)[0], z, grad)
    assert check.ok(tol("gradcheck")), str(check)


def test_mse_gradient_matches_central_differences(rng):
    p, t = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))
    _, grad = mse(p, t)
    check = check_gradient("prediction", lambda: mse(p, t)[0], p, grad)
    assert check.ok(tol("gradcheck")), str(check)


def test_gradient_check_rejects_a_sum_instead_of_a_mean(rng):
    z = rng.normal(size=(6, 4))
    y = rng.integers(0, 4, size=6)
    _, grad = softmax_cross_entropy(z, y)
    wrong = grad * 6  # the 1/N of the mean forgotten
    check = check_gradient("logits", lambda: softmax_cross_entropy(z, y)[0], z, wrong)
    assert not check.ok(tol("gradcheck"))


def test_losses_are_pytorchs_mean_reductions(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = rng.normal(size=(7, 3, 5))
    y = rng.integers(0, 5, size=(7, 3))
    zt = torch.tensor(z, requires_grad=True)
    ref = F.cross_entropy(zt.reshape(-1, 5), torch.tensor(y).reshape(-1))
    ref.backward()
    loss, grad = softmax_cross_entropy(z, y)
    assert abs(loss - ref.item()) < tol("exact") * abs(ref.item())
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=0, atol=tol("exact"))

    p, t = rng.normal(size=(7, 3, 2)), rng.normal(size=(7, 3, 2))
    pt = torch.tensor(p, requires_grad=True)
    ref = F.mse_loss(pt, torch.tensor(t))
    ref.backward()
    loss, grad = mse(p, t)
    assert abs(loss - ref.item()) < tol("exact") * abs(ref.item())
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=0, atol=tol("exact"))


def test_log_softmax_is_stable_for_huge_logits():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4 + 1.0]])
    with np.errstate(all="raise"):
        logp = log_softmax(z)
        loss, grad = softmax_cross_entropy(z, np.array([0, 2]))
    assert logp[0, 0] == 0.0 and np.isfinite(logp).all()
    np.testing.assert_allclose(
        logp[1], [-1 - np.log1p(2 * np.exp(-1.0))] * 2 + [-np.log1p(2 * np.exp(-1.0))]
    )
    assert np.isfinite(loss) and np.isfinite(grad).all()


def test_linear_backward_matches_central_differences(rng):
    layer = Linear(4, 3, rng=rng)
    h = rng.normal(size=(5, 2, 4))
    G = rng.normal(size=(5, 2, 3))
    dh, grads = layer.backward(h, G)

    def f():
        return float(np.vdot(G, layer.forward(h)))

    checks = [check_gradient("h", f, h, dh)]
    checks += [check_gradient(k, f, p, grads[k]) for k, p in layer.params.items()]
    for check in checks:
        assert check.ok(tol("gradcheck")), str(check)


def test_linear_names_and_load_params(rng):
    layer = Linear(6, 2, names=("W_o", "b_o"), rng=rng)
    assert list(layer.params) == ["W_o", "b_o"] and layer.n_params == 14
    layer.load_params({"b_o": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(layer.forward(np.zeros((3, 6))), [[1.0, 2.0]] * 3)
    with pytest.raises(UnknownNameError, match="parameter of Linear 'W_y'"):
        layer.load_params({"W_y": np.zeros((2, 6))})


def test_bad_input_is_named():
    with pytest.raises(UnknownNameError, match="loss 'hinge'; expected one of: 'mse', 'xent'"):
        get_loss("hinge")
    z = np.zeros((3, 4))
    with pytest.raises(DTypeError, match="integer class indices"):
        softmax_cross_entropy(z, np.zeros(3))
    with pytest.raises(ShapeError, match=r"targets must have shape \(3,\)"):
        softmax_cross_entropy(z, np.zeros((3, 1), int))
    with pytest.raises(InvalidValueError, match=r"class indices in \[0, 4\), got 4"):
        softmax_cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ShapeError, match=r"target must have shape \(3, 4\)"):
        mse(z, np.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"h must have shape \(\*, 5\)"):
        Linear(5, 2).forward(np.zeros((3, 4)))
