"""A real full disk for the tests: a small tmpfs, filled, in a private mount namespace.

:func:`on_full_disk` runs a Python snippet in a child process that sees a 256 KiB tmpfs
at ``DISK`` (a variable of the snippet) with every block taken, so that a write there
fails with ENOSPC as on a full disk. It needs Linux and ``unshare`` with user namespaces
(or root); :func:`full_disk_available` says whether this machine allows it, and the
tests fall back to making the write fail where it does not.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

_FILL = """
import errno, os, json, sys
DISK = sys.argv[1]
fd = os.open(os.path.join(DISK, "filler"), os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError as exc:
    assert exc.errno == errno.ENOSPC, exc
os.close(fd)
"""


def _run(script: str, timeout: float = 120) -> subprocess.CompletedProcess:
    mount = 'd=$(mktemp -d) && mount -t tmpfs -o size=256k tmpfs "$d" && '
    command = mount + f'exec "{sys.executable}" -c "$0" "$d"'
    argv = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", command, script]
    tests = str(Path(__file__).resolve().parent)  # the snippets import the tests' helpers
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@functools.cache
def full_disk_available() -> bool:
    """Whether :func:`on_full_disk` works here."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    try:
        done = _run(_FILL + "print('full')", timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "full"


def on_full_disk(snippet: str) -> dict:
    """Run ``snippet`` with ``DISK`` a full tmpfs; it must leave its findings in the dict
    ``RESULT`` (JSON types), which is returned."""
    script = _FILL + "RESULT = {}\n" + textwrap.dedent(snippet) + "\nprint(json.dumps(RESULT))"
    done = _run(script)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
