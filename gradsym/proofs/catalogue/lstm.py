"""The LSTM (notes 001, 000, 004) and its peephole form (notes 003).

f = σ(z_f), z_f = W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾ + b_f, and likewise i, o; c̃ = tanh(z_c);
c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃, h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾; the state is s = [h; c]. Each derivation
prints these equations (from the symbolic cell) and checks against them and against the
NumPy LSTM.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import HadamardProduct as Had
from sympy import Identity as I_
from sympy import MatAdd, MatMul, OneMatrix, ZeroMatrix

from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN as NumpyRNN
from gradsym.numeric.optim.initialisers import initialise
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.functions import sigmoid

from ..checks import Exact, Sampled
from ..claim import Claim, Condition, Step
from ..evaluate import Model, Unbound
from ..models import (
    CellModel,
    counting_model,
    exact_cell,
    exact_unrolled,
    float_cell,
    numpy_unrolled,
)
from ..notation import (
    Decimal,
    FloatRound,
    MaxOver,
    MinEntry,
    MinOver,
    Norm,
    OrderedProduct,
    ParamCount,
    Partial,
    T,
    d,
    family,
    n,
    t,
)
from .common import Apply, Diag, S, c, f, h, jacobian_step

SECTION = "LSTM"
STANDARD = get_cell("lstm", "standard")
NO_FORGET = get_cell("lstm", "no_forget")
PEEPHOLE = get_cell("lstm", "peephole")


# -- the compact blocks, as a lecturer writes them ---------------------------------------------------


def dc_dh(cell):
    """∂c/∂h⁽ᵗ⁻¹⁾ = diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) W_f + diag(c̃∘σ'(z_i)) W_i + diag(i∘tanh'(z_c)) W_c."""
    W_i, W_c, c_prev, c_tilde, i_, z_i, z_c = S(
        cell, "W_i", "W_c", "c_prev", "c_tilde", "i", "z_i", "z_c"
    )
    terms = [
        MatMul(Diag(Had(c_tilde, Apply("sigmoid'", z_i))), W_i),
        MatMul(Diag(Had(i_, Apply("tanh'", z_c))), W_c),
    ]
    if "f" in cell.vectors:
        W_f, z_f = S(cell, "W_f", "z_f")
        terms.insert(0, MatMul(Diag(Had(c_prev, Apply("sigmoid'", z_f))), W_f))
    return MatAdd(*terms)


def dc_dc(cell):
    """∂c/∂c⁽ᵗ⁻¹⁾ = diag(f) (I without a forget gate) [+ peephole terms]."""
    size = S(cell, "c_prev").shape[0]
    terms = [Diag(S(cell, "f")) if "f" in cell.vectors else I_(size)]
    if "peephole" in cell.variant:
        c_prev, c_tilde, z_i, V_i = S(cell, "c_prev", "c_tilde", "z_i", "V_i")
        if "f" in cell.vectors:
            z_f, V_f = S(cell, "z_f", "V_f")
            terms.append(MatMul(Diag(Had(c_prev, Apply("sigmoid'", z_f))), V_f))
        terms.append(MatMul(Diag(Had(c_tilde, Apply("sigmoid'", z_i))), V_i))
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


def _through_h(cell, inner, gate_weight):
    """∂h/∂· = diag(o∘tanh'(c)) ∂c/∂· + diag(tanh(c)∘σ'(z_o)) ∂z_o/∂·."""
    o, c_, z_o = S(cell, "o", "c", "z_o")
    first = MatMul(Diag(Had(o, Apply("tanh'", c_))), inner)
    if gate_weight is None:
        return first
    return MatAdd(first, MatMul(Diag(Had(Apply("tanh", c_), Apply("sigmoid'", z_o))), gate_weight))


def dh_dh(cell):
    return _through_h(cell, dc_dh(cell), S(cell, "W_o"))


def dh_dc(cell):
    if "peephole" in cell.variant:
        return _through_h(cell, dc_dc(cell), S(cell, "V_o"))
    o, c_, f_ = S(cell, "o", "c", "f")
    return Diag(Had(o, Apply("tanh'", c_), f_))  # the notes' form: one diag


lstm_jacobians = Claim(
    id="lstm-jacobians",
    title="The LSTM's four state-Jacobian blocks",
    statement="All four blocks of ∂(h⁽ᵗ⁾, c⁽ᵗ⁾)/∂(h⁽ᵗ⁻¹⁾, c⁽ᵗ⁻¹⁾), in compact matrix form.",
    assumptions=("the standard LSTM of CS224n (no peepholes)",),
    steps=(
        jacobian_step(
            "lstm", "standard", "c", "h_prev", dc_dh, "chain rule, d(a∘b) = diag(b)da + diag(a)db"
        ),
        jacobian_step(
            "lstm", "standard", "c", "c_prev", dc_dc, "c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃: d(f∘c) = diag(f) dc"
        ),
        jacobian_step("lstm", "standard", "h", "h_prev", dh_dh, "chain rule through c⁽ᵗ⁾ and o"),
        jacobian_step("lstm", "standard", "h", "c_prev", dh_dc, "chain rule through c⁽ᵗ⁾"),
    ),
    sources=("001", "000", "004"),
    section=SECTION,
    cells=(STANDARD,),
)


# -- the cell path ---------------------------------------------------------------------------------------

m_, r_, s_ = (sp.Symbol(x, integer=True, positive=True) for x in ("m", "r", "s"))
d_sym = sp.Symbol("d", integer=True, positive=True)
IB = {
    name: sp.IndexedBase(name)
    for name in ("c", "c_prev", "f", "i", "c_tilde", "h_prev", "x", "z_f", "z_i", "z_c")
}
IW = {
    name: sp.IndexedBase(name)
    for name in ("W_f", "U_f", "b_f", "W_i", "U_i", "b_i", "W_c", "U_c", "b_c")
}


def _affine_index(g: str):
    return (
        sp.Sum(IW[f"W_{g}"][m_, s_] * IB["h_prev"][s_], (s_, 1, n))
        + sp.Sum(IW[f"U_{g}"][m_, s_] * IB["x"][s_], (s_, 1, d_sym))
        + IW[f"b_{g}"][m_]
    )


CELL_PATH_INDEX = (
    (IB["z_f"][m_], _affine_index("f")),
    (IB["z_i"][m_], _affine_index("i")),
    (IB["z_c"][m_], _affine_index("c")),
    (IB["f"][m_], sigmoid(IB["z_f"][m_])),
    (IB["i"][m_], sigmoid(IB["z_i"][m_])),
    (IB["c_tilde"][m_], sp.tanh(IB["z_c"][m_])),
    (IB["c"][m_], IB["f"][m_] * IB["c_prev"][m_] + IB["i"][m_] * IB["c_tilde"][m_]),
)


def _index_free(key, ev):
    if isinstance(key, sp.Indexed):
        return key
    raise Unbound(f"no value for {key}")


def _multistep_exact():
    model = exact_unrolled(STANDARD, 2, 2, 2)
    model.values[t] = 1
    yield model


def _multistep_float(rng):
    model = numpy_unrolled(STANDARD, rng, 2, 3, 2)
    model.values[t] = 1
    return model


lstm_cell_path = Claim(
    id="lstm-cell-path",
    title="The cell path: ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾)",
    statement="∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾) on the direct path.",
    assumptions=("no peephole connections (the gates do not see c⁽ᵗ⁻¹⁾)",),
    steps=(
        jacobian_step("lstm", "standard", "c", "c_prev", dc_dc, "c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃"),
        Step(
            sp.Derivative(IB["c"][m_], IB["c_prev"][r_]),
            "=",
            IB["f"][m_] * sp.KroneckerDelta(m_, r_),
            "index notation, every n; δ is the Kronecker delta",
            checks=(
                Exact(
                    lambda: [
                        Model({}, free=(m_, r_, n, d_sym), resolve=_index_free, label="every n")
                    ],
                    "index notation, n and d symbolic",
                ),
            ),
        ),
        Step(
            Partial(c(t + 1), c(t - 1)),
            "=",
            MatAdd(
                MatMul(Partial(c(t + 1), c(t)), Partial(c(t), c(t - 1))),
                MatMul(Partial(c(t + 1), h(t)), Partial(h(t), c(t - 1))),
            ),
            "chain rule through the state [h⁽ᵗ⁾; c⁽ᵗ⁾]",
            checks=(
                Exact(_multistep_exact, "symbolic entries, n = 2, two steps"),
                Sampled(
                    _multistep_float,
                    "NumPy LSTM: central differences and state_jacobian",
                    trials=3,
                    tol=1e-8,
                ),
            ),
        ),
        Step(
            Partial(c(t + 1), c(t - 1)),
            "≠",
            Diag(Had(f(t + 1), f(t))),
            "over two steps diag(f) is only the direct path",
            checks=(
                Exact(_multistep_exact, "symbolic entries, n = 2, two steps"),
                Sampled(_multistep_float, "NumPy LSTM, two steps", trials=3, tol=0.0),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        "Over one step ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾) exactly (h⁽ᵗ⁻¹⁾ is a separate state). Over "
        "several steps the product ∏ diag(f) is only the direct-path term: c⁽ᵗ⁺¹⁾ also depends "
        "on c⁽ᵗ⁻¹⁾ through h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾ and the gates."
    ),
    formula=0,
    cells=(STANDARD,),
    definitions=CELL_PATH_INDEX,
)


# -- the constant error carousel -------------------------------------------------------------------------

K_end = sp.Symbol("K", integer=True, positive=True)
k0 = sp.Symbol("k", integer=True)


def _cec_exact():
    model = exact_unrolled(NO_FORGET, 3, 2, 2)
    model.values[k0], model.values[K_end] = 0, 3
    yield model


def _cec_float(rng):
    model = numpy_unrolled(NO_FORGET, rng, 6, 3, 2)
    model.values[k0], model.values[K_end] = int(rng.integers(0, 3)), 6
    return model


cec = Claim(
    id="cec",
    title="Without a forget gate: the constant error carousel",
    statement=(
        "Without a forget gate (the 1997 LSTM, c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ + i∘c̃) ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = I: the "
        "constant error carousel."
    ),
    assumptions=("no forget gate", "no peepholes"),
    steps=(
        jacobian_step("lstm", "no_forget", "c", "c_prev", dc_dc, "c⁽ᵗ⁾ = c⁽ᵗ⁻¹⁾ + i∘c̃"),
        Step(
            OrderedProduct(Partial(c(t), c(t - 1)), t, k0, K_end),
            "=",
            I_(n),
            "the direct path over many steps: a product of identities",
            checks=(
                Exact(_cec_exact, "symbolic entries, n = 2, three steps"),
                Sampled(
                    _cec_float,
                    "NumPy LSTM without forget gate, up to six steps",
                    trials=3,
                    tol=1e-12,
                ),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=0,
    cells=(NO_FORGET,),
)


# -- f = 1, i = 0 remembers -------------------------------------------------------------------------------

f_sym, i_sym, c_sym, c_prev_sym = S(STANDARD, "f", "i", "c", "c_prev")
i_gate = family("i", r"\mathbf{i}")


def _saturated(rng):
    model = float_cell(STANDARD, rng)
    model.values[S(STANDARD, "b_f")] = np.full((3, 1), 40.0)
    model.values[S(STANDARD, "b_i")] = np.full((3, 1), -40.0)
    return model


def _remember_float(rng, trial=0):
    """f = 1 and i = 0 (b_f = 40, b_i = −40) — and, excluded by one hypothesis or both,
    an ordinary forget gate, an ordinary input gate, or both ordinary."""
    T_ = 60
    model = numpy_unrolled(STANDARD, rng, T_, 3, 2)
    kind = 0 if trial % 2 == 0 else (trial // 2) % 3 + 1
    if kind in (0, 1):
        model.values[S(STANDARD, "b_f")] = np.full((3, 1), 40.0)  # f = σ(≈ 40): 1 in float64
    if kind in (0, 2):
        model.values[S(STANDARD, "b_i")] = np.full((3, 1), -40.0)  # i = σ(≈ −40) ≈ 4e-18
    model.values[T] = T_
    model.label = ("saturated", "f = 1 only", "i = 0 only", "ordinary gates")[kind]
    return model


lstm_remember = Claim(
    id="lstm-remember",
    title="f = 1 and i = 0: the cell is preserved",
    statement="With f = 1 and i = 0 the cell is preserved indefinitely.",
    assumptions=("f⁽ᵗ⁾ = 1 and i⁽ᵗ⁾ = 0 at every step",),
    steps=(
        Step(
            c_sym,
            "=",
            c_prev_sym,
            "c⁽ᵗ⁾ = 1∘c⁽ᵗ⁻¹⁾ + 0∘c̃",
            where=((f_sym, OneMatrix(n, 1)), (i_sym, ZeroMatrix(n, 1))),
            checks=(
                Exact(lambda: [exact_cell(STANDARD, 3, 2)], "the cell's equation for c, n = 3"),
                Sampled(
                    _saturated, "b_f = 40, b_i = −40: f = 1, i ≈ 4·10⁻¹⁸ in float64", tol=1e-15
                ),
            ),
        ),
        Step(
            c(T),
            "=",
            c(0),
            "T steps of the line above",
            hypotheses=(
                Condition(MinOver(MinEntry(f(t)), t, 1, T), "=", 1),
                Condition(MaxOver(Norm(i_gate(t), sp.oo), t, 1, T), "=", 0),
            ),
            checks=(
                Sampled(
                    _remember_float,
                    "NumPy LSTM over 60 steps, b_f = 40, b_i = −40",
                    trials=8,
                    tol=1e-12,
                ),
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    caveat=(
        "σ never equals 0 or 1: f = 1, i = 0 are limits (b_f → +∞, b_i → −∞). With finite "
        "biases the cell decays like ∏ f; in float64 σ(z) rounds to 1 for z ≥ 38."
    ),
    formula=0,
    cells=(STANDARD,),
)


# -- forget-gate bias -------------------------------------------------------------------------------------

zs = sp.Symbol("z", real=True)
bias = sp.Symbol("b", real=True)
W_f, U_f, b_f, h_prev, x_ = S(STANDARD, "W_f", "U_f", "b_f", "h_prev", "x")
_drive = Norm(MatAdd(W_f * h_prev, U_f * x_), sp.oo)  # ‖W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾‖_∞
_bias_where = ((b_f, MatMul(bias, OneMatrix(n, 1))),)


def _initialised(extreme: int):
    """gradsym's initialise(LSTM, forget_bias=b): its weights as the instance, b_f = b·1.

    The entry of W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾ largest in modulus has the sign ``extreme`` (the
    inputs are negated if not), so that a unit attains σ(b ∓ ‖…‖_∞) and the bound is an
    equality there; b is positive, negative, or (excluded) not the bias of the instance.
    """

    def sample(rng, trial=0):
        kind = trial % 4
        b_ = float(rng.uniform(1, 8) if kind in (0, 3) else rng.uniform(-6, -1))
        num = initialise(LSTM(2, 4), rng=rng, forget_bias=b_)
        values = {}
        for p in STANDARD.params:
            v = num.params[p.name]
            values[p] = v.reshape(-1, 1) if v.ndim == 1 else v
        hp, xx = rng.normal(size=(4, 1)) * 2.0, rng.normal(size=(2, 1)) * 2.0
        drive = values[W_f] @ hp + values[U_f] @ xx
        if np.sign(drive[np.argmax(np.abs(drive))]) != extreme:
            hp, xx = -hp, -xx
        values[h_prev], values[x_] = hp, xx
        values[STANDARD.vectors["c_prev"]] = rng.normal(size=(4, 1))
        values[bias] = b_ if kind != 3 else b_ + 3.0  # a wrong b: excluded
        return CellModel(
            STANDARD, values, exact=False, n=4, d=2, label=f"initialise(forget_bias={b_:.3g})"
        )

    return sample


forget_bias = Claim(
    id="forget-bias",
    title="A large forget-gate bias keeps the cell path open",
    statement=(
        "A large positive forget-gate bias makes f ≈ 1 at the start of training, so the cell "
        "path carries gradient over long spans."
    ),
    assumptions=("b_f = b·1, b ≫ ‖W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾‖_∞ at initialisation",),
    steps=(
        Step(
            sigmoid(zs),
            "→",
            sp.S.One,
            "σ(z) = 1/(1 + e^(−z))",
            limit=(zs, sp.oo),
            checks=(
                Exact(lambda: [Model({}, free=(zs,))], "limit of 1/(1 + e^(−z))"),
                Sampled(lambda rng: Model({zs: 40.0}), "σ(40) in float64", trials=1, tol=1e-15),
            ),
        ),
        Step(
            1 - sigmoid(zs),
            "≤",
            sp.exp(-zs),
            "1 − σ(z) = e^(−z)/(1 + e^(−z))",
            checks=(
                Exact(
                    lambda: (
                        [Model({}, free=(zs,))]
                        + [Model({zs: v}) for v in (-2, 0, sp.Rational(1, 2), 3)]
                    ),
                    "symbolic z, and z = −2, 0, 1/2, 3",
                ),
                Sampled(
                    lambda rng: Model({zs: rng.uniform(-5, 30)}), "random z", trials=8, tol=1e-15
                ),
            ),
        ),
        Step(
            f_sym,
            "≥",
            sigmoid(bias - _drive),
            "σ is increasing and z_f ≥ b − ‖W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾‖_∞ in every unit",
            hypotheses=(Condition(b_f, "=", MatMul(bias, OneMatrix(n, 1))),),
            checks=(
                Sampled(
                    _initialised(-1),
                    "gradsym's initialise(LSTM, forget_bias=b), equality in one unit",
                    trials=8,
                    tol=1e-15,
                ),
            ),
        ),
        Step(
            f_sym,
            "≤",
            sigmoid(bias + _drive),
            "σ is increasing and z_f ≤ b + ‖W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾‖_∞",
            hypotheses=(Condition(b_f, "=", MatMul(bias, OneMatrix(n, 1))),),
            checks=(
                Sampled(
                    _initialised(1),
                    "gradsym's initialise(LSTM, forget_bias=b), equality in one unit",
                    trials=8,
                    tol=1e-15,
                ),
            ),
        ),
        Step(
            sigmoid(8) ** 50,
            "∈",
            sp.Interval(Decimal("0.9833"), Decimal("0.9834")),
            "b = 8, no input drive: ∏ f over 50 steps keeps 98 % of the gradient",
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "float64", trials=1, tol=0.0),
            ),
        ),
        Step(
            sigmoid(1) ** 50,
            "<",
            sp.Integer(10) ** -6,
            "b = 0 and a drive of at most 1: ∏ f over 50 steps is below 10⁻⁶",
            checks=(
                Exact(lambda: [Model({})], "exact comparison"),
                Sampled(lambda rng: Model({}), "float64", trials=1, tol=0.0),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=2,
    cells=(STANDARD,),
)


# -- parameter count ----------------------------------------------------------------------------------------


def count(cell) -> sp.Expr:
    """Σ rows · cols over a symbolic cell's parameters, a polynomial in n and d."""
    return sp.expand(sum(p.shape[0] * p.shape[1] for p in cell.params))


