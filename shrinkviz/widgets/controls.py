"""ipywidgets bound to a state: sliders, buttons and the message line.

Every widget writes one input of the state (its handler sets one trait), and reads back
what the state holds, so a state changed elsewhere (the "fit" button, a click on a marker)
moves the widgets too. Sliders are keyboard-usable (focus, then arrow keys).

Stable CSS classes for tests and styling: ``shrinkviz-tau2`` (the tau2 slider),
``shrinkviz-play``, ``shrinkviz-fit``, ``shrinkviz-sigma2``, ``shrinkviz-n``,
``shrinkviz-n-scale``, ``shrinkviz-group``, ``shrinkviz-mu0``, ``shrinkviz-full-bayes``,
``shrinkviz-tau-prior``, ``shrinkviz-error``, ``shrinkviz-readout``.
"""
from __future__ import annotations

import math

import numpy as np
import ipywidgets as w
import traitlets

TAU_PRIORS = ("uniform", "half-cauchy", "half-normal")
# sizes in em follow the widgets' font size, which an explorer scales with font_scale
_STYLE = {"description_width": "9em"}


def _wide() -> w.Layout:
    return w.Layout(width="32em", flex="0 0 auto")


def tau2_grid(lo: float, hi: float, steps: int = 60) -> np.ndarray:
    """Slider positions: 0 (complete pooling), ``steps - 1`` log-spaced values from lo to
    hi, then inf (no pooling), so the two ends are the exact limits."""
    return np.r_[0.0, np.geomspace(lo, hi, steps - 1), np.inf]


def _tau2_text(x: float) -> str:
    return "0" if x == 0 else "∞" if x == np.inf else f"{x:.3g}"


class Tau2Slider(w.VBox):
    """tau2 on a log slider whose ends are exactly 0 ("complete pooling") and inf ("no
    pooling"), with a Play button sweeping from no pooling to complete pooling.

    The slider moves over the positions of ``tau2_grid``; a tau2 set elsewhere (REML "fit")
    keeps its exact value in the state and the slider shows the nearest position.
    """

    def __init__(self, state, grid: np.ndarray, *, interval_ms: int = 150):
        self.state, self.grid = state, np.asarray(grid, dtype=np.float64)
        self._log_inner = np.log(self.grid[1:-1])
        top = len(self.grid) - 1
        self.slider = w.SelectionSlider(
            options=[(_tau2_text(x), float(x)) for x in self.grid], index=self._nearest(),
            description="τ² (tau2)", continuous_update=True, layout=_wide(), style=_STYLE)
        self.slider.add_class("shrinkviz-tau2")
        self.play = w.Play(min=0, max=top, step=1, interval=interval_ms,
                           value=top - self.slider.index, show_repeat=False,
                           description="sweep τ² from no pooling to complete pooling",
                           tooltip="sweep τ² from no pooling to complete pooling")
        self.play.add_class("shrinkviz-play")
        ends = w.HBox([w.HTML("◀ <b>complete pooling</b><br>τ² = 0"),
                       w.HTML("<div style='text-align:right'><b>no pooling</b> ▶<br>"
                              "τ² = ∞</div>")],
                      layout=w.Layout(width="23em", margin="0 0 0 9.3em", flex="0 0 auto",
                                      justify_content="space-between"))
        super().__init__([self.slider, ends,
                          w.HBox([w.Label("play", layout=w.Layout(width="9em")),
                                  self.play])])
        self.slider.observe(self._moved, "index")
        self.play.observe(lambda c: setattr(self.slider, "index", top - c["new"]), "value")
        state.observe(lambda _: setattr(self.slider, "index", self._nearest()), "tau2")

    def _nearest(self) -> int:
        tau2 = self.state.tau2
        if tau2 == 0 or tau2 == np.inf:
            return 0 if tau2 == 0 else len(self.grid) - 1
        return 1 + int(np.argmin(np.abs(self._log_inner - math.log(tau2))))

    def _moved(self, change) -> None:
        if change["new"] != self._nearest():  # not the echo of a tau2 set elsewhere
            self.state.tau2 = float(self.grid[change["new"]])
        self.play.value = len(self.grid) - 1 - change["new"]


