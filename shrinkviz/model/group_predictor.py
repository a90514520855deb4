"""A group-level predictor in the varying-intercept regression: each group's intercept shrinks
toward its own predicted value instead of toward one mean.

    y_ij = alpha_j + beta x_ij + e_ij,   e_ij ~ N(0, sigma2),
    alpha_j ~ N(mu_alpha + gamma u_j, tau2),   u_j constant within group j

Gelman & Hill (2007), *Data Analysis Using Regression and Multilevel/Hierarchical Models*,
section 12.6 (radon with county uranium); the numbers of lme4's
``lmer(y ~ x + u + (1 | group))`` (Bates, Maechler, Bolker & Walker 2015, J. Stat. Softw.
67(1), section 3). As in :mod:`shrinkviz.model.regression`, everything needs only per-group
sums: with r = tau2 / sigma2, w_j = n_j / (1 + n_j r) and zbar_j = (1, xbar_j, u_j),

    M    = sum_j w_j zbar_j zbar_j' + diag(0, sum Wxx, 0)       (X'(I + r ZZ')^-1 X)
    b    = M^-1 (sum_j w_j zbar_j ybar_j + (0, sum Wxy, 0))     b = (mu_alpha, beta, gamma)
    Q    = sum_j (Wyy_j - 2 beta Wxy_j + beta^2 Wxx_j) + sum_j w_j (ybar_j - zbar_j' b)^2

so a slider move (tau2, sigma2 or the rows in use) costs O(J), never O(N).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks as check
from ._results import freeze, result_repr
from ._suffstats import CumulativeSums, GroupStats
from .frames import _row, read_columns
from .normal import shrinkage_factor
from .regression import (
    _GRID,
    METHODS,
    NoPooling,
    _argmin,
    _check_x_varies,
    _encode,
    _labels,
    _no_pooling,
    _RowsInUse,
    _sizes,
    _variances,
)

__all__ = [
    "PredictorComplete",
    "PredictorPartial",
    "PredictorFit",
    "predictor_fit",
    "predictor_fit_frame",
]


@dataclass(frozen=True, repr=False, eq=False)
class PredictorComplete:
    """One OLS fit for all rows: y = alpha + beta x + gamma u (``lm(y ~ x + u)``)."""

    alpha: float
    beta: float
    gamma: float

    def __repr__(self) -> str:
        return result_repr(self, ("alpha", "beta", "gamma"))


@dataclass(frozen=True, repr=False, eq=False)
class PredictorPartial:
    """The multilevel fit with the group-level predictor (read-only arrays of length J).

    mu_alpha, beta, gamma  GLS fixed effects given (sigma2, tau2) (lme4's ``fixef``); mu_alpha
                           is the line's intercept (at x = 0, u = 0), not the mean of y
    target                 each group's predicted intercept mu_alpha + gamma u_j: where its
                           intercept shrinks to (the group-level regression line); mu_alpha
                           for every group without u (then gamma is nan)
    own                    each group's own intercept given beta, ybar_j - beta xbar_j (nan
                           for a group without rows in use): what it shrinks from; beta is
                           this fit's GLS slope, so ``own`` differs slightly from no pooling's
                           ``none.alpha`` (whose slope is the within-group one)
    alpha                  the BLUP of each intercept, gamma u_j included (lme4's
                           ``coef(fit)$group[, "(Intercept)"] + coef(...)[, "u"] * u``):
                           (1 - B_j) (ybar_j - beta xbar_j) + B_j target_j
    alpha_var, alpha_sd    conditional variance B_j tau2 given the fixed effects (``condVar``)
    B                      the shrinkage factor v_j / (v_j + tau2), v_j = sigma2 / n_j
    """

    mu_alpha: float
    beta: float
    gamma: float
    target: np.ndarray
    own: np.ndarray
    alpha: np.ndarray
    alpha_var: np.ndarray
    alpha_sd: np.ndarray
    B: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("mu_alpha", "beta", "gamma", "alpha", "B"))


@dataclass(frozen=True, repr=False, eq=False)
class PredictorFit(_RowsInUse):
    """Complete-, no- and partial-pooling fits with a group-level predictor ``u``.

    complete_pooling  ``lm(y ~ x + u)``
    no_pooling        ``lm(y ~ x + factor(group))`` (u is absorbed by the group intercepts,
                      so it is :class:`~shrinkviz.model.regression.NoPooling`)
    partial_pooling   the multilevel fit, ``lmer(y ~ x + u + (1 | group))`` at (sigma2, tau2)
    sigma2, tau2  the variances (tau2: of the intercepts around the group-level line)
    groups, n, u  labels in order of first appearance, rows in use, the predictor per group
    x, y      the data, every row (read-only copies)
    """

    complete_pooling: PredictorComplete
    no_pooling: NoPooling
    partial_pooling: PredictorPartial
    sigma2: float
    tau2: float
    groups: np.ndarray
    n: np.ndarray
    u: np.ndarray
    method: str
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    _sums: CumulativeSums = field(repr=False)
    _stats: GroupStats = field(repr=False)

    def update(self, sigma2=None, tau2=None, n=None, estimate=None) -> PredictorFit:
        """The fits for other variances or other per-group sizes, in O(J) (as
        :meth:`PoolingFit.update <shrinkviz.model.regression.PoolingFit.update>`): ``n[j]``
        uses the first n[j] rows of group j; ``estimate="REML"`` or ``"ML"`` re-estimates
        both variances on the rows in use, else those not given keep this fit's values."""
        if estimate is not None:
            estimate = check.choice("estimate", estimate, METHODS)
        stats = self._stats
        if n is not None:
            stats = self._sums.at(_sizes(n, self._sums.counts))
            _check_x_varies(stats)
            if self.u is not None:
                _check_u_varies(self.u, stats.n > 0, self.groups)
        if estimate is not None:
            sigma2, tau2 = _estimate(stats, self.u, estimate == "REML")
        else:
            sigma2, tau2 = _variances(
                self.sigma2 if sigma2 is None else sigma2, self.tau2 if tau2 is None else tau2
            )
        method = self.method if estimate is None else estimate
        if n is None and sigma2 == self.sigma2:  # neither depends on tau2: this fit's
            return _assemble(
                self, stats, sigma2, tau2, method, self.complete_pooling, self.no_pooling
            )
        return _assemble(self, stats, sigma2, tau2, method)

    def deviance(self) -> float:
        """-2 log likelihood (ML) or -2 log restricted likelihood (REML) at (sigma2, tau2),
        as lme4's ``deviance(fit)`` / ``REMLcrit(fit)``."""
        if self.sigma2 == 0 or self.tau2 == np.inf:
            return np.inf
        r = self.tau2 / self.sigma2
        return float(_criterion(self._stats, self.u, r, self.sigma2, self.method == "REML")[0])

    def __repr__(self) -> str:
        return result_repr(self, ("sigma2", "tau2", "groups", "n", "u")) + (
            f"\n  complete_pooling={self.complete_pooling!r}"
            f"\n  no_pooling={self.no_pooling!r}"
            f"\n  partial_pooling={self.partial_pooling!r}"
        )


