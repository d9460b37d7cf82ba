"""A declared cell's derivation: its equations and every Jacobian block, each step checked,
as a claim (written as LaTeX and Markdown by :mod:`gradsym.render.derivations.declared`).

Each step ∂s/∂v = (compact form) prints the very objects its two checks evaluate: for every
n and d (both sides in index notation, the Jacobian derived entrywise from the equations,
their normal forms equal: ``gradsym.notes.checks.EverySize``) and sampled (on random
float64 weights at n = 3, d = 2, against central differences of the generated NumPy cell's
forward step: the independent reference of a declared cell).
"""

from __future__ import annotations

import numpy as np

from gradsym.declared.cell import DeclaredCell
from gradsym.lang.notation import Partial
from gradsym.notes.checks import EverySize, Sampled, run_check
from gradsym.notes.claim import Claim, Step
from gradsym.notes.models import float_cell
from gradsym.notes.prose import escape_text
from gradsym.symbolic import notes_latex

SECTION = "Declared cells"
PROOF_N, PROOF_D = 3, 2  # the sizes of the float64 instances
FD_STEP = 1e-6


def _generated_differences(declared: DeclaredCell):
    """A reference for the float64 check: ∂of/∂wrt by central differences of the generated
    NumPy cell's ``step``, on the instance's own weights and state."""
    cell = declared.cell

    def reference(key, ev) -> np.ndarray:
        _, of, wrt = key
        params = {p.name: np.asarray(ev.visit(p), dtype=float) for p in cell.params}
        state = [np.asarray(ev.visit(cell.vectors[s]), float).reshape(1, -1) for s in cell.state]
        x = np.asarray(ev.visit(cell.vectors["x"]), float).reshape(1, -1)
        num = declared.numpy(x.shape[1], state[0].shape[1])
        num.load_params({k: v.reshape(-1) if v.shape[1] == 1 else v for k, v in params.items()})
        row = cell.outputs.index(of.name)

        def output(state_, x_):
            new, _ = num.step(x_, tuple(state_))
            return new[row][0]

        base = x if wrt.name == "x" else state[cell.state.index(wrt.name)]
        cols = []
        for j in range(base.shape[1]):
            plus, minus = base.copy(), base.copy()
            plus[0, j] += FD_STEP
            minus[0, j] -= FD_STEP
            if wrt.name == "x":
                hi, lo = output(state, plus), output(state, minus)
            else:
                k = cell.state.index(wrt.name)
                hi = output([plus if i == k else s for i, s in enumerate(state)], x)
                lo = output([minus if i == k else s for i, s in enumerate(state)], x)
            cols.append((hi - lo) / (2 * FD_STEP))
        return np.stack(cols, axis=1)

    return reference


def derivation(declared: DeclaredCell) -> Claim:
    """The checked derivation of every Jacobian block of ``declared``."""
    cell = declared.cell
    reference = _generated_differences(declared)
    exact = EverySize(cell)
    sampled = Sampled(
        lambda rng: float_cell(cell, rng, PROOF_N, PROOF_D, reference=reference),
        "random weights, against central differences of the generated NumPy cell",
        tol=1e-7,
    )
    steps = tuple(
        Step(
            Partial(cell.vectors[of], cell.vectors[wrt]),
            "=",
            declared.jacobian(of, wrt).expr,
            "chain rule through the equations",
            checks=(exact, sampled),
        )
        for of, wrt in declared.blocks
    )
    state = ", ".join(notes_latex(cell.vectors[s]) for s in declared.state)
    source = _ascii(declared.source.rsplit(": ", 1)[0])
    statement = (escape_text(_ascii(declared.description)) + ". ") if declared.description else ""
    statement += f"Its state is $({state})$; every Jacobian block, in numerator layout."
    if source:
        statement += f" Declared in {escape_text(source)}."
    return Claim(
        id=declared.name,
        title=f"The Jacobians of the {escape_text(declared.name)} cell",
        statement=statement,
        assumptions=(f"the state is $({state})$, the Jacobians in numerator layout",),
        steps=steps,
        sources=(),
        section=SECTION,
        cells=(cell,),
    )


_ASCII = {"σ": "sigma", "∘": "*", "⊙": "*", "−": "-", "′": "'", "·": "*", "ᵀ": ".T"}


def _ascii(text: str) -> str:
    """A user's text in ASCII (accents such as Koutník's dropped), escaped into the claim's
    LaTeX prose by :func:`~gradsym.notes.prose.escape_text`."""
    import unicodedata

    for k, v in _ASCII.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.split("#", 1)[0].strip()


def run_checks(claim: Claim, seed: int = 0) -> list[tuple[int, str, bool, str]]:
    """Every check of every step: (step, kind, passed, detail)."""
    out = []
    for k, step in enumerate(claim.steps, 1):
        for check in step.checks:
            result = run_check(check, step, seed, claim.id, k, check.kind)
            out.append((k, result.kind, result.passed, result.detail))
    return out


__all__ = ["derivation", "run_checks"]
