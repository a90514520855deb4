"""ipywidgets bound to a state: sliders, buttons and the message line.

Every widget writes one input of the state (its handler sets one trait), and reads back
what the state holds, so a state changed elsewhere (the "fit" button, a click on a marker,
code setting a trait) moves the widgets too. Sliders are keyboard-usable (focus, then arrow
keys). A slider shows the state's value, not its own position: its number is a label
formatted by the same function as the readout (one source, one rounding), since a slider
set to a value between its steps would show the step it snapped to.

Stable CSS classes for tests and styling: ``shrinkviz-tau2`` (the tau2 slider),
``shrinkviz-play``, ``shrinkviz-fit``, ``shrinkviz-sigma2``, ``shrinkviz-n``,
``shrinkviz-n-scale``, ``shrinkviz-group``, ``shrinkviz-mu0``, ``shrinkviz-full-bayes``,
``shrinkviz-tau-prior``, ``shrinkviz-error``, ``shrinkviz-readout``.
"""

from __future__ import annotations

import asyncio
import copy
import math

import ipywidgets as w
import numpy as np
import traitlets

TAU_PRIORS = ("uniform", "half-cauchy", "half-normal")
# sizes in em follow the widgets' font size, which an explorer scales with font_scale
_STYLE = {"description_width": "9em"}


def _unechoed(cls: type, trait: str) -> type:
    """``cls`` whose synced ``trait`` the kernel does not echo back to the browser that moved
    it (ipywidgets' ``echo_update=False`` tag, as on its own FileUpload's value): a move sends
    one message fewer, and each costs ipykernel 0.1-0.2 ms of CPU
    (benchmarks/bench_kernel_moves.py). A value the kernel changes while applying the move
    (clipped, snapped) still goes back. Given up: a second browser window on the same kernel
    does not follow the first one's moves (the views in one window share one model)."""
    quiet = copy.copy(cls.class_traits()[trait])
    quiet.metadata = {**quiet.metadata, "echo_update": False}
    body = {trait: quiet, "__module__": __name__, "__doc__": cls.__doc__}
    return type(cls.__name__, (cls,), body)


# the controls a hand moves, many times a second while it drags
SelectionSlider = _unechoed(w.SelectionSlider, "index")
IntSlider = _unechoed(w.IntSlider, "value")
FloatSlider = _unechoed(w.FloatSlider, "value")
FloatLogSlider = _unechoed(w.FloatLogSlider, "value")
Play = _unechoed(w.Play, "value")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running event loop (a widget message is handled inside it), or None
    (plain Python: what waits for a pause in the moves then happens at once)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _wide() -> w.Layout:
    return w.Layout(
        width="32em", min_width="20em", max_width="calc(100% - 4px)", flex="0 1 auto"
    )  # (4px: the margins of a widget)


def _row(children, **layout) -> w.HBox:
    """Widgets side by side that wrap to the next line when there is no room."""
    return w.HBox(children, layout=w.Layout(flex_flow="row wrap", align_items="center", **layout))


def number(x: float) -> str:
    """A number of a slider or readout (3 significant digits; 0, ∞ exactly)."""
    return "0" if x == 0 else "∞" if x == np.inf else f"{x:.3g}"


def _value_label(state, name: str, text=number) -> w.HTML:
    """The state's ``name`` as text beside its slider, following the state."""
    label = w.HTML(layout=w.Layout(min_width="4.5em", margin="0 0 0 0.4em", flex="0 0 auto"))
    label.add_class("shrinkviz-value")

    def show(_):
        label.value = text(getattr(state, name))

    show(None)
    state.observe(show, name)
    return label


def pooling_grid(lo: float, hi: float, steps: int = 60) -> np.ndarray:
    """Slider positions: 0, ``steps - 1`` log-spaced values from lo to hi, then inf, so that
    the two ends are the exact limits (complete and no pooling, in either order)."""
    return np.r_[0.0, np.geomspace(lo, hi, steps - 1), np.inf]