def predictor_fit(x, y, group, u=None, sigma2=None, tau2=None, method="REML") -> PredictorFit:
    """Varying intercepts with a group-level predictor, as lme4's
    ``lmer(y ~ x + u + (1 | group), REML = method == "REML")`` (module docs for the formulas).

    Parameters
    ----------
    x, y : 1-D arrays of N finite numbers (x must vary).
    group : N labels; at least three groups (two and the line through them is exact).
    u : the group-level predictor: one value per row (constant within each group), or one
        per group in order of first appearance (``fit.groups``); it must vary between groups.
        ``u=None`` fits without it: the model of ``pooling_fit`` (``lmer(y ~ x + (1|group))``).
    sigma2, tau2 : the variances, both given or both None (estimated by ``method``).
    method : "REML" or "ML".
    """
    x = check.finite("x", check.float_array("x", x, copy=True))
    y = check.finite("y", check.float_array("y", y, copy=True))
    group = _labels(group)
    check.same_length(x=x, y=y, group=group)
    if u is not None:
        u = check.finite("u", check.float_array("u", u))
    return _fit(x, y, group, u, sigma2, tau2, method, where=None)


def predictor_fit_frame(
    df, *, x: str, y: str, group: str, u: str | None, sigma2=None, tau2=None, method="REML"
) -> PredictorFit:
    """``predictor_fit`` on the columns of a data frame (a pandas DataFrame or any ``df``
    whose ``df[name].to_numpy()`` gives a column); a bad value is refused with its column and
    its row label (``shrinkviz.model.frames.read_columns``)."""
    cols = read_columns(df, x=x, y=y, group=group, **({} if u is None else {"u": u}))
    return _fit(cols["x"], cols["y"], cols["group"], cols.get("u"), sigma2, tau2, method, (df, u))


