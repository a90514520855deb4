"""shrinkviz.model.forest and meta_analysis(tau2=) against metafor (tests/fixtures/
metafor_forest.R): a given tau2, any subset of studies left out, blup and weights."""

import json
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shrinkviz as sv
from shrinkviz.model import tau2
from shrinkviz.model.forest import ESTIMATOR_NAMES, forest, tau2_estimates

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "metafor_forest.json").read_text()
)
DATA = {name: (np.array(d["yi"]), np.array(d["vi"])) for name, d in FIXTURE["data"].items()}
ITERATIVE = ("ML", "REML", "EB", "PM")
SCALARS = ("tau2", "mu", "se", "ci_lb", "ci_ub", "stat", "pval", "Q", "I2", "H2")


def _close(got, want, rtol):
    """Equal to rtol relative to the largest value of ``want``: an interval end near 0 is a
    difference of terms as large as the others (numpy 1.23 and 2.x differ there by 4e-12)."""
    want = np.array(want, dtype=float)
    scale = float(np.abs(want[np.isfinite(want)]).max(initial=1e-2))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def _check(f: sv.model.forest.Forest, ref: dict, rtol: float) -> None:
    for name in SCALARS:
        _close(getattr(f.fit, name), ref[name], rtol)
    if ref["pi_lb"] is not None:
        _close(f.fit.pi_lb, ref["pi_lb"], rtol)
        _close(f.fit.pi_ub, ref["pi_ub"], rtol)
    kept = f.kept
    _close(f.pred[kept], ref["blup"]["pred"], rtol)
    _close(f.pred_lb[kept], ref["blup"]["pi_lb"], rtol)
    _close(f.pred_ub[kept], ref["blup"]["pi_ub"], rtol)
    _close(f.weight[kept], ref["weights"], rtol)
    assert np.isnan(f.pred[~kept]).all() and np.isnan(f.weight[~kept]).all()


@pytest.mark.parametrize(
    "ref", FIXTURE["given_tau2"], ids=lambda r: f"{r['data']}-{r['tau2_given']}-{r['test']}"
)
def test_given_tau2_is_metafor(ref):
    y, v = DATA[ref["data"]]
    f = forest(y, v, tau2=ref["tau2_given"], test=ref["test"])
    assert f.fit.method == "fixed" and np.isnan(f.fit.se_tau2)
    _check(f, ref, 1e-10)


@pytest.mark.parametrize(
    "ref",
    FIXTURE["subsets"],
    ids=lambda r: f"{r['data']}-{np.atleast_1d(r['left_out']).tolist()}-{r['method']}-{r['test']}",
)
def test_studies_left_out_is_metafor(ref):
    y, v = DATA[ref["data"]]
    out = [int(i) for i in np.atleast_1d(ref["left_out"])]
    f = forest(y, v, left_out=out, method=ref["method"], test=ref["test"])
    assert f.kept.sum() == len(y) - len(out)
    _check(f, ref, 1e-5 if ref["method"] in ITERATIVE else 1e-10)
    if ref["test"] == "z":
        assert tau2_estimates(y[f.kept], v[f.kept])[ref["method"]] == pytest.approx(
            ref["tau2"], rel=1e-5 if ref["method"] in ITERATIVE else 1e-10, abs=1e-12
        )


def test_one_left_out_is_leave1out():
    y, v = DATA["bcg"]
    for method in ESTIMATOR_NAMES:
        for test in ("z", "knha"):
            l1o = sv.meta_analysis(y, v, method=method, test=test).leave1out()
            for i in range(len(y)):
                fit = forest(y, v, left_out=[i], method=method, test=test).fit
                for name in ("mu", "se", "tau2", "ci_lb", "ci_ub", "I2", "Q"):
                    assert getattr(fit, name) == pytest.approx(
                        getattr(l1o, name)[i], rel=1e-7, abs=1e-10
                    ), (method, test, i, name)


def test_intervals_and_funnel():
    y, v = DATA["bcg"]
    f = forest(y, v, left_out=[3])
    z = 1.959963984540054
    np.testing.assert_allclose(f.ci_lb, y - z * np.sqrt(v))
    np.testing.assert_allclose(f.ci_ub, y + z * np.sqrt(v))
    assert f.funnel_se.tolist() == [0.0, np.sqrt(v).max()]
    assert f.funnel_lb[0] == f.funnel_ub[0] == f.fit.mu
    assert f.funnel_ub[1] - f.fit.mu == pytest.approx(z * np.sqrt(v).max())
    assert f.weight[f.kept].sum() == pytest.approx(100)
    for arr in (f.kept, f.ci_lb, f.pred, f.weight, f.funnel_se):
        assert not arr.flags.writeable
    assert "kept=12" in repr(f)


def test_given_tau2_limits():
    y, v = DATA["teacher"]
    # tau2 = 0 is the equal-effects fit; a huge tau2 leaves every study where it is
    zero, ee = forest(y, v, tau2=0.0).fit, sv.meta_analysis(y, v, method="EE")
    assert zero.mu == pytest.approx(ee.mu, rel=1e-14) and zero.se == pytest.approx(ee.se)
    far = forest(y, v, tau2=1e12)
    np.testing.assert_allclose(far.pred, y, atol=1e-9)


