"""The mean-field largest Lyapunov exponent of a random tanh network: the reference the
QR method is tested against.

For h⁽ᵗ⁾ = tanh(g W h⁽ᵗ⁻¹⁾), W_ij ~ N(0, 1/N) independent, and N → ∞, the pre-activations
a_i = (g W h)_i are Gaussian with a variance q that obeys (the order-to-chaos analysis of
Molgedey, Schuchhardt & Schuster 1992, "Suppressing chaos in neural networks by noise";
Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli 2016, "Exponential expressivity in deep
neural networks through transient chaos", whose length map this is)

    q = g² E_z[tanh(√q z)²],    z ~ N(0, 1),

and a tangent vector grows per step by the factor g² E[tanh'(a)²] in squared norm, so

    λ₁ = ½ ln(g² E_z[tanh'(√q* z)²]),      q* the stable fixed point.

For g ≤ 1 the only fixed point is q* = 0 (the state falls to 0) and λ₁ = ln g; for g > 1
the nonzero fixed point is stable and λ₁ > 0 (chaos; Engelken, Wolf & Abbott 2023 find
the finite-N discrete-time networks close to this prediction).

The Gaussian expectations E_z[F(√q z)] are computed by the trapezoidal rule on a uniform
grid of z ∈ [−40, 40] (beyond it φ(z) < 1e−347). For an integrand analytic in a strip
|Im z| < d the rule's error falls like e^{−2πd/h} (Trefethen & Weideman 2014, "The
exponentially convergent trapezoidal rule"); tanh(√q z) has its poles at
Im z = ±π/(2√q), so a step h = min(0.01, π/(16√q)) leaves an error below 1e−30: the
numbers are exact to round-off. (Gauss–Hermite quadrature converges slowly here, those
poles being close to the real axis: 201 nodes still err by 1e−5 at g = 3; the tests check
the two rules against each other.) q* comes from iterating the map from q = g², which
converges monotonically for g > 1 (the map is increasing and concave in q).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.validate import positive_number

__all__ = ["MeanField", "gaussian_expectation", "mean_field"]

_Z_MAX = 40.0


def gaussian_expectation(F, q: float = 1.0) -> float:
    """E[F(√q z)] for z ~ N(0, 1), by the trapezoidal rule (module docstring); ``F`` is
    vectorised and analytic in the strip |Im u| < π/2 (tanh and its derivatives are)."""
    h = min(0.01, np.pi / (16.0 * np.sqrt(max(q, 1e-300))))
    m = int(np.ceil(_Z_MAX / h))
    h = _Z_MAX / m  # exactly, and the nodes exactly multiples of it (not linspace's)
    z = h * np.arange(-m, m + 1)
    phi = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    with np.errstate(under="ignore"):
        return float(np.sum(F(np.sqrt(q) * z) * phi) * h)


@dataclass(frozen=True)
class MeanField:
    """The mean-field fixed point ``q_star`` and the largest exponent ``lambda_max`` for
    gain ``g``, with the number of fixed-point ``iterations`` taken."""

    g: float
    q_star: float
    lambda_max: float
    iterations: int


def mean_field(g: float, *, tol: float = 1e-15, max_iter: int = 100_000) -> MeanField:
    """q* and λ₁ = ½ ln(g² E[tanh'(√q* z)²]) of the random tanh network with gain ``g``."""
    g = positive_number("g (gain)", g)
    if g <= 1.0:
        return MeanField(g, 0.0, float(np.log(g)), 0)
    q = g * g  # above q*: the map is increasing and concave, so iterates fall to q*
    for it in range(1, max_iter + 1):
        q_next = g * g * gaussian_expectation(lambda u: np.tanh(u) ** 2, q)
        if abs(q_next - q) <= tol * q:
            q = q_next
            break
        q = q_next
    else:
        raise InvalidValueError(f"the mean-field fixed point for g = {g} did not converge")
    slope = gaussian_expectation(lambda u: (1.0 - np.tanh(u) ** 2) ** 2, q)
    return MeanField(g, q, 0.5 * float(np.log(g * g * slope)), it)
