"""The recurrent layers of 2023–2024 in the library (sLSTM, minGRU, minLSTM, the RG-LRU, the
LRU in real form, Mamba's selective step) against PyTorch written here from each paper's
equations: the forward pass, the state Jacobian and every gradient agree to 1e-12 in
float64 (relative to the largest entry), and their compact Jacobians are proved equal to
SymPy's explicit ones. Each torch step below is transcribed from the paper (equation
numbers in the comments), not from the library's equations; the contract suite
(test_contract.py) runs its gradient, Jacobian and training checks over them too.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_reference import agreement

from gradsym.cells import get
from gradsym.declared import library_cell

N, D, T, B = 3, 2, 4, 2


def _slstm(P, x, state):
    """Beck et al. 2024, eqs. (8)–(17), sigmoid forget gate, φ = tanh."""
    import torch

    h, c, n, m = state
    z = torch.tanh(x @ P["W_z"].T + h @ P["R_z"].T + P["b_z"])  # (11)
    i_tilde = x @ P["W_i"].T + h @ P["R_i"].T + P["b_i"]  # (12), log i = ĩ
    f_tilde = x @ P["W_f"].T + h @ P["R_f"].T + P["b_f"]  # (13)
    o = torch.sigmoid(x @ P["W_o"].T + h @ P["R_o"].T + P["b_o"])  # (14)
    log_f = torch.nn.functional.logsigmoid(f_tilde)
    m_new = torch.maximum(log_f + m, i_tilde)  # (15)
    i_s = torch.exp(i_tilde - m_new)  # (16)
    f_s = torch.exp(log_f + m - m_new)  # (17)
    c_new = f_s * c + i_s * z  # (8)
    n_new = f_s * n + i_s  # (9)
    return o * (c_new / n_new), c_new, n_new, m_new  # (10)


def _mingru(P, x, state):
    """Feng et al. 2024, section 3.1."""
    import torch

    (h,) = state
    z = torch.sigmoid(torch.nn.functional.linear(x, P["W_z"], P["b_z"]))
    h_tilde = torch.nn.functional.linear(x, P["W_h"], P["b_h"])
    return ((1 - z) * h + z * h_tilde,)


def _minlstm(P, x, state):
    """Feng et al. 2024, section 3.2."""
    import torch

    (h,) = state
    f = torch.sigmoid(torch.nn.functional.linear(x, P["W_f"], P["b_f"]))
    i = torch.sigmoid(torch.nn.functional.linear(x, P["W_i"], P["b_i"]))
    h_tilde = torch.nn.functional.linear(x, P["W_h"], P["b_h"])
    return (f / (f + i) * h + i / (f + i) * h_tilde,)


def _rglru(P, x, state):
    """De et al. 2024, eqs. (1)–(4), c = 8; a_t computed in log space as Griffin's code
    does, log a_t = −c r_t softplus(−Λ)."""
    import torch

    (h,) = state
    r = torch.sigmoid(x @ P["W_a"].T + P["b_a"])  # (1)
    i = torch.sigmoid(x @ P["W_x"].T + P["b_x"])  # (2)
    log_a = -8.0 * r * torch.nn.functional.softplus(-P["Lambda"])  # (3)
    a = torch.exp(log_a)
    return (a * h + torch.sqrt(1 - torch.exp(2 * log_a)) * (i * x),)  # (4)


def _lru(P, x, state):
    """Orvieto et al. 2023, eq. (1) with the exponential parametrisation and the
    normalisation of sections 3.2–3.3, θ = 0."""
    import torch

    (h,) = state
    lam = torch.exp(-torch.exp(P["nu_log"]))
    return (lam * h + torch.exp(P["gamma_log"]) * (x @ P["B"].T),)


def _s6(P, x, state):
    """Gu & Dao 2023, eq. (2a) with the zero-order hold (4), Δ of algorithm 2; one state
    per channel, A = −exp(A_log)."""
    import torch

    (h,) = state
    delta = torch.nn.functional.softplus(P["b_delta"] + x @ P["W_delta"].T)  # (B, D)
    A = -torch.exp(P["A_log"])
    A_bar = torch.exp(delta * A)  # (4)
    B_bar = (delta * A) ** -1 * (A_bar - 1) * delta * (x @ P["W_B"].T)  # (4), B = s_B(x)
    return (A_bar * h + B_bar * (x @ P["W_u"].T),)  # (2a), the channel inputs W_u x


REFERENCES = {
    "slstm": _slstm,
    "mingru": _mingru,
    "minlstm": _minlstm,
    "rglru": _rglru,
    "lru": _lru,
    "s6": _s6,
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_the_library_cell_is_its_papers_recurrence(name, rng):
    pytest.importorskip("torch")
    entry = get(name)
    assert entry.kind == "library" and "20" in entry.source  # a cited year
    d = N if (entry.shapes or {}).get("x") == "n" else D
    cell = library_cell(name).numpy(d, N, rng=np.random.default_rng(11))
    xs = rng.standard_normal((T, B, d))
    state0 = tuple(0.5 * rng.standard_normal((B, N)) for _ in cell.state_names)
    if name == "slstm":  # a normaliser state is positive (a sum of positive gates)
        state0 = (state0[0], state0[1], 1.0 + np.abs(state0[2]), state0[3])
    found = agreement(cell, REFERENCES[name], xs, state0, rng)
    what, worst = found.worst()
    assert worst < 1e-12, f"{name}: {what} differs from torch by {worst:.2e}"


@pytest.mark.parametrize("name", list(REFERENCES))
def test_the_compact_jacobians_are_proved(name):
    declared = library_cell(name)
    for of, wrt in declared.blocks:
        assert declared.jacobian(of, wrt).prove(2).holds, (name, of, wrt)


def test_a_torch_step_off_by_one_term_is_caught(rng):
    """The comparison can fail: the sLSTM with the unstabilised input gate of (12), e^ĩ
    for e^(ĩ − m), is a different recurrence."""
    pytest.importorskip("torch")
    import torch

    def unstabilised(P, x, state):
        h, c, n, m = _slstm(P, x, state)
        return h + 1e-6 * torch.tanh(m), c, n, m

    cell = library_cell("slstm").numpy(D, N, rng=np.random.default_rng(11))
    xs = rng.standard_normal((T, B, D))
    s = tuple(0.5 * rng.standard_normal((B, N)) for _ in range(4))
    s = (s[0], s[1], 1.0 + np.abs(s[2]), s[3])
    assert agreement(cell, unstabilised, xs, s, rng).worst()[1] > 1e-9
