"""``gradsym train``, run in-process through :func:`gradsym.cli.main`."""

from __future__ import annotations

import argparse
import json

import pytest

from gradsym.cli import main
from gradsym.cli.train import add_train_parser, config_from_args
from gradsym.numeric.train import CHECKPOINT_FILE, METRICS_FILE, SUMMARY_FILE, read_metrics


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gradsym")
    sub = p.add_subparsers(dest="command", required=True)
    add_train_parser(sub)
    return p


def _argv(line: str) -> list[str]:
    return line.split()


def _main(argv: list[str]) -> int:
    return main(argv)


SMALL = ["train", "--cell", "lstm", "--task", "adding", "--length", "20", "--hidden", "8",
         "--batch", "8", "--steps", "12", "--eval-every", "6", "--checkpoint-every", "5",
         "--no-progress"]  # fmt: skip


def test_the_readme_example_parses_to_its_config():
    args = _parser().parse_args(
        _argv(
            "train --cell lstm --task adding --length 50 --hidden 16 --clip 1.0 "
            "--init orthogonal --forget-bias 1 --steps 3000 --seed 0"
        )
    )
    cfg = config_from_args(args)
    assert (cfg.cell, cfg.task, cfg.task_kwargs, cfg.hidden) == (
        "lstm",
        "adding",
        {"length": 50},
        16,
    )
    assert (cfg.clip, cfg.init, cfg.forget_bias, cfg.steps, cfg.seed) == (
        1.0,
        "orthogonal",
        1.0,
        3000,
        0,
    )


def test_train_prints_a_summary_and_fills_the_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    out = capsys.readouterr().out
    for word in ("final train loss", "final eval loss", "trivial baseline", "time", str(run)):
        assert word in out
    assert (run / CHECKPOINT_FILE).exists() and (run / SUMMARY_FILE).exists()
    assert [r["step"] for r in read_metrics(run)] == list(range(1, 13))


