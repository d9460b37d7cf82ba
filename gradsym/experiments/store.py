"""A sweep's results in SQLite (``DIR/sweep.db``, the standard library's :mod:`sqlite3`).

Tables::

    meta     (key, value)             format, spec (canonical JSON), spec_digest, gradsym
    runs     one row per run:         key (content hash of its config), label, panel, x,
                                      seed, config (JSON), status pending | done | failed,
                                      final metrics (step, train_loss, eval_loss,
                                      eval_accuracy, baseline, recoveries), params_sha256
                                      (of the final parameters), error, seconds, host,
                                      worker, finished_at
    metrics  the logged records:      run_key, line, step, record (JSON, as metrics.jsonl)

Every run of the spec gets its row (``pending``) when the database is created, in one
transaction; a finished run's row and its metrics are written in one transaction, so a
driver killed at any moment leaves every row either pending (it will run again) or
complete. A row that is already finished is never written again (resume and a result
that arrives twice change nothing).

One writer at a time: a driver holds an exclusive lock on ``sweep.db.lock`` while it
writes (POSIX ``flock``, released by the kernel when the process dies).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradsym.errors import GradsymError, InvalidValueError, OutputError
from gradsym.files import output_error
from gradsym.numeric.train.config import earlier_form
from gradsym.version import __version__

if TYPE_CHECKING:  # for type checkers only: not a runtime dependency
    from typing_extensions import Self

__all__ = ["DB_FILE", "FORMAT", "RunRow", "SweepStore"]

DB_FILE = "sweep.db"
FORMAT = "gradsym-sweep-1"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    panel TEXT NOT NULL,
    x TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    step INTEGER,
    train_loss REAL,
    eval_loss REAL,
    eval_accuracy REAL,
    baseline REAL,
    recoveries INTEGER,
    params_sha256 TEXT,
    error TEXT,
    seconds REAL,
    host TEXT,
    worker TEXT,
    finished_at TEXT
);
CREATE TABLE metrics (
    run_key TEXT NOT NULL REFERENCES runs(key),
    line INTEGER NOT NULL,
    step INTEGER,
    record TEXT NOT NULL,
    PRIMARY KEY (run_key, line)
);
"""

_FINAL = (
    "step",
    "train_loss",
    "eval_loss",
    "eval_accuracy",
    "baseline",
    "recoveries",
    "params_sha256",
    "error",
    "seconds",
    "host",
    "worker",
    "finished_at",
)


@dataclass(frozen=True)
class RunRow:
    """One row of ``runs``; ``config`` parsed, ``x`` the report's x value (JSON-decoded)."""

    key: str
    label: str
    panel: str
    x: Any
    seed: int
    config: dict[str, Any]
    status: str
    step: int | None
    train_loss: float | None
    eval_loss: float | None
    eval_accuracy: float | None
    baseline: float | None
    recoveries: int | None
    params_sha256: str | None
    error: str | None
    seconds: float | None
    host: str | None
    worker: str | None
    finished_at: str | None


