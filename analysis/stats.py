"""Summary statistics and the Mann-Whitney U test (no scipy on Debian's python3 here).

The test follows Mann and Whitney, "On a test of whether one of two random
variables is stochastically larger than the other", Ann. Math. Statist. 18
(1947): U counts the pairs (x, y) with x > y (ties count one half). Small
samples without ties get the exact null distribution (the counting recurrence
of section 3 of the paper); otherwise the normal approximation with the tie
correction of the variance and a continuity correction of 0.5.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np

# Above this many values in the larger sample, or with ties, the exact
# distribution gives way to the normal approximation (scipy's rule too).
EXACT_MAX = 8


@dataclasses.dataclass(frozen=True)
class Summary:
    """Median and quartiles of a sample (numpy's linear interpolation)."""

    n: int
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


def quantile(sorted_values: np.ndarray, q: float) -> float:
    """numpy's linear interpolation, but exact for infinite values (inf and inf give inf, not nan, and no
    RuntimeWarning): a ratio with a zero denominator is infinite, and so is a quartile of such ratios."""
    pos = (sorted_values.size - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    frac = pos - lo
    if a == b or frac == 0:
        return a
    if math.isinf(b):  # a < b: only b can be +inf here
        return b
    return a + frac * (b - a)


# Latency percentiles: ONE rule, the nearest rank, the same as src/engine/histogram.hpp
# (nearest_rank, percentile_of, LatencyHistogram::percentile). For 0 <= q <= 1 over n > 0 values:
# k = ceil(q n), where q n is first taken down to the integer below it when it lies within a relative
# 1e-12 above one (0.07 * 100 is 7.000000000000001 in doubles and gives k = 7), clamped to [1, n]; the
# percentile is the k-th smallest value. From a stored histogram: the midpoint of the bucket holding the
# k-th smallest value, clamped to [min, max]. NaN for no values (C++ reports 0).
# (quantile above is numpy's interpolation, for the median and quartiles of repeated measurements.)

# The histogram layout of src/engine/histogram.hpp: 64 equal buckets per power of two from 2^-10 us
# to 2^40 us, 3200 in all; bucket i = (e + 10) * 64 + j covers [2^e (1 + j/64), 2^e (1 + (j+1)/64)).
HISTOGRAM_MIN_EXPONENT = -10
HISTOGRAM_MAX_EXPONENT = 40
HISTOGRAM_SUB_BUCKETS = 64


def nearest_rank(q: float, n: int) -> int:
    """The 1-based rank k of the q-th percentile of n values (0 if n == 0)."""
    if n == 0:
        return 0
    x = q * float(n)
    k = math.ceil(x - x * 1e-12) if not math.isnan(x) else 1
    return int(min(max(k, 1), n))


def percentile(values, q: float) -> float:
    """The nearest-rank percentile of raw values (the rule above); NaN if there are none."""
    v = np.sort(np.asarray(values, dtype=float))
    if v.size == 0:
        return math.nan
    return float(v[nearest_rank(q, v.size) - 1])


def histogram_bucket_value(i: int, min_exponent: int = HISTOGRAM_MIN_EXPONENT,
                           sub_buckets: int = HISTOGRAM_SUB_BUCKETS) -> float:
    """The representative value (midpoint) of bucket i, in microseconds."""
    e, j = divmod(int(i), sub_buckets)
    return math.ldexp(1.0 + (j + 0.5) / sub_buckets, e + min_exponent)


def histogram_percentile(counts, q: float, min_us: float, max_us: float,
                         min_exponent: int = HISTOGRAM_MIN_EXPONENT,
                         sub_buckets: int = HISTOGRAM_SUB_BUCKETS) -> float:
    """The q-th percentile from stored bucket counts and the exact min and max (the rule above)."""
    c = np.asarray(counts, dtype=np.uint64)
    n = int(c.sum())
    if n == 0:
        return math.nan
    k = nearest_rank(q, n)
    i = int(np.searchsorted(np.cumsum(c), k, side="left"))
    return float(min(max(histogram_bucket_value(i, min_exponent, sub_buckets), min_us), max_us))


def summarize(values) -> Summary:
    v = np.sort(np.asarray([x for x in values if not _is_nan(x)], dtype=float))
    if v.size == 0:
        return Summary(0, math.nan, math.nan, math.nan)
    q1, med, q3 = (quantile(v, q) for q in (0.25, 0.5, 0.75))
    return Summary(int(v.size), float(med), float(q1), float(q3))


def _is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


@dataclasses.dataclass(frozen=True)
class MannWhitney:
    u: float  # U of the first sample: pairs with x > y, ties counting 1/2
    p: float  # two-sided p-value
    method: str  # "exact" or "normal"
    n1: int
    n2: int


def rank_average(values) -> np.ndarray:
    """Ranks from 1, tied values sharing the mean of their ranks."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(v.size, dtype=float)
    i = 0
    while i < v.size:
        j = i
        while j + 1 < v.size and v[order[j + 1]] == v[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1  # mean of ranks i+1 .. j+1
        i = j + 1
    return ranks


@lru_cache(maxsize=None)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """Number of orderings of n1 x's and n2 y's giving each U = 0 .. n1*n2.

    The largest of all values is an x (every one of the n2 y's lies below it,
    adding n2 to U) or a y (adding nothing): c(n1, n2, u) = c(n1-1, n2, u-n2) + c(n1, n2-1, u).
    """
    if n1 == 0 or n2 == 0:
        return (1,)
    with_x = _u_counts(n1 - 1, n2)
    with_y = _u_counts(n1, n2 - 1)
    out = [0] * (n1 * n2 + 1)
    for u, c in enumerate(with_x):
        out[u + n2] += c
    for u, c in enumerate(with_y):
        out[u] += c
    return tuple(out)


def mann_whitney_u(x, y, method: str = "auto") -> MannWhitney:
    """Two-sided Mann-Whitney U test of x against y.

    method: "exact" (only without ties), "normal", or "auto" (exact when both
    samples have at most EXACT_MAX values and there are no ties).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value in each sample")
    both = np.concatenate([x, y])
    ranks = rank_average(both)
    u1 = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    _, tie_sizes = np.unique(both, return_counts=True)
    has_ties = bool((tie_sizes > 1).any())
    if method == "auto":
        method = "exact" if not has_ties and max(n1, n2) <= EXACT_MAX else "normal"
    if method == "exact":
        if has_ties:
            raise ValueError("the exact Mann-Whitney distribution here assumes no ties")
        counts = _u_counts(n1, n2)
        total = math.comb(n1 + n2, n1)
        u_small = int(round(min(u1, n1 * n2 - u1)))
        p = min(1.0, 2 * sum(counts[: u_small + 1]) / total)
        return MannWhitney(u1, p, "exact", n1, n2)
    if method != "normal":
        raise ValueError(f"unknown method {method!r}")
    n = n1 + n2
    mean = n1 * n2 / 2
    tie_term = float(((tie_sizes.astype(float) ** 3) - tie_sizes).sum())
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:  # every value equal: no evidence of a difference
        return MannWhitney(u1, 1.0, "normal", n1, n2)
    z = max(0.0, abs(u1 - mean) - 0.5) / math.sqrt(var)
    p = min(1.0, math.erfc(z / math.sqrt(2)))  # 2 * (1 - Phi(z))
    return MannWhitney(u1, p, "normal", n1, n2)


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided p the exact test can give for these sample sizes."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))
