"""The database and the success-rate report, on results written by hand (no Dask): Wilson
intervals against their closed form and known values, success at the final evaluation,
steps to success, tables, and a store that refuses what is not its own."""

from __future__ import annotations

import math
import sqlite3

import pytest

from gradsym.errors import InvalidValueError
from gradsym.experiments.spec import load_spec
from gradsym.experiments.store import SweepStore
from gradsym.experiments.success_rates import report, wilson


def test_wilson_interval_known_values():
    # k = 0: the upper end is z²/(n + z²); k = n/2 is symmetric about 1/2
    z = 1.959963984540054
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(z * z / (10 + z * z), rel=1e-12)
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2365931, abs=1e-7) and low + high == pytest.approx(1.0)
    low, high = wilson(10, 10)
    assert high == 1.0 and low == pytest.approx(10 / (10 + z * z), rel=1e-12)
    assert wilson(0, 0) is None
    # wider than nothing and inside [0, 1] everywhere
    for n in (1, 3, 10):
        for k in range(n + 1):
            lo, hi = wilson(k, n)
            assert 0.0 <= lo <= k / n <= hi <= 1.0 and hi - lo > 0


def _result(eval_loss, evals, status="done"):
    history = [{"step": s, "loss": 0.1, "eval_loss": e, "eval_accuracy": None} for s, e in evals]
    return {
        "status": status,
        "step": 6,
        "train_loss": 0.1,
        "eval_loss": eval_loss,
        "eval_accuracy": None,
        "baseline": 1 / 6,
        "recoveries": 0,
        "params_sha256": "x",
        "error": None if status == "done" else "NonFiniteError: diverged",
        "seconds": 0.1,
        "host": "h",
        "worker": "h:1",
        "finished_at": "now",
        "history": history,
    }


def test_report_counts_success_at_the_final_evaluation_and_the_first_step(tiny, tmp_path):
    spec = load_spec(tiny)  # success: eval_loss / baseline < 0.9, i.e. eval_loss < 0.15
    store, resumed = SweepStore.open_for(tmp_path, spec)
    assert not resumed
    runs = spec.runs
    with store:
        # tanh RNN, T = 3: one success (first met at step 3), one failure
        store.record(runs[0].key, _result(0.1, [(3, 0.12), (6, 0.1)]))
        store.record(runs[1].key, _result(0.2, [(3, 0.1), (6, 0.2)]))  # met, then lost
        # tanh RNN, T = 5: one diverged, one pending
        store.record(runs[2].key, _result(None, [], status="failed"))
        # GRU, T = 3: two successes, at step 6 and step 3
        store.record(runs[4].key, _result(0.01, [(3, 0.5), (6, 0.01)]))
        store.record(runs[5].key, _result(0.01, [(3, 0.02), (6, 0.01)]))
        assert store.counts() == {"pending": 3, "done": 4, "failed": 1}
    rep = report(tmp_path)
    cells = {(c.label, c.x): c for c in rep.cells}
    a = cells[("tanh RNN", 3)]
    assert (a.n, a.k, a.rate, a.median_steps, a.failed) == (2, 1, 0.5, 3.0, 0)
    assert (a.low, a.high) == wilson(1, 2)
    b = cells[("tanh RNN", 5)]
    assert (b.n, b.k, b.failed, b.pending) == (1, 0, 1, 1)
    assert b.median_steps is None
    g = cells[("GRU", 3)]
    assert (g.n, g.k, g.median_steps) == (2, 2, 4.5)
    empty = cells[("GRU", 5)]
    assert (empty.n, empty.rate, empty.low) == (0, None, None)
    assert rep.pending == 3
    md = rep.markdown()
    assert "| tanh RNN | 3 | 1 / 2 | 0.50 |" in md and "(1 diverged)" in md
    assert "3 run(s) still pending" in md and "eval_loss / baseline < 0.9" in md
    wide = rep.wide_markdown().splitlines()
    assert wide[0] == "| configuration | length = 3 | length = 5 |"
    assert wide[2:] == ["| tanh RNN | 1/2 | 0/1 |", "| GRU | 2/2 | – |"]
    csv_lines = rep.csv().splitlines()
    assert csv_lines[0].startswith("configuration,panel,length,runs,successes")
    assert len(csv_lines) == 5
    data = rep.figure_data()
    assert data["panels"] == ["a"] and [c["label"] for c in data["curves"]] == ["tanh RNN", "GRU"]
    assert data["curves"][1]["rate"] == [1.0, None]
    # another criterion, same database
    strict = report(tmp_path, success="eval_loss < 0.005")
    assert all(c.k == 0 for c in strict.cells)


