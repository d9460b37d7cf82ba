"""The LSTM cell of the notes (CS224n), with peephole connections and the 1997 form
without a forget gate as options.

    f⁽ᵗ⁾ = σ(W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾ + b_f)          forget gate
    i⁽ᵗ⁾ = σ(W_i h⁽ᵗ⁻¹⁾ + U_i x⁽ᵗ⁾ + b_i)          input gate
    o⁽ᵗ⁾ = σ(W_o h⁽ᵗ⁻¹⁾ + U_o x⁽ᵗ⁾ + b_o)          output gate
    c̃⁽ᵗ⁾ = tanh(W_c h⁽ᵗ⁻¹⁾ + U_c x⁽ᵗ⁾ + b_c)       new cell content
    c⁽ᵗ⁾ = f⁽ᵗ⁾ ∘ c⁽ᵗ⁻¹⁾ + i⁽ᵗ⁾ ∘ c̃⁽ᵗ⁾
    h⁽ᵗ⁾ = o⁽ᵗ⁾ ∘ tanh c⁽ᵗ⁾

    W_g: (n, n)   U_g: (n, d)   b_g: (n,)   x⁽ᵗ⁾: (B, d)   h⁽ᵗ⁾, c⁽ᵗ⁾, gates: (B, n)

``peephole=True`` (notes 003: the gates see c⁽ᵗ⁻¹⁾): f, i and o get + V_f c⁽ᵗ⁻¹⁾,
+ V_i c⁽ᵗ⁻¹⁾, + V_o c⁽ᵗ⁻¹⁾ inside the σ, with full V_g: (n, n); c̃ does not see c⁽ᵗ⁻¹⁾.
``forget_gate=False`` (Hochreiter and Schmidhuber 1997): c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ + i⁽ᵗ⁾ ∘ c̃⁽ᵗ⁾,
and there is no W_f, U_f, b_f (nor V_f).

State Jacobian, s = [h; c], numerator layout, z_g the pre-activation of gate g:

    ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f)                                        (I without forget gate)
                   [+ diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) V_f + diag(c̃∘σ'(z_i)) V_i  with peepholes]
    ∂c⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) W_f + diag(c̃∘σ'(z_i)) W_i + diag(i∘tanh'(z_c)) W_c
    ∂c⁽ᵗ⁾/∂x⁽ᵗ⁾   = the same with U_g in place of W_g
    ∂h⁽ᵗ⁾/∂·      = diag(o∘tanh'(c⁽ᵗ⁾)) ∂c⁽ᵗ⁾/∂· + diag(tanh(c⁽ᵗ⁾)∘σ'(z_o)) ∂z_o/∂·,
                    ∂z_o/∂h⁽ᵗ⁻¹⁾ = W_o, ∂z_o/∂c⁽ᵗ⁻¹⁾ = V_o (0 without peepholes), ∂z_o/∂x = U_o.

The "direct path" ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f) is the claim lstm-cell-path, and I without a
forget gate is the constant error carousel (claim cec).

A forward pass records ``trace.gates`` "f", "i", "o", "c_tilde" (each (T, B, n), views
of one gate-major (G, T, B, n) array, see gates.py) and ``trace.states`` "h", "c"
(T, B, n); the backward pass returns ``adjoints`` "h" and "c", the total ∂L/∂h⁽ᵗ⁾ and
∂L/∂c⁽ᵗ⁾ (T, B, n). ``trace.cache`` keeps tanh c⁽ᵗ⁾ and the state histories for it.
"""

from __future__ import annotations

import numpy as np

from gradsym.cells.builtin import LSTM_SWITCHES, lstm_variant
from gradsym.numeric.cells.cell import Cell, Gradients, Trace
from gradsym.numeric.cells.gates import (
    CONTIGUOUS_STEPS,
    add_direct,
    back_target,
    carve,
    column_sums,
    diag_times,
    flat,
    gate_activations,
    gate_values,
    input_projections,
    previous_states,
    reverse_chunks,
    sigmoid_prime,
    step_product,
    tanh_prime,
)
from gradsym.validate import boolean

