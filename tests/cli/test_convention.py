"""The one convention of the command line (README, *The command line*): every command and
sub-command answers --help; every command that prints results has --json, and what it
prints is one JSON document; claim ids are positional; --out is the folder written into,
each file at the same place under it whichever command writes it; a shared option means
the same wherever it appears; the old spellings still work and say so on stderr; sweep has
real sub-commands; no command imports another; ``gradsym --help`` is written for the
shell; ``gradsym bench`` runs from an installed package."""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repo import REPO

from gradsym.cli import DESCRIPTION, build_parser, main
from gradsym.cli import options as shared

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the runtime dependency of 3.10
    import tomli as tomllib

EXAMPLE_SWEEP = REPO / "gradsym" / "experiments" / "examples" / "classic"


def _leaves(parser: argparse.ArgumentParser, name: str = "") -> dict[str, argparse.ArgumentParser]:
    """``"sweep run"`` → its parser: every parser that runs something."""
    if parser._subparsers is None:
        return {name: parser}
    found = {}
    for word, sub in parser._subparsers._group_actions[0].choices.items():
        found |= _leaves(sub, f"{name} {word}".strip())
    return found


LEAVES = _leaves(build_parser())


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


# -- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["", "sweep", *sorted(LEAVES)])
def test_every_command_answers_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command.split(), "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(['gradsym', *command.split()])} ")
    assert "``" not in out and ":func:" not in out  # help is written for the shell


def test_gradsym_help_describes_the_program_and_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    # the description as written, whole sentences (once the docstring's first line, cut
    # mid-sentence with its reST backticks)
    assert f"\n\n{DESCRIPTION}\n\n" in out and DESCRIPTION.endswith(".")
    section = out.split("commands:\n")[1].split("\n\n")[0].splitlines()
    listed = [line.split()[0] for line in section if line.startswith("    ") and line[4] != " "]
    assert listed == list(build_parser()._subparsers._group_actions[0].choices)
    assert "COMMAND\n" not in out
    for option in ("ID ...", "--out DIR", "--json", "--seed S"):
        assert f"\n  {option} " in out  # the convention, stated where every user looks


# -- --json --------------------------------------------------------------------------------


#: A training run that takes no time.
TRAIN_TINY = ["train", "--task", "adding", "--length", "20", "--hidden", "3", "--batch", "4",
              "--steps", "1", "--eval-batch", "4", "--no-progress"]  # fmt: skip


#: For each command with --json: a quick invocation writing into the folder ``{out}``,
#: where under it the files land (None: the command writes nothing) and its exit status.
JSON_RUNS = {
    "verify": (["verify", "cec"], None, 0),
    "check": (["check", "--cell", "rnn", "--time-limit", "0", "W_h"], None, 1),  # refuted
    "cells": (["cells"], None, 0),
    "train": ([*TRAIN_TINY, "--out", "{out}"], "", 0),
    "exercises": (["exercises", "--seed", "3", "--out", "{out}"], "exercises", 0),
    "site": (["site", "--out", "{out}"], "site", 0),  # the committed figures in {out}/figures
    "grade": (["grade", str(REPO / "exercises" / "answers.toml")], None, 1),  # none answered
}
#: Tested elsewhere, each where its work is already done: derive, figures and slides in
#: the test of one --out below, sweep report in the test of its old --report-dir, build in
#: test_build_command.py, analyze in test_analyze_command.py, sweep run in
#: test_sweep_command.py (in a process of its own).
JSON_TESTED_ELSEWHERE = {"derive", "figures", "slides", "sweep report", "build", "analyze",
                         "sweep run"}  # fmt: skip
#: bench runs a script, whose output and options are its own.
NO_RESULTS = {"bench"}


def test_every_command_that_prints_results_has_json():
    with_json = {name for name, p in LEAVES.items() if "--json" in _options(p)}
    assert with_json == set(LEAVES) - NO_RESULTS
    assert with_json == set(JSON_RUNS) | JSON_TESTED_ELSEWHERE


@pytest.mark.parametrize("command", sorted(JSON_RUNS))
def test_json_is_one_document_and_written_files_are_under_out(command, tmp_path, capsys):
    argv, under, code = JSON_RUNS[command]
    out = tmp_path / "out"
    if command == "site":
        out.mkdir()
        (out / "figures").symlink_to(REPO / "figures")
    assert main([*[a.format(out=out) for a in argv], "--json"]) == code
    printed = json.loads(capsys.readouterr().out)  # the whole of stdout
    assert printed
    if under is None:
        assert not out.exists()
        return
    files = printed["written"] if "written" in printed else [printed["run_dir"]]
    assert files and all(Path(f).is_relative_to(out / under) for f in files), files


