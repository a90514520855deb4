"""The positive-part James-Stein estimator toward the grand mean (equal known variances).

    y_j | mu_j ~ N(mu_j, v),   j = 1..k,   v known and the same for every group

    S    = sum_j (y_j - ybar)^2
    B    = min(1, (k - 3) v / S)                       the shrinkage factor
    mean = ybar + (1 - B) (y_j - ybar)                 c = 1 - B is Efron & Morris's "c"

James & Stein (1961), Estimation with quadratic loss, *Proc. Fourth Berkeley Symp.* 1:361-379
(shrinkage toward a point); Efron & Morris (1973), *JASA* 68:117-130, and (1975), Data analysis
using Stein's estimator and its generalizations, *JASA* 70:311-319, section 2 (toward the grand
mean, k - 3 because ybar is estimated; the positive part B <= 1 of Baranchik 1964).

Why k - 3: if mu_j ~ N(mu0, tau2), then S / (v + tau2) ~ chi^2_{k-1} and E[1 / chi^2_{k-1}]
= 1 / (k - 3), so (k - 3) v / S is unbiased for the Bayes factor v / (v + tau2). The plug-in
(k - 1) v / S (REML's tau2 = S / (k - 1) - v with equal v) has expectation (k - 1) / (k - 3)
times as large: it over-shrinks.

Unequal variances are refused: the estimator and its risk guarantee are for one common v.
For unequal v use the empirical-Bayes route (``meta_analysis`` for tau2, then ``posterior``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks as check
from ._results import freeze, result_repr

_SAME = 1e-12  # relative spread of v still taken as "one common variance"


@dataclass(frozen=True, repr=False, eq=False)
class JamesStein:
    """The positive-part James-Stein estimates (read-only array of length k).

    mean  the shrunk estimates ybar + (1 - B) (y_j - ybar)
    B     the shrinkage factor min(1, (k - 3) v / S), in [0, 1]; 1 - B is Efron & Morris's c
    mu0   the target: the grand mean ybar of y
    S     sum of squares sum_j (y_j - ybar)^2
    v     the common sampling variance;  k  the number of groups
    """

    mean: np.ndarray
    B: float
    mu0: float
    S: float
    v: float
    k: int

    def __repr__(self) -> str:
        return result_repr(self, ("mean", "B", "mu0", "S", "v", "k"))


def james_stein(y, v) -> JamesStein:
    """Positive-part James-Stein estimates of k >= 3 means toward their grand mean
    (Efron & Morris 1975, section 2):

        B = min(1, (k - 3) v / S),   S = sum (y - ybar)^2,   mean = ybar + (1 - B) (y - ybar)

    k = 3 gives B = 0 (no shrinkage); S = 0 with k > 3 gives B = 1.

    Parameters
    ----------
    y : array of k >= 3 finite estimates.
    v : their common sampling variance, > 0 and finite: one number, or an array of k equal
        numbers. Unequal variances raise a ValueError.
    """
    y = check.finite("y", check.float_array("y", y))
    if len(y) < 3:
        raise ValueError(f"y must hold at least 3 groups for James-Stein (got {len(y)})")
    v_arr = check.positive("v", check.float_array("v", v))
    if len(v_arr) != 1:
        check.same_length(y=y, v=v_arr)
        far = np.abs(v_arr - v_arr[0]) > _SAME * v_arr[0]
        if far.any():
            j = int(np.flatnonzero(far)[0])
            raise ValueError(
                "v must be the same for every group: James-Stein needs one common sampling "
                f"variance (got {v_arr[0]!r} at index 0 and {v_arr[j]!r} at index {j}); "
                "for unequal variances use meta_analysis() and posterior()"
            )
    v = float(v_arr[0])
    k = len(y)
    mu0 = float(y.mean())
    dev = y - mu0
    S = float(dev @ dev)
    if k == 3:
        B = 0.0
    elif S == 0.0:
        B = 1.0
    else:
        B = min(1.0, (k - 3) * v / S)
    if B == 0.0:  # exact: no shrinkage returns y itself, full shrinkage the grand mean
        mean = y.copy()
    elif B == 1.0:
        mean = np.full(k, mu0)
    else:
        mean = mu0 + (1.0 - B) * dev
    return JamesStein(freeze(mean), B, mu0, S, v, k)
