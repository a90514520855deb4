"""The state of the counts explorer: exact shrinkage of proportions (beta-binomial) or rates
(gamma-Poisson) as the prior's strength moves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from traitlets import Bool, Float, Instance, Tuple, Unicode, validate

from ...model import checks
from ...model.counts import beta_binomial, gamma_poisson
from ...model.full_bayes_counts import full_bayes_binomial
from ._base import _labels, _State


@dataclass(frozen=True, eq=False)
class CountsSnapshot:
    """What a CountsState publishes after one recompute (arrays of length J).

    y, trials      the counts and each group's trials n_j (or exposure E_j)
    has_data       trials > 0: a group without trials has no raw rate to draw
    raw            y_j / n_j (nan where n_j = 0)
    averaged       True when mean, sd, the interval and prior_mean are full Bayes (averaged over
                   p(a, b | y)); then the prior size and mean change none of them
    mean, sd       the shown estimate of each theta_j: the posterior mean and sd at the slider's
                   prior, or (averaged) E[theta_j | y] and sd(theta_j | y)
    B              shrinkage factors at the slider's prior (None when averaged)
    prior_mean     the prior mean a / (a + b) (or a / b) shown as the rule: the fixed value, the
                   weighted mean of the raw rates at this size (``weighted_prior_mean``), or
                   (averaged) E[a / (a + b) | y]
    prior_size     the slider's a + b (or b)
    pooled         the pooled rate sum y / sum n (complete pooling's estimate)
    level          of the interval
    lower, upper   the central posterior interval of the selected group (floats)
    posterior      the model's result at the slider's prior (None when averaged)
    full_bayes     ``full_bayes_binomial(y, n)`` when computed, else None
    eb_size, eb_mean   the empirical-Bayes prior size and mean (None where EB has no answer)
    """

    y: np.ndarray
    trials: np.ndarray
    has_data: np.ndarray
    raw: np.ndarray
    averaged: bool
    mean: np.ndarray
    sd: np.ndarray
    B: np.ndarray | None
    prior_mean: float
    prior_size: float
    pooled: float
    level: float
    lower: float
    upper: float
    posterior: Any = None
    full_bayes: Any = None
    eb_size: float | None = None
    eb_mean: float | None = None


class CountsState(_State):
    """Inputs and outputs of the counts explorer.

    ``family`` "binomial": y_j ~ Binomial(n_j, theta_j), theta_j ~ Beta(a, b); "poisson":
    y_j ~ Poisson(theta_j E_j), theta_j ~ Gamma(a, rate b). The prior is its size (a + b, or
    b: the trials, or exposure, it is worth) and its mean. The data are fitted once by
    empirical Bayes (``beta_binomial`` / ``gamma_poisson``; or the given a, b); each change
    is then one ``with_prior(size, mean)`` (closed form, O(J)) and the selected group's
    interval. The prior mean is fixed or, with ``prior_mean_estimated``, the model's
    ``weighted_prior_mean(size)``. ``average_over_prior`` (binomial only) shows the posterior
    averaged over p(a, b | y) under BDA3's prior (``full_bayes_binomial``, computed once and cached,
    the selected group's interval); ``size_posterior`` computes it for the p(log(a + b) | y) panel.
    """

    prior_size = Float(1.0, help="a + b (or b): 0 no pooling, inf complete pooling")
    prior_mean_estimated = Bool(True, help="estimate the prior mean at each size, or fix it")
    prior_mean = Float(0.5, help="the prior mean a / (a + b) (or a / b) when it is fixed")
    average_over_prior = Bool(
        False, help="show the full-Bayes posterior, averaged over p(a, b | y)"
    )
    size_posterior = Bool(False, help="also compute p(log(a + b) | y) (binomial only)")
    snapshot = Instance(CountsSnapshot, allow_none=True)
    inactive = Tuple(help="the inputs that change nothing shown now")
    inactive_hint = Unicode("", help="why ``inactive`` is not empty")
    _inputs = (
        "prior_size",
        "prior_mean_estimated",
        "prior_mean",
        "average_over_prior",
        "size_posterior",
        "selected",
    )

    def __init__(
        self, y, *, n=None, exposure=None, labels=None, a=None, b=None, level=0.95, **inputs
    ):
        if (n is None) == (exposure is None):
            raise ValueError("give either n (proportions) or exposure (rates)")
        self.family = "binomial" if n is not None else "poisson"
        model = beta_binomial if n is not None else gamma_poisson
        trials = n if n is not None else exposure
        self.level = checks.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
        try:
            self.eb = model(y, trials)  # checks y and the trials (naming the row)
        except ValueError as e:
            if a is None and b is None:
                raise
            self.eb, self._eb_error = None, str(e)
        else:
            self._eb_error = ""
        base = self.eb if a is None and b is None else model(y, trials, a, b)
        self.base = base
        self.y, self.trials = base.y, base._trials
        self.labels = _labels(labels, len(self.y))
        has_data = self.trials > 0
        has_data.flags.writeable = False
        self._pooled = base.weighted_prior_mean(np.inf)
        self._has_data = has_data
        self._fb = None
        self.observe(self._mark_inactive, "snapshot")
        inputs = {"prior_size": base.prior_size, "prior_mean": base.prior_mean, **inputs}
        if inputs.get("size_posterior") and self.family != "binomial":
            raise ValueError(
                "size_posterior (the size panel) needs proportions (n): full Bayes is binomial only"
            )
        super().__init__(**inputs)

    @validate("selected")
    def _valid_selected(self, proposal):
        j = proposal.value
        if not 0 <= j < len(self.y):
            raise checks.fail("selected", f"a group index in [0, {len(self.y) - 1}]", j)
        return j

    def fit(self) -> None:
        """The empirical-Bayes prior: its size and its mean (fixed at the EB estimate, the
        maximum of the marginal likelihood); a refusal goes to ``error``."""
        if self.eb is None:
            self.error = f"empirical Bayes has no answer for these data: {self._eb_error}"
            return
        with self.hold():
            self.prior_size = self.eb.prior_size
            self.prior_mean = self.eb.prior_mean
            self.prior_mean_estimated = False

    def _mark_inactive(self, change) -> None:
        averaged = change["new"] is not None and change["new"].averaged
        self.inactive = ("prior_size", "prior_mean", "prior_mean_estimated") if averaged else ()
        self.inactive_hint = (
            "averaging over (a, b) (full Bayes): the prior's size and mean are integrated out"
            if averaged
            else ""
        )

    def _full_bayes(self):
        """``full_bayes_binomial(y, n)``, cached (the data never change); the exception instead
        when it refuses."""
        if self._fb is None:
            try:
                self._fb = full_bayes_binomial(self.y, self.trials)
            except (ValueError, ArithmeticError) as e:
                self._fb = ValueError(str(e) or type(e).__name__)
        return self._fb

    def _compute(self) -> CountsSnapshot:
        j = self.selected
        binomial = self.family == "binomial"
        fb = None
        if binomial and (self.average_over_prior or self.size_posterior):
            fb = self._full_bayes()
        if self.average_over_prior:
            if not binomial:
                raise ValueError("full Bayes is available for proportions (n) only")
            if isinstance(fb, Exception):
                raise ValueError(f"average over (a, b) (full Bayes) is not available: {fb}")
            lower, upper = (float(q[0]) for q in fb.interval(self.level, groups=j))
            post, mean, sd, B = None, fb.mean, fb.sd, None
            prior_mean = fb.prior_mean
        else:
            size = self.prior_size
            m = (
                self.base.weighted_prior_mean(size)
                if self.prior_mean_estimated
                else self.prior_mean
            )
            post = self.base.with_prior(size=size, mean=m)
            lo, hi = post.interval(self.level, groups=j)
            lower, upper = float(lo[0]), float(hi[0])
            mean, sd, B, prior_mean = post.mean, np.sqrt(post.var), post.B, post.prior_mean
        return CountsSnapshot(
            y=self.y,
            trials=self.trials,
            has_data=self._has_data,
            raw=self.base.raw,
            averaged=self.average_over_prior,
            mean=mean,
            sd=sd,
            B=B,
            prior_mean=float(prior_mean),
            prior_size=self.prior_size,
            pooled=self._pooled,
            level=self.level,
            lower=lower,
            upper=upper,
            posterior=post,
            full_bayes=None if isinstance(fb, Exception) else fb,
            eb_size=None if self.eb is None else self.eb.prior_size,
            eb_mean=None if self.eb is None else self.eb.prior_mean,
        )
