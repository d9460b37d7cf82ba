"""Sweep specs and success criteria: what they accept, what they compute, and a one-line
error naming the problem for everything else."""

from __future__ import annotations

import pytest

from gradsym.errors import InvalidValueError
from gradsym.experiments.criterion import Criterion, metrics_of
from gradsym.experiments.spec import load_spec, run_key
from gradsym.numeric.train.config import TrainConfig

# -- criteria -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, values, expected",
    [
        ("eval_loss / baseline < 0.1", {"eval_loss": 0.01, "baseline": 0.2}, True),
        ("eval_loss / baseline < 0.1", {"eval_loss": 0.03, "baseline": 0.2}, False),
        ("eval_error < 0.01", {"eval_error": 0.005}, True),
        ("eval_error < 0.01", {"eval_error": 0.01}, False),
        ("0.9 <= eval_accuracy <= 1", {"eval_accuracy": 0.95}, True),
        ("eval_loss < 0.1 and not train_loss > 1", {"eval_loss": 0.05, "train_loss": 2.0}, False),
        ("eval_loss < 0.1 or eval_accuracy > 0.5", {"eval_loss": 0.5, "eval_accuracy": 0.6}, True),
        ("-eval_loss > -0.1", {"eval_loss": 0.05}, True),
    ],
)
def test_criteria_evaluate_like_python(text, values, expected):
    c = Criterion.parse(text)
    full = {
        "eval_loss": None,
        "eval_accuracy": None,
        "eval_error": None,
        "train_loss": None,
        "baseline": None,
        **values,
    }
    assert c.holds(full) is expected


def test_a_missing_metric_makes_the_criterion_undecided_and_not_met():
    c = Criterion.parse("eval_error < 0.01")
    values = metrics_of({"eval_loss": 0.1, "eval_accuracy": None}, 0.2)
    assert c.value(values) is None and not c.holds(values)
    assert (
        Criterion.parse("eval_loss / baseline < 1").value(metrics_of({"eval_loss": 1.0}, 0.0))
        is None
    )
    assert metrics_of({"eval_accuracy": 0.25}, 1.0)["eval_error"] == 0.75


@pytest.mark.parametrize(
    "text, message",
    [
        ("baseline < 0.1", "names no metric"),
        ("1 < 2", "names no metric"),
        ("eval_los < 0.1", "'eval_los', which is not a metric"),
        ("eval_loss < ", "not an expression"),
        ("__import__('os').system('x')", "Call"),
        ("eval_loss < 'x'", "only numbers"),
        ("eval_loss / baseline", "not a condition"),
        ("", "must be an expression"),
        (0.1, "must be an expression"),
        ("eval_loss < True", "only numbers"),
    ],
)
def test_bad_criteria_are_one_line_errors(text, message):
    with pytest.raises(InvalidValueError, match=message) as info:
        Criterion.parse(text)
    assert "\n" not in str(info.value)


# -- specs --------------------------------------------------------------------------------------


def test_runs_are_configurations_times_grid_times_seeds(tiny):
    spec = load_spec(tiny)
    assert len(spec.runs) == 2 * 2 * 2
    assert spec.labels == ("tanh RNN", "GRU")
    first = spec.runs[0]
    assert (first.label, first.panel, first.x, first.seed) == ("tanh RNN", "a", 3, 0)
    config = TrainConfig.from_dict(first.config)
    assert config.cell == "rnn" and config.task_kwargs == {"length": 3} and config.hidden == 4
    assert first.key == run_key(config)
    assert [r.seed for r in spec.runs[:2]] == [0, 1]


def test_the_toml_file_and_the_dict_are_the_same_spec(tiny, tiny_toml):
    assert load_spec(tiny_toml).digest == load_spec(tiny).digest
    assert load_spec(dict(tiny, seeds=3)).digest != load_spec(tiny).digest


def test_grid_keys_other_than_x_name_the_configuration(tiny):
    tiny["grid"]["clip"] = [1.0, "none"]
    tiny["seeds"] = [4]
    spec = load_spec(tiny)
    labels = {r.label for r in spec.runs}
    assert labels == {
        "tanh RNN, clip=1.0",
        "tanh RNN, clip=none",
        "GRU, clip=1.0",
        "GRU, clip=none",
    }
    assert {r.config["clip"] for r in spec.runs} == {1.0, None}
    assert {r.seed for r in spec.runs} == {4}


