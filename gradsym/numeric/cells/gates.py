"""Algebra shared by the gated cells (LSTM and the GRU variants), written once.

Layout. The parameters of the G gate blocks are stacked (W: (G·n, n), U: (G·n, d)), so one
matrix product per step serves every gate. The gate *values* are kept gate-major,
A: (G, T, B, n), so that each gate of each step is one contiguous (B, n) block: NumPy's
elementwise loops are several times slower on the short rows of a (B, G·n) slice, and
``A[k]`` is the (T, B, n) trace of gate k without a copy.

Cost. At batch 1 a step is a few dozen NumPy calls on arrays of n numbers, and each call
costs about half a microsecond whatever it computes: the forward and backward loops
keep to the calls that need the state of the step (everything else is done for all
steps, or a chunk of steps, at once), use ``out=`` buffers allocated once, contiguous
operands, and typed constants. At large sizes the matrix products dominate.

The helpers below are the pieces every gated cell repeats:

* one allocation for all the arrays of a pass (:func:`carve`);
* the input projections U x⁽ᵗ⁾ + b of all steps, gate-major, in one call, the sigmoid
  gates' blocks prescaled (exactly: negated in float64, halved in float32) so that σ
  takes the fewest passes (:func:`~gradsym.lang.numpy_functions.sigmoid_of_prescaled`);
* the per-step product h⁽ᵗ⁻¹⁾ Wᵀ as gate-major blocks (:func:`step_product`);
* σ of the sigmoid gates and tanh of the candidate of a step, in place
  (:func:`gate_activations`);
* the previous states s⁽⁰⁾ … s⁽ᵀ⁻¹⁾ as a view of the state history s⁽⁰⁾ … s⁽ᵀ⁾;
* the chunks of steps in which the backward passes form their factors;
* σ' and tanh' from the stored outputs (σ' = σ(1 − σ), tanh' = 1 − tanh²);
* the convex combination a + w∘(b − a) (the GRU's interpolation, in either convention)
  and its derivatives;
* the batched products diag(v) M of the closed-form state Jacobians.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradsym.lang.numpy_functions import HALF, sigmoid_of_prescaled, sigmoid_prescale

#: Up to this many numbers per (B, n) block, the LSTM's loops run on contiguous copies of
#: a step's blocks (LSTM._forward, LSTM._backward): a NumPy call on several blocks T·B·n
#: apart, or on rows of n numbers, costs about a microsecond more, which matters next to
#: blocks this small; for larger ones, copying in and out costs more than it saves
#: (measured: the forward pass 10–20 % faster with the copy at B·n = 512 and 1024, 10 %
#: slower at 4096 and 8192).
CONTIGUOUS_STEPS = 2048


def carve(dtype: np.dtype, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Fresh C-contiguous arrays of the given shapes, all carved from one allocation
    (each starting on a 64-byte boundary).

    A pass's arrays live and die together (a trace's gate values, states and caches), and
    one block instead of several is what keeps their memory in the process between
    passes: glibc hands memory back to the system once the free memory at the top of its
    heap exceeds twice the largest block freed so far, and taking it back costs a page
    fault per 4 KiB (about 3 µs on a virtual machine, a third of a batch-32 LSTM step at
    n = 128, measured) where reusing it costs nothing.
    """
    align = 64 // np.dtype(dtype).itemsize
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    starts = []
    total = 0
    for k in sizes:
        starts.append(total)
        total += -(-k // align) * align
    buf = np.empty(total + align, dtype)
    skip = (-buf.ctypes.data % 64) // buf.itemsize  # first 64-byte boundary in buf
    return [buf[skip + o : skip + o + k].reshape(s) for o, k, s in zip(starts, sizes, shapes)]


def input_projections(
    xs: np.ndarray, U: np.ndarray, b: np.ndarray, n: int, sigmoid: int = 0, out=None
) -> np.ndarray:
    """U_g x⁽ᵗ⁾ + b_g for every gate block g and every step, gate-major; the first
    ``sigmoid`` blocks (the sigmoid gates') prescaled by
    :func:`~gradsym.lang.numpy_functions.sigmoid_prescale` (see :func:`step_product`).

    xs: (T, B, d), U: (G·n, d), b: (G·n,) → (G, T, B, n), C-contiguous (written into
    ``out`` when given), which the forward pass then completes in place into the gate
    values. One batched product: G matrix products of (T·B, d) by (d, n).
    """
    T, B, d = xs.shape
    G = U.shape[0] // n
    if out is None:
        out = np.empty((G, T, B, n), U.dtype)
    A = out.reshape(G, T * B, n)
    U = prescale_leading(U, sigmoid * n)
    np.matmul(xs.reshape(T * B, d), U.reshape(G, n, d).transpose(0, 2, 1), out=A)
    A += prescale_leading(b, sigmoid * n).reshape(G, 1, n)
    return out


def prescale_leading(M: np.ndarray, rows: int) -> np.ndarray:
    """``M`` with its first ``rows`` rows multiplied by the sigmoid prescale of its dtype
    (a copy; ``M`` itself when rows = 0)."""
    if not rows:
        return M
    out = M.copy()
    np.multiply(M[:rows], M.dtype.type(sigmoid_prescale(M.dtype)), out=out[:rows])
    return out


def step_product(
    M: np.ndarray, n: int, B: int, sigmoid: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a per-step product v Mᵀ (v: (B, m), M a stacked (K·n, m) weight) needs:
    ``(operand, out, blocks)`` with ``np.matmul(v, operand, out)`` leaving the K blocks
    v M_gᵀ in ``blocks``, a gate-major (K, B, n) view to add into the gate values; the
    first ``sigmoid`` blocks come out multiplied by the sigmoid prescale s.

    float32: ``operand`` is (K, m, n) with ``[g] = s M_gᵀ`` or ``M_gᵀ``, one product per
    block into a contiguous (K, B, n) ``out``, so that adding the blocks is one plain pass
    (the fused product's blocks are added through a strided view with one short inner
    loop per row) and OpenBLAS is faster on the blocks' narrower products (26 against
    42 µs at B = 32, n = 128). float64 keeps the fused (m, K·n) operand and (B, K·n)
    ``out``: OpenBLAS rounds the two forms differently in the last bit for some sizes
    (n = 33), and float64 results stay bit for bit the ones the committed figures were
    made with.

    The prescale is exact, s (v M_gᵀ) = v (s M_g)ᵀ bit for bit (s = −1 in float64, ½ in
    float32): the gated cells prescale their sigmoid gates so that σ takes the fewest
    passes (:func:`~gradsym.lang.numpy_functions.sigmoid_of_prescaled`).
    """
    K, m = M.shape[0] // n, M.shape[1]
    blocks_T = M.reshape(K, n, m).transpose(0, 2, 1)  # (K, m, n), [g] = M_gᵀ
    if M.dtype == np.float32:
        operand = np.empty((K, m, n), M.dtype)
        out = np.empty((K, B, n), M.dtype)
        blocks = out
    else:
        operand = np.empty((m, K, n), M.dtype).transpose(1, 0, 2)  # a (K, m, n) view
        out = np.empty((B, K * n), M.dtype)
        blocks = as_blocks(out, n)
    scale = M.dtype.type(sigmoid_prescale(M.dtype))
    np.multiply(blocks_T[:sigmoid], scale, out=operand[:sigmoid])
    operand[sigmoid:] = blocks_T[sigmoid:]
    if M.dtype != np.float32:
        operand = operand.transpose(1, 0, 2).reshape(m, K * n)
    return operand, out, blocks


def gate_activations(dtype: np.dtype, sigmoid: int) -> Callable[[np.ndarray], None]:
    """``activate(z)``: a step's gate values from its pre-activations z (G, B, n),
    contiguous, in place: σ of the first ``sigmoid`` blocks (prescaled, see
    :func:`step_product`) and tanh of the rest. Made once per pass, with the dtype's
    constants at hand: the loop calls it every step.

    float32: one tanh pass covers every block (σ(z) = ½ + ½ tanh(z/2), the σ blocks
    holding z/2), then two passes finish the σ blocks. float64: σ from e^(−z)
    (:func:`~gradsym.lang.numpy_functions.sigmoid_of_negated`), then tanh."""
    if np.dtype(dtype) == np.float32:
        half = HALF[np.dtype(np.float32)]

        def activate(z: np.ndarray) -> None:
            np.tanh(z, z)
            gates = z[:sigmoid]
            np.multiply(gates, half, gates)
            np.add(gates, half, gates)

        return activate

    def activate(z: np.ndarray) -> None:
        sigmoid_of_prescaled(z[:sigmoid])
        np.tanh(z[sigmoid:], z[sigmoid:])

    return activate


def as_blocks(stacked: np.ndarray, n: int) -> np.ndarray:
    """The (K, B, n) view of a (B, K·n) product, block k = ``stacked[:, k·n:(k+1)·n]``:
    ``A[:K, t] += as_blocks(rec, n)`` adds a step's fused product h⁽ᵗ⁻¹⁾ Wᵀ into the
    gate-major values. Taken once before the loop on the reused product buffer."""
    B, Kn = stacked.shape
    return stacked.reshape(B, Kn // n, n).transpose(1, 0, 2)


def previous_states(trace, name: str) -> np.ndarray:
    """s⁽⁰⁾ … s⁽ᵀ⁻¹⁾ for state ``name``, (T, B, n): a view of the forward pass's history
    buffer when the trace has one, else assembled from ``state0`` and the states."""
    buf = trace.cache.get(f"{name}_history")
    if buf is not None:
        return buf[:-1]
    k = tuple(trace.states).index(name)
    return np.concatenate([trace.state0[k][None], trace.states[name][:-1]], axis=0)


# The backward passes form the factors that depend only on the forward pass's values (σ'
# and tanh' times a gate, say) a chunk of steps at a time, in a few calls over the whole
# chunk, so that the loop over steps keeps only the calls that need the adjoints flowing
# back. A chunk's factors are kept to about this many bytes so that they stay in the core's
# cache between being formed and being read.
CHUNK_BYTES = 1 << 19


def reverse_chunks(T: int, bytes_per_step: int) -> list[tuple[int, int]]:
    """Steps 0 … T − 1 cut into chunks [t0, t1) of at most ``CHUNK_BYTES //
    bytes_per_step`` steps (at least one), the last chunk first, as backward passes
    visit them."""
    m = max(1, min(T, CHUNK_BYTES // max(bytes_per_step, 1)))
    return [(max(t1 - m, 0), t1) for t1 in range(T, 0, -m)]


def column_sums(M: np.ndarray) -> np.ndarray:
    """Σ over the rows of M (R, C) → (C,): a bias gradient, summed over every step and
    sequence. float32: one product with a vector of ones (BLAS, several times faster than
    NumPy's reduction along the first axis); float64: ``M.sum(axis=0)``, whose order of
    additions the float64 results have always had."""
    if M.dtype == np.float32:
        return np.ones(M.shape[0], M.dtype) @ M
    return M.sum(axis=0)


def back_target(adj: np.ndarray, t: int, first: np.ndarray) -> np.ndarray:
    """Where the backward loop's step t writes what flows back to h⁽ᵗ⁻¹⁾: the adjoint
    ``adj[t − 1]`` itself (its own loss term is added after, see :func:`add_direct`), or
    ``first`` at t = 0, which then holds ∂L/∂h⁽⁰⁾."""
    return adj[t - 1] if t > 0 else first


def add_direct(adj: np.ndarray, direct: np.ndarray | None, t: int) -> None:
    """adj[t − 1] += direct[t − 1]: h⁽ᵗ⁻¹⁾'s own loss term joins what flowed back into
    it (:func:`back_target`); nothing at t = 0 or without per-step loss terms."""
    if t > 0 and direct is not None:
        adj[t - 1] += direct[t - 1]


def sigmoid_prime(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) from the stored gate value a = σ(z)."""
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def tanh_prime(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z) from the stored value a = tanh(z)."""
    out = np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def lerp(a: np.ndarray, b: np.ndarray, w: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(1 − w)∘a + w∘b, computed as a + w∘(b − a) (three passes, no temporary).

    ∂/∂a = diag(1 − w), ∂/∂b = diag(w), ∂/∂w = diag(b − a). ``out`` must not alias
    ``a`` or ``w``.
    """
    np.subtract(b, a, out=out)
    out *= w
    out += a
    return out


def diag_times(v: np.ndarray, M: np.ndarray) -> np.ndarray:
    """diag(v) M for a batch: v (B, n), M (n, m) or (B, n, m) → (B, n, m)."""
    return v[:, :, None] * M


def gate_values(trace, names: tuple[str, ...]) -> np.ndarray:
    """The gate-major values (G, T, B, n) of a trace: the forward pass's own array when
    the trace has it, else stacked from ``trace.gates``."""
    A = trace.cache.get("gates")
    if A is None:
        A = np.stack([trace.gates[g] for g in names])
    return A


def flat(a: np.ndarray) -> np.ndarray:
    """(T, B, m) → (T·B, m) without a copy when ``a`` is contiguous: the stacked rows
    of all steps, whose products give the weight gradients summed over time at once."""
    return a.reshape(-1, a.shape[-1])
