"""Exact shrinkage for counts: the conjugate beta-binomial and gamma-Poisson models.

    beta-binomial   y_j ~ Binomial(n_j, theta_j),         theta_j ~ Beta(a, b)
    gamma-Poisson   y_j ~ Poisson(theta_j E_j),           theta_j ~ Gamma(a, rate b)

Both posteriors are closed form (BDA3 sections 2.4, 2.6 and 5.3), and both posterior means are
the normal model's picture with the prior's strength in tau2's place:

    beta-binomial   mean_j = (a + y_j) / (a + b + n_j) = (1 - B_j) y_j / n_j + B_j a / (a + b),
                    B_j = (a + b) / (a + b + n_j)
    gamma-Poisson   mean_j = (a + y_j) / (b + E_j)     = (1 - B_j) y_j / E_j + B_j a / b,
                    B_j = b / (b + E_j)

The prior is described by its mean (a / (a + b), or a / b) and its size (a + b, or b: the number
of trials, or the exposure, the prior is worth). A size of 0 is no pooling, a size of inf
complete pooling, and both ends are exact (``with_prior``). With a and b not given they are
estimated by empirical Bayes: the maximum of the marginal likelihood (beta-binomial, or negative
binomial), as R's VGAM ``vglm(..., betabinomial)`` and MASS ``glm.nb`` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import optimize, special, stats

from . import checks as check
from ._results import freeze, readonly, result_repr

_NUMBERS = ("mean", "var", "B", "a", "b", "prior_mean", "prior_size", "loglik")


@dataclass(frozen=True, repr=False, eq=False)
class _Conjugate:
    """The fields both families share (read-only arrays of length J, floats)."""

    raw: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    B: np.ndarray
    a: float
    b: float
    prior_mean: float
    prior_size: float
    y: np.ndarray

    def interval(self, level: float = 0.95, groups=None) -> tuple[np.ndarray, np.ndarray]:
        """Central posterior interval of each theta_j: the (1 -+ level) / 2 quantiles of its
        exact posterior given this result's a and b (a point where the posterior is a point
        mass: size inf, or y_j = 0 at size 0). With a and b estimated by empirical Bayes this is
        a plug-in interval: it leaves out their uncertainty (full_bayes_binomial averages over
        it, BDA3 section 5.3). ``groups``: indices of the groups wanted (default all), so that a
        slider move pays for the quantiles it shows only."""
        level = check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
        j = _groups(groups, len(self.y))
        return self._quantile(0.5 - level / 2, j), self._quantile(0.5 + level / 2, j)

    def with_prior(self, size=None, mean=None):
        """The same data under another prior: ``size`` (a + b, or b) and ``mean`` (a / (a + b),
        or a / b); each one not given keeps this result's value. Closed form, O(J): the move of
        a prior-strength slider. ``size`` may be 0 (no pooling) or inf (complete pooling)."""
        size = self.prior_size if size is None else check.scalar("size", size, lo=0, allow_inf=True)
        mean = self.prior_mean if mean is None else self._check_mean(mean)
        return self._at(self.y, self._trials, mean, size)

    def weighted_prior_mean(self, size=None) -> float:
        """The prior mean estimated at prior size ``size`` (default: this result's): the mean of
        the raw rates weighted by 1 - B_j = n_j / (size + n_j) (E_j / (size + E_j) for rates),

            m(size) = sum_j (1 - B_j) y_j / n_j  /  sum_j (1 - B_j).

        Given the size, the raw rates are independent with mean m and variance
        Var(y_j / n_j) = m (1 - m) (size + n_j) / ((size + 1) n_j) (beta-binomial; gamma-Poisson:
        m (size + E_j) / (size E_j)), both proportional to 1 / (1 - B_j) whatever m is, so this
        is their best linear unbiased estimate (GLS; Kleinman 1973, JASA 68, 46-54) and the
        exact analogue of the normal model's precision-weighted mu0 (BDA3 eq. 5.20). Its ends
        are exact: the plain mean of the raw rates at size 0 (no pooling) and the pooled rate
        sum y / sum n at size inf (complete pooling). Groups with n_j = 0 have weight 0."""
        size = self.prior_size if size is None else check.scalar("size", size, lo=0, allow_inf=True)
        trials = self._trials
        has = trials > 0
        if not has.any():
            raise ValueError("n must be > 0 for some group to estimate the prior mean (got none)")
        t, y = trials[has], self.y[has]
        if size == np.inf:
            return float(y.sum() / t.sum())
        weight = t / (size + t)
        return float(weight @ (y / t) / weight.sum())

    def __repr__(self) -> str:
        return result_repr(self, _NUMBERS)


@dataclass(frozen=True, repr=False, eq=False)
class BetaBinomial(_Conjugate):
    """Posterior of each theta_j in the beta-binomial model (see ``beta_binomial``).

    raw          y_j / n_j, the group's own proportion (nan where n_j = 0)
    mean, var    posterior mean and variance of theta_j: Beta(a + y_j, b + n_j - y_j)
    B            shrinkage factor (a + b) / (a + b + n_j): 0 = no pooling, 1 = complete pooling
    a, b         the prior Beta(a, b) (inf, inf at prior_size = inf)
    prior_mean   a / (a + b);  prior_size  a + b
    loglik       log marginal likelihood sum_j log p(y_j | n_j, a, b), binomial coefficients
                 included (as R's VGAM::dbetabinom.ab); at size inf the binomial one
    y, n         read-only copies of the data
    """

    n: np.ndarray

    @cached_property
    def loglik(self) -> float:
        """Log marginal likelihood (computed on first use: a slider move does not pay for it)."""
        return _beta_binomial_loglik(self.y, self.n, self.prior_mean, self.prior_size)

    @property
    def _trials(self):
        return self.n

    @staticmethod
    def _check_mean(mean):
        return check.scalar("mean", mean, lo=0, hi=1, lo_open=True, hi_open=True)

    @staticmethod
    def _at(y, n, m, s):
        return _beta_binomial_at(y, n, m, s)

    def _quantile(self, p, j):
        y, n = self.y[j], self.n[j]
        if self.prior_size == np.inf:
            return np.full(len(y), self.prior_mean)
        alpha = self.prior_mean * self.prior_size + y
        beta = (1 - self.prior_mean) * self.prior_size + n - y
        with np.errstate(invalid="ignore"):
            q = special.betaincinv(alpha, beta, p)
        # size 0: Beta(0, n) and Beta(n, 0) are point masses at 0 and 1; Beta(0, 0) with prior
        # mean m (n_j = 0) is the limit Bernoulli(m).
        q = np.where(alpha == 0, 0.0, np.where(beta == 0, 1.0, q))
        return np.where((alpha == 0) & (beta == 0), float(p > 1 - self.prior_mean), q)


@dataclass(frozen=True, repr=False, eq=False)
class GammaPoisson(_Conjugate):
    """Posterior of each theta_j in the gamma-Poisson model (see ``gamma_poisson``).

    raw          y_j / E_j, the group's own rate
    mean, var    posterior mean and variance of theta_j: Gamma(a + y_j, rate b + E_j)
    B            shrinkage factor b / (b + E_j): 0 = no pooling, 1 = complete pooling
    a, b         the prior Gamma(a, rate b) (inf, inf at prior_size = inf)
    prior_mean   a / b;  prior_size  b (the exposure the prior is worth)
    loglik       log marginal likelihood (negative binomial, y_j! included); at size inf the
                 Poisson one
    y, exposure  read-only copies of the data
    """

    exposure: np.ndarray

    @cached_property
    def loglik(self) -> float:
        """Log marginal likelihood (computed on first use: a slider move does not pay for it)."""
        return _gamma_poisson_loglik(self.y, self.exposure, self.prior_mean, self.prior_size)

    @property
    def _trials(self):
        return self.exposure

    @staticmethod
    def _check_mean(mean):
        return check.scalar("mean", mean, lo=0, lo_open=True)

    @staticmethod
    def _at(y, E, m, s):
        return _gamma_poisson_at(y, E, m, s)

    def _quantile(self, p, j):
        y, E = self.y[j], self.exposure[j]
        if self.prior_size == np.inf:
            return np.full(len(y), self.prior_mean)
        shape = self.prior_mean * self.prior_size + y
        with np.errstate(invalid="ignore"):
            q = special.gammaincinv(shape, p) / (self.prior_size + E)
        return np.where(shape == 0, 0.0, q)  # size 0, y_j = 0: a point mass at 0


def beta_binomial(y, n, a=None, b=None) -> BetaBinomial:
    """Exact partial pooling of proportions: y_j ~ Binomial(n_j, theta_j), theta_j ~ Beta(a, b).

    The posterior of theta_j is Beta(a + y_j, b + n_j - y_j) (BDA3 section 5.3, eq. 5.7) with

        mean_j = (a + y_j) / (a + b + n_j) = (1 - B_j) y_j / n_j + B_j a / (a + b),
        B_j    = (a + b) / (a + b + n_j),   var_j = mean_j (1 - mean_j) / (a + b + n_j + 1).

    A group with n_j = 0 sits at the prior mean with B_j = 1. With ``a`` and ``b`` both None
    they are estimated by empirical Bayes, maximising the beta-binomial marginal likelihood

        log p(y | a, b) = sum_j log C(n_j, y_j) + log B(a + y_j, b + n_j - y_j) - log B(a, b)

    (Newton's method on (log a, log b), scipy.optimize). When the proportions vary no more than
    binomial noise allows (no overdispersion: Tarone's score at a + b = inf is <= 0 and no
    interior maximum beats the binomial likelihood), the maximum is the boundary a + b = inf:
    the result is complete pooling, with a = b = prior_size = inf, said in its repr.

    Parameters
    ----------
    y : whole numbers >= 0, the successes of each group (e.g. rats with tumours).
    n : whole numbers >= y, the trials of each group (0 allowed: the group sits at the prior
        mean).
    a, b : the prior Beta(a, b), both > 0 and finite, or both None to estimate them.

    Raises ValueError for negative or fractional counts, y > n, a or b given alone, and where
    empirical Bayes has no answer: fewer than two groups with n_j > 0, every n_j <= 1 (a + b
    cannot be told apart from the mean), every group with the same proportion, or every group
    at 0 % or 100 % (then the likelihood grows without end as a + b -> inf, or -> 0).
    """
    y, n = _binomial_counts(y, n)
    if a is None and b is None:
        m, s = _fit_beta_binomial(y, n)
    else:
        a, b = _prior("a", a, b), _prior("b", b, a)
        m, s = a / (a + b), a + b
    return _beta_binomial_at(readonly(y), readonly(n), m, s)


def gamma_poisson(y, exposure, a=None, b=None) -> GammaPoisson:
    """Exact partial pooling of rates: y_j ~ Poisson(theta_j E_j), theta_j ~ Gamma(a, rate b).

    The posterior of theta_j is Gamma(a + y_j, rate b + E_j) (BDA3 section 2.6) with

        mean_j = (a + y_j) / (b + E_j) = (1 - B_j) y_j / E_j + B_j a / b,
        B_j    = b / (b + E_j),   var_j = mean_j / (b + E_j).

    With ``a`` and ``b`` both None they are estimated by empirical Bayes, maximising the
    negative-binomial marginal likelihood

        log p(y | a, b) = sum_j log Gamma(a + y_j) - log Gamma(a) - log y_j!
                          + a log(b / (b + E_j)) + y_j log(E_j / (b + E_j)).

    Without overdispersion (Dean's score at b = inf is <= 0 and no interior maximum beats the
    Poisson likelihood) the maximum is the boundary b = inf: complete pooling, a = b =
    prior_size = inf.

    Parameters
    ----------
    y : whole numbers >= 0, the events of each group (e.g. deaths, cases).
    exposure : > 0 and finite, each group's exposure E_j (person-years, expected counts).
    a, b : the prior Gamma(a, rate b), both > 0 and finite, or both None to estimate them.

    Raises ValueError for negative or fractional counts, exposure <= 0, a or b given alone, and
    where empirical Bayes has no answer: fewer than two groups or every group with the same
    rate y_j / E_j.
    """
    y = _counts("y", y)
    E = check.float_array("exposure", exposure)
    bad = ~((E > 0) & (E < np.inf))
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"exposure must be > 0 and finite (got {float(E[j])!r} at {_where(exposure, j)})"
        )
    check.same_length(y=y, exposure=E)
    if a is None and b is None:
        m, s = _fit_gamma_poisson(y, E)
    else:
        a, b = _prior("a", a, b), _prior("b", b, a)
        m, s = a / b, b
    return _gamma_poisson_at(readonly(y), readonly(E), m, s)


# --- the closed forms, given the prior mean m and size s (0 <= s <= inf) ---------------------


def _shrinkage(trials, s):
    """B_j = s / (s + n_j), exact at s = inf (1), s = 0 (0) and n_j = 0 (1)."""
    if s == np.inf:
        return np.ones_like(trials)
    B = np.ones_like(trials)
    has = trials > 0
    B[has] = s / (s + trials[has])
    return B


def _posterior_mean(y, trials, m, s):
    B = _shrinkage(trials, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = y / trials
    mean = (1 - B) * np.where(trials > 0, raw, 0.0) + B * m
    return raw, B, mean


def _beta_binomial_at(y, n, m, s) -> BetaBinomial:
    raw, B, mean = _posterior_mean(y, n, m, s)
    # mean (1 - mean) / (s + n + 1) is exact at both ends: 0 at s = inf, m (1 - m) for the
    # Bernoulli limit at s = 0, n = 0.
    var = np.zeros_like(mean) if s == np.inf else mean * (1 - mean) / (s + n + 1)
    a, b = m * s, (1 - m) * s
    return BetaBinomial(
        raw=freeze(raw),
        mean=freeze(mean),
        var=freeze(var),
        B=freeze(B),
        a=float(a),
        b=float(b),
        prior_mean=float(m),
        prior_size=float(s),
        y=y,
        n=n,
    )


def _gamma_poisson_at(y, E, m, s) -> GammaPoisson:
    raw, B, mean = _posterior_mean(y, E, m, s)
    var = np.zeros_like(mean) if s == np.inf else mean / (s + E)
    a = m * s
    return GammaPoisson(
        raw=freeze(raw),
        mean=freeze(mean),
        var=freeze(var),
        B=freeze(B),
        a=float(a),
        b=float(s),
        prior_mean=float(m),
        prior_size=float(s),
        y=y,
        exposure=E,
    )


def _beta_binomial_loglik(y, n, m, s) -> float:
    """sum_j log C(n_j, y_j) + log B(a + y_j, b + n_j - y_j) - log B(a, b), a = m s, b = (1 - m) s,
    with its limits at s = inf (binomial) and s = 0."""
    a, b = m * s, (1 - m) * s
    if s == np.inf:
        return float(stats.binom.logpmf(y, n, m).sum())
    if s == 0:
        # Beta-binomial as a + b -> 0 with a / (a + b) = m: p(0) = 1 - m, p(n) = m, else 0.
        with np.errstate(divide="ignore"):
            return float(
                np.where(
                    n == 0,
                    0.0,
                    np.where(y == 0, np.log1p(-m), np.where(y == n, np.log(m), -np.inf)),
                ).sum()
            )
    # log Gamma(x + k) - log Gamma(x) = k log x + excess, so that it holds as s -> inf
    return float(
        (
            special.gammaln(n + 1)
            - special.gammaln(y + 1)
            - special.gammaln(n - y + 1)
            + special.xlogy(y, m)
            + special.xlog1py(n - y, -m)
            + _log_rising_excess(a, y)
            + _log_rising_excess(b, n - y)
            - _log_rising_excess(s, n)
        ).sum()
    )


def _gamma_poisson_loglik(y, E, m, s) -> float:
    """sum_j log Gamma(a + y_j) - log Gamma(a) - log y_j! + a log(b / (b + E_j))
    + y_j log(E_j / (b + E_j)), a = m b, b = s, with its limits at b = inf (Poisson) and 0."""
    if s == np.inf:
        return float(stats.poisson.logpmf(y, m * E).sum())
    if s == 0:
        # Negative binomial as b -> 0 with a / b = m: p(0) -> 1, p(y > 0) -> 0.
        return 0.0 if not y.any() else -np.inf
    a, shrink = m * s, np.log1p(E / s)  # written to hold as b -> inf
    return float(
        (
            special.xlogy(y, m * E)
            - y * shrink
            - a * shrink
            - special.gammaln(y + 1)
            + _log_rising_excess(a, y)
        ).sum()
    )


def _log_rising_excess(x, k):
    """log Gamma(x + k) - log Gamma(x) - k log x, accurate for every x > 0.

    For x >= 50 from Stirling's series written with log1p, so that nothing cancels as x -> inf
    (a difference of log Gamma, or of log B, loses every digit there; scipy.stats.betabinom and
    nbinom compute so); below 50 the difference of log Gamma is exact to ~1e-13.
    """
    x, k = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(k, np.float64))
    out = np.empty(x.shape)
    big = x >= 50
    xb, kb = x[big], k[big]
    inv, inv_k = 1 / xb, 1 / (xb + kb)
    out[big] = (
        (xb + kb - 0.5) * np.log1p(kb / xb)
        - kb
        + (inv_k - inv) / 12
        - (inv_k**3 - inv**3) / 360
        + (inv_k**5 - inv**5) / 1260
    )
    xs, ks = x[~big], k[~big]
    out[~big] = special.gammaln(xs + ks) - special.gammaln(xs) - ks * np.log(xs)
    return out


# --- empirical Bayes ------------------------------------------------------------------------


def _fit_beta_binomial(y, n):
    has = n > 0
    y, n = y[has], n[has]
    if len(y) < 2:
        raise check.fail(
            "n",
            "> 0 for at least two groups to estimate a and b",
            f"{len(y)} such group{'s' * (len(y) != 1)}",
        )
    if np.all(n <= 1):
        raise ValueError(
            "n must be >= 2 for some group to estimate a and b: with one trial "
            "per group the data say nothing about a + b (got every n <= 1)"
        )
    _same_proportion("y / n", y, n, "a + b")
    if not np.any((y > 0) & (y < n)):
        raise ValueError(
            "y must be strictly between 0 and n in some group to estimate a and "
            "b: with every group at 0 % or 100 % the marginal likelihood grows "
            "without end as a + b -> 0 (no pooling); pass a and b"
        )
    # Unique (y, n) pairs with their multiplicities: the likelihood is a weighted sum.
    (yu, nu), w = _unique_rows(y, n)
    m_hat = y.sum() / n.sum()
    # Tarone's score for overdispersion, d loglik / d(1 / (a + b + 1)) at a + b = inf, m = m_hat
    score = w @ (
        yu * (yu - 1) / (2 * m_hat)
        + (nu - yu) * (nu - yu - 1) / (2 * (1 - m_hat))
        - nu * (nu - 1) / 2
    )

    def objective(x):
        a, b = np.exp(x)
        s = a + b
        d1 = [
            special.digamma(a + yu) - special.digamma(a),
            special.digamma(b + nu - yu) - special.digamma(b),
            special.digamma(s) - special.digamma(s + nu),
        ]
        d2 = [
            special.zeta(2, a + yu) - special.zeta(2, a),
            special.zeta(2, b + nu - yu) - special.zeta(2, b),
            special.zeta(2, s) - special.zeta(2, s + nu),
        ]
        ga, gb = w @ (d1[0] + d1[2]), w @ (d1[1] + d1[2])
        haa, hbb, hab = w @ (d2[0] + d2[2]), w @ (d2[1] + d2[2]), w @ d2[2]
        value = w @ (special.betaln(a + yu, b + nu - yu) - special.betaln(a, b))
        grad = np.array([a * ga, b * gb])
        hess = np.array([[a * a * haa + a * ga, a * b * hab], [a * b * hab, b * b * hbb + b * gb]])
        return -value, -grad, -hess

    start = _moment_size(y / n, m_hat * (1 - m_hat) * np.mean(1 / n), m_hat * (1 - m_hat))
    x0 = np.log([m_hat * start, (1 - m_hat) * start])
    size = _maximise(
        objective,
        x0,
        score,
        binomial=w @ (special.xlogy(yu, m_hat) + special.xlog1py(nu - yu, -m_hat)),
    )
    if size is None:
        return m_hat, np.inf
    a, b = size
    return a / (a + b), a + b


def _fit_gamma_poisson(y, E):
    if len(y) < 2:
        raise check.fail("y", "of length >= 2 to estimate a and b", f"length {len(y)}")
    _same_proportion("y / exposure", y, E, "b")
    (yu, Eu), w = _unique_rows(y, E)
    m_hat = y.sum() / E.sum()
    score = w @ (((yu - m_hat * Eu) ** 2 - yu) / (2 * m_hat))  # Dean's score at b = inf

    def objective(x):
        a, b = np.exp(x)
        ga = w @ (special.digamma(a + yu) - special.digamma(a) - np.log1p(Eu / b))
        gb = w @ (a / b - (a + yu) / (b + Eu))
        haa = w @ (special.zeta(2, a + yu) - special.zeta(2, a))
        hbb = w @ (-a / b**2 + (a + yu) / (b + Eu) ** 2)
        hab = w @ (1 / b - 1 / (b + Eu))
        value = w @ (
            special.gammaln(a + yu)
            - special.gammaln(a)
            - a * np.log1p(Eu / b)
            - yu * np.log1p(b / Eu)
        )
        grad = np.array([a * ga, b * gb])
        hess = np.array([[a * a * haa + a * ga, a * b * hab], [a * b * hab, b * b * hbb + b * gb]])
        return -value, -grad, -hess

    r = y / E
    start = _moment_size(r, m_hat * np.mean(1 / E), m_hat)
    x0 = np.log([m_hat * start, start])
    # the Poisson log likelihood without the log y! the objective leaves out too
    size = _maximise(
        objective, x0, score, binomial=w @ (special.xlogy(yu, m_hat * Eu) - m_hat * Eu)
    )
    if size is None:
        return m_hat, np.inf
    a, b = size
    return a / b, b


def _moment_size(raw, noise, spread):
    """A starting prior size from the method of moments: the variance of the raw estimates
    beyond their sampling noise is spread / (size + 1) (beta) or spread / size (gamma)."""
    excess = np.var(raw) - noise
    return float(np.clip(spread / excess, 0.5, 1e4)) if excess > 0 else 1e3


def _maximise(objective, x0, score, binomial):
    """(a, b) at the maximum of the marginal likelihood, or None at the boundary size = inf.

    ``objective`` is minus the log likelihood (without the terms free of a and b) with its
    gradient and Hessian in (log a, log b); ``binomial`` is the same log likelihood at the
    boundary. With a positive score at the boundary the likelihood rises into the interior,
    and since it falls to -inf as the size -> 0 (some 0 < y_j < n_j, or some y_j > 0) the
    maximum is inside; with a score <= 0 an interior maximum counts only if it clearly beats
    the boundary.
    """
    memo = {}

    def part(k):  # trust-exact asks for the value, gradient and Hessian separately
        def f(x):
            key = x.tobytes()
            if key not in memo:
                memo.clear()
                memo[key] = objective(x)
            return memo[key][k]

        return f

    res = optimize.minimize(
        part(0),
        x0,
        method="trust-exact",
        jac=part(1),
        hess=part(2),
        options={"gtol": 1e-9, "maxiter": 500},
    )
    x = res.x
    for _ in range(3):  # trust-exact stops where the value stalls; Newton takes the last digits
        _, grad, hess = objective(x)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.abs(step) < 0.1):
            break
        x = x - step
    value, grad, _ = objective(x)
    a, b = np.exp(x)
    interior = (
        np.isfinite(value) and max(a, b) < 1e9 and np.all(np.abs(grad) <= 1e-6 * (1 + abs(value)))
    )
    if score > 0:
        if not interior:  # pragma: no cover - a positive score always has an inner maximum
            raise RuntimeError(f"the marginal likelihood did not converge: {res.message}")
        return a, b
    if interior and -value > binomial + 1e-6 * (1 + abs(binomial)):
        return a, b
    return None


# --- validation -----------------------------------------------------------------------------


def _where(x, j) -> str:
    """Where row j is, in the user's words: its label for a pandas Series, else its index."""
    index = getattr(x, "index", None)
    if index is not None and not callable(index) and len(index) > j:
        return f"row {index[j]!r}"
    return f"index {j}"


def _groups(groups, J):
    """Indices of groups (an int or 1-D ints in [-J, J)), or every group for None."""
    if groups is None:
        return slice(None)
    j = np.atleast_1d(np.asarray(groups))
    if j.ndim != 1 or j.dtype.kind not in "iu" or np.any((j < -J) | (j >= J)):
        raise check.fail("groups", f"indices of the {J} groups", groups)
    return j


def _binomial_counts(y, n):
    """y and n checked as counts of the same length with y_j <= n_j (the row named if not)."""
    y_in = y
    y, n = _counts("y", y), _counts("n", n)
    check.same_length(y=y, n=n)
    over = y > n
    if over.any():
        j = int(np.flatnonzero(over)[0])
        raise ValueError(f"y must be <= n (got y = {y[j]:g} > n = {n[j]:g} at {_where(y_in, j)})")
    return y, n


def _counts(name, x):
    arr = check.float_array(name, x)
    ok = np.isfinite(arr) & (arr >= 0) & (arr == np.round(arr))
    if not ok.all():
        j = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"{name} must be whole numbers >= 0 (got {float(arr[j])!r} at {_where(x, j)})"
        )
    return arr


def _prior(name, value, other):
    if value is None or other is None:
        partner = "b" if name == "a" else "a"
        raise check.fail(
            f"{name} and {partner}",
            "given together, or both None",
            f"{name}={value!r}, {partner}={other!r}",
        )
    return check.scalar(name, value, lo=0, lo_open=True)


def _same_proportion(name, y, trials, size):
    # exact for whole numbers: y_i / t_i == y_0 / t_0  <=>  y_i t_0 == y_0 t_i
    if np.all(y * trials[0] == y[0] * trials):
        raise ValueError(
            f"{name} must differ between groups to estimate a and b: every group has "
            f"{name} = {y[0] / trials[0]:.6g}, so the marginal likelihood has no maximum "
            f"(it is largest at complete pooling, {size} -> inf); pass a and b"
        )


def _unique_rows(u, v):
    """The distinct (u_j, v_j) pairs and how many groups share each."""
    (uu, vu), back = _pairs(u, v)
    return (uu, vu), np.bincount(back, minlength=len(uu)).astype(np.float64)


def _pairs(u, v):
    """The distinct (u_j, v_j) pairs and, for each group, the index of its pair."""
    rows, back = np.unique(np.column_stack([u, v]), axis=0, return_inverse=True)
    return (rows[:, 0], rows[:, 1]), back.ravel()
