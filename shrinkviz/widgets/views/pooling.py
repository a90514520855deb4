"""The regression views of a ``PoolingState`` (Gelman & Hill 2007, figures 12.3 and 12.4).

``PanelsView``: small multiples of chosen groups, each with its points and the complete-,
no- and partial-pooling lines. All panels share one figure: panel k is drawn shifted by
whole tick steps, and the axes' ``tick_labels`` show the unshifted values, so each kind of
line is one Lines mark holding every panel (2-D arrays).

``OverviewView``: every group's no- and partial-pooling intercept against n_j (log axis)
with +-1 s.e. bars and a rule at mu_alpha; WebGL marks (bqplot-gl) from ``_gl.GL_FROM``
groups on.
"""

from __future__ import annotations

import numpy as np
from bqplot import ColorScale, Label, LinearScale, Lines, LogScale, Scatter

from . import _gl
from . import _theme as t

LINE_STYLES = {"complete": "dashed", "none": "dotted", "partial": "solid"}
_NAMES = {"complete": "complete pooling", "none": "no pooling", "partial": "partial pooling"}
_COLOURS = {"complete": t.COMPLETE, "none": t.NONE, "partial": t.PARTIAL}
_SELECTED = {"stroke": "black", "stroke-width": 3.5}


class PanelsView:
    """Small multiples of the groups ``panels`` (indices into ``state.labels``), ``ncols``
    to a row. Points beyond the first n_j rows of a group are drawn faint (not used)."""

    def __init__(
        self,
        state,
        panels,
        *,
        ncols=4,
        line_styles=None,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        x_name="x",
        y_name="y",
        title="",
    ):
        self.state, self.panels = state, np.asarray(panels, dtype=np.int64)
        styles = {**LINE_STYLES, **(line_styles or {})}
        P = len(self.panels)
        col, row = np.arange(P) % ncols, np.arange(P) // ncols
        xlo, xhi = float(state.x.min()), float(state.x.max())
        ylo, yhi = float(state.y.min()), float(state.y.max())
        xstep = _two_ticks(xlo, xhi, 1)
        ystep = _two_ticks(ylo, yhi, 4)
        xcell = (xhi - xlo) + xstep  # a panel and the gap to the next
        ycell = (yhi - ylo) + 1.6 * ystep
        self._xoff, self._yoff = col * xcell, -row * ycell
        self._xends = np.array([xlo - 0.15 * xstep, xhi + 0.15 * xstep])

        rows = [np.flatnonzero(state.group == g) for g in self.panels]
        self._rows = np.concatenate(rows)
        self._panel_of_row = np.repeat(np.arange(P), [len(r) for r in rows])
        jitter = np.random.default_rng(0).uniform(-0.06, 0.06, len(self._rows)) * xstep
        k = self._panel_of_row
        xs = LinearScale(min=xlo - 0.5 * xstep, max=xlo - 0.5 * xstep + ncols * xcell)
        # room above the first row for the panel titles
        ys = LinearScale(min=float(self._yoff.min()) + ylo - 0.6 * ystep, max=yhi + 1.2 * ystep)
        sc = {"x": xs, "y": ys}
        f = state.snapshot
        self.points = Scatter(
            x=state.x[self._rows] + jitter + self._xoff[k],
            y=state.y[self._rows] + self._yoff[k],
            color=self._used(f),
            scales={**sc, "color": ColorScale(colors=[t.LIGHT, "#4D4D4D"], min=0, max=1)},
            default_size=int(28 * font_scale**2),
            stroke_width=0,
        )
        self.lines = {
            kind: Lines(
                x=self._xoff[:, None] + self._xends,
                y=ys_,
                opacities=op,
                scales=sc,
                colors=[_COLOURS[kind]],
                line_style=styles[kind],
                stroke_width=2.5 * font_scale,
            )
            for kind, (ys_, op) in self._line_ys(f).items()
        }
        self.legend = t.legend(
            [(_NAMES[k], "line", _COLOURS[k], styles[k]) for k in _NAMES], font_scale
        )
        x0, x1 = xlo - 0.35 * xstep, xhi + 0.35 * xstep
        y0, y1 = ylo - 0.4 * ystep, yhi + 0.4 * ystep
        border = Lines(
            x=self._xoff[:, None] + [x0, x1, x1, x0, x0],
            y=self._yoff[:, None] + [y0, y0, y1, y1, y0],
            scales=sc,
            colors=[t.LIGHT],
            stroke_width=1,
        )
        # a title as wide as its panel at most (panels of a figure about 780 px wide)
        longest = max(len(f"{state.labels[g]} (n = {state.n_max[g]})") for g in self.panels)
        panel_px = 0.85 * (780 - 88 * font_scale) / ncols
        self.titles = Label(
            x=self._xoff + (xlo + xhi) / 2,
            y=self._yoff + yhi + 0.6 * ystep,
            text=self._titles(f),
            scales=sc,
            align="middle",
            default_size=int(min(13 * font_scale, panel_px / t.text_px(longest, 1, 1))),
            font_weight="bold",
            colors=["#333333"],
        )

        xticks, xlabels = _shifted_ticks(self._xoff[:ncols], xlo, xhi, xstep)
        yticks, ylabels = _shifted_ticks(self._yoff[::ncols], ylo, yhi, ystep)
        axes = [
            t.axis(xs, x_name, font_scale, tick_values=xticks, tick_labels=xlabels),
            t.axis(ys, y_name, font_scale, side="left", tick_values=yticks, tick_labels=ylabels),
        ]
        self.figure = t.figure(
            [border, self.points, *self.lines.values(), self.titles],
            axes,
            title,
            font_scale,
            animation_duration,
        )
        state.observe(self._draw, "snapshot")

    def _used(self, f) -> np.ndarray:
        return (self.state.rank[self._rows] < f.fit.n[self.panels][self._panel_of_row]) * 1.0

    def _titles(self, f) -> list[str]:
        return [f"{self.state.labels[g]} (n = {int(f.fit.n[g])})" for g in self.panels]

    def _line_ys(self, f) -> dict[str, tuple[np.ndarray, list[float]]]:
        """y of each kind of line in each panel, and the lines' opacities."""
        fit, g, off = f.fit, self.panels, self._yoff[:, None]
        partial = (
            off + fit.partial_pooling.alpha[g][:, None] + fit.partial_pooling.beta * self._xends
        )
        return {
            "complete": (
                off + (fit.complete_pooling.alpha + fit.complete_pooling.beta * self._xends),
                [],
            ),
            "none": _drawable(
                off + fit.no_pooling.alpha[g][:, None] + fit.no_pooling.beta * self._xends, partial
            ),
            "partial": (partial, []),
        }

    def _draw(self, change) -> None:
        f = change["new"]
        for kind, (ys_, op) in self._line_ys(f).items():
            t.update(self.lines[kind], y=ys_, opacities=op)
        t.update(self.points, color=self._used(f))
        t.update(self.titles, text=np.array(self._titles(f)))


