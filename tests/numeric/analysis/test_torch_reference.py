"""A PyTorch model analysed by gradsym against the same quantities computed from
``torch.autograd.functional.jacobian`` — an outside reference that shares nothing with the
NumPy cells, the tangent map or the exponent tracking — to 1e-8.

The reference runs torch's own cells (``LSTMCell``, ``GRUCell``, ``RNNCell``) holding each
layer's and direction's weights, feeds each layer what torch's previous layer outputs,
takes every one-step Jacobian by autograd, and then does the QR method and the products
in the plainest way: a QR every step, a full product per lag.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradsym

torch = pytest.importorskip("torch", reason="the PyTorch reference needs torch")

T, B, D, TRANSIENT, SEED = 40, 3, 3, 10, 0


def torch_cell(module, layer: int, reverse: bool):
    """torch's one-step cell holding ``module``'s weights of ``layer`` and direction."""
    kind = type(module).__name__
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    w_ih = getattr(module, "weight_ih" + sfx)
    make = {"LSTM": torch.nn.LSTMCell, "GRU": torch.nn.GRUCell, "RNN": torch.nn.RNNCell}[kind]
    extra = {"nonlinearity": module.nonlinearity} if kind == "RNN" else {}
    cell = make(w_ih.shape[1], module.hidden_size, dtype=torch.float64, **extra)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(module, name + sfx))
    return cell


def step_function(cell, x):
    """s ↦ s' of one step on input x (one sequence), s flat: h, or [h; c] for the LSTM."""
    n = cell.hidden_size
    if isinstance(cell, torch.nn.LSTMCell):
        return lambda s: torch.cat(cell(x[None], (s[None, :n], s[None, n:])), dim=1)[0]
    return lambda s: cell(x[None], s[None])[0]


def reference_unit(cell, xs):
    """Per sequence: the one-step Jacobians (T, S, S) by autograd along torch's trajectory,
    and the layer's outputs h (T, n)."""
    n = cell.hidden_size
    S = 2 * n if isinstance(cell, torch.nn.LSTMCell) else n
    jacobians, outputs = [], []
    for b in range(xs.shape[1]):
        s = torch.zeros(S, dtype=torch.float64)
        Js, hs = [], []
        for t in range(xs.shape[0]):
            f = step_function(cell, xs[t, b])
            Js.append(torch.autograd.functional.jacobian(f, s).numpy())
            with torch.no_grad():
                s = f(s)
            hs.append(s[:n].numpy())
        jacobians.append(np.stack(Js))
        outputs.append(np.stack(hs))
    return np.stack(jacobians, axis=1), np.stack(outputs, axis=1)  # (T, B, S, S), (T, B, n)


def plain_qr_exponents(Js):
    """The QR method with a QR every step, from the analysis's initial frame (it draws it
    from its seed: the same frame makes the finite-time numbers comparable to 1e-8)."""
    T_, B_, S, _ = Js.shape
    Q = np.linalg.qr(np.random.default_rng(SEED).standard_normal((B_, S, S)))[0]
    total = np.zeros((B_, S))
    for t in range(T_):
        Q, R = np.linalg.qr(Js[t] @ Q)
        if t >= TRANSIENT:
            total += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
    return (total / (T_ - TRANSIENT)).mean(axis=0)


def plain_log_norms(Js, n):
    """ln ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂ for ℓ = 1 … T: full products, grown from the end."""
    T_, B_, S, _ = Js.shape
    P = np.broadcast_to(np.eye(S), (B_, S, S))
    out = []
    for lag in range(1, T_ + 1):
        P = P @ Js[T_ - lag]
        out.append(np.log(np.linalg.svd(P[:, :n, :n], compute_uv=False)[:, 0]))
    return np.stack(out)


MODULES = {
    "lstm-2-layers-bidirectional": lambda: torch.nn.LSTM(
        D, 4, num_layers=2, bidirectional=True, dtype=torch.float64
    ),
    "gru": lambda: torch.nn.GRU(D, 5, dtype=torch.float64),
    "rnn-2-layers": lambda: torch.nn.RNN(D, 4, num_layers=2, dtype=torch.float64),
}


@pytest.mark.parametrize("kind", MODULES)
def test_exponents_and_gradient_norms_equal_those_from_torch_autograd(kind, rng):
    torch.manual_seed(3)
    module = MODULES[kind]()
    xs = rng.standard_normal((T, B, D))
    analysis = gradsym.analyze(module, xs, transient=TRANSIENT, seed=SEED)
    dirs = (False, True) if module.bidirectional else (False,)
    below = torch.from_numpy(xs)
    checked = 0
    for layer in range(module.num_layers):
        outputs = []
        for reverse in dirs:
            seq = torch.flip(below, [0]) if reverse else below
            Js, hs = reference_unit(torch_cell(module, layer, reverse), seq)
            outputs.append(np.flip(hs, 0) if reverse else hs)
            name = "cell" if module.num_layers == 1 and not module.bidirectional else (
                f"layer{layer}" + ((".bwd" if reverse else ".fwd") if module.bidirectional else "")
            )  # fmt: skip
            if module.num_layers == 1 and module.bidirectional:
                name = "bwd" if reverse else "fwd"
            unit = analysis.unit(name)
            np.testing.assert_allclose(
                unit.lyapunov.exponents, plain_qr_exponents(Js), rtol=0, atol=1e-8
            )
            lags = unit.flow.lags
            expected = plain_log_norms(Js, module.hidden_size)[lags - 1]
            np.testing.assert_allclose(unit.flow.log_norms, expected, rtol=0, atol=1e-8)
            checked += 1
        below = torch.from_numpy(np.concatenate(outputs, axis=-1).copy())
    assert checked == len(analysis.units) == module.num_layers * len(dirs)


def test_the_reference_can_fail(rng):
    """Another model's Jacobians give other numbers: the comparison above is not vacuous."""
    torch.manual_seed(3)
    module = torch.nn.GRU(D, 5, dtype=torch.float64)
    xs = rng.standard_normal((T, B, D))
    analysis = gradsym.analyze(module, xs, transient=TRANSIENT, seed=SEED)
    torch.manual_seed(4)
    other = torch.nn.GRU(D, 5, dtype=torch.float64)
    Js, _ = reference_unit(torch_cell(other, 0, False), torch.from_numpy(xs))
    assert np.abs(analysis.unit("cell").lyapunov.exponents - plain_qr_exponents(Js)).max() > 1e-2
