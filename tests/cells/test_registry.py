"""The cell registry is the one home of a cell's identity: every part of gradsym that names
cells (the symbolic equations, make_cell, training, the torch exchange, the command line,
the claims' NumPy references) finds them there, and a cell registered once is known to all
of them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradsym.cells import CellEntry, Lazy, entries, get, names, register
from gradsym.cells.builtin import LSTM_SWITCHES, PRESETS, lstm_variant
from gradsym.errors import InvalidValueError, UnknownNameError


def test_the_notes_cells_connections_and_library_are_registered_in_order():
    assert names(["builtin"]) == ("rnn", "lstm", "gru")
    assert names(["connection"]) == ("birnn", "stacked", "residual", "highway")
    library = names(["library"])
    assert library[:2] == ("indrnn", "mgu") and "lstm_eq" in library
    for entry in entries(["builtin", "connection", "library"]):
        assert entry.description and entry.source and entry.variants and entry.equations
        assert entry.kind in ("builtin", "connection", "library")
        if entry.kind == "library":
            assert entry.variants == ("declared",) and entry.text.strip()


def test_unknown_names_and_variants_are_one_line_errors_with_the_known_ones():
    with pytest.raises(UnknownNameError, match="did you mean 'lstm'"):
        get("lstn")
    with pytest.raises(UnknownNameError, match="'peephole'"):
        get("lstm").variant("peepholes")
    assert get("gru").variant(None) == "textbook"


def test_lazy_facets_resolve_dotted_attributes():
    build = Lazy("gradsym.numeric.cells.lstm:LSTM.of_variant")
    cell = build("peephole", 3, 4, rng=0)
    assert (cell.name, cell.variant, cell.peephole) == ("lstm", "peephole", True)
    assert Lazy("gradsym.symbolic.equations:gru")("minimal").variant == "minimal"


def test_lstm_switches_name_their_variant():
    for variant, (peephole, forget_gate) in LSTM_SWITCHES.items():
        assert lstm_variant(peephole, forget_gate) == variant
    with pytest.raises(InvalidValueError):
        lstm_variant("yes", True)


def _entry(name: str, kind: str = "declared") -> CellEntry:
    return CellEntry(
        name=name,
        kind=kind,
        description="a test cell",
        source="this test",
        variants=("declared",),
        state=("h",),
        equations=lambda variant: None,
    )


@pytest.mark.parametrize("taken", ["lstm", "birnn", "mgu", *PRESETS])
def test_a_declared_cell_never_takes_a_built_in_library_or_preset_name(taken):
    with pytest.raises(InvalidValueError, match="another name"):
        register(_entry(taken))


def test_a_declared_name_is_replaced_only_when_asked():
    first = register(_entry("test_registry_twice"))
    with pytest.raises(InvalidValueError, match="already registered"):
        register(_entry("test_registry_twice"))
    second = register(_entry("test_registry_twice"), replace=True)
    assert get("test_registry_twice") is second is not first
    with pytest.raises(UnknownNameError, match="kind"):
        register(_entry("test_registry_kind", kind="plugin"))


def test_a_cell_declared_once_is_known_everywhere():
    """cell_from_equations registers one entry; symbolic, make_cell and training find it."""
    from gradsym import TrainConfig, cell_from_equations
    from gradsym.numeric.cells.factory import declared_cell_names, make_cell
    from gradsym.symbolic import cell

    declared = cell_from_equations("test_registry_min", "h = tanh(W @ h_prev + U @ x + b)")
    assert get("test_registry_min").kind == "declared"
    assert cell("test_registry_min") is declared.cell
    assert make_cell("test_registry_min", None, 2, 3).hidden_size == 3
    assert "test_registry_min" in declared_cell_names()
    assert TrainConfig(cell="test_registry_min", steps=1).cell_variant == (
        "test_registry_min",
        None,
    )


def test_the_registry_imports_no_sympy_and_no_higher_layer():
    code = (
        "import sys, gradsym.cells as c; c.names(); c.get('lstm');"
        "print(sorted(m for m in sys.modules if m.startswith(('sympy', 'gradsym.'))"
        " and not m.startswith(('gradsym.cells', 'gradsym.lang', 'gradsym.errors',"
        " 'gradsym.validate', 'gradsym.version'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
