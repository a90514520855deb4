"""Estimators of the between-study variance tau2 of the random-effects model

    y_i ~ N(mu, v_i + tau2),   i = 1..k,

with the names, definitions and standard errors of R's metafor ``rma(method=...)``
(Viechtbauer 2005, *J. Educ. Behav. Stat.* 30:261; metafor 3.8 ``rma.uni``). metafor writes
them with the k-by-k matrix P = W - W 1 (1'W 1)^-1 1'W, W = diag(w); for the intercept-only
model every term is a sum over the studies:

    y'P y     = Q(w)  = sum w_i (y_i - mu_w)^2,   mu_w = sum w y / sum w
    y'P P y           = sum w_i^2 (y_i - mu_w)^2
    tr(P)             = sum w - sum w^2 / sum w
    sum_ij P_ij^2 a_i b_j = sum a b (w^2 - 2 w^3 / sum w) + (sum w^2 a)(sum w^2 b) / (sum w)^2

Each estimator takes validated y and v (v > 0, k >= 2) and returns ``(tau2, se_tau2)``;
a negative estimate is truncated at 0 and se_tau2 is metafor's ``se.tau2``. The sums at
w = 1/v (``at_zero``: Q, tr(P), DL's and HS's estimates, the roots' value at 0 and start) are
one pass over the studies, which a caller computing several estimators passes on as ``at0``
(the same floats as each estimator computes alone).
"""

from __future__ import annotations

import operator

import numpy as np
from scipy import optimize

_MAXITER = 10_000
_NEWTON_TOL = 1e-10
_EPS = float(np.finfo(float).eps)


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """sum a_i b_i by einsum, not BLAS: a threaded BLAS ddot can be 100x slower on busy cores."""
    return float(np.einsum("i,i->", a, b))


def _sum_p2(w: np.ndarray, a=1.0, b=1.0) -> float:
    """sum_ij P_ij^2 a_i b_j: tr(P D_a P D_b) for diagonal D_a, D_b (sum(P * P) at a = b = 1)."""
    sw, w2 = w.sum(), w * w
    a, b = np.broadcast_to(a, w.shape), np.broadcast_to(b, w.shape)
    return dot(a * b, w2 - 2 * w2 * w / sw) + dot(w2, a) * dot(w2, b) / sw**2


def _se_quadratic(tau2: float, var_q: tuple[float, float, float]) -> float:
    """sqrt(c0 + 4 tau2 c1 + 2 tau2^2 c2): the standard error of a quadratic-form estimator."""
    c0, c1, c2 = var_q
    return float(np.sqrt(c0 + 4 * tau2 * c1 + 2 * tau2**2 * c2))


# Each estimator's tau2 alone (``TAU2``: what tau2_estimates needs), and the estimator with
# metafor's se_tau2 (``ESTIMATORS``), which calls it: the same tau2, bit for bit.


def _ee_tau2(y, v, at0=None) -> float:
    return 0.0


def _dl_tau2(y, v, at0=None) -> float:
    at0 = at_zero(y, v, at0)
    return max(0.0, (at0[1] - (len(y) - 1)) / trace_p(at0))


def _he_tau2(y, v, at0=None) -> float:
    k = len(y)
    tr_pv = v.sum() * (k - 1) / k
    rss = float(((y - y.mean()) ** 2).sum())
    return max(0.0, (rss - tr_pv) / (k - 1))


def _hs_tau2(y, v, at0=None) -> float:
    sw, q, *_ = at_zero(y, v, at0)
    return max(0.0, (q - len(y)) / sw)


def _sj_start(y) -> float:
    return float(((y - y.mean()) ** 2).mean())


def _sj_tau2(y, v, at0=None) -> float:
    tau2_0 = _sj_start(y)
    return tau2_0 * _sums(*_few(y, v), tau2_0)[1] / (len(y) - 1)


