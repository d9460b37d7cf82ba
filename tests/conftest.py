"""Shared fixtures: a seeded generator. Tolerances live in ``tolerances.py``."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261124)
