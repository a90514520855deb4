"""posterior(): exact limits, invariants (hypothesis) and bad input.

Agreement with metafor's blup() is checked in the meta-analysis tests, on R's fixtures.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shrinkviz import posterior

ys = st.floats(-1e3, 1e3)
vs = st.floats(1e-3, 1e3)
tau2s = st.floats(1e-4, 1e4)


@st.composite
def groups(draw, min_size=1, max_size=30):
    J = draw(st.integers(min_size, max_size))
    y = draw(arrays(np.float64, J, elements=ys))
    v = draw(arrays(np.float64, J, elements=vs))
    return y, v


def ulps(a, b=0.0):
    """A tolerance of a few units in the last place of the larger magnitude."""
    return 8 * np.spacing(np.maximum(np.abs(a), np.abs(b)) + 1.0)


def test_eight_schools_by_hand():
    y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
    v = np.array([15, 10, 16, 11, 9, 11, 10, 18.0]) ** 2
    tau2 = 100.0
    w = 1 / (v + tau2)
    mu0 = (w * y).sum() / w.sum()
    B = v / (v + tau2)
    post = posterior(y, v, tau2)
    np.testing.assert_allclose(post.mu0, mu0, rtol=1e-14)
    np.testing.assert_allclose(post.mu0_var, 1 / w.sum(), rtol=1e-14)
    np.testing.assert_allclose(post.B, B, rtol=1e-14)
    np.testing.assert_allclose(post.mean, (1 - B) * y + B * mu0, rtol=1e-13)
    np.testing.assert_allclose(post.var, 1 / (1 / v + 1 / tau2) + B**2 / w.sum(), rtol=1e-13)


@given(groups(), st.floats(-100, 100))
def test_tau2_zero_is_complete_pooling(g, mu0):
    y, v = g
    assert np.all(posterior(y, v, 0.0, mu0=mu0).mean == mu0)
    post = posterior(y, v, 0.0)
    assert np.all(post.mean == post.mu0)
    np.testing.assert_allclose(post.mu0, (y / v).sum() / (1 / v).sum(), rtol=1e-12, atol=1e-9)


@given(groups())
def test_tau2_inf_is_no_pooling(g):
    y, v = g
    for post in (posterior(y, v, np.inf), posterior(y, v, np.inf, mu0=3.0)):
        assert np.array_equal(post.mean, y)
        assert np.array_equal(post.var, v)
        assert np.all(post.B == 0)


@given(groups(min_size=2), tau2s)
def test_no_data_is_the_prior(g, tau2):
    y, v = g
    v = v.copy()
    v[0] = np.inf
    post = posterior(y, v, tau2, mu0=1.5)
    assert post.mean[0] == 1.5 and post.var[0] == tau2 and post.B[0] == 1
    est = posterior(y, v, tau2)
    assert est.mean[0] == est.mu0 and np.isfinite(est.var).all()
    assert not np.isnan(posterior(y, v, np.inf).var).any()
    assert not np.isnan(posterior(y, v, 0.0).mean).any()


@given(groups(), tau2s)
def test_shrinkage_factor_between_0_and_1_and_means_between(g, tau2):
    y, v = g
    post = posterior(y, v, tau2)
    assert np.all((post.B >= 0) & (post.B <= 1))
    lo, hi = np.minimum(y, post.mu0), np.maximum(y, post.mu0)
    tol = ulps(hi, lo)
    assert np.all(post.mean >= lo - tol) and np.all(post.mean <= hi + tol)


@given(groups(), tau2s, tau2s)
def test_means_move_toward_mu0_as_tau2_falls(g, a, b):
    y, v = g
    small, big = sorted((a, b))
    near = posterior(y, v, small, mu0=0.0).mean
    far = posterior(y, v, big, mu0=0.0).mean
    assert np.all(np.abs(near) <= np.abs(far) + ulps(far))


@given(groups(), tau2s, st.randoms(use_true_random=False))
def test_permutation_equivariance(g, tau2, rnd):
    y, v = g
    perm = np.array(rnd.sample(range(len(y)), len(y)))
    a, b = posterior(y, v, tau2), posterior(y[perm], v[perm], tau2)
    np.testing.assert_allclose(b.mean, a.mean[perm], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b.var, a.var[perm], rtol=1e-10)
    np.testing.assert_allclose(b.mu0, a.mu0, rtol=1e-10, atol=1e-10)


@given(groups(), tau2s, st.floats(-50, 50), st.floats(0.1, 10))
def test_shift_and_scale_equivariance(g, tau2, shift, scale):
    y, v = g
    a = posterior(y, v, tau2)
    b = posterior(shift + scale * y, scale**2 * v, scale**2 * tau2)
    np.testing.assert_allclose(b.mean, shift + scale * a.mean, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(b.var, scale**2 * a.var, rtol=1e-9)
    np.testing.assert_allclose(b.B, a.B, rtol=1e-9, atol=1e-15)


def test_check_input_false_trusts_the_arrays_only():
    y, v = np.array([1.0, 2.0, 3.0]), np.array([1.0, np.inf, 0.5])
    a, b = posterior(y, v, 2.0, 0.5), posterior(y, v, 2.0, 0.5, check_input=False)
    for name in ("mean", "var", "B"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    with pytest.raises(ValueError, match=r"tau2 must be in \[0, inf\] \(got -1\)"):
        posterior(y, v, -1, check_input=False)


def test_interval():
    post = posterior([0.0, 1.0], [1.0, 4.0], np.inf)
    lo, hi = post.interval(0.95)
    np.testing.assert_allclose(hi - post.mean, 1.959963984540054 * np.sqrt([1.0, 4.0]))
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\) \(got 1.5\)"):
        post.interval(1.5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(y=[1, 2], v=[1, -1.0], tau2=1),
            r"v must be >= 0 \(inf allowed\) \(got -1.0 at index 1\)",
        ),
        (dict(y=[1, 2], v=[1, np.nan], tau2=1), r"v must be >= 0 .*nan at index 1"),
        (dict(y=[1, np.nan], v=[1, 1], tau2=1), r"y must be finite \(got nan at index 1\)"),
        (dict(y=[1, np.inf], v=[1, 1], tau2=1), r"y must be finite \(got inf at index 1\)"),
        (
            dict(y=[1, 2], v=[1, 1, 1], tau2=1),
            r"y and v must have the same length \(got y: 2, v: 3\)",
        ),
        (dict(y=[1, 2], v=[1, 1], tau2=-1.0), r"tau2 must be in \[0, inf\] \(got -1.0\)"),
        (dict(y=[1, 2], v=[1, 1], tau2=np.nan), r"tau2 must be a number \(got nan\)"),
        (dict(y=[1, 2], v=[1, 1], tau2=1, mu0=np.inf), r"mu0 must be a finite number \(got inf\)"),
        (dict(y=[], v=[], tau2=1), r"y must be of length >= 1"),
        (dict(y=[[1, 2]], v=[[1, 1]], tau2=1), r"y must be 1-D"),
        (dict(y=["a"], v=[1], tau2=1), r"y must be a 1-D array of numbers \(got \['a'\]\)"),
        (dict(y=[1, 2], v=[0, 1], tau2=0), r"v must be > 0 where tau2 = 0"),
        (dict(y=[1, 2], v=[np.inf, np.inf], tau2=1), r"v must be finite for at least one group"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        posterior(**kwargs)
