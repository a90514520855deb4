"""Counts against group size: each group's raw rate y_j / n_j (hollow) and its posterior mean
(filled) above its n_j, a segment between them, a dashed rule at the prior mean, a grey dashed
one at the pooled rate, and the selected group's posterior interval. With x = n_j the funnel
shows itself: the most extreme raw rates belong to the smallest groups, and they move most.

And p(log(a + b) | y) (BDA3 section 5.3) with a rule at the slider's a + b and a dashed one at
the empirical-Bayes estimate.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, LogScale, Scatter

from . import _theme as t
from .pooling import log_ticks

_SELECTED = {"stroke": "black", "stroke-width": 3.5}
_LOG_FROM = 10  # a log axis of n_j when the largest group is this many times the smallest
_PLOT_PX = 420  # about the width of the plot area, for the ticks


SIZE_ENTRIES = [
    ("p(log(a + b) | y)", "line", t.EXTRA, "solid"),
    ("a + b of the slider", "line", t.PARTIAL, "solid"),
    ("empirical Bayes a + b", "line", t.REML, "dashed"),
]


def legend_entries(family: str, level: float) -> list:
    """The main figure's legend (also the static picture's)."""
    ratio = "a / (a + b)" if family == "binomial" else "a / b"
    return [
        (f"prior mean {ratio}", "line", t.COMPLETE, "dashed"),
        ("pooled rate Σy/Σn", "line", t.GREY, "dashed"),
        ("raw rate (no pooling)", "hollow", t.NONE, ""),
        ("posterior mean (partial pooling)", "filled", t.PARTIAL, ""),
        (f"{level:.0%} interval, selected group", "line", t.PARTIAL, "solid"),
    ]


class CountsView:
    """Draws a ``CountsState``: x = each group's trials n_j (or exposure; log scale when they
    span more than a factor of 10 and none is 0), y = the rate. Both axes are pinned at
    construction (rates: 0 to above the largest raw rate and the selected interval's end at
    the start) so nothing jumps while the markers glide. Clicking either marker of a group
    selects it (``state.selected``). ``legend``: HTML above the figure."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        size_name="n_j (trials)",
        value_name="rate",
        title="",
    ):
        self.state = state
        f = state.snapshot
        J = len(f.y)
        trials = f.trials
        positive = trials[trials > 0]
        self.log = bool(np.all(trials > 0) and positive.max() > _LOG_FROM * positive.min())
        if self.log:
            lo, hi = positive.min() / 1.25, positive.max() * 1.25
            xs = LogScale(min=float(lo), max=float(hi))
            ticks = log_ticks(lo, hi, _PLOT_PX - 60 * font_scale, t.text_px(5, font_scale))
            # 1k 10k 100k 1M: exposures in the millions fit beside each other
            x_kw = {"tick_values": ticks, "tick_format": ".3~s" if hi >= 1e4 else ".5~g"}
            size_name = f"{size_name}, log scale"
        else:
            hi = float(trials.max()) * 1.06 or 1.0
            lo = -0.04 * hi
            xs = LinearScale(min=lo, max=hi, allow_padding=False)
            step = t.nice_step(hi, 4 if font_scale < 1.3 else 3)
            x_kw = {"tick_values": np.arange(0.0, hi, step), "tick_format": ".5~g"}
        self._x_ends = np.array([lo, hi], dtype=np.float64)
        top = float(np.nanmax(np.r_[f.raw, f.upper, f.pooled, f.prior_mean])) * 1.08 or 1.0
        ys = LinearScale(min=0.0, max=top, allow_padding=False)
        y_ticks = np.arange(0.0, top, t.nice_step(top, 5 if font_scale < 1.3 else 4))
        # room for the longest tick label (small rates have many digits) and the axis label
        chars = max(len(np.format_float_positional(v, precision=3, trim="-")) for v in y_ticks)
        y_label_px = t.text_px(chars, font_scale) + 14 * font_scale
        sc = {"x": xs, "y": ys}
        self._sc = sc
        size = LinearScale(min=-0.2 * float(trials.max()), max=float(trials.max()) or 1.0)
        area = int(np.clip(6000 / J, 24, 360) * font_scale**2)
        common = dict(
            scales={**sc, "size": size},
            default_size=area,
            selected_style=_SELECTED,
            unselected_style={},
        )
        self._x2 = np.column_stack([trials, trials])
        self.segments = Lines(
            x=self._x2,
            y=np.column_stack([self._raw(f), f.mean]),
            scales=sc,
            colors=[t.GREY],
            stroke_width=1.5 * font_scale,
            opacities=self._shown(f).tolist(),
        )
        self.pooled_rule = Lines(
            x=self._x_ends,
            y=np.full(2, f.pooled),
            scales=sc,
            colors=[t.GREY],
            line_style="dashed",
            stroke_width=1.5 * font_scale,
        )
        self.rule = Lines(
            x=self._x_ends,
            y=np.full(2, f.prior_mean),
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        self.interval = Lines(
            **self._interval(f),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=5 * font_scale,
            opacities=[0.5],
        )
        # the hollow marker is filled white: clickable all over, not only on its ring
        self.own = Scatter(
            x=trials,
            y=self._raw(f),
            size=trials,
            colors=["white"],
            stroke=t.NONE,
            stroke_width=2.5 * font_scale,
            opacities=self._shown(f),
            **common,
        )
        self.posterior = Scatter(
            x=trials,
            y=f.mean,
            size=trials,
            colors=[t.PARTIAL],
            stroke="white",
            **common,
        )
        for mark in (self.own, self.posterior):
            mark.on_element_click(self._clicked)
        y_axis = t.axis(
            ys, value_name, font_scale, side="left", tick_format=".3~g", tick_values=y_ticks
        )
        y_axis.label_offset = f"{y_label_px:.0f}px"
        axes = [t.axis(xs, size_name, font_scale, **x_kw), y_axis]
        self.figure = t.figure(
            [self.segments, self.pooled_rule, self.rule, self.own, self.posterior, self.interval],
            axes,
            title,
            font_scale,
            animation_duration,
            left=max(64.0, (y_label_px + 26 * font_scale) / font_scale),
        )
        self.height = 440
        self.legend = t.legend(legend_entries(state.family, f.level), font_scale)
        self._select({"new": state.selected})
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    @staticmethod
    def _shown(f) -> np.ndarray:
        """Opacity of each group's own marker and segment: hidden without trials (no raw
        rate); one 1 when all are shown (bqplot cycles the list)."""
        return np.ones(1) if f.has_data.all() else f.has_data.astype(np.float64)

    @staticmethod
    def _raw(f) -> np.ndarray:
        """The raw rates, a group without trials drawn (hidden) at its posterior mean: an SVG
        path cannot hold nan."""
        return np.where(f.has_data, f.raw, f.mean)

    def _interval(self, f) -> dict:
        x = float(f.trials[self.state.selected])
        return {"x": np.array([x, x]), "y": np.array([f.lower, f.upper])}

    def _draw(self, change) -> None:
        f = change["new"]
        shown = self._shown(f)
        raw = self._raw(f)
        t.update(self.segments, y=np.column_stack([raw, f.mean]), opacities=shown.tolist())
        t.update(self.own, y=raw, opacities=shown)
        t.update(self.posterior, y=f.mean)
        t.update(self.rule, y=np.full(2, f.prior_mean))
        t.update(self.interval, **self._interval(f))

    def _select(self, change) -> None:
        for mark in (self.own, self.posterior):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])


