"""The states hold the solver's numbers: one recompute per change, errors keep the last frame."""
import numpy as np
import pytest

import shrinkviz as sv
from shrinkviz.widgets.state import PoolingState, ShrinkageState

SCHOOLS = sv.data.eight_schools()


def groups_state(**kw):
    return ShrinkageState([1.0, 4.0, -2.0, 0.5], n=[3, 10, 1, 25], sigma2=4.0,
                          labels=list("abcd"), **kw)


def count_frames(state):
    frames = []
    state.observe(lambda c: frames.append(c["new"]), "frame")
    return frames


@pytest.mark.parametrize("tau2", [0.0, 3.7, 250.0, np.inf])
@pytest.mark.parametrize("mu0", [None, 5.0])
def test_shrinkage_frame_is_the_posterior(tau2, mu0):
    s = ShrinkageState(SCHOOLS.y, v=SCHOOLS.v)
    frames = count_frames(s)
    with s.hold():
        s.mu0_estimated, s.mu0 = mu0 is None, 0.0 if mu0 is None else mu0
    s.tau2 = tau2
    ref = sv.posterior(SCHOOLS.y, SCHOOLS.v, tau2, mu0)
    np.testing.assert_array_equal(s.frame.mean, ref.mean)
    np.testing.assert_array_equal(s.frame.sd, np.sqrt(ref.var))
    np.testing.assert_array_equal(s.frame.B, ref.B)
    assert s.frame.mu0 == ref.mu0
    assert len(frames) == 2  # one per accepted input change (hold() batches)


def test_group_data_use_sigma2_over_n_times_scale():
    s = groups_state(tau2=2.0)
    s.sigma2 = 9.0
    s.set_n(1, 40)
    s.n_scale = 0.5
    n = np.array([3, 40, 1, 25]) * 0.5
    ref = sv.posterior([1.0, 4.0, -2.0, 0.5], 9.0 / n, 2.0)
    np.testing.assert_array_equal(s.frame.mean, ref.mean)
    np.testing.assert_array_equal(s.frame.n, n)


def test_n_zero_sits_at_mu0_with_variance_tau2():
    s = groups_state(tau2=2.0, mu0_estimated=False, mu0=1.5)
    s.set_n(2, 0)
    assert s.frame.mean[2] == 1.5 and s.frame.sd[2] == np.sqrt(2.0)
    assert s.frame.precision[2] == 0


def test_same_value_recomputes_nothing():
    s = groups_state()
    frames = count_frames(s)
    s.tau2 = s.tau2
    s.set_n(0, s.n[0])
    assert frames == []


def test_refused_change_sets_error_and_keeps_the_last_frame():
    s = groups_state(tau2=1.0)
    good = s.frame
    with s.hold():
        s.sigma2, s.tau2 = 0.0, 0.0  # v = 0 and tau2 = 0: no posterior
    assert "tau2" in s.error and s.frame is good
    s.tau2 = 1.0
    assert s.error == "" and s.frame is not good


def test_fit_is_reml():
    s = ShrinkageState(sv.data.bcg().yi, v=sv.data.bcg().vi)
    s.fit()
    ref = sv.meta_analysis(sv.data.bcg().yi, sv.data.bcg().vi, method="REML").tau2
    assert s.tau2 == ref
    s.n_scale = 2.0
    s.fit()
    assert s.tau2 == sv.meta_analysis(sv.data.bcg().yi, sv.data.bcg().vi / 2, method="REML").tau2


def test_full_bayes_toggle_and_cache():
    pytest.importorskip("shrinkviz.model.full_bayes")
    s = ShrinkageState(SCHOOLS.y, v=SCHOOLS.v, tau_posterior=True)
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    fb = s.frame.full_bayes
    np.testing.assert_array_equal(fb.tau_density, ref.tau_density)
    assert s.frame.reml_tau2 == sv.meta_analysis(SCHOOLS.y, SCHOOLS.v, method="REML").tau2
    s.tau2 = 17.0
    assert s.frame.full_bayes is fb  # tau2 does not change p(tau | y): not recomputed
    s.full_bayes = True
    np.testing.assert_array_equal(s.frame.mean, ref.theta_mean)
    np.testing.assert_array_equal(s.frame.sd, ref.theta_sd)
    assert s.frame.mu0 == ref.mu_mean
    s.tau_prior = "half-cauchy"
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v, tau_prior="half-cauchy", tau_scale=s.tau_scale)
    np.testing.assert_array_equal(s.frame.mean, ref.theta_mean)


@pytest.mark.parametrize("bad, match", [
    (dict(y=[1.0, np.nan], v=[1.0, 1.0]), "y must be finite"),
    (dict(y=[1.0, 2.0], v=[1.0, -1.0]), "v must be > 0"),
    (dict(y=[1.0, 2.0], n=[1, 0], sigma2=1.0), "n must be > 0"),
    (dict(y=[1.0, 2.0], n=[1, 2], sigma2=-1.0), "sigma2 must be"),
    (dict(y=[1.0, 2.0]), "give either v"),
    (dict(y=[1.0, 2.0], v=[1.0, 1.0], labels=["a"]), "labels must be of length 2"),
])
def test_bad_construction(bad, match):
    y = bad.pop("y")
    with pytest.raises(ValueError, match=match):
        ShrinkageState(y, **bad)


RADON = sv.data.radon()


def test_pooling_frame_is_the_fit():
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county)
    ref = sv.pooling_fit(RADON.floor, RADON.log_radon, RADON.county)
    assert (s.sigma2, s.tau2) == (ref.sigma2, ref.tau2)
    s.tau2 = 0.5
    ref = sv.pooling_fit(RADON.floor, RADON.log_radon, RADON.county, sigma2=ref.sigma2,
                         tau2=0.5)
    np.testing.assert_allclose(s.frame.fit.partial.alpha, ref.partial.alpha, rtol=1e-12)
    np.testing.assert_allclose(s.frame.partial_sd, np.sqrt(ref.partial.alpha_var), rtol=1e-12)
    np.testing.assert_allclose(s.frame.none_se, np.sqrt(ref.sigma2 / ref.n), rtol=1e-12)


def test_pooling_n_uses_the_first_rows():
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county, sigma2=0.6, tau2=0.1)
    j = s.labels.index("STLOUIS")
    s.set_n(j, 3)
    keep = (RADON.county != "STLOUIS") | (RADON.groupby("county").cumcount() < 3)
    sub = RADON[keep]
    ref = sv.pooling_fit(sub.floor, sub.log_radon, sub.county, sigma2=0.6, tau2=0.1)
    order = [list(ref.groups).index(g) for g in s.labels]
    np.testing.assert_allclose(s.frame.fit.partial.alpha, ref.partial.alpha[order], rtol=1e-10)
    np.testing.assert_allclose(s.frame.fit.none.alpha, ref.none.alpha[order], rtol=1e-10)
    assert s.frame.fit.n[j] == 3
    s.fit()  # REML on the rows in use
    ref = sv.pooling_fit(sub.floor, sub.log_radon, sub.county)
    assert (s.sigma2, s.tau2) == pytest.approx((ref.sigma2, ref.tau2), rel=1e-12)


def test_pooling_refused_change_keeps_frame():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    s = PoolingState(x, x * 2 + [0.1, 0.0, 0.3, 0.2, 0.1], ["a", "a", "b", "b", "b"])
    good = s.frame
    with s.hold():
        s.set_n(0, 0)
        s.set_n(1, 1)  # one row left: x is constant
    assert "x constant" in s.error and s.frame is good
