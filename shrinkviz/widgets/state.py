"""The numbers of an explorer: inputs as traits, one solver call per change, one output.

traitlets only (no ipywidgets, no bqplot), so a state is tested with plain pytest. Every
input change calls the solver once and publishes one frozen output, ``frame``; views and
controls observe that single trait, so a slider move is one recompute and one redraw.
A change the solver refuses sets ``error`` and leaves ``frame`` as it was: the last good
picture stays on screen.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from traitlets import Bool, Float, HasTraits, Instance, Int, Unicode

from ..model import _validate as check
from ..model._results import readonly
from ..model.normal import posterior


class _State(HasTraits):
    """One recompute per input change; ``hold()`` batches several inputs into one."""

    error = Unicode("", help="why the last change was refused ('' when it was accepted)")
    selected = Int(0, help="index of the selected group")
    _inputs: tuple[str, ...] = ()

    def __init__(self, **inputs):
        self._held = 0
        self.observe(self._on_input, names=list(self._inputs))
        with self.hold():
            super().__init__(**inputs)
        if self.error:  # bad input at construction is the caller's error
            raise ValueError(self.error)

    @contextlib.contextmanager
    def hold(self):
        """Set several inputs with a single recompute at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held:
            self._recompute()

    def _on_input(self, change) -> None:
        self._invalidate(change["name"])
        if not self._held:
            self._recompute()

    def _invalidate(self, name: str) -> None:
        """Drop caches that depend on input ``name``."""

    def _recompute(self) -> None:
        try:
            frame = self._compute()
        except ValueError as e:
            self.error = str(e)
            return
        self.error = ""
        self.frame = frame

    def _compute(self):
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class ShrinkageFrame:
    """What a ShrinkageState publishes after one recompute (arrays of length J).

    y, v, n    the data as used: estimates, sampling variances, sample sizes n_j * n_scale
               (None for study data given as y and v)
    precision  1 / v (0 for a group without data)
    mean, sd   the shown estimate of each mu_j and its sd: the posterior at the current tau2,
               or the full-Bayes mean and sd when averaging over tau
    B          shrinkage factors v / (v + tau2) at the current tau2
    mu0        the grand mean shown (given, estimated, or its full-Bayes mean)
    tau2       the current tau2
    full_bayes the full-Bayes result (``shrinkviz.full_bayes``) when computed, else None
    reml_tau2  the REML estimate of tau2 for these v when computed (and defined), else None
    """

    y: np.ndarray
    v: np.ndarray
    n: np.ndarray | None
    precision: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    B: np.ndarray
    mu0: float
    tau2: float
    full_bayes: Any = None
    reml_tau2: float | None = None


class ShrinkageState(_State):
    """Inputs and outputs of the shrinkage explorer (normal-normal model, BDA3 section 5.4).

    Group data: ``v_j = sigma2 / (n_j * n_scale)``; study data: ``v_j = v_data_j / n_scale``.
    Each change calls ``shrinkviz.posterior(y, v, tau2, mu0)`` once (``mu0=None`` when
    ``mu0_estimated``), and ``shrinkviz.full_bayes(y, v, tau_prior)`` when averaging over tau
    (cached: it depends on v and the prior only).
    """

    tau2 = Float(1.0, help="between-group variance: 0 complete pooling, inf no pooling")
    sigma2 = Float(1.0, help="within-group variance (group data)")
    n = Instance(np.ndarray, allow_none=True, help="sample size of each group (group data)")
    n_scale = Float(1.0, help="every n_j is multiplied by it (every v_j divided by it)")
    mu0_estimated = Bool(True, help="estimate mu0 (precision-weighted mean) or fix it")
    mu0 = Float(0.0, help="the grand mean when it is fixed")
    full_bayes = Bool(False, help="show the full-Bayes means, averaged over p(tau | y)")
    tau_prior = Unicode("uniform", help="prior on tau for the full-Bayes average")
    tau_scale = Float(1.0, help="scale of a half-Cauchy or half-normal prior on tau")
    tau_posterior = Bool(False, help="also compute p(tau | y) and the REML tau2 (tau panel)")
    frame = Instance(ShrinkageFrame, allow_none=True)
    _inputs = ("tau2", "sigma2", "n", "n_scale", "mu0_estimated", "mu0", "full_bayes",
               "tau_prior", "tau_scale", "tau_posterior")

    def __init__(self, y, *, v=None, n=None, sigma2=None, labels=None, tau2=None, **inputs):
        y = check.finite("y", check.float_array("y", y, min_size=2))
        if (v is None) == (n is None):
            raise ValueError("give either v (study data) or n and sigma2 (group data)")
        if v is not None:
            v = check.positive("v", check.float_array("v", v))
            check.same_length(y=y, v=v)
            n, sigma2 = None, 1.0
        else:
            n = check.positive("n", check.float_array("n", n))
            check.same_length(y=y, n=n)
            sigma2 = check.scalar("sigma2", sigma2, lo=0, lo_open=True)
        self.y, self.v_data = readonly(y), None if v is None else readonly(v)
        self.labels = _labels(labels, len(y))
        self._fb = self._reml = None
        if tau2 is None:  # a middle start: between-group spread of y
            tau2 = float(np.var(y)) or 1.0
        inputs = {"mu0": float(np.mean(y)), "tau_scale": float(np.std(y)) or 1.0, **inputs}
        super().__init__(tau2=tau2, sigma2=sigma2, n=n, **inputs)

    @property
    def is_group_data(self) -> bool:
        return self.v_data is None

    def v(self) -> np.ndarray:
        """Sampling variances for the current sigma2, n and n_scale (inf where n_j = 0)."""
        if self.v_data is not None:
            return self.v_data / self.n_scale
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.sigma2 / (self.n * self.n_scale)

    def set_n(self, j: int, value: float) -> None:
        """Sample size of group j (a new array: the old one may be shared with a frame)."""
        if self.n is not None and self.n[j] != value:
            n = self.n.copy()
            n[j] = value
            self.n = n

    def fit(self) -> None:
        """Set tau2 to its REML estimate (``meta_analysis(y, v, method="REML")``), over the
        groups with data; a refusal goes to ``error``."""
        try:
            self.tau2 = self._reml_tau2(self.v())
        except ValueError as e:
            self.error = str(e)

    def _reml_tau2(self, v: np.ndarray) -> float:
        from ..model.meta import meta_analysis
        has_data = v < np.inf
        return float(meta_analysis(self.y[has_data], v[has_data], method="REML").tau2)

    def _full_bayes(self, v: np.ndarray):
        """``full_bayes(y, v, tau_prior)``, cached; the exception instead when it refuses
        (the tau panel then hides while the posterior at the slider's tau2 stays shown)."""
        if self._fb is None:
            from ..model.full_bayes import full_bayes
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
            self._reml = None

    def _compute(self) -> ShrinkageFrame:
        v = self.v()
        post = posterior(self.y, v, self.tau2, None if self.mu0_estimated else self.mu0)
        mean, sd, mu0 = post.mean, np.sqrt(post.var), post.mu0
        fb = self._full_bayes(v) if self.full_bayes or self.tau_posterior else None
        if self.full_bayes:
            if isinstance(fb, Exception):  # refused: the toggle asks for it
                raise ValueError(f"average over tau (full Bayes) is not available: {fb}")
            mean, sd, mu0 = fb.theta_mean, fb.theta_sd, fb.mu_mean
        if self.tau_posterior and self._reml is None:
            try:
                self._reml = self._reml_tau2(v)
            except ValueError:  # e.g. fewer than 2 groups with data: no marker
                self._reml = np.nan
        with np.errstate(divide="ignore"):
            precision = 1.0 / v
        return ShrinkageFrame(
            y=self.y, v=v, n=None if self.n is None else self.n * self.n_scale,
            precision=precision, mean=mean, sd=sd, B=post.B, mu0=float(mu0), tau2=self.tau2,
            full_bayes=None if isinstance(fb, Exception) else fb,
            reml_tau2=None if not self.tau_posterior or np.isnan(self._reml) else self._reml)


