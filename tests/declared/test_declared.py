"""Cells declared by their equations: the grammar, errors, symbolic Jacobians, the checker,
the generated NumPy cell everywhere a built-in cell goes, and the library of published
cells against independent hand-written NumPy steps."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import gradsym
from gradsym import (
    Bidirectional,
    Linear,
    Network,
    Stacked,
    TrainConfig,
    Trainer,
    check_jacobian,
    check_state_jacobian,
    clip_by_norm,
    initialise,
    jacobian,
    jacobian_products,
)
from gradsym.declared import BUILTIN_EQUATIONS, LIBRARY, cell_from_equations, library_cell
from gradsym.errors import DeclarationError, ShapeError
from gradsym.lang.matexpr import Apply
from gradsym.lang.names import d, n
from gradsym.numeric.cells.factory import make_cell
from tests.tolerances import tol

MGU = """
    f = sigma(W_f @ h_prev + U_f @ x + b_f)
    h_tilde = tanh(W_h @ (f * h_prev) + U_h @ x + b_h)
    h = (1 - f) * h_prev + f * h_tilde
"""


@pytest.fixture(scope="module")
def mgu():
    return cell_from_equations("test_mgu", MGU, state=["h"])


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- the grammar, shapes and errors ----------------------------------------------------------


def test_mgu_compact_jacobian_is_proved_and_prints_in_the_notes_notation(mgu):
    J = mgu.jacobian("h", "h_prev")
    assert J.prove(3).holds
    tex = J.latex()
    assert tex.startswith(r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}} = ")
    assert r"\operatorname{diag}\left(1 - \mathbf{f}^{(t)}\right)" in tex
    assert r"\sigma'\left(\mathbf{z}_f^{(t)}\right)" in tex
    assert [s.name for s, _ in mgu.cell.definitions] == ["z_f", "f", "z_h", "h_tilde", "h"]
    assert mgu.blocks == [("h", "h_prev"), ("h", "x")]
    assert J.explicit(2).shape == (2, 2)


def test_lambdified_blocks_match_central_differences_of_the_equations(mgu, rng):
    cell = mgu.numpy(3, 4, rng=rng)
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    for check in check_state_jacobian(cell, x, (h,)):
        assert check.ok(tol("jacobian")), str(check)
    lam = mgu.jacobian("h", "x").lambdify()(cell.params, x, h)
    _, J_sx = cell.state_jacobian(x, (h,))
    assert np.abs(lam - J_sx).max() < tol("same-formula")


def test_equations_in_any_order_and_from_sympy_give_the_same_cell(mgu, rng):
    shuffled = cell_from_equations("test_mgu_shuffled", "\n".join(reversed(MGU.splitlines())))
    W_f, W_h = sp.MatrixSymbol("W_f", n, n), sp.MatrixSymbol("W_h", n, n)
    U_f, U_h = sp.MatrixSymbol("U_f", n, d), sp.MatrixSymbol("U_h", n, d)
    b_f, b_h = sp.MatrixSymbol("b_f", n, 1), sp.MatrixSymbol("b_h", n, 1)
    h_prev, x = sp.MatrixSymbol("h_prev", n, 1), sp.MatrixSymbol("x", d, 1)
    f, h_tilde = sp.MatrixSymbol("f", n, 1), sp.MatrixSymbol("h_tilde", n, 1)
    from_sympy = cell_from_equations(
        "test_mgu_sympy",
        {
            "f": Apply("sigmoid", W_f * h_prev + U_f * x + b_f),
            "h_tilde": (W_h * sp.HadamardProduct(f, h_prev) + U_h * x + b_h).applyfunc(sp.tanh),
            "h": sp.HadamardProduct(sp.OneMatrix(n, 1) - f, h_prev)
            + sp.HadamardProduct(f, h_tilde),
        },
    )
    ref = mgu.numpy(3, 4, rng=1)
    x_, h_ = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    want = ref.state_jacobian(x_, (h_,))
    for other in (shuffled, from_sympy):
        cell = other.numpy(3, 4)
        cell.load_params(ref.state_dict())
        got = cell.state_jacobian(x_, (h_,))
        for a, b in zip(got, want):
            assert np.abs(a - b).max() < tol("same-formula")


@pytest.mark.parametrize(
    ("equations", "state", "message"),
    [
        ("h = tanh(W @ h_prev + U @ x + bb)", ["h"], "equation h: undefined name 'bb'"),
        ("h = tanh(W @ h + U @ x)", ["h"], "equation h: h is defined in terms of itself"),
        ("h = tanh(W @ h_prev + V)", ["h"], "equation h: cannot add shapes"),
        ("h = tanh(W @ h_prev @ x)", ["h"], "equation h: cannot multiply shapes"),
        ("h = tanh(W @ h_prev)", ["h", "c"], "the state 'c' is never defined"),
        ("a = tanh(b_)\nb_ = a\nh = a", ["h"], "the equations form a cycle: a → b_ → a"),
        ("h = tanh(W @ h_prev)\nh = W @ h_prev", ["h"], "equation h: h is defined twice"),
        ("h = tanh(W @ h_prev +)", ["h"], "equation h: equation does not parse"),
        ("h tanh(W @ h_prev)", ["h"], "is not an assignment"),
        ("h = relu(w * h_prev + W @ x)", ["h"], "equation h: undefined name 'w'"),
    ],
)
def test_every_mistake_is_one_line_naming_the_equation(equations, state, message):
    with pytest.raises(DeclarationError) as err:
        cell_from_equations("test_bad", equations, state, register=False)
    text = str(err.value)
    assert message in text, text
    assert "\n" not in text


def test_declared_shapes_diagonal_weight_and_second_state(rng):
    ind = cell_from_equations(
        "test_ind", "h = relu(W @ x + w * h_prev + b)", shapes={"w": "n"}, register=False
    )
    assert ind.cell.params[1].shape == (n, 1)
    with pytest.raises(DeclarationError, match="not a size"):
        cell_from_equations("t", "h = W @ h_prev", shapes={"W": "k x n"}, register=False)
    with pytest.raises(DeclarationError, match="built-in cell"):
        cell_from_equations("lstm", "h = tanh(W @ h_prev)")
    program = ind.program
    assert program.diagonal_weights == ("w",) and program.input_weights == ("W",)


def test_cell_files_toml_and_txt(tmp_path):
    toml = tmp_path / "ind.toml"
    toml.write_text(
        'name = "test_file_ind"\nstate = ["h"]\nequations = """\nh = relu(W @ x + u * h_prev + b)\n"""\n'
        '[shapes]\nu = "n"\n'
    )
    assert gradsym.load_cell_file(toml).name == "test_file_ind"
    txt = tmp_path / "lin.txt"
    txt.write_text("# state: h\n# shape lam: n\nh = lam * h_prev + B @ x\n")
    assert gradsym.load_cell_file(txt).name == "lin"
    bad = tmp_path / "bad.toml"
    bad.write_text('equations = "h = tanh(W @ h_prev + V)"\n')
    with pytest.raises(DeclarationError, match="bad.toml: equation h: cannot add shapes"):
        gradsym.load_cell_file(bad)
    with pytest.raises(DeclarationError, match="does not exist"):
        gradsym.load_cell_file(tmp_path / "none.toml")


# -- the checker --------------------------------------------------------------------------------


def test_checker_holds_and_refutes_on_a_declared_cell(mgu):
    right = (
        "diag(1-f) + diag((h_tilde - h_prev)*sigma'(z_f)) @ W_f"
        " + diag(f*tanh'(z_h)) @ W_h @ (diag(f) + diag(h_prev*sigma'(z_f)) @ W_f)"
    )
    verdict = check_jacobian(mgu.cell, right, trials=2)
    assert verdict.outcome == "holds"
    assert "the NumPy cells' state_jacobian" in verdict.references
    wrong = check_jacobian("test_mgu", right.replace("diag(1-f)", "diag(f)"), trials=2)
    assert wrong.outcome == "refuted"


# -- the generated NumPy cell, everywhere a built-in cell goes ---------------------------------


@pytest.fixture(scope="module")
def declared_lstm():
    return library_cell("lstm_eq")


def test_declared_cells_agree_with_the_hand_written_ones(rng):
    for name, (_, _, (builtin, variant)) in BUILTIN_EQUATIONS.items():
        declared = library_cell(name).numpy(3, 4)
        hand = make_cell(builtin, variant, 3, 4, rng=rng)
        declared.load_params(hand.state_dict())
        xs = rng.standard_normal((6, 2, 3))
        s0 = tuple(rng.standard_normal((2, 4)) for _ in hand.state_names)
        J_d, J_h = declared.state_jacobian(xs[0], s0), hand.state_jacobian(xs[0], s0)
        for a, b in zip(J_d, J_h):
            assert np.abs(a - b).max() < 1e-12, name
        ta, tb = declared.forward(xs, s0), hand.forward(xs, s0)
        assert np.abs(ta.h - tb.h).max() < 1e-12
        dh = rng.standard_normal(ta.h.shape)
        ga, gb = declared.backward(ta, dh), hand.backward(tb, dh)
        assert max(np.abs(ga.params[k] - gb.params[k]).max() for k in gb.params) < 1e-12
        assert np.abs(ga.dxs - gb.dxs).max() < 1e-12


@pytest.mark.parametrize(
    ("name", "cell_kwargs"), [("lstm_eq", {"forget_bias": 1.0}), ("gru_eq", {"update_bias": 1.0})]
)
def test_a_100_step_training_run_matches_the_hand_written_cell(name, cell_kwargs):
    common = dict(
        task="adding",
        task_kwargs={"length": 20},
        hidden=8,
        steps=100,
        batch=8,
        eval_every=100,
        eval_batch=16,
        checkpoint_every=100,
        seed=3,
        **cell_kwargs,
    )
    builtin = BUILTIN_EQUATIONS[name][2][0]
    a = Trainer(TrainConfig(cell=name, **common), run_dir=None, progress=False)
    b = Trainer(TrainConfig(cell=builtin, **common), run_dir=None, progress=False)
    ra, rb = a.run(), b.run()
    assert abs(ra.train_loss - rb.train_loss) < 1e-10
    pa, pb = a.network.params, b.network.params
    assert max(np.abs(pa[k] - pb[k]).max() for k in pb) < 1e-10


def test_networks_clipping_initialisers_and_spans_take_a_declared_cell(declared_lstm, rng):
    xs = rng.standard_normal((7, 3, 2))
    cell = declared_lstm.numpy(2, 4)
    initialise(cell, recurrent="orthogonal", rng=rng, forget_bias=1.0)
    assert np.all(cell.params["b_f"] == 1.0)
    blocks = cell.params["W_f"]
    assert np.allclose(blocks @ blocks.T, np.eye(4))  # orthogonal per gate block
    net = Network(cell, Linear(4, 1, rng=rng), loss="mse", where="last")
    targets = rng.standard_normal((3, 1))
    full = net.loss_and_grads(xs, targets)
    trunc = net.loss_and_grads(xs, targets, truncation=(2, 3))
    assert full.loss == trunc.loss and set(full.grads) == set(trunc.grads)
    assert clip_by_norm(full.grads, 1e-3).clipped
    stack = Stacked([declared_lstm.numpy(2, 4), library_cell("mgu").numpy(4, 4)], residual=True)
    bi = Bidirectional(library_cell("indrnn").numpy(2, 3), library_cell("janet").numpy(2, 3))
    for model in (stack, bi):
        tr = model.forward(xs)
        g = model.backward(tr, np.ones_like(tr.h))
        assert g.dxs.shape == xs.shape
    spans = jacobian_products(library_cell("diaglinear").numpy(2, 3), xs)
    assert spans.spectral_norms.shape == (7, 3)
    from gradsym.numeric.nets.network import check_model_gradients

    for model in (stack, bi):
        for check in check_model_gradients(model, xs[:4, :2], None, rng):
            assert check.ok(tol("gradcheck")), str(check)


# -- the library, against independent hand-written NumPy steps --------------------------------


def _reference_step(name, P, x, s):
    """One step of each published cell written directly from its paper, in NumPy."""
    h = s[0]
    if name == "indrnn":
        return (np.maximum(x @ P["W"].T + P["u"] * h + P["b"], 0.0),)
    if name == "mgu":
        f = _sigmoid(h @ P["W_f"].T + x @ P["U_f"].T + P["b_f"])
        ht = np.tanh((f * h) @ P["W_h"].T + x @ P["U_h"].T + P["b_h"])
        return ((1 - f) * h + f * ht,)
    if name == "ugrnn":
        c = np.tanh(h @ P["W_ch"].T + x @ P["W_cx"].T + P["b_c"])
        g = _sigmoid(h @ P["W_gh"].T + x @ P["W_gx"].T + P["b_g"])
        return (g * h + (1 - g) * c,)
    if name == "plusrnn":
        hin = np.tanh(h @ P["W_hh"].T + x @ P["W_hx"].T + P["b_h"])
        gh = _sigmoid(h @ P["W_ghh"].T + x @ P["W_ghx"].T + P["b_gh"])
        return (gh * h + (1 - gh) * hin,)
    if name == "cifg":
        c_prev = s[1]
        z = np.tanh(x @ P["W_z"].T + h @ P["R_z"].T + P["b_z"])
        i = _sigmoid(x @ P["W_i"].T + h @ P["R_i"].T + P["p_i"] * c_prev + P["b_i"])
        c = z * i + c_prev * (1 - i)
        o = _sigmoid(x @ P["W_o"].T + h @ P["R_o"].T + P["p_o"] * c + P["b_o"])
        return (np.tanh(c) * o, c)
    if name == "janet":
        c_prev = s[1]
        st = h @ P["U_f"].T + x @ P["W_f"].T + P["b_f"]
        ct = np.tanh(h @ P["U_c"].T + x @ P["W_c"].T + P["b_c"])
        c = _sigmoid(st) * c_prev + (1 - _sigmoid(st - 1.0)) * ct
        return (c, c)
    if name == "minimalrnn":
        z = np.tanh(x @ P["W_x"].T + P["b_z"])
        u = _sigmoid(h @ P["U_h"].T + z @ P["U_z"].T + P["b_u"])
        return (u * h + (1 - u) * z,)
    if name == "diaglinear":
        return (P["lambda_"] * h + x @ P["B"].T,)
    raise KeyError(name)


#: The recurrences of 2023–2024 are checked against PyTorch written from their papers,
#: forward, state Jacobian and gradients (tests/cells/test_library_papers.py).
AGAINST_TORCH = ("slstm", "mingru", "minlstm", "rglru", "lru", "s6")


@pytest.mark.parametrize("name", [c for c in LIBRARY if c not in AGAINST_TORCH])
def test_library_cell_matches_its_paper(name, rng):
    """The step against the paper's equations; the gradient and Jacobian checks of every
    library cell are the contract suite's (tests/cells/test_contract.py)."""
    lib = library_cell(name)
    assert LIBRARY[name].source in lib.source and "20" in lib.source  # a cited year
    dsize = 4 if name == "plusrnn" else 3
    cell = lib.numpy(dsize, 4, rng=rng)
    x = rng.standard_normal((2, dsize))
    s = tuple(rng.standard_normal((2, 4)) for _ in cell.state_names)
    new, _ = cell.step(x, s)
    want = _reference_step(name, cell.params, x, s)
    for a, b in zip(new, want):
        assert np.abs(a - b).max() < 1e-13


