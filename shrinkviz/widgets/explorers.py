"""The two explorers: a state, its views and its controls in one ipywidgets Box.

Validation of user data happens here, at construction (a clear ValueError); afterwards a
refused control combination shows a message inside the widget instead.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from .. import data
from ..model.frames import group_summaries, read_columns
from .controls import PoolingControls, ShrinkageControls, tau2_grid
from .state import PoolingState, ShrinkageState
from .views import OverviewView, PanelsView, ShrinkageView, TauView

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


class _Explorer(w.VBox):
    figures: dict = {}  # name -> bqplot Figure, in the order they are saved

    def save_png(self, filename: str = "shrinkviz.png", scale: float | None = None) -> list:
        """Save every figure as PNG (bqplot's ``Figure.save_png``): the main figure as
        ``filename``, the others with their name appended (``shrinkviz-tau.png``, ...).
        The browser renders each figure and puts the file in its downloads folder (nothing
        is written beside the notebook); the explorer says so below its controls. Returns
        the file names."""
        names = self._names(filename)
        for fig, name in zip(self.figures.values(), names, strict=True):
            fig.save_png(name, scale)
        self._saved_note(names)
        return names

    def save_svg(self, filename: str = "shrinkviz.svg") -> list:
        """Save every figure as SVG (bqplot's ``Figure.save_svg``), named as by
        ``save_png``, into the browser's downloads folder. Returns the file names."""
        names = self._names(filename)
        for fig, name in zip(self.figures.values(), names, strict=True):
            fig.save_svg(name)
        self._saved_note(names)
        return names

    def _names(self, filename: str) -> list:
        stem, dot, ext = filename.rpartition(".")
        if not dot:
            stem, ext = filename, ""
        return [
            filename if k == "main" else f"{stem}-{k}.{ext}" if ext else f"{stem}-{k}"
            for k in self.figures
        ]

    def _saved_note(self, names) -> None:
        self.saved.value = (
            f"saved {', '.join(names)} to your browser's downloads folder (not beside the notebook)"
        )

    def _finish(self, children, font_scale: float, *classes) -> None:
        # text size of the axis labels (bqplot has no trait for it) and of the controls,
        # through the CSS variables of bqplot and ipywidgets, scoped to this explorer
        scoped = f"shrinkviz-font-{round(font_scale * 100)}"
        size = f"{13 * font_scale:.0f}px"  # also the em of the controls' widths
        style = w.HTML(
            f"<style>.{scoped} {{--bq-axislabel-font: {15 * font_scale:.0f}px "
            f"sans-serif; --jp-widgets-font-size: {size}; font-size: {size};"
            f"--jp-widgets-inline-height: {28 * font_scale:.0f}px;}}"
            f".{scoped} .widget-inline-hbox .widget-label {{line-height: "
            f"{28 * font_scale:.0f}px; height: auto;}}"
            "</style>",
            layout=w.Layout(height="0px", margin="0"),
        )
        self.saved = w.HTML()
        self.saved.add_class("shrinkviz-saved")
        self.children = [*children, self.saved, style]
        self.add_class(scoped)
        self.add_class("shrinkviz-explorer")
        for c in classes:
            self.add_class(c)


_WRAP = dict(flex_flow="row wrap", width="100%", margin="0")  # a row that wraps


def _column(figure, legend, flex: str, height: float) -> w.VBox:
    """A figure with its legend above it, sharing a row with others (flex basis in px)."""
    figure.layout = w.Layout(width="100%", height=f"{height:.0f}px", margin="0")
    return w.VBox([legend, figure], layout=w.Layout(flex=flex, min_width="0"))


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
    the tau2 slider fit on a 1280x800 screen). Legends sit above the figures; the controls
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
    ):
        super().__init__()
        _check_layout(layout)
        if tau_panel is None:  # p(tau | y) is proper (uniform prior) from 3 groups on
            tau_panel = np.size(y) >= 3
        self.state = ShrinkageState(
            y, v=v, n=n, sigma2=sigma2, labels=labels, tau2=tau2, tau_posterior=bool(tau_panel)
        )
        if tau_panel and self.state.frame.full_bayes is None:  # p(tau | y) refused
            self.state.tau_posterior = tau_panel = False
        v0 = self.state.v()
        grid = tau2_grid(v0.min() / 100, v0.max() * 100)
        kw = dict(font_scale=font_scale, animation_duration=animation_duration)
        self.view = ShrinkageView(
            self.state,
            group_name=group_name,
            value_name=value_name,
            title=title,
            forest=forest,
            interval_legend=bool(tau_panel),
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
    ):
        super().__init__()
        _check_layout(layout)
        self.state = PoolingState(x, y, group)
        s = self.state
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
        self.overview = OverviewView(s, group_name=group_name, y_name=f"intercept ({y_name})", **kw)
        self.figure = self.panels_view.figure
        self.figures = {"main": self.figure, "overview": self.overview.figure}
        for fig, css in (
            (self.figure, "shrinkviz-panels-figure"),
            (self.overview.figure, "shrinkviz-overview-figure"),
        ):
            fig.add_class("shrinkviz-figure")
            fig.add_class(css)
        v = s.sigma2 / s.n_max
        self.controls = PoolingControls(s, tau2_grid(v.min() / 100, max(s.sigma2, s.tau2) * 100))
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


def _check_layout(layout: str) -> None:
    if layout not in ("default", "compact"):
        raise ValueError(f"layout must be 'default' or 'compact' (got {layout!r})")


def _numbers(name: str, x) -> np.ndarray:
    arr = np.array(x, dtype=object if not hasattr(x, "dtype") else None)
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (got {x!r})") from None


def _labels_of(y, labels):
    """``labels``, or else the named index of a pandas Series ``y`` (duck-typed)."""
    index = getattr(y, "index", None)
    if labels is None and getattr(index, "name", None) is not None:
        return index
    return labels


def _name(x, default: str) -> str:
    """The name of a named pandas Series (duck-typed), else ``default``."""
    name = getattr(x, "name", None)
    return str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else default


def _list(labels):
    """Labels as text, a repeated one numbered ("Smith", "Smith (2)") so that every group
    has its own name on an axis and in the selector."""
    if labels is None:
        return None
    seen: dict[str, int] = {}
    out = []
    for g in map(str, labels):
        seen[g] = seen.get(g, 0) + 1
        out.append(g if seen[g] == 1 else f"{g} ({seen[g]})")
    return out


def _panels(panels, labels: tuple[str, ...], n: np.ndarray) -> np.ndarray:
    """Panel groups as indices: the given labels, or 8 spread over the groups sorted by n."""
    if panels is None:
        order = np.argsort(n, kind="stable")
        return order[np.unique(np.linspace(0, len(n) - 1, min(8, len(n))).round().astype(int))]
    where = {g: j for j, g in enumerate(labels)}
    missing = [p for p in panels if str(p) not in where]
    if missing:
        raise ValueError(f"panels must be group labels (got {missing[0]!r})")
    return np.array([where[str(p)] for p in panels], dtype=np.int64)
