"""The output layer and the losses that sit on top of a recurrent network.

    ŷ⁽ᵗ⁾ = W_y h⁽ᵗ⁾ + b_y          W_y: (K, n)   b_y: (K,)   h⁽ᵗ⁾: (B, n)   ŷ⁽ᵗ⁾: (B, K)

Losses, each a function ``(prediction, target) -> (loss, ∂loss/∂prediction)``:

* ``"xent"``: softmax cross-entropy, J = −(1/N) Σ_p log softmax(ŷ_p)[y_p], mean over the N
  scored predictions p (every sequence of the batch at every scored step);
* ``"mse"``: mean squared error, J = (1/(N·K)) Σ_p ‖ŷ_p − y_p‖², mean over every entry.

Both reductions are PyTorch's ``reduction="mean"`` (``F.cross_entropy`` and
``F.mse_loss``), so a loss computed here and one computed by PyTorch on the same
flattened predictions agree, and the size of a gradient does not grow with the batch or
with the number of scored steps (a learning rate tuned on one length works on another).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradsym.errors import DTypeError, InvalidValueError, ShapeError, unknown_name
from gradsym.numeric.cells.parameters import Parameters
from gradsym.validate import as_dtype, check_array, check_finite, positive_int


class Linear:
    """The affine output layer ŷ = W_y h + b_y, applied to the last axis.

    ``names`` renames the two parameters (the bidirectional output of notes 003 is
    o = g(W_o [→h; ←h] + b_o): pass ``names=("W_o", "b_o")``). Default initialisation is
    PyTorch's ``nn.Linear``: every entry ~ U(−1/√n, 1/√n), n = ``in_features``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        names: tuple[str, str] = ("W_y", "b_y"),
        dtype=np.float64,
        rng=0,
    ):
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        self.dtype = as_dtype(dtype)
        if len(names) != 2 or len(set(names)) != 2:
            raise InvalidValueError(f"names must be two distinct parameter names, got {names!r}")
        self.weight_name, self.bias_name = names
        rng = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(self.in_features)
        self.params = Parameters(  # live: assignment copies into these arrays
            "Linear",
            {
                self.weight_name: rng.uniform(
                    -bound, bound, (self.out_features, self.in_features)
                ).astype(self.dtype),
                self.bias_name: rng.uniform(-bound, bound, self.out_features).astype(self.dtype),
            },
        )

    @property
    def n_params(self) -> int:
        return int(sum(a.size for a in self.params.values()))

    def _check_h(self, h) -> np.ndarray:
        shape = (None,) * (np.ndim(h) - 1) + (self.in_features,)
        if np.ndim(h) < 1:
            raise ShapeError(f"h must have shape (..., {self.in_features}), got {np.shape(h)}")
        return check_array("h", h, shape, self.dtype)

    def forward(self, h) -> np.ndarray:
        """ŷ = h W_yᵀ + b_y for h (..., n) → (..., K)."""
        h = self._check_h(h)
        for name, p in self.params.items():
            check_finite(f"parameter {name}", p)
        return h @ self.params[self.weight_name].T + self.params[self.bias_name]

    def backward(self, h, dy) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """From ∂L/∂ŷ (..., K) to (∂L/∂h (..., n), {W_y: ∂L/∂W_y, b_y: ∂L/∂b_y}).

        The layer is shared by every leading index (batch, step), so its gradients are sums
        over them: ∂L/∂W_y = Σ_p (∂L/∂ŷ_p) h_pᵀ.
        """
        h = self._check_h(h)
        dy = check_array("dy", dy, h.shape[:-1] + (self.out_features,), self.dtype)
        W = self.params[self.weight_name]
        h2 = h.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        grads = {self.weight_name: dy2.T @ h2, self.bias_name: dy2.sum(axis=0)}
        return dy @ W, grads

    def load_params(self, values: dict[str, np.ndarray]) -> None:
        """Copy ``values`` (name → array, any subset) into the parameters, checking shapes."""
        for name, value in values.items():
            if name not in self.params:
                raise unknown_name("parameter of Linear", name, self.params)
            target = self.params[name]
            target[...] = check_array(f"parameter {name}", value, target.shape, self.dtype)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, z − max z − log Σ exp(z − max z).

    Subtracting the maximum makes every exponent ≤ 0: no overflow for large logits, and
    the largest term is exactly 1, so the log never sees 0. Terms that underflow to 0 are
    negligible next to that 1, so the underflow is harmless and not reported.
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, targets) -> tuple[float, np.ndarray]:
    """J = −(1/N) Σ_p log softmax(z_p)[y_p] and ∂J/∂z = (softmax(z) − onehot(y)) / N.

    ``logits`` (..., K) float, ``targets`` (...) integer class indices in [0, K); N is the
    number of predictions (the product of the leading axes).
    """
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        raise DTypeError(f"logits must be a float array, got dtype {z.dtype}")
    if z.ndim < 1 or z.shape[-1] == 0:
        raise ShapeError(f"logits must have shape (..., K) with K >= 1, got {z.shape}")
    check_finite("logits", z)
    y = np.asarray(targets)
    if y.dtype.kind not in "iu":
        raise DTypeError(
            f"targets of the cross-entropy must be integer class indices, got dtype {y.dtype}"
        )
    if y.shape != z.shape[:-1]:
        raise ShapeError(
            f"targets must have shape {z.shape[:-1]} (the logits' {z.shape} without the "
            f"class axis), got {y.shape}"
        )
    K = z.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= K):
        bad = y[(y < 0) | (y >= K)].reshape(-1)[0]
        raise InvalidValueError(f"targets must be class indices in [0, {K}), got {bad}")
    N = max(y.size, 1)
    logp = log_softmax(z)
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    loss = -float(picked.sum()) / N
    with np.errstate(under="ignore"):  # a probability below 1e-308 is 0 for the gradient
        grad = np.exp(logp)
    np.put_along_axis(grad, y[..., None], np.take_along_axis(grad, y[..., None], -1) - 1.0, -1)
    grad /= N
    return loss, grad


def mse(prediction, target) -> tuple[float, np.ndarray]:
    """J = (1/M) Σ (ŷ − y)² over all M entries, and ∂J/∂ŷ = 2(ŷ − y)/M."""
    p = np.asarray(prediction)
    if p.dtype.kind != "f":
        raise DTypeError(f"prediction must be a float array, got dtype {p.dtype}")
    check_finite("prediction", p)
    t = check_array("target", target, p.shape, p.dtype)
    diff = p - t
    M = max(diff.size, 1)
    return float(np.vdot(diff, diff)) / M, diff * (2.0 / M)


#: Losses by name: each maps (prediction, target) to (loss, ∂loss/∂prediction).
LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]] = {
    "mse": mse,
    "xent": softmax_cross_entropy,
}


def get_loss(name: str) -> Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]:
    """The loss called ``name`` ("mse" or "xent")."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise unknown_name("loss", name, LOSSES) from None