class SweepStore:
    """The database of one sweep folder. Open with :meth:`create` (a new sweep),
    :meth:`open_for` (create or resume the sweep of a spec) or :meth:`open` (read)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn

    # -- opening -----------------------------------------------------------------------

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # A short wait while opening: a database another process holds locked is said to
        # be locked at once, not after SQLite's default wait (30 s here before).
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=LOCK_WAIT)
        except sqlite3.Error as exc:  # a missing folder, no permission
            raise InvalidValueError(f"cannot open the sweep database {path}: {exc}") from None
        try:
            with _sqlite_errors(path):
                conn.execute("PRAGMA foreign_keys = ON")
                # Rollback journal, fully synchronous: a commit is on disk when it returns,
                # and a process killed mid-transaction leaves the database as before that
                # transaction.
                conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    @classmethod
    def open(cls, folder: str | os.PathLike) -> SweepStore:
        """An existing sweep's database, for reading; InvalidValueError if there is none,
        it is not a gradsym sweep database, it is damaged (naming what) or another process
        holds it locked."""
        if os.fspath(folder) == "":
            raise InvalidValueError("the sweep folder is an empty path; give a folder name")
        path = Path(folder) / DB_FILE
        if not path.is_file():
            raise InvalidValueError(
                f"no sweep database {path} (run `gradsym sweep SPEC --out DIR`)"
            )
        store = cls(path, cls._connect(path))
        try:
            store._check_format()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open_for(
        cls, folder: str | os.PathLike, spec, *, overwrite: bool = False
    ) -> tuple[SweepStore, bool]:
        """The database of ``spec`` in ``folder``: created (every run pending) if absent,
        reopened to resume if it holds the same spec. Returns (store, resumed).

        A spec that grew — more seeds, grid values or configurations, every run of the
        database still one of its runs (runs are keyed by content) — takes the database
        over: its new runs are added as pending, the finished ones are kept, and the
        database records the new spec. A database holding runs the spec no longer has is
        refused (InvalidValueError naming both specs), unless ``overwrite``, which deletes
        it and starts afresh; nothing is ever overwritten silently.
        """
        folder = Path(folder)
        path = folder / DB_FILE
        if path.exists() and overwrite:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
        if path.exists():
            if not path.is_file():
                raise InvalidValueError(f"{path} is not a regular file")
            store = cls(path, cls._connect(path))
            try:
                store._check_format()
                # the driver writes: wait for a reader (a report) as long as SQLite's default
                store.conn.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
                theirs = store.meta("spec_digest")
                if theirs != spec.digest:
                    store._grow(spec)
                store._check_runs(spec)
            except BaseException:
                store.close()
                raise
            return store, True
        tmp = path.with_name(f".{DB_FILE}.{os.getpid()}.creating")
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            conn = cls._connect(tmp)
            try:
                with _sqlite_errors(path), _transaction(conn):
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    meta = {
                        "format": FORMAT,
                        "spec": json.dumps(spec.canonical(), sort_keys=True),
                        "spec_digest": spec.digest,
                        "gradsym": __version__,
                    }
                    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
                    conn.executemany(
                        "INSERT INTO runs (key, label, panel, x, seed, config, status) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                        [_run_values(r) for r in spec.runs],
                    )
            finally:
                conn.close()
            # Created whole, then renamed into place: a half-created database never exists.
            os.replace(tmp, path)
        except BaseException as exc:  # a full disk, Ctrl-C: no temporary database is left
            for leftover in (tmp, Path(f"{tmp}-journal")):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
            if isinstance(exc, OSError) and not isinstance(exc, GradsymError):
                raise output_error("write", path, exc) from exc
            raise
        store = cls(path, cls._connect(path))
        store.conn.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
        return store, False

    def _check_format(self) -> None:
        """A gradsym sweep database of this format, with every table and column whole
        (InvalidValueError naming what is damaged and how to recover)."""
        with _sqlite_errors(self.path):
            tables = {
                name
                for (name,) in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            }
        if "meta" not in tables:
            if not tables & set(_COLUMNS):
                raise InvalidValueError(f"{self.path} is not a gradsym sweep database")
            raise _damaged(self.path, "its table 'meta' is missing")
        with _sqlite_errors(self.path):
            fmt = self.meta("format")
        if fmt != FORMAT:
            raise InvalidValueError(
                f"{self.path} is not a gradsym sweep database of format {FORMAT} (found {fmt!r})"
            )
        for table, columns in _COLUMNS.items():
            if table not in tables:
                raise _damaged(self.path, f"its table {table!r} is missing")
            with _sqlite_errors(self.path):
                have = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            missing = [c for c in columns if c not in have]
            if missing:
                raise _damaged(self.path, f"table {table!r} has lost its column {missing[0]!r}")
        for key in ("spec", "spec_digest"):
            if not isinstance(self.meta(key), str):
                raise _damaged(self.path, f"meta has no {key!r}")
        self.spec_data()  # parses, or names the damage

    def _grow(self, spec) -> None:
        """Make this database the sweep of ``spec``, a spec that grew from the one it holds
        (see :meth:`open_for`): the runs it adds go in as pending, the runs it keeps take
        its labels, and the meta its spec, in one transaction. InvalidValueError if the
        database holds runs that ``spec`` does not have."""
        rows = self.rows()
        mine = {run.key: run for run in spec.runs}
        dropped = [row for row in rows if row.key not in mine]
        if dropped:
            data, digest = self.spec_data(), self.meta("spec_digest")
            first = dropped[0]
            raise InvalidValueError(
                f"{self.path} holds the results of another spec ({data.get('name', '?')!r}, "
                f"digest {digest[:12]}…; this spec {spec.name!r} is {spec.digest[:12]}…): "
                f"{len(dropped)} of its {len(rows)} runs (the first: {first.label!r} seed "
                f"{first.seed}) are not runs of this spec, and a spec may only grow into a "
                "folder (more seeds, grid values or configurations); choose another --out "
                "folder, or --overwrite to delete those results"
            )
        have = {row.key for row in rows}
        with _sqlite_errors(self.path), _transaction(self.conn):
            self.conn.executemany(
                "INSERT INTO runs (key, label, panel, x, seed, config, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                [_run_values(run) for run in spec.runs if run.key not in have],
            )
            self.conn.executemany(
                "UPDATE runs SET label = ?, panel = ?, x = ? WHERE key = ?",
                [
                    (run.label, run.panel, json.dumps(run.x), run.key)
                    for run in spec.runs
                    if run.key in have
                ],
            )
            spec_text = json.dumps(spec.canonical(), sort_keys=True)
            self.conn.executemany(
                "UPDATE meta SET value = ? WHERE key = ?",
                [(spec_text, "spec"), (spec.digest, "spec_digest")],
            )

    def _check_runs(self, spec) -> None:
        """The database's runs are the spec's. With the same spec they differ only when
        gradsym's TrainConfig changed (a new field, say): every run's full config, and so
        its key, is then another; resuming would mix two kinds of runs, so it is refused."""
        have = {
            (row.label, _hashable(row.x), row.seed): earlier_form(row.config) for row in self.rows()
        }
        for run in spec.runs:
            theirs = have.get((run.label, _hashable(run.x), run.seed))
            mine = earlier_form(run.config)  # a field added since, at its earlier value
            if theirs != mine:
                differ = sorted(
                    k
                    for k in set(mine) | set(theirs or {})
                    if (theirs or {}).get(k, "<absent>") != mine.get(k, "<absent>")
                )
                raise InvalidValueError(
                    f"{self.path} was written for the same spec by another version of "
                    f"gradsym (run {run.label!r} seed {run.seed}: its config differs in "
                    f"{', '.join(differ) or 'the runs it has'}); report it as it is, or "
                    "run the sweep into another --out folder"
                )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with _sqlite_errors(self.path):
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def spec_data(self) -> dict[str, Any]:
        """The canonical spec the database was made for."""
        spec = _json(self.path, self.meta("spec") or "{}", "meta 'spec'")
        if not isinstance(spec, dict):
            raise _damaged(self.path, "meta 'spec' is not a table of the spec")
        return spec

    def rows(self, status: str | None = None) -> list[RunRow]:
        """Every run's row (or those with ``status``), in the order the spec lists them."""
        cols = "key, label, panel, x, seed, config, status, " + ", ".join(_FINAL)
        sql = f"SELECT {cols} FROM runs"
        args: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        out = []
        with _sqlite_errors(self.path):
            found = self.conn.execute(sql + " ORDER BY rowid", args).fetchall()
        for n, row in enumerate(found, 1):
            out.append(_run_row(self.path, n, row))
        return out

    def counts(self) -> dict[str, int]:
        """Runs per status."""
        out = {"pending": 0, "done": 0, "failed": 0}
        with _sqlite_errors(self.path):
            found = self.conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status")
            for st, n in found.fetchall():
                if st not in out:
                    raise _damaged(self.path, f"a run has the status {st!r}")
                out[st] = n
        return out

    def metrics(self, key: str) -> list[dict[str, Any]]:
        """The logged records of run ``key``, in order (as its metrics.jsonl)."""
        with _sqlite_errors(self.path):
            found = self.conn.execute(
                "SELECT record FROM metrics WHERE run_key = ? ORDER BY line", (key,)
            ).fetchall()
        return [_record(self.path, r) for (r,) in found]

    def evaluations(self) -> dict[str, list[dict[str, Any]]]:
        """Every run's evaluation records (those with ``eval_loss``), by run key."""
        out: dict[str, list[dict[str, Any]]] = {}
        with _sqlite_errors(self.path):
            found = self.conn.execute(
                "SELECT run_key, record FROM metrics WHERE record LIKE '%\"eval_loss\"%' "
                "ORDER BY run_key, line"
            ).fetchall()
        for key, record in found:
            out.setdefault(key, []).append(_record(self.path, record))
        return out

    # -- writing -----------------------------------------------------------------------

    def record(self, key: str, result: dict[str, Any]) -> bool:
        """Write a finished run (``result`` from :func:`~gradsym.experiments.runner.run_one`)
        and its metrics in one transaction. Returns False (and writes nothing) if the run
        is already finished or not in this sweep."""
        with _sqlite_errors(self.path), _transaction(self.conn):
            row = self.conn.execute("SELECT status FROM runs WHERE key = ?", (key,)).fetchone()
            if row is None or row[0] != "pending":
                return False
            self.conn.execute(
                "UPDATE runs SET status = ?, "
                + ", ".join(f"{c} = ?" for c in _FINAL)
                + " WHERE key = ?",
                (result["status"], *(result.get(c) for c in _FINAL), key),
            )
            self.conn.execute("DELETE FROM metrics WHERE run_key = ?", (key,))
            self.conn.executemany(
                "INSERT INTO metrics (run_key, line, step, record) VALUES (?, ?, ?, ?)",
                [
                    (key, i, rec.get("step"), json.dumps(rec, sort_keys=True))
                    for i, rec in enumerate(result.get("history", []))
                ],
            )
        return True


