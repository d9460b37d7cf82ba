"""Shared fixtures: a seeded generator. Tolerances live in ``tolerances.py``."""

from __future__ import annotations

import os

# The test sizes are tiny: BLAS threads only add overhead (and contention on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261124)
