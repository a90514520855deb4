"""PredictorExplorer in a real JupyterLab at 1280x800: BCG against latitude and radon's county
intercepts against uranium, at font_scale 1 and 1.6. Each case passes the layout audit of
test_layout_audit.py (its JS_AUDIT: ticks, legends, cut text, nothing outside the output, no
NaN), a tau2 move changes the drawn markers, and the toggle "without" flattens the line and
raises tau2. Screenshots go to test-artifacts/predictors-*.png.
"""

from __future__ import annotations

import time

import pytest
from test_layout_audit import JS_AUDIT

import _lab

pytestmark = pytest.mark.browser

EXPLORERS = {
    "bcg": "sv.PredictorExplorer.bcg({kw})",
    "radon": "sv.PredictorExplorer.radon({kw})",
}
CASES = [(name, scale) for name in EXPLORERS for scale in (1.0, 1.6)]


def case_id(case) -> str:
    return f"{case[0]}-fs{case[1]:g}".replace(".", "_")


def var(case) -> str:
    return case_id(case).replace("-", "_")


# the drawn positions (screen y) of the filled markers and the dashed line's path
JS_DRAWN = """(el) => {
    const fig = el.querySelector('.shrinkviz-predictors-figure');
    const dots = Array.from(fig.querySelectorAll('g[clip-path] .object_grp'))
        .map(d => d.getAttribute('transform'));
    const lines = Array.from(fig.querySelectorAll('g[clip-path] path.line'))
        .map(p => p.getAttribute('d'));
    return {dots, lines};
}"""


@pytest.fixture(scope="module")
def page_panel(jupyter_lab, browser):
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    try:
        cells = ["import shrinkviz as sv"]
        for case in CASES:
            kw = f"font_scale={case[1]}, animation_duration=0"
            cells.append(f"{var(case)} = {EXPLORERS[case[0]].format(kw=kw)}\n{var(case)}")
        path = jupyter_lab.write_notebook("predictors-test/predictors.ipynb", cells)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        yield page, panel, console, _lab.errors(page, panel)
    finally:
        page.context.close()


# A screen-reader-only live region (``shrinkviz-live``, clipped to 1 px by its CSS) holds one
# unwrapped line of text whose box runs past the output although nothing of it is drawn; the
# audit measures boxes, so it is left out of the audit.
JS_SR_ONLY = """(el) => el.querySelectorAll('.shrinkviz-live').forEach(e => e.remove())"""


def _audit(page, out, k):
    out.evaluate(JS_SR_ONLY)
    return page.evaluate(JS_AUDIT, [f".pred-{k}", False])


def _output(page, panel, k):
    return page.locator(f"#{panel} .jp-CodeCell").nth(k).locator(".jp-OutputArea-output").first


def _settle(out):
    end = time.monotonic() + 10.0
    while _lab.output_problem(out) and time.monotonic() < end:
        time.sleep(0.25)
    time.sleep(0.8)


def _wait_change(out, before, timeout=10.0, still=0.6):
    """The figure once it has changed from ``before`` and then stayed the same for ``still``
    seconds: each mark redraws on its own message, so the first change seen may be one mark
    of several."""
    end = time.monotonic() + timeout
    last, since = before, time.monotonic()
    while time.monotonic() < end:
        now = out.evaluate(JS_DRAWN)
        if now != last:
            last, since = now, time.monotonic()
        elif last != before and time.monotonic() - since >= still:
            return last
        time.sleep(0.1)
    return out.evaluate(JS_DRAWN)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_predictor_explorer_in_lab(page_panel, case):
    page, panel, console, errors = page_panel
    k = 1 + CASES.index(case)
    assert not errors, errors
    out = _output(page, panel, k)
    out.evaluate(f"(el) => el.querySelector('.shrinkviz-explorer').classList.add('pred-{k}')")
    out.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    _settle(out)
    problems = _audit(page, out, k)
    problems += [f"console: {m}" for m in console if "nan" in m.lower()]
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    try:
        _lab._fit_viewport(page, out, margin=200)
        out.screenshot(path=_lab.ARTIFACTS / f"predictors-{case_id(case)}.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
    assert problems == [], f"{case_id(case)}:\n" + "\n".join(problems)

    # a slider move (the keyboard: focus the tau2 slider's handle, then an arrow key) moves
    # the filled markers
    before = out.evaluate(JS_DRAWN)
    tau2_before = _lab.kernel_eval(page, panel, f"{var(case)}.state.tau2")
    handle = out.locator(".shrinkviz-tau2 .noUi-handle, .shrinkviz-tau2 .ui-slider-handle").first
    handle.focus()
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    after = _wait_change(out, before)
    assert _lab.kernel_eval(page, panel, f"{var(case)}.state.tau2") < tau2_before
    assert after["dots"] != before["dots"], "the markers did not move with tau2"

    # the toggle: without the predictor the line is flat and tau2 is the larger estimate
    out.locator(".shrinkviz-predictor button").nth(1).click()
    flat = _wait_change(out, after)
    state = _lab.kernel_eval(
        page,
        panel,
        f"[{var(case)}.state.with_predictor, {var(case)}.state.tau2,"
        f" {var(case)}.state.estimate(False), {var(case)}.state.estimate(True)]",
    )
    assert state[0] is False and state[1] == state[2] > state[3]
    assert flat["lines"] != after["lines"], "the line did not change with the toggle"
    out.screenshot(path=_lab.ARTIFACTS / f"predictors-{case_id(case)}-without.png")
    assert _audit(page, out, k) == []
