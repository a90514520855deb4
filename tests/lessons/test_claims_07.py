"""Every number lesson 07 (meta-analysis from the raw tables) states is recomputed here from the
package and must appear, as written, in the lesson's markdown; the general statements it makes
are checked as identities on this data and on random data."""

import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import shrinkviz as sv

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "07-meta-analysis.ipynb"
METHODS = ["EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"]


@cache
def markdown() -> str:
    nb = nbformat.read(LESSON, as_version=4)
    return re.sub(r"\s+", " ", " ".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def stated(*phrases: str) -> None:
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in markdown()]
    assert not missing, f"lesson 07 does not state {missing}"


@cache
def bcg():
    df = sv.data.bcg()
    df["n"] = df[["tpos", "tneg", "cpos", "cneg"]].sum(axis=1)
    es = sv.effect_sizes_frame(df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    return df, es.yi, es.vi, sv.meta_analysis(es.yi, es.vi, method="REML")


def test_the_trials():
    df, y, v, _ = bcg()
    assert len(df) == 13
    stated("Thirteen trials", f"published from {df['year'].min()} to {df['year'].max()}")
    random = int((df["alloc"] == "random").sum())
    assert random == 7 and set(df["alloc"]) == {"random", "alternate", "systematic"}
    stated("Seven of them allocated at random, the others by alternation or a system")
    # "a few trials here have fewer than ten [events] in one arm"
    # "the BCG tables have no zero cell"
    few = df[["tpos", "cpos"]].min(axis=1) < 10
    assert 2 <= few.sum() <= 5
    assert (df[["tpos", "tneg", "cpos", "cneg"]] > 0).all().all()


def test_aronson_by_hand():
    df, y, v, _ = bcg()
    a, b, c, d = df.loc[0, ["tpos", "tneg", "cpos", "cneg"]]
    p1, p2 = a / (a + b), c / (c + d)
    stated(
        f"Aronson (1948): {a} of {a + b} vaccinated children fell ill ({100 * p1:.1f}%), "
        f"against {c} of {c + d} unvaccinated ({100 * p2:.1f}%)",
        f"here {p1 / p2:.2f}: the risk of falling ill among the vaccinated was {p1 / p2:.2f} times",
        f"$y_1$ = {y[0]:.3f} and $v_1$ = {v[0]:.3f}",
    )
    assert y[0] == pytest.approx(np.log(p1 / p2), rel=1e-14)
    assert v[0] == pytest.approx(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d), rel=1e-14)


def test_reml_fit():
    _, y, v, fit = bcg()
    rr = np.exp([fit.mu, fit.ci_lb, fit.ci_ub, fit.pi_lb, fit.pi_ub])
    stated(
        f"$\\hat\\mu$ = {fit.mu:.3f}: a risk ratio of {rr[0]:.3f}, with 95% confidence interval "
        f"{rr[1]:.3f} to {rr[2]:.3f}",
        f"$Q$ is {fit.Q:.0f} on {fit.k - 1} degrees of freedom, $\\hat\\tau^2$ = {fit.tau2:.3f} "
        f"($\\hat\\tau$ = {np.sqrt(fit.tau2):.3f} on the log scale), and $I^2$ = {fit.I2:.0f}%",
        f"runs from {fit.pi_lb:.2f} to {fit.pi_ub:.2f}, risk ratios {rr[3]:.3f} to {rr[4]:.2f}",
    )
    assert fit.pi_lb < 0 < fit.pi_ub and fit.ci_ub < 0  # "Here it includes 1"
    lo, hi = fit.tau2_ci()
    k = fit.k
    t = stats.t(k - 2).isf(0.025)
    pi_t = np.exp(fit.mu + t * np.sqrt(fit.se**2 + fit.tau2))
    stated(
        f"its 95% confidence interval is {lo:.2f} to {hi:.2f}",
        "With $t$ on $k - 2$ degrees of freedom instead of 1.96 (Higgins, Thompson & "
        f"Spiegelhalter 2009) it runs to a risk ratio of {pi_t:.2f}",
        f"a $\\tau$ of {np.sqrt(fit.tau2):.2f} means",
        f"and $I^2$ = {fit.I2:.0f}%: {fit.I2:.0f}% of the variability",
    )
    # metafor 3.8-1: confint(res) 0.1197 to 1.1115; predict with t_11 by hand, upper RR 1.7848
    assert (lo, hi) == pytest.approx((0.1196953, 1.1114863), abs=2e-4)
    assert pi_t == pytest.approx(1.7848089, rel=1e-5)
    # "several-fold": the middle 95% of the true risk ratios span a factor above 3
    assert np.exp(2 * 1.96 * np.sqrt(fit.tau2)) > 3
    # I2 is relative: the same tau2 with smaller trials (larger v) gives a smaller I2
    assert sv.meta_analysis(y, 10 * v, tau2=fit.tau2).I2 < fit.I2


