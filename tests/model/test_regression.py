"""pooling_fit(): radon's textbook numbers, lme4's fixtures, O(J) update, limits, bad input.

The fixtures come from tests/fixtures/lme4.R (lme4's lmer with tight tolerances, lm, and a
dense GLS in R). Small random data sets are checked against a dense GLS and a dense
likelihood written here with numpy's linear algebra, independent of the per-group sums.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

import shrinkviz as sv
from shrinkviz import pooling_fit, pooling_fit_frame
from shrinkviz.model.frames import group_summaries

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "lme4.json").read_text())


@pytest.fixture(scope="module")
def radon():
    return sv.data.radon()


def first_rows(df, k):
    return df[df.groupby("county", sort=False).cumcount() < k]


def fit_radon(df, **kwargs):
    return pooling_fit(df.floor, df.log_radon, df.county, **kwargs)


def group_index(fit, df):
    """The index into fit.groups of each row's county."""
    return pd.Series(np.arange(len(fit.groups)), index=fit.groups)[df.county].to_numpy()


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b) / np.abs(b))


# --- the textbook and lme4 ---------------------------------------------------------------


def test_radon_textbook_numbers(radon):
    fit = fit_radon(radon)
    assert round(fit.complete_pooling.alpha, 2) == 1.33
    assert round(fit.complete_pooling.beta, 2) == -0.61
    assert round(fit.no_pooling.beta, 2) == -0.72
    assert list(fit.groups) == list(dict.fromkeys(radon.county))  # county names, file order
    assert fit.groups[0] == "AITKIN" and len(fit.groups) == 85
    assert fit.n.sum() == 919 and fit.n[1] == 52  # ANOKA


CASES = [("radon", None), ("radon_first3", 3)]


@pytest.mark.parametrize("case, k", CASES)
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_equals_lme4(radon, case, k, method):
    ref = FIXTURES[case]
    df = radon if k is None else first_rows(radon, k)
    fit = fit_radon(df, method=method)
    lme = ref[method]
    assert list(fit.groups) == lme["groups"] and list(fit.n) == ref["n"]
    assert rel([fit.partial_pooling.mu_alpha, fit.partial_pooling.beta], lme["fixef"]) <= 1e-5
    assert rel(fit.sigma2, lme["sigma2"]) <= 1e-5
    assert rel(fit.tau2, lme["tau2"]) <= 1e-5
    assert rel(fit.partial_pooling.alpha, lme["alpha"]) <= 1e-5
    assert rel(fit.partial_pooling.alpha_var, lme["condVar"]) <= 1e-5
    assert rel(fit.deviance(), lme["criterion"]) <= 1e-10
    # our optimum is at least as good as lme4's (the criterion is minimized)
    assert fit.deviance() <= fit.update(sigma2=lme["sigma2"], tau2=lme["tau2"]).deviance()


@pytest.mark.parametrize("case, k", CASES)
def test_complete_and_no_pooling_equal_lm(radon, case, k):
    ref = FIXTURES[case]
    fit = fit_radon(radon if k is None else first_rows(radon, k))
    assert (
        rel(
            [fit.complete_pooling.alpha, fit.complete_pooling.beta],
            [ref["complete"]["alpha"], ref["complete"]["beta"]],
        )
        <= 1e-12
    )
    assert rel(fit.no_pooling.beta, ref["none"]["beta"]) <= 1e-12
    assert rel(fit.no_pooling.alpha, ref["none"]["alpha"]) <= 1e-12
    assert not fit.no_pooling.missing.any()


@pytest.mark.parametrize("case, k", CASES)
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_blups_given_lme4_variances(radon, case, k, method):
    lme = FIXTURES[case][method]
    df = radon if k is None else first_rows(radon, k)
    fit = fit_radon(df, sigma2=lme["sigma2"], tau2=lme["tau2"])
    assert rel(fit.partial_pooling.alpha, lme["alpha"]) <= 1e-8
    assert rel([fit.partial_pooling.mu_alpha, fit.partial_pooling.beta], lme["fixef"]) <= 1e-8
    assert rel(fit.partial_pooling.alpha_var, lme["condVar"]) <= 1e-8


