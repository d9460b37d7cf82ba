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


def write_cell_derivation(declared: DeclaredCell, out_dir: str | Path) -> list[Path]:
    """Check every step, then write ``<name>.tex`` and ``<name>.md`` (and how each line was
    checked: ``<name>-checks.tex``, ``<name>-checks.md``) into ``out_dir``.
    Raises DeclarationError (nothing written) if a check fails."""
    claim = derivation(declared)
    failed = [r for r in run_checks(claim) if not r[2]]
    if failed:
        k, kind, _, detail = failed[0]
        raise DeclarationError(f"cell {declared.name!r}: step {k} fails its {kind} check: {detail}")
    tex, md = claim_tex(claim), claim_markdown(claim)
    checks_tex_, checks_md = checks_tex(claim), checks_markdown(claim)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        atomic_write_text(out / f"{declared.name}.tex", tex),
        atomic_write_text(out / f"{declared.name}.md", md),
        atomic_write_text(out / f"{declared.name}-checks.tex", checks_tex_),
        atomic_write_text(out / f"{declared.name}-checks.md", checks_md),
    ]


__all__ = ["write_cell_derivation"]
