"""Faults of the command line's surroundings, met as a user meets them (issue 21): a
terminal that cannot show Unicode, an output that cannot be written, a full disk, empty
paths, zero counts, an unknown claim, sizes no memory holds, state_dicts that are not
state_dicts. Each is one line and exit status 2, and leaves no file or folder behind."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time

import pytest
from full_disk import full_disk_available, on_full_disk

import gradsym
from gradsym.cli import main
from gradsym.cli.ascii_output import transliterate
from gradsym.errors import InvalidValueError


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


# -- a terminal that cannot show Unicode ---------------------------------------------------------


def test_the_ascii_spelling_of_what_gradsym_prints():
    assert transliterate("✓ holds: ∂h/∂h_prev") == "ok holds: dh/dh_prev"
    assert transliterate("diag(σ′(z)) ∘ W_h⁽ᵗ⁻¹⁾") == "diag(sigma'(z)) o W_h^(t-1)"
    assert transliterate("‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂, λ₁ ± s.e., 4 × 1") == (
        "||dh^(T)/dh^(T-l)||_2, lambda_1 +/- s.e., 4 x 1"
    )
    assert transliterate("x² Mᵀ 2→32 −0.5 café 😀") == "x^2 M^T 2->32 -0.5 cafe \\U0001f600"


@pytest.mark.parametrize(
    "argv",
    [["cells"], ["check", "--cell", "rnn", "diag(tanh'(z)) @ W_h"], ["verify", "linear-case"]]
    + [["check", "--cell", "rnn", "--json", "diag(σ'(z)) @ W_h"]],
    ids=["cells", "check", "verify", "check --json"],
)
def test_a_terminal_that_cannot_encode_unicode_gets_ascii(argv, monkeypatch):
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    err = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(argv)
    out.flush(), err.flush()
    assert code in (0, 1), err.buffer.getvalue()
    text = out.buffer.getvalue().decode("ascii")  # every byte ASCII, or this raises
    assert text.strip() and err.buffer.getvalue().decode("ascii") == ""
    if "--json" in argv:
        import json

        assert json.loads(text)["outcome"] == "refuted"  # still JSON, σ as \u03c3


def test_train_prints_its_summary_on_an_ascii_terminal(tmp_path):
    """In a real process with PYTHONIOENCODING=ascii: the summary came after the whole
    run, and its first line (× in "4 hidden × 1 layer") ended it with a traceback."""
    argv = [sys.executable, "-m", "gradsym", "train", "--task", "adding", "--length", "20"]
    argv += ["--hidden", "4", "--batch", "4", "--steps", "2", "--eval-batch", "8"]
    argv += ["--out", str(tmp_path / "run"), "--no-progress"]
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(argv, capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert b"4 hidden x 1 layer" in done.stdout
    done.stdout.decode("ascii")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_an_output_that_cannot_be_written_is_one_line(monkeypatch, capsys):
    """stdout is /dev/full, where every write fails with ENOSPC (a full disk)."""
    full = open("/dev/full", "w")  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stdout", full)
    try:
        code = main(["check", "--cell", "rnn", "--time-limit", "0", "W_h"])
    finally:
        monkeypatch.undo()
        full.close()
    assert code == 2
    assert capsys.readouterr().err == (
        "gradsym check: error: cannot write the output: No space left on device\n"
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["train", "--help"]])
def test_help_that_cannot_be_written_is_one_line(argv, monkeypatch, capsys):
    """argparse drops a failed write of the help silently, and the exit status was 0."""
    full = open("/dev/full", "w")  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stdout", full)
    try:
        code = main(argv)
    finally:
        monkeypatch.undo()
        with contextlib.suppress(OSError):
            full.close()
    assert code == 2
    assert capsys.readouterr().err == (
        "gradsym: error: cannot write the output: No space left on device\n"
    )


# -- paths, counts, unknown names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, argument",
    [
        (["derive", "--out", ""], "--out"),
        (["train", "--out=", "--steps", "1"], "--out"),
        (["train", "--run-dir=", "--steps", "1"], "--run-dir"),  # the deprecated spelling
        (["check", "--cell-file", "", "W_h"], "--cell-file"),
        (["sweep", "report", ""], "DIR"),
        (["analyze", ""], "MODEL"),
    ],
)
def test_an_empty_path_is_refused(argv, argument, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert f"argument {argument}: an empty path" in _one_line(capsys)


@pytest.mark.parametrize("argv", [["backend", "--rounds", "0"], ["training", "--steps=0"]])
def test_bench_refuses_a_zero_count(argv, capsys):
    assert main(["bench", *argv]) == 2
    assert "must be a positive integer, got '0'" in _one_line(capsys)


@pytest.mark.parametrize("command", [["derive", "nosuch"], ["slides", "nosuch"]])
def test_an_unknown_claim_leaves_no_empty_folders(command, tmp_path, capsys):
    assert main([*command, "--out", str(tmp_path / "notes" / "week3")]) == 2
    assert "unknown claim 'nosuch'" in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_verify_refuses_a_negative_seed():
    with pytest.raises(InvalidValueError, match="seed must be an integer >= 0, got -1"):
        gradsym.verify(["linear-case"], seed=-1)


# -- a full disk -------------------------------------------------------------------------------


@pytest.mark.skipif(not full_disk_available(), reason="no tmpfs in a user namespace here")
def test_derive_on_a_real_full_disk_leaves_no_lock_and_no_folder():
    found = on_full_disk(
        """
        import contextlib, io, os
        from gradsym.cli import main
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            RESULT["code"] = main(["derive", "linear-case", "--out", os.path.join(DISK, "n")])
        RESULT["err"] = err.getvalue()
        RESULT["left"] = sorted(os.listdir(DISK))
        """
    )
    assert found["code"] == 2
    assert "no space left on the device" in found["err"] and found["err"].count("\n") == 1
    assert found["left"] == ["filler"]  # no .gradsym.lock, no empty folders


def test_a_lock_that_cannot_be_written_leaves_no_lock_file(tmp_path, monkeypatch, capsys):
    """The same where no tmpfs can be mounted: the write of the lock's pid fails."""
    import errno

    from gradsym import files

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "write", full)
    assert main(["derive", "linear-case", "--out", str(tmp_path / "n")]) == 2
    assert "no space left on the device" in _one_line(capsys)
    assert list(tmp_path.iterdir()) == []


