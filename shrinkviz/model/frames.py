"""Columns of a user's data frame, checked once, and the group summaries built from them.

Duck-typed: any ``df`` whose ``df[name].to_numpy()`` gives a column works (a pandas
DataFrame; the model never imports pandas). A bad column is refused in the words of the
table the user holds: the column's name and the row's label (``df.index``, else the
position), e.g. ``y column 'score' has a missing value at row 'r3'``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import checks as check
from ._results import freeze, result_repr
from ._suffstats import encode_groups

__all__ = ["GroupSummaries", "group_summaries", "read_columns"]


def read_columns(df, **columns: str) -> dict[str, np.ndarray]:
    """The columns named by ``role=name`` as arrays: role ``group`` holds labels (any
    hashable values, none missing), every other role finite numbers (float64 copies the
    caller may keep)."""
    out = {}
    for role, name in columns.items():
        col = _column(df, role, name)
        out[role] = (
            _labels(df, col, role, name) if role == "group" else _numbers(df, col, role, name)
        )
    return out


@dataclass(frozen=True, repr=False, eq=False)
class GroupSummaries:
    """Each group's count and mean of y, and the pooled within-group variance.

    groups  the group labels, in order of first appearance
    n       rows of each group, n_j
    ybar    the group means, ybar_j = sum_i y_ij / n_j
    sigma2  sum_j sum_i (y_ij - ybar_j)^2 / (N - J): the residual variance of the one-way
            ANOVA (R's ``sigma(lm(y ~ factor(group)))^2``)
    """

    groups: np.ndarray
    n: np.ndarray
    ybar: np.ndarray
    sigma2: float

    def __repr__(self) -> str:
        return result_repr(self, ("groups", "n", "ybar", "sigma2"))


def group_summaries(df, *, y: str, group: str) -> GroupSummaries:
    """Counts, means and the pooled within-group variance of column ``y`` by ``group``:
    the group data ``(ybar_j, n_j, sigma2)`` of the normal model, v_j = sigma2 / n_j.
    Needs two groups and a group with two or more rows."""
    cols = read_columns(df, y=y, group=group)
    values = cols["y"]
    try:
        labels, code = encode_groups(cols["group"])
    except TypeError:
        raise check.fail("group", "hashable labels", cols["group"]) from None
    check.groups_with_data(np.ones(len(labels), dtype=bool), labels)
    n = np.bincount(code, minlength=len(labels))
    ybar = np.bincount(code, values, len(labels)) / n
    resid = values - ybar[code]  # two passes: no cancellation in the sum of squares
    dof = len(values) - len(labels)
    if dof == 0:
        raise ValueError(
            f"sigma2 cannot be estimated from one row per group: a group needs "
            f"two or more rows (got {len(values)} rows in {len(labels)} groups)"
        )
    return GroupSummaries(freeze(labels), freeze(n), freeze(ybar), float(resid @ resid / dof))


# --- one column ---------------------------------------------------------------------------


def _column(df, role: str, name: str):
    try:
        return df[name].to_numpy()
    except (KeyError, IndexError, TypeError, AttributeError):
        names = getattr(df, "columns", None)
        known = "" if names is None else f"; the columns are {', '.join(map(str, names))}"
        raise ValueError(f"{role} must be a column of df (got {name!r}{known})") from None


def _row(df, i: int):
    """The label of row i (its position when df has no index)."""
    index = getattr(df, "index", None)
    label = i if index is None else index[i]
    return label.item() if isinstance(label, np.generic) else label


def _is_missing(v) -> bool:
    """None, nan, or pandas' NA / NaT, recognised without importing pandas."""
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def _numbers(df, col: np.ndarray, role: str, name: str) -> np.ndarray:
    if col.dtype.kind in "biuf":
        arr = np.array(col, dtype=np.float64)
    else:  # object (numbers with None, pandas' nullable types) or text, dates, ...
        arr = np.empty(len(col))
        for i, v in enumerate(col):
            if _is_missing(v):
                arr[i] = np.nan
            elif isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
                arr[i] = float(v)
            else:
                raise ValueError(
                    f"{role} column {name!r} must hold numbers (got {v!r} at row {_row(df, i)!r})"
                )
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "a missing value" if np.isnan(arr[i]) else f"an infinite value ({arr[i]})"
        raise ValueError(f"{role} column {name!r} has {what} at row {_row(df, i)!r}")
    return arr


def _labels(df, col: np.ndarray, role: str, name: str) -> np.ndarray:
    if col.dtype.kind == "f":
        missing = np.isnan(col)
    elif col.dtype.kind == "O":
        missing = np.fromiter((_is_missing(v) for v in col), bool, len(col))
    else:
        missing = np.zeros(len(col), dtype=bool)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{role} column {name!r} has a missing value at row {_row(df, i)!r}")
    return col
