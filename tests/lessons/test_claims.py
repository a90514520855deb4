"""Every number a lesson's text states is recomputed here from the package and must appear,
as written, in the lesson's markdown: text and code (and picture) cannot drift apart.

Each test recomputes what the lesson computes (with the lesson's seeds) and checks the
rounded number's text against the markdown cells of the notebook.
"""

import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

import shrinkviz as sv
from shrinkviz.widgets.explorers import RADON_COUNTIES

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@cache
def markdown(stem: str) -> str:
    """The markdown cells of a lesson, joined, with every run of white space one blank."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"\s+", " ", text)


def stated(stem: str, *phrases: str) -> None:
    text = markdown(stem)
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in text]
    assert not missing, f"{stem} does not state {missing}"


def not_stated(stem: str, *phrases: str) -> None:
    text = markdown(stem)
    present = [p for p in phrases if p in text]
    assert not present, f"{stem} still states {present}"


def avg(x: float) -> str:
    """A batting average as baseball writes it: .280"""
    return f"{x:.3f}".lstrip("0")


# ---- lesson 04 -----------------------------------------------------------------------------------

L04 = "04-baseball"


def _baseball():
    players = sv.data.baseball()
    y, truth = players["avg45"].to_numpy(), players["rest_avg"].to_numpy()
    v = np.full(len(y), y.mean() * (1 - y.mean()) / 45)
    fit = sv.meta_analysis(y, v, method="REML")
    return players, y, truth, v, fit, sv.posterior(y, v, fit.tau2), sv.james_stein(y, v[0])


def test_lesson04_noise_and_reml():
    players, y, truth, v, fit, post, _ = _baseball()
    stated(L04, f"sd {np.sqrt(v[0]):.3f}", f"(sd {y.std(ddof=1):.3f})")
    rest = players["remaining_at_bats"]
    stated(L04, f"{rest.min()} to {rest.max()} further at-bats")
    ratio = ((post.mean - truth) ** 2).sum() / ((y - truth) ** 2).sum()
    stated(L04, f"about a third (ratio {ratio:.2f})")
    assert abs(ratio - 1 / 3) < 0.05
    stated(L04, f"shrinking him to {avg(post.mean[0])} undershoots his {avg(truth[0])}")
    assert players["player"][0] == "Clemente"


def test_lesson04_james_stein_against_reml():
    players, y, truth, v, fit, post, js = _baseball()
    k = len(y)
    stated(L04, f"$c = 1 - B = {1 - js.B:.3f}$", f"grand average {avg(js.mu0)}")
    closer_js = np.abs(js.mean - truth) < np.abs(y - truth)
    closer_reml = np.abs(post.mean - truth) < np.abs(y - truth)
    stated(
        L04,
        f"moves {closer_js.sum()} of the {k} players closer",
        f"($B = {post.B[0]:.3f}$) moves {closer_reml.sum()}.",
    )
    sse_reml, sse_js = ((post.mean - truth) ** 2).sum(), ((js.mean - truth) ** 2).sum()
    stated(L04, f"nearly tie on these data (REML plug-in {sse_reml:.4f}, James-Stein {sse_js:.4f})")
    stated(L04, "the numbers of Efron and Morris's 1977 *Scientific American* article")
    np.testing.assert_allclose(post.B[0] / js.B, (k - 1) / (k - 3), rtol=1e-6)
    stated(L04, f"(here ${k - 1}/{k - 3}$;")
    losers = set(players["player"][~closer_js])
    assert losers == {"Swaboda", "Rodriguez"}
    stated(L04, "(Swoboda, `Swaboda` in the table, and Rodriguez did not)")


def test_lesson04_rest_of_season_noise():
    """The "truth" is noisy: binomial sd over the remaining at-bats, and its share of the
    variance of the rest-of-season averages."""
    players, _, truth, _, _, _, _ = _baseball()
    noise = truth * (1 - truth) / players["remaining_at_bats"].to_numpy()
    share = noise.mean() / truth.var(ddof=1)
    stated(
        L04,
        f"about {avg(np.sqrt(noise).min())} to {avg(np.sqrt(noise).max())}, and that noise makes "
        f"up about {share:.0%} of the variance",
        f"about {share:.0%} of its variance is binomial noise",
    )


@pytest.mark.slow  # a seeded simulation, a few seconds
def test_lesson04_both_constants_beat_the_raw_values():
    """c = k - 1 (REML plug-in) lies in (0, 2(k - 3)), so it beats the raw values for every theta
    (exact without the cut-off: risk = k v - v^2 (2c(k - 3) - c^2) E[1/S]); with the cut-off the
    plug-in wins when the true means are equal, James-Stein when they are far apart."""
    _, y, truth, v, _, _, _ = _baseball()
    k, v = len(y), v[0]
    assert 0 < k - 1 < 2 * (k - 3) and (2 * (k - 3) * (k - 3) - (k - 3) ** 2) > (
        2 * (k - 1) * (k - 3) - (k - 1) ** 2
    )
    stated(L04, "REML's $c = 17$ lies inside that range", "($2(k - 3) = 30$)")
    stated(
        L04,
        "With $k \\le 5$ the plug-in has no such guarantee",
        "(the plug-in when they are nearly equal)",
    )
    rng = np.random.default_rng(3)
    centre = truth.mean()
    risks = {}
    for name, theta in [
        ("equal", np.full(k, centre)),
        ("truth", truth),
        ("far", centre + 10 * (truth - centre)),
    ]:
        ys = theta + rng.normal(0, np.sqrt(v), (20_000, k))
        d = ys - ys.mean(axis=1, keepdims=True)
        S = (d**2).sum(axis=1, keepdims=True)
        loss = {
            c: (
                (ys.mean(axis=1, keepdims=True) + (1 - np.minimum(1, c * v / S)) * d - theta) ** 2
            ).sum(axis=1)
            for c in (k - 3, k - 1)
        }
        raw = ((ys - theta) ** 2).sum(axis=1)
        for c in loss:  # both beat the raw values (common random numbers, 4 standard errors)
            gain = raw - loss[c]
            assert gain.mean() > 4 * gain.std() / np.sqrt(len(gain)), (name, c)
        diff = loss[k - 1] - loss[k - 3]
        risks[name] = (diff.mean(), diff.std() / np.sqrt(len(diff)))
    assert risks["equal"][0] < -4 * risks["equal"][1]  # the plug-in wins
    assert risks["far"][0] > 4 * risks["far"][1]  # James-Stein wins


def test_lesson04_arcsine_scale():
    _, y, truth, _, _, _, _ = _baseball()

    def arcsine(p):
        return np.sqrt(45) * np.arcsin(2 * p - 1)

    x, xt = arcsine(y), arcsine(truth)
    ones = np.ones(len(x))
    reml = sv.posterior(x, ones, sv.meta_analysis(x, ones, method="REML").tau2).mean
    js = sv.james_stein(x, 1.0).mean
    raw = ((x - xt) ** 2).sum()
    ratios = {f"{((e - xt) ** 2).sum() / raw:.2f}" for e in (reml, js)}
    assert len(ratios) == 1
    stated(L04, f"(ratios {ratios.pop()})")


def test_lesson04_picture_ranges():
    """The three rows of the figure: what the text says about their widths."""
    _, y, truth, _, fit, post, _ = _baseball()
    stated(
        L04,
        f"spread from {avg(y.min())} to {avg(y.max())}",
        f"rest-of-season averages from {avg(truth.min())} to {avg(truth.max())}",
        f"squeezed into {avg(post.mean.min())} to {avg(post.mean.max())}",
        f"$\\hat\\tau$ ({np.sqrt(fit.tau2):.3f} by REML)",
    )
    assert np.ptp(post.mean) < np.ptp(truth) < np.ptp(y)
    not_stated(L04, "same narrow range")


# ---- lesson 02 -----------------------------------------------------------------------------------

L02 = "02-eight-schools"


def _schools():
    schools = sv.data.eight_schools()
    return schools["school"].to_numpy(), schools["y"].to_numpy(), schools["v"].to_numpy()


def test_lesson02_q_and_the_boundary():
    from scipy import stats

    _, y, v = _schools()
    dl, reml = sv.meta_analysis(y, v, "DL"), sv.meta_analysis(y, v, "REML")
    assert dl.tau2 == 0 and reml.tau2 == 0 and reml.I2 == 0
    p = stats.chi2.cdf(reml.Q, len(y) - 1)
    stated(
        L02,
        f"$Q$ is about {reml.Q:.2f}",
        f"in {p:.0%} of such experiments",
        f"($P(\\chi^2_7 \\le {reml.Q:.2f}) = {p:.2f}$)",
    )
    low, high = reml.tau2_ci()
    assert low == 0
    stated(
        L02,
        f"values up to about {high:.0f}",
        f"standard deviation of {high**0.5:.0f}",
        f"to get {high:.0f}",
    )


def test_lesson02_reml_can_be_positive_with_small_q():
    """The lesson says REML can give tau2 > 0 with Q < k - 1 when the v_j differ: an example."""
    y = np.array([-0.637, -2.046, -0.674, 0.028, -3.049, -0.582, -2.535])
    v = np.array([0.82, 2.613, 1.17, 0.448, 1.72, 7.071, 4.14])
    fit = sv.meta_analysis(y, v, "REML")
    assert fit.Q < len(y) - 1 and fit.tau2 > 0.1
    assert sv.meta_analysis(y, v, "DL").tau2 == 0
    stated(L02, "REML can give $\\tau^2 > 0$ with $Q < k - 1$ when the $v_j$ differ")


def test_lesson02_other_estimators():
    _, y, v = _schools()
    tau2 = {m: sv.meta_analysis(y, v, m).tau2 for m in ["EE", "HE", "HS", "SJ", "ML", "EB", "PM"]}
    assert all(t == 0 for m, t in tau2.items() if m != "SJ")
    stated(L02, "all but SJ give 0", f"SJ says about {tau2['SJ']:.0f}", f"SJ's {tau2['SJ']:.0f}")
    stated(
        L02,
        f"plain variance of the $y_j$ ({y.var(ddof=1):.0f})",
        f"average sampling variance ({v.mean():.0f})",
    )
    assert y.var(ddof=1) < v.mean()  # why HE truncates
    # "SJ never gives 0 unless all y_j are equal": even data far less spread than their v_j
    rng = np.random.default_rng(0)
    for _ in range(200):
        y_small = rng.normal(0.0, 0.01, len(v))
        assert sv.meta_analysis(y_small, v, "SJ").tau2 > 0
    assert sv.meta_analysis(np.full(len(v), 3.0), v, "SJ").tau2 == 0
    stated(L02, "so it never gives 0 unless all $y_j$ are equal")


@pytest.mark.slow  # the lesson's seeded simulation, a few seconds
def test_lesson02_reml_zero_simulation():
    """The lesson's simulation, same seed: the shares it states (and each run under 10 s)."""
    import time

    _, y, v = _schools()
    rng = np.random.default_rng(2027)
    shares = []
    for tau in [5.0, 10.0]:
        start = time.perf_counter()
        zero = sum(
            sv.meta_analysis(
                rng.normal(0.0, tau, len(y)) + rng.normal(0.0, np.sqrt(v)), v, "REML"
            ).tau2
            == 0.0
            for _ in range(1000)
        )
        shares.append(zero / 1000)
        print(f"tau = {tau}: {time.perf_counter() - start:.1f} s")
    stated(L02, f"returned exactly 0 in {shares[0]:.0%}", f"and in {shares[1]:.0%} when it was 10")
    se = max(np.sqrt(s * (1 - s) / 1000) for s in shares)
    stated(L02, f"give or take at most about {100 * se:.0f} percentage points: one standard error")
    # the shares the issue quotes from a larger run (45% and 23%) lie within the noise
    assert abs(shares[0] - 0.45) < 3 * se and abs(shares[1] - 0.23) < 3 * se


