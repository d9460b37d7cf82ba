"""A sweep's specification: which training runs, and what counts as success.

A spec is a TOML file (or the same structure as a dict)::

    name = "classic"
    seeds = 10                        # seeds 0 … 9, or a list such as [0, 3, 7]
    success = "eval_loss / baseline < 0.1"
    x = "length"                      # the report's x axis (default: length)

    [base]                            # TrainConfig fields shared by every run
    task = "adding"
    steps = 1000

    [grid]                            # every combination of these values …
    length = [10, 20, 50, 100, 200]

    [[configurations]]                # … for each named configuration
    label = "tanh RNN, Gaussian init"
    cell = "rnn"
    init = "gaussian"
    panel = "cells"                   # optional: the report's figure has one panel per name

Runs are configurations × grid × seeds. Every key of ``base``, ``grid`` and a
configuration is a field of :class:`~gradsym.numeric.train.config.TrainConfig` (except
``seed``: that is ``seeds``), or ``length`` / ``delay``, which go into ``task_kwargs``;
TOML has no null, so a field that may be None (``clip``, ``init``, …) takes ``"none"``.
A configuration's fields override ``base``, the grid's override both. Without
``[[configurations]]`` there is one, labelled by the task.

Cells declared by their equations are named in ``[[cells]]``, each a cell file (a path
relative to the spec's folder) or the equations inline, and then used by name::

    [[cells]]
    file = "ligru.toml"               # or: name = "ligru", state = ["h"], equations = '''…'''

    [[configurations]]
    label = "Li-GRU"
    cell = "ligru"

The spec's identity and each run's key hold the cell's equations (not the file's path):
another cell under the same name is another run. Every worker declares the cell again
from them before its run.

Each run is a full ``TrainConfig``; its key is the SHA-256 of its canonical JSON, so the
same run has the same key in every sweep (resume finds it by content). The spec's own
identity (:attr:`SweepSpec.digest`) is the SHA-256 of its canonical form, not of the
file's text: comments and layout do not matter, any value does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradsym.cells import registry
from gradsym.errors import GradsymError, InvalidValueError
from gradsym.experiments.criterion import Criterion
from gradsym.numeric.train.config import TrainConfig, build_task, earlier_form
from gradsym.validate import nonnegative_int, positive_int

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Run", "SweepSpec", "load_spec", "run_key"]

# Keys that are the task's arguments rather than TrainConfig fields.
_TASK_KEYS = ("length", "delay")
_TOP_KEYS = ("name", "seeds", "success", "x", "cells", "base", "grid", "configurations")
#: The keys of an inline cell of ``[[cells]]`` (or ``file`` alone).
_CELL_KEYS = ("name", "state", "equations", "shapes")
_CONFIG_META = ("label", "panel")
#: A spec of more runs than this is refused before any run is built (the example sweep
#: has 400; a TrainConfig per run is built and checked when the spec is read).
MAX_RUNS = 100_000
#: A spec file larger than this is refused before it is read.
MAX_SPEC_BYTES = 10_000_000


def _field_names() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(TrainConfig))


def run_key(config: TrainConfig | Mapping[str, Any], cell: Mapping[str, Any] | None = None) -> str:
    """The content hash of a run: SHA-256 of its config's canonical JSON (``config`` a
    TrainConfig or its :meth:`~TrainConfig.to_dict`), fields added later left out at the
    value earlier runs had (:func:`~gradsym.numeric.train.config.earlier_form`: a float64
    run keeps the key it had before runs had a dtype), and for a cell declared by its
    equations the SHA-256 of those (``cell``, its record)."""
    data = earlier_form(config.to_dict() if isinstance(config, TrainConfig) else config)
    if cell is not None:
        data = {**data, "cell_sha256": cell["sha256"]}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Run:
    """One training run of a sweep: its key, configuration label, panel, the value on
    the report's x axis, the seed and the full config (as a plain dict)."""

    key: str
    label: str
    panel: str
    x: Any
    seed: int
    config: dict[str, Any]
    #: The record of a cell declared by its equations (its equations and their SHA-256),
    #: from which a worker declares it; None for a built-in cell.
    cell: dict[str, Any] | None = None

    @property
    def cost(self) -> int:
        """A rough cost for scheduling the longest runs first: steps × sequence length."""
        length = self.config["task_kwargs"].get("length") or self.config["task_kwargs"].get(
            "delay", 1
        )
        return int(self.config["steps"]) * int(length) * int(self.config["hidden"])


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, checked spec: its canonical form, the runs and the criterion."""

    name: str
    seeds: tuple[int, ...]
    success: Criterion
    x: str
    base: dict[str, Any]
    grid: dict[str, list]
    configurations: tuple[dict[str, Any], ...]
    runs: tuple[Run, ...]
    #: The records of the cells of ``[[cells]]`` (equations and SHA-256), in spec order.
    cells: tuple[dict[str, Any], ...] = ()

    def canonical(self) -> dict[str, Any]:
        """The spec as plain JSON data (what :attr:`digest` hashes); a spec without
        ``[[cells]]`` has the canonical form it had before they existed."""
        data = {
            "name": self.name,
            "seeds": list(self.seeds),
            "success": self.success.text,
            "x": self.x,
            "base": self.base,
            "grid": self.grid,
            "configurations": list(self.configurations),
        }
        if self.cells:
            data["cells"] = [dict(c) for c in self.cells]
        return data

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical JSON: equal for equal specs, whatever the file's layout."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def labels(self) -> tuple[str, ...]:
        """The configuration labels in the order of the spec."""
        return tuple(dict.fromkeys(r.label for r in self.runs))


def load_spec(source: str | os.PathLike | Mapping) -> SweepSpec:
    """A :class:`SweepSpec` from a TOML file's path or from the parsed dict.

    Raises InvalidValueError (or UnknownNameError) naming the problem: a file that cannot
    be read or is not TOML, an unknown key or field, an empty grid, no seeds, a criterion
    that names no metric, a value TrainConfig refuses (naming the run), two runs that are
    the same.
    """
    if isinstance(source, Mapping):
        data = dict(source)
        where = "spec"
        folder = Path.cwd()
    else:
        path = Path(source)
        where = str(path)
        if str(source) == "":
            raise InvalidValueError("the sweep spec is an empty path; give a .toml file")
        if path.is_dir():
            raise InvalidValueError(f"sweep spec {where} is a folder; give its .toml file")
        if path.exists() and not path.is_file():  # a FIFO would block the read
            raise InvalidValueError(f"sweep spec {where} is not a regular file")
        if path.is_file() and path.stat().st_size > MAX_SPEC_BYTES:
            raise InvalidValueError(
                f"sweep spec {where} is {path.stat().st_size} bytes long (at most {MAX_SPEC_BYTES})"
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidValueError(f"sweep spec {where} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidValueError(f"sweep spec {where} cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidValueError(f"sweep spec {where} is not valid TOML: {exc}") from None
        folder = path.parent
    return _parse(data, where, folder)


def _cells(value, where: str, folder: Path) -> tuple[dict[str, Any], ...]:
    """Declare (and register) the cells of ``[[cells]]``; their records, in order."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise InvalidValueError(f"{where}: cells must be a non-empty array of tables")
    records = []
    for i, table in enumerate(value):
        at = f"{where} cells[{i}]"
        if not isinstance(table, Mapping):
            raise InvalidValueError(f"{at} must be a table (file = …, or name, state, equations)")
        try:
            if "file" in table:
                if set(table) != {"file"} or not isinstance(table["file"], str):
                    raise InvalidValueError(
                        f'{at}: a cell file is given alone, as a string: file = "cell.toml"'
                    )
                record = registry.declare_from_file(folder / table["file"])
            else:
                extra = sorted(set(table) - set(_CELL_KEYS))
                if extra or not {"name", "equations"} <= set(table):
                    raise InvalidValueError(
                        f'{at}: a cell is file = "…", or name, equations (and state, '
                        f"shapes); got {', '.join(map(repr, sorted(table))) or 'nothing'}"
                    )
                record = registry.declare_from_equations(
                    table["name"],
                    table["equations"],
                    table.get("state", ["h"]),
                    shapes=table.get("shapes"),
                )
        except GradsymError as exc:
            raise InvalidValueError(f"{at}: {exc}") from None
        records.append(record)
    names = [r["name"] for r in records]
    if len(set(names)) != len(names):
        raise InvalidValueError(f"{where}: cells repeat a name: {names}")
    return tuple(records)


