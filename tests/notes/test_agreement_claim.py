"""agreement-recency: its steps are checked on the committed figure's counts, exactly and
in floating point; shown a wrong outcome (the LSTM erring more, the RNN's errors ignoring
the nearest noun, a seed without errors, data for fewer seeds) each step fails, and a
tree without the figure's data skips the checks and says so."""

from __future__ import annotations

import copy
import json

import pytest
import sympy as sp
from repo import REPO

from gradsym.notes import get, verify
from gradsym.notes.catalogue import agreement
from gradsym.notes.evaluate import seq_key
from gradsym.notes.verify import verify_claim

COMMITTED = json.loads((REPO / "figures" / "agreement.json").read_text())


def runs(data: dict, rate: float) -> dict[str, dict]:
    (condition,) = [c for c in data["conditions"] if c["attractor_rate"] == rate]
    return {run["cell"]: run for run in condition["runs"]}


def row_for(data: dict):
    return verify_claim(agreement.agreement_claim(lambda: data))


def test_the_claim_reads_the_committed_figure_of_this_tree():
    assert agreement.FIGURE_DATA == REPO / "figures" / "agreement.json"
    assert agreement.load_committed() == COMMITTED


def test_it_verifies_on_the_committed_counts_both_ways():
    row = verify(["agreement-recency"]).rows[0]
    assert row.passed and row.symbolic is True and row.numeric is True
    assert row.skipped == [] and row.max_error == 0.0
    assert [k for k, _ in row.results] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_the_exact_values_are_the_counts_as_fractions():
    values = agreement.measured(COMMITTED, exact=True)
    rnn, lstm = runs(COMMITTED, 0.0)["rnn"], runs(COMMITTED, 0.0)["lstm"]
    n = COMMITTED["sentences"]
    for k in range(5):
        assert values[seq_key("err_rnn", k)] == sp.Rational(rnn["attractor_errors"][k][1], n)
        near, far = lstm["order_near_errors"][k][0], lstm["order_far_errors"][k][0]
        assert values[seq_key("near_lstm", k)] == sp.Rational(near, near + far)
    floats = agreement.measured(COMMITTED, exact=False)
    assert floats[seq_key("err_rnn", 0)] == rnn["attractor_errors"][0][1] / n


def test_the_statement_is_what_the_committed_data_show():
    """The margins behind each step, read independently of the claim's code."""
    plain, some = runs(COMMITTED, 0.0), runs(COMMITTED, 0.01)
    one = {cell: [c[1] for c in plain[cell]["attractor_errors"]] for cell in plain}
    assert max(one["lstm"]) < min(one["rnn"])
    share = {
        cell: [n[0] / (n[0] + f[0]) for n, f in zip(r["order_near_errors"], r["order_far_errors"])]
        for cell, r in plain.items()
    }
    assert min(share["rnn"]) > 0.5 and max(share["lstm"]) < min(share["rnn"])
    assert max(c[1] for c in some["rnn"]["attractor_errors"]) < 0.2 * COMMITTED["sentences"]


def failing_step(data: dict) -> int:
    row = row_for(data)
    assert not row.passed and row.symbolic is False and row.numeric is False
    return row.failure.index


def test_an_lstm_that_errs_more_fails_the_first_step():
    wrong = copy.deepcopy(COMMITTED)
    runs(wrong, 0.0)["lstm"]["attractor_errors"][2][1] = 999
    assert failing_step(wrong) == 0


def test_rnn_errors_that_ignore_the_nearest_noun_fail_the_second_step():
    wrong = copy.deepcopy(COMMITTED)
    rnn = runs(wrong, 0.0)["rnn"]
    rnn["order_near_errors"][3][0], rnn["order_far_errors"][3][0] = 100, 100  # a half
    assert failing_step(wrong) == 1


def test_an_lstm_as_recency_bound_as_the_rnn_fails_the_third_step():
    wrong = copy.deepcopy(COMMITTED)
    lstm = runs(wrong, 0.0)["lstm"]
    lstm["order_near_errors"][0][0], lstm["order_far_errors"][0][0] = 99, 0
    assert failing_step(wrong) == 2


def test_an_rnn_that_keeps_its_errors_with_some_attractors_fails_the_last_step():
    wrong = copy.deepcopy(COMMITTED)
    runs(wrong, 0.01)["rnn"]["attractor_errors"][4][1] = 200  # one in five: not below
    assert failing_step(wrong) == 3


def test_a_seed_without_errors_has_no_share_and_the_step_cannot_pass():
    wrong = copy.deepcopy(COMMITTED)
    rnn = runs(wrong, 0.0)["rnn"]
    rnn["order_near_errors"][1][0] = rnn["order_far_errors"][1][0] = 0
    row = row_for(wrong)
    assert not row.passed and row.failure.index == 1
    assert "near_rnn(1)" in row.failure.detail


def test_data_for_fewer_seeds_than_the_steps_print_cannot_pass():
    short = copy.deepcopy(COMMITTED)
    for condition in short["conditions"]:
        for run in condition["runs"]:
            for key in ("seeds", "attractor_errors", "order_near_errors", "order_far_errors"):
                run[key] = run[key][:3]
    row = row_for(short)
    assert not row.passed and row.failure.index == 0


def test_without_the_figure_data_the_checks_are_skipped_and_say_why(tmp_path, monkeypatch):
    monkeypatch.setattr(agreement, "FIGURE_DATA", tmp_path / "agreement.json")
    row = verify_claim(get("agreement-recency"))
    assert row.passed and row.symbolic is None and row.numeric is None
    assert len(row.skipped) == 8
    assert all("agreement.json is not in this tree" in note for note in row.skipped)


def test_what_is_printed_is_the_minimum_and_maximum_over_the_five_seeds():
    steps = get("agreement-recency").steps
    assert (
        steps[1]
        .latex()
        .startswith(
            r"\min_{0 \leq \nu \leq 4} \operatorname{near}^{\text{RNN}}_{\nu}"
            r" &> \frac{1}{2}"
        )
    )
    assert steps[0].relation == "<" and steps[3].rhs == sp.Rational(1, 5)


@pytest.mark.parametrize("field", ["statement", "caveat"])
def test_the_student_text_says_nothing_about_software(field):
    text = getattr(get("agreement-recency"), field).lower()
    for word in ("gradsym", "json", "figure data", "committed", "library", "python", "numpy"):
        assert word not in text, word