def test_lesson02_plug_in_and_full_bayes():
    from scipy import optimize

    names, y, v = _schools()
    at_zero = sv.posterior(y, v, 0.0)
    stated(
        L02,
        f"within $\\pm {np.sqrt(at_zero.var[0]):.1f}$ points",
        f"would claim (${{\\pm}} {np.sqrt(at_zero.var[0]):.1f}$)".replace("{\\pm}", "\\pm"),
    )
    mu_hat = np.array([sv.posterior(y, v, t**2).mu0 for t in np.linspace(0, 200, 401)])
    lo, hi = mu_hat.min(), mu_hat.max()
    assert lo < hi < y.mean()
    assert np.all(np.diff(mu_hat) >= 0)
    stated(
        L02,
        f"from {lo:.2f} at $\\tau = 0$",
        f"toward {y.mean():.2f}, the plain average",
        f"complete pooling ({lo:.2f})",
    )
    above = "".join(names[y > y.mean()])
    below = "".join(names[y < lo])
    stated(
        L02, f"above {y.mean():.2f} ({', '.join(above)})", f"below {lo:.2f} ({', '.join(below)})"
    )
    fb = sv.full_bayes(y, v)
    between = (np.minimum(y, lo) <= fb.mean) & (fb.mean <= np.maximum(y, lo))
    assert between.all()
    stated(L02, f"School A gets about {fb.mean[0]:.0f} points")
    match = [
        optimize.brentq(lambda t2, j=j: sv.posterior(y, v, t2).mean[j] - fb.mean[j], 1e-6, 1e5)
        for j in range(len(y))
    ]
    stated(L02, f"runs from {min(match):.0f} to {max(match):.0f} depending on the school")
    bda3 = np.array([10, 8, 7, 8, 5, 6, 10, 8])  # BDA3 table 5.3, from 200 draws
    assert np.abs(fb.quantiles([0.5])[:, 0] - bda3).max() < 0.7
    stated(L02, "as 10, 8, 7, 8, 5, 6, 10 and 8 points")


