"""Tail areas and quantiles of the tests' reference distributions: N(0, 1), t_df, chi^2_df.

The scipy.special functions scipy.stats itself evaluates for ``norm``, ``t`` and ``chi2``
(``ndtr``, ``stdtr``, ``chdtrc`` and their inverses), without importing scipy.stats: that
import adds 15 MiB to every kernel that shows an explorer, about 7% of a student's memory on
a class hub (deploy/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import special


@dataclass(frozen=True)
class Reference:
    """N(0, 1) (``df=None``) or Student's t with ``df`` degrees of freedom."""

    df: float | None = None

    def sf(self, x):
        """P(T > x)."""
        return special.ndtr(-x) if self.df is None else special.stdtr(self.df, -x)

    def isf(self, p):
        """The x with P(T > x) = p."""
        return -special.ndtri(p) if self.df is None else -special.stdtrit(self.df, p)


NORMAL = Reference()


def of_test(test: str, df: float) -> Reference:
    """t_df for the Knapp-Hartung test (``test="knha"``), else N(0, 1)."""
    return Reference(df) if test == "knha" else NORMAL


def chi2_sf(x, df):
    """P(X > x) for X ~ chi^2_df."""
    return special.chdtrc(df, x)


def chi2_isf(p, df):
    """The x with P(X > x) = p."""
    return special.chdtri(df, p)


def chi2_ppf(p, df):
    """The x with P(X <= x) = p."""
    return 2 * special.gammaincinv(df / 2, p)
