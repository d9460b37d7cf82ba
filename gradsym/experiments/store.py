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

from gradsym.errors import InvalidValueError
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
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # Rollback journal, fully synchronous: a commit is on disk when it returns, and
            # a process killed mid-transaction leaves the database as before that transaction.
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise InvalidValueError(f"{path} is not a gradsym sweep database: {exc}") from None
        return conn

    @classmethod
    def open(cls, folder: str | os.PathLike) -> SweepStore:
        """An existing sweep's database, for reading; InvalidValueError if there is none
        or it is not a gradsym sweep database."""
        path = Path(folder) / DB_FILE
        if not path.is_file():
            raise InvalidValueError(
                f"no sweep database {path} (run `gradsym sweep SPEC --out DIR`)"
            )
        store = cls(path, cls._connect(path))
        store._check_format()
        return store

    @classmethod
    def open_for(
        cls, folder: str | os.PathLike, spec, *, overwrite: bool = False
    ) -> tuple[SweepStore, bool]:
        """The database of ``spec`` in ``folder``: created (every run pending) if absent,
        reopened to resume if it holds the same spec. Returns (store, resumed).

        A database of another spec is refused (InvalidValueError naming both), unless
        ``overwrite``, which deletes it and starts afresh; nothing is ever overwritten
        silently.
        """
        folder = Path(folder)
        path = folder / DB_FILE
        if path.exists() and overwrite:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
        if path.exists():
            store = cls(path, cls._connect(path))
            try:
                store._check_format()
                theirs = store.meta("spec_digest")
                if theirs != spec.digest:
                    other = json.loads(store.meta("spec") or "{}").get("name", "?")
                    raise InvalidValueError(
                        f"{path} holds the results of another spec ({other!r}, digest "
                        f"{theirs[:12]}…; this spec {spec.name!r} is {spec.digest[:12]}…); "
                        "choose another --out folder, or --overwrite to delete those results"
                    )
                store._check_runs(spec)
            except BaseException:
                store.close()
                raise
            return store, True
        tmp = path.with_name(f".{DB_FILE}.{os.getpid()}.creating")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        conn = cls._connect(tmp)
        try:
            with _transaction(conn):
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
        return cls(path, cls._connect(path)), False

    def _check_format(self) -> None:
        try:
            fmt = self.meta("format")
        except sqlite3.DatabaseError as exc:
            raise InvalidValueError(f"{self.path} is not a gradsym sweep database: {exc}") from None
        if fmt != FORMAT:
            raise InvalidValueError(
                f"{self.path} is not a gradsym sweep database of format {FORMAT} (found {fmt!r})"
            )

    def _check_runs(self, spec) -> None:
        """The database's runs are the spec's. With the same spec they differ only when
        gradsym's TrainConfig changed (a new field, say): every run's full config, and so
        its key, is then another; resuming would mix two kinds of runs, so it is refused."""
        have = {
            (label, json.loads(x), seed): json.loads(config)
            for label, x, seed, config in self.conn.execute(
                "SELECT label, x, seed, config FROM runs"
            )
        }
        for run in spec.runs:
            theirs = have.get((run.label, run.x, run.seed))
            if theirs != run.config:
                differ = sorted(
                    k
                    for k in set(run.config) | set(theirs or {})
                    if (theirs or {}).get(k, "<absent>") != run.config.get(k, "<absent>")
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
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def spec_data(self) -> dict[str, Any]:
        """The canonical spec the database was made for."""
        return json.loads(self.meta("spec") or "{}")

    def rows(self, status: str | None = None) -> list[RunRow]:
        """Every run's row (or those with ``status``), in the order the spec lists them."""
        cols = "key, label, panel, x, seed, config, status, " + ", ".join(_FINAL)
        sql = f"SELECT {cols} FROM runs"
        args: tuple = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        out = []
        for row in self.conn.execute(sql + " ORDER BY rowid", args):
            key, label, panel, x, seed, config, st, *final = row
            out.append(
                RunRow(key, label, panel, json.loads(x), seed, json.loads(config), st, *final)
            )
        return out

    def counts(self) -> dict[str, int]:
        """Runs per status."""
        out = {"pending": 0, "done": 0, "failed": 0}
        for st, n in self.conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status"):
            out[st] = n
        return out

    def metrics(self, key: str) -> list[dict[str, Any]]:
        """The logged records of run ``key``, in order (as its metrics.jsonl)."""
        return [
            json.loads(r)
            for (r,) in self.conn.execute(
                "SELECT record FROM metrics WHERE run_key = ? ORDER BY line", (key,)
            )
        ]

    def evaluations(self) -> dict[str, list[dict[str, Any]]]:
        """Every run's evaluation records (those with ``eval_loss``), by run key."""
        out: dict[str, list[dict[str, Any]]] = {}
        for key, record in self.conn.execute(
            "SELECT run_key, record FROM metrics WHERE record LIKE '%\"eval_loss\"%' "
            "ORDER BY run_key, line"
        ):
            out.setdefault(key, []).append(json.loads(record))
        return out

    # -- writing -----------------------------------------------------------------------

    def record(self, key: str, result: dict[str, Any]) -> bool:
        """Write a finished run (``result`` from :func:`~gradsym.experiments.runner.run_one`)
        and its metrics in one transaction. Returns False (and writes nothing) if the run
        is already finished or not in this sweep."""
        with _transaction(self.conn):
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
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
