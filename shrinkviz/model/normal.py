"""The normal-normal model: posterior of each group mean mu_j given (mu0, tau2).

    mu_j ~ N(mu0, tau2),    y_j | mu_j ~ N(mu_j, v_j)

Gelman, Carlin, Stern, Dunson, Vehtari & Rubin (2013), *Bayesian Data Analysis*, 3rd ed.
(BDA3), section 5.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from . import checks as check
from ._results import freeze, result_repr

if TYPE_CHECKING:
    from .meta_regression import RegressionPosterior


@dataclass(frozen=True, repr=False, eq=False)
class Posterior:
    """Posterior of the group means mu_j (read-only arrays of length J).

    mean, var  posterior mean and variance of each mu_j
    B          shrinkage factor v_j / (v_j + tau2): 0 = no pooling, 1 = complete pooling
    mu0        the grand mean used (given, or the precision-weighted estimate)
    mu0_var    variance of mu0 (0 when mu0 was given)
    tau2       the between-group variance used
    """

    mean: np.ndarray
    var: np.ndarray
    B: np.ndarray
    mu0: float
    mu0_var: float
    tau2: float

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Central posterior interval ``mean -+ z * sqrt(var)`` of each mu_j."""
        level = check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)
        half = special.ndtri(0.5 + level / 2) * np.sqrt(self.var)
        return self.mean - half, self.mean + half

    def __repr__(self) -> str:
        return result_repr(self, ("mean", "var", "B", "mu0", "mu0_var", "tau2"))


def shrinkage_factor(v: np.ndarray, tau2: float) -> np.ndarray:
    """B_j = v_j / (v_j + tau2), with the exact limits B = 0 at tau2 = inf, B = 1 at v = inf.

    Inputs are trusted (validated by the caller); v_j = tau2 = 0 is excluded there.
    """
    if tau2 == np.inf:
        B = np.zeros_like(v)
        B[v == np.inf] = 1.0
        return B
    with np.errstate(invalid="ignore"):
        B = v / (v + tau2)
    B[v == np.inf] = 1.0  # inf / inf: a group without data is all prior
    return B


def posterior(
    y, v, tau2, mu0=None, *, X=None, check_input: bool = True
) -> Posterior | RegressionPosterior:
    """Posterior mean and variance of each group mean mu_j (BDA3 section 5.4).

    Given mu0 (BDA3 eqs. 5.17):

        B_j    = v_j / (v_j + tau2)
        mean_j = (1 - B_j) y_j + B_j mu0
        var_j  = 1 / (1/v_j + 1/tau2)

    With ``mu0=None`` it is estimated under a flat prior as the precision-weighted mean
    (BDA3 eq. 5.20), mu0 = sum(w y) / sum(w) with w_j = 1 / (v_j + tau2) and
    mu0_var = 1 / sum(w), and each var_j gains B_j^2 mu0_var (mu0 integrated out).

    Exact limits: tau2 = 0 gives mean == mu0 (complete pooling); tau2 = inf gives mean == y
    (no pooling); v_j = inf (a group with n_j = 0) gives mean_j == mu0 and var_j == tau2.
    For group data pass v = sigma2 / n.

    Parameters
    ----------
    y : array of J finite group estimates.
    v : array of J sampling variances, >= 0, inf allowed (no data).
    tau2 : between-group variance, >= 0, inf allowed.
    mu0 : the grand mean, or None to estimate it.
    check_input : False trusts y and v (1-D float64 arrays of one length, y finite, v >= 0),
        for a caller that checked them once (scikit-learn's ``check_input``); tau2 and mu0
        are checked always.
    X : group-level predictors (a (J,) or (J, q) array or a data frame; the intercept is
        added) for mu_j ~ N(x_j' gamma, tau2): each group shrinks toward its fitted value,
        :func:`shrinkviz.model.meta_regression.regression_posterior` (v > 0 there).
    """
    if X is not None:
        if mu0 is not None:
            raise ValueError(
                "mu0 cannot be given with X: the regression gives each mean (got both)"
            )
        from .meta_regression import regression_posterior  # imports this module

        return regression_posterior(y, v, tau2, X)
    if check_input:
        y = check.finite("y", check.float_array("y", y))
        v = check.nonnegative("v", check.float_array("v", v), allow_inf=True)
        check.same_length(y=y, v=v)
    tau2 = check.scalar("tau2", tau2, lo=0, allow_inf=True)
    if tau2 == 0 and not v.all():
        j = int(np.flatnonzero(v == 0)[0])
        raise ValueError(f"v must be > 0 where tau2 = 0 (got v = 0.0 at index {j})")
    if mu0 is not None:
        mu0 = check.scalar("mu0", mu0)

    B = shrinkage_factor(v, tau2)
    # 1/(1/v + 1/tau2) = B tau2, exact at v = 0, v = inf and tau2 = 0; at tau2 = inf it is v.
    cond_var = v.copy() if tau2 == np.inf else B * tau2

    if mu0 is None:
        mu0, mu0_var = _pooled_mean(y, v, tau2)
        if np.isinf(mu0_var):  # tau2 = inf: only groups without data (B = 1) inherit it
            var = np.where(B == 0, cond_var, np.inf)
        else:
            var = cond_var + B * B * mu0_var
    else:
        mu0_var, var = 0.0, cond_var

    mean = (1.0 - B) * y
    mean += B * mu0
    return Posterior(freeze(mean), freeze(var), freeze(B), float(mu0), float(mu0_var), tau2)


def _pooled_mean(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float]:
    """Precision-weighted mean of y with weights 1/(v + tau2) and its variance (BDA3 5.20).

    At tau2 = inf the weights tend to be equal over the groups with finite v, so the
    estimate is their plain mean with variance inf.
    """
    finite_v = v < np.inf
    if not finite_v.any():
        raise ValueError(
            "v must be finite for at least one group to estimate mu0 (got v = inf for every group)"
        )
    if tau2 == np.inf:
        return float(y[finite_v].mean()), np.inf
    w = 1.0 / (v + tau2)
    sw = w.sum()
    return float(w @ y / sw), float(1.0 / sw)
