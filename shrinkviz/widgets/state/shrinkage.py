"""The state of the shrinkage explorer: posterior means, tau2 and full Bayes for y, v."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from traitlets import Bool, Enum, Float, Instance, Tuple, Unicode, validate

from ...model import checks
from ...model.full_bayes import TAU_PRIORS, full_bayes
from ...model.meta import meta_analysis
from ...model.normal import posterior
from ._base import _labels, _State


@dataclass(frozen=True, eq=False)
class ShrinkageSnapshot:
    """What a ShrinkageState publishes after one recompute (arrays of length J).

    y, v, n    the data as used: estimates, sampling variances, sample sizes n_j * n_scale
               (None for study data given as y and v)
    has_data   False for a group without data (n_j = 0, v_j = inf): it has no own estimate
               to draw, and it takes no part in p(tau | y), full Bayes or REML
    precision  1 / v (0 for a group without data)
    averaged   True when mean, sd, B and mu0 are full Bayes (averaged over p(tau | y));
               then tau2 and a fixed mu0 change none of them
    mean, sd   the shown estimate of each mu_j and its sd: the posterior at the current tau2
               and mu0, or (averaged) the full-Bayes E[theta_j | y] and sd(theta_j | y)
    B          the shrinkage of each group: v / (v + tau2) at the current tau2, or (averaged)
               its posterior mean E[B_j | y] over p(tau | y). E[B_j | y] rather than the
               shrinkage the full-Bayes mean shows, 1 - (E[theta_j|y] - E[mu|y]) / (y_j -
               E[mu|y]): it is defined for every group (also y_j = E[mu | y]), lies in [0, 1],
               and is the very factor the slider sets, averaged, so both modes show the
               same quantity (BDA3 section 5.4: E[theta_j | tau, y] = (1 - B_j) y_j + B_j
               mu_hat(tau))
    mu0        the grand mean shown (given, estimated, or its full-Bayes mean E[mu | y])
    tau2       the slider's tau2
    full_bayes the full-Bayes result (``shrinkviz.full_bayes``) when computed, else None
    reml_tau2  the REML estimate of tau2 for these v when computed (and defined), else None
    """

    y: np.ndarray
    v: np.ndarray
    n: np.ndarray | None
    has_data: np.ndarray
    precision: np.ndarray
    averaged: bool
    mean: np.ndarray
    sd: np.ndarray
    B: np.ndarray
    mu0: float
    tau2: float
    full_bayes: Any = None
    reml_tau2: float | None = None


class ShrinkageState(_State):
    """Inputs and outputs of the shrinkage explorer (normal-normal model, BDA3 section 5.4).

    Group data: ``v_j = sigma2 / (n_j * n_scale)`` (inf where n_j = 0: no data); study
    data: ``v_j = v_data_j / n_scale``. Each change calls ``shrinkviz.posterior(y, v, tau2,
    mu0)`` once (``mu0=None`` when ``mu0_estimated``), and ``shrinkviz.full_bayes(y, v,
    tau_prior)`` when averaging over tau or drawing p(tau | y) (cached: it depends on v and
    the prior only). Averaging over tau, every number shown is full Bayes and ``inactive``
    names the inputs that then change nothing.
    """

    tau2 = Float(1.0, help="between-group variance: 0 complete pooling, inf no pooling")
    sigma2 = Float(1.0, help="within-group variance (group data), >= 0")
    n = Instance(
        np.ndarray,
        allow_none=True,
        help="sample size of each group (group data), >= 0; 0 = no data",
    )
    n_scale = Float(1.0, help="every n_j is multiplied by it (every v_j divided by it), > 0")
    mu0_estimated = Bool(True, help="estimate mu0 (precision-weighted mean) or fix it")
    mu0 = Float(0.0, help="the grand mean when it is fixed")
    average_over_tau = Bool(False, help="show the full-Bayes means, averaged over p(tau | y)")
    tau_prior = Enum(
        TAU_PRIORS, default_value="uniform", help="prior on tau for the full-Bayes average"
    )
    tau_scale = Float(1.0, help="scale of a half-Cauchy or half-normal prior on tau")
    tau_posterior = Bool(False, help="also compute p(tau | y) and the REML tau2 (tau panel)")
    snapshot = Instance(ShrinkageSnapshot, allow_none=True)
    inactive = Tuple(
        help="the inputs that change nothing shown now: ('tau2', 'mu0', "
        "'mu0_estimated') while averaging over tau, else ()"
    )
    inactive_hint = Unicode("", help="why ``inactive`` is not empty, for a control's tooltip")
    _inputs = (
        "tau2",
        "sigma2",
        "n",
        "n_scale",
        "mu0_estimated",
        "mu0",
        "average_over_tau",
        "tau_prior",
        "tau_scale",
        "tau_posterior",
    )

    def __init__(self, y, *, v=None, n=None, sigma2=None, labels=None, tau2=None, **inputs):
        y = checks.finite("y", checks.float_array("y", y, copy=True))
        self.labels = _labels(labels, len(y))
        checks.groups_with_data(np.ones(len(y), dtype=bool), self.labels)
        if (v is None) == (n is None):
            raise ValueError("give either v (study data) or n and sigma2 (group data)")
        if v is not None:
            v = checks.positive("v", checks.float_array("v", v, copy=True))
            checks.same_length(y=y, v=v)
            n, sigma2 = None, 1.0
        else:
            n = checks.positive("n", checks.float_array("n", n, copy=True))
            checks.same_length(y=y, n=n)
            sigma2 = checks.scalar("sigma2", sigma2, lo=0, lo_open=True)
        self.y, self.v_data = y, v
        self._fb = self._reml = self._data = self._checked_n = None
        self.observe(self._mark_inactive, "snapshot")
        if tau2 is None:  # a middle start: between-group spread of y
            tau2 = float(np.var(y)) or 1.0
        inputs = {"mu0": float(np.mean(y)), "tau_scale": float(np.std(y)) or 1.0, **inputs}
        super().__init__(tau2=tau2, sigma2=sigma2, n=n, **inputs)

    @property
    def is_group_data(self) -> bool:
        return self.v_data is None

    @validate("sigma2")
    def _valid_sigma2(self, proposal):
        return checks.scalar("sigma2", proposal.value, lo=0)

    @validate("n_scale")
    def _valid_n_scale(self, proposal):
        return checks.scalar("n_scale", proposal.value, lo=0, lo_open=True)

    @validate("n")
    def _valid_n(self, proposal):
        if proposal.value is None or proposal.value is self._checked_n:  # None, or by set_n
            return proposal.value
        n = checks.nonnegative("n", checks.float_array("n", proposal.value, copy=True))
        checks.same_length(y=self.y, n=n)
        return n

    def v(self) -> np.ndarray:
        """Sampling variances for the current sigma2, n and n_scale (inf where n_j = 0)."""
        if self.v_data is not None:
            return self.v_data / self.n_scale
        with np.errstate(divide="ignore"):
            return np.where(self.n > 0, self.sigma2 / (self.n * self.n_scale), np.inf)

    def set_n(self, j: int, value: float) -> None:
        """Sample size of group j, >= 0 (a new array: the old one may be shared with a
        snapshot); only the new value is checked, the others were."""
        value = checks.scalar("n", value, lo=0)
        if self.n is not None and self.n[j] != value:
            n = self.n.copy()
            n[j] = value
            self._checked_n = n
            self.n = n

    def fit(self) -> None:
        """Set tau2 to its REML estimate (``meta_analysis(y, v, method="REML")``), over the
        groups with data; a refusal goes to ``error``."""
        try:
            self.tau2 = self._reml_tau2(self.v())
        except ValueError as e:
            self.error = str(e)

    def _reml_tau2(self, v: np.ndarray) -> float:
        has_data = v < np.inf
        checks.groups_with_data(has_data, self.labels)
        return float(meta_analysis(self.y[has_data], v[has_data], method="REML").tau2)

    def _mark_inactive(self, change) -> None:
        averaged = change["new"] is not None and change["new"].averaged
        self.inactive = ("tau2", "mu0", "mu0_estimated") if averaged else ()
        self.inactive_hint = (
            "averaging over τ (full Bayes): τ² and μ0 are integrated out" if averaged else ""
        )

    def _full_bayes(self, v: np.ndarray):
        """``full_bayes(y, v, tau_prior)``, cached; the exception instead when it refuses
        (the tau panel then hides while the posterior at the slider's tau2 stays shown).
        Groups without data (v = inf) drop out of p(tau | y) there."""
        if self._fb is None:
            scale = None if self.tau_prior == "uniform" else self.tau_scale
            try:
                self._fb = full_bayes(self.y, v, tau_prior=self.tau_prior, tau_scale=scale)
            except (ValueError, ArithmeticError) as e:
                self._fb = ValueError(str(e) or type(e).__name__)
        return self._fb

    def _invalidate(self, name: str) -> None:
        if name in ("sigma2", "n", "n_scale", "tau_prior", "tau_scale"):
            self._fb = None
        if name in ("sigma2", "n", "n_scale"):
            self._reml = self._data = None

    def _group_data(self) -> dict:
        """v, n, has_data and precision of the snapshot, cached: a tau2 move keeps them."""
        if self._data is None:
            v = self.v()
            with np.errstate(divide="ignore"):
                precision = 1.0 / v
            n = None if self.n is None else self.n * self.n_scale
            self._data = dict(v=v, n=n, has_data=v < np.inf, precision=precision)
            for arr in self._data.values():
                if arr is not None:
                    arr.flags.writeable = False
        return self._data

    def _compute(self) -> ShrinkageSnapshot:
        data = self._group_data()
        v = data["v"]
        fb = self._full_bayes(v) if self.average_over_tau or self.tau_posterior else None
        if self.average_over_tau:
            if isinstance(fb, Exception):  # refused: the toggle asks for it
                raise ValueError(f"average over tau (full Bayes) is not available: {fb}")
            mean, sd, B, mu0 = fb.mean, fb.sd, fb.B, fb.mu0
        else:
            post = posterior(
                self.y, v, self.tau2, None if self.mu0_estimated else self.mu0, check_input=False
            )
            mean, sd, B, mu0 = post.mean, np.sqrt(post.var), post.B, post.mu0
        if self.tau_posterior and self._reml is None:
            try:
                self._reml = self._reml_tau2(v)
            except ValueError:  # e.g. fewer than 2 groups with data: no marker
                self._reml = np.nan
        return ShrinkageSnapshot(
            y=self.y,
            **data,
            averaged=self.average_over_tau,
            mean=mean,
            sd=sd,
            B=B,
            mu0=float(mu0),
            tau2=self.tau2,
            full_bayes=None if isinstance(fb, Exception) else fb,
            reml_tau2=None if not self.tau_posterior or np.isnan(self._reml) else self._reml,
        )
