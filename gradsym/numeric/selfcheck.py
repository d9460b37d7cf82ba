"""The backend's own verification: every cell configuration against central differences.

For each cell and variant of :func:`~gradsym.numeric.cells.factory.make_cell` (the RNN's
variants are its activations), at a small size with a seeded generator and
non-zero biases: the hand-written backward pass (input, initial state, every parameter)
and the closed-form state Jacobian are compared with central differences in float64.
This is what ``gradsym build`` reports for the numeric backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gradsym.numeric.cells.factory import cell_variants, make_cell
from gradsym.numeric.gradcheck import check_cell_gradients, check_state_jacobian
from gradsym.validate import nonnegative_int

#: Relative error below which a central-difference check passes (float64).
GRADCHECK_RTOL = 1e-7


def cell_configurations():
    """(label, factory) for every cell and variant :func:`make_cell` builds."""
    return [
        (
            f"{name.upper()}({variant})",
            lambda d, n, rng, name=name, variant=variant: make_cell(name, variant, d, n, rng=rng),
        )
        for name, variant in cell_variants()
    ]


@dataclass(frozen=True)
class BackendCheck:
    """One row of the report: a configuration, its worst gradient-check and Jacobian errors."""

    label: str
    worst_gradient: str
    gradient_error: float
    jacobian_error: float
    seconds: float

    @property
    def passed(self) -> bool:
        return self.gradient_error < GRADCHECK_RTOL and self.jacobian_error < GRADCHECK_RTOL


def check_backend(seed: int = 0, *, T: int = 4, batch: int = 2, d: int = 3, n: int = 4):
    """Run every configuration's gradient and state-Jacobian check; one row each."""
    seed = nonnegative_int("seed", seed)
    rows = []
    for label, factory in cell_configurations():
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        cell = factory(d, n, rng)
        xs = rng.standard_normal((T, batch, d))
        state0 = tuple(rng.standard_normal((batch, n)) for _ in cell.state_names)
        grads = check_cell_gradients(cell, xs, state0, rng)
        worst = max(grads, key=lambda c: c.max_rel_error)
        jac = check_state_jacobian(cell, xs[0], state0)
        rows.append(
            BackendCheck(
                label,
                worst.name,
                worst.max_rel_error,
                max(c.max_rel_error for c in jac),
                time.perf_counter() - t0,
            )
        )
    return rows