class PoolingSlider(w.VBox):
    """The input ``trait`` of ``state`` that sets how much the groups pool (tau2 by default)
    on a log slider over ``grid`` (``pooling_grid``: its ends exactly 0 and inf), with Play
    sweeping from no pooling to complete pooling; its Stop button pauses the sweep where it
    is.

    ``no_pooling_at``: the end, ``inf`` (tau2, a variance between groups) or ``0`` (a prior
    size), that is no pooling. ``symbol`` names the value at the ends and in Play's
    description, ``description`` labels the slider and ``css`` is its class. A value set
    elsewhere ("fit") keeps its exact value in the state; the slider shows the nearest
    position and the number beside it the state's value (``number``, as the readout).

    Play learns where the slider is once the slider has been still for ``follow_delay``
    seconds (in a kernel; at once in plain Python), not on every move of a drag: one
    message fewer per move. Pressing Play before that tells it at once.
    """

    #: seconds without a move of the slider before Play learns its position
    follow_delay = 0.5

    def __init__(
        self,
        state,
        grid: np.ndarray,
        *,
        trait: str = "tau2",
        description: str = "τ² (tau2)",
        symbol: str = "τ²",
        css: str = "shrinkviz-tau2",
        no_pooling_at: float = np.inf,
        interval_ms: int = 150,
    ):
        self.state, self.trait = state, trait
        self.grid = np.asarray(grid, dtype=np.float64)
        self._log_inner = np.log(self.grid[1:-1])
        self._top = len(self.grid) - 1
        self._flip = no_pooling_at == np.inf  # Play's start (no pooling) is the slider's end
        self.slider = SelectionSlider(
            options=[(number(x), float(x)) for x in self.grid],
            index=self._nearest(),
            description=description,
            continuous_update=True,
            readout=False,
            layout=_wide(),
            style=_STYLE,
        )
        self.slider.add_class(css)
        self.value = _value_label(state, trait)
        sweep = f"sweep {symbol} from no pooling to complete pooling"
        self.play = Play(
            min=0,
            max=self._top,
            step=1,
            interval=interval_ms,
            value=self._other(self.slider.index),
            show_repeat=False,
            description=sweep,
            tooltip=sweep,
        )
        self.play.add_class("shrinkviz-play")
        zero, inf = ("complete", "no") if self._flip else ("no", "complete")
        ends = w.HBox(
            [
                w.HTML(f"◀ <b>{zero} pooling</b><br>{symbol} = 0"),
                w.HTML(
                    f"<div style='text-align:right'><b>{inf} pooling</b> ▶<br>{symbol} = ∞</div>"
                ),
            ],
            layout=w.Layout(
                max_width="23em", margin="0 0 0 9.3em", justify_content="space-between"
            ),
        )
        self.hint = w.HTML()
        self.hint.add_class("shrinkviz-hint")
        super().__init__(
            [
                _beside(self.slider, self.value),
                ends,
                _row([w.Label("play", layout=w.Layout(width="9em")), self.play, self.hint]),
            ]
        )
        self._echo = False  # True while the play button is moved to follow the slider
        self._paused = False  # Play was just paused: a jump to its start next is its Stop
        self._timer = None  # Play's follow of the slider, waiting for the drag to pause
        self.slider.observe(self._moved, "index")
        self.play.observe(self._played, "value")
        self.play.observe(self._pausing, "playing")
        state.observe(lambda _: setattr(self.slider, "index", self._nearest()), trait)

    def _other(self, index: int) -> int:
        """Play's value at a slider index, and the slider index at a Play value."""
        return self._top - index if self._flip else index

    def _nearest(self) -> int:
        value = getattr(self.state, self.trait)
        if value == 0 or value == np.inf:
            return 0 if value == 0 else self._top
        return 1 + int(np.argmin(np.abs(self._log_inner - math.log(value))))

    def _moved(self, change) -> None:
        if change["new"] != self._nearest():  # not the echo of a value set elsewhere
            setattr(self.state, self.trait, float(self.grid[change["new"]]))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.play.value == self._other(change["new"]):  # Play moved it
            return
        loop = running_loop()
        if loop is None or self.follow_delay <= 0:
            self._follow()
        else:
            self._timer = loop.call_later(self.follow_delay, self._follow)

    def _follow(self) -> None:
        """Play's position: the slider's."""
        self._timer = None
        self._echo = True
        try:
            self.play.value = self._other(self.slider.index)
        finally:
            self._echo = False

    def _pausing(self, change) -> None:
        self._paused = change["old"] and not change["new"]
        if change["new"] and self._timer is not None:  # pressed while it lags the slider
            self._timer.cancel()
            self._follow()

    def _played(self, change) -> None:
        stop = self._paused and change["new"] == self.play.min
        self._paused = False
        if self._echo:
            return
        if stop:
            # ipywidgets' Stop is a pause, then a rewind to the start (no pooling): undo
            # the rewind, so the sweep stays where it is
            self.play.value = change["old"]
            return
        self.slider.index = self._other(change["new"])

    def enable(self, enabled: bool, why: str = "") -> None:
        """Enable or disable the slider and Play, with a visible reason when disabled."""
        self.slider.disabled = self.play.disabled = not enabled
        self.hint.value = "" if enabled else f"<i>{why}</i>"


