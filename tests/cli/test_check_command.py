"""``gradsym check``: output and exit codes."""

from __future__ import annotations

import json

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
