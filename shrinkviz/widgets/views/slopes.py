"""The views of a ``SlopesState`` (Gelman & Hill 2007, ch. 13; lme4's sleepstudy).

``PairsView``: the 2-D picture of varying intercepts and slopes. Every group's no-pooling
(alpha_j, beta_j) as a hollow marker, its partial-pooling pair as a filled marker, a segment
between them, the population centre mu and the 50% and 90% ellipses of N(mu, Sigma).

``SlopePanelsView``: the small multiples of ``PanelsView`` with a slope per group; each line
is cut where it leaves its panel.
"""

from __future__ import annotations

import functools

import numpy as np
from bqplot import LinearScale, Lines, Scatter
from scipy import stats

from . import _theme as t
from .pooling import _SELECTED, PanelsView, _two_ticks

# the ellipses drawn: the regions holding 50% and 90% of N(mu, Sigma)
LEVELS = (0.5, 0.9)
_ROOT_Q = np.sqrt(stats.chi2.ppf(LEVELS, 2))
_CIRCLE = np.vstack([np.cos(a := np.linspace(0.0, 2.0 * np.pi, 97)), np.sin(a)])


def ellipse(mu: np.ndarray, Sigma: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the boundary of the region {b : (b - mu)' Sigma^-1 (b - mu) <= q} that holds
    ``level`` of N(mu, Sigma), q the chi-square(2) quantile; a singular Sigma gives a segment."""
    x, y = ellipses(mu, Sigma, (level,))
    return x[0], y[0]


def ellipses(mu: np.ndarray, Sigma: np.ndarray, levels=LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """The boundaries of ``ellipse`` at each of ``levels`` (one eigendecomposition): x and y
    as arrays with a row per level."""
    xy = _centred_ellipses(Sigma, levels) + np.reshape(mu, (2, 1))
    return xy[:, 0], xy[:, 1]


def _centred_ellipses(Sigma: np.ndarray, levels=LEVELS) -> np.ndarray:
    """``ellipses`` at mu = 0, as one array (level, x or y, point)."""
    vals, vecs = np.linalg.eigh(Sigma)
    root = vecs * np.sqrt(np.maximum(vals, 0.0))
    unit = root @ _CIRCLE  # the boundary at q = 1, scaled by sqrt(q) for each level
    q = _ROOT_Q if levels == LEVELS else np.sqrt(stats.chi2.ppf(levels, 2))
    return q[:, None, None] * unit


class PairsView:
    """Intercepts (x axis) against slopes (y axis) of every group; click a marker to select
    its group. The axes cover the markers, mu and the first 90% ellipse; they grow when a
    marker leaves them (an n_j move) and never move with Sigma or sigma2."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        group_name="group",
        x_name="intercept",
        y_name="slope",
        title="",
    ):
        self.state = state
        f = state.snapshot
        self.xs, self.ys = LinearScale(), LinearScale()
        self._range = self._inner = None  # the axes' ranges, and within their margins
        self._own = None  # (no-pooling fit, the box of its pairs, whether one is missing)
        self._drawn = None  # (no-pooling fit, stand-in pairs) the hollow markers show
        self._population = None  # (mu, Sigma) the ellipses show
        self._shapes = None  # (Sigma, its ellipses at mu = 0)
        self._fit_axes(f)
        sc = {"x": self.xs, "y": self.ys}
        area = int(np.clip(3000 / len(state.labels), 30, 110) * font_scale**2)
        common = dict(scales=sc, default_size=area, selected_style=_SELECTED, unselected_style={})
        self.ellipses = [
            Lines(
                x=np.zeros(2),
                y=np.zeros(2),
                scales=sc,
                colors=[t.GREY],
                line_style=style,
                stroke_width=1.8 * font_scale,
            )
            for style in ("solid", "dashed")
        ]
        self.segments = Lines(
            x=np.zeros((1, 2)),
            y=np.zeros((1, 2)),
            scales=sc,
            colors=[t.GREY],
            stroke_width=1.2 * font_scale,
        )
        # (the hollow marker is filled white: clickable all over, not only on its ring)
        self.no_pooling = Scatter(
            x=np.zeros(1),
            y=np.zeros(1),
            stroke=t.NONE,
            colors=["white"],
            stroke_width=2 * font_scale,
            **common,
        )
        self.partial_pooling = Scatter(
            x=np.zeros(1), y=np.zeros(1), colors=[t.PARTIAL], stroke="white", **common
        )
        self.mu = Scatter(
            x=np.zeros(1),
            y=np.zeros(1),
            scales=sc,
            marker="diamond",
            colors=[t.COMPLETE],
            stroke="white",
            default_size=int(1.6 * area),
        )
        for mark in (self.no_pooling, self.partial_pooling):
            mark.on_element_click(self._clicked)
        axes = [
            t.axis(self.xs, x_name, font_scale),
            t.axis(self.ys, y_name, font_scale, side="left"),
        ]
        self.figure = t.figure(
            [*self.ellipses, self.segments, self.no_pooling, self.partial_pooling, self.mu],
            axes,
            title,
            font_scale,
            animation_duration,
            left=72,
        )
        self.legend = t.legend(
            [
                (f"no pooling (each {group_name} alone)", "hollow", t.NONE, ""),
                ("partial pooling", "filled", t.PARTIAL, ""),
                ("μ and 50% / 90% of N(μ, Σ)", "line", t.GREY, "dashed"),
            ],
            font_scale,
        )
        self._draw({"new": f})
        self._select({"new": state.selected})
        state.observe(self._draw, "snapshot")
        state.observe(self._select, "selected")

    def _fit_axes(self, f) -> None:
        """Grow the axes to hold every marker and mu (never shrink them)."""
        p, none = f.fit.partial_pooling, f.fit.no_pooling
        if self._own is None or self._own[0] is not none:  # once per no-pooling fit
            own = np.array([none.alpha, none.beta])  # (nan where missing: fmin, fmax skip it)
            lo, hi = np.fmin.reduce(own, axis=1).tolist(), np.fmax.reduce(own, axis=1).tolist()
            self._own = (none, lo, hi, bool(none.missing.any()))
        # the box of the pairs and mu, in Python floats
        (a0, b0), (a1, b1), mu = self._own[1], self._own[2], p.mu.tolist()
        lo = [
            min(a0, float(np.fmin.reduce(p.alpha)), mu[0]),
            min(b0, float(np.fmin.reduce(p.beta)), mu[1]),
        ]
        hi = [
            max(a1, float(np.fmax.reduce(p.alpha)), mu[0]),
            max(b1, float(np.fmax.reduce(p.beta)), mu[1]),
        ]
        if self._range is None and np.isfinite(f.Sigma).all():  # the first 90% ellipse too
            ex, ey = ellipse(p.mu, f.Sigma, LEVELS[-1])
            lo = np.minimum(lo, [ex.min(), ey.min()])
            hi = np.maximum(hi, [ex.max(), ey.max()])
        if self._range is not None:
            (lo0, lo1), (hi0, hi1) = self._inner
            if lo[0] >= lo0 and lo[1] >= lo1 and hi[0] <= hi0 and hi[1] <= hi1:
                return
            lo, hi = np.minimum(lo, self._range[0]), np.maximum(hi, self._range[1])
        lo, hi = np.asarray(lo), np.asarray(hi)
        pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
        self._range = (lo - pad, hi + pad)
        margin = 0.03 * (self._range[1] - self._range[0])  # a marker not cut at the edge
        self._inner = ((self._range[0] + margin).tolist(), (self._range[1] - margin).tolist())
        for scale, a, b in zip((self.xs, self.ys), *self._range, strict=True):
            t.update(scale, min=float(a), max=float(b))

    def _draw(self, change) -> None:
        f = change["new"]
        self._fit_axes(f)
        p, none = f.fit.partial_pooling, f.fit.no_pooling
        # a group without its own line (fewer than 2 rows, or x constant) has no hollow
        # marker: drawn hidden at its partial-pooling pair, since an SVG position cannot be nan
        missing, some = none.missing, self._own[3]  # (_fit_axes: whether any is missing)
        nx = np.where(missing, p.alpha, none.alpha) if some else none.alpha
        ny = np.where(missing, p.beta, none.beta) if some else none.beta
        # the hollow markers move only with the rows used (a new no-pooling fit), or with the
        # partial-pooling pairs that stand in for the missing ones
        key = (none, p if some else None)
        if self._drawn is None or any(a is not b for a, b in zip(key, self._drawn, strict=True)):
            opacities = 1.0 - missing if some else np.ones(1)  # bqplot cycles them
            t.update(self.no_pooling, x=nx, y=ny, opacities=opacities)
            self._drawn = key
        t.update(self.partial_pooling, x=p.alpha, y=p.beta)
        t.update(
            self.segments,
            x=np.column_stack([nx, p.alpha]),
            y=np.column_stack([ny, p.beta]),
            opacities=(1.0 - missing).tolist() if some else [],
        )
        t.update(self.mu, x=p.mu[:1], y=p.mu[1:])
        population = (p.mu.tolist(), f.Sigma.ravel().tolist())
        if population == self._population:
            return  # (a sigma2 move of a balanced design, say) the ellipses stay
        self._population = population
        finite = f.scale < np.inf  # (Sigma is inf at scale = inf, else finite)
        if finite:
            if self._shapes is None or self._shapes[0] != population[1]:  # else: mu moved
                self._shapes = (population[1], _centred_ellipses(f.Sigma))
            xy = self._shapes[1] + np.reshape(p.mu, (2, 1))  # as ``ellipses``
            ex, ey = xy[:, 0], xy[:, 1]
        for i, mark in enumerate(self.ellipses):
            if finite:
                t.update(mark, x=ex[i], y=ey[i], opacities=[1.0])
            else:
                t.update(mark, x=p.mu[:1], y=p.mu[1:], opacities=[0.0])

    def _select(self, change) -> None:
        for mark in (self.no_pooling, self.partial_pooling):
            t.update(mark, selected=np.array([change["new"]]))

    def _clicked(self, mark, event) -> None:
        self.state.selected = int(event["data"]["index"])


class SlopePanelsView(PanelsView):
    """``PanelsView`` with each group's own slope: complete (dashed), no pooling (dotted) and
    partial pooling (solid) lines, each cut at the top and bottom of its panel."""

    def __init__(self, state, panels, **kw):
        ylo, yhi = float(state.y.min()), float(state.y.max())
        step = _two_ticks(ylo, yhi, 4)
        self._band = (ylo - 0.4 * step, yhi + 0.4 * step)  # the panel's frame (PanelsView)
        self._drawn = {}  # what each mark shows: the fit's part (or n) it was drawn from
        self._xs = {}  # x of each kind's lines, cut to the panels
        super().__init__(state, panels, **kw)
        self._draw({"new": state.snapshot})

    @functools.cached_property
    def _whole(self) -> np.ndarray:
        """x of lines not cut: each panel's x ends."""
        return self._xoff[:, None] + self._xends

    @staticmethod
    def _parts(fit) -> dict:
        return {
            "complete": fit.complete_pooling,
            "none": fit.no_pooling,
            "partial": fit.partial_pooling,
        }

    def _line_ys(self, f):
        return {kind: self._line(kind, f.fit) for kind in self._parts(f.fit)}

    def _line(self, kind: str, fit):
        """y of ``kind``'s line in each panel, cut to the panel (x in ``self._xs[kind]``),
        and the lines' opacities."""
        g, part = self.panels, self._parts(fit)[kind]
        if kind == "complete":
            ys = np.broadcast_to(part.alpha + part.beta * self._xends, (len(g), 2))
        else:
            ys = part.alpha[g][:, None] + part.beta[g][:, None] * self._xends
        lo, hi = self._band
        if lo <= ys.min() and ys.max() <= hi:  # (False for a nan) every line whole
            self._xs[kind] = self._whole
            return self._yoff[:, None] + ys, []
        xs, ys, shown = self._clip(ys)
        self._xs[kind] = self._xoff[:, None] + xs
        return self._yoff[:, None] + ys, [] if shown.all() else (shown * 1.0).tolist()

    def _clip(self, ys: np.ndarray):
        """Each line (through the panel's x ends at heights ys) cut to the panel's band of y;
        a line outside the band (or nan: no line) is hidden at the band's middle."""
        lo, hi = self._band
        x0, x1 = self._xends
        y0, y1 = ys[:, 0], ys[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            dy = np.where(y1 != y0, y1 - y0, np.nan)
            ta, tb = (lo - y0) / dy, (hi - y0) / dy
            t0 = np.where(np.isnan(dy), 0.0, np.clip(np.minimum(ta, tb), 0.0, 1.0))
            t1 = np.where(np.isnan(dy), 1.0, np.clip(np.maximum(ta, tb), 0.0, 1.0))
        flat_inside = (y0 >= lo) & (y0 <= hi)
        shown = np.isfinite(ys).all(axis=1) & np.where(y1 != y0, t1 > t0, flat_inside)
        t = np.column_stack([t0, t1])
        xs = x0 + t * (x1 - x0)
        yc = y0[:, None] + t * (y1 - y0)[:, None]
        mid = (lo + hi) / 2
        return (
            np.where(shown[:, None], xs, self._xends),
            np.where(shown[:, None], yc, mid),
            shown,
        )

    def _draw(self, change) -> None:
        """Redraw what changed: a slider of Sigma or sigma2 moves only the partial-pooling
        lines (the model's update keeps the complete- and no-pooling fits and n as they
        were, the same objects); an n_j move redraws all."""
        fit = change["new"].fit
        for kind, part in self._parts(fit).items():
            if self._drawn.get(kind) is not part:
                ys, opacities = self._line(kind, fit)
                t.update(self.lines[kind], x=self._xs[kind], y=ys, opacities=opacities)
                self._drawn[kind] = part
        if self._drawn.get("n") is not fit.n:
            t.update(self.points, color=self._used(change["new"]))
            t.update(self.titles, text=np.array(self._titles(change["new"])))
            self._drawn["n"] = fit.n
