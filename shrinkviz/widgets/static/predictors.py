"""The predictor explorer as a static picture: estimates against the predictor u, own
estimates hollow, partial pooling filled, the segment between them, the fitted line dashed
(flat without the predictor) with its 95% band where the model gives one."""

from __future__ import annotations

import numpy as np

from ..views import _theme as t
from . import _common as c


def draw(
    fig,
    snapshot,
    *,
    selected: int = 0,
    u_name: str = "predictor",
    value_name: str = "estimate",
    title: str = "",
    u_lim=None,
    value_lim=None,
    caption: str = "",
    font_scale: float = 1.0,
) -> None:
    """Draw a ``PredictorSnapshot`` into ``fig``; ``u_lim`` and ``value_lim`` pin the axes (the
    bqplot view's, so that the snapshots of a sweep share them). Marker area grows with the
    precision 1 / v_j, as in the view."""
    fs = font_scale
    ax = fig.subplots(1, 1)
    J = len(snapshot.u)
    has = np.isfinite(snapshot.own)
    pmax = float(snapshot.precision.max())
    base = float(np.clip(6000 / J, 24, 420)) * fs**2 * 0.6  # px^2 to pt^2 at about 100 dpi
    area = base * (snapshot.precision + 0.2 * pmax) / (1.2 * pmax)

    band = np.isfinite(snapshot.band_lo).all() and np.isfinite(snapshot.band_hi).all()
    if band:
        ax.fill_between(
            snapshot.line_u,
            snapshot.band_lo,
            snapshot.band_hi,
            color=t.LIGHT,
            alpha=0.6,
            lw=0,
            gid="band",
        )
    (line,) = ax.plot(
        snapshot.line_u, snapshot.line, color=t.COMPLETE, linestyle=c.DASHES["dashed"], lw=1.8 * fs
    )
    line.set_gid("line")
    for j in np.flatnonzero(has):
        (seg,) = ax.plot(
            [snapshot.u[j], snapshot.u[j]],
            [snapshot.own[j], snapshot.mean[j]],
            color=t.GREY,
            lw=1.3 * fs,
        )
        seg.set_gid(f"segment-{j}")
    chosen = np.arange(J) == selected
    own = ax.scatter(
        snapshot.u[has],
        snapshot.own[has],
        s=area[has],
        facecolors="white",
        edgecolors=["black" if j == selected else t.NONE for j in np.flatnonzero(has)],
        linewidths=np.where(chosen, 2.8, 1.8)[has] * fs,
        zorder=3,
    )
    own.set_gid("own")
    pooled = ax.scatter(
        snapshot.u,
        snapshot.mean,
        s=area,
        c=t.PARTIAL,
        edgecolors=["black" if s else "white" for s in chosen],
        linewidths=np.where(chosen, 2.8, 0.8) * fs,
        zorder=4,
    )
    pooled.set_gid("pooled")

    text = c.TEXT_PT * fs
    ax.set_xlabel(u_name, fontsize=text * 1.1)
    ax.set_ylabel(value_name, fontsize=text * 1.1)
    ax.tick_params(labelsize=text)
    if u_lim is not None:
        ax.set_xlim(*u_lim)
    if value_lim is not None:
        ax.set_ylim(*value_lim)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=text * 1.3)
    entries = [
        ("fitted line: the shrinkage target", "line", t.COMPLETE, "dashed"),
        ("own estimate (no pooling)", "hollow", t.NONE, ""),
        ("partial pooling", "filled", t.PARTIAL, ""),
    ]
    if band:
        entries.append(("95% band of the line", "line", t.LIGHT, "solid"))
    c.legend(fig, entries, fs, ncols=4)
    if caption:
        c.caption(fig, caption, fs)
