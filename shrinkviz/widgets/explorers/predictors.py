"""PredictorExplorer: each group shrinks toward its own predicted value on a fitted line."""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from ... import data
from ...model.group_predictor import predictor_fit_frame
from ..controls import PoolingSlider, error_line, fit_button, group_dropdown, number, pooling_grid
from ..state.predictors import PredictorState
from ..views.predictors import PredictorView
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


class PredictorExplorer(_Explorer):
    """Estimates against a predictor, and tau2 on a slider: each group or study glides from
    its own estimate (hollow) toward the fitted line at its own predictor value (filled), not
    toward one mean. A toggle drops the predictor: the line turns flat (one mean) and tau2
    jumps to the larger estimate of the model without it; the readout says how much of tau2
    the predictor accounts for (pseudo R^2, as metafor).

    Models: studies (``from_meta``: ``shrinkviz.meta_regression`` /
    ``regression_posterior``, as metafor's ``rma(yi, vi, mods = u)``), or rows in groups
    with a group-level predictor (``from_frame``: ``shrinkviz.predictor_fit``, as lme4's
    ``lmer(y ~ x + u + (1 | group))``; each group's intercept).

    CSS classes: the box ``shrinkviz-explorer shrinkviz-predictors``; the figure
    ``shrinkviz-figure shrinkviz-predictors-figure``; controls ``shrinkviz-tau2``,
    ``shrinkviz-play``, ``shrinkviz-fit``, ``shrinkviz-predictor`` (the toggle),
    ``shrinkviz-group``, ``shrinkviz-readout``, ``shrinkviz-error``.

    Constructors: ``bcg()``, ``radon()``, ``from_meta(y, v, u)``,
    ``from_frame(df, x=, y=, group=, u=)``. Options: ``font_scale``, ``animation_duration``,
    ``tau2`` (start: the estimate), ``with_predictor``, ``u_name``, ``value_name``,
    ``group_name`` (what a row is: "trial", "county"), ``title``, ``layout`` ("compact": a
    lower figure).
    """

    def __init__(
        self,
        state: PredictorState,
        *,
        u_name="predictor",
        value_name="estimate",
        group_name="group",
        title="",
        font_scale=1.0,
        animation_duration=500,
        layout="default",
    ):
        super().__init__()
        _check_layout(layout)
        self.state = state
        self.u_name = u_name
        self.group_name = group_name
        height = (440 if layout == "default" else 360) * max(1.0, font_scale) ** 0.75
        self.view = PredictorView(
            state,
            font_scale=font_scale,
            animation_duration=animation_duration,
            u_name=u_name,
            value_name=value_name,
            title=title,
            height=height,
        )
        self.figure = self.view.figure
        self.figure.add_class("shrinkviz-figure")
        self.figure.add_class("shrinkviz-predictors-figure")
        self.figures = {"main": self.figure}
        # the slider spans both models' estimates with room around them
        lo = min(state.estimate(True), state.estimate(False)) or state.estimate(False) or 1.0
        hi = max(state.estimate(True), state.estimate(False)) or 1.0
        self.tau2 = PoolingSlider(state, pooling_grid(lo / 100, hi * 100))
        self.toggle = w.ToggleButtons(
            options=[(f"with {u_name}", True), (f"without {u_name}", False)],
            value=state.with_predictor,
            tooltips=[
                f"shrink toward the fitted line at each {u_name}",
                "shrink toward one mean",
            ],
            style={"button_width": f"{max(len(u_name) + 9, 12) * 0.62:.1f}em"},
        )
        self.toggle.add_class("shrinkviz-predictor")
        self.toggle.observe(lambda c: state.use_predictor(c["new"]), "value")
        state.observe(lambda c: setattr(self.toggle, "value", c["new"]), "with_predictor")
        self.fit = fit_button(state)
        self.group = group_dropdown(state)
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.error = error_line(state)
        row = dict(flex_flow="row wrap", align_items="center")
        self.controls = w.VBox(
            [
                self.tau2,
                w.HBox([self.toggle, self.fit, self.group], layout=w.Layout(**row)),
                self.readout,
                self.error,
            ]
        )
        self.controls.tau2 = self.tau2  # where _Explorer's Play sweep finds the grid
        state.observe(self._read, ["snapshot", "selected"])
        self._read(None)
        # in a row, so that the column's flex basis is its width, not its height
        row = w.HBox(
            [_column(self.figure, self.view.legend, "1 1 420px", height)], layout=w.Layout(**_WRAP)
        )
        self._finish([row, self.controls], font_scale, "shrinkviz-predictors")

    def summary(self, snapshot) -> list[str]:
        """The numbers shown, in words (plain text): the line and tau2, both models' fitted
        tau2 and R^2, the selected group. The readout and the picture's caption."""
        s, f, j = self.state, snapshot, self.state.selected
        u = self.u_name
        if f.with_predictor:
            sign = "−" if f.slope < 0 else "+"
            line = f"line {number(f.intercept)} {sign} {number(abs(f.slope))} × {u}"
        else:
            line = f"one mean {number(f.intercept)}"
        return [
            f"τ² = {number(f.tau2)}; {line}",
            f"estimated τ² without {u}: {number(s.estimate(False))}, with it:"
            f" {number(s.estimate(True))}: it accounts for R² = {s.R2:.0f}% of τ²",
            f"{s.labels[j]} ({u} {number(f.u[j])}): own {number(f.own[j])} →"
            f" {number(f.mean[j])}, target {number(f.target[j])}, B = {f.B[j]:.2f}",
        ]

    def _describe_change(self, old, new) -> str:
        """What the picture shows after a move, in words a screen reader says (the live
        region; the readout's τ², → and × are symbols it may skip)."""
        s, f, j, u = self.state, new, self.state.selected, self.u_name
        lead = f"tau squared {spoken(f.tau2)}" + (
            " (complete pooling)" if f.tau2 == 0 else " (no pooling)" * (f.tau2 == np.inf)
        )
        if f.with_predictor:
            sign = "minus" if f.slope < 0 else "plus"
            line = f"the line {number(f.intercept)} {sign} {number(abs(f.slope))} times {u}"
        else:
            line = f"without {u}, one mean {number(f.intercept)}"
        return (
            f"{lead}, {line}: {s.labels[j]} ({u} {number(f.u[j])}) moves from "
            f"{number(f.own[j])} to {number(f.mean[j])}, its target {number(f.target[j])}, "
            f"shrunk by {100 * f.B[j]:.0f} percent; {u} accounts for {s.R2:.0f} percent "
            "of tau squared"
        )

    def _read(self, _) -> None:
        self.readout.value = "<br>".join(html.escape(x) for x in self.summary(self.state.snapshot))

    def _table(self, snapshot) -> tuple[list[str], list[list[str]]]:
        """The current estimates as a table (the text alternative's "describe" hook)."""
        f = snapshot
        columns = [self.group_name, self.u_name, "own", "partial pooling", "target", "B"]
        rows = [
            [
                g,
                number(f.u[j]),
                number(f.own[j]),
                number(f.mean[j]),
                number(f.target[j]),
                f"{f.B[j]:.2f}",
            ]
            for j, g in enumerate(self.state.labels)
        ]
        return columns, rows

    # -- the static picture (savefig, save_animation, the picture of an exported notebook)

    def _caption(self, snapshot) -> str:
        return "; ".join(self.summary(snapshot))

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import predictors

        u_axis, value_axis = self.figure.axes
        predictors.draw(
            fig,
            snapshot,
            selected=self.state.selected,
            u_name=u_axis.label,
            value_name=value_axis.label,
            title=self.figure.title,
            u_lim=(u_axis.scale.min, u_axis.scale.max),
            value_lim=(value_axis.scale.min, value_axis.scale.max),
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    @classmethod
    def bcg(cls, **kw) -> PredictorExplorer:
        """The BCG vaccine trials (Colditz et al. 1994): log risk ratios against absolute
        latitude, metafor's best-known meta-regression."""
        df = data.bcg()
        kw = {
            "u_name": "latitude",
            "value_name": "log risk ratio",
            "group_name": "trial",
            "title": "BCG trials",
            **kw,
        }
        labels = [f"{a} {y}" for a, y in zip(df["author"], df["year"], strict=True)]
        return cls.from_meta(df["yi"], df["vi"], df["ablat"], labels=labels, **kw)

    @classmethod
    def radon(cls, **kw) -> PredictorExplorer:
        """Minnesota radon (Gelman & Hill 2007, 12.6): each county's intercept against its
        log soil uranium, floor as the individual-level predictor."""
        kw = {"title": "Radon: county intercepts", "value_name": "county intercept", **kw}
        return cls.from_frame(
            data.radon(), x="floor", y="log_radon", group="county", u="log_uranium", **kw
        )

    @classmethod
    def from_meta(cls, y, v, u, labels=None, *, method="REML", tau2=None, **kw):
        """Studies with effects ``y``, sampling variances ``v`` (> 0) and a moderator ``u``;
        labels and axis names from the data as in ``ShrinkageExplorer.from_meta``."""
        labels = _labels_of(y, labels)
        kw = {
            "u_name": _name(u, "predictor"),
            "value_name": _name(y, "estimate"),
            "group_name": _name(labels, "group"),
            **kw,
        }
        state = PredictorState.from_meta(
            _numbers("y", y),
            _numbers("v", v),
            _numbers("u", u),
            method=method,
            labels=_list(labels),
            tau2=tau2,
        )
        return cls(state, **kw)

    @classmethod
    def from_frame(
        cls, df, *, x: str, y: str, group: str, u: str, method="REML", tau2=None, **kw
    ) -> PredictorExplorer:
        """Rows of a data frame: ``y`` on ``x`` with intercepts varying by ``group`` and the
        group-level predictor column ``u`` (constant within each group)."""
        cols = dict(x=x, y=y, group=group, method=method)
        fits = predictor_fit_frame(df, u=u, **cols), predictor_fit_frame(df, u=None, **cols)
        kw = {"u_name": u, "value_name": f"intercept of {y}", "group_name": group, **kw}
        return cls(PredictorState.from_fits(*fits, tau2=tau2), **kw)

    def _sweep(self) -> tuple[str, np.ndarray]:
        return "tau2", self.tau2.grid[::-1]
