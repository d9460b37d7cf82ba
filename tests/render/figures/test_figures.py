"""The figures: every name writes its pdf, png and data; redrawing is byte-identical; the
data says what the claims say (checked against independent computations); writes are
atomic; the committed figures/ hold what the code computes now.

Every figure is built once per session (the ``built_figures`` fixture of conftest.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from repo import REPO
from tolerances import tol

from gradsym.errors import UnknownNameError
from gradsym.notes import IDS
from gradsym.render import figures
from gradsym.render.figures import writer

NAMES = figures.figure_names()
# Figure data computed on another CPU or BLAS agrees with the committed data to round-off.
FIGURE_DATA_RTOL = tol("figure-data")


@pytest.fixture
def built(built_figures) -> tuple[Path, dict[str, dict]]:
    """The session's figures: their folder and their data as read back."""
    return built_figures.folder, built_figures.data


def test_make_figures_reports_progress_in_order(built_figures):
    assert [c[0] for c in built_figures.progress] == list(NAMES)
    assert [c[1:3] for c in built_figures.progress] == [
        (i, len(NAMES)) for i in range(1, len(NAMES) + 1)
    ]


def test_long_figures_report_live_progress_while_they_compute(built_figures):
    """The training runs are counted as they finish (the CLI shows them as a tqdm bar),
    not in one line after the figure is done."""
    assert ("training-curves", 20, "run", 20) in built_figures.live
    assert ("agreement", 8, "run", 8) in built_figures.live
    assert ("gradient-norms", 6, "model", 6) in built_figures.live


def _slope(y) -> float:
    """Least-squares slope of y against its index."""
    y = np.asarray(y, float)
    return float(np.polyfit(np.arange(len(y)), y, 1)[0])


# -- the registry ---------------------------------------------------------------------------


def test_names_are_the_ten_figures_of_the_notes_in_order():
    assert NAMES == (
        "gradient-norms",
        "linear-case",
        "agreement",
        "pascanu-cliff",
        "clipping",
        "orthogonal-init",
        "lstm-cell-path",
        "training-curves",
        "jacobian-heatmaps",
        "success-rate",
    )


def test_every_module_declares_its_name_and_claims_of_the_catalogue():
    for name in NAMES:
        module = figures.figure_module(name)
        assert module.NAME == name
        assert module.CLAIMS
        unknown = [c for c in module.CLAIMS if c not in IDS]
        assert not unknown, f"figure {name} cites claims not in the catalogue: {unknown}"


def test_unknown_name_is_a_clear_error_and_writes_nothing(tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown figure 'gradient-norm'.*'clipping'"):
        figures.make_figures(tmp_path, ["clipping", "gradient-norm"])
    with pytest.raises(KeyError):
        figures.figure_module("nope")
    assert list(tmp_path.iterdir()) == []


# -- the files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_writes_pdf_png_and_its_data(built, name):
    out, data = built
    assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert data[name]["figure"] == name
    assert data[name]["seed"] == 0
    assert "do not edit" in data[name]["_generated"]


def test_metadata_that_changes_between_runs_is_off(built):
    out, _ = built
    pdf = (out / "clipping.pdf").read_bytes()
    png = (out / "clipping.png").read_bytes()
    for key in (b"/CreationDate", b"/Producer", b"/Creator"):
        assert key not in pdf
    assert b"Software" not in png
    assert b"matplotlib" not in png.lower()


def test_no_temporary_files_are_left(built):
    out, _ = built
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.{ext}" for n in NAMES for ext in ("pdf", "png", "json")
    )


@pytest.mark.parametrize("name", NAMES)
def test_redrawing_from_the_data_gives_identical_bytes(built, tmp_path, name):
    """Drawn again from its data file: the same pdf, png and json, byte for byte (the
    data itself is checked against a recomputation in test_committed_figures_are_current
    and below)."""
    out, data = built
    figures.write(name, data[name], tmp_path)
    for ext in ("json", "pdf", "png"):
        assert (tmp_path / f"{name}.{ext}").read_bytes() == (out / f"{name}.{ext}").read_bytes(), (
            ext
        )


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(built):
    strip = writer.to_plain
    a = figures.compute("orthogonal-init", seed=0)
    assert {"_generated": writer.GENERATED, **strip(a)} == built[1]["orthogonal-init"]
    b = figures.compute("orthogonal-init", seed=1)
    assert a["panels"][1]["spectral_radius"] != b["panels"][1]["spectral_radius"]


