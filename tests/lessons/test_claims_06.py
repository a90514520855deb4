"""Lesson 06 (varying slopes): every number its text states is recomputed here and must
appear, as written, in its markdown; the general statements it makes are checked as
identities on this data and on other data (a shifted x, simulated groups, other Sigma).
"""

import json
import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

import shrinkviz as sv

ROOT = Path(__file__).resolve().parents[2]
L06 = ROOT / "notebooks" / "06-varying-slopes.ipynb"
LME4 = json.loads((ROOT / "tests" / "fixtures" / "lme4_slopes.json").read_text())


@cache
def markdown() -> str:
    nb = nbformat.read(L06, as_version=4)
    return re.sub(r"\s+", " ", " ".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def stated(*phrases: str) -> None:
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in markdown()]
    assert not missing, f"lesson 06 does not state {missing}"


def minus(x: float, fmt: str) -> str:
    """A number as the lesson's text writes it (a true minus sign)."""
    return format(x, fmt).replace("-", "−")


@cache
def fits():
    sleep = sv.data.sleepstudy()
    fit = sv.slopes_fit_frame(sleep, x="Days", y="Reaction", group="Subject")
    return sleep, fit


def test_data_and_own_slopes():
    sleep, fit = fits()
    assert sleep.shape[0] == 180 and len(fit.groups) == 18
    assert sorted(sleep.Days.unique()) == list(range(10))
    stated("18 subjects, days 0 to 9, 180 rows")
    b = fit.none.beta
    lo, hi = fit.groups[b.argmin()], fit.groups[b.argmax()]
    stated(
        f"The slopes run from {minus(b.min(), '.1f')} ms per day (subject {lo}",
        f"to {b.max():.1f} ms per day (subject {hi}), with standard deviation {b.std(ddof=1):.1f}",
    )
    # the standard error of a slope from days 0..9: sigma / sqrt(82.5)
    sxx = ((np.arange(10) - 4.5) ** 2).sum()
    assert sxx == 82.5
    stated(r"\sigma/\sqrt{82.5}", f"about {np.sqrt(fit.sigma2 / sxx):.1f} ms per day")
    assert b.std(ddof=1) > 2 * np.sqrt(fit.sigma2 / sxx)  # "far more than that"


def test_reml_fit_is_lme4s():
    _, fit = fits()
    ref = LME4["sleepstudy"]["REML"]
    S = np.array(ref["Sigma"])
    rho = S[0, 1] / np.sqrt(S[0, 0] * S[1, 1])
    mu = np.array(ref["fixef"]) if "fixef" in ref else fit.partial.mu
    for ours, theirs in (
        (fit.sigma2, ref["sigma2"]),
        (fit.tau_alpha, np.sqrt(S[0, 0])),
        (fit.tau_beta, np.sqrt(S[1, 1])),
        (fit.rho, rho),
        (fit.partial.mu[0], mu[0]),
        (fit.partial.mu[1], mu[1]),
    ):
        assert ours == pytest.approx(theirs, rel=1e-4)
    stated(
        rf"$\hat\mu = ({fit.partial.mu[0]:.1f}, {fit.partial.mu[1]:.2f})$",
        rf"$\hat\sigma = {np.sqrt(fit.sigma2):.1f}$",
        rf"$\hat\tau_\alpha = {fit.tau_alpha:.1f}$",
        rf"$\hat\tau_\beta = {fit.tau_beta:.2f}$",
        rf"$\hat\rho = {fit.rho:.3f}$",
    )


