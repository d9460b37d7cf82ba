"""``gradsym cells [--json]``: every cell gradsym knows, with its equations — the notes'
built-in cells (each variant) and the library of published cells declared by equations."""

from __future__ import annotations

import argparse

from gradsym.cli.options import add_json
from gradsym.cli.output import print_json


def cell_table() -> list[dict]:
    """One row per cell of the registry (:mod:`gradsym.cells`): name, variant, kind
    (built-in / library / re-declared), state, equations (one string per line), title and
    source."""
    from gradsym.cells import entries
    from gradsym.lang.text import notes_text
    from gradsym.symbolic.equations import cell as get_cell

    rows = []
    for entry in entries(["builtin", "connection"]):
        for v in entry.variants:
            c = get_cell(entry.name, v)
            rows.append(
                {
                    "name": entry.name,
                    "variant": v,
                    "kind": "built-in",
                    "state": list(c.outputs),
                    "equations": [f"{s.name} = {notes_text(e)}" for s, e in c.definitions],
                    "title": "",
                    "source": "the lecture notes",
                }
            )
    for entry in entries(["library"]):
        redeclared = entry.redeclares
        rows.append(
            {
                "name": entry.name,
                "variant": "declared",
                "kind": "library"
                if redeclared is None
                else "re-declared {} ({})".format(*redeclared),
                "state": list(entry.state),
                "equations": [ln.strip() for ln in entry.text.strip().splitlines()],
                "title": entry.description if redeclared is None else "",
                "source": entry.source,
            }
        )
    return rows


def cmd_cells(args: argparse.Namespace) -> int:
    rows = cell_table()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        head = f"{r['name']} ({r['variant']}, {r['kind']}; state {', '.join(r['state'])})"
        print(head)
        if r["title"]:
            print(f"    {r['title']}")
        for line in r["equations"]:
            print(f"    {line}")
        if r["kind"] == "library":
            print(f"    source: {r['source']}")
        print()
    return 0


def add_cells_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``cells``."""
    p = subparsers.add_parser(
        "cells",
        help="list the built-in and library cells with their equations",
        description="Every cell gradsym knows, with its equations: the notes' cells (each "
        "variant) and the library of published cells declared by their equations, with "
        "their sources.",
    )
    add_json(p, "the list")
    p.set_defaults(func=cmd_cells)
    return p
