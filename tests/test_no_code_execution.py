"""No user text is ever evaluated as code.

Shapes, equations, candidates, criteria and sweep specs are read by allow-list parsers;
nothing in the package hands raw text to ``sympify``, ``eval`` or ``exec``. Every text input
is fed a payload that would leave a folder behind if it ran, and the folder must not appear.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from repo import REPO

import gradsym
from gradsym.cli import main
from gradsym.declared.equations import parse_shape
from gradsym.errors import GradsymError

#: Each payload creates the folder TRACE in the current folder if it is ever run as Python.
TRACE = "PWNED"
PAYLOADS = [
    f"__import__('os').mkdir('{TRACE}')",
    f"(lambda: __import__('os').mkdir('{TRACE}'))()",
    f"n*__import__('os').mkdir('{TRACE}')",
    f"exec(\"import os; os.mkdir('{TRACE}')\")",
]

EQUATIONS = "h = tanh(w_h * h_prev + U @ x + b)\n"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / TRACE).exists(), "a payload was run as code"


def _refused(fn, *args, **kwargs) -> str:
    with pytest.raises(GradsymError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def _called_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def test_no_module_hands_text_to_sympify_eval_or_exec():
    """sympify only in strict mode (which refuses strings); no parse_expr, eval, compile of
    text; exec only of source the package prints itself from a cell's symbolic equations."""
    generated_exec = {"declared/codegen.py", "lang/numpy_code.py"}
    offences = []
    for path in sorted((REPO / "gradsym").rglob("*.py")):
        rel = path.relative_to(REPO / "gradsym").as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name, where = _called_name(node), f"{rel}:{node.lineno}"
            strict = any(
                k.arg == "strict" and getattr(k.value, "value", None) is True for k in node.keywords
            )
            if name == "sympify" and not strict:
                offences.append(f"{where}: sympify without strict=True")
            # sp.S(...) is sympify in its lenient mode; S(cell, ...) is the catalogue's own
            if name in {"parse_expr", "literal_eval", "eval"} or (
                name == "S" and isinstance(node.func, ast.Attribute)
            ):
                offences.append(f"{where}: {name}(...)")
            bare = isinstance(node.func, ast.Name)
            if name in {"exec", "compile"} and bare and rel not in generated_exec:
                offences.append(f"{where}: {name} outside the code generators")
    assert offences == []
    # and the test sees an offence where there is one
    assert _called_name(ast.parse("sp.sympify(text)").body[0].value) == "sympify"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_shape_is_never_run(in_tmp, payload):
    message = _refused(
        gradsym.cell_from_equations, "evil", EQUATIONS, shapes={"w_h": payload}, register=False
    )
    assert "the shape of 'w_h'" in message and "\n" not in message
    _refused(gradsym.cell_from_equations, "evil", EQUATIONS, shapes={"w_h": [payload, "1"]})
    _refused(parse_shape, "w_h", payload)


def test_shapes_that_are_sizes_are_read_and_others_refused_at_once():
    from gradsym.lang.names import d, n

    assert parse_shape("W", "n x 2n") == (n, 2 * n)
    assert parse_shape("W", "2*n + d × n") == (2 * n + d, n)
    assert parse_shape("w", "n") == (n, 1)
    assert parse_shape("w", ["n", 1]) == (n, 1)
    assert parse_shape("zeta", "1") == (1, 1)
    for bad in ["9**9**9", "n**2", "n - n", "0", "-n", "n/2", "1e9", "x", "n d", "", "1" * 7]:
        start = time.monotonic()
        with pytest.raises(GradsymError, match="the shape of 'w'"):
            parse_shape("w", bad)
        assert time.monotonic() - start < 1.0, bad
    with pytest.raises(GradsymError, match="two sizes"):
        parse_shape("w", [["n"], "n"])


@pytest.mark.parametrize("payload", PAYLOADS[:2])
def test_cell_files_and_their_commands_never_run_a_shape(in_tmp, payload, capsys):
    text = in_tmp / "evil.txt"
    text.write_text(f"# shape w_h: {payload}\n{EQUATIONS}")
    toml = in_tmp / "evil.toml"
    toml.write_text(
        f'state = ["h"]\nequations = "{EQUATIONS.strip()}"\n[shapes]\nw_h = "{payload}"\n'
    )
    pair = in_tmp / "pair.toml"
    pair.write_text(
        f'state = ["h"]\nequations = "{EQUATIONS.strip()}"\n[shapes]\nw_h = ["{payload}", "1"]\n'
    )
    for path in (text, toml, pair):
        f = str(path)
        assert main(["check", "--cell-file", f, "diag(1 - h**2)"]) == 2
        assert main(["derive", "--cell-file", f, "--out", str(in_tmp / "out")]) == 2
        assert main(["figures", "--cell-file", f, "--out", str(in_tmp / "out")]) == 2
        assert main(["train", "--cell-file", f, "--out", str(in_tmp / "run")]) == 2
        err = capsys.readouterr().err
        assert err.count("the shape of 'w_h'") == 4


@pytest.mark.parametrize("payload", PAYLOADS)
def test_equations_candidates_and_criteria_are_never_run(in_tmp, payload):
    from gradsym.experiments.criterion import Criterion

    _refused(gradsym.cell_from_equations, "evil", f"h = {payload}\n", register=False)
    _refused(gradsym.cell_from_equations, "evil", f"h = tanh({payload} @ h_prev)\n")
    # inside the functions and operators of the 2023–2024 grammar too
    for rhs in (
        f"max({payload}, h_prev)",
        f"h_prev ** ({payload})",
        f"h_prev / exp({payload})",
        f"logaddexp(h_prev, softplus({payload}))",
    ):
        _refused(gradsym.cell_from_equations, "evil", f"h = {rhs}\n", register=False)
    _refused(gradsym.check_jacobian, "rnn", f"diag(step({payload})) @ W_h")
    _refused(gradsym.check_jacobian, "rnn", payload)
    _refused(gradsym.check_jacobian, "rnn", f"diag(tanh'(z)) @ W_h + {payload}")
    _refused(Criterion.parse, payload)
    _refused(Criterion.parse, f"eval_loss < {payload}")


@pytest.mark.parametrize("payload", PAYLOADS[:2])
def test_sweep_specs_are_never_run(in_tmp, payload):
    from gradsym.experiments.spec import load_spec

    for field in ("name", "success", "x"):
        spec = in_tmp / f"{field}.toml"
        values = {"name": '"evil"', "success": '"eval_loss < 1"', "x": '"length"'}
        values[field] = (
            repr(payload).replace("'", '"') if '"' not in payload else "'" + payload + "'"
        )
        body = "".join(f"{k} = {v}\n" for k, v in values.items())
        spec.write_text(body + 'seeds = 1\n[base]\ntask = "adding"\ncell = "rnn"\n')
        try:
            load_spec(spec)
        except GradsymError:
            pass
    cell = in_tmp / "cell.toml"
    cell.write_text(f'[base]\ntask = "adding"\ncell = "{payload}"\n')
    with pytest.raises(GradsymError):
        load_spec(cell)


def test_the_folder_trace_would_be_seen(in_tmp):
    """The trace the tests look for is real: running a payload leaves it."""
    exec(PAYLOADS[0])  # noqa: S102 - the test's own payload, to show the check can fail
    assert Path(TRACE).is_dir()
    Path(TRACE).rmdir()
