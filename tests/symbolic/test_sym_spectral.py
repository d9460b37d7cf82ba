"""Spectral facts: W_h^ℓ via eigen/Jordan forms, λ^ℓ → 0, γ = sup|σ'|, orthogonal Q."""

from __future__ import annotations

import pytest
import sympy as sp

from gradsym.errors import InvalidValueError, NotDiagonalizableError, ShapeError
from gradsym.symbolic import (
    eigen_power,
    ell,
    gamma,
    jordan_power,
    jordan_vanishes,
    orthogonal_norm_preserved,
    power_limit,
    rotation,
    rotation_power,
)

HALF, THIRD = sp.Rational(1, 2), sp.Rational(1, 3)


def test_power_through_the_eigendecomposition():
    W = sp.Matrix([[HALF, sp.Rational(1, 4)], [0, THIRD]])
    ep = eigen_power(W)
    assert ep.Q * ep.Lambda * ep.Q.inv() == W
    for k in (1, 2, 7):
        assert (ep.power.subs(ell, k) - W**k).applyfunc(sp.simplify) == sp.zeros(2, 2)
    assert ep.power.applyfunc(lambda e: sp.limit(e, ell, sp.oo)) == sp.zeros(2, 2)


def test_eigen_power_with_symbolic_eigenvalues():
    a, b = sp.symbols("lambda1 lambda2", positive=True)
    P = sp.Matrix([[1, 1], [0, 1]])
    W = P * sp.diag(a, b) * P.inv()
    ep = eigen_power(W)
    assert (ep.power - P * sp.diag(a**ell, b**ell) * P.inv()).applyfunc(sp.simplify) == sp.zeros(
        2, 2
    )


@pytest.mark.parametrize(
    "lam, limit",
    [
        (sp.Rational(9, 10), 0),
        (-sp.Rational(9, 10), 0),
        (HALF + sp.I * HALF, 0),  # |λ| < 1
        (sp.Rational(11, 10), sp.oo),
        (1 + sp.I, sp.oo),  # |λ| > 1
        (sp.exp(sp.I), 1),  # |λ| = 1
    ],
)
def test_powers_of_eigenvalues(lam, limit):
    assert power_limit(lam) == limit


def test_a_symbolic_eigenvalue_below_one_vanishes():
    s = sp.Symbol("s", positive=True)
    assert power_limit(1 / (1 + s)) == 0


def test_jordan_block_has_l_lambda_l_minus_1_terms():
    lam = sp.Symbol("lambda")
    assert jordan_power(lam) == sp.Matrix([[lam**ell, ell * lam ** (ell - 1)], [0, lam**ell]])
    assert jordan_vanishes(sp.Rational(9, 10)) and not jordan_vanishes(sp.Rational(11, 10))
    assert jordan_vanishes(-sp.Rational(99, 100))


@pytest.mark.parametrize(
    "name, value", [("tanh", 1), ("sigmoid", sp.Rational(1, 4)), ("relu", 1), ("identity", 1)]
)
def test_gamma_is_derived(name, value):
    g = gamma(name)
    assert g.value == value
    assert g.value != (sp.Rational(1, 2) if value == sp.Rational(1, 4) else 2)  # not any number


def test_sigmoid_gamma_certificate_is_a_square():
    g = gamma("sigmoid")
    s = sp.Symbol("s", real=True)
    assert sp.expand(g.certificate - (s - HALF) ** 2) == 0


def test_orthogonal_powers_keep_the_norm():
    theta = sp.Symbol("theta", real=True)
    P, diff = rotation_power(theta)
    assert P == rotation(ell * theta) and diff == 0
    assert orthogonal_norm_preserved(rotation(theta))
    assert not orthogonal_norm_preserved(sp.Matrix([[1, 1], [0, 1]]))  # shear: not orthogonal


def test_bad_matrices_give_clear_errors():
    with pytest.raises(ShapeError, match="square"):
        eigen_power(sp.Matrix([[1, 2, 3], [4, 5, 6]]))
    with pytest.raises(NotDiagonalizableError, match="eigenvectors"):
        eigen_power(sp.Matrix([[HALF, 1], [0, HALF]]))
    with pytest.raises(ShapeError):
        orthogonal_norm_preserved(sp.Matrix([[1, 2]]))
    with pytest.raises(InvalidValueError):
        jordan_power(HALF, 0)
