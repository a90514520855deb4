"""meta_regression() against R's metafor rma(mods=), predictor_fit() against lme4's
lmer(y ~ x + u + (1 | group)) (fixtures by tests/fixtures/metareg.R), exact identities,
hypothesis invariants and bad input."""

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shrinkviz as sv
from shrinkviz.model.group_predictor import (
    PredictorComplete,
    PredictorFit,
    PredictorPartial,
    predictor_fit,
    predictor_fit_frame,
)
from shrinkviz.model.meta_regression import (
    METHODS,
    MetaRegression,
    RegressionBlup,
    RegressionPosterior,
    RegressionPrediction,
    meta_regression,
    regression_posterior,
)

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "metareg.json").read_text())
META = FIXTURES["meta"]
FITS = [
    pytest.param(name, fit, id=f"{name}-{fit['method']}-{fit['test']}")
    for name, case in META.items()
    for fit in case["fits"]
]
ITERATIVE = {"ML", "REML", "EB", "PM"}
FIELDS = (
    "beta",
    "se",
    "vb",
    "stat",
    "pval",
    "ci_lb",
    "ci_ub",
    "tau2",
    "se_tau2",
    "Q",
    "Q_pval",
    "QM",
    "QM_pval",
    "I2",
    "H2",
    "R2",
)
# rma forms P = W - W X (X'W X)^-1 X'W from the raw moderators; with year (about 1960) beside
# latitude X'W X has condition number 3e11 and metafor's QE is 9e-11 off the exact value
# (test_exact_arithmetic_where_metafor_rounds), which its p-value turns into 1e-9.
CLOSED_RTOL = {"bcg_ablat_year": 5e-9}


def rtol_of(name, method):
    return 1e-6 if method in ITERATIVE else CLOSED_RTOL.get(name, 1e-10)


def assert_close(got, ref, rtol, what, atol=1e-12):
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    ok = np.abs(got - ref) <= rtol * np.abs(ref) + atol
    assert ok.all(), f"{what}: got {got}, metafor {ref}"


def fit_of(name, fit):
    case = META[name]
    return meta_regression(
        case["yi"], case["vi"], np.array(case["mods"]), fit["method"], fit["test"]
    )


@pytest.mark.parametrize("name, fit", FITS)
def test_rma_with_mods_matches_metafor(name, fit):
    res, rtol = fit_of(name, fit), rtol_of(name, fit["method"])
    # metafor's Fisher scoring stops at tau2 ~ 1e-14 where the optimum is the boundary 0
    boundary = fit["tau2"] < 1e-12
    for field in FIELDS:
        ref = fit[field]
        if ref is None:  # EE has no se_tau2
            assert fit["method"] == "EE" and np.isnan(res.se_tau2)
            continue
        atol = 1e-9 if boundary and field in ("tau2", "I2", "H2", "R2") else 1e-12
        assert_close(getattr(res, field), ref, rtol, field, atol)
    if boundary:
        assert res.tau2 == 0.0


@pytest.mark.parametrize("name, fit", FITS)
def test_blup_and_predict_match_metafor(name, fit):
    res, rtol = fit_of(name, fit), rtol_of(name, fit["method"])
    b = res.blup()
    for field in ("pred", "se", "pi_lb", "pi_ub"):
        assert_close(getattr(b, field), fit["blup"][field], rtol, f"blup {field}", 1e-9)
    ref = fit["predict"]
    p = res.predict(np.array(ref["mods"]))
    for field in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        if ref[field] is None:  # EE: predict gives no PI; tau2 = 0 makes it the CI
            assert np.array_equal(getattr(p, field), getattr(p, field.replace("pi", "ci")))
            continue
        assert_close(getattr(p, field), ref[field], rtol, f"predict {field}", 1e-9)


