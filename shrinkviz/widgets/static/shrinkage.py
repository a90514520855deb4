"""The shrinkage explorer as a static picture: groups on a number line (or forest style),
y_j hollow, mu_j filled, the segment between them, a dashed rule at mu0; beside it
p(tau | y) with a rule at the slider's tau and a dashed one at REML's."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from ..views import _theme as t
from . import _common as c


def draw(
    fig,
    snapshot,
    *,
    positions,
    group_lim,
    group_ticks,
    selected: int = 0,
    forest: bool = False,
    group_name: str = "group",
    value_name: str = "estimate",
    title: str = "",
    value_lim=None,
    tau_panel: bool = False,
    tau_end: float | None = None,
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``ShrinkageSnapshot`` into ``fig`` (its axes: the main one, then the tau panel).

    The groups sit at ``positions`` along the group axis (its range ``group_lim``, its ticks
    ``group_ticks``: (position, name) pairs), as in the bqplot view: 0..J-1 side by side,
    J-1..0 down a forest, log10 n_j or precision across a funnel.

    ``value_lim`` pins the value axis (the bqplot view's, so that snapshots of a sweep share
    it); ``tau_panel`` adds p(tau | y) (``snapshot.full_bayes``) with its tau axis ending at
    ``tau_end`` (the bqplot view's end). Hollow markers and segments of groups without data
    are left out, as in the view; marker area grows with the precision 1 / v_j.
    """
    fs = font_scale
    fb = snapshot.full_bayes if tau_panel else None
    if fb is not None:
        main, side = fig.subplots(1, 2, width_ratios=[3, 2])
    else:
        main, side = fig.subplots(1, 1), None
    J = len(snapshot.y)
    pos = np.asarray(positions, dtype=np.float64)

    def xy(p, v):
        return (v, p) if forest else (p, v)

    has = snapshot.has_data
    finite = snapshot.precision[np.isfinite(snapshot.precision)]
    pmax = 2.0 * float(finite.max()) if finite.size else 1.0
    size = np.minimum(np.nan_to_num(snapshot.precision, posinf=pmax), 2 * pmax)
    base = float(np.clip(6000 / J, 24, 420)) * fs**2 * 0.6  # px^2 to pt^2 at about 100 dpi
    area = base * (size + 0.2 * pmax) / (1.2 * pmax)

    def segments(p, a, b, gid, **kw):  # one segment per group, one artist
        ends = np.stack([np.column_stack(xy(p, a)), np.column_stack(xy(p, b))], axis=1)
        main.add_collection(LineCollection(ends, gid=gid, **kw))

    segments(pos[has], snapshot.y[has], snapshot.mean[has], "segments", colors=t.GREY, lw=1.3 * fs)
    if snapshot.averaged:
        lo, hi = snapshot.mean - snapshot.sd, snapshot.mean + snapshot.sd
        segments(pos, lo, hi, "intervals", colors=t.EXTRA, lw=2.6 * fs)
    rule = main.axhline if not forest else main.axvline
    rule(snapshot.mu0, color=t.COMPLETE, linestyle=c.DASHES["dashed"], lw=1.8 * fs, gid="rule")
    edge = np.where(np.arange(J) == selected, 2.8, 1.8 if J < 200 else 0.6) * fs  # thin rings: many
    own = main.scatter(
        *xy(pos[has], snapshot.y[has]),
        s=area[has],
        facecolors="white",
        edgecolors=[("black" if j == selected else t.NONE) for j in np.flatnonzero(has)],
        linewidths=edge[has],
        zorder=3,
    )
    own.set_gid("own")
    pooled = main.scatter(
        *xy(pos, snapshot.mean),
        s=area,
        c=t.PARTIAL,
        edgecolors=["black" if j == selected else "white" for j in range(J)],
        linewidths=np.where(np.arange(J) == selected, 2.8, 0.8) * fs,
        zorder=4,
    )
    pooled.set_gid("pooled")

    text = c.TEXT_PT * fs
    set_ticks, set_names = (
        (main.set_yticks, main.set_ylabel)
        if forest
        else (
            main.set_xticks,
            main.set_xlabel,
        )
    )
    set_ticks([p for p, _ in group_ticks], [g for _, g in group_ticks], fontsize=text)
    set_names(group_name, fontsize=text * 1.1)
    (main.set_xlabel if forest else main.set_ylabel)(value_name, fontsize=text * 1.1)
    main.tick_params(labelsize=text)
    (main.set_ylim if forest else main.set_xlim)(*group_lim)
    if value_lim is not None:
        (main.set_xlim if forest else main.set_ylim)(*value_lim)
    main.spines[["top", "right"]].set_visible(False)
    if title:
        main.set_title(title, fontsize=text * 1.3)
    entries = [
        ("μ0 (complete pooling)", "line", t.COMPLETE, "dashed"),
        ("y_j (no pooling)", "hollow", t.NONE, ""),
        ("μ_j (partial pooling)", "filled", t.PARTIAL, ""),
    ]
    if tau_panel:
        entries.append(("full Bayes μ_j ± 1 sd", "line", t.EXTRA, "solid"))
    if side is not None:
        _tau(side, snapshot, tau_end, fs)
        entries += [
            ("p(τ | y)", "line", t.EXTRA, "solid"),
            ("τ of the slider", "line", t.PARTIAL, "solid"),
            ("REML τ", "line", t.REML, "dashed"),
        ]
    c.legend(fig, entries, fs, ncols=4)
    if caption:
        c.caption(fig, caption, fs)


def _tau(ax, snapshot, tau_end, fs) -> None:
    """p(tau | y), a rule at the slider's tau (at the axis' end when tau = inf) and a
    dashed rule at the REML tau."""
    fb = snapshot.full_bayes
    end = float(tau_end if tau_end is not None else fb.tau[-1])
    top = 1.12 * float(fb.tau_density.max())
    (curve,) = ax.plot(fb.tau, fb.tau_density, color=t.EXTRA, lw=2.6 * fs)
    curve.set_gid("tau-curve")
    tau = min(float(np.sqrt(snapshot.tau2)), end)
    ax.plot([tau, tau], [0, top], color=t.PARTIAL, lw=2.2 * fs, gid="tau-rule")
    if snapshot.reml_tau2 is not None:
        reml = min(float(np.sqrt(snapshot.reml_tau2)), end)
        ax.plot([reml, reml], [0, top], color=t.REML, lw=2.2 * fs, linestyle="--", gid="tau-reml")
    ax.set_xlim(0, end)
    ax.set_ylim(0, top)
    text = c.TEXT_PT * fs
    ax.set_xlabel("τ (between-group sd)", fontsize=text * 1.1)
    ax.set_ylabel("density", fontsize=text * 1.1)
    ax.set_title("p(τ | y)", fontsize=text * 1.3)
    ax.tick_params(labelsize=text)
    ax.spines[["top", "right"]].set_visible(False)
