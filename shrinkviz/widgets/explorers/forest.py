"""ForestExplorer: a random-effects meta-analysis as a forest plot, a funnel and the tau2 of
every estimator; click a study to leave it out."""

from __future__ import annotations

import contextlib
import html

import ipywidgets as w
import numpy as np
import traitlets

from ... import data
from ...model.effect_sizes import effect_sizes_frame
from ...model.forest import ESTIMATOR_NAMES, TRANSFORMS
from ...model.frames import _row, read_columns
from ..controls import PoolingSlider, error_line, group_dropdown, number, pooling_grid, tau2_text
from ..controls import _row as _controls_row
from ..state.forest import GIVEN, SORTS, ForestState
from ..views import _theme as t
from ..views.forest import EstimatorsView, ForestView
from ..views.funnel import FunnelView
from ._base import _WRAP, _column, _Explorer, _labels_of, _list, _name, _numbers, spoken

# the back-transform of each measure's scale for axis labels and readouts
MEASURE_TRANSFORMS = {"RR": "exp", "OR": "exp", "ROM": "exp", "ZCOR": "tanh", "PLO": "ilogit"}
_BACK_NAMES = {
    "RR": "risk ratio",
    "OR": "odds ratio",
    "ROM": "ratio of means",
    "ZCOR": "correlation",
    "PLO": "proportion",
}
_VALUE_NAMES = {
    "RR": "log risk ratio",
    "OR": "log odds ratio",
    "RD": "risk difference",
    "MD": "mean difference",
    "SMD": "standardized mean difference",
    "ROM": "log ratio of means",
    "COR": "correlation",
    "ZCOR": "Fisher's z of r",
    "PR": "proportion",
    "PLO": "log odds",
    "PAS": "arcsine proportion",
}
# the scale an axis with back-transformed tick labels is drawn on
_SCALES = {"exp": "log scale", "tanh": "Fisher's z scale", "ilogit": "logit scale"}
_TESTS = (("z", "z"), ("Knapp-Hartung", "knha"))


