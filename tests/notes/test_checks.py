"""Every checker passes a true step and fails a wrong one, saying where; hypotheses and
where-clauses reach the instances; an atom no model knows fails the check."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy import ImmutableMatrix as M
from sympy import MatMul, Transpose

from gradsym.errors import InvalidValueError
from gradsym.lang.functions import sigmoid
from gradsym.lang.notation import Named, Norm, matrix
from gradsym.notes import Condition, Exact, Model, Sampled, Step
from gradsym.notes.catalogue.common import Apply, Diag, S, jacobian_step
from gradsym.notes.checks import float_error, run_check

x, y = sp.symbols("x y", real=True)


def _exact(step, *models, **kwargs):
    return run_check(Exact(lambda: list(models), "test", **kwargs), step, 0)


def _sampled(step, sample, **kwargs):
    return run_check(Sampled(sample, "test", **kwargs), step, 0)


def test_identity_true_and_false():
    free = Model({}, free=(x, y))
    assert _exact(Step((x + y) ** 2, "=", x**2 + 2 * x * y + y**2, "expand"), free).passed
    bad = _exact(Step((x + y) ** 2, "=", x**2 + y**2, "wrong"), free)
    assert not bad.passed
    assert "entry (0, 0) differs" in bad.counterexample["why"]


def test_identity_with_opaque_functions_and_sigma_written_out():
    free = Model({}, free=(x, y))
    step = Step(sp.tanh(x) * (1 - sp.tanh(x)), "=", sp.tanh(x) - sp.tanh(x) ** 2, "expand")
    assert _exact(step, free).passed
    assert not _exact(Step(sp.tanh(x), "=", sp.tanh(y), "no"), free).passed
    # σ(−z) = 1 − σ(z) is an identity only once σ is written out: the check finds it
    assert _exact(Step(sigmoid(-x), "=", 1 - sigmoid(x), "symmetry"), free).passed
    assert not _exact(Step(sigmoid(-x), "=", sigmoid(x), "no"), free).passed


def test_shapes_must_agree():
    A = Named("A", 2, 2, r"\mathbf{A}")
    res = _exact(Step(A, "=", M([[1, 0, 0]]), "shapes"), Model({A: M([[1, 0], [0, 1]])}))
    assert not res.passed and "shapes differ" in res.detail


def test_an_atom_no_model_knows_fails_the_check_and_is_named():
    W = Named("W_h", 2, 2, r"\mathbf{W}_h")
    res = _exact(Step(W, "=", W, "reflexivity"), Model({}))
    assert not res.passed and "W_h" in res.detail and "Unbound" in res.detail


def test_inequalities_are_decided_exactly():
    s = sp.Symbol("s", positive=True)
    q = 1 / (1 + s)
    ell = sp.Symbol("ell", integer=True, positive=True)
    free = Model({}, free=(s, ell))
    assert _exact(Step(q ** (ell + 1), "<", q**ell, "q < 1"), free).passed
    assert not _exact(Step(q**ell, "<", q ** (ell + 1), "no"), free).passed
    # undecidable signs fail (never pass)
    res = _exact(Step(x, "≤", y, "?"), Model({}, free=(x, y)))
    assert not res.passed and "undecided" in res.detail


def test_limits_term_by_term_with_negative_bases():
    ell = sp.Symbol("ell", integer=True, positive=True)
    expr = sp.Rational(3, 5) ** ell + (-sp.Rational(9, 10)) ** ell
    free = Model({}, free=(ell,))
    assert _exact(Step(expr, "→", 0, "|λ| < 1", limit=(ell, sp.oo)), free).passed
    assert not _exact(Step(expr, "→", 1, "no", limit=(ell, sp.oo)), free).passed
    grow = Step(sp.Abs((-sp.Rational(11, 10)) ** ell), "→", sp.oo, "|λ| > 1", limit=(ell, sp.oo))
    assert _exact(grow, free).passed


def test_sampled_relations():
    def const(a, b):
        return Step(Named("a", 2, 1, "a"), a, Named("b", 2, 1, "b"), "test"), lambda rng: Model(
            {Named("a", 2, 1, "a"): np.ones((2, 1)), Named("b", 2, 1, "b"): b * np.ones((2, 1))}
        )

    assert _sampled(*const("=", 1.0)).passed
    off = _sampled(*const("=", 1 + 1e-6), tol=1e-9)
    assert not off.passed and off.max_error > 1e-7 and off.counterexample is not None
    assert _sampled(*const("≤", 2.0)).passed
    assert not _sampled(*const("≤", 0.5)).passed
    assert not _sampled(*const("<", 1.0)).passed
    assert _sampled(*const(">", 0.0)).passed
    assert _sampled(*const("≠", 2.0)).passed
    assert not _sampled(*const("≠", 1.0)).passed
    assert float_error("=", np.array([np.nan]), np.array([0.0])) == float("inf")
    assert float_error("∉", np.array([np.inf]), sp.S.Reals) == 0.0
    assert float_error("∉", np.array([1.0]), sp.S.Reals) == 1.0


def test_hypotheses_exclude_instances_and_are_needed():
    """A bound true only under its hypothesis: the check evaluates the hypothesis on every
    instance; without it the instances that break the bound come in."""
    a = sp.Symbol("a", real=True)
    models = [Model({a: v}) for v in (sp.Rational(1, 2), sp.Rational(3, 2), 2)]
    with_h = Step(1 - a, "≥", 0, "a ≤ 1", hypotheses=(Condition(a, "≤", 1),))
    res = _exact(with_h, *models)
    assert res.passed and res.instances == 1 and res.excluded == 2
    without = Step(1 - a, "≥", 0, "a ≤ 1")
    assert not _exact(without, *models).passed
    # an instance set that never satisfies the hypothesis proves nothing
    res = _exact(with_h, Model({a: 2}))
    assert not res.passed and "satisfy the hypotheses" in res.detail


def test_where_substitutes_into_the_display():
    Q = matrix("Q", r"\mathbf{Q}", 2, 2)
    v = Named("v", 2, 1, r"\mathbf{v}")
    step = Step(Norm(MatMul(Q, v)), "=", 5, "‖Qv‖", where=((v, M([3, 4])),))
    R = M([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    assert _exact(step, Model({Q: R})).passed
    assert not _exact(step, Model({Q: 2 * R})).passed


def test_a_derived_atom_in_where_is_a_condition_for_float_models():
    """A float64 model computes a gate by its own route: where u = 0 cannot be imposed on
    it, so the instance must have u ≈ 0 itself, or it is excluded."""
    step = jacobian_step(
        "gru", "textbook", "h", "h_prev", lambda c: sp.Identity(S(c, "h").shape[0]), "u = 0"
    )
    from gradsym.notes.catalogue.gru import TEXTBOOK, _saturated
    from gradsym.notes.models import float_cell

    step = Step(
        step.lhs,
        "=",
        step.rhs,
        "u = 0",
        where=((S(TEXTBOOK, "u"), sp.ZeroMatrix(S(TEXTBOOK, "u").shape[0], 1)),),
    )
    assert _sampled(step, _saturated(TEXTBOOK, "b_u", -60.0), tol=1e-13, scale="absolute").passed
    res = _sampled(step, lambda rng: float_cell(TEXTBOOK, rng), tol=1e-13)
    assert not res.passed and res.excluded == res.instances + res.excluded


def test_a_check_that_needs_a_missing_package_says_it_is_skipped():
    step = Step(x, "=", x, "reflexivity")
    res = _sampled(step, lambda rng: Model({x: 1.0}), requires="no_such_package_gradsym")
    assert res.skipped and res.passed and "skipped" in res.detail


def test_cell_jacobian_checks_catch_a_wrong_form():
    def wrong(c):
        W_h, z = S(c, "W_h", "z")
        return MatMul(Diag(Apply("sigmoid'", z)), W_h)

    step = jacobian_step("rnn", "tanh", "h", "h_prev", wrong, "chain rule")
    for check in step.checks:
        assert not run_check(check, step, 0).passed
    transposed = jacobian_step(
        "rnn",
        "tanh",
        "h",
        "h_prev",
        lambda c: MatMul(Diag(Apply("tanh'", S(c, "z"))), Transpose(S(c, "W_h"))),
        "no",
    )
    assert not any(run_check(ch, transposed, 0).passed for ch in transposed.checks)


def test_step_is_validated():
    with pytest.raises(InvalidValueError):
        Step(x, "≈", y, "nope")
    with pytest.raises(InvalidValueError, match="SymPy object"):
        Step("a string", "=", y, "printed, never checked")
    with pytest.raises(InvalidValueError, match="limit"):
        Step(x, "→", y, "needs the variable")
    with pytest.raises(InvalidValueError):
        Condition(x, "→", y)
