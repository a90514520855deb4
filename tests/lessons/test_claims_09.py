"""Lesson 09 (counts): every number its text states is recomputed here, with the lesson's seed,
and found in its markdown as written; the general statements are checked as identities, or on
more seeds of the simulation, so that they do not hold for the lesson's seed only."""

import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy import integrate, interpolate, stats

import shrinkviz as sv

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "09-counts.ipynb"


@cache
def markdown() -> str:
    nb = nbformat.read(LESSON, as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"\s+", " ", text)


def stated(*phrases: str) -> None:
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in markdown()]
    assert not missing, f"lesson 09 does not state {missing}"


def rats():
    df = sv.data.rat_tumors()
    return df["y"].to_numpy(), df["n"].to_numpy()


def counties(seed=2027, shape=20.0):
    """The lesson's simulation (its seed and its gamma shape by default)."""
    rng = np.random.default_rng(seed)
    J = 3000
    population = np.round(10 ** rng.uniform(3, 6, J))
    theta = rng.gamma(shape, 1e-4 / shape, J)
    deaths = rng.poisson(theta * population)
    return population, theta, deaths


def test_rat_data():
    y, n = rats()
    raw = y / n
    stated(
        f"the control groups of {len(y)} experiments on female laboratory rats",
        "70 historical experiments and the current one",
        f"The experiments had {n.min()} to {n.max()} rats",
        f"raw proportions run from {raw.min():.0f} to {raw.max():.3f}",
        f"{(y == 0).sum()} experiments saw no tumour",
        f"the proportion is {y.sum() / n.sum():.3f}",
    )


def test_empirical_bayes_and_shrinkage_range():
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    stated(
        f"$a = {eb.a:.2f}$ and $b = {eb.b:.1f}$",
        f"a prior worth {eb.prior_size:.1f} rats with mean {eb.prior_mean:.3f}",
        f"with {n.min()} rats is pulled {eb.B.max():.0%} of the way",
        f"one with {n.max()} rats {eb.B.min():.0%}",
    )
    assert eb.B.max() == eb.B[n == n.min()].max() and eb.B.min() == eb.B[n == n.max()].min()


@pytest.mark.parametrize(("a", "b"), [(0.3, 0.9), (2.3, 14.1), (40.0, 7.0), (1e4, 3e4)])
def test_the_normal_factor_with_the_expected_binomial_variance_is_exactly_B(a, b):
    """v_j = E[theta (1 - theta)] / n_j and tau2 = Var theta (scipy's beta moments): the normal
    model's v / (v + tau2) is (a + b) / (a + b + n_j) for every a, b and n_j."""
    stated("for every $a$, $b$ and $n_j$")
    n = np.array([1.0, 3, 10, 52, 1000])
    prior = stats.beta(a, b)
    tau2 = prior.var()
    v = (prior.mean() - prior.moment(2)) / n
    np.testing.assert_allclose(v / (v + tau2), (a + b) / (a + b + n), rtol=1e-12)
    m = a / (a + b)
    assert tau2 == pytest.approx(m * (1 - m) / (a + b + 1), rel=1e-12)
    stated(
        r"$$\operatorname{Var}\theta_j = \frac{m (1 - m)}{a + b + 1}, \qquad m = \frac{a}{a + b}.$$"
    )