# ---- lesson 01 -----------------------------------------------------------------------------------

L01 = "01-pooling"
N1 = np.array([1, 1, 2, 2, 3, 4, 5, 8, 12, 20, 30, 50])
SIGMA2, TAU2, MU0 = 4.0, 1.0, 10.0


def _simulate_means(rng):
    """The lesson's simulate_means: true means, then group means N(mu_j, sigma2 / n_j)."""
    mu = rng.normal(MU0, np.sqrt(TAU2), size=len(N1))
    return mu, mu + rng.normal(size=len(N1)) * np.sqrt(SIGMA2 / N1)


@pytest.mark.slow  # the lesson's seeded simulation, a few seconds
def test_lesson01_wins_and_losses():
    rng = np.random.default_rng(2027)
    wins = 0
    for _ in range(300):
        truth, ybar = _simulate_means(rng)
        partial = sv.posterior(ybar, SIGMA2 / N1, tau2=TAU2).mean
        wins += ((partial - truth) ** 2).sum() < ((ybar - truth) ** 2).sum()
    stated(L01, f"In {300 - wins} of these 300 data sets no pooling did better")
    stated(L01, f"With {N1.sum()} measurements here")


@pytest.mark.slow  # the lesson's seeded simulation, a few seconds
def test_simulated_means_are_simulate_groups_means():
    """Drawing the group means directly has the distribution of simulate_groups' means:
    the same mean and variance per group over many seeds (sufficiency of ybar)."""
    rng = np.random.default_rng(1)
    direct = np.array([_simulate_means(rng)[1] for _ in range(4000)])
    rows = np.array(
        [
            sv.data.simulate_groups(J=len(N1), n=N1, sigma2=SIGMA2, tau2=TAU2, mu0=MU0, seed=s)
            .groupby("group")["y"]
            .mean()
            .to_numpy()
            for s in range(400)
        ]
    )
    expected_var = TAU2 + SIGMA2 / N1
    for sample in (direct, rows):
        se = np.sqrt(2 * expected_var**2 / len(sample))
        assert np.all(np.abs(sample.var(axis=0) - expected_var) < 5 * se)
        assert np.all(np.abs(sample.mean(axis=0) - MU0) < 5 * np.sqrt(expected_var / len(sample)))


