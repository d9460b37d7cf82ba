"""The GRU (notes 001, 000, 003, 004) in its three forms, conventions stated.

textbook (001): u = σ(W_u h⁽ᵗ⁻¹⁾ + U_u x + b_u), r = σ(W_r h + U_r x + b_r),
    h̃ = tanh(W_h (r∘h⁽ᵗ⁻¹⁾) + U_h x + b_h), h⁽ᵗ⁾ = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃   (u = 0 keeps h)
minimal (003): no r.
torch: n = tanh(U_n x + b_n + r∘(W_n h + b_hn)), h⁽ᵗ⁾ = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾      (z = 1 keeps h)
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import HadamardProduct as Had
from sympy import Identity as I_
from sympy import MatAdd, MatMul

from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.optim.initialisers import initialise
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic import jacobian
from gradsym.symbolic.equations import one_minus
from gradsym.symbolic.explicit import environment as sym_environment

from ..checks import Counterexample, Generic, Identity, Numeric
from ..claim import Claim, Step
from ..instances import numeric_cell, random_instance
from ..notation import d as d_
from ..notation import n as n_
from ..notation import scalar
from .common import Apply, Diag, S, jacobian_step, pd
from .lstm import count

SECTION = "GRU"


def textbook_form(cell):
    """diag(1 − u) + diag((h̃ − h⁽ᵗ⁻¹⁾)∘σ'(z_u)) W_u + diag(u∘tanh'(z_h)) W_h (diag(r) + diag(h⁽ᵗ⁻¹⁾∘σ'(z_r)) W_r)."""
    u, h_tilde, h_prev, z_u, z_h, W_u, W_h = S(
        cell, "u", "h_tilde", "h_prev", "z_u", "z_h", "W_u", "W_h"
    )
    keep = Diag(one_minus(u))
    gate = MatMul(Diag(Had(MatAdd(h_tilde, -h_prev), Apply("sigmoid'", z_u))), W_u)
    if "r" in cell.vectors:
        r, z_r, W_r = S(cell, "r", "z_r", "W_r")
        inner = MatAdd(Diag(r), MatMul(Diag(Had(h_prev, Apply("sigmoid'", z_r))), W_r))
        cand = MatMul(Diag(Had(u, Apply("tanh'", z_h))), W_h, inner)
    else:
        cand = MatMul(Diag(Had(u, Apply("tanh'", z_h))), W_h)
    return MatAdd(keep, gate, cand)


def textbook_x_form(cell):
    u, h_tilde, h_prev, z_u, z_h, z_r, U_u, U_h, U_r, W_h = S(
        cell, "u", "h_tilde", "h_prev", "z_u", "z_h", "z_r", "U_u", "U_h", "U_r", "W_h"
    )
    return MatAdd(
        MatMul(Diag(Had(MatAdd(h_tilde, -h_prev), Apply("sigmoid'", z_u))), U_u),
        MatMul(
            Diag(Had(u, Apply("tanh'", z_h))),
            MatAdd(U_h, MatMul(W_h, Diag(Had(h_prev, Apply("sigmoid'", z_r))), U_r)),
        ),
    )


def torch_form(cell):
    """diag(z) + diag((h⁽ᵗ⁻¹⁾ − n)∘σ'(a_z)) W_z + diag((1 − z)∘tanh'(a_n)) (diag(r) W_n + diag(g_n∘σ'(a_r)) W_r)."""
    z, n_t, h_prev, r, g_n, a_z, a_n, a_r, W_z, W_n, W_r = S(
        cell, "z", "n_tilde", "h_prev", "r", "g_n", "a_z", "a_n", "a_r", "W_z", "W_n", "W_r"
    )
    return MatAdd(
        Diag(z),
        MatMul(Diag(Had(MatAdd(h_prev, -n_t), Apply("sigmoid'", a_z))), W_z),
        MatMul(
            Diag(Had(one_minus(z), Apply("tanh'", a_n))),
            MatAdd(MatMul(Diag(r), W_n), MatMul(Diag(Had(g_n, Apply("sigmoid'", a_r))), W_r)),
        ),
    )


gru_jacobian = Claim(
    id="gru-jacobian",
    title="The GRU's Jacobian",
    statement=(
        "∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(1 − u) + diag((h̃ − h⁽ᵗ⁻¹⁾)∘σ'(z_u)) W_u + "
        "diag(u∘tanh'(z_h)) W_h (diag(r) + diag(h⁽ᵗ⁻¹⁾∘σ'(z_r)) W_r): diag(1 − u) plus the gate "
        "and candidate terms."
    ),
    assumptions=("the GRU of CS224n (001)",),
    steps=(
        jacobian_step(
            "gru",
            "textbook",
            "h",
            "h_prev",
            textbook_form,
            "product rule on (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃, chain rule through r∘h⁽ᵗ⁻¹⁾",
        ),
        jacobian_step("gru", "textbook", "h", "x", textbook_x_form, "chain rule"),
    ),
    sources=("001", "000", "003", "004"),
    section=SECTION,
)


# -- u = 0 retains ------------------------------------------------------------------------------------


def _retain_pair(variant: str, gate: str, value: int):
    def pair():
        cell = get_cell("gru", variant)
        env = sym_environment(cell, 2, 2)
        J = jacobian("gru", variant=variant).explicit(2)
        g = env[cell.vectors[gate]]
        return J.xreplace({g[k]: value for k in range(2)}), sp.eye(2)

    return pair


def _retain_sample(variant: str, bias: str, value: float):
    def sample(rng):
        cell = get_cell("gru", variant)
        inst = random_instance(cell, 3, 2, rng)
        inst["params"][bias][...] = value
        num = numeric_cell(cell, inst)
        J = num.state_jacobian(inst["leaves"]["x"][None], (inst["leaves"]["h_prev"][None],))[0][0]
        return J, np.eye(3), {bias: value}

    return sample


gru_retain = Claim(
    id="gru-retain",
    title="u = 0: the GRU's Jacobian is I",
    statement=(
        "With u = 0 the Jacobian ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ is I: the GRU retains information. Convention "
        "(001): h⁽ᵗ⁾ = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃; in PyTorch's convention the same holds at z = 1."
    ),
    assumptions=("u = 0, hence σ'(z_u) = u(1 − u) = 0 as well",),
    steps=(
        Step(
            pd("h", "h_prev"),
            I_(n_),
            "=",
            "u = 0 (textbook convention)",
            symbolic=Identity(
                _retain_pair("textbook", "u", 0), method="explicit Jacobian at n = 2, σ(z_u) = 0"
            ),
            numeric=Numeric(
                _retain_sample("textbook", "b_u", -60.0),
                tol=1e-13,
                scale="absolute",
                method="NumPy GRU with b_u = −60",
            ),
        ),
        Step(
            pd("h", "h_prev"),
            I_(n_),
            "=",
            "z = 1 (PyTorch convention)",
            symbolic=Identity(
                _retain_pair("torch", "z", 1), method="explicit Jacobian at n = 2, σ(a_z) = 1"
            ),
            numeric=Numeric(
                _retain_sample("torch", "b_z", 60.0),
                tol=1e-13,
                scale="absolute",
                method="NumPy torch-form GRU with b_z = +60",
            ),
        ),
    ),
    sources=("001",),
    section=SECTION,
    caveat=(
        "u = σ(z_u) is never exactly 0: the Jacobian is I in the limit b_u → −∞ (PyTorch: "
        "b_z → +∞), to within e^(b_u)-sized terms for a finite bias. Setting u = 0 also sets "
        "σ'(z_u) = u(1 − u) = 0, which removes the W_u term."
    ),
)


# -- which sign of the bias opens the path ---------------------------------------------------------------


def _carry_limits():
    a, b = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
    sig = lambda v: 1 / (1 + sp.exp(-v))
    keep_textbook = sp.limit(1 - sig(a + b), b, -sp.oo)  # 1 − u, u = σ(a + b_u)
    keep_torch = sp.limit(sig(a + b), b, sp.oo)  # z = σ(a + b_z)
    return (keep_textbook, keep_torch) == (1, 1), (
        f"textbook: 1 − u → {keep_textbook} as b_u → −∞; torch: z → {keep_torch} as b_z → +∞"
    )


def _initialise_sample(variant: str):
    def sample(rng):
        cell = initialise(GRU(2, 3, variant=variant), rng=rng, update_bias=40.0)
        J = cell.state_jacobian(rng.normal(size=(1, 2)), (rng.normal(size=(1, 3)),))[0][0]
        return J, np.eye(3), {"variant": variant, "update_bias": 40.0}

    return sample


def _wrong_sign_search(rng):
    """[004]'s "high positive bias on the update gate" in the notes' (001) convention closes
    the carry path: b_u = +8 makes 1 − u ≈ 0."""
    cell = GRU(2, 3, variant="textbook", rng=int(rng.integers(1 << 30)))
    cell.params["b_u"][...] = 8.0
    x, h = rng.normal(size=(1, 2)), rng.normal(size=(1, 3))
    J = cell.state_jacobian(x, (h,))[0][0]
    u = cell.forward(x[None], (h,)).gates["u"][0, 0]
    gap = np.abs(J - np.eye(3)).max()
    if gap > 0.5:
        return {"b_u": 8.0, "one_minus_u": 1 - u, "max_abs_J_minus_I": gap}
    return None


gru_update_bias = Claim(
    id="gru-update-bias",
    title="The update-gate bias opens the short path — with the sign of the convention",
    statement=(
        "The bias of the gate on the identity path, set high, opens the short path. [004] and "
        "PyTorch put the gate on h⁽ᵗ⁻¹⁾ the other way round from [001]: in 001's convention "
        "the carry coefficient is 1 − u, opened by b_u → −∞; in PyTorch's it is z, opened by "
        "b_z → +∞."
    ),
    assumptions=("the carry coefficient is the gate value multiplying h⁽ᵗ⁻¹⁾",),
    steps=(
        Step(
            scalar("carry coefficient", r"1 - \mathbf{u} \;/\; \mathbf{z}"),
            sp.S.One,
            "→",
            "b_u → −∞ (001) / b_z → +∞ (PyTorch)",
            symbolic=Generic(_carry_limits, method="limits"),
        ),
        Step(
            pd("h", "h_prev"),
            I_(n_),
            "→",
            "initialise(update_bias=a): b_u = −a (001)",
            numeric=Numeric(
                _initialise_sample("textbook"),
                "→",
                tol=1e-12,
                scale="absolute",
                method="initialise(GRU textbook, update_bias=40)",
            ),
        ),
        Step(
            pd("h", "h_prev"),
            I_(n_),
            "→",
            "initialise(update_bias=a): b_z = +a (PyTorch)",
            numeric=Numeric(
                _initialise_sample("torch"),
                "→",
                tol=1e-12,
                scale="absolute",
                method="initialise(GRU torch, update_bias=40)",
            ),
        ),
        Step(
            scalar("1 − u with b_u = +8", r"1 - \mathbf{u}\,\big|_{b_u = +8}"),
            sp.S.Zero,
            "→",
            "a positive b_u closes 001's carry path",
            numeric=Counterexample(_wrong_sign_search, method="textbook GRU, b_u = +8"),
        ),
    ),
    sources=("004", "001"),
    section=SECTION,
    caveat=(
        "[004] says to initialise the update-gate bias with high positive numbers; that is "
        "right for PyTorch's convention (z on h⁽ᵗ⁻¹⁾) and wrong for 001's (u on h̃), where it "
        "closes the carry path (counterexample). gradsym's initialise(update_bias=a) applies "
        "the sign of the cell's convention."
    ),
)


# -- parameter count -------------------------------------------------------------------------------------------


def _three_four_pair():
    return 4 * count(get_cell("gru", "textbook")), 3 * count(get_cell("lstm", "standard"))


def _gru_count_sample(rng):
    d, n = (int(k) for k in rng.integers(1, 40, size=2))
    return (
        np.array([GRU(d, n).n_params, 4 * GRU(d, n).n_params, GRU(d, n, variant="torch").n_params]),
        np.array([3 * RNN(d, n).n_params, 3 * LSTM(d, n).n_params, 3 * RNN(d, n).n_params + n]),
        {"d": d, "n": n},
    )


gru_params = Claim(
    id="gru-params",
    title="The GRU has fewer parameters than the LSTM",
    statement="The GRU has 3(n² + nd + n) parameters against the LSTM's 4(n² + nd + n): 3 blocks vs 4.",
    assumptions=("same sizes", "the textbook GRU"),
    steps=(
        Step(
            scalar("#θ_GRU", r"\#\theta_{\text{GRU}}"),
            3 * (n_**2 + n_ * d_ + n_),
            "=",
            "three blocks (u, r, h̃) against four",
            symbolic=Identity(_three_four_pair, method="4·#GRU = 3·#LSTM from the symbolic cells"),
            numeric=Numeric(_gru_count_sample, tol=0.0, trials=5, method="NumPy cells' n_params"),
        ),
    ),
    sources=("001", "004"),
    section=SECTION,
    caveat="PyTorch's GRU keeps b_hn separate: 3(n² + nd + n) + n here (and 3(n² + nd + 2n) in PyTorch's own count, two biases per gate); the minimal GRU has 2 blocks.",
)


# -- the variants ------------------------------------------------------------------------------------------------


def _mapped_instances(rng, reset_bias=None):
    """A textbook GRU and a torch-form GRU with mapped weights: z = 1 − u exactly
    (W_z = −W_u, …), candidate weights equal, b_hn = 0; only the place of r differs."""
    tb = get_cell("gru", "textbook")
    inst = random_instance(tb, 3, 2, rng, scale=2.0)
    p = inst["params"]
    if reset_bias is not None:
        p["b_r"][...] = reset_bias
    tp = {
        "W_r": p["W_r"],
        "U_r": p["U_r"],
        "b_r": p["b_r"],
        "W_z": -p["W_u"],
        "U_z": -p["U_u"],
        "b_z": -p["b_u"],
        "W_n": p["W_h"],
        "U_n": p["U_h"],
        "b_n": p["b_h"],
        "b_hn": np.zeros(3),
    }
    x, h = inst["leaves"]["x"][None, None], (inst["leaves"]["h_prev"][None],)
    a = numeric_cell(tb, inst).forward(x, h).h[0, 0]
    b = numeric_cell(get_cell("gru", "torch"), {**inst, "params": tp}).forward(x, h).h[0, 0]
    return a, b, inst


def _reset_place_search(rng):
    a, b, inst = _mapped_instances(rng)
    if np.abs(a - b).max() > 1e-6:
        return {"h_textbook": a, "h_torch": b, "params": inst["params"]}
    return None


def _reset_one_sample(rng):
    a, b, _ = _mapped_instances(rng, reset_bias=40.0)
    return a, b, {"b_r": 40.0}


gru_variants = Claim(
    id="gru-variants",
    title="The GRU variants: minimal, full (textbook), PyTorch",
    statement=(
        "The minimal GRU with an update gate only and the full GRU with the relevance (reset) "
        "gate, in the notation of [003]; PyTorch's GRU, where the reset gate multiplies "
        "(W_hn h + b_hn) after the product."
    ),
    assumptions=("003's Γ_u is 001's u; 003's W_c[Γ_r∘c, x] is W_h(r∘h) + U_h x",),
    steps=(
        jacobian_step("gru", "minimal", "h", "h_prev", textbook_form, "as the full GRU with r ≡ 1"),
        jacobian_step("gru", "textbook", "h", "h_prev", textbook_form, "product and chain rules"),
        jacobian_step(
            "gru",
            "torch",
            "h",
            "h_prev",
            torch_form,
            "product rule on (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾, r after the product",
        ),
        Step(
            scalar(
                "h⁽ᵗ⁾ textbook − h⁽ᵗ⁾ torch",
                r"\mathbf{h}^{(t)}_{\text{textbook}} - \mathbf{h}^{(t)}_{\text{torch}}",
            ),
            sp.S.Zero,
            "=",
            "r ≡ 1: r∘(W h) = W(r∘h)",
            numeric=Numeric(_reset_one_sample, tol=1e-12, method="mapped weights, b_r = 40"),
        ),
        Step(
            scalar(
                "h⁽ᵗ⁾ textbook − h⁽ᵗ⁾ torch (general r)",
                r"\mathbf{h}_{\text{textbook}} - \mathbf{h}_{\text{torch}}",
            ),
            sp.S.Zero,
            "≠",
            "r∘(W h) ≠ W(r∘h): the forms are different cells",
            numeric=Counterexample(_reset_place_search, method="mapped weights, random r"),
        ),
    ),
    sources=("003", "001"),
    section=SECTION,
    caveat=(
        "PyTorch's GRU is not a re-parametrisation of the notes' GRU: even with z = 1 − u and "
        "b_hn = 0 the two differ whenever r ≠ 1, because r multiplies W_n h after the product."
    ),
)

CLAIMS = (gru_jacobian, gru_retain, gru_update_bias, gru_params, gru_variants)
