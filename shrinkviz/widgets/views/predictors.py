"""Estimates against a predictor: each group's own estimate (hollow), its shrunk estimate
(filled), the segment between them, and the fitted line they shrink toward (dashed, with its
confidence band where the model gives one). Without the predictor the line is flat: one mean.
Marker area grows with the precision 1 / v_j.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from . import _theme as t

_SELECTED = {"stroke": "black", "stroke-width": 3.5}


class PredictorView:
    """Draws a ``PredictorState``: x = the predictor u_j, y = the estimates. One Lines mark
    holds all J segments (2-D arrays). Both axes are pinned at construction to the data and
    to the lines of both models, so nothing jumps while the markers glide or the toggle
    flips. Clicking a marker selects its group (``state.selected``). ``legend`` is the
    figure's legend (HTML, outside the data area)."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        u_name="predictor",
        value_name="estimate",
        title="",
        height=440,
    ):
        self.state = state
        f = state.snapshot
        J = len(f.u)
        ends = [f.own[np.isfinite(f.own)], f.line, f.target]
        band = f.band_lo[np.isfinite(f.band_lo)], f.band_hi[np.isfinite(f.band_hi)]
        lo = min(float(np.min(e)) for e in ends if e.size)
        hi = max(float(np.max(e)) for e in ends if e.size)
        if band[0].size:  # the band may reach out; not more than half the data's range again
            span = hi - lo
            lo, hi = (
                max(min(lo, band[0].min()), lo - span / 2),
                min(max(hi, band[1].max()), hi + span / 2),
            )
        pad = 0.06 * (hi - lo or 1.0)
        xs = LinearScale(min=float(f.line_u[0]), max=float(f.line_u[-1]), allow_padding=False)
        ys = LinearScale(min=lo - pad, max=hi + pad, allow_padding=False)
        sc = {"x": xs, "y": ys}
        pmax = float(f.precision.max())
        size = LinearScale(min=-0.2 * pmax, max=pmax)
        area = int(np.clip(6000 / J, 24, 420) * font_scale**2)
        common = dict(
            scales={**sc, "size": size},
            default_size=area,
            selected_style=_SELECTED,
            unselected_style={},
        )
        u2 = np.column_stack([f.u, f.u])
        self.band = Lines(
            x=np.vstack([f.line_u, f.line_u]),
            y=np.vstack([f.band_lo, f.band_hi]),
            scales=sc,
            colors=[t.LIGHT, t.LIGHT],
            fill="between",
            fill_colors=[t.LIGHT],
            fill_opacities=[0.6],
            stroke_width=0,
            visible=bool(band[0].size),
        )
        self.line = Lines(
            x=f.line_u,
            y=f.line,
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        self.segments = Lines(
            x=u2,
            y=np.column_stack([f.own, f.mean]),
            scales=sc,
            colors=[t.GREY],
            stroke_width=1.5 * font_scale,
        )
        self.own = Scatter(
            x=f.u,
            y=f.own,
            size=f.precision,
            colors=["white"],
            stroke=t.NONE,
            stroke_width=2.5 * font_scale,
            **common,
        )
        self.pooled = Scatter(
            x=f.u, y=f.mean, size=f.precision, colors=[t.PARTIAL], stroke="white", **common
        )
        for mark in (self.own, self.pooled):
            mark.on_element_click(self._clicked)
        # ticks far enough apart to read at any font_scale: about one per 32 px of text height
        plot_px = height - (44 + 52) * font_scale
        step = t.nice_step(ys.max - ys.min, max(2, int(plot_px / (32 * font_scale))))
        ticks = np.arange(np.ceil(ys.min / step), np.floor(ys.max / step) + 1) * step + 0.0
        value_axis = t.axis(
            ys, value_name, font_scale, side="left", tick_values=ticks, tick_format=".4~g"
        )
        self.figure = t.figure(
            [self.band, self.line, self.segments, self.own, self.pooled],
            [t.axis(xs, u_name, font_scale), value_axis],
            title,
            font_scale,
            animation_duration,
        )
        self.height = height
        entries = [
            ("fitted line: the shrinkage target", "line", t.COMPLETE, "dashed"),
            ("own estimate (no pooling)", "hollow", t.NONE, ""),
            ("partial pooling", "filled", t.PARTIAL, ""),
        ]
        if band[0].size:
            entries.append(("95% band of the line", "line", t.LIGHT, "solid"))
        self.legend = t.legend(entries, font_scale)
        self._select({"new": state.selected})
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    def _draw(self, change) -> None:
        f = change["new"]
        t.update(self.segments, y=np.column_stack([f.own, f.mean]))
        t.update(self.own, y=f.own)
        t.update(self.pooled, y=f.mean)
        t.update(self.line, y=f.line)
        if np.isfinite(f.band_lo).all() and np.isfinite(f.band_hi).all():
            t.update(self.band, y=np.vstack([f.band_lo, f.band_hi]), visible=True)
        else:
            t.update(self.band, visible=False)

    def _select(self, change) -> None:
        for mark in (self.own, self.pooled):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])
