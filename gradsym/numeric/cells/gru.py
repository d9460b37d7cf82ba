"""The GRU in three variants, each convention stated and never mixed.

``variant="textbook"`` (CS224n, notes 001; the relevance gate of notes 003):

    u⁽ᵗ⁾ = σ(W_u h⁽ᵗ⁻¹⁾ + U_u x⁽ᵗ⁾ + b_u)                   update gate
    r⁽ᵗ⁾ = σ(W_r h⁽ᵗ⁻¹⁾ + U_r x⁽ᵗ⁾ + b_r)                   reset gate
    h̃⁽ᵗ⁾ = tanh(W_h (r⁽ᵗ⁾ ∘ h⁽ᵗ⁻¹⁾) + U_h x⁽ᵗ⁾ + b_h)      new content
    h⁽ᵗ⁾ = (1 − u⁽ᵗ⁾) ∘ h⁽ᵗ⁻¹⁾ + u⁽ᵗ⁾ ∘ h̃⁽ᵗ⁾               u = 0 keeps h⁽ᵗ⁻¹⁾

``variant="minimal"`` (notes 003, update gate only): the same with r ≡ 1,
h̃⁽ᵗ⁾ = tanh(W_h h⁽ᵗ⁻¹⁾ + U_h x⁽ᵗ⁾ + b_h).

``variant="torch"`` (PyTorch's ``nn.GRU``; the reset gate acts after the product):

    r⁽ᵗ⁾ = σ(W_r h⁽ᵗ⁻¹⁾ + U_r x⁽ᵗ⁾ + b_r)
    z⁽ᵗ⁾ = σ(W_z h⁽ᵗ⁻¹⁾ + U_z x⁽ᵗ⁾ + b_z)
    n⁽ᵗ⁾ = tanh(U_n x⁽ᵗ⁾ + b_n + r⁽ᵗ⁾ ∘ (W_n h⁽ᵗ⁻¹⁾ + b_hn))
    h⁽ᵗ⁾ = (1 − z⁽ᵗ⁾) ∘ n⁽ᵗ⁾ + z⁽ᵗ⁾ ∘ h⁽ᵗ⁻¹⁾                 z = 1 keeps h⁽ᵗ⁻¹⁾

PyTorch's biases map as b_ir + b_hr → b_r, b_iz + b_hz → b_z, b_in → b_n, b_hn → b_hn (b_hn
must stay separate: it sits inside the reset product). Note the two conventions: the
notes' u weighs the *new* content, PyTorch's z weighs the *old* state (u plays 1 − z).

    W_g: (n, n)   U_g: (n, d)   b_g: (n,)   x⁽ᵗ⁾: (B, d)   h⁽ᵗ⁾ and every gate: (B, n)

State Jacobians (numerator layout), with u' = σ'(z_u) etc. from the gate values:

    textbook: ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(1 − u) + diag((h̃ − h⁽ᵗ⁻¹⁾)∘u') W_u
                            + diag(u∘h̃') W_h (diag(r) + diag(h⁽ᵗ⁻¹⁾∘r') W_r)
              ∂h⁽ᵗ⁾/∂x⁽ᵗ⁾   = diag((h̃ − h⁽ᵗ⁻¹⁾)∘u') U_u + diag(u∘h̃') (U_h + W_h diag(h⁽ᵗ⁻¹⁾∘r') U_r)
    minimal:  the same with r = 1, r' = 0.
    torch:    ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(z) + diag((h⁽ᵗ⁻¹⁾ − n)∘z') W_z
                            + diag((1 − z)∘n') (diag(r) W_n + diag((W_n h⁽ᵗ⁻¹⁾ + b_hn)∘r') W_r)
              ∂h⁽ᵗ⁾/∂x⁽ᵗ⁾   = diag((h⁽ᵗ⁻¹⁾ − n)∘z') U_z
                            + diag((1 − z)∘n') (U_n + diag((W_n h⁽ᵗ⁻¹⁾ + b_hn)∘r') U_r)

With u = 0 (textbook) or z = 1 (torch) the Jacobian is I: the GRU retains information.

A forward pass records ``trace.gates`` ("u", "r", "h_tilde"; "u", "h_tilde"; or "r",
"z", "n"), each (T, B, n), and ``trace.states["h"]`` (T, B, n); ``trace.cache`` keeps
r∘h⁽ᵗ⁻¹⁾ (textbook) or W_n h⁽ᵗ⁻¹⁾ + b_hn (torch) for the backward pass.
"""