# --- input ---------------------------------------------------------------------------------


def _per_group(u: np.ndarray, code: np.ndarray, labels: np.ndarray, where) -> np.ndarray:
    """u as one value per group: given per row (checked constant within each group), or per
    group in the order of ``labels``."""
    N, J = len(code), len(labels)
    if len(u) == N:
        first = np.full(J, -1)
        first[code[::-1]] = np.arange(N)[::-1]  # the first row of each group
        per_group = u[first]
        bad = u != per_group[code]
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            j = code[i]
            g = labels[j].item() if isinstance(labels[j], np.generic) else labels[j]
            if where is None:
                at = f"{float(u[i])!r} at index {i} but {float(per_group[j])!r} at index {first[j]}"
                raise ValueError(
                    f"u must be constant within each group (got {at}, both in group {g!r})"
                )
            df, name = where
            at = (
                f"{float(u[i])!r} at row {_row(df, i)!r} but {float(per_group[j])!r}"
                f" at row {_row(df, int(first[j]))!r}"
            )
            raise ValueError(
                f"u column {name!r} must be constant within each group (got {at},"
                f" both in group {g!r})"
            )
        return per_group
    if len(u) == J:
        return u.copy()
    raise ValueError(
        f"u must have one value per row (N = {N}) or one per group (J = {J}) (got length {len(u)})"
    )


def _check_u_varies(u: np.ndarray, has_data: np.ndarray, labels) -> None:
    check.groups_with_data(has_data, labels, need=3, why=" to fit a line through the groups")
    seen = u[has_data]
    if not np.ptp(seen) > 0:
        raise ValueError(
            "u must vary between the groups with data: a constant is collinear with the"
            f" intercept (got {float(seen[0])!r} for every group)"
        )


def _fit(x, y, group, u, sigma2, tau2, method, where) -> PredictorFit:
    method = check.choice("method", method, METHODS)
    labels, code = _encode(group)
    if u is not None:
        u = freeze(_per_group(u, code, labels, where))
    if not np.ptp(x) > 0:
        raise ValueError(f"x must vary (got a constant x = {float(x[0])!r})")
    x.flags.writeable = y.flags.writeable = False
    sums = CumulativeSums(code, len(labels), x, y)
    stats = sums.at(sums.counts)
    if u is not None:
        _check_u_varies(u, stats.n > 0, labels)
    if (sigma2 is None) != (tau2 is None):
        raise ValueError(
            f"sigma2 and tau2 must be given both or neither (got sigma2 = {sigma2!r},"
            f" tau2 = {tau2!r})"
        )
    if sigma2 is None:
        sigma2, tau2 = _estimate(stats, u, method == "REML")
    else:
        sigma2, tau2 = _variances(sigma2, tau2)
    data = _Data(freeze(labels), x, y, u, sums)
    return _assemble(data, stats, sigma2, tau2, method)


