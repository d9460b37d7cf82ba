"""`gradsym sweep run` and `gradsym sweep report` from the command line: bad input is one
line and exit 2 (a misplaced option, argparse's usage error), the report writes its table
and figure, and `gradsym sweep SPEC --out DIR` is still `gradsym sweep run`."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
from sweep_specs import TINY, TOML

from gradsym.cli import main
from gradsym.experiments.spec import load_spec
from gradsym.experiments.store import SweepStore
from gradsym.experiments.success_rates import report


@pytest.fixture
def tiny() -> dict:
    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_toml(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TOML)
    return path


def _one_line_error(capsys, code: int, *needles: str) -> None:
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gradsym sweep: error: ") and "\n" not in err, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize(
    "text, needles",
    [
        ('success = "eval_loss < 1"\n[grid]\nlenght = [1]\n', ("unknown field 'lenght'",)),
        ('success = "eval_loss < 1"\n[grid]\nlength = []\n', ("empty list",)),
        ('success = "baseline < 1"\n', ("names no metric",)),
        ("name = \n", ("not valid TOML",)),
    ],
)
def test_bad_specs_exit_2_with_one_line(tmp_path, capsys, text, needles):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    code = main(["sweep", "run", str(spec), "--out", str(tmp_path / "o")])
    _one_line_error(capsys, code, *needles)
    assert not (tmp_path / "o" / "sweep.db").exists()


def test_an_unreachable_scheduler_exits_2(tiny_toml, tmp_path, capsys):
    pytest.importorskip("distributed")
    code = main(
        [
            "sweep",
            "run",
            str(tiny_toml),
            "--out",
            str(tmp_path),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "0.5",
        ]
    )
    _one_line_error(capsys, code, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")


def _usage_error(capsys, argv: list[str], *needles: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("gradsym") and err.count("\n") == 1, err  # one line
    assert err.endswith(" --help)\n"), err
    for needle in needles:
        assert needle in err, err


def test_option_mistakes_are_usage_errors_of_the_sub_command(tiny_toml, tmp_path, capsys):
    """Which option belongs to which sub-command is argparse's business: a misplaced one is
    a usage error, exit 2, before anything runs."""
    spec = str(tiny_toml)
    _usage_error(capsys, ["sweep", "run", spec], "required: --out")
    _usage_error(capsys, ["sweep", spec], "required: --out")  # the form without `run`
    _usage_error(
        capsys,
        ["sweep", "run", spec, "--out", str(tmp_path), "--workers", "2", "--scheduler", "x"],
        "not allowed with argument",
    )
    _usage_error(capsys, ["sweep", "report"], "required: DIR")
    _usage_error(capsys, ["sweep", "report", str(tmp_path), "--workers", "2"], "--workers")
    _usage_error(capsys, ["sweep", "run", spec, "--out", str(tmp_path), "--success", "x"])
    _usage_error(capsys, ["sweep", "reprot", str(tmp_path)], "(did you mean 'report'?)")
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.toml"]  # nothing ran
    _one_line_error(capsys, main(["sweep", "report", str(tmp_path)]), "no sweep database")


def test_a_database_of_another_spec_exits_2_and_is_kept(tiny, tiny_toml, tmp_path, capsys):
    other = dict(tiny, name="other", base={**tiny["base"], "hidden": 5})  # other runs
    store, _ = SweepStore.open_for(tmp_path, load_spec(other))
    store.close()
    before = (tmp_path / "sweep.db").read_bytes()
    code = main(["sweep", "run", str(tiny_toml), "--out", str(tmp_path), "--no-progress"])
    _one_line_error(capsys, code, "another spec ('other'", "--overwrite")
    assert (tmp_path / "sweep.db").read_bytes() == before


def test_sweep_then_report_writes_table_csv_and_figure(tiny_toml, tmp_path, capsys):
    """The command as a user runs it, in its own process (its embedded LocalCluster's
    worker processes and multiprocessing's helper end with it)."""
    pytest.importorskip("distributed")
    out = tmp_path / "sweep"
    done = subprocess.run(
        [sys.executable, "-m", "gradsym", "sweep", "run", str(tiny_toml), "--out", str(out),
         "--workers", "1", "--no-progress", "--json"],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # --json: what the sweep did, alone on stdout
    assert (result["total"], result["done"], result["pending"]) == (8, 8, 0)
    assert result["database"] == str(out / "sweep.db")
    assert main(["sweep", "report", str(out), "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    assert "| configuration | length = 3 | length = 5 |" in printed
    assert "| configuration | length | successes / runs |" in printed
    for name in (
        "report.md",
        "report.csv",
        "success-rate.pdf",
        "success-rate.png",
        "success-rate.json",
    ):
        assert (tmp_path / "r" / name).stat().st_size > 0, name
    data = json.loads((tmp_path / "r" / "success-rate.json").read_text())
    assert data["criterion"] == "eval_loss / baseline < 0.9"
    assert [c["n"] for c in data["curves"]] == [[2, 2], [2, 2]]
    assert data["curves"] == report(out).figure_data()["curves"]
    assert main(["sweep", "report", str(out), "--success", "eval_loss < 0"]) == 0
    assert "| 0 / 2 |" in capsys.readouterr().out