def test_full_bayes_log_size():
    y, n = rats()
    fb = sv.full_bayes_binomial(y, n)
    eb = sv.beta_binomial(y, n)
    lo, hi = np.exp(log_size_quantiles(fb, [0.025, 0.975]))
    w, p = fb.log_size, fb.log_size_weights * fb.log_size_density
    size = np.exp(w)
    B20 = np.sum(p * size / (size + 20))  # E[B_j | y] for n_j = 20
    stated(
        f"has mean {fb.log_size_mean:.2f} (sd {fb.log_size_sd:.2f})",
        f"likely around $e^{{{fb.log_size_mean:.2f}}} \\approx {np.exp(fb.log_size_mean):.0f}$",
        f"in line with the empirical-Bayes {eb.prior_size:.1f}",
        f"anywhere from about {lo:.0f} to {hi:.0f} is plausible (its 95% posterior interval), "
        f"a factor of {hi / lo:.0f}".replace("a factor of 4", "a factor of four"),
        f"({B20:.2f} against {eb.prior_size / (eb.prior_size + 20):.2f} for 20 rats)",
    )
    # the 95% interval is a real 95%: the quadrature puts that mass between the two ends
    inside = (w >= np.log(lo)) & (w <= np.log(hi))
    assert np.sum(p[inside]) == pytest.approx(0.95, abs=0.02)
    # "the plug-in and the full-Bayes means nearly agree": within a tenth of the typical sd
    assert np.abs(fb.mean - eb.mean).max() < 0.1 * np.median(fb.sd)
    # ... and so does E[B_j | y] with the plug-in B_j, at every size in the data
    for nj in np.unique(n):
        assert np.sum(p * size / (size + nj)) == pytest.approx(
            eb.prior_size / (eb.prior_size + nj), abs=0.02
        )


def log_size_quantiles(fb, probs):
    """Quantiles of p(log(a + b) | y): its log density interpolated (PCHIP) on a fine grid,
    integrated by the trapezoid rule and inverted."""
    w = fb.log_size
    log_density = interpolate.PchipInterpolator(w, np.log(fb.log_size_density))
    fine = np.linspace(w[0], w[-1], 200_001)
    cdf = integrate.cumulative_trapezoid(np.exp(log_density(fine)), fine, initial=0)
    return np.interp(probs, cdf / cdf[-1], fine)


def test_estimated_prior_mean_ends_at_the_pooled_proportion():
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    stated("that line is the pooled proportion 0.154")
    assert f"{eb.weighted_prior_mean(np.inf):.3f}" == "0.154"
    ex = sv.CountsExplorer.rat_tumors()
    ex.controls.size.slider.index = len(ex.controls.size.grid) - 1
    assert np.all(ex.view.posterior.y == y.sum() / n.sum())


def test_explorer_starts_with_the_prior_mean_estimated_at_the_eb_size():
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    at_eb = eb.weighted_prior_mean(eb.prior_size)
    stated(
        f"starts at the empirical-Bayes size {eb.prior_size:.1f}",
        f"{at_eb:.3f} against `eb`'s {eb.prior_mean:.3f}",
        "differs from `eb` in the third digit",
    )
    ex = sv.CountsExplorer.rat_tumors()
    readout = ex.controls.readout.value
    assert f"prior mean {at_eb:.3f} (estimated at this size)" in readout
    assert f"a + b = {eb.prior_size:.1f}" in readout
    assert f"posterior mean {eb.mean[0]:.3g}" not in readout
    ex.state.fit()
    assert f"prior mean {eb.prior_mean:.3f}" in ex.controls.readout.value


@pytest.mark.parametrize(("a", "b"), [(0.5, 1.5), (2.34, 14.1), (30.0, 3.0)])
def test_at_the_same_raw_proportion_a_smaller_experiment_moves_further(a, b):
    stated("at the same raw proportion a smaller experiment moves further")
    n = np.array([5, 10, 20, 50, 200])
    for p in (0.0, 0.1, 0.5, 0.9):
        y = p * n
        move = np.abs((a + y) / (a + b + n) - p)
        assert np.all(np.diff(move) < 0)


