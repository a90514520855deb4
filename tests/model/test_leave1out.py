"""MetaAnalysis.leave1out() against R's metafor leave1out (fixtures by
tests/fixtures/metafor_escalc.R), against fitting without the study (hypothesis), bad input."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shrinkviz import meta_analysis
from shrinkviz.model._leave1out import _BLOCK
from shrinkviz.model.meta import _LEAVE1OUT, METHODS

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "metafor_escalc.json").read_text())[
    "leave1out"
]
FITS = [
    pytest.param(name, fit, id=f"{name}-{fit['method']}-{fit['test']}-{fit['level']}")
    for name, case in FIXTURES.items()
    for fit in case["fits"]
]
ITERATIVE = {"ML", "REML", "EB", "PM"}


# Where tau2 is truncated at 0, metafor's Fisher scoring stops up to ~1e-12 above it (I2 in
# percent then ~1e-8); elsewhere an absolute floor only where the reference is 0.
FLOOR = {"tau2": 1e-12, "I2": 1e-8}


def assert_matches(got, ref, rtol, what):
    """Relative error <= rtol, with the absolute floors above."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    floor = np.where(ref == 0, 1e-12, FLOOR.get(what, 0.0))
    ok = np.abs(got - ref) <= rtol * np.abs(ref) + floor
    assert ok.all(), f"{what}: got {got[~ok]}, metafor {ref[~ok]} at {np.flatnonzero(~ok)}"


@pytest.mark.parametrize("name, fit", FITS)
def test_leave1out_matches_metafor(name, fit):
    case = FIXTURES[name]
    res = meta_analysis(case["yi"], case["vi"], fit["method"], fit["test"], fit["level"])
    l1o = res.leave1out()
    rtol = 1e-5 if fit["method"] in ITERATIVE else 1e-10
    for field in _LEAVE1OUT:
        ref = fit[field]
        if field == "tau2" and fit["method"] == "EE":  # metafor leaves tau2 out for EE
            assert not np.any(l1o.tau2)
            continue
        assert_matches(getattr(l1o, field), ref, rtol, field)


def test_fixtures_have_truncated_and_positive_tau2():
    fit = next(f for f in FIXTURES["sim_k20_homogeneous"]["fits"] if f["method"] == "REML")
    tau2 = np.asarray(fit["tau2"])
    assert (tau2 < 1e-10).any() and (tau2 > 1e-6).any()
    assert len(FIXTURES["k3"]["yi"]) == 3  # every fit has k = 2


def test_level_of_leave1out():
    case = FIXTURES["bcg"]
    fit90 = next(f for f in case["fits"] if f["level"] == 0.9)
    res = meta_analysis(case["yi"], case["vi"], "REML", "knha")
    assert_matches(res.leave1out(level=0.9).ci_lb, fit90["ci_lb"], 1e-5, "ci_lb")
    assert_matches(
        res.leave1out().ci_lb,
        next(f for f in case["fits"] if (f["method"], f["test"]) == ("REML", "knha"))["ci_lb"],
        1e-5,
        "ci_lb",
    )


def fits_without_each(y, v, method, test):
    return [meta_analysis(np.delete(y, i), np.delete(v, i), method, test) for i in range(len(y))]


def assert_same_as_refits(y, v, method, test, rtol):
    """leave1out() against k refits; absolute floors on the scale of each field where
    rounding of a (near) 0 decides (equal y's give Q = 0 or 1e-31)."""
    l1o = meta_analysis(y, v, method, test).leave1out()
    refits = fits_without_each(y, v, method, test)
    y_scale = np.abs(y).max() + np.sqrt(v.max())
    se_min = min(r.se for r in refits)
    floor = {
        "mu": y_scale,
        "ci_lb": y_scale,
        "ci_ub": y_scale,
        "tau2": v.max(),
        "stat": y_scale / se_min if se_min > 0 else 0.0,
        "Q": 1.0,
        "I2": 100.0,
    }
    for field in _LEAVE1OUT:
        want = np.array([getattr(r, field) for r in refits])
        got = getattr(l1o, field)
        np.testing.assert_allclose(
            got,
            want,
            rtol=rtol,
            atol=1e-10 * floor.get(field, 1.0),
            err_msg=f"{method} {test} {field}",
        )


