"""The forest explorer in a real JupyterLab at 1280x800: BCG (13 trials) and teacher expectancy
(19 studies) at font_scale 1 and 1.6 pass the layout audit of the other explorers
(test_layout_audit.JS_AUDIT: no overlapping ticks or legends, nothing cut or out of the
output, no NaN); a click on a study leaves it out (it greys, the diamond moves to the fit
without it); the estimator dropdown moves the diamond to that estimator's fit; lesson 07
runs in the browser.

Screenshots go to test-artifacts/forest-*.png and lesson-07-*.png.
"""

from __future__ import annotations

import time

import pytest
from test_layout_audit import JS_AUDIT

import _lab
from shrinkviz.model.forest import ESTIMATOR_NAMES

pytestmark = pytest.mark.browser

SETUP = "import numpy as np\nimport shrinkviz as sv"
CASES = [(name, scale, None) for name in ("bcg", "teacher") for scale in (1.0, 1.6)]
CALLS = {
    "bcg": "sv.ForestExplorer.bcg(font_scale={scale}{layout})",
    "teacher": "sv.ForestExplorer.teacher_expectancy(font_scale={scale}{layout})",
}
DIAMOND, OWN = 5, 8  # marks of the forest figure: the diamond, the hollow markers

JS_MARK = r"""([sel, k]) => {
    const svg = document.querySelector(`${sel} .shrinkviz-forest-figure svg.svg-figure`);
    const g = svg.querySelectorAll('g[clip-path]')[k];
    const dots = g.querySelectorAll('.object_grp');
    if (dots.length) return Array.from(dots, d => {
        const r = d.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2,
                Number(getComputedStyle(d.querySelector('path')).opacity)];
    });
    return Array.from(g.querySelectorAll('path.line'), p => p.getAttribute('d') || '');
}"""


def case_id(case) -> str:
    name, scale, layout = case
    return f"{name}-{layout or 'default'}-fs{scale:g}".replace(".", "_")


def var(case) -> str:
    return case_id(case).replace("-", "_")


@pytest.fixture(scope="module")
def forest_page(jupyter_lab, browser):
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    try:
        cells = [SETUP]
        for case in CASES:
            name, scale, layout = case
            call = CALLS[name].format(scale=scale, layout=f", layout={layout!r}" if layout else "")
            cells.append(f"{var(case)} = {call}\n{var(case)}")
        path = jupyter_lab.write_notebook("forest-test/forest.ipynb", cells)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        assert _lab.errors(page, panel) == []
        yield page, panel, console
    finally:
        page.context.close()


def _output(page, panel, case):
    k = 1 + CASES.index(case)
    out = page.locator(f"#{panel} .jp-CodeCell").nth(k).locator(".jp-OutputArea-output").first
    out.evaluate(f"(el) => el.querySelector('.shrinkviz-explorer').classList.add('forest-{k}')")
    return out, f".forest-{k}"


def _settled(page, sel: str, k: int, timeout: float = 15.0):
    last, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = page.evaluate(JS_MARK, [sel, k])
        if now == last:
            return now
        last = now
        time.sleep(0.3)
    raise TimeoutError(f"mark {k} still moving after {timeout} s")


