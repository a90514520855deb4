"""Lesson 10 (many groups): every number its text states is recomputed here, with the lesson's
seed, and found in its markdown as written; every general statement is checked on ten more
seeds, so that it is not true for the lesson's seed only."""

import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import shrinkviz as sv

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "10-many-groups.ipynb"
K = 50  # the top and bottom of a ranking


@cache
def markdown() -> str:
    nb = nbformat.read(LESSON, as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"\s+", " ", text)


def stated(*phrases: str) -> None:
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in markdown()]
    assert not missing, f"lesson 10 does not state {missing}"


def counties(seed):
    """The lesson's simulation and analysis (its code, with ``seed`` for 10)."""
    rng = np.random.default_rng(seed)
    J = 3000
    n = np.maximum(1, np.round(np.exp(rng.normal(np.log(20), 1.3, J)))).astype(int)
    sim = sv.data.simulate_groups(J, n, sigma2=1.0, tau2=0.05, seed=rng)
    df = sim.rename(columns={"group": "county"})
    by = df.groupby("county")
    table = pd.DataFrame({"n": by.size(), "ybar": by["y"].mean(), "mu": by["mu"].first()})
    resid = df["y"] - by["y"].transform("mean")
    sigma2 = float((resid**2).sum() / (len(df) - J))
    v = sigma2 / table["n"].to_numpy()
    fit = sv.meta_analysis(table["ybar"], v, method="REML")
    table["pooled"] = sv.posterior(table["ybar"], v, fit.tau2).mean
    true_top = set(table.nlargest(K, "mu").index)
    raw_top, pooled_top = table.nlargest(K, "ybar"), table.nlargest(K, "pooled")
    return {
        "df": df,
        "table": table,
        "sigma2": sigma2,
        "tau2": fit.tau2,
        "raw_top_n": raw_top["n"].median(),
        "raw_low_n": table.nsmallest(K, "ybar")["n"].median(),
        "pooled_top_n": pooled_top["n"].median(),
        "true_top_n": table.nlargest(K, "mu")["n"].median(),
        "all_n": table["n"].median(),
        "raw_hits": len(true_top & set(raw_top.index)),
        "pooled_hits": len(true_top & set(pooled_top.index)),
        "raw_rho": stats.spearmanr(table["ybar"], table["mu"])[0],
        "pooled_rho": stats.spearmanr(table["pooled"], table["mu"])[0],
    }


@cache
def lesson():
    return counties(10)


def test_the_simulated_country():
    c = lesson()
    n = c["table"]["n"]
    stated(
        f"measured {len(c['df']):,} residents in 3,000 counties: from {n.min()} to {n.max()} "
        f"per county, with a median of {n.median():g}."
    )
    assert len(c["table"]) == 3000
    stated(f"pooled over {len(c['df']) - 3000:,} degrees of freedom")


def test_both_ends_of_the_raw_ranking_are_small_counties():
    c = lesson()
    stated(
        f"The 50 highest raw means come from counties with a median of {c['raw_top_n']:g} "
        f"residents measured, the 50 lowest from counties with a median of {c['raw_low_n']:g}, "
        f"while the median county has {c['all_n']:g}"
    )


def test_why_small_counties_scatter():
    # var(ybar_j) = tau2 + sigma2 / n_j, exactly, at the simulation's tau2 and sigma2
    small, large = np.sqrt(0.05 + 1 / 2), np.sqrt(0.05 + 1 / 200)
    stated(
        f"a county of 2 residents has a raw mean with sd {small:.2f}",
        f"a county of 200 one with sd {large:.2f}",
        "more than three times as widely",
    )
    assert small / large > 3


def test_the_variance_of_a_raw_mean_is_tau2_plus_sigma2_over_n():
    # the formula the lesson states, against the simulation itself: many counties of 2 and
    # of 200 residents, their raw means' variance around mu0 = 0
    rng = np.random.default_rng(1)
    for size in (2, 200):
        sim = sv.data.simulate_groups(4000, size, sigma2=1.0, tau2=0.05, seed=rng)
        ybar = sim.groupby("group")["y"].mean()
        expected = 0.05 + 1 / size
        se = expected * np.sqrt(2 / 4000)  # sd of a variance estimate of 4000 normal values
        assert abs((ybar**2).mean() - expected) < 4 * se


def test_shrinkage_factors():
    c = lesson()
    B = {m: (c["sigma2"] / m) / (c["sigma2"] / m + c["tau2"]) for m in (2, 200)}
    stated(
        f"keeps only {100 * (1 - B[2]):.0f}% of its distance from $\\mu_0$ ($B_j = {B[2]:.2f}$)",
        f"keeps {100 * (1 - B[200]):.0f}% of it ($B_j = {B[200]:.2f}$)",
    )


