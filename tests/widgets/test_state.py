"""The states hold the solver's numbers: one recompute per change, errors keep the last frame."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import shrinkviz as sv
from shrinkviz.widgets.state import PoolingState, ShrinkageState

SCHOOLS = sv.data.eight_schools()


def groups_state(**kw):
    return ShrinkageState(
        [1.0, 4.0, -2.0, 0.5], n=[3, 10, 1, 25], sigma2=4.0, labels=list("abcd"), **kw
    )


def count_frames(state):
    frames = []
    state.observe(lambda c: frames.append(c["new"]), "snapshot")
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
    np.testing.assert_array_equal(s.snapshot.mean, ref.mean)
    np.testing.assert_array_equal(s.snapshot.sd, np.sqrt(ref.var))
    np.testing.assert_array_equal(s.snapshot.B, ref.B)
    assert s.snapshot.mu0 == ref.mu0
    assert len(frames) == 2  # one per accepted input change (hold() batches)


def test_group_data_use_sigma2_over_n_times_scale():
    s = groups_state(tau2=2.0)
    s.sigma2 = 9.0
    s.set_n(1, 40)
    s.n_scale = 0.5
    n = np.array([3, 40, 1, 25]) * 0.5
    ref = sv.posterior([1.0, 4.0, -2.0, 0.5], 9.0 / n, 2.0)
    np.testing.assert_array_equal(s.snapshot.mean, ref.mean)
    np.testing.assert_array_equal(s.snapshot.n, n)


def test_n_zero_sits_at_mu0_with_variance_tau2():
    s = groups_state(tau2=2.0, mu0_estimated=False, mu0=1.5)
    s.set_n(2, 0)
    assert s.snapshot.mean[2] == 1.5 and s.snapshot.sd[2] == np.sqrt(2.0)
    assert s.snapshot.precision[2] == 0


def test_same_value_recomputes_nothing():
    s = groups_state()
    frames = count_frames(s)
    s.tau2 = s.tau2
    s.set_n(0, s.n[0])
    assert frames == []


def test_refused_change_sets_error_and_keeps_the_last_frame():
    s = groups_state(tau2=1.0)
    good = s.snapshot
    with s.hold():
        s.sigma2, s.tau2 = 0.0, 0.0  # v = 0 and tau2 = 0: no posterior
    assert "tau2" in s.error and s.snapshot is good
    s.tau2 = 1.0
    assert s.error == "" and s.snapshot is not good


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
    fb = s.snapshot.full_bayes
    np.testing.assert_array_equal(fb.tau_density, ref.tau_density)
    assert s.snapshot.reml_tau2 == sv.meta_analysis(SCHOOLS.y, SCHOOLS.v, method="REML").tau2
    s.tau2 = 17.0
    assert s.snapshot.full_bayes is fb  # tau2 does not change p(tau | y): not recomputed
    s.average_over_tau = True
    np.testing.assert_array_equal(s.snapshot.mean, ref.mean)
    np.testing.assert_array_equal(s.snapshot.sd, ref.sd)
    assert s.snapshot.mu0 == ref.mu0
    s.tau_prior = "half-cauchy"
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v, tau_prior="half-cauchy", tau_scale=s.tau_scale)
    np.testing.assert_array_equal(s.snapshot.mean, ref.mean)


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(y=[1.0, np.nan], v=[1.0, 1.0]), "y must be finite"),
        (dict(y=[1.0, 2.0], v=[1.0, -1.0]), "v must be > 0"),
        (dict(y=[1.0, 2.0], n=[1, 0], sigma2=1.0), "n must be > 0"),
        (dict(y=[1.0, 2.0], n=[1, 2], sigma2=-1.0), "sigma2 must be"),
        (dict(y=[1.0, 2.0]), "give either v"),
        (dict(y=[1.0, 2.0], v=[1.0, 1.0], labels=["a"]), "labels must be of length 2"),
    ],
)
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
    ref = sv.pooling_fit(RADON.floor, RADON.log_radon, RADON.county, sigma2=ref.sigma2, tau2=0.5)
    np.testing.assert_allclose(
        s.snapshot.fit.partial_pooling.alpha, ref.partial_pooling.alpha, rtol=1e-12
    )
    np.testing.assert_allclose(
        s.snapshot.partial_sd, np.sqrt(ref.partial_pooling.alpha_var), rtol=1e-12
    )
    np.testing.assert_allclose(s.snapshot.none_se, np.sqrt(ref.sigma2 / ref.n), rtol=1e-12)


def test_pooling_n_uses_the_first_rows():
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county, sigma2=0.6, tau2=0.1)
    j = s.labels.index("STLOUIS")
    s.set_n(j, 3)
    keep = (RADON.county != "STLOUIS") | (RADON.groupby("county").cumcount() < 3)
    sub = RADON[keep]
    ref = sv.pooling_fit(sub.floor, sub.log_radon, sub.county, sigma2=0.6, tau2=0.1)
    order = [list(ref.groups).index(g) for g in s.labels]
    np.testing.assert_allclose(
        s.snapshot.fit.partial_pooling.alpha, ref.partial_pooling.alpha[order], rtol=1e-10
    )
    np.testing.assert_allclose(
        s.snapshot.fit.no_pooling.alpha, ref.no_pooling.alpha[order], rtol=1e-10
    )
    assert s.snapshot.fit.n[j] == 3
    s.fit()  # REML on the rows in use
    ref = sv.pooling_fit(sub.floor, sub.log_radon, sub.county)
    assert (s.sigma2, s.tau2) == pytest.approx((ref.sigma2, ref.tau2), rel=1e-12)


def test_pooling_refused_change_keeps_frame():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    s = PoolingState(x, x * 2 + [0.1, 0.0, 0.3, 0.2, 0.1], ["a", "a", "b", "b", "b"])
    good = s.snapshot
    with s.hold():
        s.set_n(0, 0)
        s.set_n(1, 1)  # one row left: x is constant
    assert "x constant" in s.error and s.snapshot is good


# --- a group without data, full-Bayes mode as one model -------------------------------------


def test_group_without_data_drops_out_of_full_bayes_and_the_tau_panel():
    y = SCHOOLS.y.to_numpy(float)
    s = ShrinkageState(
        y, n=np.full(8, 20.0), sigma2=20.0 * 100.0, labels=list(SCHOOLS.school), tau_posterior=True
    )  # v_j = 100
    s.set_n(2, 0)
    assert s.error == "" and not s.snapshot.has_data[2] and s.snapshot.has_data.sum() == 7
    keep = np.arange(8) != 2
    alone = sv.full_bayes(y[keep], np.full(7, 100.0))
    np.testing.assert_array_equal(s.snapshot.full_bayes.tau_density, alone.tau_density)
    assert s.snapshot.reml_tau2 == sv.meta_analysis(y[keep], np.full(7, 100.0), "REML").tau2
    s.average_over_tau = True  # no "v must be > 0 and finite": the group drops out
    assert s.error == "" and s.snapshot.averaged
    np.testing.assert_array_equal(s.snapshot.mean[keep], alone.mean)
    assert s.snapshot.mean[2] == alone.mu0 and s.snapshot.B[2] == 1.0
    assert np.isfinite(s.snapshot.sd).all()


def test_full_bayes_mode_shows_full_bayes_numbers_only():
    s = ShrinkageState(SCHOOLS.y, v=SCHOOLS.v, tau_posterior=True)
    assert s.inactive == () and s.inactive_hint == ""
    s.average_over_tau = True
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    f = s.snapshot
    np.testing.assert_array_equal(f.B, ref.B)  # E[B_j | y], not the slider's B_j
    np.testing.assert_array_equal(f.mean, ref.mean)
    assert f.mu0 == ref.mu0
    assert s.inactive == ("tau2", "mu0", "mu0_estimated") and "integrated out" in s.inactive_hint
    for name, value in (("tau2", 3.0), ("mu0_estimated", False), ("mu0", 20.0)):
        setattr(s, name, value)  # the inactive inputs change nothing shown
        for field in ("mean", "sd", "B"):
            np.testing.assert_array_equal(getattr(s.snapshot, field), getattr(f, field))
        assert s.snapshot.mu0 == f.mu0
    s.average_over_tau = False
    assert s.inactive == () and not s.snapshot.averaged
    np.testing.assert_array_equal(s.snapshot.B, sv.posterior(SCHOOLS.y, SCHOOLS.v, 3.0).B)


def test_tau_prior_is_an_enum():
    from traitlets import TraitError

    s = ShrinkageState(SCHOOLS.y, v=SCHOOLS.v)
    with pytest.raises(TraitError, match="half-cauchy"):
        s.tau_prior = "flat"


def test_messages_a_student_meets():
    with pytest.raises(
        ValueError,
        match=r"at least two groups need data \(got data for 1 "
        r"group: 'a'\)",
    ):
        ShrinkageState([1.0], v=[1.0], labels=["a"])
    s = groups_state()
    with s.hold():
        for j in (0, 2, 3):
            s.set_n(j, 0)
    s.fit()  # REML with one group left
    assert s.error == "at least two groups need data (got data for 1 group: 'b')"
    with pytest.raises(ValueError, match=r"n must be >= 0 and finite \(got -1.0 at index 1\)"):
        s.n = np.array([1.0, -1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"n_scale must be in \(0, inf\] \(got 0.0\)"):
        s.n_scale = 0.0
    with pytest.raises(ValueError, match=r"n must be in \[0, inf\] \(got -2\)"):
        s.set_n(1, -2)


# --- pooling: one model call per move, the fast path, the model's numbers ---------------------


@pytest.fixture
def gathers(monkeypatch):
    """How often the group statistics are rebuilt (CumulativeSums.at, the O(J) gather)."""
    from shrinkviz.model._suffstats import CumulativeSums

    calls = []
    at = CumulativeSums.at
    monkeypatch.setattr(CumulativeSums, "at", lambda self, n: calls.append(1) or at(self, n))
    return calls


def test_pooling_tau2_move_takes_the_fast_path(gathers):
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county)
    s.set_n(3, 1)
    before = s.snapshot.fit
    gathers.clear()
    s.tau2 = 0.3
    s.sigma2 = 0.5
    assert gathers == []  # neither move rebuilt the group statistics
    assert (
        s.snapshot.fit.no_pooling.alpha is before.no_pooling.alpha
        and s.snapshot.fit.complete_pooling is before.complete_pooling
    )
    ref = before.update(n=s.n, sigma2=0.5, tau2=0.3)
    np.testing.assert_array_equal(s.snapshot.fit.partial_pooling.alpha, ref.partial_pooling.alpha)
    np.testing.assert_array_equal(s.snapshot.none_se, np.sqrt(0.5 / s.n))
    gathers.clear()
    s.set_n(3, 2)
    assert gathers == [1]  # an n move: one gather


def test_pooling_fit_re_estimates_from_the_group_sums(gathers):
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county)
    with s.hold():
        for j in range(85):
            s.set_n(j, 3)
    gathers.clear()
    s.fit()
    assert gathers == [1]  # update(n=, estimate="REML"), then the fast path
    lme = json.loads((Path(__file__).parents[1] / "fixtures" / "lme4.json").read_text())
    ref = lme["radon_first3"]["REML"]
    assert s.sigma2 == pytest.approx(ref["sigma2"], rel=1e-5)
    assert s.tau2 == pytest.approx(ref["tau2"], rel=1e-5)
    with s.hold():
        for j in range(1, 85):
            s.set_n(j, 0)
    s.fit()
    assert s.error == "at least two groups need data (got data for 1 group: 'AITKIN')"


def test_pooling_state_keeps_no_copies_and_says_which_groups_have_data():
    s = PoolingState(RADON.floor, RADON.log_radon, RADON.county)
    assert s.x is s.base.x and s.y is s.base.y and s.rank is s.base.row_rank
    s.set_n(4, 0)
    assert not s.snapshot.has_data[4] and s.snapshot.has_data.sum() == 84
    assert s.snapshot.none_se is s.snapshot.fit.no_pooling.alpha_se and np.isnan(
        s.snapshot.none_se[4]
    )
    assert s.snapshot.partial_sd is s.snapshot.fit.partial_pooling.alpha_sd
    s.n = np.full(85, 1000)  # set by hand, not by set_n: checked by the model
    assert s.error.startswith("n must be integers in [0, rows of the group] (got 1000 at index 0")


def test_pooling_one_row_per_group_is_a_clear_error_without_warnings():
    one = RADON.groupby("county").head(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="cannot both be estimated from one row per group"):
            PoolingState(one.floor, one.log_radon, one.county)


def test_the_callers_arrays_are_copied_once_and_never_written():
    y, n = np.array([1.0, 4.0, -2.0]), np.array([3.0, 10.0, 1.0])
    s = ShrinkageState(y, n=n, sigma2=4.0, tau2=1.0)
    y[0], n[0] = 100.0, 100.0  # the caller's arrays change; the state's do not
    assert s.y[0] == 1.0 and s.n[0] == 3.0 and s.snapshot.y[0] == 1.0
    mine = np.array([5.0, 5.0, 5.0])
    s.n = mine
    mine[0] = 0.0
    assert s.n[0] == 5.0
    with pytest.raises(ValueError):
        s.snapshot.v[0] = 1.0
