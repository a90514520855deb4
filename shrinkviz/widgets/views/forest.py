"""A forest plot: one row per study, with its own estimate y_i and interval (hollow, no pooling)
above its partial-pooling estimate and interval (filled), a grey segment between the two
estimates; the pooled mu as a diamond (its confidence interval) with the prediction interval
as a bar under it, and a dashed rule at mu. A left-out study is greyed and has no partial-
pooling estimate; the diamond of all studies stays as a dotted outline, so the move shows.

Also the "tau2 by estimator" strip: one row per estimator of tau2 with a tick (marker) at its
value and a rule at the tau2 in use.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from ...model.forest import ESTIMATOR_NAMES, TRANSFORMS
from . import _theme as t

_ROW_PX = 1.6 * 13  # height of a study row at font_scale 1
_MAX_ROWS_PX = 760  # tallest plot area; more studies than fit have thinned names
_MAX_NAME = 22  # longer names end in an ellipsis
_OFF = 0.18  # own estimate above, partial pooling below the row's centre
_OUT = 0.3  # opacity of a left-out study
_DIAMOND, _PI = 1.0, 0.0  # rows of the summary diamond and of the prediction interval
_SELECTED = {"stroke": "black", "stroke-width": 3.5}


def short(name: str) -> str:
    return name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1] + "…"


def value_ticks(lo: float, hi: float, count: int, transform: str | None):
    """Tick positions on the effect's scale and their labels (back-transformed values)."""
    if transform is None:
        step = t.nice_step(hi - lo, count)
        values = np.arange(np.ceil(lo / step), hi / step + 1e-9) * step + 0.0
        return values, None
    f = TRANSFORMS[transform]
    if transform == "exp":  # ratios: 1-2-5 and their reciprocals, evenly on the log scale
        mags = 10.0 ** np.arange(-4, 5)
        cands = np.unique(np.r_[mags, 2 * mags, 5 * mags, 1 / (2 * mags), 1 / (5 * mags)])
        values = np.log(cands[(np.log(cands) >= lo) & (np.log(cands) <= hi)])
        while len(values) > count:  # keep 1 (log 0) and thin around it
            zero = int(np.argmin(np.abs(values)))
            values = values[(np.arange(len(values)) - zero) % 2 == 0]
    else:  # tanh, ilogit: even steps of the back-transformed value
        a, b = float(f(lo)), float(f(hi))
        step = t.nice_step(b - a, count)
        backs = np.arange(np.ceil(a / step), b / step + 1e-9) * step + 0.0
        inverse = np.arctanh if transform == "tanh" else lambda p: np.log(p / (1 - p))
        with np.errstate(divide="ignore"):
            values = inverse(
                np.clip(backs, -1 + 1e-12, 1 - 1e-12) if transform == "tanh" else backs
            )
        values = values[np.isfinite(values)]
    labels = {t.js_number(x): f"{float(f(x)):.3g}" for x in values}
    return values, labels


