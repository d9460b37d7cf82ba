"""Initialisers for recurrent weights: primitives on shapes, and :func:`initialise` for a cell.

Why they matter for vanishing/exploding gradients: in the linear case the gradient
between steps i and j is multiplied by W_hˡ (ℓ = i − j), so the spectrum of the recurrent
matrix at the start of training decides whether it vanishes (spectral radius < 1) or
explodes (> 1). The schemes here:

- :func:`orthogonal` — all singular values equal ``gain``; with gain 1, ‖Qˡx‖ = ‖x‖ for
  every ℓ (Saxe, McClelland & Ganguli 2014).
- :func:`identity` — gain·I, the IRNN of Le, Jaitly & Hinton 2015 (with ReLU the
  linear-case product is I).
- :func:`scaled_gaussian` — the "basic" initialisation, N(0, std²) entries, default
  std = 1/√fan_in.
- :func:`torch_uniform` — PyTorch's default for its RNN modules, U(−1/√n, 1/√n).
- :func:`sparse` — a fixed number of non-zero incoming weights per unit, the matrix
  rescaled to a spectral radius (0.95 by default): the sparse initialisation of Pascanu,
  Mikolov & Bengio 2013 (after Martens 2010 and Sutskever et al. 2013).
- :func:`set_spectral_radius`, :func:`set_spectral_norm` — rescale a matrix so its
  spectral radius max|λᵢ| (resp. largest singular value σ₁) is exactly the given value
  (the ρ = 0.95 of Pascanu, Mikolov & Bengio 2013, or σ₁ < 1/γ of the notes' bound).

Every random primitive takes an explicit ``rng`` (a ``numpy.random.Generator``), never
global state, and returns a new array; :func:`initialise` writes into a cell's
parameters in place.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from gradsym.errors import InvalidValueError, ShapeError, unknown_name
from gradsym.validate import (
    as_dtype,
    check_finite,
    number,
    positive_int,
    positive_number,
)

__all__ = [
    "INPUT_SCHEMES",
    "RECURRENT_SCHEMES",
    "identity",
    "initialise",
    "orthogonal",
    "scaled_gaussian",
    "set_spectral_norm",
    "set_spectral_radius",
    "sparse",
    "spectral_radius",
    "torch_uniform",
]


# -- checks -------------------------------------------------------------------------------


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InvalidValueError(
            "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _check_shape(shape) -> tuple[int, int]:
    if isinstance(shape, (int, np.integer)) or len(shape) != 2:
        raise ShapeError(f"shape must be a 2-tuple (rows, cols), got {shape!r}")
    return positive_int("shape[0]", shape[0]), positive_int("shape[1]", shape[1])


def _check_gain(gain) -> float:
    return positive_number("gain", gain)


def _check_matrix(name: str, W, *, square: bool) -> np.ndarray:
    W = np.asarray(W)
    if W.dtype.kind != "f":
        W = W.astype(np.float64)
    if W.ndim != 2 or (square and W.shape[0] != W.shape[1]):
        want = "a square matrix (n, n)" if square else "a matrix (rows, cols)"
        raise ShapeError(f"{name} must be {want}, got shape {W.shape}")
    if W.size == 0:
        raise ShapeError(f"{name} must not be empty, got shape {W.shape}")
    check_finite(name, W, "(i, j)")
    return W


# -- primitives ---------------------------------------------------------------------------


def orthogonal(shape, rng: np.random.Generator, gain: float = 1.0, *, dtype=np.float64):
    """A random (semi-)orthogonal matrix times ``gain``, drawn from the Haar measure.

    Q R = A with A ~ N(0, 1)^(rows×cols) (of the transpose when rows < cols), then
    Q ← Q diag(sign(diag R)). Without the sign correction the QR routine's sign choice
    biases Q (LAPACK makes diag R ≤ 0 for the first column, say); with it Q is uniform
    over the orthogonal group (Mezzadri 2007). Square: QᵀQ = QQᵀ = I, every eigenvalue
    has modulus 1 and ‖Qˡx‖ = ‖x‖. Rectangular: orthonormal columns (rows ≥ cols) or
    rows (rows < cols), as ``torch.nn.init.orthogonal_``.

    Reference: A. Saxe, J. McClelland, S. Ganguli, "Exact solutions to the nonlinear
    dynamics of learning in deep linear neural networks", ICLR 2014.

    Returns an array of ``shape`` (rows, cols) whose singular values are all ``gain``.
    """
    rows, cols = _check_shape(shape)
    rng = _check_rng(rng)
    g = _check_gain(gain)
    dt = as_dtype(dtype)
    flip = rows < cols
    a = rng.standard_normal((cols, rows) if flip else (rows, cols))
    q, r = np.linalg.qr(a)  # q: (max, min) with orthonormal columns
    d = np.sign(np.diag(r))
    d[d == 0] = 1.0  # a zero pivot has probability 0; keep Q orthogonal if it happens
    q = q * d
    if flip:
        q = q.T
    return (g * q).astype(dt, copy=False)


def identity(n: int, gain: float = 1.0, *, dtype=np.float64) -> np.ndarray:
    """gain · I_n: the IRNN initialisation of the recurrent matrix.

    With ReLU and W_h = I the recurrent map starts as the identity, so in the linear
    regime ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = I and gradients neither vanish nor explode.

    Reference: Q. Le, N. Jaitly, G. Hinton, "A simple way to initialize recurrent
    networks of rectified linear units", arXiv:1504.00941, 2015.
    """
    n = positive_int("n", n)
    return np.eye(n, dtype=as_dtype(dtype)) * _check_gain(gain)


def scaled_gaussian(
    shape, rng: np.random.Generator, std: float | None = None, *, dtype=np.float64
) -> np.ndarray:
    """The "basic" initialisation: entries i.i.d. N(0, std²).

    Default ``std = 1/√fan_in`` with fan_in = cols (W multiplies a column vector of
    length cols, so each output sums cols terms and has variance ≈ 1 for unit inputs).
    For a square n×n matrix the spectral radius is then ≈ 1 for large n (circular law).
    """
    rows, cols = _check_shape(shape)
    rng = _check_rng(rng)
    s = 1.0 / math.sqrt(cols) if std is None else positive_number("std", std)
    return (s * rng.standard_normal((rows, cols))).astype(as_dtype(dtype), copy=False)


def torch_uniform(
    shape, rng: np.random.Generator, hidden_size: int, *, dtype=np.float64
) -> np.ndarray:
    """PyTorch's default for ``nn.RNN/LSTM/GRU``: entries i.i.d. U(−1/√n, 1/√n), n = hidden_size.

    ``shape`` is any tuple of positive sizes (a bias (n,) too).
    """
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(positive_int(f"shape[{i}]", s) for i, s in enumerate(shape))
    rng = _check_rng(rng)
    bound = 1.0 / math.sqrt(positive_int("hidden_size", hidden_size))
    return rng.uniform(-bound, bound, size=shape).astype(as_dtype(dtype), copy=False)


#: Non-zero incoming weights per unit of :func:`sparse` (Martens 2010; Pascanu et al. 2013).
SPARSE_NONZEROS = 15
#: The spectral radius :func:`sparse` rescales to (Pascanu et al. 2013, their code's 0.95).
SPARSE_SPECTRAL_RADIUS = 0.95


def sparse(
    shape,
    rng: np.random.Generator,
    nonzeros: int = SPARSE_NONZEROS,
    spectral_radius: float | None = SPARSE_SPECTRAL_RADIUS,
    *,
    dtype=np.float64,
) -> np.ndarray:
    """The sparse initialisation: every unit (row i of W, z_i = Σ_j W_ij h_j) gets exactly
    ``nonzeros`` non-zero incoming weights, at uniformly chosen columns, drawn from
    N(0, 1); a square matrix is then rescaled to ``spectral_radius`` ρ (None: not
    rescaled, only possible for a rectangular matrix or when asked).

    Fixing the fan-in rather than the density keeps each unit's input scale independent
    of n; the rescaling puts the linear-case product W_hˡ at the edge of vanishing
    (ρ = 0.95 < 1).

    Reference: R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training
    recurrent neural networks", ICML 2013 (the sparse initialisation of their
    experiments: 15 non-zeros per unit, spectral radius 0.95 in their code); J. Martens,
    "Deep learning via Hessian-free optimization", ICML 2010.

    Raises InvalidValueError when ``nonzeros`` exceeds the number of columns, or when
    the drawn matrix has spectral radius zero (it can, with very few non-zeros: a
    nilpotent pattern) and cannot be rescaled.
    """
    rows, cols = _check_shape(shape)
    rng = _check_rng(rng)
    k = positive_int("nonzeros (per unit)", nonzeros)
    if k > cols:
        raise InvalidValueError(
            f"nonzeros (per unit) must be at most the {cols} inputs of each unit, got {k}"
        )
    W = np.zeros((rows, cols))
    for i in range(rows):
        W[i, rng.permutation(cols)[:k]] = rng.standard_normal(k)
    if spectral_radius is not None:
        if rows != cols:
            raise ShapeError(f"a spectral radius needs a square matrix, got shape {(rows, cols)}")
        W = set_spectral_radius(W, spectral_radius)
    return W.astype(as_dtype(dtype), copy=False)


def spectral_radius(W) -> float:
    """ρ(W) = max |λᵢ(W)| of a square matrix."""
    W = _check_matrix("W", W, square=True)
    return float(np.max(np.abs(np.linalg.eigvals(W.astype(np.float64)))))


def set_spectral_radius(W, rho: float) -> np.ndarray:
    """W · ρ / ρ(W): a copy of the square matrix W rescaled to spectral radius ``rho``.

    Eigenvalues scale linearly (λᵢ(cW) = c λᵢ(W)), so the result has spectral radius
    ``rho`` up to rounding. A matrix whose spectral radius is zero (the zero matrix, a
    nilpotent matrix) cannot be rescaled: its radius is zero "to working precision"
    when below n·ε·‖W‖₂, and that raises InvalidValueError.
    """
    W = _check_matrix("W", W, square=True)
    target = positive_number("rho", rho)
    Wf = W.astype(np.float64)
    radius = float(np.max(np.abs(np.linalg.eigvals(Wf))))
    scale = float(np.linalg.norm(Wf, 2))
    if radius <= W.shape[0] * np.finfo(np.float64).eps * scale or radius == 0.0:
        raise InvalidValueError(
            f"W has spectral radius {radius:.3g} (zero to working precision; the zero "
            "matrix or a nilpotent one), so it cannot be rescaled to a spectral radius"
        )
    return (Wf * (target / radius)).astype(W.dtype, copy=False)


def set_spectral_norm(W, sigma: float) -> np.ndarray:
    """W · σ / σ₁(W): a copy of W rescaled so its largest singular value is ``sigma``.

    Defined for rectangular matrices too (σ₁ is the operator 2-norm). The notes' bound
    (Pascanu et al. 2013): vanishing is guaranteed when σ₁(W_h) < 1/γ. The zero matrix
    raises InvalidValueError.
    """
    W = _check_matrix("W", W, square=False)
    target = positive_number("sigma", sigma)
    Wf = W.astype(np.float64)
    s1 = float(np.linalg.norm(Wf, 2))
    if s1 == 0.0:
        raise InvalidValueError("W is the zero matrix, so it cannot be rescaled to a spectral norm")
    return (Wf * (target / s1)).astype(W.dtype, copy=False)


# -- cell level ---------------------------------------------------------------------------


class CellLike(Protocol):
    """What :func:`initialise` needs of a cell (gradsym's RNN, LSTM and GRU have it)."""

    params: dict[str, np.ndarray]
    hidden_size: int
    input_size: int
    dtype: np.dtype
    recurrent_weights: tuple[str, ...]
    input_weights: tuple[str, ...]
    biases: tuple[str, ...]
    peephole_weights: tuple[str, ...]
    forget_gate_bias: str | None
    update_gate_bias: str | None
    update_gate_sign: float | None


RECURRENT_SCHEMES = ("orthogonal", "identity", "gaussian", "uniform", "sparse")
INPUT_SCHEMES = ("orthogonal", "gaussian", "uniform")
BIAS_SCHEMES = ("zeros", "uniform")


def _matrix(
    scheme: str, shape, rng, gain: float, hidden_size: int, nonzeros: int = SPARSE_NONZEROS
) -> np.ndarray:
    if scheme == "sparse":  # rescaled to a spectral radius afterwards, gain has no effect
        return sparse(shape, rng, nonzeros, spectral_radius=None)
    if scheme == "orthogonal":
        return orthogonal(shape, rng, gain)
    if scheme == "identity":
        return identity(shape[0], gain)
    if scheme == "gaussian":
        return scaled_gaussian(shape, rng, gain / math.sqrt(shape[1]))
    return gain * torch_uniform(shape, rng, hidden_size)


def _diagonal(scheme: str, shape, rng, gain: float, hidden_size: int) -> np.ndarray:
    """A diagonal recurrent weight (a vector w, the matrix diag(w)) in the scheme of the
    dense ones: orthogonal → random signs ±gain (the diagonal orthogonal matrices),
    identity → gain, gaussian → N(0, (gain/√n)²), uniform → gain · U(−1/√n, 1/√n)."""
    if scheme == "orthogonal":
        return gain * rng.choice([-1.0, 1.0], size=shape)
    if scheme == "identity":
        return np.full(shape, gain)
    if scheme == "gaussian":
        return scaled_gaussian(shape, rng, gain / math.sqrt(hidden_size))
    return gain * torch_uniform(shape, rng, hidden_size)


def initialise(
    cell: CellLike,
    recurrent: str = "orthogonal",
    input: str = "uniform",  # the counterpart of `recurrent`; shadowing input() is harmless
    *,
    rng: np.random.Generator,
    gain: float = 1.0,
    input_gain: float = 1.0,
    bias: str = "zeros",
    forget_bias: float | None = None,
    update_bias: float | None = None,
    spectral_radius: float | None = None,
    spectral_norm: float | None = None,
    nonzeros: int = SPARSE_NONZEROS,
) -> CellLike:
    """Initialise every parameter of ``cell`` in place and return the cell.

    Recurrent matrices (each (n, n) block of ``cell.recurrent_weights`` separately, one
    per gate — an orthogonal stacked 4n×n matrix would leave each gate's block far from
    orthogonal):

    - ``"orthogonal"``: gain · Q, Q Haar-orthogonal (Saxe et al. 2014);
    - ``"identity"``: gain · I (Le et al. 2015);
    - ``"gaussian"``: N(0, (gain/√n)²) entries;
    - ``"uniform"``: gain · U(−1/√n, 1/√n) (PyTorch's default);
    - ``"sparse"``: ``nonzeros`` non-zero N(0, 1) weights per unit (:func:`sparse`;
      Pascanu et al. 2013), rescaled to spectral radius 0.95 unless ``spectral_radius``
      or ``spectral_norm`` says otherwise (``gain`` has no effect).

    Then, if given, each block is rescaled to ``spectral_radius`` ρ or ``spectral_norm``
    σ₁ (not both).

    Input matrices (n, d) of ``cell.input_weights``: ``"orthogonal"`` (semi-orthogonal),
    ``"gaussian"`` (std input_gain/√d) or ``"uniform"`` (input_gain · U(−1/√n, 1/√n)).

    Biases: ``bias="zeros"`` or ``"uniform"`` (U(−1/√n, 1/√n)); then

    - ``forget_bias`` b sets the LSTM's forget-gate bias b_f = b (a large positive b
      makes f ≈ 1, so the cell path ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f) carries gradient);
    - ``update_bias`` a says how strongly the GRU's identity (carry) path is opened:
      textbook/minimal GRU (h = (1−u)∘h⁽ᵗ⁻¹⁾ + u∘h̃) gets b_u = −a, PyTorch's GRU
      (h = (1−z)∘n + z∘h⁽ᵗ⁻¹⁾) gets b_z = +a. Either way a large positive a makes the
      carry coefficient ≈ 1 and ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ ≈ I.

    Diagonal recurrent weights (``cell.diagonal_weights`` of a declared cell: IndRNN's w,
    a diagonal recurrence's λ) follow ``recurrent`` as diagonal matrices (orthogonal: random
    signs; identity: gain; rescaled so that max |w_i| is the radius or norm asked for).

    Peephole weights (``cell.peephole_weights``) start at zero, so the peephole LSTM
    starts as the plain LSTM.

    Random numbers are drawn in a fixed order (recurrent blocks, input blocks, biases,
    each in the cell's name order), so the same ``rng`` state gives the same cell.

    Raises:
        UnknownNameError: an unknown scheme name.
        InvalidValueError: gain/input_gain ≤ 0; both spectral_radius and spectral_norm;
            forget_bias for a cell without a forget gate; update_bias for a cell without
            an update gate on the identity path; non-finite biases; an rng that is not a
            Generator.
    """
    if recurrent not in RECURRENT_SCHEMES:
        raise unknown_name("recurrent initialiser", recurrent, RECURRENT_SCHEMES)
    if input not in INPUT_SCHEMES:
        raise unknown_name("input initialiser", input, INPUT_SCHEMES)
    if bias not in BIAS_SCHEMES:
        raise unknown_name("bias initialiser", bias, BIAS_SCHEMES)
    rng = _check_rng(rng)
    g = _check_gain(gain)
    g_in = positive_number("input_gain", input_gain)
    if spectral_radius is not None and spectral_norm is not None:
        raise InvalidValueError(
            "give spectral_radius or spectral_norm, not both "
            f"(got {spectral_radius!r} and {spectral_norm!r})"
        )
    rho = None if spectral_radius is None else positive_number("spectral_radius", spectral_radius)
    sig = None if spectral_norm is None else positive_number("spectral_norm", spectral_norm)
    if recurrent == "sparse":
        nonzeros = positive_int("nonzeros (per unit)", nonzeros)
        if rho is None and sig is None:
            rho = SPARSE_SPECTRAL_RADIUS
    if forget_bias is not None:
        if cell.forget_gate_bias is None:
            raise InvalidValueError(
                f"forget_bias was given but {type(cell).__name__} has no forget gate "
                "(forget_gate_bias is None)"
            )
        forget_bias = number("forget_bias", forget_bias)
    carry_sign = None
    if update_bias is not None:
        name = cell.update_gate_bias
        if name is None:
            raise InvalidValueError(
                f"update_bias was given but {type(cell).__name__} has no update gate on "
                "the identity path (update_gate_bias is None)"
            )
        # the cell knows which sign opens its carry path (the GRU's two conventions)
        carry_sign = getattr(cell, "update_gate_sign", None)
        if carry_sign is None:
            raise InvalidValueError(
                f"update_bias was given but {type(cell).__name__} does not say which sign of "
                f"{name} opens its carry path (update_gate_sign is None)"
            )
        update_bias = number("update_bias", update_bias)

    n = cell.hidden_size
    for name in cell.recurrent_weights:
        W = _matrix(recurrent, cell.params[name].shape, rng, g, n, nonzeros)
        if rho is not None:
            W = set_spectral_radius(W, rho)
        elif sig is not None:
            W = set_spectral_norm(W, sig)
        cell.params[name][...] = W
    for name in cell.input_weights:
        cell.params[name][...] = _matrix(input, cell.params[name].shape, rng, g_in, n)
    for name in cell.biases:
        target = cell.params[name]
        target[...] = 0.0 if bias == "zeros" else torch_uniform(target.shape, rng, n)
    for name in getattr(cell, "diagonal_weights", ()):
        w = _diagonal(recurrent, cell.params[name].shape, rng, g, n)
        if rho is not None or sig is not None:  # for a diagonal both are max |w_i|
            w = w * ((rho if rho is not None else sig) / max(float(np.abs(w).max()), 1e-300))
        cell.params[name][...] = w
    for name in cell.peephole_weights:
        cell.params[name][...] = 0.0
    if forget_bias is not None:
        cell.params[cell.forget_gate_bias][...] = forget_bias
    if update_bias is not None:
        cell.params[cell.update_gate_bias][...] = carry_sign * update_bias
    return cell
