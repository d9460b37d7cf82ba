"""Pascanu's cliff: the one-unit recurrent network whose error surface has a wall.

Pascanu, Mikolov & Bengio 2013 ("On the difficulty of training recurrent neural
networks", ICML), section 2.3 "The geometrical interpretation", eq. (8) and Fig. 6: one
hidden unit, no input, an initial state x⁽⁰⁾ and a target read after T = 50 steps::

    x⁽ᵗ⁾ = w σ(x⁽ᵗ⁻¹⁾) + b,        E = (σ(x⁽ᵀ⁾) − 0.7)²,        x⁽⁰⁾ = 0.5,

σ the logistic sigmoid. The paper fixes x⁽⁰⁾ = 0.5, T = 50 and the target 0.7; so do the
defaults here.

Where the wall is. For w = 5 (the recurrent weight of the paper's bifurcation diagram,
their Fig. 2, after Doya 1993) the map x ↦ 5σ(x) + b has two stable fixed points for
b ∈ (−2.656, −2.344) (the saddle-node bifurcations sit where 5σ'(x) = 1, i.e.
σ(x) = (1 ± 1/√5)/2) separated by an unstable one x_u(b). The start x⁽⁰⁾ = 0.5 lies in the
basin of the upper fixed point exactly when x_u(b) < 0.5, i.e. b > 0.5 − 5σ(0.5) ≈ −2.612.
Crossing that value of b, x⁽⁵⁰⁾ jumps from the upper branch (σ(x⁽⁵⁰⁾) ≈ 0.8) to the lower one
(σ ≈ 0.08), and E from about 0.01 to about 0.38: that is the wall, a line in the (w, b)
plane (:func:`wall_bias`). The best values of E lie right on the upper side of the wall,
where x⁽⁵⁰⁾ is still leaving the unstable point, so gradient descent is drawn towards it;
near it ∂x⁽⁵⁰⁾/∂b is huge (the orbit lingers by x_u, where |w σ'(x_u)| > 1, for many
steps), so one plain gradient step can throw the parameters far away. Clipping the
gradient norm (Algorithm 1) keeps that step short: "take a step in the same direction,
but a smaller step" (the notes).

Shapes: every function broadcasts over arrays ``w`` and ``b`` (one recurrence per
element), so a whole (w, b) grid is one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradsym.errors import InvalidValueError
from gradsym.validate import positive_int, positive_number

__all__ = [
    "STEPS",
    "TARGET",
    "X0",
    "CliffPath",
    "descend",
    "error",
    "error_and_gradient",
    "error_surface",
    "trajectory",
    "wall_bias",
]

#: The paper's setting: x⁽⁰⁾ = 0.5, target σ(x⁽ᵀ⁾) = 0.7 after T = 50 steps.
X0 = 0.5
TARGET = 0.7
STEPS = 50


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e⁻ˣ), computed through e^(−|x|) so that it never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def trajectory(w, b, *, x0: float = X0, steps: int = STEPS) -> np.ndarray:
    """x⁽⁰⁾ … x⁽ᵀ⁾ of the recurrence x⁽ᵗ⁾ = w σ(x⁽ᵗ⁻¹⁾) + b: shape (T + 1,) + broadcast(w, b)."""
    T = positive_int("steps", steps)
    w, b = np.broadcast_arrays(np.asarray(w, np.float64), np.asarray(b, np.float64))
    xs = np.empty((T + 1,) + w.shape)
    xs[0] = x0
    for t in range(1, T + 1):
        xs[t] = w * _sigmoid(xs[t - 1]) + b
    return xs


def error(w, b, *, x0: float = X0, steps: int = STEPS, target: float = TARGET):
    """E = (σ(x⁽ᵀ⁾) − target)², broadcast over ``w`` and ``b``."""
    xT = trajectory(w, b, x0=x0, steps=steps)[-1]
    return (_sigmoid(xT) - target) ** 2


def error_and_gradient(
    w, b, *, x0: float = X0, steps: int = STEPS, target: float = TARGET
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E and its exact gradient (∂E/∂w, ∂E/∂b) by backpropagation through time.

    With s⁽ᵗ⁾ = σ(x⁽ᵗ⁾) and δ⁽ᵗ⁾ = ∂E/∂x⁽ᵗ⁾:

        δ⁽ᵀ⁾ = 2(s⁽ᵀ⁾ − target) s⁽ᵀ⁾(1 − s⁽ᵀ⁾),
        δ⁽ᵗ⁻¹⁾ = δ⁽ᵗ⁾ · w s⁽ᵗ⁻¹⁾(1 − s⁽ᵗ⁻¹⁾),
        ∂E/∂w = Σₜ δ⁽ᵗ⁾ s⁽ᵗ⁻¹⁾,   ∂E/∂b = Σₜ δ⁽ᵗ⁾      (t = 1 … T; w and b are shared).

    The factor w σ'(x⁽ᵗ⁻¹⁾) is this network's state Jacobian ∂x⁽ᵗ⁾/∂x⁽ᵗ⁻¹⁾; near the wall
    many consecutive factors exceed 1 and the gradient explodes.
    """
    xs = trajectory(w, b, x0=x0, steps=steps)
    w = np.broadcast_to(np.asarray(w, np.float64), xs.shape[1:])
    s = _sigmoid(xs)
    ds = s * (1.0 - s)
    E = (s[-1] - target) ** 2
    delta = 2.0 * (s[-1] - target) * ds[-1]
    dw = np.zeros(xs.shape[1:])
    db = np.zeros(xs.shape[1:])
    for t in range(xs.shape[0] - 1, 0, -1):
        dw += delta * s[t - 1]
        db += delta
        delta = delta * w * ds[t - 1]
    return E, dw, db


