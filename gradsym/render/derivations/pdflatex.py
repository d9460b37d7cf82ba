"""Compiling the notes with pdflatex: deterministic bytes, problems quoted from the log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from gradsym.errors import GradsymError
from gradsym.files import atomic_write, atomic_write_text

NOTES = "notes.tex"

__all__ = ["LatexError", "compile_pdf", "overfull_boxes"]


class LatexError(GradsymError, RuntimeError):
    """pdflatex is missing, failed, or left undefined references."""


_GRAPHICS = re.compile(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}")
_UNDEFINED = re.compile(
    r"LaTeX Warning: (Reference|Citation) `[^']*' .*undefined|undefined references"
)


def _log_problems(log: str) -> list[str]:
    lines = log.splitlines()
    out = []
    for k, line in enumerate(lines):
        if line.startswith("!"):
            out.append("\n".join(lines[k : k + 3]))
        elif _UNDEFINED.search(line):
            out.append(line)
    return out


def compile_pdf(
    derivations_dir: str | Path,
    *,
    timeout: float = 300.0,
    keep_log: bool = False,
    notes: str = NOTES,
) -> Path:
    """Compile ``notes`` (default ``notes.tex``; ``notes-instructor.tex`` for the
    instructor's notes) in ``derivations_dir`` with pdflatex; returns the PDF beside it
    (``notes.pdf``).

    pdflatex runs twice (``-interaction=nonstopmode -halt-on-error``, a third time if it
    asks) in the folder, so ``\\input`` and the figures' relative paths resolve; its
    auxiliary files go to a temporary folder and only ``notes.pdf`` is written (atomically)
    beside notes.tex (and ``notes.log`` with ``keep_log``).

    Raises:
        LatexError: pdflatex not on PATH; notes.tex or a figure missing; a LaTeX error or
            an undefined reference (the message quotes the log's first problems).
    """
    folder = Path(derivations_dir)
    exe = shutil.which("pdflatex")
    if exe is None:
        raise LatexError(
            "pdflatex was not found on PATH; install a TeX distribution (Debian/Ubuntu: "
            "apt-get install texlive-latex-base texlive-latex-recommended "
            "texlive-fonts-recommended texlive-pictures) or leave out --pdf"
        )
    stem = Path(notes).stem
    source = notes
    notes = folder / source
    if not notes.is_file():
        raise LatexError(f"{notes} does not exist; write it first with `gradsym derive`")
    missing = [p for p in _GRAPHICS.findall(notes.read_text()) if not (folder / p).is_file()]
    if missing:
        raise LatexError(
            f"{source} includes figures that do not exist: {', '.join(missing)} (relative to "
            f"{folder}); write them first with `gradsym figures`"
        )
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="gradsym-latex-") as tmp:
        cmd = [
            exe,
            "-interaction=nonstopmode",
            "-halt-on-error",
            f"-output-directory={tmp}",
            source,
        ]
        log = ""
        for run in range(3):
            proc = subprocess.run(
                cmd, cwd=folder, env=env, capture_output=True, timeout=timeout, check=False
            )
            log_path = Path(tmp) / f"{stem}.log"
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            if proc.returncode != 0:
                problems = _log_problems(log) or [proc.stdout.decode(errors="replace")[-2000:]]
                raise LatexError(f"pdflatex failed on {notes}:\n" + "\n".join(problems[:5]))
            if run >= 1 and "Rerun to get cross-references right" not in log:
                break
        problems = _log_problems(log)
        if problems:
            raise LatexError(f"pdflatex reports problems in {notes}:\n" + "\n".join(problems[:5]))
        pdf = (Path(tmp) / f"{stem}.pdf").read_bytes()
    if keep_log:
        atomic_write_text(folder / f"{stem}.log", log)
    return atomic_write(folder / f"{stem}.pdf", lambda f: f.write(pdf))


def overfull_boxes(log: str) -> list[str]:
    """The "Overfull \\hbox" lines of a pdflatex log."""
    return [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
