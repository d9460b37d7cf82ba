"""The promised public surface (the README's examples, ``gradsym.__all__``) is importable
from ``gradsym`` itself, and no subpackage shadows a public name (``gradsym.claims`` stays
the function that lists the claims)."""

import importlib
import pkgutil
import subprocess
import sys
import types

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


def test_no_subpackage_shadows_a_public_name():
    for info in pkgutil.walk_packages(gradsym.__path__, "gradsym."):
        importlib.import_module(info.name)  # each sets its name on its parent package
    shadowed = [n for n in gradsym.__all__ if isinstance(getattr(gradsym, n), types.ModuleType)]
    assert shadowed == []
