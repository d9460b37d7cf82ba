"""Imports go one way: the import graph of gradsym/ has no cycle, and no module imports a
layer above its own (the README's Layout section). Every import counts — at the top of a
module, inside a function, or by ``importlib.import_module`` of a literal name — except
those under ``if TYPE_CHECKING:``, which never run. ``from package import name`` is an edge
to the submodule when ``name`` is one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from repo import REPO

PACKAGE = REPO / "gradsym"

#: Each layer and the layers it may import (besides itself). numeric/ and symbolic/ are
#: written independently on purpose: neither imports the other.
LAYERS: dict[str, set[str]] = {
    "base": set(),
    "lang": {"base"},
    "cells": {"base", "lang"},
    "numeric": {"base", "lang", "cells"},
    "symbolic": {"base", "lang", "cells"},
    "declared": {"base", "lang", "cells", "numeric", "symbolic"},
    "notes": {"base", "lang", "cells", "numeric", "symbolic", "declared"},
    "checker": {"base", "lang", "cells", "numeric", "symbolic", "declared", "notes"},
    "experiments": {"base", "lang", "cells", "numeric"},
    "render": {
        "base",
        "lang",
        "cells",
        "numeric",
        "symbolic",
        "declared",
        "notes",
        "checker",
        "experiments",
    },
    "cli": {
        "base",
        "lang",
        "cells",
        "numeric",
        "symbolic",
        "declared",
        "notes",
        "checker",
        "experiments",
        "render",
    },
    # the speed benchmarks: scripts shipped in the package, which `gradsym bench` runs;
    # they time the public surface too (gradsym itself)
    "benchmarks": {
        "top",
        "base",
        "lang",
        "cells",
        "numeric",
        "symbolic",
        "declared",
        "notes",
        "checker",
        "experiments",
        "render",
    },
}
BASE = {"errors", "validate", "files", "workers", "display", "version"}
#: Packages that must never import SymPy (the NumPy side, and the registry it reads).
NO_SYMPY = ("gradsym.numeric", "gradsym.cells")


def layer_of(module: str) -> str:
    """The layer of a module of gradsym ("top" for the package itself and __main__)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "top"
    if parts[1] in BASE:
        return "base"
    if parts[1] not in LAYERS:
        raise AssertionError(f"{module}: its package {parts[1]!r} is in no layer of LAYERS")
    return parts[1]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.parent.joinpath(*name.split("."))
    return base.is_dir() or base.with_suffix(".py").is_file()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (imports that never run)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for inner in node.body:
                    skipped |= {id(n) for n in ast.walk(inner)}
    return skipped


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module → the modules of the package it imports."""
    top = root.name
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        skipped = _type_checking_nodes(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.add(sub if _is_module(sub, root) else source)
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                targets.add(node.args[0].value)
        graph[module] = {t for t in targets if t == top or t.startswith(top + ".")} - {module}
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        mine = layer_of(module)
        if mine == "top":
            continue
        for target in sorted(targets):
            theirs = layer_of(target)
            if theirs != mine and theirs not in LAYERS[mine]:
                found.append(f"{module} ({mine}) imports {target} ({theirs})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_module_imports_a_layer_above_its_own(graph):
    assert upward_imports(graph) == []


def test_the_import_graph_has_no_cycle(graph):
    assert cycles(graph) == []


def test_the_numpy_side_and_the_registry_never_import_sympy():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path, PACKAGE)
        if not module.startswith(NO_SYMPY):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offences += [f"{module}: {n}" for n in names if n.split(".")[0] == "sympy"]
    assert offences == []


def test_the_checks_see_a_cycle_and_an_upward_import(tmp_path):
    """A package with a loop and a lower layer importing a higher one is caught."""
    root = tmp_path / "gradsym"
    for rel, text in {
        "__init__.py": "",
        "errors.py": "",
        "numeric/__init__.py": "",
        "numeric/a.py": "from gradsym.numeric import b\nfrom gradsym.render import x\n",
        "numeric/b.py": "def f():\n    from . import a\n",
        "render/__init__.py": "",
        "render/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import gradsym.cli\n",
        "cli/__init__.py": "",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    g = import_graph(root)
    assert g["gradsym.render.x"] == set()  # under TYPE_CHECKING: never runs
    assert upward_imports(g) == ["gradsym.numeric.a (numeric) imports gradsym.render.x (render)"]
    assert cycles(g) == [["gradsym.numeric.a", "gradsym.numeric.b"]]
