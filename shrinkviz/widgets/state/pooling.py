"""The state of the pooling-lines explorer: complete, no and partial pooling lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from traitlets import Float, Instance

from ...model.regression import pooling_fit
from ._base import _State


@dataclass(frozen=True, eq=False)
class PoolingSnapshot:
    """What a PoolingState publishes after one recompute: the model's fit, nothing else.

    fit          the ``pooling_fit`` result for the current sigma2, tau2 and n
                 (``complete``, ``none``, ``partial``, ``sigma2``, ``tau2``, ``n``)
    none_se      ``fit.no_pooling.alpha_se``: s.e. of each no-pooling intercept given the common
                 slope, sqrt(sigma2 / n_j) (nan where n_j = 0)
    partial_sd   ``fit.partial_pooling.alpha_sd``: conditional sd of each partial-pooling intercept
    has_data     n_j > 0: the groups with rows in use (the others have no no-pooling line)
    """

    fit: Any

    @property
    def none_se(self) -> np.ndarray:
        return self.fit.no_pooling.alpha_se

    @property
    def partial_sd(self) -> np.ndarray:
        return self.fit.partial_pooling.alpha_sd

    @property
    def has_data(self) -> np.ndarray:
        return self.fit.n > 0


class PoolingState(_State):
    """Inputs and outputs of the pooling-lines explorer (Gelman & Hill 2007, ch. 12).

    The full fit ``pooling_fit(x, y, group)`` (REML) is made once; each change then calls
    ``update`` once on the last fit, O(J): a sigma2 or tau2 move ``update(sigma2=, tau2=)``
    (the group sums, complete and no pooling are reused), an n move ``update(n=)`` as
    well (``n[j]`` uses the first n[j] rows of group j, ``fit.used()`` says which rows), and
    "fit" ``update(n=, estimate="REML")`` from the group sums. The data live in the fit
    (``x``, ``y``, ``group``, ``rank`` read it there).
    """

    sigma2 = Float(1.0, help="within-group variance")
    tau2 = Float(1.0, help="between-group variance of the intercepts")
    n = Instance(np.ndarray, help="rows used of each group (the first n_j in data order)")
    snapshot = Instance(PoolingSnapshot, allow_none=True)
    _inputs = ("sigma2", "tau2", "n")

    def __init__(self, x, y, group, *, sigma2=None, tau2=None, **inputs):
        self.base = pooling_fit(x, y, group)
        self.labels = tuple(str(g) for g in self.base.groups)
        self._n_moved = True  # n differs from the last snapshot's: update must get it
        self._checked_n = None  # the last n that set_n made (within bounds by construction)
        super().__init__(
            sigma2=self.base.sigma2 if sigma2 is None else sigma2,
            tau2=self.base.tau2 if tau2 is None else tau2,
            n=self.base.n.copy(),
            **inputs,
        )

    x = property(lambda self: self.base.x, doc="the predictor of every row (read-only)")
    y = property(lambda self: self.base.y, doc="the outcome of every row (read-only)")
    group = property(lambda self: self.base.group_index, doc="each row's group index")
    rank = property(lambda self: self.base.row_rank, doc="each row's rank in its group")
    n_max = property(lambda self: self.base.n, doc="rows of each group")

    def set_n(self, j: int, value: int) -> None:
        """Rows used of group j (clamped to between 0 and the rows it has)."""
        value = int(min(max(value, 0), self.n_max[j]))
        if self.n[j] != value:
            n = self.n.copy()
            n[j] = value
            self._checked_n = n
            self.n = n

    def fit(self) -> None:
        """Set sigma2 and tau2 to their REML estimates on the rows in use (from the group
        sums: ``update(n=, estimate="REML")``); a refusal goes to ``error``."""
        try:
            refit = self._last().update(
                n=self.n, estimate="REML", check_input=self.n is not self._checked_n
            )
        except ValueError as e:
            self.error = str(e)
            return
        with self.hold():
            self.sigma2, self.tau2 = refit.sigma2, refit.tau2

    def _last(self):
        return self.base if self.snapshot is None else self.snapshot.fit

    def _invalidate(self, name: str) -> None:
        if name == "n":
            self._n_moved = True

    def _compute(self) -> PoolingSnapshot:
        if self._n_moved:
            fit = self._last().update(
                sigma2=self.sigma2,
                tau2=self.tau2,
                n=self.n,
                check_input=self.n is not self._checked_n,
            )
            self._n_moved = False
        else:  # a sigma2 or tau2 move: the last fit's rows
            fit = self._last().update(sigma2=self.sigma2, tau2=self.tau2)
        return PoolingSnapshot(fit)
