"""The LSTM (notes 001, 000, 004) and its peephole form (notes 003).

f = σ(W_f h⁽ᵗ⁻¹⁾ + U_f x⁽ᵗ⁾ + b_f), i = σ(W_i h + U_i x + b_i), o = σ(W_o h + U_o x + b_o),
c̃ = tanh(W_c h + U_c x + b_c), c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃, h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾; state s = [h; c].
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import HadamardProduct as Had
from sympy import Identity as I_
from sympy import MatAdd, MatMul

from gradsym.numeric.cells.activations import sigmoid
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.optim.initialisers import initialise
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic import lstm_cell_path_index_form
from gradsym.symbolic.explicit import environment as sym_environment

from ..checks import Counterexample, Generic, Identity, Numeric
from ..claim import Claim, Step
from ..instances import numeric_cell, random_instance
from ..notation import d as d_
from ..notation import matrix, scalar
from ..notation import n as n_
from .common import Apply, Diag, S, jacobian_step, pd

SECTION = "LSTM"


# -- the compact blocks, as a lecturer writes them ---------------------------------------------------


def dc_dh(cell):
    """∂c/∂h⁽ᵗ⁻¹⁾ = diag(c⁽ᵗ⁻¹⁾∘σ'(z_f)) W_f + diag(c̃∘σ'(z_i)) W_i + diag(i∘tanh'(z_c)) W_c."""
    W_i, W_c, c_prev, c_tilde, i, z_i, z_c = S(
        cell, "W_i", "W_c", "c_prev", "c_tilde", "i", "z_i", "z_c"
    )
    terms = [
        MatMul(Diag(Had(c_tilde, Apply("sigmoid'", z_i))), W_i),
        MatMul(Diag(Had(i, Apply("tanh'", z_c))), W_c),
    ]
    if "f" in cell.vectors:
        W_f, z_f = S(cell, "W_f", "z_f")
        terms.insert(0, MatMul(Diag(Had(c_prev, Apply("sigmoid'", z_f))), W_f))
    return MatAdd(*terms)


def dc_dc(cell):
    """∂c/∂c⁽ᵗ⁻¹⁾ = diag(f) (I without a forget gate) [+ peephole terms]."""
    n = S(cell, "c_prev").shape[0]
    terms = [Diag(S(cell, "f")) if "f" in cell.vectors else I_(n)]
    if "peephole" in cell.variant:
        c_prev, c_tilde, z_i, V_i = S(cell, "c_prev", "c_tilde", "z_i", "V_i")
        if "f" in cell.vectors:
            z_f, V_f = S(cell, "z_f", "V_f")
            terms.append(MatMul(Diag(Had(c_prev, Apply("sigmoid'", z_f))), V_f))
        terms.append(MatMul(Diag(Had(c_tilde, Apply("sigmoid'", z_i))), V_i))
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


def _through_h(cell, inner, gate_weight):
    """∂h/∂· = diag(o∘tanh'(c)) ∂c/∂· + diag(tanh(c)∘σ'(z_o)) ∂z_o/∂·."""
    o, c, z_o = S(cell, "o", "c", "z_o")
    first = MatMul(Diag(Had(o, Apply("tanh'", c))), inner)
    if gate_weight is None:
        return first
    return MatAdd(first, MatMul(Diag(Had(Apply("tanh", c), Apply("sigmoid'", z_o))), gate_weight))


def dh_dh(cell):
    return _through_h(cell, dc_dh(cell), S(cell, "W_o"))


def dh_dc(cell):
    if "peephole" in cell.variant:
        return _through_h(cell, dc_dc(cell), S(cell, "V_o"))
    o, c, f = S(cell, "o", "c", "f")
    return Diag(Had(o, Apply("tanh'", c), f))  # the notes' form: one diag


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
)


# -- the cell path ---------------------------------------------------------------------------------------


def _index_fact():
    derived, _, holds = lstm_cell_path_index_form()
    return holds, f"∂c_i/∂c_j = {derived}, every n"


