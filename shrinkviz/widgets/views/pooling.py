"""The regression views of a ``PoolingState`` (Gelman & Hill 2007, figures 12.3 and 12.4).

``PanelsView``: small multiples of chosen groups, each with its points and the complete-,
no- and partial-pooling lines. All panels share one figure: panel k is drawn shifted by
whole tick steps, and the axes' ``tick_labels`` show the unshifted values, so each kind of
line is one Lines mark holding every panel (2-D arrays).

``OverviewView``: every group's no- and partial-pooling intercept against n_j (log axis)
with +-1 s.e. bars and a rule at mu_alpha.
"""

from __future__ import annotations

import numpy as np
from bqplot import ColorScale, Label, LinearScale, Lines, LogScale, Scatter

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
        f = state.frame
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
        frame = Lines(
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
            [frame, self.points, *self.lines.values(), self.titles],
            axes,
            title,
            font_scale,
            animation_duration,
        )
        state.observe(self._draw, "frame")

    def _used(self, f) -> np.ndarray:
        return (self.state.rank[self._rows] < f.fit.n[self.panels][self._panel_of_row]) * 1.0

    def _titles(self, f) -> list[str]:
        return [f"{self.state.labels[g]} (n = {int(f.fit.n[g])})" for g in self.panels]

    def _line_ys(self, f) -> dict[str, tuple[np.ndarray, list[float]]]:
        """y of each kind of line in each panel, and the lines' opacities."""
        fit, g, off = f.fit, self.panels, self._yoff[:, None]
        partial = off + fit.partial.alpha[g][:, None] + fit.partial.beta * self._xends
        return {
            "complete": (off + (fit.complete.alpha + fit.complete.beta * self._xends), []),
            "none": _drawable(
                off + fit.none.alpha[g][:, None] + fit.none.beta * self._xends, partial
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
    partial pooling (filled, +-its conditional sd), with a rule at mu_alpha."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        group_name="group",
        y_name="intercept",
        title="",
    ):
        self.state = state
        f = state.frame
        nmax = float(state.n_max.max())
        xs = LogScale(min=0.7, max=1.5 * nmax)
        a, se = f.fit.none.alpha, f.none_se
        lo, hi = np.nanmin(a - se), np.nanmax(a + se)
        pad = 0.05 * (hi - lo)
        ys = LinearScale(min=lo - pad, max=hi + pad)
        sc = {"x": xs, "y": ys}
        area = int(np.clip(6000 / len(a), 24, 200) * font_scale**2)
        common = dict(scales=sc, default_size=area, selected_style=_SELECTED, unselected_style={})
        none_y, none_op = self._none_bars(f)
        self.none_bars = Lines(
            x=self._bar_x(f, 1.06),
            y=none_y,
            opacities=none_op,
            scales=sc,
            colors=[t.NONE],
            stroke_width=1.2 * font_scale,
        )
        partial_y, partial_op = self._partial_bars(f)
        self.partial_bars = Lines(
            x=self._bar_x(f, 1.0),
            y=partial_y,
            opacities=partial_op,
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=1.2 * font_scale,
        )
        self.rule = Lines(
            x=np.array([0.7, 1.5 * nmax]),
            y=self._rule_y(f),
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        self.none = Scatter(
            x=self._x(f) * 1.06,
            y=self._none_y(f),
            opacities=self._none_opacities(f),
            stroke=t.NONE,
            colors=["white"],
            stroke_width=2 * font_scale,
            **common,
        )
        # (the hollow marker is filled white: clickable all over, not only on its ring)
        self.partial = Scatter(
            x=self._x(f), y=f.fit.partial.alpha, colors=[t.PARTIAL], stroke="white", **common
        )
        for mark in (self.none, self.partial):
            mark.on_element_click(self._clicked)
        ticks = log_ticks(0.7, 1.5 * nmax, 420 - 88 * font_scale, t.text_px(4, font_scale))
        axes = [
            t.axis(xs, "n_j (log scale)", font_scale, tick_values=ticks, tick_format=".0f"),
            t.axis(ys, y_name, font_scale, side="left"),
        ]
        self.figure = t.figure(
            [self.none_bars, self.partial_bars, self.rule, self.none, self.partial],
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
        state.observe(self._draw, "frame")
        state.observe(self._select, "selected")

    @staticmethod
    def _x(f) -> np.ndarray:
        return np.maximum(np.asarray(f.fit.n, dtype=np.float64), 0.8)  # n_j = 0 at the left end

    def _bar_x(self, f, shift: float) -> np.ndarray:
        x = self._x(f) * shift
        return np.column_stack([x, x])

    @staticmethod
    def _none_y(f) -> np.ndarray:
        # a group without rows has no no-pooling intercept (nan): drawn hidden at mu_alpha,
        # since an SVG position cannot be nan
        a = f.fit.none.alpha
        return np.where(np.isnan(a), f.fit.partial.mu_alpha, a)

    @staticmethod
    def _none_opacities(f) -> np.ndarray:
        missing = np.isnan(f.fit.none.alpha)
        return 1.0 - missing if missing.any() else np.ones(1)  # bqplot cycles opacities

    def _none_bars(self, f) -> tuple[np.ndarray, list[float]]:
        return _drawable(self._bars(f.fit.none.alpha, f.none_se), f.fit.partial.mu_alpha)

    def _partial_bars(self, f) -> tuple[np.ndarray, list[float]]:
        return _drawable(self._bars(f.fit.partial.alpha, f.partial_sd), f.fit.partial.mu_alpha)

    @staticmethod
    def _bars(a, se) -> np.ndarray:
        return np.column_stack([a - se, a + se])

    @staticmethod
    def _rule_y(f) -> np.ndarray:
        return np.full(2, float(f.fit.partial.mu_alpha))

    def _draw(self, change) -> None:
        f = change["new"]
        x = self._x(f)
        none_y, none_op = self._none_bars(f)
        t.update(self.none_bars, x=self._bar_x(f, 1.06), y=none_y, opacities=none_op)
        partial_y, partial_op = self._partial_bars(f)
        t.update(self.partial_bars, x=self._bar_x(f, 1.0), y=partial_y, opacities=partial_op)
        t.update(self.rule, y=self._rule_y(f))
        t.update(self.none, x=x * 1.06, y=self._none_y(f), opacities=self._none_opacities(f))
        t.update(self.partial, x=x, y=f.fit.partial.alpha)

    def _select(self, change) -> None:
        for mark in (self.none, self.partial):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])


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
