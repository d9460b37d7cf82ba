"""A declared cell's derivation: its equations and every Jacobian block, each step checked,
as LaTeX and Markdown through the notes' renderer (``render.derivations.claim_tex`` /
``claim_markdown``).

Each step ∂s/∂v = (compact form) carries two checks: symbolic (the compact form equals
``Matrix.jacobian`` of the equations at n = 3, d = 2) and numeric (the lambdified compact
form against central differences of the generated NumPy cell's forward step: the
independent reference of a declared cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sympy import MatrixSymbol

from gradsym.files import atomic_write_text
from gradsym.proofs.checks import JacobianIdentity, Numeric
from gradsym.proofs.claim import Claim, Step
from gradsym.symbolic.printing import notes_latex

from .cell import DeclaredCell

SECTION = "Declared cells"
PROOF_N = 3


class JacobianSymbol(MatrixSymbol):
    """∂of/∂wrt as a printable symbol, its LaTeX the fraction of the two vectors' own."""

    def _gradsym_latex(self, printer) -> str:
        of, wrt = self.name.split("/")
        table = getattr(self, "_vectors", {})
        top = printer._print(table[of]) if of in table else of
        bottom = printer._print(table[wrt]) if wrt in table else wrt
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


class CellDerivation(Claim):
    """A Claim whose section is a declared cell's (outside the notes' sections)."""

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"derivation {self.id!r} has no steps")


@dataclass(frozen=True)
class _FiniteDifferences:
    """(lambdified compact block, central differences of the NumPy cell's step) samples."""

    declared: DeclaredCell
    of: str
    wrt: str

    def __call__(self, rng: np.random.Generator):
        c = self.declared
        cell = c.numpy(2 if c.program.input_is_hidden is False else 3, 3, rng=rng)
        n = cell.hidden_size
        x = rng.standard_normal((1, cell.input_size))
        state = tuple(rng.standard_normal((1, n)) for _ in cell.state_names)
        params = {k: v.copy() for k, v in cell.params.items()}
        lam = c.jacobian(self.of, self.wrt).lambdify()
        st = state[0] if len(state) == 1 else state
        analytic = lam(params, x, st)[0]
        out = cell.state_names.index(self.of)

        def f(values):
            s, xx = values
            new, _ = cell.step(xx, s)
            return new[out][0]

        eps = 1e-6
        if self.wrt == "x":
            base, k = x, None
        else:
            k = c.cell.state.index(self.wrt)
            base = state[k]
        numeric = np.empty_like(analytic)
        for j in range(base.shape[1]):
            plus, minus = base.copy(), base.copy()
            plus[0, j] += eps
            minus[0, j] -= eps
            if k is None:
                fp, fm = f((state, plus)), f((state, minus))
            else:
                sp_ = tuple(plus if i == k else s for i, s in enumerate(state))
                sm_ = tuple(minus if i == k else s for i, s in enumerate(state))
                fp, fm = f((sp_, x)), f((sm_, x))
            numeric[:, j] = (fp - fm) / (2 * eps)
        return analytic, numeric


def derivation(declared: DeclaredCell) -> CellDerivation:
    """The checked derivation of every Jacobian block of ``declared``."""
    cell = declared.cell
    vectors = cell.vectors
    steps = []
    for of, wrt in declared.blocks:
        jac = declared.jacobian(of, wrt)
        lhs = JacobianSymbol(f"{of}/{wrt}", *jac.shape)
        lhs._vectors = vectors
        steps.append(
            Step(
                lhs,
                jac.expr,
                justification="chain rule through the equations",
                symbolic=JacobianIdentity(
                    lambda cell=cell: cell, of, wrt, lambda c, e=jac.expr: e, n=PROOF_N, d=2
                ),
                numeric=Numeric(
                    _FiniteDifferences(declared, of, wrt),
                    tol=1e-7,
                    method="the compact form against central differences of the generated "
                    "NumPy cell",
                ),
            )
        )
    equations = "; ".join(
        _ascii(line.strip()) for line in declared.text.splitlines() if line.strip()
    )
    return CellDerivation(
        id=declared.name,
        title=f"The Jacobians of the {declared.name} cell",
        statement=(declared.description + ". " if declared.description else "")
        + f"Equations: {equations}.",
        assumptions=(f"state s = [{'; '.join(declared.state)}], numerator layout",),
        steps=tuple(steps),
        sources=(_ascii(declared.source.rsplit(": ", 1)[0]) or "declared by its equations",),
        section="Vanilla RNN",  # unused by the renderer; CellDerivation skips the check
    )


_ASCII = {"σ": "sigma", "∘": "*", "⊙": "*", "−": "-", "′": "'", "·": "*", "ᵀ": ".T"}


def _ascii(text: str) -> str:
    """Equations in the grammar's ASCII spelling (the renderer converts prose, not these)."""
    import unicodedata

    for k, v in _ASCII.items():
        text = text.replace(k, v)
    # accents (Koutník) and the combining tilde of h̃ dropped: the renderer takes ASCII here
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.split("#", 1)[0].strip()


def run_checks(claim: Claim, seed: int = 0) -> list[tuple[int, str, bool, str]]:
    """Every check of every step: (step, kind, passed, detail)."""
    out = []
    for k, step in enumerate(claim.steps, 1):
        for check in step.checks:
            result = check.run(seed)
            out.append((k, result.kind, result.passed, result.detail))
    return out


def write_cell_derivation(declared: DeclaredCell, out_dir: str | Path) -> list[Path]:
    """Check every step, then write ``<name>.tex`` and ``<name>.md`` into ``out_dir``.
    Raises DeclarationError (nothing written) if a check fails."""
    from gradsym.errors import DeclarationError
    from gradsym.render.derivations import claim_markdown, claim_tex

    claim = derivation(declared)
    failed = [r for r in run_checks(claim) if not r[2]]
    if failed:
        k, kind, _, detail = failed[0]
        raise DeclarationError(f"cell {declared.name!r}: step {k} fails its {kind} check: {detail}")
    tex, md = claim_tex(claim), claim_markdown(claim)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        atomic_write_text(out / f"{declared.name}.tex", tex),
        atomic_write_text(out / f"{declared.name}.md", md),
    ]


__all__ = ["derivation", "notes_latex", "run_checks", "write_cell_derivation"]