def test_in_the_rats_size_does_not_decide_which_proportions_are_extreme():
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    raw = y / n
    top4 = np.argsort(-raw, kind="stable")[:4]
    move = np.abs(eb.mean - raw)
    j = np.argmax(move)
    stated(
        f"the sizes differ only from {n.min()} to {n.max()}",
        f"the zeros come from experiments of {n[y == 0].min()} to {n[y == 0].max()} rats",
        "the four highest proportions from experiments of "
        + ", ".join(str(k) for k in sorted(n[top4])[:-1])
        + f" and {sorted(n[top4])[-1]} rats",
        f"The largest move is the {n[j]}-rat experiment's ({y[j]} of {n[j]}, {raw[j]:.3f}, "
        f"pulled down by {move[j]:.3f}), not the {n.min()}-rat one's",
    )
    assert eb.mean[j] < raw[j] and n[j] != n.min() and move[n == n.min()].max() < move[j]
    # no clear relation between size and extremeness: rank correlation near 0
    rho = stats.spearmanr(n, np.abs(raw - eb.prior_mean)).statistic
    assert abs(rho) < 0.2


def test_no_pooling_is_a_limit_with_certainty_at_zero():
    """a + b -> 0: every B_j -> 0, and an experiment with no tumour gets the point theta_j = 0."""
    stated(
        "$a + b \\to 0$ is **no pooling** (every $B_j \\to 0$; an experiment with no tumour then "
        "gets the impossible certainty $\\theta_j = 0$)"
    )
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    for size in (1e-9, 0.0):
        fit = eb.with_prior(size=size)
        assert np.all(fit.B < 1e-8)
        lo, hi = fit.interval(0.95)
        assert np.all(hi[y == 0] < 1e-6) and np.all(fit.mean[y == 0] < 1e-9)
        assert np.all(hi[y > 0] - lo[y > 0] > 0.05)


def test_counties_extreme_raw_rates_are_small_counties():
    population, theta, deaths = counties()
    rate = deaths / population
    third = population < np.quantile(population, 1 / 3)
    order = np.argsort(-rate, kind="stable")
    stated(
        f"All {third[order[:30]].sum()} of the 30 highest raw rates, and "
        f"{third[order[:100]].sum()} of the 100 highest",
        f"(fewer than about {round(np.quantile(population, 1 / 3), -2):,.0f} people)",
        "true death rates around 1 in 10,000 per year",
        "a coefficient of variation of 22%",
        "A county of 2,000 people expects 0.2 deaths a year",
        f"{third[deaths == 0].sum()} of the {(deaths == 0).sum()} counties with no death",
    )
    assert np.mean(third[deaths == 0]) > 0.8
    assert f"{1 / np.sqrt(20):.0%}" == "22%"
    assert third[order[:30]].all()
    # a county 100 times smaller has a raw rate 10 times as noisy: sd sqrt(theta / E)
    stated("a county 100 times smaller has a raw rate 10 times as noisy")
    assert np.sqrt(1e-4 / 1e3) / np.sqrt(1e-4 / 1e5) == pytest.approx(10)


def test_counties_shrinkage():
    population, theta, deaths = counties()
    rate = deaths / population
    gp = sv.gamma_poisson(deaths, population)
    third = population < np.quantile(population, 1 / 3)
    shrunk = np.argsort(-gp.mean, kind="stable")[:100]
    raw = np.argsort(-rate, kind="stable")[:100]
    true = np.argsort(-theta, kind="stable")[:100]
    ratio = np.mean((rate - theta) ** 2) / np.mean((gp.mean - theta) ** 2)
    keep = lambda E: E / (gp.prior_size + E)  # noqa: E731  1 - B_j
    stated(
        f"prior worth about {round(gp.prior_size, -3):,.0f} person-years",
        f"A county of 2,000 people gives only {keep(2000):.0%} of the weight to its own raw rate "
        f"(it keeps {keep(2000):.0%} of its distance from the prior mean)",
        f"a county of a million gives {keep(1e6):.0%}",
        "none of the 100 highest rates is in the smallest third",
        f"({np.isin(shrunk, true).sum()} of the true top 100 against {np.isin(raw, true).sum()})",
        f"mean squared error {ratio:.0f} times smaller",
        f"Here {third[true].sum()} of the truly highest 100 are in the smallest third, and the "
        "shrunk top 100 has none of them",
        f"its median population is about {round(np.median(population[shrunk]), -5):,.0f}, "
        f"against {round(np.median(population), -3):,.0f} for all counties",
    )
    assert third[shrunk].sum() == 0


