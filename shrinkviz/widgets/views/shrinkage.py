"""Groups on a number line: own estimate y_j (hollow), partial-pooling mu_j (filled), the
segment between them and a rule at mu0. Marker area grows with the precision 1 / v_j."""
from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from . import _theme as t

_SELECTED = {"stroke": "black", "stroke-width": 3.5}
_MAX_TICK_LABELS = 30


class ShrinkageView:
    """Draws a ``ShrinkageState``: one Lines mark holds all J segments (2-D arrays).

    The value axis is pinned to the data's range at construction (with mu0), so it does not
    jump while the markers glide. Clicking a marker selects its group (``state.selected``).
    """

    def __init__(self, state, *, font_scale=1.0, animation_duration=t.ANIMATION_MS,
                 group_name="group", value_name="estimate", title=""):
        self.state = state
        f = state.frame
        J = len(f.y)
        idx = np.arange(J, dtype=np.float64)
        lo, hi = min(f.y.min(), f.mu0), max(f.y.max(), f.mu0)
        pad = 0.08 * (hi - lo or 1.0)
        xs = LinearScale(min=-0.6, max=J - 0.4)
        ys = LinearScale(min=lo - pad, max=hi + 3.5 * pad)  # room for the legend on top
        finite = f.precision[np.isfinite(f.precision)]
        self._pmax = 2.0 * float(finite.max()) if finite.size else 1.0
        size = LinearScale(min=-0.2 * self._pmax, max=self._pmax)
        area = int(np.clip(6000 / J, 24, 420) * font_scale ** 2)
        common = dict(x=idx, scales={"x": xs, "y": ys, "size": size}, default_size=area,
                      display_legend=True, selected_style=_SELECTED, unselected_style={})

        self.segments = Lines(x=np.column_stack([idx, idx]), y=np.column_stack([f.y, f.mean]),
                              scales={"x": xs, "y": ys}, colors=[t.GREY],
                              stroke_width=1.5 * font_scale)
        self.interval = Lines(x=np.column_stack([idx, idx]), y=self._interval(f),
                              scales={"x": xs, "y": ys}, colors=[t.EXTRA],
                              stroke_width=3 * font_scale, visible=False)
        self.rule = Lines(x=np.array([-0.6, J - 0.4]), y=np.array([f.mu0, f.mu0]),
                          scales={"x": xs, "y": ys}, colors=[t.COMPLETE], line_style="dashed",
                          stroke_width=2 * font_scale, labels=["μ0 (complete pooling)"],
                          display_legend=True)
        self.own = Scatter(y=f.y, size=self._size(f), fill=False, stroke=t.NONE,
                           colors=[t.NONE], stroke_width=2.5 * font_scale,
                           labels=["y_j (no pooling)"], **common)
        self.pooled = Scatter(y=f.mean, size=self._size(f), colors=[t.PARTIAL],
                              stroke="white", labels=["μ_j (partial pooling)"], **common)
        for mark in (self.own, self.pooled):
            mark.on_element_click(self._clicked)

        ax_kw = {}
        if J <= _MAX_TICK_LABELS:
            ax_kw = dict(tick_values=idx, tick_labels={t.js_number(j): g
                                                        for j, g in enumerate(state.labels)})
        axes = [t.axis(xs, group_name, font_scale, **ax_kw),
                t.axis(ys, value_name, font_scale, side="left")]
        self.figure = t.figure([self.segments, self.interval, self.rule, self.own, self.pooled],
                               axes, title, font_scale, animation_duration,
                               legend_location="top-right")
        self._select({"new": state.selected})
        state.observe(self._draw, "frame")
        state.observe(self._select, "selected")

    def _size(self, f) -> np.ndarray:
        # area grows with precision, capped so a group scaled up does not cover the plot
        return np.minimum(np.nan_to_num(f.precision, posinf=self._pmax), 2 * self._pmax)

    @staticmethod
    def _interval(f) -> np.ndarray:
        return np.column_stack([f.mean - f.sd, f.mean + f.sd])

    def _draw(self, change) -> None:
        f = change["new"]
        size = self._size(f)
        t.update(self.segments, y=np.column_stack([f.y, f.mean]))
        t.update(self.own, y=f.y, size=size)
        t.update(self.pooled, y=f.mean, size=size)
        t.update(self.rule, y=np.array([f.mu0, f.mu0]))
        if self.state.full_bayes:
            t.update(self.interval, y=self._interval(f), visible=True)
        else:
            t.update(self.interval, visible=False)

    def _select(self, change) -> None:
        for mark in (self.own, self.pooled):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])
