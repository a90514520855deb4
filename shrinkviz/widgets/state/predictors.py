"""The state of the predictor explorer: each group shrinks toward its own predicted value.

Two kinds of data, one picture: studies with effects y_i and variances v_i and a moderator u_i
(meta-regression, ``shrinkviz.regression_posterior``), or rows grouped with a group-level
predictor u_j (``shrinkviz.predictor_fit``: each group's intercept). A toggle drops the
predictor: every group then shrinks toward one mean, and tau2 is the larger variance of the
model without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from traitlets import Bool, Float, Instance, validate

from ...model import checks
from ...model.group_predictor import predictor_fit
from ...model.meta_regression import meta_regression, pseudo_r2, regression_posterior
from ._base import _labels, _State

_GRID = 60  # points along u of the drawn line and band


@dataclass(frozen=True, eq=False)
class PredictorSnapshot:
    """What a PredictorState publishes after one recompute (arrays of length J unless said).

    u             the predictor of each group (the horizontal axis)
    own           each group's own estimate: y_i (studies), or its intercept given the slope,
                  ybar_j - beta xbar_j (groups; nan for a group without rows)
    mean          its shrunk estimate (1 - B) own + B target
    target        where it shrinks to: the fitted line at u_j (or the one mean, without u)
    B             the shrinkage factor v_j / (v_j + tau2)
    precision     1 / v_j (marker area)
    line_u, line  the fitted line at ``_GRID`` points along u; band_lo, band_hi its 95%
                  confidence band (nan where the model gives none)
    intercept, slope  the line (slope nan without the predictor)
    tau2, with_predictor  the inputs shown
    """

    u: np.ndarray
    own: np.ndarray
    mean: np.ndarray
    target: np.ndarray
    B: np.ndarray
    precision: np.ndarray
    line_u: np.ndarray
    line: np.ndarray
    band_lo: np.ndarray
    band_hi: np.ndarray
    intercept: float
    slope: float
    tau2: float
    with_predictor: bool


class _Studies:
    """Effects y, variances v and a moderator u: ``regression_posterior`` per move."""

    def __init__(self, y, v, u, method):
        self.u = checks.finite("u", checks.float_array("u", u, copy=True))
        self.y, self.v = y, v
        checks.same_length(y=y, v=v, u=self.u)
        self.fits = {
            True: meta_regression(y, v, self.u, method),
            False: meta_regression(y, v, np.empty((len(y), 0)), method),
        }
        self.precision = 1.0 / v

    def at(self, tau2: float, with_u: bool, grid: np.ndarray) -> dict:
        mods = self.u if with_u else np.empty((len(self.y), 0))
        post = regression_posterior(self.y, self.v, tau2, mods, check_input=False)
        line = post.line(grid if with_u else np.empty((len(grid), 0)))
        return dict(
            own=self.y,
            mean=post.mean,
            target=post.fitted,
            B=post.B,
            line=line.pred,
            band_lo=line.ci_lb,
            band_hi=line.ci_ub,
            intercept=float(post.beta[0]),
            slope=float(post.beta[1]) if with_u else np.nan,
        )


class _Groups:
    """Rows (x, y) in groups with a group-level predictor: ``PredictorFit.update`` per move
    (O(J): the group sums are kept), sigma2 held at its REML estimate."""

    def __init__(self, with_u, without_u):
        self.fits = {True: with_u, False: without_u}
        fit = with_u
        self.u, self.groups = fit.u, fit.groups
        self.precision = fit.n / fit.sigma2

    def at(self, tau2: float, with_u: bool, grid: np.ndarray) -> dict:
        fit = self.fits[with_u]
        p = fit.update(tau2=tau2).partial_pooling
        slope = p.gamma if with_u else 0.0
        nan = np.full(len(grid), np.nan)
        return dict(
            own=p.own,
            mean=p.alpha,
            target=p.target,
            B=p.B,
            line=p.mu_alpha + slope * grid,  # the line through the model's coefficients
            band_lo=nan,
            band_hi=nan,
            intercept=p.mu_alpha,
            slope=p.gamma,
        )


class PredictorState(_State):
    """Inputs (``tau2``, ``with_predictor``, ``selected``) and the snapshot of the predictor
    explorer. ``estimate(with_predictor)`` is the REML (or ``method``) tau2 of each model,
    ``R2`` the percent of tau2 the predictor accounts for (metafor's pseudo R^2) and
    ``use_predictor(flag)`` the toggle: it sets ``with_predictor`` and tau2 to that model's
    estimate in one recompute.
    """

    tau2 = Float(1.0, help="between-group variance around the line: 0 on the line, inf none")
    with_predictor = Bool(True, help="shrink toward the fitted line (True) or one mean")
    snapshot = Instance(PredictorSnapshot, allow_none=True)
    _inputs = ("tau2", "with_predictor")

    def __init__(self, data, *, labels=None, tau2=None, with_predictor=True):
        self.data = data
        self.labels = _labels(labels, len(data.u))
        lo, hi = float(data.u.min()), float(data.u.max())
        pad = 0.04 * (hi - lo)
        self.line_u = np.linspace(lo - pad, hi + pad, _GRID)
        self.line_u.flags.writeable = False
        if tau2 is None:
            tau2 = self.estimate(with_predictor)
        super().__init__(tau2=tau2, with_predictor=with_predictor)

    @classmethod
    def from_meta(cls, y, v, u, *, method="REML", **kw) -> PredictorState:
        """Studies: effects ``y``, sampling variances ``v`` (> 0), moderator ``u``."""
        y = checks.finite("y", checks.float_array("y", y, copy=True))
        v = checks.positive("v", checks.float_array("v", v, copy=True))
        return cls(_Studies(y, v, u, method), **kw)

    @classmethod
    def from_rows(cls, x, y, group, u, *, method="REML", labels=None, **kw) -> PredictorState:
        """Rows ``(x, y)`` in ``group`` with the group-level predictor ``u`` (per row or per
        group); the groups are labelled in order of first appearance."""
        fits = (
            predictor_fit(x, y, group, u, method=method),
            predictor_fit(x, y, group, None, method=method),
        )
        return cls.from_fits(*fits, labels=labels, **kw)

    @classmethod
    def from_fits(cls, with_u, without_u, *, labels=None, **kw) -> PredictorState:
        """Two ``PredictorFit`` of the same rows: with the group-level predictor and without
        it (``u=None``); sigma2 of each is held while tau2 moves."""
        data = _Groups(with_u, without_u)
        return cls(data, labels=data.groups if labels is None else labels, **kw)

    def estimate(self, with_predictor: bool) -> float:
        """The fitted tau2 of the model with or without the predictor."""
        return self.data.fits[bool(with_predictor)].tau2

    @property
    def R2(self) -> float:
        return pseudo_r2(self.estimate(False), self.estimate(True))

    def fit(self) -> None:
        """tau2 to the estimate of the model shown (the "fit" button)."""
        self.tau2 = self.estimate(self.with_predictor)

    def use_predictor(self, flag: bool) -> None:
        """The toggle: with or without the predictor, tau2 at that model's estimate."""
        with self.hold():
            self.with_predictor = bool(flag)
            self.tau2 = self.estimate(flag)

    @validate("tau2")
    def _valid_tau2(self, proposal):
        return checks.scalar("tau2", proposal.value, lo=0, allow_inf=True)

    def _compute(self) -> PredictorSnapshot:
        d = self.data
        at = d.at(self.tau2, self.with_predictor, self.line_u)
        return PredictorSnapshot(
            u=d.u,
            precision=d.precision,
            line_u=self.line_u,
            tau2=self.tau2,
            with_predictor=self.with_predictor,
            **at,
        )