@pytest.mark.slow  # the lesson's seeded simulation, a few seconds
def test_lesson01_losing_group():
    """The lesson's simulation (same seed), and the exact expected squared errors of the
    linear estimator (1 - B) y + B mu0_hat at the fixed true means: bias^2 + variance."""
    v = SIGMA2 / N1
    rng = np.random.default_rng(7)
    truth = MU0 + rng.normal(0.0, np.sqrt(TAU2), size=len(N1))
    truth[0] = MU0 + 3.0
    ybar = truth + rng.normal(size=(10_000, len(N1))) * np.sqrt(v)
    partial = np.array([sv.posterior(row, v, tau2=TAU2).mean for row in ybar])
    sim_none = ((ybar - truth) ** 2).mean(axis=0)
    sim_partial = ((partial - truth) ** 2).mean(axis=0)
    w = 1 / (v + TAU2)
    B = v / (v + TAU2)
    A = np.diag(1 - B) + np.outer(B, w / w.sum())  # estimate = A @ ybar
    exact = (A @ truth - truth) ** 2 + (A**2) @ v
    assert exact[0] > v[0] and np.all(exact[1:] < v[1:])  # only group 0 loses
    assert np.all(sim_partial[1:] < sim_none[1:]) and sim_partial[0] > sim_none[0]
    stated(
        L01,
        f"about {sim_partial[0]:.1f} with partial pooling against about "
        f"{sim_none[0]:.1f} with no pooling",
        f"are {exact[0]:.2f} and {v[0]:.0f})",
    )