@st.composite
def studies(draw):
    k = draw(st.integers(3, 25))
    y = draw(arrays(np.float64, k, elements=st.floats(-10, 10)))
    v = draw(arrays(np.float64, k, elements=st.floats(0.001, 10)))
    return y, v


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(studies(), st.sampled_from(["z", "knha"]))
def test_leaving_a_study_out_equals_fitting_without_it(method, data, test):
    y, v = data
    assert_same_as_refits(y, v, method, test, rtol=1e-9 if method not in ITERATIVE else 1e-7)


@pytest.mark.parametrize("method", ["ML", "REML", "PM"])
def test_hard_cases_for_newton(method):
    """Undamped Fisher scoring oscillates on the first (metafor needs stepadj = 0.5); the
    second spans nine orders of magnitude in v; the third has one dominant study."""
    cases = [
        (np.r_[0.0, np.full(16, 3.0)], np.r_[0.5, np.ones(16)]),
        (np.array([0.0, 1.0, -2.0, 5.0, 0.3]), np.array([1e-6, 1e-3, 1.0, 1e3, 0.1])),
        (np.array([0.0, 0.1, 10.0, 10.2, 9.9]), np.array([1e-4, 1.0, 1.0, 2.0, 1.0])),
    ]
    for y, v in cases:
        for test in ("z", "knha"):
            assert_same_as_refits(y, v, method, test, rtol=1e-8)


def test_large_block_of_studies():
    """More studies than one block of the matrix holds."""
    rng = np.random.default_rng(7)
    k = 1100
    assert k * k > 4 * _BLOCK
    v = rng.uniform(0.01, 0.25, k)
    y = 0.3 + rng.normal(0, np.sqrt(0.05 + v))
    l1o = meta_analysis(y, v, "REML").leave1out()
    for i in (0, 530, k - 1):
        ref = meta_analysis(np.delete(y, i), np.delete(v, i), "REML")
        assert l1o.tau2[i] == pytest.approx(ref.tau2, rel=1e-9)
        assert l1o.mu[i] == pytest.approx(ref.mu, rel=1e-12)


@pytest.mark.parametrize(
    "method, test, k, need",
    [("REML", "z", 2, 3), ("DL", "knha", 2, 3), ("EE", "knha", 2, 3), ("EE", "z", 1, 2)],
)
def test_too_few_studies(method, test, k, need):
    res = meta_analysis(np.arange(k, dtype=float), np.ones(k), method, test)
    with pytest.raises(
        ValueError,
        match=rf"leave1out needs k >= {need} studies for "
        rf"method='{method}', test='{test}' \(got k = {k}\)",
    ):
        res.leave1out()


def test_two_studies_equal_effects():
    l1o = meta_analysis([0.2, 0.6], [0.1, 0.3], "EE").leave1out()
    np.testing.assert_array_equal(l1o.mu, [0.6, 0.2])
    np.testing.assert_array_equal(l1o.Q, [0.0, 0.0])
    np.testing.assert_array_equal(l1o.Q_pval, [1.0, 1.0])
    np.testing.assert_array_equal(l1o.H2, [1.0, 1.0])


def test_result_is_frozen_and_readable():
    res = meta_analysis([0.1, -0.3, 0.8, 0.2], [0.04, 0.09, 0.05, 0.2])
    l1o = res.leave1out()
    for field in _LEAVE1OUT:
        arr = getattr(l1o, field)
        assert arr.shape == (4,)
        with pytest.raises(ValueError):
            arr[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        l1o.mu = None
    assert repr(l1o).startswith("LeaveOneOut(mu=[")
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\) \(got 2\)"):
        res.leave1out(level=2)