def _pm_tau2(y, v, at0=None) -> float:
    return _root(y, v, "Q", len(y) - 1, at0)


def _ml_tau2(y, v, at0=None) -> float:
    return _root(y, v, "ML", at0=at0)


def _reml_tau2(y, v, at0=None) -> float:
    return _root(y, v, "REML", at0=at0)


def equal_effects(y, v, at0=None):
    """EE (also FE): tau2 = 0 by assumption; it has no standard error."""
    return 0.0, np.nan


def dersimonian_laird(y, v, at0=None):
    """DL: tau2 = (Q - (k - 1)) / tr(P) with w = 1/v (DerSimonian & Laird 1986)."""
    k = len(y)
    at0 = at_zero(y, v, at0)
    tr_p, tau2 = trace_p(at0), _dl_tau2(y, v, at0)
    return tau2, _se_quadratic(tau2, (2 * (k - 1), tr_p, _sum_p2(1.0 / v))) / tr_p


def hedges(y, v, at0=None):
    """HE: tau2 = (sum (y - ybar)^2 - tr(P V)) / (k - 1), unweighted (Hedges & Olkin 1985)."""
    k = len(y)
    ones = np.ones_like(y)
    tr_pv = v.sum() * (k - 1) / k
    tau2 = _he_tau2(y, v)
    return tau2, _se_quadratic(tau2, (2 * _sum_p2(ones, v, v), tr_pv, k - 1)) / (k - 1)


def hunter_schmidt(y, v, at0=None):
    """HS: tau2 = (Q - k) / sum w with w = 1/v (Hunter & Schmidt 2004)."""
    k = len(y)
    at0 = at_zero(y, v, at0)
    tau2 = _hs_tau2(y, v, at0)
    return tau2, _se_quadratic(tau2, (2 * (k - 1), trace_p(at0), _sum_p2(1.0 / v))) / at0[0]


def sidik_jonkman(y, v, at0=None):
    """SJ: tau2 = tau2_0 Q(w) / (k - 1), w = 1/(v + tau2_0), tau2_0 = mean((y - ybar)^2)
    (Sidik & Jonkman 2005); never negative."""
    k = len(y)
    tau2_0, tau2 = _sj_start(y), _sj_tau2(y, v)
    w = 1.0 / (v + tau2_0)
    parts = (2 * _sum_p2(w, v, v), _sum_p2(w, 1.0, v), _sum_p2(w))
    return tau2, tau2_0 / (k - 1) * _se_quadratic(tau2, parts)


