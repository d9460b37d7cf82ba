"""The GRU (notes 001, 000, 003, 004) in its three forms, conventions stated.

textbook (001): u = σ(z_u), r = σ(z_r), h̃ = tanh(z_h) with z_h = W_h (r∘h⁽ᵗ⁻¹⁾) + U_h x + b_h,
    h⁽ᵗ⁾ = (1 − u)∘h⁽ᵗ⁻¹⁾ + u∘h̃                                           (u = 0 keeps h)
minimal (003): no r.
torch: r = σ(a_r), z = σ(a_z), g_n = W_n h⁽ᵗ⁻¹⁾ + b_hn, n = tanh(a_n) with
    a_n = U_n x + b_n + r∘g_n, h⁽ᵗ⁾ = (1 − z)∘n + z∘h⁽ᵗ⁻¹⁾                   (z = 1 keeps h)
Every derivation prints the equations of the cells it uses.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import HadamardProduct as Had
from sympy import Identity as I_
from sympy import MatAdd, MatMul, OneMatrix

from gradsym.lang.functions import sigmoid
from gradsym.lang.notation import Named, ParamCount, Partial, d, n
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.optim.initialisers import initialise
from gradsym.symbolic import cell as get_cell
from gradsym.symbolic.equations import one_minus

from ..checks import EverySize, Exact, Sampled
from ..claim import Claim, Step
from ..evaluate import ExactEvaluator, FloatEvaluator, Model, Unbound
from ..models import CellModel, counting_model, exact_cell, float_cell, random_values
from .common import Apply, Diag, S, jacobian_step
from .lstm import STANDARD, count

SECTION = "GRU"
TEXTBOOK = get_cell("gru", "textbook")
MINIMAL = get_cell("gru", "minimal")
TORCH = get_cell("gru", "torch")


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
        r"$\partial \mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ is "
        r"$\operatorname{diag}(1 - \mathbf{u}^{(t)})$ plus the gate and candidate terms."
    ),
    assumptions=(r"the GRU of \cite{001}",),
    steps=(
        jacobian_step(
            "gru",
            "textbook",
            "h",
            "h_prev",
            textbook_form,
            (
                r"the product rule on $(1 - \mathbf{u}^{(t)}) \circ \mathbf{h}^{(t-1)} + "
                r"\mathbf{u}^{(t)} \circ \tilde{\mathbf{h}}^{(t)}$, the chain rule through "
                r"$\mathbf{r}^{(t)} \circ \mathbf{h}^{(t-1)}$"
            ),
        ),
        jacobian_step("gru", "textbook", "h", "x", textbook_x_form, "chain rule"),
    ),
    sources=("001", "000", "003", "004", "cho2014"),
    section=SECTION,
    formula=0,
    cells=(TEXTBOOK,),
)


# -- u = 0 retains ------------------------------------------------------------------------------------


def _saturated(cell, bias: str, value: float):
    def sample(rng):
        model = float_cell(cell, rng)
        model.values[S(cell, bias)] = np.full((3, 1), value)
        model.label = f"NumPy GRU, {bias} = {value:g}"
        return model

    return sample


def _dh(cell):
    return Partial(S(cell, "h"), S(cell, "h_prev"))


gru_retain = Claim(
    id="gru-retain",
    title=r"$\mathbf{u} = \mathbf{0}$: the GRU's Jacobian is $\mathbf{I}$",
    statement=(
        r"With $\mathbf{u}^{(t)} = \mathbf{0}$ the Jacobian $\partial "
        r"\mathbf{h}^{(t)}/\partial \mathbf{h}^{(t-1)}$ is $\mathbf{I}$: the GRU retains "
        r"information. In the convention of \cite{001}, $\mathbf{h}^{(t)} = (1 - "
        r"\mathbf{u}^{(t)}) \circ \mathbf{h}^{(t-1)} + \mathbf{u}^{(t)} \circ "
        r"\tilde{\mathbf{h}}^{(t)}$; for PyTorch's GRU, whose gate $\bar{\mathbf{u}}^{(t)}$ "
        r"multiplies $\mathbf{h}^{(t-1)}$, the same holds at $\bar{\mathbf{u}}^{(t)} = "
        r"\mathbf{1}$."
    ),
    assumptions=(
        (
            r"$\mathbf{u}^{(t)} = \mathbf{0}$, hence $\sigma'(\mathbf{z}_u^{(t)}) = "
            r"\mathbf{u}^{(t)} \circ (1 - \mathbf{u}^{(t)}) = \mathbf{0}$ as well"
        ),
    ),
    steps=(
        Step(
            _dh(TEXTBOOK),
            "=",
            I_(n),
            (
                r"$\mathbf{h}^{(t)} = (1 - 0) \circ \mathbf{h}^{(t-1)} + 0 \circ "
                r"\tilde{\mathbf{h}}^{(t)}$ (the convention of \cite{001})"
            ),
            where=((S(TEXTBOOK, "u"), sp.ZeroMatrix(n, 1)),),
            checks=(
                EverySize(TEXTBOOK),
                Sampled(
                    _saturated(TEXTBOOK, "b_u", -60.0),
                    r"the NumPy GRU with $\mathbf{b}_u = -60$ ($\mathbf{u} \approx 10^{-26}$)",
                    tol=1e-13,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _dh(TORCH),
            "=",
            I_(n),
            (
                r"$\mathbf{h}^{(t)} = (1 - 1) \circ \hat{\mathbf{h}}^{(t)} + 1 \circ "
                r"\mathbf{h}^{(t-1)}$ (the gate on $\mathbf{h}^{(t-1)}$, as in PyTorch's GRU)"
            ),
            where=((S(TORCH, "z"), OneMatrix(n, 1)),),
            checks=(
                EverySize(TORCH),
                Sampled(
                    _saturated(TORCH, "b_z", 60.0),
                    r"the NumPy GRU in PyTorch's form with $\mathbf{b}_{\bar{u}} = +60$",
                    tol=1e-13,
                    scale="absolute",
                ),
            ),
        ),
    ),
    sources=("001", "cho2014"),
    section=SECTION,
    caveat=(
        r"$\mathbf{u}^{(t)} = \sigma(\mathbf{z}_u^{(t)})$ is never exactly $\mathbf{0}$: "
        r"the Jacobian is $\mathbf{I}$ in the limit $\mathbf{b}_u \to -\infty$ (PyTorch's "
        r"GRU: $\mathbf{b}_{\bar{u}} \to +\infty$), up to terms of the size of "
        r"$e^{\beta}$ for a finite bias $\mathbf{b}_u = \beta \mathbf{1}$. Setting $\mathbf{u}^{(t)} = \mathbf{0}$ also sets "
        r"$\sigma'(\mathbf{z}_u^{(t)}) = \mathbf{u}^{(t)} \circ (1 - \mathbf{u}^{(t)}) = "
        r"\mathbf{0}$, which removes the $\mathbf{W}_u$ term."
    ),
    formula=0,
    cells=(TEXTBOOK, TORCH),
)


# -- which sign of the bias opens the path ---------------------------------------------------------------

beta = sp.Symbol("beta", real=True)
a_s = sp.Symbol("zeta", real=True)  # the rest of the pre-activation (z is the whole)
omega = sp.Symbol("omega", real=True)  # the update-gate bias an initialiser sets


def _scalar_limit():
    yield Model({}, free=(a_s, beta), label="symbolic ζ")


def _scalar_at(value):
    return lambda rng: Model({beta: value, a_s: float(rng.normal(0, 3))}, label=f"β = {value:g}")


def _beta_float(cell, value):
    def sample(rng):
        model = float_cell(cell, rng)
        model.values[beta] = value
        return model

    return sample


def _initialised(variant: str):
    def sample(rng):
        a_ = float(rng.uniform(1, 40))
        num = initialise(GRU(2, 3, variant=variant), rng=rng, update_bias=a_)
        cell = TEXTBOOK if variant == "textbook" else TORCH
        values = random_values(cell, rng, 3, 2)
        for p in cell.params:
            v = num.params[p.name]
            values[p] = v.reshape(-1, 1) if v.ndim == 1 else v
        values[omega] = a_
        return CellModel(
            cell,
            values,
            exact=False,
            n=3,
            d=2,
            label=f"initialise({variant}, update_bias={a_:.3g})",
        )

    return sample


b_u, b_z = S(TEXTBOOK, "b_u"), S(TORCH, "b_z")

gru_update_bias = Claim(
    id="gru-update-bias",
    title="The update-gate bias opens the short path, with the sign of the convention",
    statement=(
        r"The bias of the gate on the short path opens it, with the sign of the convention: "
        r"with the update gate on the candidate \cite{001} the carry coefficient is $1 - "
        r"\mathbf{u}^{(t)}$, opened by $\mathbf{b}_u \to -\infty$; with the gate on "
        r"$\mathbf{h}^{(t-1)}$ (\cite{cho2014}, \cite{004}, PyTorch) it is "
        r"$\bar{\mathbf{u}}^{(t)}$, opened by $\mathbf{b}_{\bar{u}} \to +\infty$."
    ),
    assumptions=(
        r"the carry coefficient is the gate value that multiplies $\mathbf{h}^{(t-1)}$",
        (
            r"$\zeta$: the rest of the gate's pre-activation ($\mathbf{W} \mathbf{h}^{(t-1)} + "
            r"\mathbf{U} \mathbf{x}^{(t)}$ in one unit); $\beta$: its bias"
        ),
    ),
    steps=(
        Step(
            1 - sigmoid(a_s + beta),
            "→",
            sp.S.One,
            r"the carry coefficient of \cite{001}, $1 - u$ with $u = \sigma(\zeta + \beta)$",
            limit=(beta, -sp.oo),
            checks=(
                Exact(_scalar_limit, r"the limit in $\beta$, $\zeta$ symbolic"),
                Sampled(
                    _scalar_at(-60.0),
                    r"$\beta = -60$, random $\zeta$",
                    trials=4,
                    tol=1e-15,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            sigmoid(a_s + beta),
            "→",
            sp.S.One,
            r"the carry coefficient with the gate on $\mathbf{h}^{(t-1)}$, $\bar{u} = "
            r"\sigma(\zeta + \beta)$",
            limit=(beta, sp.oo),
            checks=(
                Exact(_scalar_limit, r"the limit in $\beta$, $\zeta$ symbolic"),
                Sampled(
                    _scalar_at(60.0),
                    r"$\beta = 60$, random $\zeta$",
                    trials=4,
                    tol=1e-15,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            1 - sigmoid(a_s + beta),
            "→",
            sp.S.Zero,
            (
                r"a positive $\mathbf{b}_u$ closes the carry path of \cite{001}: the advice of "
                r"\cite{004} is for the gate on $\mathbf{h}^{(t-1)}$"
            ),
            limit=(beta, sp.oo),
            checks=(
                Exact(_scalar_limit, r"the limit in $\beta$, $\zeta$ symbolic"),
                Sampled(
                    _scalar_at(60.0),
                    r"$\beta = 60$, random $\zeta$",
                    trials=4,
                    tol=1e-15,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _dh(TEXTBOOK),
            "→",
            I_(n),
            (
                r"$1 - \mathbf{u}^{(t)} \to \mathbf{1}$ and $\sigma'(\mathbf{z}_u^{(t)}) \to "
                r"\mathbf{0}$ in every unit"
            ),
            limit=(beta, -sp.oo),
            where=((b_u, MatMul(beta, OneMatrix(n, 1))),),
            checks=(
                Sampled(
                    _beta_float(TEXTBOOK, -60.0),
                    r"the NumPy GRU at $\beta = -60$",
                    tol=1e-13,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            _dh(TORCH),
            "→",
            I_(n),
            (
                r"$\bar{\mathbf{u}}^{(t)} \to \mathbf{1}$ and $\sigma'(\mathbf{z}_{\bar{u}}^{(t)}) \to "
                r"\mathbf{0}$ in every unit"
            ),
            limit=(beta, sp.oo),
            where=((b_z, MatMul(beta, OneMatrix(n, 1))),),
            checks=(
                Sampled(
                    _beta_float(TORCH, 60.0),
                    r"the NumPy GRU in PyTorch's form at $\beta = 60$",
                    tol=1e-13,
                    scale="absolute",
                ),
            ),
        ),
        Step(
            b_u,
            "=",
            MatMul(-omega, OneMatrix(n, 1)),
            (
                r"an initialisation with update-gate bias $\omega$: the carry "
                r"coefficient of \cite{001}, $1 - u = \sigma(\omega - \zeta)$, tends to 1 as "
                r"$\omega \to \infty$ (line 1), once $\omega$ outgrows $|\zeta|$"
            ),
            checks=(
                Sampled(
                    _initialised("textbook"),
                    "the library's initialisation with an update-gate bias",
                    tol=0.0,
                ),
            ),
        ),
        Step(
            b_z,
            "=",
            MatMul(omega, OneMatrix(n, 1)),
            (
                r"\ldots{} and with the gate on $\mathbf{h}^{(t-1)}$: $\bar{u} = \sigma(\zeta + "
                r"\omega) \to 1$ (line 2)"
            ),
            checks=(
                Sampled(
                    _initialised("torch"),
                    "the library's initialisation with an update-gate bias",
                    tol=0.0,
                ),
            ),
        ),
    ),
    sources=("004", "001", "cho2014"),
    section=SECTION,
    caveat=(
        r"\cite{004} says to initialise the update-gate bias with high positive numbers; "
        r"that is right when the gate stands on $\mathbf{h}^{(t-1)}$ ($\bar{\mathbf{u}}$, as "
        r"in \cite{cho2014} and PyTorch) "
        r"and wrong for the convention of \cite{001} ($\mathbf{u}$ on "
        r"$\tilde{\mathbf{h}}^{(t)}$), where it closes the carry path. An initialisation "
        "that asks for an open carry path must take the sign of the cell's convention."
    ),
    cells=(TEXTBOOK, TORCH),
)


# -- parameter count -------------------------------------------------------------------------------------------

GRU_COUNT = ParamCount("gru", r"\text{GRU}")
GRU_TORCH_COUNT = ParamCount("gru_torch", r"\text{GRU, reset after}")
LSTM_COUNT = ParamCount("lstm", r"\text{LSTM}")


def _count_exact():
    yield counting_model(
        {GRU_COUNT: count(TEXTBOOK), LSTM_COUNT: count(STANDARD), GRU_TORCH_COUNT: count(TORCH)},
        free=(n, d),
        label="symbolic n, d",
    )


def _count_float(rng):
    d_, n_ = (int(v) for v in rng.integers(1, 40, size=2))
    return Model(
        {
            GRU_COUNT: GRU(d_, n_).n_params,
            LSTM_COUNT: LSTM(d_, n_).n_params,
            GRU_TORCH_COUNT: GRU(d_, n_, variant="torch").n_params,
            n: n_,
            d: d_,
        },
        label=f"NumPy cells, n = {n_}, d = {d_}",
    )


_count_checks = (
    Exact(_count_exact, "the symbolic cells' parameter shapes"),
    Sampled(_count_float, "the NumPy cells' parameter counts", trials=5, tol=0.0),
)

gru_params = Claim(
    id="gru-params",
    title="The GRU has fewer parameters than the LSTM",
    statement=(
        "The GRU has $3(n^2 + nd + n)$ parameters against the LSTM's $4(n^2 + nd + n)$: "
        "3 blocks against 4."
    ),
    assumptions=("same sizes", r"the textbook GRU of \cite{001}"),
    steps=(
        Step(
            GRU_COUNT,
            "=",
            3 * (n**2 + n * d + n),
            (
                r"three blocks ($\mathbf{u}$, $\mathbf{r}$, $\tilde{\mathbf{h}}$), each with its "
                r"$\mathbf{W}$, $\mathbf{U}$, $\mathbf{b}$"
            ),
            checks=_count_checks,
        ),
        Step(4 * GRU_COUNT, "=", 3 * LSTM_COUNT, "3 blocks against 4", checks=_count_checks),
        Step(
            GRU_TORCH_COUNT,
            "=",
            3 * (n**2 + n * d + n) + n,
            (
                r"with the reset gate after the product, $\mathbf{b}_{hh}$ sits inside "
                r"$\mathbf{r}^{(t)} \circ (\cdot)$ and cannot join $\mathbf{b}_{\hat{h}}$: $n$ more"
            ),
            checks=_count_checks,
        ),
    ),
    sources=("001", "004", "cho2014"),
    section=SECTION,
    caveat=(
        r"The two counts differ by the one bias that the reset gate multiplies. PyTorch's "
        r"implementation keeps an input bias and a hidden bias for every block, $3(n^2 + nd + "
        r"2n)$ parameters, of which the two biases of each gate could be merged into one. "
        r"The minimal GRU has 2 blocks."
    ),
    formula=1,
    cells=(TEXTBOOK, TORCH),
)


# -- the variants ------------------------------------------------------------------------------------------------

h_textbook = Named("h_textbook", n, 1, r"\mathbf{h}^{(t)}_{\text{textbook}}")
h_torch = Named("h_torch", n, 1, r"\mathbf{h}^{(t)}_{\text{PyTorch}}")
r_gate = S(TEXTBOOK, "r")

# The torch form's weights from the textbook's: z = 1 − u exactly (W_z = −W_u, …), the
# candidate's equal, b_hn = 0; only the place of r differs.
MAPPING = {
    "W_r": ("W_r", 1), "U_r": ("U_r", 1), "b_r": ("b_r", 1),
    "W_z": ("W_u", -1), "U_z": ("U_u", -1), "b_z": ("b_u", -1),
    "W_n": ("W_h", 1), "U_n": ("U_h", 1), "b_n": ("b_h", 1),
}  # fmt: skip


class _MappedPair(Model):
    """A textbook GRU and a torch-form GRU with mapped weights, on the same x and h⁽ᵗ⁻¹⁾."""

    def __init__(self, values, *, exact, label=""):
        super().__init__(values, label=label)
        self.exact = exact

    def resolve(self, key, ev):
        if key in (h_textbook, h_torch) or key == r_gate:
            cell = TEXTBOOK if key != h_torch else TORCH
            values = self._cell_values(cell, ev)
            sub = CellModel(cell, values, exact=self.exact, n=self.values[n], d=self.values[d])
            cls = ExactEvaluator if self.exact else FloatEvaluator
            overrides = {r_gate: ev.overrides[r_gate]} if r_gate in ev.overrides else {}
            return cls(sub, overrides=overrides).visit(S(cell, "r" if key == r_gate else "h"))
        raise Unbound(f"no value for {key}")

    def _cell_values(self, cell, ev):
        tb = {p.name: ev.visit(p) for p in TEXTBOOK.params}
        leaves = {s: ev.visit(TEXTBOOK.vectors[s.name]) for s in cell.leaves}
        if cell is TEXTBOOK:
            return {**{p: tb[p.name] for p in cell.params}, **leaves}
        out = {}
        for p in cell.params:
            if p.name == "b_hn":
                out[p] = 0 * tb["b_h"]
            else:
                src, sign = MAPPING[p.name]
                out[p] = sign * tb[src]
        return {**out, **leaves}


def _pair_exact():
    model = exact_cell(TEXTBOOK, 2, 2)
    yield _MappedPair(model.values, exact=True, label="symbolic entries, n = 2")


def _pair_float(reset_bias=None):
    def sample(rng):
        values = random_values(TEXTBOOK, rng, 3, 2, scale=2.0)
        if reset_bias is not None:
            values[S(TEXTBOOK, "b_r")] = np.full((3, 1), reset_bias)
        return _MappedPair({**values, n: 3, d: 2}, exact=False, label="random weights")

    return sample


gru_variants = Claim(
    id="gru-variants",
    title="The GRU variants: minimal, full, and with the reset gate after the product",
    statement=(
        r"Three GRUs: the minimal GRU with an update gate only \cite{003}; the full GRU "
        r"with the reset gate applied before the product by $\mathbf{W}_h$ \cite{001}; "
        r"PyTorch's GRU, whose reset gate multiplies $\mathbf{W}_{\hat{h}} "
        r"\mathbf{h}^{(t-1)} + \mathbf{b}_{hh}$ after the product. The minimal GRU is the "
        r"full one with $\mathbf{r} = \mathbf{1}$; PyTorch's is a different cell."
    ),
    assumptions=(
        (
            r"the minimal GRU of \cite{003}, written in these notes' letters (its memory cell "
            r"is $\mathbf{h}^{(t)}$, its update gate $\mathbf{u}^{(t)}$)"
        ),
        (
            r"mapped weights: $\mathbf{W}_{\bar{u}} = -\mathbf{W}_u$, $\mathbf{U}_{\bar{u}} = "
            r"-\mathbf{U}_u$, $\mathbf{b}_{\bar{u}} = -\mathbf{b}_u$ (so that "
            r"$\bar{\mathbf{u}} = 1 - \mathbf{u}$), $\mathbf{W}_{\hat{h}} = \mathbf{W}_h$, "
            r"$\mathbf{U}_{\hat{h}} = \mathbf{U}_h$, $\mathbf{b}_{\hat{h}} = \mathbf{b}_h$, "
            r"$\mathbf{b}_{hh} = \mathbf{0}$"
        ),
    ),
    steps=(
        jacobian_step(
            "gru",
            "minimal",
            "h",
            "h_prev",
            textbook_form,
            r"as the full GRU with $\mathbf{r} = \mathbf{1}$",
        ),
        jacobian_step("gru", "textbook", "h", "h_prev", textbook_form, "product and chain rules"),
        jacobian_step(
            "gru",
            "torch",
            "h",
            "h_prev",
            torch_form,
            (
                r"the product rule on $(1 - \bar{\mathbf{u}}^{(t)}) \circ \hat{\mathbf{h}}^{(t)} "
                r"+ \bar{\mathbf{u}}^{(t)} \circ \mathbf{h}^{(t-1)}$, with $\mathbf{r}^{(t)}$ "
                "after the product"
            ),
        ),
        Step(
            h_textbook,
            "=",
            h_torch,
            (
                r"$\mathbf{r} = \mathbf{1}$: $\mathbf{r} \circ (\mathbf{W}\mathbf{h}) = "
                r"\mathbf{W}(\mathbf{r} \circ \mathbf{h})$"
            ),
            where=((r_gate, OneMatrix(n, 1)),),
            checks=(
                Exact(_pair_exact, "symbolic entries, $n = 2$, mapped weights"),
                Sampled(
                    _pair_float(reset_bias=40.0),
                    r"mapped weights, $\mathbf{b}_r = 40$ ($\mathbf{r} = \mathbf{1}$ in float64)",
                    tol=1e-12,
                ),
            ),
        ),
        Step(
            h_textbook,
            "≠",
            h_torch,
            (
                r"$\mathbf{r} \circ (\mathbf{W}\mathbf{h}) \neq \mathbf{W}(\mathbf{r} \circ "
                r"\mathbf{h})$: the two forms are different cells"
            ),
            checks=(
                Exact(_pair_exact, "symbolic entries, $n = 2$, mapped weights"),
                Sampled(_pair_float(), r"mapped weights, random $\mathbf{r}$", trials=3, tol=0.0),
            ),
        ),
    ),
    sources=("003", "001", "cho2014"),
    section=SECTION,
    caveat=(
        r"PyTorch's GRU is not a re-parametrisation of the GRU of \cite{001}: even with "
        r"$\bar{\mathbf{u}} = 1 - \mathbf{u}$ and $\mathbf{b}_{hh} = \mathbf{0}$ the two "
        r"differ whenever $\mathbf{r} \neq \mathbf{1}$, because $\mathbf{r}$ multiplies "
        r"$\mathbf{W}_{\hat{h}} \mathbf{h}^{(t-1)}$ after the product."
    ),
    cells=(MINIMAL, TEXTBOOK, TORCH),
)

CLAIMS = (gru_jacobian, gru_retain, gru_update_bias, gru_params, gru_variants)
_ = (RNN, sigmoid)
