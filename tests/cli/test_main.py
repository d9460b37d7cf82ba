"""``gradsym`` itself: the one place that turns errors into exit codes, --version,
``python -m gradsym``, and the commands that write files (build, derive, figures, bench).
The convention every command follows is tested in test_convention.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from repo import REPO

import gradsym
from gradsym.cli import BAD_INPUT, BROKEN_PIPE, INTERRUPTED, build_parser, main
from gradsym.errors import InvalidValueError
from gradsym.notes import IDS

# -- exit codes -----------------------------------------------------------------------------


def test_version_is_printed_and_matches_the_package(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"gradsym {gradsym.__version__}"
    declared = re.search(
        r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE
    )
    assert declared.group(1) == gradsym.__version__


def test_python_dash_m_gradsym_is_the_same_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "gradsym", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert out.stdout.strip() == f"gradsym {gradsym.__version__}"
    bad = subprocess.run(
        [sys.executable, "-m", "gradsym", "figures", "no-such-figure", "--out", "unused"],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert bad.returncode == BAD_INPUT
    assert bad.stderr.startswith("gradsym figures: error: unknown figure 'no-such-figure'")


def test_usage_errors_exit_2_through_argparse(capsys):
    for argv in ([], ["frobnicate"], ["verify", "--seed", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2


def test_a_gradsym_error_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["figures", "gradient-norm", "--out", str(tmp_path)]) == BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("gradsym figures: error: unknown figure 'gradient-norm'")
    assert err.count("\n") == 1
    assert not (tmp_path / "figures").exists()  # names are checked before any work


def _raising(exc):
    def command(args):
        raise exc

    return command


def _commands():
    """name → subparser of every registered command."""
    return build_parser()._subparsers._group_actions[0].choices


def _leaves(parser):
    """The parsers that run something: ``parser``, or its sub-commands' (sweep run, ...)."""
    if parser._subparsers is None:
        return [parser]
    return [leaf for sub in parser._subparsers._group_actions[0].choices.values()
            for leaf in _leaves(sub)]  # fmt: skip


def _parser_with(name, func):
    """build_parser with ``name``'s function replaced (the parser binds the function; a
    command with sub-commands binds one in each)."""
    real = build_parser

    def build():
        parser = real()
        for leaf in _leaves(parser._subparsers._group_actions[0].choices[name]):
            leaf.set_defaults(func=func)
        return parser

    return build


ARGV = {
    "build": ["build"],
    "derive": ["derive"],
    "figures": ["figures"],
    "slides": ["slides"],
    "verify": ["verify"],
    "check": ["check", "--cell", "rnn", "W_h"],
    "train": ["train"],
    "analyze": ["analyze", "model.pt"],
    "bench": ["bench", "backend"],
    "cells": ["cells"],
    "sweep": ["sweep", "report", "DIR"],
    "exercises": ["exercises"],
    "grade": ["grade", "answers.toml"],
    "site": ["site"],
}


def test_every_command_is_registered():
    assert set(_commands()) == set(ARGV)


@pytest.mark.parametrize("name", sorted(ARGV))
def test_main_alone_maps_a_command_s_errors(name, capsys, monkeypatch):
    """Whatever the command: a GradsymError is one line and exit 2, Ctrl-C exit 130, and
    anything else (a bug) propagates with its traceback."""
    for exc, expected in (
        (InvalidValueError("bad"), BAD_INPUT),
        (KeyboardInterrupt(), INTERRUPTED),
    ):
        monkeypatch.setattr("gradsym.cli.build_parser", _parser_with(name, _raising(exc)))
        assert main(ARGV[name]) == expected
    err = capsys.readouterr().err
    assert err == (
        f"gradsym {name}: error: bad\n"
        f"gradsym {name}: interrupted; files already written are complete\n"
    )
    monkeypatch.setattr("gradsym.cli.build_parser", _parser_with(name, _raising(OSError("bug"))))
    with pytest.raises(OSError, match="bug"):
        main(ARGV[name])


def test_commands_do_not_catch_gradsym_errors_themselves():
    """The command functions let errors through (main maps them): a command module that
    caught GradsymError would print its own message and exit code."""
    for name, sub in _commands().items():
        for leaf in _leaves(sub):
            source = Path(sys.modules[leaf.get_default("func").__module__].__file__).read_text()
            assert "except GradsymError" not in source, name
            assert "except (CandidateError, GradsymError)" not in source, name


# -- the commands that write files ---------------------------------------------------------------


def test_derive_writes_the_named_claims(tmp_path, capsys):
    assert main(["derive", "cec", "clip-norm", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "derivations").iterdir()) == [
        "cec-checks.md",
        "cec-checks.tex",
        "cec.md",
        "cec.tex",
        "clip-norm-checks.md",
        "clip-norm-checks.tex",
        "clip-norm.md",
        "clip-norm.tex",
    ]
    assert f"wrote 8 files in {tmp_path / 'derivations'}" in capsys.readouterr().out


def test_derive_writes_the_notes_for_the_audience(tmp_path, capsys):
    assert main(["derive", "--out", str(tmp_path), "--audience", "instructor"]) == 0
    notes = (tmp_path / "derivations" / "notes-instructor.tex").read_text()
    assert notes.count(r"\textbf{How each line was checked}") == len(IDS)
    assert not (tmp_path / "derivations" / "notes.tex").exists()
    assert main(["derive", "--out", str(tmp_path)]) == 0  # the student's, by default
    assert "How each line was checked" not in (tmp_path / "derivations" / "notes.tex").read_text()
    with pytest.raises(SystemExit) as exc:
        main(["derive", "--out", str(tmp_path), "--audience", "teacher"])
    assert exc.value.code == 2