# -- --out ---------------------------------------------------------------------------------


def test_the_notes_commands_given_one_out_make_one_tree(tmp_path, capsys):
    """derive, figures and slides given one DIR (and one claim): each writes its own
    sub-folder of it, says so as JSON, and the slides find the figures there."""
    for command, folder in (
        ("derive", "derivations"),
        ("figures", "figures"),
        ("slides", "slides"),
    ):
        assert main([command, "linear-case", "--out", str(tmp_path), "--json"]) == 0
        written = json.loads(capsys.readouterr().out)["written"]  # the whole of stdout
        assert written and {Path(p).parent for p in written} == {tmp_path / folder}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derivations", "figures", "slides"]
    assert (tmp_path / "figures" / "linear-case.pdf").exists()
    assert "{../figures/linear-case.pdf}" in (tmp_path / "slides" / "slides.tex").read_text()


def test_out_is_one_option_wherever_it_appears():
    """Every --out is a folder (a Path, DIR), registered by the one helper."""
    for name, parser in LEAVES.items():
        action = _options(parser).get("--out")
        if action is None:
            assert name in ("verify", "check", "grade", "cells", "bench"), name  # write no file
            continue
        assert (action.dest, action.type, action.metavar) == ("out", Path, "DIR"), name
        assert action.help.startswith("the folder to write into: "), name


# -- a shared option means the same everywhere ----------------------------------------------

#: Each shared option and the helper that registers it (on a scratch parser).
HELPERS = {
    "--json": lambda p: shared.add_json(p, "x"),
    "--seed": lambda p: shared.add_seed(p),
    "--time-limit": lambda p: shared.add_time_limit(p, "x"),
    "--cell-file": lambda p: shared.add_cell_file(p, "x"),
    "--pdf": lambda p: shared.add_pdf(p, "x"),
    "--audience": lambda p: shared.add_audience(p, "x", "y"),
    "--no-progress": shared.add_no_progress,
    "--length": shared.add_task_options,
    "--delay": shared.add_task_options,
    "--task-arg": shared.add_task_options,
    "--dpi": shared.add_figure_options,
    "--format": shared.add_figure_options,
    "--style": shared.add_figure_options,
}


def _shape(action: argparse.Action) -> tuple:
    """What an option does (its help and default may say what it does it to)."""
    return (type(action), action.dest, action.nargs, action.const, action.type, action.choices,
            action.metavar)  # fmt: skip


@pytest.mark.parametrize("option", sorted(HELPERS))
def test_a_shared_option_is_the_helper_s_wherever_it_appears(option):
    scratch = argparse.ArgumentParser()
    HELPERS[option](scratch)
    expected = _shape(_options(scratch)[option])
    users = [name for name, p in LEAVES.items() if option in _options(p)]
    assert users, option
    for name in users:
        assert _shape(_options(LEAVES[name])[option]) == expected, (option, name)


def test_claim_ids_are_positional_wherever_a_command_takes_claims():
    for name in ("derive", "slides", "verify", "figures"):
        (ids,) = [a for a in LEAVES[name]._actions if a.dest == "ids" and not a.option_strings]
        assert ids.nargs == "*" and ids.metavar == "ID", name
        assert type(ids) is shared._Ids, name


# -- the old spellings --------------------------------------------------------------------------


def _warning(capsys, prog: str, old: str, new: str) -> None:
    err = capsys.readouterr().err
    assert err == f"gradsym {prog}: warning: {old} is deprecated; use {new}\n"


def test_slides_claims_is_the_ids_and_warns(tmp_path, capsys):
    assert main(["slides", "linear-case", "explode", "--out", str(tmp_path / "new")]) == 0
    capsys.readouterr()
    assert main(["slides", "--claims", "explode,linear-case", "--out", str(tmp_path / "old")]) == 0
    _warning(capsys, "slides", "--claims", "the claim ids as arguments: gradsym slides ID ...")
    new, old = (tmp_path / d / "slides" / "slides.tex" for d in ("new", "old"))
    assert old.read_text() == new.read_text()


def test_train_run_dir_is_out_and_warns(tmp_path, capsys):
    run = str(tmp_path / "r")
    assert main([*TRAIN_TINY, "--run-dir", run]) == 0
    assert (tmp_path / "r" / "summary.json").exists()
    out, err = capsys.readouterr()
    assert run in out
    assert err == "gradsym train: warning: --run-dir is deprecated; use --out (the run folder)\n"
    assert main(["train", "--resume", "--steps", "2", "--no-progress", "--run-dir", run]) == 0
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["step"] == 2


