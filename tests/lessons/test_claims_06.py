"""Lesson 06 (varying slopes): every number its text states is recomputed here and must
appear, as written, in its markdown; the general statements it makes are checked as
identities on this data and on other data (a shifted x, simulated groups, other Sigma).
"""

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from scipy.stats import chi2

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
    b = fit.no_pooling.beta
    lo, hi = fit.groups[b.argmin()], fit.groups[b.argmax()]
    stated(
        f"The slopes run from {minus(b.min(), '.1f')} ms per day (subject {lo}",
        f"to {b.max():.1f} ms per day (subject {hi}), with standard deviation {b.std(ddof=1):.1f}",
    )
    # the standard error of a slope from days 0..9: sigma / sqrt(82.5)
    sxx = ((np.arange(10) - 4.5) ** 2).sum()
    assert sxx == 82.5
    se = np.sqrt(fit.sigma2 / sxx)
    stated(r"\sigma/\sqrt{82.5}", f"about {se:.1f} ms per day", f"scatter with SD about {se:.1f}")
    # "6.6² ≈ 43 = 7.9 (noise) + 35 (real differences, tau_beta^2)"
    v = b.var(ddof=1)
    stated(
        f"they scatter with SD {b.std(ddof=1):.1f}",
        f"{b.std(ddof=1):.1f}² ≈ {v:.0f} = {se**2:.1f} (noise) + {fit.tau_beta**2:.0f} (real",
    )
    assert v == pytest.approx(se**2 + fit.tau_beta**2, rel=1e-6)
    j = list(fit.groups).index("335")
    stated(f"(Subject 335: {minus(b[j], '.1f')} ± {se:.1f} ms per day, no detectable slowing.)")
    assert abs(b[j]) < 2 * se


@pytest.mark.parametrize("seed", [3, 4])
def test_balanced_reml_splits_the_own_slopes_variance_on_other_data(seed):
    """Why 43 = 7.9 + 35 exactly: with every group on the same days (balanced) and the
    variances inside their bounds, REML's tau_beta^2 is the moment estimate
    var(own slopes) - sigma^2 / Sxx (REML = ANOVA for balanced data)."""
    rng = np.random.default_rng(seed)
    J, x1 = 15, np.arange(8.0)
    b = rng.multivariate_normal([5.0, 2.0], [[4.0, 0.5], [0.5, 1.0]], J)
    x = np.tile(x1, J)
    g = np.repeat(np.arange(J), x1.size)
    y = b[g, 0] + b[g, 1] * x + rng.normal(0, 1.5, x.size)
    f = sv.slopes_fit(x, y, g)
    assert f.rho**2 < 0.99 and min(f.tau_alpha, f.tau_beta) > 0
    sxx = ((x1 - x1.mean()) ** 2).sum()
    assert f.no_pooling.beta.var(ddof=1) == pytest.approx(f.tau_beta**2 + f.sigma2 / sxx, rel=1e-5)


