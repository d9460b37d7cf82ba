"""Success-rate experiments at scale: sweeps of seeded training runs on Dask, results in
SQLite, and the success-rate report.

* :mod:`.spec` — the sweep's specification (TOML): configurations × grid × seeds and a
  success criterion (:mod:`.criterion`);
* :mod:`.execute` — :func:`sweep`, the driver (an embedded LocalCluster, or any Dask
  cluster by address); :mod:`.runner` — one run, on a worker;
* :mod:`.store` — the SQLite database (one row per run, the logged metrics beside);
* :mod:`.success_rates` — :func:`report`: success rates with Wilson intervals, steps to
  success, tables and the data of the success-rate figure.

Dask is needed only to run a sweep (``pip install 'gradsym[sweep]'``); reading and
reporting a database needs the standard library's sqlite3 alone.
"""

from __future__ import annotations

import importlib

__all__ = ["Criterion", "SweepResult", "SweepSpec", "SweepStore", "load_spec", "report", "sweep"]

_LAZY = {
    "Criterion": "gradsym.experiments.criterion",
    "SweepSpec": "gradsym.experiments.spec",
    "load_spec": "gradsym.experiments.spec",
    "SweepStore": "gradsym.experiments.store",
    "SweepResult": "gradsym.experiments.execute",
    "sweep": "gradsym.experiments.execute",
    "report": "gradsym.experiments.success_rates",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradsym.experiments' has no attribute {name!r}")
