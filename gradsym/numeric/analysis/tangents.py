"""One step of a cell and its Jacobian applied to a frame, in one pass: the tangent map.

The QR method for Lyapunov exponents needs, at every step t, the next state and the image
of an orthonormal frame Q (S × k) under the state Jacobian:

    s⁽ᵗ⁾ = F(x⁽ᵗ⁾, s⁽ᵗ⁻¹⁾),      Q ↦ J⁽ᵗ⁾ Q,      J⁽ᵗ⁾ = ∂s⁽ᵗ⁾/∂s⁽ᵗ⁻¹⁾.

Forming J⁽ᵗ⁾ (S × S) and multiplying costs O(S²·n) for the gated cells (the GRU's closed
form even has an n³ product) and throws most of it away when k ≪ S; the directional
derivative of the step along the k columns of Q (a Jacobian–vector product with the whole
frame) costs one matrix product per weight matrix, (G·n × n) by (n × k). Better still,
the state h⁽ᵗ⁻¹⁾ rides along as one more column: W [h⁽ᵗ⁻¹⁾ | Q_h] gives the recurrent
pre-activations of the step and their directional derivatives from a single product, for
all the sequences at once.

Per cell (the notation of the cells' modules; ∘ is the elementwise product, broadcast over
the frame's columns; dz_g = W_g Q_h is the derivative of gate g's pre-activation, with
+ V_g Q_c for a peephole LSTM):

* RNN:   dh = σ'(z) ∘ W_h Q.
* LSTM:  dc = f ∘ Q_c + c⁽ᵗ⁻¹⁾∘σ'(z_f) ∘ dz_f + c̃∘σ'(z_i) ∘ dz_i + i∘tanh'(z_c) ∘ dz_c
         (Q_c + … without a forget gate),
         dh = o∘tanh'(c⁽ᵗ⁾) ∘ dc + tanh(c⁽ᵗ⁾)∘σ'(z_o) ∘ dz_o,   s = [h; c].
* GRU, textbook: d(r∘h) = r ∘ Q + h⁽ᵗ⁻¹⁾∘σ'(z_r) ∘ dz_r, dz_h = W_h d(r∘h),
         dh = (1 − u) ∘ Q + (h̃ − h⁽ᵗ⁻¹⁾)∘σ'(z_u) ∘ dz_u + u∘tanh'(z_h) ∘ dz_h
         (minimal: r ≡ 1).
* GRU, torch: dn = tanh'(·) ∘ (r ∘ W_n Q + (W_n h⁽ᵗ⁻¹⁾ + b_hn)∘σ'(z_r) ∘ dz_r),
         dh = z ∘ Q + (h⁽ᵗ⁻¹⁾ − n)∘σ'(z_z) ∘ dz_z + (1 − z) ∘ dn.

These are the closed-form Jacobians of the cells' own ``state_jacobian`` applied to Q
(tested against them); any other :class:`~gradsym.numeric.cells.cell.Cell` gets the
general path J⁽ᵗ⁾ Q with J⁽ᵗ⁾ from its ``state_jacobian``.

Shapes: inputs ``xs`` (T, B, d); a state is the cell's tuple of (B, n) arrays; a frame is
(B, S, k), one S × k matrix per sequence, S the cell's state size (n, or 2n for the LSTM's
[h; c]).
"""

from __future__ import annotations

import numpy as np

from gradsym.lang.numpy_functions import sigmoid
from gradsym.numeric.cells.cell import Cell
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN

__all__ = ["TangentMap", "tangent_map"]


