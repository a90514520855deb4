"""What every explorer shares: saving its figures (through the browser, or drawn in the
kernel with matplotlib), font scale, layout, reading user input."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
from pathlib import Path

import ipywidgets as w
import numpy as np

from ..controls import number, running_loop


class _Explorer(w.VBox):
    """The base of every explorer: a state (``self.state``, whose ``snapshot`` is the numbers
    shown), its bqplot figures (``self.figures``) and its controls (``self.controls``).

    Hooks an explorer family implements (the others have working defaults):

    ``_draw_static(fig, snapshot)``
        draw ``snapshot`` into the matplotlib Figure ``fig`` as the explorer shows it now:
        every figure with its legend, the selected group, the axes' names and pinned ranges
        of the bqplot views, and ``self._caption(snapshot)`` under it. Implemented by calling
        the family's ``draw`` in ``shrinkviz.widgets.static`` (one module per family, in the
        picture language of ``views._theme``). ``savefig`` and ``save_animation`` use
        it.
    ``_caption(snapshot)``
        the current values in words, for the caption (default: none).
    ``_static_size``
        the picture's (width, height) in inches.
    ``_sweep()``
        the input that Play sweeps and its values in Play's order (default: ``tau2`` over
        the tau2 slider's positions, from no pooling to complete pooling).
    """

    figures: dict = {}  # name -> bqplot Figure, in the order they are saved
    font_scale = 1.0
    _quiet = False
    #: display a static picture with the explorer (see ``_ipython_display_``); False: none.
    #: It costs 0.4-1.2 s of CPU per display and loads matplotlib (22 MiB) into the kernel,
    #: so a class hub turns it off with SHRINKVIZ_STATIC_PICTURE=0 (deploy/jupyterhub_config.py)
    static_picture = os.environ.get("SHRINKVIZ_STATIC_PICTURE", "1") != "0"
    _PICTURE_DPI = 72
    _static_size = (11.0, 5.5)

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

    # -- pictures drawn in the kernel (matplotlib), no browser needed --------------------

    def _draw_static(self, fig, snapshot) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no static picture yet")

    def _caption(self, snapshot) -> str:
        return ""

    def _sweep(self) -> tuple[str, np.ndarray]:
        return "tau2", self.controls.tau2.grid[::-1]

    def static_figure(self, snapshot=None):
        """The explorer as it looks now (or at ``snapshot``, a state's snapshot) as a matplotlib
        Figure (``matplotlib.figure.Figure``, no pyplot): every figure, legend and caption."""
        from ..static import _common

        fig = _common.figure(*self._static_size)
        self._draw_static(fig, self.state.snapshot if snapshot is None else snapshot)
        return fig

    def savefig(self, path, *, dpi: float = 150) -> Path:
        """Write the explorer as it looks now (every figure, the legends, a caption with the
        current values) to ``path``: PNG, SVG or PDF by its suffix, drawn in the kernel with
        matplotlib (no browser). Unlike ``save_png`` the file is written beside the
        notebook (relative to the kernel's working directory). Returns the path."""
        from ..static import _common

        _common.file_format(path)  # a bad suffix is refused before anything is drawn
        return _common.save(self.static_figure(), path, dpi)

    def sweep_snapshots(self) -> list:
        """The state's snapshots along Play's sweep (``_sweep``), computed without moving the
        explorer: its input is set back, and its widgets do not follow (one recompute at the
        end restores the snapshot shown). A value the model refuses is left out."""
        name, values = self._sweep()
        state, snapshots = self.state, []
        old = getattr(state, name)
        self._quiet = True  # the restoring recompute is no move to speak of
        try:
            with state.hold_trait_notifications():
                try:
                    for value in values:
                        setattr(state, name, value)
                        with contextlib.suppress(ValueError):
                            snapshots.append(state._compute())
                finally:
                    setattr(state, name, old)
        finally:
            self._quiet = False
        return snapshots

    def save_animation(self, path, *, fps: float | None = None, dpi: float = 80) -> Path:
        """Write Play's sweep (tau2 from no pooling to complete pooling) as an animation:
        ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on the PATH), one frame per slider
        position at Play's speed (``fps``: frames per second). Returns the path."""
        from matplotlib import animation

        path = Path(path)
        kind = path.suffix.lower()
        if kind not in (".gif", ".mp4"):
            raise ValueError(f"path must end in .gif or .mp4 (got {str(path)!r})")
        if fps is None:
            fps = 1000 / self.controls.tau2.play.interval
        if kind == ".gif":
            writer = animation.PillowWriter(fps=fps)
        elif animation.writers.is_available("ffmpeg"):
            writer = animation.FFMpegWriter(fps=fps)
        else:
            raise ValueError(
                f"{str(path)!r}: writing .mp4 needs ffmpeg, which is not on the PATH "
                "(install it, or write a .gif)"
            )
        snapshots = self.sweep_snapshots()
        from ..static import _common

        fig = _common.figure(*self._static_size)
        with writer.saving(fig, str(path), dpi):
            for k, snapshot in enumerate(snapshots):
                fig.clear()
                self._draw_static(fig, snapshot)
                if k == 0:  # lay out the first frame, then keep its places: no jitter
                    places = _common.freeze_layout(fig)
                else:
                    _common.restore_layout(fig, places)
                writer.grab_frame(facecolor="white")
        return path

    # -- words for what the picture shows (screen readers, keyboard users) -----------------

    #: seconds without a change before the live region speaks (a Play sweep says its end)
    describe_delay = 0.6

    def _describe_change(self, old, new) -> str:
        """Hook: what the picture shows after a move from snapshot ``old`` (None: nothing
        before) to snapshot ``new``, in words a screen reader speaks (no symbols it cannot
        say). Default: the caption."""
        return self._caption(new)

    def _table(self, snapshot) -> tuple[list[str], list[list[str]]]:
        """Hook: the current estimates as a table (column names, rows of text), shown by
        the "describe" button. Default: none (the button shows the caption)."""
        return [], []

    def _accessible(self) -> None:
        """The text alternative of the picture: a visually hidden live region
        (``shrinkviz-live``, polite) that says what changed once the state has been still for
        ``describe_delay`` seconds, and a "describe" toggle showing the table of the current
        estimates (``shrinkviz-describe``, ``shrinkviz-table``)."""
        self.live = w.HTML()
        self.live.add_class("shrinkviz-live")
        self.describe = w.ToggleButton(
            description="describe",
            icon="table",
            tooltip="show the current estimates as a table",
            layout=w.Layout(width="auto"),
        )
        self.describe.add_class("shrinkviz-describe")
        self.table = w.HTML()
        self.table.add_class("shrinkviz-table")
        self.describe_box = w.VBox(
            [self.describe, self.table], layout=w.Layout(align_items="flex-start")
        )
        self._before, self._timer = None, None
        self.describe.observe(lambda _: self._show_table(), "value")
        self.state.observe(self._moved, "snapshot")
        self.state.observe(self._moved, "selected")

    def _moved(self, change) -> None:
        if self._quiet:
            return
        if self._before is None:  # the first change of a burst: say what moved since it
            self._before = change["old"] if change["name"] == "snapshot" else self.state.snapshot
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = running_loop()
        if loop is None or self.describe_delay <= 0:
            self._speak()
        else:
            self._timer = loop.call_later(self.describe_delay, self._speak)
        if self.describe.value:
            self._show_table()

    def _speak(self) -> None:
        before, self._before, self._timer = self._before, None, None
        self.live.value = html.escape(self._describe_change(before, self.state.snapshot))

    def _show_table(self) -> None:
        if not self.describe.value:
            self.table.value = ""
            return
        snapshot = self.state.snapshot
        columns, rows = self._table(snapshot)
        caption = html.escape(self._caption(snapshot))
        if not columns:
            self.table.value = f"<p>{caption}</p>"
            return
        head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr><th scope='row'>"
            + html.escape(r[0])
            + "</th>"
            + "".join(f"<td>{html.escape(x)}</td>" for x in r[1:])
            + "</tr>"
            for r in rows
        )
        self.table.value = (
            # it scrolls, so the keyboard reaches it: a region named for what it holds
            "<div style='max-height:24em;overflow:auto' tabindex='0' role='region' "
            "aria-label='table of the current estimates'>"
            "<table style='border-collapse:collapse' class='shrinkviz-estimates'>"
            f"<caption style='text-align:left'>{caption}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    # -- the picture that survives export ------------------------------------------------

    def _ipython_display_(self, **kwargs) -> None:
        """Display the live explorer, and after it a static picture of its state now (PNG,
        ``static_figure``) with the text alternative as its alt text. Where the explorer
        renders (JupyterLab, Notebook 7, VS Code, an exported page whose widgets load), its
        own style hides the picture; where it cannot (GitHub, nbviewer or an HTML export
        without the widgets' JavaScript, a notebook reopened without its kernel), the
        picture shows instead."""
        from IPython.display import display

        display(self._repr_mimebundle_(**kwargs), raw=True)
        picture = self._picture() if self.static_picture else None
        if picture is not None:
            display(picture, raw=True)

    def _picture(self) -> dict | None:
        """The static picture's mime bundle (``text/html``: an ``img.shrinkviz-static``
        naming this explorer's model; ``image/png`` for viewers that show no HTML), or
        None when the explorer has no static picture (``_draw_static`` not implemented)."""
        try:
            fig = self.static_figure()
        except NotImplementedError:
            return None
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=self._PICTURE_DPI, facecolor="white")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        width = round(fig.get_figwidth() * self._PICTURE_DPI)
        alt = html.escape(self._caption(self.state.snapshot) or type(self).__name__, quote=True)
        return {
            "text/html": (
                f'<img class="shrinkviz-static" data-shrinkviz-model="{self.model_id}" '
                f'alt="{alt}" width="{width}" style="max-width:100%;height:auto" '
                f'src="data:image/png;base64,{png}"/>'
            ),
            "image/png": png,
            "text/plain": f"{type(self).__name__}: {alt}",
        }

    def _finish(self, children, font_scale: float, *classes) -> None:
        # text size of the axis labels (bqplot has no trait for it) and of the controls,
        # through the CSS variables of bqplot and ipywidgets, scoped to this explorer
        self.font_scale = font_scale
        scoped = f"shrinkviz-font-{round(font_scale * 100)}"
        size = f"{13 * font_scale:.0f}px"  # also the em of the controls' widths
        style = w.HTML(
            f"<style>.{scoped} {{--bq-axislabel-font: {15 * font_scale:.0f}px "
            f"sans-serif; --jp-widgets-font-size: {size}; font-size: {size};"
            f"--jp-widgets-inline-height: {28 * font_scale:.0f}px;}}"
            f".{scoped} .widget-inline-hbox .widget-label {{line-height: "
            f"{28 * font_scale:.0f}px; height: auto;}}"
            # a checkbox is drawn at the browser's 13 px whatever the font: it grows with it
            f".{scoped} input[type=checkbox] {{width: {size}; height: {size};}}"
            # the live explorer hides its static picture (and the output holding it)
            f"img.shrinkviz-static[data-shrinkviz-model='{self.model_id}'],"
            f".jp-OutputArea-child:has(img.shrinkviz-static[data-shrinkviz-model="
            f"'{self.model_id}']) {{display: none;}}"
            # a focus that shows (WCAG 2.4.7), and the live region read, not seen
            ".shrinkviz-explorer :focus-visible {outline: 3px solid #0072B2 !important;"
            "outline-offset: 2px;}"
            # a ring inside the selector, checkbox, typed readout and table: each fills its
            # row, label or the explorer's edge, whose overflow would cut a ring drawn around it
            ".shrinkviz-explorer :is(select, input[type=checkbox], .widget-readout,"
            " .shrinkviz-table [tabindex])"
            ":focus-visible {outline-offset: -3px;}"
            ".shrinkviz-live, .shrinkviz-live > * {position: absolute !important;"
            "width: 1px !important; height: 1px; overflow: hidden; clip-path: inset(50%);"
            "white-space: nowrap; margin: 0; padding: 0;}"
            "</style>",
            layout=w.Layout(height="0px", margin="0"),
        )
        self.saved = w.HTML()
        self.saved.add_class("shrinkviz-saved")
        self._accessible()
        self.children = [*children, self.describe_box, self.saved, self.live, style]
        self.add_class(scoped)
        self.add_class("shrinkviz-explorer")
        for c in classes:
            self.add_class(c)


def spoken(x: float) -> str:
    """A number as ``number`` shows it, in words a screen reader says for its ends."""
    return "infinity" if x == np.inf else number(x)


_WRAP = dict(flex_flow="row wrap", width="100%", margin="0")  # a row that wraps


def _column(figure, legend, flex: str, height: float) -> w.VBox:
    """A figure with its legend above it, sharing a row with others (flex basis in px)."""
    figure.layout = w.Layout(width="100%", height=f"{height:.0f}px", margin="0")
    return w.VBox([legend, figure], layout=w.Layout(flex=flex, min_width="0"))


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
