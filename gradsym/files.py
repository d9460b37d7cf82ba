"""The one atomic writer: everything gradsym writes (derivations, figures and their data,
checkpoints, run files) goes through :func:`atomic_write`.

A file is written into a temporary file in the same folder, flushed to disk
(``fsync``), moved over the old one with :func:`os.replace` (atomic on POSIX and Windows
within one file system), and the folder is flushed too so that the rename itself survives
a power cut. An interrupted write (an exception, Ctrl-C) leaves the previous file intact
and removes its temporary file. The new file gets the permissions of any new file
(0o666 less the umask), not the private 0o600 of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from gradsym.errors import InvalidValueError

__all__ = ["atomic_write", "atomic_write_text", "writable_dir"]


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
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends on every platform) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def writable_dir(path: str | os.PathLike) -> Path:
    """Create folder ``path`` if needed and prove it is writable, or an
    :class:`~gradsym.errors.InvalidValueError` naming it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".gradsym-write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InvalidValueError(f"output folder {str(path)!r} is not writable: {exc}") from exc
    return path
