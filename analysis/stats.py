"""Summary statistics, percentiles, and the tests between strategies.

The test is scipy.stats.mannwhitneyu (Debian's python3-scipy), two-sided: U
counts the pairs (x, y) with x > y (ties count one half); scipy takes the exact
null distribution when both samples have at most 8 values and there are no
ties, otherwise the normal approximation with the tie correction of the
variance and a continuity correction of 0.5. Several pairs are tested at once,
so their p-values are adjusted by Holm's step-down method (holm()), which keeps
the chance of any false claim among them at most alpha.

The effect size is the Hodges-Lehmann shift: the median of all n1 x n2
differences x_i - y_j, with the distribution-free confidence interval that
inverts the same U test (Lehmann, Nonparametrics, 1975, ch. 2; Moses): the
k-th smallest and k-th largest difference, k from the exact null distribution
of U (counted here by _u_counts, as scipy gives no quantiles of it) when both
samples have at most EXACT_CI_MAX values, else from its normal approximation.
The interval's actual coverage is at least the level asked for (U is discrete).
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np

# Above this many values in the larger sample, or with ties, scipy's test gives the exact
# distribution up for the normal approximation (scipy 1.10's method="auto").
EXACT_MAX = 8
# The confidence interval of the shift uses the exact distribution of U up to this many values per sample.
EXACT_CI_MAX = 25
# Fewer samples than this on either side: no test at all. With 4 against 4 the smallest two-sided
# p is 2/70 = 0.029, and any correction for several pairs puts that beyond every usual alpha.
MIN_TEST_N = 5


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


def _has_ties(x: np.ndarray, y: np.ndarray) -> bool:
    both = np.concatenate([x, y])
    return np.unique(both).size < both.size


def mann_whitney_u(x, y) -> MannWhitney:
    """Two-sided Mann-Whitney U test of x against y (scipy.stats.mannwhitneyu, method "auto")."""
    from scipy import stats as sps  # imported here: `--help` and the lock tables do not wait for scipy

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs at least one value in each sample")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("Mann-Whitney U needs finite values (leave out NaN and infinite samples first)")
    method = "exact" if max(n1, n2) <= EXACT_MAX and not _has_ties(x, y) else "normal"
    if np.unique(np.concatenate([x, y])).size == 1:  # every value equal: no evidence of a difference
        return MannWhitney(n1 * n2 / 2, 1.0, method, n1, n2)
    r = sps.mannwhitneyu(x, y, alternative="two-sided", use_continuity=True,
                         method="exact" if method == "exact" else "asymptotic")
    return MannWhitney(float(r.statistic), float(min(1.0, r.pvalue)), method, n1, n2)


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided p the exact test can give for these sample sizes."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjustment: the i-th smallest of m p-values becomes the running maximum of
    (m - j + 1) p_(j) for j <= i, capped at 1. A pair is significant at alpha when its adjusted p < alpha;
    the probability of any false claim among the m is then at most alpha (Holm, Scand. J. Statist. 6, 1979)."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


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
    """Number of orderings of n1 x's and n2 y's giving each U = 0 .. n1*n2 (no ties).

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


@dataclasses.dataclass(frozen=True)
class Shift:
    """The Hodges-Lehmann estimate of x - y and its distribution-free confidence interval."""

    estimate: float  # median of the n1 x n2 differences x_i - y_j
    low: float  # the k-th smallest difference (NaN: the samples are too small for the level)
    high: float  # the k-th largest
    level: float  # the interval's actual coverage under the null distribution of U, >= the level asked for
    method: str  # "exact" or "normal": how k was found


def _ci_rank(n1: int, n2: int, confidence: float) -> tuple[int, float, str]:
    """k and the achieved coverage: [D_(k), D_(n1 n2 + 1 - k)] covers the shift with probability
    1 - 2 P(U <= k - 1). k = 0 when no k reaches the level."""
    tail = (1 - confidence) / 2
    if max(n1, n2) <= EXACT_CI_MAX:
        counts = _u_counts(n1, n2)
        total = math.comb(n1 + n2, n1)
        cum, k = 0, 0
        for u, c in enumerate(counts):
            if (cum + c) / total > tail:
                break
            cum += c
            k = u + 1  # P(U <= u) <= tail: D_(u + 1) may be the lower end
        return k, (1 - 2 * cum / total) if k else math.nan, "exact"
    from scipy import stats as sps

    n = n1 * n2
    sd = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    k = int(math.floor(n / 2 - sps.norm.ppf(1 - tail) * sd + 0.5))  # + 0.5: the continuity correction
    k = max(k, 0)
    level = 1 - 2 * float(sps.norm.cdf((k - 0.5 - n / 2) / sd)) if k else math.nan
    return k, level, "normal"


def hodges_lehmann(x, y, confidence: float = 0.95) -> Shift:
    """The shift x - y: the median of all pairwise differences, and the interval between the k-th
    smallest and the k-th largest of them (see the module's docstring)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0 or y.size == 0:
        raise ValueError("the Hodges-Lehmann shift needs at least one value in each sample")
    d = np.sort(np.subtract.outer(x, y).ravel())
    estimate = float(np.median(d))
    k, level, method = _ci_rank(x.size, y.size, confidence)
    if k == 0:
        return Shift(estimate, math.nan, math.nan, math.nan, method)
    return Shift(estimate, float(d[k - 1]), float(d[d.size - k]), level, method)
