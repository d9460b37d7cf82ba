"""Published cells, declared by their equations as their papers write them, and the notes'
own cells re-declared from theirs: registry entries of kind "library".

Each is registered by name with its equations, title and source; its facets are built on
first use by the declared layer (:func:`gradsym.declared.library_cell`: the equations are
parsed and the NumPy code generated then), so ``jacobian("mgu", "h", "h_prev")``,
``check_jacobian("indrnn", …)``, ``make_cell("janet", None, d, n)``,
``TrainConfig(cell="ugrnn")`` and ``gradsym check --cell cifg`` all work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .registry import CellEntry, Lazy, register


@dataclass(frozen=True)
class LibraryCell:
    """A published cell: name, equations, state, declared shapes, source and a note on
    how the paper's notation maps to the notes'."""

    name: str
    title: str
    source: str
    equations: str
    state: tuple[str, ...] = ("h",)
    shapes: dict[str, str] = field(default_factory=dict)
    note: str = ""


INDRNN = LibraryCell(
    "indrnn",
    "IndRNN: each unit recurs on itself only, through a diagonal recurrent weight",
    "S. Li, W. Li, C. Cook, C. Zhu, Y. Gao, 'Independently Recurrent Neural Network "
    "(IndRNN): Building a Longer and Deeper RNN', CVPR 2018, eq. (2): "
    "h_t = σ(W x_t + u ⊙ h_{t−1} + b), σ = ReLU.",
    "h = relu(W @ x + u * h_prev + b)",
    shapes={"u": "n"},
    note="u is the diagonal recurrent weight (a vector); ∂h/∂h⁽ᵗ⁻¹⁾ = diag(ReLU'(z) ∘ u).",
)

MGU = LibraryCell(
    "mgu",
    "Minimal gated unit: one forget gate does the work of the GRU's two gates",
    "G.-B. Zhou, J. Wu, C.-L. Zhang, Z.-H. Zhou, 'Minimal Gated Unit for Recurrent Neural "
    "Networks', International Journal of Automation and Computing 13 (2016), eq. (10): "
    "f_t = σ(W_f[h_{t−1}, x_t] + b_f), h̃_t = tanh(W_h[f_t ⊙ h_{t−1}, x_t] + b_h), "
    "h_t = (1 − f_t) ⊙ h_{t−1} + f_t ⊙ h̃_t.",
    """
    f = sigma(W_f @ h_prev + U_f @ x + b_f)
    h_tilde = tanh(W_h @ (f * h_prev) + U_h @ x + b_h)
    h = (1 - f) * h_prev + f * h_tilde
    """,
    note="The paper's W_f[h, x] is W_f h + U_f x here (the notes' W for h, U for x).",
)

UGRNN = LibraryCell(
    "ugrnn",
    "Update-gate RNN: a vanilla RNN whose update is gated",
    "J. Collins, J. Sohl-Dickstein, D. Sussillo, 'Capacity and Trainability in Recurrent "
    "Neural Networks', ICLR 2017, section 2.1: c_t = tanh(W^{ch} h_{t−1} + W^{cx} x_t + "
    "b^c), g_t = σ(W^{gh} h_{t−1} + W^{gx} x_t + b^g), h_t = g_t · h_{t−1} + (1 − g_t) · c_t.",
    """
    c = tanh(W_ch @ h_prev + W_cx @ x + b_c)
    g = sigma(W_gh @ h_prev + W_gx @ x + b_g)
    h = g * h_prev + (1 - g) * c
    """,
)

PLUS_RNN = LibraryCell(
    "plusrnn",
    "+RNN (intersection RNN): a gated state and a gated output with a residual input path",
    "J. Collins, J. Sohl-Dickstein, D. Sussillo, 'Capacity and Trainability in Recurrent "
    "Neural Networks', ICLR 2017, section 2.1: y_in = tanh1(W^{yh} h_{t−1} + W^{yx} x_t + "
    "b^y), h_in = tanh2(W^{hh} h_{t−1} + W^{hx} x_t + b^h), g^y = σ(W^{gyh} h_{t−1} + "
    "W^{gyx} x_t + b^{gy}), g^h = σ(…), y_t = g^y · x_t + (1 − g^y) · y_in, "
    "h_t = g^h · h_{t−1} + (1 − g^h) · h_in (tanh1 = ReLU in their best runs; tanh here).",
    """
    y_in = tanh(W_yh @ h_prev + W_yx @ x + b_y)
    h_in = tanh(W_hh @ h_prev + W_hx @ x + b_h)
    g_y = sigma(W_gyh @ h_prev + W_gyx @ x + b_gy)
    g_h = sigma(W_ghh @ h_prev + W_ghx @ x + b_gh)
    y = g_y * x + (1 - g_y) * y_in
    h = g_h * h_prev + (1 - g_h) * h_in
    """,
    shapes={"x": "n"},
    note="y, the layer's output, adds x: the input has the hidden size. The state is h; "
    "y is recorded in trace.gates['y'] (networks here read h).",
)

CIFG = LibraryCell(
    "cifg",
    "Coupled input–forget gate LSTM (CIFG): f = 1 − i",
    "K. Greff, R. K. Srivastava, J. Koutník, B. R. Steunebrink, J. Schmidhuber, 'LSTM: A "
    "Search Space Odyssey', IEEE TNNLS 28 (2017), section II (vanilla LSTM with peepholes) "
    "and variant CIFG: z = g(W_z x + R_z y_{t−1} + b_z), i = σ(W_i x + R_i y_{t−1} + "
    "p_i ⊙ c_{t−1} + b_i), f = 1 − i, c = z ⊙ i + c_{t−1} ⊙ f, o = σ(W_o x + R_o y_{t−1} + "
    "p_o ⊙ c_t + b_o), y = h(c_t) ⊙ o, g = h = tanh.",
    """
    z = tanh(W_z @ x + R_z @ h_prev + b_z)
    i = sigma(W_i @ x + R_i @ h_prev + p_i * c_prev + b_i)
    f = 1 - i
    c = z * i + c_prev * f
    o = sigma(W_o @ x + R_o @ h_prev + p_o * c + b_o)
    h = tanh(c) * o
    """,
    state=("h", "c"),
    shapes={"p_i": "n", "p_o": "n"},
    note="The paper's block output y is h here; the peepholes p_i, p_o are vectors.",
)

JANET = LibraryCell(
    "janet",
    "JANET: an LSTM with the forget gate only",
    "J. van der Westhuizen, J. Lasenby, 'The unreasonable effectiveness of the forget "
    "gate', arXiv:1804.04849 (2018), eq. (7): s_t = U_f h_{t−1} + W_f x_t + b_f, "
    "c̃_t = tanh(U_c h_{t−1} + W_c x_t + b_c), c_t = σ(s_t) ⊙ c_{t−1} + (1 − σ(s_t − β)) "
    "⊙ c̃_t, h_t = c_t, β = 1.",
    """
    s = U_f @ h_prev + W_f @ x + b_f
    c_tilde = tanh(U_c @ h_prev + W_c @ x + b_c)
    c = sigma(s) * c_prev + (1 - sigma(s - 1)) * c_tilde
    h = c
    """,
    state=("h", "c"),
    note="The paper's U multiply h and W multiply x (the notes' W and U swapped).",
)

MINIMAL_RNN = LibraryCell(
    "minimalrnn",
    "MinimalRNN: the input mapped once, the state an interpolation",
    "M. Chen, 'MinimalRNN: Toward More Interpretable and Trainable Recurrent Neural "
    "Networks', arXiv:1711.06788 (2017; NIPS 2017 symposium), eq. (1): z_t = Φ(x_t), "
    "u_t = σ(U_h h_{t−1} + U_z z_t + b_u), h_t = u_t ⊙ h_{t−1} + (1 − u_t) ⊙ z_t, Φ a "
    "one-layer tanh network here.",
    """
    z = tanh(W_x @ x + b_z)
    u = sigma(U_h @ h_prev + U_z @ z + b_u)
    h = u * h_prev + (1 - u) * z
    """,
)

DIAGONAL_LINEAR = LibraryCell(
    "diaglinear",
    "A real diagonal linear recurrence (the LRU family without the complex parametrisation)",
    "A. Orvieto, S. L. Smith, A. Gu, A. Fernando, C. Gulcehre, R. Pascanu, S. De, "
    "'Resurrecting Recurrent Neural Networks for Long Sequences', ICML 2023, eq. (1) with a "
    "real diagonal Λ: x_k = Λ x_{k−1} + B u_k (their x is h here, their u is x).",
    "h = lambda_ * h_prev + B @ x",
    shapes={"lambda_": "n"},
    note="∂h⁽ᵗ⁾/∂h⁽ᵗ⁻ˡ⁾ = diag(λ)ˡ: it vanishes or explodes exactly as |λ_i|ˡ.",
)

# -- the recurrent layers of 2023–2024 -------------------------------------------------------

SLSTM = LibraryCell(
    "slstm",
    "sLSTM: exponential input gating, a normaliser state and a stabiliser state",
    "M. Beck, K. Pöppel, M. Spanring, A. Auer, O. Prudnikova, M. Kopp, G. Klambauer, "
    "J. Brandstetter, S. Hochreiter, 'xLSTM: Extended Long Short-Term Memory', NeurIPS 2024 "
    "(arXiv:2405.04517), section 2.2, eqs. (8)–(17): c_t = f_t c_{t−1} + i_t z_t (8), "
    "n_t = f_t n_{t−1} + i_t (9), h_t = o_t h̃_t, h̃_t = c_t/n_t (10), z_t = φ(z̃_t), "
    "z̃_t = w_zᵀx_t + r_z h_{t−1} + b_z (11), i_t = exp(ĩ_t), ĩ_t = w_iᵀx_t + r_i h_{t−1} + "
    "b_i (12), f_t = σ(f̃_t) or exp(f̃_t) (13), o_t = σ(õ_t) (14), m_t = max(log f_t + "
    "m_{t−1}, log i_t) (15), i′_t = exp(log i_t − m_t) = exp(ĩ_t − m_t) (16), "
    "f′_t = exp(log f_t + m_{t−1} − m_t) (17); the stabilised gates i′, f′ replace i, f in "
    "(8) and (9).",
    """
    z = tanh(W_z @ x + R_z @ h_prev + b_z)
    i_tilde = W_i @ x + R_i @ h_prev + b_i
    f = sigma(W_f @ x + R_f @ h_prev + b_f)
    o = sigma(W_o @ x + R_o @ h_prev + b_o)
    m = max(log(f) + m_prev, i_tilde)
    i_s = exp(i_tilde - m)
    f_s = exp(log(f) + m_prev - m)
    c = f_s * c_prev + i_s * z
    n = f_s * n_prev + i_s
    h = o * (c / n)
    """,
    state=("h", "c", "n", "m"),
    note="φ = tanh and the sigmoid forget gate of (13); one head (R_z, R_i, R_f, R_o full "
    "n×n: the paper's block-diagonal heads are the special case). i_s, f_s are the paper's "
    "stabilised gates i′, f′; log i_t = ĩ_t is written as ĩ_t. The state is [h; c; n; m]: "
    "the paper's h̃ = c/n is unchanged when m is shifted and c, n rescaled with it.",
)

MINGRU = LibraryCell(
    "mingru",
    "minGRU: a GRU whose gate and candidate see the input only",
    "L. Feng, F. Tung, M. O. Ahmed, Y. Bengio, H. Hajimirsadeghi, 'Were RNNs All We "
    "Needed?', arXiv:2410.01201 (2024), section 3.1 (minGRU): h_t = (1 − z_t) ⊙ h_{t−1} + "
    "z_t ⊙ h̃_t, z_t = σ(Linear_{d_h}(x_t)), h̃_t = Linear_{d_h}(x_t).",
    """
    z = sigma(W_z @ x + b_z)
    h_tilde = W_h @ x + b_h
    h = (1 - z) * h_prev + z * h_tilde
    """,
    note="Linear_{d_h} is an affine map (weight and bias); ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(1 − z) "
    "depends on the input only.",
)

MINLSTM = LibraryCell(
    "minlstm",
    "minLSTM: forget and input gates of the input only, normalised to sum to one",
    "L. Feng, F. Tung, M. O. Ahmed, Y. Bengio, H. Hajimirsadeghi, 'Were RNNs All We "
    "Needed?', arXiv:2410.01201 (2024), section 3.2 (minLSTM): f_t = σ(Linear_{d_h}(x_t)), "
    "i_t = σ(Linear_{d_h}(x_t)), h̃_t = Linear_{d_h}(x_t), f′_t, i′_t = f_t/(f_t + i_t), "
    "i_t/(f_t + i_t), h_t = f′_t ⊙ h_{t−1} + i′_t ⊙ h̃_t.",
    """
    f = sigma(W_f @ x + b_f)
    i = sigma(W_i @ x + b_i)
    h_tilde = W_h @ x + b_h
    f_p = f / (f + i)
    i_p = i / (f + i)
    h = f_p * h_prev + i_p * h_tilde
    """,
    note="f_p, i_p are the paper's normalised gates f′, i′ (f′ + i′ = 1, the length-"
    "independent scaling of its section 3.2).",
)

RG_LRU = LibraryCell(
    "rglru",
    "RG-LRU: Griffin's real-gated linear recurrent unit",
    "S. De, S. L. Smith, A. Fernando, A. Botev, G. Cristian-Muraru, A. Gu, R. Haroun, "
    "L. Berrada, Y. Chen, S. Srinivasan, G. Desjardins, A. Doucet, D. Budden, Y. W. Teh, "
    "R. Pascanu, N. De Freitas, C. Gulcehre, 'Griffin: Mixing Gated Linear Recurrences with "
    "Local Attention for Efficient Language Models', arXiv:2402.19427 (2024), section 2.4, "
    "eqs. (1)–(4): r_t = σ(W_a x_t + b_a) (1), i_t = σ(W_x x_t + b_x) (2), a_t = a^{c r_t} "
    "(3), h_t = a_t ⊙ h_{t−1} + √(1 − a_t²) ⊙ (i_t ⊙ x_t) (4), with a = σ(Λ) and c = 8.",
    """
    r = sigma(W_a @ x + b_a)
    i = sigma(W_x @ x + b_x)
    a = sigma(Lambda) ** (8 * r)
    h = a * h_prev + sqrt(1 - a ** 2) * (i * x)
    """,
    shapes={"x": "n", "Lambda": "n"},
    note="x has the width of h (the block's linear layer before the RG-LRU); Λ is a "
    "per-unit vector. ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(a_t) with 0 < a_t < 1.",
)

LRU = LibraryCell(
    "lru",
    "LRU in a real form: an exponentially parametrised stable diagonal, normalised input",
    "A. Orvieto, S. L. Smith, A. Gu, A. Fernando, C. Gulcehre, R. Pascanu, S. De, "
    "'Resurrecting Recurrent Neural Networks for Long Sequences', ICML 2023, eq. (1) "
    "x_k = Λ x_{k−1} + B u_k with the exponential parametrisation of section 3.2, "
    "λ_j = exp(−exp(ν_j^log) + iθ_j), and the normalisation of section 3.3, "
    "x_k = Λ x_{k−1} + exp(γ^log) ⊙ (B u_k); real form θ = 0.",
    """
    lambda_ = exp(-exp(nu_log))
    h = lambda_ * h_prev + exp(gamma_log) * (B @ x)
    """,
    shapes={"nu_log": "n", "gamma_log": "n"},
    note="Their x is h here, their u is x; with θ = 0 the eigenvalues λ = exp(−exp(ν^log)) "
    "lie in (0, 1) for every ν^log: ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻ˡ⁾ = diag(λ)ˡ vanishes, never explodes.",
)

S6 = LibraryCell(
    "s6",
    "A selective diagonal state-space step (Mamba's S6) with a softplus step size",
    "A. Gu, T. Dao, 'Mamba: Linear-Time Sequence Modeling with Selective State Spaces', "
    "arXiv:2312.00752 (2023), eq. (2a) h_t = Ā h_{t−1} + B̄ x_t with the zero-order hold "
    "(4) Ā = exp(ΔA), B̄ = (ΔA)^{−1}(exp(ΔA) − I)·ΔB, and the selection of algorithm 2: "
    "B = s_B(x) = Linear_N(x), Δ = τ_Δ(Parameter + s_Δ(x)), s_Δ(x) = "
    "Broadcast_D(Linear_1(x)), τ_Δ = softplus.",
    """
    delta = softplus(b_delta + W_delta @ x)
    a = exp(-delta * exp(A_log))
    h = a * h_prev + (1 - a) / exp(A_log) * (W_B @ x) * (W_u @ x)
    """,
    shapes={"A_log": "n", "W_delta": "1 x d", "W_B": "1 x d"},
    note="One state per channel (N = 1) and D = n channels, each fed its own input "
    "u = W_u x (Mamba's input projection); A = −exp(A_log) < 0 as in Mamba's code, so that "
    "(ΔA)^{−1}(exp(ΔA) − 1)ΔB = (1 − a)/exp(A_log) · B. W_δ x and W_B x are scalars "
    "(Linear_1, Linear_N with N = 1) broadcast to the D channels. ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = "
    "diag(exp(Δ_t A)), every entry in (0, 1).",
)

LIBRARY: dict[str, LibraryCell] = {
    c.name: c
    for c in (
        INDRNN,
        MGU,
        UGRNN,
        PLUS_RNN,
        CIFG,
        JANET,
        MINIMAL_RNN,
        DIAGONAL_LINEAR,
        SLSTM,
        MINGRU,
        MINLSTM,
        RG_LRU,
        LRU,
        S6,
    )
}

#: The notes' built-in cells written as equations (the same path as any declared cell):
#: name → (equations, state). Their hand-written NumPy twins are (name, variant).
BUILTIN_EQUATIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, str]]] = {
    "rnn_eq": (
        "h = tanh(W_h @ h_prev + W_x @ x + b)",
        ("h",),
        ("rnn", "tanh"),
    ),
    "lstm_eq": (
        """
        f = sigma(W_f @ h_prev + U_f @ x + b_f)
        i = sigma(W_i @ h_prev + U_i @ x + b_i)
        o = sigma(W_o @ h_prev + U_o @ x + b_o)
        c_tilde = tanh(W_c @ h_prev + U_c @ x + b_c)
        c = f * c_prev + i * c_tilde
        h = o * tanh(c)
        """,
        ("h", "c"),
        ("lstm", "standard"),
    ),
    "peephole_lstm_eq": (
        """
        f = sigma(W_f @ h_prev + U_f @ x + V_f @ c_prev + b_f)
        i = sigma(W_i @ h_prev + U_i @ x + V_i @ c_prev + b_i)
        o = sigma(W_o @ h_prev + U_o @ x + V_o @ c_prev + b_o)
        c_tilde = tanh(W_c @ h_prev + U_c @ x + b_c)
        c = f * c_prev + i * c_tilde
        h = o * tanh(c)
        """,
        ("h", "c"),
        ("lstm", "peephole"),
    ),
    "lstm1997_eq": (
        """
        i = sigma(W_i @ h_prev + U_i @ x + b_i)
        o = sigma(W_o @ h_prev + U_o @ x + b_o)
        c_tilde = tanh(W_c @ h_prev + U_c @ x + b_c)
        c = c_prev + i * c_tilde
        h = o * tanh(c)
        """,
        ("h", "c"),
        ("lstm", "no_forget"),
    ),
    "gru_eq": (
        """
        u = sigma(W_u @ h_prev + U_u @ x + b_u)
        r = sigma(W_r @ h_prev + U_r @ x + b_r)
        h_tilde = tanh(W_h @ (r * h_prev) + U_h @ x + b_h)
        h = (1 - u) * h_prev + u * h_tilde
        """,
        ("h",),
        ("gru", "textbook"),
    ),
    "minimal_gru_eq": (
        """
        u = sigma(W_u @ h_prev + U_u @ x + b_u)
        h_tilde = tanh(W_h @ h_prev + U_h @ x + b_h)
        h = (1 - u) * h_prev + u * h_tilde
        """,
        ("h",),
        ("gru", "minimal"),
    ),
    "torch_gru_eq": (
        """
        r = sigma(W_r @ h_prev + U_r @ x + b_r)
        z = sigma(W_z @ h_prev + U_z @ x + b_z)
        n_tilde = tanh(U_n @ x + b_n + r * (W_n @ h_prev + b_hn))
        h = (1 - z) * n_tilde + z * h_prev
        """,
        ("h",),
        ("gru", "torch"),
    ),
}


def _register(name: str, equations: str, state, description: str, source: str, **more):
    register(
        CellEntry(
            name=name,
            kind="library",
            description=description,
            source=source,
            variants=("declared",),
            state=tuple(state),
            equations=Lazy("gradsym.declared.library:library_equations", name),
            numpy=Lazy("gradsym.declared.library:library_numpy", name),
            record=Lazy("gradsym.declared.library:library_record", name),
            default_init="orthogonal",
            text=equations,
            **more,
        )
    )


for _c in LIBRARY.values():
    _register(_c.name, _c.equations, _c.state, _c.title, _c.source, shapes=_c.shapes, note=_c.note)
for _name, (_equations, _state, (_builtin, _variant)) in BUILTIN_EQUATIONS.items():
    _register(
        _name,
        _equations,
        _state,
        f"the notes' {_builtin} ({_variant}) re-declared from its equations",
        "the lecture notes",
        redeclares=(_builtin, _variant),
    )


__all__ = ["BUILTIN_EQUATIONS", "LIBRARY", "LibraryCell"]
