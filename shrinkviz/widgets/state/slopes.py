"""The state of the varying-slopes explorer: each group's (intercept, slope) pulled toward mu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from traitlets import Float, Instance

from ...model import checks
from ...model.slopes import slopes_fit
from ._base import _State


@dataclass(frozen=True, eq=False)
class SlopesSnapshot:
    """What a SlopesState publishes after one recompute: the model's fit, nothing else.

    fit      the ``slopes_fit`` result at the state's sigma2 and scale * Sigma (at
             scale = inf: ``update(sigma2=0, Sigma=Sigma)``, the exact no-pooling limit,
             since the BLUPs depend on (sigma2, Sigma) only through Sigma / sigma2)
    scale    the pooling scale the fit was made at (0: complete pooling, inf: none)
    Sigma    the covariance of the population N(mu, Sigma) drawn: scale * Sigma (inf entries
             at scale = inf)
    has_data n_j > 0: the groups with rows in use
    """

    fit: Any
    scale: float
    Sigma: np.ndarray

    @property
    def has_data(self) -> np.ndarray:
        return self.fit.n > 0


def covariance(tau_alpha: float, tau_beta: float, rho: float) -> np.ndarray:
    """Sigma = [[tau_alpha^2, rho tau_alpha tau_beta], [rho tau_alpha tau_beta, tau_beta^2]]."""
    c = rho * tau_alpha * tau_beta
    return np.array([[tau_alpha * tau_alpha, c], [c, tau_beta * tau_beta]])


class SlopesState(_State):
    """Inputs and outputs of the varying-slopes explorer (Gelman & Hill 2007, ch. 13).

    The full fit ``slopes_fit(x, y, group)`` (REML) is made once; each change then calls
    ``update`` once on the last fit, O(J): a sigma2, tau_alpha, tau_beta, rho or scale move
    ``update(sigma2=, Sigma=)`` (the group sums, complete and no pooling are reused), an n
    move ``update(sigma2=, Sigma=, n=)`` (``n[j]`` uses the first n[j] rows of group j), and
    "fit" ``update(n=, estimate="REML")`` from the group sums.

    ``scale`` multiplies Sigma: 0 is complete pooling (every pair at mu), inf no pooling
    (every group with a line keeps its own), both exact.
    """

    sigma2 = Float(1.0, help="within-group variance")
    tau_alpha = Float(1.0, help="standard deviation of the intercepts")
    tau_beta = Float(1.0, help="standard deviation of the slopes")
    rho = Float(0.0, help="correlation of intercepts and slopes")
    scale = Float(1.0, help="the population covariance used is scale * Sigma (0 .. inf)")
    n = Instance(np.ndarray, help="rows used of each group (the first n_j in data order)")
    snapshot = Instance(SlopesSnapshot, allow_none=True)
    _inputs = ("sigma2", "tau_alpha", "tau_beta", "rho", "scale", "n")

    def __init__(self, x, y, group, **inputs):
        self.base = slopes_fit(x, y, group)
        # the checked data as the model read them (one read-only copy each)
        self.x = checks.float_array("x", x, copy=True)
        self.y = checks.float_array("y", y, copy=True)
        self.x.flags.writeable = self.y.flags.writeable = False
        self.labels = tuple(str(g) for g in self.base.groups)
        self._n_moved = True  # n differs from the last snapshot's: update must get it
        b = self.base
        rho = b.rho
        super().__init__(
            sigma2=b.sigma2,
            tau_alpha=b.tau_alpha,
            tau_beta=b.tau_beta,
            rho=0.0 if np.isnan(rho) else rho,
            n=b.n.copy(),
            **inputs,
        )

    group = property(lambda self: self.base.group_index, doc="each row's group index")
    rank = property(lambda self: self.base.row_rank, doc="each row's rank in its group")
    n_max = property(lambda self: self.base.n, doc="rows of each group")

    @property
    def Sigma(self) -> np.ndarray:
        """The covariance the sliders set (before ``scale``)."""
        return covariance(self.tau_alpha, self.tau_beta, self.rho)

    def set_n(self, j: int, value: int) -> None:
        """Rows used of group j (clamped to between 0 and the rows it has)."""
        value = int(min(max(value, 0), self.n_max[j]))
        if self.n[j] != value:
            n = self.n.copy()
            n[j] = value
            self.n = n

    def fit(self) -> None:
        """Set sigma2, tau_alpha, tau_beta and rho to their REML estimates on the rows in use
        (``update(n=, estimate="REML")``) and scale to 1; a refusal goes to ``error``."""
        try:
            refit = self._last().update(n=self.n, estimate="REML")
        except ValueError as e:
            self.error = str(e)
            return
        with self.hold():
            self.sigma2 = refit.sigma2
            self.tau_alpha, self.tau_beta = refit.tau_alpha, refit.tau_beta
            self.rho = 0.0 if np.isnan(refit.rho) else refit.rho  # a zero variance: any rho
            self.scale = 1.0

    def _last(self):
        return self.base if self.snapshot is None else self.snapshot.fit

    def _invalidate(self, name: str) -> None:
        if name == "n":
            self._n_moved = True

    def _compute(self) -> SlopesSnapshot:
        sigma2 = checks.scalar("sigma2", self.sigma2, lo=0)
        checks.scalar("tau_alpha", self.tau_alpha, lo=0)
        checks.scalar("tau_beta", self.tau_beta, lo=0)
        checks.scalar("rho", self.rho, lo=-1, hi=1)
        scale = checks.scalar("scale", self.scale, lo=0, allow_inf=True)
        Sigma = self.Sigma
        if scale == np.inf:
            if not (Sigma[0, 0] * Sigma[1, 1] - Sigma[0, 1] ** 2 > 0):
                raise ValueError(
                    "no pooling (scale = ∞) needs tau_alpha > 0, tau_beta > 0 and |rho| < 1 "
                    f"(got tau_alpha = {self.tau_alpha:.3g}, tau_beta = {self.tau_beta:.3g}, "
                    f"rho = {self.rho:.3g})"
                )
            sigma2, shown = 0.0, np.full((2, 2), np.inf)
        else:
            Sigma = shown = scale * Sigma
        kw = dict(sigma2=sigma2, Sigma=Sigma)
        if self._n_moved:
            fit = self._last().update(n=self.n, **kw)
            self._n_moved = False
        else:  # the last fit's rows: its sums, complete and no pooling are reused
            fit = self._last().update(**kw)
        shown.flags.writeable = False
        return SlopesSnapshot(fit, scale, shown)
