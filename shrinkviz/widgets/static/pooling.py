"""The pooling-lines explorer as a static picture: small multiples of chosen groups with the
complete-, no- and partial-pooling lines, and every group's intercepts against n_j."""

from __future__ import annotations

import numpy as np

from ..views import _theme as t
from . import _common as c

NAMES = {"complete": "complete pooling", "none": "no pooling", "partial": "partial pooling"}
COLOURS = {"complete": t.COMPLETE, "none": t.NONE, "partial": t.PARTIAL}
USED, UNUSED = "#4D4D4D", t.LIGHT  # the points of rows in use, and of rows left out


def draw(
    fig,
    snapshot,
    *,
    x,
    y,
    group,
    rank,
    labels,
    panels,
    ncols: int = 4,
    line_styles=None,
    selected: int = 0,
    x_name: str = "x",
    y_name: str = "y",
    group_name: str = "group",
    intercept_name: str = "intercept",
    title: str = "",
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``PoolingSnapshot`` into ``fig``: on top the ``panels`` (group indices), each
    with its points (rows beyond the first n_j faint, with the view's jitter along x) and
    the three lines over the range of ``x``; below, every group's no-pooling intercept
    (hollow, +-1 se) and partial-pooling intercept (filled, +-1 sd) against n_j (log
    axis; n_j = 0 at 0.8) with a dashed rule at mu_alpha. Line styles: ``line_styles``
    (complete dashed, no pooling dotted, partial solid by default)."""
    fs = font_scale
    fit = snapshot.fit
    styles = {"complete": "dashed", "none": "dotted", "partial": "solid", **(line_styles or {})}
    panels = np.asarray(panels, dtype=np.int64)
    rows = int(np.ceil(len(panels) / ncols))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.1 * rows, 3.0])
    axes = top.subplots(rows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    xlo, xhi = float(np.min(x)), float(np.max(x))
    ends = np.array([xlo, xhi]) + np.array([-0.15, 0.15]) * ((xhi - xlo) or 1.0) / 2
    step = (xhi - xlo) or 1.0
    text = c.TEXT_PT * fs
    for k, (ax, g) in enumerate(zip(axes, panels, strict=False)):
        r = np.flatnonzero(group == g)
        jitter = np.random.default_rng(k).uniform(-0.06, 0.06, len(r)) * step
        used = rank[r] < fit.n[g]
        pts = ax.scatter(
            x[r] + jitter, y[r], s=18 * fs**2, c=np.where(used, USED, UNUSED), linewidths=0
        )
        pts.set_gid(f"points-{g}")
        lines = {
            "complete": fit.complete_pooling.alpha + fit.complete_pooling.beta * ends,
            "none": fit.no_pooling.alpha[g] + fit.no_pooling.beta * ends,
            "partial": fit.partial_pooling.alpha[g] + fit.partial_pooling.beta * ends,
        }
        for kind, ys in lines.items():
            if np.all(np.isfinite(ys)):  # a group without rows has no no-pooling line
                ax.plot(
                    ends,
                    ys,
                    color=COLOURS[kind],
                    linestyle=c.DASHES[styles[kind]],
                    lw=2.2 * fs,
                    gid=f"{kind}-{g}",
                )
        ax.set_title(f"{labels[g]} (n = {int(fit.n[g])})", fontsize=text, fontweight="bold")
        ax.tick_params(labelsize=text)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    top.supxlabel(x_name, fontsize=text * 1.1)
    top.supylabel(y_name, fontsize=text * 1.1)
    if title:
        top.suptitle(title, fontsize=text * 1.3)
    c.legend(top, [(NAMES[k], "line", COLOURS[k], styles[k]) for k in NAMES], fs)
    _overview(bottom, snapshot, selected, group_name, intercept_name, fs)
    if caption:
        c.caption(fig, caption, fs)


def _overview(fig, snapshot, selected, group_name, intercept_name, fs) -> None:
    fit = snapshot.fit
    ax = fig.subplots(1, 1)
    n = np.maximum(np.asarray(fit.n, dtype=np.float64), 0.8)  # n_j = 0 at the left end
    J = len(n)
    area = float(np.clip(6000 / J, 24, 200)) * fs**2 * 0.6
    has = np.isfinite(fit.no_pooling.alpha)
    edge = np.where(np.arange(J) == selected, "black", t.NONE)
    for name, xs, a, err, colour in (
        ("none", n[has] * 1.06, fit.no_pooling.alpha[has], snapshot.none_se[has], t.NONE),
        ("partial", n, fit.partial_pooling.alpha, snapshot.partial_sd, t.PARTIAL),
    ):
        ok = np.isfinite(err)
        bars = ax.vlines(xs[ok], (a - err)[ok], (a + err)[ok], color=colour, lw=1.1 * fs)
        bars.set_gid(f"{name}-bars")
    ax.axhline(
        fit.partial_pooling.mu_alpha, color=t.COMPLETE, linestyle="--", lw=1.8 * fs, gid="mu-alpha"
    )
    own = ax.scatter(
        n[has] * 1.06,
        fit.no_pooling.alpha[has],
        s=area,
        facecolors="white",
        edgecolors=edge[has],
        linewidths=np.where(np.arange(J) == selected, 2.6, 1.6)[has] * fs,
        zorder=3,
    )
    own.set_gid("none")
    pooled = ax.scatter(
        n,
        fit.partial_pooling.alpha,
        s=area,
        c=t.PARTIAL,
        edgecolors=np.where(np.arange(J) == selected, "black", "white"),
        linewidths=np.where(np.arange(J) == selected, 2.6, 0.6) * fs,
        zorder=4,
    )
    pooled.set_gid("partial")
    ax.set_xscale("log")
    ax.set_xlim(0.7, 1.5 * float(np.max(n)))
    text = c.TEXT_PT * fs
    ax.set_xlabel("n_j (log scale)", fontsize=text * 1.1)
    ax.set_ylabel(intercept_name, fontsize=text * 1.1)
    ax.tick_params(labelsize=text)
    ax.spines[["top", "right"]].set_visible(False)
    c.legend(
        fig,
        [
            ("μ_α", "line", t.COMPLETE, "dashed"),
            (f"no pooling (each {group_name} alone) ± 1 se", "hollow", t.NONE, ""),
            ("partial pooling ± 1 sd", "filled", t.PARTIAL, ""),
        ],
        fs,
    )