def test_a_changed_drawing_is_seen(built, tmp_path, monkeypatch):
    """The byte comparison above can fail: a figure drawn differently differs."""
    out, data = built
    module = figures.figure_module("clipping")
    draw = module.draw

    def other(d):
        fig = draw(d)
        fig.axes[0].set_title("changed")
        return fig

    monkeypatch.setattr(module, "draw", other)
    figures.write("clipping", data["clipping"], tmp_path)
    assert (tmp_path / "clipping.png").read_bytes() != (out / "clipping.png").read_bytes()


# -- atomic writes --------------------------------------------------------------------------


def test_an_interrupted_write_leaves_the_previous_files_intact(built, tmp_path, monkeypatch):
    name = "linear-case"
    _, data = built
    figures.write(name, data[name], tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def half_then_fail(self, file, **kwargs):
        file.write(b"%PDF-1.4 half a file")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    changed = dict(data[name], seed=12345)
    with pytest.raises(RuntimeError, match="interrupted"):
        figures.write(name, changed, tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # same files, same bytes, no temporary file left


def test_atomic_write_removes_its_temporary_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")

    def fail(f):
        f.write(b"new, partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        writer.atomic_write(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_plain_data_maps_non_finite_to_null_and_rejects_objects():
    assert writer.to_plain({"a": np.array([1.0, np.inf, np.nan]), "b": np.int64(3)}) == {
        "a": [1.0, None, None],
        "b": 3,
    }
    with pytest.raises(ValueError, match="plain"):
        writer.to_plain({"a": object()})
    assert json.loads(writer.dumps({"x": [[1, 2], [3, 4]], "y": {"z": 0.1}})) == {
        "x": [[1, 2], [3, 4]],
        "y": {"z": 0.1},
    }


# -- the data says what the claims say --------------------------------------------------------


def test_non_normal_transient_peaks_near_38_7_at_lag_9(built):
    nn = built[1]["linear-case"]["non_normal"]
    # Independent: W^ℓ = [[a, b], [0, a]] with a = 0.9^ℓ, b = 10 ℓ 0.9^(ℓ−1), whose largest
    # singular value is (|b| + √(b² + 4a²)) / 2.
    lags = np.asarray(nn["lags"])
    a, b = 0.9**lags, 10.0 * lags * 0.9 ** (lags - 1.0)
    closed = (np.abs(b) + np.sqrt(b * b + 4 * a * a)) / 2
    np.testing.assert_allclose(nn["power_norms"], closed, rtol=1e-12)
    assert nn["peak_lag"] == 9
    assert nn["peak_norm"] == pytest.approx(38.7, abs=0.05)
    assert nn["spectral_radius"] == pytest.approx(0.9, abs=1e-12)


def test_linear_case_norms_follow_the_spectral_radius(built):
    for m in built[1]["linear-case"]["matrices"]:
        lam = np.asarray(m["eig_real"]) + 1j * np.asarray(m["eig_imag"])
        assert np.max(np.abs(lam)) == pytest.approx(m["spectral_radius"], rel=1e-10)
        W = np.asarray(m["W_h"])
        np.testing.assert_allclose(
            m["power_norms"][20], np.linalg.norm(np.linalg.matrix_power(W, 20), 2), rtol=1e-10
        )
        # Gelfand: ‖Wˡ‖^(1/ℓ) → ρ(W)
        assert m["power_norms"][-1] ** (1 / 60) == pytest.approx(m["spectral_radius"], rel=0.1)


def test_rnn_gradient_vanishes_below_one_over_gamma_and_grows_above(built):
    d = built[1]["gradient-norms"]
    assert d["gamma_tanh"] == 1.0  # derived by SymPy, sup |tanh'| = 1
    curves = {c["key"]: c for c in d["curves"]}
    assert curves["rnn_below"]["sigma1"] < 1 / d["gamma_tanh"] < curves["rnn_above"]["sigma1"]
    assert _slope(curves["rnn_below"]["log10_norm_mean"]) < -0.05
    assert _slope(curves["rnn_above"]["log10_norm_mean"]) > 0.01
    for key in ("rnn_at", "lstm", "lstm_bf1", "gru"):
        assert _slope(curves[key]["log10_norm_mean"]) < 0
    # PyTorch's default b_f ≈ 0 gives f ≈ σ(0) = 1/2; b_f = 1 gives f ≈ σ(1) ≈ 0.73, and
    # the gradient then vanishes more slowly.
    assert curves["lstm"]["mean_forget_gate"] == pytest.approx(0.5, abs=0.05)
    assert curves["lstm_bf1"]["mean_forget_gate"] == pytest.approx(1 / (1 + math.exp(-1)), abs=0.05)
    assert _slope(curves["lstm"]["log10_norm_mean"]) < _slope(curves["lstm_bf1"]["log10_norm_mean"])
    # the bound (γσ₁)ˡ holds for every sequence (q90 is below it; 1e-9 for rounding)
    below = curves["rnn_below"]
    assert np.all(np.asarray(below["log10_norm_q90"]) <= np.asarray(below["bound_log10"]) + 1e-9)


def test_forget_bias_3_keeps_the_cell_gradient_longer_than_0(built):
    curves = {c["key"]: c for c in built[1]["lstm-cell-path"]["curves"]}
    full = {k: np.asarray(c["full_log10"]["mean"]) for k, c in curves.items()}
    assert full["b_f=3"][49] > full["b_f=1"][49] > full["b_f=0"][49]
    assert _slope(full["b_f=0"]) < _slope(full["b_f=3"])
    # Direct path: mean f ≈ σ(b_f) with zero-mean inputs, and ∏ diag(f) decays at most as
    # fast as ln(max f) per step; without a forget gate it is the identity (norm 1).
    assert curves["b_f=0"]["mean_forget_gate"] == pytest.approx(0.5, abs=0.05)
    assert curves["b_f=3"]["mean_forget_gate"] == pytest.approx(1 / (1 + math.exp(-3)), abs=0.05)
    assert np.all(np.asarray(curves["no forget gate"]["direct_log10_mean"]) == 0.0)
    assert np.all(np.diff(curves["b_f=0"]["direct_log10_mean"]) < 0)


def test_orthogonal_singular_values_are_all_one(built):
    panels = {p["key"]: p for p in built[1]["orthogonal-init"]["panels"]}
    sv = np.asarray(panels["orthogonal"]["singular_values"])
    np.testing.assert_allclose(sv, 1.0, atol=1e-12)
    g = np.asarray(panels["gaussian"]["singular_values"])
    assert g[-1, 0] / g[-1, -1] > 1e6  # the Gaussian's powers fan out


def test_clipping_by_norm_keeps_the_direction_by_value_bends_it(built):
    d = built[1]["clipping"]
    toy = d["toy"]
    g = np.asarray(toy["gradient"])
    np.testing.assert_allclose(toy["by_norm"], g / np.linalg.norm(g), rtol=1e-15)
    np.testing.assert_allclose(toy["by_value"], [1.0, 1.0])
    assert toy["angle_norm_deg"] == pytest.approx(0.0, abs=1e-6)
    assert toy["angle_value_deg"] == pytest.approx(45.0 - math.degrees(math.atan2(1.5, 4.0)))
    rnn = d["rnn"]
    assert max(rnn["angle_norm_deg"]) < 1e-5
    assert rnn["angle_value_deg"][0] > 10.0
    assert rnn["angle_value_deg"][-1] == pytest.approx(0.0, abs=1e-6)  # threshold = max |gᵢ|


def test_cliff_plain_step_is_thrown_clipped_step_is_bounded(built):
    d = built[1]["pascanu-cliff"]
    lr, thr = d["descent"]["lr"], d["descent"]["threshold"]
    plain = [p for p in d["paths"] if p["clip"] is None]
    clipped = [p for p in d["paths"] if p["clip"] == thr]
    assert all(p["longest_step"] > 1.0 for p in plain)
    assert all(p["longest_step"] <= lr * thr + 1e-12 for p in clipped)
    assert all(c["final_error"] < p["final_error"] for c, p in zip(clipped, plain))
    # The surface jumps across the wall: E is high just below it and low just above.
    from gradsym.render.figures.cliff import error

    w = 5.0
    b_wall = np.interp(w, d["wall"]["w"], d["wall"]["b"])
    assert error(w, b_wall - 0.05) > 0.3
    assert error(w, b_wall + 0.05) < 0.05


def test_lstm_cell_block_is_diag_f_and_gru_block_has_the_retain_term(built):
    d = built[1]["jacobian-heatmaps"]
    n = d["settings"]["hidden_size"]
    J = np.asarray(d["lstm"]["jacobian"])
    np.testing.assert_array_equal(J[n:, n:], np.diag(d["lstm"]["f"]))
    G = np.asarray(d["gru"]["jacobian"])
    assert G.shape == (n, n)
    # diag(1 − u) is part of the diagonal; the rest is the gate and candidate terms.
    assert np.all(np.abs(np.diag(G) - (1 - np.asarray(d["gru"]["u"]))) < 0.5)


def test_training_curves_hold_four_models_five_seeds_and_the_baseline(built_figures):
    d = built_figures.data["training-curves"]
    assert d["steps"] == built_figures.training_steps
    task = d["task"]
    assert task["task"] == "adding_le" and task["task_kwargs"] == {"length": 50}
    assert task["baseline"] == pytest.approx(1 / 6)
    assert [r["cell"] for r in task["runs"]] == ["rnn", "irnn", "lstm", "gru"]
    for run in task["runs"]:
        assert run["seeds"] == [0, 1, 2, 3, 4]
        assert run["steps"] == [100]
        losses = np.asarray(run["eval_loss"])
        assert losses.shape == (5, 1) and np.all(losses >= 0)
        # The line is the median over the seeds, the band their minimum and maximum.
        np.testing.assert_array_equal(run["median"], np.median(losses, axis=0))
        np.testing.assert_array_equal(run["low"], losses.min(axis=0))
        np.testing.assert_array_equal(run["high"], losses.max(axis=0))
        assert run["config"]["task"] == task["task"] and run["config"]["seed"] is None


def test_training_verdicts_need_every_seed_on_one_side():
    from gradsym.render.figures.training_curves import verdict

    assert verdict([0.01, 0.02, 0.09]) == "learns"
    assert verdict([0.9, 1.2, 0.6]) == "fails"
    assert verdict([0.01, 0.02, 0.11]) == "mixed"
    assert verdict([0.9, 1.2, 0.4]) == "mixed"


def test_committed_training_curves_say_the_rnn_fails_and_the_others_learn_in_every_seed():
    """The conclusion of the committed figure, with margins: every seed of the tanh RNN
    ends above half the baseline, every seed of the others below a tenth of it. A run
    changed in its last bit diverges as another seed would, so a verdict that holds in
    every seed with a margin does not flip with round-off."""
    committed = json.loads((COMMITTED / "training-curves.json").read_text())
    verdicts = {r["cell"]: r["verdict"] for r in committed["task"]["runs"]}
    assert verdicts == {"rnn": "fails", "irnn": "learns", "lstm": "learns", "gru": "learns"}
    ratios = {r["cell"]: np.asarray(r["final_ratio"]) for r in committed["task"]["runs"]}
    assert np.all(ratios["rnn"] > 0.8)
    for cell in ("irnn", "lstm", "gru"):
        assert np.all(ratios[cell] < 0.05), cell


def test_success_rate_is_the_example_sweeps_report_with_wilson_bands(built):
    """The ninth figure plots the committed database of the example sweep (no training):
    per configuration and length, k successes of n seeds, the rate k/n inside its Wilson
    interval, recomputed here from the counts."""
    from gradsym.experiments.success_rates import wilson

    d = built[1]["success-rate"]
    assert d["x"] == "length" and d["criterion"] == "eval_loss / baseline < 0.1"
    assert d["panels"] == ["cells", "fixes"]
    assert d["pending"] == 0
    for curve in d["curves"]:
        assert curve["x"] == [10, 20, 50, 100, 200]
        for n, k, rate, low, high in zip(
            curve["n"], curve["successes"], curve["rate"], curve["low"], curve["high"]
        ):
            assert n >= 10 and rate == k / n
            assert (low, high) == pytest.approx(wilson(k, n), rel=1e-12)


# -- the committed figures/ are what the code makes ------------------------------------------

COMMITTED = REPO / "figures"


def assert_data_close(committed, fresh, where: str = "") -> None:
    """Equal structure, equal strings and integers, floats equal to round-off.

    Another CPU or BLAS build changes the last bits of the numbers (not their meaning), so
    the committed data is compared with a relative tolerance, never byte for byte.
    """
    if isinstance(committed, dict):
        assert isinstance(fresh, dict) and committed.keys() == fresh.keys(), where
        for key in committed:
            assert_data_close(committed[key], fresh[key], f"{where}.{key}")
    elif isinstance(committed, list):
        assert isinstance(fresh, list) and len(committed) == len(fresh), where
        for i, (c, f) in enumerate(zip(committed, fresh)):
            assert_data_close(c, f, f"{where}[{i}]")
    elif isinstance(committed, float) or isinstance(fresh, float):
        if committed is None or fresh is None:
            assert committed is fresh, where
        else:
            assert math.isclose(committed, fresh, rel_tol=FIGURE_DATA_RTOL, abs_tol=1e-12), (
                where,
                committed,
                fresh,
            )
    else:
        assert committed == fresh, where


def test_assert_data_close_rejects_what_it_must():
    assert_data_close({"a": [1.0, 2, "x"]}, {"a": [1.0 + 1e-15, 2, "x"]})
    for wrong in ({"a": [1.001, 2, "x"]}, {"a": [1.0, 3, "x"]}, {"a": [1.0, 2]}, {"b": []}):
        with pytest.raises(AssertionError):
            assert_data_close({"a": [1.0, 2, "x"]}, wrong)


@pytest.mark.parametrize("name", NAMES)
def test_committed_figures_are_current(built, name):
    """The repository's figures/ holds every figure, and its data is what the code computes
    now, to round-off (pictures are drawn from that data, byte-reproducibly, above).

    The training curves are checked on their first evaluation: the committed runs are 2000
    steps, the test's are the same seeded runs cut short, so their common evaluations
    agree (the committed conclusion is checked by the test above).
    """
    for ext in ("pdf", "png", "json"):
        assert (COMMITTED / f"{name}.{ext}").exists(), f"figures/{name}.{ext} missing"
    committed = json.loads((COMMITTED / f"{name}.json").read_text())
    fresh = built[1][name]
    if name == "pascanu-cliff":
        assert_cliff_data_close(committed, fresh)
        return
    if name == "agreement":
        assert_agreement_data_close(committed, fresh)
        return
    if name != "training-curves":
        assert_data_close(committed, fresh, name)
        return
    assert committed["steps"] == training_module_steps()
    task_c, task_f = committed["task"], fresh["task"]
    assert task_c["baseline"] == pytest.approx(task_f["baseline"], rel=FIGURE_DATA_RTOL)
    for run_c, run_f in zip(task_c["runs"], task_f["runs"], strict=True):
        assert run_c["seeds"] == run_f["seeds"]
        k = len(run_f["steps"])
        assert run_c["steps"][:k] == run_f["steps"]
        for c, f in zip(run_c["eval_loss"], run_f["eval_loss"], strict=True):
            assert_data_close(c[:k], f, run_c["cell"])
        assert {**run_c["config"], "steps": 0, "checkpoint_every": 0} == {
            **run_f["config"],
            "steps": 0,
            "checkpoint_every": 0,
        }


def assert_cliff_data_close(committed: dict, fresh: dict) -> None:
    """The cliff's descent paths bounce on the wall, where round-off grows: they are equal
    to round-off for their first REPRODUCIBLE_STEPS steps, and after that only what the
    picture concludes is compared (the plain runs stall on the plateau, the clipped runs
    end lower), in the committed data and the recomputed data alike."""
    from gradsym.render.figures.pascanu_cliff import REPRODUCIBLE_STEPS as K

    def early(data: dict) -> dict:
        paths = [
            {
                **{k: v for k, v in p.items() if k != "final_error"},
                **{k: p[k][: K + 1] for k in ("w", "b", "error", "gradient_norm", "clipped")},
            }
            for p in data["paths"]
        ]
        return {**data, "paths": paths}

    assert_data_close(early(committed), early(fresh), "pascanu-cliff")
    for data in (committed, fresh):
        thr = data["descent"]["threshold"]
        plain = [p for p in data["paths"] if p["clip"] is None]
        clipped = [p for p in data["paths"] if p["clip"] == thr]
        assert len(plain) == len(clipped) == 2
        for p, c in zip(plain, clipped, strict=True):
            assert p["start"] == c["start"]
            assert 0.05 < p["final_error"] == pytest.approx(p["error"][-1], rel=1e-6)
            assert c["final_error"] < 0.5 * p["final_error"]


def test_the_cliff_comparison_rejects_a_changed_early_point_and_a_changed_conclusion(built):
    fresh = built[1]["pascanu-cliff"]
    assert_cliff_data_close(fresh, fresh)
    moved = json.loads(json.dumps(fresh))
    moved["paths"][1]["w"][5] *= 1 + 1e-4
    with pytest.raises(AssertionError):
        assert_cliff_data_close(fresh, moved)
    lost = json.loads(json.dumps(fresh))
    lost["paths"][3]["final_error"] = lost["paths"][1]["final_error"]  # clipped = plain
    with pytest.raises(AssertionError):
        assert_cliff_data_close(fresh, lost)
    late = json.loads(json.dumps(fresh))
    late["paths"][2]["w"][-1] *= 1 + 1e-3  # after the reproducible steps: not compared
    assert_cliff_data_close(fresh, late)


def training_module_steps() -> int:
    return figures.figure_module("training-curves").STEPS


# -- the agreement figure -------------------------------------------------------------------


def check_agreement_summaries(data: dict) -> None:
    """Every plotted rate is a count over the test sentences, every line the median and
    every band the range of the seeds' rates, every share near / (near + far)."""
    n = data["sentences"]
    k, d, p = len(data["attractors"]), len(data["distances"]), len(data["order_pairs"])
    assert [c["attractor_rate"] for c in data["conditions"]] == [0.0, 0.01]
    for condition in data["conditions"]:
        assert [r["cell"] for r in condition["runs"]] == ["rnn", "lstm"]
        for run in condition["runs"]:
            seeds = len(run["seeds"])
            for key, width in (
                ("attractor_errors", k),
                ("distance_none_errors", d),
                ("distance_attractor_errors", d),
                ("order_near_errors", p),
                ("order_far_errors", p),
            ):
                counts = np.asarray(run[key])
                assert counts.shape == (seeds, width), key
                assert counts.dtype.kind == "i" and counts.min() >= 0 and counts.max() <= n
            for key, counts in (
                ("attractors", "attractor_errors"),
                ("distance_none", "distance_none_errors"),
                ("distance_attractor", "distance_attractor_errors"),
            ):
                rates = np.asarray(run[counts]) / n
                np.testing.assert_array_equal(run[key]["median"], np.median(rates, axis=0))
                np.testing.assert_array_equal(run[key]["low"], rates.min(axis=0))
                np.testing.assert_array_equal(run[key]["high"], rates.max(axis=0))
            for shares, near, far in zip(
                run["nearest_share"], run["order_near_errors"], run["order_far_errors"]
            ):
                for share, a, b in zip(shares, near, far, strict=True):
                    assert share == (None if a + b == 0 else a / (a + b))
            assert run["config"]["task"] == "agreement" and run["config"]["seed"] is None
            assert run["config"]["task_kwargs"]["attractor_rate"] == condition["attractor_rate"]


def test_agreement_data_are_counts_and_their_summaries(built):
    data = built[1]["agreement"]
    check_agreement_summaries(data)
    assert data["steps"] == 100 and data["sentences"] == 20
    assert data["attractors"] == [0, 1, 2, 3, 4] and data["order_pairs"][0] == ["SA", "AS"]
    for run in data["conditions"][0]["runs"]:
        assert run["seeds"] == [0, 1] and run["eval_steps"] == [100]


def test_committed_agreement_data_are_the_full_runs_summarised():
    """The committed figure holds the build's runs (five seeds of 1500 steps, 1000 test
    sentences per point), and what it plots is computed from its counts."""
    committed = json.loads((COMMITTED / "agreement.json").read_text())
    module = figures.figure_module("agreement")
    assert (committed["steps"], committed["sentences"]) == (module.STEPS, module.SENTENCES)
    assert (module.STEPS, module.SEEDS, module.SENTENCES) == (1500, 5, 1000)
    check_agreement_summaries(committed)
    for condition in committed["conditions"]:
        for run in condition["runs"]:
            assert run["seeds"] == [0, 1, 2, 3, 4]
            assert run["eval_steps"] == list(range(100, 1501, 100))


def test_the_agreement_summaries_check_sees_a_wrong_line():
    committed = json.loads((COMMITTED / "agreement.json").read_text())
    wrong = json.loads(json.dumps(committed))
    wrong["conditions"][0]["runs"][0]["attractors"]["median"][1] += 0.001
    with pytest.raises(AssertionError):
        check_agreement_summaries(wrong)
    wrong = json.loads(json.dumps(committed))
    wrong["conditions"][0]["runs"][1]["nearest_share"][0][0] = 0.5
    with pytest.raises(AssertionError):
        check_agreement_summaries(wrong)


def assert_agreement_data_close(committed: dict, fresh: dict) -> None:
    """The committed runs are the fresh runs continued: the same settings (but the
    length), the same seeds, and the same evaluation loss, to round-off, wherever both
    evaluated. A run is chaotic, so its end is compared through its conclusions: the
    claim agreement-recency checks them on the committed counts."""
    for key in ("figure", "claims", "seed", "task", "attractors", "distances", "band"):
        assert committed[key] == fresh[key], key
    assert committed["order_pairs"] == fresh["order_pairs"]
    assert committed["steps"] >= fresh["steps"]
    for cond_c, cond_f in zip(committed["conditions"], fresh["conditions"], strict=True):
        assert cond_c["attractor_rate"] == cond_f["attractor_rate"]
        for run_c, run_f in zip(cond_c["runs"], cond_f["runs"], strict=True):
            assert run_c["cell"] == run_f["cell"]
            seeds, evals = len(run_f["seeds"]), len(run_f["eval_steps"])
            assert run_c["seeds"][:seeds] == run_f["seeds"]
            assert run_c["eval_steps"][:evals] == run_f["eval_steps"]
            for c, f in zip(run_c["eval_loss"][:seeds], run_f["eval_loss"], strict=True):
                assert_data_close(c[:evals], f, run_c["cell"])
            length = {"steps": 0, "checkpoint_every": 0}
            assert {**run_c["config"], **length} == {**run_f["config"], **length}


def test_the_agreement_comparison_rejects_other_runs_and_ignores_their_ends(built):
    fresh = built[1]["agreement"]
    committed = json.loads((COMMITTED / "agreement.json").read_text())
    assert_agreement_data_close(committed, fresh)
    moved = json.loads(json.dumps(committed))
    moved["conditions"][1]["runs"][0]["eval_loss"][1][0] *= 1 + 1e-4
    with pytest.raises(AssertionError):
        assert_agreement_data_close(moved, fresh)
    other = json.loads(json.dumps(committed))
    other["conditions"][0]["runs"][1]["config"]["hidden"] = 32
    with pytest.raises(AssertionError):
        assert_agreement_data_close(other, fresh)
    late = json.loads(json.dumps(committed))
    late["conditions"][0]["runs"][0]["eval_loss"][0][-1] *= 2  # after the fresh runs end
    assert_agreement_data_close(late, fresh)
