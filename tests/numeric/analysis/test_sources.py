"""Where models come from: objects, torch modules, state_dict files (read weights-only,
the module inferred from keys and shapes), run folders and checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

from gradsym.errors import CheckpointError, InvalidValueError
from gradsym.numeric.analysis.sources import FILE_KINDS, describe_model, load_models
from gradsym.numeric.cells.lstm import LSTM
from gradsym.numeric.cells.rnn import RNN
from gradsym.numeric.nets.bidirectional import Bidirectional
from gradsym.numeric.nets.losses import Linear
from gradsym.numeric.nets.network import Network
from gradsym.numeric.nets.stacked import Stacked
from gradsym.numeric.train import CHECKPOINT_FILE, TrainConfig, Trainer

SMALL_RUN = {
    "cell": "lstm", "task": "adding", "task_kwargs": {"length": 20}, "hidden": 4, "batch": 4,
    "steps": 3, "eval_every": 3, "eval_batch": 4, "checkpoint_every": 3, "seed": 0,
}  # fmt: skip


def test_gradsym_objects(rng):
    cell = LSTM(3, 4)
    (m,) = load_models(cell)
    assert m.model is cell and m.label == "LSTM 3→4" and m.task is None
    (m,) = load_models(Network(cell, Linear(4, 1)), label="mine")
    assert m.model is cell and m.label == "mine" and m.source == "gradsym Network"
    pair = Stacked([Bidirectional(RNN(3, 2), RNN(3, 2)), RNN(4, 2)], residual=False)
    assert describe_model(pair) == "2 layers: RNN(tanh) 3→2 (bidirectional); RNN(tanh) 4→2"
    with pytest.raises(InvalidValueError, match="cannot analyse a dict"):
        load_models({"W": 1})


def test_a_training_result_and_its_task():
    result = Trainer(TrainConfig(**SMALL_RUN)).run()
    (m,) = load_models(result)
    assert m.model is result.network.model
    assert m.task == ("adding", {"length": 20}) and m.step == 3


@pytest.fixture
def run_folder(tmp_path):
    folder = tmp_path / "lstm-run"
    Trainer(TrainConfig(**SMALL_RUN), folder).run()
    return folder


def test_a_run_folder_gives_the_network_at_initialisation_and_at_its_checkpoint(run_folder):
    init, final = load_models(run_folder)
    assert (init.label, final.label) == ("lstm-run (init)", "lstm-run (step 3)")
    assert (init.step, final.step) == (0, 3) and init.task == ("adding", {"length": 20})
    fresh = Trainer(TrainConfig(**SMALL_RUN)).network.model  # built as the trainer builds it
    for k, v in fresh.params.items():
        np.testing.assert_array_equal(init.model.params[k], v)
    from gradsym.numeric.train.checkpoint import load_checkpoint

    saved = load_checkpoint(run_folder / CHECKPOINT_FILE).params
    for k, v in final.model.params.items():
        np.testing.assert_array_equal(v, saved[f"cell.{k}"])
    assert any((final.model.params[k] != v).any() for k, v in fresh.params.items())
    (ckpt,) = load_models(run_folder / CHECKPOINT_FILE)
    assert ckpt.label == "lstm-run (step 3)" and ckpt.step == 3


def test_bad_files_are_one_line_errors(tmp_path, run_folder):
    with pytest.raises(InvalidValueError, match="no such file or folder"):
        load_models(tmp_path / "missing.pt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidValueError, match="not a gradsym run folder"):
        load_models(empty)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidValueError, match="not a model file gradsym reads") as err:
        load_models(tmp_path / "notes.txt")
    assert all(what in str(err.value) for what, _, _ in FILE_KINDS)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError):
        load_models(tmp_path / "other.npz")


# -- PyTorch ------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch", reason="state_dicts are read with torch")


def _save(obj, path):
    torch = _torch()
    torch.save(obj, path)
    return path


@pytest.mark.parametrize(
    ("make", "kind", "layers", "bidirectional"),
    [
        (lambda t: t.nn.LSTM(3, 4, num_layers=2, bidirectional=True), "LSTM", 2, True),
        (lambda t: t.nn.GRU(3, 5), "GRU", 1, False),
        (lambda t: t.nn.RNN(3, 4, num_layers=3, bias=False), "RNN", 3, False),
    ],
)
def test_a_state_dict_is_the_module_it_was_saved_from(
    make, kind, layers, bidirectional, tmp_path, rng
):
    torch = _torch()
    torch.manual_seed(0)
    module = make(torch).double()
    (m,) = load_models(_save(module.state_dict(), tmp_path / "model.pt"))
    info = m.inferred
    assert info["module"] == f"torch.nn.{kind}" and info["num_layers"] == layers
    assert info["bidirectional"] is bidirectional and info["input_size"] == 3
    assert info["bias"] is module.bias and info["ignored_keys"] == []
    xs = rng.standard_normal((7, 2, 3))
    out, _ = module(torch.from_numpy(xs))
    np.testing.assert_allclose(m.model.forward(xs).h, out.detach().numpy(), atol=1e-12)


def test_a_float32_state_dict_is_read_exactly_and_the_rnn_nonlinearity_is_assumed(tmp_path):
    torch = _torch()
    module = torch.nn.RNN(3, 4, nonlinearity="relu")  # float32
    path = _save(module.state_dict(), tmp_path / "rnn.pth")
    (m,) = load_models(path)
    assert m.inferred["nonlinearity"] == "tanh (assumed: a state_dict does not record it)"
    assert m.model.dtype == np.float64
    np.testing.assert_array_equal(
        m.model.params["W_h"], module.weight_hh_l0.detach().double().numpy()
    )
    (m,) = load_models(path, nonlinearity="relu")
    assert m.inferred["nonlinearity"] == "relu" and m.model.activation.name == "relu"


def test_a_module_inside_a_bigger_state_dict_is_found_by_its_prefix(tmp_path):
    torch = _torch()

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.GRU(3, 4)
            self.head = torch.nn.Linear(4, 1)

    path = _save({"model": Model().state_dict(), "epoch": 7}, tmp_path / "ckpt.pt")
    (m,) = load_models(path)
    assert m.inferred["prefix"] == "model.encoder."
    assert m.inferred["ignored_keys"] == ["model.head.bias", "model.head.weight"]

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.LSTM(3, 4)
            self.b = torch.nn.GRU(4, 2)

    path = _save(Two().state_dict(), tmp_path / "two.pt")
    with pytest.raises(
        InvalidValueError, match="several recurrent modules \\(prefixes 'a.', 'b.'\\)"
    ):
        load_models(path)
    (m,) = load_models(path, prefix="b.")
    assert m.inferred["module"] == "torch.nn.GRU" and m.inferred["ignored_keys"][0].startswith("a.")
    with pytest.raises(InvalidValueError, match="no recurrent module with prefix 'c.'"):
        load_models(path, prefix="c.")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("weight_hh_l1"), "lacks weight_hh_l1"),
        (lambda d: d.__setitem__("bias_ih_l0", d["bias_ih_l0"][:5]), "bias_ih_l0 has shape"),
        (
            lambda d: d.__setitem__("weight_hh_l0", d["weight_hh_l0"][:, :3]),
            "rows are not 1, 3 or 4",
        ),
        (lambda d: d.__setitem__("weight_ih_l3", d["weight_ih_l1"]), "layers are \\[0, 1, 3\\]"),
        (lambda d: d.__setitem__("weight_hr_l0", d["weight_hh_l0"]), "proj_size"),
        (
            lambda d: [d.pop(k) for k in list(d)] and d.__setitem__("fc.weight", 0),
            "fit no torch.nn",
        ),
    ],
)
def test_keys_that_fit_no_module_are_refused(mutate, message):
    torch = _torch()
    from gradsym.numeric.torch_exchange import from_state_dict

    sd = {
        k: v.detach().double().numpy()
        for k, v in torch.nn.LSTM(3, 4, num_layers=2).state_dict().items()
    }
    mutate(sd)
    with pytest.raises(InvalidValueError, match=message):
        from_state_dict(sd)


def test_files_that_are_not_plain_state_dicts_are_refused(tmp_path):
    torch = _torch()
    pickled = _save(torch.nn.LSTM(3, 4), tmp_path / "whole-module.pt")
    with pytest.raises(
        InvalidValueError, match="not a plain state_dict: .*pickled torch.nn.modules.rnn.LSTM"
    ):
        load_models(pickled)
    with pytest.raises(InvalidValueError, match="holds a list, not a state_dict"):
        load_models(_save([1, 2], tmp_path / "list.pt"))
    (tmp_path / "text.pt").write_text("not a torch file")
    with pytest.raises(InvalidValueError, match="not a plain state_dict: .*not a pickle"):
        load_models(tmp_path / "text.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(InvalidValueError, match="is not a file torch.load can read \\(EOFError"):
        load_models(tmp_path / "empty.pt")
    with pytest.raises(InvalidValueError, match="holds no floating-point tensors"):
        load_models(_save({"step": torch.tensor(3)}, tmp_path / "ints.pt"))


def test_a_torch_module_object(rng):
    torch = _torch()
    module = torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    (m,) = load_models(module)
    assert m.batch_first and m.inferred["batch_first"] is True and m.label == "torch.nn.LSTM"


def test_a_run_of_a_declared_cell_is_analysed_without_its_cell_file(tmp_path):
    """The run recorded its cell's equations: analysed in a process that never declared
    the cell, it is declared again from them (issue 26); another cell of the same name
    registered meanwhile is refused, not analysed in its place."""
    import gradsym
    from gradsym.cells.registry import _ENTRIES

    equations = "u = sigma(W_u @ h_prev + U_u @ x + b_u)\nh = u * h_prev + (1 - u) * tanh(U @ x)"
    gradsym.cell_from_equations("recorded_cell", equations)
    config = TrainConfig(
        cell="recorded_cell", task="adding", task_kwargs={"length": 20}, hidden=4, batch=4,
        steps=2, eval_every=2, eval_batch=8, checkpoint_every=2,
    )  # fmt: skip
    Trainer(config, tmp_path / "run", progress=False).run()
    trained = load_models(tmp_path / "run")[1].model
    _ENTRIES.pop("recorded_cell")  # as in a new process
    again = load_models(tmp_path / "run")
    assert [m.label for m in again] == ["run (init)", "run (step 2)"]
    for name, value in trained.params.items():
        np.testing.assert_array_equal(again[1].model.params[name], value)
    gradsym.cell_from_equations("recorded_cell", "h = tanh(W_h @ h_prev + U @ x)")
    with pytest.raises(CheckpointError, match="another cell named 'recorded_cell'"):
        load_models(tmp_path / "run")
    _ENTRIES.pop("recorded_cell")