def _hashable(x):
    return tuple(x) if isinstance(x, list) else x


#: Seconds a connection waits for another process's lock while opening, and while the
#: driver writes (a report may be reading).
LOCK_WAIT = 2.0
WRITE_WAIT = 30.0

# Every table's columns, from the schema: what a whole database has.
_COLUMNS = {
    "meta": ("key", "value"),
    "runs": (
        "key",
        "label",
        "panel",
        "x",
        "seed",
        "config",
        "status",
        *_FINAL,
    ),
    "metrics": ("run_key", "line", "step", "record"),
}
# The types each column of ``runs`` may hold (SQLite stores any value in any column).
_TYPES = {
    "key": (str,),
    "label": (str,),
    "panel": (str,),
    "seed": (int,),
    "status": (str,),
    "step": (int, type(None)),
    "train_loss": (float, int, type(None)),
    "eval_loss": (float, int, type(None)),
    "eval_accuracy": (float, int, type(None)),
    "baseline": (float, int, type(None)),
    "recoveries": (int, type(None)),
    "params_sha256": (str, type(None)),
    "error": (str, type(None)),
    "seconds": (float, int, type(None)),
    "host": (str, type(None)),
    "worker": (str, type(None)),
    "finished_at": (str, type(None)),
}
_RECOVER = (
    "restore sweep.db from a copy, or run the spec into another --out folder "
    "(--overwrite deletes these results and starts afresh)"
)


