"""Declared cells from files: ``--cell-file mgu.toml`` or ``mgu.txt``.

TOML::

    name = "indrnn"
    state = ["h"]
    description = "Independently recurrent network (Li et al. 2018)"
    equations = '''
    h = relu(w_h * h_prev + W_x @ x + b)
    '''
    [shapes]
    w_h = "n"

Text: the equations, with optional directives in comments — ``# name: indrnn``,
``# state: h, c``, ``# shape w_h: n`` — the name defaulting to the file's stem.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

from gradsym.errors import DeclarationError

from .cell import DeclaredCell, cell_from_equations

_DIRECTIVE = re.compile(r"^\s*#\s*(name|state|shape\s+\w+)\s*:\s*(.+?)\s*$")
_KEYS = {"name", "state", "equations", "shapes", "description", "source"}
#: A cell file larger than this is refused before it is read.
MAX_FILE_BYTES = 1_000_000


def load_cell_file(path: str | Path, register: bool = True) -> DeclaredCell:
    """The declared cell in a .toml or .txt file (DeclarationError, one line, if wrong)."""
    p = Path(path)
    if str(path) == "":
        raise DeclarationError("the cell file is an empty path; give a .toml or .txt file")
    if p.is_dir():
        raise DeclarationError(
            f"cell file {str(p)!r} is a folder; give the .toml or .txt file of the cell"
        )
    if not p.exists():
        raise DeclarationError(f"cell file {str(p)!r} does not exist")
    if not p.is_file():  # a FIFO would block the read, a device never end it
        raise DeclarationError(f"cell file {str(p)!r} is not a regular file")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DeclarationError(
            f"cell file {str(p)!r} is {size} bytes long (at most {MAX_FILE_BYTES}); "
            "a cell is a few equations"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeclarationError(f"cannot read cell file {str(p)!r}: {exc}") from None
    if p.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DeclarationError(f"{p.name}: not valid TOML: {exc}") from None
        extra = sorted(set(data) - _KEYS)
        if extra:
            raise DeclarationError(f"{p.name}: unknown key(s) {', '.join(extra)}")
        if not isinstance(data.get("equations"), str):
            raise DeclarationError(f"{p.name}: 'equations' must be a (multi-line) string")
        state = data.get("state", ["h"])
        shapes = data.get("shapes", {})
        if not isinstance(shapes, dict):
            raise DeclarationError(f"{p.name}: [shapes] must be a table such as w_h = 'n'")
        return _declared(
            p,
            data.get("name", p.stem),
            data["equations"],
            state,
            shapes,
            str(data.get("description", "")),
            str(data.get("source", "")),
            register,
        )
    if p.suffix != ".txt":
        raise DeclarationError(f"a cell file is .toml or .txt, got {p.name!r}")
    name, state, shapes = p.stem, ["h"], {}
    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        if m is None:
            continue
        key, value = m.group(1), m.group(2)
        if key == "name":
            name = value
        elif key == "state":
            state = [s for s in re.split(r"[\s,]+", value) if s]
        else:
            shapes[key.split()[1]] = value
    return _declared(p, name, text, state, shapes, "", "", register)


def _declared(p, name, equations, state, shapes, description, source, register):
    try:
        return cell_from_equations(
            name,
            equations,
            state,
            shapes=shapes,
            description=description,
            source=source,
            register=register,
        )
    except DeclarationError as exc:
        raise DeclarationError(f"{p.name}: {exc}") from None


__all__ = ["load_cell_file"]
