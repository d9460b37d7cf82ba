"""A declared cell's derivation written as the notes' derivations are: ``<name>.tex``,
``<name>.md`` and how each line was checked (``<name>-checks.tex``, ``<name>-checks.md``),
from the claim of :func:`gradsym.notes.declared.derivation`."""

from __future__ import annotations

from pathlib import Path

from gradsym.declared.cell import DeclaredCell
from gradsym.errors import DeclarationError
from gradsym.files import atomic_write_text
from gradsym.notes.declared import derivation, run_checks

from .layout import checks_markdown, checks_tex, claim_markdown, claim_tex


def cell_derivation_files(declared: DeclaredCell) -> dict[str, str]:
    """Check every step of the derivation of ``declared``, then its files by name:
    ``<name>.tex`` and ``<name>.md`` and how each line was checked (``<name>-checks.tex``,
    ``<name>-checks.md``). Raises DeclarationError if a check fails."""
    claim = derivation(declared)
    failed = [r for r in run_checks(claim) if not r[2]]
    if failed:
        k, kind, _, detail = failed[0]
        raise DeclarationError(f"cell {declared.name!r}: step {k} fails its {kind} check: {detail}")
    return {
        f"{declared.name}.tex": claim_tex(claim),
        f"{declared.name}.md": claim_markdown(claim),
        f"{declared.name}-checks.tex": checks_tex(claim),
        f"{declared.name}-checks.md": checks_markdown(claim),
    }


def write_files(files: dict[str, str], out_dir: str | Path) -> list[Path]:
    """Write ``files`` (name → text) into ``out_dir``, each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [atomic_write_text(out / name, text) for name, text in files.items()]


def write_cell_derivation(declared: DeclaredCell, out_dir: str | Path) -> list[Path]:
    """Check every step, then write the files of :func:`cell_derivation_files` into
    ``out_dir``. Raises DeclarationError (nothing written) if a check fails."""
    return write_files(cell_derivation_files(declared), out_dir)


__all__ = ["cell_derivation_files", "write_cell_derivation", "write_files"]