def _multistep_search(rng):
    """Over two steps ∂c⁽ᵗ⁺¹⁾/∂c⁽ᵗ⁻¹⁾ ≠ diag(f⁽ᵗ⁺¹⁾∘f⁽ᵗ⁾): paths through h⁽ᵗ⁾ add terms."""
    cell = get_cell("lstm", "standard")
    inst = random_instance(cell, 3, 2, rng)
    num = numeric_cell(cell, inst)
    xs = rng.normal(size=(2, 1, 2))
    s0 = (inst["leaves"]["h_prev"][None], inst["leaves"]["c_prev"][None])
    trace = num.forward(xs, s0)
    J1 = num.state_jacobian(xs[0], s0)[0][0]
    J2 = num.state_jacobian(xs[1], (trace.h[0], trace.c[0]))[0][0]
    full = (J2 @ J1)[3:, 3:]
    direct = np.diag(trace.gates["f"][1, 0] * trace.gates["f"][0, 0])
    gap = np.abs(full - direct).max()
    if gap > 1e-6:
        return {"two_step_cc_block": full, "product_of_diag_f": direct, "max_difference": gap}
    return None


_cpath = pd("c", "c_prev")
lstm_cell_path = Claim(
    id="lstm-cell-path",
    title="The cell path: ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾)",
    statement="∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾) on the direct path.",
    assumptions=("no peephole connections (the gates do not see c⁽ᵗ⁻¹⁾)",),
    steps=(
        jacobian_step("lstm", "standard", "c", "c_prev", dc_dc, "c⁽ᵗ⁾ = f∘c⁽ᵗ⁻¹⁾ + i∘c̃"),
        Step(
            scalar("∂c_i/∂c_j^{(t-1)}", r"\frac{\partial c_i^{(t)}}{\partial c_j^{(t-1)}}"),
            scalar("f_i δ_ij", r"f_i\,\delta_{ij}"),
            "=",
            "index notation, every n; δ_ij is the Kronecker delta",
            symbolic=Generic(_index_fact, method="index notation"),
        ),
        Step(
            matrix(
                "∂c⁽ᵗ⁺¹⁾/∂c⁽ᵗ⁻¹⁾",
                r"\frac{\partial \mathbf{c}^{(t+1)}}{\partial \mathbf{c}^{(t-1)}}",
            ),
            matrix(
                "diag(f⁽ᵗ⁺¹⁾∘f⁽ᵗ⁾) + paths through h⁽ᵗ⁾",
                r"\operatorname{diag}(\mathbf{f}^{(t+1)} \circ \mathbf{f}^{(t)}) + \dots",
            ),
            "=",
            "over several steps diag(f) is only the direct path",
            numeric=Counterexample(_multistep_search, method="two steps of the NumPy LSTM"),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat=(
        "Over one step ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ = diag(f⁽ᵗ⁾) exactly (h⁽ᵗ⁻¹⁾ is a separate state). Over "
        "several steps the product ∏ diag(f) is only the direct-path term: c⁽ᵗ⁺¹⁾ also depends "
        "on c⁽ᵗ⁻¹⁾ through h⁽ᵗ⁾ = o∘tanh c⁽ᵗ⁾ and the gates — shown by a counterexample."
    ),
    formula=(_cpath, "=", Diag(matrix("f⁽ᵗ⁾", r"\mathbf{f}^{(t)}", cols=1))),
)


# -- the constant error carousel -------------------------------------------------------------------------


def _cec_product_sample(rng):
    cell = get_cell("lstm", "no_forget")
    inst = random_instance(cell, 3, 2, rng)
    num = numeric_cell(cell, inst)
    xs = rng.normal(size=(6, 1, 2))
    s = (inst["leaves"]["h_prev"][None], inst["leaves"]["c_prev"][None])
    P = np.eye(3)
    trace = num.forward(xs, s)
    for t in range(6):
        J = num.state_jacobian(xs[t], s)[0][0]
        P = J[3:, 3:] @ P  # the direct (c → c) path
        s = (trace.h[t], trace.c[t])
    return P, np.eye(3)


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
            matrix(
                "∏ ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ (direct path)",
                r"\prod_t \frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}}",
            ),
            I_(n_),
            "=",
            "product of identities",
            numeric=Numeric(
                _cec_product_sample,
                tol=0.0,
                method="six steps of the NumPy LSTM without forget gate",
            ),
        ),
    ),
    sources=("004",),
    section=SECTION,
    formula=(_cpath, "=", I_(n_)),
)


# -- f = 1, i = 0 remembers -------------------------------------------------------------------------------


