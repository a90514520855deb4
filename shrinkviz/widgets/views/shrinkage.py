"""Groups on a number line: own estimate y_j (hollow), partial-pooling mu_j (filled), the
segment between them and a rule at mu0. Marker area grows with the precision 1 / v_j.

With few groups whose names fit side by side, the groups run along the horizontal axis; with
more (or longer names, or a larger ``font_scale``) the figure turns forest style: one row per
group, names on the vertical axis, values along the horizontal one. Beyond the rows that fit,
the names are thinned to every k-th group, never drawn on top of each other.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from . import _theme as t

_SELECTED = {"stroke": "black", "stroke-width": 3.5}
_NAMES_PX = 420  # room for the names along a horizontal axis (the figure's plot area)
_ROW_PX = 1.45 * 13  # height of a forest row at font_scale 1
_MAX_ROWS_PX = 720  # tallest forest plot area; more groups than fit have thinned names
_MAX_NAME = 22  # longer names are shortened with an ellipsis


class ShrinkageView:
    """Draws a ``ShrinkageState``: one Lines mark holds all J segments (2-D arrays).

    The value axis is pinned to the data's range at construction (with mu0), so it does not
    jump while the markers glide. Clicking either marker of a group selects it
    (``state.selected``). ``forest`` (default: when the names do not fit side by side) puts
    the groups on the vertical axis; ``value_axis`` is then "x", else "y". ``legend`` is the
    figure's legend (HTML, outside the data area); ``height`` the figure's height in px.
    """

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        group_name="group",
        value_name="estimate",
        title="",
        forest=None,
        interval_legend=False,
    ):
        self.state = state
        f = state.frame
        J = len(f.y)
        names = [g if len(g) <= _MAX_NAME else g[: _MAX_NAME - 1] + "…" for g in state.labels]
        longest = max(len(g) for g in names)
        if forest is None:
            forest = J * (t.text_px(longest, font_scale) + 10) > _NAMES_PX
        self.forest = bool(forest)
        self.value_axis = "x" if forest else "y"
        # group j at position J - 1 - j in a forest (the first group on top), else at j
        pos = (J - 1 - np.arange(J) if forest else np.arange(J)).astype(np.float64)
        self._pos, self._pos2 = pos, np.column_stack([pos, pos])
        lo, hi = min(f.y.min(), f.mu0), max(f.y.max(), f.mu0)
        pad = 0.08 * (hi - lo or 1.0)
        ps = LinearScale(min=-0.6, max=J - 0.4, allow_padding=False)
        vs = LinearScale(min=lo - pad, max=hi + pad, allow_padding=False)
        self._sc = {"x": vs, "y": ps} if forest else {"x": ps, "y": vs}
        row = _ROW_PX * font_scale
        self.height = int(min(J * row, _MAX_ROWS_PX) + (16 + 56) * font_scale) if forest else 460
        finite = f.precision[np.isfinite(f.precision)]
        self._pmax = 2.0 * float(finite.max()) if finite.size else 1.0
        size = LinearScale(min=-0.2 * self._pmax, max=self._pmax)
        slot = min(row if forest else 1e9, (_MAX_ROWS_PX if forest else _NAMES_PX) / J * 2.2)
        area = int(min(np.clip(6000 / J, 24, 420) * font_scale**2, (0.9 * slot) ** 2))
        common = dict(
            scales={**self._sc, "size": size},
            default_size=area,
            selected_style=_SELECTED,
            unselected_style={},
        )

        self.segments = Lines(
            **self._xy(self._pos2, np.column_stack([f.y, f.mean])),
            scales=self._sc,
            colors=[t.GREY],
            stroke_width=1.5 * font_scale,
            opacities=self._shown(f).tolist(),
        )
        self.interval = Lines(
            **self._xy(self._pos2, self._interval(f)),
            scales=self._sc,
            colors=[t.EXTRA],
            stroke_width=3 * font_scale,
            visible=False,
        )
        self.rule = Lines(
            **self._xy(np.array([-0.6, J - 0.4]), np.array([f.mu0, f.mu0])),
            scales=self._sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        # the hollow marker is filled white: clickable all over, not only on its ring
        self.own = Scatter(
            **self._xy(pos, f.y),
            size=self._size(f),
            colors=["white"],
            stroke=t.NONE,
            stroke_width=2.5 * font_scale,
            opacities=self._shown(f),
            **common,
        )
        self.pooled = Scatter(
            **self._xy(pos, f.mean),
            size=self._size(f),
            colors=[t.PARTIAL],
            stroke="white",
            **common,
        )
        for mark in (self.own, self.pooled):
            mark.on_element_click(self._clicked)

        step = max(1, int(np.ceil(J * row / _MAX_ROWS_PX))) if forest else 1
        shown = np.arange(0, J, step)
        group_axis = t.axis(
            ps,
            group_name,
            font_scale,
            tick_values=pos[shown],
            tick_labels={t.js_number(pos[j]): names[j] for j in shown},
            **({"side": "left"} if forest else {}),
        )
        names_px = t.text_px(longest, font_scale)
        value_kw = {"side": "left"}
        if forest:  # across the figure values need room for their digits: 1-2-5 ticks
            plot_px = max(150.0, 480 - names_px - 44 * font_scale)
            count = max(2, int(plot_px / (t.text_px(5, font_scale) + 12)))
            step = t.nice_step(vs.max - vs.min, count)
            value_kw = {
                "tick_values": np.arange(np.ceil(vs.min / step), vs.max / step) * step
                + 0.0,  # no "-0"
                "tick_format": ".4~g",
            }
        value_axis = t.axis(vs, value_name, font_scale, **value_kw)
        if forest:
            group_axis.label_offset = f"{names_px + 14 * font_scale:.0f}px"
            left, bottom = (names_px / font_scale) + 44, 52
        else:
            left, bottom = 64, 52
        self.figure = t.figure(
            [self.segments, self.interval, self.rule, self.own, self.pooled],
            [group_axis, value_axis],
            title,
            font_scale,
            animation_duration,
            left=left,
            bottom=bottom,
        )
        entries = [
            ("μ0 (complete pooling)", "line", t.COMPLETE, "dashed"),
            ("y_j (no pooling)", "hollow", t.NONE, ""),
            ("μ_j (partial pooling)", "filled", t.PARTIAL, ""),
        ]
        if interval_legend:
            entries.append(("full Bayes μ_j ± 1 sd", "line", t.EXTRA, "solid"))
        self.legend = t.legend(entries, font_scale)
        self._select({"new": state.selected})
        state.observe(self._draw, "frame")
        state.observe(self._select, "selected")

    def _xy(self, pos, values) -> dict:
        return {"x": values, "y": pos} if self.forest else {"x": pos, "y": values}

    def values(self, mark) -> np.ndarray:
        """The values a mark shows (its x in a forest, else its y)."""
        return getattr(mark, self.value_axis)

    @staticmethod
    def _shown(f) -> np.ndarray:
        """Opacity of each group's own marker and segment: hidden for a group without data
        (its y_j is no estimate then); one 1 when all are shown (bqplot cycles the list)."""
        return np.ones(1) if f.has_data.all() else f.has_data.astype(np.float64)

    def _size(self, f) -> np.ndarray:
        # area grows with precision, capped so a group scaled up does not cover the plot
        return np.minimum(np.nan_to_num(f.precision, posinf=self._pmax), 2 * self._pmax)

    @staticmethod
    def _interval(f) -> np.ndarray:
        return np.column_stack([f.mean - f.sd, f.mean + f.sd])

    def _draw(self, change) -> None:
        f = change["new"]
        size = self._size(f)
        shown = self._shown(f)
        t.update(
            self.segments,
            **self._xy(self._pos2, np.column_stack([f.y, f.mean])),
            opacities=shown.tolist(),
        )
        t.update(self.own, **self._xy(self._pos, f.y), size=size, opacities=shown)
        t.update(self.pooled, **self._xy(self._pos, f.mean), size=size)
        J = len(f.y)
        t.update(self.rule, **self._xy(np.array([-0.6, J - 0.4]), np.array([f.mu0, f.mu0])))
        if f.averaged:
            t.update(self.interval, **self._xy(self._pos2, self._interval(f)), visible=True)
        else:
            t.update(self.interval, visible=False)

    def _select(self, change) -> None:
        for mark in (self.own, self.pooled):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])