def _times_state_and_frame(W: np.ndarray, h: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """W [h | Q] for every sequence, as one matrix product: W (m, n), h (B, n), Q (B, n, k)
    → (B, m, k + 1), W h in column 0.

    The B sequences' columns sit side by side in one (n, B·(k + 1)) operand, so W is read
    once per step however many sequences there are (a product per sequence would read it
    B times, and a product with few columns runs far below the machine's GEMM rate)."""
    B, n, k = Q.shape
    X = np.empty((n, B, k + 1), Q.dtype)
    X[:, :, 0] = h.T
    X[:, :, 1:] = Q.transpose(1, 0, 2)
    Y = W @ X.reshape(n, B * (k + 1))
    return Y.reshape(-1, B, k + 1).transpose(1, 0, 2)


def _scaled(v: np.ndarray, M: np.ndarray) -> np.ndarray:
    """diag(v) M per sequence: v (B, n), M (B, n, k)."""
    return v[:, :, None] * M


class TangentMap:
    """The tangent map of a cell along one input sequence: :meth:`step` advances the state
    by one step and maps a frame Q to J⁽ᵗ⁾ Q (see the module docstring).

    ``xs`` (T, B, d) is the sequence; ``input_projections`` U x⁽ᵗ⁾ + b of all steps are
    computed once, in one product, as the cells' forward passes do.
    """

    def __init__(self, cell: Cell, xs: np.ndarray):
        self.cell = cell
        self.xs = xs
        self.state_size = cell.state_size

    def step(self, t: int, state: tuple, frame: np.ndarray) -> tuple[tuple, np.ndarray]:
        """(s⁽ᵗ⁺¹⁾, J Q): the state after reading ``xs[t]`` from ``state``, and the frame
        (B, S, k) mapped by the Jacobian of that step."""
        x = self.xs[t]
        J = self.cell.state_jacobian(x, state)[0]
        new_state = self.cell.forward(x[None], state).final_state
        return new_state, np.matmul(J, frame)


class _RNNTangent(TangentMap):
    def __init__(self, cell: RNN, xs):
        super().__init__(cell, xs)
        T, B, d = xs.shape
        p = cell.params
        self.W = p["W_h"]
        self.z_in = (xs.reshape(T * B, d) @ p["W_x"].T).reshape(T, B, -1) + p["b"]
        self.act = cell.activation

    def step(self, t, state, frame):
        Y = _times_state_and_frame(self.W, state[0], frame)  # (B, n, k + 1)
        h = self.act.apply(Y[:, :, 0] + self.z_in[t])
        out = Y[:, :, 1:]
        out *= self.act.grad_from_output(h)[:, :, None]
        return (h,), out


class _LSTMTangent(TangentMap):
    def __init__(self, cell: LSTM, xs):
        super().__init__(cell, xs)
        T, B, d = xs.shape
        f = cell.fused
        self.W = f["W"]  # (G·n, n), blocks in the cell's storage order: (f,) i, o, c̃
        self.V = f["V"] if cell.peephole else None  # (ns·n, n)
        self.a_in = (xs.reshape(T * B, d) @ f["U"].T).reshape(T, B, -1) + f["b"]
        self.n, self.ns, self.forget = cell.hidden_size, cell._n_sigmoid, cell.forget_gate

    def step(self, t, state, frame):
        h, c = state
        n, ns = self.n, self.ns
        Qh, Qc = frame[:, :n], frame[:, n:]
        Y = _times_state_and_frame(self.W, h, Qh)  # (B, G·n, k + 1)
        a = Y[:, :, 0] + self.a_in[t]  # pre-activations (B, G·n)
        dz = Y[:, :, 1:]  # their directional derivatives (B, G·n, k)
        if self.V is not None:
            P = _times_state_and_frame(self.V, c, Qc)
            a[:, : ns * n] += P[:, :, 0]
            dz[:, : ns * n] += P[:, :, 1:]
        sig = sigmoid(a[:, : ns * n])
        c_tilde = np.tanh(a[:, ns * n :])
        blocks = [sig[:, g * n : (g + 1) * n] for g in range(ns)]
        i, o = blocks[-2], blocks[-1]
        k_i, k_o = ns - 2, ns - 1

        def dz_of(g):
            return dz[:, g * n : (g + 1) * n]

        sp = sig * (1.0 - sig)
        ic = i * c_tilde
        out = np.empty_like(frame)
        dc = out[:, n:]
        if self.forget:
            f = blocks[0]
            c_new = f * c + ic
            np.multiply(f[:, :, None], Qc, out=dc)
            dc += _scaled(c * sp[:, :n], dz_of(0))
        else:
            c_new = c + ic
            dc[...] = Qc
        dc += _scaled(c_tilde * sp[:, k_i * n : (k_i + 1) * n], dz_of(k_i))
        dc += _scaled(i * (1.0 - c_tilde * c_tilde), dz_of(ns))
        tc = np.tanh(c_new)
        h_new = o * tc
        dh = out[:, :n]
        np.multiply((o * (1.0 - tc * tc))[:, :, None], dc, out=dh)
        dh += _scaled(tc * sp[:, k_o * n : (k_o + 1) * n], dz_of(k_o))
        return (h_new, c_new), out


class _GRUTangent(TangentMap):
    def __init__(self, cell: GRU, xs):
        super().__init__(cell, xs)
        T, B, d = xs.shape
        f = cell.fused
        n = cell.hidden_size
        self.n, self.variant = n, cell.variant
        self.W = f["W"]  # (G·n, n)
        b = f["b"][: 3 * n] if cell.variant == "torch" else f["b"]
        self.a_in = (xs.reshape(T * B, d) @ f["U"].T).reshape(T, B, -1) + b
        if cell.variant == "torch":
            self.b_hn = f["b"][3 * n :]
        if cell.variant == "textbook":
            self.W_ur, self.W_h = self.W[: 2 * n], self.W[2 * n :]

    def step(self, t, state, frame):
        if self.variant == "torch":
            return self._step_torch(t, state, frame)
        if self.variant == "textbook":
            return self._step_textbook(t, state, frame)
        return self._step_minimal(t, state, frame)

    def _finish(self, h, Q, u, h_tilde, dz_u, dz_h):
        """h⁽ᵗ⁾ = (1 − u)∘h + u∘h̃ and its tangent (the textbook and minimal forms)."""
        h_new = h + u * (h_tilde - h)  # as the cell's lerp
        out = _scaled(1.0 - u, Q)
        out += _scaled((h_tilde - h) * u * (1.0 - u), dz_u)
        out += _scaled(u * (1.0 - h_tilde * h_tilde), dz_h)
        return (h_new,), out

    def _step_textbook(self, t, state, Q):
        n, h = self.n, state[0]
        Y = _times_state_and_frame(self.W_ur, h, Q)  # (B, 2n, k + 1): u and r
        a = self.a_in[t]
        ur = sigmoid(Y[:, :, 0] + a[:, : 2 * n])
        u, r = ur[:, :n], ur[:, n:]
        drh = _scaled(r, Q)
        drh += _scaled(h * r * (1.0 - r), Y[:, n:, 1:])
        Y2 = _times_state_and_frame(self.W_h, r * h, drh)  # (B, n, k + 1)
        h_tilde = np.tanh(Y2[:, :, 0] + a[:, 2 * n :])
        return self._finish(h, Q, u, h_tilde, Y[:, :n, 1:], Y2[:, :, 1:])

    def _step_minimal(self, t, state, Q):
        n, h = self.n, state[0]
        Y = _times_state_and_frame(self.W, h, Q)  # (B, 2n, k + 1): u and h̃
        a = Y[:, :, 0] + self.a_in[t]
        u = sigmoid(a[:, :n])
        h_tilde = np.tanh(a[:, n:])
        return self._finish(h, Q, u, h_tilde, Y[:, :n, 1:], Y[:, n:, 1:])

    def _step_torch(self, t, state, Q):
        n, h = self.n, state[0]
        Y = _times_state_and_frame(self.W, h, Q)  # (B, 3n, k + 1): r, z, W_n h
        a = self.a_in[t]
        rz = sigmoid(Y[:, : 2 * n, 0] + a[:, : 2 * n])
        r, z = rz[:, :n], rz[:, n:]
        hn = Y[:, 2 * n :, 0] + self.b_hn
        cand = np.tanh(a[:, 2 * n :] + r * hn)
        h_new = cand + z * (h - cand)  # as the cell's lerp: (1 − z)∘n + z∘h
        dn = _scaled(r, Y[:, 2 * n :, 1:])
        dn += _scaled(hn * r * (1.0 - r), Y[:, :n, 1:])
        dn *= (1.0 - cand * cand)[:, :, None]
        out = _scaled(z, Q)
        out += _scaled((h - cand) * z * (1.0 - z), Y[:, n : 2 * n, 1:])
        out += _scaled(1.0 - z, dn)
        return (h_new,), out


def tangent_map(cell: Cell, xs: np.ndarray) -> TangentMap:
    """The tangent map of ``cell`` along ``xs`` (T, B, d): the fused paths of the RNN, the
    LSTM (all four variants) and the GRU (all three), the general J⁽ᵗ⁾ Q otherwise."""
    for kind, make in ((RNN, _RNNTangent), (LSTM, _LSTMTangent), (GRU, _GRUTangent)):
        if type(cell) is kind:
            return make(cell, xs)
    return TangentMap(cell, xs)
