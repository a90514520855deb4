"""Marks that scale: WebGL (bqplot-gl) for many groups, SVG (bqplot) for few.

An SVG figure keeps one DOM node per marker and per segment: at 10^4 groups a tau2 move costs
the browser seconds (benchmarks/bench_many_groups.py), while bqplot-gl's ``ScatterGL`` redraws
10^4 markers in one WebGL frame. The segments stay SVG, but as one path: a single Lines mark
whose polyline a NaN vertex breaks after each segment (``segments``). bqplot-gl's ``LinesGL``
draws such a polyline too, but in this headless Chromium (software WebGL) 10^4 segments took
seconds per frame, the one SVG path a fraction of the markers' frame. SVG marks stay below
``GL_FROM`` groups: they are crisp and export as vector graphics.

What bqplot-gl 0.1 lacks, and how the views make up for it:

- ``ScatterGL`` draws on linear scales only: a log axis is a linear scale over log10 of the
  values, with ticks labelled by the values themselves (``log_axis_ticks``);
- it sends no click events: a transparent bqplot ``Image`` over the plot area reports the
  clicked point in data units (``ClickLayer``), and the view picks the nearest marker;
- it cannot draw the selected marker on top: an SVG ring of two points does (the views'
  ``highlight``).
"""

from __future__ import annotations

import struct
import zlib

import ipywidgets as w
import numpy as np
from bqplot import Image, Scatter
from bqplot_gl import ScatterGL

from . import _theme as t

# From this many groups on the views draw with WebGL (``marks="auto"``).
# benchmarks/bench_many_groups.py --marks svg gl (median ms from a key to the figure settled,
# headless Chromium on 2 loaded cores): at 100 groups SVG and WebGL settle alike (shrinkage
# 269 / 267, pooling 230 / 263), at 300 WebGL is 2-4x faster (864 / 207, 411 / 185), at 1,000
# about 3x (898 / 261, 917 / 334). Between 300 and 1,000 SVG is still usable, and crisp.
GL_FROM = 500
MARKS = ("auto", "svg", "gl")


def use_gl(marks: str, J: int) -> bool:
    """Whether ``J`` groups are drawn with WebGL marks (``marks``: "auto", "svg" or "gl")."""
    if marks not in MARKS:
        raise ValueError(f"marks must be 'auto', 'svg' or 'gl' (got {marks!r})")
    return marks == "gl" or (marks == "auto" and J >= GL_FROM)


def scatter_type(gl: bool) -> type:
    """The Scatter class: bqplot-gl's or bqplot's."""
    return ScatterGL if gl else Scatter


def segments(x: np.ndarray, y: np.ndarray, gl: bool) -> dict:
    """x and y of a bqplot ``Lines`` mark drawing row k of ``x``, ``y`` (K x 2) as one
    segment: 2-D arrays (one SVG path per segment) for few groups, else one polyline with a
    NaN vertex after each segment (bqplot breaks a line at NaN: one SVG path for all), a
    segment with a NaN end left out. There, vertical segments on one x (horizontal ones on
    one y: a funnel's columns, thousands of groups on a few hundred distinct n_j) are drawn
    as their union (``union``): one path is stroked as one shape, so the pixels are the same,
    and the browser builds and fills a path of far fewer vertices."""
    if not gl:
        return {"x": x, "y": y}
    x0, x1, y0, y1 = x[:, 0], x[:, 1], y[:, 0], y[:, 1]
    keep = np.isfinite(x0 + x1 + y0 + y1)
    if not keep.all():
        x0, x1, y0, y1 = x0[keep], x1[keep], y0[keep], y1[keep]
    if np.array_equal(x0, x1):
        at, lo, hi = union(x0, np.minimum(y0, y1), np.maximum(y0, y1))
        x, y = np.column_stack([at, at]), np.column_stack([lo, hi])
    elif np.array_equal(y0, y1):
        at, lo, hi = union(y0, np.minimum(x0, x1), np.maximum(x0, x1))
        x, y = np.column_stack([lo, hi]), np.column_stack([at, at])
    else:
        x, y = np.column_stack([x0, x1]), np.column_stack([y0, y1])
    pad = np.full((len(x), 1), np.nan)
    return {"x": np.hstack([x, pad]).ravel(), "y": np.hstack([y, pad]).ravel()}


def union(at: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
    """The intervals [lo_k, hi_k] on the lines at_k merged where they overlap or touch:
    (at, lo, hi) of the union, by line and then by lo."""
    order = np.lexsort((lo, at))
    at, lo, hi = at[order], lo[order], hi[order]
    if len(at) == 0:
        return at, lo, hi
    line = np.cumsum(np.r_[True, at[1:] != at[:-1]])
    # how far the intervals before each one on its line reach: a running maximum that starts
    # again on every line (each line's hi shifted past all the lines' before it)
    shift = line * (2.0 * (hi.max() - hi.min()) + 1.0)
    reach = np.maximum.accumulate(hi + shift) - shift
    starts = np.flatnonzero(np.r_[True, (line[1:] != line[:-1]) | (lo[1:] > reach[:-1])])
    return at[starts], lo[starts], np.maximum.reduceat(hi, starts)


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
