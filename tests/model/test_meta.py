"""meta_analysis() against R's metafor (fixtures by tests/fixtures/metafor.R), invariants
(hypothesis) and bad input."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import shrinkviz as sv
from shrinkviz import meta_analysis, posterior
from shrinkviz.model.meta import METHODS

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "metafor.json").read_text())
CASES = FIXTURES["cases"]
FITS = [
    pytest.param(name, fit, id=f"{name}-{fit['method']}-{fit['test']}-{fit['level']}")
    for name, case in CASES.items()
    for fit in case["fits"]
]
ITERATIVE = {"ML", "REML", "EB", "PM"}
FIELDS = (
    "tau2",
    "se_tau2",
    "mu",
    "se",
    "ci_lb",
    "ci_ub",
    "stat",
    "pval",
    "Q",
    "Q_pval",
    "I2",
    "H2",
    "pi_lb",
    "pi_ub",
)
RANDOM = [m for m in METHODS if m not in ("EE", "FE")]


def rtol_of(method):
    return 1e-5 if method in ITERATIVE else 1e-6


def assert_matches(got, ref, rtol, what):
    """Relative error <= rtol; an absolute floor of 1e-12 only where the reference is 0."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    floor = np.where(ref == 0, 1e-12, 0.0)
    ok = np.abs(got - ref) <= rtol * np.abs(ref) + floor
    assert ok.all(), (
        f"{what}: got {got[~ok] if got.ndim else got}, metafor {ref[~ok] if ref.ndim else ref}"
    )


def fit_of(name, fit):
    case = CASES[name]
    return meta_analysis(case["yi"], case["vi"], fit["method"], fit["test"], fit["level"])


@pytest.mark.parametrize("name, fit", FITS)
def test_rma_fields_match_metafor(name, fit):
    res, rtol = fit_of(name, fit), rtol_of(fit["method"])
    for field in FIELDS:
        ref = fit[field]
        if ref is None:  # metafor has no se.tau2 and predict() no PI for EE
            assert fit["method"] == "EE"
            if field == "se_tau2":
                assert np.isnan(res.se_tau2)
            else:  # tau2 = 0: a new study's effect is mu, so the PI is the CI
                assert (res.pi_lb, res.pi_ub) == (res.ci_lb, res.ci_ub)
            continue
        assert_matches(getattr(res, field), ref, rtol, field)


@pytest.mark.parametrize("name, fit", FITS)
def test_blup_matches_metafor(name, fit):
    blup = fit_of(name, fit).blup()
    for field in ("pred", "se", "pi_lb", "pi_ub"):
        assert_matches(getattr(blup, field), fit["blup"][field], rtol_of(fit["method"]), field)


@pytest.mark.parametrize("name, fit", [f for f in FITS if f.values[1]["test"] == "z"])
def test_posterior_is_metafors_blup(name, fit):
    """posterior() with mu0 estimated, at metafor's tau2, is metafor's blup (test = "z")."""
    case = CASES[name]
    post = posterior(case["yi"], case["vi"], fit["tau2"])
    assert_matches(post.mean, fit["blup"]["pred"], 1e-9, "mean")
    assert_matches(np.sqrt(post.var), fit["blup"]["se"], 1e-9, "sd")
    assert_matches(post.mu0, fit["mu"], 1e-9, "mu0")


@pytest.mark.parametrize("name, fit", FITS)
def test_tau2_ci_matches_metafors_q_profile(name, fit):
    res = fit_of(name, fit)
    if fit["tau2_ci"] is None:
        with pytest.raises(
            ValueError,
            match=r"method must be a random-effects method "
            r"for tau2_ci \(got 'EE'\)",
        ):
            res.tau2_ci()
        return
    assert_matches(res.tau2_ci(), fit["tau2_ci"], 1e-6, "tau2_ci")


def test_level_reaches_every_interval():
    """The 0.95 fit asked for level 0.9 gives the fixture's 0.9 numbers."""
    case = CASES["bcg"]
    for fit90 in [f for f in case["fits"] if f["level"] == 0.9]:
        res = meta_analysis(case["yi"], case["vi"], "REML", fit90["test"])
        assert_matches(res.tau2_ci(level=0.9), fit90["tau2_ci"], 1e-6, "tau2_ci")
        assert_matches(res.blup(level=0.9).pi_lb, fit90["blup"]["pi_lb"], 1e-5, "pi_lb")


def test_truncated_case_is_exactly_zero():
    case = CASES["sim_k50_homogeneous"]
    for method in ("DL", "ML", "REML", "HE", "HS", "EB", "PM"):
        assert meta_analysis(case["yi"], case["vi"], method).tau2 == 0.0


def test_bundled_data_are_the_fixtures_inputs():
    schools, bcg = sv.data.eight_schools(), sv.data.bcg()
    np.testing.assert_allclose(schools.y, CASES["eight_schools"]["yi"], rtol=1e-14)
    np.testing.assert_allclose(schools.v, CASES["eight_schools"]["vi"], rtol=1e-14)
    np.testing.assert_allclose(bcg.yi, CASES["bcg"]["yi"], rtol=1e-13)
    np.testing.assert_allclose(bcg.vi, CASES["bcg"]["vi"], rtol=1e-13)


def test_fe_is_ee_and_one_study():
    case = CASES["bcg"]
    ee, fe = (meta_analysis(case["yi"], case["vi"], m) for m in ("EE", "FE"))
    assert fe.method == "FE" and all(getattr(fe, f) == getattr(ee, f) for f in FIELDS[2:])
    one = meta_analysis([0.5], [4.0], "EE")
    assert (one.mu, one.se, one.Q, one.Q_pval, one.I2, one.H2) == (0.5, 2.0, 0.0, 1.0, 0.0, 1.0)


