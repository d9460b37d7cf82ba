"""``gradsym verify``: output and exit codes."""

from __future__ import annotations

import json

from gradsym.cli import main as _run


def test_verify_named_claims(capsys):
    assert _run(["verify", "clip-norm", "cec"]) == 0
    out = capsys.readouterr().out
    assert "clip-norm" in out and "2/2 claims verified" in out


def test_verify_json(capsys):
    assert _run(["verify", "mlp-window", "--json", "--seed", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] and data["claims"][0]["id"] == "mlp-window"


def test_verify_unknown_id_is_bad_input(capsys):
    assert _run(["verify", "nope"]) == 2
    assert "unknown claim 'nope'" in capsys.readouterr().err