LSTM_COUNT = ParamCount("lstm", r"\text{LSTM}")
RNN_COUNT = ParamCount("rnn", r"\text{RNN}")
RNN_TANH = get_cell("rnn", "tanh")


def _count_exact():
    yield counting_model(
        {LSTM_COUNT: count(STANDARD), RNN_COUNT: count(RNN_TANH)},
        free=(n, d),
        label="symbolic n, d",
    )


def _count_float(rng):
    d_, n_ = (int(v) for v in rng.integers(1, 40, size=2))
    return Model(
        {LSTM_COUNT: LSTM(d_, n_).n_params, RNN_COUNT: NumpyRNN(d_, n_).n_params, n: n_, d: d_},
        label=f"NumPy cells, n = {n_}, d = {d_}",
    )


lstm_params = Claim(
    id="lstm-params",
    title="The LSTM has four times the parameters",
    statement="The LSTM has 4 times the parameters of a simple RNN of the same sizes: 4(n² + nd + n).",
    assumptions=("same input size d and hidden size n", "no peepholes"),
    steps=(
        Step(
            RNN_COUNT,
            "=",
            n**2 + n * d + n,
            "W_h (n×n), W_x (n×d), b (n)",
            checks=(
                Exact(_count_exact, "the symbolic cells' parameter shapes"),
                Sampled(_count_float, "the NumPy cells' n_params", trials=5, tol=0.0),
            ),
        ),
        Step(
            LSTM_COUNT,
            "=",
            4 * (n**2 + n * d + n),
            "four blocks (f, i, o, c̃), each with its own W, U, b",
            checks=(
                Exact(_count_exact, "the symbolic cells' parameter shapes"),
                Sampled(_count_float, "the NumPy cells' n_params", trials=5, tol=0.0),
            ),
        ),
        Step(
            LSTM_COUNT,
            "=",
            4 * RNN_COUNT,
            "the two lines above",
            checks=(
                Exact(_count_exact, "the symbolic cells' parameter shapes"),
                Sampled(_count_float, "the NumPy cells' n_params", trials=5, tol=0.0),
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat="With peepholes the LSTM has 3n² more (V_f, V_i, V_o), so not exactly 4×.",
    formula=2,
    cells=(STANDARD, RNN_TANH),
)


# -- gates in (0, 1) -----------------------------------------------------------------------------------------

o_sym = S(STANDARD, "o")
GATES = sp.BlockMatrix([[f_sym], [i_sym], [o_sym]])


def _z_exact():
    yield Model({}, free=(zs,), label="symbolic z")
    for v in (-40, -1, 0, sp.Rational(5, 2), 40):
        yield Model({zs: v}, label=f"z = {v}")


def _z_float(rng):
    return Model({zs: rng.uniform(-30, 30)}, label="random z")


def _gates_float(rng):
    """Pre-activations of a few units: far from ±38, where float64 rounds σ to exactly 1
    or 0 (the caveat, shown by the step below)."""
    return float_cell(STANDARD, rng, 4, 3, scale=1.5)


def _rounding_exact():
    for v in (38, 40, 100, 37):
        yield Model({zs: sp.Integer(v)}, label=f"z = {v}")


gates_range = Claim(
    id="gates-range",
    title="Every gate value lies in (0, 1)",
    statement="Every gate value lies in (0, 1) because the gates use the sigmoid.",
    assumptions=("exact arithmetic",),
    steps=(
        Step(
            sigmoid(zs),
            "<",
            sp.S.One,
            "σ(z) = 1/(1 + e^(−z)) with e^(−z) > 0",
            checks=(
                Exact(_z_exact, "symbolic z and z = −40, −1, 0, 5/2, 40"),
                Sampled(_z_float, "NumPy's sigmoid, z in [−30, 30]", trials=8, tol=0.0),
            ),
        ),
        Step(
            sigmoid(zs),
            ">",
            sp.S.Zero,
            "e^(−z) < ∞",
            checks=(
                Exact(_z_exact, "symbolic z and z = −40, −1, 0, 5/2, 40"),
                Sampled(_z_float, "NumPy's sigmoid, z in [−30, 30]", trials=8, tol=0.0),
            ),
        ),
        Step(
            GATES,
            "<",
            sp.S.One,
            "f, i, o are σ of their z",
            checks=(
                Sampled(
                    _gates_float, "gate values of the LSTM on random weights", trials=4, tol=0.0
                ),
            ),
        ),
        Step(
            GATES,
            ">",
            sp.S.Zero,
            "f, i, o are σ of their z",
            checks=(
                Sampled(
                    _gates_float, "gate values of the LSTM on random weights", trials=4, tol=0.0
                ),
            ),
        ),
        Step(
            FloatRound(sigmoid(zs)),
            "=",
            sp.S.One,
            "rounding: the open interval closes in floating point",
            hypotheses=(Condition(zs, "≥", 38),),
            checks=(
                Exact(
                    _rounding_exact,
                    "σ(z) correctly rounded to float64: z = 38, 40, 100 (37 excluded)",
                ),
                Sampled(
                    lambda rng: Model({zs: rng.uniform(30, 60)}),
                    "NumPy's sigmoid, z in [30, 60]",
                    trials=8,
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("001", "004"),
    section=SECTION,
    caveat="In float64 σ(z) rounds to exactly 1 for z ≥ 38 (and underflows to 0 below about −745).",
    formula=0,
    cells=(STANDARD,),
)


# -- peepholes ---------------------------------------------------------------------------------------------

V_f, V_i, V_o = S(PEEPHOLE, "V_f", "V_i", "V_o")

peephole_jacobians = Claim(
    id="peephole-jacobians",
    title="Peephole connections add terms to ∂c/∂c",
    statement=(
        "With peepholes the gates see c⁽ᵗ⁻¹⁾ (Γ = σ(W[x⁽ᵗ⁾, h⁽ᵗ⁻¹⁾, c⁽ᵗ⁻¹⁾] + b)); the Jacobian "
        "blocks, and the peephole terms diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) V_f + diag(c̃∘σ'(z_i)) V_i that "
        "join diag(Γ_f) in ∂c/∂c."
    ),
    assumptions=(
        "W[x, h, c] = U_g x + W_g h + V_g c for each gate g (its column blocks)",
        "c̃ does not see c⁽ᵗ⁻¹⁾ (as in 003)",
    ),
    steps=(
        jacobian_step(
            "lstm", "peephole", "c", "c_prev", dc_dc, "c⁽ᵗ⁾ = Γ_u∘c̃ + Γ_f∘c⁽ᵗ⁻¹⁾, gates see c⁽ᵗ⁻¹⁾"
        ),
        jacobian_step("lstm", "peephole", "h", "c_prev", dh_dc, "chain rule through c⁽ᵗ⁾ and Γ_o"),
        jacobian_step("lstm", "peephole", "c", "h_prev", dc_dh, "as without peepholes"),
        jacobian_step("lstm", "peephole", "h", "h_prev", dh_dh, "as without peepholes"),
        Step(
            Partial(S(PEEPHOLE, "c"), S(PEEPHOLE, "c_prev")),
            "=",
            Diag(S(PEEPHOLE, "f")),
            "V_f = V_i = 0: no peephole terms",
            where=((V_f, ZeroMatrix(n, n)), (V_i, ZeroMatrix(n, n))),
            checks=(
                Exact(lambda: [exact_cell(PEEPHOLE, 3, 2)], "every entry at n = 3"),
                Sampled(
                    lambda rng: float_cell(PEEPHOLE, rng),
                    "the NumPy peephole LSTM with V = 0",
                    tol=1e-12,
                ),
            ),
        ),
    ),
    sources=("003",),
    section="LSTM with peephole connections",
    style="003",
    cells=(PEEPHOLE,),
)

CLAIMS = (
    lstm_jacobians,
    lstm_cell_path,
    cec,
    lstm_remember,
    forget_bias,
    lstm_params,
    gates_range,
    peephole_jacobians,
)