def error_surface(ws, bs, **kwargs) -> np.ndarray:
    """E on the grid ``ws`` × ``bs``: an array (len(bs), len(ws)), row i for bs[i]
    (the layout of ``matplotlib``'s ``contourf(ws, bs, E)``)."""
    W, B = np.meshgrid(np.asarray(ws, np.float64), np.asarray(bs, np.float64))
    return error(W, B, **kwargs)


def wall_bias(
    w,
    *,
    x0: float = X0,
    steps: int = STEPS,
    lo: float = -10.0,
    hi: float = 10.0,
    iterations: int = 60,
):
    """The bias b at which, for recurrent weight ``w`` > 0, x⁽ᵀ⁾ jumps from the lower to
    the upper branch: found by bisection on σ(x⁽ᵀ⁾) ≷ 1/2 over [lo, hi], broadcast over
    an array ``w`` (a float for a scalar ``w``).

    x⁽ᵀ⁾ increases with b (every ∂x⁽ᵗ⁾/∂b > 0 for w > 0), so the crossing is unique. For
    w = 5, x⁽⁰⁾ = 0.5 it is b ≈ 0.5 − 5σ(0.5) ≈ −2.612 (see the module docstring).
    """
    w = np.asarray(w, dtype=np.float64)
    if not (w > 0).all():
        raise InvalidValueError(f"w must be positive (a wall needs w σ' > 1 somewhere), got {w}")
    lo_b = np.full(w.shape, float(lo))
    hi_b = np.full(w.shape, float(hi))

    def upper(b: np.ndarray) -> np.ndarray:
        return _sigmoid(trajectory(w, b, x0=x0, steps=steps)[-1]) > 0.5

    if upper(lo_b).any() or not upper(hi_b).all():
        raise InvalidValueError(f"no wall for w = {w} with b in [{lo}, {hi}]")
    for _ in range(positive_int("iterations", iterations)):
        mid = 0.5 * (lo_b + hi_b)
        up = upper(mid)
        hi_b = np.where(up, mid, hi_b)
        lo_b = np.where(up, lo_b, mid)
    out = 0.5 * (lo_b + hi_b)
    return float(out) if out.ndim == 0 else out


