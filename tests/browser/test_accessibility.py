"""The explorers for a keyboard and a screen reader, in a real JupyterLab at 1280x800: axe-core
(npm, in tests/browser/axe/) finds no serious or critical violation inside them, Tab walks
every control with a visible focus and a name, and after a tau2 move from the keyboard the
live region says what moved.

The names of slider handles and of Play's buttons and the live region's ``aria-live`` come
from the JupyterLab extension (js/src/a11y.ts): ipywidgets 8 gives them none.
"""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest

import _lab

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CELLS = [
    "import shrinkviz as sv\nschools = sv.ShrinkageExplorer.eight_schools()\nschools",
    "radon = sv.PoolingLinesExplorer.radon()\nradon",
]
SCHOOLS = ".shrinkviz-shrinkage"

# what the focused element is, its accessible name (as far as the DOM says) and its focus ring
JS_FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || !el.closest('.shrinkviz-explorer')) return null;
    const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
    const name = el.getAttribute('aria-label') || (label && label.textContent.trim())
        || (el.closest('label') && el.closest('label').textContent.trim())
        || el.textContent.trim() || el.getAttribute('title') || '';
    const s = getComputedStyle(el);
    const control = Array.from(el.closest('[class*="shrinkviz-"]').classList)
        .find(c => c.startsWith('shrinkviz-')) || '';
    return {tag: el.tagName.toLowerCase(), control, name,
            ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
            explorer: el.closest('.shrinkviz-explorer').classList.contains('shrinkviz-shrinkage')
                ? 'schools' : 'other'};
}"""


@pytest.fixture(scope="module")
def explorers(jupyter_lab, browser):
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    try:
        path = jupyter_lab.write_notebook("a11y-test/explorers.ipynb", CELLS)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        assert _lab.errors(page, panel) == []
        page.wait_for_selector(f"{SCHOOLS} .shrinkviz-tau2 .noUi-handle[aria-label]")
        yield page, panel
    finally:
        page.context.close()
        for session in jupyter_lab.api("api/sessions"):  # its kernel stops with the module
            if session["path"].startswith("a11y-test/"):
                jupyter_lab.api(f"api/sessions/{session['id']}", method="DELETE", timeout=20)


def test_axe_finds_no_serious_violation_inside_the_explorers(explorers):
    page, _ = explorers
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/browser/axe (make test does)"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
        const r = await axe.run({include: [['.shrinkviz-explorer']]},
                                {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' '))}));
    }"""
    )
    print("axe-core violations:", violations)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], "\n".join(f"{v['impact']} {v['id']}: {v['help']}" for v in serious)


def walk(page, start, presses: int = 40) -> list[dict]:
    """Tab from ``start`` through the schools explorer; the focused controls in order."""
    start.focus()
    seen = [page.evaluate(JS_FOCUSED)]
    for _ in range(presses):
        page.keyboard.press("Tab")
        now = page.evaluate(JS_FOCUSED)
        if now is None or now["explorer"] != "schools":
            break
        seen.append(now)
    return seen


def test_tab_walks_every_control_with_a_name_and_a_visible_focus(explorers):
    page, _ = explorers
    seen = walk(page, page.locator(f"{SCHOOLS} .shrinkviz-tau2 .noUi-handle"))
    controls = [s["control"] for s in seen]
    print("Tab order:", [(s["control"], s["tag"], s["name"]) for s in seen])
    for css in (
        "shrinkviz-tau2",
        "shrinkviz-play",
        "shrinkviz-fit",
        "shrinkviz-group",
        "shrinkviz-n-scale",
        "shrinkviz-mu0",
        "shrinkviz-full-bayes",
        "shrinkviz-tau-prior",
        "shrinkviz-describe",
    ):
        assert css in controls, f"Tab never reached {css}: {controls}"
    for s in seen:
        assert s["name"], f"a {s['tag']} of {s['control']} without a name"
        assert s["ring"], f"the focus on {s['control']} ({s['tag']}) does not show"


def live_text(page) -> str:
    return page.locator(f"{SCHOOLS} .shrinkviz-live").inner_text().strip()


def kernel_live(page, panel) -> str:
    return html.unescape(_lab.kernel_eval(page, panel, "schools.live.value"))


def said_when(page, panel, says: str, timeout: float = 20.0) -> str:
    """The live region once it says ``says`` (after describe_delay), checked against the
    kernel's text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = live_text(page)
        if says in text:
            assert text == kernel_live(page, panel)
            return text
        time.sleep(0.3)
    raise TimeoutError(f"the live region says {live_text(page)!r}, never {says!r}")


def test_keyboard_tau2_move_and_group_choice_are_said(explorers):
    page, panel = explorers
    region = page.locator(f"{SCHOOLS} .shrinkviz-live > .widget-html-content")
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("role") == "status"
    assert not page.locator(f"{SCHOOLS} .shrinkviz-live").evaluate(
        "el => el.getBoundingClientRect().width > 2"
    ), "the live region should be read, not seen"
    handle = page.locator(f"{SCHOOLS} .shrinkviz-tau2 .noUi-handle")
    handle.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        index = _lab.kernel_eval(page, panel, "schools.controls.tau2.slider.index")
        if index == int(float(handle.get_attribute("aria-valuenow"))):
            break
        time.sleep(0.2)
    tau2 = _lab.kernel_run(
        page,
        panel,
        "from shrinkviz.widgets.controls import number\nprint(number(schools.state.tau2))",
    ).strip()
    said = said_when(page, panel, f"tau squared {tau2}: school A moves from 28 to ")
    assert said.startswith(f"tau squared {tau2}: "), said
    assert " percent" in said and "; the grand mean is " in said

    # choose school B from the keyboard alone: Tab to the group selector, arrow down
    seen = walk(page, handle, presses=10)
    for _ in range(len(seen) + 2):
        if page.evaluate(JS_FOCUSED)["control"] == "shrinkviz-group":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate(JS_FOCUSED)["control"] == "shrinkviz-group"
    page.keyboard.press("ArrowDown")
    deadline = time.monotonic() + 20
    while _lab.kernel_eval(page, panel, "schools.state.selected") != 1:
        assert time.monotonic() < deadline, "the keyboard did not select school B"
        time.sleep(0.2)
    said_when(page, panel, "school B moves from 8 to ")
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    page.locator(SCHOOLS).screenshot(path=_lab.ARTIFACTS / "a11y-keyboard-schools.png")
