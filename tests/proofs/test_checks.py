"""Every checker passes a true statement and fails a wrong one, saying where."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy import MatMul

from gradsym.errors import InvalidValueError
from gradsym.proofs import Counterexample, Generic, Identity, JacobianIdentity, Numeric, Step
from gradsym.proofs.catalogue.common import Apply, Diag, S
from gradsym.symbolic import cell as get_cell

x, y = sp.symbols("x y", real=True)


def test_identity_true_and_false():
    assert Identity(lambda: ((x + y) ** 2, x**2 + 2 * x * y + y**2)).run().passed
    bad = Identity(lambda: ((x + y) ** 2, x**2 + y**2)).run()
    assert not bad.passed
    assert bad.counterexample["entry"] == [0, 0]
    assert "2*x*y" in bad.counterexample["difference"]


def test_identity_with_opaque_functions():
    assert (
        Identity(lambda: (sp.tanh(x) * (1 - sp.tanh(x)), sp.tanh(x) - sp.tanh(x) ** 2)).run().passed
    )
    assert not Identity(lambda: (sp.tanh(x), sp.tanh(y))).run().passed


def test_identity_shape_mismatch_fails():
    res = Identity(lambda: (sp.eye(2), sp.eye(3))).run()
    assert not res.passed and "shapes differ" in res.detail


def _rnn():
    return get_cell("rnn", "tanh")


def test_jacobian_identity_true_and_false():
    def right(c):
        W_h, z = S(c, "W_h", "z")
        return MatMul(Diag(Apply("tanh'", z)), W_h)

    def wrong(c):
        W_h, z = S(c, "W_h", "z")
        return MatMul(Diag(Apply("sigmoid'", z)), W_h)

    assert JacobianIdentity(_rnn, "h", "h_prev", right).run().passed
    bad = JacobianIdentity(_rnn, "h", "h_prev", wrong).run()
    assert not bad.passed and bad.counterexample["entry"] is not None


def test_generic_true_false_and_raising():
    assert Generic(lambda: sp.limit(1 / x, x, sp.oo) == 0).run().passed
    assert not Generic(lambda: (sp.limit(x, x, sp.oo) == 0, "diverges")).run().passed
    res = Generic(lambda: 1 / 0).run()
    assert not res.passed and "ZeroDivisionError" in res.detail


def test_numeric_relations():
    rng = np.random.default_rng(0)
    same = Numeric(lambda r: (np.ones(3), np.ones(3)))
    assert same.run(rng=rng).passed
    off = Numeric(lambda r: (np.ones(3), np.ones(3) * (1 + 1e-6)), tol=1e-9).run(rng=rng)
    assert not off.passed and off.max_error > 1e-7 and off.counterexample is not None
    assert Numeric(lambda r: (np.zeros(2), np.ones(2)), "≤").run(rng=rng).passed
    assert not Numeric(lambda r: (np.full(2, 2.0), np.ones(2)), "≤").run(rng=rng).passed
    assert not Numeric(lambda r: (np.ones(2), np.ones(2)), "<").run(rng=rng).passed
    assert Numeric(lambda r: (np.ones(2), np.zeros(2)), ">").run(rng=rng).passed
    assert not Numeric(lambda r: (np.array([np.nan]), np.array([0.0]))).run(rng=rng).passed


def test_counterexample_found_or_not():
    found = Counterexample(lambda r: {"v": 1} if r.random() < 2 else None).run(seed=0)
    assert found.passed and found.counterexample["v"] == 1
    none = Counterexample(lambda r: None, trials=3).run(seed=0)
    assert not none.passed and "no witness" in none.detail


def test_step_relation_is_validated():
    with pytest.raises(InvalidValueError):
        Step(x, y, "≈", "nope")