def test_a_finished_row_is_never_written_again(tiny, tmp_path):
    spec = load_spec(tiny)
    store, _ = SweepStore.open_for(tmp_path, spec)
    with store:
        assert store.record(spec.runs[0].key, _result(0.1, [(6, 0.1)]))
        assert not store.record(spec.runs[0].key, _result(0.9, [(6, 0.9)]))
        assert not store.record("not-a-run", _result(0.9, [(6, 0.9)]))
        assert store.rows("done")[0].eval_loss == 0.1
        assert len(store.metrics(spec.runs[0].key)) == 1


def test_a_failing_write_leaves_nothing_behind(tiny, tmp_path):
    spec = load_spec(tiny)
    store, _ = SweepStore.open_for(tmp_path, spec)
    bad = _result(0.1, [(6, 0.1)])
    bad["history"].append({"step": 7, "value": object()})  # not JSON: fails mid-transaction
    with store:
        with pytest.raises(TypeError):
            store.record(spec.runs[0].key, bad)
        assert store.counts()["done"] == 0
        assert store.metrics(spec.runs[0].key) == []


def test_the_store_refuses_what_is_not_its_own(tiny, tmp_path):
    with pytest.raises(InvalidValueError, match="no sweep database"):
        SweepStore.open(tmp_path)
    (tmp_path / "sweep.db").write_bytes(b"not a database at all, just bytes" * 10)
    with pytest.raises(InvalidValueError, match="not a gradsym sweep database"):
        SweepStore.open(tmp_path)
    with pytest.raises(InvalidValueError, match="not a gradsym sweep database"):
        SweepStore.open_for(tmp_path, load_spec(tiny))
    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / "sweep.db") as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    with pytest.raises(InvalidValueError, match="format gradsym-sweep-1"):
        SweepStore.open(other)


def test_committed_example_database_is_complete_and_what_the_figure_plots():
    """The example's committed database: every run of its spec finished, ten seeds per
    point, and the figure's caption states its settings."""
    from gradsym.render.figures import success_rate

    spec = load_spec(success_rate.SPEC)
    with SweepStore.open(success_rate.RESULTS) as store:
        assert store.meta("spec_digest") == spec.digest
        assert store.counts()["pending"] == 0
    rep = report(success_rate.RESULTS)
    assert {c.n for c in rep.cells} == {len(spec.seeds)}
    caption = success_rate.__doc__.splitlines()[0]
    base = spec.base
    assert f"{len(spec.seeds)} seeded runs" in caption
    assert f"{base['steps']} steps" in caption and f"{base['hidden']} units" in caption
    assert (
        "a tenth of the trivial 1/6" in caption
        and spec.success.text == "eval_loss / baseline < 0.1"
    )
    assert all(c.rate is not None and 0 <= c.low <= c.rate <= c.high <= 1 for c in rep.cells)
    assert math.isclose(rep.figure_data()["curves"][0]["n"][0], len(spec.seeds))


def test_a_database_of_the_same_spec_from_another_gradsym_is_refused_on_resume(tiny, tmp_path):
    """Same spec, but the runs' configs differ (as when TrainConfig gains a field): the
    report still reads it, resuming into it is refused naming the field."""
    spec = load_spec(tiny)
    store, _ = SweepStore.open_for(tmp_path, spec)
    with store:
        store.conn.execute(
            "UPDATE runs SET config = json_set(config, '$.new_field', 1) WHERE rowid = 2"
        )
    with pytest.raises(InvalidValueError, match=r"another version of gradsym.*new_field"):
        SweepStore.open_for(tmp_path, spec)
    assert report(tmp_path).pending == 8
    store, resumed = SweepStore.open_for(tmp_path, spec, overwrite=True)
    store.close()
    assert not resumed