def tau2_text(tau2: float) -> str:
    """τ² and τ for a readout; exact where τ² was set off the slider's positions (REML)."""
    return f"τ² = {number(tau2)}, τ = {number(math.sqrt(tau2))}"


def error_line(state) -> w.HTML:
    """The state's ``error`` in red inside the widget (empty when all is well)."""
    html = w.HTML(layout=w.Layout(min_height="1.5em"))
    html.add_class("shrinkviz-error")

    def show(change):
        html.value = (
            f"<span style='color:#B00020'>⚠ {change['new']} "
            f"(the picture shows the last valid setting)</span>"
            if change["new"]
            else ""
        )

    show({"new": state.error})
    state.observe(show, "error")
    return html


SEARCH_FROM = 200  # from this many groups on, the group is typed (searched), not picked


def group_dropdown(state) -> w.Dropdown | w.Combobox:
    """The selected group, linked both ways to ``state.selected``: a dropdown of the names,
    or from ``SEARCH_FROM`` groups on a text box that offers the names matching what is
    typed (``Combobox``; an entry that is no name changes nothing)."""
    # as wide as the longest name (in em of the explorer's font), arrow included
    layout = w.Layout(
        width=f"{min(max(len(g) for g in state.labels), 24) * 0.62 + 8:.1f}em",
        max_width="100%",
    )
    if len(state.labels) >= SEARCH_FROM:
        return _group_search(state, layout)
    dd = w.Dropdown(
        options=[(g, j) for j, g in enumerate(state.labels)],
        value=state.selected,
        description="selected",
        style={"description_width": "initial"},
        layout=layout,
    )
    dd.add_class("shrinkviz-group")
    traitlets.link((dd, "value"), (state, "selected"))
    return dd


def _group_search(state, layout) -> w.Combobox:
    index = {g: j for j, g in enumerate(state.labels)}
    box = w.Combobox(
        options=list(state.labels),
        value=state.labels[state.selected],
        placeholder="type a name",
        ensure_option=True,
        description="selected",
        style={"description_width": "initial"},
        layout=layout,
    )
    box.add_class("shrinkviz-group")

    def typed(change):
        if change["new"] in index:
            state.selected = index[change["new"]]

    box.observe(typed, "value")
    state.observe(lambda change: setattr(box, "value", state.labels[change["new"]]), "selected")
    return box


class NSlider(w.HBox):
    """Sample size of the selected group, written with ``state.set_n``; ``n_max`` is one
    bound for all groups or one per group: the range follows the selection.

    Each selected group gets a new slider (``.slider``): the browser's slider (noUiSlider in
    ipywidgets 8) keeps the first range for its End key when only ``max`` changes, so End
    would jump to the first group's size."""

    def __init__(self, state, n_max, description: str = "n_j of selected"):
        self.state, self.description = state, description
        self.n_max = np.broadcast_to(np.asarray(n_max, dtype=np.int64), (len(state.labels),))
        self._showing = False  # True while the slider is set from the state
        super().__init__([self._new()])
        state.observe(self._selected, "selected")
        state.observe(self._show, "n")

    @property
    def slider(self) -> w.IntSlider:
        return self.children[0]

    def _new(self) -> w.IntSlider:
        j = self.state.selected
        s = IntSlider(
            min=0,
            max=int(self.n_max[j]),
            value=int(self.state.n[j]),
            description=self.description,
            layout=_wide(),
            style=_STYLE,
            continuous_update=True,
        )
        s.add_class("shrinkviz-n")
        s.observe(self._moved, "value")
        return s

    def _moved(self, change) -> None:
        if not self._showing:
            self.state.set_n(self.state.selected, change["new"])

    def _selected(self, _) -> None:
        old = self.slider
        self.children = [self._new()]
        old.close()

    def _show(self, _) -> None:
        self._showing = True
        try:
            self.slider.value = int(self.state.n[self.state.selected])
        finally:
            self._showing = False


