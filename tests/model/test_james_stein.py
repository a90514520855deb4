"""james_stein(): Efron & Morris's baseball numbers, exact identities, the risk it promises,
and bad input.

References for the baseball numbers:
- Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
  JASA 70(350), 311-319, table 1: the 18 players, their averages y after 45 at-bats and the
  averages p over the rest of the 1970 season (copied below as EM_REST, in our row order; the
  bundled baseball.csv takes its rest-of-season numbers from rstanarm's bball1970, whose
  Williams row differs, see shrinkviz/data/DATA.md).
- Efron, B. & Morris, C. (1977). Stein's paradox in statistics. Scientific American 236(5),
  119-127: the grand average ybar = .265, the shrinking constant c = .212 (c = 1 - B with
  sigma^2 = ybar (1 - ybar) / 45 on the batting-average scale), "for 16 of the 18 players" z
  is closer to the seasonal average, and "3.5 times as accurate" in total squared error.
  EM_TABLE below is the James-Stein column of that article's table as its rule defines it,
  z = .265 + .212 (y - .265) to three decimals, as reproduced by A. S. Kurz (2019, "James-Stein
  and Bayesian partial pooling", github.com/ASKurz). The printed page itself was not in the
  sources we could search: whoever has the article should compare the column digit by digit.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

import shrinkviz as sv
from shrinkviz import james_stein, meta_analysis, posterior

# Rest-of-season averages, Efron & Morris (1975) table 1, in the row order of baseball.csv
# (Petrocelli, Rodriguez, Scott, Unser, Williams are rows 14, 15, 13, 11, 12 of their table).
EM_REST = np.array(
    [
        0.346,
        0.298,
        0.276,
        0.222,
        0.273,
        0.270,
        0.263,
        0.210,
        0.269,
        0.230,
        0.264,
        0.226,
        0.303,
        0.264,
        0.256,
        0.285,
        0.316,
        0.200,
    ]
)
# The James-Stein column (Efron & Morris 1977, see the module docstring), same row order.
EM_TABLE = np.array(
    [
        0.294,
        0.289,
        0.285,
        0.280,
        0.275,
        0.275,
        0.270,
        0.266,
        0.261,
        0.261,
        0.256,
        0.256,
        0.256,
        0.256,
        0.256,
        0.252,
        0.247,
        0.242,
    ]
)


@pytest.fixture(scope="module")
def baseball():
    players = sv.data.baseball()
    y = players["avg45"].to_numpy()
    v = y.mean() * (1 - y.mean()) / 45  # Efron & Morris's sigma^2 on this scale
    return y, v, james_stein(y, v)


def test_efron_morris_constants(baseball):
    y, v, js = baseball
    assert js.k == 18 and js.v == v
    assert round(js.mu0, 3) == 0.265
    assert round(1 - js.B, 3) == 0.212
    np.testing.assert_allclose(js.S, ((y - y.mean()) ** 2).sum(), rtol=1e-14)


def test_efron_morris_table(baseball):
    y, _, js = baseball
    np.testing.assert_array_equal(np.round(js.mean, 3), EM_TABLE)


def test_efron_morris_scores(baseball):
    y, _, js = baseball
    closer = np.abs(js.mean - EM_REST) < np.abs(y - EM_REST)
    assert closer.sum() == 16
    ratio = ((y - EM_REST) ** 2).sum() / ((js.mean - EM_REST) ** 2).sum()
    assert round(ratio, 1) == 3.5


def test_arcsine_scale(baseball):
    """On Efron & Morris's (1975) arcsine scale x = sqrt(45) arcsin(2y - 1), v = 1."""
    y, _, _ = baseball
    x = np.sqrt(45) * np.arcsin(2 * y - 1)
    js = james_stein(x, 1.0)
    S = ((x - x.mean()) ** 2).sum()
    assert js.B == pytest.approx(15 / S, rel=1e-14)
    # 0.209 here against 0.212 on the raw scale: the published .212 is the raw-scale constant
    assert round(1 - js.B, 3) == 0.209


def test_reml_plug_in_is_k_minus_1_over_S(baseball):
    """With equal v, REML's tau2 = S/(k-1) - v, so its B = (k-1) v / S = (k-1)/(k-3) B_JS."""
    y, v, js = baseball
    fit = meta_analysis(y, np.full(18, v), method="REML")
    B_reml = posterior(y, np.full(18, v), fit.tau2).B
    np.testing.assert_allclose(B_reml, 17 / 15 * js.B, rtol=1e-6)


# ---- exact identities ------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3)


@given(
    arrays(np.float64, st.integers(3, 40), elements=finite),
    st.floats(1e-3, 1e3),
    st.floats(-1e3, 1e3),
)
def test_shift_invariance(y, v, a):
    base, shifted = james_stein(y, v), james_stein(y + a, v)
    tol = 1e-9 * (1 + np.abs(y).max() + abs(a))
    np.testing.assert_allclose(shifted.mean, base.mean + a, atol=tol)
    assert shifted.mu0 == pytest.approx(base.mu0 + a, abs=tol)
    if base.S > 1e-6:
        assert shifted.B == pytest.approx(base.B, rel=1e-6, abs=1e-12)