def test_estimates_are_meta_analysis():
    y, v = DATA["teacher"]
    est = tau2_estimates(y, v)
    assert list(est) == list(ESTIMATOR_NAMES) and est["EE"] == 0
    for m in ESTIMATOR_NAMES:
        assert est[m] == sv.meta_analysis(y, v, method=m).tau2
    # an estimate at hand (the fit's) is taken, not computed again; EB shares PM's
    known = tau2_estimates(y, v, known={"PM": 123.0, "REML": est["REML"]})
    assert known["PM"] == known["EB"] == 123.0
    assert {m: t for m, t in known.items() if m not in ("PM", "EB")} == {
        m: t for m, t in est.items() if m not in ("PM", "EB")
    }
    with pytest.raises(ValueError, match=r"known must be one of .*\(got 'fixed'\)"):
        tau2_estimates(y, v, known={"fixed": 0.1})


def test_bad_input():
    y, v = DATA["bcg"]
    with pytest.raises(ValueError, match=r"left_out must be study positions in 0..12 \(got 13\)"):
        forest(y, v, left_out=[13])
    with pytest.raises(ValueError, match=r"left_out must be study positions \(integers\)"):
        forest(y, v, left_out=[1.0])
    with pytest.raises(ValueError, match=r"at least two studies must stay in.*got 1 left: b"):
        forest(y[:2], v[:2], left_out=[0], labels=["a", "b"])
    with pytest.raises(ValueError, match="tau2 must be in"):
        forest(y, v, tau2=-1)
    with pytest.raises(ValueError, match=r"v must be > 0 and finite \(got -1.0 at index 1\)"):
        forest([1, 2], [1, -1])
    # one kept study is a fit for EE and a given tau2 (test z)
    assert forest(y, v, left_out=range(1, 13), method="EE").fit.mu == y[0]
    with pytest.raises(ValueError, match="tau2"):
        sv.meta_analysis(y, v, tau2=0.1).leave1out()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=3, max_size=12),
    st.data(),
)
def test_leaving_out_is_fitting_without(rows, data):
    y, v = np.array(rows).T
    out = data.draw(st.sets(st.integers(0, len(y) - 1), max_size=len(y) - 2))
    method = data.draw(st.sampled_from(ESTIMATOR_NAMES))
    keep = np.setdiff1d(np.arange(len(y)), sorted(out))
    f = forest(y, v, left_out=sorted(out), method=method)
    ref = sv.meta_analysis(y[keep], v[keep], method=method)
    assert f.fit.mu == pytest.approx(ref.mu, rel=1e-12, abs=1e-12)
    assert f.fit.tau2 == pytest.approx(ref.tau2, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(f.pred[keep], ref.blup().pred, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=2, max_size=60),
    st.floats(0, 2),
)
def test_estimates_share_one_pass_at_zero(rows, tau2_true):
    """Every estimator's tau2 is the same float with the sums at w = 1/v passed in (as
    tau2_estimates and meta_analysis share them) or computed alone, for a few studies
    (Python floats) and many (numpy); forest without its input checks is forest."""
    y, v = np.array(rows).T
    y = y * np.sqrt(1 + tau2_true / v)
    at0 = tau2.at_zero(y, v)
    est = tau2_estimates(y, v)
    for m in ESTIMATOR_NAMES:
        assert tau2.TAU2[m](y, v, at0) == tau2.TAU2[m](y, v) == est[m], m
        assert tau2.ESTIMATORS[m](y, v, at0)[0] == est[m] == sv.meta_analysis(y, v, m).tau2, m
    out = list(range(0, len(y), 3))[: len(y) - 2]
    a = forest(y, v, left_out=out)
    y.flags.writeable = v.flags.writeable = False
    b = forest(y, v, left_out=out, check_input=False)
    assert a.fit.tau2 == b.fit.tau2 and a.fit.mu == b.fit.mu and a.fit.se == b.fit.se
    np.testing.assert_array_equal(a.pred, b.pred)
    assert tau2_estimates(y, v, check_input=False) == est


def _equation(y, v, t, kind):
    """f of model/tau2.py's estimating equations from its sums (numpy path)."""
    sw, q, f2, s2, *_ = tau2._sums(y, v, t)
    return {"Q": q - (len(y) - 1), "ML": f2 - sw, "REML": f2 - (sw - s2 / sw)}[kind]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=2, max_size=40),
    st.floats(0, 2),
)
def test_iterative_tau2_same_on_python_floats_and_numpy(rows, tau2_true):
    """A click's estimates sum a few studies on Python floats (model/tau2.py), more with
    numpy: both are the root where the estimating equation falls through 0 (or 0 where it
    starts at or below 0)."""
    y, v = np.array(rows).T
    y = y * np.sqrt(1 + tau2_true / v)  # some heterogeneity, so that not every root is 0
    for kind in ("Q", "ML", "REML"):
        target = len(y) - 1 if kind == "Q" else 0.0
        few = tau2._root(y, v, kind, target)
        with mock.patch.object(tau2, "_FEW", 0):
            many = tau2._root(y, v, kind, target)
        assert few == pytest.approx(many, rel=1e-9, abs=1e-12 * v.mean()), kind
        step = max(1e-6 * few, 1e-8 * v.mean())  # far above rounding in f
        if few == 0:
            assert _equation(y, v, 0.0, kind) <= 0
        else:
            assert _equation(y, v, max(few - step, 0.0), kind) > 0
            assert _equation(y, v, few + step, kind) <= 0
