"""Small statistics for reports: confidence intervals and a two-proportion test.

Wilson's score interval for a proportion (sound at small counts and at 0 or 1, where the
normal approximation is not), a normal interval for a mean, and the pooled two-proportion
z-test with its two-sided p-value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class Estimate:
    value: float | None  # None: no data
    low: float | None
    high: float | None
    n: int


def wilson(successes: int, trials: int, z: float = Z95) -> Estimate:
    if trials <= 0:
        return Estimate(None, None, None, 0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), trials)


def mean_interval(values: Sequence[float], z: float = Z95) -> Estimate:
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = sum(values) / n
    if n == 1:
        return Estimate(mean, None, None, 1)
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class ProportionTest:
    difference: float  # the second proportion minus the first
    z: float
    p_value: float  # two-sided


def two_proportions(s1: int, n1: int, s2: int, n2: int) -> ProportionTest | None:
    """Whether two rates differ more than chance would make them: the pooled z-test. None
    when either side has no trials or the pooled rate is 0 or 1 (nothing to test)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return None
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    difference = s2 / n2 - s1 / n1
    z = difference / se
    return ProportionTest(difference, z, math.erfc(abs(z) / math.sqrt(2)))
