"""The verify and check subcommands: output and exit codes."""

from __future__ import annotations

import argparse
import json

from gradsym.proofs.commands import add_check_parser, add_verify_parser


def _run(argv):
    p = argparse.ArgumentParser(prog="gradsym")
    sub = p.add_subparsers(dest="command", required=True)
    add_verify_parser(sub)
    add_check_parser(sub)
    args = p.parse_args(argv)
    return args.func(args)


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


def test_verify_mutations(capsys):
    assert _run(["verify", "mlp-window", "--mutations", "--per-claim", "3"]) == 0
    out = capsys.readouterr().out
    assert "mlp-window" in out and "100.0%" in out and "up to 3 mutants per claim" in out
    assert _run(["verify", "sgd-step", "--mutations", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] and data["claims"][0]["survived"] == 0


def test_verify_mutation_options_are_checked(capsys):
    assert _run(["verify", "--per-claim", "3"]) == 2
    assert "--per-claim needs --mutations" in capsys.readouterr().err
    assert _run(["verify", "--mutations", "--per-claim", "0"]) == 2
    assert "must be ≥ 1" in capsys.readouterr().err
