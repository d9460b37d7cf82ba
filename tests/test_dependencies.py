"""The runtime dependencies are the four the package declares: every module of gradsym
imports with only sympy, numpy, matplotlib and tqdm (and the standard library) installed.
Optional extras (torch, dask) are imported where they are used, never at module level, so
that `pip install -e . && gradsym build` works on a fresh machine."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# What a fresh `pip install -e .` does not bring: the extras and the test tools.
NOT_RUNTIME = (
    "torch",
    "dask",
    "distributed",
    "typing_extensions",
    "scipy",
    "pytest",
    "hypothesis",
    "nbclient",
    "nbformat",
    "ipykernel",
    "IPython",
    "threadpoolctl",
    "pandas",
)


def test_every_module_imports_with_the_runtime_dependencies_only():
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = {NOT_RUNTIME!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (not a runtime dependency)")
                return None

        sys.meta_path.insert(0, Block())
        import gradsym

        failed = []
        for info in pkgutil.walk_packages(gradsym.__path__, "gradsym."):
            try:
                importlib.import_module(info.name)
            except ModuleNotFoundError as exc:
                failed.append(f"{{info.name}}: {{exc}}")
        print("\\n".join(failed))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True
    )
    assert out.stdout.strip() == "", out.stdout
