"""The vanilla RNN cell of the notes.

    h⁽ᵗ⁾ = σ(W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b),     σ ∈ {tanh, sigmoid, relu, identity}

    W_h: (n, n)   W_x: (n, d)   b: (n,)   x⁽ᵗ⁾: (B, d)   h⁽ᵗ⁾: (B, n)

State Jacobian (CS224n, "Vanishing gradient proof sketch"):

    ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(σ'(z⁽ᵗ⁾)) W_h,    ∂h⁽ᵗ⁾/∂x⁽ᵗ⁾ = diag(σ'(z⁽ᵗ⁾)) W_x,
    z⁽ᵗ⁾ = W_h h⁽ᵗ⁻¹⁾ + W_x x⁽ᵗ⁾ + b.
"""

from __future__ import annotations

import numpy as np

from gradsym.lang.elementwise import get_activation
from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.gates import column_sums, previous_states


class RNN(Cell):
    """Vanilla (Elman) RNN cell; ``activation`` is tanh, sigmoid, relu or identity."""

    name = "rnn"
    recurrent_weights = ("W_h",)
    input_weights = ("W_x",)
    biases = ("b",)

    @property
    def variant(self) -> str:
        """The registry's variant of the RNN: its activation."""
        return self.activation.name

    @classmethod
    def of_variant(cls, variant, input_size, hidden_size, *, dtype=np.float64, rng=0) -> RNN:
        """The registry's NumPy facet (:mod:`gradsym.cells`): the variant is the activation."""
        return cls(input_size, hidden_size, variant, dtype=dtype, rng=rng)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        activation: str = "tanh",
        *,
        dtype=np.float64,
        rng=0,
    ):
        super().__init__(input_size, hidden_size, dtype=dtype)
        self.activation = get_activation(activation)
        n, d = self.hidden_size, self.input_size
        self._allocate({"W": (("W_h",), (n, n)), "U": (("W_x",), (n, d)), "b": (("b",), (n,))})
        self._init_uniform(rng)

    def _forward(self, xs: np.ndarray, state0) -> Trace:
        T, B, d = xs.shape
        n = self.hidden_size
        W_h, W_x, b = self.params["W_h"], self.params["W_x"], self.params["b"]
        act = self.activation.apply
        # hs: h⁽⁰⁾ … h⁽ᵀ⁾ (T + 1, B, n). Rows 1 … T first get all input projections
        # W_x x⁽ᵗ⁾ + b in one product; the loop adds W_h h⁽ᵗ⁻¹⁾ and applies σ in place.
        hs = np.empty((T + 1, B, n), self.dtype)
        hs[0] = state0[0]
        np.matmul(xs.reshape(T * B, d), W_x.T, out=hs[1:].reshape(T * B, n))
        hs[1:] += b
        W_hT = np.ascontiguousarray(W_h.T)
        rec = np.empty((B, n), self.dtype)
        for t in range(T):
            z = hs[t + 1]
            np.matmul(hs[t], W_hT, rec)
            z += rec
            act(z, out=z)
        return Trace(xs, state0, {"h": hs[1:]}, {}, {"h_history": hs})

    def _backward(self, trace: Trace, direct, final) -> Gradients:
        xs, hs = trace.xs, trace.h
        T, B, d = xs.shape
        n = self.hidden_size
        W_h, W_x = self.params["W_h"], self.params["W_x"]
        dact = self.activation.grad_from_output(hs)  # σ'(z⁽ᵗ⁾) for every step at once
        dz = np.empty_like(hs)
        adj = np.empty_like(hs)
        carry = final[0].copy() if final is not None else np.zeros((B, n), self.dtype)
        dh_direct = direct.get("h")
        for t in range(T - 1, -1, -1):
            # δh⁽ᵗ⁾ = direct term + δz⁽ᵗ⁺¹⁾ W_h;  δz⁽ᵗ⁾ = δh⁽ᵗ⁾ ∘ σ'(z⁽ᵗ⁾)
            if dh_direct is not None:
                np.add(carry, dh_direct[t], adj[t])
            else:
                adj[t] = carry
            np.multiply(adj[t], dact[t], dz[t])
            np.matmul(dz[t], W_h, carry)
        # Weights are shared across steps, so their gradients are sums over t: one product.
        h_prev = previous_states(trace, "h")
        dz2 = dz.reshape(T * B, n)
        grads = {
            "W": dz2.T @ h_prev.reshape(T * B, n),
            "U": dz2.T @ xs.reshape(T * B, d),
            "b": column_sums(dz2),
        }
        dxs = (dz2 @ W_x).reshape(T, B, d)
        return Gradients(dxs, (carry,), self._grad_views(grads), {"h": adj})

    def _state_jacobian(self, x, state):
        h_prev = state[0]
        z = h_prev @ self.params["W_h"].T + x @ self.params["W_x"].T + self.params["b"]
        s = self.activation.grad_from_output(self.activation.apply(z))
        return s[:, :, None] * self.params["W_h"], s[:, :, None] * self.params["W_x"]

    def __repr__(self) -> str:
        return (
            f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"activation={self.activation.name!r})"
        )