def _parse(data: dict, where: str, folder: Path) -> SweepSpec:
    extra = sorted(set(data) - set(_TOP_KEYS))
    if extra:
        raise InvalidValueError(
            f"{where}: unknown key(s) {', '.join(map(repr, extra))}; a spec has "
            f"{', '.join(_TOP_KEYS)}"
        )
    name = data.get("name", "sweep")
    if not isinstance(name, str) or not name:
        raise InvalidValueError(f"{where}: name must be a non-empty string, got {name!r}")
    seeds = _seeds(data.get("seeds", 1), where)
    if "success" not in data:
        raise InvalidValueError(
            f'{where}: no success criterion; add e.g. success = "eval_loss / baseline < 0.1"'
        )
    success = Criterion.parse(data["success"])
    cells = _cells(data.get("cells"), where, folder)  # declared before any run names them
    base = _fields(data.get("base", {}), f"{where} [base]")
    grid = _grid(data.get("grid", {}), where)
    configurations = _configurations(data.get("configurations"), where, base)
    _count_runs(seeds, grid, configurations, where)
    x = data.get("x", "length")
    if not isinstance(x, str) or (x not in _field_names() + _TASK_KEYS):
        raise InvalidValueError(
            f"{where}: x (the report's axis) must be a field of the runs, got {x!r}"
        )
    records = {r["name"]: r for r in cells}
    runs = _runs(name, seeds, base, grid, configurations, x, success, where, records)
    return SweepSpec(name, seeds, success, x, base, grid, configurations, runs, cells)


