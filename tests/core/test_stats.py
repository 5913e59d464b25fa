"""The report statistics against values computed by hand and by scipy."""

from __future__ import annotations

import pytest

from core.stats import mean_interval, two_proportions, wilson

pytestmark = pytest.mark.unit


def test_wilson_matches_scipy_and_stays_inside_zero_and_one() -> None:
    from scipy.stats import binomtest

    ci = binomtest(18, 40).proportion_ci(method="wilson")
    got = wilson(18, 40)
    assert got.value == 0.45
    assert got.low == pytest.approx(ci.low, abs=1e-9)
    assert got.high == pytest.approx(ci.high, abs=1e-9)
    zero = wilson(0, 10)
    assert zero.value == 0.0 and zero.low == 0.0 and 0.2 < (zero.high or 0) < 0.35
    assert wilson(0, 0).value is None


def test_the_two_proportion_test_matches_a_worked_example() -> None:
    from scipy.stats import norm

    test = two_proportions(45, 100, 60, 100)
    assert test is not None
    pooled = 105 / 200
    se = (pooled * (1 - pooled) * (2 / 100)) ** 0.5
    assert test.z == pytest.approx(0.15 / se)
    assert test.p_value == pytest.approx(2 * norm.sf(0.15 / se))
    assert two_proportions(0, 10, 0, 10) is None and two_proportions(1, 0, 1, 5) is None


def test_mean_interval_narrows_with_more_values() -> None:
    few, many = mean_interval([1.0, 2.0, 3.0]), mean_interval([1.0, 2.0, 3.0] * 30)
    assert few.value == many.value == 2.0
    assert (few.high or 0) - (few.low or 0) > (many.high or 0) - (many.low or 0)
    assert mean_interval([]).value is None
