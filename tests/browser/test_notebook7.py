"""The lessons and the explorers in Jupyter Notebook 7 (the `notebook` package), which has no
launcher: the "Shrinkage lessons" menu of the main menu bar lists every lesson and opens a copy
of one in a new browser tab (into the folder the file tree shows, or beside the notebook in
front); the lesson runs, its eight-schools explorer draws its figures and answers the keyboard
(a tau2 move redraws the figure and the live region says what moved); the menu's "Insert
shrinkage explorer" adds the explorer's cell, which runs too. Screenshots at 1280x800 go to
test-artifacts/nb7-*.png.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from test_launcher import EXPLORER_SOURCE, SECTION, _cells, _lessons, _sources, _title

import _lab

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 800}
LESSON = "02-eight-schools.ipynb"
SCHOOLS = ".shrinkviz-shrinkage"

# What a bqplot figure draws (dots are placed by `transform`, lines and bars by `d`, `x`, `y`):
# it changes when a mark moves.
_JS_MARKS = """(el) => Array.from(el.querySelectorAll(
        '.bqplot svg g[clip-path] path, .bqplot svg g[clip-path] rect'))
    .map(m => ['d', 'transform', 'x', 'y', 'width', 'height']
        .map(a => m.getAttribute(a) || '').join(' '))
    .join('|')"""


@pytest.fixture(scope="module")
def notebook7(browser):  # asks for the browser first: it skips (or fails) without one
    with _lab.running_lab(app="notebook") as server:
        yield server


def _restored(page) -> None:
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")


def _open_menu(page):
    """Click "Shrinkage lessons" in the menu bar; return the open menu's items."""
    page.locator(".lm-MenuBar-item", has_text=SECTION).click()
    menu = page.locator(".lm-Menu").filter(visible=True)
    menu.locator(".lm-Menu-item").first.wait_for()
    return menu.locator(".lm-Menu-item[data-type='command']")


def _labels(items) -> list[str]:
    return [items.nth(i).locator(".lm-Menu-itemLabel").inner_text() for i in range(items.count())]


def _shot(page, name: str) -> None:
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    assert page.viewport_size == VIEWPORT
    page.screenshot(path=_lab.ARTIFACTS / f"nb7-{name}.png")


def _to_top(element) -> None:
    """Scroll the notebook so that `element` starts at the top of the window (again if the
    notebook scrolls back to its active cell right after)."""
    for _ in range(10):
        element.evaluate("el => el.scrollIntoView({block: 'start'})")
        time.sleep(0.3)
        if element.evaluate("el => el.getBoundingClientRect().top") < 200:
            return
    raise AssertionError("the notebook does not stay scrolled to the element")


def _element_shot(page, element, name: str) -> None:
    """`element` whole: the window grows to hold it (as `_lab.screenshot_outputs` does), then
    goes back to 1280x800."""
    _lab._fit_viewport(page, element)
    _to_top(element)
    element.screenshot(path=_lab.ARTIFACTS / f"nb7-{name}.png")
    page.set_viewport_size(VIEWPORT)
    _to_top(element)


def _bottom_into_view(element) -> None:
    element.evaluate("el => el.scrollIntoView({block: 'end'})")
    time.sleep(0.3)