@given(arrays(np.float64, 3, elements=finite), st.floats(1e-3, 1e3))
def test_three_groups_are_not_shrunk(y, v):
    js = james_stein(y, v)
    assert js.B == 0.0
    np.testing.assert_array_equal(js.mean, y)


@given(arrays(np.float64, st.integers(4, 40), elements=finite), st.floats(1e-3, 1e3))
def test_positive_part(y, v):
    js = james_stein(y, v)
    assert 0.0 <= js.B <= 1.0
    S = ((y - y.mean()) ** 2).sum()
    if S <= (len(y) - 3) * v:  # the unclipped factor would be >= 1: everything at the mean
        assert js.B == 1.0 and np.all(js.mean == js.mu0)
    # every estimate lies between y_j and the grand mean
    lo, hi = np.minimum(y, js.mu0), np.maximum(y, js.mu0)
    tol = 1e-9 * (1 + np.abs(y).max())
    assert np.all((js.mean >= lo - tol) & (js.mean <= hi + tol))


def test_clips_at_zero_not_below():
    y = np.array([0.0, 0.1, -0.1, 0.05, -0.05])
    js = james_stein(y, 1.0)  # (k - 3) v / S = 2 / 0.025 = 80: the plain rule would flip signs
    assert js.B == 1.0
    assert np.all(js.mean == y.mean())


def test_scale_equivariance():
    rng = np.random.default_rng(1)
    y = rng.normal(size=12)
    a, b = james_stein(y, 0.3), james_stein(10 * y, 30.0)
    assert b.B == pytest.approx(a.B, rel=1e-13)
    np.testing.assert_allclose(b.mean, 10 * a.mean, rtol=1e-12)


def test_array_of_equal_variances_is_one_variance():
    y = np.array([1.0, 3.0, 2.0, 7.0, 5.0])
    assert james_stein(y, np.full(5, 0.5)).B == james_stein(y, 0.5).B


def test_input_not_mutated_and_result_read_only():
    y = np.array([1.0, 3.0, 2.0, 7.0, 5.0])
    keep = y.copy()
    js = james_stein(y, 0.5)
    assert np.array_equal(y, keep)
    with pytest.raises(ValueError):
        js.mean[0] = 0.0
    with pytest.raises(AttributeError):
        js.B = 0.0
    assert repr(js).startswith("JamesStein(mean=")


# ---- the risk it promises (James & Stein 1961) ---------------------------------------------------


def test_risk_below_raw_for_fixed_means():
    """For fixed means far enough apart that the positive part never acts, the total expected
    squared error is k v - (k - 3)^2 v E[1/X], X ~ noncentral chi^2_{k-1}(lambda),
    lambda = sum (theta - theta_bar)^2 / v (Efron & Morris 1973, section 2). A seeded
    Monte Carlo estimate must agree with that number, which is below k v."""
    k, v = 10, 1.0
    theta = np.linspace(-6, 6, k)
    lam = ((theta - theta.mean()) ** 2).sum() / v
    inv_mean, _ = integrate.quad(lambda x: stats.ncx2.pdf(x, k - 1, lam) / x, 0, np.inf)
    exact = k * v - (k - 3) ** 2 * v * inv_mean
    rng = np.random.default_rng(2027)
    y = theta + rng.normal(0, np.sqrt(v), size=(20_000, k))
    loss = np.array([((james_stein(row, v).mean - theta) ** 2).sum() for row in y])
    assert exact < k * v
    assert abs(loss.mean() - exact) < 4 * loss.std() / np.sqrt(len(loss))


# ---- bad input -----------------------------------------------------------------------------------


def test_unequal_variances_refused():
    with pytest.raises(ValueError, match=r"v must be the same for every group.*index 2"):
        james_stein([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 1.0])


@pytest.mark.parametrize(
    "y, v, match",
    [
        ([1.0, 2.0], 1.0, r"y must hold at least 3 groups for James-Stein \(got 2\)"),
        ([1.0, np.nan, 2.0, 3.0], 1.0, r"y must be finite \(got nan at index 1\)"),
        ([1.0, 2.0, 3.0, 4.0], 0.0, r"v must be > 0 and finite \(got 0.0"),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 1.0], r"y and v must have the same length"),
    ],
)
def test_bad_input(y, v, match):
    with pytest.raises(ValueError, match=match):
        james_stein(y, v)


@settings(max_examples=20)
@given(arrays(np.float64, st.integers(4, 20), elements=finite))
def test_matches_the_formula(y):
    """Against the formula written out with Python floats."""
    v = 2.0
    ybar = sum(y.tolist()) / len(y)
    S = sum((t - ybar) ** 2 for t in y.tolist())
    B = 1.0 if S == 0 else min(1.0, (len(y) - 3) * v / S)
    js = james_stein(y, v)
    assert js.B == pytest.approx(B, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(
        js.mean,
        [ybar + (1 - B) * (t - ybar) for t in y.tolist()],
        atol=1e-9 * (1 + np.abs(y).max()),
    )


def test_bundled_rest_of_season_against_table_1():
    """DATA.md: baseball.csv's rest_avg agrees with Efron & Morris's table 1 to its three
    decimals except Williams (bball1970 carries another Williams) and Kessinger."""
    players = sv.data.baseball()
    same = np.round(players["rest_avg"].to_numpy(), 3) == EM_REST
    assert set(players["player"][~same]) == {"Williams", "Kessinger"}
