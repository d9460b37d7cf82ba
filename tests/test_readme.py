"""The README's Python examples run, in order, in one namespace (they build on each other)."""

import re
import sys

import pytest
from repo import REPO

README = REPO / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_examples():
    assert len(python_blocks()) >= 5


def needs_torch(block: str) -> bool:
    return "import torch" in block


def run_blocks(blocks: list[str]) -> None:
    """Run ``blocks`` in order in one namespace, naming the block that fails."""
    namespace: dict = {}
    for block in blocks:
        k = python_blocks().index(block)
        try:
            exec(compile(block, f"README.md python block {k}", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            raise AssertionError(f"README python block {k} failed: {exc!r}\n{block}") from exc


def test_the_examples_that_need_no_torch_run_without_it(capsys, monkeypatch):
    """Every example but the PyTorch exchange runs on an installation without torch (here
    torch is made unimportable, installed or not)."""
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    blocks = [b for b in python_blocks() if not needs_torch(b)]
    assert len(blocks) >= 5
    run_blocks(blocks)
    # and torch is really out of reach: the exchange example fails
    with pytest.raises(AssertionError, match="import of torch halted"):
        run_blocks([b for b in python_blocks() if needs_torch(b)])


def test_every_example_runs_with_torch(capsys):
    pytest.importorskip("torch")
    run_blocks(python_blocks())


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    main_command, test_command = blocks[0].strip(), blocks[1].strip()
    assert "gradsym build" in main_command
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test_command


def test_the_derivation_shown_is_the_generated_one():
    shown = re.search(
        r"\$\$\n\\begin\{aligned\}.*?\\end\{aligned\}\n\$\$",
        README.read_text(encoding="utf-8"),
        re.DOTALL,
    ).group(0)
    generated = (README.parent / "derivations" / "linear-case.md").read_text(encoding="utf-8")
    assert shown in generated


def test_the_agreement_numbers_are_those_of_the_committed_figure():
    """The README's summary of the agreement figure, recomputed from its committed counts."""
    import json

    data = json.loads((README.parent / "figures" / "agreement.json").read_text())
    runs = {(c["attractor_rate"], r["cell"]): r for c in data["conditions"] for r in c["runs"]}
    n = data["sentences"]

    def span(values) -> str:
        return f"{round(100 * min(values))}–{round(100 * max(values))} %"

    def one_attractor(rate, cell):
        return [c[1] / n for c in runs[rate, cell]["attractor_errors"]]

    def shares(cell):
        return [s[0] for s in runs[0.0, cell]["nearest_share"]]

    text = " ".join(README.read_text(encoding="utf-8").split())
    expected = (
        f"the RNN errs on {span(one_attractor(0.0, 'rnn'))} of sentences, the LSTM on "
        f"{span(one_attractor(0.0, 'lstm'))}, and {span(shares('rnn'))} of the RNN's errors "
        f"agree with the nearest noun ({span(shares('lstm'))} of the LSTM's)"
    )
    assert expected in text
    assert f"errors with one attractor down to {span(one_attractor(0.01, 'rnn'))}" in text
    assert all(sum(map(sum, r["distance_none_errors"])) == 0 for r in runs.values())
    assert "with no noun in between neither errs, at any distance" in text


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_the_exercise_commands_and_the_answer_file_run_as_shown(tmp_path, monkeypatch, capsys):
    """The shell lines of *Exercises graded by the checker*, run from a fresh folder; then
    its answer file, graded: the lines the README shows are what `gradsym grade` prints."""
    import shlex

    from gradsym.cli import main

    section = _section("Exercises graded by the checker")
    (commands,) = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    monkeypatch.chdir(tmp_path)
    codes = []
    for line in commands.strip().splitlines():
        argv = shlex.split(line.split("#")[0])
        assert argv[0] == "gradsym"
        codes.append(main(argv[1:]))
    assert codes == [0, 1, 1]  # the sheet; its empty answer file graded: nothing right yet
    (toml,) = re.findall(r"```toml\n(.*?)```", section, re.DOTALL)
    (tmp_path / "ada/exercises/answers.toml").write_text(toml, encoding="utf-8")
    capsys.readouterr()
    assert main(["grade", "ada/exercises/answers.toml"]) == 1
    printed = capsys.readouterr().out.splitlines()
    (shown,) = re.findall(r"```text\n(Exercises for .*?)```", section, re.DOTALL)
    answered = [line for line in printed if "unanswered" not in line or "score" in line]
    assert answered == shown.rstrip("\n").splitlines()