class ForestView:
    """Draws a ``ForestState``: every mark holds all k studies (lines as k x 2 arrays), so a
    move sends at most one message per mark. Clicking a study's marker calls ``on_click(j)``.

    The value axis is pinned at construction to the studies' intervals, the partial-pooling
    intervals and the prediction interval of all studies; rows follow ``snapshot.order``.
    ``transform`` ("exp", "tanh", "ilogit" or None) back-transforms the tick labels only.
    ``max_rows_px``: the tallest plot area; beyond the rows that fit, names are thinned.
    """

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        study_name="study",
        value_name="effect",
        transform=None,
        title="",
        on_click=None,
        max_rows_px=_MAX_ROWS_PX,
    ):
        self.state, self._fs = state, font_scale
        self._rows_px = max_rows_px
        f = state.snapshot
        fo = f.forest
        k = len(f.y)
        self._k = k
        names = [short(g) for g in state.labels]
        self._names = names
        self._longest = max(max(len(g) for g in names), len(self._summary_name(f)))
        self._on_click = on_click
        lo = min(fo.ci_lb.min(), np.nanmin(fo.pred_lb), fo.fit.pi_lb)
        hi = max(fo.ci_ub.max(), np.nanmax(fo.pred_ub), fo.fit.pi_ub)
        pad = 0.04 * (hi - lo)
        self._ps = LinearScale(min=-0.6, max=k + 1.6, allow_padding=False)
        self._vs = LinearScale(min=lo - pad, max=hi + pad, allow_padding=False)
        sc = {"x": self._vs, "y": self._ps}
        row = _ROW_PX * font_scale
        self.height = int(min((k + 2.2) * row, max_rows_px) + (16 + 58) * font_scale)
        self._pmax = float((1 / f.v).max())
        slot = min(row, max_rows_px / (k + 2))  # two markers a row: each in about half
        area = int(min(np.clip(4000 / k, 30, 260) * font_scale**2, (0.55 * slot) ** 2))
        size = LinearScale(min=-0.25 * self._pmax, max=self._pmax)
        points = dict(scales={**sc, "size": size}, default_size=area)
        sw = font_scale

        self.zero = Lines(
            x=np.zeros(2),
            y=np.array([-0.6, k + 1.6]),
            scales=sc,
            colors=[t.LIGHT],
            stroke_width=1.5 * sw,
        )
        self.rule = Lines(
            x=np.zeros(2),
            y=np.array([1.5, k + 1.6]),
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=1.5 * sw,
        )
        self.own_ci = Lines(
            x=np.zeros((k, 2)), y=np.zeros((k, 2)), scales=sc, colors=[t.NONE], stroke_width=2 * sw
        )
        self.pred_ci = Lines(
            x=np.zeros((k, 2)),
            y=np.zeros((k, 2)),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=3 * sw,
        )
        self.segments = Lines(
            x=np.zeros((k, 2)),
            y=np.zeros((k, 2)),
            scales=sc,
            colors=[t.GREY],
            stroke_width=1.2 * sw,
        )
        # the hollow marker is filled white: clickable all over, not only on its ring
        self.own = Scatter(
            x=f.y,
            y=np.zeros(k),
            colors=["white"],
            stroke=t.NONE,
            stroke_width=2.2 * sw,
            size=1 / f.v,
            selected_style=_SELECTED,
            unselected_style={},
            **points,
        )
        self.pooled = Scatter(
            x=f.y,
            y=np.zeros(k),
            colors=[t.PARTIAL],
            stroke="white",
            size=1 / f.v,
            selected_style=_SELECTED,
            unselected_style={},
            **points,
        )
        self.before = Lines(
            x=np.zeros(5),
            y=np.zeros(5),
            scales=sc,
            colors=[t.GREY],
            line_style="dotted",
            stroke_width=2.5 * sw,
            visible=False,
        )
        self.diamond = Lines(
            x=np.zeros(5),
            y=np.zeros(5),
            scales=sc,
            colors=[t.COMPLETE],
            fill="inside",
            fill_colors=[t.COMPLETE],
            fill_opacities=[0.85],
            stroke_width=1.5 * sw,
        )
        self.pi = Lines(
            x=np.zeros((3, 2)),
            y=np.zeros((3, 2)),
            scales=sc,
            colors=[t.COMPLETE],
            stroke_width=2.5 * sw,
        )
        for mark in (self.own, self.pooled):
            mark.on_element_click(self._clicked)

        names_px = t.text_px(self._longest, font_scale)
        self._paxis = t.axis(self._ps, study_name, font_scale, side="left")
        self._paxis.label_offset = f"{names_px + 14 * font_scale:.0f}px"
        plot_px = max(200.0, 640 - names_px - 44 * font_scale)
        count = max(2, int(plot_px / (t.text_px(5, font_scale) + 14)))
        values, labels = value_ticks(self._vs.min, self._vs.max, count, transform)
        kw = {"tick_values": values}
        kw.update({"tick_labels": labels} if labels else {"tick_format": ".3~g"})
        self._vaxis = t.axis(self._vs, value_name, font_scale, **kw)
        self.figure = t.figure(
            [
                self.zero,
                self.rule,
                self.segments,
                self.own_ci,
                self.pred_ci,
                self.diamond,
                self.before,
                self.pi,
                self.own,
                self.pooled,
            ],
            [self._paxis, self._vaxis],
            title,
            font_scale,
            animation_duration,
            left=names_px / font_scale + 44,
            bottom=52,
        )
        self.legend = t.legend(
            [
                ("y_i and 95% CI (no pooling)", "hollow", t.NONE, ""),
                ("θ_i and interval (partial pooling)", "filled", t.PARTIAL, ""),
                ("μ (diamond: its CI; bar: prediction interval)", "line", t.COMPLETE, "dashed"),
            ],
            font_scale,
        )
        self._names_key = None  # what the names say
        self._reference = (None, False)  # the all-studies fit ``before`` shows, and if shown
        self._order = self._rows = None  # the order of the rows and the y of each mark in it
        self._draw({"new": f})
        self._select({"new": state.selected})
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    @staticmethod
    def _summary_name(f) -> str:
        return "RE model" if f.method != "EE" else "EE model"

    def positions(self, f) -> np.ndarray:
        """Row of each study (the first of ``snapshot.order`` on top)."""
        pos = np.empty(self._k)
        pos[f.order] = self._k + 1 - np.arange(self._k)
        return pos

    def _rows_of(self, f) -> dict:
        """The y of each mark for the rows in ``f.order`` (the same arrays while the order
        stays, so a move leaves them unsent without comparing them)."""
        if f.order is not self._order:
            pos = self.positions(f)
            up, down = pos + _OFF, pos - _OFF
            self._rows = {
                "pos": pos,
                "up": up,
                "down": down,
                "own_ci": np.column_stack([up, up]),
                "pred_ci": np.column_stack([down, down]),
                "segments": np.column_stack([up, down]),
            }
            self._order = f.order
        return self._rows

    def _draw(self, change) -> None:
        f = change["new"]
        fo, fit = f.forest, f.forest.fit
        k, kept = self._k, fo.kept
        rows = self._rows_of(f)
        pos, up, down = rows["pos"], rows["up"], rows["down"]
        # a left-out study has no partial-pooling estimate: drawn at its own, invisible
        pred = np.where(kept, fo.pred, f.y)
        pred_lb = np.where(kept, fo.pred_lb, f.y)
        pred_ub = np.where(kept, fo.pred_ub, f.y)
        faded = np.where(kept, 1.0, _OUT)
        hidden = kept.astype(np.float64)
        t.update(
            self.own_ci,
            x=np.column_stack([fo.ci_lb, fo.ci_ub]),
            y=rows["own_ci"],
            opacities=faded.tolist(),
        )
        t.update(
            self.pred_ci,
            x=np.column_stack([pred_lb, pred_ub]),
            y=rows["pred_ci"],
            opacities=hidden.tolist(),
        )
        t.update(
            self.segments,
            x=np.column_stack([f.y, pred]),
            y=rows["segments"],
            opacities=hidden.tolist(),
        )
        t.update(self.own, y=up, opacities=faded)
        t.update(self.pooled, x=pred, y=down, opacities=hidden)
        t.update(self.rule, x=np.array((fit.mu, fit.mu)))
        t.update(self.diamond, **self._diamond(fit))
        # the fit with every study in (cached: the same object while it stays)
        reference = (f.reference, f.reference is not fo)
        if reference[0] is not self._reference[0] or reference[1] != self._reference[1]:
            t.update(self.before, **self._diamond(f.reference.fit), visible=reference[1])
            self._reference = reference
        caps = 0.22
        t.update(
            self.pi,
            x=np.array([[fit.pi_lb, fit.pi_ub], [fit.pi_lb] * 2, [fit.pi_ub] * 2]),
            y=np.array([[_PI, _PI], [_PI - caps, _PI + caps], [_PI - caps, _PI + caps]]),
        )
        names_key = (f.order.tobytes(), self._summary_name(f))  # what the study axis says
        if names_key != self._names_key:
            rows_fit = self._rows_px / (_ROW_PX * self._fs) - 2.2  # rows whose names fit
            shown = np.arange(0, k, max(1, int(np.ceil(k / max(rows_fit, 1.0)))))
            named = f.order[shown]
            ticks = {t.js_number(pos[j]): self._names[j] for j in named}
            ticks[t.js_number(_DIAMOND)] = self._summary_name(f)
            ticks[t.js_number(_PI)] = "prediction"
            t.update(self._paxis, tick_values=np.r_[pos[named], _DIAMOND, _PI], tick_labels=ticks)
            self._names_key = names_key

    @staticmethod
    def _diamond(fit) -> dict:
        h = 0.38
        return dict(
            x=np.array([fit.ci_lb, fit.mu, fit.ci_ub, fit.mu, fit.ci_lb]),
            y=np.array([_DIAMOND, _DIAMOND + h, _DIAMOND, _DIAMOND - h, _DIAMOND]),
        )

    def _select(self, change) -> None:
        for mark in (self.own, self.pooled):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        if self._on_click is not None:
            self._on_click(int(event["data"]["index"]))