from __future__ import annotations

import numpy as np

from gradsym.errors import unknown_name
from gradsym.lang.numpy_functions import sigmoid_of_prescaled
from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.gates import (
    add_direct,
    back_target,
    carve,
    column_sums,
    diag_times,
    flat,
    gate_activations,
    gate_values,
    input_projections,
    lerp,
    previous_states,
    reverse_chunks,
    sigmoid_prime,
    step_product,
    tanh_prime,
)

# variant → (gate names in storage order, parameter suffixes, extra bias blocks).
# The sigmoid gates come first so that one σ call per step covers them; the candidate
# (h̃ or n) is the last block.
VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "textbook": (("u", "r", "h_tilde"), ("u", "r", "h"), ()),
    "minimal": (("u", "h_tilde"), ("u", "h"), ()),
    "torch": (("r", "z", "n"), ("r", "z", "n"), ("hn",)),
}


class GRU(Cell):
    """GRU cell, ``variant`` "textbook" (default), "minimal" or "torch"; state s = h.

    Parameters (see the module docstring): ``W_*`` (n, n), ``U_*`` (n, d), ``b_*`` (n,),
    views into ``fused["W"]`` (G·n, n), ``fused["U"]`` (G·n, d) and ``fused["b"]``
    (G·n,), or (4n,) for "torch" whose last block is b_hn. Default initialisation:
    PyTorch's U(−1/√n, 1/√n).
    """

    recurrent_weights = ("W_u", "W_r", "W_h")
    input_weights = ("U_u", "U_r", "U_h")
    biases = ("b_u", "b_r", "b_h")
    update_gate_bias: str | None = "b_u"
    # Which way the identity (carry) path opens with the gate's bias: the notes'
    # h = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃ carries when u → 0 (a large negative b_u); PyTorch's
    # h = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾ when z → 1 (a large positive b_z).
    update_gate_sign: float | None = -1.0

    name = "gru"

    @classmethod
    def of_variant(cls, variant, input_size, hidden_size, *, dtype=np.float64, rng=0) -> GRU:
        """The registry's NumPy facet (:mod:`gradsym.cells`)."""
        return cls(input_size, hidden_size, variant=variant, dtype=dtype, rng=rng)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        variant: str = "textbook",
        dtype=np.float64,
        rng=0,
    ):
        super().__init__(input_size, hidden_size, dtype=dtype)
        if not isinstance(variant, str) or variant not in VARIANTS:
            raise unknown_name("GRU variant", variant, VARIANTS)
        self.variant = variant
        self.gate_names, sfx, extra = VARIANTS[variant]
        self.recurrent_weights = tuple(f"W_{s}" for s in sfx)
        self.input_weights = tuple(f"U_{s}" for s in sfx)
        self.biases = tuple(f"b_{s}" for s in sfx + extra)
        self.update_gate_bias = "b_z" if variant == "torch" else "b_u"
        self.update_gate_sign = 1.0 if variant == "torch" else -1.0
        self._n_sigmoid = len(self.gate_names) - 1
        n, d = self.hidden_size, self.input_size
        self._allocate(
            {
                "W": (self.recurrent_weights, (n, n)),
                "U": (self.input_weights, (n, d)),
                "b": (self.biases, (n,)),
            }
        )
        self._init_uniform(rng)

    # -- forward -------------------------------------------------------------------------

    def _forward(self, xs: np.ndarray, state0) -> Trace:
        if self.variant == "torch":
            A, hs, cache = self._forward_torch(xs, state0)
        else:
            A, hs, cache = self._forward_notes(xs, state0)
        cache.update(gates=A, h_history=hs)
        return Trace(xs, state0, {"h": hs[1:]}, dict(zip(self.gate_names, A)), cache)

    def _forward_notes(self, xs, state0):
        """Textbook and minimal: one code path, the minimal GRU being r ≡ 1."""
        T, B, _ = xs.shape
        n, ns = self.hidden_size, self._n_sigmoid
        reset = self.variant == "textbook"
        # A: U x + b for all steps (gate-major, see gates.py), completed in place into the
        # gate values u, (r,) h̃, each (T, B, n); the sigmoid gates' blocks hold s·z until
        # σ is applied (their weights enter prescaled, see gates.step_product). One block
        # for the trace's arrays (see gates.carve).
        shapes = [(ns + 1, T, B, n), (T + 1, B, n)] + [(T, B, n)] * reset
        A, hs, *rh = carve(self.dtype, *shapes)  # rh: r∘h_prev, for ∂L/∂W_h
        hs[0] = state0[0]
        input_projections(xs, self.fused["U"], self.fused["b"], n, sigmoid=ns, out=A)
        W = self.fused["W"]
        # Without a reset gate h⁽ᵗ⁻¹⁾ multiplies every block: one product per step. With
        # it, h̃ needs r∘h⁽ᵗ⁻¹⁾, known only after σ: a second product for W_h.
        n_direct = ns if reset else ns + 1
        Wd_op, rec, rec_blocks = step_product(W[: n_direct * n], n, B, sigmoid=ns)
        if reset:
            rh = rh[0]
            Wh_op, cand, cand_blocks = step_product(W[ns * n :], n, B)
        # pre-activations in a contiguous buffer, gate values written into A by the last
        # pass (see LSTM._forward)
        z = np.empty((n_direct, B, n), self.dtype)
        activate = gate_activations(self.dtype, ns)
        for t in range(T):
            a, h_prev, h_tilde = A[:, t], hs[t], A[-1, t]  # a: (G, B, n)
            np.matmul(h_prev, Wd_op, rec)
            np.add(a[:n_direct], rec_blocks, z)
            if reset:
                sigmoid_of_prescaled(z[:ns], out=a[:ns])
                np.multiply(a[1], h_prev, rh[t])
                np.matmul(rh[t], Wh_op, cand)
                h_tilde += cand_blocks[0]
                np.tanh(h_tilde, h_tilde)
            else:  # h̃ reads h⁽ᵗ⁻¹⁾: σ of u and tanh of h̃ from this one product
                activate(z)
                a[...] = z
            lerp(h_prev, h_tilde, a[0], out=hs[t + 1])  # (1 − u)∘h_prev + u∘h̃
        return A, hs, ({"r_h": rh} if reset else {})

    def _forward_torch(self, xs, state0):
        T, B, _ = xs.shape
        n = self.hidden_size
        b = self.fused["b"]
        # hn⁽ᵗ⁾ = W_n h⁽ᵗ⁻¹⁾ + b_hn is kept: the backward pass needs it (∂n/∂r).
        A, hs, hn = carve(self.dtype, (3, T, B, n), (T + 1, B, n), (T, B, n))
        hs[0] = state0[0]
        input_projections(xs, self.fused["U"], b[: 3 * n], n, sigmoid=2, out=A)
        b_hn = b[3 * n :]
        # r, z, n in one product, r and z prescaled (see gates.step_product)
        W_op, rec, rec_blocks = step_product(self.fused["W"], n, B, sigmoid=2)
        r_hn = np.empty((B, n), self.dtype)
        z = np.empty((2, B, n), self.dtype)  # see _forward_notes
        for t in range(T):
            a, h_prev, cand = A[:, t], hs[t], A[2, t]
            np.matmul(h_prev, W_op, rec)
            np.add(a[:2], rec_blocks[:2], z)
            sigmoid_of_prescaled(z, out=a[:2])
            np.add(rec_blocks[2], b_hn, hn[t])
            np.multiply(a[0], hn[t], r_hn)
            cand += r_hn
            np.tanh(cand, cand)
            lerp(cand, h_prev, a[1], out=hs[t + 1])  # (1 − z)∘n + z∘h_prev
        return A, hs, {"hn": hn}

    # -- backward ------------------------------------------------------------------------

    def _backward(self, trace: Trace, direct, final) -> Gradients:
        if self.variant == "torch":
            return self._backward_torch(trace, direct, final)
        return self._backward_notes(trace, direct, final)

    def _adjoints(self, trace, direct, final) -> tuple[np.ndarray, np.ndarray | None]:
        """The adjoint array (T, B, n) with ∂L/∂h⁽ᵀ⁾ in place; earlier steps are written
        by the loop as direct term + what flows back. Also the direct terms (or None)."""
        adj = np.empty_like(trace.h)
        dh_direct = direct.get("h")
        adj[-1] = dh_direct[-1] if dh_direct is not None else 0.0
        if final is not None:
            adj[-1] += final[0]
        return adj, dh_direct

    def _backward_notes(self, trace, direct, final) -> Gradients:
        xs = trace.xs
        T, B, d = xs.shape
        n, ns = self.hidden_size, self._n_sigmoid
        nG = ns + 1
        reset = self.variant == "textbook"
        A = gate_values(trace, self.gate_names)  # (G, T, B, n): u, (r,) h̃
        h_prev = previous_states(trace, "h")
        n_direct = ns if reset else ns + 1
        W = self.fused["W"]
        Wd, Wh = W[: n_direct * n], W[ns * n :]

        dZ = np.empty((T, B, nG * n), self.dtype)  # time-major: a step's rows multiply W
        dZ4 = dZ.reshape(T, B, nG, n)
        adj, dh_direct = self._adjoints(trace, direct, final)
        # The factors that depend on the forward pass only are formed a chunk of steps at
        # a time (see LSTM._backward): F (m, G, B, n) with δz_u = δh ∘ F_u, δz_h = δh ∘ F_h,
        # δz_r = δ(r∘h_prev) ∘ F_r, and K (m, B, n) = 1 − u, by which δh reaches h_prev.
        chunks = reverse_chunks(T, (nG + 1) * B * n * self.dtype.itemsize)
        m_max = chunks[0][1] - chunks[0][0]
        F = np.empty((m_max, nG, B, n), self.dtype)
        K = np.empty((m_max, B, n), self.dtype)
        dZg = dZ4.transpose(0, 2, 1, 3)  # (T, G, B, n) view of δZ
        dz = np.empty((nG, B, n), self.dtype)  # a step's δz, copied into δZ (see LSTM)
        w = np.empty((B, n), self.dtype)
        rec = np.empty((B, n), self.dtype)
        d_rh = np.empty((B, n), self.dtype) if reset else None
        dh0 = np.empty((B, n), self.dtype)  # ∂L/∂h⁽⁰⁾
        for t0, t1 in chunks:
            m = t1 - t0
            a, hp, Kc = A[:, t0:t1], h_prev[t0:t1], K[:m]
            Fc = F[:m].transpose(1, 0, 2, 3)  # (G, m, B, n)
            u, h_tilde = a[0], a[-1]
            sigmoid_prime(a[:ns], out=Fc[:ns])
            np.subtract(h_tilde, hp, out=Kc)
            Fc[0] *= Kc  # δz_u = δh ∘ (h̃ − h_prev)∘u'
            if reset:
                Fc[1] *= hp  # δz_r = δ(r∘h_prev) ∘ h_prev∘r'
            tanh_prime(h_tilde, out=Fc[-1])
            Fc[-1] *= u  # δz_h = δh ∘ u∘h̃'
            np.subtract(1.0, u, out=Kc)
            for t in range(t1 - 1, t0 - 1, -1):
                # With δh = ∂L/∂h⁽ᵗ⁾ (minimal: r ≡ 1, so δ(r∘h_prev) joins the product):
                #   δ(r∘h_prev) = δz_h W_h
                #   δh_prev = δh∘(1 − u) + δ(r∘h_prev)∘r + [δz_u, δz_r] [W_u; W_r]
                s = t - t0
                dh, dh_prev = adj[t], back_target(adj, t, dh0)
                np.multiply(dh, F[s], dz)  # every block; r's is rewritten below
                np.multiply(dh, Kc[s], dh_prev)
                if reset:
                    np.matmul(dz[-1], Wh, d_rh)
                    np.multiply(d_rh, F[s, 1], dz[1])
                    np.multiply(d_rh, a[1, s], w)
                    dh_prev += w
                dZg[t] = dz
                np.matmul(dZ[t, :, : n_direct * n], Wd, rec)
                dh_prev += rec
                add_direct(adj, dh_direct, t)

        dZ2 = flat(dZ)
        if reset:
            # W_h multiplies r∘h_prev, the other blocks h_prev: two products.
            rh = trace.cache.get("r_h")
            if rh is None:
                rh = A[1] * h_prev
            gW = np.empty_like(W)
            np.matmul(dZ2[:, : ns * n].T, flat(h_prev), out=gW[: ns * n])
            np.matmul(dZ2[:, ns * n :].T, flat(rh), out=gW[ns * n :])
        else:
            gW = dZ2.T @ flat(h_prev)
        grads = {"W": gW, "U": dZ2.T @ flat(xs), "b": column_sums(dZ2)}
        dxs = (dZ2 @ self.fused["U"]).reshape(T, B, d)
        return Gradients(dxs, (dh0,), self._grad_views(grads), {"h": adj})

    def _backward_torch(self, trace, direct, final) -> Gradients:
        xs = trace.xs
        T, B, d = xs.shape
        n = self.hidden_size
        A = gate_values(trace, self.gate_names)  # (3, T, B, n): r, z, n
        h_prev = previous_states(trace, "h")
        hn = trace.cache.get("hn")
        if hn is None:
            hn = h_prev @ self.params["W_n"].T + self.params["b_hn"]
        W, U = self.fused["W"], self.fused["U"]

        # The n block's pre-activation gradient differs on the two sides of the reset
        # product: δa_n (input side, U_n and b_n) and δa_n∘r (recurrent side, W_n and
        # b_hn). dG holds the recurrent side of all blocks, dA_n the input side of n.
        dG = np.empty((T, B, 3 * n), self.dtype)
        dG4 = dG.reshape(T, B, 3, n)
        dA_n = np.empty((T, B, n), self.dtype)
        adj, dh_direct = self._adjoints(trace, direct, final)
        # The factors that depend on the forward pass only are formed a chunk of steps at
        # a time (see LSTM._backward): K (m, B, n) = (1 − z)∘n' with δa_n = δh ∘ K, and
        # F (m, 3, B, n) laid out like a step's δG: δz_r = δa_n ∘ hn∘r', δz_z = δh ∘
        # (h_prev − n)∘z', and the recurrent side of n, δa_n ∘ r.
        chunks = reverse_chunks(T, 4 * B * n * self.dtype.itemsize)
        m_max = chunks[0][1] - chunks[0][0]
        F = np.empty((m_max, 3, B, n), self.dtype)
        K = np.empty((m_max, B, n), self.dtype)
        dGg = dG4.transpose(0, 2, 1, 3)  # (T, 3, B, n) view of δG
        dg = np.empty((3, B, n), self.dtype)  # a step's δG, copied into it (see LSTM)
        rec = np.empty((B, n), self.dtype)
        dh0 = np.empty((B, n), self.dtype)  # ∂L/∂h⁽⁰⁾
        for t0, t1 in chunks:
            m = t1 - t0
            a, Kc = A[:, t0:t1], K[:m]
            Fc = F[:m].transpose(1, 0, 2, 3)  # (3, m, B, n)
            r, z, cand = a
            tanh_prime(cand, out=Kc)
            np.subtract(1.0, z, out=Fc[2])  # Fc[2] is scratch until it takes r
            Kc *= Fc[2]  # δa_n = δh ∘ (1 − z)∘n'
            sigmoid_prime(a[:2], out=Fc[:2])
            Fc[0] *= hn[t0:t1]  # δz_r = δa_n ∘ hn∘r'
            np.subtract(h_prev[t0:t1], cand, out=Fc[2])
            Fc[1] *= Fc[2]  # δz_z = δh ∘ (h_prev − n)∘z'
            Fc[2] = r  # δ(W_n h_prev + b_hn) = δa_n ∘ r
            for t in range(t1 - 1, t0 - 1, -1):
                # δh_prev = δh∘z + [δz_r, δz_z, δa_n∘r] W
                s = t - t0
                dh, dh_prev = adj[t], back_target(adj, t, dh0)
                np.multiply(dh, Kc[s], dA_n[t])
                np.multiply(dA_n[t], F[s], dg)  # every block; z's is rewritten below
                np.multiply(dh, F[s, 1], dg[1])
                dGg[t] = dg
                np.matmul(dG[t], W, rec)
                np.multiply(dh, z[s], dh_prev)
                dh_prev += rec
                add_direct(adj, dh_direct, t)

        # Input side = [δz_r, δz_z, δa_n]: the r and z columns of dG, then dA_n.
        dG2, dA2, xs2 = flat(dG), flat(dA_n), flat(xs)
        gU = np.empty_like(U)
        np.matmul(dG2[:, : 2 * n].T, xs2, out=gU[: 2 * n])
        np.matmul(dA2.T, xs2, out=gU[2 * n :])
        gb = np.concatenate(
            [column_sums(dG2[:, : 2 * n]), column_sums(dA2), column_sums(dG2[:, 2 * n :])]
        )
        grads = {"W": dG2.T @ flat(h_prev), "U": gU, "b": gb}
        dxs = dG2[:, : 2 * n] @ U[: 2 * n]
        dxs += dA2 @ U[2 * n :]
        return Gradients(dxs.reshape(T, B, d), (dh0,), self._grad_views(grads), {"h": adj})

    # -- state Jacobian ------------------------------------------------------------------

    def _state_jacobian(self, x, state):
        """∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ (B, n, n) and ∂h⁽ᵗ⁾/∂x⁽ᵗ⁾ (B, n, d) in closed form."""
        tr = self._forward(x[None], state)
        h_prev = state[0]
        B = x.shape[0]
        n = self.hidden_size
        g = {k: v[0] for k, v in tr.gates.items()}  # each (B, n)
        P = self.params
        eye = np.broadcast_to(np.eye(n, dtype=self.dtype), (B, n, n))
        if self.variant == "torch":
            r, z, cand, hn = g["r"], g["z"], g["n"], tr.cache["hn"][0]
            to_n = (1.0 - z) * tanh_prime(cand)
            via_r = hn * sigmoid_prime(r)
            to_z = (h_prev - cand) * sigmoid_prime(z)
            J_hh = (
                diag_times(z, eye)
                + diag_times(to_z, P["W_z"])
                + diag_times(to_n, diag_times(r, P["W_n"]) + diag_times(via_r, P["W_r"]))
            )
            J_hx = diag_times(to_z, P["U_z"]) + diag_times(
                to_n, P["U_n"] + diag_times(via_r, P["U_r"])
            )
            return J_hh, J_hx
        u, h_tilde = g["u"], g["h_tilde"]
        to_u = (h_tilde - h_prev) * sigmoid_prime(u)
        to_h = u * tanh_prime(h_tilde)
        if self.variant == "textbook":
            r = g["r"]
            via_r = h_prev * sigmoid_prime(r)
            # ∂(r∘h_prev)/∂h_prev and /∂x
            rh_h = diag_times(r, eye) + diag_times(via_r, P["W_r"])
            rh_x = diag_times(via_r, P["U_r"])
        else:  # minimal: r ≡ 1
            rh_h, rh_x = eye, np.zeros((B, n, self.input_size), self.dtype)
        J_hh = (
            diag_times(1.0 - u, eye)
            + diag_times(to_u, P["W_u"])
            + diag_times(to_h, P["W_h"] @ rh_h)
        )
        J_hx = diag_times(to_u, P["U_u"]) + diag_times(to_h, P["U_h"] + P["W_h"] @ rh_x)
        return J_hh, J_hx

    def __repr__(self) -> str:
        return (
            f"GRU(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"variant={self.variant!r})"
        )