@pytest.mark.parametrize("case, k", CASES)
@pytest.mark.parametrize("which", [0, 1])
def test_blups_equal_dense_gls_in_r(radon, case, k, which):
    ref = FIXTURES[case]["gls"][which]
    df = radon if k is None else first_rows(radon, k)
    fit = fit_radon(df, sigma2=ref["sigma2"], tau2=ref["tau2"])
    assert rel([fit.partial_pooling.mu_alpha, fit.partial_pooling.beta], ref["fixef"]) <= 1e-8
    assert rel(fit.partial_pooling.alpha, ref["alpha"]) <= 1e-8
    assert rel(fit.partial_pooling.alpha_var, ref["condVar"]) <= 1e-12


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_one_variance_given_the_other_is_its_conditional_optimum(radon, method):
    """At lme4's joint optimum, fixing one component returns the other one."""
    lme = FIXTURES["radon"][method]
    tau2 = fit_radon(radon, sigma2=lme["sigma2"], method=method).tau2
    sigma2 = fit_radon(radon, tau2=lme["tau2"], method=method).sigma2
    assert rel(tau2, lme["tau2"]) <= 1e-5 and rel(sigma2, lme["sigma2"]) <= 1e-5


def test_the_estimate_is_a_minimum_of_the_criterion(radon):
    fit = fit_radon(radon)
    for f in (1 - 1e-4, 1 + 1e-4):
        assert fit.deviance() < fit.update(tau2=fit.tau2 * f).deviance()
        assert fit.deviance() < fit.update(sigma2=fit.sigma2 * f).deviance()


class Columns(dict):
    """Not a pandas DataFrame: only ``df[name].to_numpy()``."""

    def __getitem__(self, name):
        values = dict.__getitem__(self, name)
        return type("Column", (), {"to_numpy": lambda self: np.asarray(values)})()


def test_frame_is_duck_typed(radon):
    cols = Columns(f=radon.floor.to_list(), y=radon.log_radon.to_list(), g=radon.county.to_list())
    a = pooling_fit_frame(cols, x="f", y="y", group="g", sigma2=0.5, tau2=0.1)
    assert_same_fit(a, fit_radon(radon, sigma2=0.5, tau2=0.1))
    with pytest.raises(ValueError, match=r"x must be a column of df \(got 'floor'\)"):
        pooling_fit_frame(cols, x="floor", y="y", group="g")


def test_frame_equals_arrays(radon):
    a = fit_radon(radon)
    b = pooling_fit_frame(radon, x="floor", y="log_radon", group="county")
    assert np.array_equal(a.partial_pooling.alpha, b.partial_pooling.alpha) and a.tau2 == b.tau2
    assert list(b.groups) == list(a.groups)


# --- update(): O(J), exactly a fresh fit ------------------------------------------------


def assert_same_fit(a, b):
    for part, names in (
        ("complete_pooling", ("alpha", "beta")),
        ("no_pooling", ("alpha", "beta", "missing")),
        ("partial_pooling", ("mu_alpha", "beta", "alpha", "alpha_var", "B")),
    ):
        for name in names:
            u, v = getattr(getattr(a, part), name), getattr(getattr(b, part), name)
            assert np.array_equal(u, v, equal_nan=True), (part, name, u, v)
    assert a.sigma2 == b.sigma2 and a.tau2 == b.tau2
    assert np.array_equal(a.n, b.n) and list(a.groups) == list(b.groups)


