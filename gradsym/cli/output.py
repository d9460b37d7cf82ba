"""Where a command's words go: its results on stdout (as text, or as one JSON document
under ``--json``), its progress on stdout too, or on stderr under ``--json`` so that
stdout stays one document a program can read."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

from gradsym.cli.ascii_output import can_encode

__all__ = ["jsonable", "print_json", "progress_stream", "written"]


def jsonable(value: Any) -> Any:
    """``value`` in JSON's types: NumPy arrays and scalars as lists and numbers, paths
    and anything else (a SymPy expression) as text, non-finite numbers as the strings
    "nan", "inf", "-inf" (JSON has none)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(float(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a NumPy array or scalar
        return jsonable(value.tolist())
    return str(value)


def print_json(data: Any) -> None:
    """Print ``data`` as one indented JSON document on stdout (Unicode kept where stdout
    can encode it, ``\\u`` escapes where it cannot)."""
    print(json.dumps(jsonable(data), ensure_ascii=not can_encode(sys.stdout), indent=2))


def progress_stream(args: argparse.Namespace) -> TextIO:
    """Where a command reports what it is doing: stdout, or stderr under ``--json``."""
    return sys.stderr if getattr(args, "json", False) else sys.stdout


def written(paths: list[Path]) -> list[str]:
    """The written files, as the strings ``--json`` lists."""
    return [str(p) for p in paths]
