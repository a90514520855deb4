"""beta_binomial(), gamma_poisson(): R fixtures, exact limits, invariants (hypothesis), bad input.

tests/fixtures/counts.json comes from tests/fixtures/counts.R: an independent maximisation of
the beta-binomial and negative-binomial marginal likelihoods in base R (optim BFGS, reltol
1e-15, Newton-polished to a gradient < 1e-9), MASS::glm.nb for the gamma-Poisson, and R's
qbeta / qgamma for the closed forms at a given prior.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shrinkviz.model.counts import BetaBinomial, GammaPoisson, beta_binomial, gamma_poisson
from shrinkviz.model.full_bayes_counts import full_bayes_binomial

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "counts.json").read_text())
BB, NB = FIXTURE["beta_binomial"], FIXTURE["gamma_poisson"]
FITTED_BB = sorted(k for k in BB if "fit" in BB[k])
FITTED_NB = sorted(k for k in NB if "fit" in NB[k])


def fit_of(family, case, a=None, b=None):
    if family == "beta_binomial":
        return beta_binomial(BB[case]["y"], BB[case]["n"], a, b)
    return gamma_poisson(NB[case]["y"], NB[case]["exposure"], a, b)


# --- against R --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FITTED_BB)
def test_beta_binomial_empirical_bayes_matches_r(case):
    ref, fit = BB[case]["fit"], fit_of("beta_binomial", case)
    np.testing.assert_allclose([fit.a, fit.b], [ref["a"], ref["b"]], rtol=1e-8)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-8)
    assert fit.prior_mean == pytest.approx(ref["a"] / (ref["a"] + ref["b"]), rel=1e-8)
    assert fit.prior_size == pytest.approx(ref["a"] + ref["b"], rel=1e-8)


@pytest.mark.parametrize("case", FITTED_NB)
def test_gamma_poisson_empirical_bayes_matches_r_and_glm_nb(case):
    ref, fit = NB[case]["fit"], fit_of("gamma_poisson", case)
    np.testing.assert_allclose([fit.a, fit.b], [ref["a"], ref["b"]], rtol=1e-8)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-8)
    nb = NB[case]["glm_nb"]  # MASS::glm.nb: theta = a, exp(intercept) = a / b
    assert fit.a == pytest.approx(nb["a"], rel=1e-6)
    assert fit.prior_mean == pytest.approx(nb["m"], rel=1e-6)
    assert fit.loglik == pytest.approx(nb["loglik"], abs=1e-6)


@pytest.mark.parametrize(
    "family,case",
    [("beta_binomial", c) for c in FITTED_BB] + [("gamma_poisson", c) for c in FITTED_NB],
)
@pytest.mark.parametrize("prior", ["fixed", "at_fit"])
def test_closed_forms_match_qbeta_and_qgamma(family, case, prior):
    ref = (BB if family == "beta_binomial" else NB)[case][prior]
    fit = fit_of(family, case, ref["a"], ref["b"])
    for key in ("mean", "var", "B"):
        np.testing.assert_allclose(getattr(fit, key), ref[key], rtol=1e-12, err_msg=key)
    lower, upper = fit.interval(ref["level"])
    np.testing.assert_allclose(lower, ref["lower"], rtol=1e-9)
    np.testing.assert_allclose(upper, ref["upper"], rtol=1e-9)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=1e-9)


def test_r_fixture_covers_the_data_sets():
    assert {"rat_tumors", "surgical", "sim_3000", "no_overdispersion"} <= set(BB)
    assert {"surgical", "sim_3000", "no_overdispersion"} <= set(NB)


# --- no overdispersion: the boundary, said clearly --------------------------------------------


def test_no_overdispersion_is_complete_pooling_beta_binomial():
    ref = BB["no_overdispersion"]
    assert ref["profile_max"] < ref["binomial_loglik"] and ref["score"] < 0  # R's own check
    fit = beta_binomial(ref["y"], ref["n"])
    assert fit.prior_size == np.inf and fit.a == np.inf and fit.b == np.inf
    assert fit.prior_mean == pytest.approx(ref["pooled"], rel=1e-14)
    assert fit.loglik == pytest.approx(ref["binomial_loglik"], abs=1e-9)
    assert np.all(fit.mean == fit.prior_mean) and np.all(fit.B == 1) and np.all(fit.var == 0)
    assert "prior_size=inf" in repr(fit)


def test_no_overdispersion_is_complete_pooling_gamma_poisson():
    ref = NB["no_overdispersion"]
    fit = gamma_poisson(ref["y"], ref["exposure"])
    assert fit.prior_size == np.inf and fit.b == np.inf
    assert fit.prior_mean == pytest.approx(ref["pooled"], rel=1e-14)
    assert fit.loglik == pytest.approx(ref["poisson_loglik"], abs=1e-9)
    lower, upper = fit.interval()
    assert np.all(lower == fit.prior_mean) and np.all(upper == fit.prior_mean)


# --- the closed forms and their exact limits --------------------------------------------------


def rats():
    return np.array(BB["rat_tumors"]["y"], float), np.array(BB["rat_tumors"]["n"], float)


def test_mean_is_the_shrinkage_identity():
    y, n = rats()
    fit = beta_binomial(y, n, 2.0, 13.0)
    np.testing.assert_allclose(fit.B, 15 / (15 + n), rtol=1e-15)
    np.testing.assert_allclose(fit.mean, (1 - fit.B) * y / n + fit.B * 2 / 15, rtol=1e-14)
    np.testing.assert_allclose(fit.raw, y / n, rtol=0)
    E = n * 3.5
    pois = gamma_poisson(y, E, 2.0, 13.0)
    np.testing.assert_allclose(pois.B, 13 / (13 + E), rtol=1e-15)
    np.testing.assert_allclose(pois.mean, (1 - pois.B) * y / E + pois.B * 2 / 13, rtol=1e-14)


@pytest.mark.parametrize("family", ["beta_binomial", "gamma_poisson"])
def test_size_zero_is_no_pooling_and_size_inf_complete_pooling_exactly(family):
    y, n = rats()
    fit = beta_binomial(y, n) if family == "beta_binomial" else gamma_poisson(y, n)
    none = fit.with_prior(size=0)
    assert np.all(none.B == 0) and np.array_equal(none.mean, y / n)
    lower, upper = none.interval()
    zero = y == 0
    assert np.all(lower[zero] == 0) and np.all(upper[zero] == 0)  # a point mass at 0
    assert none.loglik == -np.inf  # some 0 < y_j: impossible under no pooling's limit
    full = fit.with_prior(size=np.inf)
    assert np.all(full.B == 1) and np.all(full.mean == fit.prior_mean) and np.all(full.var == 0)
    assert full.prior_mean == fit.prior_mean and full.a == np.inf
    # and the limits are approached continuously
    np.testing.assert_allclose(fit.with_prior(size=1e-10).mean, y / n, atol=1e-10)
    np.testing.assert_allclose(fit.with_prior(size=1e12).mean, fit.prior_mean, rtol=1e-9)
    np.testing.assert_allclose(fit.with_prior(size=1e12).loglik, full.loglik, rtol=1e-6)


def test_a_group_without_trials_sits_at_the_prior_mean():
    y, n = np.array([0.0, 3, 5, 0]), np.array([0.0, 10, 12, 7])
    for size in (0.0, 0.5, 20.0, np.inf):
        fit = beta_binomial(y, n, 1.0, 3.0).with_prior(size=size)
        assert fit.mean[0] == 0.25 and fit.B[0] == 1
        assert np.isnan(fit.raw[0])
    # size 0: Beta(0, 0) with mean m is the limit Bernoulli(m): variance m (1 - m), interval (0, 1)
    none = beta_binomial(y, n, 1.0, 3.0).with_prior(size=0)
    assert none.var[0] == pytest.approx(0.25 * 0.75)
    assert none.interval(0.9)[0][0] == 0 and none.interval(0.9)[1][0] == 1
    assert beta_binomial(y, n).B[0] == 1  # empirical Bayes ignores the empty group


def test_with_prior_keeps_what_is_not_given():
    y, n = rats()
    fit = beta_binomial(y, n)
    moved = fit.with_prior(size=50)
    assert moved.prior_mean == fit.prior_mean and moved.prior_size == 50
    assert moved.a == pytest.approx(50 * fit.prior_mean)
    same = beta_binomial(y, n, moved.a, moved.b)
    np.testing.assert_allclose(moved.mean, same.mean, rtol=1e-14)
    assert moved.loglik == pytest.approx(same.loglik, rel=1e-13)
    assert fit.with_prior(mean=0.3).prior_size == fit.prior_size


def test_results_are_frozen_and_inputs_untouched():
    y, n = rats()
    y0, n0 = y.copy(), n.copy()
    fit = beta_binomial(y, n)
    assert np.array_equal(y, y0) and np.array_equal(n, n0)
    for name in ("raw", "mean", "var", "B", "y", "n"):
        with pytest.raises(ValueError):
            getattr(fit, name)[0] = 1.0
    with pytest.raises(AttributeError):
        fit.a = 1.0
    assert repr(fit).startswith("BetaBinomial(mean=[")
    assert isinstance(fit, BetaBinomial) and isinstance(gamma_poisson(y, n), GammaPoisson)


# --- invariants (hypothesis) ------------------------------------------------------------------


@st.composite
def overdispersed(draw):
    """Binomial data whose proportions vary: the maximum is inside, not at a + b = inf."""
    J = draw(st.integers(4, 12))
    n = np.array(draw(st.lists(st.integers(2, 60), min_size=J, max_size=J)), float)
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=J, max_size=J)))
    y = np.round(frac * n)
    return y, n


def _same_maximum(y, n, fit, a, b):
    """(a, b), found from the same data rearranged, is fit's maximum of the likelihood.

    Where the likelihood is flat in a + b (a + b in the thousands), rounding in its gradient
    moves the argmax by ~1e-7 relative while the maximum stays put to the last digits: so the
    likelihood is compared tightly and (a, b) loosely.
    """
    np.testing.assert_allclose([a, b], [fit.a, fit.b], rtol=1e-5)
    if np.isfinite(fit.prior_size):
        there = beta_binomial(y, n, a, b)
        assert there.loglik == pytest.approx(fit.loglik, rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(overdispersed(), st.randoms(use_true_random=False))
def test_permuting_the_groups_permutes_the_results(data, rnd):
    y, n = data
    try:
        fit = beta_binomial(y, n)
    except ValueError:
        return  # every group the same proportion, or all at 0 % / 100 %
    order = np.arange(len(y))
    rnd.shuffle(order)
    other = beta_binomial(y[order], n[order])
    _same_maximum(y, n, fit, other.a, other.b)
    np.testing.assert_allclose(other.mean, fit.mean[order], rtol=1e-7, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(overdispersed())
# a + b = 4729: the likelihood is flat in a + b and rounding moves the argmax by 2.6e-7
@example((np.array([19.0, 20, 25, 4]), np.array([28.0, 29, 29, 6])))
def test_swapping_successes_and_failures_mirrors_theta(data):
    y, n = data
    try:
        fit = beta_binomial(y, n)
    except ValueError:
        return
    mirror = beta_binomial(n - y, n)
    _same_maximum(y, n, fit, mirror.b, mirror.a)
    np.testing.assert_allclose(mirror.mean, 1 - fit.mean, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(mirror.var, fit.var, rtol=1e-6, atol=1e-15)
    if np.isfinite(fit.prior_size):
        lower, upper = fit.interval(0.8)
        m_lower, m_upper = mirror.interval(0.8)
        np.testing.assert_allclose(m_lower, 1 - upper, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(m_upper, 1 - lower, rtol=1e-6, atol=1e-9)
    # at a given prior the mirror is exact
    given_ab = beta_binomial(y, n, 1.7, 4.2)
    swapped = beta_binomial(n - y, n, 4.2, 1.7)
    np.testing.assert_allclose(swapped.mean, 1 - given_ab.mean, rtol=1e-13, atol=1e-15)
    assert swapped.loglik == pytest.approx(given_ab.loglik, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(overdispersed(), st.floats(-6, 6), st.floats(0.01, 0.99))
def test_posterior_mean_moves_monotonically_from_raw_to_prior_mean(data, log_size, m):
    y, n = data
    fit = beta_binomial(y, n, m, 1 - m)
    small, big = fit.with_prior(size=10**log_size), fit.with_prior(size=10 ** (log_size + 1))
    raw = y / n
    # the mean lies between the group's own proportion and the prior mean, nearer the prior
    # mean as the prior grows
    assert np.all(np.abs(big.mean - m) <= np.abs(small.mean - m) + 1e-12)
    assert np.all(np.minimum(raw, m) - 1e-12 <= small.mean)
    assert np.all(small.mean <= np.maximum(raw, m) + 1e-12)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y,n,message",
    [
        ([1, 5], [3, 4], r"y must be <= n \(got y = 5 > n = 4 at index 1\)"),
        ([1, -2], [3, 4], r"y must be whole numbers >= 0 \(got -2.0 at index 1\)"),
        ([1, 2.5], [3, 4], r"y must be whole numbers >= 0 \(got 2.5 at index 1\)"),
        ([1, 2], [3, np.nan], r"n must be whole numbers >= 0 \(got nan at index 1\)"),
        ([1, 2, 3], [3, 4], r"y and n must have the same length"),
        (
            [1, 2, 3],
            [10, 20, 30],
            r"y / n must differ between groups .* every group has y / n = "
            r"0.1, .* complete pooling, a \+ b -> inf\); pass a and b",
        ),
        ([0, 0, 0], [10, 20, 30], r"y / n must differ between groups"),
        ([0, 1, 0, 1], [1, 1, 1, 1], r"n must be >= 2 for some group"),
        ([0, 20, 0], [10, 20, 30], r"strictly between 0 and n in some group .* a \+ b -> 0"),
        ([3], [10], r"n must be > 0 for at least two groups"),
    ],
)
def test_beta_binomial_bad_input(y, n, message):
    with pytest.raises(ValueError, match=message):
        beta_binomial(y, n)


def test_bad_input_names_the_row_label_of_a_series():
    y = pd.Series([1, 7, 2], index=["A", "B", "C"])
    n = pd.Series([5, 6, 9], index=["A", "B", "C"])
    with pytest.raises(ValueError, match=r"got y = 7 > n = 6 at row 'B'"):
        beta_binomial(y, n)
    with pytest.raises(ValueError, match=r"exposure must be > 0 and finite \(got 0.0 at row 'C'"):
        gamma_poisson(y, pd.Series([1.0, 2.0, 0.0], index=["A", "B", "C"]))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(a=1.0), r"a and b must be given together, or both None \(got 'a=1.0, b=None'\)"),
        (dict(b=2.0), r"a and b must be given together, or both None \(got 'a=None, b=2.0'\)"),
        (dict(a=-1.0, b=2.0), r"a must be in \(0, inf\] \(got -1.0\)"),
        (dict(a=1.0, b=np.inf), r"b must be a finite number"),
    ],
)
def test_bad_prior(kwargs, message):
    with pytest.raises(ValueError, match=message):
        beta_binomial([1, 2], [5, 6], **kwargs)


def test_gamma_poisson_bad_input():
    with pytest.raises(ValueError, match=r"exposure must be > 0 and finite \(got -1.0 at index 0"):
        gamma_poisson([1, 2], [-1.0, 3.0])
    with pytest.raises(ValueError, match=r"y / exposure must differ between groups .* b -> inf"):
        gamma_poisson([2, 4], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"y must be of length >= 2 to estimate a and b"):
        gamma_poisson([2], [1.0])
    with pytest.raises(ValueError, match=r"y must be whole numbers >= 0 \(got 1.5 at index 1\)"):
        gamma_poisson([2, 1.5], [1.0, 2.0])


def test_bad_with_prior_and_level():
    fit = beta_binomial([1, 2, 5], [10, 10, 10], 1.0, 2.0)
    with pytest.raises(ValueError, match=r"size must be in \[0, inf\] \(got -1\)"):
        fit.with_prior(size=-1)
    with pytest.raises(ValueError, match=r"mean must be in \(0, 1\) \(got 1.5\)"):
        fit.with_prior(mean=1.5)
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        fit.interval(1.0)


# --- full Bayes: full_bayes_binomial ----------------------------------------------------------
# tests/fixtures/counts_full_bayes.json comes from tests/fixtures/make_counts_full_bayes.py:
# adaptive quadrature in BDA3's uniform coordinates (a / (a + b), (a + b)^(-1/2)), computed at
# two resolutions that agree (max_relative_difference), independent of shrinkviz.model.

FULL = json.loads((Path(__file__).parents[1] / "fixtures" / "counts_full_bayes.json").read_text())


@pytest.mark.parametrize("case", sorted(FULL))
def test_full_bayes_matches_adaptive_quadrature(case):
    ref = FULL[case]
    assert ref["max_relative_difference"] < 1e-8  # the reference's two resolutions agree
    fit = full_bayes_binomial(ref["y"], ref["n"])
    scale = np.median(ref["sd"])
    for key in ("mean", "sd"):
        np.testing.assert_allclose(
            getattr(fit, key), ref[key], rtol=1e-6, atol=1e-6 * scale, err_msg=key
        )
    for key in ("prior_mean", "prior_mean_sd", "log_size_mean", "log_size_sd"):
        assert getattr(fit, key) == pytest.approx(ref[key], rel=1e-6), key
    if ref["quantile_groups"]:  # (not for surgical: its quadrature is slow with n up to 810)
        q = fit.quantiles(ref["probs"])[ref["quantile_groups"]]
        np.testing.assert_allclose(q, ref["quantiles"], rtol=1e-6, atol=1e-9)


def test_full_bayes_fixture_covers_the_cases():
    assert {"rat_tumors", "surgical"} <= set(FULL)


@pytest.fixture(scope="module")
def rats_full():
    y, n = rats()
    return full_bayes_binomial(y, n)


def test_bda3_rat_tumour_posterior_mode(rats_full):
    # BDA3 section 5.3 (discussion of figure 5.3): the marginal posterior of
    # (log(a / b), log(a + b)) is roughly symmetric about its mode, "roughly (-1.75, 2.8)",
    # i.e. (a, b) about (2.4, 14.0). Read off a contour plot: allow the rounding.
    from scipy import optimize

    from shrinkviz.model.full_bayes_counts import _Likelihood, _log_post, _pairs

    y, n = rats()
    (yu, nu), back = _pairs(y, n)
    like = _Likelihood(yu, nu, np.bincount(back).astype(float))
    res = optimize.minimize(
        lambda p: -_log_post(like, np.array([[p[0]]]), np.array([p[1]]))[0, 0],
        [-1.5, 2.5],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12},
    )
    u, w = res.x  # (-1.7858, 2.7415) here; BDA3 rounds and converts to (a, b) = (2.4, 14.0)
    assert u == pytest.approx(-1.75, abs=0.05) and w == pytest.approx(2.8, abs=0.1)
    # and p(log(a + b) | y) peaks near there too
    assert rats_full.log_size[np.argmax(rats_full.log_size_density)] == pytest.approx(2.8, abs=0.2)


def test_log_size_density_is_the_marginal_of_eq_5_8(rats_full):
    # p(w | y) at a few nodes against an independent inner integral over u (scipy quad)
    from scipy import integrate, special

    y, n = rats()

    def inner(w):
        s = np.exp(w)

        def f(u):
            m = special.expit(u)
            a, b = m * s, (1 - m) * s
            return np.exp(
                np.log(m)
                + np.log1p(-m)
                - w / 2
                + np.sum(special.betaln(a + y, b + n - y) - special.betaln(a, b))
                + 150
            )

        return integrate.quad(f, -6, 3, epsabs=0, epsrel=1e-12, limit=500)[0]

    w, dens = rats_full.log_size, rats_full.log_size_density
    k = np.argsort(np.abs(w - 2.75))[[0, 4, 9]]  # nodes near the mode and to either side
    ratios = dens[k] / dens[k[0]]
    expected = np.array([inner(w[j]) for j in k]) / inner(w[k[0]])
    np.testing.assert_allclose(ratios, expected, rtol=1e-8)
    assert np.sum(rats_full.log_size_weights * rats_full.log_size_density) == pytest.approx(
        1, abs=1e-14
    )
    assert w[0] < 1 and w[-1] > 20  # the long right tail (e^(-w/2)) is on the grid


def test_full_bayes_group_without_trials_sits_at_the_prior_mean():
    fit = full_bayes_binomial([0, 3, 7, 0, 2], [12, 15, 9, 0, 2])
    assert fit.mean[3] == pytest.approx(fit.prior_mean, rel=1e-13)


def test_full_bayes_mirror_and_permutation(rats_full):
    y, n = rats()
    mirror = full_bayes_binomial(n - y, n)
    np.testing.assert_allclose(mirror.mean, 1 - rats_full.mean, rtol=1e-8)
    np.testing.assert_allclose(mirror.sd, rats_full.sd, rtol=1e-7)
    assert mirror.prior_mean == pytest.approx(1 - rats_full.prior_mean, rel=1e-8)
    assert mirror.log_size_mean == pytest.approx(rats_full.log_size_mean, rel=1e-8)
    q, qm = rats_full.quantiles([0.1, 0.9]), mirror.quantiles([0.1, 0.9])
    np.testing.assert_allclose(qm[:, ::-1], 1 - q, rtol=1e-7, atol=1e-9)
    order = np.random.default_rng(3).permutation(len(y))
    shuffled = full_bayes_binomial(y[order], n[order])
    np.testing.assert_allclose(shuffled.mean, rats_full.mean[order], rtol=1e-12)
    np.testing.assert_allclose(shuffled.sd, rats_full.sd[order], rtol=1e-12)


def test_full_bayes_interval_and_frozen(rats_full):
    lower, upper = rats_full.interval(0.9)
    np.testing.assert_allclose(
        np.column_stack([lower, upper]), rats_full.quantiles([0.05, 0.95]), rtol=1e-12
    )
    assert np.all(lower < rats_full.mean) and np.all(rats_full.mean < upper)
    for name in ("mean", "sd", "log_size", "log_size_density", "log_size_weights"):
        with pytest.raises(ValueError):
            getattr(rats_full, name)[0] = 1.0
    assert repr(rats_full).startswith("FullBayesBinomial(mean=[")


def test_full_bayes_bad_input():
    with pytest.raises(
        ValueError,
        match=r"y must be strictly between 0 and n in some group for "
        r"full Bayes: .* improper",
    ):
        full_bayes_binomial([0, 5, 0], [4, 5, 6])
    with pytest.raises(ValueError, match=r"y must be <= n \(got y = 9 > n = 6 at index 2\)"):
        full_bayes_binomial([0, 5, 9], [4, 5, 6])
    with pytest.raises(ValueError, match=r"probs must be in \(0, 1\)"):
        full_bayes_binomial([1, 2], [4, 5]).quantiles([0.5, 1.0])


def test_public_names():
    import shrinkviz as sv
    import shrinkviz.model as model

    assert sv.beta_binomial is beta_binomial and sv.gamma_poisson is gamma_poisson
    assert sv.full_bayes_binomial is full_bayes_binomial
    assert {"beta_binomial", "gamma_poisson", "full_bayes_binomial"} <= set(model.__all__)


# --- the prior mean estimated at a given size ---------------------------------------------------


@pytest.mark.parametrize("size", [0.0, 0.3, 14.0, 250.0, np.inf])
def test_weighted_prior_mean_is_gls_with_the_marginal_variances(size):
    """Weights 1 / Var(y_j / n_j) from scipy's beta-binomial and negative-binomial variances
    (independent of the 1 - B_j the model uses); the ends are the plain mean and the pooled
    rate."""
    from scipy import stats

    y, n = rats()
    fit = beta_binomial(y, n)
    E = n * 3.5
    pois = gamma_poisson(y, E)
    raw, rate = y / n, y / E
    if size == 0:
        want_bb, want_pois = raw.mean(), rate.mean()
    elif size == np.inf:
        want_bb, want_pois = y.sum() / n.sum(), y.sum() / E.sum()
    else:
        m = fit.prior_mean
        var = stats.betabinom.var(n, m * size, (1 - m) * size) / n**2
        want_bb = np.sum(raw / var) / np.sum(1 / var)
        mp = pois.prior_mean
        var = stats.nbinom.var(mp * size, size / (size + E)) / E**2
        want_pois = np.sum(rate / var) / np.sum(1 / var)
    assert fit.weighted_prior_mean(size) == pytest.approx(want_bb, rel=1e-12)
    assert pois.weighted_prior_mean(size) == pytest.approx(want_pois, rel=1e-12)


def test_weighted_prior_mean_leaves_out_groups_without_trials_and_checks_size():
    y, n = np.array([0.0, 3, 5, 2]), np.array([0.0, 10, 12, 7])
    fit = beta_binomial(y, n, 1.0, 3.0)
    assert fit.weighted_prior_mean() == pytest.approx(
        beta_binomial(y[1:], n[1:], 1.0, 3.0).weighted_prior_mean()
    )
    assert fit.weighted_prior_mean(np.inf) == 10 / 29
    with pytest.raises(ValueError, match=r"size must be in \[0, inf\] \(got -1\)"):
        fit.weighted_prior_mean(-1)


@pytest.mark.parametrize("size", [0.0, 14.0, np.inf])
def test_interval_of_some_groups_is_theirs_of_all(size):
    y, n = rats()
    for fit in (beta_binomial(y, n), gamma_poisson(y, n * 3.5)):
        fit = fit.with_prior(size=size)
        lo, hi = fit.interval(0.9)
        some = np.array([70, 0, 3, 3])
        lo_s, hi_s = fit.interval(0.9, groups=some)
        np.testing.assert_array_equal(lo_s, lo[some])
        np.testing.assert_array_equal(hi_s, hi[some])
        assert fit.interval(groups=-1)[1][0] == fit.interval()[1][-1]
    with pytest.raises(ValueError, match=r"groups must be indices of the 71 groups \(got 71\)"):
        fit.interval(groups=71)
    with pytest.raises(ValueError, match="groups must be indices"):
        fit.interval(groups=[0.5])


def test_full_bayes_interval_of_some_groups_is_theirs_of_all(rats_full):
    lower, upper = rats_full.interval(0.9)
    some = np.array([70, 0, 3, 3])
    lo, hi = rats_full.interval(0.9, groups=some)
    np.testing.assert_allclose(lo, lower[some], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hi, upper[some], rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"groups must be indices of the 71 groups"):
        rats_full.interval(groups=[[1]])
