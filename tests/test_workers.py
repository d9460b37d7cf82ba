"""Worker processes die with their parent (gradsym/workers.py), tested on the real command
that uses them: ``gradsym figures training-curves`` killed with SIGKILL and with SIGTERM
leaves no process and no temporary file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradsym.cli import TERMINATED
from gradsym.workers import worker_pool

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process table in /proc"
)


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie awaiting its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def _wait_for(predicate, timeout: float = 60.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _start_training_curves(out: Path) -> tuple[subprocess.Popen, list[int]]:
    """``gradsym figures training-curves`` running, and the pids of its two workers."""
    p = subprocess.Popen(
        [sys.executable, "-m", "gradsym", "figures", "training-curves", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    _wait_for(lambda: len(_children(p.pid)) >= 2 or p.poll() is not None, what="the workers")
    workers = _children(p.pid)
    assert len(workers) == 2, "the figure trains in a pool of two workers"
    return p, workers


def _assert_nothing_left(workers: list[int], out: Path) -> None:
    _wait_for(lambda: not any(_alive(w) for w in workers), timeout=10, what="workers to die")
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp")] if out.exists() else []
    assert leftovers == []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_the_command_kills_its_workers(sig, tmp_path):
    p, workers = _start_training_curves(tmp_path)
    with p:
        p.send_signal(sig)
        code = p.wait(timeout=30)
        err = p.stderr.read().decode()
    _assert_nothing_left(workers, tmp_path)
    if sig == signal.SIGTERM:  # unwound like Ctrl-C, with one line
        assert code == TERMINATED
        assert err == "gradsym figures: terminated; files already written are complete\n"
        assert not (tmp_path / "figures").exists()  # the folder it created, still empty
    else:
        assert code == -signal.SIGKILL


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_an_exception_in_the_block_terminates_the_workers_at_once():
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt), worker_pool(2) as pool:
        futures = [pool.submit(_sleep, 60) for _ in range(4)]
        _wait_for(lambda: len(_children(os.getpid())) >= 2, what="the workers")
        workers = _children(os.getpid())
        raise KeyboardInterrupt
    assert time.monotonic() - t0 < 30  # not the minutes the running tasks would take
    assert not any(_alive(w) for w in workers)
    _wait_for(lambda: all(f.done() for f in futures), timeout=10, what="the futures to settle")


def test_a_pool_left_normally_returns_every_result():
    with worker_pool(2) as pool:
        pids = list(pool.map(_sleep, [0.0] * 4))
    assert len(pids) == 4 and os.getpid() not in pids