@pytest.mark.slow  # ten more simulations
def test_counties_general_statements_hold_on_other_seeds():
    """Beyond the lesson's seed: the highest raw rates are small counties, the shrunk top 100
    hardly any, the shrunk rates are closer on average and find more of the true top, and
    the gain is smaller when the true rates vary more (exercise 2's shape 2)."""
    for seed in range(10):
        population, theta, deaths = counties(seed)
        rate = deaths / population
        third = population < np.quantile(population, 1 / 3)
        gp = sv.gamma_poisson(deaths, population)
        raw, shrunk = (np.argsort(-x, kind="stable")[:100] for x in (rate, gp.mean))
        true = np.argsort(-theta, kind="stable")[:100]
        assert third[raw].sum() >= 85 and third[shrunk].sum() <= 5, seed
        assert third[true].sum() >= 20, seed  # small counties with truly high rates exist
        assert np.median(population[shrunk]) > 5 * np.median(population), seed
        assert np.mean(third[deaths == 0]) > 0.8, seed
        assert np.isin(shrunk, true).sum() > np.isin(raw, true).sum(), seed
        gain = np.mean((rate - theta) ** 2) / np.mean((gp.mean - theta) ** 2)
        population, theta, deaths = counties(seed, shape=2.0)
        gp2 = sv.gamma_poisson(deaths, population)
        gain2 = np.mean((deaths / population - theta) ** 2) / np.mean((gp2.mean - theta) ** 2)
        assert gain > gain2 > 1, seed


def test_exact_and_normal_intervals():
    y, n = rats()
    eb = sv.beta_binomial(y, n)
    lower, upper = eb.interval(0.95)
    sd = np.sqrt(eb.var)
    below = eb.mean - 1.96 * sd < 0
    stated(
        f"Experiment 1 had {y[0]} tumours in {n[0]} rats",
        f"the beta interval is ({lower[0]:.3f}, {upper[0]:.3f})",
        f"so it does for {below.sum()} of the {len(y)} experiments",
    )
    assert eb.mean[0] - 1.96 * sd[0] < 0  # experiment 1's normal interval reaches below 0
    # the beta interval is two quantiles of Beta(a + y_j, b + n_j - y_j) at the plug-in a, b
    post = stats.beta(eb.a + y[0], eb.b + n[0] - y[0])
    np.testing.assert_allclose([lower[0], upper[0]], post.ppf([0.025, 0.975]), rtol=1e-8)
    # the exact interval stays in [0, 1] at every prior size; the raw-proportion Wald
    # interval of a zero count is the point 0
    for size in (0.0, 1.0, eb.prior_size, 1e3):
        lo, hi = eb.with_prior(size=size).interval(0.95)
        assert np.all((lo >= 0) & (hi <= 1))
    zero = y == 0
    assert np.all(np.sqrt((y / n) * (1 - y / n) / n)[zero] == 0)


@pytest.mark.parametrize("data", ["rats", "surgical"])
def test_full_bayes_intervals_are_a_little_wider(data):
    """The plug-in beta interval leaves out the uncertainty in (a, b): the full-Bayes interval is
    wider for every group (on the rats and on the surgical data), but only a little."""
    if data == "rats":
        y, n = rats()
    else:
        df = sv.data.surgical()
        y, n = df["deaths"].to_numpy(), df["operations"].to_numpy()
    eb = sv.beta_binomial(y, n)
    fb = sv.full_bayes_binomial(y, n)
    lo, hi = eb.interval(0.95)
    flo, fhi = fb.interval(0.95)
    ratio = (fhi - flo) / (hi - lo)
    assert np.all(ratio > 1) and np.all(ratio < 1.5)
    if data == "rats":
        stated(
            "exact for the posterior *given* $a$ and $b$",
            f"a little wider, ({flo[0]:.3f}, {fhi[0]:.3f}) for experiment 1",
        )
