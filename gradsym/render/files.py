"""Atomic file writes for everything gradsym generates (derivations, figures, reports).

A file is written into a temporary file in the same folder, then moved over the old one
with :func:`os.replace` (atomic on POSIX and Windows within one file system): an
interrupted build (an exception, Ctrl-C) leaves the previous file intact and removes its
temporary file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then move it to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    # A fresh name per call (O_EXCL: never an existing file), created with mode 0o666 so
    # the umask applies as for any new file (mkstemp would make it 0o600).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends on every platform) to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))
