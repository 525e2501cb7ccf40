"""The Mann-Whitney U test (scipy), Holm's adjustment, the Hodges-Lehmann shift and its interval, and the
summaries, against values worked out by hand."""

import math

import pytest

from conftest import ROOT  # noqa: F401  (puts the repository on sys.path)
import numpy as np

from analysis.stats import (HISTOGRAM_SUB_BUCKETS, _u_counts, histogram_bucket_value, histogram_percentile, hodges_lehmann,
                            holm, mann_whitney_u, nearest_rank, percentile, rank_average, smallest_p, summarize)


def test_ties_share_the_mean_of_their_ranks():
    assert rank_average([10, 20, 20, 30]).tolist() == [1, 2.5, 2.5, 4]
    assert rank_average([3, 1, 2]).tolist() == [3, 1, 2]


def test_exact_null_distribution_counts_orderings():
    # 2 x's and 2 y's, the 6 orderings from the smallest value up, with U (pairs x > y):
    # xxyy 0, xyxy 1, xyyx 2, yxxy 2, yxyx 3, yyxx 4.
    assert _u_counts(2, 2) == (1, 1, 2, 1, 1)
    # 3 and 3: partitions of u into at most 3 parts of at most 3.
    assert _u_counts(3, 3) == (1, 1, 2, 3, 3, 3, 3, 2, 1, 1)
    assert sum(_u_counts(4, 5)) == math.comb(9, 4)


def test_completely_separated_samples_of_three():
    # U = 0; 1 ordering of 20 is as extreme on each side: p = 2/20.
    t = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert (t.u, t.method) == (0, "exact")
    assert t.p == pytest.approx(0.1)
    assert smallest_p(3, 3) == pytest.approx(0.1)


def test_interleaved_samples_exact():
    # x = 1,3,5 against y = 2,4,6: pairs x > y are (3,2), (5,2), (5,4): U = 3.
    # P(U <= 3) = (1 + 1 + 2 + 3) / 20 = 0.35, two-sided 0.7.
    t = mann_whitney_u([1, 3, 5], [2, 4, 6])
    assert t.u == 3
    assert t.p == pytest.approx(0.7)
    # Swapping the samples gives U' = 9 - 3 and the same p.
    s = mann_whitney_u([2, 4, 6], [1, 3, 5])
    assert s.u == 6 and s.p == pytest.approx(0.7)


def test_ties_use_the_normal_approximation_with_tie_correction():
    # x = 1,2,2,3; y = 2,3,4,5. Ranks of 1,2,2,2,3,3,4,5: 1, 3,3,3, 5.5,5.5, 7, 8.
    # R_x = 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 - 4*5/2 = 2.5; mean 4*4/2 = 8.
    # Ties: a group of 3 and one of 2: sum(t^3 - t) = 24 + 6 = 30.
    # var = 16/12 * (9 - 30/56) = 79/7; z = (|2.5 - 8| - 0.5) / sqrt(79/7) = 1.48835.
    t = mann_whitney_u([1, 2, 2, 3], [2, 3, 4, 5])
    assert t.method == "normal"
    assert t.u == pytest.approx(2.5)
    z = 5 / math.sqrt(79 / 7)
    assert z == pytest.approx(1.48835, abs=1e-5)
    assert t.p == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert t.p == pytest.approx(0.13666, abs=1e-4)  # 2 * (1 - Phi(1.48835))


def test_large_samples_without_ties_use_the_normal_approximation():
    # 10 against 10, separated: U = 0, mean 50, var = 100/12 * 21 = 175, z = 49.5 / sqrt(175) = 3.7418.
    t = mann_whitney_u(range(1, 11), range(11, 21))
    assert t.method == "normal"
    assert t.p == pytest.approx(math.erfc(49.5 / math.sqrt(175) / math.sqrt(2)))
    assert t.p == pytest.approx(1.826e-4, rel=1e-3)


def test_identical_samples_are_not_different():
    assert mann_whitney_u([1, 1], [1, 1]).p == 1.0
    assert mann_whitney_u([0.25], [0.25]).p == 1.0
    assert mann_whitney_u([0.25] * 5, [0.25] * 5).p == 1.0
    with pytest.raises(ValueError):
        mann_whitney_u([], [1])
    with pytest.raises(ValueError, match="finite"):
        mann_whitney_u([1, math.inf], [2, 3])


def test_holm_steps_down_from_the_smallest_p():
    # Sorted 0.005, 0.01, 0.03, 0.04 of m = 4: 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06,
    # 1 x 0.04 = 0.04, raised to the running maximum 0.06; back in the input order.
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.01]).tolist() == [0.01]  # one pair: no adjustment
    assert holm([]).size == 0
    # Holm never claims more than the unadjusted test, and at least as much as Bonferroni.
    p = np.array([0.001, 0.002, 0.02, 0.3, 0.04])
    adjusted = holm(p)
    assert (adjusted >= p).all() and (adjusted <= np.minimum(1, p * p.size)).all()


