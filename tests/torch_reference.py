"""A generated NumPy cell against a step written by hand in PyTorch (float64): the forward
pass, the state Jacobian ∂s⁽ᵗ⁾/∂[s⁽ᵗ⁻¹⁾; x⁽ᵗ⁾] and every gradient (input, initial state,
parameters) of a random linear loss of every state at every step.

The torch step is the outside reference: it is written in the test from the paper's (or the
equations') formulas with torch's own functions, and differentiated by torch's autograd,
so that neither the equations' parser, nor the matrix calculus, nor the code generator of
gradsym is behind the numbers it is compared with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """The largest error of each comparison, relative to the largest entry of the torch
    value: ``forward`` (every state at every step), ``jacobian`` (the state and input
    blocks of the first step), ``gradients`` (by array name: "x", "h0", …, each parameter)."""

    forward: float
    jacobian: float
    gradients: dict[str, float]

    def worst(self) -> tuple[str, float]:
        items = {"forward": self.forward, "jacobian": self.jacobian, **self.gradients}
        name = max(items, key=items.get)
        return name, items[name]


def _relative(ours: np.ndarray, ref: np.ndarray) -> float:
    scale = max(float(np.abs(ref).max()), 1e-300)
    return float(np.abs(np.asarray(ours) - ref).max()) / scale


def agreement(
    cell,
    torch_step: Callable,
    xs: np.ndarray,
    state0: tuple[np.ndarray, ...],
    rng: np.random.Generator,
) -> Agreement:
    """Compare ``cell`` (a NumPy cell) with ``torch_step(P, x, state) -> state``, where P maps
    the cell's parameter names to torch tensors, x is (B, d) and a state is a tuple of
    (B, n) tensors in the cell's state order."""
    import torch

    T, B, _ = xs.shape
    names = list(cell.params)
    P = {k: torch.tensor(np.array(cell.params[k]), dtype=torch.float64) for k in names}
    for p in P.values():
        p.requires_grad_(True)
    X = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    S0 = tuple(torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in state0)

    # forward and the gradient of a random linear loss of every state at every step
    G = {s: rng.standard_normal((T, B, cell.hidden_size)) for s in cell.state_names}
    state, loss, steps = S0, 0.0, []
    for t in range(T):
        state = tuple(torch_step(P, X[t], state))
        steps.append(state)
        for name, s in zip(cell.state_names, state):
            loss = loss + (torch.tensor(G[name][t]) * s).sum()
    loss.backward()
    trace = cell.forward(xs, state0)
    forward = max(
        _relative(trace.states[name], np.stack([steps[t][k].detach().numpy() for t in range(T)]))
        for k, name in enumerate(cell.state_names)
    )
    grads = cell.backward(trace, d_states=G)
    gradients = {"x": _relative(grads.dxs, X.grad.numpy())}
    for name, ours, s in zip(cell.state_names, grads.dstate0, S0):
        gradients[f"{name}0"] = _relative(ours, s.grad.numpy())
    for k in names:
        gradients[k] = _relative(grads.params[k], P[k].grad.numpy())

    # the state Jacobian of the first step, one sequence of the batch at a time
    J_ss, J_sx = cell.state_jacobian(xs[0], state0)
    k_states = len(state0)
    worst = 0.0
    for b in range(B):
        detached = {k: v.detach() for k, v in P.items()}

        def flat_step(s_flat, x, detached=detached):
            parts = tuple(p[None] for p in s_flat.split(cell.hidden_size))
            return torch.cat([s[0] for s in torch_step(detached, x[None], parts)])

        s_flat = torch.cat([torch.tensor(s[b]) for s in state0])
        x_b = torch.tensor(xs[0, b])
        jac_s, jac_x = torch.autograd.functional.jacobian(flat_step, (s_flat, x_b))
        assert jac_s.shape == (k_states * cell.hidden_size,) * 2
        worst = max(worst, _relative(J_ss[b], jac_s.numpy()), _relative(J_sx[b], jac_x.numpy()))
    return Agreement(forward, worst, gradients)


__all__ = ["Agreement", "agreement"]
