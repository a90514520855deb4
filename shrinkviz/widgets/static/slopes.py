"""The varying-slopes explorer as a static picture: every group's (intercept, slope) pulled
toward mu with the ellipses of N(mu, Sigma), and small multiples with a slope per group."""

from __future__ import annotations

import numpy as np

from ..views import _theme as t
from ..views.slopes import LEVELS, ellipses
from . import _common as c
from .pooling import COLOURS, NAMES, UNUSED, USED


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
    ncols: int = 3,
    line_styles=None,
    selected: int = 0,
    x_name: str = "x",
    y_name: str = "y",
    group_name: str = "group",
    alpha_name: str = "intercept",
    beta_name: str = "slope",
    limits=None,
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``SlopesSnapshot`` into ``fig``: on the left every group's no-pooling pair
    (hollow; none for a group without a line of its own), its partial-pooling pair (filled),
    a segment between them, mu (a diamond) and the 50% and 90% ellipses of N(mu, Sigma) (none
    at Sigma = inf) within ``limits`` ((xmin, xmax), (ymin, ymax): the view's axes); on the
    right the ``panels`` (group indices), each with its points (rows beyond the first n_j
    faint) and the three lines (complete dashed, no pooling dotted, partial solid unless
    ``line_styles`` says otherwise)."""
    fs, fit = font_scale, snapshot.fit
    text = c.TEXT_PT * fs
    left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.25])
    _pairs(left, snapshot, selected, group_name, alpha_name, beta_name, limits, fs)
    styles = {"complete": "dashed", "none": "dotted", "partial": "solid", **(line_styles or {})}
    panels = np.asarray(panels, dtype=np.int64)
    rows = int(np.ceil(len(panels) / ncols))
    axes = right.subplots(rows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    xlo, xhi = float(np.min(x)), float(np.max(x))
    ylo, yhi = float(np.min(y)), float(np.max(y))
    pad = 0.08 * ((yhi - ylo) or 1.0)
    ends = np.array([xlo, xhi]) + np.array([-0.15, 0.15]) * ((xhi - xlo) or 1.0) / 2
    step = (xhi - xlo) or 1.0
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
            "none": fit.no_pooling.alpha[g] + fit.no_pooling.beta[g] * ends,
            "partial": fit.partial_pooling.alpha[g] + fit.partial_pooling.beta[g] * ends,
        }
        for kind, ys in lines.items():
            if np.all(np.isfinite(ys)):  # a group without a line of its own has none
                ax.plot(
                    ends,
                    ys,
                    color=COLOURS[kind],
                    linestyle=c.DASHES[styles[kind]],
                    lw=2.0 * fs,
                    gid=f"{kind}-{g}",
                )
        ax.set_ylim(ylo - pad, yhi + pad)  # a steep line is cut at its panel's edge
        title, font = f"{labels[g]} (n = {int(fit.n[g])})", {"fontsize": text, "fontweight": "bold"}
        if not c.fits(right, title, 0.85 * right.bbox.width / ncols, **font):
            title = title.replace(" (", "\n(")  # a long name at a large font_scale
        ax.set_title(title, **font)
        ax.tick_params(labelsize=text)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    right.supxlabel(x_name, fontsize=text * 1.1)
    right.supylabel(y_name, fontsize=text * 1.1)
    c.legend(right, [(NAMES[k], "line", COLOURS[k], styles[k]) for k in NAMES], fs, ncols=2)
    if caption:
        c.caption(fig, caption, fs)


def _pairs(fig, snapshot, selected, group_name, alpha_name, beta_name, limits, fs) -> None:
    p, none = snapshot.fit.partial_pooling, snapshot.fit.no_pooling
    ax = fig.subplots(1, 1)
    J = len(p.alpha)
    chosen = np.arange(J) == selected
    has = ~none.missing
    if np.isfinite(snapshot.Sigma).all():
        exs, eys = ellipses(p.mu, snapshot.Sigma)
        for level, dash, ex, ey in zip(LEVELS, ("solid", "dashed"), exs, eys, strict=True):
            ax.plot(ex, ey, color=t.GREY, linestyle=c.DASHES[dash], lw=1.5 * fs, gid=f"{level}")
    for j in np.flatnonzero(has):
        ax.plot([none.alpha[j], p.alpha[j]], [none.beta[j], p.beta[j]], color=t.GREY, lw=1.0 * fs)
    area = float(np.clip(3000 / J, 30, 110)) * fs**2 * 0.6
    own = ax.scatter(
        none.alpha[has],
        none.beta[has],
        s=area,
        facecolors="white",
        edgecolors=np.where(chosen, "black", t.NONE)[has],
        linewidths=np.where(chosen, 2.6, 1.6)[has] * fs,
        zorder=3,
    )
    own.set_gid("none")
    pooled = ax.scatter(
        p.alpha,
        p.beta,
        s=area,
        c=t.PARTIAL,
        edgecolors=np.where(chosen, "black", "white"),
        linewidths=np.where(chosen, 2.6, 0.6) * fs,
        zorder=4,
    )
    pooled.set_gid("partial")
    mu = ax.scatter(p.mu[:1], p.mu[1:], s=1.6 * area, marker="D", c=t.COMPLETE, zorder=5)
    mu.set_gid("mu")
    if limits is not None:
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
    text = c.TEXT_PT * fs
    ax.set_xlabel(alpha_name, fontsize=text * 1.1)
    ax.set_ylabel(beta_name, fontsize=text * 1.1)
    ax.tick_params(labelsize=text)
    ax.spines[["top", "right"]].set_visible(False)
    c.legend(
        fig,
        [
            (f"no pooling (each {group_name} alone)", "hollow", t.NONE, ""),
            ("partial pooling", "filled", t.PARTIAL, ""),
            ("μ and 50% / 90% of N(μ, Σ)", "line", t.GREY, "dashed"),
        ],
        fs,
        ncols=2,
    )