def test_resume_extends_the_run(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    assert _main(["train", "--resume", "--out", str(run), "--steps", "20", "--no-progress"]) == 0
    assert [r["step"] for r in read_metrics(run)] == list(range(1, 21))
    assert json.loads((run / SUMMARY_FILE).read_text())["step"] == 20


def test_resume_refuses_model_options(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    capsys.readouterr()
    code = _main(["train", "--resume", "--out", str(run), "--hidden", "9", "--no-progress"])
    assert code == 2
    assert "--hidden cannot be changed" in capsys.readouterr().err


def test_resume_with_the_same_options_repeated_continues(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    again = [o if o != "12" else "20" for o in SMALL]  # the same run, --steps 20
    assert _main([*again, "--out", str(run), "--resume", "--clip", "1"]) == 0
    assert [r["step"] for r in read_metrics(run)] == list(range(1, 21))


def test_resume_refuses_a_changed_forget_bias_even_zero(tmp_path, capsys):
    """--forget-bias 0 is given (0 is not 'not given'): against a saved 1 it is a change."""
    run = tmp_path / "run"
    assert _main([*SMALL, "--forget-bias", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    resume = ["train", "--resume", "--out", str(run), "--no-progress"]
    assert _main([*resume, "--forget-bias", "0"]) == 2
    assert "--forget-bias cannot be changed" in capsys.readouterr().err
    assert _main([*resume, "--forget-bias", "1", "--steps", "13"]) == 0


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--no-forget-gate"], "--no-forget-gate"),
        (["--length", "30"], "--length/--delay/--task-arg"),
        (["--task-arg", "length=30"], "--length/--delay/--task-arg"),
        (["--clip", "none"], "--clip"),
        (["--seed", "1", "--lr", "0.5"], "--lr, --seed"),
        (["--recovery-factor", "0.25"], "--recovery-factor"),
    ],
)
def test_resume_names_every_changed_option(tmp_path, capsys, options, named):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    capsys.readouterr()
    resume = ["train", "--resume", "--out", str(run), "--no-progress", *options]
    assert _main(resume) == 2
    err = capsys.readouterr().err
    assert f"; {named} cannot be changed (only --steps, --eval-every" in err
    assert err.count("\n") == 1


def test_every_config_field_is_an_option_of_its_name():
    """The option lists are read from TrainConfig's fields: each one has an option whose
    destination is the field (task_kwargs is filled by the task options)."""
    import dataclasses

    from gradsym.cli.train import _flag
    from gradsym.numeric.train.config import TrainConfig

    args = vars(_parser().parse_args(["train"]))
    help_text = _parser()._subparsers._group_actions[0].choices["train"].format_help()
    for f in dataclasses.fields(TrainConfig):
        if f.name != "task_kwargs":
            assert f.name in args and args[f.name] is None, f.name
        for flag in _flag(f.name).split("/"):
            assert flag in help_text, (f.name, flag)


def test_zero_and_false_options_reach_the_config():
    def config(*options):
        return config_from_args(_parser().parse_args(["train", *options]))

    assert config("--forget-bias", "0").forget_bias == 0.0
    assert config().forget_bias is None
    assert config("--no-forget-gate").forget_gate is False
    assert config().forget_gate is True
    cfg = config("--log-every", "5", "--max-recoveries", "0", "--recovery-factor", "0.25")
    assert (cfg.log_every, cfg.max_recoveries, cfg.recovery_factor) == (5, 0, 0.25)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cell", "transformer"], "unknown cell 'transformer'"),
        (["--task", "sorting"], "unknown task 'sorting'"),
        (["--init", "xavier"], "unknown init"),
        (["--length", "0"], "length"),
        (["--hidden", "-3"], "hidden"),
        (["--lr", "0"], "lr"),
        (["--lr", "-0.1"], "lr"),
        (["--steps", "0"], "steps"),
        (["--batch", "0"], "batch"),
        (["--delay", "3"], "--delay applies to the echo and copy tasks"),
        (["--dtype", "float16"], "unknown dtype 'float16'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_checkpoint(tmp_path, capsys, options, message):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run), *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradsym train: error: ") and err.count("\n") == 1
    assert message in err
    assert not (run / CHECKPOINT_FILE).exists()


def test_unreadable_checkpoint_on_resume(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / CHECKPOINT_FILE).write_bytes(b"\x00" * 100)
    assert _main(["train", "--resume", "--out", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "checkpoint" in err and str(run / CHECKPOINT_FILE) in err


def test_dtype_float32_trains_in_float32_and_resume_keeps_it(tmp_path, capsys):
    from gradsym.numeric.train.checkpoint import load_checkpoint

    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run), "--dtype", "float32"]) == 0
    assert "lstm (8 hidden × 1 layer, float32)" in capsys.readouterr().out
    assert load_checkpoint(run / CHECKPOINT_FILE).dtype == "float32"
    resume = ["train", "--resume", "--out", str(run), "--no-progress", "--steps", "14"]
    assert _main([*resume, "--dtype", "float64"]) == 2
    assert "--dtype cannot be changed" in capsys.readouterr().err
    assert _main([*resume, "--dtype", "float32"]) == 0  # repeated with its saved value
    assert json.loads((run / SUMMARY_FILE).read_text())["dtype"] == "float32"


def test_existing_run_needs_resume_or_overwrite(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    capsys.readouterr()
    assert _main([*SMALL, "--out", str(run)]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert _main([*SMALL, "--out", str(run), "--overwrite"]) == 0
    assert len((run / METRICS_FILE).read_text().splitlines()) == 12


def test_options_reach_the_config():
    args = _parser().parse_args(
        _argv(
            "train --cell gru --variant torch --update-bias 2 --task echo --length 12 "
            "--delay 3 --clip none --truncation 2,4 --optimiser sgd --momentum 0.5 "
            "--layers 2 --residual --task-arg n_symbols=3"
        )
    )
    cfg = config_from_args(args)
    assert cfg.task_kwargs == {"length": 12, "delay": 3, "n_symbols": 3}
    assert cfg.clip is None and cfg.truncation == (2, 4)
    assert (cfg.cell, cfg.variant, cfg.update_bias) == ("gru", "torch", 2.0)
    assert (cfg.optimiser, cfg.momentum, cfg.layers, cfg.residual) == ("sgd", 0.5, 2, True)


def test_copy_length_is_its_delay():
    cfg = config_from_args(_parser().parse_args(["train", "--task", "copy", "--length", "7"]))
    assert cfg.task_kwargs == {"delay": 7}


def test_malformed_truncation_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(["train", "--truncation", "a,b"])
    assert exc.value.code == 2
    assert "truncation must be k or k1,k2" in capsys.readouterr().err


# -- resume: the options, and the run files against each other -------------------------------


def test_resume_with_overwrite_is_refused_not_ignored(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    before = (run / METRICS_FILE).read_text()
    capsys.readouterr()
    assert _main(["train", "--resume", "--overwrite", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--overwrite starts it afresh: give one of them" in err
    assert (run / METRICS_FILE).read_text() == before


@pytest.mark.parametrize(("seed", "code"), [("0", 2), ("1", 0)])
def test_resume_compares_a_seed_of_0_with_the_saved_one(tmp_path, capsys, seed, code):
    run = tmp_path / "run"
    assert _main([*SMALL, "--seed", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    resume = ["train", "--resume", "--out", str(run), "--no-progress", "--steps", "13"]
    assert _main([*resume, "--seed", seed]) == code
    if code:
        assert "--seed cannot be changed" in capsys.readouterr().err


def test_resume_of_a_run_with_a_truncated_log_stops_with_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert _main([*SMALL, "--out", str(run)]) == 0
    lines = (run / METRICS_FILE).read_text().splitlines(keepends=True)
    (run / METRICS_FILE).write_text("".join(lines[:3]))
    capsys.readouterr()
    assert _main(["train", "--resume", "--out", str(run), "--steps", "20"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "truncated: it holds 3 records, but the checkpoint covers 12" in err
    assert len(read_metrics(run)) == 3  # nothing was touched


# -- the run folder cannot be written ----------------------------------------------------------


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _main([*SMALL, "--out", str(blocker)]) == 2
    assert capsys.readouterr().err.endswith("is a file, not a folder\n")
    assert _main([*SMALL, "--out", str(blocker / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot be created: '{blocker}' is a file" in err


def test_a_read_only_run_dir_is_one_line(tmp_path, capsys, monkeypatch):
    import errno
    import os

    from gradsym import files

    real_mkdir = files.Path.mkdir

    def refuse(self, *args, **kwargs):
        if self.name == "run":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(files.Path, "mkdir", refuse)
    assert _main([*SMALL, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not writable: Permission denied" in err
    if os.geteuid() != 0:  # and for real where the permission bits bind
        monkeypatch.undo()
        (tmp_path / "ro").mkdir(mode=0o500)
        assert _main([*SMALL, "--out", str(tmp_path / "ro")]) == 2


@pytest.mark.parametrize("where", ["checkpoint.npz", "config.json", "metrics.jsonl"])
def test_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch, where):
    """ENOSPC from the atomic writer or from appending to the log: exit 2, one line."""
    import errno
    import io

    from gradsym import files
    from gradsym.numeric.train import run_files

    full = OSError(errno.ENOSPC, "No space left on device")
    if where == "metrics.jsonl":

        class Full(io.StringIO):
            def write(self, text):
                raise full

        monkeypatch.setattr(run_files, "open", lambda *a, **k: Full(), raising=False)
    else:
        real = files.atomic_write

        def write(path, writer):
            if path.name == where:
                return real(path, lambda f: (_ for _ in ()).throw(full))
            return real(path, writer)

        monkeypatch.setattr(files, "atomic_write", write)
        monkeypatch.setattr("gradsym.numeric.train.checkpoint.atomic_write", write)
        monkeypatch.setattr(
            run_files, "atomic_write_text", lambda p, t: write(p, lambda f: f.write(t.encode()))
        )
    assert _main([*SMALL, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no space left on the device" in err.lower() and where in err
    run = tmp_path / "run"  # removed when the first write failed into the new folder
    assert not run.exists() or not [p for p in run.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="POSIX signals")
def test_a_run_killed_at_any_moment_resumes_with_its_whole_history(tmp_path, capsys):
    """SIGKILL a real `gradsym train` that checkpoints every step (so it is often inside a
    write): the resume finds its files consistent (or repairs them), removes what the
    killed process left, and the log holds every step exactly once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from gradsym.numeric.train.checkpoint import load_checkpoint

    run = tmp_path / "run"
    options = ["--cell", "rnn", "--task", "adding", "--length", "20", "--hidden", "4",
               "--batch", "4", "--eval-every", "1000", "--checkpoint-every", "1"]  # fmt: skip
    command = [sys.executable, "-m", "gradsym", "train", *options, "--steps", "100000"]
    p = subprocess.Popen(
        [*command, "--no-progress", "--out", str(run)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    metrics = run / METRICS_FILE
    deadline = time.monotonic() + 60
    while not (metrics.exists() and metrics.stat().st_size > 2000):
        assert time.monotonic() < deadline and p.poll() is None, "the run did not start"
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    step = load_checkpoint(run / CHECKPOINT_FILE).step
    assert step > 0
    resume = ["train", "--resume", "--out", str(run), "--no-progress"]
    assert _main([*resume, "--steps", str(step + 3)]) == 0
    assert [r["step"] for r in read_metrics(run)] == list(range(1, step + 4))
    assert not [q.name for q in run.iterdir() if q.name.startswith(".")]  # no temporaries