def test_sweep_report_dir_is_out_and_warns(tmp_path, capsys):
    argv = ["sweep", "report", str(EXAMPLE_SWEEP), "--report-dir", str(tmp_path), "--json"]
    assert main(argv) == 0
    names = ["report.csv", "report.md", "success-rate.json", "success-rate.pdf", "success-rate.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    out, err = capsys.readouterr()
    assert err == "gradsym sweep report: warning: --report-dir is deprecated; use --out\n"
    printed = json.loads(out)  # --json: the rates, and the files written
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in printed["written"]) == names
    assert len(printed["rates"]) == 40 and printed["criterion"] == "eval_loss / baseline < 0.1"


# -- sub-commands ------------------------------------------------------------------------------


def test_sweep_has_real_sub_commands_and_its_old_form_is_run():
    assert sorted(name for name in LEAVES if name.startswith("sweep")) == [
        "sweep report",
        "sweep run",
    ]
    run, report = _options(LEAVES["sweep run"]), _options(LEAVES["sweep report"])
    # each mode has only its own options: argparse refuses the other's
    assert set(run) & set(report) == {"-h", "--help", "--out", "--json"}
    parser = build_parser()
    new = parser.parse_args(["sweep", "run", "spec.toml", "--out", "d", "--workers", "1"])
    old = parser.parse_args(["sweep", "spec.toml", "--out", "d", "--workers", "1"])
    assert vars(old) == vars(new) and new.sweep_command == "run"


# -- commands do not import one another ----------------------------------------------------------


def _import_offences(module: str, source: str, commands: set[str]) -> list[str]:
    """The imports of ``module`` that reach into another command's module or take a
    private name (``_x``) from anywhere."""
    offences = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        names = [a.name for a in node.names]
        imported = {node.module} | {f"{node.module}.{n}" for n in names}
        if module != "gradsym.cli" and imported & (commands - {module}):
            offences.append(f"{module} imports {node.module}")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        offences += [f"{module} imports {node.module}.{n}" for n in private]
    return offences


def test_no_command_imports_another_command_or_a_private_name():
    commands = {p.get_default("func").__module__ for p in LEAVES.values()}
    assert "gradsym.cli.train" in commands and "gradsym.cli.sweep" in commands
    offences = []
    for path in sorted((REPO / "gradsym" / "cli").glob("*.py")):
        module = "gradsym.cli" if path.stem == "__init__" else f"gradsym.cli.{path.stem}"
        offences += _import_offences(module, path.read_text(), commands)
    assert offences == []
    # and the test sees an offence where there is one: analyze as it was
    before = "from gradsym.cli.train import _task_arg, _task_kwargs\n"
    assert _import_offences("gradsym.cli.analyze", before, commands) == [
        "gradsym.cli.analyze imports gradsym.cli.train",
        "gradsym.cli.analyze imports gradsym.cli.train._task_arg",
        "gradsym.cli.analyze imports gradsym.cli.train._task_kwargs",
    ]


# -- gradsym bench from an installed package ---------------------------------------------------


def _install_copy(site: Path) -> None:
    """Copy into ``site`` what an installation of gradsym holds, as pyproject.toml tells
    setuptools: the modules of every package (a folder with __init__.py) and the package
    data; nothing else of the repository."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    data: dict[str, list[str]] = config["package-data"]
    for init in sorted((REPO / "gradsym").rglob("__init__.py")):
        package = init.parent
        name = ".".join(package.relative_to(REPO).parts)
        patterns = data.get("*", []) + data.get(name, [])
        for path in package.rglob("*"):
            rel = path.relative_to(package).as_posix()
            ships = path.suffix == ".py" and path.parent == package
            if path.is_file() and (ships or any(fnmatch.fnmatch(rel, p) for p in patterns)):
                target = site / path.relative_to(REPO)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def test_bench_runs_from_an_installed_package_without_the_repository(tmp_path):
    site = tmp_path / "site-packages"
    _install_copy(site)
    assert not (site / "benchmarks").exists() and not (tmp_path / "benchmarks").exists()
    code = (
        "import sys, gradsym; from gradsym.cli import main; print(gradsym.__file__); "
        "sys.exit(main(['bench', 'backend', '--help']))"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported, usage = done.stdout.split("\n", 1)
    assert Path(imported).is_relative_to(site)  # the installed copy, not the checkout
    assert usage.startswith("usage: bench_backend.py") and "--rounds" in usage