def test_exact_arithmetic_where_metafor_rounds():
    """bcg_ablat_year: our QE and b equal the exact rational GLS of the stored doubles to
    1e-14, closer than metafor."""
    case = META["bcg_ablat_year"]
    y, v, M = np.array(case["yi"]), np.array(case["vi"]), np.array(case["mods"])
    X = [[Fraction(1), *map(Fraction, row)] for row in M.tolist()]
    w = [1 / Fraction(t) for t in v.tolist()]
    yf = list(map(Fraction, y.tolist()))
    p = 3
    A = [[sum(w[i] * X[i][a] * X[i][c] for i in range(len(y))) for c in range(p)] for a in range(p)]
    r = [sum(w[i] * X[i][a] * yf[i] for i in range(len(y))) for a in range(p)]
    for c in range(p):  # Gaussian elimination in exact arithmetic
        for row in range(c + 1, p):
            f = A[row][c] / A[c][c]
            A[row] = [A[row][j] - f * A[c][j] for j in range(p)]
            r[row] -= f * r[c]
    b = [Fraction(0)] * p
    for c in reversed(range(p)):
        b[c] = (r[c] - sum(A[c][j] * b[j] for j in range(c + 1, p))) / A[c][c]
    Q = sum(w[i] * (yf[i] - sum(X[i][j] * b[j] for j in range(p))) ** 2 for i in range(len(y)))
    res = meta_regression(y, v, M, "EE")
    assert_close(res.beta, [float(t) for t in b], 1e-14, "beta", 0)
    assert_close(res.Q, float(Q), 1e-14, "QE", 0)


def test_bcg_reference_values():
    """metafor's documented BCG example (Viechtbauer 2010, section 3.3): REML with absolute
    latitude, tau2 = 0.0763, slope -0.0291 per degree, R2 = 75.63%."""
    df = sv.data.bcg()
    res = meta_regression(df["yi"], df["vi"], df[["ablat"]])
    assert res.names == ("intrcpt", "ablat")
    assert round(res.tau2, 4) == 0.0763 and round(res.beta[1], 4) == -0.0291
    assert round(res.R2, 2) == 75.63 and round(res.tau2_without, 4) == 0.3132
    assert meta_regression(df["yi"], df["vi"], df["ablat"]).names == ("intrcpt", "ablat")
    assert meta_regression(df["yi"], df["vi"], df["ablat"].to_numpy()).names == ("intrcpt", "mods")


# --- exact identities ----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_no_moderators_is_meta_analysis(method, test):
    df = sv.data.bcg()
    res = meta_regression(df["yi"], df["vi"], np.empty((13, 0)), method, test)
    ref = sv.meta_analysis(df["yi"], df["vi"], method, test)
    for mine, theirs in [
        ("tau2", "tau2"),
        ("se_tau2", "se_tau2"),
        ("Q", "Q"),
        ("Q_pval", "Q_pval"),
        ("I2", "I2"),
        ("H2", "H2"),
    ]:
        np.testing.assert_allclose(getattr(res, mine), getattr(ref, theirs), rtol=1e-12)
    for mine, theirs in [("beta", "mu"), ("se", "se"), ("pval", "pval"), ("ci_lb", "ci_lb")]:
        np.testing.assert_allclose(getattr(res, mine)[0], getattr(ref, theirs), rtol=1e-12)
    np.testing.assert_allclose(res.blup().pred, ref.blup().pred, rtol=1e-12)
    np.testing.assert_allclose(res.blup().se, ref.blup().se, rtol=1e-12)
    assert np.isnan(res.QM) and np.isnan(res.R2) and res.names == ("intrcpt",)


def test_tau2_zero_is_weighted_least_squares():
    """EE is the weighted least squares of y on X with weights 1/v (numpy's lstsq on the
    rows scaled by 1/sqrt(v)); every BLUP lies on the fitted line."""
    df = sv.data.bcg()
    X = np.column_stack([np.ones(13), df["ablat"], df["year"]])
    s = 1 / np.sqrt(df["vi"].to_numpy())
    b = np.linalg.lstsq(X * s[:, None], df["yi"].to_numpy() * s, rcond=None)[0]
    res = meta_regression(df["yi"], df["vi"], df[["ablat", "year"]], "EE")
    np.testing.assert_allclose(res.beta, b, rtol=1e-12)
    blup = res.blup()
    assert np.array_equal(blup.pred, blup.fitted) and np.all(blup.B == 1.0)
    post = regression_posterior(df["yi"], df["vi"], 0.0, df[["ablat", "year"]])
    assert np.array_equal(post.mean, post.fitted)
    np.testing.assert_allclose(post.beta, b, rtol=1e-12)


