"""Varying-intercept regression: the complete-, no- and partial-pooling lines.

    y_ij = alpha_j + beta x_ij + e_ij,    e_ij ~ N(0, sigma2),    alpha_j ~ N(mu_alpha, tau2)

Gelman & Hill (2007), *Data Analysis Using Regression and Multilevel/Hierarchical Models*,
ch. 12 (the radon example). The variance components are those of lme4's
``lmer(y ~ x + (1 | group), REML = TRUE / FALSE)`` (Bates, Maechler, Bolker & Walker 2015,
J. Stat. Softw. 67(1), section 3), computed here from per-group sums only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import optimize

from . import checks as check
from ._results import freeze, result_repr
from ._suffstats import CumulativeSums, GroupStats, encode_groups
from .frames import read_columns
from .normal import shrinkage_factor

if TYPE_CHECKING:
    from .group_predictor import PredictorFit
    from .slopes import SlopesFit

__all__ = [
    "CompletePooling",
    "NoPooling",
    "PartialPooling",
    "PoolingFit",
    "pooling_fit",
    "pooling_fit_frame",
]

METHODS = ("REML", "ML")


@dataclass(frozen=True, repr=False, eq=False)
class CompletePooling:
    """One OLS line for all groups: y = alpha + beta x (``lm(y ~ x)``)."""

    alpha: float
    beta: float

    def __repr__(self) -> str:
        return result_repr(self, ("alpha", "beta"))


@dataclass(frozen=True, repr=False, eq=False)
class NoPooling:
    """One intercept per group and a common slope (``lm(y ~ x + factor(group) - 1)``).

    alpha     the intercepts, nan where ``missing``
    missing   True for a group without rows (n_j = 0), or for every group when no group's
              x varies within the group (then the common slope beta is nan)
    alpha_se  standard error of each intercept given the common slope, sqrt(sigma2 / n_j)
              (the fit's sigma2; nan where ``missing``): (Z'Z)^-1 sigma2 of the dummy
              regression, the counterpart of PartialPooling.alpha_sd, which is also given
              the fixed effects
    """

    alpha: np.ndarray
    beta: float
    missing: np.ndarray
    alpha_se: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("alpha", "beta", "alpha_se"))


@dataclass(frozen=True, repr=False, eq=False)
class PartialPooling:
    """The multilevel line of each group: alpha_j + beta x (lme4's ``coef``).

    mu_alpha, beta  GLS estimates of the fixed effects given (sigma2, tau2)
    alpha           the BLUP of each alpha_j
    alpha_var       its conditional variance given the fixed effects, 1 / (n_j/sigma2 + 1/tau2)
                    (lme4's ``condVar``); tau2 for a group without rows
    alpha_sd        sqrt(alpha_var)
    B               the shrinkage factor v_j / (v_j + tau2) with v_j = sigma2 / n_j
    """

    mu_alpha: float
    beta: float
    alpha: np.ndarray
    alpha_var: np.ndarray
    alpha_sd: np.ndarray
    B: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("mu_alpha", "beta", "alpha", "alpha_var"))


class _RowsInUse:
    """Which data rows a fit uses, from its cumulative group sums ``_sums`` and sizes ``n``
    (shared by the varying-intercept and the varying-slope fits)."""

    def used(self, rows=None) -> np.ndarray:
        """Whether each data row (or each row of the indices ``rows``) is in use: row i is
        used when it is among the first n[j] rows of its group j in data order,
        ``row_rank[i] < n[group_index[i]]``."""
        rows = slice(None) if rows is None else rows
        return self._sums.rank[rows] < self.n[self._sums.code[rows]]

    @property
    def group_index(self) -> np.ndarray:
        """Index into ``groups`` of each data row (read-only, length N)."""
        return self._sums.code

    @property
    def row_rank(self) -> np.ndarray:
        """Rank of each data row inside its group, in data order: 0 for a group's first row.
        Row i is used by ``update(n=n)`` when ``row_rank[i] < n[group_index[i]]``."""
        return self._sums.rank


@dataclass(frozen=True, repr=False, eq=False)
class PoolingFit(_RowsInUse):
    """Complete-, no- and partial-pooling fits of one data set (read-only arrays of length J).

    groups   the group labels, in order of first appearance in the data
    n        the number of rows used in each group (``used`` says which rows)
    sigma2   the within-group variance; tau2 the between-group variance of the intercepts
             (estimated by ``method`` when not given)
    x, y     the data, every row (read-only copies)
    """

    complete_pooling: CompletePooling
    no_pooling: NoPooling
    partial_pooling: PartialPooling
    sigma2: float
    tau2: float
    groups: np.ndarray
    n: np.ndarray
    method: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    _sums: CumulativeSums = field(repr=False)
    _stats: GroupStats = field(repr=False)

    def update(
        self,
        sigma2=None,
        tau2=None,
        n=None,
        estimate: str | None = None,
        *,
        check_input: bool = True,
    ) -> PoolingFit:
        """The fits for other variance components or other per-group sizes, in O(J).

        ``n[j]`` uses the first n[j] rows of group j in data order (0 <= n[j] <= its rows).
        Without ``estimate``, sigma2, tau2 or n left None keep this fit's values. With
        ``estimate="REML"`` or ``"ML"`` the variances not given are estimated on the rows in
        use, from the per-group sums: the numbers of ``pooling_fit`` on those rows alone
        (lme4's ``lmer`` on them). ``n=None`` reuses this fit's group sums and its complete-
        and no-pooling fits (only the partial-pooling fit depends on tau2).

        ``check_input=False`` trusts ``n`` (an integer array of length J within the bounds
        above, as ``check_n`` returns): for a caller that checked it once, e.g. a slider.
        """
        if estimate is not None:
            estimate = check.choice("estimate", estimate, METHODS)
        if n is None:
            stats = self._stats
        else:
            stats = self._sums.at(self.check_n(n) if check_input else n)
            _check_x_varies(stats)
        method = self.method if estimate is None else estimate
        if estimate is None or (sigma2 is not None and tau2 is not None):
            sigma2 = self.sigma2 if sigma2 is None else sigma2
            tau2 = self.tau2 if tau2 is None else tau2
            sigma2, tau2 = _variances(sigma2, tau2)
        else:
            check.groups_with_data(stats.n > 0, self.groups)
            sigma2, tau2 = _estimate(stats, method == "REML", *_given(sigma2, tau2))
        if n is None:  # the group sums, complete and no pooling are this fit's
            none = (
                self.no_pooling
                if sigma2 == self.sigma2
                else _no_pooling_se(self.no_pooling, stats, sigma2)
            )
            return _assemble(self, stats, sigma2, tau2, method, self.complete_pooling, none)
        return _assemble(self, stats, sigma2, tau2, method)

    def check_n(self, n) -> np.ndarray:
        """``n`` as ``update`` takes it: integers in [0, rows of the group], not all 0,
        one per group; a new read-only integer array (the caller's is never kept)."""
        return _sizes(n, self._sums.counts)

    def deviance(self) -> float:
        """-2 log likelihood (ML) or -2 log restricted likelihood (REML) at (sigma2, tau2),
        as lme4's ``deviance(fit)`` / ``REMLcrit(fit)``."""
        if self.sigma2 == 0 or self.tau2 == np.inf:
            return np.inf
        return float(
            _criterion(self._stats, self.tau2 / self.sigma2, self.sigma2, self.method == "REML")[0]
        )

    def __repr__(self) -> str:
        return result_repr(self, ("sigma2", "tau2", "groups", "n")) + (
            f"\n  complete_pooling={self.complete_pooling!r}"
            f"\n  no_pooling={self.no_pooling!r}"
            f"\n  partial_pooling={self.partial_pooling!r}"
        )


def pooling_fit(
    x,
    y,
    group,
    sigma2=None,
    tau2=None,
    method: str = "REML",
    *,
    slopes: bool = False,
    Sigma=None,
    u=None,
) -> PoolingFit | SlopesFit | PredictorFit:
    """Complete-, no- and partial-pooling lines of ``y ~ x`` with intercepts varying by group.

    Given (sigma2, tau2), with r = tau2 / sigma2, the GLS fixed effects need only group sums
    (n_j, means xbar_j, ybar_j, within-group sums Wxx_j, Wxy_j): each group enters with weight
    w_j = n_j / (1 + n_j r),

        beta     = (sum Wxy + sum w dx dy) / (sum Wxx + sum w dx^2),   dx = xbar - xbar_w
        mu_alpha = ybar_w - beta xbar_w                                (w-weighted means)

    and the BLUP of alpha_j shrinks the group's own intercept ybar_j - beta xbar_j toward
    mu_alpha by B_j = v_j / (v_j + tau2), v_j = sigma2 / n_j (Gelman & Hill 2007, 12.2).
    r = 0 gives complete pooling (OLS), r = inf no pooling. Unknown (sigma2, tau2) maximize
    the REML or ML likelihood profiled in r (Bates et al. 2015, section 3.4); tau2 = 0
    when the optimum is on the boundary (lme4's singular fit).

    Parameters
    ----------
    x, y : 1-D arrays of N finite numbers.
    group : N labels (any hashable values); at least 2 distinct ones.
    sigma2 : within-group variance, >= 0 and finite, or None to estimate it.
    tau2 : between-group variance of the intercepts, >= 0 (inf allowed), or None.
    method : "REML" or "ML", for the variances not given. Estimating both needs a group
        with two or more rows (with one row per group only sigma2 + tau2 is identified).
    slopes : True for intercepts and slopes varying by group, with ``Sigma`` (their 2x2
        covariance) in place of tau2: ``shrinkviz.model.slopes.slopes_fit``.
    u : a group-level predictor (per row, constant within a group, or per group) for
        alpha_j ~ N(mu_alpha + gamma u_j, tau2), as ``lmer(y ~ x + u + (1 | group))``:
        ``shrinkviz.model.group_predictor.predictor_fit``.
    """
    if u is not None:
        return _predictor(slopes, Sigma).predictor_fit(x, y, group, u, sigma2, tau2, method)
    if slopes or Sigma is not None:
        return _slopes(slopes, tau2).slopes_fit(x, y, group, sigma2, Sigma, method)
    x = check.finite("x", check.float_array("x", x, copy=True))
    y = check.finite("y", check.float_array("y", y, copy=True))
    group = _labels(group)
    check.same_length(x=x, y=y, group=group)
    return _fit(x, y, group, sigma2, tau2, method)


def pooling_fit_frame(
    df,
    *,
    x: str,
    y: str,
    group: str,
    sigma2=None,
    tau2=None,
    method: str = "REML",
    slopes: bool = False,
    Sigma=None,
    u: str | None = None,
) -> PoolingFit | SlopesFit | PredictorFit:
    """``pooling_fit`` on the columns ``x``, ``y`` and ``group`` (and ``u``) of a data frame.

    Any object whose ``df[name].to_numpy()`` gives a column works (a pandas DataFrame);
    x and y must hold numbers. A missing value is refused with its column and its row
    (``df.index`` label): ``shrinkviz.model.frames.read_columns``.
    """
    if u is not None:
        return _predictor(slopes, Sigma).predictor_fit_frame(
            df, x=x, y=y, group=group, u=u, sigma2=sigma2, tau2=tau2, method=method
        )
    if slopes or Sigma is not None:
        return _slopes(slopes, tau2).slopes_fit_frame(
            df, x=x, y=y, group=group, sigma2=sigma2, Sigma=Sigma, method=method
        )
    cols = read_columns(df, x=x, y=y, group=group)
    return _fit(cols["x"], cols["y"], cols["group"], sigma2, tau2, method)


def _predictor(slopes: bool, Sigma):
    """The group-level-predictor family (imported here: it imports this module)."""
    if slopes or Sigma is not None:
        raise ValueError(
            "u (a group-level predictor) works with varying intercepts only (got slopes)"
        )
    from . import group_predictor

    return group_predictor


def _slopes(slopes: bool, tau2):
    """The varying-slopes family (imported here: it imports this module), once the
    arguments say that family."""
    if not slopes:
        raise ValueError(
            "Sigma is the covariance of varying slopes: give slopes=True too (got slopes=False)"
        )
    if tau2 is not None:
        raise check.fail("tau2", "None when slopes=True (Sigma holds the variances)", tau2)
    from . import slopes as family

    return family


def _fit(x, y, group, sigma2, tau2, method) -> PoolingFit:
    """pooling_fit on checked columns (x, y finite float64 arrays the fit may keep)."""
    method = check.choice("method", method, METHODS)
    labels, code = _encode(group)
    if not np.ptp(x) > 0:
        raise ValueError(f"x must vary (got a constant x = {float(x[0])!r})")
    x.flags.writeable = y.flags.writeable = False
    sums = CumulativeSums(code, len(labels), x, y)
    stats = sums.at(sums.counts)
    if sigma2 is None or tau2 is None:
        sigma2, tau2 = _estimate(stats, method == "REML", *_given(sigma2, tau2))
    else:
        sigma2, tau2 = _variances(sigma2, tau2)
    return _assemble(_Data(freeze(labels), x, y, sums), stats, sigma2, tau2, method)


# --- validation -------------------------------------------------------------------------


def _labels(group) -> np.ndarray:
    """The group labels as a 1-D array (never written to); nan or None is not a label."""
    arr = np.asarray(group)
    if arr.ndim != 1:
        raise check.fail("group", "1-D", arr)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError(
            f"group must not be nan (got nan at index {int(np.flatnonzero(np.isnan(arr))[0])})"
        )
    return arr


def _encode(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """encode_groups, then a check of the J labels (not the N rows) for None and nan."""
    try:
        labels, code = encode_groups(group)
    except TypeError:
        raise check.fail("group", "hashable labels", group) from None
    if labels.dtype.kind == "O":
        bad = [j for j, g in enumerate(labels) if g is None or g != g]
        if bad:
            i = int(np.flatnonzero(code == bad[0])[0])
            raise ValueError(f"group must not be None or nan (got {labels[bad[0]]!r} at index {i})")
    check.groups_with_data(np.ones(len(labels), dtype=bool), labels)
    return labels, code


def _given(sigma2, tau2) -> tuple[float | None, float | None]:
    """The variances given (checked), None for those to estimate."""
    return (
        None if sigma2 is None else check.scalar("sigma2", sigma2, lo=0),
        None if tau2 is None else check.scalar("tau2", tau2, lo=0, allow_inf=True),
    )


def _variances(sigma2, tau2) -> tuple[float, float]:
    sigma2 = check.scalar("sigma2", sigma2, lo=0)
    tau2 = check.scalar("tau2", tau2, lo=0, allow_inf=True)
    if sigma2 == 0 and tau2 == 0:
        raise ValueError("sigma2 and tau2 must not both be 0 (got sigma2 = 0.0, tau2 = 0.0)")
    return sigma2, tau2


def _sizes(n, counts: np.ndarray) -> np.ndarray:
    """Per-group numbers of rows to use: integers in [0, counts[j]], not all 0."""
    arr = np.asarray(n)
    if arr.dtype.kind not in "iu":
        arr = check.float_array("n", n)
    if arr.shape != counts.shape:
        raise check.fail("n", f"of length J = {len(counts)}", arr)
    ok = (arr >= 0) & (arr <= counts)
    if arr.dtype.kind == "f":
        ok &= arr == np.floor(arr)
    if not ok.all():
        j = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"n must be integers in [0, rows of the group] (got {arr[j].item()!r} at "
            f"index {j}, a group of {counts[j]} rows)"
        )
    if not arr.any():
        raise ValueError("n must be > 0 for at least one group (got all 0)")
    return freeze(arr.astype(np.intp))  # a copy: the caller's n is never shared


def _check_x_varies(s: GroupStats) -> None:
    xbar = s.xbar[s.n > 0]
    if not (s.Wxx.any() or (xbar != xbar[0]).any()):
        raise ValueError("n must keep x varying (got x constant over the rows kept)")


# --- the three fits given (sigma2, tau2) ------------------------------------------------


@dataclass(frozen=True)
class _Data:
    """What every fit of one data set shares: its labels, rows and cumulative sums."""

    groups: np.ndarray
    x: np.ndarray
    y: np.ndarray
    _sums: CumulativeSums


def _assemble(data, stats, sigma2, tau2, method, complete=None, none=None):
    """The three fits at (sigma2, tau2) for the rows of ``stats``; ``data`` is a _Data or
    a PoolingFit of the same data set. ``complete`` and ``none`` (for these rows and this
    sigma2) are reused when given: neither depends on tau2."""
    if complete is None:
        mu, beta = _fixed(stats, 0.0)[:2]
        complete = CompletePooling(float(mu), float(beta))
    if none is None:
        none = _no_pooling(stats, sigma2)
    r = np.inf if tau2 == np.inf or sigma2 == 0 else tau2 / sigma2
    if r == np.inf:  # the limit of the GLS: no pooling's slope, the plain mean of intercepts
        beta = none.beta
        mu_alpha = float(np.mean(none.alpha[stats.n > 0]))
    else:
        mu_alpha, beta = (float(v) for v in _fixed(stats, r)[:2])
    v = np.where(stats.n > 0, sigma2 / np.maximum(stats.n, 1), np.inf)  # sigma2 / n_j
    B = shrinkage_factor(v, tau2)
    alpha = (1.0 - B) * (stats.ybar - beta * stats.xbar)  # 0 where n_j = 0 (B = 1)
    alpha += B * mu_alpha
    alpha_var = v.copy() if tau2 == np.inf else B * tau2  # = 1 / (1/v + 1/tau2), exact limits
    partial = PartialPooling(
        mu_alpha,
        float(beta),
        freeze(alpha),
        freeze(alpha_var),
        freeze(np.sqrt(alpha_var)),
        freeze(B),
    )
    return PoolingFit(
        complete,
        none,
        partial,
        float(sigma2),
        float(tau2),
        data.groups,
        stats.n,
        method,
        data.x,
        data.y,
        data._sums,
        stats,
    )


def _no_pooling(s: GroupStats, sigma2: float) -> NoPooling:
    beta = s.Wxy_sum / s.Wxx_sum if s.Wxx_sum > 0 else np.nan
    alpha = np.where(s.n > 0, s.ybar - beta * s.xbar, np.nan)
    return _no_pooling_se(
        NoPooling(freeze(alpha), float(beta), freeze(np.isnan(alpha)), None), s, sigma2
    )


def _no_pooling_se(none: NoPooling, s: GroupStats, sigma2: float) -> NoPooling:
    """``none`` with the standard errors sqrt(sigma2 / n_j) of another sigma2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(none.missing, np.nan, np.sqrt(sigma2 / s.n))
    return NoPooling(none.alpha, none.beta, none.missing, freeze(se))


def _fixed(s: GroupStats, r):
    """GLS of (mu_alpha, beta) given r = tau2/sigma2 (finite, >= 0), or for each r of an array.

    Returns mu_alpha, beta and the pieces _gls reuses: w, sum w, dx, dy, Sxx.
    """
    r = np.asarray(r, dtype=np.float64)[..., None]
    w = s.n / (1.0 + s.n * r)
    sw = w.sum(-1)
    xw, yw = (w @ s.xbar) / sw, (w @ s.ybar) / sw
    dx, dy = s.xbar - xw[..., None], s.ybar - yw[..., None]
    wdx = w * dx
    Sxx = s.Wxx_sum + (wdx * dx).sum(-1)
    beta = (s.Wxy_sum + (wdx * dy).sum(-1)) / Sxx
    return yw - beta * xw, beta, w, sw, dx, dy, Sxx


def _gls(s: GroupStats, r):
    """The pieces of the likelihood at r = tau2/sigma2 (or each r of an array), with
    V_j = sigma2 (I + r 11') and b the GLS estimate:

        Q      = sum_j (y_j - X_j b)' (I + r 11')^-1 (y_j - X_j b) = sum_j (We_j + w_j ebar_j^2)
        logdet = log det X'(I + r 11')^-1 X = log(sum w) + log(Sxx)   (in centred x: diagonal)
        logV   = sum_j log det (I + r 11') = sum_j log(1 + n_j r)

    and their derivatives in r (dw/dr = -w^2; Q is minimal in b, so only w moves it).
    """
    _, beta, w, sw, dx, dy, Sxx = _fixed(s, r)
    e = dy - beta[..., None] * dx
    w2 = w * w
    Q = s.Wyy_sum - 2.0 * beta * s.Wxy_sum + beta * beta * s.Wxx_sum + (w * e * e).sum(-1)
    dQ = -(w2 * e * e).sum(-1)
    logdet = np.log(sw) + np.log(Sxx)
    dlogdet = -(w2.sum(-1) / sw + (w2 * dx * dx).sum(-1) / Sxx)
    logV = np.log1p(s.n * np.asarray(r)[..., None]).sum(-1)
    return Q, dQ, logdet, dlogdet, logV, sw


def _criterion(s: GroupStats, r, sigma2, reml: bool):
    """(-2 log (restricted) likelihood, its derivative in r) at r, for sigma2 given or None
    (profiled out: sigma2 = Q / dof). lme4's deviance (ML, dof = N) and REML criterion
    (dof = N - 2), Bates et al. (2015) section 3.4:

        dof log(2 pi sigma2) + Q / sigma2 + logV [+ logdet for REML]
    """
    Q, dQ, logdet, dlogdet, logV, sw = _gls(s, r)
    dof = s.N - 2 if reml else s.N
    d, dd = logV, sw  # d/dr sum log(1 + n r) = sum w
    if reml:
        d, dd = d + logdet, dd + dlogdet
    if sigma2 is None:
        return d + dof * (1.0 + np.log(2.0 * np.pi * Q / dof)), dd + dof * dQ / Q
    return d + dof * np.log(2.0 * np.pi * sigma2) + Q / sigma2, dd + dQ / sigma2


# --- estimation of (sigma2, tau2) -------------------------------------------------------

_GRID = np.linspace(0.0, np.log(1e16), 97)  # steps of a log variance ratio


def _estimate(s: GroupStats, reml: bool, sigma2, tau2) -> tuple[float, float]:
    """(sigma2, tau2) maximizing the (restricted) likelihood; a given one is held fixed.

    The search is one-dimensional on a log scale: in r = tau2/sigma2 (sigma2 profiled out or
    given), or in sigma2 when tau2 is given. A grid brackets the optimum, scipy's bounded
    Brent finds it, and Brent's root finder on the analytic derivative polishes it to
    machine precision. tau2 = 0 (r = 0) wins when its criterion is at least as good.
    """
    dof = s.N - 2 if reml else s.N
    if dof <= 0:
        raise ValueError(
            f"estimating by {'REML' if reml else 'ML'} needs at least "
            f"{s.N - dof + 1} rows in use (got {s.N})"
        )
    if sigma2 is None and tau2 is None and s.n.max() < 2:
        raise ValueError(
            f"sigma2 and tau2 cannot both be estimated from one row per group "
            f"(only their sum is): give sigma2 or tau2, or use groups of two or "
            f"more rows (got {s.N} rows in {np.count_nonzero(s.n)} groups)"
        )
    if tau2 is None:
        if sigma2 == 0:
            raise check.fail("sigma2", "> 0 to estimate tau2", sigma2)

        def f(u, grad=False):
            val, dr = _criterion(s, np.exp(u), sigma2, reml)
            return (val, dr * np.exp(u)) if grad else val

        at0, slope0 = _criterion(s, 0.0, sigma2, reml)
        grid = np.log(1e-8 / s.n.max()) + _GRID  # from n_j r = 1e-8: as good as r = 0
        vals = f(grid)
        if np.nanargmin(vals) == 0 and slope0 >= 0:
            r = 0.0  # the optimum is on the boundary: lme4's singular fit
        else:
            r = np.exp(_argmin(f, grid, vals))
            if at0 <= f(np.log(r)):
                r = 0.0
        if sigma2 is None:
            sigma2 = float(_gls(s, r)[0] / dof)
        return sigma2, r * sigma2
    if tau2 == 0:
        return float(_gls(s, 0.0)[0] / dof), 0.0
    if tau2 == np.inf:  # lm's no-pooling residual variance (ML: over N - J)
        Wxx, Wxy = s.Wxx_sum, s.Wxy_sum
        We = s.Wyy_sum - (Wxy * Wxy / Wxx if Wxx > 0 else 0.0)
        return float(We / (s.N - np.count_nonzero(s.n) - (reml and Wxx > 0))), np.inf

    def g(u, grad=False):  # u = log sigma2, r = tau2 / sigma2
        s2 = np.exp(u)
        val, dr = _criterion(s, tau2 / s2, s2, reml)
        if not grad:
            return val
        Q = _gls(s, tau2 / s2)[0]
        return val, dof - Q / s2 - dr * tau2 / s2

    ols = float(_gls(s, 0.0)[0] / dof)
    grid = np.log(ols) + np.linspace(-28.0, 3.0, 97)
    return float(np.exp(_argmin(g, grid, g(grid)))), tau2


def _argmin(f, grid: np.ndarray, vals: np.ndarray) -> float:
    """The minimizer of f near the best of its values on the grid."""
    k = int(np.nanargmin(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    u = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x
    # Polish: the derivative changes sign across u unless the optimum is on the grid's edge.
    step = 1e-6
    while step < hi - lo and f(u - step, grad=True)[1] * f(u + step, grad=True)[1] > 0:
        step *= 4
    a, b = u - step, u + step
    if f(a, grad=True)[1] < 0 < f(b, grad=True)[1]:
        u = optimize.brentq(lambda t: f(t, grad=True)[1], a, b, xtol=1e-14, rtol=1e-15)
    return float(u)
