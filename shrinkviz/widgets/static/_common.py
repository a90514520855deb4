"""What the static pictures share: a Figure without pyplot, legends and captions like the
bqplot views', and writing PNG, SVG or PDF."""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# the bqplot views' line styles (views/_theme.legend: dashed 7,4; dotted 2,3)
DASHES = {"solid": "-", "dashed": "--", "dotted": ":"}
FORMATS = ("png", "svg", "pdf")
TEXT_PT = 10.0  # body text at font_scale 1


def figure(width: float, height: float) -> Figure:
    """A matplotlib Figure of ``width`` x ``height`` inches, laid out by constrained layout
    (legends ``outside`` the axes), drawn without pyplot (no global state, no GUI)."""
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def freeze_layout(fig) -> list:
    """Lay ``fig`` out once and turn its layout engine off; returns the axes' places, for
    ``restore_layout`` on the next frame of an animation (drawn the same way): the frames
    do not jitter, and each costs one draw instead of a layout and a draw."""
    fig.canvas.draw()
    places = [ax.get_position() for ax in fig.findobj(Axes)]
    fig.set_layout_engine("none")
    return places


def restore_layout(fig, places) -> None:
    for ax, place in zip(fig.findobj(Axes), places, strict=True):
        ax.set_position(place)


def handles(entries, font_scale: float) -> list[Line2D]:
    """Legend handles of ``views._theme.legend`` entries: (label, kind, colour, dash) with
    kind "line" (dash "solid", "dashed" or "dotted"), "hollow" or "filled" (a marker)."""
    out = []
    for label, kind, colour, dash in entries:
        if kind == "line":
            out.append(Line2D([], [], color=colour, linestyle=DASHES[dash], lw=2.2 * font_scale))
        else:
            out.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    markersize=9 * font_scale,
                    markerfacecolor=colour if kind == "filled" else "white",
                    markeredgecolor=colour if kind == "hollow" else "white",
                    markeredgewidth=1.8 * font_scale,
                )
            )
        out[-1].set_label(label)
    return out


def legend(fig, entries, font_scale: float, ncols: int | None = None) -> None:
    """The legend above the axes of ``fig`` (a Figure or SubFigure), outside the data area,
    as the HTML legend above each bqplot figure: in ``ncols`` columns (all entries in one
    row unless told), fewer where the row would be wider than ``fig`` (a long entry at a
    large ``font_scale``; the HTML legend wraps)."""
    hs = handles(entries, font_scale)
    renderer = root(fig).canvas.get_renderer()
    for n in range(ncols or len(hs), 0, -1):
        leg = fig.legend(
            handles=hs,
            loc="outside upper left",
            ncols=n,
            frameon=False,
            fontsize=TEXT_PT * font_scale,
            handlelength=2.6,
            columnspacing=1.6,
        )
        if n == 1 or leg.get_window_extent(renderer).width <= fig.bbox.width:
            break
        leg.remove()
    leg.set_gid("legend")


def fits(fig, text: str, width: float, **font) -> bool:
    """Whether ``text`` in ``font`` (Text properties) is at most ``width`` display units wide."""
    probe = fig.text(0, 0, text, **font)
    wide = probe.get_window_extent(root(fig).canvas.get_renderer()).width
    probe.remove()
    return wide <= width


def root(fig) -> Figure:
    """The Figure of ``fig`` (itself, or a SubFigure's parent Figure)."""
    return fig if isinstance(fig, Figure) else fig.figure


def caption(fig, text: str, font_scale: float, width_chars: int = 120) -> None:
    """The current values under the picture (wrapped); constrained layout keeps room."""
    wrapped = "\n".join(textwrap.wrap(text, max(40, int(width_chars / font_scale))))
    t = fig.supxlabel(wrapped, x=0.01, ha="left", fontsize=TEXT_PT * font_scale)
    t.set_gid("caption")


def file_format(path) -> str:
    """The format of ``path`` from its suffix: png, svg or pdf (else a ValueError)."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"path must end in .png, .svg or .pdf (got {str(path)!r}); "
            "save_animation writes .gif and .mp4"
        )
    return fmt


def save(fig, path, dpi: float) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix); return the path."""
    path = Path(path)
    fig.savefig(path, format=file_format(path), dpi=dpi, facecolor="white")
    return path