class LogSizeView:
    """Draws ``snapshot.full_bayes.log_size`` / ``log_size_density`` of a ``CountsState`` with
    ``size_posterior`` on: p(log(a + b) | y), a rule at the slider's log(a + b) and a dashed
    one at the empirical-Bayes estimate.

    The axis spans where the density is above 1% of its peak, and grows (to a round number)
    to hold the slider's value when it lies beyond; a + b = 0 and inf (no and complete
    pooling) are drawn at the axis' ends.
    """

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        title="p(log(a + b) | y)",
    ):
        f = state.snapshot
        fb = f.full_bayes
        self._fs = font_scale
        peak = float(fb.log_size_density.max())
        inside = fb.log_size[fb.log_size_density >= 0.01 * peak]
        self._curve = (float(inside.min()), float(inside.max()))
        top = 1.12 * peak
        self._xs = LinearScale(min=self._curve[0], max=self._curve[1], allow_padding=False)
        self._ys = LinearScale(min=0.0, max=top, allow_padding=False)
        sc = {"x": self._xs, "y": self._ys}
        self.curve = Lines(
            x=fb.log_size,
            y=fb.log_size_density,
            scales=sc,
            colors=[t.EXTRA],
            stroke_width=3 * font_scale,
        )
        self.rule = Lines(
            x=np.zeros(2),
            y=np.array([0.0, top]),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=2.5 * font_scale,
        )
        self.eb = Lines(
            x=np.zeros(2),
            y=np.array([0.0, top]),
            scales=sc,
            colors=[t.REML],
            line_style="dashed",
            stroke_width=2.5 * font_scale,
            visible=f.eb_size is not None,
        )
        self._xaxis = t.axis(self._xs, "log(a + b)", font_scale, tick_format=".3~g")
        yaxis = t.axis(
            self._ys,
            "density",
            font_scale,
            side="left",
            tick_format=".2~g",
            tick_values=np.arange(0.0, top, t.nice_step(peak, 2)),
        )
        self.figure = t.figure(
            [self.curve, self.rule, self.eb],
            [self._xaxis, yaxis],
            title,
            font_scale,
            animation_duration,
        )
        self.legend = t.legend(SIZE_ENTRIES, font_scale)
        self._ticks(*self._curve)
        self._draw({"new": f})
        state.observe(self._draw, "snapshot")

    def _ticks(self, lo: float, hi: float) -> None:
        step = t.nice_step(hi - lo, 3 if self._fs > 1.3 else 4)
        ticks = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step + 0.0
        t.update(self._xaxis, tick_values=ticks)

    def _ends(self, w: float) -> tuple[float, float]:
        """The axis: the curve's range, grown to a round number to hold a finite w."""
        lo, hi = self._curve
        if not np.isfinite(w) or lo <= w <= hi:
            return lo, hi
        step = t.nice_step(hi - lo, 4)
        if w < lo:
            return float(np.floor(w / step) * step), hi
        return lo, float(np.ceil(w / step) * step)

    def _draw(self, change) -> None:
        f = change["new"]
        with np.errstate(divide="ignore"):
            w = float(np.log(f.prior_size))
        lo, hi = self._ends(w)
        if (self._xs.min, self._xs.max) != (lo, hi):
            with self._xs.hold_sync():
                self._xs.min, self._xs.max = lo, hi
            self._ticks(lo, hi)
        t.update(self.rule, x=np.full(2, min(max(w, lo), hi)), visible=not f.averaged)
        if f.eb_size is not None:
            t.update(self.eb, x=np.full(2, min(max(float(np.log(f.eb_size)), lo), hi)))
