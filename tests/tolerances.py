"""The one dtype-keyed tolerance table of the test suite (as JAX's check_grads keeps one)."""

from __future__ import annotations

import numpy as np

TOLERANCES = {
    # gradient checks by central differences (error relative to the largest entry)
    "gradcheck": {np.dtype(np.float64): 1e-7},
    # two exact computations of the same quantity (e.g. gradsym against torch)
    "exact": {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4},
    # a state Jacobian against central differences of the step
    "jacobian": {np.dtype(np.float64): 1e-7},
}


def tol(kind: str, dtype=np.float64) -> float:
    """The tolerance for comparisons of ``kind`` in ``dtype``."""
    return TOLERANCES[kind][np.dtype(dtype)]
