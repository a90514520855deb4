"""PoolingLinesExplorer: complete, no and partial pooling regression lines."""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ... import data
from ...model.frames import read_columns
from ..controls import PoolingControls, number, pooling_grid, tau2_text
from ..state import PoolingState
from ..views import OverviewView, PanelsView
from ._base import (
    _WRAP,
    _check_layout,
    _column,
    _Explorer,
    _panels,
    spoken,
)

# Gelman & Hill (2007), figure 12.4: eight counties from small to large n
RADON_COUNTIES = (
    "LACQUIPARLE",
    "AITKIN",
    "KOOCHICHING",
    "DOUGLAS",
    "CLAY",
    "STEARNS",
    "RAMSEY",
    "STLOUIS",
)


class PoolingLinesExplorer(_Explorer):
    """Varying-intercept regression: complete-, no- and partial-pooling lines
    (``shrinkviz.pooling_fit`` and its O(J) ``update``; Gelman & Hill 2007, ch. 12).

    Top: small multiples of ``panels`` (default: 8 groups from small to large n), each with
    its points and the three lines (``line_styles``, default complete dashed, no pooling
    dotted, partial solid). Below: every group's no- and partial-pooling intercept against
    n_j with +-1 s.e. bars and mu_alpha. Controls: sigma2, tau2, the selected group (click a
    marker in the overview or use the dropdown) and its n_j (the first n_j rows are used),
    "fit" (REML on the rows in use).

    CSS classes: the box ``shrinkviz-explorer shrinkviz-pooling-lines``; the figures
    ``shrinkviz-figure`` (``shrinkviz-panels-figure``, ``shrinkviz-overview-figure``);
    controls ``shrinkviz-tau2``, ``shrinkviz-play``, ``shrinkviz-fit``, ``shrinkviz-sigma2``,
    ``shrinkviz-n``, ``shrinkviz-group``, ``shrinkviz-readout``, ``shrinkviz-error``.
    ``save_png`` / ``save_svg`` save the panels and the overview. ``layout="compact"``:
    lower panels with the controls right below them (the overview beside or under the
    controls), so that the lines and the tau2 slider fit on a 1280x800 screen together.
    ``marks``: the overview's marks ("auto": WebGL from ``views._gl.GL_FROM`` groups on;
    "svg" or "gl" to force them).
    """

    def __init__(
        self,
        x,
        y,
        group,
        *,
        panels=None,
        ncols=4,
        line_styles=None,
        x_name="x",
        y_name="y",
        group_name="group",
        title="",
        font_scale=1.0,
        animation_duration=500,
        layout="default",
        marks="auto",
    ):
        super().__init__()
        _check_layout(layout)
        self.state = PoolingState(x, y, group)
        s = self.state
        self._ncols, self._group_name = ncols, group_name  # for the static picture
        panels = _panels(panels, s.labels, s.n_max)
        s.selected = int(panels[0])
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        self.panels_view = PanelsView(
            s,
            panels,
            ncols=ncols,
            line_styles=line_styles,
            x_name=x_name,
            y_name=y_name,
            title=title,
            **kw,
        )
        self.overview = OverviewView(
            s, group_name=group_name, y_name=f"intercept ({y_name})", marks=marks, **kw
        )
        self.figure = self.panels_view.figure
        self.figures = {"main": self.figure, "overview": self.overview.figure}
        for fig, css in (
            (self.figure, "shrinkviz-panels-figure"),
            (self.overview.figure, "shrinkviz-overview-figure"),
        ):
            fig.add_class("shrinkviz-figure")
            fig.add_class(css)
        v = s.sigma2 / s.n_max
        self.controls = PoolingControls(s, pooling_grid(v.min() / 100, max(s.sigma2, s.tau2) * 100))
        rows = int(np.ceil(len(panels) / ncols))
        compact = layout == "compact"
        # compact: panels less tall, and the controls right below them, the overview beside
        panel_px = (120 if compact else 230) * font_scale
        panels_box = _column(
            self.figure,
            self.panels_view.legend,
            "1 1 auto",
            (70 + 40 * bool(title)) * font_scale + panel_px * rows,
        )
        overview = _column(
            self.overview.figure,
            self.overview.legend,
            f"1 1 {420 * max(font_scale, 1):.0f}px",
            (300 if compact else 430) * max(font_scale, 1) ** 0.5,
        )
        below = [self.controls, overview] if compact else [overview, self.controls]
        self._finish(
            [panels_box, w.HBox(below, layout=w.Layout(**_WRAP))],
            font_scale,
            "shrinkviz-pooling-lines",
        )

    @classmethod
    def radon(cls, **kw) -> PoolingLinesExplorer:
        """Minnesota radon (Gelman & Hill 2007, ch. 12): log radon against floor by county,
        with the eight counties of their figure 12.4."""
        kw = {
            "panels": RADON_COUNTIES,
            "x_name": "floor (0 = basement, 1 = first floor)",
            "y_name": "log radon",
            "group_name": "county",
            **kw,
        }
        return cls.from_frame(data.radon(), x="floor", y="log_radon", group="county", **kw)

    @classmethod
    def from_frame(cls, df, x: str, y: str, group: str, **kw) -> PoolingLinesExplorer:
        """One row per observation: columns ``x`` and ``y`` (numbers) and ``group``, read as
        ``shrinkviz.pooling_fit_frame`` reads them (``shrinkviz.model.frames.read_columns``)."""
        cols = read_columns(df, x=x, y=y, group=group)
        kw = {"x_name": x, "y_name": y, "group_name": group, **kw}
        return cls(cols["x"], cols["y"], cols["group"], **kw)

    # -- the static picture (savefig, save_animation, the picture of an exported notebook)

    @property
    def _static_size(self) -> tuple[float, float]:
        rows = int(np.ceil(len(self.panels_view.panels) / self._ncols))
        return 11.0, 2.2 * rows + 4.6

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import pooling

        s, pv = self.state, self.panels_view
        x_axis, y_axis = self.figure.axes
        pooling.draw(
            fig,
            snapshot,
            x=s.x,
            y=s.y,
            group=s.group,
            rank=s.rank,
            labels=s.labels,
            panels=pv.panels,
            ncols=self._ncols,
            line_styles={kind: mark.line_style for kind, mark in pv.lines.items()},
            selected=s.selected,
            x_name=x_axis.label,
            y_name=y_axis.label,
            group_name=self._group_name,
            intercept_name=self.overview.figure.axes[1].label,
            title=self.figure.title,
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    def _caption(self, f) -> str:
        fit, j = f.fit, self.state.selected
        none = "no data" if fit.n[j] == 0 else number(fit.no_pooling.alpha[j])
        return (
            f"σ² = {number(fit.sigma2)}, {tau2_text(fit.tau2)}; partial pooling: μ_α = "
            f"{number(fit.partial_pooling.mu_alpha)}, β = {number(fit.partial_pooling.beta)}; "
            f"{self.state.labels[j]}: n_j = {int(fit.n[j])} of {int(self.state.n_max[j])}, "
            f"intercept no pooling {none}, partial pooling {number(fit.partial_pooling.alpha[j])}"
        )

    # -- words for what the picture shows (the live region and "describe")

    def _describe_change(self, old, new) -> str:
        fit, j = new.fit, self.state.selected
        p = fit.partial_pooling
        group = f"{self._group_name} {self.state.labels[j]}"
        lead = f"tau squared {spoken(fit.tau2)}, sigma squared {spoken(fit.sigma2)}"
        none = (
            f"from {number(fit.no_pooling.alpha[j])} (no pooling) "
            if fit.n[j] > 0
            else "(no rows in use, no no-pooling line) "
        )
        return (
            f"{lead}: the intercept of {group} moves {none}to {number(p.alpha[j])} "
            f"(partial pooling), {int(fit.n[j])} of {int(self.state.n_max[j])} rows used; "
            f"the mean intercept is {number(p.mu_alpha)} and the slope {number(p.beta)}"
        )

    def _table(self, f):
        fit = f.fit
        columns = [self._group_name, "n_j", "no pooling intercept", "± se"]
        columns += ["partial pooling intercept", "± sd"]
        rows = [
            [
                g,
                str(int(fit.n[j])),
                "no data" if fit.n[j] == 0 else number(fit.no_pooling.alpha[j]),
                "" if fit.n[j] == 0 else f"{f.none_se[j]:.2g}",
                number(fit.partial_pooling.alpha[j]),
                f"{f.partial_sd[j]:.2g}",
            ]
            for j, g in enumerate(self.state.labels)
        ]
        return columns, rows