class ForestExplorer(_Explorer):
    """A random-effects meta-analysis (metafor's ``rma``, ``forest``, ``funnel``,
    ``leave1out``) to take apart with the mouse.

    Left, the forest: each study's own estimate y_i with its 95% CI (hollow: no pooling) above
    its partial-pooling estimate (``blup``, filled), the pooled mu as a diamond (its CI) with
    the prediction interval as a bar under it. Right, the funnel (y_i against its standard
    error, with mu -+ 1.96 se) and "tau2 by estimator": a marker at each estimator's tau2 on
    the kept studies. Click a study (in the forest or the funnel) to leave it out: it greys,
    the diamond moves away from the dotted outline of all studies' diamond, and the readout
    says by how much; click it again to put it back. Controls: the estimator of tau2 (each
    with its tau2; clicking a marker of the strip chooses it too), the tau2 slider (moving it
    fixes tau2 at its value), z or Knapp-Hartung, the order of the rows, the selected study
    with "leave out / put back" and "put all back" for the keyboard.

    All numbers come from ``shrinkviz.model.forest`` (``meta_analysis`` on the kept studies).
    CSS classes: the box ``shrinkviz-explorer shrinkviz-forest``; figures ``shrinkviz-figure``
    (``shrinkviz-forest-figure``, ``shrinkviz-funnel-figure``,
    ``shrinkviz-estimators-figure``); controls ``shrinkviz-tau2``, ``shrinkviz-play``,
    ``shrinkviz-method``, ``shrinkviz-test``, ``shrinkviz-sort``, ``shrinkviz-group``,
    ``shrinkviz-leave-out``, ``shrinkviz-put-back``, ``shrinkviz-readout``,
    ``shrinkviz-error``.

    Constructors: ``bcg()``, ``teacher_expectancy()``, ``from_table(df, measure, ...)`` (raw
    2x2 tables, means, correlations or proportions through ``shrinkviz.effect_sizes``),
    ``from_frame(df, y=, v=)`` and ``from_meta(y, v)``. Options: ``method`` (estimator of
    tau2), ``test``, ``sort`` ("data", "effect", "precision", "label"), ``transform`` ("exp",
    "tanh", "ilogit": tick labels and readout back-transformed), ``font_scale``,
    ``animation_duration``, ``study_name``, ``value_name``, ``title``. There is no compact
    layout: every study needs its row (past about 35 rows the names are thinned).
    """

    def __init__(
        self,
        y,
        v,
        *,
        labels=None,
        method="REML",
        test="z",
        sort="data",
        transform=None,
        study_name="study",
        value_name="effect",
        back_name=None,
        title="",
        font_scale=1.0,
        animation_duration=500,
    ):
        super().__init__()
        if transform is not None and transform not in TRANSFORMS:
            raise ValueError(
                f"transform must be one of None, {', '.join(map(repr, TRANSFORMS))}"
                f" (got {transform!r})"
            )
        self.state = ForestState(y, v, labels=labels, method=method, test=test, sort=sort)
        self.transform, self.back_name = transform, back_name
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        # the ticks show back-transformed values (risk ratios), so the axes name those
        axis_name = f"{back_name} ({_SCALES[transform]})" if transform and back_name else value_name
        self.view = ForestView(
            self.state,
            study_name=study_name,
            value_name=axis_name,
            transform=transform,
            title=title,
            on_click=self.click,
            **kw,
        )
        self.funnel_view = FunnelView(
            self.state, value_name=axis_name, transform=transform, on_click=self.click, **kw
        )
        self.estimators_view = EstimatorsView(self.state, on_click=self.choose, **kw)
        self.figure = self.view.figure
        self.figures = {
            "main": self.figure,
            "funnel": self.funnel_view.figure,
            "estimators": self.estimators_view.figure,
        }
        for name, fig in self.figures.items():
            fig.add_class("shrinkviz-figure")
            fig.add_class(f"shrinkviz-{'forest' if name == 'main' else name}-figure")
        v0 = self.state.v
        self.controls = ForestControls(self, pooling_grid(v0.min() / 100, v0.max() * 100))
        height = self.view.height
        side = f"{300 * max(font_scale, 1) ** 0.5:.0f}px"
        right = w.VBox(
            [
                _column(
                    self.funnel_view.figure,
                    self.funnel_view.legend,
                    "0 0 auto",
                    min(340 * font_scale**0.5, 0.55 * height),
                ),
                _column(
                    self.estimators_view.figure,
                    self.estimators_view.legend,
                    "0 0 auto",
                    self.estimators_view.height,
                ),
            ],
            layout=w.Layout(flex=f"2 1 {side}", min_width="0"),
        )
        figures = w.HBox(
            [_column(self.figure, self.view.legend, "3 1 500px", height), right],
            layout=w.Layout(**_WRAP),
        )
        self._finish([figures, self.controls], font_scale, "shrinkviz-forest")

    # --- what a click does ------------------------------------------------------------------

    def click(self, j: int) -> None:
        """A click on study j: select it and leave it out (or put it back); one message per
        widget for both (the markers, and the controls and words that say the selection)."""
        c, s = self.controls, self.state
        held = (self.view.own, self.view.pooled, c.group, c.leave_out, c.readout, self.live)
        old = s.snapshot
        with contextlib.ExitStack() as stack:
            for widget in held:
                stack.enter_context(widget.hold_sync())
            # the readout and the words follow once, after both (not for the selection and
            # again for the fit)
            self._quiet = c._quiet = True
            try:
                s.selected = j
                s.toggle(j)
            finally:
                self._quiet = c._quiet = False
            c._read(None)
            moved = s.snapshot is not old  # else refused: only the selection changed
            self._moved({"name": "snapshot" if moved else "selected", "old": old})

    def choose(self, method: str) -> None:
        """Use ``method``'s tau2 (a click on its marker in the estimators strip)."""
        self.state.method = method

    # --- the picture drawn in the kernel (savefig, the static picture) ----------------------

    @property
    def _static_size(self) -> tuple[float, float]:
        fs = max(self.font_scale, 1.0)
        return 12.0 * fs**0.5, float(np.clip((0.28 * len(self.state.y) + 3.2) * fs, 6.0, 24.0))

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import forest

        fv = self.view

        def ticks(axis):
            values, labels = axis.tick_values, axis.tick_labels
            return (values, [labels[t.js_number(x)] for x in values]) if labels else None

        forest.draw(
            fig,
            snapshot,
            labels=fv._names,
            positions=fv.positions(snapshot),
            selected=self.state.selected,
            study_name=fv._paxis.label,
            value_name=fv._vaxis.label,
            title=self.figure.title,
            value_lim=(fv._vs.min, fv._vs.max),
            value_ticks=ticks(fv._vaxis),
            funnel_lim=(self.funnel_view._xs.min, self.funnel_view._xs.max),
            funnel_ticks=ticks(self.funnel_view._xaxis),
            tau2_end=self.estimators_view._xs.max,
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    def _caption(self, snapshot) -> str:
        return " ".join(self._summary(snapshot))

    def sweep_snapshots(self) -> list:
        """Play's sweep of tau2 with tau2 fixed at each position (method "fixed"), the
        state left as it was."""
        s = self.state
        with s._echoing(), s.hold_trait_notifications():
            method = s.method
            s.method = GIVEN
            try:
                return super().sweep_snapshots()
            finally:
                s.method = method

    def _describe_change(self, old, new) -> str:
        """What a move did, in words a screen reader says (the live region)."""
        s, fit = self.state, new.forest.fit
        how = "tau squared fixed" if new.method == GIVEN else f"{new.method} estimate"
        tau2 = "infinity" if new.method == GIVEN and s.tau2 == np.inf else spoken(fit.tau2)
        test = "Knapp-Hartung" if fit.test == "knha" else "z"
        text = (
            f"{how}, tau squared {tau2}: the pooled effect is {number(fit.mu)}, "
            f"{fit.level * 100:.0f} percent confidence interval {number(fit.ci_lb)} to "
            f"{number(fit.ci_ub)} ({test}), prediction interval {number(fit.pi_lb)} to "
            f"{number(fit.pi_ub)}; {fit.k} of {len(new.y)} studies in"
        )
        if old is not None and old.left_out != new.left_out:
            changed = sorted(set(old.left_out) ^ set(new.left_out))
            names = ", ".join(s.labels[i] for i in changed)
            verb = "left out" if set(changed) <= set(new.left_out) else "put back"
            text = (
                f"{names} {verb}: the pooled effect moved from {number(old.forest.fit.mu)} to "
                f"{number(fit.mu)}. " + text
            )
        if new.left_out:
            ref = new.reference.fit
            text += f"; with every study in it is {number(ref.mu)}"
        j, fo = s.selected, new.forest
        study = f"{self.view._paxis.label} {s.labels[j]}: own estimate {number(new.y[j])}"
        if fo.kept[j]:
            study += f", partial pooling {number(fo.pred[j])}, weight {fo.weight[j]:.3g} percent"
        else:
            study += ", left out"
        return f"{text}. Selected {study}"

    def _table(self, snapshot):
        """Each study's numbers as the forest shows them (the "describe" table)."""
        fo = snapshot.forest
        columns = [
            self.view._paxis.label,
            "y_i (no pooling)",
            "95% CI",
            "v_i",
            "θ_i (partial pooling)",
            "interval",
            "weight %",
        ]
        rows = []
        for j, name in enumerate(self.state.labels):
            own = [name, number(snapshot.y[j]), f"{number(fo.ci_lb[j])} to {number(fo.ci_ub[j])}"]
            own.append(number(snapshot.v[j]))
            if fo.kept[j]:
                rows.append(
                    own
                    + [
                        number(fo.pred[j]),
                        f"{number(fo.pred_lb[j])} to {number(fo.pred_ub[j])}",
                        f"{fo.weight[j]:.3g}",
                    ]
                )
            else:
                rows.append(own + ["left out", "", ""])
        return columns, rows

    def _summary(self, snapshot) -> list[str]:
        """The numbers shown, in words (plain text): the fit, what leaving studies out
        changed, the selected study. The readout and the picture's caption."""
        s, f = self.state, snapshot
        fo, fit = f.forest, f.forest.fit
        test = "Knapp-Hartung" if fit.test == "knha" else "z"
        how = "τ² fixed" if f.method == GIVEN else f.method
        tau2 = "τ² = ∞" if f.method == GIVEN and s.tau2 == np.inf else tau2_text(fit.tau2)
        lines = [
            f"{how}: μ = {self.back(fit.mu)}, {fit.level:.0%} CI [{number(fit.ci_lb)}, "
            f"{number(fit.ci_ub)}] ({test}); prediction interval [{number(fit.pi_lb)}, "
            f"{number(fit.pi_ub)}]; {tau2}, I² = {fit.I2:.3g}%; {fit.k} of {len(f.y)} studies."
        ]
        if f.left_out:
            ref = f.reference.fit
            names = ", ".join(s.labels[i] for i in f.left_out)
            lines.append(
                f"Without {names}: μ moved by {fit.mu - ref.mu:+.3g} (from {number(ref.mu)} "
                f"to {number(fit.mu)}), τ² from {number(ref.tau2)} to {number(fit.tau2)}."
            )
        j = s.selected
        study = (
            f"{s.labels[j]}: y = {self.back(f.y[j])} [{number(fo.ci_lb[j])}, "
            f"{number(fo.ci_ub[j])}], v = {number(f.v[j])}"
        )
        if not fo.kept[j]:
            study += " (left out)."
        else:
            study += (
                f"; partial pooling {number(fo.pred[j])} [{number(fo.pred_lb[j])}, "
                f"{number(fo.pred_ub[j])}], weight {fo.weight[j]:.3g}%."
            )
        lines.append(study)
        return lines

    def back(self, x: float) -> str:
        """An effect as text, with its back-transformed value when there is a transform."""
        if self.transform is None:
            return number(x)
        return (
            f"{number(x)} ({self.back_name or 'back-transformed'} "
            f"{number(float(TRANSFORMS[self.transform](x)))})"
        )

    # --- constructors -----------------------------------------------------------------------

    @classmethod
    def from_meta(cls, y, v, labels=None, **kw) -> ForestExplorer:
        """Studies with effects ``y`` and sampling variances ``v`` (> 0). A pandas Series
        ``y`` with a named index labels the studies by it; the axes are named after the
        labels' and ``y``'s names."""
        labels = _labels_of(y, labels)
        kw = {"study_name": _name(labels, "study"), "value_name": _name(y, "effect"), **kw}
        return cls(_numbers("y", y), _numbers("v", v), labels=_list(labels), **kw)

    @classmethod
    def from_frame(cls, df, y: str = "yi", v: str = "vi", labels=None, **kw) -> ForestExplorer:
        """Studies as rows of ``df``: effects in column ``y``, sampling variances in column
        ``v``, names in column ``labels`` (a column name) or given as a sequence. A missing
        or bad value is refused naming the column and the row."""
        cols = read_columns(df, **{"y": y, "v": v})
        bad = np.flatnonzero(~((cols["v"] > 0) & np.isfinite(cols["v"])))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"v column {v!r} must be > 0 and finite (got {cols['v'][i]!r}"
                f" at row {_row(df, i)!r})"
            )
        labels = _frame_labels(df, labels)
        kw = {"value_name": y, **kw}
        return cls(cols["y"], cols["v"], labels=labels, **kw)

    @classmethod
    def from_table(
        cls, df, measure: str, *, labels=None, add=None, to="only0", drop00=False, **columns
    ) -> ForestExplorer:
        """Studies as raw tables: ``columns`` maps metafor's argument names to columns of
        ``df`` (``ai``, ``bi``, ``ci``, ``di`` or ``n1i``, ``n2i`` for 2x2 tables; ``m1i``,
        ``sd1i``, ``n1i``, ``m2i``, ``sd2i``, ``n2i`` for means; ``ri``, ``ni``; ``xi``,
        ``ni``), ``measure`` one of metafor's (RR, OR, RD, MD, SMD, ROM, COR, ZCOR, PR, PLO,
        PAS). The effect sizes are ``shrinkviz.effect_sizes_frame`` (metafor's ``escalc``).
        Ratios are drawn on the log scale with back-transformed tick labels (the option
        ``transform`` says otherwise). Options of the explorer go in ``**columns`` too when
        they are not argument names of ``escalc``.
        """
        explorer_kw = {k: columns.pop(k) for k in list(columns) if k in _EXPLORER_OPTIONS}
        es = effect_sizes_frame(df, measure, add=add, to=to, drop00=drop00, **columns)
        missing = np.flatnonzero(~np.isfinite(es.yi) | ~np.isfinite(es.vi))
        if missing.size:
            i = int(missing[0])
            raise ValueError(
                f"the {measure} of row {_row(df, i)!r} is not defined (a zero cell with"
                f" add=0, or drop00=True): leave the row out of df"
            )
        kw = {
            "value_name": _VALUE_NAMES.get(measure, measure),
            "transform": MEASURE_TRANSFORMS.get(measure),
            "back_name": _BACK_NAMES.get(measure),
            **explorer_kw,
        }
        return cls(es.yi, es.vi, labels=_frame_labels(df, labels), **kw)

    @classmethod
    def bcg(cls, **kw) -> ForestExplorer:
        """Colditz et al. (1994): 13 trials of the BCG vaccine against tuberculosis, from
        their 2x2 tables (vaccinated / not, tuberculosis / not) to log risk ratios."""
        df = data.bcg()
        df["study"] = [f"{a} {y}" for a, y in zip(df["author"], df["year"], strict=True)]
        kw = {"title": "BCG vaccine trials", "study_name": "trial", **kw}
        return cls.from_table(
            df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", labels="study", **kw
        )

    @classmethod
    def teacher_expectancy(cls, **kw) -> ForestExplorer:
        """Raudenbush (1984): 19 experiments on teacher expectancy and pupils' IQ,
        standardized mean differences."""
        kw = {"title": "Teacher expectancy", "value_name": "standardized mean difference", **kw}
        return cls.from_frame(data.teacher_expectancy(), y="yi", v="vi", labels="label", **kw)


