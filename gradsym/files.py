"""The one atomic writer: everything gradsym writes (derivations, figures and their data,
checkpoints, run files) goes through :func:`atomic_write`; and the one lock of an output
folder, :func:`folder_lock`.

A file is written into a temporary file in the same folder, flushed to disk
(``fsync``), moved over the old one with :func:`os.replace` (atomic on POSIX and Windows
within one file system), and the folder is flushed too so that the rename itself survives
a power cut. An interrupted write (an exception, Ctrl-C) leaves the previous file intact
and removes its temporary file. The new file gets the permissions of any new file
(0o666 less the umask), not the private 0o600 of :func:`tempfile.mkstemp`. A write the
operating system refuses (a full disk, a read-only folder) is an
:class:`~gradsym.errors.OutputError` naming the file.

A process killed while writing (SIGKILL, a power cut) cannot remove its temporary file,
``.<name>.<pid>.<32 hex digits>.tmp``: whoever next takes the folder's lock removes the
temporary files whose writer is no longer running (:func:`remove_stale_temporaries`).
Two gradsym processes never write into one folder at once: the second is refused with a
message naming the first (:func:`folder_lock`, an ``flock`` on ``.gradsym.lock``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from gradsym.errors import OutputError

__all__ = [
    "LOCK_FILE",
    "atomic_write",
    "atomic_write_text",
    "folder_lock",
    "missing_folders",
    "open_regular",
    "output_error",
    "remove_stale_temporaries",
    "writable_dir",
]

#: The lock file of an output folder (removed again when the lock is released).
LOCK_FILE = ".gradsym.lock"

# The temporary files of atomic_write: ".<name>.<pid>.<uuid4 hex>.tmp".
_TEMPORARY = re.compile(r"^\..+\.(?P<pid>[0-9]+)\.[0-9a-f]{32}\.tmp$")


def output_error(what: str, path: Path, exc: OSError) -> OutputError:
    """The :class:`~gradsym.errors.OutputError` for an ``exc`` raised while trying to
    ``what`` (write, lock, ...) ``path``: one line, the system's reason in words."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    err = OutputError(f"cannot {what} {str(path)!r}: {reason}")
    err.errno = exc.errno
    return err


def _fsync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (the rename) to disk. POSIX only: Windows cannot open a
    folder as a file, and its rename is durable once it returns."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it to ``path``.

    The folder must exist. On any exception the temporary file is removed and ``path`` is
    left as it was. Returns ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    # A fresh name per call (O_EXCL: never an existing file), created with mode 0o666 so
    # the umask applies as for any new file.
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise output_error("write", path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise output_error("write", path, exc) from exc
        raise
    _fsync_folder(path.parent)
    return path


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file; OSError otherwise
    (IsADirectoryError for a folder, EINVAL "not a regular file" for a FIFO or a device:
    reading a FIFO would wait for a writer that never comes, a device might never end).
    The check is made on the opened file, so the path cannot change in between."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)  # non-blocking: opening a FIFO returns at once
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO or a device)", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends on every platform) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def writable_dir(path: str | os.PathLike) -> Path:
    """Create folder ``path`` if needed and prove it is writable, or an
    :class:`~gradsym.errors.OutputError` naming it (and, when the path runs through a
    file, that file)."""
    if os.fspath(path) == "":  # Path("") is the current folder: never meant
        raise OutputError("the output folder is an empty path; give a folder name")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"output folder {str(path)!r} is a file, not a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(
                    f"output folder {str(path)!r} cannot be created: {str(parent)!r} is a file"
                )
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".gradsym-write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason = "no space left on the device"
        err = OutputError(f"output folder {str(path)!r} is not writable: {reason}")
        err.errno = exc.errno
        raise err from exc
    return path


# -- stale temporary files ----------------------------------------------------------------


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (POSIX; elsewhere every writer counts as running)."""
    if os.name != "posix":
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files :func:`atomic_write` left in ``folder`` when its process
    was killed: only names of the writer's own pattern (``.<name>.<pid>.<hex>.tmp``), and
    only those whose process is no longer running. Returns the removed paths.

    Called by :func:`folder_lock` once the folder is locked, so no other gradsym process
    is writing there.
    """
    folder = Path(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMPORARY.match(entry.name)
        if m is None or not entry.is_file(follow_symlinks=False):
            continue
        if _running(int(m["pid"])):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


# -- one writer per folder ------------------------------------------------------------------

# Folders this process holds locked, with a count: a command that locks a folder may call
# a function that locks it again (flock would refuse the second open file).
_held: dict[Path, int] = {}
_held_guard = threading.Lock()


def _flock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; a lock there would need msvcrt
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:  # a file system without locks (some network mounts)
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            return True
        raise
    return True


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, what: str = "write") -> Iterator[Path]:
    """Hold the lock of output folder ``folder`` (created if needed) while the block runs.

    Another process holding it makes this an :class:`~gradsym.errors.OutputError` naming
    that process, at once (never a wait). Re-entrant within one process. Once locked,
    the folder's stale temporary files are removed (:func:`remove_stale_temporaries`).
    The lock file is removed on release; a killed holder's lock is released by the
    operating system with its process. A folder this call created is removed again if
    the block fails before writing anything into it.
    """
    if os.fspath(folder) == "":
        raise OutputError("the output folder is an empty path; give a folder name")
    created = missing_folders(Path(folder))
    folder = writable_dir(folder)
    key = folder.resolve()
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield folder
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    lock = folder / LOCK_FILE
    try:
        fd = _acquire(lock, folder, what)
    except BaseException:
        for made in created:
            with contextlib.suppress(OSError):
                made.rmdir()
        raise
    with _held_guard:
        _held[key] = 1
    failed = True
    try:
        remove_stale_temporaries(folder)
        yield folder
        failed = False
    finally:
        with _held_guard:
            del _held[key]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)
        if failed:  # a failed first run leaves no empty folder behind, parents included
            for made in created:
                with contextlib.suppress(OSError):
                    made.rmdir()


def missing_folders(folder: Path) -> list[Path]:
    """The folders that creating ``folder`` would create, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists() or path == path.parent:
            break
        missing.append(path)
    return missing


def _acquire(lock: Path, folder: Path, what: str) -> int:
    """An open, flock'ed descriptor of ``lock`` that is still the file at that path."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise output_error("lock", folder, exc) from exc
        if not _flock(fd):
            holder = _holder(fd)
            os.close(fd)
            raise OutputError(
                f"another gradsym process{holder} is writing into {str(folder)!r}; "
                f"wait for it to finish, or {what} into another folder"
            )
        # The holder before us removes the file as it releases it: a lock on that removed
        # file would not exclude a third process, so take the new file's lock instead.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError as exc:  # a full disk: no lock file left behind
                with contextlib.suppress(OSError):
                    os.unlink(lock)
                os.close(fd)
                raise output_error("lock", folder, exc) from exc
            return fd
        os.close(fd)


def _holder(fd: int) -> str:
    """`` (pid N)`` from the lock file's content, or nothing."""
    try:
        text = os.pread(fd, 32, 0).decode().strip() if hasattr(os, "pread") else ""
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""
