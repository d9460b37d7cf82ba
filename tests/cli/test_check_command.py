"""``gradsym check``: output and exit codes (0 holds, 1 refuted, 2 bad input, 3 undecided)."""

from __future__ import annotations

import json

import pytest

from gradsym.cli import main as _run


def test_check_exit_codes(capsys):
    assert _run(["check", "--cell", "lstm", "--of", "c", "--wrt", "c_prev", "diag(f)"]) == 0
    assert "✓ holds" in capsys.readouterr().out
    assert _run(["check", "--cell", "lstm", "--of", "c", "--wrt", "c_prev", "diag(i)"]) == 1
    out = capsys.readouterr().out
    assert "✗ refuted" in out and "counterexample" in out and "W_f" in out
    assert _run(["check", "--cell", "lstm", "--of", "c", "--wrt", "c_prev", "diag(q)"]) == 2
    assert "unknown symbol 'q'" in capsys.readouterr().err


def test_check_json(capsys):
    assert _run(["check", "--cell", "rnn", "--json", "diag(sigma_prime(z))*W_h"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["holds"] is False and data["counterexample"]["entries"]
    assert data["outcome"] == "refuted" and data["exit_code"] == 1


def test_check_exit_code_3_for_undecided(capsys):
    argv = ["check", "--cell", "rnn", "--time-limit", "0", "diag(tanh'(z)) @ W_h"]
    assert _run(argv) == 3
    out = capsys.readouterr().out
    assert "? undecided" in out and "no symbolic proof" in out


def test_check_reports_the_diagnosis(capsys):
    assert _run(["check", "--cell", "rnn", "diag(tanh'(z)) ∘ W_h"]) == 1
    out = capsys.readouterr().out
    assert "diagnosis:" in out and "Hadamard" in out and "diagonal of W_h" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "--cell", "rnn", "--json", "(-1)**0.5*W_h"], "complex"),
        (["check", "--cell", "rnn", "--json", "0**-1*W_h"], "division by zero"),
        (["check", "--cell", "rnn", "--json", "9**9**9*W_h"], "exponent"),
        (["check", "--cell", "rnn", "--json", "--n", "100000", "W_h"], "n must be"),
        (["check", "--cell", "nope", "--json", "W_h"], "unknown cell"),
        (["check", "--json", "--n", "x", "W_h"], "invalid int"),
        (["check", "--json", "W_h"], "required"),
    ],
)
def test_check_json_errors_are_json(capsys, argv, message):
    try:
        code = _run(argv)
    except SystemExit as exc:  # argparse's usage errors exit from inside parse_args
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["exit_code"] == 2 and message in data["error"]


def test_check_plain_errors_stay_one_line_on_stderr(capsys):
    assert _run(["check", "--cell", "rnn", "σ(z)(1 − σ(z))"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "write σ(z)*(1 − σ(z))" in err


def test_check_json_verdict_fields(capsys):
    assert _run(["check", "--cell", "rnn", "--json", "diag(tanh'(z)) @ W_h"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "holds" and data["exit_code"] == 0
    assert data["every_size"] is True and data["symbolic"] is True
