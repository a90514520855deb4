"""The forest explorer as a static picture: the forest (y_i and its CI hollow above the partial-
pooling estimate and its interval filled, the diamond, the prediction interval, a dashed rule
at mu, left-out studies greyed), the funnel and tau2 by estimator, as the bqplot views draw
them."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba

from ...model.forest import ESTIMATOR_NAMES
from ..views import _theme as t
from ..views.forest import _DIAMOND, _OFF, _OUT, _PI
from . import _common as c


def draw(
    fig,
    snapshot,
    *,
    labels,
    positions,
    selected: int = 0,
    study_name: str = "study",
    value_name: str = "effect",
    title: str = "",
    value_lim=None,
    value_ticks=None,
    funnel_lim=None,
    funnel_ticks=None,
    tau2_end: float | None = None,
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``ForestSnapshot`` into ``fig``: axes "forest", "funnel" and "estimators".

    ``positions`` are the rows of the studies (the view's), ``value_lim`` and ``funnel_lim``
    the bqplot views' pinned effect ranges, ``value_ticks`` and ``funnel_ticks`` their
    (positions, labels) (the back-transformed labels of a ratio), ``tau2_end`` the end of
    the estimators' axis.
    """
    fs = font_scale
    text = c.TEXT_PT * fs
    axes = fig.subplot_mosaic([["forest", "funnel"], ["forest", "estimators"]], width_ratios=[3, 2])
    ax, fun, est = axes["forest"], axes["funnel"], axes["estimators"]
    fo, fit = snapshot.forest, snapshot.forest.fit
    k, kept = len(snapshot.y), fo.kept
    pos = np.asarray(positions, dtype=float)
    alpha = np.where(kept, 1.0, _OUT)

    ax.axvline(0.0, color=t.LIGHT, lw=1.2 * fs, zorder=0)
    top = k + 1.6
    ax.plot(
        [fit.mu, fit.mu],
        [1.5, top],
        color=t.COMPLETE,
        ls=c.DASHES["dashed"],
        lw=1.4 * fs,
        gid="rule",
    )
    for i in range(k):
        up, down = pos[i] + _OFF, pos[i] - _OFF
        ax.plot(
            [fo.ci_lb[i], fo.ci_ub[i]],
            [up, up],
            color=t.NONE,
            lw=1.8 * fs,
            alpha=alpha[i],
            gid=f"ci-{i}",
        )
        if kept[i]:
            ax.plot(
                [fo.pred_lb[i], fo.pred_ub[i]],
                [down, down],
                color=t.PARTIAL,
                lw=2.6 * fs,
                gid=f"pred-{i}",
            )
            ax.plot([snapshot.y[i], fo.pred[i]], [up, down], color=t.GREY, lw=1.0 * fs)
    precision = 1 / snapshot.v
    area = 20 + 120 * precision / precision.max() * fs**2
    edge = [
        "black" if i == selected else to_rgba(t.NONE, 1.0 if kept[i] else _OUT) for i in range(k)
    ]
    own = ax.scatter(
        snapshot.y,
        pos + _OFF,
        s=area,
        facecolors="white",
        edgecolors=edge,
        linewidths=np.where(np.arange(k) == selected, 2.6, 1.6) * fs,
        zorder=3,
    )
    own.set_gid("own")
    ax.scatter(
        fo.pred[kept],
        pos[kept] - _OFF,
        s=area[kept],
        c=t.PARTIAL,
        edgecolors="white",
        linewidths=0.6 * fs,
        zorder=4,
        gid="pooled",
    )
    h = 0.38
    ax.fill(
        [fit.ci_lb, fit.mu, fit.ci_ub, fit.mu],
        [_DIAMOND, _DIAMOND + h, _DIAMOND, _DIAMOND - h],
        color=t.COMPLETE,
        alpha=0.85,
        gid="diamond",
    )
    if snapshot.reference is not fo:
        ref = snapshot.reference.fit
        ax.plot(
            [ref.ci_lb, ref.mu, ref.ci_ub, ref.mu, ref.ci_lb],
            [_DIAMOND, _DIAMOND + h, _DIAMOND, _DIAMOND - h, _DIAMOND],
            color=t.GREY,
            ls=c.DASHES["dotted"],
            lw=2.2 * fs,
            gid="before",
        )
    ax.plot([fit.pi_lb, fit.pi_ub], [_PI, _PI], color=t.COMPLETE, lw=2.2 * fs, gid="pi")
    for x in (fit.pi_lb, fit.pi_ub):
        ax.plot([x, x], [_PI - 0.22, _PI + 0.22], color=t.COMPLETE, lw=2.2 * fs)
    ax.set_yticks(
        [*pos, _DIAMOND, _PI],
        [*labels, "EE model" if snapshot.method == "EE" else "RE model", "prediction"],
        fontsize=text,
    )
    ax.set_ylim(-0.6, top)
    if value_lim is not None:
        ax.set_xlim(*value_lim)
    if value_ticks is not None:
        ax.set_xticks(*value_ticks)
    ax.set_xlabel(value_name, fontsize=text * 1.1)
    ax.set_ylabel(study_name, fontsize=text * 1.1)
    if title:
        ax.set_title(title, fontsize=text * 1.3)

    se = np.sqrt(snapshot.v)
    end = float(fo.funnel_se[1])
    fun.fill(
        [fo.funnel_lb[1], fit.mu, fo.funnel_ub[1]],
        [end, 0, end],
        color=t.LIGHT,
        alpha=0.6,
        ec=t.GREY,
        lw=1.0 * fs,
        gid="funnel",
    )
    fun.plot(
        [fit.mu, fit.mu], [0, end * 1.06], color=t.COMPLETE, ls=c.DASHES["dashed"], lw=1.6 * fs
    )
    fun.scatter(
        snapshot.y,
        se,
        s=40 * fs**2,
        facecolors="white",
        edgecolors=[to_rgba(t.NONE, 1.0 if kept[i] else _OUT) for i in range(k)],
        linewidths=1.6 * fs,
        zorder=3,
        gid="studies",
    )
    fun.set_ylim(end * 1.06, 0)
    if funnel_lim is not None:
        fun.set_xlim(*funnel_lim)
    if funnel_ticks is not None:
        fun.set_xticks(*funnel_ticks)
    fun.set_xlabel(value_name, fontsize=text)
    fun.set_ylabel("standard error", fontsize=text)

    m = len(ESTIMATOR_NAMES)
    epos = m - 1 - np.arange(m)
    values = np.array([snapshot.estimates[name] for name in ESTIMATOR_NAMES])
    end2 = tau2_end if tau2_end is not None else 1.25 * max(values.max(), 1e-12)
    est.axvline(min(fit.tau2, end2), color=t.PARTIAL, lw=2.2 * fs, gid="tau2")
    est.scatter(
        values,
        epos,
        s=45 * fs**2,
        facecolors="white",
        edgecolors=t.GREY,
        linewidths=1.6 * fs,
        zorder=3,
        gid="estimates",
    )
    if snapshot.method in ESTIMATOR_NAMES:
        j = ESTIMATOR_NAMES.index(snapshot.method)
        est.scatter(values[j], epos[j], s=70 * fs**2, c=t.REML, edgecolors=t.COMPLETE, zorder=4)
    est.set_yticks(epos, ESTIMATOR_NAMES, fontsize=text)
    est.set_xlim(-0.04 * end2, end2)
    est.set_ylim(-0.7, m - 0.3)
    est.set_xlabel("τ²", fontsize=text)
    est.set_title("τ² by estimator", fontsize=text * 1.1)
    for a in (ax, fun, est):
        a.tick_params(labelsize=text)
        a.spines[["top", "right"]].set_visible(False)
    entries = [
        ("y_i and 95% CI (no pooling)", "hollow", t.NONE, ""),
        ("θ_i and interval (partial pooling)", "filled", t.PARTIAL, ""),
        ("μ (diamond: its CI; bar: prediction interval)", "line", t.COMPLETE, "dashed"),
        ("τ² in use", "line", t.PARTIAL, "solid"),
    ]
    c.legend(fig, entries, fs, ncols=2)
    if caption:
        c.caption(fig, caption, fs)