def test_regression_posterior_limits_and_blup():
    df = sv.data.bcg()
    y, v, mods = df["yi"].to_numpy(), df["vi"].to_numpy(), df[["ablat"]]
    inf = regression_posterior(y, v, np.inf, mods)
    assert np.array_equal(inf.mean, y) and np.array_equal(inf.var, v) and not inf.B.any()
    ols = np.polyfit(df["ablat"], y, 1)[::-1]  # equal weights: ordinary least squares
    np.testing.assert_allclose(inf.beta, ols, rtol=1e-12)
    fit = meta_regression(y, v, mods, "REML")
    post = regression_posterior(y, v, fit.tau2, mods)
    np.testing.assert_allclose(post.mean, fit.blup().pred, rtol=1e-13)
    np.testing.assert_allclose(post.var, fit.blup().se ** 2, rtol=1e-12)
    np.testing.assert_allclose(post.beta, fit.beta, rtol=1e-13)


finite = st.floats(-5, 5, allow_nan=False)


@settings(max_examples=40)
@given(
    st.lists(st.tuples(finite, st.floats(0.01, 4), finite), min_size=5, max_size=25),
    st.floats(-3, 3),
    st.sampled_from(["DL", "REML", "ML", "PM", "HE", "SJ"]),
)
def test_a_constant_shift_of_a_moderator_changes_nothing_but_the_intercept(rows, shift, method):
    y, v, m = (np.array(c) for c in zip(*rows, strict=True))
    if np.ptp(m) < 1e-3:
        return
    a = meta_regression(y, v, m, method)
    b = meta_regression(y, v, m + shift, method)
    np.testing.assert_allclose(b.tau2, a.tau2, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.beta[1], a.beta[1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.blup().pred, a.blup().pred, rtol=1e-6, atol=1e-8)
    # tau2 = 0 puts every BLUP on the fitted line
    post = regression_posterior(y, v, 0.0, m)
    assert np.array_equal(post.mean, post.fitted)


@settings(max_examples=40)
@given(
    st.lists(st.tuples(finite, st.floats(0.01, 4), finite), min_size=4, max_size=25),
    st.floats(0, 10),
)
def test_blup_between_study_and_line(rows, tau2):
    y, v, m = (np.array(c) for c in zip(*rows, strict=True))
    if np.ptp(m) < 1e-3:
        return
    post = regression_posterior(y, v, tau2, m)
    lo, hi = np.minimum(y, post.fitted), np.maximum(y, post.fitted)
    assert np.all(post.mean >= lo - 1e-12) and np.all(post.mean <= hi + 1e-12)


# --- bad input -----------------------------------------------------------------------------


def _bcg_frame():
    df = sv.data.bcg()
    return df["yi"], df["vi"], df[["ablat", "year"]].set_axis([f"t{i}" for i in range(13)])


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda m: m.assign(ablat=np.where(m.index == "t4", np.nan, m["ablat"])),
            "mods column 'ablat' has a missing value at row 't4'",
        ),
        (lambda m: m.assign(year=1960.0), "mods column 'year' must vary between studies"),
        (
            lambda m: m.assign(year=2 * m["ablat"] + 1),
            "mods column 'year' must not be a linear combination of the intercept, 'ablat'",
        ),
        (lambda m: m.iloc[:5], "mods must have one row per study (got 5 rows for k = 13"),
        (
            lambda m: pd.DataFrame(np.random.default_rng(1).normal(size=(13, 12))),
            "mods must have at most k - 2 = 11 columns",
        ),
        (lambda m: m.assign(ablat=["x"] * 13), "mods must be numbers"),
    ],
)
def test_bad_mods_are_named(change, message):
    y, v, mods = _bcg_frame()
    before = mods.copy()
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        meta_regression(y, v, change(mods))
    pd.testing.assert_frame_equal(mods, before)


def test_bad_array_mods_name_the_position():
    y, v, mods = _bcg_frame()
    m = mods.to_numpy(dtype=float)
    m[7, 1] = np.inf
    with pytest.raises(
        ValueError, match=r"mods column 'mods2' has an infinite value \(inf\) at row 7"
    ):
        meta_regression(y, v, m)
    with pytest.raises(ValueError, match="method must be one of"):
        meta_regression(y, v, mods["ablat"], method="REM")
    with pytest.raises(ValueError, match="tau2 must be"):
        regression_posterior(y, v, -1.0, mods["ablat"])


