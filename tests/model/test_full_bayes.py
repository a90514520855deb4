"""full_bayes(): adaptive-quadrature fixtures, BDA3 table 5.3, limits, invariants, bad input.

The fixture tests/fixtures/full_bayes.json comes from tests/fixtures/make_full_bayes.py, an
independent scipy.integrate.quad implementation of the same integrals.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import shrinkviz as sv
from shrinkviz import full_bayes, posterior
from shrinkviz.model import TAU_PRIORS
from shrinkviz.model.full_bayes import _theta_given_tau

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "full_bayes.json").read_text())
SCHOOLS = sv.data.eight_schools()


@pytest.fixture(scope="module")
def schools():
    return full_bayes(SCHOOLS.y, SCHOOLS.v)


@pytest.mark.parametrize("name", sorted(FIXTURE))
def test_matches_adaptive_quadrature(name):
    ref = FIXTURE[name]
    fit = full_bayes(ref["y"], ref["v"], ref["tau_prior"], ref["tau_scale"])
    for key in ("mean", "sd", "mu0", "mu0_sd", "tau_mean", "tau_sd"):
        expected = np.inf if ref[key] is None else ref[key]  # null: the moment diverges
        np.testing.assert_allclose(getattr(fit, key), expected, rtol=1e-6, err_msg=key)
    probs = ref["probs"]
    np.testing.assert_allclose(
        fit.quantiles(probs)[ref["quantile_groups"]], ref["quantiles"], rtol=1e-5
    )
    np.testing.assert_allclose(fit.mu0_quantiles(probs), ref["mu0_quantiles"], rtol=1e-5)
    np.testing.assert_allclose(fit.tau_quantiles(probs), ref["tau_quantiles"], rtol=1e-5)


def test_fixture_covers_three_data_sets_and_every_prior():
    names = {n.split("/")[0] for n in FIXTURE}
    assert {"eight_schools", "bcg", "teacher_expectancy", "rat_tumors_logit"} <= names
    for data_set in ("eight_schools", "bcg", "teacher_expectancy"):
        for prior in TAU_PRIORS:
            assert f"{data_set}/{prior}" in FIXTURE


def test_bda3_table_5_3_medians(schools):
    # BDA3 table 5.3 summarises 200 simulation draws, rounded to integers: allow the rounding
    # (0.5) plus about one Monte Carlo SE of a median of 200 draws (~0.55 here).
    table = [10, 8, 7, 8, 5, 6, 10, 8]
    np.testing.assert_allclose(schools.quantiles([0.5])[:, 0], table, atol=1.0)


def test_density_is_eq_5_21_and_normalised(schools):
    tau = schools.tau
    assert np.sum(schools.tau_weights * schools.tau_density) == pytest.approx(1, abs=1e-14)
    y, v = SCHOOLS.y.to_numpy(), SCHOOLS.v.to_numpy()
    log_p = []
    for t in tau[::7]:
        post = posterior(y, v, t * t)
        log_p.append(
            0.5 * np.log(post.mu0_var)
            - 0.5 * np.log(v + t * t).sum()
            - 0.5 * ((y - post.mu0) ** 2 / (v + t * t)).sum()
        )
    ratio = np.log(schools.tau_density[::7]) - log_p
    np.testing.assert_allclose(ratio, ratio[0], atol=1e-9)
    assert np.all(np.diff(tau) > 0) and tau[0] < 1e-3 and tau[-1] > 1e4  # the tails are covered


@pytest.mark.parametrize("tau", [0.0, 1e-3, 3.0, 40.0, 1e6])
def test_conditional_moments_are_those_of_posterior(tau):
    y, v = SCHOOLS.y.to_numpy(), SCHOOLS.v.to_numpy()
    mean, var = _theta_given_tau(y, v, np.array([tau * tau]))
    post = posterior(y, v, tau * tau)
    np.testing.assert_allclose(mean[0], post.mean, rtol=1e-12)
    np.testing.assert_allclose(var[0], post.var, rtol=1e-12)


def test_heavy_tails_give_infinite_moments():
    y, v = SCHOOLS.y.to_numpy(), SCHOOLS.v.to_numpy()
    three = full_bayes(y[:3], v[:3])  # p(tau | y) ~ tau^-2
    assert three.tau_mean == np.inf and three.tau_sd == np.inf and three.mu0_sd == np.inf
    assert np.all(np.isfinite(three.sd)) and np.isfinite(three.mu0)
    four = full_bayes(y[:4], v[:4])  # ~ tau^-3: a mean but no variance
    assert np.isfinite(four.tau_mean) and four.tau_sd == np.inf and four.mu0_sd == np.inf
    five = full_bayes(y[:5], v[:5])
    assert np.isfinite([five.tau_mean, five.tau_sd, five.mu0_sd]).all()
    two = full_bayes(y[:2], v[:2], "half-cauchy", 25)  # ~ tau^-3
    assert np.isfinite(two.tau_mean) and two.tau_sd == np.inf
    assert np.isfinite(full_bayes(y[:2], v[:2], "half-normal", 10).tau_sd)
    # quantiles stay finite and ordered
    q = three.tau_quantiles([0.5, 0.9, 0.99])
    assert np.all(np.isfinite(q)) and np.all(np.diff(q) > 0)


def test_small_half_normal_scale_is_complete_pooling():
    y, v = SCHOOLS.y.to_numpy(), SCHOOLS.v.to_numpy()
    pooled = posterior(y, v, 0.0)
    fit = full_bayes(y, v, "half-normal", 1e-6)
    np.testing.assert_allclose(fit.mean, pooled.mean, rtol=1e-9)
    np.testing.assert_allclose(fit.sd, np.sqrt(pooled.var), rtol=1e-9)
    np.testing.assert_allclose(
        [fit.mu0, fit.mu0_sd], [pooled.mu0, np.sqrt(pooled.mu0_var)], rtol=1e-9
    )
    # E[tau] of a half-normal(s) prior when the likelihood is flat near 0: s sqrt(2 / pi)
    assert fit.tau_mean == pytest.approx(1e-6 * np.sqrt(2 / np.pi), rel=1e-6)


@pytest.mark.parametrize("prior", ["half-normal", "half-cauchy"])
def test_wide_priors_tend_to_the_uniform(schools, prior):
    fit = full_bayes(SCHOOLS.y, SCHOOLS.v, prior, 1e7)
    for key in ("mean", "sd", "mu0", "mu0_sd", "tau_mean", "tau_sd"):
        np.testing.assert_allclose(getattr(fit, key), getattr(schools, key), rtol=1e-8)


def test_full_bayes_sits_between_complete_and_no_pooling(schools):
    # Eight schools: every mean lies strictly between the pooled mean and its own y_j.
    y = SCHOOLS.y.to_numpy()
    pooled = posterior(y, SCHOOLS.v, 0.0).mu0
    lo, hi = np.minimum(y, pooled), np.maximum(y, pooled)
    assert np.all((schools.mean > lo) & (schools.mean < hi))
    assert np.all(schools.sd < SCHOOLS.sigma)


@st.composite
def groups(draw):
    J = draw(st.integers(3, 10))
    y = draw(arrays(np.float64, J, elements=st.floats(-50, 50)))
    v = draw(arrays(np.float64, J, elements=st.floats(0.5, 200)))
    return y, v


priors = st.sampled_from([("uniform", None), ("half-cauchy", 5.0), ("half-normal", 5.0)])


@settings(max_examples=40, deadline=None)
@given(groups(), priors, st.floats(-100, 100), st.floats(0.01, 100))
def test_shift_and_scale_equivariance(g, prior, shift, scale):
    (y, v), (name, s) = g, prior
    a = full_bayes(y, v, name, s)
    b = full_bayes(shift + scale * y, scale**2 * v, name, None if s is None else scale * s)
    atol = 1e-8 * scale * (np.abs(y).max() + np.sqrt(v.max()))
    np.testing.assert_allclose(b.mean, shift + scale * a.mean, rtol=1e-8, atol=atol)
    np.testing.assert_allclose(b.sd, scale * a.sd, rtol=1e-8)
    np.testing.assert_allclose(b.mu0, shift + scale * a.mu0, rtol=1e-8, atol=atol)
    np.testing.assert_allclose(
        [b.mu0_sd, b.tau_mean, b.tau_sd],
        scale * np.array([a.mu0_sd, a.tau_mean, a.tau_sd]),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        b.tau_quantiles([0.1, 0.9]), scale * a.tau_quantiles([0.1, 0.9]), rtol=1e-7
    )


@settings(max_examples=30, deadline=None)
@given(groups(), priors, st.randoms(use_true_random=False))
def test_permutation_equivariance_and_ordered_quantiles(g, prior, rnd):
    (y, v), (name, s) = g, prior
    perm = np.array(rnd.sample(range(len(y)), len(y)))
    a, b = full_bayes(y, v, name, s), full_bayes(y[perm], v[perm], name, s)
    np.testing.assert_allclose(b.mean, a.mean[perm], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(b.sd, a.sd[perm], rtol=1e-8)
    q = a.quantiles([0.05, 0.5, 0.95])
    assert q.shape == (len(y), 3) and np.all(np.diff(q, axis=1) > 0)
    assert np.all(np.diff(a.mu0_quantiles([0.05, 0.5, 0.95])) > 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(tau_prior="flat"),
            r"tau_prior must be one of 'uniform', 'half-cauchy', "
            r"'half-normal' \(got 'flat'\)",
        ),
        (
            dict(tau_prior="half-cauchy"),
            r"tau_scale must be given \(> 0\) for "
            r"tau_prior='half-cauchy' \(got None\)",
        ),
        (
            dict(tau_prior="half-normal", tau_scale=0.0),
            r"tau_scale must be in \(0, inf\] \(got 0.0\)",
        ),
        (
            dict(tau_prior="half-normal", tau_scale=-2),
            r"tau_scale must be in \(0, inf\] \(got -2\)",
        ),
        (dict(tau_prior="half-normal", tau_scale=np.inf), r"tau_scale must be a finite number"),
        (dict(tau_prior="half-normal", tau_scale=np.nan), r"tau_scale must be a finite number"),
        (dict(tau_prior="half-normal", tau_scale="big"), r"tau_scale must be a real number"),
        (dict(tau_scale=3.0), r"tau_scale must be None for tau_prior='uniform' \(got 3.0\)"),
        (
            dict(y=[1.0], v=[1.0], tau_prior="half-normal", tau_scale=1),
            r"at least two groups need data \(got data for 1 group\)",
        ),
        (
            dict(y=[1.0, 2.0], v=[1.0, 1.0]),
            r"at least three groups need data for tau_prior='uniform' .*\(got data for 2 groups\)",
        ),
        (dict(v=[1, 1, np.inf]), r"at least three groups need data for tau_prior='uniform'"),
        (
            dict(v=[1, 1, 0.0]),
            r"v must be > 0 \(inf for a group without data\) \(got 0.0 at "
            r"index 2\)",
        ),
        (dict(v=[1, -1, 1.0]), r"v must be > 0 .*\(got -1.0 at index 1\)"),
        (dict(v=[1, np.nan, 1]), r"v must be > 0 .*\(got nan at index 1\)"),
        (dict(v=[1, 1]), r"y and v must have the same length \(got y: 3, v: 2\)"),
        (dict(y=[1, np.nan, 2]), r"y must be finite \(got nan at index 1\)"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    args = dict(y=[1.0, 2.0, 3.0], v=[1.0, 1.0, 1.0]) | kwargs
    with pytest.raises(ValueError, match=message):
        full_bayes(**args)


@pytest.mark.parametrize("prior, scale", [("uniform", None), ("half-cauchy", 5.0)])
def test_a_group_without_data_drops_out(prior, scale):
    """v_j = inf (n_j = 0): p(tau | y), mu and the other groups are those of the groups with
    data alone, and theta_j ~ N(mu, tau^2) averaged: E = E[mu | y], Var = E[tau^2] + Var(mu)."""
    y, v = SCHOOLS.y.to_numpy(float), SCHOOLS.v.to_numpy(float)
    gone = [2, 5]
    with_inf = full_bayes(y, np.where(np.isin(np.arange(8), gone), np.inf, v), prior, scale)
    alone = full_bayes(np.delete(y, gone), np.delete(v, gone), prior, scale)
    keep = np.setdiff1d(np.arange(8), gone)
    for name in ("mean", "sd", "B"):
        np.testing.assert_array_equal(getattr(with_inf, name)[keep], getattr(alone, name))
    for name in ("tau", "tau_density", "mu0", "mu0_sd", "tau_mean", "tau_sd"):
        np.testing.assert_array_equal(getattr(with_inf, name), getattr(alone, name))
    assert np.all(with_inf.mean[gone] == alone.mu0)
    assert np.all(with_inf.B[gone] == 1.0)
    var = alone.tau_sd**2 + alone.tau_mean**2 + alone.mu0_sd**2  # E[tau^2] + Var(mu | y)
    np.testing.assert_allclose(with_inf.sd[gone] ** 2, var, rtol=1e-10)
    # its quantiles: those of the mixture of N(mu_hat, tau^2 + V_mu)
    q = with_inf.quantiles([0.5])
    assert q[2, 0] == q[5, 0]
    assert abs(q[2, 0] - alone.mu0_quantiles([0.5])[0]) < 0.2 * alone.mu0_sd


def test_b_mean_is_the_average_shrinkage_factor(schools):
    """E[B_j | y] = sum over the grid of p(tau | y) * v_j / (v_j + tau^2), against a direct
    quadrature of eq. 5.21 with scipy.integrate.quad."""
    from scipy import integrate

    y, v = SCHOOLS.y.to_numpy(float), SCHOOLS.v.to_numpy(float)

    def density(tau):
        w = 1.0 / (v + tau * tau)
        mu = w @ y / w.sum()
        return np.sqrt(1.0 / w.sum() * np.prod(w)) * np.exp(-0.5 * w @ (y - mu) ** 2)

    norm = integrate.quad(density, 0, np.inf, epsabs=0, epsrel=1e-12, limit=500)[0]
    for j in (0, 4):
        ref = (
            integrate.quad(
                lambda t, j=j: density(t) * v[j] / (v[j] + t * t),
                0,
                np.inf,
                epsabs=0,
                epsrel=1e-12,
                limit=500,
            )[0]
            / norm
        )
        assert schools.B[j] == pytest.approx(ref, rel=1e-8)
    assert np.all((schools.B > 0) & (schools.B < 1))
    # more precise groups shrink less on average
    order = np.argsort(v)
    assert np.all(np.diff(schools.B[order]) >= 0)


@pytest.mark.parametrize("probs", [[0.0, 0.5], [0.5, 1.0], [np.nan], [1.5]])
def test_bad_probs(schools, probs):
    for method in (schools.quantiles, schools.mu0_quantiles, schools.tau_quantiles):
        with pytest.raises(ValueError, match=r"probs must be in \(0, 1\)"):
            method(probs)