@dataclass(frozen=True)
class _Data:
    groups: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray | None
    _sums: CumulativeSums


# --- the fits given (sigma2, tau2) ---------------------------------------------------------


def _design(s: GroupStats, u: np.ndarray):
    """zbar_j = (1, xbar_j - cx, u_j - cu) (without u: (1, xbar_j - cx)), centred at the
    plain means of the groups with data (a shift of the columns: it changes the intercept
    only, and keeps M well conditioned), and the shifts (cx, cu)."""
    has = s.n > 0
    cx = float(s.xbar[has].mean())
    if u is None:
        return np.stack([np.ones_like(s.xbar), s.xbar - cx], axis=1), cx, 0.0
    cu = float(u[has].mean())
    return np.stack([np.ones_like(u), s.xbar - cx, u - cu], axis=1), cx, cu


def _solve(s: GroupStats, Z: np.ndarray, r):
    """GLS at r = tau2/sigma2 (a number or an array): b (centred), M^-1, w, ebar."""
    r = np.asarray(r, dtype=np.float64)[..., None]
    w = s.n / (1.0 + s.n * r)
    M = np.einsum("...j,ja,jb->...ab", w, Z, Z)
    M[..., 1, 1] += s.Wxx_sum
    rhs = np.einsum("...j,ja,j->...a", w, Z, s.ybar)
    rhs[..., 1] += s.Wxy_sum
    Minv = np.linalg.inv(M)
    b = np.einsum("...ab,...b->...a", Minv, rhs)
    ebar = s.ybar - np.einsum("ja,...a->...j", Z, b)
    return b, Minv, M, w, ebar


def _criterion(s: GroupStats, u, r, sigma2, reml: bool):
    """(-2 log (restricted) likelihood, its derivative in r) at r (a number or an array),
    sigma2 given or None (profiled out, sigma2 = Q / dof); lme4's deviance (dof = N) and
    REML criterion (dof = N - 3), Bates et al. (2015) section 3.4:

        dof log(2 pi sigma2) + Q / sigma2 + sum log(1 + n_j r) [+ log det M for REML]
    """
    Z = _design(s, u)[0]
    b, Minv, M, w, ebar = _solve(s, Z, r)
    beta = b[..., 1]
    w2 = w * w
    Q = s.Wyy_sum - 2.0 * beta * s.Wxy_sum + beta * beta * s.Wxx_sum + (w * ebar * ebar).sum(-1)
    dQ = -(w2 * ebar * ebar).sum(-1)
    d = np.log1p(s.n * np.asarray(r, dtype=np.float64)[..., None]).sum(-1)
    dd = w.sum(-1)
    dof = s.N - Z.shape[1] if reml else s.N
    if reml:
        d = d + np.linalg.slogdet(M)[1]
        dd = dd - np.einsum("...j,ja,...ab,jb->...", w2, Z, Minv, Z)
    if sigma2 is None:
        return d + dof * (1.0 + np.log(2.0 * np.pi * Q / dof)), dd + dof * dQ / Q
    return d + dof * np.log(2.0 * np.pi * sigma2) + Q / sigma2, dd + dQ / sigma2


def _residual_q(s: GroupStats, u, r: float) -> float:
    Z = _design(s, u)[0]
    b, _, _, w, ebar = _solve(s, Z, r)
    beta = b[1]
    return float(
        s.Wyy_sum - 2.0 * beta * s.Wxy_sum + beta * beta * s.Wxx_sum + (w * ebar * ebar).sum()
    )


