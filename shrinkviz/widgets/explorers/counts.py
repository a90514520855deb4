"""CountsExplorer: proportions or rates pulled toward the prior mean as the prior's strength
(a + b, or b) moves from no pooling to complete pooling, exactly (beta-binomial, gamma-Poisson)."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import traitlets

from ... import data
from ..controls import (
    _STYLE,
    FloatSlider,
    PoolingSlider,
    _row,
    _wide,
    error_line,
    group_dropdown,
    number,
    pooling_grid,
    with_value,
)
from ..state.counts import CountsState
from ..views.counts import CountsView, LogSizeView
from ._base import (
    _WRAP,
    _check_layout,
    _column,
    _Explorer,
    _labels_of,
    _list,
    _name,
    spoken,
)


class CountsControls(w.VBox):
    """Controls of a ``CountsState``: the prior size and Play, "fit (EB)", the selected group,
    the prior mean estimated or fixed, full Bayes (with the p(log(a + b) | y) panel), a
    readout and the error line."""

    def __init__(self, state, grid: np.ndarray, *, averaging: bool):
        self.state = state
        binomial = state.family == "binomial"
        size_name = "a + b" if binomial else "b"
        self.size = PoolingSlider(
            state,
            grid,
            trait="prior_size",
            description=f"prior size {size_name}",
            symbol=size_name,
            css="shrinkviz-prior-size",
            no_pooling_at=0.0,
        )
        self.fit = w.Button(
            description=f"fit {size_name} (EB)",
            icon="crosshairs",
            tooltip="set the prior to its empirical-Bayes estimate (maximum marginal likelihood)",
            layout=w.Layout(width="auto", min_width="10em"),
        )
        self.fit.add_class("shrinkviz-fit")
        self.fit.on_click(lambda _: state.fit())
        self.group = group_dropdown(state)
        self.mean_mode = w.ToggleButtons(
            options=["estimated", "fixed"],
            value="estimated" if state.prior_mean_estimated else "fixed",
            tooltips=[
                "prior mean = the raw rates' mean weighted by 1 - B_j at this prior size",
                "prior mean = the value below",
            ],
            style={"button_width": "7.5em"},
        )
        self.mean_mode.add_class("shrinkviz-prior-mean-mode")
        raw = state.base.raw[state.trials > 0]
        lo = float(raw[raw > 0].min()) / 2 if np.any(raw > 0) else 1e-3
        hi = float(raw.max()) if not binomial else min(float(raw.max()), 0.999)
        self.mean = FloatSlider(
            value=state.prior_mean,
            min=lo,
            max=max(hi, lo * 2),
            step=(hi - lo) / 100,
            description="fixed prior mean",
            layout=_wide(),
            style=_STYLE,
            readout=False,
        )
        self.mean.add_class("shrinkviz-prior-mean")
        traitlets.link((self.mean, "value"), (state, "prior_mean"))
        self.mean_mode.observe(self._mean_mode, "value")
        self.mean_hint = w.HTML()
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        rows = [
            self.size,
            _row([self.fit, self.group]),
            _row(
                [
                    w.Label("prior mean", layout=w.Layout(width="9.3em")),
                    self.mean_mode,
                    self.mean_hint,
                ]
            ),
            with_value(self.mean, state, "prior_mean"),
        ]
        if averaging:
            self.average_over_prior = w.Checkbox(
                value=state.average_over_prior,
                indent=False,
                description="average over (a, b) (full Bayes)",
                layout=w.Layout(width="auto"),
            )
            self.average_over_prior.add_class("shrinkviz-full-bayes")
            traitlets.link((self.average_over_prior, "value"), (state, "average_over_prior"))
            rows.append(self.average_over_prior)
        self.error = error_line(state)
        rows += [self.readout, self.error]
        super().__init__(rows)
        self._modes(None)
        self._read(None)
        state.observe(self._modes, ["prior_mean_estimated", "inactive", "inactive_hint"])
        state.observe(self._read, ["snapshot"])

    def _mean_mode(self, change) -> None:
        self.state.prior_mean_estimated = change["new"] == "estimated"

    def _modes(self, _) -> None:
        s = self.state
        self.mean_mode.value = "estimated" if s.prior_mean_estimated else "fixed"
        off = s.inactive
        self.size.enable("prior_size" not in off, s.inactive_hint)
        self.fit.disabled = "prior_size" in off
        self.mean_mode.disabled = "prior_mean_estimated" in off
        self.mean.disabled = "prior_mean" in off or s.prior_mean_estimated
        self.mean_hint.value = f"<i>{s.inactive_hint}</i>" if "prior_mean" in off else ""

    def _read(self, _) -> None:
        s = self.state
        self.readout.value = f"<b>{s.labels[s.selected]}</b>: {describe(s, s.snapshot)}"


def describe(state, f) -> str:
    """The selected group's numbers and the prior's in ``f`` (a snapshot of ``state``), as the
    readout and the static picture's caption show them (``number``: one rounding)."""
    j = state.selected
    binomial = state.family == "binomial"
    size_name = "a + b" if binomial else "b"
    if not f.has_data[j]:
        data_ = f"{'n_j' if binomial else 'E_j'} = 0: no data"
    elif binomial:
        data_ = (
            f"y_j = {number(f.y[j])} of n_j = {number(f.trials[j])} (raw rate {number(f.raw[j])})"
        )
    else:
        data_ = f"y_j = {number(f.y[j])} in E_j = {number(f.trials[j])} (rate {number(f.raw[j])})"
    interval = f"{f.level:.0%} interval {number(f.lower)} to {number(f.upper)}"
    if not f.averaged:
        how = "estimated at this size" if state.prior_mean_estimated else "fixed"
        model = (
            f"B_j = {f.B[j]:.3f}, posterior mean {number(f.mean[j])}, {interval}; prior "
            f"mean {number(f.prior_mean)} ({how}), {size_name} = {number(f.prior_size)}"
        )
    else:
        fb = f.full_bayes
        model = (
            f"full Bayes (p(a, b) ∝ (a + b)^(−5/2)): posterior mean {number(f.mean[j])} ± "
            f"{f.sd[j]:.2g}, {interval}; E(a / (a + b) | y) = {number(f.prior_mean)}, "
            f"E(log(a + b) | y) = {number(fb.log_size_mean)}"
        )
    return f"{data_}; {model}; pooled rate {number(f.pooled)}"


