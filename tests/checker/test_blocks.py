"""Block matrices and slices in candidates: the grammar, the shapes, the proof size, the
diagnoses and the NumPy reference, for every cell with a stacked state."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import BlockMatrix, MatrixSymbol, ZeroMatrix
from sympy.matrices.expressions.slice import MatrixSlice

from gradsym.checker import check_jacobian, parse_candidate, symbols
from gradsym.checker.prover import proof_size
from gradsym.cli import main
from gradsym.errors import CandidateError
from gradsym.notes.instances import random_instance, value
from gradsym.symbolic import cell as get_cell

# ∂[h; c]⁽ᵗ⁾/∂[h; c]⁽ᵗ⁻¹⁾ of the standard LSTM, block by block (CS224n's equations)
DC_DH = (
    "diag(c_prev*sigma_prime(z_f)) @ W_f + diag(c_tilde*sigma_prime(z_i)) @ W_i"
    " + diag(i*tanh_prime(z_c)) @ W_c"
)
DH_DH = f"diag(tanh(c)*sigma_prime(z_o)) @ W_o + diag(o*tanh_prime(c)) @ ({DC_DH})"
DH_DC = "diag(o*tanh_prime(c)*f)"
DC_DC = "diag(f)"
LSTM_STATE = f"block([[{DH_DH}, {DH_DC}], [{DC_DH}, {DC_DC}]])"

STACKED_STATE = (
    "block([[diag(tanh'(z1)) @ W_h1, 0],"
    " [diag(tanh'(z2)) @ W_x2 @ diag(tanh'(z1)) @ W_h1, diag(tanh'(z2)) @ W_h2]])"
)
BIRNN_STATE = "block([[diag(tanh'(z_fw)) @ W_h_fw, 0], [0, diag(tanh'(z_bw)) @ W_h_bw]])"


def _peephole_state(forget: bool) -> str:
    kept = "diag(f)" if forget else "I"
    dc_dc = (
        kept
        + (" + diag(c_prev*σ'(z_f)) @ V_f" if forget else "")
        + " + diag(c_tilde*σ'(z_i)) @ V_i"
    )
    dc_dh = ("diag(c_prev*σ'(z_f)) @ W_f + " if forget else "") + (
        "diag(c_tilde*σ'(z_i)) @ W_i + diag(i*tanh'(z_c)) @ W_c"
    )
    dh = "diag(tanh(c)*σ'(z_o))"
    tc = "diag(o*tanh'(c))"
    return (
        f"block([[{dh} @ W_o + {tc} @ ({dc_dh}), {dh} @ V_o + {tc} @ ({dc_dc})],"
        f" [{dc_dh}, {dc_dc}]])"
    )


RIGHT_STATES = [
    ("lstm", "standard", LSTM_STATE),
    ("lstm", "peephole", _peephole_state(True)),
    ("lstm", "no_forget", LSTM_STATE.replace(DC_DC, "I").replace("*f)", ")")
     .replace("diag(c_prev*sigma_prime(z_f)) @ W_f + ", "")),
    ("lstm", "peephole_no_forget", _peephole_state(False)),
    ("stacked", "plain", STACKED_STATE),
    ("stacked", "residual", STACKED_STATE),  # the skip is outside the recurrence (GNMT)
    ("birnn", "tanh", BIRNN_STATE),
]  # fmt: skip


# -- the grammar ------------------------------------------------------------------------------------


def test_block_and_slice_build_sympy_block_matrices_and_slices():
    s = symbols("birnn")
    e = parse_candidate("block([[W_h_fw, 0], [0, W_h_bw]])", "birnn")
    assert isinstance(e, BlockMatrix) and e.shape == (2 * s["h_fw"].shape[0],) * 2
    assert isinstance(e.blocks[0, 1], ZeroMatrix)
    left = parse_candidate("W_o[:, :n]", "birnn")
    assert isinstance(left, MatrixSlice) and left.parent == s["W_o"]
    assert left.shape == s["W_h_fw"].shape
    assert parse_candidate("W_o[:, n:2*n]", "birnn") == parse_candidate("W_o[:, n:]", "birnn")
    assert parse_candidate("W_o[:, 0:2*n]", "birnn") == s["W_o"]  # all of it
    assert parse_candidate("W_o[:n, :n]", "birnn") == left  # rows 0:n are all rows
    assert parse_candidate("block([W_h_fw, W_h_bw])", "birnn").shape[1] == 2 * left.shape[1]
    assert parse_candidate("block([[W_h_fw]])", "birnn") == s["W_h_fw"]


def test_blocks_and_slices_mean_what_numpy_means(rng):
    c = get_cell("birnn", "tanh")
    inst = random_instance(c, 3, 2, rng)
    p = inst["params"]
    W_o, A, B = p["W_o"], p["W_h_fw"], p["W_x_bw"]
    got = value(
        c, parse_candidate("block([[W_h_fw, 0*W_h_fw], [W_o[:, n:], W_x_bw @ W_x_fw.T]])", c), inst
    )
    want = np.block([[A, np.zeros_like(A)], [W_o[:, 3:], B @ p["W_x_fw"].T]])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(value(c, parse_candidate("W_o[:, :n]", c), inst), W_o[:, :3])
    got = value(c, parse_candidate("block([[W_x_fw], [W_x_bw]]).T @ W_o.T", c), inst)
    np.testing.assert_allclose(got, np.vstack([p["W_x_fw"], B]).T @ W_o.T, rtol=1e-15)


@pytest.mark.parametrize(
    "text, message",
    [
        ("block([[W_h1, 0], [W_x1, W_h2]])",
         (r"the block at row 2, column 1 \('W_x1'\), of shape \(n, d\), does not fit: block "
          r"column 1 is n wide \(the block at row 1, column 1\)")),
        ("block([[W_h1, W_x1], [W_h2, W_h2]])",
         r"row 2, column 2 \('W_h2'\), of shape \(n, n\), does not fit: block column 2 is d wide"),
        ("block([[W_h1, W_x1.T]])", r"row 1, column 2 \('W_x1.T'\), of shape \(d, n\), does not fit: block row 1 is n high"),
        ("block([[W_h1], [W_h1, W_h2]])", "row 2 has 2 blocks, row 1 has 1"),
        ("block([[W_h1, 0], [0, 0]])", "every block of block row 2 is 0"),
        ("block([[W_h1, 2]])", r"'2'\) is a number"),
        ("block([[W_h1, [W_h2]]])", "not allowed in a candidate, except as the rows of block"),
        ("block(W_h1)", "takes one list of block rows"),
        ("block([[W_h1], W_h2])", "each a list"),
        ("block()", "takes one list"),
        ("[[W_h1]]", "not allowed in a candidate"),
        ("block", "is a function"),
    ],
)  # fmt: skip
def test_blocks_that_do_not_fit_are_one_line_errors(text, message):
    with pytest.raises(CandidateError, match=message) as err:
        parse_candidate(text, "stacked")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("W_o[:, :3*n]", r"runs past the 2n columns of W_o \(shape \(n, 2n\)\)"),
        ("W_o[:, :2]", "not the number 2"),
        ("W_o[:, :n + 1]", "no constant"),
        ("W_o[:, :n*n]", "linear in n and d"),
        ("W_o[:, ::2]", "no step"),
        ("W_o[:, n:n]", "empty or reversed"),
        ("W_o[:, 2*n:n]", "empty or reversed"),
        ("W_o[0]", "single entries are not blocks"),
        ("W_o[:, 0]", "single entries are not blocks"),
        ("W_o[:, :, :]", "a slice is rows and columns"),
        ("W_o[:, :-n]", "a slice bound is 0, n"),
        ("W_o.T[:n]", "only a named matrix or vector of the cell can be sliced"),
        ("(W_o @ W_o.T)[:, :n]", "only a named matrix"),
        ("W_q[:, :n]", "only a named matrix"),
        ("W_o[:, :h_fw]", "a slice bound is 0, n"),
    ],
)
def test_slices_outside_the_grammar_are_one_line_errors(text, message):
    with pytest.raises(CandidateError, match=message) as err:
        parse_candidate(text, "birnn")
    assert "\n" not in str(err.value)


def test_juxtaposed_blocks_and_slices_get_the_implicit_multiplication_hint():
    with pytest.raises(CandidateError, match=r"write W_o\[:, :n\]\*W_h_fw \(or W_o\[:, :n\] @"):
        parse_candidate("W_o[:, :n] W_h_fw", "birnn")
    with pytest.raises(CandidateError, match=r"write block\(\[\[W_h_fw\]\]\)\*W_h_bw"):
        parse_candidate("block([[W_h_fw]]) W_h_bw", "birnn")


def test_sympy_built_blocks_and_slices_are_checked_too():
    s = symbols("birnn")
    n = s["h_fw"].shape[0]
    every_other = MatrixSlice(s["W_o"], (0, n, 1), (0, 2 * n, 2))
    with pytest.raises(CandidateError, match="a slice with a step"):
        check_jacobian("birnn", every_other, of="o", wrt="h_fw")
    # a user's own W_x_fw of shape (n, n) fits SymPy's BlockMatrix, not the cell's (n, d)
    mine = MatrixSymbol("W_x_fw", n, n)
    grid = BlockMatrix([[s["W_h_fw"], ZeroMatrix(n, n)], [mine, s["W_h_bw"]]])
    with pytest.raises(CandidateError, match="row 2, column 1 .* does not fit its block row"):
        check_jacobian("birnn", grid, of="state", wrt="state")
    good = MatrixSlice(s["W_o"], (0, n, 1), (0, n, 1))
    assert check_jacobian("birnn", good, of="o", wrt="h_fw", variant="identity").holds


# -- the proof size counts the matrix factors inside blocks and slices -----------------------------


def test_the_proof_size_sees_products_of_block_matrices():
    B = "block([[W_h1, W_h2], [W_x2, W_h1]])"
    four = parse_candidate(" @ ".join([B] * 4), "stacked")
    eight = parse_candidate(" @ ".join([B] * 8), "stacked")
    assert proof_size(four) == (3, 3)  # 4 factors: n > 2
    assert proof_size(eight) == (5, 5)  # 8 factors: n > 4
    halves = parse_candidate(" @ ".join(["W_o[:, :n]", "W_o[:, n:]"] * 3), "birnn")
    assert proof_size(halves) == (4, 4)  # 6 slices of W_o: n > 3
    nested = parse_candidate(f"block([[{B} @ {B} @ {B}, 0], [0, I]])", "stacked")
    assert proof_size(nested) == (3, 3)


def test_a_polynomial_identity_inside_a_block_is_refuted_whatever_n():
    """S₄ vanishes on 2×2 blocks: added inside the full state Jacobian it is still wrong."""
    import itertools

    names = ["W_h1", "W_h2", "W_x2", "W_h1 @ W_h2"]
    s4 = []
    for perm in itertools.permutations(range(4)):
        sign = sum(1 for a, b in itertools.combinations(perm, 2) if a > b) % 2
        s4.append(("- " if sign else "+ ") + " @ ".join(names[k] for k in perm))
    wrong = STACKED_STATE.replace(
        "diag(tanh'(z2)) @ W_h2]]", f"diag(tanh'(z2)) @ W_h2 + ({' '.join(s4)})]]"
    )
    v = check_jacobian("stacked", wrong, of="state", wrt="state", n=2)
    assert v.outcome == "refuted"
    assert v.counterexample["n"] == 3 and (2, 1) in v.sizes_equal  # invisible at n = 2


# -- verdicts on full state Jacobians -----------------------------------------------------------------


@pytest.mark.parametrize("cell, variant, text", RIGHT_STATES)
def test_right_full_state_jacobians_hold(cell, variant, text):
    v = check_jacobian(cell, text, of="state", wrt="state", variant=variant)
    assert v.outcome == "holds", v.report()
    assert "the NumPy cells' state_jacobian" in v.references


def test_right_full_state_input_jacobians_hold():
    lstm_x = f"block([[{DH_DH.replace('W_', 'U_')}], [{DC_DH.replace('W_', 'U_')}]])"
    stacked_x = (
        "block([[diag(tanh'(z1)) @ W_x1], [diag(tanh'(z2)) @ W_x2 @ diag(tanh'(z1)) @ W_x1]])"
    )
    for cell, text in (("lstm", lstm_x), ("stacked", stacked_x)):
        v = check_jacobian(cell, text, of="state", wrt="x")
        assert v.outcome == "holds", v.report()
        assert "the NumPy cells' state_jacobian" in v.references


@pytest.mark.parametrize(
    "cell, variant, text, diagnosis",
    [
        ("lstm", "standard", f"{LSTM_STATE}.T", "this is the transpose of the right answer"),
        ("lstm", "standard", f"block([[{DH_DH}, {DC_DH}], [{DH_DC}, {DC_DC}]])",
         "the blocks ∂h/∂c_prev and ∂c/∂h_prev are exchanged"),
        ("lstm", "standard", f"block([[{DC_DH}, {DC_DC}], [{DH_DH}, {DH_DC}]])",
         "the block rows of ∂h and ∂c are exchanged"),
        ("lstm", "standard", f"block([[{DH_DH}, {DH_DC}], [{DC_DH.rsplit(' + ', 1)[0]}, {DC_DC}]])",
         "in the block ∂c/∂h_prev: a term is missing: diag(i ∘ tanh′(z_c)) W_c"),
        ("lstm", "standard", f"block([[{DH_DH}, {DH_DC}], [{DC_DH}, -{DC_DC}]])",
         "in the block ∂c/∂c_prev: the sign of the whole block is flipped"),
        ("lstm", "standard", f"block([[{DH_DH}, {DH_DC}], [{DC_DH}, diag(i)]])",
         "in the block ∂c/∂c_prev: i where f belongs"),
        ("lstm", "standard", LSTM_STATE.replace("W_f", "W_x").replace("W_i", "W_f").replace("W_x", "W_i"),
         "W_f and W_i are swapped"),
        ("stacked", "residual",
         STACKED_STATE.replace("[diag(tanh'(z2)) @ W_x2", "[(I + diag(tanh'(z2)) @ W_x2)"),
         "in the block ∂h2/∂h1_prev: an extra term: diag(tanh′(z1)) W_h1"),
        ("birnn", "tanh", BIRNN_STATE.replace("@ W_h_bw]", "@ W_h_bw.T]"),
         "in the block ∂h_bw/∂h_bw_next: W_h_bwᵀ where W_h_bw belongs"),
        ("birnn", "tanh", "block([[0, diag(tanh'(z_bw)) @ W_h_bw], [diag(tanh'(z_fw)) @ W_h_fw, 0]])",
         "the block rows of ∂h_fw and ∂h_bw are exchanged"),
    ],
)  # fmt: skip
def test_wrong_full_state_jacobians_are_refuted_and_diagnosed(cell, variant, text, diagnosis):
    v = check_jacobian(cell, text, of="state", wrt="state", variant=variant)
    assert v.outcome == "refuted"
    assert v.counterexample["error"] > 1e3 * v.counterexample["roundoff"]
    assert v.diagnosis and v.diagnosis[0].startswith(diagnosis), v.diagnosis


def test_two_wrong_blocks_get_one_diagnosis_each():
    text = f"block([[{DH_DH}, {DH_DC}], [{DC_DH.rsplit(' + ', 1)[0]}, diag(i)]])"
    v = check_jacobian("lstm", text, of="state", wrt="state")
    assert v.outcome == "refuted"
    assert v.diagnosis == (
        "in the block ∂c/∂h_prev: a term is missing: diag(i ∘ tanh′(z_c)) W_c",
        "in the block ∂c/∂c_prev: i where f belongs",
    )


def test_the_residual_stack_passes_the_skip_up_not_through_the_state():
    skip = "(I + diag(tanh'(z2)) @ W_x2) @ diag(tanh'(z1)) @ W_h1"
    assert check_jacobian("stacked", skip, of="y2", wrt="h1_prev", variant="residual").holds
    v = check_jacobian("stacked", skip, of="h2", wrt="h1_prev", variant="residual")
    assert v.outcome == "refuted"  # h₂, the carried state, has no skip
    assert v.diagnosis == ("an extra term: diag(tanh′(z1)) W_h1",)


# -- the bidirectional output ∂o/∂→h = diag(g′(z_o)) W_o[:, :n] -----------------------------------


@pytest.mark.parametrize("act, prime", [("tanh", "tanh'"), ("sigmoid", "σ'"), ("relu", "relu'")])
def test_the_bidirectional_output_with_slices(act, prime):
    fw = check_jacobian(
        "birnn", f"diag({prime}(z_o)) @ W_o[:, :n]", of="o", wrt="h_fw", variant=act
    )
    assert fw.outcome == "holds" and "the NumPy cells' state_jacobian" in fw.references
    bw = check_jacobian(
        "birnn", f"diag({prime}(z_o)) @ W_o[:, n:]", of="o", wrt="h_bw", variant=act
    )
    assert bw.outcome == "holds"
    wrong = check_jacobian(
        "birnn", f"diag({prime}(z_o)) @ W_o[:, n:]", of="o", wrt="h_fw", variant=act
    )
    assert wrong.outcome == "refuted"
    assert wrong.diagnosis == ("W_o[:, n:] where W_o[:, :n] belongs",)


def test_the_bidirectional_output_by_x_with_both_halves():
    fw, bw = "diag(tanh'(z_fw)) @ W_x_fw", "diag(tanh'(z_bw)) @ W_x_bw"
    right = f"diag(tanh'(z_o)) @ (W_o[:, :n] @ {fw} + W_o[:, n:] @ {bw})"
    assert check_jacobian("birnn", right, of="o", wrt="x").holds
    swapped = f"diag(tanh'(z_o)) @ (W_o[:, :n] @ {bw} + W_o[:, n:] @ {fw})"
    v = check_jacobian("birnn", swapped, of="o", wrt="x")
    assert v.outcome == "refuted" and v.diagnosis == ("W_o[:, :n] and W_o[:, n:] are exchanged",)


# -- the command line ----------------------------------------------------------------------------------


def test_gradsym_check_takes_blocks_and_slices(capsys):
    assert main(["check", "--cell", "lstm", "--of", "state", "--wrt", "state", LSTM_STATE]) == 0
    assert "holds" in capsys.readouterr().out
    wrong = f"block([[{DH_DH}, {DH_DC}], [{DC_DH}, diag(i)]])"
    code = main(["check", "--cell", "lstm", "--of", "state", "--wrt", "state", "--json", wrong])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["outcome"] == "refuted"
    assert out["diagnosis"] == ["in the block ∂c/∂c_prev: i where f belongs"]
    code = main(
        ["check", "--cell", "birnn", "--of", "o", "--wrt", "h_fw", "diag(tanh'(z_o)) @ W_o[:, :n]"]
    )
    assert code == 0
    code = main(
        [
            "check",
            "--cell",
            "stacked",
            "--of",
            "state",
            "--wrt",
            "state",
            "block([[W_h1, 0], [W_x1, W_h2]])",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "does not fit" in err and err.count("\n") == 1


def test_check_help_documents_blocks_and_slices(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = capsys.readouterr().out
    assert "block([[A, B], [C, D]])" in text and "W_o[:, :n]" in text and "--of state" in text


# -- any soup of block and slice tokens: a verdict or a one-line error --------------------------------

TOKENS = [
    "block(", "[", "]", "[[", "]]", ", ", "W_h1", "W_h2", "W_x1", "0", "I", "diag(", "z1", ")",
    " @ ", " + ", "*", ":", "n", "2*n", "d", "[:, :n]", "[n:]", ".T", "-", "h1",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14))
def test_any_soup_of_blocks_is_a_verdict_or_a_one_line_error(tokens):
    text = "".join(tokens)
    try:
        v = check_jacobian(
            "stacked", text, of="state", wrt="state", time_limit=0, diagnose=False, trials=1
        )
    except CandidateError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert v.outcome in ("refuted", "undecided")
