"""The tutorial notebook (notebooks/tutorial.ipynb) runs from top to bottom in a fresh
kernel, shows what it says it shows, and is committed without outputs."""

from __future__ import annotations

import json
import os

import pytest
from repo import REPO

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]'")
pytest.importorskip("torch", reason="the tutorial's section 4 is about a PyTorch model")

NOTEBOOK = REPO / "notebooks" / "tutorial.ipynb"


def test_the_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:40]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook run in a fresh kernel, in an empty folder, with the kernel's temporary
    folder (where its run goes) one of the test's own."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("tutorial")
    temporary = tmp_path_factory.mktemp("kernel-tmp")
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(temporary)  # the kernel process inherits it
    try:
        client.execute()  # raises CellExecutionError, with the cell's traceback, on any error
    finally:
        if before is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = before
    return nb, folder, temporary


def _outputs(nb, source_start: str) -> list[dict]:
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    return cell.outputs


def _data(outputs, mime: str) -> str:
    for out in outputs:
        if mime in out.get("data", {}):
            return out["data"][mime]
        if mime == "text/plain" and out.get("name") == "stdout":
            return out["text"]
    raise AssertionError(f"no {mime} output in {json.dumps(outputs)[:300]}")


def test_the_jacobians_display_in_the_notes_notation(executed):
    nb, _, _ = executed
    latex = _data(_outputs(nb, 'J = gradsym.jacobian("lstm"'), "text/latex")
    assert r"\operatorname{diag}\left(\mathbf{f}^{(t)}\right)" in latex
    # SymPy's own display of the expression (init_printing) goes through the hooks
    expr = _data(_outputs(nb, "J_rnn = "), "text/latex")
    assert r"\tanh'\left(\mathbf{z}^{(t)}\right)" in expr and "Apply" not in expr
    explicit = _data(_outputs(nb, "print(J_rnn.prove(3).holds)"), "text/latex")
    assert r"\left[\mathbf{W}_h\right]_{1,2}" in explicit


def test_the_student_is_refuted_and_the_right_answer_holds(executed):
    nb, _, _ = executed
    assert _data(_outputs(nb, "student = "), "text/plain").startswith("False\n✗ refuted")
    assert _data(_outputs(nb, "right = "), "text/plain") == "True"


def test_the_claims_verify_and_the_torch_model_agrees(executed):
    nb, _, _ = executed
    assert "2/2 claims verified" in _data(_outputs(nb, "report = "), "text/plain")
    torch_cell = _outputs(nb, "import torch")
    difference = float(_data(torch_cell, "text/plain").split(":")[1].split()[0])
    assert difference < 1e-12
    assert "| lag ℓ |" in _data(torch_cell, "text/markdown")  # the spans' table


def test_the_run_and_its_figure(executed):
    nb, folder, temporary = executed
    table = _data(_outputs(nb, "import tempfile"), "text/markdown")
    assert "| step | 100/100 |" in table
    assert "image/png" in _outputs(nb, "from gradsym.numeric.train import read_metrics")[0]["data"]
    [run] = temporary.glob("gradsym-tutorial-*")
    assert {"metrics.jsonl", "checkpoint.npz", "summary.json", "loss.png"} <= {
        p.name for p in run.iterdir()
    }
    # nothing beside the notebook: a run folder there would end up in a student's commit
    assert list(folder.iterdir()) == []