def test_without_configurations_there_is_one_labelled_by_the_task(tiny):
    del tiny["configurations"]
    spec = load_spec(tiny)
    assert spec.labels == ("adding_le",) and len(spec.runs) == 4


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s["grid"].update(lenght=[1]), "unknown field 'lenght'"),
        (lambda s: s["base"].update(colour="red"), r"\[base\]: unknown field 'colour'"),
        (lambda s: s["grid"].update(length=[]), "empty list"),
        (lambda s: s["grid"].update(length=5), "must be a list"),
        (lambda s: s.update(success="baseline < 1"), "names no metric"),
        (lambda s: s.pop("success"), "no success criterion"),
        (lambda s: s.update(seeds=0), "seeds"),
        (lambda s: s.update(seeds=[]), "empty list"),
        (lambda s: s.update(seeds=[1, 1]), "repeat"),
        (lambda s: s["grid"].update(seed=[1]), "seed is set by the spec's seeds"),
        (lambda s: s.update(colour=1), "unknown key"),
        (lambda s: s["base"].update(hidden=0), r"run 'tanh RNN' seed 0: hidden must be a positive"),
        (lambda s: s["configurations"].append({"label": "GRU", "cell": "gru"}), "labels repeat"),
        (lambda s: s["configurations"].append({"cell": "gru"}), "needs a label"),
        (lambda s: s["configurations"].append({"label": "g2", "cell": "gru"}), "same run"),
        (lambda s: s.update(success="eval_error < 0.01"), "reads the accuracy"),
        (lambda s: s.update(x="colour"), "x"),
        (lambda s: s.update(configurations=[]), "non-empty"),
    ],
)
def test_bad_specs_are_one_line_errors(tiny, change, message):
    change(tiny)
    with pytest.raises(InvalidValueError, match=message) as info:
        load_spec(tiny)
    assert "\n" not in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(InvalidValueError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(InvalidValueError, match="not valid TOML"):
        load_spec(bad)


def test_pascanus_criterion_on_a_classification_task(tiny):
    tiny["base"]["task"] = "temporal_order"
    tiny["grid"] = {"length": [10]}
    tiny["success"] = "eval_error < 0.01"
    assert len(load_spec(tiny).runs) == 4


def test_the_example_spec_is_the_classic_picture():
    from gradsym.render.figures.success_rate import SPEC

    spec = load_spec(SPEC)
    assert len(spec.seeds) >= 10
    assert sorted({r.x for r in spec.runs}) == [10, 20, 50, 100, 200]
    assert spec.labels == (
        "tanh RNN, Gaussian init",
        "tanh RNN, orthogonal init",
        "LSTM, forget bias 0",
        "LSTM, forget bias 1",
        "GRU",
        "SGD",
        "SGD + clipping",
        "SGD + clipping + Omega",
    )
    fixes = {r.label: r.config for r in spec.runs if r.panel == "fixes"}
    assert fixes["SGD"]["clip"] is None and fixes["SGD"]["optimiser"] == "sgd"
    assert fixes["SGD + clipping"]["clip"] == 1.0 and fixes["SGD + clipping"]["omega"] == 0.0
    assert fixes["SGD + clipping + Omega"]["omega"] > 0
    assert all(c["init"] == "sparse" for c in fixes.values())


def test_a_spec_sweeps_the_dtype_like_any_field(tiny):
    """float32 runs in a sweep: ``dtype`` in base, a configuration or the grid; each run's
    config (and so its key) carries it, and a bad one names the run."""
    tiny["grid"]["dtype"] = ["float64", "float32"]
    spec = load_spec(tiny)
    dtypes = {r.config["dtype"] for r in spec.runs}
    assert dtypes == {"float64", "float32"} and len({r.key for r in spec.runs}) == len(spec.runs)
    assert TrainConfig.from_dict(spec.runs[-1].config).np_dtype.name in dtypes
    tiny["grid"]["dtype"] = ["float16"]
    with pytest.raises(InvalidValueError, match=r"run .* seed 0: unknown dtype 'float16'"):
        load_spec(tiny)


def test_a_field_added_later_keeps_the_keys_of_the_runs_recorded_before_it(tiny):
    """A float64 run is the run recorded before runs had a dtype (they all computed in
    float64): the same key. A float32 run is another run."""
    for run in load_spec(tiny).runs:
        before = {k: v for k, v in run.config.items() if k != "dtype"}
        assert run.config["dtype"] == "float64" and run_key(before) == run.key
        assert run_key({**run.config, "dtype": "float32"}) != run.key


def test_the_committed_example_database_resumes_with_nothing_to_run(tmp_path):
    """Its runs were recorded before runs had a dtype: the example spec still finds every
    one of them finished (none is run again, none refused as another version's)."""
    import shutil

    from gradsym.experiments.store import SweepStore
    from gradsym.render.figures.success_rate import SPEC

    committed = SPEC.parent / "classic" / "sweep.db"
    if not committed.is_file():
        pytest.skip("the example's results are not installed (a wheel without them)")
    shutil.copy(committed, tmp_path / "sweep.db")
    spec = load_spec(SPEC)
    with SweepStore.open(tmp_path) as store:
        assert all("dtype" not in row.config for row in store.rows())
    store, resumed = SweepStore.open_for(tmp_path, spec)  # the same spec, the same runs
    with store:
        done = {row.key for row in store.rows() if row.status == "done"}
    assert resumed and {run.key for run in spec.runs} == done


# -- cells declared by their equations --------------------------------------------------------

LIGRU = "u = sigma(W_u @ h_prev + U_u @ x + b_u)\nh = u * h_prev + (1 - u) * relu(W_h @ h_prev + U_h @ x)"


def _with_cell(tiny, cell: dict) -> dict:
    tiny["cells"] = [cell]
    tiny["configurations"] = [{"label": "Li-GRU", "cell": cell.get("name", "ligru_spec")}]
    return tiny


def test_a_cell_declared_in_the_spec_inline_or_in_a_file(tiny, tmp_path):
    inline = load_spec(_with_cell(tiny, {"name": "ligru_spec", "equations": LIGRU}))
    run = inline.runs[0]
    assert run.config["cell"] == "ligru_spec" and run.cell["equations"] == LIGRU
    assert inline.canonical()["cells"][0]["sha256"] == run.cell["sha256"]
    # the same cell from a file beside the spec: the same runs and the same spec
    (tmp_path / "ligru.toml").write_text(
        f'name = "ligru_spec"\nstate = ["h"]\nequations = """\n{LIGRU}\n"""\n'
    )
    toml = (
        'name = "tiny"\nseeds = 2\nsuccess = "eval_loss / baseline < 0.9"\n'
        '[[cells]]\nfile = "ligru.toml"\n'
        "[base]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in tiny["base"].items())
        + "[grid]\nlength = [3, 5]\n"
        '[[configurations]]\nlabel = "Li-GRU"\ncell = "ligru_spec"\n'
    )  # fmt: skip
    (tmp_path / "spec.toml").write_text(toml)
    from_file = load_spec(tmp_path / "spec.toml")
    assert [r.key for r in from_file.runs] == [r.key for r in inline.runs]
    # another cell under the same name is another run, and another spec
    other = load_spec(
        _with_cell(tiny, {"name": "ligru_spec", "equations": LIGRU.replace("relu", "tanh")})
    )
    assert not {r.key for r in other.runs} & {r.key for r in inline.runs}
    assert other.digest != inline.digest


@pytest.mark.parametrize(
    "cells, message",
    [
        ("ligru", "cells must be a non-empty array of tables"),
        (["x"], r"cells\[0\] must be a table"),
        ([{"file": "ligru.toml", "name": "x"}], "a cell file is given alone"),
        ([{"file": "missing.toml"}], r"cells\[0\]: cell file .*missing.toml' does not exist"),
        ([{"name": "c"}], "a cell is file"),
        ([{"name": "c", "equations": "h = cosh(W_h @ h_prev)"}], r"cells\[0\]: equation h"),
        (
            [{"name": "c", "equations": LIGRU}, {"name": "c", "equations": LIGRU}],
            "cells repeat a name",
        ),
    ],
)
def test_bad_cells_in_a_spec_are_refused_naming_them(tiny, cells, message):
    tiny["cells"] = cells
    with pytest.raises(InvalidValueError, match=message):
        load_spec(tiny)


def test_a_cell_declared_outside_the_spec_is_refused(tiny):
    import gradsym

    gradsym.cell_from_equations("declared_elsewhere", LIGRU)
    tiny["configurations"] = [{"label": "x", "cell": "declared_elsewhere"}]
    with pytest.raises(InvalidValueError, match="declared outside the spec; name it in"):
        load_spec(tiny)