@pytest.mark.slow  # the lesson's seeded simulation, a few seconds
def test_lesson01_plug_in_coverage():
    import time

    start = time.perf_counter()
    v = SIGMA2 / N1
    rng = np.random.default_rng(2027)
    plug, true = np.zeros(len(N1)), np.zeros(len(N1))
    for _ in range(500):
        mu, ybar = _simulate_means(rng)
        tau2_hat = sv.meta_analysis(ybar, v, method="REML").tau2
        for acc, t2 in [(plug, tau2_hat), (true, TAU2)]:
            low, high = sv.posterior(ybar, v, tau2=t2).interval(0.95)
            acc += (low <= mu) & (mu <= high)
    print(f"coverage simulation: {time.perf_counter() - start:.1f} s")
    small = N1 <= 5
    plug, true = plug[small] / 500, true[small] / 500
    stated(
        L01,
        f"only about {plug.mean():.0%} of the time ({plug.min():.0%} to {plug.max():.0%} by "
        f"group); with the true $\\tau^2$ they cover {true.mean():.0%}",
    )
    assert plug.max() < 0.92 and abs(true.mean() - 0.95) < 0.015  # 3500 intervals
    se = np.sqrt(plug.mean() * (1 - plug.mean()) / 500)
    stated(
        L01, f"give or take about {100 * se:.1f} percentage points, one simulation standard error"
    )
    assert 0.95 - plug.mean() > 3 * se  # "the shortfall is not" noise


def test_lesson01_explorer_matches_the_text():
    """Exercise 3 asks for 8 on the "scale every n" slider: the slider must offer it, and the
    explorer numbers the groups as the tables do."""
    import math

    df = sv.data.simulate_groups(J=len(N1), n=N1, sigma2=SIGMA2, tau2=TAU2, mu0=MU0, seed=2027)
    groups = df.groupby("group").agg(n=("y", "size"), ybar=("y", "mean"))
    ex = sv.ShrinkageExplorer.from_groups(groups["ybar"], groups["n"], SIGMA2, labels=groups.index)
    assert list(ex.state.labels) == [str(g) for g in groups.index]
    sliders = [s for s in _widgets(ex) if getattr(s, "description", "") == "scale every n"]
    assert len(sliders) == 1
    s = sliders[0]
    steps = (math.log(8, s.base) - s.min) / s.step
    assert s.min <= math.log(8, s.base) <= s.max and abs(steps - round(steps)) < 1e-9
    stated(L01, 'move the "scale every n" slider to 8')
    not_stated(L01, "ten times larger")


