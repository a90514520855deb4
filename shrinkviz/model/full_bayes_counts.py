"""Full Bayes for proportions: the beta-binomial model averaged over (a, b), without MCMC.

    y_j ~ Binomial(n_j, theta_j),   theta_j ~ Beta(a, b),   p(a, b) ∝ (a + b)^(-5/2)

BDA3 section 5.3 (the rat tumours): a uniform prior on (a / (a + b), (a + b)^(-1/2)). In BDA3's
coordinates u = log(a / b) (the logit of the prior mean m = a / (a + b)) and w = log(a + b),

    p(u, w | y) ∝ a b (a + b)^(-5/2) prod_j B(a + y_j, b + n_j - y_j) / B(a, b)      (eq. 5.8)
               = m (1 - m) e^(-w / 2) prod_j B(...) / B(a, b),

and given (a, b) each theta_j | a, b, y ~ Beta(a + y_j, b + n_j - y_j) (eq. 5.7). Every summary is
a two-dimensional integral over (u, w); the posterior of theta_j is a mixture of betas.

The posterior is proper when some group has 0 < y_j < n_j. Its tail in w is heavy: as a + b -> inf
the likelihood tends to the binomial one, so p(w | y) falls only like e^(-w/2), and E[a + b | y]
(also E[a | y], E[b | y]) is infinite; summaries of w = log(a + b) are finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from scipy.optimize import elementwise

from . import checks as check
from ._results import freeze, readonly, result_repr
from .counts import _binomial_counts, _groups, _log_rising_excess, _pairs

_DROP = 25.0  # the grid covers wherever the posterior is within e^-25 of its peak
_TAIL_STEP = 1.0  # dw/dx in the tails of p(w | y): steps of 1 in w at h = 1
_BEND = 12.0  # where the step changes from the centre's to the tails' (units of x)
_RTOL = 1e-6  # the step is halved until the summaries change by less than this
_W_CAP = (-25.0, np.log(1e6))  # the range of w where the conditional mode in u is computed


@dataclass(frozen=True, repr=False, eq=False)
class FullBayesBinomial:
    """Posterior summaries of the beta-binomial model averaged over p(a, b | y) (read-only).

    mean, sd                      posterior mean and sd of each theta_j (length J)
    prior_mean, prior_mean_sd     of the prior mean a / (a + b)
    log_size_mean, log_size_sd    of log(a + b) (E[a + b | y] itself is infinite)
    log_size, log_size_density    a grid of log(a + b) and p(log(a + b) | y) on it: the panel
    log_size_weights              quadrature weights: sum(log_size_weights * log_size_density)
                                  == 1 and the integral of f(w) p(w | y) dw is
                                  sum(log_size_weights * log_size_density * f(log_size)). The
                                  grid spans the whole posterior, its long right tail included.
    y, n                          read-only copies of the data
    """

    mean: np.ndarray
    sd: np.ndarray
    prior_mean: float
    prior_mean_sd: float
    log_size_mean: float
    log_size_sd: float
    log_size: np.ndarray
    log_size_density: np.ndarray
    log_size_weights: np.ndarray
    y: np.ndarray
    n: np.ndarray
    _a: np.ndarray  # (a, b) at the nodes of the grid the quantiles use, and their masses
    _b: np.ndarray
    _mass: np.ndarray

    def quantiles(self, probs, groups=None) -> np.ndarray:
        """Quantiles of each theta_j, shape (J, len(probs)) (or of the ``groups`` asked for,
        indices, so that showing one group pays for one): roots of the mixture CDF
        sum_i mass_i I_x(a_i + y_j, b_i + n_j - y_j) (regularised incomplete beta) over the
        nodes of the (a, b) grid, by Chandrupatla's bracketing method. Cantelli's inequality
        brackets the root: P(theta <= mean - k sd) <= 1 / (1 + k^2), so the p quantile lies in
        [mean - sd sqrt(1/p - 1), mean + sd sqrt(1/(1 - p) - 1)] (clipped to [0, 1])."""
        probs = check.float_array("probs", probs)
        if not np.all((probs > 0) & (probs < 1)):
            raise check.fail("probs", "in (0, 1)", probs)
        j = _groups(groups, len(self.y))
        (yu, nu), back = _pairs(self.y[j], self.n[j])
        alpha = self._a[:, None] + yu  # (nodes, groups)
        beta = self._b[:, None] + (nu - yu)
        mu = alpha / (alpha + beta)
        mean = self._mass @ mu
        sd = np.sqrt(
            np.maximum(self._mass @ (mu * (1 - mu) / (alpha + beta + 1) + mu * mu) - mean**2, 0)
        )
        k = np.broadcast_to(np.arange(len(yu))[:, None], (len(yu), len(probs)))
        lo = np.clip(mean[:, None] - 1.05 * sd[:, None] * np.sqrt(1 / probs - 1), 0, 1)
        hi = np.clip(mean[:, None] + 1.05 * sd[:, None] * np.sqrt(1 / (1 - probs) - 1), 0, 1)

        def excess(x, k, p):
            return np.tensordot(self._mass, special.betainc(alpha[:, k], beta[:, k], x), axes=1) - p

        root = elementwise.find_root(
            excess,
            (lo, hi),
            args=(k, np.broadcast_to(probs, k.shape)),
            tolerances=dict(xatol=1e-13, xrtol=1e-10),
        ).x
        return root[back]

    def interval(self, level: float = 0.95, groups=None) -> tuple[np.ndarray, np.ndarray]:
        """Central posterior interval of each theta_j (its (1 -+ level) / 2 quantiles), or of
        the ``groups`` asked for (indices)."""
        level = check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
        q = self.quantiles([0.5 - level / 2, 0.5 + level / 2], groups)
        return q[:, 0], q[:, 1]

    def __repr__(self) -> str:
        return result_repr(
            self,
            (
                "mean",
                "sd",
                "prior_mean",
                "prior_mean_sd",
                "log_size_mean",
                "log_size_sd",
            ),
        )


def full_bayes_binomial(y, n) -> FullBayesBinomial:
    """Posterior of each theta_j in the beta-binomial model under BDA3's p(a, b) ∝ (a + b)^(-5/2),
    averaged over (a, b) exactly (see the module docstring; BDA3 section 5.3).

    The integral over (u, w) = (log(a / b), log(a + b)) is the trapezoid rule in variables
    (x, z) with

        w = w0 + lam x + (1 - lam)(x - 12 tanh(x / 12)),   u = c(w) + d(w) z,

    where w0 is the mode of p(w | y) and lam 0.7 of its sd (steps of lam h near the mode, of h
    in the tails), c(w) near the mode of p(u | w, y) and d(w) its scale (Newton's method at each
    w). The bounded slope keeps the strip in which the integrand is analytic (the likelihood has
    singularities where Im w = pi), so the rule converges exponentially (Trefethen & Weideman
    2014, SIAM Review 56, 385-458), as in ``full_bayes``; the steps of 1 in the tail cover the
    slowly falling e^(-w/2) in a few dozen nodes. The grid spans wherever the posterior is within
    e^-25 of its peak (the mass left out is < 1e-10), and the step is halved until the grid of
    every other node agrees with the full grid to 1e-6 relative (to the value plus a typical sd);
    the full grid's own error is then far smaller (tests: < 1e-6 against adaptive quadrature).

    Parameters
    ----------
    y : whole numbers >= 0, the successes of each group.
    n : whole numbers >= y, the trials of each group (0 allowed). Some group must have
        0 < y_j < n_j, or the posterior is improper (its mass runs off to a + b -> 0).

    Returns
    -------
    FullBayesBinomial with mean, sd, prior_mean, prior_mean_sd, log_size_mean,
    log_size_sd, the panel's log_size, log_size_density, log_size_weights, and
    quantiles(probs), interval(level).
    """
    y, n = _binomial_counts(y, n)
    if not np.any((y > 0) & (y < n)):
        raise ValueError(
            "y must be strictly between 0 and n in some group for full Bayes: "
            "with every group at 0 % or 100 % the posterior of (a, b) is improper "
            "(its mass runs off to a + b -> 0)"
        )
    (yu, nu), back = _pairs(y, n)
    counts = np.bincount(back, minlength=len(yu)).astype(np.float64)
    like = _Likelihood(yu, nu, counts)
    s, grid, coarse = _integrate(like, yu, nu)
    return FullBayesBinomial(
        mean=freeze(s["mean"][back]),
        sd=freeze(s["sd"][back]),
        prior_mean=s["m_mean"],
        prior_mean_sd=s["m_sd"],
        log_size_mean=s["w_mean"],
        log_size_sd=s["w_sd"],
        log_size=freeze(grid["w"]),
        log_size_density=freeze(grid["density"]),
        log_size_weights=freeze(grid["weights"]),
        y=readonly(y),
        n=readonly(n),
        _a=freeze(coarse["a"]),
        _b=freeze(coarse["b"]),
        _mass=freeze(coarse["mass"]),
    )


class _Likelihood:
    """log prod_j B(a + y_j, b + n_j - y_j) / B(a, b), accurate for every a + b.

    With the rising factorial log Gamma(x + k) - log Gamma(x) = sum_{i<k} log(x + i), the log
    likelihood is  Y log m + (N - Y) log(1 - m)
                   + sum_i [c_y(i) log1p(i / a) + c_f(i) log1p(i / b) - c_n(i) log1p(i / s)],
    where c_y(i) counts the groups with y_j > i (c_f: n_j - y_j > i, c_n: n_j > i). Written so,
    nothing cancels as a + b -> inf, where differences of log Gamma (or log B) lose every digit.
    The sums cost O(max n) per node; for large n the pairs are summed with log Gamma instead
    (Stirling's series with log1p for arguments >= 50, for the same reason).
    """

    def __init__(self, yu, nu, counts):
        self.Y, self.N = counts @ yu, counts @ nu
        self.yu, self.fu, self.nu, self.counts = yu, nu - yu, nu, counts
        top = int(nu.max())
        self.by_sum = top <= 20 * len(nu)  # cost of the sums <~ cost of 6 log Gamma per pair
        if self.by_sum:  # c[0][i] = sum of counts where y_j > i, c[1]: n_j - y_j > i, c[2]: n_j
            ks = (yu, nu - yu, nu)
            self.i = [np.arange(int(k.max()), dtype=np.float64) for k in ks]
            self.c = [
                np.array([counts @ (k > j) for j in i]) for k, i in zip(ks, self.i, strict=True)
            ]

    def __call__(self, m, s):
        """The log likelihood at prior means m, shape (R, Z), and sizes s, shape (R,)."""
        a, b = m * s[:, None], (1 - m) * s[:, None]
        base = self.Y * np.log(m) + (self.N - self.Y) * np.log1p(-m)
        if self.by_sum:
            i, c = self.i, self.c
            rest = (
                np.log1p(i[0] / a[..., None]) @ c[0]
                + np.log1p(i[1] / b[..., None]) @ c[1]
                - (np.log1p(i[2] / s[:, None]) @ c[2])[:, None]
            )
        else:
            rest = (
                _log_rising_excess(a[..., None], self.yu)
                + _log_rising_excess(b[..., None], self.fu)
            ) @ self.counts - (_log_rising_excess(s[:, None], self.nu) @ self.counts)[:, None]
        return base + rest

    def scores(self, m, s):
        """sum_j [psi(a + y_j) - psi(a) - psi(b + f_j) + psi(b)] and the same with psi' and +,
        (f_j = n_j - y_j): the derivatives of the log likelihood in a and b (1-D m and s)."""
        a, b = m * s, (1 - m) * s
        if self.by_sum:  # psi(x + k) - psi(x) = sum_{i<k} 1 / (x + i)
            ra, rb = 1 / (a[:, None] + self.i[0]), 1 / (b[:, None] + self.i[1])
            return (ra @ self.c[0] - rb @ self.c[1], -(ra * ra) @ self.c[0] - (rb * rb) @ self.c[1])

        def g_of(a, b):
            a, b = a[:, None], b[:, None]
            return (
                special.digamma(a + self.yu)
                - special.digamma(a)
                - special.digamma(b + self.fu)
                + special.digamma(b)
            ) @ self.counts

        # h by a central difference of g in a (and -b): smooth in w, and trigamma is slow
        eps = 1e-5 * np.minimum(a, b)
        return g_of(a, b), (g_of(a + eps, b - eps) - g_of(a - eps, b + eps)) / (2 * eps)


def _log_post(like, u, w):
    """log p(u, w | y) up to a constant: log m + log(1 - m) - w / 2 + log likelihood."""
    return (
        -np.logaddexp(0, -u)
        - np.logaddexp(0, u)
        - w[:, None] / 2
        + like(special.expit(u), np.exp(w))
    )


def _conditional_mode(like, w):
    """c(w), near the mode of p(u | w, y), and d(w) = (-d^2/du^2 log p)^(-1/2) there: eight
    Newton steps from the pooled logit, the same steps at every w, so c and d are smooth in w
    (they only place the nodes; the rule is exact for any smooth c and d > 0). w is squeezed
    smoothly into _W_CAP first: beyond it the conditional barely moves."""
    lo, hi = _W_CAP
    s = np.exp(lo + np.logaddexp(0, w - lo) - np.logaddexp(0, w - hi))
    u = np.full(len(w), np.log((like.Y + 0.5) / (like.N - like.Y + 0.5)))
    for _ in range(8):
        m = special.expit(u)
        g, h = like.scores(m, s)
        v = m * (1 - m)
        grad = 1 - 2 * m + v * s * g
        curv = -2 * v + v * (1 - 2 * m) * s * g + v * v * s * s * h
        concave = curv < 0
        step = np.where(concave, -grad / np.where(concave, curv, -1.0), np.sign(grad))
        u = u + np.clip(step, -1.0, 1.0)
    return u, np.where(concave, 1 / np.sqrt(-np.where(concave, curv, -1.0)), 1.0)


def _w_of_x(x, w0, lam):
    """w = w0 + lam x + (_TAIL_STEP - lam)(x - _BEND tanh(x / _BEND)): steps of lam h near the
    centre, of _TAIL_STEP h in the tails. The slope stays bounded, so the strip where the
    integrand is analytic keeps its width (an exponential map such as sinh would narrow it:
    the likelihood has singularities where Im w = pi). Returns w and dw/dx."""
    t = np.tanh(x / _BEND)
    return (w0 + lam * x + (_TAIL_STEP - lam) * (x - _BEND * t), lam + (_TAIL_STEP - lam) * t * t)


def _integrate(like, yu, nu):
    counts = like.counts

    def nodes(x, z, w0, lam):
        w, dw = _w_of_x(x, w0, lam)
        c, d = _conditional_mode(like, w)
        u = c[:, None] + d[:, None] * z
        return w, u, _log_post(like, u, w), np.log(dw * d)

    # A scan in w finds the bulk of p(w | y) (by Laplace's method in u): its mode, its scale and
    # the range where it is within e^-_DROP of its peak.
    w_start = np.log(np.average(nu, weights=counts) + 1.0)
    scan = np.arange(-60.0, 120.01, 1.0)
    w, _, g, log_jac = nodes(scan, np.zeros(1), w_start, 1.0)
    profile = g[:, 0] + log_jac - np.log(_w_of_x(scan, w_start, 1.0)[1])
    k = int(np.argmax(profile))
    fine = w[k] + np.linspace(-1.0, 1.0, 21)
    _, _, g, log_jac = nodes(fine - w_start, np.zeros(1), w_start, 1.0)  # lam = 1: w = x + w0
    local = g[:, 0] + log_jac
    w0 = fine[int(np.argmax(local))]
    coef = np.polyfit(fine - w0, local, 2)
    # steps of lam at h = 1: 0.7 sd of p(w | y) near its mode
    lam = float(np.clip(0.7 / np.sqrt(-2 * coef[0]), 0.02, 1.0)) if coef[0] < 0 else 0.5
    keep = profile >= profile.max() - _DROP - 2
    x_lo = _x_of_w(w[keep].min() - 1, w0, lam)
    x_hi = _x_of_w(w[keep].max() + 1, w0, lam)

    h, Z = 1.0, 9.0
    previous = None
    for _ in range(8):
        hf = h / 2
        xs = np.arange(np.floor(x_lo / h) * h, np.ceil(x_hi / h) * h + hf / 2, hf)
        zs = np.arange(-np.ceil(Z / h) * h, np.ceil(Z / h) * h + hf / 2, hf)
        w, u, g, log_jac = nodes(xs, zs, w0, lam)
        top = g.max()
        if max(g[:, 0].max(), g[:, -1].max()) > top - _DROP:  # p(u | w) reaches past +-Z
            Z *= 1.25
            previous = None
            continue
        log_mass = g + log_jac[:, None]
        fine = _summaries(log_mass, w, u, yu, nu)
        if previous is None:
            previous = _summaries(log_mass[::2, ::2], w[::2], u[::2, ::2], yu, nu)
        if _converged(previous, fine):
            break
        previous, h = fine, hf
    else:  # pragma: no cover
        raise RuntimeError("the quadrature over (a, b) did not converge")

    # p(w | y) on the x grid: the sum over z, per unit w.
    mass = np.exp(log_mass - log_mass.max())
    total = mass.sum()
    weights = hf * _w_of_x(xs, w0, lam)[1]
    density = mass.sum(axis=1) / total / weights
    # The coarse grid (every other node) for the quantiles: converged, a quarter of the cost,
    # without its lightest nodes that together hold less than 1e-10 of the mass.
    cm = (mass[::2, ::2] / mass[::2, ::2].sum()).ravel()
    order = np.argsort(cm)
    sel = order[np.cumsum(cm[order]) > 1e-10]
    m = special.expit(u[::2, ::2].ravel()[sel])
    s = np.exp(np.broadcast_to(w[::2, None], mass[::2, ::2].shape).ravel()[sel])
    mass_q = cm[sel] / cm[sel].sum()
    return (
        fine,
        dict(w=w, density=density, weights=weights),
        dict(a=m * s, b=(1 - m) * s, mass=mass_q),
    )


def _x_of_w(target, w0, lam):
    """The x where _w_of_x reaches target (w is increasing in x)."""
    return optimize.brentq(lambda x: _w_of_x(x, w0, lam)[0] - target, -1e4, 1e4, xtol=1e-6)


def _summaries(log_mass, w, u, yu, nu):
    """Means and sds from the node masses. Given (a, b), E[theta_j] = (m s + y_j) / (s + n_j) is
    linear in m, so the sums over u reduce to sum(mass), sum(mass m), sum(mass m^2) per row of
    the grid: O(rows x groups), not O(nodes x groups)."""
    mass = np.exp(log_mass - log_mass.max())
    mass /= mass.sum()
    m = special.expit(u)
    M0, M1, M2 = mass.sum(axis=1), (mass * m).sum(axis=1), (mass * m * m).sum(axis=1)
    s = np.exp(w)[:, None]
    t = s + nu  # (rows, pairs)
    first = (s * M1[:, None] + yu * M0[:, None]) / t
    second = (s * s * M2[:, None] + 2 * s * yu * M1[:, None] + yu * yu * M0[:, None]) / (t * t)
    k = 1 / (t + 1)  # E[theta^2 | a, b] = mu^2 + mu (1 - mu) / (s + n + 1)
    mean = first.sum(axis=0)
    theta_var = (second * (1 - k) + first * k).sum(axis=0) - mean**2
    m_mean, w_mean = M1.sum(), M0 @ w
    return dict(
        mean=mean,
        sd=np.sqrt(np.maximum(theta_var, 0)),
        m_mean=float(m_mean),
        m_sd=float(np.sqrt(max(M2.sum() - m_mean**2, 0))),
        w_mean=float(w_mean),
        w_sd=float(np.sqrt(M0 @ (w - w_mean) ** 2)),
    )


def _converged(a, b) -> bool:
    """Every summary moved by less than _RTOL relative to its size plus a typical sd."""
    scale = {
        "mean": np.median(b["sd"]),
        "sd": np.median(b["sd"]),
        "m_mean": b["m_sd"],
        "m_sd": b["m_sd"],
        "w_mean": b["w_sd"],
        "w_sd": b["w_sd"],
    }
    return all(
        np.all(np.abs(np.asarray(a[k]) - b[k]) <= _RTOL * (np.abs(b[k]) + scale[k])) for k in a
    )