class OverviewView:
    """Every group's intercepts against n_j: no pooling (hollow, +-sqrt(sigma2 / n_j)) and
    partial pooling (filled, +-its conditional sd), with a rule at mu_alpha.

    ``gl`` (``marks``: "auto" from ``_gl.GL_FROM`` groups on, "svg" or "gl"): the markers are
    bqplot-gl marks and each kind of bar one SVG path (``_gl.segments``), on a linear scale
    over log10 n_j (bqplot-gl's scatter has no log scale); the selected group is ringed by
    an SVG mark on top (``highlight``) and clicks come through ``_gl.ClickLayer``.
    """

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        group_name="group",
        y_name="intercept",
        title="",
        marks="auto",
    ):
        self.state = state
        f = state.snapshot
        self.gl = _gl.use_gl(marks, len(state.labels))
        Scatter_ = _gl.scatter_type(self.gl)
        nmax = float(state.n_max.max())
        ends = np.array([0.7, 1.5 * nmax])
        if self.gl:
            xs = LinearScale(min=np.log10(0.7), max=np.log10(1.5 * nmax), allow_padding=False)
        else:
            xs = LogScale(min=0.7, max=1.5 * nmax)
        a, se = f.fit.no_pooling.alpha, f.none_se
        lo, hi = np.nanmin(a - se), np.nanmax(a + se)
        pad = 0.05 * (hi - lo)
        ys = LinearScale(min=lo - pad, max=hi + pad)
        sc = {"x": xs, "y": ys}
        area = int(np.clip(6000 / len(a), 24, 200) * font_scale**2)
        common = dict(scales=sc, default_size=area)
        if not self.gl:  # WebGL marks cannot draw the selected one on top: ``highlight``
            common.update(selected_style=_SELECTED, unselected_style={})
        self.none_bars = Lines(
            **self._none_bars(f),
            scales=sc,
            colors=[t.NONE],
            stroke_width=1.2 * font_scale,
        )
        self._none_of = f.fit.no_pooling  # the fit the no-pooling bars show
        self.partial_bars = Lines(
            **self._partial_bars(f),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=1.2 * font_scale,
        )
        self.rule = Lines(
            x=self._at(ends),
            y=self._rule_y(f),
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        self.no_pooling = Scatter_(
            x=self._at(self._x(f) * 1.06),
            y=self._none_y(f),
            opacities=self._none_opacities(f),
            stroke=t.NONE,
            colors=["white"],
            stroke_width=(1.5 if self.gl else 2) * font_scale,
            **({"fill": False} if self.gl else {}),  # WebGL: a bare ring (see ShrinkageView)
            **common,
        )
        # (the hollow marker is filled white: clickable all over, not only on its ring)
        self.partial_pooling = Scatter_(
            x=self._at(self._x(f)),
            y=f.fit.partial_pooling.alpha,
            colors=[t.PARTIAL],
            stroke=None if self.gl else "white",
            **common,
        )
        marks = [
            self.none_bars,
            self.partial_bars,
            self.rule,
            self.no_pooling,
            self.partial_pooling,
        ]
        if self.gl:
            self.highlight = Scatter(
                **self._highlighted(f, state.selected),
                scales=sc,
                default_size=int(2.5 * area + 60 * font_scale**2),
                colors=["white"],
                fill=False,
                stroke="black",
                stroke_width=3 * font_scale,
            )
            self.clicks = _gl.ClickLayer(xs, ys, self._picked)
            marks += [self.highlight, self.clicks.mark]
        else:
            for mark in (self.no_pooling, self.partial_pooling):
                mark.on_element_click(self._clicked)
        ticks = log_ticks(0.7, 1.5 * nmax, 420 - 88 * font_scale, t.text_px(4, font_scale))
        if self.gl:
            x_ticks = _gl.log_axis_ticks(0.7, 1.5 * nmax, ticks)
        else:
            x_ticks = {"tick_values": ticks, "tick_format": ".0f"}
        axes = [
            t.axis(xs, "n_j (log scale)", font_scale, **x_ticks),
            t.axis(ys, y_name, font_scale, side="left"),
        ]
        self.figure = t.figure(
            marks,
            axes,
            title,
            font_scale,
            animation_duration,
        )
        self.legend = t.legend(
            [
                ("μ_α", "line", t.COMPLETE, "dashed"),
                (f"no pooling (each {group_name} alone) ± 1 se", "hollow", t.NONE, ""),
                ("partial pooling ± 1 sd", "filled", t.PARTIAL, ""),
            ],
            font_scale,
        )
        self._select({"new": state.selected})
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    @staticmethod
    def _x(f) -> np.ndarray:
        return np.maximum(np.asarray(f.fit.n, dtype=np.float64), 0.8)  # n_j = 0 at the left end

    def _at(self, x: np.ndarray) -> np.ndarray:
        """Where n_j = x is drawn: at x on a log scale, at log10(x) on WebGL's linear one."""
        return np.log10(x) if self.gl else x

    def _bar_x(self, f, shift: float) -> np.ndarray:
        x = self._at(self._x(f) * shift)
        return np.column_stack([x, x])

    def _highlighted(self, f, j: int) -> dict:
        """x and y of the ring around the selected group's two markers."""
        x = self._at(self._x(f)[j] * np.array([1.06, 1.0]))
        return {"x": x, "y": np.array([self._none_y(f)[j], f.fit.partial_pooling.alpha[j]])}

    @staticmethod
    def _none_y(f) -> np.ndarray:
        # a group without rows has no no-pooling intercept (nan): drawn hidden at mu_alpha,
        # since an SVG position cannot be nan
        a = f.fit.no_pooling.alpha
        return np.where(np.isnan(a), f.fit.partial_pooling.mu_alpha, a)

    @staticmethod
    def _none_opacities(f) -> np.ndarray:
        missing = np.isnan(f.fit.no_pooling.alpha)
        return 1.0 - missing if missing.any() else np.ones(1)  # bqplot cycles opacities

    def _none_bars(self, f) -> dict:
        return self._bars_of(f, 1.06, f.fit.no_pooling.alpha, f.none_se)

    def _partial_bars(self, f) -> dict:
        return self._bars_of(f, 1.0, f.fit.partial_pooling.alpha, f.partial_sd)

    def _bars_of(self, f, shift: float, a, se) -> dict:
        """x, y (and opacities for SVG) of +-1 se bars; a bar that is not finite is not
        drawn (SVG: moved to mu_alpha and transparent; WebGL: NaN, a break in the line)."""
        x, y = self._bar_x(f, shift), self._bars(a, se)
        if self.gl:
            y = np.where(np.isfinite(y).all(axis=1)[:, None], y, np.nan)
            # one SVG path above the WebGL markers: light, not to hide them
            return {**_gl.segments(x, y, gl=True), "opacities": [0.5]}
        y, opacities = _drawable(y, f.fit.partial_pooling.mu_alpha)
        return {"x": x, "y": y, "opacities": opacities}

    @staticmethod
    def _bars(a, se) -> np.ndarray:
        return np.column_stack([a - se, a + se])

    @staticmethod
    def _rule_y(f) -> np.ndarray:
        return np.full(2, float(f.fit.partial_pooling.mu_alpha))

    def _draw(self, change) -> None:
        f = change["new"]
        x = self._x(f)
        if f.fit.no_pooling is not self._none_of:  # a tau2 move keeps the no-pooling fit
            t.update(self.none_bars, **self._none_bars(f))
            self._none_of = f.fit.no_pooling
        t.update(self.partial_bars, **self._partial_bars(f))
        t.update(self.rule, y=self._rule_y(f))
        t.update(
            self.no_pooling,
            x=self._at(x * 1.06),
            y=self._none_y(f),
            opacities=self._none_opacities(f),
        )
        t.update(self.partial_pooling, x=self._at(x), y=f.fit.partial_pooling.alpha)
        if self.gl:
            t.update(self.highlight, **self._highlighted(f, self.state.selected))

    def _select(self, change) -> None:
        if self.gl:
            t.update(self.highlight, **self._highlighted(self.state.snapshot, change["new"]))
            return
        for mark in (self.no_pooling, self.partial_pooling):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])

    def _picked(self, x: float, y: float) -> None:
        """A click on the WebGL figure at (x, y): select the group of the nearest marker."""
        xs, ys = self.figure.axes[0].scale, self.figure.axes[1].scale
        points = [(m.x, m.y) for m in (self.no_pooling, self.partial_pooling)]
        j = _gl.nearest(x, y, xs, ys, points)
        if j is not None:
            self.state.selected = j