class CountsExplorer(_Explorer):
    """Proportions (y_j of n_j) or rates (y_j events in exposure E_j) against group size, with
    the prior's strength on a slider from no pooling to complete pooling, exactly.

    Beta-binomial: theta_j ~ Beta(a, b), posterior Beta(a + y_j, b + n_j - y_j), mean
    (1 - B_j) y_j / n_j + B_j a / (a + b) with B_j = (a + b) / (a + b + n_j)
    (``shrinkviz.beta_binomial``); gamma-Poisson: the same with b and E_j
    (``shrinkviz.gamma_poisson``). The prior size a + b plays tau2's part backwards: 0 is no
    pooling, inf complete pooling. x = n_j, so the most extreme raw rates show as the
    smallest groups', and they move most. It starts at the empirical-Bayes prior size with the
    prior mean estimated at each size (``weighted_prior_mean``: the plain mean of the raw rates
    at size 0, the pooled rate at inf); "fit (EB)" sets the empirical-Bayes size and mean.
    Proportions also get the p(log(a + b) | y) panel and a full-Bayes toggle
    (``shrinkviz.full_bayes_binomial``, BDA3 section 5.3). Click a marker (or use the
    selector) to see a group's numbers and its posterior interval.

    CSS classes: the box ``shrinkviz-explorer shrinkviz-counts``; the figures
    ``shrinkviz-figure`` (``shrinkviz-counts-figure``, ``shrinkviz-size-figure``); controls
    ``shrinkviz-prior-size`` (slider), ``shrinkviz-play``, ``shrinkviz-fit``,
    ``shrinkviz-group``, ``shrinkviz-prior-mean-mode``, ``shrinkviz-prior-mean``,
    ``shrinkviz-full-bayes``, ``shrinkviz-readout``, ``shrinkviz-error``.

    Constructors: ``rat_tumors()``, ``surgical()``, ``from_counts(y, n)``,
    ``from_rates(y, exposure)``, ``from_frame(df, y=, n= or exposure=, group=)``.
    Options: ``a``, ``b`` (a prior to start from instead of empirical Bayes), ``level`` of
    the interval, ``font_scale``, ``animation_duration``, ``size_panel`` (default: for
    proportions), ``group_name``, ``size_name``, ``value_name``, ``title``, ``layout``.
    """

    def __init__(
        self,
        y,
        *,
        n=None,
        exposure=None,
        labels=None,
        a=None,
        b=None,
        level=0.95,
        group_name="group",
        size_name=None,
        value_name=None,
        title="",
        font_scale=1.0,
        animation_duration=500,
        size_panel=None,
        layout="default",
    ):
        super().__init__()
        _check_layout(layout)
        binomial = n is not None
        if size_panel is None:
            size_panel = binomial
        self.state = CountsState(
            y,
            n=n,
            exposure=exposure,
            labels=labels,
            a=a,
            b=b,
            level=level,
            size_posterior=bool(size_panel),
        )
        if size_panel and self.state.snapshot.full_bayes is None:  # full Bayes refused
            self.state.size_posterior = size_panel = False
        s = self.state
        self.group_name = group_name
        trials = s.trials[s.trials > 0]
        ends = [float(trials.min()), float(trials.max())]
        if np.isfinite(s.prior_size) and s.prior_size > 0:
            ends += [s.prior_size]
        grid = pooling_grid(min(ends) / 30, max(ends) * 30)
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        self.view = CountsView(
            s,
            size_name=size_name or ("n_j (trials)" if binomial else "E_j (exposure)"),
            value_name=value_name or ("y_j / n_j" if binomial else "rate y_j / E_j"),
            title=title,
            **kw,
        )
        self.figure = self.view.figure
        self.figure.add_class("shrinkviz-figure")
        self.figure.add_class("shrinkviz-counts-figure")
        self.figures = {"main": self.figure}
        self.controls = CountsControls(s, grid, averaging=bool(size_panel))
        height = self.view.height if layout == "default" else min(self.view.height, 380)
        columns = [_column(self.figure, self.view.legend, "3 1 420px", height)]
        if size_panel:
            self.size_view = LogSizeView(s, **kw)
            self.size_view.figure.add_class("shrinkviz-figure")
            self.size_view.figure.add_class("shrinkviz-size-figure")
            self.figures["size"] = self.size_view.figure
            columns.append(
                _column(
                    self.size_view.figure,
                    self.size_view.legend,
                    f"2 1 {320 * max(font_scale, 1) ** 0.5:.0f}px",
                    min(height, 440),
                )
            )
        figures = w.HBox(columns, layout=w.Layout(**_WRAP))
        self._finish([figures, self.controls], font_scale, "shrinkviz-counts")

    # -- the static picture (savefig, save_animation, the picture beside the explorer) ------

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import counts

        x_axis, y_axis = self.figure.axes
        xs, ys = x_axis.scale, y_axis.scale
        panel = hasattr(self, "size_view")
        size_lim = None
        if panel and snapshot.full_bayes is not None:
            with np.errstate(divide="ignore"):
                size_lim = self.size_view._ends(float(np.log(snapshot.prior_size)))
        counts.draw(
            fig,
            snapshot,
            family=self.state.family,
            selected=self.state.selected,
            log_x=self.view.log,
            x_lim=(xs.min, xs.max),
            y_lim=(ys.min, ys.max),
            size_name=x_axis.label,
            value_name=y_axis.label,
            title=self.figure.title,
            size_panel=panel,
            size_lim=size_lim,
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    def _caption(self, snapshot) -> str:
        return f"{self.state.labels[self.state.selected]}: {describe(self.state, snapshot)}"

    def _table(self, f):
        binomial = self.state.family == "binomial"
        columns = [self.group_name, "y_j", "n_j" if binomial else "E_j", "raw rate"]
        if not f.averaged:
            columns.append("B_j")
        columns += ["posterior mean", "sd"]
        rows = []
        for j, g in enumerate(self.state.labels):
            raw = number(f.raw[j]) if f.has_data[j] else "no data"
            B = [] if f.averaged else [f"{f.B[j]:.3f}"]
            rows.append(
                [g, number(f.y[j]), number(f.trials[j]), raw, *B, number(f.mean[j])]
                + [f"{f.sd[j]:.2g}"]
            )
        return columns, rows

    def _describe_change(self, old, new) -> str:
        """In words a screen reader says: the prior, where the estimates lie, and the selected
        group's numbers."""
        s = self.state
        j = s.selected
        if new.averaged:
            prior = "full Bayes, averaged over a and b"
        else:
            name = "a plus b" if s.family == "binomial" else "b"
            prior = f"prior size {name} {spoken(new.prior_size)}"
        return (
            f"{prior}: posterior means from {number(new.mean.min())} to "
            f"{number(new.mean.max())}, prior mean {number(new.prior_mean)}, pooled rate "
            f"{number(new.pooled)}. {self.group_name} {s.labels[j]}: {number(new.y[j])} "
            f"{'of' if s.family == 'binomial' else 'events in exposure'} "
            f"{number(new.trials[j])}, posterior mean {number(new.mean[j])}, "
            f"{new.level:.0%} interval {number(new.lower)} to {number(new.upper)}"
        )

    def _sweep(self) -> tuple[str, np.ndarray]:
        return "prior_size", self.controls.size.grid  # Play: no pooling to complete pooling

    def save_animation(self, path, *, fps: float | None = None, dpi: float = 80):
        """Play's sweep of the prior size, from no pooling to complete pooling, as a .gif or
        .mp4 (``_Explorer.save_animation``), at Play's speed unless ``fps`` is given."""
        if fps is None:
            fps = 1000 / self.controls.size.play.interval
        return super().save_animation(path, fps=fps, dpi=dpi)

    @classmethod
    def rat_tumors(cls, **kw) -> CountsExplorer:
        """Tarone (1982), BDA3 table 5.1 and section 5.3: tumours among the rats of 71
        experiments."""
        df = data.rat_tumors()
        kw = {
            "group_name": "experiment",
            "size_name": "n_j (rats in the experiment)",
            "value_name": "proportion with tumours",
            "title": "Rat tumours",
            **kw,
        }
        return cls.from_counts(df["y"], df["n"], labels=df["experiment"], **kw)

    @classmethod
    def surgical(cls, **kw) -> CountsExplorer:
        """Spiegelhalter et al. (1996), BUGS 'Surgical': deaths after cardiac surgery in babies
        at 12 hospitals."""
        df = data.surgical()
        kw = {
            "size_name": "n_j (operations)",
            "value_name": "mortality",
            "title": "Surgical mortality",
            **kw,
        }
        return cls.from_frame(df, y="deaths", n="operations", group="hospital", **kw)

    @classmethod
    def from_counts(cls, y, n, labels=None, **kw) -> CountsExplorer:
        """Proportions: ``y`` successes in ``n`` trials per group (whole numbers, y <= n).
        Without ``labels`` a pandas Series ``y`` with a named index labels the groups by it."""
        labels = _labels_of(y, labels)
        kw = {"group_name": _name(labels, "group"), **kw}
        return cls(y, n=n, labels=_list(labels), **kw)

    @classmethod
    def from_rates(cls, y, exposure, labels=None, **kw) -> CountsExplorer:
        """Rates: ``y`` events (whole numbers) in ``exposure`` E_j > 0 per group (person-years,
        or the expected count)."""
        labels = _labels_of(y, labels)
        kw = {"group_name": _name(labels, "group"), **kw}
        return cls(y, exposure=exposure, labels=_list(labels), **kw)

    @classmethod
    def from_frame(cls, df, y: str, n=None, exposure=None, group=None, **kw) -> CountsExplorer:
        """One row per group: the column ``y`` of counts and ``n`` of trials (or ``exposure``),
        labelled by the column ``group`` (else by the row labels). A bad value is named by
        its column and row."""
        if (n is None) == (exposure is None):
            raise ValueError("give either n= (a column of trials) or exposure= (of exposures)")
        columns = {"y": y, "n": n, "exposure": exposure, "group": group}
        for param, col in columns.items():
            if col is not None and col not in df.columns:
                raise ValueError(
                    f"{param} must be a column of the data frame (got {col!r}; "
                    f"columns: {', '.join(map(str, df.columns))})"
                )
        table = df.set_index(group) if group is not None else df
        kw = {"group_name": group if group is not None else "group", **kw}
        labels = _list(table.index)
        try:
            if n is not None:
                return cls(table[y], n=table[n], labels=labels, **kw)
            return cls(table[y], exposure=table[exposure], labels=labels, **kw)
        except ValueError as e:
            msg = str(e)
            for param, col in columns.items():
                if col is not None and msg.startswith(f"{param} must"):
                    raise ValueError(f"column {col!r} ({param}){msg[len(param) :]}") from None
            raise