def test_results_frozen_readonly_independent_and_readable():
    y, v, mods = (np.array(a, dtype=float) for a in _bcg_frame())
    kept = [a.copy() for a in (y, v, mods)]
    res = meta_regression(y, v, mods, "REML", "knha")
    parts = [res, res.blup(), res.predict(mods[:3]), regression_posterior(y, v, 0.1, mods)]
    for a, b in zip((y, v, mods), kept, strict=True):
        assert np.array_equal(a, b)
    y[:] = 99.0
    mods[:] = 7.0
    assert res.y[0] != 99.0 and res.X[0, 1] != 7.0
    for part, cls in zip(
        parts,
        (MetaRegression, RegressionBlup, RegressionPrediction, RegressionPosterior),
        strict=True,
    ):
        assert type(part) is cls
        for f in dataclasses.fields(part):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(part, f.name, None)
            value = getattr(part, f.name)
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f.name
        text = repr(part)
        assert text.startswith(f"{cls.__name__}(") and "array(" not in text and len(text) < 2000
    assert not res.fitted.flags.writeable


# --- the group-level predictor against lme4 ------------------------------------------------

RADON = sv.data.radon()
RADON_FIRST2 = RADON[RADON.groupby("county", sort=False).cumcount() < 2]


def radon_fit(data, method="REML", **kw):
    return predictor_fit_frame(
        data, x="floor", y="log_radon", group="county", u="log_uranium", method=method, **kw
    )


@pytest.mark.parametrize("name, data", [("radon", RADON), ("radon_first2", RADON_FIRST2)])
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_predictor_fit_matches_lmer(name, data, method):
    ref = FIXTURES[name][method]
    fit = radon_fit(data, method)
    p = fit.partial_pooling
    rtol = 5e-7  # lme4's optimizer stops within its tolerance of the optimum
    assert_close([p.mu_alpha, p.beta, p.gamma], ref["fixef"], rtol, "fixef")
    assert_close(fit.sigma2, ref["sigma2"], rtol, "sigma2")
    assert_close(fit.tau2, ref["tau2"], rtol, "tau2")
    assert_close(p.alpha, ref["alpha"], rtol, "alpha")
    assert_close(p.alpha_var, ref["condVar"], rtol, "condVar")
    # our optimum is at least as good as lme4's (its criterion at its own optimum)
    assert fit.deviance() <= ref["criterion"] + 1e-9


@pytest.mark.parametrize("name, data", [("radon", RADON), ("radon_first2", RADON_FIRST2)])
def test_closed_forms_match_dense_gls_and_lm(name, data):
    ref = FIXTURES[name]
    fit = radon_fit(data)
    c = fit.complete_pooling
    assert_close([c.alpha, c.beta, c.gamma], ref["complete"], 1e-12, "lm(y ~ x + u)")
    for g in ref["gls"]:
        at = fit.update(sigma2=g["sigma2"], tau2=g["tau2"])
        p = at.partial_pooling
        assert_close([p.mu_alpha, p.beta, p.gamma], g["fixef"], 1e-12, "GLS fixef")
        assert_close(p.alpha, g["alpha"], 1e-12, "BLUP alpha")
    without = sv.pooling_fit_frame(data, x="floor", y="log_radon", group="county")
    assert_close(without.tau2, ref["tau2_without"], 5e-7, "tau2 without u")


def test_gelman_hill_12_6():
    """G&H p. 266: with county uranium, sigma_alpha falls from 0.33 to 0.16, the uranium
    coefficient is 0.72 and the floor coefficient -0.67."""
    fit, without = (
        radon_fit(RADON),
        sv.pooling_fit_frame(RADON, x="floor", y="log_radon", group="county"),
    )
    assert round(np.sqrt(without.tau2), 2) == 0.33 and round(np.sqrt(fit.tau2), 2) == 0.16
    assert (
        round(fit.partial_pooling.gamma, 2) == 0.72 and round(fit.partial_pooling.beta, 2) == -0.67
    )


def test_predictor_limits_and_update():
    fit = radon_fit(RADON)
    p0 = fit.update(tau2=0.0).partial_pooling  # every county on the group-level line
    assert np.array_equal(p0.alpha, p0.target)
    pinf = fit.update(tau2=np.inf)  # no pooling
    np.testing.assert_array_equal(pinf.partial_pooling.alpha, pinf.no_pooling.alpha)
    # update(n=) is a fit on those rows alone, in O(J)
    n = np.minimum(fit.n, 2)
    part = fit.update(n=n, estimate="REML")
    direct = radon_fit(RADON_FIRST2)
    np.testing.assert_allclose(part.tau2, direct.tau2, rtol=1e-9)
    np.testing.assert_allclose(part.partial_pooling.alpha, direct.partial_pooling.alpha, rtol=1e-9)
    assert part.used().sum() == len(RADON_FIRST2)


