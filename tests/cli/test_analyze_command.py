"""``gradsym analyze``, run in-process through :func:`gradsym.cli.main`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradsym.cli import main
from gradsym.numeric.train import TrainConfig, Trainer

RUN = {
    "cell": "lstm", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 4, "batch": 4,
    "steps": 3, "eval_every": 3, "eval_batch": 4, "checkpoint_every": 3, "seed": 0,
}  # fmt: skip
QUICK = ["--no-progress", "--batch", "4", "--flow-sequences", "2", "--max-lag", "30"]
TRAIN_ARGS = ["--task", "adding", "--length", "20", "--hidden", "4", "--batch", "4"]
TRAIN_ARGS += ["--steps", "2", "--eval-every", "2", "--eval-batch", "4", "--no-progress"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    Trainer(TrainConfig(**RUN), root / "lstm").run()
    Trainer(TrainConfig(**{**RUN, "cell": "rnn"}), root / "rnn").run()
    return root


def test_two_runs_side_by_side_on_their_task(runs, tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["analyze", str(runs / "lstm"), str(runs / "rnn"), "--length", "40", "--out", str(out)]
    assert main(argv + QUICK) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(
        "gradsym analyze: 4 model(s) on task 'adding' {'length': 40}, T = 40, B = 4"
    )
    for label in ("lstm (init)", "lstm (step 3)", "rnn (init)", "rnn (step 3)"):
        assert f"  {label} " in printed
    report = json.loads((out / "report.json").read_text())
    assert [m["label"] for m in report["models"]] == [
        "lstm (init)",
        "lstm (step 3)",
        "rnn (init)",
        "rnn (step 3)",
    ]
    assert report["data"]["task_kwargs"] == {"length": 40}
    assert report["command"].startswith(f"gradsym analyze {runs / 'lstm'} {runs / 'rnn'} --out")
    assert "--length 40" in report["command"]
    assert (out / "report.md").exists() and (out / "gates.pdf").exists()


def test_the_flow_of_another_block_of_the_state(runs, tmp_path, capsys):
    """--flow-block c: the LSTM's cell path, named as such in the table, report and data."""
    out = tmp_path / "report"
    argv = ["analyze", str(runs / "lstm"), "--length", "30", "--out", str(out), "--flow-block", "c"]
    assert main(argv + QUICK) == 0
    assert "median ‖∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾‖₂" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["settings"]["flow_block"] == "c" and "--flow-block c" in report["command"]
    flow = report["models"][0]["units"][0]["gradient_flow"]["settings"]
    assert flow["block"] == "c" and "dc(T)/dc(T-l)" in flow["quantity"]
    text = (out / "report.md").read_text()
    assert "**Gradient flow** — ‖∂c⁽ᵀ⁾/∂c⁽ᵀ⁻ˡ⁾‖₂" in text and "the c–c block" in text
    # the tanh RNN has no c: one line naming the blocks it has
    argv = ["analyze", str(runs / "rnn"), "--length", "30", "--out", str(out), "--flow-block", "c"]
    assert main(argv + QUICK) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'c'" in err and "'h', 'state'" in err


def test_a_checkpoint_without_its_cell_is_read_with_cell_file(tmp_path, capsys):
    """A checkpoint of a declared cell that does not record the cell's equations (older
    files): --cell-file gives the cell; a run that records another cell of that name is
    refused, not analysed with the wrong one."""
    import dataclasses

    from gradsym.cells.registry import _ENTRIES
    from gradsym.numeric.train.checkpoint import load_checkpoint, save_checkpoint

    cell = tmp_path / "gated.toml"
    cell.write_text(
        'name = "gated_cli"\nstate = ["h"]\nequations = """\n'
        "u = sigma(W_u @ h_prev + U_u @ x + b_u)\nh = u * h_prev + (1 - u) * tanh(U @ x)\n"
        '"""\n'
    )
    run = tmp_path / "run"
    assert main(["train", "--cell-file", str(cell), *TRAIN_ARGS, "--out", str(run)]) == 0
    bare = tmp_path / "bare.npz"
    save_checkpoint(bare, dataclasses.replace(load_checkpoint(run / "checkpoint.npz"), cell=None))
    _ENTRIES.pop("gated_cli")  # as in a new process
    capsys.readouterr()
    argv = ["analyze", str(bare), "--gaussian", "1", "--steps", "30", "--out", str(tmp_path / "a")]
    assert main(argv + QUICK) == 2
    assert "unknown cell 'gated_cli'" in capsys.readouterr().err
    assert main([*argv, "--cell-file", str(cell)] + QUICK) == 0
    other = tmp_path / "other.toml"
    other.write_text(
        'name = "gated_cli"\nstate = ["h"]\nequations = """\nh = tanh(W_h @ h_prev + U @ x)\n"""\n'
    )
    capsys.readouterr()
    argv = ["analyze", str(run), "--cell-file", str(other), "--out", str(tmp_path / "b")]
    assert main(argv + QUICK) == 2
    assert "another cell named 'gated_cli'" in capsys.readouterr().err
    _ENTRIES.pop("gated_cli")


