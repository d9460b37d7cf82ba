"""Fixtures of the sweep tests: a tiny spec, one in-process Dask cluster for the session,
and (for the tests that need real processes) a `dask scheduler` with two `dask worker`
processes, every one of them stopped at the end even when a test fails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sweep_specs import TINY, TOML


@pytest.fixture
def tiny() -> dict:
    """A fresh copy of the tiny spec (as a dict)."""
    import copy

    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_toml(tmp_path) -> Path:
    """The tiny spec as a TOML file."""
    path = tmp_path / "tiny.toml"
    path.write_text(TOML)
    return path


@pytest.fixture(scope="session")
def dask_client():
    """One in-process Dask cluster (two worker threads) for the whole session."""
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """End a process group we started: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Cluster:
    """A real Dask cluster of local processes: ``address``, the scheduler's and each
    worker's Popen (each its own process group, so a kill takes the nanny and its worker)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}

    def _start(self, *args: str, log: str) -> subprocess.Popen:
        out = open(self.tmp / log, "wb")  # noqa: SIM115 - kept open for the process's life
        proc = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        out.close()
        self.procs.append(proc)
        return proc

    def start(self, n_workers: int = 2) -> Cluster:
        self._start(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dashboard-address",
            ":0",
            log="scheduler.log",
        )
        for i in range(n_workers):
            self.workers.append(self.add_worker(i))
        self.wait_for_workers(n_workers)
        return self

    def add_worker(self, i: int) -> subprocess.Popen:
        return self._start(
            "worker",
            self.address,
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--dashboard-address",
            ":0",
            "--name",
            f"w{i}",
            log=f"worker{i}.log",
        )

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        import distributed

        deadline = time.monotonic() + timeout
        while True:
            try:
                with distributed.Client(self.address, timeout=5, set_as_default=False) as c:
                    c.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped afterwards
    (also when a test fails)."""
    pytest.importorskip("distributed")
    cluster = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield cluster.start(2)
    finally:
        cluster.stop()
