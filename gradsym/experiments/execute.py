"""Running a sweep on Dask: :func:`sweep`.

Where the runs go:

- by default an embedded :class:`distributed.LocalCluster`: one worker process per core,
  one thread each, started by a nanny that sets one BLAS thread (Dask's
  ``distributed.nanny.pre-spawn-environ``), stopped when the sweep ends;
- ``scheduler="tcp://HOST:8786"``: an existing Dask cluster (``dask scheduler`` and
  ``dask worker``, dask-jobqueue on SLURM, Kubernetes); its workers need the same gradsym
  installed;
- ``client=``: a :class:`distributed.Client` the caller manages (a notebook's, a test's).

The driver submits every pending run (the longest first), writes each result to the
database as it arrives, one transaction per run, and shows a progress bar over runs. A
worker that dies takes its running runs with it; the scheduler gives them to another
worker (up to ``distributed.scheduler.allowed-failures`` times), so every run still ends
with exactly one row. A run that could not be finished (its workers kept dying, the
cluster went away) stays ``pending``: running the sweep again resumes it, skipping every
finished run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gradsym.errors import GradsymError, InvalidValueError
from gradsym.experiments.runner import NOT_RUN, run_one
from gradsym.experiments.spec import SweepSpec, load_spec
from gradsym.experiments.store import DB_FILE, SweepStore
from gradsym.files import missing_folders, output_error, writable_dir
from gradsym.validate import positive_int, positive_number

__all__ = ["SweepResult", "sweep"]

LOCK_FILE = DB_FILE + ".lock"


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` did: the database's path; runs in the spec; how many are now
    done, failed (training raised) and still pending (lost with their workers); how many
    this call ran and how many it skipped as already finished; the wall time; how many of
    the failed runs could not be run at all (not trials: out of memory on a worker, say)."""

    database: Path
    total: int
    done: int
    failed: int
    pending: int
    ran: int
    skipped: int
    seconds: float
    not_run: int = 0

    @property
    def complete(self) -> bool:
        """Every run finished (done or failed)."""
        return self.pending == 0


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """Hold ``sweep.db.lock``: one driver writes a sweep's database at a time."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock, one driver by convention
        yield
        return
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise output_error("lock", folder, exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            holder = f" (pid {pid})" if pid.isdigit() else ""
            raise InvalidValueError(
                f"another gradsym sweep is writing {folder / DB_FILE}{holder}; wait for it "
                "or use another --out folder"
            ) from None
        # who holds it, for the message of the next driver (a full disk only loses that)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove_unheld_lock(folder: Path) -> None:
    """Remove ``sweep.db.lock`` unless another driver holds it (it is removed while this
    process holds it, so that no driver is left holding a lock on a removed file)."""
    try:
        import fcntl

        fd = os.open(folder / LOCK_FILE, os.O_RDWR)
    except (ImportError, OSError):
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(folder / LOCK_FILE)
    except OSError:
        pass
    finally:
        os.close(fd)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise GradsymError(
            "gradsym sweep runs on Dask, which is not installed: pip install 'gradsym[sweep]'"
        ) from None
    return distributed


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None, client, timeout: float):
    """The Dask client to submit to: the caller's, one connected to ``scheduler``, or one
    of an embedded LocalCluster (closed afterwards)."""
    if client is not None:
        yield client
        return
    distributed = _import_distributed()
    if scheduler is not None:
        _check_scheduler(scheduler)
        try:
            c = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidValueError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}".splitlines()[0]
            ) from None
        try:
            yield c
        finally:
            c.close()
        return
    n = positive_int("workers", workers) if workers is not None else (os.cpu_count() or 1)
    cluster = distributed.LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    try:
        c = distributed.Client(cluster, set_as_default=False)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def _check_scheduler(scheduler) -> None:
    """A Dask address of a known scheme, checked before any connection is tried: a Client
    made from a malformed one fails, and its half-made self then stalls and prints a
    traceback when it is collected."""
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise InvalidValueError(
            f"scheduler must be an address such as tcp://HOST:8786, got {scheduler!r}"
        )
    try:  # a network address: inproc:// is within one process, ucx:// needs UCX-Py
        from distributed.comm import registry
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:  # distributed's own layout changed: let the Client judge
        return
    scheme, location = parse_address(scheduler)
    problem = ""
    schemes = [s for s in ("tcp", "tls", "ws", "wss") if s in registry.backends]
    if scheme not in schemes or not location or "//" in location:
        problem = f"schemes: {', '.join(schemes)}"
    else:
        try:
            host, port = parse_host_port(location)
        except ValueError as exc:
            problem = str(exc)
        else:
            if not host or not 0 < port < 65536:
                problem = "a host and a port from 1 to 65535"
    if problem:
        raise InvalidValueError(
            f"scheduler {scheduler!r} is not a Dask address such as tcp://HOST:8786 ({problem})"
        )


def sweep(
    spec: SweepSpec | str | os.PathLike | Mapping,
    out: str | os.PathLike,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    client=None,
    progress: bool = True,
    overwrite: bool = False,
    connect_timeout: float = 10.0,
) -> SweepResult:
    """Run every unfinished run of ``spec`` (a :class:`SweepSpec`, a TOML path or a dict)
    on Dask and keep the results in ``out/sweep.db``.

    ``scheduler``: the address of an existing Dask scheduler; ``workers``: the size of the
    embedded LocalCluster (default: one per core); ``client``: a Dask client to use as is
    (neither of the two others then). Re-running the same spec into the same folder
    resumes: finished runs are skipped. A database of another spec is refused unless
    ``overwrite`` (which deletes it). ``progress``: a bar over runs (done, in flight,
    failed, ETA) on stderr.

    Raises InvalidValueError for a bad spec, a folder holding another spec's results, an
    unreachable scheduler, or a sweep already being written by another driver.
    """
    if sum(x is not None for x in (scheduler, workers, client)) > 1:
        raise InvalidValueError("give at most one of scheduler, workers and client")
    # every argument is checked before the folder or its database is made
    spec = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    positive_number("connect_timeout", connect_timeout)
    if workers is not None:
        positive_int("workers", workers)
    if scheduler is not None:
        _check_scheduler(scheduler)
    made = missing_folders(Path(out))
    folder = writable_dir(out)
    start = time.perf_counter()
    try:
        with _exclusive(folder):
            # a database this call makes is removed again, while the lock is held, if the
            # call fails before a run is recorded: a failed start leaves nothing behind
            fresh = not (folder / DB_FILE).exists()
            try:
                store, resumed = SweepStore.open_for(folder, spec, overwrite=overwrite)
                fresh = fresh and not resumed
                with store:
                    try:
                        pending = store.rows("pending")
                        before = store.counts()
                        skipped = before["done"] + before["failed"]
                        ran = 0
                        if pending:
                            with _client(scheduler, workers, client, connect_timeout) as c:
                                ran = _submit_all(c, store, pending, spec, skipped, progress)
                        after = store.counts()
                        not_run = sum(
                            (row.error or "").startswith(NOT_RUN) for row in store.rows("failed")
                        )
                    except BaseException:
                        with contextlib.suppress(GradsymError):
                            counts = store.counts()
                            fresh = fresh and counts["done"] + counts["failed"] == 0
                        raise
            except BaseException:
                if fresh:
                    for name in (DB_FILE, DB_FILE + "-journal"):
                        with contextlib.suppress(OSError):
                            os.unlink(folder / name)
                raise
    except BaseException:
        if made and not (folder / DB_FILE).exists():  # the folders this call made, emptied
            _remove_unheld_lock(folder)
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir()
        raise
    return SweepResult(
        database=folder / DB_FILE,
        total=len(spec.runs),
        done=after["done"],
        failed=after["failed"],
        pending=after["pending"],
        ran=ran,
        skipped=skipped,
        seconds=time.perf_counter() - start,
        not_run=not_run,
    )


def _submit_all(
    client, store: SweepStore, pending, spec: SweepSpec, finished: int, progress: bool
) -> int:
    """Submit ``pending`` runs, record each result as it comes; the number recorded."""
    distributed = _import_distributed()
    costs = {r.key: r.cost for r in spec.runs}
    cells = {r.key: r.cell for r in spec.runs}  # a declared cell's record, for the worker
    order = sorted(pending, key=lambda row: -costs.get(row.key, 0))
    tag = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            run_one,
            row.config,
            cells.get(row.key),
            key=f"gradsym-run-{row.key[:16]}-{tag}",
            pure=False,
        ): row.key
        for row in order
    }
    slots = max(1, sum(client.nthreads().values()))
    failed = store.counts()["failed"]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=len(spec.runs),
            initial=finished,
            desc=f"sweep {spec.name}",
            unit="run",
            dynamic_ncols=True,
        )
    recorded = lost = 0
    remaining = len(futures)
    try:
        for fut in distributed.as_completed(list(futures), loop=client.loop):
            key = futures.pop(fut)
            remaining -= 1
            try:
                result = fut.result()
            except Exception:  # noqa: BLE001 - its workers kept dying (KilledWorker), or the cluster went away
                lost += 1
            else:
                if store.record(key, result):
                    recorded += 1
                    failed += result["status"] == "failed"
            fut.release()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    running=min(remaining, slots), failed=failed, lost=lost, refresh=False
                )
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()
    return recorded
