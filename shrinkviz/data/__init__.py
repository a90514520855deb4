"""Bundled teaching data sets (pandas DataFrames) and a simulator of grouped data.

The CSV files beside this module are copies of classic data sets; DATA.md gives each one's
source and citation.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from ..model import checks as check

__all__ = [
    "eight_schools",
    "bcg",
    "radon",
    "sleepstudy",
    "baseball",
    "rat_tumors",
    "surgical",
    "teacher_expectancy",
    "simulate_groups",
]


def _read(name: str) -> pd.DataFrame:
    with resources.files(__name__).joinpath(f"{name}.csv").open("rb") as f:
        return pd.read_csv(f)


def eight_schools() -> pd.DataFrame:
    """Rubin (1981); BDA3 section 5.5, table 5.2: coaching effects on SAT-V.

    Columns: school (A..H), y (estimated effect, points), sigma (its standard error),
    v = sigma**2 (its sampling variance).
    """
    df = _read("eight_schools")
    df["v"] = df["sigma"] ** 2
    return df


def bcg() -> pd.DataFrame:
    """Colditz et al. (1994): 13 BCG vaccine trials, with log risk ratios ``yi`` and their
    sampling variances ``vi`` (metafor's ``escalc(measure="RR")``)."""
    return _read("bcg")


def radon() -> pd.DataFrame:
    """Minnesota radon (Gelman & Hill 2007, ch. 12): 919 houses in 85 counties.

    ``log_radon`` is the book's outcome (log activity, an activity of 0 set to 0.1);
    ``floor`` is 0 for a basement measurement, 1 for the first floor.
    """
    return _read("radon")


def sleepstudy() -> pd.DataFrame:
    """Belenky et al. (2003) as lme4's ``sleepstudy``: 18 subjects' mean ``Reaction`` time (ms)
    on ``Days`` 0..9 of sleep deprivation; ``Subject`` is a string label (e.g. "308")."""
    return _read("sleepstudy").astype({"Subject": str})


def baseball() -> pd.DataFrame:
    """Efron & Morris (1975): batting averages of 18 players after 45 at-bats (``avg45``)
    and over the rest of the 1970 season (``rest_avg``)."""
    return _read("baseball")


def rat_tumors() -> pd.DataFrame:
    """Tarone (1982); BDA3 table 5.1: tumours ``y`` among ``n`` rats in 71 experiments."""
    return _read("rat_tumors")


def surgical() -> pd.DataFrame:
    """Spiegelhalter et al. (1996), BUGS 'Surgical': deaths after cardiac surgery in babies."""
    return _read("surgical")


def teacher_expectancy() -> pd.DataFrame:
    """Raudenbush (1984): 19 studies of teacher expectancy (standardized mean differences
    ``yi`` with sampling variances ``vi``)."""
    return _read("teacher_expectancy")


def simulate_groups(J, n, sigma2, tau2, mu0=0.0, seed=None) -> pd.DataFrame:
    """Draw grouped data from the normal-normal model (BDA3 section 5.4):

        mu_j ~ N(mu0, tau2),   y_ij | mu_j ~ N(mu_j, sigma2),   i = 1..n_j, j = 1..J

    Parameters
    ----------
    J : number of groups (>= 1).
    n : observations per group, one integer for all or an array of J integers (>= 0).
    sigma2, tau2 : within- and between-group variances (>= 0, finite).
    mu0 : grand mean.  seed : anything ``numpy.random.default_rng`` accepts.

    Returns
    -------
    DataFrame with one row per observation: ``group`` (0..J-1), ``y``, and ``mu`` (the
    group's true mean, so estimates can be scored against the truth).
    """
    J = int(check.scalar("J", J, lo=1))
    n_arr = np.broadcast_to(np.asarray(n), (J,)) if np.ndim(n) == 0 else np.asarray(n)
    if n_arr.shape != (J,) or not np.all(n_arr == np.round(n_arr)) or np.any(n_arr < 0):
        raise check.fail("n", f"an integer >= 0 or {J} of them", n)
    n_arr = n_arr.astype(np.int64)
    sigma2 = check.scalar("sigma2", sigma2, lo=0)
    tau2 = check.scalar("tau2", tau2, lo=0)
    mu0 = check.scalar("mu0", mu0)
    rng = np.random.default_rng(seed)
    mu = rng.normal(mu0, np.sqrt(tau2), size=J)
    group = np.repeat(np.arange(J), n_arr)
    y = rng.normal(mu[group], np.sqrt(sigma2))
    return pd.DataFrame({"group": group, "y": y, "mu": mu[group]})