def _falling_root(f, scale: float) -> float:
    """The tau2 >= 0 where f changes sign from + to -, or 0 where f(0) <= 0 (then the
    boundary is the solution). f must be negative for large tau2; the bracket grows from
    ``scale`` by factors of 4 and Brent's method runs to machine precision. (For f without
    a derivative at hand: the meta-regression's estimating equations.)"""
    if f(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, scale
    while f(hi) > 0:
        lo, hi = hi, 4 * hi
    return optimize.brentq(
        f, lo, hi, xtol=np.finfo(float).tiny, rtol=4 * np.finfo(float).eps, maxiter=_MAXITER
    )


def _sums(y, v, tau2: float) -> tuple:
    """At w = 1 / (v + tau2), r = y - mu_w: S_1, sum w r^2, sum w^2 r^2, S_2, S_3,
    sum w^2 r and sum w^3 r^2 (S_n = sum w^n). ``y`` and ``v`` as numpy arrays, or as lists
    of floats for a few studies: then one loop of Python floats, 3x faster than numpy's
    eleven calls of a few microseconds each."""
    if isinstance(y, list):  # (strict=False: the lengths are checked, and strict costs)
        w = [1.0 / (vi + tau2) for vi in v]
        sw = sum(w)
        mu = sum(map(operator.mul, w, y)) / sw
        q = f2 = s2 = s3 = w2r = w3r2 = 0.0
        for wi, yi in zip(w, y, strict=False):
            ri = yi - mu
            wr = wi * ri
            ww = wi * wi
            q += wr * ri
            f2 += wr * wr
            s2 += ww
            s3 += ww * wi
            w2r += wi * wr
            w3r2 += wi * wr * wr
        return sw, q, f2, s2, s3, w2r, w3r2
    w = 1.0 / (v + tau2)
    sw = float(w.sum())
    r = y - dot(w, y) / sw
    wr = w * r
    return (
        sw,
        dot(wr, r),
        dot(wr, wr),
        dot(w, w),
        float(np.einsum("i,i,i->", w, w, w)),
        dot(w, wr),
        float(np.einsum("i,i,i->", w, wr, wr)),
    )


_FEW = 40  # up to this many studies _sums runs on Python floats


def _few(y: np.ndarray, v: np.ndarray) -> tuple:
    """y and v as ``_sums`` takes them: lists of floats for up to ``_FEW`` studies."""
    return (y.tolist(), v.tolist()) if len(y) <= _FEW else (y, v)


def at_zero(y: np.ndarray, v: np.ndarray, at0: tuple | None = None) -> tuple:
    """``_sums`` at tau2 = 0 (w = 1/v), Q = sum w r^2 among them, or ``at0`` when at hand:
    one pass for every estimator of a set of studies (their ``at0``)."""
    return _sums(*_few(y, v), 0.0) if at0 is None else at0


def trace_p(sums: tuple) -> float:
    """tr(P) = S_1 - S_2 / S_1 from the sums of ``_sums``."""
    sw, _, _, s2, *_ = sums
    return sw - s2 / sw


def _root(
    y: np.ndarray, v: np.ndarray, kind: str, target: float = 0.0, at0: tuple | None = None
) -> float:
    """The tau2 >= 0 where the estimating equation f = 0 of ``kind`` falls through 0, or 0
    where f(0) <= 0 (then the boundary is the solution). With the sums of ``_sums``:

        Q (PM)  f = sum w r^2 - target          f' = -sum w^2 r^2
        ML      f = sum w^2 r^2 - S_1           f' = -2 sum w^3 r^2 + 2 (sum w^2 r)^2 / S_1 + S_2
        REML    f = sum w^2 r^2 - tr(P)         f' = f'_ML - 2 S_3 / S_1 + (S_2 / S_1)^2,
                tr(P) = S_1 - S_2 / S_1

    ML's and REML's f is twice the derivative in tau2 of the (restricted) log-likelihood with
    mu profiled out; f' uses d mu_w / d tau2 = -sum w^2 r / S_1 (and sum w r = 0). metafor
    runs Fisher scoring (from the HE estimate for ML and REML) to the same root.

    Newton's method safeguarded by bisection inside a bracket [lo, hi] with f(lo) > 0 >=
    f(hi) (``rtsafe``, Press et al., *Numerical Recipes*, 3rd ed., section 9.4; as
    :mod:`shrinkviz.model._leave1out`), from one step of Q from 0 toward Q = target (k - 1
    for ML and REML: the DL estimate); while no upper end is known the bracket grows from
    mean(v) by factors of 4. It cannot oscillate as undamped Fisher scoring can
    (tests/fixtures: case ``fisher_oscillates``, where metafor needs ``stepadj = 0.5``), and
    it stops once a Newton step is below 1e-10 of tau2: the error left is of the order of
    its square, below rounding. ``at0``: the sums at 0 (``at_zero``), when at hand.
    """
    scale = float(v.mean())
    q_target = target if kind == "Q" else len(y) - 1
    y, v = _few(y, v)

    def equation(sums: tuple) -> tuple[float, float]:
        sw, q, f2, s2, s3, w2r, w3r2 = sums
        if kind == "Q":
            return q - target, -f2
        df = -2 * w3r2 + 2 * w2r * w2r / sw + s2
        if kind == "ML":
            return f2 - sw, df
        return f2 - (sw - s2 / sw), df - 2 * s3 / sw + (s2 / sw) ** 2

    if at0 is None:
        at0 = _sums(y, v, 0.0)
    f, df = equation(at0)
    if f <= 0:
        return 0.0
    lo, hi = 0.0, np.inf
    x = (at0[1] - q_target) / trace_p(at0)
    if not x > 0:  # no guess: Newton's step from 0
        x = -f / df if df < 0 else scale
    step_before = np.inf
    for _ in range(_MAXITER):
        f, df = equation(_sums(y, v, x))
        if f == 0:
            return x
        if f > 0:
            lo = x
        else:
            hi = x
        newton = x - f / df if df else np.nan
        # Newton's step unless it leaves the bracket or shrinks too slowly; then bisect, or
        # grow the bracket while no upper end is known
        ok = lo < newton < hi and abs(2 * f) <= abs(step_before * df)
        if ok:
            new = newton
        elif hi < np.inf:
            new = 0.5 * (lo + hi)
        else:
            new = 4 * max(x, scale)
        step_before = abs(new - x)
        if (ok and step_before <= _NEWTON_TOL * new) or hi - lo <= 4 * _EPS * lo:
            return new
        x = new
    raise RuntimeError(f"the {kind} estimating equation of tau2 did not converge")


def q_root(y: np.ndarray, v: np.ndarray, target: float) -> float:
    """The tau2 >= 0 where Q(1/(v + tau2)) = target, or 0 where Q(1/v) <= target.

    Q falls monotonically from Q(1/v) to 0 as tau2 grows, so the root is unique.
    """
    return _root(y, v, "Q", target)


def paule_mandel(y, v, at0=None):
    """PM (and EB): the root of Q(1/(v + tau2)) = k - 1 (Paule & Mandel 1982).

    metafor's EB (Morris 1983) runs Fisher scoring on the same equation, so the two coincide;
    se_tau2 = sqrt(2 k^2 / (k - 1)) / sum w with w = 1/(v + tau2).
    """
    k = len(y)
    tau2 = _pm_tau2(y, v, at0)
    return tau2, float(np.sqrt(2 * k**2 / (k - 1)) / (1.0 / (v + tau2)).sum())


def maximum_likelihood(y, v, at0=None):
    """ML: maximizes the log-likelihood; se_tau2 = sqrt(2 / sum w^2), w = 1/(v + tau2)."""
    tau2 = _ml_tau2(y, v, at0)
    w = 1.0 / (v + tau2)
    return tau2, float(np.sqrt(2 / dot(w, w)))


def restricted_maximum_likelihood(y, v, at0=None):
    """REML: maximizes the restricted log-likelihood; se_tau2 = sqrt(2 / tr(PP)),
    tr(PP) = S_2 - 2 S_3 / S_1 + (S_2 / S_1)^2 (``_sum_p2`` at a = b = 1)."""
    tau2 = _reml_tau2(y, v, at0)
    sw, _, _, s2, s3, *_ = _sums(*_few(y, v), tau2)
    return tau2, float(np.sqrt(2 / (s2 - 2 * s3 / sw + (s2 / sw) ** 2)))


ESTIMATORS = {
    "EE": equal_effects,
    "FE": equal_effects,
    "DL": dersimonian_laird,
    "HE": hedges,
    "HS": hunter_schmidt,
    "SJ": sidik_jonkman,
    "ML": maximum_likelihood,
    "REML": restricted_maximum_likelihood,
    "EB": paule_mandel,
    "PM": paule_mandel,
}

TAU2 = {
    "EE": _ee_tau2,
    "FE": _ee_tau2,
    "DL": _dl_tau2,
    "HE": _he_tau2,
    "HS": _hs_tau2,
    "SJ": _sj_tau2,
    "ML": _ml_tau2,
    "REML": _reml_tau2,
    "EB": _pm_tau2,
    "PM": _pm_tau2,
}