# -- analyze: sizes and state_dicts -------------------------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    argv = ["train", "--task", "adding", "--length", "20", "--hidden", "4", "--batch", "4"]
    assert main([*argv, "--steps", "2", "--eval-batch", "8", "--out", str(run)]) == 0
    return run


def test_analyze_refuses_steps_no_memory_holds_before_any_work(run_folder, tmp_path, capsys):
    t0 = time.monotonic()
    argv = ["analyze", str(run_folder), "--gaussian", "1", "--steps", "10000000"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 2
    assert time.monotonic() - t0 < 20
    err = _one_line(capsys)  # no progress bar before it
    assert "steps = 10000000 and batch = 32" in err and "GiB of memory" in err
    assert not (tmp_path / "a").exists()


def _save_deep(path, depth: int) -> None:
    """A .pt of dicts nested ``depth`` deep (torch.save recurses: in a thread with a
    large stack)."""
    import threading

    import torch

    def save():
        nested: dict = {}
        inner = nested
        for _ in range(depth):
            inner["a"] = {}
            inner = inner["a"]
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10 * depth)
        try:
            torch.save(nested, path)
        finally:
            sys.setrecursionlimit(limit)

    threading.stack_size(512 * 2**20)
    try:
        worker = threading.Thread(target=save)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(0)


def test_state_dicts_that_are_not_state_dicts_are_one_line(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    deep = tmp_path / "deep.pt"
    _save_deep(deep, 5000)  # past Python's stack (1000 frames) and the 100 gradsym allows
    empty = tmp_path / "empty.pt"
    shapes = {"weight_ih_l0": (0, 3), "weight_hh_l0": (0, 0), "bias_ih_l0": (0,)}
    torch.save({k: torch.zeros(s) for k, s in shapes.items()}, empty)
    cases = [(deep, "nests dicts more than 100 deep"), (empty, "with no entries")]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.pt")
        cases.append((tmp_path / "fifo.pt", "not a regular file"))
    for path, message in cases:
        assert main(["analyze", str(path), "--out", str(tmp_path / "a")]) == 2
        assert message in _one_line(capsys)
