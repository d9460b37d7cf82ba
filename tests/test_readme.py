"""The README's Python examples run, in order, in one namespace (they build on each other)."""

import re

import pytest
from repo import REPO

README = REPO / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_examples():
    assert len(python_blocks()) >= 5


def test_readme_examples_run(capsys):
    namespace: dict = {}
    for k, block in enumerate(python_blocks()):
        if "import torch" in block:
            try:
                import torch  # noqa: F401
            except ImportError:
                pytest.skip("a README example needs torch")
        try:
            exec(compile(block, f"README.md python block {k}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # name the block that failed
            raise AssertionError(f"README python block {k} failed: {exc!r}\n{block}") from exc


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
