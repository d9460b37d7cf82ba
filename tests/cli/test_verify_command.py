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


def test_verify_mutation_options_are_checked(capsys):
    assert _run(["verify", "--per-claim", "3"]) == 2
    assert "--per-claim needs --mutations" in capsys.readouterr().err
    assert _run(["verify", "--mutations", "--per-claim", "0"]) == 2
    assert "--per-claim must be" in capsys.readouterr().err


def test_verify_mutations(capsys):
    assert _run(["verify", "mlp-window", "--mutations", "--per-claim", "3"]) == 0
    out = capsys.readouterr().out
    assert "mlp-window" in out and "100.0%" in out and "up to 3 mutants per claim" in out
    assert _run(["verify", "sgd-step", "--mutations", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] and data["claims"][0]["survived"] == 0
