"""The files of a run folder, and the one place that reads and writes them::

    config.json      the TrainConfig
    metrics.jsonl    one JSON object per logged step: step, loss, grad_norm (before
                     clipping), clipped, lr, and eval_loss / eval_accuracy when evaluated;
                     lyapunov_max, lyapunov_max_se, jacobian_norm and jacobian_norm_lag
                     every ``analysis_every`` steps (λ₁ and ‖∂h⁽ᵀ⁾/∂h⁽ᵀ⁻ˡ⁾‖₂, ℓ = 50);
                     events (a recovery) as lines of their own with an "event" key
    checkpoint.npz   the latest checkpoint (:mod:`gradsym.numeric.train.checkpoint`)
    summary.json     written when the run finishes

config.json, summary.json and checkpoint.npz are replaced atomically
(:func:`gradsym.files.atomic_write`); metrics.jsonl is appended to, and a resumed run
first cuts it back (atomically) to the lines its checkpoint had seen.

The checkpoint knows how many lines of metrics.jsonl it covers and their SHA-256, so a
resumed run checks the log against it (:func:`restore_metrics`): lines logged after the
checkpoint (replayed on resume), a half-written last line, or records glued together
without their newline are repaired exactly (and the repair is proved by the digest); a
log that lost covered lines (truncated, emptied, deleted) or whose covered lines changed
(garbled, edited) stops the resume with one line saying so — the history is never
silently lost.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, TextIO

from gradsym.errors import CheckpointError, OutputError
from gradsym.files import atomic_write_text, open_regular, output_error

__all__ = [
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "METRICS_FILE",
    "SUMMARY_FILE",
    "MetricsLog",
    "metrics_line",
    "read_metrics",
    "restore_metrics",
    "write_config",
    "write_summary",
]

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.npz"
SUMMARY_FILE = "summary.json"


def write_config(run_dir: Path, config_json: str) -> Path:
    """config.json: the run's TrainConfig as JSON text."""
    return atomic_write_text(run_dir / CONFIG_FILE, config_json + "\n")


def write_summary(run_dir: Path, summary: dict[str, Any]) -> Path:
    """summary.json: what a finished run reports."""
    return atomic_write_text(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")


def read_metrics(run_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The records of ``run_dir``/metrics.jsonl, in order."""
    path = Path(run_dir) / METRICS_FILE
    try:
        with open_regular(path) as f:
            text = f.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} cannot be read ({exc})") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            out.append(_record_line(line, lambda what: CheckpointError(f"{path}: {what}"), number))
    return out


def _record_line(line: str, bad, number: int) -> dict[str, Any]:
    """One line of metrics.jsonl as its record, or ``bad(what)`` (an exception) naming the
    line: malformed JSON, a number longer than Python reads (4300 digits), nesting deeper
    than its stack, or something other than an object."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else "not a JSON record"
        raise bad(f"line {number} is {what}") from None
    if not isinstance(record, dict):
        raise bad(f"line {number} holds {type(record).__name__}, not a record")
    return record


def metrics_line(record: dict[str, Any]) -> str:
    """The one line of metrics.jsonl that holds ``record``."""
    return json.dumps(record) + "\n"


def restore_metrics(run_dir: Path, lines: int, sha256: str | None) -> str:
    """The first ``lines`` records of ``run_dir``/metrics.jsonl as the text the run wrote,
    checked against the checkpoint's ``lines`` and ``sha256`` (None: a checkpoint of an
    older version, which only counts). Raises CheckpointError, naming the file and what
    is wrong, when those lines cannot be restored exactly.
    """
    path = run_dir / METRICS_FILE

    def bad(what: str) -> CheckpointError:
        return CheckpointError(
            f"{path}: {what}; the run's history cannot be restored (put back the "
            "metrics.jsonl of this run, or start afresh with --overwrite)"
        )

    try:
        with open_regular(path) as f:  # a FIFO would block the resume
            data = f.read()
    except FileNotFoundError:
        if lines == 0:
            return ""
        raise bad(f"missing, but the checkpoint covers {lines} records") from None
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8 text at byte {exc.start} (garbled)") from exc
    records = _records(text, lines, bad)
    restored = "".join(metrics_line(r) for r in records)
    if sha256 is not None and hashlib.sha256(restored.encode()).hexdigest() != sha256:
        raise bad(
            f"its first {lines} records differ from those the checkpoint covers (garbled or edited)"
        )
    return restored


def _records(text: str, lines: int, bad) -> list[dict[str, Any]]:
    """The first ``lines`` JSON objects of ``text``, read one after another whatever the
    line breaks between them (records glued together are separated)."""
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    pos = 0
    while len(records) < lines:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos == len(text):
            what = "empty" if not records else f"truncated: it holds {len(records)} records"
            raise bad(f"{what}, but the checkpoint covers {lines}")
        try:
            record, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:  # a 5001-digit number, deep nesting
            line = text.count("\n", 0, pos) + 1
            what = "nested too deeply" if isinstance(exc, RecursionError) else "not a JSON record"
            raise bad(
                f"line {line} is {what} (garbled or cut off); the checkpoint covers {lines} records"
            ) from None
        if not isinstance(record, dict):
            line = text.count("\n", 0, pos) + 1
            raise bad(f"line {line} holds {type(record).__name__}, not a record (garbled)")
        records.append(record)
    return records


class MetricsLog:
    """metrics.jsonl of ``run_dir``, open for appending one JSON record per line.

    ``start`` is the text to start from: None starts afresh (and removes a stale
    summary.json), otherwise the log is first replaced by ``start`` — what
    :func:`restore_metrics` recovered for a resumed run, whose steps after the checkpoint
    are replayed. :attr:`lines` and :meth:`sha256` describe what the log holds, for the
    next checkpoint.
    """

    def __init__(self, run_dir: Path, start: str | None):
        path = run_dir / METRICS_FILE
        self._path = path
        if start is None:
            (run_dir / SUMMARY_FILE).unlink(missing_ok=True)
            start = ""
        atomic_write_text(path, start)
        self.lines = start.count("\n")
        self._digest = hashlib.sha256(start.encode())
        try:
            self._file: TextIO | None = open(path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise self._error(exc) from exc

    def _error(self, exc: OSError) -> OutputError:
        return output_error("write", self._path, exc)

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line."""
        line = metrics_line(record)
        try:
            self._file.write(line)
        except OSError as exc:
            raise self._error(exc) from exc
        self.lines += 1
        self._digest.update(line.encode())

    def sha256(self) -> str:
        """The SHA-256 (hex) of every line written so far (the restored start included)."""
        return self._digest.hexdigest()

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            try:
                f.close()
            except OSError as exc:
                raise self._error(exc) from exc
