"""The promised public surface (DESIGN.md) is importable from ``gradsym`` itself."""

import subprocess
import sys

import pytest

import gradsym


@pytest.mark.parametrize("name", gradsym.__all__)
def test_every_public_name_resolves(name):
    assert getattr(gradsym, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        gradsym.nonsense  # noqa: B018


def test_numeric_side_never_imports_sympy():
    code = (
        "import sys, gradsym; gradsym.RNN; gradsym.LSTM; gradsym.GRU; gradsym.Network; "
        "gradsym.clip_by_norm; gradsym.make_task; print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