def _widgets(root):
    """Every widget below ``root`` (children of boxes)."""
    out, todo = [], [root]
    while todo:
        w = todo.pop()
        out.append(w)
        todo.extend(getattr(w, "children", ()))
    return out


# ---- lesson 03 -----------------------------------------------------------------------------------

L03 = "03-radon"
COUNTIES = list(RADON_COUNTIES)  # the explorer's panels, which the lesson describes


def test_lesson03_fit_and_counties():
    import pandas as pd

    radon = sv.data.radon()
    stated(L03, f"measured it in {len(radon)} houses in {radon['county'].nunique()} counties")
    fit = sv.pooling_fit_frame(radon, x="floor", y="log_radon", group="county")
    p = fit.partial_pooling
    stated(
        L03,
        f"$\\mu_\\alpha = {p.mu_alpha:.2f}$, $\\beta = {p.beta:.2f}$",
        f"$\\sigma = {np.sqrt(fit.sigma2):.2f}$",
        f"$\\tau = {np.sqrt(fit.tau2):.2f}$",
        f"$e^{{{fit.partial_pooling.beta:.2f}}} \\approx {np.exp(fit.partial_pooling.beta):.1f}$",
    )
    n = pd.Series(np.asarray(fit.n), index=fit.groups)
    none = pd.Series(np.asarray(fit.no_pooling.alpha), index=fit.groups)
    assert none[COUNTIES].idxmax() == "LACQUIPARLE"
    assert list(n[COUNTIES]) == sorted(n[COUNTIES])  # "from the smallest to the largest"
    stated(
        L03,
        f"Lac qui Parle, with {n['LACQUIPARLE']} houses, has the highest no-pooling",
        f"St. Louis, with {n['STLOUIS']} houses",
        f"Clay county ({n['CLAY']} houses)",
    )


def test_lesson03_spread_by_size():
    import pandas as pd

    radon = sv.data.radon()
    fit = sv.pooling_fit_frame(radon, x="floor", y="log_radon", group="county")
    df = pd.DataFrame(
        {
            "n": np.asarray(fit.n),
            "none": np.asarray(fit.no_pooling.alpha),
            "partial": np.asarray(fit.partial_pooling.alpha),
        }
    )
    size = pd.cut(df["n"], [0, 3, 10, 30, 200])
    sd = df.groupby(size, observed=True)[["none", "partial"]].std()
    small, large = sd.iloc[0], sd.iloc[-1]
    tau = np.sqrt(fit.tau2)
    assert small["partial"] < tau < small["none"]  # shrinkage removes real variation too
    stated(
        L03,
        f"no-pooling intercepts spread out a lot (sd {small['none']:.2f})",
        f"spread out with sd {small['partial']:.2f}",
        f"$\\hat\\tau = {tau:.2f}$",
        f"nearly agree ({large['none']:.2f} and {large['partial']:.2f})",
    )
    not_stated(L03, "removes most of that", "Beside them, the overview")


def test_lesson03_clay():
    radon = sv.data.radon()
    clay = radon[radon["county"] == "CLAY"]
    first = clay.iloc[0]
    assert first["floor"] == 1
    stated(
        L03,
        f"measured on the first floor with a low reading (log radon ${first['log_radon']:.2f}$)",
    )


# ---- lesson 05 -----------------------------------------------------------------------------------

L05 = "05-your-data"


def _survey():
    import io

    import nbformat
    import pandas as pd

    nb = nbformat.read(NOTEBOOKS / f"{L05}.ipynb", as_version=4)
    src = next(c.source for c in nb.cells if c.source.startswith("csv_text"))
    text = src.split('"""')[1]
    return pd.read_csv(io.StringIO(text))


