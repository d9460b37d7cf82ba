"""The one dtype-keyed tolerance table of the test suite (as JAX's check_grads keeps one)."""

from __future__ import annotations

import numpy as np

TOLERANCES = {
    # gradient checks by central differences (error relative to the largest entry);
    # float32: the model's own passes in float32 with a step of 1e-2, the loss summed in
    # float64 (the worst seen over every cell, variant and loss: 4e-3)
    "gradcheck": {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-2},
    # two exact computations of the same quantity (e.g. gradsym against torch)
    "exact": {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4},
    # one formula evaluated twice by different code paths (a fused and a separate
    # lambdified Jacobian): only the order of the operations differs
    "same-formula": {np.dtype(np.float64): 1e-12},
    # a state Jacobian against central differences of the step (float32: worst seen 2e-4)
    "jacobian": {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-3},
    # a lambdified symbolic Jacobian against central differences of the equations
    # (relative to the largest entry)
    "lambdified": {np.dtype(np.float64): 1e-8},
    # figure data computed now against the committed data, which another CPU or BLAS
    # build made: equal to round-off, not bit for bit
    "figure-data": {np.dtype(np.float64): 1e-6},
}


def tol(kind: str, dtype=np.float64) -> float:
    """The tolerance for comparisons of ``kind`` in ``dtype``."""
    return TOLERANCES[kind][np.dtype(dtype)]
