"""The command line with declared cells: cells, check/train/derive/figures --cell-file."""

from __future__ import annotations

import json

from gradsym.cli import main

CELL = """name = "cli_mgu"
state = ["h"]
equations = '''
f = sigma(W_f @ h_prev + U_f @ x + b_f)
h_tilde = tanh(W_h @ (f * h_prev) + U_h @ x + b_h)
h = (1 - f) * h_prev + f * h_tilde
'''
"""


def test_cells_lists_built_in_and_library_cells(capsys):
    assert main(["cells", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"lstm", "gru", "indrnn", "mgu", "ugrnn", "plusrnn", "cifg", "janet"} <= names
    indrnn = next(r for r in rows if r["name"] == "indrnn")
    assert (
        indrnn["equations"] == ["h = relu(W @ x + u * h_prev + b)"] and "2018" in indrnn["source"]
    )


def test_check_train_derive_and_figure_from_a_cell_file(tmp_path, capsys):
    path = tmp_path / "mgu.toml"
    path.write_text(CELL)
    f = str(path)
    assert main(["check", "--cell-file", f, "--time-limit", "30", "diag(1 - f)"]) == 1
    assert main(["check", "--cell-file", f, "--wrt", "x", "--json", "U_f"]) == 1
    run = tmp_path / "run"
    args = ["train", "--cell-file", f, "--task", "adding", "--length", "20", "--hidden", "4"]
    args += ["--steps", "3", "--eval-every", "3", "--eval-batch", "8", "--batch", "4"]
    assert main([*args, "--out", str(run), "--no-progress"]) == 0
    assert json.loads((run / "config.json").read_text())["cell"] == "cli_mgu"
    assert main(["derive", "--cell-file", f, "--out", str(tmp_path)]) == 0
    tex = (tmp_path / "derivations" / "cli_mgu.tex").read_text()
    assert r"\frac{\partial \mathbf{h}^{(t)}}{\partial \mathbf{h}^{(t-1)}}" in tex
    assert "central differences of the generated NumPy cell" not in tex  # the instructor's
    checks = (tmp_path / "derivations" / "cli_mgu-checks.tex").read_text()
    assert "central differences of the generated NumPy cell" in checks
    assert main(["figures", "--cell-file", f, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "figures" / "gradient-norms-cli_mgu.json").read_text())
    assert [c["key"] for c in data["curves"]] == ["rnn_at", "declared"]


def test_a_wrong_cell_file_is_exit_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("h = tanh(W @ h_prev + U @ x + q)\n")
    assert main(["check", "--cell-file", str(path), "I"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.txt: equation h: undefined name 'q'" in err
    assert main(["train", "--cell-file", str(tmp_path / "missing.toml")]) == 2