def _until(page, panel, expr: str, want, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = _lab.kernel_eval(page, panel, expr)
        if got == want:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{expr} is {got!r}, not {want!r}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_layout(forest_page, case):
    page, panel, console = forest_page
    out, sel = _output(page, panel, case)
    out.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    end = time.monotonic() + 10.0
    while _lab.output_problem(out) and time.monotonic() < end:
        time.sleep(0.25)
    time.sleep(0.8)
    problems = page.evaluate(JS_AUDIT, [sel, case[2] == "compact"])
    problems += [f"console: {m}" for m in console if "nan" in m.lower()]
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=_lab.ARTIFACTS / f"forest-{case_id(case)}-screen.png")
    try:
        _lab._fit_viewport(page, out, margin=200)
        out.screenshot(path=_lab.ARTIFACTS / f"forest-{case_id(case)}.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
    assert problems == [], f"{case_id(case)}:\n" + "\n".join(problems)


def test_click_leaves_a_study_out(forest_page):
    page, panel, _ = forest_page
    case = ("bcg", 1.0, None)
    out, sel = _output(page, panel, case)
    ex = var(case)
    _lab.kernel_run(page, panel, f"{ex}.state.put_back(); {ex}.state.method = 'REML'")
    out.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    before = _settled(page, sel, DIAMOND)
    dots = _settled(page, sel, OWN)
    x, y, opacity = dots[3]  # Hart & Sutherland 1977, the fourth trial
    assert opacity == pytest.approx(1.0)
    page.mouse.click(x, y)
    _until(page, panel, f"list({ex}.state.left_out)", [3])
    after = _settled(page, sel, DIAMOND)
    assert after != before  # the diamond moved
    assert _settled(page, sel, OWN)[3][2] < 0.5  # the study is greyed
    # the diamond drawn is the fit without the study
    got = _lab.kernel_eval(
        page,
        panel,
        f"[{ex}.state.snapshot.forest.fit.mu, sv.meta_analysis(np.delete({ex}.state.y, 3),"
        f" np.delete({ex}.state.v, 3)).mu, {ex}.state.snapshot.reference.fit.mu]",
    )
    assert got[0] == pytest.approx(got[1], rel=1e-12) and got[0] != got[2]
    readout = page.locator(f"{sel} .shrinkviz-readout").inner_text()
    assert "Without Hart & Sutherland 1977: μ moved by" in readout
    page.screenshot(path=_lab.ARTIFACTS / "forest-bcg-left-out.png")
    page.mouse.click(x, y)  # and back in
    _until(page, panel, f"list({ex}.state.left_out)", [])
    assert _settled(page, sel, DIAMOND) == before


def test_estimator_dropdown_moves_the_diamond(forest_page):
    page, panel, _ = forest_page
    case = ("teacher", 1.0, None)
    out, sel = _output(page, panel, case)
    ex = var(case)
    out.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    before = _settled(page, sel, DIAMOND)
    methods = list(ESTIMATOR_NAMES)
    page.locator(f"{sel} .shrinkviz-method select").select_option(index=methods.index("DL"))
    _until(page, panel, f"{ex}.state.method", "DL")
    after = _settled(page, sel, DIAMOND)
    assert after != before
    got = _lab.kernel_eval(
        page,
        panel,
        f"[{ex}.state.snapshot.forest.fit.mu, sv.meta_analysis({ex}.state.y, {ex}.state.v,"
        " method='DL').mu]",
    )
    assert got[0] == pytest.approx(got[1], rel=1e-12)
    page.locator(f"{sel} .shrinkviz-method select").select_option(index=methods.index("REML"))
    _until(page, panel, f"{ex}.state.method", "REML")
    assert _settled(page, sel, DIAMOND) == before


def test_lesson_07_runs_in_the_browser(jupyter_lab, lab_page):
    """Lesson 07 top to bottom in JupyterLab: no error output, no blank figure; its outputs
    are screenshot to test-artifacts/lesson-07-*.png."""
    lesson = _lab.ROOT / "notebooks" / "07-meta-analysis.ipynb"
    path = jupyter_lab.copy_notebook(lesson, f"lesson-test/{lesson.name}")
    panel = _lab.open_notebook(lab_page, path)
    _lab.run_all(lab_page, panel)
    assert _lab.errors(lab_page, panel) == []
    shots = _lab.screenshot_outputs(lab_page, panel, "lesson-07")
    figures = lab_page.locator(f"#{panel} .shrinkviz-forest .bqplot svg.svg-figure")
    assert figures.count() == 3
    assert len(shots) >= 8
