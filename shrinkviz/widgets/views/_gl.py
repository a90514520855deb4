"""Marks that scale: WebGL (bqplot-gl) for many groups, SVG (bqplot) for few.

An SVG figure keeps one DOM node per marker and segment: at 10^4 groups a tau2 move costs the
browser seconds (benchmarks/bench_many_groups.py), while bqplot-gl's ``ScatterGL`` and
``LinesGL`` redraw 10^4 points in one WebGL frame. SVG stays below ``GL_FROM`` groups: it is
crisp and exports as vector graphics.

What bqplot-gl 0.1 lacks, and how the views make up for it:

- ``ScatterGL`` draws on linear scales only: a log axis is a linear scale over log10 of the
  values, with ticks labelled by the values themselves (``log_axis_ticks``);
- ``LinesGL`` draws one polyline: many segments are one polyline broken by NaN vertices
  (``segments``), and its ``visible`` is ignored, so a hidden one is drawn empty;
- GL marks send no click events: a transparent bqplot ``Image`` over the plot area reports the
  clicked point in data units (``ClickLayer``), and the view picks the nearest marker.
"""

from __future__ import annotations

import struct
import zlib

import ipywidgets as w
import numpy as np
from bqplot import Image, Lines, Scatter
from bqplot_gl import LinesGL, ScatterGL

from . import _theme as t

# From this many groups on the views draw with WebGL (``marks="auto"``); where SVG falls behind
# is measured by benchmarks/bench_many_groups.py (``--marks svg gl``).
GL_FROM = 500
MARKS = ("auto", "svg", "gl")


def use_gl(marks: str, J: int) -> bool:
    """Whether ``J`` groups are drawn with WebGL marks (``marks``: "auto", "svg" or "gl")."""
    if marks not in MARKS:
        raise ValueError(f"marks must be 'auto', 'svg' or 'gl' (got {marks!r})")
    return marks == "gl" or (marks == "auto" and J >= GL_FROM)


def mark_types(gl: bool) -> tuple[type, type]:
    """(Scatter, Lines) classes: bqplot-gl's or bqplot's."""
    return (ScatterGL, LinesGL) if gl else (Scatter, Lines)


def segments(x: np.ndarray, y: np.ndarray, gl: bool) -> dict:
    """x and y of a Lines mark drawing row k of ``x``, ``y`` (K x 2) as one segment: 2-D
    arrays for SVG, one polyline with a NaN vertex after each segment for WebGL (the GPU
    drops the pieces that join a NaN vertex)."""
    if not gl:
        return {"x": x, "y": y}
    pad = np.full((len(x), 1), np.nan)
    return {"x": np.hstack([x, pad]).ravel(), "y": np.hstack([y, pad]).ravel()}


NOTHING = {"x": np.full(2, np.nan), "y": np.full(2, np.nan)}  # a LinesGL drawn empty


def log_axis_ticks(lo: float, hi: float, ticks: np.ndarray) -> dict:
    """Tick values (log10) and labels (the values) of a log axis drawn on a linear scale over
    log10: ``tick_values`` and ``tick_labels`` for ``_theme.axis``."""
    ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    at = np.log10(ticks)
    return {
        "tick_values": at,
        "tick_labels": {t.js_number(a): f"{v:g}" for a, v in zip(at, ticks, strict=True)},
    }


def _transparent_png() -> bytes:
    """A 1x1 fully transparent PNG (RGBA), built here rather than shipped as a file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class ClickLayer:
    """A transparent image over the plot area of scales ``xs``, ``ys``: a click on it calls
    ``pick(x, y)`` with the clicked point in data units. Its ``mark`` goes last (on top)."""

    def __init__(self, xs, ys, pick):
        self.mark = Image(
            image=w.Image(value=_transparent_png(), format="png"),
            x=np.array([xs.min, xs.max]),
            y=np.array([ys.min, ys.max]),
            scales={"x": xs, "y": ys},
        )
        self.mark.on_element_click(lambda _, event: pick(**self._where(event)))

    @staticmethod
    def _where(event) -> dict:
        data = event.get("data", {})
        return {"x": float(data["click_x"]), "y": float(data["click_y"])}


def nearest(
    x: float, y: float, xs, ys, points: list[tuple[np.ndarray, np.ndarray]], aspect=1.6
) -> int | None:
    """The group whose marker (any of ``points``, arrays (x_j, y_j) in data units) lies
    nearest to the click (x, y) on a plot ``aspect`` times as wide as high; None when none
    lies within 3% of the plot's width (a click on the background)."""
    sx, sy = aspect / (xs.max - xs.min), 1.0 / (ys.max - ys.min)
    best, best_d = None, (0.03 * aspect) ** 2
    for px, py in points:
        d = ((px - x) * sx) ** 2 + ((py - y) * sy) ** 2
        d = np.where(np.isfinite(d), d, np.inf)
        j = int(np.argmin(d))
        if d[j] <= best_d:
            best, best_d = j, float(d[j])
    return best
