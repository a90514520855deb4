"""ShrinkageExplorer: y_j and v_j pulled toward mu0 as tau2 moves."""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ... import data
from ...model.frames import group_summaries
from ..controls import ShrinkageControls, number, pooling_grid, tau2_text
from ..state import ShrinkageState
from ..views import ShrinkageView, TauView
from ..views._theme import js_number
from ._base import (
    _WRAP,
    _check_layout,
    _column,
    _Explorer,
    _labels_of,
    _list,
    _name,
    _numbers,
    spoken,
)


class ShrinkageExplorer(_Explorer):
    """Groups or studies on a number line, and tau2 on a slider from complete to no pooling.

    For each group its own estimate y_j (hollow), its partial-pooling estimate mu_j
    (filled, ``shrinkviz.posterior``) and the segment between them; a dashed rule at mu0.
    Marker area grows with the precision 1 / v_j. Click a marker (or use the dropdown) to
    select a group; its n_j has a slider (group data). "fit" sets tau2 to its REML estimate
    (``shrinkviz.meta_analysis``). With ``tau_panel`` (default: from 3 groups on) a second
    figure shows p(tau | y) (``shrinkviz.full_bayes``), and a toggle
    moves each mu_j to its full-Bayes mean +-1 sd.

    CSS classes: the box ``shrinkviz-explorer shrinkviz-shrinkage``; the figures
    ``shrinkviz-figure`` (the main one also ``shrinkviz-shrinkage-figure``, the tau panel
    ``shrinkviz-tau-figure``); controls ``shrinkviz-tau2`` (slider), ``shrinkviz-play``,
    ``shrinkviz-fit``, ``shrinkviz-sigma2``, ``shrinkviz-n``, ``shrinkviz-n-scale``,
    ``shrinkviz-group``, ``shrinkviz-mu0``, ``shrinkviz-full-bayes``,
    ``shrinkviz-tau-prior``, ``shrinkviz-readout``, ``shrinkviz-error``.

    Constructors: ``eight_schools()``, ``from_meta(y, v)``, ``from_groups(ybar, n, sigma2)``,
    ``from_frame(df, y=, group=)``. Options: ``font_scale`` (text and markers; 1.5 for a
    projector), ``animation_duration`` (ms), ``tau2`` (start), ``group_name``,
    ``value_name``, ``title``, ``forest`` (groups on the vertical axis; default: when their
    names do not fit side by side), ``layout`` ("compact": a lower figure, so that it and
    the tau2 slider fit on a 1280x800 screen), ``marks`` ("auto": WebGL from
    ``views._gl.GL_FROM`` groups on, where the figure becomes a funnel of n_j or precision;
    "svg" or "gl" to force them). Legends sit above the figures; the controls
    wrap under them when the output is narrow. ``save_png`` / ``save_svg`` save every figure.
    """

    def __init__(
        self,
        y,
        *,
        v=None,
        n=None,
        sigma2=None,
        labels=None,
        tau2=None,
        group_name="group",
        value_name="estimate",
        title="",
        font_scale=1.0,
        animation_duration=500,
        tau_panel=None,
        forest=None,
        layout="default",
        marks="auto",
    ):
        super().__init__()
        _check_layout(layout)
        if tau_panel is None:  # p(tau | y) is proper (uniform prior) from 3 groups on
            tau_panel = np.size(y) >= 3
        self.state = ShrinkageState(
            y, v=v, n=n, sigma2=sigma2, labels=labels, tau2=tau2, tau_posterior=bool(tau_panel)
        )
        if tau_panel and self.state.snapshot.full_bayes is None:  # p(tau | y) refused
            self.state.tau_posterior = tau_panel = False
        v0 = self.state.v()
        grid = pooling_grid(v0.min() / 100, v0.max() * 100)
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        self.view = ShrinkageView(
            self.state,
            group_name=group_name,
            value_name=value_name,
            title=title,
            forest=forest,
            interval_legend=bool(tau_panel),
            marks=marks,
            **kw,
        )
        self.figure = self.view.figure
        self.figure.add_class("shrinkviz-figure")
        self.figure.add_class("shrinkviz-shrinkage-figure")
        self.figures = {"main": self.figure}
        n_max = 0 if n is None else max(4 * int(np.max(n)), 10)
        self.controls = ShrinkageControls(self.state, grid, n_max=n_max, tau_panel=tau_panel)
        height = self.view.height if layout == "default" else min(self.view.height, 380)
        columns = [_column(self.figure, self.view.legend, "3 1 420px", height)]
        if tau_panel:
            self.tau_view = TauView(self.state, **kw)
            self.tau_view.figure.add_class("shrinkviz-figure")
            self.tau_view.figure.add_class("shrinkviz-tau-figure")
            self.figures["tau"] = self.tau_view.figure
            columns.append(
                _column(
                    self.tau_view.figure,
                    self.tau_view.legend,
                    f"2 1 {320 * max(font_scale, 1) ** 0.5:.0f}px",
                    min(height, 460),
                )
            )
        figures = w.HBox(columns, layout=w.Layout(**_WRAP))
        self._finish([figures, self.controls], font_scale, "shrinkviz-shrinkage")

    @classmethod
    def eight_schools(cls, **kw) -> ShrinkageExplorer:
        """Rubin's eight schools (BDA3 section 5.5): coaching effects and their variances."""
        df = data.eight_schools()
        kw = {
            "group_name": "school",
            "value_name": "coaching effect (SAT-V points)",
            "title": "Eight schools",
            **kw,
        }
        return cls.from_meta(df["y"], df["v"], labels=df["school"], **kw)

    @classmethod
    def from_meta(cls, y, v, labels=None, **kw) -> ShrinkageExplorer:
        """Studies or groups with estimates ``y`` and sampling variances ``v`` (> 0). Names
        come from the data: without ``labels``, a pandas Series ``y`` with a named index
        labels the groups by it (as a table of it does); the axes are named after the
        labels' and ``y``'s names (else "group" and "estimate"); ``group_name`` and
        ``value_name`` name them explicitly."""
        labels = _labels_of(y, labels)
        kw = {"group_name": _name(labels, "group"), "value_name": _name(y, "estimate"), **kw}
        return cls(_numbers("y", y), v=_numbers("v", v), labels=_list(labels), **kw)

    @classmethod
    def from_groups(cls, ybar, n, sigma2, labels=None, **kw) -> ShrinkageExplorer:
        """Group means ``ybar`` of ``n`` observations each (> 0), with within-group variance
        ``sigma2`` (> 0): v_j = sigma2 / n_j. Labels and axis names as in ``from_meta``."""
        labels = _labels_of(ybar, labels)
        kw = {"group_name": _name(labels, "group"), "value_name": _name(ybar, "estimate"), **kw}
        return cls(
            _numbers("ybar", ybar), n=_numbers("n", n), sigma2=sigma2, labels=_list(labels), **kw
        )

    @classmethod
    def from_frame(cls, df, y: str, group: str, **kw) -> ShrinkageExplorer:
        """Raw data: one row per observation. Uses the group means ybar_j, the counts n_j and
        the pooled within-group variance sigma2 = sum_j sum_i (y_ij - ybar_j)^2 / (N - J)
        (``shrinkviz.model.frames.group_summaries``; groups without rows are left out)."""
        s = group_summaries(df, y=y, group=group)
        kw = {"group_name": group, "value_name": f"mean of {y}", **kw}
        return cls.from_groups(s.ybar, s.n, s.sigma2, labels=s.groups, **kw)

    # -- the static picture (savefig, save_animation, the picture of an exported notebook)

    @property
    def _static_size(self) -> tuple[float, float]:
        rows = len(self.state.labels) if self.view.forest else 0
        return 11.0, float(np.clip(0.2 * rows + 2.4, 5.5, 16.0))

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import shrinkage

        group_axis, value_axis = self.figure.axes
        scale, across = value_axis.scale, group_axis.scale
        names = group_axis.tick_labels or {}  # keyed by the position as JavaScript prints it
        tau_panel = hasattr(self, "tau_view")
        tau_end = None
        if tau_panel and snapshot.full_bayes is not None:
            tau_end = self.tau_view._tau_end(float(np.sqrt(snapshot.tau2)))
        shrinkage.draw(
            fig,
            snapshot,
            positions=self.view._pos,
            group_lim=(across.min, across.max),
            group_ticks=[(p, names.get(js_number(p), f"{p:g}")) for p in group_axis.tick_values],
            selected=self.state.selected,
            forest=self.view.forest,
            group_name=group_axis.label,
            value_name=value_axis.label,
            title=self.figure.title,
            value_lim=(scale.min, scale.max),
            tau_panel=tau_panel,
            tau_end=tau_end,
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    def _caption(self, f) -> str:
        j = self.state.selected
        group = self.state.labels[j]
        if f.averaged:
            fb = f.full_bayes
            return (
                f"full Bayes ({fb.tau_prior} prior on τ): μ = {number(f.mu0)} ± "
                f"{fb.mu0_sd:.2g}, E(τ | y) = {number(fb.tau_mean)}; {group}: y_j = "
                f"{number(f.y[j])}, E(B_j | y) = {f.B[j]:.3f}, μ_j = {number(f.mean[j])} ± "
                f"{f.sd[j]:.2g}"
            )
        own = f"y_j = {number(f.y[j])}, v_j = {number(f.v[j])}" if f.has_data[j] else "no data"
        mu0 = "estimated" if self.state.mu0_estimated else "fixed"
        return (
            f"{tau2_text(f.tau2)}; μ0 = {number(f.mu0)} ({mu0}); {group}: {own}, "
            f"B_j = {f.B[j]:.3f}, μ_j = {number(f.mean[j])} ± {f.sd[j]:.2g}"
        )

    # -- words for what the picture shows (the live region and "describe")

    def _describe_change(self, old, new) -> str:
        j = self.state.selected
        group = f"{self.figure.axes[0].label} {self.state.labels[j]}"
        if new.averaged:
            lead = f"averaged over tau (full Bayes), the grand mean is {number(new.mu0)}"
        else:
            lead = f"tau squared {spoken(new.tau2)}" + (
                " (complete pooling)" if new.tau2 == 0 else " (no pooling)" * (new.tau2 == np.inf)
            )
        if not new.has_data[j]:
            return f"{lead}: {group} has no data, its estimate is {number(new.mean[j])}"
        shrunk = f"shrunk by {100 * new.B[j]:.0f} percent" + " on average" * new.averaged
        text = f"{lead}: {group} moves from {number(new.y[j])} to {number(new.mean[j])}, {shrunk}"
        if old is not None and not new.averaged and old.mean[j] != new.mean[j]:
            text += f" (it was at {number(old.mean[j])})"
        return text + ("" if new.averaged else f"; the grand mean is {number(new.mu0)}")

    def _table(self, f):
        n = [] if f.n is None else ["n_j"]
        columns = [self.figure.axes[0].label, "y_j (no pooling)", *n, "v_j", "B_j"]
        columns += ["μ_j (partial pooling)", "sd"]
        rows = []
        for j, g in enumerate(self.state.labels):
            own = [number(f.y[j])] if f.has_data[j] else ["no data"]
            size = [] if f.n is None else [number(f.n[j])]
            rows.append(
                [g, *own, *size, number(f.v[j]), f"{f.B[j]:.3f}", number(f.mean[j])]
                + [f"{f.sd[j]:.2g}"]
            )
        return columns, rows
