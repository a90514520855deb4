"""Full Bayes for the normal-normal model: the exact average over tau, without MCMC.

    theta_j ~ N(mu, tau^2),   y_j | theta_j ~ N(theta_j, v_j),   p(mu) flat,   tau ~ p(tau)

With mu integrated out the posterior of tau is one-dimensional (BDA3 section 5.4, eq. 5.21):

    p(tau | y) ∝ p(tau) V_mu^(1/2) prod_j (v_j + tau^2)^(-1/2)
                        * exp(-(y_j - mu_hat)^2 / (2 (v_j + tau^2)))

with w_j = 1 / (v_j + tau^2), mu_hat = sum(w y) / sum(w) and V_mu = 1 / sum(w) (eq. 5.20).
Given tau, mu | tau, y ~ N(mu_hat, V_mu) and (eq. 5.17 with mu integrated out)

    theta_j | tau, y ~ N((1 - B_j) y_j + B_j mu_hat, (1 - B_j) v_j + B_j^2 V_mu),   B_j = v_j w_j,

the moments of ``posterior(y, v, tau**2)``. So every summary is a 1-D integral over tau and the
marginal posterior of theta_j (or mu) is a mixture of those normals over p(tau | y).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from scipy.optimize import elementwise

from . import checks as check
from ._results import freeze, readonly, result_repr

TAU_PRIORS = ("uniform", "half-cauchy", "half-normal")
# p(tau | y) falls like tau^-(J + _TAIL[prior]) (uniform: V_mu^(1/2) ~ tau against tau^-J).
_TAIL = {"uniform": -1, "half-cauchy": 1, "half-normal": np.inf}
_DROP = 40.0  # the grid covers wherever an integrand is within e^-40 of its peak
_COARSE = 0.5  # step in log tau of the scan that finds the mode and the extent
_H_MAX = 0.25  # largest trapezoid step in x (= log tau near the mode)
_RTOL = 1e-10  # the step is halved until the summaries change by less than this


@dataclass(frozen=True, repr=False, eq=False)
class FullBayes:
    """Posterior summaries averaged over p(tau | y) (read-only arrays).

    mean, sd              posterior mean and sd of each theta_j (length J); for a group
                          without data (v_j = inf), theta_j ~ N(mu0, tau^2): mu0 and
                          sqrt(mu0_sd^2 + E[tau^2 | y]) (inf where E[tau^2 | y] is)
    B                     posterior mean of each shrinkage factor B_j = v_j / (v_j + tau^2),
                          E[B_j | y] (1 for a group without data): the factor the slider
                          sets, averaged over p(tau | y)
    mu0, mu0_sd           of the grand mean mu0
    tau_mean, tau_sd      of tau; ``inf`` where the moment diverges: p(tau | y) falls like
                          tau^-(J-1) under the uniform prior and tau^-(J+1) under the
                          half-Cauchy, so E[tau] = inf for a uniform prior with J = 3, and
                          E[tau^2] = inf (then tau_sd = mu0_sd = inf) for a uniform prior with
                          J <= 4 and a half-Cauchy prior with J = 2. sd stays finite.
    tau, tau_density      the grid of tau chosen by the code and p(tau | y) on it
    tau_weights           quadrature weights in tau: the integral of f(tau) p(tau | y) is
                          sum(tau_weights * tau_density * f(tau)), and sum(tau_weights *
                          tau_density) == 1 (the trapezoid rule of full_bayes, with step h
                          in x: tau_weights = h * dtau/dx). The grid spans the whole posterior,
                          tails included: plot it up to, say, tau_quantiles([0.99]).
    tau_prior, tau_scale  the prior used
    """

    mean: np.ndarray
    sd: np.ndarray
    B: np.ndarray
    mu0: float
    mu0_sd: float
    tau_mean: float
    tau_sd: float
    tau: np.ndarray
    tau_density: np.ndarray
    tau_weights: np.ndarray
    tau_prior: str
    tau_scale: float | None
    _y: np.ndarray
    _v: np.ndarray
    _mass: np.ndarray  # tau_weights * tau_density: the mixture weights, summing to 1
    _x: np.ndarray  # the uniform grid behind tau: log tau = _x - exp(_x0 - _x)
    _x0: float

    def quantiles(self, probs) -> np.ndarray:
        """Quantiles of each theta_j, shape (J, len(probs)): roots of the mixture CDF
        sum_i mass_i Phi((x - m_ij) / s_ij) over the tau grid."""
        probs = _probs(probs)
        mean, var = _theta_given_tau(self._y, self._v, self.tau**2)
        return _mixture_quantiles(self._mass, mean, np.sqrt(var), probs)

    def mu0_quantiles(self, probs) -> np.ndarray:
        """Quantiles of mu, shape (len(probs),): a mixture of N(mu_hat, V_mu) over tau."""
        probs = _probs(probs)
        _, mu_hat, V_mu = _pooled(self._y, self._v, self.tau**2)
        return _mixture_quantiles(self._mass, mu_hat[:, None], np.sqrt(V_mu)[:, None], probs)[0]

    def tau_quantiles(self, probs) -> np.ndarray:
        """Quantiles of tau, shape (len(probs),).

        The CDF in the grid variable x is the integral of the sinc interpolant of the density,
        F(x) = sum_i mass_i (1/2 + Si(pi (x - x_i) / h) / pi) (sinc indefinite integration:
        Stenger 1993, *Numerical methods based on sinc and analytic functions*), exponentially
        accurate like the trapezoid rule itself. It reaches as far as the grid, whose ends lie
        where the density has fallen to e^-40 of its peak: a prob beyond them gives nan.
        """
        probs = _probs(probs)
        x = self._x
        h = x[1] - x[0]

        def excess(t, p):
            z = np.pi / h * (t[..., None] - x)
            return (0.5 + special.sici(z)[0] / np.pi) @ self._mass - p

        root = elementwise.find_root(excess, (x[0], x[-1]), args=(probs,)).x
        return np.exp(_to_u(root, self._x0)[0])

    def __repr__(self) -> str:
        numbers = result_repr(self, ("mean", "sd", "mu0", "mu0_sd", "tau_mean", "tau_sd"))
        return f"{numbers[:-1]}, tau_prior={self.tau_prior!r}, tau_scale={self.tau_scale!r})"


def full_bayes(y, v, tau_prior: str = "uniform", tau_scale=None) -> FullBayes:
    """Posterior of theta_j, mu and tau in the normal-normal model, averaged over tau exactly.

    The model of BDA3 section 5.4 (see the module docstring) with a flat prior on mu and
    ``tau_prior`` on tau:

        "uniform"       p(tau) ∝ 1 (BDA3's choice; needs J >= 3 groups, else p(tau | y) is
                        improper)
        "half-cauchy"   p(tau) ∝ 1 / (1 + (tau / tau_scale)^2)
        "half-normal"   p(tau) ∝ exp(-tau^2 / (2 tau_scale^2))

    Every summary is an integral over tau, taken by the trapezoid rule in a variable x with
    log tau = x - exp(x0 - x) (log tau above x0, a double-exponential squeeze of tau -> 0 below
    it); the rule converges exponentially for integrands analytic in a strip (Trefethen &
    Weideman 2014, SIAM Review 56, 385-458). The grid is chosen here: a scan finds the mode of
    p(tau | y) tau and the range where any integrand of a finite moment is within e^-40 of its
    peak (the uniform prior's tail falls only like tau^-(J-1), so for small J that range spans
    dozens of units of log tau); the first step comes from the curvature at the mode and is
    halved until the means and sds change by less than 1e-10 relative. Quantiles solve the
    mixture CDF with a bracketing root finder (Chandrupatla's, scipy.optimize.elementwise).

    A group without data (v_j = inf, e.g. n_j = 0) drops out of p(tau | y) and mu, as it
    drops out of the likelihood; its theta_j is a draw from N(mu, tau^2) averaged over the
    posterior. Every other number is that of ``full_bayes`` on the groups with data alone.

    Parameters
    ----------
    y : array of J finite group estimates.
    v : array of J sampling variances, > 0; inf for a group without data. At least 2 groups
        need data (3 for the uniform prior).
    tau_prior : "uniform", "half-cauchy" or "half-normal".
    tau_scale : the scale of the half-Cauchy or half-normal prior (> 0); None for "uniform".

    Returns
    -------
    FullBayes with mean, sd, B, mu0, mu0_sd, tau_mean, tau_sd, the grid
    tau, tau_density, tau_weights and quantiles(), mu0_quantiles(), tau_quantiles().
    """
    y = check.finite("y", check.float_array("y", y))
    v = check.float_array("v", v)
    ok = v > 0
    if not ok.all():
        j = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"v must be > 0 (inf for a group without data) (got {float(v[j])!r} at index {j})"
        )
    check.same_length(y=y, v=v)
    tau_prior = check.choice("tau_prior", tau_prior, TAU_PRIORS)
    data = v < np.inf
    if tau_prior == "uniform":
        if tau_scale is not None:
            raise check.fail("tau_scale", "None for tau_prior='uniform'", tau_scale)
        check.groups_with_data(
            data, need=3, why=" for tau_prior='uniform' (with 2, p(tau | y) is improper)"
        )
    else:
        if tau_scale is None:
            raise check.fail("tau_scale", f"given (> 0) for tau_prior={tau_prior!r}", None)
        tau_scale = check.scalar("tau_scale", tau_scale, lo=0, lo_open=True)
        check.groups_with_data(data)

    yd, vd = y[data], v[data]
    tail = len(yd) + _TAIL[tau_prior]  # p(tau | y) ~ tau^-tail
    powers = [m for m in (0, 1, 2) if tail > m + 1]  # E[tau^m] < inf
    s, x, mass, x0, h = _grid(yd, vd, tau_prior, tau_scale, powers)
    u, log_du = _to_u(x, x0)
    tau = np.exp(u)
    weights = h * tau * np.exp(log_du)
    s.update(_all_groups(s, data, vd, tau * tau, mass, powers))
    return FullBayes(
        **s,
        tau=freeze(tau),
        tau_density=freeze(mass / weights),
        tau_weights=freeze(weights),
        tau_prior=tau_prior,
        tau_scale=tau_scale,
        _y=readonly(y),
        _v=readonly(v),
        _mass=freeze(mass),
        _x=freeze(x),
        _x0=x0,
    )


def _all_groups(s, data, v, tau2, mass, powers):
    """mean, sd and B of every group from those of the groups with data:
    a group without data has B_j = 1 and theta_j | tau, y ~ N(mu_hat, tau^2 + V_mu), so
    E = mu0 and Var = E[tau^2] + mu0_sd^2 (mu0_sd^2 = E[V_mu] + Var(mu_hat))."""
    mean, sd, B = np.full(len(data), s["mu0"]), np.empty(len(data)), np.ones(len(data))
    mean[data], sd[data] = s["mean"], s["sd"]
    B[data] = mass @ (v / (v + tau2[:, None]))
    sd[~data] = np.sqrt(mass @ tau2 + s["mu0_sd"] ** 2) if 2 in powers else np.inf
    return dict(mean=freeze(mean), sd=freeze(sd), B=freeze(B))


def _pooled(y, v, tau2):
    """w_j = 1 / (v_j + tau2), mu_hat and V_mu (BDA3 eq. 5.20) on a grid of N values of tau2:
    shapes (N, J), (N,), (N,)."""
    w = 1.0 / (v + tau2[:, None])
    V_mu = 1.0 / w.sum(axis=1)
    return w, (w @ y) * V_mu, V_mu


def _theta_given_tau(y, v, tau2):
    """Mean and variance of theta_j | tau, y on a grid of tau2, shape (N, J) each.

    The numbers of ``posterior(y, v, tau2)`` at every node at once; (1 - B) v = tau2 B.
    """
    w, mu_hat, V_mu = _pooled(y, v, tau2)
    with np.errstate(invalid="ignore"):
        B = np.where(v == np.inf, 1.0, v * w)  # inf * 0: a group without data is all prior
    return y - B * (y - mu_hat[:, None]), tau2[:, None] * B + B * B * V_mu[:, None]


def _log_density(u, y, v, prior, scale):
    """log p(tau | y) + u, the log density per unit of u = log tau, up to a constant (eq. 5.21)."""
    tau = np.exp(u)
    w, mu_hat, V_mu = _pooled(y, v, tau * tau)
    r = y - mu_hat[:, None]
    log_lik = 0.5 * (np.log(V_mu) + np.log(w).sum(axis=1) - (w * r * r).sum(axis=1))
    if prior == "half-cauchy":
        log_lik -= np.log1p((tau / scale) ** 2)
    elif prior == "half-normal":
        log_lik -= 0.5 * (tau / scale) ** 2
    return log_lik + u


def _extent(x, g, u, powers, pad):
    """The range of x where some g + m u (m in powers) is within _DROP of its peak, +- pad."""
    keep = np.zeros(len(x), dtype=bool)
    for m in powers:
        gm = g + m * u
        keep |= gm >= gm.max() - _DROP
    return x[keep].min() - pad, x[keep].max() + pad


def _to_u(x, x0):
    """u = log tau as a function of the grid variable x: u = x - exp(x0 - x), so u ~ x above
    x0 and tau -> 0 doubly exponentially below it, where p(tau | y) tau ~ p(0 | y) tau would
    otherwise need dozens of units of u. Returns u and log(du/dx)."""
    e = np.exp(x0 - x)
    return x - e, np.log1p(e)


def _grid(y, v, prior, scale, powers):
    """Summaries, the grid x, the node masses (summing to 1), x0 and the step (see full_bayes)."""
    density = lambda u: _log_density(np.atleast_1d(u), y, v, prior, scale)  # noqa: E731
    sd_v = np.sqrt(v)
    small = min(sd_v.min(), scale or np.inf)
    big = max(sd_v.max(), np.ptp(y), scale or 0.0)
    u = np.arange(np.log(small) - 45, np.log(big) + 45, _COARSE)
    g = density(u)
    k = int(np.clip(np.argmax(g), 1, len(u) - 2))
    mode = optimize.minimize_scalar(
        lambda x: -density(x)[0],
        bounds=(u[k - 1], u[k + 1]),
        method="bounded",
        options={"xatol": 1e-6},
    ).x
    d = 1e-3
    g3 = density(mode + np.array([-d, 0.0, d]))
    curvature = (2 * g3[1] - g3[0] - g3[2]) / d**2
    h = min(_H_MAX, 0.5 / np.sqrt(curvature)) if curvature > 0 else _H_MAX
    lo, hi = _extent(np.append(u, mode), np.append(g, g3[1]), np.append(u, mode), powers, _COARSE)
    # Below every scale of the problem (and the mode) the integrand is ~ C tau: compress there.
    x0 = min(np.log(small), mode) - 3
    lo = min(lo, x0 - 6)  # u(x) <= x, and u(x0 - 6) = x0 - 409

    previous = None
    for _ in range(20):
        x = mode + h * np.arange(np.floor((lo - mode) / h), np.ceil((hi - mode) / h) + 1)
        u, log_du = _to_u(x, x0)
        g = density(u) + log_du
        lo, hi = _extent(x, g, u, powers, h)  # trim the tails the coarse scan left
        keep = (x >= lo) & (x <= hi)
        x, u, g = x[keep], u[keep], g[keep]
        mass = np.exp(g - g.max())
        mass /= mass.sum()
        s = _summaries(y, v, u, mass, powers)
        if previous is not None and _converged(previous, s):
            return s, x, mass, x0, h
        previous, h = s, h / 2
    raise RuntimeError("the quadrature over tau did not converge")  # pragma: no cover


def _summaries(y, v, u, mass, powers):
    """Means and sds as sums over the grid; inf where E[tau^m] diverges (m not in powers)."""
    tau = np.exp(u)
    theta_m, theta_var = _theta_given_tau(y, v, tau * tau)
    _, mu_hat, V_mu = _pooled(y, v, tau * tau)
    mean = mass @ theta_m
    mu0 = mass @ mu_hat
    tau_mean = mass @ tau
    sd2 = 2 in powers  # V_mu ~ tau^2 / J: mu0_sd is finite with E[tau^2]
    return dict(
        mean=freeze(mean),
        sd=freeze(np.sqrt(mass @ (theta_var + (theta_m - mean) ** 2))),
        mu0=float(mu0),
        mu0_sd=float(np.sqrt(mass @ (V_mu + (mu_hat - mu0) ** 2))) if sd2 else np.inf,
        tau_mean=float(tau_mean) if 1 in powers else np.inf,
        tau_sd=float(np.sqrt(mass @ (tau - tau_mean) ** 2)) if sd2 else np.inf,
    )


def _converged(a, b) -> bool:
    """Every summary moved by less than _RTOL relative to its size plus a typical sd."""
    scale = np.median(b["sd"])
    return all(
        np.all(np.abs(np.asarray(a[k]) - b[k]) <= _RTOL * (np.abs(b[k]) + scale))
        for k in a
        if np.all(np.isfinite(b[k]))
    )


def _probs(probs) -> np.ndarray:
    probs = check.float_array("probs", probs)
    ok = (probs > 0) & (probs < 1)
    if not ok.all():
        raise check.fail("probs", "in (0, 1)", probs)
    return probs


def _mixture_quantiles(mass, mean, sd, probs):
    """Quantiles of K mixtures of normals, sum_i mass_i N(mean_ik, sd_ik^2): shape (K, P).

    The root lies between the smallest and the largest quantile of the components.
    """
    q = mean[..., None] + sd[..., None] * special.ndtri(probs)  # (N, K, P)
    lo, hi = q.min(axis=0), q.max(axis=0)
    pad = 1e-6 * sd.min(axis=0)[:, None]  # F(lo) < p < F(hi) strictly, even when lo == hi
    k = np.broadcast_to(np.arange(mean.shape[1])[:, None], lo.shape)

    def excess(x, k, p):
        return np.tensordot(mass, special.ndtr((x - mean[:, k]) / sd[:, k]), axes=1) - p

    return elementwise.find_root(excess, (lo - pad, hi + pad), args=(k, probs)).x
