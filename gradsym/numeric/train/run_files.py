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
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from gradsym.files import atomic_write_text

__all__ = [
    "CHECKPOINT_FILE",
    "CONFIG_FILE",
    "METRICS_FILE",
    "SUMMARY_FILE",
    "MetricsLog",
    "read_metrics",
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
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class MetricsLog:
    """metrics.jsonl of ``run_dir``, open for appending one JSON record per line.

    ``keep`` is the number of lines to keep from an earlier run (None: start afresh, and
    remove a stale summary.json): the lines logged after the checkpoint a run resumes
    from are dropped, because those steps are replayed.
    """

    def __init__(self, run_dir: Path, keep: int | None):
        path = run_dir / METRICS_FILE
        if keep is None:
            (run_dir / SUMMARY_FILE).unlink(missing_ok=True)
            atomic_write_text(path, "")
        else:
            kept: list[str] = []
            if path.exists():
                with open(path, encoding="utf-8") as f:
                    kept = [line for line in f if line.strip()][:keep]
            atomic_write_text(path, "".join(kept))
        self._file: TextIO | None = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line."""
        self._file.write(json.dumps(record) + "\n")

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
