"""Where the notes are loose, the precise version is proved."""

from __future__ import annotations

import numpy as np

from gradsym.proofs import get
from gradsym.proofs.catalogue.rnn import NONNORMAL, nonnormal_exact, nonnormal_peak


def test_nonnormal_transient_peaks_at_9():
    lag, peak, rho = nonnormal_peak()
    assert rho == 0.9
    assert lag == 9
    assert abs(peak - 38.7) < 0.1
    exact_lag, exact = nonnormal_exact()
    assert exact_lag == 9 and abs(float(exact) - peak) < 1e-12
    # and it does decay eventually
    assert np.linalg.norm(np.linalg.matrix_power(np.array(NONNORMAL), 600), 2) < 1e-20


def test_the_caveats_are_stated_and_their_steps_checked(full_report):
    rows = {r.id: r for r in full_report.rows}
    for cid in (
        "eigen-vanish",
        "nonlinear-bound",
        "chain-rule",
        "gru-update-bias",
        "lstm-cell-path",
        "gates-range",
        "rnn-count",
    ):
        claim = get(cid)
        assert claim.caveat, cid
        assert rows[cid].passed, cid
    assert "38.75" in get("eigen-vanish").caveat
    assert "left" in get("eigen-vanish").caveat


def test_counterexample_steps_record_their_witness(full_report):
    row = next(r for r in full_report.rows if r.id == "clip-value")
    witnesses = [
        r.counterexample for _, r in row.results if r.detail.startswith("random gradients")
    ]
    assert witnesses and witnesses[0]["cosine"] < 1
