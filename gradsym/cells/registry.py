"""The cell registry: one :class:`CellEntry` per cell, every fact about it, one door in.

An entry says what a cell is (name, description, source, its variants with the default
first, its state vectors) and where each of its facets comes from:

- ``equations(variant)`` → its symbolic :class:`~gradsym.symbolic.equations.CellEquations` (SymPy);
- ``numpy(variant, input_size, hidden_size, dtype=, rng=)`` → a NumPy cell (forward,
  backward, ``state_jacobian``), whose parameter roles (recurrent and input weights,
  biases, the forget gate's and the update gate's bias) the initialisers read; None for a
  connection that the NumPy side builds as a network (bidirectional, stacked, residual,
  highway);
- ``torch``: the ``torch.nn`` module that computes the same function (:class:`TorchForm`),
  or None;
- ``default_init``: the recurrent initialiser training uses unless told otherwise;
- ``options``: the training options (:class:`~gradsym.numeric.train.config.TrainConfig`
  fields) that choose the variant, and ``variant_of`` that maps their values to it;
- for a cell declared by its equations: ``text`` (the equations as written), ``shapes``
  (declared parameter shapes), ``note``, ``record()`` (what a training run records of the
  cell: its equations and their SHA-256, :meth:`gradsym.declared.DeclaredCell.record`), and
  ``redeclares`` (the built-in cell and variant
  a re-declared cell of the library reproduces).

A facet is a callable, or a :class:`Lazy` reference ("module:attribute") imported on
first use: this package never imports SymPy, and the layers that provide the
facets (symbolic/, numeric/, declared/) read the registry without the registry importing
them. Built-in cells are registered in :mod:`.builtin`, the library of published cells in
:mod:`.library`, and a cell declared by its equations by :func:`gradsym.cell_from_equations`
— all through :func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gradsym.errors import InvalidValueError, unknown_name

KINDS = ("builtin", "connection", "library", "declared")


@dataclass(frozen=True)
class Lazy:
    """A facet in another module, imported when it is first called: ``Lazy("m:f", *args)``
    calls ``m.f(*args, *call_args)``."""

    path: str
    args: tuple = ()

    def __init__(self, path: str, *args: Any) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "args", args)

    def resolve(self) -> Callable:
        module, _, attribute = self.path.partition(":")
        found = importlib.import_module(module)
        for part in attribute.split("."):  # "module:Class.method"
            found = getattr(found, part)
        return found

    def __call__(self, *args, **kwargs):
        return self.resolve()(*self.args, *args, **kwargs)


@dataclass(frozen=True)
class TorchForm:
    """The ``torch.nn`` module computing a cell: ``module`` ("RNN", "LSTM", "GRU"), the
    variants it computes, and the order of its gate blocks in ``weight_ih``/``weight_hh``
    (the cell's gate names; () for one block)."""

    module: str
    variants: tuple[str, ...]
    gates: tuple[str, ...] = ()


@dataclass(frozen=True)
class CellEntry:
    """Every fact about one cell (see the module's docstring)."""

    name: str
    kind: str
    description: str
    source: str
    variants: tuple[str, ...]
    state: tuple[str, ...]
    equations: Callable[[str], Any]
    numpy: Callable[..., Any] | None = None
    torch: TorchForm | None = None
    default_init: str = "orthogonal"
    options: tuple[str, ...] = ()
    variant_of: Callable[..., str] | None = None
    text: str = ""
    shapes: dict[str, str] = field(default_factory=dict)
    note: str = ""
    redeclares: tuple[str, str] | None = None
    record: Callable[[], dict] | None = None

    @property
    def default_variant(self) -> str:
        return self.variants[0]

    @property
    def trainable(self) -> bool:
        """Whether training can build it (it has a NumPy cell)."""
        return self.numpy is not None

    def variant(self, variant: str | None) -> str:
        """``variant``, or the default for None; UnknownNameError for one it does not have."""
        if variant is None:
            return self.default_variant
        if not isinstance(variant, str) or variant not in self.variants:
            raise unknown_name(f"{self.name} variant", variant, self.variants)
        return variant


_ENTRIES: dict[str, CellEntry] = {}
_BUILTIN_MODULES = ("gradsym.cells.builtin", "gradsym.cells.library")


_LOADING: list[str] = []


def _load_builtin() -> None:
    # the built-in and library entries register themselves when their modules load (once)
    if len(_LOADING) == len(_BUILTIN_MODULES):
        return
    for module in _BUILTIN_MODULES:
        if module not in _LOADING:
            _LOADING.append(module)
            importlib.import_module(module)


_RESERVED: set[str] = set()


def reserve(*names: str) -> None:
    """Keep ``names`` from declared cells: the names training gives to presets of built-in
    cells (irnn)."""
    _RESERVED.update(names)


def register(entry: CellEntry, *, replace: bool = False) -> CellEntry:
    """Register ``entry`` under its name: the one door for built-in, library and declared
    cells. A built-in or library name is never replaced; a declared one only with
    ``replace``."""
    if not isinstance(entry, CellEntry):
        raise InvalidValueError(f"register takes a CellEntry, got {type(entry).__name__}")
    if entry.kind not in KINDS:
        raise unknown_name("kind of cell", entry.kind, KINDS)
    if not entry.variants:
        raise InvalidValueError(f"cell {entry.name!r} has no variant")
    if entry.kind == "declared":
        _load_builtin()  # a declared cell must not take a built-in or library name
    if entry.kind == "declared" and entry.name in _RESERVED:
        raise InvalidValueError(
            f"{entry.name!r} is a built-in cell; give the declared cell another name"
        )
    old = _ENTRIES.get(entry.name)
    if old is not None and old is not entry:
        if old.kind in ("builtin", "connection"):
            raise InvalidValueError(
                f"{entry.name!r} is a built-in cell; give the declared cell another name"
            )
        if old.kind == "library" and entry.kind != "library":
            raise InvalidValueError(
                f"{entry.name!r} is a library cell; give the declared cell another name"
            )
        if old.kind == "declared" and not replace:
            raise InvalidValueError(f"a declared cell {entry.name!r} is already registered")
    _ENTRIES[entry.name] = entry
    return entry


def get(name: str) -> CellEntry:
    """The entry of the cell ``name``, or UnknownNameError listing every known cell."""
    _load_builtin()
    if not isinstance(name, str) or name not in _ENTRIES:
        raise unknown_name("cell", name, _ENTRIES)
    return _ENTRIES[name]


def entries(kinds: Iterable[str] = KINDS) -> list[CellEntry]:
    """Every registered entry of the given kinds, in registration order (the built-in cells
    first, then the connections, the library and the declared cells)."""
    _load_builtin()
    kinds = tuple(kinds)
    return [e for e in _ENTRIES.values() if e.kind in kinds]


def names(kinds: Iterable[str] = KINDS) -> tuple[str, ...]:
    """The names of :func:`entries`."""
    return tuple(e.name for e in entries(kinds))


def declare_recorded(record: dict) -> CellEntry:
    """The entry of the cell a training run recorded (its equations as written and their
    SHA-256, :meth:`gradsym.declared.DeclaredCell.record`), declared again from those
    equations and registered: the declared layer's door for the layers below it (a run is
    resumed, or analysed, without its cell file). DeclarationError if the record is
    damaged."""
    Lazy("gradsym.declared:cell_from_record")(record)
    return get(record["name"])


def declare_from_file(path) -> dict:
    """Declare (and register) the cell of a cell file, through the declared layer's door;
    its record (:meth:`gradsym.declared.DeclaredCell.record`). DeclarationError, one line,
    for a bad file."""
    return Lazy("gradsym.declared:load_cell_file")(path).record()


def declare_from_equations(name: str, equations, state=("h",), shapes=None) -> dict:
    """Declare (and register) a cell from its equations, through the declared layer's door
    (:func:`gradsym.cell_from_equations`); its record."""
    declared = Lazy("gradsym.declared:cell_from_equations")(name, equations, state, shapes=shapes)
    return declared.record()


__all__ = [
    "KINDS",
    "CellEntry",
    "Lazy",
    "TorchForm",
    "declare_from_equations",
    "declare_from_file",
    "declare_recorded",
    "entries",
    "get",
    "names",
    "register",
    "reserve",
]