def test_partial_pooling_reranks():
    c = lesson()
    stated(
        f"the top 50 come from counties with a median of {c['pooled_top_n']:g} residents",
        f"The raw top 50 contain {c['raw_hits']} of the 50 counties whose true mean is highest; "
        f"the partial-pooling top 50 contain {c['pooled_hits']}",
        f"rises from {c['raw_rho']:.2f} to {c['pooled_rho']:.2f}",
        f"The 50 truly highest counties have a median of {c['true_top_n']:g}, much like all",
    )


@pytest.mark.slow  # ten more simulated countries, a few seconds
@pytest.mark.parametrize("seed", range(11, 21))
def test_the_statements_hold_for_other_seeds(seed):
    """What the text says in general: both ends of the raw ranking are far smaller counties
    than the median one; partial pooling's top is of larger counties than the median; it
    catches more of the truly highest than the raw ranking, but misses most of them; the
    rank correlation with the truth rises; the estimates are near the truth."""
    c = counties(seed)
    assert c["raw_top_n"] < c["all_n"] / 3 and c["raw_low_n"] < c["all_n"] / 3
    assert c["pooled_top_n"] > c["all_n"]
    assert c["raw_hits"] < c["pooled_hits"] < K / 2
    assert c["raw_rho"] < c["pooled_rho"]
    # the truly highest are sized much like all counties; the pooled top leans to large ones
    assert c["all_n"] / 2 < c["true_top_n"] < 2 * c["all_n"]
    assert c["pooled_top_n"] > 1.5 * c["true_top_n"]
    # "their size, more than their true mean, decides": the raw top is far smaller than the
    # truly highest counties
    assert c["raw_top_n"] < c["true_top_n"] / 3
    # regression to the mean: the raw top's true means lie much nearer mu0 = 0 than their raw
    # means, and the partial-pooling estimates predict where they lie
    top = c["table"].nlargest(K, "ybar")
    assert 0 < top["mu"].mean() < top["ybar"].mean() / 3
    assert abs(top["pooled"].mean() - top["mu"].mean()) < top["ybar"].mean() - top["mu"].mean()
    assert abs(c["sigma2"] - 1) < 0.05 and abs(c["tau2"] - 0.05) < 0.02


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_scaling_every_n(seed):
    """'Doubling every n_j changes B_j most for counties with n_j near sigma2/tau2, about 20,
    whose B_j is near 0.5 ... The large counties' short segments halve, and the smallest
    counties need many times more residents before they are pulled noticeably less.' The
    segment of county j is B_j |ybar_j - mu0|; the data stay, only B_j changes."""
    c = counties(seed)
    ratio = c["sigma2"] / c["tau2"]
    assert 18 < ratio < 23

    def B(n):
        return 1 / (1 + n / ratio)

    n = np.arange(1, 5000)
    change = B(n) - B(2 * n)
    peak = n[np.argmax(change)]
    assert ratio / 2 < peak < ratio and abs(B(peak) - 0.5) < 0.15
    large = n >= 200
    assert ((B(2 * n[large]) / B(n[large])) < 0.55).all()  # halve
    assert B(1) - B(2) < change.max() / 3  # the smallest move little
    assert B(1) - B(4) < 0.15  # even four times the residents


def test_the_ends_hold_out_until_tau2_is_nearly_0():
    c = lesson()
    n = c["table"]["n"].max()
    B = [(c["sigma2"] / n) / (c["sigma2"] / n + t) for t in (c["tau2"], c["tau2"] / 10)]
    assert B[0] < 0.05 and B[1] < 0.25  # the largest county still keeps most of its distance
    stated("the right end holds out until $\\tau^2$ is nearly 0")


def test_the_explorer_is_a_funnel_of_the_same_counties():
    """The lesson's explorer: its sigma2 and REML tau2 are the lesson's, its figure a WebGL
    funnel across n_j, its selector searchable ("type a county")."""
    c = lesson()
    e = sv.ShrinkageExplorer.from_frame(c["df"], y="y", group="county", tau2=c["tau2"])
    assert e.state.sigma2 == pytest.approx(c["sigma2"], rel=1e-12)
    e.controls.fit.click()
    assert e.state.tau2 == pytest.approx(c["tau2"], rel=1e-9)
    assert e.view.funnel and e.view.gl
    assert e.figure.axes[0].label == "n_j of each county (log scale)"
    assert type(e.controls.group).__name__ == "Combobox"
    stated('Press "fit τ² (REML)"', "type a county in the selector")
    np.testing.assert_allclose(e.view.pooled.x, np.log10(c["table"]["n"].to_numpy()))