def fit_button(state) -> w.Button:
    b = w.Button(
        description="fit τ² (REML)",
        icon="crosshairs",
        tooltip="set τ² to its REML estimate",
        layout=w.Layout(width="auto", min_width="10em"),
    )
    b.add_class("shrinkviz-fit")
    b.on_click(lambda _: state.fit())
    return b


def log_slider(
    state, name: str, description: str, *, base: float = 10, span: float = 2, css: str
) -> w.FloatLogSlider:
    """A log slider linked both ways to ``state.<name>``, ``base**span`` either side of its
    value at construction (its number: ``with_value``)."""
    value = getattr(state, name)
    s = FloatLogSlider(
        value=value,
        base=base,
        min=math.log(value, base) - span,
        max=math.log(value, base) + span,
        step=span / 40,
        description=description,
        layout=_wide(),
        style=_STYLE,
        readout=False,
    )
    s.add_class(css)
    traitlets.link((s, "value"), (state, name))
    return s


def with_value(slider, state, name: str, text=number) -> w.HBox:
    """A slider and the state's ``name`` beside it (the slider's own readout is off)."""
    return _beside(slider, _value_label(state, name, text))


def _beside(slider, label) -> w.HBox:
    """A slider and its number on one line: the slider gives way when there is no room."""
    return w.HBox([slider, label], layout=w.Layout(align_items="center", width="100%"))


class _Controls(w.VBox):
    n_box = None

    @property
    def n(self) -> w.IntSlider | None:
        """The slider of the selected group's n_j (a new one for each selected group)."""
        return None if self.n_box is None else self.n_box.slider