def _count_runs(seeds, grid: dict[str, list], configurations, where: str) -> None:
    """Refuse a spec of more than MAX_RUNS runs before a single run is built."""
    count = len(seeds) * len(configurations) * math.prod(len(v) for v in grid.values())
    if count > MAX_RUNS:
        points = " × ".join(str(len(v)) for v in grid.values()) or "1"
        raise InvalidValueError(
            f"{where}: the spec describes {count} runs ({len(configurations)} "
            f"configuration(s) × {points} grid point(s) × {len(seeds)} seed(s)); a sweep "
            f"has at most {MAX_RUNS}"
        )


def _seeds(value, where: str) -> tuple[int, ...]:
    if isinstance(value, list):
        if not value:
            raise InvalidValueError(f"{where}: seeds is an empty list; give a count or seeds")
        seeds = tuple(nonnegative_int("seeds[]", s) for s in value)
        if len(set(seeds)) != len(seeds):
            raise InvalidValueError(f"{where}: seeds repeat: {list(seeds)}")
        return seeds
    try:
        count = positive_int("seeds (count)", value)
    except GradsymError as exc:
        raise InvalidValueError(f"{where}: {exc}") from None
    if count > MAX_RUNS:  # before the tuple of seeds is built
        raise InvalidValueError(
            f"{where}: seeds = {count} runs per configuration; a sweep has at most {MAX_RUNS} runs"
        )
    return tuple(range(count))