def _wait_changed(read, before: str, what: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while (now := read()) == before:
        assert time.monotonic() < deadline, f"{what} did not change in {timeout:.0f} s"
        time.sleep(0.2)
    return now


def test_lessons_menu_and_explorers_in_notebook7(notebook7, browser):
    lessons = _lessons()
    assert LESSON in lessons, f"notebooks/{LESSON} is missing"
    titles = [_title(nb, name) for name, nb in lessons.items()]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        # The file tree, in a folder: the menu lists every lesson, then the explorer command
        # (off: no notebook to insert into). Stale list? The extension bundles notebooks/.
        (notebook7.root / "course").mkdir()
        tree = context.new_page()
        tree.set_default_timeout(60_000)
        tree.goto(f"{notebook7.url}tree/course?token={notebook7.token}")
        _restored(tree)
        assert tree.locator(".jp-Launcher").count() == 0  # Notebook 7: no launcher
        items = _open_menu(tree)
        assert _labels(items) == [*titles, "Insert shrinkage explorer"]
        insert = items.filter(has_text="Insert shrinkage explorer")
        assert "lm-mod-disabled" in insert.get_attribute("class")
        _shot(tree, "1-tree-menu")

        # A lesson opens as a copy in the folder shown, in a new tab.
        with context.expect_page() as opened:
            items.nth(list(lessons).index(LESSON)).click()
        page = opened.value
        page.set_default_timeout(60_000)
        page.bring_to_front()  # timers run at full speed only in the page in front
        _restored(page)
        assert page.url.split("?")[0].endswith(f"/notebooks/course/{LESSON}"), page.url
        copy = json.loads((notebook7.root / "course" / LESSON).read_text())
        assert _sources(copy) == _sources(lessons[LESSON])
        panel = page.evaluate("""async () => {
            const w = window.jupyterapp.shell.currentWidget;
            await w.context.ready;
            await w.sessionContext.ready;
            return w.id;
        }""")
        page.locator(
            ".jp-RenderedMarkdown", has_text=_title(lessons[LESSON], LESSON)
        ).first.wait_for()

        # It runs without an error, and its explorer draws (the figure is not blank).
        _lab.run_all(page, panel, timeout=600)
        assert _lab.errors(page, panel) == []
        explorer = page.locator(f"#{panel} {SCHOOLS}").first
        explorer.wait_for()
        _to_top(explorer)
        problem = _lab.settled_problem(explorer, 20)
        assert problem is None, f"the eight-schools explorer: {problem}"
        _to_top(explorer)
        _shot(page, "2-lesson-explorer")
        _element_shot(page, explorer, "3-explorer-before")

        # tau2 from the keyboard: the figure is redrawn, the live region (its aria-live from
        # the extension, as in JupyterLab) says what moved.
        region = explorer.locator(".shrinkviz-live > .widget-html-content")
        region.wait_for(state="attached")
        page.wait_for_function(
            "(el) => el.getAttribute('aria-live') === 'polite'", arg=region.element_handle()
        )
        marks_before = explorer.evaluate(_JS_MARKS)
        handle = explorer.locator(".shrinkviz-tau2 .noUi-handle")
        shown = explorer.locator(".shrinkviz-tau2 + .shrinkviz-value > .widget-html-content")
        # the handle's name, like the live region's aria-live, comes from the extension
        name = explorer.locator(".shrinkviz-tau2 > .widget-label").inner_text().strip()
        assert name and handle.get_attribute("aria-label") == name
        value_before = shown.inner_text()
        index_before = int(float(handle.get_attribute("aria-valuenow")))
        handle.focus()
        for _ in range(6):
            page.keyboard.press("ArrowLeft")
            time.sleep(0.05)
        # every press moved the handle one step (none went to a notebook shortcut)
        assert page.evaluate("() => document.activeElement.classList.contains('noUi-handle')")
        assert int(float(handle.get_attribute("aria-valuenow"))) == index_before - 6
        # the kernel answers each step; the live region speaks once the controls rest
        _wait_changed(lambda: explorer.evaluate(_JS_MARKS), marks_before, "the figure")
        deadline = time.monotonic() + 20
        while True:
            value, said = shown.inner_text(), region.inner_text().strip()
            if value != value_before and said.startswith(f"tau squared {value}: "):
                break
            assert time.monotonic() < deadline, f"shown tau2 {value}, the live region: {said}"
            time.sleep(0.2)
        print("tau2", value_before, "->", value, "; live region:", said)
        assert said.startswith(f"tau squared {value}: school A moves from 28 to "), said
        assert " percent" in said and "; the grand mean is " in said
        _to_top(explorer)
        _shot(page, "4-after-tau2-move")
        _bottom_into_view(explorer)
        _shot(page, "5-after-tau2-move-controls")
        _element_shot(page, explorer, "6-explorer-after")

        # The menu's "Insert shrinkage explorer" adds its cell below the active one; it runs.
        page.locator(f"#{panel} .jp-Cell").nth(1).locator(".jp-InputPrompt").click()
        cells = _cells(page)
        active = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
        )
        items = _open_menu(page)
        assert _labels(items) == [*titles, "Insert shrinkage explorer"]
        _shot(page, "7-notebook-menu")
        items.filter(has_text="Insert shrinkage explorer").click()
        page.wait_for_function(
            "(n) => window.jupyterapp.shell.currentWidget.content.model.cells.length === n",
            arg=len(cells) + 1,
        )
        assert (
            _cells(page) == cells[: active + 1] + [["code", EXPLORER_SOURCE]] + cells[active + 1 :]
        )
        page.evaluate("""async () => {
            await window.jupyterapp.commands.execute('notebook:run-cell');
        }""")
        _lab.wait_idle(page, panel, timeout=120)
        assert _lab.errors(page, panel) == []
        inserted = page.locator(f"#{panel} .jp-Cell").nth(active + 1).locator(SCHOOLS)
        inserted.wait_for()
        _to_top(inserted)
        problem = _lab.settled_problem(inserted, 20)
        assert problem is None, f"the inserted explorer: {problem}"
        _shot(page, "8-inserted-explorer")

        # From the notebook page (no file browser in view) a lesson goes beside the notebook.
        first = next(iter(lessons))
        with context.expect_page() as opened:
            _open_menu(page).nth(0).click()
        other = opened.value
        other.wait_for_url(f"**/notebooks/course/{first}**")
        assert _sources(json.loads((notebook7.root / "course" / first).read_text())) == _sources(
            lessons[first]
        )
        assert not (notebook7.root / first).exists()
    except Exception:
        for i, p in enumerate(context.pages):
            with contextlib.suppress(Exception):
                p.screenshot(path=_lab.ARTIFACTS / f"FAILED-nb7-page{i}.png", full_page=True)
        print(notebook7.logs())
        raise
    finally:
        context.close()
