"""10^4 groups in a real JupyterLab (issue 13): the explorers draw with bqplot-gl's WebGL marks,
the figure is not blank, a keyboard move of tau2 changes the canvas, a click on a marker
selects its group; and the bqplot-gl lab extension is there.

The pixels are read from Playwright screenshots of the figure (a WebGL canvas keeps no
drawing buffer to read back), counted by colour: the partial-pooling blue and the no-pooling
vermillion of views/_theme.py.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

import _lab

pytestmark = pytest.mark.browser

SETUP = """
import numpy as np, pandas as pd
import shrinkviz as sv

rng = np.random.default_rng(0)
J = 10_000
n = np.round(np.exp(rng.uniform(np.log(2), np.log(400), J)))
v = 4.0 / n
y = rng.normal(rng.normal(0, 1, J), np.sqrt(v))
many = sv.ShrinkageExplorer.from_meta(y, v, animation_duration=0)
many.add_class("mg-shrinkage")
many
"""
POOLING = """
m = rng.integers(2, 21, J)
g = np.repeat(np.arange(J), m)
x = rng.integers(0, 2, len(g)).astype(float)
rows = pd.DataFrame({"x": x, "y": rng.normal(1.3, 0.4, J)[g] - 0.6 * x
                     + rng.normal(0, 0.8, len(g)), "g": g})
lines = sv.PoolingLinesExplorer.from_frame(rows, x="x", y="y", group="g", animation_duration=0)
lines.add_class("mg-pooling")
lines
"""
SMALL = """
schools = sv.ShrinkageExplorer.eight_schools(animation_duration=0)
schools.add_class("mg-schools")
schools
"""
BLUE, VERMILLION = (0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00)


@pytest.fixture(scope="module")
def lab(jupyter_lab, browser):
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    try:
        path = jupyter_lab.write_notebook("many-groups/many.ipynb", [SETUP, POOLING, SMALL])
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel, timeout=600)
        assert _lab.errors(page, panel) == []
        yield page, panel
    finally:
        page.context.close()


def shot(page, css: str, name: str) -> np.ndarray:
    """The figure's screenshot (saved to test-artifacts/) as an RGB array."""
    from PIL import Image

    el = page.locator(css).first
    el.scroll_into_view_if_needed()
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    png = el.screenshot(path=_lab.ARTIFACTS / f"many-groups-{name}.png")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def near(img: np.ndarray, colour, tol: int = 40) -> int:
    """How many pixels are within ``tol`` of ``colour`` in every channel."""
    return int((np.abs(img - np.array(colour)).max(axis=2) <= tol).sum())


def drawn(page, css: str, name: str, timeout: float = 60.0) -> np.ndarray:
    """The figure's screenshot once the WebGL markers are on it (blue and vermillion)."""
    deadline = time.monotonic() + timeout
    while True:
        img = shot(page, css, name)
        if near(img, BLUE) > 300 and near(img, VERMILLION) > 300:
            return img
        if time.monotonic() > deadline:
            pytest.fail(f"{css} stays blank: {near(img, BLUE)} blue, {near(img, VERMILLION)}")
        time.sleep(0.5)


def test_bqplot_gl_extension_is_enabled():
    import subprocess
    import sys
    from pathlib import Path

    jupyter = Path(sys.executable).parent / "jupyter"
    listing = subprocess.run(
        [jupyter, "labextension", "list"], capture_output=True, text=True, check=True
    )
    text = listing.stdout + listing.stderr
    line = next(x for x in text.splitlines() if "bqplot-gl" in x)
    assert "enabled" in line and "OK" in line


def test_many_groups_draw_with_webgl_and_are_not_blank(lab):
    page, panel = lab
    for css in (
        ".mg-shrinkage .shrinkviz-shrinkage-figure",
        ".mg-pooling .shrinkviz-overview-figure",
    ):
        assert page.locator(f"{css} canvas").count() >= 1
        name = css.split()[0].strip(".")
        drawn(page, css, name)
    # WebGL: no SVG marker per group (the SVG holds the axes, the rule and the ring)
    dots = page.locator(".mg-shrinkage .shrinkviz-shrinkage-figure path.dot").count()
    assert dots <= 4
    assert _lab.kernel_eval(page, panel, "type(many.view.pooled).__name__") == "ScatterGL"