class EstimatorsView:
    """tau2 of each estimator on the kept studies (``snapshot.estimates``): one row each, a
    marker at its value (filled orange for the estimator in use, else hollow grey), and a
    rule at the tau2 in use. Clicking a marker calls ``on_click(method)``.

    The tau2 axis starts at the estimates of all studies and grows (to a round number) when
    an estimate or the tau2 in use lies beyond it; it never shrinks, so it does not jump."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        title="τ² by estimator",
        on_click=None,
    ):
        f = state.snapshot
        m = len(ESTIMATOR_NAMES)
        self._fs, self._on_click = font_scale, on_click
        end = self._end(max(f.estimates.values()) * 1.25 or 1.0)
        # a little room left of 0, so that EE's marker at 0 shows whole
        self._xs = LinearScale(min=-0.04 * end, max=end, allow_padding=False)
        self._ys = LinearScale(min=-0.7, max=m - 0.3, allow_padding=False)
        sc = {"x": self._xs, "y": self._ys}
        self._pos = (m - 1 - np.arange(m)).astype(np.float64)
        row = 1.45 * 13 * font_scale
        self.height = int(m * row + (16 + 58) * font_scale) + (int(34 * font_scale) if title else 0)
        area = int(90 * font_scale**2)
        self.used = Lines(
            x=np.zeros(2),
            y=np.array([-0.7, m - 0.3]),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=2.5 * font_scale,
        )
        self.ticks = Scatter(
            x=np.zeros(m),
            y=self._pos,
            scales=sc,
            colors=["white"],
            stroke=t.GREY,
            stroke_width=2 * font_scale,
            default_size=area,
        )
        self.chosen = Scatter(
            x=np.zeros(1),
            y=np.zeros(1),
            scales=sc,
            colors=[t.REML],
            stroke=t.COMPLETE,
            stroke_width=1.5 * font_scale,
            default_size=int(area * 1.6),
        )
        self.ticks.on_element_click(self._clicked)
        self._xaxis = t.axis(self._xs, "τ²", font_scale)
        names = {t.js_number(p): n for p, n in zip(self._pos, ESTIMATOR_NAMES, strict=True)}
        self._yaxis = t.axis(
            self._ys, "", font_scale, side="left", tick_values=self._pos, tick_labels=names
        )
        self.figure = t.figure(
            [self.used, self.ticks, self.chosen],
            [self._xaxis, self._yaxis],
            title,
            font_scale,
            animation_duration,
            left=56,
            bottom=48,
        )
        self.legend = t.legend(
            [
                ("an estimator's τ² (click)", "hollow", t.GREY, ""),
                ("τ² in use", "line", t.PARTIAL, "solid"),
            ],
            font_scale,
        )
        self._ticks_end = self._estimates = None  # what the axis and the markers show
        self._draw({"new": f})
        state.observe(self._draw, "snapshot")

    @staticmethod
    def _end(x: float) -> float:
        step = t.nice_step(x, 4)
        return float(np.ceil(x / step) * step)

    def _draw(self, change) -> None:
        f = change["new"]
        new_set = f.estimates is not self._estimates  # (one mapping per set of studies, cached)
        if new_set:
            self._values = np.array([f.estimates[m] for m in ESTIMATOR_NAMES])
            self._estimates = f.estimates
        values = self._values
        tau2 = f.tau2
        far = max(
            values.max(), tau2 if np.isfinite(tau2) and tau2 < 1e6 * values.max() + 1 else 0.0
        )
        if far > self._xs.max:
            end = self._end(far * 1.1)
            with self._xs.hold_sync():
                self._xs.min, self._xs.max = -0.04 * end, end
        end = self._xs.max
        if end != self._ticks_end:
            step = t.nice_step(end, 3 if self._fs > 1.3 else 4)
            t.update(
                self._xaxis, tick_values=np.arange(0.0, end * (1 + 1e-9), step), tick_format=".3~g"
            )
            self._ticks_end = end
        if new_set:
            t.update(self.ticks, x=values)
        used = min(tau2, end)
        t.update(self.used, x=np.array((used, used)))
        if f.method in ESTIMATOR_NAMES:
            j = ESTIMATOR_NAMES.index(f.method)
            t.update(self.chosen, x=values[j : j + 1], y=self._pos[j : j + 1], visible=True)
        else:
            t.update(self.chosen, visible=False)

    def _clicked(self, mark, event) -> None:
        if self._on_click is not None:
            self._on_click(ESTIMATOR_NAMES[int(event["data"]["index"])])
