"""The counts explorer as a static picture: each group's raw rate (hollow) and posterior mean
(filled) above its n_j, the segment between them, a dashed rule at the prior mean and a grey
dashed one at the pooled rate, the selected group's interval; beside it p(log(a + b) | y) with
a rule at the slider's a + b and a dashed one at the empirical-Bayes a + b."""

from __future__ import annotations

import numpy as np
from matplotlib import ticker
from matplotlib.collections import LineCollection

from ..views import _theme as t
from ..views.counts import SIZE_ENTRIES, legend_entries
from . import _common as c


def draw(
    fig,
    snapshot,
    *,
    family: str,
    selected: int = 0,
    log_x: bool = False,
    x_lim=None,
    y_lim=None,
    size_name: str = "n_j",
    value_name: str = "rate",
    title: str = "",
    size_panel: bool = False,
    size_lim=None,
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``CountsSnapshot`` into ``fig`` (its axes: the main one, then the size panel).

    ``x_lim``, ``y_lim`` and ``size_lim`` pin the axes (the bqplot views', so that the snapshots
    of a sweep share them); ``size_panel`` adds p(log(a + b) | y) (``snapshot.full_bayes``).
    Groups without trials have no raw rate and no segment, as in the view; marker area grows
    with n_j.
    """
    fs = font_scale
    fb = snapshot.full_bayes if size_panel else None
    if fb is not None:
        main, side = fig.subplots(1, 2, width_ratios=[3, 2])
    else:
        main, side = fig.subplots(1, 1), None
    J = len(snapshot.y)
    x, has = snapshot.trials, snapshot.has_data
    area = float(np.clip(6000 / J, 24, 360)) * fs**2 * 0.6 * (x + 0.2 * x.max()) / (1.2 * x.max())
    # one collection for all segments: thousands of groups stay one artist
    ends = np.stack(
        [np.column_stack([x, snapshot.raw]), np.column_stack([x, snapshot.mean])], axis=1
    )
    main.add_collection(
        LineCollection(ends[has], colors=t.GREY, linewidths=1.3 * fs, gid="segments")
    )
    main.axhline(
        snapshot.pooled, color=t.GREY, linestyle=c.DASHES["dashed"], lw=1.3 * fs, gid="pooled-rule"
    )
    main.axhline(
        snapshot.prior_mean, color=t.COMPLETE, linestyle=c.DASHES["dashed"], lw=1.8 * fs, gid="rule"
    )
    chosen = np.arange(J) == selected
    own = main.scatter(
        x[has],
        snapshot.raw[has],
        s=area[has],
        facecolors="white",
        edgecolors=["black" if chosen[j] else t.NONE for j in np.flatnonzero(has)],
        linewidths=np.where(chosen, 2.8, 1.8)[has] * fs,
        zorder=3,
    )
    own.set_gid("own")
    post = main.scatter(
        x,
        snapshot.mean,
        s=area,
        c=t.PARTIAL,
        edgecolors=["black" if k else "white" for k in chosen],
        linewidths=np.where(chosen, 2.8, 0.8) * fs,
        zorder=4,
    )
    post.set_gid("posterior")
    (bar,) = main.plot(
        [x[selected]] * 2,
        [snapshot.lower, snapshot.upper],
        color=t.PARTIAL,
        lw=4 * fs,
        alpha=0.5,
        zorder=5,
    )
    bar.set_gid("interval")
    if log_x:  # 50 100 1k 1M, as the bqplot axis
        main.set_xscale("log")
        main.xaxis.set_major_formatter(ticker.EngFormatter(sep=""))
    if x_lim is not None:
        main.set_xlim(*x_lim)
    if y_lim is not None:
        main.set_ylim(*y_lim)
    text = c.TEXT_PT * fs
    main.set_xlabel(size_name, fontsize=text * 1.1)
    main.set_ylabel(value_name, fontsize=text * 1.1)
    main.tick_params(labelsize=text)
    main.spines[["top", "right"]].set_visible(False)
    if title:
        main.set_title(title, fontsize=text * 1.3)
    entries = legend_entries(family, snapshot.level)
    if side is not None:
        _size(side, snapshot, size_lim, fs)
        entries += SIZE_ENTRIES
    c.legend(fig, entries, fs, ncols=4 if fs < 1.3 else 3)
    if caption:
        c.caption(fig, caption, fs)


def _size(ax, snapshot, size_lim, fs) -> None:
    """p(log(a + b) | y), a rule at the slider's log(a + b) (at an end of the axis for 0 and
    inf) and a dashed one at the empirical-Bayes log(a + b)."""
    fb = snapshot.full_bayes
    lo, hi = size_lim if size_lim is not None else (fb.log_size[0], fb.log_size[-1])
    top = 1.12 * float(fb.log_size_density.max())
    (curve,) = ax.plot(fb.log_size, fb.log_size_density, color=t.EXTRA, lw=2.6 * fs)
    curve.set_gid("size-curve")
    if not snapshot.averaged:
        with np.errstate(divide="ignore"):
            w = min(max(float(np.log(snapshot.prior_size)), lo), hi)
        ax.plot([w, w], [0, top], color=t.PARTIAL, lw=2.2 * fs, gid="size-rule")
    if snapshot.eb_size is not None:
        w = min(max(float(np.log(snapshot.eb_size)), lo), hi)
        ax.plot([w, w], [0, top], color=t.REML, lw=2.2 * fs, linestyle="--", gid="size-eb")
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, top)
    text = c.TEXT_PT * fs
    ax.set_xlabel("log(a + b)", fontsize=text * 1.1)
    ax.set_ylabel("density", fontsize=text * 1.1)
    ax.set_title("p(log(a + b) | y)", fontsize=text * 1.3)
    ax.tick_params(labelsize=text)
    ax.spines[["top", "right"]].set_visible(False)
