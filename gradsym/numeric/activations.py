"""Elementwise activations with their derivatives written from the output.

Keeping σ' as a function of the output σ(z) (tanh' = 1 − tanh², sigmoid' = σ(1 − σ))
lets the backward pass reuse what the forward pass stored instead of recomputing z.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from gradsym.errors import unknown_name


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)), computed as (1 + tanh(z/2)) / 2: no overflow for large |z|."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _relu(z, out=None):
    return np.maximum(z, 0.0, out=out)


def _identity(z, out=None):
    if out is None:
        return z.copy()
    out[...] = z
    return out


@dataclass(frozen=True)
class Activation:
    """σ and σ' for one activation; ``grad_from_output(a)`` is σ'(z) given a = σ(z)."""

    name: str
    apply: Callable[..., np.ndarray]
    grad_from_output: Callable[[np.ndarray], np.ndarray]


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", _tanh, lambda a: 1.0 - a * a),
    "sigmoid": Activation("sigmoid", sigmoid, lambda a: a * (1.0 - a)),
    # ReLU'(0) is taken as 0, the subgradient PyTorch uses; a = 0 exactly iff z <= 0.
    "relu": Activation("relu", _relu, lambda a: (a > 0).astype(a.dtype)),
    "identity": Activation("identity", _identity, lambda a: np.ones_like(a)),
}


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (tanh, sigmoid, relu, identity)."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise unknown_name("activation", name, ACTIVATIONS) from None