@dataclass
class CliffPath:
    """Gradient-descent paths on the cliff, one per start (``starts`` of shape (..., 2)).

    ``points`` (k + 1, ..., 2): (w, b) after each step (index 0 the start); ``errors``
    (k + 1, ...): E at each point (NaN once a path has blown up); ``norms`` (k, ...):
    ‖∇E‖ before clipping; ``clipped`` (k, ...): whether Algorithm 1 rescaled the step;
    ``blew_up`` (...): the path met a non-finite value or left the box |w|, |b| ≤ bound
    (from then on it stays where it left).
    """

    points: np.ndarray
    errors: np.ndarray
    norms: np.ndarray
    clipped: np.ndarray
    blew_up: np.ndarray

    @property
    def final_error(self) -> np.ndarray:
        """E at the last point of each path (NaN for a path that blew up)."""
        return self.errors[-1]

    @property
    def longest_step(self) -> np.ndarray:
        """The largest distance ‖θₖ₊₁ − θₖ‖ moved in one step, per path."""
        return np.linalg.norm(np.diff(self.points, axis=0), axis=-1).max(axis=0)

    def failed(self, tolerance: float = 0.05) -> np.ndarray:
        """Blew up, or ended with E > ``tolerance`` (thrown off the valley onto the plateau
        beyond the wall, where E ≈ 0.34 and the gradient is too small to climb back)."""
        with np.errstate(invalid="ignore"):
            return self.blew_up | ~(self.final_error <= tolerance)


def descend(
    starts,
    *,
    lr: float,
    steps: int,
    clip: float | None = None,
    bound: float = 100.0,
    x0: float = X0,
    T: int = STEPS,
    target: float = TARGET,
) -> CliffPath:
    """Plain gradient descent θ ← θ − lr·ĝ on E(w, b) from each start (w, b).

    ``starts``: shape (2,) for one path or (..., 2) for many, run together (the
    recurrence broadcasts). ``clip`` = threshold applies Algorithm 1 of the notes
    (Pascanu et al. 2013) to ĝ first: if ‖ĝ‖ ≥ threshold then ĝ ← (threshold/‖ĝ‖) ĝ.
    Without it a step at the wall can be enormous; a path that leaves |w|, |b| ≤ ``bound``
    (or meets a non-finite value) is stopped and marked as blown up.
    """
    lr = positive_number("lr", lr)
    n = positive_int("steps", steps)
    thr = None if clip is None else positive_number("clip", clip)
    theta = np.array(starts, dtype=np.float64)
    if theta.ndim == 0 or theta.shape[-1] != 2:
        raise InvalidValueError(
            f"starts must have shape (..., 2) (pairs (w, b)), got {theta.shape}"
        )
    blew = np.zeros(theta.shape[:-1], bool)
    points, errors, norms, clipped = [theta.copy()], [], [], []
    for _ in range(n):
        E, dw, db = error_and_gradient(theta[..., 0], theta[..., 1], x0=x0, steps=T, target=target)
        errors.append(np.where(blew, np.nan, E))
        g = np.stack([dw, db], axis=-1)
        norm = np.hypot(dw, db)
        active = np.zeros_like(blew) if thr is None else (norm >= thr) & ~blew
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(active[..., None], g * (thr or 1.0) / norm[..., None], g)
        step = np.where(blew[..., None], 0.0, lr * g)
        with np.errstate(invalid="ignore", over="ignore"):
            theta = theta - step
            out = ~np.isfinite(theta).all(axis=-1) | (np.abs(theta).max(axis=-1) > bound)
        blew |= out
        norms.append(np.where(blew & ~out, np.nan, norm))
        clipped.append(active)
        points.append(theta.copy())
    safe = np.where(blew[..., None], 0.0, theta)
    final = error(safe[..., 0], safe[..., 1], x0=x0, steps=T, target=target)
    errors.append(np.where(blew, np.nan, final))
    return CliffPath(np.array(points), np.array(errors), np.array(norms), np.array(clipped), blew)
