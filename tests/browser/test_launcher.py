"""The extension in a real JupyterLab: lesson cards in the Launcher, copy-never-overwrite, and
the "Insert shrinkage explorer" command of the palette. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re

import pytest

import _lab

SECTION = "Shrinkage lessons"
EXPLORER_SOURCE = "import shrinkviz as sv\nsv.ShrinkageExplorer.eight_schools()"


def _title(notebook: dict, name: str) -> str:
    """The first markdown heading without * and ` marks, as js/scripts/collect-lessons.mjs
    reads it."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            for line in source.split("\n"):
                if re.match(r"^#+\s", line):
                    return re.sub(r"[*`]", "", re.sub(r"^#+\s+", "", line)).strip()
    return name.removesuffix(".ipynb")


def _lessons() -> dict[str, dict]:
    return {
        p.name: json.loads(p.read_text())
        for p in sorted((_lab.ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    }


def _sources(notebook: dict) -> list[str]:
    return ["".join(c["source"]) for c in notebook["cells"]]


def _cards(page):
    section = page.locator(
        ".jp-Launcher-section", has=page.locator(".jp-Launcher-sectionTitle", has_text=SECTION)
    )
    return section.locator(".jp-LauncherCard").filter(visible=True)  # the launcher in front


def _open_launcher(page):
    page.evaluate("async () => { await window.jupyterapp.commands.execute('launcher:create'); }")
    _cards(page).first.wait_for()


def _palette_item(page, query: str, label: str):
    """Type `query` into the modal palette; return the item `label`. The palette closes when
    focus moves, as it may while a notebook settles, so this tries again a few times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        page.evaluate(
            "() => { window.jupyterapp.commands.execute('apputils:activate-command-palette'); }"
        )
        try:
            page.locator(".lm-CommandPalette-input").fill(query, timeout=3000)
            item = page.locator(".lm-CommandPalette-item", has_text=label).first
            item.wait_for(state="visible", timeout=3000)
            return item
        except PlaywrightTimeout:
            continue
    raise AssertionError("the command palette did not stay open")


def _current_path(page) -> str:
    return page.evaluate("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        return w && w.context ? w.context.path : '';
    }""")


def _cells(page) -> list[tuple[str, str]]:
    return page.evaluate("""() => Array.from(window.jupyterapp.shell.currentWidget.content.model
        .cells).map(c => [c.type, c.sharedModel.getSource()])""")


@pytest.mark.browser
def test_lesson_cards_copy_without_overwriting_and_insert_explorer(jupyter_lab, lab_page):
    lessons = _lessons()
    if not lessons:
        pytest.skip("notebooks/ holds no lesson yet")
    page, root = lab_page, jupyter_lab.root
    _lab.ARTIFACTS.mkdir(exist_ok=True)

    # One card per lesson, labelled with its title (stale bundle? rerun `make setup`).
    cards = _cards(page)
    cards.first.wait_for()
    labels = [
        cards.nth(i).locator(".jp-LauncherCard-label").inner_text() for i in range(cards.count())
    ]
    assert labels == [_title(nb, name) for name, nb in lessons.items()]
    page.screenshot(path=_lab.ARTIFACTS / "launcher-1-cards.png")

    # A click copies the first lesson into the folder shown (the root) and opens it.
    name, lesson = next(iter(lessons.items()))
    stem = name.removesuffix(".ipynb")
    cards.first.click()
    page.wait_for_function(
        "(p) => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === p; }",
        arg=name,
    )
    first = root / name
    assert _sources(json.loads(first.read_text())) == _sources(lesson)
    page.locator(".jp-RenderedMarkdown", has_text=_title(lesson, name)).first.wait_for()
    page.screenshot(path=_lab.ARTIFACTS / "launcher-2-lesson-opened.png")
    before = first.read_bytes()

    # Clicking again makes a second copy; the first one is left as it was.
    _open_launcher(page)
    _cards(page).first.click()
    second = f"{stem}-1.ipynb"
    page.wait_for_function(
        "(p) => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === p; }",
        arg=second,
    )
    assert first.read_bytes() == before
    assert _sources(json.loads((root / second).read_text())) == _sources(lesson)
    assert {p.name for p in root.glob(f"{stem}*.ipynb")} == {name, second}

    # The palette's "Insert shrinkage explorer" adds the ready code cell below the active one.
    panel = page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
    _lab.wait_idle(page, panel, timeout=120)
    page.locator(f"#{panel} .jp-Cell").nth(1).locator(".jp-InputPrompt").click()
    cells = _cells(page)
    active = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")
    item = _palette_item(page, "shrinkage", "Insert shrinkage explorer")
    page.screenshot(path=_lab.ARTIFACTS / "launcher-3-palette.png")
    item.click()
    page.wait_for_function(
        "(n) => window.jupyterapp.shell.currentWidget.content.model.cells.length === n",
        arg=len(cells) + 1,
    )
    assert _cells(page) == cells[: active + 1] + [["code", EXPLORER_SOURCE]] + cells[active + 1 :]
    assert _current_path(page) == second
    page.locator(f"#{panel} .jp-Cell.jp-mod-active").scroll_into_view_if_needed()
    page.screenshot(path=_lab.ARTIFACTS / "launcher-4-explorer-inserted.png")

    # The copy goes to the folder the file browser shows.
    (root / "course").mkdir()
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'filebrowser:go-to-path', {path: 'course/'}); }"
    )
    _open_launcher(page)
    _cards(page).first.click()
    page.wait_for_function(
        "(p) => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.context && w.context.path === p; }",
        arg=f"course/{name}",
    )
    assert _sources(json.loads((root / "course" / name).read_text())) == _sources(lesson)