_EXPLORER_OPTIONS = (
    "method",
    "test",
    "sort",
    "transform",
    "study_name",
    "value_name",
    "back_name",
    "title",
    "font_scale",
    "animation_duration",
)


def _frame_labels(df, labels):
    """Labels from a column name, a sequence, or the rows' positions 1..k."""
    if labels is None:
        return None
    if isinstance(labels, str):
        return _list(read_columns(df, group=labels)["group"])
    return _list(labels)


class _Relabelled(w.Dropdown):
    """A dropdown whose new options, when they are the old values with new labels (each
    estimator with its tau2 on other studies), keep the selected value: ipywidgets' Dropdown
    selects the first option and then ours again (six more changes of index, value and label,
    and the unchanged index in the message)."""

    @traitlets.observe("options")
    def _propagate_options(self, change):
        values = tuple(v for _, v in self._options_full)
        if (
            self._initializing_traits_ is True
            or self.index is None
            or values != self._options_values
        ):
            super()._propagate_options(change)
            return
        self.set_trait("_options_labels", tuple(label for label, _ in self._options_full))
        self.label = self._options_labels[self.index]


class ForestControls(w.VBox):
    """The controls of a ``ForestExplorer``: tau2 (slider and Play), the estimator of tau2
    (each option shows its tau2 on the kept studies), z or Knapp-Hartung, the rows' order,
    the selected study with "leave out" / "put back", "put all back", the readout and the
    error line."""

    def __init__(self, explorer: ForestExplorer, grid: np.ndarray):
        self.explorer = explorer
        state = self.state = explorer.state
        self.tau2 = PoolingSlider(state, grid)
        self.method = _Relabelled(
            description="τ² from",
            options=self._method_options(),
            value=state.method,
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
        self.method.add_class("shrinkviz-method")
        self._setting = False
        self._options_of = None  # the snapshot's estimates the options were made from
        self._quiet = False  # True while a click changes two inputs (it reads once after)
        self.method.observe(self._method_chosen, "value")
        self.test = w.ToggleButtons(
            options=_TESTS,
            value=state.test,
            tooltips=[
                "μ's CI from the normal distribution",
                "Knapp & Hartung (2003): scaled variance, t distribution with k - 1 df",
            ],
            style={"button_width": "auto"},
        )
        self.test.add_class("shrinkviz-test")
        traitlets.link((self.test, "value"), (state, "test"))
        self.sort = w.Dropdown(
            description="rows by",
            options=SORTS,
            value=state.sort,
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
        self.sort.add_class("shrinkviz-sort")
        traitlets.link((self.sort, "value"), (state, "sort"))
        self.group = group_dropdown(state)
        self.leave_out = w.Button(layout=w.Layout(width="auto", min_width="8em"))
        self.leave_out.add_class("shrinkviz-leave-out")
        self.leave_out.on_click(lambda _: state.toggle(state.selected))
        self.put_back = w.Button(
            description="put all back", icon="undo", layout=w.Layout(width="auto")
        )
        self.put_back.add_class("shrinkviz-put-back")
        self.put_back.on_click(lambda _: state.put_back())
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.error = error_line(state)
        label = w.Label("μ's interval", layout=w.Layout(width="auto", margin="0 0.5em 0 0"))
        super().__init__(
            [
                self.tau2,
                _controls_row([self.method, label, self.test, self.sort]),
                _controls_row([self.group, self.leave_out, self.put_back]),
                self.readout,
                self.error,
            ]
        )
        self._read(None)
        state.observe(self._read, ["snapshot", "selected"])

    def _method_options(self) -> list:
        est = self.state.snapshot.estimates if self.state.snapshot else {}
        options = [(f"{m} (τ² = {number(est[m])})", m) for m in ESTIMATOR_NAMES]
        return [*options, ("the slider's τ² (fixed)", GIVEN)]

    def _method_chosen(self, change) -> None:
        if not self._setting:
            self.state.method = change["new"]

    def _show_method(self) -> None:
        estimates = self.state.snapshot.estimates
        new_options = estimates is not self._options_of  # the options say these estimates
        if not new_options and self.method.value == self.state.method:
            return
        self._setting = True
        try:
            with self.method.hold_sync():
                if new_options:
                    options = self._method_options()
                    if list(self.method.options) != options:
                        self.method.options = options
                    self._options_of = estimates
                self.method.value = self.state.method
        finally:
            self._setting = False

    def _read(self, _) -> None:
        if self._quiet:
            return
        s = self.state
        f = s.snapshot
        self._show_method()
        j = s.selected
        out = bool(not f.forest.kept[j])
        self.leave_out.description = (
            f"put {s.labels[j]} back" if out else f"leave {s.labels[j]} out"
        )
        self.leave_out.icon = "undo" if out else "eye-slash"
        self.put_back.disabled = not f.left_out
        self.readout.value = "<br>".join(map(html.escape, self.explorer._summary(f)))
