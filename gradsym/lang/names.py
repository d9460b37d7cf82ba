"""The one place where names meet notation.

Every vector and matrix of every cell is a ``MatrixSymbol`` whose name is a plain Python
identifier (``W_h``, ``h_prev``, ``c_tilde``, ``z_f`` …) — the same names the parameters
carry in dictionaries passed to ``.lambdify()`` functions. ``LATEX`` maps each identifier to
the LaTeX of the notes: CS224n (seed 001) writes bold vectors and matrices with the time step
as a superscript, ``\\mathbf{W}_h \\mathbf{h}^{(t-1)} + \\mathbf{W}_x \\mathbf{x}^{(t)}``;
``STYLE_003`` overrides gate names with the Γ notation of seed 003 (Γ_u, Γ_f, Γ_o).

Sizes are the integer symbols ``n`` (hidden size) and ``d`` (input size).
"""

from __future__ import annotations

import sympy as sp
from sympy import MatrixSymbol

n = sp.Symbol("n", integer=True, positive=True)
d = sp.Symbol("d", integer=True, positive=True)


def _bold(letter: str, sub: str = "", time: str = "t") -> str:
    base = rf"\mathbf{{{letter}}}"
    sub_tex = (f"_{sub}" if len(sub) == 1 else f"_{{{sub}}}") if sub else ""
    time_tex = f"^{{({time})}}" if time else ""
    return base + sub_tex + time_tex


def _weight(letter: str, sub: str) -> str:
    # The notes write \mathbf{W}_h with a bare one-letter subscript.
    return rf"\mathbf{{{letter}}}_{sub}" if len(sub) == 1 else rf"\mathbf{{{letter}}}_{{{sub}}}"


LATEX: dict[str, str] = {
    # Vanilla RNN (001): h^{(t)} = σ(W_h h^{(t-1)} + W_x x^{(t)} + b)
    "h_prev": _bold("h", time="t-1"),
    "h": _bold("h"),
    "x": _bold("x"),
    "z": _bold("z"),
    "W_h": _weight("W", "h"),
    "W_x": _weight("W", "x"),
    "b": r"\mathbf{b}",
    # LSTM (001) and peephole LSTM (003)
    "c_prev": _bold("c", time="t-1"),
    "c": _bold("c"),
    "c_tilde": r"\tilde{\mathbf{c}}^{(t)}",
    "f": _bold("f"),
    "i": _bold("i"),
    "o": _bold("o"),
    "y": _bold("y"),
    # GRU (001 textbook, 003 minimal, PyTorch)
    "u": _bold("u"),
    "r": _bold("r"),
    "h_tilde": r"\tilde{\mathbf{h}}^{(t)}",
    # PyTorch's GRU in the letters of the notes: its gate z on h^{(t-1)} is ū (= 1 − u
    # under the mapped weights; the cell names it "z" as PyTorch does, with this LaTeX:
    # see ``labelled``), its candidate n is ĥ (the reset gate after the product); z is
    # only ever a pre-activation, n only the hidden size
    "a_r": _bold("z", "r"),
    "a_z": r"\mathbf{z}_{\bar{u}}^{(t)}",
    "a_n": r"\mathbf{z}_{\hat{h}}^{(t)}",
    "n_tilde": r"\hat{\mathbf{h}}^{(t)}",
    "g_n": _bold("z", "hh"),
    "W_z": r"\mathbf{W}_{\bar{u}}",
    "U_z": r"\mathbf{U}_{\bar{u}}",
    "b_z": r"\mathbf{b}_{\bar{u}}",
    "W_n": r"\mathbf{W}_{\hat{h}}",
    "U_n": r"\mathbf{U}_{\hat{h}}",
    "b_n": r"\mathbf{b}_{\hat{h}}",
    # Highway: y = g∘a + (1 − g)∘x (Srivastava et al.'s T and H; T is the sequence length)
    "T": _bold("g", time=""),
    "H": _bold("a", time=""),
    # Bidirectional (001, 003)
    "h_fw_prev": r"\overrightarrow{\mathbf{h}}^{(t-1)}",
    "h_fw": r"\overrightarrow{\mathbf{h}}^{(t)}",
    "h_bw_next": r"\overleftarrow{\mathbf{h}}^{(t+1)}",
    "h_bw": r"\overleftarrow{\mathbf{h}}^{(t)}",
    "W_y": _weight("W", "y"),
    "b_y": r"\mathbf{b}_y",
    "z_y": _bold("z", "y"),
    "W_h_fw": r"\overrightarrow{\mathbf{W}}_h",
    "W_x_fw": r"\overrightarrow{\mathbf{W}}_x",
    "b_fw": r"\overrightarrow{\mathbf{b}}",
    "W_h_bw": r"\overleftarrow{\mathbf{W}}_h",
    "W_x_bw": r"\overleftarrow{\mathbf{W}}_x",
    "b_bw": r"\overleftarrow{\mathbf{b}}",
    "z_fw": r"\overrightarrow{\mathbf{z}}^{(t)}",
    "z_bw": r"\overleftarrow{\mathbf{z}}^{(t)}",
    "W_T": _weight("W", "g"),
    "b_T": r"\mathbf{b}_g",
    "W_H": _weight("W", "a"),
    "b_H": r"\mathbf{b}_a",
    "z_T": _bold("z", "g"),
    "z_H": _bold("z", "a"),
    # Residual: y = x + F(x), F(x) = σ(W x + b)
    "W": r"\mathbf{W}",
}

