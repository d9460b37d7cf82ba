"""The backend's self-check (what ``gradsym build`` reports): every cell and variant of
make_cell passes, and a wrong backward pass or state Jacobian fails its row."""

from __future__ import annotations

import pytest

from gradsym.numeric import selfcheck
from gradsym.numeric.cells import cell_variants
from gradsym.numeric.cells.gru import GRU
from gradsym.numeric.cells.rnn import RNN


@pytest.fixture(scope="module")
def rows():
    return selfcheck.check_backend(seed=0)


def test_every_cell_and_variant_is_checked_and_passes(rows):
    assert [r.label for r in rows] == [f"{n.upper()}({v})" for n, v in cell_variants()]
    for r in rows:
        assert r.passed, r
        assert r.gradient_error < selfcheck.GRADCHECK_RTOL
        assert r.jacobian_error < selfcheck.GRADCHECK_RTOL


def test_another_seed_checks_other_numbers(rows):
    other = selfcheck.check_backend(seed=1)
    assert [r.gradient_error for r in other] != [r.gradient_error for r in rows]
    assert all(r.passed for r in other)


def test_a_wrong_backward_pass_fails_its_rows(monkeypatch):
    real = RNN._backward

    def off_by_a_little(self, trace, direct, final):
        g = real(self, trace, direct, final)
        g.params["W_h"] *= 1.001
        return g

    monkeypatch.setattr(RNN, "_backward", off_by_a_little)
    results = {r.label: r for r in selfcheck.check_backend(seed=0)}
    for label, r in results.items():
        assert r.passed == (not label.startswith("RNN")), label
    assert results["RNN(tanh)"].worst_gradient == "W_h"
    assert results["RNN(tanh)"].gradient_error > 1e-4


def test_a_wrong_state_jacobian_fails_its_rows(monkeypatch):
    real = GRU._state_jacobian

    def transposed(self, x, state):
        J_ss, J_sx = real(self, x, state)
        return J_ss.transpose(0, 2, 1), J_sx

    monkeypatch.setattr(GRU, "_state_jacobian", transposed)
    results = {r.label: r for r in selfcheck.check_backend(seed=0)}
    for label, r in results.items():
        assert r.passed == (not label.startswith("GRU")), label
        if label.startswith("GRU"):
            assert r.jacobian_error > 1e-2 and r.gradient_error < selfcheck.GRADCHECK_RTOL