def test_estimators():
    df, y, v, fit = bcg()
    fits = {m: sv.meta_analysis(y, v, method=m) for m in METHODS}
    re_ = {m: f for m, f in fits.items() if m != "EE"}
    lo = min(re_, key=lambda m: re_[m].tau2)
    hi = max(re_, key=lambda m: re_[m].tau2)
    mus = [f.mu for f in re_.values()]
    stated(
        f"from {re_[lo].tau2:.3f} ({lo}) to {re_[hi].tau2:.3f} ({hi})",
        f"from {min(mus):.3f} to {max(mus):.3f}",
        f"$\\hat\\mu$ = {fits['EE'].mu:.3f}, a risk ratio of {np.exp(fits['EE'].mu):.3f}",
    )
    assert fits["EB"].tau2 == fits["PM"].tau2  # "EB and PM agree"
    # PM solves the generalized Q = k - 1
    pm = fits["PM"]
    assert np.sum((y - pm.mu) ** 2 / (v + pm.tau2)) == pytest.approx(pm.k - 1)
    stated("shrinkviz offers nine of metafor's choices", "eight estimators of $\\tau^2$")
    assert len(METHODS) == 9
    # the prediction interval grows with tau2 (over the estimators, in their order of tau2)
    order = sorted(re_.values(), key=lambda f: f.tau2)
    widths = [f.pi_ub - f.pi_lb for f in order]
    assert widths == sorted(widths)


def test_weights_of_the_largest_trial():
    df, y, v, fit = bcg()
    j = int(np.argmax(df["n"]))
    assert df["author"][j] == "TPT Madras"
    w_re, w_ee = 1 / (v + fit.tau2), 1 / v
    stated(
        f"TPT Madras ({df['n'][j]:,} people, {100 * df['n'][j] / df['n'].sum():.1f}% of all "
        f"participants), gets {100 * w_ee[j] / w_ee.sum():.1f}% of the weight; with REML's "
        f"$\\tau^2$ it gets {100 * w_re[j] / w_re.sum():.1f}%",
        f"(risk ratio {np.exp(y[j]):.2f}, 95% CI {np.exp(y[j] - 1.96 * np.sqrt(v[j])):.2f} to "
        f"{np.exp(y[j] + 1.96 * np.sqrt(v[j])):.2f})",
    )
    assert np.exp(y[j] - 1.96 * np.sqrt(v[j])) < 1 < np.exp(y[j] + 1.96 * np.sqrt(v[j]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.001, 10), min_size=2, max_size=10),
    st.floats(0, 5),
    st.floats(0.001, 5),
)
def test_adding_tau2_makes_the_weights_more_equal(v, tau2, more):
    v = np.array(v)
    r1 = (v.max() + tau2) / (v.min() + tau2)
    r2 = (v.max() + tau2 + more) / (v.min() + tau2 + more)
    assert 1 <= r2 <= r1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=3, max_size=10))
def test_general_statements(rows):
    y, v = np.array(rows).T
    for test in ("z", "knha"):
        f = sv.meta_analysis(y, v, method="REML", test=test)
        # the prediction interval is never narrower than the confidence interval
        assert f.pi_ub - f.pi_lb >= f.ci_ub - f.ci_lb - 1e-12
        # B grows with v: the least precise study has the largest B
        B = v / (v + f.tau2)
        assert (np.diff(B[np.argsort(v, kind="stable")]) >= -1e-15).all()
    z = sv.meta_analysis(y, v, method="REML")
    kh = sv.meta_analysis(y, v, method="REML", test="knha")
    k = len(y)
    s2 = np.sum((y - z.mu) ** 2 / (v + z.tau2)) / (k - 1)
    ratio = (kh.ci_ub - kh.ci_lb) / (z.ci_ub - z.ci_lb)
    if s2 * (k - 1) > 1e-9:  # (metafor, and meta_analysis, set s2 = 0 below machine epsilon)
        want = stats.t(k - 1).isf(0.025) * np.sqrt(s2) / stats.norm.isf(0.025)
        assert ratio == pytest.approx(want)
    # a given tau2 = 0 is the equal-effects fit (the slider's left end)
    ee, zero = sv.meta_analysis(y, v, method="EE"), sv.meta_analysis(y, v, tau2=0.0)
    assert zero.mu == pytest.approx(ee.mu) and zero.se == pytest.approx(ee.se)


def test_knapp_hartung_can_be_narrower():
    y, v = np.array([0.0, 0.01, -0.01, 0.02]), np.array([0.1, 0.1, 0.1, 0.1])
    z, kh = (sv.meta_analysis(y, v, method="REML", test=t) for t in ("z", "knha"))
    assert kh.ci_ub - kh.ci_lb < z.ci_ub - z.ci_lb


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=3, max_size=10))
def test_with_pm_knapp_hartung_is_always_wider(rows):
    y, v = np.array(rows).T
    z, kh = (sv.meta_analysis(y, v, method="PM", test=t) for t in ("z", "knha"))
    if z.tau2 > 1e-8:  # "s2 is exactly 1 whenever tau2 > 0"
        k = len(y)
        assert np.sum((y - z.mu) ** 2 / (v + z.tau2)) / (k - 1) == pytest.approx(1, abs=1e-6)
        assert kh.ci_ub - kh.ci_lb > z.ci_ub - z.ci_lb


