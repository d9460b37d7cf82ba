"""Worker processes that never outlive their parent: :func:`worker_pool`.

A :class:`~concurrent.futures.ProcessPoolExecutor` left to itself keeps its workers alive
when the parent is killed (SIGKILL, or SIGTERM's default action, which runs no cleanup):
they are re-parented and wait forever for work that never comes. Here

* each worker ties itself to its parent as it starts: on Linux the kernel sends it SIGKILL
  when the parent dies (``prctl(PR_SET_PDEATHSIG)``), and on every system a daemon thread
  polls ``os.getppid()`` and ends the worker once its parent is gone;
* a worker ignores Ctrl-C and takes SIGTERM's default action (the parent's handlers,
  inherited through fork, would otherwise turn them into exceptions inside a task);
* leaving the ``with`` block by an exception (Ctrl-C, the command line's SIGTERM handler,
  an error in a task) cancels what is queued and terminates the workers at once rather
  than waiting for the running tasks to finish.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

__all__ = ["worker_pool"]

#: How often a worker looks for its parent (seconds) where the kernel cannot tell it.
PARENT_POLL = 0.5

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent_linux() -> None:
    """Ask the kernel for SIGKILL when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL)
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone: nobody will collect this worker's results


def tie_to_parent() -> None:
    """Initialiser of every worker (see the module docstring)."""
    parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent_linux()
    if os.getppid() != parent:  # the parent died before the kernel was told to watch
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the workers now."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        with contextlib.suppress(Exception):
            # SIGKILL, not SIGTERM: a worker forked a moment ago may not have run
            # tie_to_parent yet, and would take SIGTERM with this process's handler,
            # raising inside multiprocessing's bootstrap (which prints "Process
            # ForkProcess-N:" and a traceback). A worker holds no state worth a cleanup.
            p.kill()
    for p in processes:
        with contextlib.suppress(Exception):
            p.join(timeout=5)


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool of ``workers`` processes that die with this process; on leaving the
    block normally the pool is shut down as usual, on an exception its workers are
    terminated at once."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=tie_to_parent)
    try:
        yield pool
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