def test_shrinkage_formula_and_slopes_moving_away():
    _, fit = fits()
    sleep, _ = fits()
    # b_j = mu + Sigma (Sigma + V_j)^-1 (own_j - mu), V_j = sigma2 (X'X)^-1
    x = np.arange(10.0)
    X = np.column_stack([np.ones(10), x])
    V = fit.sigma2 * np.linalg.inv(X.T @ X)
    mu = fit.partial.mu
    for j in range(18):
        own = np.r_[fit.none.alpha[j], fit.none.beta[j]]
        b = mu + fit.Sigma @ np.linalg.solve(fit.Sigma + V, own - mu)
        np.testing.assert_allclose(b, [fit.partial.alpha[j], fit.partial.beta[j]], rtol=1e-9)
    away = np.abs(fit.partial.beta - mu[1]) > np.abs(fit.none.beta - mu[1])
    closer = np.abs(fit.partial.alpha - mu[0]) < np.abs(fit.none.alpha - mu[0])
    assert closer.all()  # "Every intercept moves toward mu_alpha"
    stated(f"the slopes of {away.sum()} subjects move *away*")
    j = list(fit.groups).index("309")
    assert away[j]
    a0, a1 = fit.none.alpha[j], fit.partial.alpha[j]
    b0, b1 = fit.none.beta[j], fit.partial.beta[j]
    stated(
        f"(own intercept {a0:.1f}); its intercept is pulled up to {a1:.1f}",
        f"its slope goes from {b0:.2f} down to {b1:.2f}",
        f"lifts its line by {a1 - a0:.1f} ms at day 0 but only by "
        f"{(a1 + 4.5 * b1) - (a0 + 4.5 * b0):.1f} ms at day 4.5",
    )
    assert a0 <= np.sort(fit.none.alpha)[1]  # "starts very low": second lowest of 18


def test_diagonal_sigma_and_v_shrink_each_coordinate_alone():
    """With x centred (V_j diagonal) and rho = 0 each coordinate shrinks by its own factor
    tau^2 / (tau^2 + v), i.e. 1 - B_j."""
    sleep, fit = fits()
    c = sleep.assign(Days=sleep.Days - 4.5)
    S = np.diag([30.0**2, 6.0**2])
    f = sv.slopes_fit_frame(c, x="Days", y="Reaction", group="Subject", sigma2=600.0, Sigma=S)
    v = 600.0 / np.array([10.0, 82.5])
    k = np.diag(S) / (np.diag(S) + v)
    mu = f.partial.mu
    np.testing.assert_allclose(f.partial.alpha - mu[0], k[0] * (f.none.alpha - mu[0]), rtol=1e-9)
    np.testing.assert_allclose(f.partial.beta - mu[1], k[1] * (f.none.beta - mu[1]), rtol=1e-9)


def test_centring():
    sleep, fit = fits()
    x = np.arange(10.0)
    r = -x.mean() / np.sqrt((x**2).mean())
    stated(r"$-\bar x_j / \sqrt{\overline{x_j^2}}$", f"with days 0 to 9 it is {minus(r, '.2f')}")
    X = np.column_stack([np.ones(10), x])
    C = np.linalg.inv(X.T @ X)
    assert C[0, 1] / np.sqrt(C[0, 0] * C[1, 1]) == pytest.approx(r, rel=1e-12)
    centred = sv.slopes_fit_frame(
        sleep.assign(Days=sleep.Days - 4.5), x="Days", y="Reaction", group="Subject"
    )
    stated(
        rf"$\hat\tau_\alpha = {centred.tau_alpha:.1f}$ and $\hat\rho = {centred.rho:.2f}$ instead "
        f"of {fit.tau_alpha:.1f} and {fit.rho:.3f}",
        rf"($\rho = {centred.rho:.2f}$)",
        rf"($\rho = {fit.rho:.3f}$)",
    )
    np.testing.assert_allclose(centred.partial.beta, fit.partial.beta, rtol=1e-7)
    np.testing.assert_allclose(
        centred.partial.alpha - 4.5 * centred.partial.beta, fit.partial.alpha, rtol=1e-8
    )
    assert centred.sigma2 == pytest.approx(fit.sigma2, rel=1e-8)
    assert centred.tau_beta == pytest.approx(fit.tau_beta, rel=1e-7)
    assert centred.deviance() == pytest.approx(fit.deviance(), rel=1e-10)