def test_library_cells_are_known_by_name_everywhere():
    J = jacobian("indrnn", of="h", wrt="h_prev")
    assert "\\mathbf{u}" in J.latex() and J.prove(3).holds
    assert isinstance(make_cell("janet", None, 3, 4), gradsym.numeric.cells.generated.GeneratedCell)
    assert TrainConfig(
        cell="minimalrnn", task="adding", task_kwargs={"length": 20}
    ).cell_variant == (
        "minimalrnn",
        None,
    )
    with pytest.raises(ShapeError, match="input_size must equal hidden_size"):
        make_cell("plusrnn", None, 3, 4)
    with pytest.raises(gradsym.InvalidValueError, match="no forget gate"):
        initialise(
            library_cell("indrnn").numpy(2, 3), rng=np.random.default_rng(0), forget_bias=1.0
        )


def test_sympy_sigmoid_through_applyfunc_is_recognised():
    x = sp.MatrixSymbol("x", d, 1)
    W = sp.MatrixSymbol("W", n, d)
    c = cell_from_equations(
        "test_apply", {"h": (W * x).applyfunc(lambda z: 1 / (1 + sp.exp(-z)))}, register=False
    )
    assert isinstance(c.cell.definitions[-1][1], Apply)
    with pytest.raises(DeclarationError, match="is not a function of the table"):
        cell_from_equations("t2", {"h": (W * x).applyfunc(sp.sin)}, register=False)


@pytest.mark.parametrize("name", ["indrnn", "janet", "mgu"])
def test_a_declared_cells_derivation_is_latex_prose_like_the_claims(name):
    """The prose of a declared cell's derivation (its description and source, a user's
    text) follows the claims' rule: LaTeX prose, the user's text escaped, no Unicode."""
    from gradsym.notes.declared import derivation
    from gradsym.notes.prose import check_prose
    from gradsym.render.derivations import checks_tex, claim_prose, claim_tex

    claim = derivation(library_cell(name))
    for part, text in claim_prose(claim):
        check_prose(text, part)
    tex = claim_tex(claim) + checks_tex(claim)
    assert tex.isascii() and "Matrix.jacobian" not in tex