def _drawable(rows: np.ndarray, fill) -> tuple[np.ndarray, list[float]]:
    """Lines rows that are not finite (a group without rows has no no-pooling line, and at
    tau2 = inf an infinite partial-pooling sd) moved to ``fill`` and made transparent, since
    an SVG path cannot be nan; and the lines' opacities."""
    missing = ~np.isfinite(rows).all(axis=1)
    if not missing.any():
        return rows, []
    return np.where(missing[:, None], fill, rows), np.where(missing, 0.0, 1.0).tolist()


def log_ticks(lo: float, hi: float, width_px: float, label_px: float) -> np.ndarray:
    """Ticks of a log axis over [lo, hi] drawn ``width_px`` wide: 1-2-5 per decade, or 1-3,
    or decades only, whichever keeps labels of ``label_px`` apart."""
    per_decade = width_px / np.log10(hi / lo)
    decades = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = np.sort(np.outer(decades, mantissas).ravel())
        ticks = ticks[(ticks >= lo) & (ticks <= hi)]
        if len(ticks) < 2 or np.diff(np.log10(ticks)).min() * per_decade > 1.2 * label_px:
            return ticks
    return ticks


def _two_ticks(lo: float, hi: float, count: int) -> float:
    """A 1-2-5 step for about ``count`` ticks over [lo, hi], smaller if fewer than two
    multiples of it fall inside (hours 1-8 with a step of 5 would show "5" alone)."""
    for k in range(count, count + 8):
        step = t.nice_step(hi - lo, k)
        if np.floor(hi / step) - np.ceil(lo / step) >= 1:
            break
    return step


def _shifted_ticks(offsets: np.ndarray, lo: float, hi: float, step: float):
    """Tick values of every panel (its offset + the 1-2-5 ticks over [lo, hi]) and labels
    showing the unshifted value, keyed as JavaScript prints the number."""
    base = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step
    values = (offsets[:, None] + base).ravel()
    return values, {
        t.js_number(v): f"{b:g}" for v, b in zip(values, np.tile(base, len(offsets)), strict=True)
    }