def test_result_is_frozen_readable_and_inputs_untouched():
    y, v = np.array([0.1, -0.3, 0.8, 0.2]), np.array([0.04, 0.09, 0.05, 0.2])
    y0, v0 = y.copy(), v.copy()
    res = meta_analysis(y, v, "REML", "knha")
    blup = res.blup()
    res.tau2_ci()
    assert np.array_equal(y, y0) and np.array_equal(v, v0)
    y[0] = 99.0  # the result keeps its own copy
    assert res.y[0] == 0.1
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.tau2 = 1.0
    for arr in (res.y, res.v, blup.pred, blup.se, blup.pi_lb, blup.pi_ub):
        with pytest.raises(ValueError):
            arr[0] = 0.0
    assert repr(res).startswith("MetaAnalysis(method='REML', test='knha', k=4, tau2=")
    assert repr(blup).startswith("Blup(pred=[")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(y=[1, 2], v=[1, -1.0]), r"v must be > 0 and finite \(got -1.0 at index 1\)"),
        (dict(y=[1, 2], v=[1, 0.0]), r"v must be > 0 and finite \(got 0.0 at index 1\)"),
        (dict(y=[1, 2], v=[np.nan, 1]), r"v must be > 0 and finite \(got nan at index 0\)"),
        (dict(y=[1, 2], v=[1, np.inf]), r"v must be > 0 and finite \(got inf at index 1\)"),
        (dict(y=[1, np.nan], v=[1, 1]), r"y must be finite \(got nan at index 1\)"),
        (dict(y=[np.inf, 1], v=[1, 1]), r"y must be finite \(got inf at index 0\)"),
        (dict(y=[1, 2, 3], v=[1, 1]), r"y and v must have the same length \(got y: 3, v: 2\)"),
        (dict(y=[], v=[]), r"y must be of length >= 1"),
        (dict(y=[1, 2], v=[1, 1], method="XX"), r"method must be one of 'EE', .*'PM' \(got 'XX'\)"),
        (dict(y=[1, 2], v=[1, 1], method="reml"), r"method must be one of .* \(got 'reml'\)"),
        (dict(y=[1, 2], v=[1, 1], test="t"), r"test must be one of 'z', 'knha' \(got 't'\)"),
        (dict(y=[1, 2], v=[1, 1], level=95), r"level must be in \(0, 1\) \(got 95\)"),
        (dict(y=[1, 2], v=[1, 1], level=0.0), r"level must be in \(0, 1\) \(got 0.0\)"),
        (dict(y=[1, 2], v=[1, 1], level=np.nan), r"level must be a finite number \(got nan\)"),
        (
            dict(y=[1], v=[1], method="EE", test="knha"),
            r"y must have length >= 2 for test='knha' \(got length 1\)",
        ),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        meta_analysis(**kwargs)


@pytest.mark.parametrize("method", RANDOM)
def test_too_few_studies_for_an_estimator(method):
    with pytest.raises(
        ValueError,
        match=rf"y must have length >= 2 for method='{method}' "
        r"\(got length 1\)",
    ):
        meta_analysis([0.3], [0.1], method)


def test_bad_level_of_blup_and_tau2_ci():
    res = meta_analysis([0.1, 0.5, 0.2], [0.1, 0.2, 0.1])
    for call in (res.blup, res.tau2_ci):
        with pytest.raises(ValueError, match=r"level must be in \(0, 1\) \(got 1.5\)"):
            call(level=1.5)


@st.composite
def studies(draw):
    k = draw(st.integers(2, 25))
    y = draw(arrays(np.float64, k, elements=st.floats(-10, 10)))
    v = draw(arrays(np.float64, k, elements=st.floats(0.01, 10)))
    return y, v


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(studies(), st.floats(-50, 50), st.floats(0.1, 10), st.booleans())
def test_shift_and_scale_equivariance(method, data, shift, scale, flip):
    """y -> a + b y, v -> b^2 v gives mu -> a + b mu, tau2 -> b^2 tau2, se -> |b| se."""
    y, v = data
    b = -scale if flip else scale
    r, s = meta_analysis(y, v, method), meta_analysis(shift + b * y, b * b * v, method)
    floor = 1e-9 * v.max()
    np.testing.assert_allclose(s.tau2, b * b * r.tau2, rtol=1e-7, atol=b * b * floor)
    np.testing.assert_allclose(
        s.mu, shift + b * r.mu, rtol=1e-7, atol=1e-9 * (abs(shift) + abs(b) * (np.abs(y).max() + 1))
    )
    np.testing.assert_allclose(s.se, abs(b) * r.se, rtol=1e-7)
    np.testing.assert_allclose(s.Q, r.Q, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(studies(), st.randoms(use_true_random=False))
def test_permutation_invariance(method, data, rnd):
    y, v = data
    perm = np.array(rnd.sample(range(len(y)), len(y)))
    r, s = meta_analysis(y, v, method), meta_analysis(y[perm], v[perm], method)
    np.testing.assert_allclose(s.tau2, r.tau2, rtol=1e-8, atol=1e-10 * v.max())
    np.testing.assert_allclose(s.mu, r.mu, rtol=1e-8, atol=1e-10 * (np.abs(y).max() + 1))
    np.testing.assert_allclose(s.blup().pred, r.blup().pred[perm], rtol=1e-7, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(studies())
def test_pm_lies_in_its_q_profile_interval(data):
    """PM solves Q = k - 1, and k - 1 lies between the chi^2_{k-1} 2.5% and 97.5% points."""
    res = meta_analysis(*data, "PM")
    lb, ub = res.tau2_ci()
    assert lb <= res.tau2 <= ub