def test_hodges_lehmann_shift_and_its_exact_interval():
    # x = y + 10 exactly: every one of the 25 differences lies in 6 .. 14, their median is 10.
    y = [1.0, 2.0, 3.0, 4.0, 5.0]
    x = [v + 10 for v in y]
    s = hodges_lehmann(x, y)
    assert s.estimate == 10 and s.method == "exact"
    # 5 against 5: P(U <= 2) = (1 + 1 + 2) / 252 <= 0.025 < P(U <= 3) = 7/252, so k = 3: the 3rd smallest
    # and the 3rd largest of the differences 6,7,7,8,8,8,9,9,9,9,10,...: 7 and 13, coverage 1 - 8/252.
    assert (s.low, s.high) == (7, 13)
    assert s.level == pytest.approx(1 - 8 / 252)
    assert hodges_lehmann(y, x).estimate == -10
    # Too few values for a 95 % interval (1 against 1): the estimate without one.
    one = hodges_lehmann([0.75], [0.25])
    assert one.estimate == 0.5 and math.isnan(one.low) and math.isnan(one.high)


def test_hodges_lehmann_interval_covers_the_true_shift_at_its_level():
    """The interval's coverage, by simulation with a fixed seed: at least its stated level (up to noise),
    exact for small samples and from the normal approximation for large ones."""
    rng = np.random.default_rng(12345)
    for n, runs in ((5, 2000), (9, 1000), (40, 300)):
        hits, level = 0, None
        for _ in range(runs):
            x, y = rng.exponential(size=n) + 0.3, rng.exponential(size=n)
            s = hodges_lehmann(x, y)
            hits += s.low <= 0.3 <= s.high
            level = s.level
        assert level >= 0.95
        assert hits / runs >= level - 3 * math.sqrt(level * (1 - level) / runs), (n, hits / runs, level)
        assert s.method == ("exact" if n <= 25 else "normal")


def test_summary_is_median_and_quartiles():
    s = summarize([4, 1, 3, 2])
    assert (s.n, s.median, s.q1, s.q3) == (4, 2.5, 1.75, 3.25)
    assert s.iqr == 1.5
    assert summarize([7.0]).median == 7.0
    assert summarize([]).n == 0


def test_summary_agrees_with_numpy_and_keeps_infinity():
    import warnings

    import numpy as np
    values = [0.3, 5.0, 1.25, 2.0, 9.5, 4.0, 7.0]
    for n in range(1, len(values) + 1):
        s = summarize(values[:n])
        assert (s.q1, s.median, s.q3) == pytest.approx(tuple(np.percentile(values[:n], [25, 50, 75])))
    # A disruption of inf (keys_min = 0, keys moved) stays inf, with no numpy warning on the way.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = summarize([math.inf])
        assert (s.median, s.q1, s.q3) == (math.inf, math.inf, math.inf)
        s = summarize([1.0, 2.0, math.inf])
        assert (s.q1, s.median, s.q3) == (1.5, 2.0, math.inf)
        assert summarize([math.nan, 3.0]).median == 3.0


# The fixed list and expected numbers of tests/unit/test_histogram.cpp (NearestRankRuleOnTheSharedList):
# C++ and Python give the same percentiles, from raw values and from a histogram with the same layout.
SHARED = [0.3, 5.0, 1.25, 2.0, 9.5, 4.0, 7.0, 3.5, 0.8, 6.0]
QS = [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0]
# Nearest rank: sorted 0.3 0.8 1.25 2 3.5 4 5 6 7 9.5; k = 1 1 3 5 9 10 10.
EXACT = [0.3, 0.3, 1.25, 3.5, 7.0, 9.5, 9.5]
# Bucket midpoints clamped to [0.3, 9.5]: 0.3 (midpoint 0.298828125), 1.2578125, 3.515625, 7.03125, 9.5 (9.5625).
FROM_HISTOGRAM = [0.3, 0.3, 1.2578125, 3.515625, 7.03125, 9.5, 9.5]


def _bucket_of(v):
    """The C++ bucket index (histogram.hpp), for values inside the layout."""
    m, e = math.frexp(v)
    return (e - 1 + 10) * HISTOGRAM_SUB_BUCKETS + int((2 * m - 1) * HISTOGRAM_SUB_BUCKETS)


def test_percentiles_agree_with_cpp():
    assert [percentile(SHARED, q) for q in QS] == EXACT
    counts = [0] * 3200
    for v in SHARED:
        counts[_bucket_of(v)] += 1
    assert [histogram_percentile(counts, q, min(SHARED), max(SHARED)) for q in QS] == FROM_HISTOGRAM


def test_nearest_rank_rule():
    assert nearest_rank(0.5, 0) == 0
    assert (nearest_rank(0.0, 10), nearest_rank(1.0, 10), nearest_rank(0.5, 3)) == (1, 10, 2)
    assert 0.07 * 100 > 7  # binary floating point; the rule still takes the 7th value
    assert nearest_rank(0.07, 100) == 7
    assert nearest_rank(0.99, 100) == 99
    assert nearest_rank(0.999, 1_000_000_000) == 999_000_000
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0  # the 2nd value, not the interpolated 2.5


def test_histogram_percentile_from_stored_counts():
    assert histogram_bucket_value(0) == math.ldexp(1 + 0.5 / 64, -10)
    assert histogram_bucket_value(10 * 64) == 1 + 0.5 / 64  # the bucket [1, 1 + 1/64)
    counts = [0] * 3200
    counts[10 * 64] = 3   # three values in [1, 1.015625)
    counts[10 * 64 + 64] = 1  # one in [2, 2.03125)
    assert histogram_percentile(counts, 0.5, 1.0, 2.01) == 1 + 0.5 / 64
    assert histogram_percentile(counts, 0.75, 1.0, 2.01) == 1 + 0.5 / 64
    assert histogram_percentile(counts, 0.76, 1.0, 2.01) == 2.01  # midpoint 2.015625 clamped to the max
    assert math.isnan(histogram_percentile([0] * 3200, 0.5, 0, 0))
