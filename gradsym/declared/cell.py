"""``cell_from_equations``: a cell of your own, written as the notes write cells, gets
everything the notes' cells have.

    mgu = gradsym.cell_from_equations("my_mgu", '''
        f = sigma(W_f @ h_prev + U_f @ x + b_f)
        h_tilde = tanh(W_h @ (f * h_prev) + U_h @ x + b_h)
        h = (1 - f) * h_prev + f * h_tilde
    ''', state=["h"])

    mgu.jacobian("h", "h_prev")        compact form, .explicit(n), .prove(n), .latex(), .lambdify()
    check_jacobian(mgu, "…")            the checker for candidates
    mgu.numpy(d, n)                     a NumPy cell: forward, BPTT, state_jacobian
    TrainConfig(cell="my_mgu", …)       training (the name is registered)

The name is registered in the cell registry (:mod:`gradsym.cells`): ``jacobian("my_mgu", …)``,
``make_cell("my_mgu", None, d, n)`` and ``gradsym check --cell my_mgu`` find it. (The
library's own MGU is ``library_cell("mgu")``; a declared cell never takes a built-in or
library name.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from gradsym.cells import CellEntry, names, register
from gradsym.errors import DeclarationError
from gradsym.numeric.cells.generated import CellProgram, GeneratedCell
from gradsym.symbolic.api import Jacobian, jacobian
from gradsym.symbolic.equations import CellEquations

from .codegen import generate
from .equations import _split_text, build_cell, expressions_from_sympy, expressions_from_text


@dataclass(eq=False)
class DeclaredCell:
    """A cell declared by its equations: the symbolic cell, and its NumPy program built on
    first use. ``text`` is the equations as written (SymPy input: as printed)."""

    name: str
    cell: CellEquations
    text: str
    state: tuple[str, ...]
    shapes: dict[str, str] = field(default_factory=dict)
    description: str = ""
    source: str = ""

    @property
    def blocks(self) -> list[tuple[str, str]]:
        """Every Jacobian block (of, wrt): each state with respect to each previous state
        and the input."""
        return list(self.cell.blocks)

    def jacobian(self, of: str = "h", wrt: str = "h_prev") -> Jacobian:
        """∂of/∂wrt in compact form (``.explicit(n)``, ``.prove(n)``, ``.latex()``,
        ``.lambdify()``); ``of``/``wrt`` may be "state" for the stacked state."""
        return jacobian(self.cell, of, wrt)

    def jacobians(self) -> dict[tuple[str, str], Jacobian]:
        """Every block's compact Jacobian."""
        return {(of, wrt): self.jacobian(of, wrt) for of, wrt in self.blocks}

    @cached_property
    def program(self) -> CellProgram:
        """The generated NumPy program (compiled once)."""
        return generate(self.cell, self.text)

    def numpy(self, input_size: int, hidden_size: int, *, dtype=np.float64, rng=0) -> GeneratedCell:
        """A NumPy cell: forward, backward (BPTT) and state_jacobian, like RNN/LSTM/GRU."""
        return GeneratedCell(self.program, input_size, hidden_size, dtype=dtype, rng=rng)

    def equations_text(self) -> str:
        """The equations, one per line, as the cell evaluates them."""
        return "\n".join(f"{s.name} = {_text(e)}" for s, e in self.cell.definitions)

    def latex(self) -> str:
        """The equations as an ``aligned`` LaTeX block in the notes' notation."""
        from gradsym.lang.latex import notes_latex

        rows = [
            f"{notes_latex(s, self.cell.style)} &= {notes_latex(e, self.cell.style)}"
            for s, e in self.cell.definitions
        ]
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def register(self, replace: bool = True) -> DeclaredCell:
        """Make the cell reachable by name (symbolic ``cell``/``jacobian``, ``make_cell``,
        training): its entry in the cell registry, :mod:`gradsym.cells`. A built-in or
        library name is refused; a declared one is replaced with ``replace``."""
        register(
            CellEntry(
                name=self.name,
                kind="declared",
                description=self.description,
                source=self.source,
                variants=("declared",),
                state=self.state,
                equations=self._equations,
                numpy=self._numpy,
                text=self.text,
                shapes=dict(self.shapes),
                record=self.record,
            ),
            replace=replace,
        )
        return self

    def _equations(self, variant: str) -> CellEquations:
        return self.cell

    def _numpy(self, variant: str, input_size: int, hidden_size: int, **options):
        return self.numpy(input_size, hidden_size, **options)

    def record(self) -> dict[str, Any]:
        """What a training run records of its cell: the name, the equations as written,
        the state, the declared shapes, and the SHA-256 of their canonical form (each
        equation with its spaces and comments removed), which a resumed run compares."""
        try:
            statements = [[lhs, "".join(rhs.split())] for lhs, rhs in _split_text(self.text)]
        except DeclarationError:  # SymPy input: the text is as printed, one per line
            statements = [[line] for line in self.text.splitlines()]
        canonical = {
            "name": self.name,
            "equations": statements,
            "state": list(self.state),
            "shapes": dict(sorted(self.shapes.items())),
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return {
            "name": self.name,
            "equations": self.text,
            "state": list(self.state),
            "shapes": dict(self.shapes),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }

    def __repr__(self) -> str:
        return f"DeclaredCell({self.name!r}, state={list(self.state)})"


def _text(e) -> str:
    from gradsym.lang.text import notes_text

    return notes_text(e)


def cell_from_equations(
    name: str,
    equations: str | Mapping | Iterable,
    state: Iterable[str] | str = ("h",),
    *,
    shapes: Mapping[str, Any] | None = None,
    description: str = "",
    source: str = "",
    register: bool = True,
) -> DeclaredCell:
    """A cell from its equations (text, or SymPy {name: expression}); see
    :mod:`gradsym.declared.equations` for the grammar, names and shapes.

    ``state`` names the state vectors (["h"], or ["h", "c"] for a memory cell); ``shapes``
    declares parameters the conventions do not cover (``{"w_h": "n"}``). With ``register``
    the name becomes usable everywhere a built-in cell's name is (a built-in name is
    refused; a declared one is replaced).

    Raises DeclarationError (one line naming the equation and the problem).
    """
    state_t = _state_names(state)
    if shapes is not None and not isinstance(shapes, Mapping):
        raise DeclarationError(
            f"shapes must be a mapping of names to shapes such as {{'w_h': 'n'}}, got "
            f"{type(shapes).__name__} {shapes!r:.40}"
        )
    if not isinstance(equations, (str, Mapping)) and (
        isinstance(equations, (bytes, bytearray)) or not isinstance(equations, Iterable)
    ):
        raise DeclarationError(
            "equations must be a string, or SymPy equations {name: expression}, got "
            f"{type(equations).__name__} {equations!r:.40}"
        )
    if isinstance(equations, str):
        exprs, st, params, leaves = expressions_from_text(equations, state_t, shapes)
        text = equations
    else:
        if shapes:
            raise DeclarationError("shapes are for text equations; SymPy symbols carry theirs")
        exprs, st, params, leaves = expressions_from_sympy(equations, state_t)
        text = ""
    cell = build_cell(name, exprs, st, params, leaves)
    declared = DeclaredCell(
        name, cell, "", st, {k: str(v) for k, v in (shapes or {}).items()}, description, source
    )
    declared.text = text if text else declared.equations_text()
    if register:
        declared.register()
    return declared


def cell_from_record(record: Mapping[str, Any]) -> DeclaredCell:
    """The cell a training run recorded (:meth:`DeclaredCell.record`), declared again from
    its equations (read by the allow-list grammar, as any equations) and registered;
    DeclarationError if the record is damaged (its hash does not match)."""
    if not isinstance(record, Mapping) or not all(
        isinstance(record.get(k), t)
        for k, t in (("name", str), ("equations", str), ("state", list), ("sha256", str))
    ):
        raise DeclarationError("the recorded cell is damaged (name, equations, state, sha256)")
    shapes = record.get("shapes") or {}
    declared = cell_from_equations(
        record["name"], record["equations"], record["state"], shapes=shapes, register=False
    )
    if declared.record()["sha256"] != record["sha256"]:
        raise DeclarationError(
            f"the recorded cell {record['name']!r} is damaged: its equations do not match "
            "their SHA-256"
        )
    return declared.register()


def _state_names(state) -> tuple[str, ...]:
    """``state`` as a tuple of names ("h" or ["h", "c"]), or a DeclarationError."""
    if isinstance(state, str):
        return (state,)
    if isinstance(state, (bytes, bytearray, Mapping)) or not isinstance(state, Iterable):
        raise DeclarationError(
            f"state must be a name or a list of names such as ['h', 'c'], got {state!r:.40}"
        )
    return tuple(state)


def registered_names() -> tuple[str, ...]:
    """Every cell declared by its equations that is registered: the library's and the
    ones declared so far, in registration order."""
    return names(["library", "declared"])


__all__ = ["DeclaredCell", "cell_from_equations", "cell_from_record", "registered_names"]