def test_lesson05_centring():
    survey = _survey()
    stated(
        L05, f"only {(survey['hours'] == 0).sum()} of the {len(survey)} students studied 0 hours"
    )
    fit = sv.pooling_fit_frame(survey, x="hours", y="score", group="classroom")
    c = survey.assign(hours_c=survey["hours"] - survey["hours"].mean())
    fit_c = sv.pooling_fit_frame(c, x="hours_c", y="score", group="classroom")
    mean = survey["hours"].mean()
    # "every intercept moves by its slope times the mean hours; sigma2, tau2, slopes the same"
    np.testing.assert_allclose(
        fit_c.partial_pooling.alpha,
        np.asarray(fit.partial_pooling.alpha) + fit.partial_pooling.beta * mean,
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        fit_c.no_pooling.alpha,
        np.asarray(fit.no_pooling.alpha) + fit.no_pooling.beta * mean,
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        [fit_c.sigma2, fit_c.tau2, fit_c.partial_pooling.beta],
        [fit.sigma2, fit.tau2, fit.partial_pooling.beta],
        rtol=1e-6,
    )
    stated(
        L05,
        f"REML estimates from {len(survey)} students in {survey['classroom'].nunique()} classrooms",
    )


def test_lesson05_ci_to_se():
    from scipy import stats

    q = stats.t.ppf(0.975, df=12 + 12 - 2)
    stated(
        L05,
        f"for example {q:.2f} for 12 + 12 people",
        f"about {100 * (q / 1.96 - 1):.0f}% too large",
    )
    studies = sv.data.teacher_expectancy()
    both = min(studies["n1i"].min(), studies["n2i"].min())
    stated(L05, f"with as few as {both} pupils per group")


def test_lesson05_meta_analysis():
    studies = sv.data.teacher_expectancy()
    y, v = studies["yi"], studies["vi"]
    z = sv.meta_analysis(y, v, "REML")
    kh = sv.meta_analysis(y, v, "REML", test="knha")
    assert f"{z.mu:.4f}" == "0.0837" and round(z.I2) == 42  # the published numbers
    stated(
        L05,
        f"The average effect is {z.mu:.3f}",
        f"from {z.ci_lb:.3f} to {z.ci_ub:.3f} by the default method",
        f"from {kh.ci_lb:.3f} to {kh.ci_ub:.3f} by Knapp-Hartung",
        f"({z.pi_lb:.2f} to {z.pi_ub:.2f}, or {kh.pi_lb:.2f} to {kh.pi_ub:.2f} with the $t$",
    )
    assert kh.ci_ub - kh.ci_lb > z.ci_ub - z.ci_lb
    assert z.pi_lb < 0 < z.pi_ub and z.pi_ub - z.pi_lb > 2 * (z.ci_ub - z.ci_lb)
    # the two Pellegrini & Hicks studies have distinct labels, told apart by the tester
    assert studies["label"].is_unique
    ph = studies[studies["author"] == "Pellegrini & Hicks"]
    assert list(ph["label"]) == [f"Pellegrini & Hicks ({t})" for t in ph["tester"]]
    # "the effect mostly in studies with little prior contact"
    little = studies["weeks"] <= 1
    few, many = (sv.meta_analysis(y[m], v[m]).mu for m in (little, ~little))
    assert few > 0.3 and abs(many) < 0.05
    stated(L05, f"{len(studies)} studies as exchangeable")


def test_lesson05_one_row_per_group_is_refused():
    """The lesson shows that one row per group cannot split sigma2 and tau2, and that giving
    one of them is the fix."""
    one_each = _survey().groupby("classroom").head(1)
    with pytest.raises(ValueError, match="only their sum"):
        sv.pooling_fit_frame(one_each, x="hours", y="score", group="classroom")
    fit = sv.pooling_fit_frame(one_each, x="hours", y="score", group="classroom", sigma2=25.0)
    assert fit.sigma2 == 25.0
    stated(L05, "only that sum can be estimated", "(`sigma2=...` or `tau2=...`)")


