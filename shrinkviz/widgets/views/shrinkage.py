"""Groups on a number line: own estimate y_j (hollow), partial-pooling mu_j (filled), the
segment between them and a rule at mu0. Marker area grows with the precision 1 / v_j.

With few groups whose names fit side by side, the groups run along the horizontal axis; with
more (or longer names, or a larger ``font_scale``) the figure turns forest style: one row per
group, names on the vertical axis, values along the horizontal one. Beyond the rows that fit,
the names are thinned to every k-th group, never drawn on top of each other.

With many groups (``_gl.GL_FROM`` and more) no name can be read: the figure is a funnel, the
group's n_j (group data) or precision 1 / v_j (study data) on a log axis across and the
values up, so that the smallest groups, pulled hardest, sit at the left. Its marks are then
WebGL (bqplot-gl) unless ``marks="svg"``.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from . import _gl
from . import _theme as t
from .pooling import log_ticks

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
    ``funnel`` (from ``_gl.GL_FROM`` groups on) puts x = log10 of n_j or of 1 / v_j, as the
    data gave them (not scaled by ``n_scale``); ``gl`` says whether the marks are WebGL
    (``marks``: "auto", "svg" or "gl"), and a WebGL figure marks the selected group with an
    SVG ring on top (``highlight``) and takes clicks through ``_gl.ClickLayer``.
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
        marks="auto",
    ):
        self.state = state
        f = state.snapshot
        J = len(f.y)
        self.gl = _gl.use_gl(marks, J)
        self.funnel = J >= _gl.GL_FROM
        Scatter_ = _gl.scatter_type(self.gl)
        names = [g if len(g) <= _MAX_NAME else g[: _MAX_NAME - 1] + "…" for g in state.labels]
        longest = max(len(g) for g in names)
        if forest is None:
            forest = not self.funnel and J * (t.text_px(longest, font_scale) + 10) > _NAMES_PX
        self.forest = bool(forest) and not self.funnel
        forest = self.forest
        self.value_axis = "x" if forest else "y"
        if self.funnel:
            across = state.n if state.is_group_data else 1.0 / state.v_data
            ps, pos = self._funnel_scale(across)
        else:
            # group j at position J - 1 - j in a forest (the first group on top), else at j
            pos = (J - 1 - np.arange(J) if forest else np.arange(J)).astype(np.float64)
            ps = LinearScale(min=-0.6, max=J - 0.4, allow_padding=False)
        self._pos, self._pos2 = pos, np.column_stack([pos, pos])
        lo, hi = min(f.y.min(), f.mu0), max(f.y.max(), f.mu0)
        pad = 0.08 * (hi - lo or 1.0)
        vs = LinearScale(min=lo - pad, max=hi + pad, allow_padding=False)
        self._sc = {"x": vs, "y": ps} if forest else {"x": ps, "y": vs}
        row = _ROW_PX * font_scale
        self.height = int(min(J * row, _MAX_ROWS_PX) + (16 + 56) * font_scale) if forest else 460
        finite = f.precision[np.isfinite(f.precision)]
        self._pmax = 2.0 * float(finite.max()) if finite.size else 1.0
        size = LinearScale(min=-0.2 * self._pmax, max=self._pmax)
        slot = min(row if forest else 1e9, (_MAX_ROWS_PX if forest else _NAMES_PX) / J * 2.2)
        if self.funnel:  # precision is across already: every marker of one size
            slot, self._sized = 1e9, {}
        else:
            self._sized = {"size": self._size(f)}
        area = int(min(np.clip(6000 / J, 24, 420) * font_scale**2, (0.9 * slot) ** 2))
        if self.funnel:  # thousands of markers: small, but each still a visible ring or dot
            area = int(np.clip(2e5 / J, 20, 60) * font_scale**2)
        common = dict(scales={**self._sc, "size": size}, default_size=area, **self._sized)
        if not self.gl:  # WebGL marks cannot draw the selected one on top: ``highlight``
            common.update(selected_style=_SELECTED, unselected_style={})

        self.segments = Lines(
            **self._own_segments(f),
            scales=self._sc,
            colors=[t.GREY],
            stroke_width=1.5 * font_scale,
        )
        self.interval = Lines(
            **self._segments(self._interval(f)),
            scales=self._sc,
            colors=[t.EXTRA],
            stroke_width=3 * font_scale,
            visible=False,
        )
        self._ends = np.array([ps.min, ps.max]) if self.funnel else np.array([-0.6, J - 0.4])
        self.rule = Lines(
            **self._xy(self._ends, np.array([f.mu0, f.mu0])),
            scales=self._sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        # the hollow marker is filled white: clickable all over, not only on its ring; on
        # WebGL (clicks come from the layer on top) a bare ring, so that thousands of them
        # do not hide each other and the filled markers
        self.own = Scatter_(
            **self._xy(pos, f.y),
            colors=["white"],
            stroke=t.NONE,
            stroke_width=(1.5 if self.gl else 2.5) * font_scale,
            opacities=self._shown(f),
            **({"fill": False} if self.gl else {}),
            **common,
        )
        self.pooled = Scatter_(
            **self._xy(pos, f.mean),
            colors=[t.PARTIAL],
            stroke=None if self.gl else "white",
            **common,
        )
        marks = [self.segments, self.interval, self.rule, self.own, self.pooled]
        if self.gl:
            self.highlight = Scatter(
                **self._highlighted(f, state.selected),
                scales=self._sc,
                default_size=int(2.5 * area + 60 * font_scale**2),
                colors=["white"],
                fill=False,
                stroke="black",
                stroke_width=3 * font_scale,
            )
            self.clicks = _gl.ClickLayer(*self._sc.values(), self._picked)
            marks += [self.highlight, self.clicks.mark]
        else:
            for mark in (self.own, self.pooled):
                mark.on_element_click(self._clicked)

        if self.funnel:
            ticks = log_ticks(
                10**ps.min, 10**ps.max, 420 - 88 * font_scale, t.text_px(5, font_scale)
            )
            across_name = "n_j" if state.is_group_data else "precision 1/v_j"
            group_axis = t.axis(
                ps,
                f"{across_name} of each {group_name} (log scale)",
                font_scale,
                **_gl.log_axis_ticks(10**ps.min, 10**ps.max, ticks),
            )
        else:
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
            marks,
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
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    @staticmethod
    def _funnel_scale(across) -> tuple[LinearScale, np.ndarray]:
        """The scale across a funnel (linear over log10 of ``across``: bqplot-gl's scatter
        draws on linear scales only) and each group's position on it; a group without data
        (``across`` = 0) at the left end."""
        across = np.asarray(across, dtype=np.float64)
        some = across[across > 0]
        lo, hi = np.log10(some.min()), np.log10(some.max())
        pad = 0.05 * (hi - lo or 1.0)
        with np.errstate(divide="ignore"):
            pos = np.where(across > 0, np.log10(across), lo - pad / 2)
        return LinearScale(min=lo - pad, max=hi + pad, allow_padding=False), pos

    def _xy(self, pos, values) -> dict:
        return {"x": values, "y": pos} if self.forest else {"x": pos, "y": values}

    def _own_segments(self, f) -> dict:
        """The segments from y_j to mu_j; a group without data has none (SVG: transparent,
        one path per group; WebGL figures: left out of their one path)."""
        values2 = np.column_stack([f.y, f.mean])
        if self.gl:  # the one path is SVG, above the WebGL markers: light, not to hide them
            seg = self._segments(np.where(f.has_data[:, None], values2, np.nan))
            return {**seg, "opacities": [0.5]}
        return {**self._segments(values2), "opacities": self._shown(f).tolist()}

    def _segments(self, values2) -> dict:
        """x and y of a Lines mark of one segment per group (``_gl.segments``)."""
        return _gl.segments(**self._xy(self._pos2, values2), gl=self.gl)

    def _highlighted(self, f, j: int) -> dict:
        """x and y of the ring around the selected group's two markers."""
        return self._xy(np.full(2, self._pos[j]), np.array([f.y[j], f.mean[j]]))

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
        size = {"size": self._size(f)} if self._sized else {}
        shown = self._shown(f)
        if self.funnel and self.state.is_group_data:  # n_j moved: the group moves across
            pos = self._funnel_scale(self.state.n)[1]
            self._pos, self._pos2 = pos, np.column_stack([pos, pos])
        t.update(self.segments, **self._own_segments(f))
        t.update(self.own, **self._xy(self._pos, f.y), **size, opacities=shown)
        t.update(self.pooled, **self._xy(self._pos, f.mean), **size)
        t.update(self.rule, **self._xy(self._ends, np.array([f.mu0, f.mu0])))
        if f.averaged:
            t.update(self.interval, **self._segments(self._interval(f)), visible=True)
        else:
            t.update(self.interval, visible=False)
        if self.gl:
            t.update(self.highlight, **self._highlighted(f, self.state.selected))

    def _select(self, change) -> None:
        if self.gl:
            t.update(self.highlight, **self._highlighted(self.state.snapshot, change["new"]))
            return
        for mark in (self.own, self.pooled):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])

    def _picked(self, x: float, y: float) -> None:
        """A click on a WebGL figure at (x, y): select the group of the nearest marker."""
        points = [(m.x, m.y) for m in (self.own, self.pooled)]
        j = _gl.nearest(x, y, *self._sc.values(), points)
        if j is not None:
            self.state.selected = j