class ShrinkageControls(_Controls):
    """Controls of a ``ShrinkageState``: tau2 and Play, sigma2 (group data), mu0 fixed or
    estimated, the selected group and its n_j, "scale every n", "fit", the full-Bayes
    toggle and prior (when the state computes p(tau | y)), a readout and the error line.

    While averaging over tau (full Bayes) the tau2 slider, Play, "fit" and the fixed mu0 are
    disabled, with the reason beside them, and the readout shows the full-Bayes numbers."""

    def __init__(self, state, grid: np.ndarray, *, n_max: int = 0, tau_panel: bool = False):
        self.state = state
        self.tau2 = PoolingSlider(state, grid)
        self.fit = fit_button(state)
        self.group = group_dropdown(state)
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.mu0_mode = w.ToggleButtons(
            options=["estimated", "fixed"],
            value="estimated" if state.mu0_estimated else "fixed",
            tooltips=["μ0 = precision-weighted mean", "μ0 = the value below"],
            style={"button_width": "7.5em"},
        )
        self.mu0_mode.add_class("shrinkviz-mu0")
        lo, hi = float(state.y.min()), float(state.y.max())
        self.mu0 = FloatSlider(
            value=state.mu0,
            min=lo,
            max=hi,
            step=(hi - lo) / 100,
            description="fixed μ0",
            layout=_wide(),
            style=_STYLE,
            readout=False,
        )
        self.mu0_hint = w.HTML()
        self.mu0_mode.observe(self._mu0_mode, "value")
        traitlets.link((self.mu0, "value"), (state, "mu0"))
        self.n_scale = log_slider(
            state, "n_scale", "scale every n", base=2, span=4, css="shrinkviz-n-scale"
        )
        rows = [self.tau2, _row([self.fit, self.group])]
        if state.is_group_data:
            self.sigma2 = log_slider(state, "sigma2", "σ² (sigma2)", css="shrinkviz-sigma2")
            self.n_box = NSlider(state, n_max)
            rows += [with_value(self.sigma2, state, "sigma2"), self.n_box]
        rows += [
            with_value(self.n_scale, state, "n_scale"),
            _row([w.Label("μ0", layout=w.Layout(width="9.3em")), self.mu0_mode, self.mu0_hint]),
            with_value(self.mu0, state, "mu0"),
        ]
        if tau_panel:
            self.average_over_tau = w.Checkbox(
                value=state.average_over_tau,
                indent=False,
                description="average over τ (full Bayes)",
                layout=w.Layout(width="auto"),
            )
            self.average_over_tau.add_class("shrinkviz-full-bayes")
            traitlets.link((self.average_over_tau, "value"), (state, "average_over_tau"))
            self.prior = w.Dropdown(
                options=TAU_PRIORS,
                value=state.tau_prior,
                description="prior on τ",
                style=_STYLE,
                layout=w.Layout(width="auto"),
            )
            self.prior.add_class("shrinkviz-tau-prior")
            traitlets.link((self.prior, "value"), (state, "tau_prior"))
            rows += [_row([self.average_over_tau, self.prior])]
        self.error = error_line(state)
        rows += [self.readout, self.error]
        super().__init__(rows)
        self._modes(None)
        self._read(None)
        state.observe(self._modes, ["mu0_estimated", "inactive", "inactive_hint"])
        state.observe(self._read, ["snapshot", "selected"])

    def _mu0_mode(self, change) -> None:
        self.state.mu0_estimated = change["new"] == "estimated"

    def _modes(self, _) -> None:
        """The controls of inputs that change nothing now (``state.inactive``: tau2 and mu0
        while averaging over tau) are disabled, and the state's hint says why."""
        s = self.state
        self.mu0_mode.value = "estimated" if s.mu0_estimated else "fixed"
        off = s.inactive
        self.tau2.enable("tau2" not in off, s.inactive_hint)
        self.fit.disabled = "tau2" in off
        self.mu0_mode.disabled = "mu0_estimated" in off
        self.mu0.disabled = "mu0" in off or s.mu0_estimated
        self.mu0_hint.value = f"<i>{s.inactive_hint}</i>" if "mu0" in off else ""

    def _read(self, _) -> None:
        s, j = self.state, self.state.selected
        f = s.snapshot
        if not f.has_data[j]:
            data = "n_j = 0: no data"
        else:
            n = ""
            if f.n is not None:
                n = f"n_j = {number(s.n[j])}" + (
                    f" × {number(s.n_scale)} = {number(f.n[j])}" if s.n_scale != 1 else ""
                )
                n += ", "
            data = f"y_j = {number(f.y[j])}, {n}v_j = {number(f.v[j])}"
        if not f.averaged:
            model = (
                f"B_j = {f.B[j]:.3f}, μ_j = {number(f.mean[j])} ± {f.sd[j]:.2g}; "
                f"μ0 = {number(f.mu0)}; {tau2_text(f.tau2)}"
            )
        else:  # every number full Bayes: averaged over p(tau | y)
            fb = f.full_bayes
            model = (
                f"full Bayes ({fb.tau_prior} prior on τ): E(B_j | y) = {f.B[j]:.3f}, "
                f"μ_j = {number(f.mean[j])} ± {f.sd[j]:.2g}; μ = {number(f.mu0)} ± "
                f"{fb.mu0_sd:.2g}; E(τ | y) = {number(fb.tau_mean)}"
            )
        self.readout.value = f"<b>{s.labels[j]}</b>: {data}; {model}"


class PoolingControls(_Controls):
    """Controls of a ``PoolingState``: sigma2, tau2, the selected group and its n_j (the first
    n_j rows are used), "fit", a readout and the error line."""

    def __init__(self, state, grid: np.ndarray):
        self.state = state
        self.tau2 = PoolingSlider(state, grid)
        self.sigma2 = log_slider(state, "sigma2", "σ² (sigma2)", css="shrinkviz-sigma2")
        self.fit = fit_button(state)
        self.group = group_dropdown(state)
        self.n_box = NSlider(state, state.n_max, "rows used n_j")
        self.readout = w.HTML()
        self.readout.add_class("shrinkviz-readout")
        self.error = error_line(state)
        super().__init__(
            [
                self.tau2,
                with_value(self.sigma2, state, "sigma2"),
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
        fit = s.snapshot.fit
        none = "no data" if fit.n[j] == 0 else number(fit.no_pooling.alpha[j])
        self.readout.value = (
            f"<b>{s.labels[j]}</b>: n_j = {int(fit.n[j])} of {int(s.n_max[j])}; intercept "
            f"no pooling {none}, partial pooling {number(fit.partial_pooling.alpha[j])} "
            f"(μ_α = {number(fit.partial_pooling.mu_alpha)}); σ² = {number(s.sigma2)}, "
            f"{tau2_text(s.tau2)}"
        )
