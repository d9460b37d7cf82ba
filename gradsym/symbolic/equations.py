"""The cell equations of the notes, as named SymPy matrix expressions.

A :class:`CellEquations` is an ordered list of definitions ``name = expression`` over named
vectors (MatrixSymbol of shape (n, 1) or (d, 1)) and parameters (MatrixSymbol matrices),
written as the notes write them (seeds 001, 003) — not derived from the NumPy backend.
The state leaves (``h_prev``, ``c_prev``, …) and the input ``x`` are the inputs; the new
state vectors (``h``, ``c``) are the outputs. Jacobians are taken of any defined vector with
respect to any leaf or intermediate vector (an intermediate is then held fixed as a cut).

Algebra shared by variants is written once: ``_affine`` builds W h + U x + b (+ V c),
``_gate`` the σ/tanh of it with its named pre-activation z.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import sympy as sp
from sympy import BlockMatrix, HadamardProduct, MatAdd, MatMul, MatrixSymbol, OneMatrix
from sympy.matrices.expressions import MatrixExpr

from gradsym.cells import registry
from gradsym.cells.builtin import (
    GRU_VARIANTS,
    HIGHWAY_VARIANTS,
    LSTM_SWITCHES,
    STACKED_VARIANTS,
    lstm_variant,
)
from gradsym.errors import InvalidValueError, unknown_name
from gradsym.lang.matexpr import Apply
from gradsym.lang.names import Labelled, d, matrix, n, vector


@dataclass(frozen=True)
class CellEquations:
    """One cell (or connection) and variant: its vectors, parameters and equations.

    ``definitions`` are (symbol, expression) pairs in evaluation order; ``state`` names
    the previous-state leaves and ``outputs`` the new state vectors, position by position
    (s = [h; c] for the LSTM). ``blocks`` lists the Jacobian blocks (of, wrt) the cell
    documents and proves. ``preactivations`` are the z's that ``inline`` substitutes to
    print a Jacobian as the slide does, diag(σ'(W_h h + W_x x + b)) W_h.
    """

    name: str
    variant: str
    leaves: tuple[MatrixSymbol, ...]
    params: tuple[MatrixSymbol, ...]
    definitions: tuple[tuple[MatrixSymbol, MatrixExpr], ...]
    state: tuple[str, ...]
    outputs: tuple[str, ...]
    blocks: tuple[tuple[str, str], ...]
    preactivations: tuple[str, ...] = ()
    style: str = "001"

    @property
    def vectors(self) -> dict[str, MatrixSymbol]:
        """Every named vector: leaves and defined intermediates."""
        out = {s.name: s for s in self.leaves}
        out.update({s.name: s for s, _ in self.definitions})
        return out

    @property
    def definition(self) -> dict[MatrixSymbol, MatrixExpr]:
        return dict(self.definitions)

    def symbol(self, name: str) -> MatrixSymbol:
        """The vector called ``name``, or UnknownNameError listing the known ones."""
        vectors = self.vectors
        if name not in vectors:
            raise unknown_name(f"vector of cell {self.name!r}", name, vectors)
        return vectors[name]

    def with_equation(self, name: str, expression: MatrixExpr) -> CellEquations:
        """A copy with the definition of ``name`` replaced (to see the Jacobian follow)."""
        sym = self.symbol(name)
        if sym not in self.definition:
            raise InvalidValueError(f"{name!r} is a leaf of cell {self.name!r}, not an equation")
        defs = tuple((s, expression if s == sym else e) for s, e in self.definitions)
        return replace(self, definitions=defs, variant=f"{self.variant}*")


class _Builder:
    """Collects parameters and definitions while a cell's equations are written."""

    def __init__(self) -> None:
        self.params: dict[str, MatrixSymbol] = {}
        self.defs: list[tuple[MatrixSymbol, MatrixExpr]] = []
        self.pre: list[str] = []

    def p(
        self, name: str, rows: sp.Expr = n, cols: sp.Expr = 1, latex: str | None = None
    ) -> MatrixSymbol:
        sym = matrix(name, rows, cols) if latex is None else Labelled(name, rows, cols, latex)
        self.params[name] = sym
        return sym

    def let(
        self, name: str, expr: MatrixExpr, pre: bool = False, latex: str | None = None
    ) -> MatrixSymbol:
        sym = vector(name, expr.shape[0], latex)
        self.defs.append((sym, expr))
        if pre:
            self.pre.append(name)
        return sym

    def affine(self, *terms: tuple[str, MatrixSymbol], bias: str) -> MatrixExpr:
        """Σ_k M_k v_k + b, with each M_k a new parameter of shape (n, size of v_k)."""
        parts = [MatMul(self.p(w, n, v.shape[0]), v) for w, v in terms]
        return MatAdd(*parts, self.p(bias))

    def gate(
        self, name: str, act: str, pre: str, *terms, bias: str, latex: str | None = None
    ) -> MatrixSymbol:
        """name = act(z), z = Σ M v + b named ``pre`` (z_f, z_i, …)."""
        z = self.let(pre, self.affine(*terms, bias=bias), pre=True)
        return self.let(name, Apply(act, z), latex=latex)


def hadamard(*factors: MatrixExpr) -> MatrixExpr:
    return HadamardProduct(*factors)


def one_minus(v: MatrixSymbol) -> MatrixExpr:
    """1 − v, the 1 being the all-ones vector."""
    return MatAdd(OneMatrix(v.shape[0], 1), MatMul(-1, v))


def _cell(name, variant, leaves, b: _Builder, state, outputs, blocks, style="001"):
    return CellEquations(
        name=name,
        variant=variant,
        leaves=tuple(leaves),
        params=tuple(b.params.values()),
        definitions=tuple(b.defs),
        state=tuple(state),
        outputs=tuple(outputs),
        blocks=tuple(blocks),
        preactivations=tuple(b.pre),
        style=style,
    )


def rnn(activation: str = "tanh") -> CellEquations:
    """Vanilla RNN (001): h^{(t)} = σ(W_h h^{(t-1)} + W_x x^{(t)} + b).

    Shapes: W_h (n, n), W_x (n, d), b (n,); σ ∈ {tanh, sigmoid, relu, identity}.
    """
    b = _Builder()
    h_prev, x = vector("h_prev"), vector("x", d)
    b.gate("h", activation, "z", ("W_h", h_prev), ("W_x", x), bias="b")
    blocks = [("h", "h_prev"), ("h", "x")]
    return _cell("rnn", activation, [h_prev, x], b, ["h_prev"], ["h"], blocks)


def lstm(peephole: bool = False, forget_gate: bool = True) -> CellEquations:
    """LSTM (001): f = σ(W_f h + U_f x + b_f), i = σ(W_i h + U_i x + b_i),
    o = σ(W_o h + U_o x + b_o), c̃ = tanh(W_c h + U_c x + b_c),
    c^{(t)} = f∘c^{(t-1)} + i∘c̃, h^{(t)} = o∘tanh(c^{(t)}).

    Peephole (003): the gates f, i, o also get + V_g c^{(t-1)} (V_g (n, n)); c̃ does not.
    No forget gate (1997): c^{(t)} = c^{(t-1)} + i∘c̃, and no W_f, U_f, b_f, V_f.
    Shapes: W_g (n, n), U_g (n, d), b_g (n,). State s = [h; c].
    """
    b = _Builder()
    h_prev, c_prev, x = vector("h_prev"), vector("c_prev"), vector("x", d)

    def gate_terms(g: str):
        terms = [(f"W_{g}", h_prev), (f"U_{g}", x)]
        if peephole:
            terms.append((f"V_{g}", c_prev))
        return terms

    f = b.gate("f", "sigmoid", "z_f", *gate_terms("f"), bias="b_f") if forget_gate else None
    i = b.gate("i", "sigmoid", "z_i", *gate_terms("i"), bias="b_i")
    o = b.gate("o", "sigmoid", "z_o", *gate_terms("o"), bias="b_o")
    c_tilde = b.gate("c_tilde", "tanh", "z_c", ("W_c", h_prev), ("U_c", x), bias="b_c")
    kept = hadamard(f, c_prev) if forget_gate else c_prev
    c = b.let("c", MatAdd(kept, hadamard(i, c_tilde)))
    b.let("h", hadamard(o, Apply("tanh", c)))
    variant = lstm_variant(peephole, forget_gate)
    blocks = [(o_, w) for o_ in ("h", "c") for w in ("h_prev", "c_prev", "x")]
    return _cell(
        "lstm",
        variant,
        [h_prev, c_prev, x],
        b,
        ["h_prev", "c_prev"],
        ["h", "c"],
        blocks,
        style="001",  # one notation for every cell: f, i, o (not the Γ's of seed 003)
    )


def gru(variant: str = "textbook") -> CellEquations:
    """GRU.

    textbook (001): u = σ(W_u h + U_u x + b_u), r = σ(W_r h + U_r x + b_r),
        h̃ = tanh(W_h (r∘h^{(t-1)}) + U_h x + b_h), h^{(t)} = (1 − u)∘h^{(t-1)} + u∘h̃.
    minimal (003, update gate only): as textbook with h̃ = tanh(W_h h^{(t-1)} + U_h x + b_h).
    torch (PyTorch): r = σ(W_r h + U_r x + b_r), z = σ(W_z h + U_z x + b_z),
        n = tanh(U_n x + b_n + r∘(W_n h + b_hn)), h^{(t)} = (1 − z)∘n + z∘h^{(t-1)}.
    Shapes: W_g (n, n), U_g (n, d), b_g and b_hn (n,).
    """
    b = _Builder()
    h_prev, x = vector("h_prev"), vector("x", d)
    if variant in ("textbook", "minimal"):
        u = b.gate("u", "sigmoid", "z_u", ("W_u", h_prev), ("U_u", x), bias="b_u")
        if variant == "textbook":
            r = b.gate("r", "sigmoid", "z_r", ("W_r", h_prev), ("U_r", x), bias="b_r")
            seen = hadamard(r, h_prev)
        else:
            seen = h_prev
        h_tilde = b.gate("h_tilde", "tanh", "z_h", ("W_h", seen), ("U_h", x), bias="b_h")
        b.let("h", MatAdd(hadamard(one_minus(u), h_prev), hadamard(u, h_tilde)))
    elif variant == "torch":
        r = b.gate("r", "sigmoid", "a_r", ("W_r", h_prev), ("U_r", x), bias="b_r")
        # PyTorch's z, the gate on h^{(t-1)}: ū in the notes (z is a pre-activation there)
        z = b.gate("z", "sigmoid", "a_z", ("W_z", h_prev), ("U_z", x), bias="b_z", latex=TORCH_GATE)
        g_n = b.let("g_n", b.affine(("W_n", h_prev), bias="b_hn"), pre=True)
        a_n = b.let(
            "a_n", MatAdd(MatMul(b.p("U_n", n, d), x), b.p("b_n"), hadamard(r, g_n)), pre=True
        )
        n_new = b.let("n_tilde", Apply("tanh", a_n))
        b.let("h", MatAdd(hadamard(one_minus(z), n_new), hadamard(z, h_prev)))
    else:
        raise unknown_name("GRU variant", variant, GRU_VARIANTS)
    blocks = [("h", "h_prev"), ("h", "x")]
    style = "001"  # u, r in every variant (seed 003's Γ_u is mapped in the notes' box)
    return _cell("gru", variant, [h_prev, x], b, ["h_prev"], ["h"], blocks, style)


def birnn(activation: str = "tanh") -> CellEquations:
    """Bidirectional RNN (001, 003), one step of each direction and the output:
    →h^{(t)} = σ(→W_h →h^{(t-1)} + →W_x x^{(t)} + →b),
    ←h^{(t)} = σ(←W_h ←h^{(t+1)} + ←W_x x^{(t)} + ←b),
    o^{(t)} = g(W_o [→h^{(t)}; ←h^{(t)}] + b_o), with g = σ the same activation.
    Shapes: W_o (n, 2n); the directions have separate weights.
    """
    b = _Builder()
    fw_prev, bw_next, x = vector("h_fw_prev"), vector("h_bw_next"), vector("x", d)
    h_fw = b.gate("h_fw", activation, "z_fw", ("W_h_fw", fw_prev), ("W_x_fw", x), bias="b_fw")
    h_bw = b.gate("h_bw", activation, "z_bw", ("W_h_bw", bw_next), ("W_x_bw", x), bias="b_bw")
    both = BlockMatrix([[h_fw], [h_bw]])
    # the output is y (o is the LSTM's output gate); the names stay those of seed 003
    W_o = b.p("W_o", n, 2 * n, latex=r"\mathbf{W}_y")
    b_o = b.p("b_o", latex=r"\mathbf{b}_y")
    z_o = b.let("z_o", MatAdd(MatMul(W_o, both), b_o), pre=True, latex=r"\mathbf{z}_y^{(t)}")
    b.let("o", Apply(activation, z_o), latex=r"\mathbf{y}^{(t)}")
    blocks = [
        ("h_fw", "h_fw_prev"),
        ("h_bw", "h_bw_next"),
        ("h_fw", "x"),
        ("h_bw", "x"),
        ("o", "h_fw"),
        ("o", "h_bw"),
        ("o", "x"),
    ]
    return _cell(
        "birnn",
        activation,
        [fw_prev, bw_next, x],
        b,
        ["h_fw_prev", "h_bw_next"],
        ["h_fw", "h_bw"],
        blocks,
    )


def stacked(variant: str = "plain") -> CellEquations:
    """Two stacked tanh RNN layers (001: "the hidden states from RNN layer i are the inputs
    to RNN layer i + 1"), one time step, state s = [h_1; h_2]:

        h^{(t)}_1 = tanh(W_h^{[1]} h^{(t-1)}_1 + W_x^{[1]} x^{(t)} + b^{[1]}),
        h^{(t)}_2 = tanh(W_h^{[2]} h^{(t-1)}_2 + W_x^{[2]} h^{(t)}_1 + b^{[2]}).

    Variant "residual" adds the skip connection between layers that the notes point to for
    deep RNNs (001, after Britz et al. 2017): the residual stack of Wu et al. (2016, GNMT,
    §3.1, eq. 6), He et al.'s y = x + F(x) (2016) applied between layers. The layer's
    output passed up is y^{(t)}_2 = h^{(t)}_2 + h^{(t)}_1, while each layer's recurrence
    carries its own h_l: the skip stays outside the recurrence, the state is [h_1; h_2]
    as in the plain stack (so the two state Jacobians agree) and the skip shows in
    ∂y_2/∂h_1 = I + ∂h_2/∂h_1. The same model as ``gradsym.Stacked(residual=True)``.
    (The residual LSTM of Kim et al. 2017, with the shortcut inside the cell's recurrent
    output, is another model.)
    Shapes: W_x^{[1]} (n, d), the rest (n, n).
    """
    if variant not in STACKED_VARIANTS:
        raise unknown_name("stacked variant", variant, STACKED_VARIANTS)
    b = _Builder()
    h1_prev, h2_prev, x = vector("h1_prev"), vector("h2_prev"), vector("x", d)
    h1 = b.gate("h1", "tanh", "z1", ("W_h1", h1_prev), ("W_x1", x), bias="b1")
    h2 = b.gate("h2", "tanh", "z2", ("W_h2", h2_prev), ("W_x2", h1), bias="b2")
    blocks = [
        ("h1", "h1_prev"),
        ("h2", "h2_prev"),
        ("h2", "h1_prev"),
        ("h2", "h1"),
        ("h1", "x"),
        ("h2", "x"),
    ]
    if variant == "residual":
        b.let("y2", MatAdd(h2, h1))
        blocks += [("y2", "h1"), ("y2", "h1_prev"), ("y2", "h2_prev"), ("y2", "x")]
    return _cell(
        "stacked", variant, [h1_prev, h2_prev, x], b, ["h1_prev", "h2_prev"], ["h1", "h2"], blocks
    )


def residual(activation: str = "tanh") -> CellEquations:
    """Residual connection (000, 001): y = x + F(x), F(x) = σ(W x + b); W (n, n)."""
    b = _Builder()
    x = vector("x")
    z = b.let("z", b.affine(("W", x), bias="b"), pre=True)
    b.let("y", MatAdd(x, Apply(activation, z)))
    return _cell("residual", activation, [x], b, [], ["y"], [("y", "x")])


def highway(variant: str = "standard") -> CellEquations:
    """Highway connection (000): T = σ(W_T x + b_T), H = tanh(W_H x + b_H),
    y = T∘H + (1 − T)∘x; W_T, W_H (n, n)."""
    if variant not in HIGHWAY_VARIANTS:
        raise unknown_name("highway variant", variant, HIGHWAY_VARIANTS)
    b = _Builder()
    x = vector("x")
    t = b.gate("T", "sigmoid", "z_T", ("W_T", x), bias="b_T")
    h = b.gate("H", "tanh", "z_H", ("W_H", x), bias="b_H")
    b.let("y", MatAdd(hadamard(t, h), hadamard(one_minus(t), x)))
    return _cell("highway", variant, [x], b, [], ["y"], [("y", "x")])


#: How the notes print PyTorch's GRU gate z (on h^{(t-1)}): ū, never z.
TORCH_GATE = r"\bar{\mathbf{u}}^{(t)}"


def lstm_of_variant(variant: str = "standard") -> CellEquations:
    """The LSTM in one of its variants (standard, peephole, no_forget, peephole_no_forget)."""
    if variant not in LSTM_SWITCHES:
        raise unknown_name("lstm variant", variant, LSTM_SWITCHES)
    peephole, forget_gate = LSTM_SWITCHES[variant]
    return lstm(peephole=peephole, forget_gate=forget_gate)


def cell(name: str, variant: str | None = None) -> CellEquations:
    """The cell ``name`` in ``variant`` (None: the default), as the cell registry
    (:mod:`gradsym.cells`) builds it: the notes' cells and connections from the builders
    above (once, then cached), a library or declared cell from its equations."""
    entry = registry.get(name)
    variant = entry.variant(variant)
    if entry.kind in ("builtin", "connection"):
        return _builtin_cell(name, variant)
    return entry.equations(variant)


@cache
def _builtin_cell(name: str, variant: str) -> CellEquations:
    return registry.get(name).equations(variant)


def all_cells() -> list[CellEquations]:
    """Every cell and connection of the notes in every variant."""
    return [
        cell(e.name, v) for e in registry.entries(["builtin", "connection"]) for v in e.variants
    ]
