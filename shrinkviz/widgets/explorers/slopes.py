"""SlopesExplorer: varying intercepts and slopes, each group's pair pulled toward mu."""

from __future__ import annotations

import math

import ipywidgets as w
import numpy as np

from ... import data
from ...model.frames import read_columns
from ..controls import (
    FloatLogSlider,
    FloatSlider,
    NSlider,
    PoolingSlider,
    _Controls,
    _row,
    _wide,
    error_line,
    fit_button,
    group_dropdown,
    number,
    pooling_grid,
    with_value,
)
from ..state.slopes import SlopesState
from ..views.slopes import PairsView, SlopePanelsView
from ._base import _WRAP, _column, _Explorer, _panels, spoken

# lme4's sleepstudy: subjects with steep, flat, negative and typical slopes
SLEEPSTUDY_SUBJECTS = ("308", "309", "330", "335", "337", "370")
_STYLE = {"description_width": "9em"}


class SlopesExplorer(_Explorer):
    """Varying intercepts and slopes (``shrinkviz.slopes_fit`` and its O(J) ``update``;
    Gelman & Hill 2007, ch. 13; lme4's ``lmer(y ~ x + (1 + x | group))``).

    Top left: every group's (intercept, slope): its own OLS line (hollow marker), its
    partial-pooling line (filled marker), a segment between them, mu and the 50% and 90%
    ellipses of N(mu, Sigma), with the controls beside it. Below: small multiples of
    ``panels`` (default: 6 groups from small to large n), each with its points and the
    complete- (dashed), no- (dotted) and partial-pooling (solid) lines. Controls: "pooling"
    scales Sigma from 0 (complete pooling) to inf (no pooling), with Play; sigma2,
    tau_alpha, tau_beta, rho; the selected group (click a marker or use the dropdown) and
    its n_j (the first n_j rows are used); "fit" (REML on the rows in use).

    CSS classes: the box ``shrinkviz-explorer shrinkviz-slopes``; the figures
    ``shrinkviz-figure`` (``shrinkviz-pairs-figure``, ``shrinkviz-panels-figure``);
    controls ``shrinkviz-scale``, ``shrinkviz-play``, ``shrinkviz-sigma2``,
    ``shrinkviz-tau-alpha``, ``shrinkviz-tau-beta``, ``shrinkviz-rho``, ``shrinkviz-fit``,
    ``shrinkviz-group``, ``shrinkviz-n``, ``shrinkviz-readout``, ``shrinkviz-error``.
    """

    def __init__(
        self,
        x,
        y,
        group,
        *,
        panels=None,
        ncols=3,
        line_styles=None,
        x_name="x",
        y_name="y",
        group_name="group",
        title="",
        font_scale=1.0,
        animation_duration=500,
    ):
        super().__init__()
        self.state = SlopesState(x, y, group)
        s = self.state
        chosen = _panels(panels, s.labels, s.n_max)
        if panels is None and len(chosen) > 6:  # 6 of the 8 spread over n
            chosen = chosen[np.linspace(0, len(chosen) - 1, 6).round().astype(int)]
        panels = chosen
        s.selected = int(panels[0])
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        self.pairs = PairsView(
            s,
            group_name=group_name,
            x_name=f"intercept α_j ({y_name} at {x_name} = 0)",
            y_name=f"slope β_j ({y_name} per {x_name})",
            **kw,
        )
        self.panels_view = SlopePanelsView(
            s,
            panels,
            ncols=ncols,
            line_styles=line_styles,
            x_name=x_name,
            y_name=y_name,
            title=title,
            **kw,
        )
        self.figure = self.pairs.figure
        self.figures = {"main": self.figure, "panels": self.panels_view.figure}
        for fig, css in (
            (self.figure, "shrinkviz-pairs-figure"),
            (self.panels_view.figure, "shrinkviz-panels-figure"),
        ):
            fig.add_class("shrinkviz-figure")
            fig.add_class(css)
        self.controls = SlopesControls(s)
        self._ncols, self._group_name = ncols, group_name  # for the static picture
        rows = -(-len(panels) // ncols)
        m = max(font_scale, 1)
        # the 2-D panel beside the controls that move it, the small multiples below
        pairs = _column(self.figure, self.pairs.legend, f"1 1 {420 * m:.0f}px", 400 * m**0.5)
        panels_box = _column(
            self.panels_view.figure,
            self.panels_view.legend,
            "1 1 100%",
            (70 + 40 * bool(title)) * font_scale + 190 * font_scale * rows,
        )
        self._finish(
            [w.HBox([pairs, self.controls], layout=w.Layout(**_WRAP)), panels_box],
            font_scale,
            "shrinkviz-slopes",
        )

    # -- the static picture (savefig, save_animation; explorers/_base.py's hooks) ----------

    @property
    def _static_size(self) -> tuple[float, float]:
        rows = int(np.ceil(len(self.panels_view.panels) / self._ncols))
        return 13.0, max(5.5, 2.4 * rows + 1.6)

    def _sweep(self) -> tuple[str, np.ndarray]:
        """Play sweeps the pooling scale from no pooling (inf) to complete pooling (0)."""
        return "scale", self.controls.scale.grid[::-1]

    def _draw_static(self, fig, snapshot) -> None:
        from ..static import slopes

        s, pv, pairs = self.state, self.panels_view, self.pairs
        slopes.draw(
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
            x_name=pv.figure.axes[0].label,
            y_name=pv.figure.axes[1].label,
            group_name=self._group_name,
            alpha_name=self.figure.axes[0].label,
            beta_name=self.figure.axes[1].label,
            limits=((pairs.xs.min, pairs.xs.max), (pairs.ys.min, pairs.ys.max)),
            caption=self._caption(snapshot),
            font_scale=self.font_scale,
        )

    def _caption(self, f) -> str:
        fit, s, j = f.fit, self.state, self.state.selected
        p = fit.partial_pooling
        own = (
            "no line of its own"
            if fit.no_pooling.missing[j]
            else f"no pooling ({number(fit.no_pooling.alpha[j])}, {number(fit.no_pooling.beta[j])})"
        )
        sigma = "∞" if f.scale == np.inf else number(f.scale)
        return (
            f"σ² = {number(s.sigma2)}, τ_α = {number(s.tau_alpha)}, τ_β = "
            f"{number(s.tau_beta)}, ρ = {number(s.rho)}, Σ × {sigma}; μ = ({number(p.mu[0])}, "
            f"{number(p.mu[1])}); {s.labels[j]}: n_j = {int(fit.n[j])} of "
            f"{int(s.n_max[j])}, {own}, partial pooling ({number(p.alpha[j])}, "
            f"{number(p.beta[j])})"
        )

    # -- the text alternative (explorers/_base.py's hooks) -----------------------------------

    def _table(self, f):
        fit, p = f.fit, f.fit.partial_pooling
        columns = [self._group_name, "n_j", "own intercept", "own slope"]
        columns += ["partial pooling intercept", "partial pooling slope"]
        rows = []
        for j, g in enumerate(self.state.labels):
            own = (
                ["no line", "no line"]
                if fit.no_pooling.missing[j]
                else [number(fit.no_pooling.alpha[j]), number(fit.no_pooling.beta[j])]
            )
            rows.append([g, str(int(fit.n[j])), *own, number(p.alpha[j]), number(p.beta[j])])
        return columns, rows

    def _describe_change(self, old, new) -> str:
        """In words a screen reader says: the pooling, the population and how far the pairs
        moved from their own lines, and the selected group's numbers."""
        s, fit, j = self.state, new.fit, self.state.selected
        p, none = fit.partial_pooling, fit.no_pooling
        has = ~none.missing
        moved = np.abs(p.beta - none.beta)[has]
        own = (
            "no line of its own"
            if none.missing[j]
            else f"own intercept {number(none.alpha[j])}, own slope {number(none.beta[j])}"
        )
        return (
            f"Sigma times {spoken(new.scale)}: tau alpha {number(s.tau_alpha)}, tau beta "
            f"{number(s.tau_beta)}, rho {number(s.rho)}, sigma squared {number(s.sigma2)}. "
            f"Centre mu: intercept {number(p.mu[0])}, slope {number(p.mu[1])}. Slopes moved "
            f"by up to {number(moved.max()) if has.any() else 'nothing'} from the groups' own "
            f"lines. {self._group_name} {s.labels[j]}: {int(fit.n[j])} of {int(s.n_max[j])} "
            f"rows, {own}, partial "
            f"pooling intercept {number(p.alpha[j])}, slope {number(p.beta[j])}"
        )

    @classmethod
    def sleepstudy(cls, **kw) -> SlopesExplorer:
        """lme4's sleepstudy (Belenky et al. 2003): reaction time (ms) against days of sleep
        deprivation for 18 subjects, ``Reaction ~ Days + (Days | Subject)``."""
        kw = {
            "panels": SLEEPSTUDY_SUBJECTS,
            "x_name": "Days",
            "y_name": "Reaction",
            "group_name": "subject",
            **kw,
        }
        return cls.from_frame(data.sleepstudy(), x="Days", y="Reaction", group="Subject", **kw)

    @classmethod
    def radon(cls, **kw) -> SlopesExplorer:
        """Minnesota radon with a floor slope by county (Gelman & Hill 2007, 13.1)."""
        kw = {
            "panels": ("LACQUIPARLE", "AITKIN", "DOUGLAS", "CLAY", "STEARNS", "STLOUIS"),
            "x_name": "floor",
            "y_name": "log radon",
            "group_name": "county",
            **kw,
        }
        return cls.from_frame(data.radon(), x="floor", y="log_radon", group="county", **kw)

    @classmethod
    def from_frame(cls, df, x: str, y: str, group: str, **kw) -> SlopesExplorer:
        """One row per observation: columns ``x`` and ``y`` (numbers) and ``group``, read as
        ``shrinkviz.slopes_fit_frame`` reads them (``shrinkviz.model.frames.read_columns``)."""
        cols = read_columns(df, x=x, y=y, group=group)
        kw = {"x_name": x, "y_name": y, "group_name": group, **kw}
        return cls(cols["x"], cols["y"], cols["group"], **kw)


class SlopesControls(_Controls):
    """Controls of a ``SlopesState``: the pooling scale of Sigma (0 .. inf) and Play, sigma2,
    tau_alpha, tau_beta, rho, "fit", the selected group and its n_j, a readout and the
    error line."""

    def __init__(self, state):
        self.state = state
        self.scale = PoolingSlider(
            state,
            pooling_grid(0.01, 100),
            trait="scale",
            description="pooling: Σ ×",
            symbol="Σ",
            css="shrinkviz-scale",
        )
        self.sigma2 = _log(state, "sigma2", "σ² (sigma2)")
        f = state.base
        self.tau_alpha = _linear(
            state, "tau_alpha", "τ_α (tau_alpha)", 0.0, 3 * _spread(f.no_pooling.alpha, f.tau_alpha)
        )
        self.tau_beta = _linear(
            state, "tau_beta", "τ_β (tau_beta)", 0.0, 3 * _spread(f.no_pooling.beta, f.tau_beta)
        )
        self.rho = _linear(state, "rho", "ρ (rho)", -1.0, 1.0, steps=200)
        self.fit = fit_button(state)
        self.fit.description = "fit (REML)"
        self.fit.tooltip = "set σ², τ_α, τ_β and ρ to their REML estimates, Σ × 1"
        self.group = group_dropdown(state)
        self.n_box = NSlider(state, state.n_max, "rows used n_j")
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.error = error_line(state)
        super().__init__(
            [
                self.scale,
                *(
                    with_value(getattr(self, k), state, k)
                    for k in ("sigma2", "tau_alpha", "tau_beta", "rho")
                ),
                _row([self.fit, self.group]),
                self.n_box,
                self.readout,
                self.error,
            ],
            layout=w.Layout(flex="1 1 30em", min_width="min(30em, 100%)"),
        )
        self._read(None)
        state.observe(self._read, ["snapshot", "selected"])

    def _read(self, _) -> None:
        s, j = self.state, self.state.selected
        f = s.snapshot
        fit, p = f.fit, f.fit.partial_pooling
        if fit.n[j] == 0:
            own = "no data"
        elif fit.no_pooling.missing[j]:
            own = "no line of its own (x does not vary)"
        else:
            own = f"α_j = {number(fit.no_pooling.alpha[j])}, β_j = {number(fit.no_pooling.beta[j])}"
        text = (
            f"n_j = {int(fit.n[j])} of {int(s.n_max[j])}; "
            f"no pooling {own}; partial pooling α_j = {number(p.alpha[j])}, "
            f"β_j = {number(p.beta[j])}; μ = ({number(p.mu[0])}, {number(p.mu[1])}); "
            f"σ² = {number(s.sigma2)}, τ_α = {number(s.tau_alpha)}, "
            f"τ_β = {number(s.tau_beta)}, ρ = {number(s.rho)}, Σ × {number(f.scale)}"
        )
        # a number stays on the line of its name
        text = text.replace(" = ", "&nbsp;=&nbsp;").replace(" × ", "&nbsp;×&nbsp;")
        self.readout.value = f"<b>{s.labels[j]}</b>: {text}"


def _spread(estimates, tau: float) -> float:
    """A slider's top: the larger of tau and the sd of the groups' own estimates."""
    own = estimates[np.isfinite(estimates)]
    sd = float(own.std()) if len(own) > 1 else 0.0
    return max(tau, sd) or 1.0


def _linear(state, name, description, lo, hi, steps=100) -> w.FloatSlider:
    """A linear slider bound to ``state.<name>`` (its number: ``with_value``)."""
    s = FloatSlider(
        min=lo,
        max=hi,
        step=(hi - lo) / steps,
        description=description,
        layout=_wide(),
        style=_STYLE,
        readout=False,
    )
    s.add_class(f"shrinkviz-{name.replace('_', '-')}")
    _bind(s, state, name, lo, hi)
    return s


def _log(state, name, description, span=2.0) -> w.FloatLogSlider:
    """A log slider bound to ``state.<name>``, 10**span either side of its value."""
    v = math.log10(getattr(state, name))
    s = FloatLogSlider(
        min=v - span,
        max=v + span,
        step=span / 40,
        description=description,
        layout=_wide(),
        style=_STYLE,
        readout=False,
    )
    s.add_class(f"shrinkviz-{name}")
    _bind(s, state, name, log=True)
    return s


def _bind(slider, state, name: str, lo=-math.inf, hi=math.inf, log: bool = False) -> None:
    """Slider and ``state.<name>`` follow each other. The state keeps a value set elsewhere
    ("fit") exactly: the browser's slider snaps it to its nearest step and sends that back,
    and a value within half a step of the state's is taken as that echo, not as a move."""
    showing = []

    def position(v):
        return math.log10(v) if log else v

    def moved(change):
        old = getattr(state, name)
        if showing:
            return
        if math.isfinite(old) and (old > 0 or not log):
            if abs(position(change["new"]) - position(old)) < 0.501 * slider.step:
                return
        setattr(state, name, min(max(change["new"], lo), hi))

    def show(_):
        v = getattr(state, name)
        if not math.isfinite(v) or (log and v <= 0):
            return  # a refused value: the slider stays where it was
        showing.append(1)
        try:
            slider.value = v  # ipywidgets keeps it inside the slider's range
        finally:
            showing.clear()

    show(None)
    slider.observe(moved, "value")
    state.observe(show, name)