def _remember_pair():
    """n = 2: c = f∘c⁽ᵗ⁻¹⁾ + i∘c̃ with f = 1, i = 0 is c⁽ᵗ⁻¹⁾."""
    cell = get_cell("lstm", "standard")
    env = sym_environment(cell, 2, 2)
    v = cell.vectors
    gates = {env[v["f"]][k]: 1 for k in range(2)}
    gates.update({env[v["i"]][k]: 0 for k in range(2)})
    return env[v["c"]].xreplace(gates), env[v["c_prev"]]


def _remember_sample(rng):
    T = 200
    cell = get_cell("lstm", "standard")
    inst = random_instance(cell, 3, 2, rng)
    inst["params"]["b_f"][...] = 40.0  # f = σ(≈ 40) = 1 − 4e-18
    inst["params"]["b_i"][...] = -40.0  # i = σ(≈ −40) = 4e-18
    num = numeric_cell(cell, inst)
    c0 = inst["leaves"]["c_prev"][None]
    trace = num.forward(rng.normal(size=(T, 1, 2)), (inst["leaves"]["h_prev"][None], c0))
    return trace.c[-1, 0], c0[0], {"T": T, "b_f": 40.0, "b_i": -40.0}


lstm_remember = Claim(
    id="lstm-remember",
    title="f = 1 and i = 0: the cell is preserved",
    statement="With f = 1 and i = 0 the cell is preserved indefinitely.",
    assumptions=("f⁽ᵗ⁾ = 1 and i⁽ᵗ⁾ = 0 at every step",),
    steps=(
        Step(
            matrix("c⁽ᵗ⁾", r"\mathbf{c}^{(t)}", cols=1),
            matrix("c⁽ᵗ⁻¹⁾", r"\mathbf{c}^{(t-1)}", cols=1),
            "=",
            "c⁽ᵗ⁾ = 1∘c⁽ᵗ⁻¹⁾ + 0∘c̃",
            symbolic=Identity(_remember_pair, method="explicit c at n = 2, f = 1, i = 0"),
            numeric=Numeric(
                _remember_sample, tol=1e-12, method="NumPy LSTM, b_f = 40, b_i = −40, 200 steps"
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    caveat=(
        "σ never equals 0 or 1: f = 1, i = 0 are limits (b_f → +∞, b_i → −∞). With finite "
        "biases the cell decays like ∏ f; in float64 σ(z) rounds to 1 for z ≳ 37."
    ),
)


# -- forget-gate bias -------------------------------------------------------------------------------------


def _sigma_limit():
    z = sp.Symbol("z", real=True)
    lim = sp.limit(1 / (1 + sp.exp(-z)), z, sp.oo)
    return lim == 1, f"lim σ(z) = {lim} as z → ∞"


def _tail_fact():
    """1 − σ(z) ≤ e^{−z}: with u = e^z > 0, e^{−z} − (1 − σ) = 1/u − 1/(1 + u) = 1/(u(1 + u)) > 0."""
    u = sp.Symbol("u", positive=True)
    gap = sp.cancel(1 / u - (1 - u / (1 + u)))
    return bool(gap.is_positive) and sp.cancel(
        gap - 1 / (u * (1 + u))
    ) == 0, f"e^(−z) − (1 − σ(z)) = {gap}"


def _bias_sample(rng):
    """f ≥ σ(b_f − m), m = max|W_f h + U_f x|, at the start of training (initialise)."""
    b = float(rng.uniform(1, 6))
    cell = initialise(LSTM(2, 4), rng=rng, forget_bias=b)
    xs, h0 = rng.normal(size=(1, 1, 2)), rng.normal(size=(1, 4)) * 0.5
    f = cell.forward(xs, (h0, np.zeros((1, 4)))).gates["f"][0, 0]
    m = np.abs(h0[0] @ cell.params["W_f"].T + xs[0, 0] @ cell.params["U_f"].T).max()
    return f, np.full(4, sigmoid(np.array(b - m))), {"b_f": b}


def _path_sample(rng):
    """The cell path over 50 steps: ∏ f stays above 0.9 for b_f = 8 (σ(8)^50 ≈ 0.98)."""
    b, T = 8.0, 50
    cell = initialise(LSTM(2, 4), rng=rng, forget_bias=b, gain=0.5, input_gain=0.5)
    xs = rng.normal(size=(T, 1, 2)) * 0.5
    f = cell.forward(xs).gates["f"][:, 0]
    return np.prod(f, axis=0).min(), 0.9, {"b_f": b, "T": T}


def _zero_bias_search(rng):
    T = 50
    cell = initialise(LSTM(2, 4), rng=rng, forget_bias=0.0)
    f = cell.forward(rng.normal(size=(T, 1, 2))).gates["f"][:, 0]
    prod = np.prod(f, axis=0).max()
    if prod < 1e-6:
        return {"b_f": 0.0, "T": T, "largest_product_of_f": prod}
    return None


forget_bias = Claim(
    id="forget-bias",
    title="A large forget-gate bias keeps the cell path open",
    statement=(
        "A large positive forget-gate bias makes f ≈ 1 at the start of training, so the cell "
        "path carries gradient over long spans."
    ),
    assumptions=("b_f ≫ |W_f h + U_f x| at initialisation",),
    steps=(
        Step(
            sp.Function("sigma")(sp.Symbol("z")),
            sp.S.One,
            "→",
            "z → ∞",
            symbolic=Generic(_sigma_limit, method="limit"),
        ),
        Step(
            1 - sp.Function("sigma")(sp.Symbol("z")),
            sp.exp(-sp.Symbol("z")),
            "≤",
            "1 − σ(z) = σ(−z) = 1/(1 + e^z)",
            symbolic=Generic(_tail_fact, method="exact gap with u = e^z"),
        ),
        Step(
            matrix("f", r"\mathbf{f}", cols=1),
            scalar(
                "σ(b_f − max|W_f h + U_f x|)",
                r"\sigma\left(b_f - \max\lvert \mathbf{W}_f \mathbf{h} + \mathbf{U}_f \mathbf{x} \rvert\right)",
            ),
            "≥",
            "σ is increasing",
            numeric=Numeric(
                _bias_sample, "≥", tol=1e-15, trials=5, method="initialise(LSTM, forget_bias=b)"
            ),
        ),
        Step(
            scalar("min ∏ₜ fᵢ⁽ᵗ⁾ over 50 steps", r"\min_i \prod_{t} f_i^{(t)}"),
            sp.Float(0.9, 2),
            "≥",
            "b_f = 8: the cell path carries the gradient",
            numeric=Numeric(_path_sample, "≥", tol=0.0, trials=3, method="50 steps, b_f = 8"),
        ),
        Step(
            scalar("∏ₜ fᵢ⁽ᵗ⁾ with b_f = 0", r"\prod_t f_i^{(t)}\big|_{b_f = 0}"),
            sp.Float(1e-6, 2),
            "<",
            "without the bias the path vanishes",
            numeric=Counterexample(_zero_bias_search, method="b_f = 0, 50 steps"),
        ),
    ),
    sources=("004",),
    section=SECTION,
)


# -- parameter count ----------------------------------------------------------------------------------------


def count(cell) -> sp.Expr:
    """Σ rows · cols over a symbolic cell's parameters, a polynomial in n and d."""
    return sp.expand(sum(p.shape[0] * p.shape[1] for p in cell.params))


def _four_times_pair():
    return count(get_cell("lstm", "standard")), 4 * count(get_cell("rnn", "tanh"))


def _four_times_sample(rng):
    d, n = (int(k) for k in rng.integers(1, 40, size=2))
    return np.array([LSTM(d, n).n_params]), np.array([4 * RNN(d, n).n_params]), {"d": d, "n": n}


lstm_params = Claim(
    id="lstm-params",
    title="The LSTM has four times the parameters",
    statement="The LSTM has 4 times the parameters of a simple RNN of the same sizes: 4(n² + nd + n).",
    assumptions=("same input size d and hidden size n", "no peepholes"),
    steps=(
        Step(
            scalar("#θ_LSTM", r"\#\theta_{\text{LSTM}}"),
            4 * (n_**2 + n_ * d_ + n_),
            "=",
            "four blocks (f, i, o, c̃), each with its own W, U, b",
            symbolic=Identity(_four_times_pair, method="count of the symbolic cells' parameters"),
            numeric=Numeric(_four_times_sample, tol=0.0, trials=5, method="NumPy cells' n_params"),
        ),
    ),
    sources=("004",),
    section=SECTION,
    caveat="With peepholes the LSTM has 3n² more (V_f, V_i, V_o), so not exactly 4×.",
    formula=(
        scalar("#θ_LSTM", r"\#\theta_{\text{LSTM}}"),
        "=",
        4 * scalar("#θ_RNN", r"\#\theta_{\text{RNN}}"),
    ),
)


# -- gates in (0, 1) -----------------------------------------------------------------------------------------


def _range_fact():
    u = sp.Symbol("u", positive=True)  # u = e^{−z} > 0
    s = 1 / (1 + u)
    one_minus = sp.cancel(1 - s)
    return bool(
        s.is_positive and one_minus.is_positive
    ), f"σ = 1/(1 + u) > 0 and 1 − σ = {one_minus} > 0, u = e^(−z)"


def _gate_values(rng):
    # Pre-activations of a few units: far from ±37, where float64 rounds σ to exactly 1
    # (the caveat, shown by the counterexample step below).
    cell = get_cell("lstm", "standard")
    inst = random_instance(cell, 4, 3, rng, scale=1.5)
    num = numeric_cell(cell, inst)
    tr = num.forward(rng.normal(size=(10, 2, 3)) * 2)
    return np.concatenate([tr.gates[g].ravel() for g in ("f", "i", "o")])


def _below_one(rng):
    g = _gate_values(rng)
    return g, np.ones_like(g), {}


def _above_zero(rng):
    g = _gate_values(rng)
    return g, np.zeros_like(g), {}


def _rounding_search(rng):
    z = rng.uniform(37.0, 60.0)
    s = float(sigmoid(np.array(z)))
    if s == 1.0:
        return {"z": z, "sigma_in_float64": s}
    return None


gates_range = Claim(
    id="gates-range",
    title="Every gate value lies in (0, 1)",
    statement="Every gate value lies in (0, 1) because the gates use the sigmoid.",
    assumptions=("exact arithmetic",),
    steps=(
        Step(
            sp.Function("sigma")(sp.Symbol("z")),
            sp.S.One,
            "<",
            "σ(z) = 1/(1 + e^(−z)), e^(−z) > 0",
            symbolic=Generic(_range_fact, method="signs with u = e^(−z)"),
            numeric=Numeric(_below_one, "<", method="gate values of the NumPy LSTM"),
        ),
        Step(
            matrix("f, i, o", r"\mathbf{f}, \mathbf{i}, \mathbf{o}", cols=1),
            sp.S.Zero,
            ">",
            "σ(z) > 0",
            numeric=Numeric(_above_zero, ">", method="gate values of the NumPy LSTM"),
        ),
        Step(
            scalar("σ(z) in float64", r"\operatorname{fl}(\sigma(z))"),
            sp.S.One,
            "=",
            "rounding: the open interval closes in floating point",
            numeric=Counterexample(_rounding_search, method="z ∈ [37, 60]"),
        ),
    ),
    sources=("001", "004"),
    section=SECTION,
    caveat="In float64 σ(z) rounds to exactly 1 for z ≳ 37 (and to 0 below about −745).",
)


# -- peepholes ---------------------------------------------------------------------------------------------


def _zero_peephole_sample(rng):
    """V = 0: the peephole LSTM's ∂c/∂c⁽ᵗ⁻¹⁾ is the plain diag(f) — the terms come from V."""
    cell = get_cell("lstm", "peephole")
    inst = random_instance(cell, 3, 2, rng)
    for v in ("V_f", "V_i", "V_o"):
        inst["params"][v][...] = 0.0
    num = numeric_cell(cell, inst)
    s = (inst["leaves"]["h_prev"][None], inst["leaves"]["c_prev"][None])
    x = inst["leaves"]["x"][None]
    J = num.state_jacobian(x, s)[0][0][3:, 3:]
    f = num.forward(x[None], s).gates["f"][0, 0]
    return J, np.diag(f)


_pp = matrix(
    "∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ − diag(f)",
    r"\frac{\partial \mathbf{c}^{(t)}}{\partial \mathbf{c}^{(t-1)}} - \operatorname{diag}(\Gamma_f)",
)
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
            _pp,
            sp.S.Zero,
            "=",
            "V_f = V_i = 0: no peephole terms",
            numeric=Numeric(
                _zero_peephole_sample, tol=0.0, method="NumPy peephole LSTM with V = 0"
            ),
        ),
    ),
    sources=("003",),
    section="LSTM with peephole connections",
    style="003",
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