def _fields(table, where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise InvalidValueError(f"{where} must be a table of fields, got {table!r}")
    known = _field_names()
    for key in table:
        if key == "seed":
            raise InvalidValueError(f"{where}: seed is set by the spec's seeds, not per run")
        if key not in known and key not in _TASK_KEYS:
            raise InvalidValueError(
                f"{where}: unknown field {key!r}; expected a TrainConfig field "
                f"({', '.join(f for f in known if f != 'seed')}) or {' / '.join(_TASK_KEYS)}"
            )
    return dict(table)


def _grid(table, where: str) -> dict[str, list]:
    grid = _fields(table, f"{where} [grid]")
    for key, values in grid.items():
        if not isinstance(values, list):
            raise InvalidValueError(
                f"{where} [grid]: {key} must be a list of values, got {values!r}"
            )
        if not values:
            raise InvalidValueError(f"{where} [grid]: {key} is an empty list (an empty grid)")
    return grid


def _configurations(value, where: str, base: dict) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ({"label": str(base.get("task", TrainConfig.task))},)
    if not isinstance(value, list) or not value:
        raise InvalidValueError(f"{where}: configurations must be a non-empty array of tables")
    out = []
    for i, conf in enumerate(value):
        if not isinstance(conf, Mapping):
            raise InvalidValueError(f"{where}: configurations[{i}] must be a table")
        label = conf.get("label")
        if not isinstance(label, str) or not label:
            raise InvalidValueError(f"{where}: configurations[{i}] needs a label (a string)")
        fields = {k: v for k, v in conf.items() if k not in _CONFIG_META}
        _fields(fields, f"{where} configuration {label!r}")
        panel = conf.get("panel", "")
        if not isinstance(panel, str):
            raise InvalidValueError(f"{where} configuration {label!r}: panel must be a string")
        out.append(dict(conf))
    labels = [c["label"] for c in out]
    if len(set(labels)) != len(labels):
        raise InvalidValueError(f"{where}: configuration labels repeat: {labels}")
    return tuple(out)


def _nullable() -> frozenset[str]:
    """The TrainConfig fields that may be None (TOML has no null: the spec writes "none")."""
    return frozenset(f.name for f in dataclasses.fields(TrainConfig) if "None" in str(f.type))


def _config(fields: dict[str, Any], seed: int) -> TrainConfig:
    nullable = _nullable()
    fields = {
        k: None if k in nullable and isinstance(v, str) and v.lower() == "none" else v
        for k, v in fields.items()
    }
    task_kwargs = dict(fields.pop("task_kwargs", {}) or {})
    for key in _TASK_KEYS:
        if key in fields:
            task_kwargs[key] = fields.pop(key)
    if isinstance(fields.get("truncation"), list):
        fields["truncation"] = tuple(fields["truncation"])
    return TrainConfig(**fields, task_kwargs=task_kwargs, seed=seed)


def _runs(
    name, seeds, base, grid, configurations, x, success, where, cells: dict[str, dict]
) -> tuple[Run, ...]:
    keys = list(grid)
    runs: list[Run] = []
    seen: dict[str, str] = {}
    for conf in configurations:
        label, panel = conf["label"], conf.get("panel", "")
        own = {k: v for k, v in conf.items() if k not in _CONFIG_META}
        for values in itertools.product(*(grid[k] for k in keys)):
            point = dict(zip(keys, values))
            fields = {**base, **own, **point}
            # the label names the grid's values other than the x axis
            extra = ", ".join(f"{k}={v}" for k, v in point.items() if k != x)
            full = f"{label}, {extra}" if extra else label
            for seed in seeds:
                what = f"{where}: run {full!r} seed {seed}"
                try:
                    config = _config(fields, seed)
                except (GradsymError, TypeError) as exc:
                    raise InvalidValueError(f"{what}: {exc}") from None
                _check_metrics(config, success, what)
                data = config.to_dict()
                cell = cells.get(config.cell)
                if cell is None and registry.get(config.cell).kind == "declared":
                    raise InvalidValueError(
                        f"{what}: cell {config.cell!r} is declared outside the spec; name it "
                        "in [[cells]] so that every worker can declare it"
                    )
                key = run_key(data, cell)
                if key in seen:
                    raise InvalidValueError(f"{what} is the same run as {seen[key]}")
                seen[key] = what
                runs.append(Run(key, full, panel, _x_value(config, x), seed, data, cell))
    if not runs:
        raise InvalidValueError(f"{where}: the spec describes no runs (an empty grid)")
    return tuple(runs)


def _x_value(config: TrainConfig, x: str):
    if x in _TASK_KEYS:
        task = build_task(config)
        return getattr(task, x, config.task_kwargs.get(x))
    return getattr(config, x)


def _check_metrics(config: TrainConfig, success: Criterion, what: str) -> None:
    """A criterion reading accuracy needs a task that reports one."""
    if not {"eval_accuracy", "eval_error"} & set(success.names):
        return
    task = build_task(config)
    if task.loss != "xent" and not hasattr(task, "solved_below"):
        raise InvalidValueError(
            f"{what}: the success criterion {success.text!r} reads the accuracy, which task "
            f"{config.task!r} does not report (use eval_loss / baseline)"
        )
