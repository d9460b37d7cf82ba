"""A cell file or a call to cell_from_equations that is wrong in size or kind is a one-line
error, at once (issue 21): the files a student might hand in, as they would be on disk."""

from __future__ import annotations

import os
import sys
import time

import pytest

import gradsym
from gradsym.cli import main
from gradsym.declared.equations import MAX_DEPTH, MAX_EQUATIONS
from gradsym.errors import DeclarationError


def _cell_file(tmp_path, equations: str, name: str = "deep") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nstate = ["h"]\nequations = """\n{equations}\n"""\n')
    return str(path)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_short_equations_nested_deep_are_checked_at_once(tmp_path, capsys):
    """30 minus signs, 30 factors and a product nested 30 deep in a cell file: the time
    doubled per level before, in the checker's preparation."""
    rhs = "-" * 30 + "W_h @ h_prev + U @ x" + "*2" * 30 + " + " + "2*(" * 30 + "b" + ")" * 30
    f = _cell_file(tmp_path, f"h = tanh({rhs})")
    t0 = time.monotonic()
    assert main(["check", "--cell-file", f, "--time-limit", "30", "diag(tanh'(z_h)) @ W_h"]) == 0
    assert time.monotonic() - t0 < 30
    assert "holds" in capsys.readouterr().out


def test_400_chained_equations_are_refused_not_a_recursion_error(tmp_path, capsys):
    chain = ["h = tanh(W_h @ h_prev + U @ x + b) + a1"]
    chain += [f"a{i} = a{i + 1}" for i in range(1, 400)] + ["a400 = W_h @ h_prev"]
    f = _cell_file(tmp_path, "\n".join(chain))
    assert main(["check", "--cell-file", f, "W_h"]) == 2
    assert f"401 equations; a cell has at most {MAX_EQUATIONS}" in _one_line_error(capsys)


def test_equations_nesting_past_the_limit_are_refused(tmp_path, capsys):
    chain = ["h = tanh(W_h @ h_prev + U @ x + b) + a1"]
    chain += [f"a{i} = tanh(a{i + 1})" for i in range(1, 60)] + ["a60 = W_h @ h_prev"]
    f = _cell_file(tmp_path, "\n".join(chain))
    assert main(["train", "--cell-file", f, "--steps", "1"]) == 2
    assert f"deep (at most {MAX_DEPTH})" in _one_line_error(capsys)
    # and a chain within the limit is a cell
    ok = gradsym.cell_from_equations("chain_ok", "\n".join(chain[:10] + ["a10 = W_h @ h_prev"]))
    assert ok.cell.name == "chain_ok"


def test_deriving_a_slow_cell_stops_at_its_time_limit_and_writes_nothing(tmp_path, capsys):
    """Twenty chained tanh layers are within every size limit, but deriving and checking
    all their Jacobian blocks takes SymPy many minutes: the time limit covers it all."""
    chain = ["a0 = tanh(W_h @ h_prev + U @ x + b)"]
    chain += [f"a{i} = tanh(W_h @ a{i - 1} + b)" for i in range(1, 20)] + ["h = a19"]
    f = _cell_file(tmp_path, "\n".join(chain))
    t0 = time.monotonic()
    argv = ["derive", "--cell-file", f, "--out", str(tmp_path / "out"), "--time-limit", "1"]
    assert main(argv) == 2
    assert time.monotonic() - t0 < 30
    assert "did not finish within 1 s; nothing was written" in _one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--cell-file", "x.toml", "--time-limit", "0"], "must be a positive number of seconds"),
        (["--cell-file", "x.toml", "--time-limit", "nan"], "must be a positive number of seconds"),
        (["--time-limit", "10"], "--time-limit applies to --cell-file"),
    ],
)
def test_derive_time_limits_that_mean_nothing_are_refused(argv, message, tmp_path, capsys):
    try:
        code = main(["derive", "--out", str(tmp_path), *argv])
    except SystemExit as exc:  # a usage error
        code = exc.code
    assert code == 2 and message in _one_line_error(capsys)


def test_a_folder_fifo_or_empty_path_as_cell_file(tmp_path, capsys):
    assert main(["check", "--cell-file", str(tmp_path), "W_h"]) == 2
    assert "is a folder" in _one_line_error(capsys)
    with pytest.raises(SystemExit) as exit_:  # argparse's usage error: exit 2
        main(["check", "--cell-file", "", "W_h"])
    assert exit_.value.code == 2
    assert "argument --cell-file: an empty path" in capsys.readouterr().err
    with pytest.raises(DeclarationError, match="empty path"):
        gradsym.declared.load_cell_file("")
    if sys.platform != "win32":
        fifo = tmp_path / "cell.toml"
        os.mkfifo(fifo)  # reading it would wait for a writer forever
        assert main(["check", "--cell-file", str(fifo), "W_h"]) == 2
        assert "not a regular file" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"equations": 123}, "equations must be a string"),
        ({"equations": b"h = x"}, "equations must be a string"),
        ({"equations": "h = tanh(w * h_prev)", "shapes": "n"}, "shapes must be a mapping"),
        ({"equations": "h = tanh(w * h_prev)", "state": 5}, "state must be a name"),
    ],
)
def test_cell_from_equations_refuses_arguments_of_the_wrong_kind(kwargs, message):
    with pytest.raises(DeclarationError, match=message):
        gradsym.cell_from_equations("wrong_kind", **kwargs)