def test_derive_and_build_refuse_pdf_without_pdflatex_before_any_work(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("gradsym.cli.writing.shutil.which", lambda name: None)
    for command in ("derive", "build"):
        out = tmp_path / command
        assert main([command, "--pdf", "--out", str(out)]) == BAD_INPUT
        assert "--pdf needs pdflatex" in capsys.readouterr().err
        assert not out.exists()


def test_an_unwritable_output_folder_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["derive", "cec", "--out", str(blocker)]) == BAD_INPUT
    assert f"cannot be created: '{blocker}' is a file" in capsys.readouterr().err


def test_figures_writes_the_named_figure_and_its_data(tmp_path, capsys):
    assert main(["figures", "clipping", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names == ["clipping.json", "clipping.pdf", "clipping.png"]
    out = capsys.readouterr().out
    assert "[1/1] clipping" in out and "wrote 3 files" in out
    assert f"writing clipping into {(tmp_path / 'figures').resolve()}\n" in out
    # a second time it says, before the work, which files it replaces
    assert main(["figures", "clipping", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("(replacing 3 existing files)") < out.index("[1/1] clipping")


def test_a_second_writer_into_the_same_folder_is_refused(tmp_path, capsys):
    from gradsym.files import folder_lock

    with folder_lock(tmp_path / "figures"):  # as if another build were writing there
        # (the lock is re-entrant in one process: take it as another process would)
        from gradsym import files

        held = dict(files._held)
        files._held.clear()
        try:
            assert main(["figures", "clipping", "--out", str(tmp_path)]) == BAD_INPUT
        finally:
            files._held.update(held)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "another gradsym process" in err and "is writing into" in err


def test_bench_without_its_script_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("gradsym.cli.bench.BENCHMARKS", tmp_path)
    assert main(["bench", "backend"]) == BAD_INPUT
    assert "lacks its benchmark script" in capsys.readouterr().err


def test_bench_runs_the_script_with_its_arguments_and_restores_argv(tmp_path, monkeypatch, capsys):
    script = "import sys\nprint('ran', sys.argv[1:])\n"
    (tmp_path / "bench_symbolic.py").write_text(script)
    monkeypatch.setattr("gradsym.cli.bench.BENCHMARKS", tmp_path)
    argv = list(sys.argv)
    assert main(["bench", "symbolic", "--max-n", "3"]) == 0
    assert "ran ['--max-n', '3']" in capsys.readouterr().out
    assert sys.argv == argv


# -- no tracebacks: seeds, JSON, pipes, near misses ----------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "cec", "--seed", "-1"],
        ["figures", "clipping", "--seed", "-1"],
        ["build", "--seed", "-1"],
        ["check", "--cell", "rnn", "W_h", "--seed", "-3"],
        ["train", "--seed", "-1", "--steps", "1"],
    ],
)
def test_a_negative_seed_is_one_line_and_writes_nothing(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed must be an integer >= 0, got -" in err
    assert list(tmp_path.iterdir()) == []  # no empty figures/ or runs/ left behind


def test_under_json_an_error_is_a_json_object_on_stdout(capsys):
    import json

    assert main(["verify", "--json", "chain-rul"]) == BAD_INPUT
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["command"] == "verify" and data["exit_code"] == BAD_INPUT
    assert data["type"] == "UnknownNameError"
    assert data["error"].startswith("unknown claim 'chain-rul' (did you mean 'chain-rule'?)")
    assert err == ""
    with pytest.raises(SystemExit) as exc:  # argparse's own usage errors too
        main(["verify", "--json", "--seed", "x"])
    assert exc.value.code == BAD_INPUT
    assert json.loads(capsys.readouterr().out) == {
        "error": "argument --seed: invalid int value: 'x'",
        "type": "UsageError",
        "command": "verify",
        "exit_code": BAD_INPUT,
    }
    assert main(["check", "--json", "--cell", "rnn", "W_h", "--seed", "-1"]) == BAD_INPUT
    assert "--seed must be" in json.loads(capsys.readouterr().out)["error"]


def test_without_json_a_usage_error_is_one_line_pointing_to_the_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--seed", "x"])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert err == (
        "gradsym verify: error: argument --seed: invalid int value: 'x' "
        "(see gradsym verify --help)\n"
    )


def test_a_mistyped_command_gets_a_did_you_mean(capsys):
    with pytest.raises(SystemExit):
        main(["bild"])
    assert "invalid choice: 'bild'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bild"])
    assert "(did you mean 'build'?) (see gradsym --help)\n" in capsys.readouterr().err


def test_a_closed_stdout_ends_quietly(tmp_path):
    """``gradsym … | head``: the reader goes away; no traceback, exit 141 as for SIGPIPE."""
    with subprocess.Popen(
        [sys.executable, "-m", "gradsym", "verify", "cec", "clip-norm"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    ) as p:
        p.stdout.close()  # the reader is gone before anything is written
        err = p.stderr.read().decode()
        assert p.wait() == BROKEN_PIPE
    assert err == ""


def test_a_broken_pipe_in_a_command_is_mapped_by_main(monkeypatch):
    def gone(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("gradsym.cli.build_parser", _parser_with("verify", gone))
    assert main(["verify"]) == BROKEN_PIPE


def test_bench_names_every_benchmark_script():
    from gradsym.cli.bench import BENCHMARKS, WHICH

    scripts = sorted(p.stem.removeprefix("bench_") for p in BENCHMARKS.glob("bench_*.py"))
    assert sorted(WHICH) == scripts