def test_a_tau2_move_changes_the_canvas(lab):
    page, panel = lab
    css = ".mg-shrinkage .shrinkviz-shrinkage-figure"
    before = drawn(page, css, "before-move")
    tau2 = _lab.kernel_eval(page, panel, "many.state.tau2")
    knob = page.locator(".mg-shrinkage .shrinkviz-tau2 .noUi-handle").first
    knob.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")  # toward complete pooling: the markers gather
    deadline = time.monotonic() + 30
    while _lab.kernel_eval(page, panel, "many.state.tau2") == tau2:
        assert time.monotonic() < deadline, "the slider did not move tau2"
        time.sleep(0.2)
    page.wait_for_timeout(1500)
    after = drawn(page, css, "after-move")
    changed = (np.abs(after - before).max(axis=2) > 40).sum()
    assert changed > 2000, f"only {changed} pixels changed"
    # toward complete pooling the blue markers gather: fewer blue pixels stand apart
    assert near(after, BLUE) != near(before, BLUE)


def test_a_click_on_a_marker_selects_its_group(lab):
    page, panel = lab
    css = ".mg-shrinkage .shrinkviz-shrinkage-figure"
    drawn(page, css, "before-click")
    # the least precise study stands at the left end: click its no-pooling marker
    j, x, y = _lab.kernel_eval(
        page,
        panel,
        "(lambda j: [j, float(many.view.own.x[j]), float(many.view.own.y[j])])(int(np.argmax(v)))",
    )
    xs = _lab.kernel_eval(
        page,
        panel,
        "[many.figure.axes[0].scale.min, many.figure.axes[0].scale.max,"
        " many.figure.axes[1].scale.min, many.figure.axes[1].scale.max]",
    )
    area = page.locator(f"{css} .plotarea_events").first.bounding_box()
    px = area["x"] + (x - xs[0]) / (xs[1] - xs[0]) * area["width"]
    py = area["y"] + (xs[3] - y) / (xs[3] - xs[2]) * area["height"]
    assert _lab.kernel_eval(page, panel, "many.state.selected") == 0
    page.mouse.click(px, py)
    deadline = time.monotonic() + 30
    while (selected := _lab.kernel_eval(page, panel, "many.state.selected")) == 0:
        assert time.monotonic() < deadline, "the click selected nothing"
        time.sleep(0.2)
    # the group selected is the one clicked, or one whose marker is as near the click
    d = _lab.kernel_eval(
        page,
        panel,
        f"float(np.hypot((many.view.own.x[{selected}] - {x}) / ({xs[1]} - {xs[0]}) * 1.6,"
        f" (many.view.own.y[{selected}] - {y}) / ({xs[3]} - {xs[2]})))",
    )
    assert selected == j or d < 0.01
    label = _lab.kernel_eval(page, panel, f"many.state.labels[{selected}]")
    readout = page.locator(".mg-shrinkage .shrinkviz-readout").first
    deadline = time.monotonic() + 10
    while not readout.inner_text().startswith(label + ":"):
        assert time.monotonic() < deadline, readout.inner_text()
        time.sleep(0.2)
    combo = page.locator(".mg-shrinkage .shrinkviz-group input").first
    assert combo.input_value() == label
    shot(page, ".mg-shrinkage", "selected")


def test_few_groups_stay_svg(lab):
    page, _ = lab
    fig = ".mg-schools .shrinkviz-shrinkage-figure"
    page.locator(fig).first.scroll_into_view_if_needed()
    assert page.locator(f"{fig} path.dot").count() == 16  # 8 hollow + 8 filled, in SVG
    assert page.locator(".mg-schools .shrinkviz-group select").count() == 1  # a dropdown


def test_lesson_10_runs_in_the_browser(jupyter_lab, lab_page):
    """Lesson 10 top to bottom: no error, no blank output, its 3,000 counties drawn with WebGL."""
    lesson = _lab.ROOT / "notebooks" / "10-many-groups.ipynb"
    page = lab_page
    page.set_viewport_size({"width": 1280, "height": 800})
    panel = _lab.open_notebook(page, jupyter_lab.copy_notebook(lesson, f"lesson-10/{lesson.name}"))
    _lab.run_all(page, panel, timeout=600)
    assert _lab.errors(page, panel) == []
    _lab.screenshot_outputs(page, panel, "lesson-10")
    css = f"#{panel} .shrinkviz-shrinkage-figure"
    assert page.locator(f"{css} canvas").count() >= 1
    img = drawn(page, css, "lesson-10-explorer")
    assert near(img, BLUE) > 300
    assert page.locator(f"#{panel} .shrinkviz-group input").count() == 1  # searchable
