"""``gradsym build``: figures, derivations, the verification and the backend's self-check,
with a report; exit 1 when any check fails. The figures come from the session's one build
(conftest.py), the verification is cut to two claims: the rest is the real thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gradsym.notes
from gradsym.cli import main
from gradsym.numeric import selfcheck


@pytest.fixture
def quick_build(built_figures, monkeypatch, committed_slide_figures):
    """The build with the session's figures (and the committed slide-style ones) and a
    two-claim verification."""
    files = sorted(built_figures.folder.iterdir())
    monkeypatch.setattr(
        "gradsym.cli.build.figures_into", lambda out, names, seed, options, log: files
    )
    verify = gradsym.notes.verify
    monkeypatch.setattr(
        "gradsym.cli.build.verify_with_progress",
        lambda seed: verify(["cec", "clip-norm"], seed=seed),
    )


def test_build_reports_every_stage_and_exits_0(quick_build, tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for stage in ("1/4 figures", "2/4 derivations", "3/4 verifying", "4/4 checking the numeric"):
        assert stage in out
    assert "2/2 claims verified" in out
    assert "pass < 1e-7" in out
    for label in ("RNN(tanh)", "LSTM(peephole_no_forget)", "GRU(torch)"):
        assert label in out
    assert "✗" not in out
    assert "every claim verified: 2 claims" in out
    assert (tmp_path / "derivations" / "notes.tex").exists()
    assert (tmp_path / "derivations" / "notes.md").exists()
    assert (tmp_path / "slides" / "slides.tex").exists()
    assert "30 files in" in out  # ten figures, three files each


def test_a_failing_backend_check_makes_the_build_fail(quick_build, tmp_path, capsys, monkeypatch):
    real = selfcheck.check_backend

    def one_bad_row(seed):
        rows = real(seed=seed)
        rows[0] = selfcheck.BackendCheck(rows[0].label, "W_h", 1e-3, 0.0, 0.0)
        return rows

    monkeypatch.setattr(selfcheck, "check_backend", one_bad_row)
    assert main(["build", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "RNN(tanh)" in out and "1.00e-03" in out and "✗" in out
    assert "SOME CHECKS FAILED" in out


def test_a_failing_claim_makes_the_build_fail_and_json_says_so(
    quick_build, tmp_path, capsys, monkeypatch
):
    """Under --json stdout is the report alone, one JSON document (the stages go to
    stderr), and a failing claim makes it fail too."""
    report = gradsym.notes.verify(["cec"], seed=0)  # a Report, to patch its type
    monkeypatch.setattr(type(report), "passed", property(lambda self: False))
    assert main(["build", "--out", str(tmp_path), "--json"]) == 1
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["passed"] is False and report["verify"]["passed"] is False
    assert [c["id"] for c in report["verify"]["claims"]] == ["cec", "clip-norm"]
    assert {r["cell"] for r in report["backend"]} >= {"RNN(tanh)", "GRU(torch)"}
    assert all(r["passed"] for r in report["backend"])
    written = report["written"]
    assert str(tmp_path / "slides" / "slides.tex") in written["slides"]
    assert str(tmp_path / "derivations" / "notes.tex") in written["derivations"]
    assert str(tmp_path / "exercises" / "answers.toml") in written["exercises"]
    del written["figures"]  # the session's, patched in
    assert all(Path(p).is_relative_to(tmp_path / kind) for kind in written for p in written[kind])
    assert "1/4 figures" in err and "4/4 checking the numeric" in err