def _damaged(path: Path, what: str) -> InvalidValueError:
    return InvalidValueError(f"the sweep database {path} is damaged: {what}; {_RECOVER}")


def _json(path: Path, text, where: str):
    if not isinstance(text, str):
        raise _damaged(path, f"{where} is not JSON text (found {type(text).__name__})")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise _damaged(path, f"{where} is not valid JSON ({text[:40]!r})") from None


def _record(path: Path, text) -> dict[str, Any]:
    record = _json(path, text, "a record of the metrics table")
    if not isinstance(record, dict):
        raise _damaged(path, f"a record of the metrics table is not an object ({text[:40]!r})")
    return record


def _run_row(path: Path, n: int, row: tuple) -> RunRow:
    """Row ``n`` of ``runs`` checked value by value (SQLite keeps text in a REAL column)."""
    key, label, panel, x, seed, config, status, *final = row
    values = dict(
        zip(
            ("key", "label", "panel", "seed", "status", *_FINAL),
            (key, label, panel, seed, status, *final),
        )
    )
    for column, value in values.items():
        if not isinstance(value, _TYPES[column]) or isinstance(value, bool):
            raise _damaged(
                path, f"run {n} has {value!r:.40} in the column {column!r} of table 'runs'"
            )
    if status not in ("pending", "done", "failed"):
        raise _damaged(path, f"run {n} has the status {status!r}")
    config = _json(path, config, f"the config of run {n}")
    if not isinstance(config, dict):
        raise _damaged(path, f"the config of run {n} is not a table of fields")
    return RunRow(
        key, label, panel, _json(path, x, f"the x value of run {n}"), seed, config, status, *final
    )


def _lock_holder(path: Path) -> str:
    """`` (pid N, its command name)`` of a process holding a POSIX lock on ``path`` (Linux's
    /proc/locks, where SQLite's locks show), or nothing."""
    try:
        inode = os.stat(path).st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        # 1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF
        if len(fields) >= 6 and fields[5].rsplit(":", 1)[-1] == str(inode):
            pid = fields[4]
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                name = ""
            return f" (pid {pid}{', ' + name if name else ''})"
    return ""


@contextlib.contextmanager
def _sqlite_errors(path: Path) -> Iterator[None]:
    """SQLite's errors about ``path`` as one-line gradsym errors: locked by another
    process, a file that is not a database, a missing table or column (damage), a full
    disk."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise InvalidValueError(
                f"{path} is locked by another process{_lock_holder(path)}; wait for it to "
                "finish and try again"
            ) from None
        if "disk is full" in text:
            raise OutputError(f"cannot write {str(path)!r}: no space left on the device") from None
        if "disk I/O error" in text:
            raise OutputError(f"cannot write {str(path)!r}: {text}") from None
        if text.startswith(("no such table", "no such column")):
            raise _damaged(path, text) from None
        raise _damaged(path, f"SQLite says: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise InvalidValueError(f"{path} is not a gradsym sweep database: {exc}") from None


def _run_values(run) -> tuple:
    return (
        run.key,
        run.label,
        run.panel,
        json.dumps(run.x),
        run.seed,
        json.dumps(run.config, sort_keys=True),
    )


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (Ctrl-C too)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        # SQLite may have rolled back already (a full disk): the first error is the news
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
