"""A funnel plot: each study's effect y_i against its standard error sqrt(v_i), the standard
error growing downwards (metafor's ``funnel``), a dashed rule at the pooled mu and the
pseudo-confidence funnel mu -+ z se around it (shaded). In a funnel without small-study
effects the studies scatter symmetrically inside it; a missing corner (small studies on one
side only) is the asymmetry a student looks for. Left-out studies are greyed.
"""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines, Scatter

from . import _theme as t
from .forest import value_ticks

_OUT = 0.3


class FunnelView:
    """Draws ``snapshot.forest``'s funnel of a ``ForestState``. Both axes are pinned at
    construction (effects: the studies and the funnel's ends of all studies; standard error:
    0 to the largest); clicking a study calls ``on_click(j)``."""

    def __init__(
        self,
        state,
        *,
        font_scale=1.0,
        animation_duration=t.ANIMATION_MS,
        value_name="effect",
        transform=None,
        title="",
        on_click=None,
    ):
        f = state.snapshot
        fo = f.forest
        self._on_click = on_click
        se = np.sqrt(f.v)
        lo = min(f.y.min(), fo.funnel_lb[1])
        hi = max(f.y.max(), fo.funnel_ub[1])
        pad = 0.05 * (hi - lo)
        top = float(fo.funnel_se[1]) * 1.06
        self._xs = LinearScale(min=lo - pad, max=hi + pad, allow_padding=False)
        self._ys = LinearScale(min=0.0, max=top, reverse=True, allow_padding=False)
        sc = {"x": self._xs, "y": self._ys}
        self.region = Lines(
            x=np.zeros(4),
            y=np.zeros(4),
            scales=sc,
            colors=[t.GREY],
            fill="inside",
            fill_colors=[t.LIGHT],
            fill_opacities=[0.6],
            stroke_width=1.2 * font_scale,
        )
        self.rule = Lines(
            x=np.zeros(2),
            y=np.array([0.0, top]),
            scales=sc,
            colors=[t.COMPLETE],
            line_style="dashed",
            stroke_width=2 * font_scale,
        )
        self.studies = Scatter(
            x=f.y,
            y=se,
            scales=sc,
            colors=["white"],
            stroke=t.NONE,
            stroke_width=2.2 * font_scale,
            default_size=int(70 * font_scale**2),
        )
        self.studies.on_element_click(self._clicked)
        count = 5 if font_scale > 1.3 else 6
        values, labels = value_ticks(self._xs.min, self._xs.max, count, transform)
        kw = {"tick_values": values}
        kw.update({"tick_labels": labels} if labels else {"tick_format": ".3~g"})
        self._xaxis = xaxis = t.axis(self._xs, value_name, font_scale, **kw)
        step = t.nice_step(top, count - 2)
        yaxis = t.axis(
            self._ys,
            "standard error",
            font_scale,
            side="left",
            tick_values=np.arange(0.0, top, step),
            tick_format=".2~g",
        )
        z = (fo.funnel_ub[1] - fo.fit.mu) / fo.funnel_se[1]  # the level's normal quantile
        self.figure = t.figure(
            [self.region, self.rule, self.studies],
            [xaxis, yaxis],
            title,
            font_scale,
            animation_duration,
            left=64,
            bottom=52,
        )
        self.legend = t.legend(
            [
                ("y_i (no pooling)", "hollow", t.NONE, ""),
                ("μ", "line", t.COMPLETE, "dashed"),
                (f"μ ± {z:.3g} se (funnel)", "line", t.GREY, "solid"),
            ],
            font_scale,
        )
        self._draw({"new": f})
        state.observe(self._draw, "snapshot")

    def _draw(self, change) -> None:
        fo = change["new"].forest
        mu = fo.fit.mu
        t.update(self.rule, x=np.array((mu, mu)))
        end = float(fo.funnel_se[1])
        t.update(
            self.region,
            x=np.array([fo.funnel_lb[1], mu, fo.funnel_ub[1], fo.funnel_lb[1]]),
            y=np.array([end, 0.0, end, end]),
        )
        t.update(self.studies, opacities=np.where(fo.kept, 1.0, _OUT))

    def _clicked(self, mark, event) -> None:
        if self._on_click is not None:
            self._on_click(int(event["data"]["index"]))
