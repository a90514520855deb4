"""Per-group sums of (x, y) in data order, so that any "first n_j rows of group j" is O(J).

The regression of ``shrinkviz.model.regression`` needs, per group, only n_j, the means
(xbar_j, ybar_j) and the within-group sums of squares and products (Wxx_j, Wxy_j, Wyy_j).
``CumulativeSums`` stores the running sums of each group once; ``at(n)`` gathers them.

Each group's values are shifted by its first row before summing (the "shifted data"
algorithm, Chan, Golub & LeVeque 1983), which keeps Wxx = Sxx - Sx^2/n free of catastrophic
cancellation and makes it exactly 0 for a group whose x is constant. The first row of a group
is also the first row of any truncation of it, so a fit on the first n_j rows alone sums the
same numbers in the same order: ``at(n)`` is bitwise what a fresh fit would compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def encode_groups(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels in order of first appearance, code of each row: an index into labels)."""
    try:
        _, first, code = np.unique(group, return_index=True, return_inverse=True)
    except TypeError:  # labels of mixed types cannot be sorted: map them one by one
        index: dict = {}
        code = np.fromiter((index.setdefault(g, len(index)) for g in group), np.intp, len(group))
        return group[np.unique(code, return_index=True)[1]], code
    rank = np.argsort(first)
    relabel = np.empty_like(rank)
    relabel[rank] = np.arange(len(rank))
    return group[first[rank]], relabel[code.ravel()]


@dataclass(frozen=True, eq=False)
class GroupStats:
    """Moments of the rows used in each group (arrays of length J) and their totals.

    xbar, ybar        group means (where n_j = 0: the group's first x and y, never used)
    Wxx, Wxy, Wyy     within-group sums of squares and products, e.g. sum (x - xbar)^2
    """

    n: np.ndarray
    xbar: np.ndarray
    ybar: np.ndarray
    Wxx: np.ndarray
    Wxy: np.ndarray
    Wyy: np.ndarray
    N: int = field(init=False)
    Wxx_sum: float = field(init=False)
    Wxy_sum: float = field(init=False)
    Wyy_sum: float = field(init=False)

    def __post_init__(self):
        for arr in (self.xbar, self.ybar, self.Wxx, self.Wxy, self.Wyy):
            arr.flags.writeable = False  # arrays the fits share
        set_ = object.__setattr__  # frozen: derived fields are set once, here
        set_(self, "N", int(self.n.sum()))
        set_(self, "Wxx_sum", float(self.Wxx.sum()))
        set_(self, "Wxy_sum", float(self.Wxy.sum()))
        set_(self, "Wyy_sum", float(self.Wyy.sum()))


class CumulativeSums:
    """Running sums of (dx, dy, dx^2, dx dy, dy^2) within each group, rows in data order,
    with dx = x - (first x of the group), dy likewise."""

    def __init__(self, code: np.ndarray, J: int, x: np.ndarray, y: np.ndarray):
        order = np.argsort(code, kind="stable")  # by group, data order within a group
        self.counts = np.bincount(code, minlength=J)
        self.counts.flags.writeable = False  # it is the n of the full fit
        self.start = np.cumsum(self.counts) - self.counts
        self.code = code
        self.rank = np.empty_like(code)  # of each row inside its group, in data order
        self.rank[order] = np.arange(len(code)) - np.repeat(self.start, self.counts)
        self.code.flags.writeable = self.rank.flags.writeable = False
        xs, ys = x[order], y[order]
        self.shift = np.stack([xs[self.start], ys[self.start]])
        g = code[order]
        dx, dy = xs - self.shift[0, g], ys - self.shift[1, g]
        self.sums = _cumsum_by_group(
            np.stack([dx, dy, dx * dx, dx * dy, dy * dy], axis=1), self.start, self.counts
        )

    def at(self, n: np.ndarray) -> GroupStats:
        """The moments of the first n[j] rows of each group j: one gather, O(J)."""
        # np.take: several times faster than fancy indexing for a gather of rows
        S = np.take(self.sums, self.start + n - 1, axis=0)  # where n = 0: zeroed next
        S[n == 0] = 0.0
        m = np.maximum(n, 1)
        Sx, Sy = S[:, 0] / m, S[:, 1] / m  # means of the shifted values
        return GroupStats(
            n=n,
            xbar=self.shift[0] + Sx,
            ybar=self.shift[1] + Sy,
            Wxx=np.maximum(S[:, 2] - S[:, 0] * Sx, 0.0),
            Wxy=S[:, 3] - S[:, 0] * Sy,
            Wyy=np.maximum(S[:, 4] - S[:, 1] * Sy, 0.0),
        )


def _cumsum_by_group(V: np.ndarray, start: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums of the rows of V restarting at each group (rows sorted by group).

    Both branches add row k of a group to the sum of its rows before k, sequentially, so
    the sums are bitwise those of ``np.cumsum`` over each group alone; the branch with
    fewer Python-level steps is taken (one per group, or one per row rank).
    """
    C = V.copy()
    if len(counts) <= counts.max():
        for s, c in zip(start.tolist(), counts.tolist(), strict=True):
            np.cumsum(V[s : s + c], axis=0, out=C[s : s + c])
        return C
    rank = np.arange(len(V)) - np.repeat(start, counts)
    by_rank = np.argsort(rank, kind="stable")
    for rows in np.split(by_rank, np.cumsum(np.bincount(rank))[:-1])[1:]:
        C[rows] += C[rows - 1]
    return C