# Gate weights, biases, peepholes and pre-activations: W_f, U_f, b_f, V_f, z_f, ...
for _g in ("f", "i", "o", "c", "u", "r", "h", "z", "n"):
    LATEX.setdefault(f"W_{_g}", _weight("W", _g))
    LATEX.setdefault(f"U_{_g}", _weight("U", _g))
    LATEX.setdefault(f"b_{_g}", rf"\mathbf{{b}}_{_g}")
    LATEX.setdefault(f"V_{_g}", _weight("V", _g))
    LATEX.setdefault(f"z_{_g}", _bold("z", _g))
    LATEX.setdefault(f"a_{_g}", _bold("a", _g))
LATEX["b_hn"] = r"\mathbf{b}_{hh}"

# Stacked layers l = 1, 2: h^{(t)}_l = σ(W_h^{[l]} h^{(t-1)}_l + W_x^{[l]} h^{(t)}_{l-1} + b^{[l]})
for _l in (1, 2):
    LATEX[f"h{_l}_prev"] = rf"\mathbf{{h}}^{{(t-1)}}_{{{_l}}}"
    LATEX[f"h{_l}"] = rf"\mathbf{{h}}^{{(t)}}_{{{_l}}}"
    LATEX[f"z{_l}"] = rf"\mathbf{{z}}^{{(t)}}_{{{_l}}}"
    LATEX[f"W_h{_l}"] = rf"\mathbf{{W}}_h^{{[{_l}]}}"
    LATEX[f"W_x{_l}"] = rf"\mathbf{{W}}_x^{{[{_l}]}}"
    LATEX[f"b{_l}"] = rf"\mathbf{{b}}^{{[{_l}]}}"
# The residual stack's output passed up from layer 2: y^{(t)}_2 = h^{(t)}_2 + h^{(t)}_1
LATEX["y2"] = r"\mathbf{y}^{(t)}_{2}"

#: Names whose LaTeX in the notes is another letter than the name spells (PyTorch's GRU in
#: the notes' letters, the highway's T and H, the hidden-to-hidden bias b_hn): a cell
#: declared by its equations prints them as they are spelled (its b_z is b_z).
RELABELLED: frozenset[str] = frozenset(
    {"a_r", "a_z", "a_n", "n_tilde", "g_n", "W_z", "U_z", "b_z", "W_n", "U_n", "b_n", "b_hn"}
    | {"T", "H", "W_T", "b_T", "W_H", "b_H", "z_T", "z_H"}
)

# Seed 003 writes the LSTM and minimal-GRU gates as Γ_u (update/input), Γ_f, Γ_o; the
# input gate's weights and pre-activation take its letter u too (Γ_u = σ(z_u), never z_i).
STYLE_003: dict[str, str] = {
    "i": r"\Gamma_u",
    "f": r"\Gamma_f",
    "o": r"\Gamma_o",
    "u": r"\Gamma_u",
    "r": r"\Gamma_r",
    "W_i": _weight("W", "u"),
    "U_i": _weight("U", "u"),
    "V_i": _weight("V", "u"),
    "b_i": r"\mathbf{b}_u",
    "z_i": _bold("z", "u"),
}

STYLES: dict[str, dict[str, str]] = {"001": {}, "003": STYLE_003}


def latex_name(name: str, style: str = "001") -> str:
    """LaTeX of an identifier in the given notes' style (unknown names print verbatim)."""
    override = STYLES.get(style, {})
    if name in override:
        return override[name]
    return LATEX.get(name, name.replace("_", r"\_"))


class Labelled(MatrixSymbol):
    """A named vector that prints as its own LaTeX, not as :data:`LATEX` says its name
    does: the one name two cells use for different things (PyTorch calls its GRU's gate
    ``z``, which these notes keep for pre-activations). Equal only to itself."""

    def __new__(cls, name, rows, cols, latex):
        from sympy.core.symbol import Str

        obj = sp.Basic.__new__(
            cls,
            Str(name) if isinstance(name, str) else name,
            sp.sympify(rows, strict=True),
            sp.sympify(cols, strict=True),
            Str(latex) if isinstance(latex, str) else latex,
        )
        return obj

    @property
    def latex(self) -> str:
        return self.args[3].name


def vector(name: str, size: sp.Expr = n, latex: str | None = None) -> MatrixSymbol:
    """A named column vector, shape (size, 1); ``latex``: printed so, whatever its name."""
    if latex is not None:
        return Labelled(name, size, 1, latex)
    return MatrixSymbol(name, size, 1)


def matrix(name: str, rows: sp.Expr = n, cols: sp.Expr = n) -> MatrixSymbol:
    """A named matrix, shape (rows, cols)."""
    return MatrixSymbol(name, rows, cols)


def entry_symbol(name: str, i: int, j: int | None = None) -> sp.Symbol:
    """The scalar symbol for entry i (vector) or (i, j) (matrix) in explicit forms.

    Named ``W_h[0,1]``; the LaTeX printer turns that into ``\\left[\\mathbf{W}_h\\right]_{1,2}``,
    1-based.
    """
    label = f"{name}[{i}]" if j is None else f"{name}[{i},{j}]"
    return sp.Symbol(label, real=True)
