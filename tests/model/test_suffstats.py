"""CumulativeSums: the sums over all rows (summed directly) are bitwise those the running
sums give, and each truncation's moments are those of its rows alone."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shrinkviz.model._suffstats import CumulativeSums, encode_groups

FIELDS = ("n", "xbar", "ybar", "Wxx", "Wxy", "Wyy")


@st.composite
def rows(draw):
    J = draw(st.integers(1, 6))
    N = draw(st.integers(J, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    group = np.concatenate([np.arange(J), rng.integers(0, J, N - J)])
    rng.shuffle(group)
    x = rng.integers(-3, 4, N) * draw(st.sampled_from([1.0, 0.1, 1e6]))  # ties, constant x
    y = rng.normal(draw(st.sampled_from([0.0, 1e8])), 1.0, N)
    return x, y, group


@settings(max_examples=60, deadline=None)
@given(rows())
def test_totals_are_bitwise_the_running_sums(data):
    x, y, group = data
    labels, code = encode_groups(group)
    sums = CumulativeSums(code, len(labels), x, y)
    direct = sums.at(sums.counts)  # summed directly
    running = sums.at(sums.counts.copy())  # gathered from the running sums
    again = sums.at(sums.counts)  # (from the running sums, now that they are made)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(direct, name), getattr(running, name))
        np.testing.assert_array_equal(getattr(again, name), getattr(running, name))


@settings(max_examples=60, deadline=None)
@given(rows(), st.integers(0, 2**32 - 1))
def test_a_truncation_is_its_rows_alone(data, seed):
    x, y, group = data
    labels, code = encode_groups(group)
    sums = CumulativeSums(code, len(labels), x, y)
    n = np.random.default_rng(seed).integers(0, sums.counts + 1)
    kept = sums.rank < n[code]
    s = sums.at(n)
    for j in range(len(labels)):
        xj, yj = x[kept & (code == j)], y[kept & (code == j)]
        assert s.n[j] == len(xj)
        if len(xj) == 0:
            continue
        size = np.abs(xj).max() + np.abs(yj).max() + 1.0
        np.testing.assert_allclose(
            [s.xbar[j], s.ybar[j]], [xj.mean(), yj.mean()], rtol=0, atol=1e-12 * size
        )
        scale = len(xj) * (np.ptp(xj) + 1.0) * (np.ptp(xj) + np.ptp(yj) + 1.0)
        W = [((xj - xj.mean()) ** 2).sum(), ((xj - xj.mean()) * (yj - yj.mean())).sum()]
        np.testing.assert_allclose([s.Wxx[j], s.Wxy[j]], W, rtol=0, atol=1e-12 * scale)
        if np.ptp(xj) == 0:
            assert s.Wxx[j] == 0.0
