"""Random-effects meta-analysis, numbers as R's metafor ``rma()``, ``predict()``, ``blup()``
and ``confint()`` give them for the intercept-only model

    y_i ~ N(theta_i, v_i),   theta_i ~ N(mu, tau2),   i = 1..k

Viechtbauer (2010), Conducting meta-analyses in R with the metafor package, *J. Stat.
Softw.* 36(3); Knapp & Hartung (2003), *Stat. Med.* 22:2693; Viechtbauer (2007), *Stat. Med.*
26:37 (Q-profile interval). The estimators of tau2 are in :mod:`shrinkviz.model.tau2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import _distributions as dist
from . import _leave1out
from . import checks as check
from ._results import freeze, readonly, result_repr
from .normal import posterior
from .tau2 import ESTIMATORS, at_zero, dot, q_root, trace_p

if TYPE_CHECKING:
    from .meta_regression import MetaRegression

METHODS = tuple(ESTIMATORS)
TESTS = ("z", "knha")
_FIXED = ("EE", "FE")
_NUMBERS = (
    "tau2",
    "se_tau2",
    "mu",
    "se",
    "ci_lb",
    "ci_ub",
    "stat",
    "pval",
    "Q",
    "Q_pval",
    "I2",
    "H2",
    "pi_lb",
    "pi_ub",
)


@dataclass(frozen=True, repr=False, eq=False)
class Blup:
    """Best linear unbiased predictions of the study effects theta_i (metafor's ``blup``):
    ``pred``, its standard error ``se`` and the interval ``pi_lb, pi_ub`` (read-only arrays)."""

    pred: np.ndarray
    se: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("pred", "se", "pi_lb", "pi_ub"))


_LEAVE1OUT = ("mu", "se", "stat", "pval", "ci_lb", "ci_ub", "Q", "Q_pval", "tau2", "I2", "H2")


@dataclass(frozen=True, repr=False, eq=False)
class LeaveOneOut:
    """The fits without study i, i = 1..k (metafor's ``leave1out``): read-only arrays
    ``mu, se, stat, pval, ci_lb, ci_ub, Q, Q_pval, tau2, I2, H2`` of length k, entry i the
    field of ``meta_analysis`` on the other k - 1 studies (same method, test and level)."""

    mu: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    Q: np.ndarray
    Q_pval: np.ndarray
    tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, _LEAVE1OUT)


@dataclass(frozen=True, repr=False, eq=False)
class MetaAnalysis:
    """A fitted random-effects model (the fields of metafor's ``rma`` object).

    tau2, se_tau2   between-study variance and its standard error (nan for EE)
    mu, se          pooled effect, weights 1/(v + tau2), and its standard error
    ci_lb, ci_ub    confidence interval of mu; stat, pval its z (or t) test
    Q, Q_pval       Cochran's Q (weights 1/v) and its chi^2_{k-1} p-value
    I2, H2          I^2 in percent and H^2 as metafor defines them for the method
    pi_lb, pi_ub    prediction interval of a new study's effect theta (``predict``)
    test, level, k  the test ("z" or "knha"), the level of every interval, the studies
    y, v            read-only copies of the data

    ``blup()`` gives the per-study predictions, ``tau2_ci()`` the Q-profile interval of tau2,
    ``leave1out()`` the k fits without one study each.
    """

    method: str
    tau2: float
    se_tau2: float
    mu: float
    se: float
    ci_lb: float
    ci_ub: float
    stat: float
    pval: float
    Q: float
    Q_pval: float
    I2: float
    H2: float
    pi_lb: float
    pi_ub: float
    test: str
    level: float
    k: int
    y: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)

    def _level(self, level) -> float:
        if level is None:
            return self.level
        return check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)

    def blup(self, level=None) -> Blup:
        """Per-study predictions, as metafor's ``blup()``: the posterior of each theta_i
        (BDA3 section 5.4, :func:`~shrinkviz.model.normal.posterior`) at the estimated tau2
        and this fit's mu, with mu's variance Var(mu) = se^2 of this fit (for Knapp-Hartung
        1/sum(w) scaled by its factor):

            pred_i = (1 - B_i) y_i + B_i mu,   se_i^2 = B_i tau2 + B_i^2 Var(mu),
            B_i = v_i / (v_i + tau2),   interval pred_i -+ crit se_i.
        """
        post = posterior(self.y, self.v, self.tau2, self.mu, check_input=False)
        se = np.sqrt(post.var + post.B**2 * self.se**2)
        half = dist.of_test(self.test, self.k - 1).isf((1 - self._level(level)) / 2) * se
        return Blup(post.mean, freeze(se), freeze(post.mean - half), freeze(post.mean + half))

    def tau2_ci(self, level=None) -> tuple[float, float]:
        """Q-profile confidence interval of tau2 (Viechtbauer 2007; metafor's ``confint``):
        the tau2 where the generalized Q(1/(v + tau2)) equals the chi^2_{k-1} quantiles
        1 - alpha/2 (lower bound) and alpha/2 (upper bound), truncated at 0.
        It does not depend on the method that estimated tau2.
        """
        if self.method in _FIXED:
            raise check.fail("method", "a random-effects method for tau2_ci", self.method)
        alpha = 1 - self._level(level)
        df = self.k - 1
        return (
            q_root(self.y, self.v, dist.chi2_isf(alpha / 2, df)),
            q_root(self.y, self.v, dist.chi2_ppf(alpha / 2, df)),
        )

    def leave1out(self, level=None) -> LeaveOneOut:
        """The fit without study i for every i, as metafor's ``leave1out()``: what
        ``meta_analysis(np.delete(y, i), np.delete(v, i), method, test, level)`` gives, but
        without copying the data k times: O(k) per left-out study for the closed-form tau2
        (EE, DL, HE, HS, SJ), and a few Newton steps of O(k) each for ML, REML, PM and EB.
        See :mod:`shrinkviz.model._leave1out`.
        """
        if self.method == "fixed":
            raise ValueError("leave1out needs an estimated tau2 (this fit was given tau2)")
        level = self._level(level)
        needed = 2 if self.method in _FIXED and self.test == "z" else 3  # each fit as in rma
        if self.k < needed:
            raise ValueError(
                f"leave1out needs k >= {needed} studies for method={self.method!r},"
                f" test={self.test!r} (got k = {self.k})"
            )
        fits = _leave1out.leave1out(self.y, self.v, self.method, self.test, level, self.tau2)
        return LeaveOneOut(**{name: freeze(fits[name]) for name in _LEAVE1OUT})

    def __repr__(self) -> str:
        head = f"method={self.method!r}, test={self.test!r}, k={self.k}, "
        return result_repr(self, _NUMBERS).replace("(", "(" + head, 1)


def meta_analysis(
    y, v, method="REML", test="z", level=0.95, tau2=None, mods=None, *, check_input=True
) -> MetaAnalysis | MetaRegression:
    """Random-effects meta-analysis of k effects ``y`` with sampling variances ``v``,
    as R's ``metafor::rma(yi, vi, method, test, level)``:

        tau2  by ``method``: "EE" (or "FE", tau2 = 0), "DL", "HE", "HS", "SJ", "ML",
              "REML", "EB", "PM" (see :mod:`shrinkviz.model.tau2`)
        mu    = sum w y / sum w,  Var(mu) = 1 / sum w,  w = 1 / (v + tau2)
        test  "z": mu / se against N(0, 1); "knha" (Knapp & Hartung 2003): Var(mu) times
              s2 = sum w (y - mu)^2 / (k - 1) and a t_{k-1} reference
        Q     = sum (y - mu_EE)^2 / v on k - 1 degrees of freedom
        I2    = 100 tau2 / (vt + tau2),  H2 = tau2 / vt + 1,  vt = (k - 1) / tr(P)
              (for EE: I2 = 100 max(0, (Q - (k - 1)) / Q), H2 = Q / (k - 1))
        PI    = mu -+ crit sqrt(Var(mu) + tau2)   (metafor's ``predict``)

    Parameters
    ----------
    y : array of k finite effects.
    v : array of k sampling variances, > 0 and finite.
    method : the tau2 estimator. EE needs k >= 1, every other method k >= 2.
    test : "z" or "knha" (needs k >= 2).
    level : confidence level in (0, 1) of every interval.
    tau2 : a given tau2 >= 0 instead of an estimate (metafor's ``rma(tau2=)``): the
        result's method is then "fixed", se_tau2 is nan, and k >= 1 suffices for test "z".
    mods : moderators (a (k,) or (k, q) array or a data frame; the intercept is added):
        the meta-regression ``rma(yi, vi, mods=)`` of
        :func:`shrinkviz.model.meta_regression.meta_regression`, a ``MetaRegression``.
    check_input : False trusts y and v (read-only 1-D float64 arrays of one length, y finite,
        v > 0: the result keeps them), for a caller that checked them once
        (:func:`shrinkviz.model.forest.forest`); the other arguments are checked always.
    """
    if mods is not None:
        if tau2 is not None:
            raise ValueError("tau2 cannot be given with mods (got both)")
        from .meta_regression import meta_regression  # imports this module

        return meta_regression(y, v, mods, method=method, test=test, level=level)
    if check_input:
        y = readonly(check.finite("y", check.float_array("y", y)))
        v = readonly(check.positive("v", check.float_array("v", v)))
        check.same_length(y=y, v=v)
    method = check.choice("method", method, METHODS)
    test = check.choice("test", test, TESTS)
    level = check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
    k = len(y)
    if tau2 is not None:
        tau2, method = check.scalar("tau2", tau2, lo=0), "fixed"
    if k < 2 and (method not in (*_FIXED, "fixed") or test == "knha"):
        why = f"test={test!r}" if method in _FIXED else f"method={method!r}"
        raise ValueError(f"y must have length >= 2 for {why} (got length {k})")

    at0 = at_zero(y, v) if k > 1 else None  # Q, tr(P) and every estimator's start
    tau2, se_tau2 = (tau2, np.nan) if method == "fixed" else ESTIMATORS[method](y, v, at0)
    w = 1.0 / (v + tau2)
    mu = dot(w, y) / float(w.sum())
    var_mu = 1.0 / w.sum()
    if test == "knha":
        rss = dot(w, (y - mu) ** 2)
        var_mu *= rss / (k - 1) if rss > np.finfo(float).eps else 0.0

    Q, Q_pval, I2, H2 = 0.0, 1.0, 0.0, 1.0  # metafor's values for k = 1
    if k > 1:
        Q = max(0.0, at0[1])
        Q_pval = float(dist.chi2_sf(Q, k - 1))
        if method in _FIXED:
            I2 = max(0.0, 100 * (Q - (k - 1)) / Q) if Q > 0 else 0.0
            H2 = Q / (k - 1)
        else:
            vt = (k - 1) / trace_p(at0)
            I2, H2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1

    se = float(np.sqrt(var_mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.float64(mu) / se)
    ref = dist.of_test(test, k - 1)  # N(0, 1), or t_{k-1} for Knapp-Hartung
    pval, crit = float(2 * ref.sf(abs(stat))), float(ref.isf((1 - level) / 2))
    half_pi = float(crit * np.sqrt(var_mu + tau2))
    return MetaAnalysis(
        method=method,
        tau2=tau2,
        se_tau2=se_tau2,
        mu=mu,
        se=se,
        ci_lb=mu - crit * se,
        ci_ub=mu + crit * se,
        stat=stat,
        pval=pval,
        Q=Q,
        Q_pval=Q_pval,
        I2=I2,
        H2=H2,
        pi_lb=mu - half_pi,
        pi_ub=mu + half_pi,
        test=test,
        level=level,
        k=k,
        y=y,
        v=v,
    )