def tau2_text(tau2: float) -> str:
    """τ² and τ for a readout; exact where τ² was set off the slider's positions (REML)."""
    tau = "∞" if tau2 == np.inf else f"{math.sqrt(tau2):.3g}"
    return f"τ² = {_tau2_text(tau2)}, τ = {tau}"


def error_line(state) -> w.HTML:
    """The state's ``error`` in red inside the widget (empty when all is well)."""
    html = w.HTML(layout=w.Layout(min_height="1.5em"))
    html.add_class("shrinkviz-error")

    def show(change):
        html.value = (f"<span style='color:#B00020'>⚠ {change['new']} "
                      f"(the picture shows the last valid setting)</span>"
                      if change["new"] else "")
    show({"new": state.error})
    state.observe(show, "error")
    return html


def group_dropdown(state) -> w.Dropdown:
    dd = w.Dropdown(options=[(g, j) for j, g in enumerate(state.labels)], value=state.selected,
                    description="selected", style=_STYLE)
    dd.add_class("shrinkviz-group")
    traitlets.link((dd, "value"), (state, "selected"))
    return dd


def n_slider(state, n_max, description: str = "n_j of selected") -> w.IntSlider:
    """Sample size of the selected group, written with ``state.set_n``; ``n_max`` is one
    bound for all groups or one per group."""
    n_max = np.broadcast_to(np.asarray(n_max, dtype=np.int64), (len(state.labels),))
    s = w.IntSlider(min=0, max=int(n_max[state.selected]), value=int(state.n[state.selected]),
                    description=description, layout=_wide(), style=_STYLE,
                    continuous_update=True)
    s.add_class("shrinkviz-n")
    showing = []  # non-empty while the slider is set from the state (not by the user)

    def moved(change):
        if not showing:
            state.set_n(state.selected, change["new"])

    def show(_):
        showing.append(True)
        try:
            j = state.selected
            s.max = int(n_max[j])
            s.value = int(state.n[j])
        finally:
            showing.pop()
    s.observe(moved, "value")
    state.observe(show, ["n", "selected"])
    return s


def fit_button(state) -> w.Button:
    b = w.Button(description="fit τ² (REML)", icon="crosshairs",
                 tooltip="set τ² to its REML estimate", layout=w.Layout(width="12em"))
    b.add_class("shrinkviz-fit")
    b.on_click(lambda _: state.fit())
    return b


def log_slider(state, name: str, description: str, *, base: float = 10, span: float = 2,
               css: str) -> w.FloatLogSlider:
    """A log slider linked both ways to ``state.<name>``, ``base**span`` either side of its
    value at construction."""
    value = getattr(state, name)
    s = w.FloatLogSlider(value=value, base=base, min=math.log(value, base) - span,
                         max=math.log(value, base) + span, step=span / 40,
                         description=description, layout=_wide(), style=_STYLE,
                         readout_format=".3g")
    s.add_class(css)
    traitlets.link((s, "value"), (state, name))
    return s