# Gate blocks in storage order: the sigmoid gates first (one σ call per step covers them
# all, and the peepholes V multiply exactly this leading block), the candidate c̃ last.
# The output gate comes last among the sigmoid gates: δz_o is driven by δh, the others by
# δc, so the δc-driven blocks before it are one slice.
_GATES = ("f", "i", "o", "c_tilde")
_SUFFIX = {"f": "f", "i": "i", "o": "o", "c_tilde": "c"}


class LSTM(Cell):
    """LSTM cell; state s = (h, c). See the module docstring for the equations.

    Parameters ``W_f, W_i, W_o, W_c`` (n, n), ``U_f, …, U_c`` (n, d), ``b_f, …, b_c`` (n,)
    and, with ``peephole=True``, ``V_f, V_i, V_o`` (n, n); without a forget gate every
    ``_f`` parameter is absent. They are views into the fused arrays ``fused["W"]``
    (G·n, n), ``fused["U"]`` (G·n, d), ``fused["b"]`` (G·n,) and ``fused["V"]`` (S·n, n),
    G the number of gate blocks (4, or 3 without forget gate) and S = G − 1 the number of
    sigmoid gates. Default initialisation: PyTorch's U(−1/√n, 1/√n).
    """

    state_names = ("h", "c")
    recurrent_weights = ("W_f", "W_i", "W_o", "W_c")
    input_weights = ("U_f", "U_i", "U_o", "U_c")
    biases = ("b_f", "b_i", "b_o", "b_c")
    peephole_weights: tuple[str, ...] = ()
    forget_gate_bias: str | None = "b_f"

    name = "lstm"

    @property
    def variant(self) -> str:
        """The registry's variant: standard, peephole, no_forget or peephole_no_forget."""
        return lstm_variant(self.peephole, self.forget_gate)

    @classmethod
    def of_variant(cls, variant, input_size, hidden_size, *, dtype=np.float64, rng=0) -> LSTM:
        """The registry's NumPy facet (:mod:`gradsym.cells`): the variant names the
        switches (``LSTM_SWITCHES``: standard, peephole, no_forget, peephole_no_forget)."""
        peephole, forget_gate = LSTM_SWITCHES[variant]
        return cls(
            input_size,
            hidden_size,
            peephole=peephole,
            forget_gate=forget_gate,
            dtype=dtype,
            rng=rng,
        )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        peephole: bool = False,
        forget_gate: bool = True,
        dtype=np.float64,
        rng=0,
    ):
        super().__init__(input_size, hidden_size, dtype=dtype)
        self.peephole = boolean("peephole", peephole)
        self.forget_gate = boolean("forget_gate", forget_gate)
        self.gate_names = _GATES if self.forget_gate else _GATES[1:]
        self._n_sigmoid = len(self.gate_names) - 1
        sfx = [_SUFFIX[g] for g in self.gate_names]
        self.recurrent_weights = tuple(f"W_{s}" for s in sfx)
        self.input_weights = tuple(f"U_{s}" for s in sfx)
        self.biases = tuple(f"b_{s}" for s in sfx)
        self.peephole_weights = (
            tuple(f"V_{s}" for s in sfx[: self._n_sigmoid]) if self.peephole else ()
        )
        self.forget_gate_bias = "b_f" if self.forget_gate else None
        n, d = self.hidden_size, self.input_size
        self._allocate(
            {
                "W": (self.recurrent_weights, (n, n)),
                "U": (self.input_weights, (n, d)),
                "b": (self.biases, (n,)),
                "V": (self.peephole_weights, (n, n)),
            }
        )
        self._init_uniform(rng)

    # -- forward -------------------------------------------------------------------------

    def _forward(self, xs: np.ndarray, state0) -> Trace:
        T, B, _ = xs.shape
        n, ns = self.hidden_size, self._n_sigmoid
        k_i, k_o, k_c = ns - 2, ns - 1, ns  # blocks of i, o and c̃ (f is block 0)
        # One block for the trace's arrays (see gates.carve): the gate values A
        # (G, T, B, n), gate-major (see gates.py), the state histories s⁽⁰⁾ … s⁽ᵀ⁾
        # (T + 1, B, n) and tanh c⁽ᵗ⁾ (T, B, n).
        A, hs, cs, tanh_c = carve(
            self.dtype, (ns + 1, T, B, n), (T + 1, B, n), (T + 1, B, n), (T, B, n)
        )
        hs[0], cs[0] = state0
        # The steps run on Z (T, G, B, n), time-major: A starts as U x + b of every step
        # (one batched product), a step adds W h⁽ᵗ⁻¹⁾ to its blocks and turns them into
        # the gate values in place (σ' and tanh' are written from the outputs, so the
        # pre-activations are never needed again). Z is a view of A, or, for small blocks
        # (gates.CONTIGUOUS_STEPS), a contiguous copy in which a step's blocks are one
        # array, copied back at the end. The sigmoid gates' blocks hold s·z until σ is
        # applied (their weights enter prescaled, s = −1 in float64, ½ in float32; see
        # gates.step_product).
        input_projections(xs, self.fused["U"], self.fused["b"], n, sigmoid=ns, out=A)
        Z = A.transpose(1, 0, 2, 3)  # (T, G, B, n) view of A
        copied = B * n <= CONTIGUOUS_STEPS
        if copied:
            Z = np.ascontiguousarray(Z)
        W_op, rec, rec_blocks = step_product(self.fused["W"], n, B, sigmoid=ns)
        if self.peephole:
            V_op, peep, peep_blocks = step_product(self.fused["V"], n, B, sigmoid=ns)
        ic = np.empty((B, n), self.dtype)
        activate = gate_activations(self.dtype, ns)  # σ of f, i, o; tanh of c̃
        peephole, forget_gate = self.peephole, self.forget_gate
        for z, h_prev, h, c_prev, c, tc in zip(Z, hs[:-1], hs[1:], cs[:-1], cs[1:], tanh_c):
            np.matmul(h_prev, W_op, rec)
            z += rec_blocks
            if peephole:
                np.matmul(c_prev, V_op, peep)
                z[:ns] += peep_blocks
            activate(z)
            # c = f∘c_prev + i∘c̃   (c_prev + i∘c̃ without forget gate)
            np.multiply(z[k_i], z[k_c], ic)
            if forget_gate:
                np.multiply(z[0], c_prev, c)
                c += ic
            else:
                np.add(c_prev, ic, c)
            np.tanh(c, tc)
            np.multiply(z[k_o], tc, h)  # h = o∘tanh c
        if copied:
            A[...] = Z.transpose(1, 0, 2, 3)
        return Trace(
            xs,
            state0,
            {"h": hs[1:], "c": cs[1:]},
            dict(zip(self.gate_names, A)),
            {"gates": A, "tanh_c": tanh_c, "h_history": hs, "c_history": cs},
        )

    # -- backward ------------------------------------------------------------------------

    def _backward(self, trace: Trace, direct, final) -> Gradients:
        xs = trace.xs
        T, B, d = xs.shape
        n, ns = self.hidden_size, self._n_sigmoid
        nG = ns + 1
        k_i, k_o, k_c = ns - 2, ns - 1, ns
        A = gate_values(trace, self.gate_names)  # (G, T, B, n)
        tanh_c = trace.cache.get("tanh_c")
        if tanh_c is None:
            tanh_c = np.tanh(trace.c)
        h_prev = previous_states(trace, "h")
        c_prev = previous_states(trace, "c")

        W = self.fused["W"]  # (G·n, n)
        V = self.fused["V"] if self.peephole else None  # (S·n, n)
        # δZ time-major, (T, B, G·n): a step's row block is what multiplies W.
        dZ = np.empty((T, B, nG * n), self.dtype)
        dZ4 = dZ.reshape(T, B, nG, n)
        adj_h = np.empty_like(trace.h)
        adj_h[-1] = direct["h"][-1] if "h" in direct else 0.0
        adj_c = np.empty_like(adj_h)
        # A step's δz: for small blocks (gates.CONTIGUOUS_STEPS) formed in a contiguous
        # (G + 1, B, n) buffer and copied into δZ through its gate-major view in one pass
        # (forming it there directly costs each call short strided rows), its last block
        # the δc carried back to c⁽ᵗ⁻¹⁾, f∘δc (δc without forget gate), formed by the same
        # call as the gates' blocks; for larger ones formed in δZ directly.
        dz = np.empty((nG + 1, B, n), self.dtype)
        carry_c = dz[nG]
        carry_c[...] = 0.0
        if final is not None:
            adj_h[-1] += final[0]
            carry_c += final[1]
        dh_direct, dc_direct = direct.get("h"), direct.get("c")
        dh0 = np.empty((B, n), self.dtype)  # ∂L/∂h⁽⁰⁾
        peep = np.empty((B, n), self.dtype) if self.peephole else None
        # Every factor below depends on the forward pass's values only, so a chunk of steps
        # gets them in a few calls (see gates.reverse_chunks) and the loop over steps keeps
        # the products with the adjoints. F (m, G + 1, B, n) holds the factor of each
        # block, δz_g = δc ∘ F_g for f, i, c̃, δz_o = δh ∘ F_o and the carry δc ∘ f; K (m,
        # B, n) = o∘tanh'(c) carries δh into δc. A step's factors F[s] are one contiguous
        # block (a call on a non-contiguous view costs about 1 µs more) and each gate's
        # (B, n) block of them is contiguous for the calls that form them.
        chunks = reverse_chunks(T, (nG + 2) * B * n * self.dtype.itemsize)
        m_max = chunks[0][1] - chunks[0][0]
        F = np.empty((m_max, nG + 1, B, n), self.dtype)
        K = np.empty((m_max, B, n), self.dtype)
        dZg = dZ4.transpose(0, 2, 1, 3)  # (T, G, B, n) view of δZ
        dz_gates = dz[:nG]
        small = B * n <= CONTIGUOUS_STEPS
        for t0, t1 in chunks:
            m = t1 - t0
            a, tc, Kc = A[:, t0:t1], tanh_c[t0:t1], K[:m]
            Fc = F[:m].transpose(1, 0, 2, 3)  # (G + 1, m, B, n)
            tanh_prime(tc, out=Kc)
            Kc *= a[k_o]
            sigmoid_prime(a[:ns], out=Fc[:ns])
            if self.forget_gate:
                Fc[0] *= c_prev[t0:t1]  # δz_f = δc ∘ c_prev∘σ'(z_f)
                Fc[nG] = a[0]  # δc_prev = f∘δc
            else:
                Fc[nG] = 1.0  # the constant error carousel: ∂c/∂c_prev = I
            Fc[k_i] *= a[k_c]  # δz_i = δc ∘ c̃∘σ'(z_i)
            Fc[k_o] *= tc  # δz_o = δh ∘ tanh(c)∘σ'(z_o)
            tanh_prime(a[k_c], out=Fc[k_c])
            Fc[k_c] *= a[k_i]  # δz_c = δc ∘ i∘tanh'(z_c)
            for t in range(t1 - 1, t0 - 1, -1):
                # δc = δc_carried + δh ∘ o∘tanh'(c); every block and the carry from δc,
                # then o from δh
                s = t - t0
                dh, dc = adj_h[t], adj_c[t]
                np.multiply(dh, Kc[s], dc)
                dc += carry_c
                if dc_direct is not None:
                    dc += dc_direct[t]
                if small:  # every block and the carry in one call, then one copy
                    np.multiply(dc, F[s], dz)
                    np.multiply(dh, F[s, k_o], dz[k_o])
                    dZg[t] = dz_gates
                else:  # straight into δZ: rows of n numbers are long enough
                    np.multiply(dc, F[s, :nG], dZg[t])
                    np.multiply(dh, F[s, k_o], dZg[t, k_o])
                    np.multiply(dc, F[s, nG], carry_c)
                # δh_prev = δZ W (all gates, one product); δc_prev = f∘δc (+ δZ_σ V)
                np.matmul(dZ[t], W, back_target(adj_h, t, dh0))
                add_direct(adj_h, dh_direct, t)
                if V is not None:
                    np.matmul(dZ[t, :, : ns * n], V, peep)
                    carry_c += peep

        # The weights are shared by all steps: their gradients are sums over t, i.e.
        # single products of the stacked (T·B, ·) rows.
        dZ2 = flat(dZ)
        grads = {
            "W": dZ2.T @ flat(h_prev),
            "U": dZ2.T @ flat(xs),
            "b": column_sums(dZ2),
        }
        if self.peephole:
            grads["V"] = dZ2[:, : ns * n].T @ flat(c_prev)
        dxs = (dZ2 @ self.fused["U"]).reshape(T, B, d)
        return Gradients(dxs, (dh0, carry_c), self._grad_views(grads), {"h": adj_h, "c": adj_c})

    # -- state Jacobian ------------------------------------------------------------------

    def _state_jacobian(self, x, state):
        """J_ss (B, 2n, 2n) = [[∂h/∂h_prev, ∂h/∂c_prev], [∂c/∂h_prev, ∂c/∂c_prev]] and
        J_sx (B, 2n, d) = [[∂h/∂x], [∂c/∂x]], in closed form from one forward step."""
        tr = self._forward(x[None], state)
        c_prev = state[1]
        B = x.shape[0]
        n, ns = self.hidden_size, self._n_sigmoid
        k_i, k_o, k_c = ns - 2, ns - 1, ns
        A = tr.cache["gates"][:, 0]  # (G, B, n)
        tc = tr.cache["tanh_c"][0]
        # ∂c/∂z_g for each gate block (zero for o), and the two ways h depends on things.
        dc_dz = sigmoid_prime(A)
        if self.forget_gate:
            dc_dz[0] *= c_prev
        dc_dz[k_i] *= A[k_c]
        dc_dz[k_o] = 0.0
        tanh_prime(A[k_c], out=dc_dz[k_c])
        dc_dz[k_c] *= A[k_i]
        dh_dc = A[k_o] * tanh_prime(tc)
        dh_dzo = tc * sigmoid_prime(A[k_o])

        def through_gates(M):  # Σ_g diag(∂c/∂z_g) M_g, M stacked (blocks·n, m)
            k = M.shape[0] // n
            # Row i of the sum is Σ_g (∂c/∂z_g)_i M_g[i]: one (B, k) @ (k, m) product per row,
            # all rows as one batched matmul (einsum would not use BLAS here).
            d = dc_dz[:k].transpose(2, 1, 0)  # (n, B, k)
            rows = M.reshape(k, n, -1).transpose(1, 0, 2)  # (n, k, m)
            return np.matmul(d, rows).transpose(1, 0, 2)  # (B, n, m)

        W, U = self.fused["W"], self.fused["U"]
        d = self.input_size
        f = A[0] if self.forget_gate else np.ones_like(c_prev)
        o_rows = slice(k_o * n, (k_o + 1) * n)
        top, bottom = slice(0, n), slice(n, 2 * n)
        diagonal = np.arange(n)
        # The blocks are written straight into the outputs: at n = 128 each is 4 MB, and
        # building them apart and concatenating cost more than computing them.
        J_ss = np.zeros((B, 2 * n, 2 * n), self.dtype)
        J_sx = np.empty((B, 2 * n, d), self.dtype)

        def h_rows(out, dc_, dzo):  # ∂h/∂· = diag(o∘tanh'(c)) ∂c/∂· + diag(tanh c∘σ'(z_o)) ∂z_o/∂·
            np.multiply(dh_dc[:, :, None], dc_, out=out)
            out += diag_times(dh_dzo, dzo)

        dc_dh = through_gates(W)
        J_ss[:, bottom, top] = dc_dh
        h_rows(J_ss[:, top, top], dc_dh, W[o_rows])
        dc_dx = through_gates(U)
        J_sx[:, bottom] = dc_dx
        h_rows(J_sx[:, top], dc_dx, U[o_rows])
        if self.peephole:
            V = self.fused["V"]
            dc_dc = through_gates(V)
            dc_dc[:, diagonal, diagonal] += f
            J_ss[:, bottom, bottom] = dc_dc
            h_rows(J_ss[:, top, bottom], dc_dc, V[o_rows])
        else:  # ∂c/∂c⁽ᵗ⁻¹⁾ = diag(f) and z_o does not see c⁽ᵗ⁻¹⁾: both blocks are diagonal
            J_ss[:, n + diagonal, n + diagonal] = f
            J_ss[:, diagonal, n + diagonal] = dh_dc * f
        return J_ss, J_sx

    def __repr__(self) -> str:
        return (
            f"LSTM(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"peephole={self.peephole}, forget_gate={self.forget_gate})"
        )