@pytest.mark.parametrize("shift", [-7.0, 3.0, 40.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_shifting_x_changes_tau_alpha_and_rho_not_the_lines_on_other_data(seed, shift):
    """'With an unrestricted 2 x 2 Sigma this always holds': simulated groups, other shifts."""
    rng = np.random.default_rng(seed)
    J, n = 12, 6
    g = np.repeat(np.arange(J), n)
    x = rng.uniform(0, 5, J * n)
    b = rng.multivariate_normal([1.0, 0.5], [[1.0, 0.3], [0.3, 0.4]], J)
    y = b[g, 0] + b[g, 1] * x + rng.normal(0, 1.0, J * n)
    f0 = sv.slopes_fit(x, y, g)
    f1 = sv.slopes_fit(x - shift, y, g)
    np.testing.assert_allclose(f1.partial.beta, f0.partial.beta, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        f1.partial.alpha - shift * f1.partial.beta, f0.partial.alpha, rtol=1e-5
    )
    assert f1.deviance() == pytest.approx(f0.deviance(), rel=1e-9)
    T = np.array([[1.0, shift], [0.0, 1.0]])  # (alpha at x = 0) -> (alpha at x = shift)
    np.testing.assert_allclose(f1.Sigma, T @ f0.Sigma @ T.T, rtol=1e-4, atol=1e-7)


def _two_days():
    _, fit = fits()
    j = list(fit.groups).index("337")
    n = fit.n.copy()
    n[j] = 2
    return fit, j, fit.update(n=n)


def test_a_subject_with_two_days():
    fit, j, two = _two_days()
    stated(
        f"started at {two.none.alpha[j]:.1f} ms and hardly changed on day 1, so its own slope "
        f"is {two.none.beta[j]:.2f}",
        rf"$\sigma\sqrt{{2}} \approx {np.sqrt(2 * fit.sigma2):.1f}$ ms per day",
        f"(from {two.none.alpha[j]:.1f} to {two.partial.alpha[j]:.1f}) and takes a slope of "
        f"{two.partial.beta[j]:.2f}",
        f"5.78, below $\\hat\\tau_\\beta = {fit.tau_beta:.2f}$",
        f"give this subject a slope of {fit.none.beta[j]:.2f}",
    )
    assert f"{np.sqrt(two.partial.cov[j][1, 1]):.2f}" == "5.78"
    # a slope from two points 1 day apart: se = sigma sqrt(2) / 1
    sleep, _ = fits()
    rows = sleep[sleep.Subject == "337"].Reaction.to_numpy()[:2]
    assert two.none.beta[j] == pytest.approx(rows[1] - rows[0], rel=1e-12)
    assert two.none.alpha[j] == pytest.approx(rows[0], rel=1e-12)


def test_partial_pooling_sd_never_exceeds_the_populations():
    """Var(b_j | y, mu) <= Sigma (Loewner order) for every group, size and Sigma."""
    fit, _, _ = _two_days()
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(0, 11, 18)
        n[0] = 10
        L = rng.normal(size=(2, 2)) * [10.0, 3.0]
        up = fit.update(n=n, sigma2=rng.uniform(100, 2000), Sigma=L @ L.T)
        for C in up.partial.cov:
            assert np.linalg.eigvalsh(up.Sigma - C).min() > -1e-9 * up.Sigma.max()


def test_rho_tilts_the_two_day_slope():
    fit, j, two = _two_days()
    ta, tb = fit.tau_alpha, fit.tau_beta
    slope = {}
    for rho in (-0.8, 0.0, 0.8):
        S = np.array([[ta**2, rho * ta * tb], [rho * ta * tb, tb**2]])
        slope[rho] = two.update(Sigma=S).partial.beta[j]
    stated(
        f"{slope[-0.8]:.2f} at $\\rho = -0.8$, {slope[0.0]:.2f} at $\\rho = 0$ and "
        f"{slope[0.8]:.2f} at $\\rho = 0.8$",
        f"toward the {fit.none.beta[j]:.2f} that its ten days show",
    )
    assert slope[-0.8] < slope[0.0] < slope[0.8]
    assert two.none.alpha[j] > two.partial.mu[0]  # "Subject 337's intercept is high"
    # E(beta | alpha) = mu_beta + rho tau_beta / tau_alpha (alpha - mu_alpha): the conditional
    # mean of a bivariate normal, checked by sampling
    rng = np.random.default_rng(1)
    S = np.array([[ta**2, 0.8 * ta * tb], [0.8 * ta * tb, tb**2]])
    draws = rng.multivariate_normal([250.0, 10.0], S, 400_000)
    near = np.abs(draws[:, 0] - 290.0) < 1.0
    expect = 10.0 + 0.8 * tb / ta * (290.0 - 250.0)
    assert draws[near, 1].mean() == pytest.approx(expect, abs=0.1)