class ShrinkageControls(w.VBox):
    """Controls of a ``ShrinkageState``: tau2 and Play, sigma2 (group data), mu0 fixed or
    estimated, the selected group and its n_j, "scale every n", "fit", the full-Bayes
    toggle and prior (when the state computes p(tau | y)), a readout and the error line."""

    def __init__(self, state, grid: np.ndarray, *, n_max: int = 0, tau_panel: bool = False):
        self.state = state
        self.tau2 = Tau2Slider(state, grid)
        self.fit = fit_button(state)
        self.group = group_dropdown(state)
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.mu0_mode = w.ToggleButtons(options=["estimated", "fixed"],
                                        value="estimated" if state.mu0_estimated else "fixed",
                                        tooltips=["μ0 = precision-weighted mean",
                                                  "μ0 = the value below"],
                                        style={"button_width": "7.5em"})
        self.mu0_mode.add_class("shrinkviz-mu0")
        lo, hi = float(state.y.min()), float(state.y.max())
        self.mu0 = w.FloatSlider(value=state.mu0, min=lo, max=hi, step=(hi - lo) / 100,
                                 description="fixed μ0", layout=_wide(), style=_STYLE,
                                 disabled=state.mu0_estimated, readout_format=".3g")
        self.mu0_mode.observe(self._mu0_mode, "value")
        traitlets.link((self.mu0, "value"), (state, "mu0"))
        self.n_scale = log_slider(state, "n_scale", "scale every n", base=2, span=4,
                                  css="shrinkviz-n-scale")
        rows = [self.tau2, w.HBox([self.fit, self.group])]
        if state.is_group_data:
            self.sigma2 = log_slider(state, "sigma2", "σ² (sigma2)", css="shrinkviz-sigma2")
            self.n = n_slider(state, n_max)
            rows += [self.sigma2, self.n]
        rows += [self.n_scale, w.HBox([w.Label("μ0", layout=w.Layout(width="9.3em")),
                                       self.mu0_mode]), self.mu0]
        if tau_panel:
            self.full_bayes = w.Checkbox(value=state.full_bayes, indent=False,
                                         description="average over τ (full Bayes)")
            self.full_bayes.add_class("shrinkviz-full-bayes")
            traitlets.link((self.full_bayes, "value"), (state, "full_bayes"))
            self.prior = w.Dropdown(options=TAU_PRIORS, value=state.tau_prior,
                                    description="prior on τ", style=_STYLE)
            self.prior.add_class("shrinkviz-tau-prior")
            traitlets.link((self.prior, "value"), (state, "tau_prior"))
            rows += [w.HBox([self.full_bayes, self.prior])]
        self.error = error_line(state)
        rows += [self.readout, self.error]
        super().__init__(rows)
        self._read({})
        state.observe(self._read, ["frame", "selected"])

    def _mu0_mode(self, change) -> None:
        self.mu0.disabled = change["new"] == "estimated"
        self.state.mu0_estimated = change["new"] == "estimated"

    def _read(self, _) -> None:
        s, j = self.state, self.state.selected
        f = s.frame
        n = "" if f.n is None else f"n_j = {f.n[j]:.3g}, "
        self.readout.value = (
            f"<b>{s.labels[j]}</b>: y_j = {f.y[j]:.3g}, {n}v_j = {f.v[j]:.3g}, "
            f"B_j = {f.B[j]:.3f}, μ_j = {f.mean[j]:.3g} ± {f.sd[j]:.2g}; μ0 = {f.mu0:.3g}; "
            f"{tau2_text(f.tau2)}")


class PoolingControls(w.VBox):
    """Controls of a ``PoolingState``: sigma2, tau2, the selected group and its n_j (the first
    n_j rows are used), "fit", a readout and the error line."""

    def __init__(self, state, grid: np.ndarray):
        self.state = state
        self.tau2 = Tau2Slider(state, grid)
        self.sigma2 = log_slider(state, "sigma2", "σ² (sigma2)", css="shrinkviz-sigma2")
        self.fit = fit_button(state)
        self.group = group_dropdown(state)
        self.n = n_slider(state, state.n_max, "rows used n_j")
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.error = error_line(state)
        super().__init__([self.tau2, self.sigma2, w.HBox([self.fit, self.group]), self.n,
                          self.readout, self.error])
        self._read({})
        state.observe(self._read, ["frame", "selected"])

    def _read(self, _) -> None:
        s, j = self.state, self.state.selected
        fit = s.frame.fit
        self.readout.value = (
            f"<b>{s.labels[j]}</b>: n_j = {int(fit.n[j])} of {int(s.n_max[j])}; intercept "
            f"no pooling {fit.none.alpha[j]:.3g}, partial pooling {fit.partial.alpha[j]:.3g} "
            f"(μ_α = {fit.partial.mu_alpha:.3g}); σ² = {fit.sigma2:.3g}, {tau2_text(fit.tau2)}")
