"""Training checkpoints: one ``.npz`` file, written atomically, read back without pickle.

Layout of the file (``numpy.savez``; every entry a plain array, so it loads with
``allow_pickle=False``)::

    meta                 0-d unicode array: the JSON metadata below
    param/<name>         every network parameter, flat names ("param/cell.W_f")
    opt/<name>/<slot>    every optimiser state array ("opt/cell.W_f/exp_avg")

Metadata: ``format`` (= :data:`FORMAT`), ``version`` (= :data:`VERSION`), ``step``, ``lr``,
``config`` (the run's :class:`~gradsym.numeric.train.config.TrainConfig` as a dict),
``optimiser`` (type, hyperparameters, step count and which slots each parameter has),
``rng_state`` (the training-data generator's ``bit_generator.state``), ``recoveries``
(the recovery log), ``metrics_lines`` (how many lines metrics.jsonl had, so that a
resumed run drops what was logged after the checkpoint), ``metrics_sha256`` (the SHA-256
of those lines, so that a resumed run can tell an intact log from a damaged one; absent in
files of older gradsym versions), ``params`` (the parameter names, in order), ``dtype``
("float64" or "float32": the type of every parameter and optimiser array; absent in files
of older gradsym versions, which were all float64) and, for a cell declared by its
equations, ``cell``: its name, equations as written, state, shapes and the SHA-256 of
their canonical form (absent for built-in cells and in files of older versions), so that
a run is never resumed with another cell of the same name.

A checkpoint is only ever taken from a finite state, at a step >= 0, with every array
in the dtype its metadata and its configuration name: a file that says otherwise is
damaged and refused (:class:`~gradsym.errors.CheckpointError`), never
"recovered" into.

Written with the one atomic writer, :func:`gradsym.files.atomic_write` (temporary file in
the same folder, fsync, rename, fsync of the folder): a crash (or an error) while writing
leaves the previous checkpoint intact and no partial file behind.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradsym.cells import registry
from gradsym.errors import CheckpointError, GradsymError
from gradsym.files import atomic_write, open_regular
from gradsym.numeric.cells.factory import declared_cell_record

__all__ = ["FORMAT", "VERSION", "Checkpoint", "load_checkpoint", "save_checkpoint"]

#: The format tag every gradsym checkpoint carries.
FORMAT = "gradsym-training-checkpoint"
#: Bumped whenever the layout changes; a file of another version is refused.
VERSION = 1
#: The dtypes a checkpoint's arrays may have (all of them the same one).
DTYPES = ("float64", "float32")

_META_KEYS = ("format", "version", "step", "lr", "config", "optimiser", "rng_state", "params")


@dataclass
class Checkpoint:
    """What a checkpoint holds (see the module docstring)."""

    step: int
    lr: float
    config: dict[str, Any]
    params: dict[str, np.ndarray]
    optimiser: dict[str, Any]
    rng_state: dict[str, Any]
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    metrics_lines: int = 0
    metrics_sha256: str | None = None
    path: Path | None = None
    cell: dict[str, Any] | None = None

    @property
    def dtype(self) -> str:
        """The dtype of the parameters ("float64" when there are none)."""
        kinds = {str(np.asarray(v).dtype) for v in self.params.values()}
        if len(kinds) > 1:
            raise CheckpointError(f"a checkpoint's parameters have one dtype, got {sorted(kinds)}")
        return kinds.pop() if kinds else "float64"


def save_checkpoint(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` atomically (:func:`gradsym.files.atomic_write`); returns
    the path. ``ckpt.optimiser`` is an optimiser's ``state_dict()``."""
    path = Path(path)
    opt = ckpt.optimiser
    arrays: dict[str, np.ndarray] = {}
    for name, value in ckpt.params.items():
        arrays[f"param/{name}"] = np.asarray(value)
    slots: dict[str, list[str]] = {}
    for name, state in opt["state"].items():
        slots[name] = sorted(state)
        for slot, value in state.items():
            arrays[f"opt/{name}/{slot}"] = np.asarray(value)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "step": int(ckpt.step),
        "lr": float(ckpt.lr),
        "config": ckpt.config,
        "optimiser": {
            "type": opt["type"],
            "hyper": opt["hyper"],
            "steps": int(opt["steps"]),
            "slots": slots,
        },
        "rng_state": ckpt.rng_state,
        "recoveries": ckpt.recoveries,
        "metrics_lines": int(ckpt.metrics_lines),
        "metrics_sha256": ckpt.metrics_sha256,
        "params": list(ckpt.params),
        "dtype": ckpt.dtype,
    }
    if ckpt.cell is not None:
        meta["cell"] = ckpt.cell
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def declare_recorded_cell(ckpt: Checkpoint, path: str | os.PathLike) -> None:
    """Make the cell a checkpoint was trained with buildable, for resuming or analysing it:
    a cell declared by its equations is declared again from the equations the run recorded
    when none of its name is registered; one registered under its name must be the same
    cell (the SHA-256 of its equations), or a CheckpointError says how the two differ — a
    run is never continued, or analysed, with another cell of the same name."""
    recorded = ckpt.cell
    if recorded is None:  # a built-in cell
        return
    name = recorded["name"]
    current = declared_cell_record(name)
    if current is None:  # not declared in this process: from the equations the run recorded
        try:
            registry.declare_recorded(recorded)
        except GradsymError as exc:
            raise CheckpointError(f"checkpoint {path}: {exc}") from None
        return
    if current["sha256"] != recorded["sha256"]:
        raise CheckpointError(
            f"checkpoint {path} was trained with another cell named {name!r} (equations "
            f"{_first_equation(recorded)} …, sha256 {recorded['sha256'][:12]}; now "
            f"{_first_equation(current)} …, {current['sha256'][:12]}); use the run's own "
            "cell file, or none to use the equations the run recorded"
        )