@settings(max_examples=25, deadline=None)
@given(st.floats(-3, 3), st.floats(0.2, 5))
def test_predictor_is_equivariant_in_u(shift, scale):
    """u -> a + c u changes gamma to gamma / c and nothing the data see."""
    d = RADON_FIRST2
    a = radon_fit(d)
    b = predictor_fit(d["floor"], d["log_radon"], d["county"], shift + scale * d["log_uranium"])
    np.testing.assert_allclose(b.tau2, a.tau2, rtol=1e-7)
    np.testing.assert_allclose(b.partial_pooling.gamma * scale, a.partial_pooling.gamma, rtol=1e-7)
    np.testing.assert_allclose(
        b.partial_pooling.alpha, a.partial_pooling.alpha, rtol=1e-7, atol=1e-9
    )


def test_u_per_group_equals_u_per_row():
    fit = radon_fit(RADON)
    again = predictor_fit(RADON["floor"], RADON["log_radon"], RADON["county"], fit.u)
    np.testing.assert_array_equal(again.partial_pooling.alpha, fit.partial_pooling.alpha)


def test_bad_u_is_named():
    d = RADON.set_axis([f"h{i}" for i in range(len(RADON))])
    bad = d.assign(log_uranium=d["log_uranium"].where(d.index != "h2", 9.0))
    before = bad.copy()
    with pytest.raises(
        ValueError,
        match=r"u column 'log_uranium' must be constant within each"
        r" group \(got 9.0 at row 'h2' but -0.689\d* at row 'h0', both in group 'AITKIN'\)",
    ):
        radon_fit(bad)
    pd.testing.assert_frame_equal(bad, before)
    with pytest.raises(ValueError, match="u column 'log_uranium' has a missing value at row 'h5'"):
        radon_fit(d.assign(log_uranium=d["log_uranium"].where(d.index != "h5")))
    with pytest.raises(ValueError, match="u must vary between the groups with data"):
        radon_fit(d.assign(log_uranium=1.0))
    with pytest.raises(ValueError, match=r"u must have one value per row \(N = 919\) or one per"):
        predictor_fit(d["floor"], d["log_radon"], d["county"], np.ones(10))
    with pytest.raises(ValueError, match="sigma2 and tau2 must be given both or neither"):
        radon_fit(d, sigma2=0.5)
    arr = d["log_uranium"].to_numpy().copy()
    arr[3] = 0.0
    with pytest.raises(ValueError, match=r"got 0.0 at index 3 but -0.689\d* at index 0"):
        predictor_fit(d["floor"], d["log_radon"], d["county"], arr)


def test_predictor_results_frozen_readonly_and_readable():
    x = RADON_FIRST2["floor"].to_numpy().copy()
    fit = predictor_fit(
        x, RADON_FIRST2["log_radon"], RADON_FIRST2["county"], RADON_FIRST2["log_uranium"]
    )
    x[:] = 5.0
    assert fit.x[0] != 5.0
    for part, cls in (
        (fit, PredictorFit),
        (fit.complete_pooling, PredictorComplete),
        (fit.partial_pooling, PredictorPartial),
    ):
        assert type(part) is cls
        for f in dataclasses.fields(part):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(part, f.name, None)
            value = getattr(part, f.name)
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f.name
        text = repr(part)
        assert text.startswith(f"{cls.__name__}(") and "array(" not in text and len(text) < 2000