def _estimate(s: GroupStats, u, reml: bool) -> tuple[float, float]:
    """(sigma2, tau2) maximizing the (restricted) likelihood profiled in r = tau2/sigma2:
    a grid on log r brackets the optimum, scipy's bounded Brent finds it and Brent's root
    finder on the analytic derivative polishes it (``regression._argmin``); r = 0 (lme4's
    singular fit) wins when its criterion is at least as good."""
    dof = s.N - (2 if u is None else 3) if reml else s.N
    if dof <= 0:
        raise ValueError(
            f"estimating by {'REML' if reml else 'ML'} needs at least {s.N - dof + 1} rows in"
            f" use (got {s.N})"
        )
    if s.n.max() < 2:
        raise ValueError(
            "sigma2 and tau2 cannot both be estimated from one row per group (only their sum"
            f" is): use groups of two or more rows (got {s.N} rows in"
            f" {np.count_nonzero(s.n)} groups)"
        )

    def f(t, grad=False):
        val, dr = _criterion(s, u, np.exp(t), None, reml)
        return (val, dr * np.exp(t)) if grad else val

    at0, slope0 = _criterion(s, u, 0.0, None, reml)
    grid = np.log(1e-8 / s.n.max()) + _GRID
    vals = f(grid)
    if np.nanargmin(vals) == 0 and slope0 >= 0:
        r = 0.0
    else:
        r = float(np.exp(_argmin(f, grid, vals)))
        if at0 <= f(np.log(r)):
            r = 0.0
    sigma2 = _residual_q(s, u, r) / dof
    return float(sigma2), float(r * sigma2)


def _assemble(
    data, stats: GroupStats, sigma2: float, tau2: float, method: str, complete=None, none=None
) -> PredictorFit:
    """The fits at (sigma2, tau2) for the rows of ``stats``; ``complete`` and ``none`` (for
    these rows and this sigma2) are reused when given."""
    u = data.u
    Z, cx, cu = _design(stats, u)
    if complete is None:
        b0 = _solve(stats, Z, 0.0)[0]
        complete = PredictorComplete(
            float(b0[0] - b0[1] * cx - (0.0 if u is None else b0[2] * cu)),
            float(b0[1]),
            np.nan if u is None else float(b0[2]),
        )
    if none is None:
        none = _no_pooling(stats, sigma2)
    has = stats.n > 0
    r = np.inf if tau2 == np.inf or sigma2 == 0 else tau2 / sigma2
    if r == np.inf:  # the limit: no pooling's slope, the OLS line of its intercepts on u
        beta = none.beta
        G = Z[has][:, [0, *range(2, Z.shape[1])]]  # (1, u - cu) of the groups with data
        a, *gamma = np.linalg.lstsq(G, none.alpha[has], rcond=None)[0]
        mu_c = a + beta * cx  # the centred intercept, as _solve gives it
    else:
        mu_c, beta, *gamma = _solve(stats, Z, r)[0]
    gamma = gamma[0] if gamma else 0.0
    mu_alpha = float(mu_c - beta * cx - gamma * cu)
    target = np.full(len(stats.n), mu_alpha) if u is None else mu_alpha + gamma * u
    own = np.where(has, stats.ybar - beta * stats.xbar, np.nan)
    v = np.where(has, sigma2 / np.maximum(stats.n, 1), np.inf)
    B = shrinkage_factor(v, tau2)
    alpha = (1.0 - B) * np.where(has, own, 0.0)
    alpha += B * target
    alpha_var = v.copy() if tau2 == np.inf else B * tau2
    partial = PredictorPartial(
        mu_alpha,
        float(beta),
        np.nan if u is None else float(gamma),
        freeze(target),
        freeze(own),
        freeze(alpha),
        freeze(alpha_var),
        freeze(np.sqrt(alpha_var)),
        freeze(B),
    )
    return PredictorFit(
        complete,
        none,
        partial,
        float(sigma2),
        float(tau2),
        data.groups,
        stats.n,
        u,
        method,
        data.x,
        data.y,
        data._sums,
        stats,
    )
