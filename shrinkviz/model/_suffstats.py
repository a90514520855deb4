"""Per-group sums of (x, y) in data order, so that any "first n_j rows of group j" is O(J).

The regression of ``shrinkviz.model.regression`` needs, per group, only n_j, the means
(xbar_j, ybar_j) and the within-group sums of squares and products (Wxx_j, Wxy_j, Wyy_j).
``CumulativeSums`` stores the running sums of each group once (when a truncation first asks
for them); ``at(n)`` gathers them.

Each group's values are shifted by its first row before summing (the "shifted data"
algorithm, Chan, Golub & LeVeque 1983), which keeps Wxx = Sxx - Sx^2/n free of catastrophic
cancellation and makes it exactly 0 for a group whose x is constant. The first row of a group
is also the first row of any truncation of it, so a fit on the first n_j rows alone sums the
same numbers in the same order: ``at(n)`` is bitwise what a fresh fit would compute.
"""

from __future__ import annotations

import functools
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
    with dx = x - (first x of the group), dy likewise.

    The running sums (and each row's rank in its group) are made on first use: a fit on all
    rows needs only their totals, which ``at(counts)`` sums directly (``np.bincount`` adds a
    group's rows one by one in data order, as the running sums do: bitwise the same numbers).
    """

    def __init__(self, code: np.ndarray, J: int, x: np.ndarray, y: np.ndarray):
        self._order = np.argsort(code, kind="stable")  # by group, data order within a group
        self.counts = np.bincount(code, minlength=J)
        self.counts.flags.writeable = False  # it is the n of the full fit
        self.start = np.cumsum(self.counts) - self.counts
        self.code = code
        self.code.flags.writeable = False
        first = self._order[self.start]
        self.shift = np.stack([x[first], y[first]])
        self._dx, self._dy = x - self.shift[0, code], y - self.shift[1, code]

    @functools.cached_property
    def rank(self) -> np.ndarray:
        """Of each row inside its group, in data order."""
        rank = np.empty_like(self.code)
        rank[self._sorted("sums")] = np.arange(len(self.code)) - np.repeat(self.start, self.counts)
        rank.flags.writeable = False
        return rank

    @functools.cached_property
    def sums(self) -> np.ndarray:
        """The running sums, rows sorted by group, shape (N, 5)."""
        order = self._sorted("rank")
        dx, dy = self._dx[order], self._dy[order]
        del self._dx, self._dy  # (the totals are gathered from the running sums from now on)
        return _cumsum_by_group(
            np.stack([dx, dy, dx * dx, dx * dy, dy * dy], axis=1), self.start, self.counts
        )

    def _sorted(self, other: str) -> np.ndarray:
        """The rows by group, in data order within a group; kept until ``other`` is made
        too (ranks and running sums are all that need it)."""
        order = self._order
        if other in self.__dict__:
            del self._order
        return order

    def at(self, n: np.ndarray) -> GroupStats:
        """The moments of the first n[j] rows of each group j: one gather, O(J); of all rows
        (n is ``counts`` itself), their totals."""
        if n is self.counts and "sums" not in self.__dict__:
            dx, dy, J = self._dx, self._dy, len(n)
            S = [np.bincount(self.code, w, J) for w in (dx, dy, dx * dx, dx * dy, dy * dy)]
            return self._stats(n, *S)
        # np.take: several times faster than fancy indexing for a gather of rows
        S = np.take(self.sums, self.start + n - 1, axis=0)  # where n = 0: zeroed next
        S[n == 0] = 0.0
        return self._stats(n, *S.T)

    def _stats(self, n, Sx, Sy, Sxx, Sxy, Syy) -> GroupStats:
        m = np.maximum(n, 1)
        mx, my = Sx / m, Sy / m  # means of the shifted values
        return GroupStats(
            n=n,
            xbar=self.shift[0] + mx,
            ybar=self.shift[1] + my,
            Wxx=np.maximum(Sxx - Sx * mx, 0.0),
            Wxy=Sxy - Sx * my,
            Wyy=np.maximum(Syy - Sy * my, 0.0),
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
