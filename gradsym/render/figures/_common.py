"""Small helpers shared by the figure modules: seeding and derived constants."""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np


def seeded(seed: int, name: str) -> np.random.Generator:
    """A generator for figure ``name`` under the build seed ``seed``.

    Each figure gets its own stream (the name's CRC-32 is mixed into the seed), so adding
    or reordering figures never changes another figure's data. CRC-32, not ``hash()``:
    Python salts string hashes per process.
    """
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


@cache
def gamma_value(activation: str) -> float:
    """γ = sup_z |σ'(z)|, derived symbolically (never typed in), as a float."""
    from gradsym.symbolic.spectral import gamma

    return float(gamma(activation).value)