def test_lesson02_school_a_and_the_plug_in_factors():
    names, y, v = _schools()
    se = np.sqrt(v)
    low, high = y[0] - 1.96 * se[0], y[0] + 1.96 * se[0]
    inside = (low <= y) & (y <= high)
    assert list(names[~inside]) == ["C"]
    stated(
        L02,
        f"school A's {y[0]:.0f} points come with a standard error of {se[0]:.0f}",
        f"runs from about ${low:.0f}$ to ${high:.0f}$",
        "all the other schools but C",
    )
    lows, highs = y - 1.96 * se, y + 1.96 * se
    assert lows.max() < highs.min()  # "the intervals of all eight schools overlap"
    reml = sv.posterior(y, v, sv.meta_analysis(y, v, "REML").tau2)
    sj = sv.posterior(y, v, sv.meta_analysis(y, v, "SJ").tau2)
    assert np.all(reml.B == 1)
    stated(
        L02,
        f"about {reml.mu0:.1f} points: complete pooling",
        f"$B_j$ ranges from about {sj.B.min():.1f} to {sj.B.max():.1f}",
    )


def test_lesson03_sizes_and_weights():
    radon = sv.data.radon()
    n = radon.groupby("county").size()
    assert n.max() > 100 and n.min() == 1
    stated(L03, "Some counties have more than 100 measured houses, some only one.")
    fit = sv.pooling_fit_frame(radon, x="floor", y="log_radon", group="county")
    B1 = fit.sigma2 / (fit.sigma2 + fit.tau2)  # n_j = 1
    assert B1 > 0.8
    stated(L03, "with $n_j = 1$ most of the weight goes to")


def test_lesson03_sigma2_slider_doubles_in_six_steps():
    """Exercise 3 asks to double sigma2 by six steps of its slider."""
    ex = sv.PoolingLinesExplorer.radon()
    (s,) = [w for w in _widgets(ex) if getattr(w, "description", "") == "σ² (sigma2)"]
    assert abs(s.base ** (6 * s.step) - 2) < 0.01
    start = s.value
    s.value = s.base ** (np.log(start) / np.log(s.base) + 6 * s.step)
    assert abs(ex.state.sigma2 / start - 2) < 0.01
    stated(L03, "double $\\sigma^2$ (six steps to the right on its slider)")


def test_lesson05_knapp_hartung_and_prediction_interval():
    """metafor's definitions: KH rescales se by sqrt(s2), s2 = sum w (y - mu)^2 / (k - 1) with
    w = 1 / (v + tau2), uncapped, and uses t_(k-1); the PI is mu +- q sqrt(se^2 + tau2) with
    q = z or t_(k-1). The lesson says KH can be narrower than the default: an example."""
    from scipy import stats

    studies = sv.data.teacher_expectancy()
    y, v = studies["yi"].to_numpy(), studies["vi"].to_numpy()
    k = len(y)
    z = sv.meta_analysis(y, v, "REML")
    kh = sv.meta_analysis(y, v, "REML", test="knha")
    w = 1 / (v + z.tau2)
    s2 = (w * (y - z.mu) ** 2).sum() / (k - 1)
    np.testing.assert_allclose(kh.se, z.se * np.sqrt(s2), rtol=1e-6)
    t = stats.t.ppf(0.975, k - 1)
    for r, q in [(z, stats.norm.ppf(0.975)), (kh, t)]:
        half = q * np.sqrt(r.se**2 + r.tau2)
        np.testing.assert_allclose([r.pi_lb, r.pi_ub], [r.mu - half, r.mu + half], rtol=1e-6)
    stated(L05, "the $t$ quantile with $k - 1$ degrees of freedom (and the Knapp-Hartung $se$)")
    # studies that agree more closely than their variances predict: KH is narrower
    y_close = np.array([0.10, 0.12, 0.09, 0.11, 0.10, 0.13])
    v_close = np.full(6, 0.02)
    a, b = (sv.meta_analysis(y_close, v_close, "REML", test=t_) for t_ in ("z", "knha"))
    assert b.ci_ub - b.ci_lb < a.ci_ub - a.ci_lb
    stated(L05, "can give a narrower interval than the default one")


def test_lesson05_ratio_example_is_symmetric_on_the_log_scale():
    """The odds ratio 1.8 (1.1 to 2.9): log 1.8 lies midway between the logs of the limits
    up to the rounding of the estimate to one decimal."""
    mid = (np.log(1.1) + np.log(2.9)) / 2
    assert np.log(1.75) < mid < np.log(1.85)
    stated(L05, "the log of the estimate lies midway between the logs of the limits")
