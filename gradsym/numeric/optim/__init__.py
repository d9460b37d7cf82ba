"""Small composable pieces of optimisation: gradient clipping (Algorithm 1 of the notes
and PyTorch's rule), the optimisers (SGD with momentum, Adam) and the initialisers
(orthogonal and identity per gate block, spectral rescaling, gate biases)."""

from gradsym.numeric.optim.clipping import (
    Clipper,
    ClipResult,
    by_norm,
    by_value,
    chain,
    clip_by_norm,
    clip_by_value,
    clip_factor,
    global_norm,
)
from gradsym.numeric.optim.initialisers import initialise
from gradsym.numeric.optim.optimisers import SGD, Adam, Optimiser

__all__ = [
    "SGD",
    "Adam",
    "ClipResult",
    "Clipper",
    "Optimiser",
    "by_norm",
    "by_value",
    "chain",
    "clip_by_norm",
    "clip_by_value",
    "clip_factor",
    "global_norm",
    "initialise",
]
