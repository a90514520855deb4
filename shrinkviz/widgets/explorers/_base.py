"""What every explorer shares: saving its figures, font scale, layout, reading user input."""

from __future__ import annotations

import ipywidgets as w
import numpy as np


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