def test_a_state_dict_on_an_array_and_on_gaussian_inputs(tmp_path, capsys):
    torch = pytest.importorskip("torch", reason="state_dicts are read with torch")
    torch.save(torch.nn.GRU(3, 4, num_layers=2).state_dict(), tmp_path / "gru.pt")
    xs = np.random.default_rng(0).standard_normal((2, 30, 3))  # batch-first
    np.save(tmp_path / "x.npy", xs)
    argv = ["analyze", str(tmp_path / "gru.pt"), "--data", str(tmp_path / "x.npy"), "--batch-first"]
    assert main(argv + ["--out", str(tmp_path / "a"), "--no-progress", "--exponents", "2"]) == 0
    printed = capsys.readouterr().out
    assert "  gru: inferred torch.nn.GRU (3 → 4), 2 layers, one direction, with biases\n" in printed
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["data"]["shape"] == [30, 2, 3] and report["data"]["batch_first"] is True
    model = report["models"][0]
    assert model["inferred"]["module"] == "torch.nn.GRU" and model["inferred"]["num_layers"] == 2
    assert [len(u["lyapunov"]["exponents"]) for u in model["units"]] == [2, 2]
    argv = ["analyze", str(tmp_path / "gru.pt"), "--gaussian", "0.5", "--steps", "25", "--json"]
    assert main(argv + ["--out", str(tmp_path / "b")] + QUICK[:5]) == 0
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["data"]["kind"] == "gaussian" and report["data"]["scale"] == 0.5
    assert report["data"]["shape"] == [25, 4, 3]
    printed = json.loads(capsys.readouterr().out)  # --json: report.json, and the files
    assert printed == {**report, "written": printed["written"]}
    assert {p.name for p in (tmp_path / "b").iterdir()} == {
        name.rpartition("/")[2] for name in printed["written"]
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.pt"], "no such file or folder: missing.pt"),
        (["{run}", "--data", "missing.npy"], "no such data file: missing.npy"),
        (
            ["{run}", "--gaussian", "1", "--length", "5"],
            "--length, --delay and --task-arg describe a --task",
        ),
        (["{run}", "--batch-first"], "--batch-first applies to a --data array"),
        (["{run}", "--task", "adding", "--steps", "9"], "--steps applies to --gaussian inputs"),
        (["{run}", "--task", "addition"], "unknown task 'addition'"),
        (["{run}", "--data", "{wide}"], "input width d = 5 does not match the input size 2"),
        (["{run}", "--transient", "500"], "transient (500 steps) leaves no step to measure"),
        (["{run}", "--exponents", "0"], "k (number of exponents) must be a positive integer"),
        (["{keys}"], "keys fit no torch.nn.RNN, LSTM or GRU"),
        (["{module}"], "is not a plain state_dict"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, runs, tmp_path, capsys):
    np.save(tmp_path / "wide.npy", np.zeros((10, 2, 5)))
    names = {"run": str(runs / "lstm"), "wide": str(tmp_path / "wide.npy")}
    if any(a in ("{keys}", "{module}") for a in argv):
        torch = pytest.importorskip("torch", reason="state_dicts are read with torch")
        torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "keys.pt")
        torch.save(torch.nn.LSTM(2, 3), tmp_path / "module.pt")
        names |= {"keys": str(tmp_path / "keys.pt"), "module": str(tmp_path / "module.pt")}
    argv = [a.format(**names) for a in argv]
    assert main(["analyze", *argv, "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradsym analyze: error: ") and message in err
    assert err.count("\n") == 1