def test_update_n_is_exactly_a_fresh_fit_on_the_first_rows(radon):
    fit = fit_radon(radon)
    n = np.minimum(fit.n, 3)
    fresh = fit_radon(first_rows(radon, 3), sigma2=fit.sigma2, tau2=fit.tau2)
    assert_same_fit(fit.update(n=n), fresh)
    assert_same_fit(
        fit.update(n=n).update(n=fit.n), fit_radon(radon, sigma2=fit.sigma2, tau2=fit.tau2)
    )


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_update_n_property(radon, data):
    fit = fit_radon(radon, sigma2=0.6, tau2=0.1)
    n = np.array([data.draw(st.integers(1, c)) for c in fit.n])
    keep = radon.groupby("county", sort=False).cumcount().to_numpy() < n[group_index(fit, radon)]
    assert_same_fit(fit.update(n=n), fit_radon(radon[keep], sigma2=0.6, tau2=0.1))


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_update_estimate_is_a_fresh_fit_on_the_rows_in_use(radon, method):
    """update(n=, estimate=) re-estimates from the group sums: the numbers of pooling_fit on
    the first rows alone, and lme4's on them (fixture radon_first3)."""
    fit = fit_radon(radon)
    up = fit.update(n=np.minimum(fit.n, 3), estimate=method)
    assert_same_fit(up, fit_radon(first_rows(radon, 3), method=method))
    assert up.method == method
    lme = FIXTURES["radon_first3"][method]
    assert rel(up.sigma2, lme["sigma2"]) <= 1e-5 and rel(up.tau2, lme["tau2"]) <= 1e-5
    assert rel(up.partial_pooling.alpha, lme["alpha"]) <= 1e-5
    assert rel(up.deviance(), lme["criterion"]) <= 1e-10
    # back to every row: the full fit again
    assert_same_fit(up.update(n=fit.n, estimate="REML"), fit)
    # one variance held, the other estimated
    held = fit.update(sigma2=0.6, estimate=method)
    assert held.sigma2 == 0.6
    assert held.tau2 == fit_radon(radon, sigma2=0.6, method=method).tau2


def test_update_estimate_without_some_groups(radon):
    fit = fit_radon(radon)
    n = fit.n.copy()
    n[[0, 5]] = 0
    up = fit.update(n=n, estimate="REML")
    rest = fit_radon(radon[~radon.county.isin(fit.groups[[0, 5]])])
    assert (up.sigma2, up.tau2) == pytest.approx((rest.sigma2, rest.tau2), rel=1e-12)
    others = np.setdiff1d(np.arange(85), [0, 5])
    np.testing.assert_allclose(
        up.partial_pooling.alpha[others], rest.partial_pooling.alpha, rtol=1e-12
    )


def test_standard_errors(radon):
    fit = fit_radon(radon)
    np.testing.assert_array_equal(fit.no_pooling.alpha_se, np.sqrt(fit.sigma2 / fit.n))
    np.testing.assert_array_equal(
        fit.partial_pooling.alpha_sd, np.sqrt(fit.partial_pooling.alpha_var)
    )
    n = fit.n.copy()
    n[4] = 0
    up = fit.update(sigma2=0.3, n=n)
    assert np.isnan(up.no_pooling.alpha_se[4]) and up.partial_pooling.alpha_sd[4] == np.sqrt(
        fit.tau2
    )
    np.testing.assert_array_equal(
        np.delete(up.no_pooling.alpha_se, 4), np.sqrt(0.3 / np.delete(fit.n, 4))
    )
    # a sigma2 move on the same rows: the same no-pooling intercepts, new standard errors
    again = up.update(sigma2=0.7)
    assert again.no_pooling.alpha is up.no_pooling.alpha
    np.testing.assert_array_equal(
        np.delete(again.no_pooling.alpha_se, 4), np.sqrt(0.7 / np.delete(fit.n, 4))
    )


def test_tau2_move_reuses_the_group_sums_and_the_other_fits(radon):
    fit = fit_radon(radon).update(n=np.minimum(fit_radon(radon).n, 5))
    moved = fit.update(tau2=0.2)
    assert moved._stats is fit._stats and moved.no_pooling is fit.no_pooling
    assert moved.complete_pooling is fit.complete_pooling
    assert_same_fit(moved, fit_radon(first_rows(radon, 5), sigma2=fit.sigma2, tau2=0.2))


def test_update_variances_is_exactly_a_fresh_fit(radon):
    fit = fit_radon(radon)
    assert_same_fit(fit.update(tau2=0.3), fit_radon(radon, sigma2=fit.sigma2, tau2=0.3))
    assert_same_fit(fit.update(sigma2=0.4, tau2=0.3), fit_radon(radon, sigma2=0.4, tau2=0.3))
    assert fit.update().tau2 == fit.tau2