def test_without_u_is_pooling_fit():
    """u=None is the model of pooling_fit (lmer(y ~ x + (1 | group))), at the estimate and
    at both ends of tau2."""
    mine = predictor_fit_frame(RADON, x="floor", y="log_radon", group="county", u=None)
    ref = sv.pooling_fit_frame(RADON, x="floor", y="log_radon", group="county")
    np.testing.assert_allclose([mine.sigma2, mine.tau2], [ref.sigma2, ref.tau2], rtol=1e-12)
    assert np.isnan(mine.partial_pooling.gamma) and np.all(
        mine.partial_pooling.target == mine.partial_pooling.mu_alpha
    )
    for tau2 in (None, 0.0, 0.05, np.inf):
        a = mine if tau2 is None else mine.update(tau2=tau2)
        b = ref if tau2 is None else ref.update(tau2=tau2)
        np.testing.assert_allclose(
            a.partial_pooling.alpha, b.partial_pooling.alpha, rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            a.partial_pooling.mu_alpha, b.partial_pooling.mu_alpha, rtol=1e-12
        )
    np.testing.assert_allclose(mine.deviance(), ref.deviance(), rtol=1e-13)


def test_blup_lies_between_own_intercept_and_target():
    p = radon_fit(RADON).partial_pooling
    np.testing.assert_allclose(p.alpha, (1 - p.B) * p.own + p.B * p.target, rtol=1e-13)
    inf = radon_fit(RADON).update(tau2=np.inf)
    np.testing.assert_array_equal(inf.partial_pooling.own, inf.no_pooling.alpha)


def test_line_is_metafors_predict_at_the_estimate():
    df = sv.data.bcg()
    fit = meta_regression(df["yi"], df["vi"], df[["ablat"]])
    post = regression_posterior(df["yi"], df["vi"], fit.tau2, df[["ablat"]])
    grid = np.linspace(10, 60, 7)
    a, b = post.line(grid), fit.predict(grid)
    for field in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12)


def test_unchecked_posterior_is_the_checked_one():
    df = sv.data.bcg()
    y, v, m = (df[c].to_numpy() for c in ("yi", "vi", "ablat"))
    for tau2 in (0.0, 0.1, np.inf):
        a = regression_posterior(y, v, tau2, m)
        b = regression_posterior(y, v, tau2, m, check_input=False)
        for field in ("mean", "var", "B", "fitted", "beta", "beta_cov"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    fit = radon_fit(RADON_FIRST2)  # update(tau2=) reuses complete and none: same numbers
    moved = fit.update(tau2=0.07)
    fresh = radon_fit(RADON_FIRST2, sigma2=fit.sigma2, tau2=0.07)
    np.testing.assert_array_equal(moved.partial_pooling.alpha, fresh.partial_pooling.alpha)
    assert moved.complete_pooling.gamma == fresh.complete_pooling.gamma


def test_the_entry_points_of_the_other_families_reach_these_models():
    """Issue 16's spelling: meta_analysis(mods=), posterior(X=), pooling_fit(u=) and
    pooling_fit_frame(u=) are the meta-regression and the group-level predictor."""
    bcg = sv.data.bcg()
    es = sv.effect_sizes("RR", ai=bcg["tpos"], bi=bcg["tneg"], ci=bcg["cpos"], di=bcg["cneg"])
    y, v = es.yi, es.vi
    lat = bcg["ablat"].to_numpy()
    a, b = sv.meta_analysis(y, v, mods=lat, test="knha"), sv.meta_regression(y, v, lat, test="knha")
    assert np.array_equal(a.beta, b.beta) and a.tau2 == b.tau2 and a.QM == b.QM
    p, q = sv.posterior(y, v, 0.1, X=lat), sv.regression_posterior(y, v, 0.1, lat)
    assert np.array_equal(p.mean, q.mean) and np.array_equal(p.var, q.var)
    radon = sv.data.radon()
    f = sv.pooling_fit_frame(radon, x="floor", y="log_radon", group="county", u="log_uranium")
    g = sv.predictor_fit_frame(radon, x="floor", y="log_radon", group="county", u="log_uranium")
    assert f.tau2 == g.tau2 and np.array_equal(f.partial_pooling.alpha, g.partial_pooling.alpha)
    h = sv.pooling_fit(radon["floor"], radon["log_radon"], radon["county"], u=radon["log_uranium"])
    assert h.tau2 == g.tau2
    with pytest.raises(ValueError, match="tau2 cannot be given with mods"):
        sv.meta_analysis(y, v, mods=lat, tau2=0.1)
    with pytest.raises(ValueError, match="mu0 cannot be given with X"):
        sv.posterior(y, v, 0.1, mu0=0.0, X=lat)
    with pytest.raises(ValueError, match="varying intercepts only"):
        sv.pooling_fit(radon["floor"], radon["log_radon"], radon["county"], u=1, slopes=True)
