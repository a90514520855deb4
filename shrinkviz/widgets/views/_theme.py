"""Colours, text sizes and the one update helper shared by the views.

Colours are Okabe & Ito's colour-blind-safe palette (Okabe & Ito 2008, "Color Universal
Design"); the same meaning keeps the same colour in every explorer.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
from bqplot import Axis, Figure

NONE = "#D55E00"  # no pooling: own estimates y_j (vermillion)
PARTIAL = "#0072B2"  # partial pooling: mu_j (blue)
COMPLETE = "#000000"  # complete pooling: mu0 (black)
EXTRA = "#009E73"  # full Bayes, p(tau | y) (bluish green)
REML = "#E69F00"  # the REML estimate (orange)
GREY = "#8C8C8C"
LIGHT = "#DDDDDD"

ANIMATION_MS = 500


def px(size: float, font_scale: float) -> str:
    return f"{size * font_scale:.0f}px"


def axis(scale, label: str, font_scale: float, **kw) -> Axis:
    """An axis with ticks of 13 px times font_scale; the label's size comes from the
    explorer's CSS (``--bq-axislabel-font``: bqplot has no trait for it), and its offset,
    in em, follows it."""
    vertical = kw.get("side") in ("left", "right")
    return Axis(
        scale=scale,
        label=label,
        grid_lines="none",
        tick_style={"font-size": px(13, font_scale)},
        label_offset="3.3em" if vertical else "2.3em",
        **kw,
    )


def figure(
    marks,
    axes,
    title: str,
    font_scale: float,
    animation_duration: int,
    left: float = 64,
    bottom: float = 52,
    **kw,
) -> Figure:
    """A figure without bqplot's legend (it sits inside the plot and does not scale with
    the text: ``legend`` draws one outside); ``left`` and ``bottom`` margins in px at
    font_scale 1 (room for the tick labels and the axis label)."""
    m = font_scale
    return Figure(
        marks=marks,
        axes=axes,
        title=title,
        animation_duration=animation_duration,
        title_style={"font-size": px(17, m)},
        fig_margin={
            "top": int((44 if title else 16) * m),
            "bottom": int(bottom * m),
            "left": int(left * m),
            "right": int(24 * m),
        },
        padding_x=0,
        padding_y=0,
        **kw,
    )


def legend(entries, font_scale: float) -> w.HTML:
    """The legend of a figure, outside its data area: a line of HTML that wraps.

    ``entries``: (label, kind, colour, dash) with kind "line" (dash "solid", "dashed" or
    "dotted"), "hollow" or "filled" (a marker)."""
    dashes = {"solid": "", "dashed": "7,4", "dotted": "2,3"}
    h = 14 * font_scale
    spans = []
    for label, kind, colour, dash in entries:
        if kind == "line":
            mark = (
                f"<line x1='1' y1='{h / 2}' x2='{2 * h - 1}' y2='{h / 2}' stroke='{colour}' "
                f"stroke-width='{2.5 * font_scale}' stroke-dasharray='{dashes[dash]}'/>"
            )
        else:
            fill = colour if kind == "filled" else "none"
            mark = (
                f"<circle cx='{h}' cy='{h / 2}' r='{h / 2 - 2}' fill='{fill}' "
                f"stroke='{colour}' stroke-width='{2 * font_scale}'/>"
            )
        spans.append(
            f"<span class='shrinkviz-legend-entry' style='display:inline-flex;"
            f"align-items:center;gap:0.3em;margin-right:1.2em;white-space:nowrap'>"
            f"<svg width='{2 * h}' height='{h}' aria-hidden='true'>{mark}</svg>"
            f"{html.escape(label)}</span>"
        )
    box = w.HTML(
        "<div style='display:flex;flex-wrap:wrap;row-gap:0.2em'>" + "".join(spans) + "</div>",
        layout=w.Layout(margin="0 0 0 1em"),
    )
    box.add_class("shrinkviz-legend")
    return box


def text_px(chars: int, font_scale: float, size: float = 13) -> float:
    """About how wide ``chars`` characters of sans-serif text are in px (``size`` px at
    font_scale 1): to size a margin or choose a layout before the browser draws."""
    return 0.62 * size * font_scale * chars


def update(mark, **values) -> bool:
    """Set only the traits whose value changed, in one message (``hold_sync``).

    Returns whether anything was sent. A redraw that leaves a mark as it was costs no
    message: numeric arrays of one dtype and shape are compared by their bytes (what a
    message carries), other values by value.
    """
    changed = {k: v for k, v in values.items() if not _same(getattr(mark, k), v)}
    if len(changed) == 1:  # one trait is one message without hold_sync's bookkeeping
        ((k, v),) = changed.items()
        setattr(mark, k, v)
    elif changed:
        with mark.hold_sync():
            for k, v in changed.items():
                setattr(mark, k, v)
    return bool(changed)


def _same(old, new) -> bool:
    if old is new:  # a cached value set again (traitlets would not send it either)
        return True
    if (
        type(old) is np.ndarray
        and type(new) is np.ndarray
        and old.dtype == new.dtype
        and old.shape == new.shape
        and new.dtype.kind in "biuf"
    ):
        # the bytes sent: 10x faster than ==; they differ for -0.0 and 0.0 (drawn alike)
        return old.tobytes() == new.tobytes()
    if isinstance(new, np.ndarray) or isinstance(old, np.ndarray):
        if old is None or np.shape(old) != np.shape(new):
            return False
        if isinstance(old, np.ndarray) and old.dtype == new.dtype:
            equal = old == new
            if equal.all():  # the common case, without array_equal's nan bookkeeping
                return True
            if new.dtype.kind not in "fc":
                return False
            return bool((equal | (np.isnan(old) & np.isnan(new))).all())
        numeric = np.asarray(new).dtype.kind in "fc"
        return np.array_equal(old, new, equal_nan=numeric)
    return old == new


def js_number(x: float) -> str:
    """The text of JavaScript's ``String(x)`` for a double: bqplot looks ``tick_labels`` up
    by it (ECMAScript Number::toString: shortest round-trip digits, positional for
    1e-6 <= |x| < 1e21, else exponent form as ``1e-7``)."""
    x = float(x)
    if x == 0:
        return "0"
    if 1e-6 <= abs(x) < 1e21:
        return np.format_float_positional(x, trim="-")
    mantissa, exp = np.format_float_scientific(x, trim="-").split("e")
    return f"{mantissa}e{'+' if int(exp) > 0 else '-'}{abs(int(exp))}"


def nice_step(span: float, count: int = 4) -> float:
    """A 1-2-5 step giving about ``count`` ticks over ``span``."""
    raw = span / count if span > 0 else 1.0
    mag = 10.0 ** np.floor(np.log10(raw))
    return float(mag * min(s for s in (1, 2, 5, 10) if s * mag >= raw))