def test_knapp_hartung_on_bcg():
    _, y, v, fit = bcg()
    kh = sv.meta_analysis(y, v, method="REML", test="knha")
    s2 = np.sum((y - fit.mu) ** 2 / (v + fit.tau2)) / (len(y) - 1)
    assert kh.se == pytest.approx(fit.se * np.sqrt(s2))
    stated(
        f"$s^2$ = {s2:.2f}",
        f"$t_{{12}}$ quantile, {stats.t(12).isf(0.025):.2f}, is larger than 1.96",
        f"interval is {kh.ci_lb:.3f} to {kh.ci_ub:.3f} (risk ratios "
        f"{np.exp(kh.ci_lb):.3f} to {np.exp(kh.ci_ub):.3f}) against {fit.ci_lb:.3f} to "
        f"{fit.ci_ub:.3f} for z",
    )


def test_leaving_the_largest_trial_out():
    df, y, v, fit = bcg()
    j = int(np.argmax(df["n"]))
    l1o = fit.leave1out()
    stated(
        f"$\\hat\\mu$ goes from {fit.mu:.3f} to {l1o.mu[j]:.3f} (risk ratio "
        f"{np.exp(l1o.mu[j]):.3f}) and $\\hat\\tau^2$ from {fit.tau2:.3f} to {l1o.tau2[j]:.3f}",
        "Click TPT Madras (the eighth row)",
    )
    assert j == 7
    most = int(np.argmax(np.abs(l1o.mu - fit.mu)))
    assert most != j
    stated(f"leaving out {df['author'][most]} moves it by {l1o.mu[most] - fit.mu:+.3f}")
    # "with the HE or SJ estimator the order of the two flips"; the others keep REML's order
    for m in METHODS[1:]:
        g = sv.meta_analysis(y, v, method=m)
        shift = np.abs(g.leave1out().mu - g.mu)
        assert (int(np.argmax(shift)) == j) == (m in ("HE", "SJ")), m
        assert int(np.argmax(shift)) in (j, most)
    # "the big trials get nearly equal weights"
    w = 1 / (v + fit.tau2)
    share = 100 * w / w.sum()
    sa = list(df["author"]).index("Stein & Aronson")
    assert np.argsort(-share)[:2].tolist() == [j, sa]
    stated(f"(TPT Madras {share[j]:.1f}%, Stein & Aronson {share[sa]:.1f}%)")
    # the explorer's click gives the same fit
    ex = sv.ForestExplorer.bcg()
    ex.click(j)
    assert ex.state.snapshot.forest.fit.mu == pytest.approx(l1o.mu[j], rel=1e-10)


def test_funnel():
    df, y, v, fit = bcg()
    se = np.sqrt(v)
    outside = np.abs(y - fit.mu) > stats.norm.isf(0.025) * se
    stated(
        f"(from {se.min():.3f} to {se.max():.3f} here)",
        f"Here {outside.sum()} of the {len(y)} fall outside",
        f"the log risk ratio is {np.corrcoef(df['ablat'], y)[0, 1]:.2f})",
    )
    # Egger's test is metafor's regtest(res): z = -0.8033, p = 0.4218 (metafor 3.8-1)
    egger = sv.meta_regression(y, v, se)
    assert egger.pval[1] == pytest.approx(0.4218, abs=1e-4)
    stated(f"gives p = {egger.pval[1]:.2f}")
    # "accounts for about three quarters of tau2" (metafor: R^2 = 75.62%)
    r2 = sv.meta_regression(y, v, df["ablat"].to_numpy()).R2
    assert r2 == pytest.approx(75.62, abs=0.01) and 70 < r2 < 80
    stated("accounts for about three quarters of $\\tau^2$")
    # centred on the equal-effects estimate instead, 6 of 13 fall outside
    ee = sv.meta_analysis(y, v, method="EE")
    assert (np.abs(y - ee.mu) > stats.norm.isf(0.025) * se).sum() == 6
    ex = sv.ForestExplorer.bcg()
    f = ex.state.snapshot.forest
    assert f.funnel_ub[1] - f.fit.mu == pytest.approx(stats.norm.isf(0.025) * se.max())


def test_shrinkage():
    df, y, v, fit = bcg()
    B = v / (v + fit.tau2)
    j, madras = int(np.argmax(B)), int(np.argmax(df["n"]))
    stated(
        f"{df['author'][j]} ($B$ = {B[j]:.2f}), while TPT Madras ($B$ = {B[madras]:.2f})",
    )
    np.testing.assert_allclose(fit.blup().pred, (1 - B) * y + B * fit.mu, rtol=1e-12)