def test_update_with_empty_groups(radon):
    fit = fit_radon(radon)
    n = fit.n.copy()
    n[[0, 5]] = 0
    up = fit.update(n=n)
    p = up.partial_pooling
    assert p.alpha[0] == p.mu_alpha and p.alpha[5] == p.mu_alpha
    assert p.alpha_var[0] == fit.tau2 and p.B[0] == 1
    assert np.isnan(up.no_pooling.alpha[[0, 5]]).all()
    assert list(np.flatnonzero(up.no_pooling.missing)) == [0, 5]
    # the other groups: as a fit without the two counties
    gone = radon.county.isin(fit.groups[[0, 5]])
    rest = fit_radon(radon[~gone], sigma2=fit.sigma2, tau2=fit.tau2)
    others = np.setdiff1d(np.arange(85), [0, 5])
    np.testing.assert_allclose(p.alpha[others], rest.partial_pooling.alpha, rtol=1e-12)
    np.testing.assert_allclose(p.mu_alpha, rest.partial_pooling.mu_alpha, rtol=1e-12)
    np.testing.assert_allclose(up.no_pooling.alpha[others], rest.no_pooling.alpha, rtol=1e-12)
    np.testing.assert_allclose(up.complete_pooling.beta, rest.complete_pooling.beta, rtol=1e-12)


# --- a dense reference for small data ---------------------------------------------------


def dense(x, y, code, sigma2, tau2, method="REML"):
    """GLS, BLUPs and -2 log (restricted) likelihood with the N x N covariance matrix."""
    N, J = len(y), code.max() + 1
    X = np.column_stack([np.ones(N), x])
    Z = np.eye(J)[code]
    V = sigma2 * np.eye(N) + tau2 * Z @ Z.T
    Vi = np.linalg.inv(V)
    M = X.T @ Vi @ X
    b = np.linalg.solve(M, X.T @ Vi @ y)
    res = y - X @ b
    alpha = b[0] + tau2 * Z.T @ Vi @ res
    crit = N * np.log(2 * np.pi) + np.linalg.slogdet(V)[1] + res @ Vi @ res
    if method == "REML":
        crit += np.linalg.slogdet(M)[1] - 2 * np.log(2 * np.pi)
    return b, alpha, crit


@st.composite
def grouped(draw, min_groups=2, max_groups=6, min_n=1):
    J = draw(st.integers(min_groups, max_groups))
    n = np.array(draw(st.lists(st.integers(min_n, 6), min_size=J, max_size=J)))
    code = np.repeat(np.arange(J), n)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    code = code[rng.permutation(len(code))]
    x = rng.integers(-3, 4, len(code)).astype(float) * draw(st.sampled_from([0.5, 1.0, 7.0]))
    if np.ptp(x) == 0:
        x[0] += 1.0
    y = 2.0 + 0.7 * x + rng.normal(0, 1, J)[code] + rng.normal(0, 1, len(code))
    return x, y, code


variances = st.floats(1e-2, 1e2)


