"""Pictures that survive export: a displayed explorer is followed by a static picture of its
state (``_Explorer._ipython_display_``), so an executed lesson exported to HTML shows every
explorer even where its widgets cannot render (GitHub, nbviewer, an offline HTML page)."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import shrinkviz as sv

ROOT = Path(__file__).resolve().parents[1]


class Pictures(HTMLParser):
    """(model id, alt text, base64 PNG) of every ``img.shrinkviz-static`` of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.found = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("class") == "shrinkviz-static":
            src = a["src"]
            assert src.startswith("data:image/png;base64,")
            self.found.append((a["data-shrinkviz-model"], a["alt"], src.split(",", 1)[1]))


def png_not_blank(b64: str) -> np.ndarray:
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("L"), dtype=float)
    assert img.shape[1] >= 700 and img.shape[0] >= 350, img.shape
    assert (img < 128).mean() > 0.005 and (img > 250).mean() > 0.5
    return img


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_display_adds_a_picture_after_the_live_explorer(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    ex = sv.ShrinkageExplorer.eight_schools(tau2=112.0)
    ex._ipython_display_()
    live, picture = shown
    assert live["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.model_id
    ((model, alt, png),) = Pictures(picture["text/html"]).found
    assert model == ex.model_id and png == picture["image/png"]
    assert alt == ex._caption(ex.state.snapshot)  # the caption as alt text
    assert "τ² = 112" in alt
    png_not_blank(png)
    # the live explorer's style hides exactly this picture
    style = ex.children[-1].value
    assert f"img.shrinkviz-static[data-shrinkviz-model='{ex.model_id}']" in style


def test_no_picture_when_asked_for_none(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    ex = sv.PoolingLinesExplorer.radon()
    ex.static_picture = False
    ex._ipython_display_()
    assert len(shown) == 1


def test_an_explorer_without_a_static_picture_still_displays(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append(obj))
    ex = sv.ShrinkageExplorer.eight_schools()

    def missing(fig, frame):
        raise NotImplementedError

    monkeypatch.setattr(ex, "_draw_static", missing)
    ex._ipython_display_()
    assert len(shown) == 1


def export(lesson: str, out: Path) -> str:
    """``jupyter nbconvert --execute --to html`` of a lesson, as a user runs it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--execute",
            "--to",
            "html",
            "--output-dir",
            str(out),
            str(ROOT / "notebooks" / lesson),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    return (out / lesson.replace(".ipynb", ".html")).read_text()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return out, {k: export(k, out) for k in ("02-eight-schools.ipynb", "03-radon.ipynb")}


@pytest.mark.slow
def test_exported_lessons_carry_each_explorers_picture(exported):
    _, pages = exported
    for lesson, explorers in (("02-eight-schools.ipynb", 1), ("03-radon.ipynb", 1)):
        found = Pictures(pages[lesson]).found
        assert len(found) == explorers, f"{lesson}: {len(found)} pictures"
        for _model, alt, png in found:
            png_not_blank(png)
            assert "τ² = " in alt


@pytest.mark.slow
@pytest.mark.browser
def test_exported_pictures_show_offline_in_chromium(exported, browser):
    """The exported page opened with every network request refused (no widget JavaScript
    from a CDN): each picture is loaded and on screen."""
    out, pages = exported
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.route(re.compile(r"^https?://"), lambda route: route.abort())
        for lesson in pages:
            page.goto((out / lesson.replace(".ipynb", ".html")).as_uri())
            pictures = page.locator("img.shrinkviz-static")
            assert pictures.count() >= 1
            for k in range(pictures.count()):
                pic = pictures.nth(k)
                pic.scroll_into_view_if_needed()
                assert pic.is_visible()
                assert pic.evaluate("img => img.complete && img.naturalWidth > 0")
                box = pic.bounding_box()
                assert box["width"] > 600 and box["height"] > 250, box
                pic.screenshot(path=artifacts / f"export-{lesson[:2]}-picture{k}.png")
            page.screenshot(path=artifacts / f"export-{lesson[:2]}-page.png")
    finally:
        context.close()