def _first_equation(record: dict) -> str:
    lines = [ln.strip() for ln in str(record.get("equations", "")).splitlines()]
    first = next((ln for ln in lines if ln and not ln.startswith("#")), "")
    return repr(first[:50])


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        CheckpointError: the file is missing or unreadable, not a zip/npz archive
            (corrupt or truncated), lacks the metadata, carries another format tag or
            version, or misses an array the metadata lists. The message names the file.
    """
    path = Path(path)

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {path}: {what}")

    # The file is opened here, not by np.load, so that it is closed on every path (np.load
    # leaks its handle when the zip directory is unreadable).
    try:
        fh = open_regular(path)  # a FIFO named checkpoint.npz must not block --resume
    except FileNotFoundError:
        raise bad("no such file") from None
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or exc})") from exc
    with fh:
        try:
            archive = np.load(fh, allow_pickle=False)
        except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise bad(f"not a gradsym checkpoint (not a readable .npz archive: {exc})") from exc
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise bad("not a gradsym checkpoint (a single .npy array, not an .npz archive)")
        with archive:
            meta, params, opt_meta, state = _read(archive, bad)
    optimiser = {
        "type": opt_meta["type"],
        "hyper": opt_meta["hyper"],
        "steps": opt_meta["steps"],
        "state": state,
    }
    _check_values(meta, params, bad)
    _check_dtypes(meta, params, state, bad)
    return Checkpoint(
        step=int(meta["step"]),
        lr=float(meta["lr"]),
        config=meta["config"],
        params=params,
        optimiser=optimiser,
        rng_state=meta["rng_state"],
        recoveries=list(meta.get("recoveries", [])),
        metrics_lines=int(meta.get("metrics_lines", 0)),
        metrics_sha256=meta.get("metrics_sha256"),
        path=path,
        cell=meta.get("cell"),
    )


def _whole(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check_values(meta: dict, params: dict[str, np.ndarray], bad) -> None:
    """The values a checkpoint can only have if it was written by a healthy run."""
    if not _whole(meta["step"], 0):
        raise bad(f"step must be an integer >= 0, got {meta['step']!r}")
    lr = meta["lr"]
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not (0 < lr < float("inf")):
        raise bad(f"learning rate must be a positive finite number, got {lr!r}")
    if not _whole(meta.get("metrics_lines", 0), 0):
        raise bad(f"metrics_lines must be an integer >= 0, got {meta.get('metrics_lines')!r}")
    digest = meta.get("metrics_sha256")
    if digest is not None and not (
        isinstance(digest, str) and len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    ):
        raise bad(f"metrics_sha256 must be 64 hex digits, got {digest!r}")
    if not isinstance(meta.get("recoveries", []), list):
        raise bad("recoveries must be a list")
    cell = meta.get("cell")
    if cell is not None and not (
        isinstance(cell, dict) and isinstance(cell.get("name"), str)
        and isinstance(cell.get("sha256"), str)
    ):  # fmt: skip
        raise bad("the recorded cell must be a record with a name and a sha256")
    for name, value in params.items():
        if value.dtype.kind != "f":
            raise bad(f"parameter {name!r} must be real numbers, got dtype {value.dtype}")
        if not np.isfinite(value).all():
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
            raise bad(
                f"parameter {name!r} holds {value[where]} at {list(where)}: a checkpoint is "
                "only taken from a finite state, so this file is damaged"
            )


def _check_dtypes(meta: dict, params: dict, state: dict, bad) -> None:
    """Every array in the one dtype the file names, and the configuration's dtype the same
    (files without the key are from before float32 runs: float64)."""
    dtype = meta.get("dtype", "float64")
    if dtype not in DTYPES:
        raise bad(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    config = meta["config"]
    said = config.get("dtype", "float64") if isinstance(config, dict) else dtype
    if said != dtype:
        raise bad(f"its configuration says dtype {said!r} but its arrays are {dtype}")
    arrays = [(f"parameter {k!r}", v) for k, v in params.items()]
    arrays += [
        (f"optimiser state {k}/{s}", v) for k, slots in state.items() for s, v in slots.items()
    ]
    for what, value in arrays:  # (arrays of no real type are refused by their own checks)
        if value.dtype.kind == "f" and value.dtype != dtype:
            raise bad(
                f"{what} must have dtype {dtype}, as every array of this checkpoint, got "
                f"{value.dtype}"
            )


def _read(archive, bad):
    """(meta, params, optimiser metadata, optimiser state arrays) of an open archive."""
    try:
        names = set(archive.files)
        if "meta" not in names:
            raise bad("not a gradsym checkpoint (no 'meta' entry)")
        meta = json.loads(str(archive["meta"][()]))
        if not isinstance(meta, dict):
            raise bad("not a gradsym checkpoint (metadata is not a JSON object)")
        if meta.get("format") != FORMAT:
            raise bad(
                f"foreign format {meta.get('format')!r}; expected {FORMAT!r} "
                "(written by another program)"
            )
        if meta.get("version") != VERSION:
            raise bad(
                f"format version {meta.get('version')!r}, this gradsym reads version {VERSION}"
            )
        missing = [k for k in _META_KEYS if k not in meta]
        if missing:
            raise bad(f"metadata lacks {', '.join(missing)}")
        params = {}
        for name in meta["params"]:
            key = f"param/{name}"
            if key not in names:
                raise bad(f"parameter {name!r} is listed but missing (truncated file?)")
            params[name] = archive[key]
        opt_meta = meta["optimiser"]
        state: dict[str, dict[str, np.ndarray]] = {}
        for name, slot_names in opt_meta["slots"].items():
            state[name] = {}
            for slot in slot_names:
                key = f"opt/{name}/{slot}"
                if key not in names:
                    raise bad(f"optimiser state {key!r} is listed but missing")
                state[name][slot] = archive[key]
    except CheckpointError:
        raise
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, KeyError, TypeError) as exc:
        raise bad(f"corrupt or truncated ({type(exc).__name__}: {str(exc)[:200]})") from exc
    except RecursionError:  # metadata nested deeper than any checkpoint writes it
        raise bad("corrupt (its metadata is nested too deeply)") from None
    return meta, params, opt_meta, state