@dataclass(frozen=True, eq=False)
class PoolingFrame:
    """What a PoolingState publishes after one recompute.

    fit          the ``pooling_fit`` result for the current sigma2, tau2 and n
                 (``complete``, ``none``, ``partial``, ``sigma2``, ``tau2``, ``n``)
    none_se      s.e. of each no-pooling intercept given the common slope, sqrt(sigma2 / n_j)
                 (nan where n_j = 0)
    partial_sd   conditional sd of each partial-pooling intercept, sqrt(partial.alpha_var)
    """

    fit: Any
    none_se: np.ndarray
    partial_sd: np.ndarray


class PoolingState(_State):
    """Inputs and outputs of the pooling-lines explorer (Gelman & Hill 2007, ch. 12).

    The full fit ``pooling_fit(x, y, group)`` (REML) is made once; each change then calls its
    ``update(sigma2=, tau2=, n=)`` once, O(J): ``n[j]`` uses the first n[j] rows of group j.
    """

    sigma2 = Float(1.0, help="within-group variance")
    tau2 = Float(1.0, help="between-group variance of the intercepts")
    n = Instance(np.ndarray, help="rows used of each group (the first n_j in data order)")
    frame = Instance(PoolingFrame, allow_none=True)
    _inputs = ("sigma2", "tau2", "n")

    def __init__(self, x, y, group, *, sigma2=None, tau2=None, **inputs):
        from ..model.regression import pooling_fit
        self.base = pooling_fit(x, y, group)
        self.labels = tuple(str(g) for g in self.base.groups)
        self.n_max = np.asarray(self.base.n, dtype=np.int64)
        self.x, self.y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        # row i is used while rank[i] < n[group[i]]
        self.group, self.rank = self.base.group_index, self.base.row_rank
        super().__init__(sigma2=self.base.sigma2 if sigma2 is None else sigma2,
                         tau2=self.base.tau2 if tau2 is None else tau2,
                         n=self.n_max.copy(), **inputs)

    def set_n(self, j: int, value: int) -> None:
        """Rows used of group j (between 0 and the rows it has)."""
        value = int(min(max(value, 0), self.n_max[j]))
        if self.n[j] != value:
            n = self.n.copy()
            n[j] = value
            self.n = n

    def fit(self) -> None:
        """Set sigma2 and tau2 to their REML estimates on the rows in use."""
        from ..model.regression import pooling_fit
        used = self.rank < self.n[self.group]
        try:
            refit = pooling_fit(self.x[used], self.y[used], np.asarray(self.labels)[self.group[used]])
        except ValueError as e:
            self.error = str(e)
            return
        with self.hold():
            self.sigma2, self.tau2 = float(refit.sigma2), float(refit.tau2)

    def _compute(self) -> PoolingFrame:
        fit = self.base.update(sigma2=self.sigma2, tau2=self.tau2, n=self.n)
        with np.errstate(divide="ignore", invalid="ignore"):
            none_se = np.where(self.n > 0, np.sqrt(fit.sigma2 / self.n), np.nan)
        return PoolingFrame(fit, none_se, np.sqrt(fit.partial.alpha_var))


def _labels(labels, J: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(j + 1) for j in range(J))
    labels = tuple(str(g) for g in labels)
    if len(labels) != J:
        raise check.fail("labels", f"of length {J}", f"length {len(labels)}")
    return labels