def test_the_study_design_as_lme4_documents_it():
    stated(
        "18 people spent two training days (days 0 and 1) and a baseline day (day 2) after "
        "normal nights, and were then allowed only 3 hours in bed a night",
        "reaction time at day 0, a training day before any sleep restriction",
        "section 1.2",
    )
    assert "normal amount of sleep on day 0" not in markdown()
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    rd = subprocess.run(
        [
            "Rscript",
            "-e",
            'tools::Rd2txt(utils:::.getHelpFile(help("sleepstudy", package = "lme4")), '
            "options = list(underline_titles = FALSE))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if rd.returncode != 0:
        pytest.skip(f"lme4's help page is not available: {rd.stderr[-200:]}")
    doc = re.sub(r"\s+", " ", rd.stdout)
    assert "Days 0-1 were adaptation and training (T1/T2), day 2 was baseline (B)" in doc
    assert "sleep deprivation started after day 2" in doc
    assert "3 hours time-in-bed" in doc


def test_reml_fit_is_lme4s():
    _, fit = fits()
    ref = LME4["sleepstudy"]["REML"]
    S = np.array(ref["Sigma"])
    rho = S[0, 1] / np.sqrt(S[0, 0] * S[1, 1])
    mu = np.array(ref["fixef"]) if "fixef" in ref else fit.partial_pooling.mu
    for ours, theirs in (
        (fit.sigma2, ref["sigma2"]),
        (fit.tau_alpha, np.sqrt(S[0, 0])),
        (fit.tau_beta, np.sqrt(S[1, 1])),
        (fit.rho, rho),
        (fit.partial_pooling.mu[0], mu[0]),
        (fit.partial_pooling.mu[1], mu[1]),
    ):
        assert ours == pytest.approx(theirs, rel=1e-4)
    stated(
        rf"$\hat\mu = ({fit.partial_pooling.mu[0]:.1f}, {fit.partial_pooling.mu[1]:.2f})$",
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
    mu = fit.partial_pooling.mu
    for j in range(18):
        own = np.r_[fit.no_pooling.alpha[j], fit.no_pooling.beta[j]]
        b = mu + fit.Sigma @ np.linalg.solve(fit.Sigma + V, own - mu)
        np.testing.assert_allclose(
            b, [fit.partial_pooling.alpha[j], fit.partial_pooling.beta[j]], rtol=1e-9
        )
    away = np.abs(fit.partial_pooling.beta - mu[1]) > np.abs(fit.no_pooling.beta - mu[1])
    closer = np.abs(fit.partial_pooling.alpha - mu[0]) < np.abs(fit.no_pooling.alpha - mu[0])
    assert closer.all()  # "Here every intercept ends closer to mu_alpha"
    crossed = np.sign(fit.partial_pooling.alpha - mu[0]) != np.sign(fit.no_pooling.alpha - mu[0])
    assert set(fit.groups[crossed]) == {"308", "335"}  # "(308 and 335 even cross over it)"
    stated(
        "Here every intercept ends closer to $\\hat\\mu_\\alpha$ (308 and 335 even cross over it)",
        f"the slopes of {away.sum()} subjects move *away*",
    )
    # the same fit with days counted from 4.5: 5 levels (intercepts at 4.5) move away
    c = sv.slopes_fit_frame(
        sleep.assign(Days=sleep.Days - 4.5), x="Days", y="Reaction", group="Subject"
    )
    mc = c.partial_pooling.mu
    away_c = np.abs(c.partial_pooling.alpha - mc[0]) > np.abs(c.no_pooling.alpha - mc[0])
    stated(f"it is {away_c.sum()} of the levels that move away")
    # ... and the same 5 slopes move away ("the 5 that move away ... stay exactly the same")
    away_beta_c = np.abs(c.partial_pooling.beta - mc[1]) > np.abs(c.no_pooling.beta - mc[1])
    np.testing.assert_array_equal(away_beta_c, away)
    stated(f"and the {away.sum()} that move away from")
    j = list(fit.groups).index("309")
    assert away[j]
    a0, a1 = fit.no_pooling.alpha[j], fit.partial_pooling.alpha[j]
    b0, b1 = fit.no_pooling.beta[j], fit.partial_pooling.beta[j]
    stated(
        f"(own intercept {a0:.1f}); its intercept is pulled up to {a1:.1f}",
        f"its slope goes from {b0:.2f} down to {b1:.2f}",
        f"lifts its line by {a1 - a0:.1f} ms at day 0 but only by "
        f"{(a1 + 4.5 * b1) - (a0 + 4.5 * b0):.1f} ms at day 4.5",
    )
    assert a0 <= np.sort(fit.no_pooling.alpha)[1]  # "starts very low": second lowest of 18
    # "rho-hat plays almost no part (at rho = 0 the slope would be 1.86)"
    at0 = fit.update(Sigma=np.diag(np.diag(fit.Sigma))).partial_pooling.beta[j]
    stated(f"(at $\\rho = 0$ the slope would be {at0:.2f})")
    assert abs(at0 - b1) < 0.1 * abs(b1 - b0)


def _mahalanobis(pairs, mu, Sigma):
    d = pairs - mu
    return np.einsum("ij,jk,ik->i", d, np.linalg.inv(Sigma), d)


def test_every_pair_ends_on_a_smaller_ellipse():
    """(b_j - mu)' Sigma^-1 (b_j - mu) < (own_j - mu)' Sigma^-1 (own_j - mu): with
    z = Sigma^-1/2 (. - mu) the partial pair is (I + Sigma^-1/2 V_j Sigma^-1/2)^-1 z_own,
    a matrix with eigenvalues in (0, 1). On sleepstudy (both origins) and on random
    Sigma, V_j."""
    sleep, fit = fits()
    stated("every filled marker sits on a smaller ellipse of $N(\\mu, \\Sigma)$")
    for f in (
        fit,
        sv.slopes_fit_frame(
            sleep.assign(Days=sleep.Days - 4.5), x="Days", y="Reaction", group="Subject"
        ),
    ):
        own = np.c_[f.no_pooling.alpha, f.no_pooling.beta]
        part = np.c_[f.partial_pooling.alpha, f.partial_pooling.beta]
        mu = f.partial_pooling.mu
        assert (_mahalanobis(part, mu, f.Sigma) < _mahalanobis(own, mu, f.Sigma)).all()
    rng = np.random.default_rng(5)
    for _ in range(200):
        A, B = rng.normal(size=(2, 2, 2))
        S, V = A @ A.T + 1e-3 * np.eye(2), B @ B.T + 1e-3 * np.eye(2)
        own = rng.normal(size=(1, 2)) * 5
        b = S @ np.linalg.solve(S + V, own[0])
        assert _mahalanobis(b[None], 0.0, S)[0] < _mahalanobis(own, 0.0, S)[0]


def test_diagonal_sigma_and_v_shrink_each_coordinate_alone():
    """With x centred (V_j diagonal) and rho = 0 each coordinate shrinks by its own factor
    tau^2 / (tau^2 + v), i.e. 1 - B_j."""
    sleep, fit = fits()
    c = sleep.assign(Days=sleep.Days - 4.5)
    S = np.diag([30.0**2, 6.0**2])
    f = sv.slopes_fit_frame(c, x="Days", y="Reaction", group="Subject", sigma2=600.0, Sigma=S)
    v = 600.0 / np.array([10.0, 82.5])
    k = np.diag(S) / (np.diag(S) + v)
    mu = f.partial_pooling.mu
    np.testing.assert_allclose(
        f.partial_pooling.alpha - mu[0], k[0] * (f.no_pooling.alpha - mu[0]), rtol=1e-9
    )
    np.testing.assert_allclose(
        f.partial_pooling.beta - mu[1], k[1] * (f.no_pooling.beta - mu[1]), rtol=1e-9
    )
    stated(
        "its distance from the centre is multiplied by $1 - B_j = \\tau^2/(\\tau^2 + v_j)$",
        "$V_j$ is diagonal when $x$ is measured from the subject's mean",
    )
    # "... but then, as we will see, Sigma is not": centred at 4.5 (every subject's mean day)
    c = sv.slopes_fit_frame(
        sleep.assign(Days=sleep.Days - 4.5), x="Days", y="Reaction", group="Subject"
    )
    assert abs(c.rho) > 0.5


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
        f"the day-4.5 correlation of {centred.rho:.2f} is almost all bookkeeping",
        f"At day 0 the estimate is {fit.rho:.3f}",
    )
    # "it would be 0.73 even if the level at day 0 were unrelated to the slope": the
    # correlation of alpha + 4.5 beta with beta when Corr(alpha, beta) = 0
    ta, tb = fit.tau_alpha, fit.tau_beta
    book = 4.5 * tb / np.sqrt(ta**2 + 4.5**2 * tb**2)
    stated(f"would be {book:.2f} even if the level at day 0")
    T = np.array([[1.0, 4.5], [0.0, 1.0]])
    S = T @ np.diag([ta**2, tb**2]) @ T.T
    assert S[0, 1] / np.sqrt(S[0, 0] * S[1, 1]) == pytest.approx(book, rel=1e-12)
    assert book < centred.rho < book + 0.05  # "almost all"
    beta = fit.partial_pooling.beta  # one is near 0: compared on the scale of all of them
    np.testing.assert_allclose(centred.partial_pooling.beta, beta, atol=1e-7 * np.abs(beta).max())
    np.testing.assert_allclose(
        centred.partial_pooling.alpha - 4.5 * centred.partial_pooling.beta,
        fit.partial_pooling.alpha,
        rtol=1e-8,
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
    np.testing.assert_allclose(
        f1.partial_pooling.beta, f0.partial_pooling.beta, rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        f1.partial_pooling.alpha - shift * f1.partial_pooling.beta,
        f0.partial_pooling.alpha,
        rtol=1e-5,
    )
    assert f1.deviance() == pytest.approx(f0.deviance(), rel=1e-9)
    T = np.array([[1.0, shift], [0.0, 1.0]])  # (alpha at x = 0) -> (alpha at x = shift)
    np.testing.assert_allclose(f1.Sigma, T @ f0.Sigma @ T.T, rtol=1e-4, atol=1e-7)


def _profile_interval(fit, level=0.95):
    """lme4's ``confint(fit, method = "profile")`` for rho: profile refits use the ML
    likelihood even for a REML fit; each rho maximizes over (tau_alpha, tau_beta, sigma2)."""
    d0 = fit.deviance()

    def excess(rho):
        def dev(p):
            ta, tb, s2 = np.exp(p)
            S = np.array([[ta**2, rho * ta * tb], [rho * ta * tb, tb**2]])
            return fit.update(sigma2=s2, Sigma=S).deviance()

        p0 = np.log([fit.tau_alpha, fit.tau_beta, fit.sigma2])
        opt = minimize(dev, p0, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-9})
        return opt.fun - d0 - chi2.ppf(level, 1)

    return (
        brentq(excess, -0.99, fit.rho, xtol=1e-5),
        brentq(excess, fit.rho, 0.99, xtol=1e-5),
    )


def test_rho_is_poorly_determined():
    sleep, _ = fits()
    ml = sv.slopes_fit_frame(sleep, x="Days", y="Reaction", group="Subject", method="ML")
    lo, hi = _profile_interval(ml)
    # lme4 1.1-31, confint(lmer(...), method = "profile"): cor -0.4815 to 0.6850
    assert (lo, hi) == pytest.approx((-0.4815, 0.6850), abs=2e-4)
    stated(
        f"95% profile interval (lme4's `confint`) from {minus(lo, '.2f')} to {hi:.2f}",
        f"a 95% interval runs from about {minus(lo, '.1f')} to {hi:.1f}",
    )


def _two_days():
    _, fit = fits()
    j = list(fit.groups).index("337")
    n = fit.n.copy()
    n[j] = 2
    return fit, j, fit.update(n=n)


def test_a_subject_with_two_days():
    fit, j, two = _two_days()
    own, shrunk = two.no_pooling, two.partial_pooling
    stated(
        f"started at {own.alpha[j]:.1f} ms and hardly changed on day 1, so its own slope "
        f"is {own.beta[j]:.2f}",
        rf"$\sigma\sqrt{{2}} \approx {np.sqrt(2 * fit.sigma2):.1f}$ ms per day",
        f"(from {own.alpha[j]:.1f} to {shrunk.alpha[j]:.1f}) and takes a slope of "
        f"{shrunk.beta[j]:.2f}",
        f"5.78, below $\\hat\\tau_\\beta = {fit.tau_beta:.2f}$",
        f"give this subject a slope of {fit.no_pooling.beta[j]:.2f}",
    )
    assert f"{np.sqrt(shrunk.cov[j][1, 1]):.2f}" == "5.78"
    stated(
        f"on the other side of $\\hat\\mu_\\beta$ (now {shrunk.mu[1]:.2f}) from its own "
        f"{own.beta[j]:.2f}"
    )
    assert (two.no_pooling.beta[j] - two.partial_pooling.mu[1]) * (
        two.partial_pooling.beta[j] - two.partial_pooling.mu[1]
    ) < 0
    # with mu's uncertainty: the prediction-error sd of mu_beta + u_j from the inverse of
    # Henderson's mixed-model equations (all 18 subjects, 337 cut to its first 2 rows)
    pev = _henderson_slope_sd(fit, two, j)
    stated(f"Count the uncertainty of $\\hat\\mu$ as well and it is {pev:.2f}")
    assert fit.tau_beta < pev < fit.tau_beta + 0.1  # "slightly above"
    # a slope from two points 1 day apart: se = sigma sqrt(2) / 1
    sleep, _ = fits()
    rows = sleep[sleep.Subject == "337"].Reaction.to_numpy()[:2]
    assert two.no_pooling.beta[j] == pytest.approx(rows[1] - rows[0], rel=1e-12)
    assert two.no_pooling.alpha[j] == pytest.approx(rows[0], rel=1e-12)


def _henderson_slope_sd(fit, two, j):
    sleep, _ = fits()
    rows = []
    for k, s in enumerate(fit.groups):
        d = sleep[sleep.Subject == s].iloc[: two.n[k]]
        rows += [(k, x) for x in d.Days.to_numpy(float)]
    k, x = np.array(rows).T
    k = k.astype(int)
    X = np.c_[np.ones_like(x), x]
    Z = np.zeros((x.size, 2 * len(fit.groups)))
    Z[np.arange(x.size), 2 * k] = 1.0
    Z[np.arange(x.size), 2 * k + 1] = x
    Ginv = np.kron(np.eye(len(fit.groups)), np.linalg.inv(two.Sigma))
    M = np.block([[X.T @ X, X.T @ Z], [Z.T @ X, Z.T @ Z + two.sigma2 * Ginv]]) / two.sigma2
    c = np.zeros(M.shape[0])
    c[1] = c[2 + 2 * j + 1] = 1.0
    # a check on the set-up: the random-effect block alone is Var(b_j | y, mu), slopes_fit's cov
    u = 2 + 2 * j + 1
    assert np.linalg.inv(M[2:, 2:])[u - 2, u - 2] == pytest.approx(two.partial_pooling.cov[j][1, 1])
    return float(np.sqrt(c @ np.linalg.solve(M, c)))


def test_partial_pooling_sd_never_exceeds_the_populations():
    """Var(b_j | y, mu) <= Sigma (Loewner order) for every group, size and Sigma."""
    fit, _, _ = _two_days()
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(0, 11, 18)
        n[0] = 10
        L = rng.normal(size=(2, 2)) * [10.0, 3.0]
        up = fit.update(n=n, sigma2=rng.uniform(100, 2000), Sigma=L @ L.T)
        for C in up.partial_pooling.cov:
            assert np.linalg.eigvalsh(up.Sigma - C).min() > -1e-9 * up.Sigma.max()


def test_rho_tilts_the_two_day_slope():
    fit, j, two = _two_days()
    ta, tb = fit.tau_alpha, fit.tau_beta
    slope = {}
    for rho in (-0.8, 0.0, 0.8):
        S = np.array([[ta**2, rho * ta * tb], [rho * ta * tb, tb**2]])
        slope[rho] = two.update(Sigma=S).partial_pooling.beta[j]
    stated(
        f"{slope[-0.8]:.2f} at $\\rho = -0.8$, {slope[0.0]:.2f} at $\\rho = 0$ and "
        f"{slope[0.8]:.2f} at $\\rho = 0.8$",
        f"toward the {fit.no_pooling.beta[j]:.2f} that its ten days show",
    )
    assert slope[-0.8] < slope[0.0] < slope[0.8]
    # at rho = 0 the slope still ends above the (re-estimated) mu_beta, although its own 2-day
    # slope is far below it: two points 0 and 1 give Corr(alpha-hat, beta-hat) = -1/sqrt(2)
    S0 = np.diag([ta**2, tb**2])
    at0 = two.update(Sigma=S0)
    stated(f"({at0.partial_pooling.mu[1]:.2f} there)")
    assert two.no_pooling.beta[j] < at0.partial_pooling.mu[1] < at0.partial_pooling.beta[j]
    X = np.array([[1.0, 0.0], [1.0, 1.0]])
    C = np.linalg.inv(X.T @ X)
    assert C[0, 1] / np.sqrt(C[0, 0] * C[1, 1]) == pytest.approx(-1 / np.sqrt(2), rel=1e-12)
    stated(r"correlation $-1/\sqrt{2}$")
    # "The pair ends near the line E(beta_j | alpha_j) through mu": for every rho of the table
    # the slope is within 1 ms/day of that line at its own intercept (the line's spread
    # around it is tau_beta sqrt(1 - rho^2), 3.5 to 5.9)
    for rho in (-0.8, 0.0, fit.rho, 0.8):
        S = np.array([[ta**2, rho * ta * tb], [rho * ta * tb, tb**2]])
        at = two.update(Sigma=S)
        m = at.partial_pooling.mu
        line = m[1] + rho * tb / ta * (at.partial_pooling.alpha[j] - m[0])
        assert abs(at.partial_pooling.beta[j] - line) < 1.0
    stated(r"The pair ends near the line $E(\beta_j \mid \alpha_j)$ through $\mu$")
    assert two.no_pooling.alpha[j] > two.partial_pooling.mu[0]  # "Subject 337's intercept is high"
    # E(beta | alpha) = mu_beta + rho tau_beta / tau_alpha (alpha - mu_alpha): the conditional
    # mean of a bivariate normal, checked by sampling
    rng = np.random.default_rng(1)
    S = np.array([[ta**2, 0.8 * ta * tb], [0.8 * ta * tb, tb**2]])
    draws = rng.multivariate_normal([250.0, 10.0], S, 400_000)
    near = np.abs(draws[:, 0] - 290.0) < 1.0
    expect = 10.0 + 0.8 * tb / ta * (290.0 - 250.0)
    assert draws[near, 1].mean() == pytest.approx(expect, abs=0.1)


def _cut_to_two_rmse(fit, rho):
    """Cut each group in turn to its first 2 rows (the others kept), at the fit's sigma2,
    tau_alpha, tau_beta and this rho: root mean square distance of its partial-pooling slope
    and of its own 2-row slope from its own slope on all rows."""
    ta, tb = fit.tau_alpha, fit.tau_beta
    S = np.array([[ta**2, rho * ta * tb], [rho * ta * tb, tb**2]])
    part, own = [], []
    for k in range(len(fit.groups)):
        n = fit.n.copy()
        n[k] = 2
        up = fit.update(n=n, Sigma=S)
        part.append(up.partial_pooling.beta[k] - fit.no_pooling.beta[k])
        own.append(up.no_pooling.beta[k] - fit.no_pooling.beta[k])
    return np.sqrt(np.mean(np.square(part))), np.sqrt(np.mean(np.square(own)))


def test_partial_pooling_is_best_on_average():
    _, fit = fits()
    r = {rho: _cut_to_two_rmse(fit, rho) for rho in (fit.rho, 0.0, 0.8, -0.8)}
    stated(
        f"slopes by {r[fit.rho][0]:.1f} ms per day (root mean square; {r[0.0][0]:.1f} at "
        f"$\\rho = 0$ too), against {r[0.8][0]:.1f} at $\\rho = 0.8$, {r[-0.8][0]:.1f} at "
        f"$\\rho = -0.8$ and {r[fit.rho][1]:.1f} for the subjects' own 2-day slopes"
    )
    assert max(r[fit.rho][0], r[0.0][0]) < min(r[0.8][0], r[-0.8][0])
    assert r[fit.rho][0] < r[fit.rho][1] / 3


@pytest.mark.parametrize("seed", [6, 7])
def test_partial_pooling_beats_own_two_day_slopes_on_other_data(seed):
    """The same check on simulated subjects (true rho = 0.3): at the estimated variances the
    partial-pooling slopes from 2 days beat the own 2-day slopes, and the estimated rho beats
    the wrong-signed -0.8."""
    rng = np.random.default_rng(seed)
    J, x1 = 30, np.arange(10.0)
    S = np.array([[400.0, 0.3 * 20 * 5], [0.3 * 20 * 5, 25.0]])
    b = rng.multivariate_normal([250.0, 10.0], S, J)
    x = np.tile(x1, J)
    g = np.repeat(np.arange(J), x1.size)
    y = b[g, 0] + b[g, 1] * x + rng.normal(0, 25.0, x.size)
    f = sv.slopes_fit(x, y, g)
    part, own = _cut_to_two_rmse(f, f.rho)
    assert part < own / 2
    assert part < _cut_to_two_rmse(f, -0.8)[0]