@settings(max_examples=60, deadline=None)
@given(grouped(), variances, variances)
def test_equals_dense_gls_and_likelihood(g, sigma2, tau2):
    x, y, code = g
    fit = pooling_fit(x, y, code, sigma2=sigma2, tau2=tau2)
    b, alpha, reml = dense(x, y, code, sigma2, tau2)
    np.testing.assert_allclose(
        [fit.partial_pooling.mu_alpha, fit.partial_pooling.beta], b, rtol=1e-8, atol=1e-8
    )
    np.testing.assert_allclose(fit.partial_pooling.alpha, alpha[fit.groups], rtol=1e-8, atol=1e-8)
    assert fit.deviance() == pytest.approx(reml, rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(grouped(min_groups=3, min_n=2), st.sampled_from(["REML", "ML"]))
def test_estimate_minimizes_the_dense_criterion(g, method):
    x, y, code = g
    fit = pooling_fit(x, y, code, method=method)
    ours = dense(x, y, code, fit.sigma2, fit.tau2, method)[2]
    assert fit.deviance() == pytest.approx(ours, rel=1e-9, abs=1e-9)

    def crit(p):
        return dense(x, y, code, *np.exp(p), method)[2]

    for start in ([np.log(fit.sigma2), np.log(fit.tau2 + 0.1 * fit.sigma2)], [0.0, 0.0]):
        best = optimize.minimize(
            crit, start, method="Nelder-Mead", options=dict(xatol=1e-9, fatol=1e-12, maxiter=4000)
        )
        assert ours <= best.fun + 1e-9 * abs(best.fun)


@settings(max_examples=40, deadline=None)
@given(grouped(), variances)
def test_limits_are_exact(g, sigma2):
    x, y, code = g
    zero = pooling_fit(x, y, code, sigma2=sigma2, tau2=0.0)
    assert np.all(zero.partial_pooling.alpha == zero.partial_pooling.mu_alpha)
    assert zero.partial_pooling.beta == zero.complete_pooling.beta
    assert zero.partial_pooling.mu_alpha == zero.complete_pooling.alpha
    assert np.all(zero.partial_pooling.alpha_var == 0)
    for fit in (
        pooling_fit(x, y, code, sigma2=sigma2, tau2=np.inf),
        pooling_fit(x, y, code, sigma2=0.0, tau2=sigma2),
    ):
        assert np.array_equal(fit.partial_pooling.alpha, fit.no_pooling.alpha, equal_nan=True)
        assert np.array_equal(fit.partial_pooling.beta, fit.no_pooling.beta, equal_nan=True)
    inf = pooling_fit(x, y, code, sigma2=sigma2, tau2=np.inf)
    np.testing.assert_array_equal(inf.partial_pooling.alpha_var, sigma2 / inf.n)
    assert np.all(pooling_fit(x, y, code, sigma2=0.0, tau2=sigma2).partial_pooling.alpha_var == 0)


@settings(max_examples=40, deadline=None)
@given(grouped(), variances)
def test_limits_are_continuous(g, sigma2):
    x, y, code = g
    assume_slope = np.isfinite(pooling_fit(x, y, code, sigma2=1, tau2=1).no_pooling.beta)
    near0 = pooling_fit(x, y, code, sigma2=sigma2, tau2=1e-12 * sigma2)
    at0 = pooling_fit(x, y, code, sigma2=sigma2, tau2=0.0)
    np.testing.assert_allclose(
        near0.partial_pooling.alpha, at0.partial_pooling.alpha, rtol=1e-8, atol=1e-8
    )
    if assume_slope:
        near = pooling_fit(x, y, code, sigma2=sigma2, tau2=1e12 * sigma2)
        np.testing.assert_allclose(
            near.partial_pooling.alpha, near.no_pooling.alpha, rtol=1e-6, atol=1e-6
        )
        np.testing.assert_allclose(
            near.partial_pooling.beta, near.no_pooling.beta, rtol=1e-6, atol=1e-6
        )


@settings(max_examples=40, deadline=None)
@given(grouped(min_n=2), st.randoms(use_true_random=False))
def test_relabelling_groups_permutes_the_results(g, rnd):
    x, y, code = g
    J = code.max() + 1
    perm = np.array(rnd.sample(range(J), int(J)))
    a = pooling_fit(x, y, code)
    b = pooling_fit(x, y, perm[code])  # other labels, same first-appearance order
    np.testing.assert_allclose(
        b.partial_pooling.alpha, a.partial_pooling.alpha, rtol=1e-7, atol=1e-9
    )
    np.testing.assert_array_equal(b.groups, perm[a.groups])
    rows = np.argsort(perm[code], kind="stable")  # rows sorted by label: another group order
    c = pooling_fit(x[rows], y[rows], perm[code][rows])
    order = [list(c.groups).index(lab) for lab in b.groups]
    np.testing.assert_allclose(
        c.partial_pooling.alpha[order], a.partial_pooling.alpha, rtol=1e-7, atol=1e-9
    )
    np.testing.assert_allclose(c.tau2, a.tau2, rtol=1e-7, atol=1e-12)


# --- edge cases with a defined answer ---------------------------------------------------


def test_group_with_one_row_and_group_with_constant_x():
    x = np.array([0, 1, 2, 0, 1, 2, 5, 1, 1, 1.0])
    y = np.array([1, 2, 3.5, 0.5, 1.8, 2.6, 7.0, 3.0, 2.0, 2.5])
    g = np.array(["a", "a", "a", "b", "b", "b", "single", "flat", "flat", "flat"])
    fit = pooling_fit(x, y, g)
    assert list(fit.groups) == ["a", "b", "single", "flat"]
    assert np.isfinite(fit.partial_pooling.alpha).all() and fit.tau2 > 0
    np.testing.assert_allclose(fit.no_pooling.alpha[2], 7.0 - 5.0 * fit.no_pooling.beta)
    np.testing.assert_allclose(fit.no_pooling.alpha[3], 2.5 - 1.0 * fit.no_pooling.beta)
    assert fit.update(n=[3, 3, 1, 1]).n.tolist() == [3, 3, 1, 1]
    b, alpha, _ = dense(x, y, np.unique(g, return_inverse=True)[1], fit.sigma2, fit.tau2)
    order = [list(np.unique(g)).index(lab) for lab in fit.groups]  # dense() codes a-z
    np.testing.assert_allclose(fit.partial_pooling.alpha, alpha[order], rtol=1e-9)
    np.testing.assert_allclose(
        [fit.partial_pooling.mu_alpha, fit.partial_pooling.beta], b, rtol=1e-9
    )


def test_labels_of_any_kind_keep_their_order_of_first_appearance():
    x, y = np.array([0, 1, 0, 1, 1, 0.0]), np.array([1, 2, 1.5, 2.5, 3, 0.5])
    mixed = np.array([3, "b", 3, "b", (1, 2), (1, 2)], dtype=object)  # cannot be sorted
    a = pooling_fit(x, y, mixed, sigma2=1, tau2=1)
    assert list(a.groups) == [3, "b", (1, 2)]
    b = pooling_fit(x, y, ["z", "a", "z", "a", "m", "m"], sigma2=1, tau2=1)
    assert list(b.groups) == ["z", "a", "m"]
    assert np.array_equal(a.partial_pooling.alpha, b.partial_pooling.alpha)


def test_no_group_with_varying_x_leaves_no_pooling_undefined():
    x, y, g = np.array([0, 0, 1, 1, 2.0]), np.array([1, 1.5, 2, 2.2, 3.0]), [1, 1, 2, 2, 3]
    fit = pooling_fit(x, y, g, sigma2=0.1, tau2=0.5)
    assert np.isnan(fit.no_pooling.beta) and fit.no_pooling.missing.all()
    assert np.isfinite(fit.partial_pooling.alpha).all() and np.isfinite(fit.partial_pooling.beta)


def test_singular_fit_has_tau2_exactly_zero():
    # every group has the same data: no between-group variation, as lme4's singular fit
    x = np.tile([0, 1, 0, 1.0], 5)
    y = np.tile([1.0, 2.5, 1.4, 2.0], 5)
    for method in ("REML", "ML"):
        fit = pooling_fit(x, y, np.repeat(np.arange(5), 4), method=method)
        assert fit.tau2 == 0.0
        assert np.all(fit.partial_pooling.alpha == fit.partial_pooling.mu_alpha)
        dof = 20 - 2 if method == "REML" else 20
        resid = y - fit.complete_pooling.alpha - fit.complete_pooling.beta * x
        assert fit.sigma2 == pytest.approx(resid @ resid / dof, rel=1e-12)


def test_variance_given_at_a_limit_estimates_the_other(radon):
    a = fit_radon(radon, tau2=0.0)
    resid = radon.log_radon - a.complete_pooling.alpha - a.complete_pooling.beta * radon.floor
    assert a.sigma2 == pytest.approx(resid @ resid / (919 - 2), rel=1e-12)
    b = fit_radon(radon, tau2=np.inf)
    resid = (
        radon.log_radon
        - b.no_pooling.alpha[group_index(b, radon)]
        - b.no_pooling.beta * radon.floor
    )
    assert b.sigma2 == pytest.approx(resid @ resid / (919 - 85 - 1), rel=1e-10)


# --- bad input --------------------------------------------------------------------------

X, Y, G = [0, 1, 0, 1.0], [1, 2, 1.5, 2.5], ["a", "a", "b", "b"]


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((X[:3], Y, G), {}, r"x and y and group must have the same length \(got x: 3, y: 4"),
        ((X, [1, np.nan, 1, 1], G), {}, r"y must be finite \(got nan at index 1\)"),
        (([0, np.inf, 0, 1], Y, G), {}, r"x must be finite \(got inf at index 1\)"),
        ((["u", "v", "w", "z"], Y, G), {}, r"x must be a 1-D array of numbers"),
        ((X, Y, ["a"] * 4), {}, r"at least two groups need data \(got data for 1 group: 'a'\)"),
        ((X, Y, [1.0, np.nan, 2, 2]), {}, r"group must not be nan \(got nan at index 1\)"),
        (
            (X, Y, ["a", None, "b", "b"]),
            {},
            r"group must not be None or nan \(got None at index 1\)",
        ),
        ((X, Y, np.array([[1], [2], [1], {}], dtype=object)), {}, r"group must be hashable labels"),
        (([1, 1, 1, 1.0], Y, G), {}, r"x must vary \(got a constant x = 1.0\)"),
        ((X, Y, G), dict(method="OLS"), r"method must be one of 'REML', 'ML' \(got 'OLS'\)"),
        ((X, Y, G), dict(sigma2=-1, tau2=1), r"sigma2 must be in \[0, inf\] \(got -1\)"),
        ((X, Y, G), dict(sigma2=1, tau2=np.nan), r"tau2 must be a number \(got nan\)"),
        ((X, Y, G), dict(sigma2=0, tau2=0), r"sigma2 and tau2 must not both be 0"),
        ((X, Y, G), dict(sigma2=0), r"sigma2 must be > 0 to estimate tau2 \(got 0.0\)"),
        ((X[:2], Y[:2], G[1:3]), {}, r"estimating by REML needs at least 3 rows in use \(got 2\)"),
        (
            ([0, 1, 2.0], [1, 2, 4.0], list("abc")),
            dict(method="ML"),
            r"sigma2 and tau2 cannot both be estimated from one row per group .*\(got 3 rows in 3 "
            r"groups\)",
        ),
    ],
)
def test_bad_input_names_the_parameter(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pooling_fit(*args, **kwargs)


@pytest.mark.parametrize(
    "n, message",
    [
        (
            [1, 5],
            r"n must be integers in \[0, rows of the group\] \(got 5 at index 1, a group "
            r"of 2 rows\)",
        ),
        ([1, -1], r"n must be integers .*\(got -1 at index 1"),
        ([1.5, 1], r"n must be integers .*\(got 1.5 at index 0"),
        ([1, 1, 1], r"n must be of length J = 2 \(got \[1 1 1\]\)"),
        ([[1, 1]], r"n must be of length J = 2 \(got \[\[1 1\]\]\)"),
        (["a", "b"], r"n must be a 1-D array of numbers"),
        ([0, 0], r"n must be > 0 for at least one group \(got all 0\)"),
        ([1, 1], r"n must keep x varying \(got x constant over the rows kept\)"),
        ([1, np.nan], r"n must be integers .*nan at index 1"),
    ],
)
def test_bad_update_names_the_parameter(n, message):
    fit = pooling_fit(X, Y, G)
    with pytest.raises(ValueError, match=message):
        fit.update(n=n)
    with pytest.raises(ValueError, match=r"tau2 must be in \[0, inf\] \(got -2\)"):
        fit.update(tau2=-2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(x="nope", y="log_radon", group="county"),
            r"x must be a column of df \(got 'nope'; the columns are house, county, county_idx, ",
        ),
        (
            dict(x="floor", y="county", group="county"),
            r"y column 'county' must hold numbers \(got 'AITKIN' at row 'h0'\)",
        ),
        (dict(x="floor", y="log_radon", group="missing"), r"group must be a column of df"),
    ],
)
def test_bad_frame_names_the_column(radon, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pooling_fit_frame(radon.set_axis([f"h{i}" for i in range(len(radon))]), **kwargs)


def test_bad_frame_rows_are_named_by_their_label(radon):
    """Missing values name the column and the row's label in df.index (lesson 05)."""
    df = radon.set_axis([f"h{i}" for i in range(len(radon))])
    cases = [
        ("log_radon", 3, np.nan, r"y column 'log_radon' has a missing value at row 'h3'"),
        ("floor", 7, np.inf, r"x column 'floor' has an infinite value \(inf\) at row 'h7'"),
        ("county", 5, None, r"group column 'county' has a missing value at row 'h5'"),
    ]
    for col, i, value, message in cases:
        bad = df.astype({col: object if value is None else float})
        bad.iloc[i, bad.columns.get_loc(col)] = value
        with pytest.raises(ValueError, match=message):
            pooling_fit_frame(bad, x="floor", y="log_radon", group="county")
    nullable = df.astype({"log_radon": "Float64"})
    nullable.iloc[2, nullable.columns.get_loc("log_radon")] = pd.NA
    with pytest.raises(ValueError, match=r"y column 'log_radon' has a missing value at row 'h2'"):
        pooling_fit_frame(nullable, x="floor", y="log_radon", group="county")
    fit = pooling_fit_frame(
        df.astype({"log_radon": "Float64"}), x="floor", y="log_radon", group="county"
    )
    assert fit.tau2 == fit_radon(radon).tau2


def test_one_group_or_one_row_per_group_is_refused_in_plain_words(radon):
    with pytest.raises(
        ValueError,
        match=r"at least two groups need data \(got data for 1 "
        r"group: 'AITKIN'\)",
    ):
        pooling_fit_frame(radon[radon.county == "AITKIN"], x="floor", y="log_radon", group="county")
    one_row = radon.groupby("county").head(1)
    with pytest.raises(
        ValueError,
        match=r"sigma2 and tau2 cannot both be estimated from one "
        r"row per group .*\(got 85 rows in 85 groups\)",
    ):
        pooling_fit_frame(one_row, x="floor", y="log_radon", group="county")
    # one variance given, the other is identified
    fit = pooling_fit_frame(one_row, x="floor", y="log_radon", group="county", sigma2=0.5)
    assert np.isfinite(fit.tau2)
    full = fit_radon(radon)
    with pytest.raises(
        ValueError,
        match=r"at least two groups need data \(got data for 1 "
        r"group: 'ANOKA'\)",
    ):
        full.update(n=np.where(np.arange(85) == 1, full.n, 0), estimate="REML")
    with pytest.raises(ValueError, match=r"sigma2 and tau2 cannot both be estimated"):
        full.update(n=np.minimum(full.n, 1), estimate="REML")


def test_group_summaries_equal_pandas_groupby(radon):
    s = group_summaries(radon, y="log_radon", group="county")
    ref = radon.groupby("county", sort=False).log_radon.agg(["mean", "count", "var"])
    assert list(s.groups) == list(ref.index)
    np.testing.assert_array_equal(s.n, ref["count"])
    np.testing.assert_allclose(s.ybar, ref["mean"], rtol=1e-14)
    pooled = ((ref["count"] - 1) * ref["var"].fillna(0)).sum() / (919 - 85)
    assert s.sigma2 == pytest.approx(pooled, rel=1e-13)
    with pytest.raises(ValueError, match=r"sigma2 cannot be estimated from one row per group"):
        group_summaries(radon.groupby("county").head(1), y="log_radon", group="county")
    with pytest.raises(ValueError, match=r"at least two groups need data"):
        group_summaries(radon[radon.county == "AITKIN"], y="log_radon", group="county")


def test_group_index_and_row_rank_say_which_rows_update_uses():
    group = np.array(["b", "a", "b", "c", "a", "b"])
    x = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 2.0])
    y = np.array([1.0, 2.0, 0.5, 3.0, 1.0, 2.5])
    fit = pooling_fit(x, y, group)
    assert list(fit.groups) == ["b", "a", "c"]
    np.testing.assert_array_equal(fit.group_index, [0, 1, 0, 2, 1, 0])
    np.testing.assert_array_equal(fit.row_rank, [0, 0, 1, 0, 1, 2])
    n = np.array([2, 1, 1])
    used = fit.row_rank < n[fit.group_index]
    by_hand = pooling_fit(x[used], y[used], group[used], sigma2=fit.sigma2, tau2=fit.tau2)
    np.testing.assert_array_equal(
        fit.update(n=n).partial_pooling.alpha, by_hand.partial_pooling.alpha
    )
    np.testing.assert_array_equal(fit.update(n=n).used(), used)
    np.testing.assert_array_equal(fit.update(n=n).used([5, 0]), used[[5, 0]])
    assert fit.used().all()
    with pytest.raises(ValueError):
        fit.row_rank[0] = 5


def test_check_n_is_what_update_trusts():
    fit = pooling_fit(X, Y, G)
    n = fit.check_n([2.0, 1.0])
    assert n.dtype.kind == "i" and not n.flags.writeable
    assert_same_fit(fit.update(n=n, check_input=False), fit.update(n=[2, 1]))
