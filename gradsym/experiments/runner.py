"""One run of a sweep, as a worker executes it: :func:`run_one`.

The run is exactly ``Trainer(TrainConfig.from_dict(config)).run()``, the loop of
``gradsym train``, so a sweep's numbers are those of the same runs done one by one
(bitwise, on the same machine with the same BLAS threading: Dask's nanny starts every
worker with one BLAS thread). Nothing here touches the database: the worker returns
plain data and the driver writes it.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import os
import socket
import time
import traceback
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["NOT_RUN", "params_digest", "run_one"]


def params_digest(params: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the parameters: names in sorted order, each name's bytes, dtype, shape and
    C-ordered data. Equal digests mean bitwise equal parameters."""
    h = hashlib.sha256()
    for name in sorted(params):
        a = np.ascontiguousarray(params[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _finite(x) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


#: The start of the ``error`` of a run that failed for another reason than its training
#: diverging (out of memory on the worker, a config the worker's gradsym refuses): not a
#: trial of the configuration, so the report does not count it as an unsuccessful one.
NOT_RUN = "could not run: "


def _error(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({os.path.basename(last.filename)}:{last.lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}"[:2000] + where


def _finish(out: dict[str, Any], start: float) -> dict[str, Any]:
    out["seconds"] = time.perf_counter() - start
    out["host"] = socket.gethostname()
    out["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    out["finished_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return out


def _declare(cell: Mapping[str, Any]) -> None:
    """Register the declared cell of a run's record in this worker, unless the very same
    cell (its equations' SHA-256) is registered already."""
    from gradsym.cells import registry
    from gradsym.numeric.cells.factory import declared_cell_record

    current = declared_cell_record(cell["name"])
    if current is None or current["sha256"] != cell["sha256"]:
        registry.declare_recorded(dict(cell))


def run_one(config: Mapping[str, Any], cell: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train ``config`` (a TrainConfig as a dict; ``cell`` the record of the cell declared
    by its equations it trains, declared here first unless this process has it) and
    return the result as plain data:
    status ("done", or "failed" with ``error``: its training diverged past its recoveries,
    or, the error starting with :data:`NOT_RUN`, it could not be run at all), final
    metrics, ``params_sha256``, ``history`` (every logged record, as metrics.jsonl),
    ``seconds``, ``host``, ``worker`` (host:pid)."""
    from gradsym.errors import NonFiniteError
    from gradsym.numeric.train.config import TrainConfig
    from gradsym.numeric.train.trainer import Trainer

    start = time.perf_counter()
    try:
        if cell is not None:
            _declare(cell)
        trainer = Trainer(TrainConfig.from_dict(config), None)
    except Exception as exc:  # noqa: BLE001 - reported as the run's result (MemoryError too)
        return _finish({"status": "failed", "error": NOT_RUN + _error(exc), "history": []}, start)
    out: dict[str, Any] = {"status": "done", "error": None}
    try:
        result = trainer.run()
        out.update(
            step=result.step,
            train_loss=_finite(result.train_loss),
            eval_loss=result.eval_loss,
            eval_accuracy=result.eval_accuracy,
            baseline=result.baseline,
            recoveries=len(result.recoveries),
        )
    except Exception as exc:  # noqa: BLE001 - a run that fails is a result, not the sweep's end
        # only divergence is an outcome of the training; anything else means no trial
        diverged = isinstance(exc, NonFiniteError)
        out.update(
            status="failed",
            error=("" if diverged else NOT_RUN) + _error(exc),
            step=trainer.step,
            baseline=float(trainer.task.baseline),
            recoveries=len(trainer.recoveries),
        )
    out["params_sha256"] = params_digest(trainer.network.params)
    out["history"] = trainer.history
    return _finish(out, start)
