"""The figures: every name writes its pdf, png and data; reruns are byte-identical; the data
says what the claims say (checked against independent computations); writes are atomic."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from repo import REPO

from gradsym.errors import UnknownNameError
from gradsym.render import figures
from gradsym.render.figures import writer

NAMES = figures.figure_names()
TRAINING_TEST_STEPS = 50
# Figure data computed on another CPU or BLAS agrees with the committed data to round-off.
FIGURE_DATA_RTOL = 1e-6


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """Every figure computed once (seed 0) and written once; the data as read back."""
    out = tmp_path_factory.mktemp("figures")
    calls = []
    training = figures.figure_module("training-curves")
    with pytest.MonkeyPatch.context() as mp:
        # The real run (500 steps per model) takes about a minute; the test checks the
        # pipeline and the data's shape on short runs, the same code otherwise.
        mp.setattr(training, "STEPS", TRAINING_TEST_STEPS)
        figures.make_figures(out, progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == list(NAMES)
    data = {n: json.loads((out / f"{n}.json").read_text()) for n in NAMES}
    return out, data


def _slope(y) -> float:
    """Least-squares slope of y against its index."""
    y = np.asarray(y, float)
    return float(np.polyfit(np.arange(len(y)), y, 1)[0])


# -- the registry ---------------------------------------------------------------------------


def test_names_are_the_eight_figures_of_the_notes_in_order():
    assert NAMES == (
        "gradient-norms",
        "linear-case",
        "pascanu-cliff",
        "clipping",
        "orthogonal-init",
        "lstm-cell-path",
        "training-curves",
        "jacobian-heatmaps",
    )


def test_every_module_declares_its_name_and_claims():
    claims_md = Path(__file__).parents[2] / "CLAIMS.md"
    known = claims_md.read_text() if claims_md.exists() else None
    for name in NAMES:
        module = figures.figure_module(name)
        assert module.NAME == name
        assert module.CLAIMS
        if known is not None:
            for claim in module.CLAIMS:
                assert f"**{claim}**" in known, (name, claim)


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
def test_regenerating_gives_identical_bytes(built, tmp_path, name):
    """Recomputed from the seed and written again: the same pdf, png and json."""
    out, _ = built
    if name == "training-curves":
        # Its run is the slowest; its data is recomputed elsewhere (test below), here the
        # drawing from the same data is checked.
        figures.write(name, json.loads((out / f"{name}.json").read_text()), tmp_path)
    else:
        figures.make_figures(tmp_path, [name])
    for ext in ("json", "pdf", "png"):
        assert (tmp_path / f"{name}.{ext}").read_bytes() == (out / f"{name}.{ext}").read_bytes(), (
            ext
        )


def test_another_seed_gives_other_data(tmp_path):
    a = figures.compute("orthogonal-init", seed=0)
    b = figures.compute("orthogonal-init", seed=1)
    assert a["panels"][1]["spectral_radius"] != b["panels"][1]["spectral_radius"]


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
    for key in ("rnn_at", "lstm", "gru"):
        assert _slope(curves[key]["log10_norm_mean"]) < 0
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


def test_training_curves_hold_four_models_two_tasks_and_the_baselines(built):
    d = built[1]["training-curves"]
    assert d["steps"] == TRAINING_TEST_STEPS
    tasks = {t["task"]: t for t in d["tasks"]}
    assert tasks["adding_le"]["baseline"] == pytest.approx(1 / 6)
    copy = tasks["copy"]["task_kwargs"]
    length = copy["delay"] + 2 * copy["n_copy"]
    assert tasks["copy"]["baseline"] == pytest.approx(copy["n_copy"] * math.log(8) / length)
    for task in tasks.values():
        assert [r["cell"] for r in task["runs"]] == ["rnn", "irnn", "lstm", "gru"]
        for run in task["runs"]:
            assert run["steps"] == [25, 50]
            assert all(v is not None and v >= 0 for v in run["eval_loss"])
            assert run["config"]["task"] == task["task"]


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

    The training curves are checked on their first steps: the committed run is 500 steps,
    the test's run is the same seeded run cut short, so their common evaluations agree.
    """
    for ext in ("pdf", "png", "json"):
        assert (COMMITTED / f"{name}.{ext}").exists(), f"figures/{name}.{ext} missing"
    committed = json.loads((COMMITTED / f"{name}.json").read_text())
    fresh = built[1][name]
    if name != "training-curves":
        assert_data_close(committed, fresh, name)
        return
    assert committed["steps"] == training_module_steps()
    for task_c, task_f in zip(committed["tasks"], fresh["tasks"], strict=True):
        assert task_c["baseline"] == pytest.approx(task_f["baseline"], rel=FIGURE_DATA_RTOL)
        for run_c, run_f in zip(task_c["runs"], task_f["runs"], strict=True):
            k = len(run_f["eval_loss"])
            assert_data_close(run_c["eval_loss"][:k], run_f["eval_loss"], run_c["cell"])
            assert {**run_c["config"], "steps": 0, "checkpoint_every": 0} == {
                **run_f["config"],
                "steps": 0,
                "checkpoint_every": 0,
            }


def training_module_steps() -> int:
    return figures.figure_module("training-curves").STEPS
