"""Every explorer family for a keyboard and a screen reader, in a real JupyterLab at 1280x800:
the eight schools (ShrinkageExplorer), radon's pooling lines, sleepstudy's slopes, the BCG
forest, BCG against latitude (PredictorExplorer) and the rat tumours (CountsExplorer), all
in one notebook. For each:

- axe-core (npm, in tests/browser/axe/) finds no serious or critical violation inside it;
- Tab (and Shift+Tab) from its main slider walks every control it shows, and each focused
  element has an accessible name (Chromium's own, through the DevTools protocol: what a
  screen reader gets; no icon glyph in it) and a visible focus ring (at least 2 px, not cut
  by an ancestor's overflow, on screen), and a disabled one says so (aria-disabled); every
  element the keyboard can reach is reached;
- a keyboard move of the main slider (tau2, the pooling scale of Sigma, the prior size)
  changes the state in the kernel, and the live region then says the state's numbers
  (computed in the kernel from the snapshot, independently of the explorer's sentence) and
  exactly the kernel's text;
- a group chosen from the keyboard (the "selected" dropdown; for the forest also leaving the
  study out with its button) moves the kernel's state and is said.

The names of slider handles and of Play's buttons and the live region's ``aria-live`` come
from the JupyterLab extension (js/src/a11y.ts): ipywidgets 8 gives them none.
Screenshots (the page at 1280x800, a control focused): test-artifacts/a11y-keyboard-<name>.png.
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

import pytest

import _lab

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# name: (constructor, the explorer's CSS class, its main slider's CSS class, the state's
# trait it sets)
EXPLORERS = {
    "schools": ("sv.ShrinkageExplorer.eight_schools()", "shrinkage", "tau2", "tau2"),
    "radon": ("sv.PoolingLinesExplorer.radon()", "pooling-lines", "tau2", "tau2"),
    "sleepstudy": ("sv.SlopesExplorer.sleepstudy()", "slopes", "scale", "scale"),
    "bcg_forest": ("sv.ForestExplorer.bcg()", "forest", "tau2", "tau2"),
    "bcg_latitude": ("sv.PredictorExplorer.bcg()", "predictors", "tau2", "tau2"),
    "rats": ("sv.CountsExplorer.rat_tumors()", "counts", "prior-size", "prior_size"),
}
NAMES = list(EXPLORERS)
CELLS = ["import shrinkviz as sv\nfrom shrinkviz.widgets.controls import number"] + [
    f"{name} = {EXPLORERS[name][0]}\n{name}" for name in NAMES
]

# the controls each explorer shows at its start (a disabled one, such as the fixed mu0
# while mu0 is estimated, cannot take the focus and is not listed)
CONTROLS = {
    "schools": [
        "tau2", "play", "fit", "group", "n-scale", "mu0", "full-bayes", "tau-prior", "describe"
    ],
    "radon": ["tau2", "play", "sigma2", "fit", "group", "n", "describe"],
    "sleepstudy": [
        "scale", "play", "sigma2", "tau-alpha", "tau-beta", "rho", "fit", "group", "n", "describe"
    ],
    "bcg_forest": ["tau2", "play", "method", "test", "sort", "group", "leave-out", "describe"],
    "bcg_latitude": ["tau2", "play", "predictor", "fit", "group", "describe"],
    "rats": ["prior-size", "play", "fit", "group", "prior-mean-mode", "full-bayes", "describe"],
}  # fmt: skip

# What the live region must say after a move of the main slider: phrases made in the kernel
# from the state's snapshot ``f`` and the selected group ``j`` of explorer ``e``.
SAYS_MOVE = {
    "schools": """[
        f"tau squared {number(f.tau2)}",
        f"school {e.state.labels[j]} moves from {number(f.y[j])} to {number(f.mean[j])}",
        f"shrunk by {100 * f.B[j]:.0f} percent",
        f"the grand mean is {number(f.mu0)}"]""",
    "radon": """[
        f"tau squared {number(f.fit.tau2)}, sigma squared {number(f.fit.sigma2)}",
        f"county {e.state.labels[j]} moves from {number(f.fit.no_pooling.alpha[j])}",
        f"to {number(f.fit.partial_pooling.alpha[j])} (partial pooling)",
        f"the mean intercept is {number(f.fit.partial_pooling.mu_alpha)}"]""",
    "sleepstudy": """[
        f"Sigma times {number(f.scale)}",
        f"Centre mu: intercept {number(f.fit.partial_pooling.mu[0])}, "
        f"slope {number(f.fit.partial_pooling.mu[1])}",
        f"partial pooling intercept {number(f.fit.partial_pooling.alpha[j])}, "
        f"slope {number(f.fit.partial_pooling.beta[j])}"]""",
    "bcg_forest": """[
        f"tau squared fixed, tau squared {number(f.forest.fit.tau2)}",
        f"the pooled effect is {number(f.forest.fit.mu)}",
        f"interval {number(f.forest.fit.ci_lb)} to {number(f.forest.fit.ci_ub)}",
        f"prediction interval {number(f.forest.fit.pi_lb)} to {number(f.forest.fit.pi_ub)}"]""",
    "bcg_latitude": """[
        f"tau squared {number(f.tau2)}",
        f"{e.state.labels[j]} ({e.u_name} {number(f.u[j])}) moves from {number(f.own[j])} "
        f"to {number(f.mean[j])}, its target {number(f.target[j])}",
        f"{e.u_name} accounts for {e.state.R2:.0f} percent of tau squared"]""",
    "rats": """[
        f"prior size a plus b {number(f.prior_size)}",
        f"posterior means from {number(f.mean.min())} to {number(f.mean.max())}",
        f"pooled rate {number(f.pooled)}",
        f"experiment {e.state.labels[j]}: {number(f.y[j])} of {number(f.trials[j])}, "
        f"posterior mean {number(f.mean[j])}"]""",
}
# ... and after a group was chosen from the keyboard
SAYS_GROUP = {
    "schools": """[f"school {e.state.labels[j]} moves from {number(f.y[j])} to "
                    f"{number(f.mean[j])}"]""",
    "radon": """[f"county {e.state.labels[j]} moves from {number(f.fit.no_pooling.alpha[j])}",
                  f"{int(f.fit.n[j])} of {int(e.state.n_max[j])} rows used"]""",
    "sleepstudy": """[f"subject {e.state.labels[j]}: {int(f.fit.n[j])} of "
                       f"{int(e.state.n_max[j])} rows",
                       f"partial pooling intercept {number(f.fit.partial_pooling.alpha[j])}"]""",
    "bcg_forest": """[f"{e.state.labels[j]} left out: the pooled effect moved from "
                       f"{number(f.reference.fit.mu)} to {number(f.forest.fit.mu)}",
                       f"{f.forest.fit.k} of {len(f.y)} studies in",
                       f"Selected trial {e.state.labels[j]}: own estimate {number(f.y[j])}, "
                       "left out"]""",
    "bcg_latitude": """[f"{e.state.labels[j]} ({e.u_name} {number(f.u[j])}) moves from "
                         f"{number(f.own[j])} to {number(f.mean[j])}"]""",
    "rats": """[f"experiment {e.state.labels[j]}: {number(f.y[j])} of {number(f.trials[j])}, "
                 f"posterior mean {number(f.mean[j])}"]""",
}

# Every element inside the explorer that the keyboard can reach (in DOM order), marked with
# data-a11y-id so that the walk can say which ones it reached.
JS_FOCUSABLE = """(sel) => {
    const root = document.querySelector(sel);
    const all = root.querySelectorAll(
        'a[href], button, input, select, textarea, [tabindex], [contenteditable="true"]');
    const shown = Array.from(all).filter(el => el.tabIndex >= 0 && !el.disabled
        && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
    return shown.map((el, i) => {
        el.dataset.a11yId = String(i);
        const box = el.closest('[class*="shrinkviz-"]:not(.shrinkviz-explorer)');
        const control = box ? Array.from(box.classList).find(c => c.startsWith('shrinkviz-')) : '';
        return {id: String(i), tag: el.tagName.toLowerCase(), control};
    });
}"""

# the focused element: inside which explorer, which control, and its focus ring
JS_FOCUSED = """(sel) => {
    const el = document.activeElement;
    if (!el || !el.closest(sel)) return null;
    const box = el.closest('[class*="shrinkviz-"]:not(.shrinkviz-explorer)');
    const control = box ? Array.from(box.classList).find(c => c.startsWith('shrinkviz-')) : '';
    const s = getComputedStyle(el);
    const colour = s.outlineColor.match(/[\\d.]+/g).map(Number);
    const seen = colour.length < 4 || colour[3] > 0;
    const r = el.getBoundingClientRect();
    // the ring's box, and the ancestors whose overflow cuts it (a ring drawn half)
    const out = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth);
    const ring = {l: r.left - out, t: r.top - out, r: r.right + out, b: r.bottom + out};
    const cut = [];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const o = getComputedStyle(a);
        if (o.overflowX === 'visible' && o.overflowY === 'visible') continue;
        const b = a.getBoundingClientRect();
        if (ring.l < b.left - 0.5 || ring.r > b.right + 0.5 || ring.t < b.top - 0.5
            || ring.b > b.bottom + 0.5) cut.push(a.className || a.tagName);
        if (a.classList.contains('shrinkviz-explorer')) break;
    }
    // a control that is off (ipywidgets disables a slider on its noUiSlider target only)
    const off = el.disabled || el.closest('[disabled]') !== null;
    return {id: el.dataset.a11yId || '', tag: el.tagName.toLowerCase(), control, cut,
            mute: off && el.getAttribute('aria-disabled') !== 'true' && !el.disabled,
            ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && seen,
            inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth};
}"""


def css(name: str) -> str:
    return f".shrinkviz-{EXPLORERS[name][1]}"


def handle_of(page, name: str):
    return page.locator(f"{css(name)} .shrinkviz-{EXPLORERS[name][2]} .noUi-handle")


@pytest.fixture(scope="module")
def explorers(jupyter_lab, browser):
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    try:
        path = jupyter_lab.write_notebook("a11y-test/explorers.ipynb", CELLS)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        assert _lab.errors(page, panel) == []
        for name in NAMES:  # the extension has named the handles
            page.wait_for_selector(
                f"{css(name)} .shrinkviz-{EXPLORERS[name][2]} .noUi-handle[aria-label]",
                state="attached",
            )
        cdp = page.context.new_cdp_session(page)
        cdp.send("Accessibility.enable")
        yield page, panel, cdp
    finally:
        page.context.close()
        for session in jupyter_lab.api("api/sessions"):  # its kernel stops with the module
            if session["path"].startswith("a11y-test/"):
                jupyter_lab.api(f"api/sessions/{session['id']}", method="DELETE", timeout=20)


def accessible(cdp) -> tuple[str, str]:
    """The focused element's role and accessible name as Chromium computes them."""
    obj = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})
    node = cdp.send(
        "Accessibility.getPartialAXTree",
        {"objectId": obj["result"]["objectId"], "fetchRelatives": False},
    )["nodes"][0]
    role = node.get("role", {}).get("value", "")
    return role, str(node.get("name", {}).get("value", "")).strip()


@pytest.mark.parametrize("name", NAMES)
def test_axe_finds_no_serious_violation_inside_the_explorer(explorers, name):
    page, _, _ = explorers
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/browser/axe (make test does)"
    serious = axe_serious(page, css(name))
    print(f"axe-core serious or critical violations in {name}:", serious)
    assert serious == [], "\n".join(serious)


def walk(page, cdp, name: str, key: str = "Tab", presses: int = 60) -> list[dict]:
    """Press ``key`` from the main slider's handle until the focus leaves the explorer; the
    focused elements in order, each with its accessible role and name."""
    handle_of(page, name).focus()
    seen = []
    for _ in range(presses):
        now = page.evaluate(JS_FOCUSED, css(name))
        if now is None:
            return seen
        now["role"], now["name"] = accessible(cdp)
        seen.append(now)
        page.keyboard.press(key)
    raise AssertionError(f"{presses} presses of {key} never left {name}: a focus trap?")


@pytest.mark.parametrize("name", NAMES)
def test_tab_walks_every_control_with_a_name_and_a_visible_focus(explorers, name):
    page, _, cdp = explorers
    focusable = page.evaluate(JS_FOCUSABLE, css(name))
    seen = walk(page, cdp, name, "Tab") + walk(page, cdp, name, "Shift+Tab")
    print(f"{name} Tab order:", [(s["control"], s["role"], s["name"]) for s in seen])
    controls = {s["control"] for s in seen}
    for control in CONTROLS[name]:
        assert f"shrinkviz-{control}" in controls, f"Tab never reached {control}: {controls}"
    reached = {s["id"] for s in seen}
    missed = [f for f in focusable if f["id"] not in reached]
    assert missed == [], f"Tab never reached these controls of {name}: {missed}"
    for s in seen:
        what = f"the {s['role']} {s['tag']} of {s['control']} in {name}"
        assert s["name"], f"{what} has no accessible name"
        icons = [c for c in s["name"] if "\ue000" <= c <= "\uf8ff"]  # Font Awesome's glyphs
        assert not icons, f"{what} is named {s['name']!r}: an icon's glyph is in its name"
        assert s["ring"], f"the focus on {what} ({s['name']!r}) does not show"
        assert not s["mute"], f"{what} ({s['name']!r}) is disabled and does not say so"
        assert not s["cut"], f"the focus ring of {what} is cut by {s['cut']}"
        assert s["inView"], f"the focused {what} ({s['name']!r}) is scrolled out of view"


def said(page, panel, name: str, phrases: str, timeout: float = 20.0) -> str:
    """The live region once it says every phrase (made in the kernel from the state), and
    says exactly the kernel's text."""
    region = page.locator(f"{css(name)} .shrinkviz-live")
    code = (
        f"e = {name}; f = e.state.snapshot; j = e.state.selected\n"
        f"import json as _j; print(_j.dumps({phrases}))"
    )
    deadline = time.monotonic() + timeout
    while True:
        want = json.loads(_lab.kernel_run(page, panel, code))
        text = region.inner_text().strip()
        if all(p in text for p in want):
            assert text == html.unescape(_lab.kernel_eval(page, panel, f"{name}.live.value"))
            return text
        if time.monotonic() > deadline:
            missing = [p for p in want if p not in text]
            raise AssertionError(f"the live region of {name} says {text!r}, without {missing}")
        time.sleep(0.3)


def settled(page, panel, expr: str, want, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while (now := _lab.kernel_eval(page, panel, expr)) != want:
        assert time.monotonic() < deadline, f"{expr} is {now!r}, never {want!r}"
        time.sleep(0.2)
    return now


@pytest.mark.parametrize("name", NAMES)
def test_keyboard_move_of_the_main_slider_is_said(explorers, name):
    page, panel, _ = explorers
    region = page.locator(f"{css(name)} .shrinkviz-live > .widget-html-content")
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("role") == "status"
    assert not page.locator(f"{css(name)} .shrinkviz-live").evaluate(
        "el => el.getBoundingClientRect().width > 2"
    ), "the live region should be read, not seen"
    trait = EXPLORERS[name][3]
    before = _lab.kernel_eval(page, panel, f"repr({name}.state.{trait})")
    handle = handle_of(page, name)
    start, top = (int(float(handle.get_attribute(a))) for a in ("aria-valuenow", "aria-valuemax"))
    key = "ArrowLeft" if start >= 8 else "ArrowRight"  # 6 steps, and not to an end
    assert 6 < top - 6, "a slider of too few positions"
    handle.focus()
    for _ in range(6):
        page.keyboard.press(key)
        time.sleep(0.05)
    index = int(float(handle.get_attribute("aria-valuenow")))
    assert index == start + (6 if key == "ArrowRight" else -6)
    slider = "size" if trait == "prior_size" else trait
    settled(page, panel, f"{name}.controls.{slider}.slider.index", index)
    after = _lab.kernel_eval(page, panel, f"repr({name}.state.{trait})")
    assert after != before, f"{trait} did not move from {before}"
    text = said(page, panel, name, SAYS_MOVE[name])
    print(f"{name} says after {key} x6:", text)


def focus_control(page, name: str, control: str, presses: int = 40) -> None:
    """Tab from the main slider to the first element of ``control``."""
    handle_of(page, name).focus()
    for _ in range(presses):
        now = page.evaluate(JS_FOCUSED, css(name))
        assert now is not None, f"Tab left {name} before reaching {control}"
        if now["control"] == f"shrinkviz-{control}":
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {control} in {name}")


@pytest.mark.parametrize("name", NAMES)
def test_a_group_chosen_from_the_keyboard_is_said(explorers, name):
    page, panel, cdp = explorers
    j = _lab.kernel_eval(page, panel, f"{name}.state.selected")
    focus_control(page, name, "group")
    page.keyboard.press("ArrowDown")
    settled(page, panel, f"{name}.state.selected", j + 1)
    if name == "bcg_forest":  # leave the chosen study out, from the keyboard alone
        focus_control(page, name, "leave-out")
        study = _lab.kernel_eval(page, panel, f"{name}.state.labels[{j + 1}]")
        assert accessible(cdp)[1] == f"leave {study} out"
        page.keyboard.press("Space")
        settled(page, panel, f"list({name}.state.left_out)", [j + 1])
    text = said(page, panel, name, SAYS_GROUP[name])
    print(f"{name} says after choosing a group:", text)
    if name == "bcg_forest":  # "put all back" is enabled now and takes the focus too
        focus_control(page, name, "put-back")
        assert accessible(cdp)[1] == "put all back"
        assert page.evaluate(JS_FOCUSED, css(name))["ring"]
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=_lab.ARTIFACTS / f"a11y-keyboard-{name}.png")
    if name == "bcg_forest":
        page.keyboard.press("Enter")
        settled(page, panel, f"list({name}.state.left_out)", [])


def axe_serious(page, sel: str) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (sel) => {
        const r = await axe.run({include: [[sel]]}, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' '))}));
    }""",
        sel,
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", NAMES)
def test_describe_from_the_keyboard_shows_the_table_of_the_estimates(explorers, name):
    page, panel, cdp = explorers
    focus_control(page, name, "describe")
    page.keyboard.press("Space")
    settled(page, panel, f"{name}.describe.value", True)
    table = page.locator(f"{css(name)} .shrinkviz-table table")
    table.wait_for()
    columns, rows = _lab.kernel_eval(page, panel, f"{name}._table({name}.state.snapshot)")
    shown = table.evaluate(
        "t => Array.from(t.rows, r => Array.from(r.cells, c => c.textContent.trim()))"
    )
    assert shown == [columns, *rows]  # every group's numbers, as the kernel has them
    page.keyboard.press("Tab")  # the table scrolls: its box takes the focus, with a name
    now = page.evaluate(JS_FOCUSED, css(name))
    assert now is not None and now["control"] == "shrinkviz-table", now
    role, label = accessible(cdp)
    assert (role, label) == ("region", "table of the current estimates")
    assert now["ring"] and not now["cut"], now
    assert axe_serious(page, css(name)) == []
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    settled(page, panel, f"{name}.describe.value", False)


@pytest.mark.parametrize("name", NAMES)
def test_play_and_pause_from_the_keyboard(explorers, name):
    page, panel, cdp = explorers
    trait = EXPLORERS[name][3]
    slider = "size" if trait == "prior_size" else trait
    before = _lab.kernel_eval(page, panel, f"repr({name}.state.{trait})")
    focus_control(page, name, "play")
    slider_name = handle_of(page, name).get_attribute("aria-label")
    assert accessible(cdp) == ("button", f"play the sweep of {slider_name}")
    page.keyboard.press("Space")
    deadline = time.monotonic() + 20
    while _lab.kernel_eval(page, panel, f"repr({name}.state.{trait})") == before:
        assert time.monotonic() < deadline, "Play from the keyboard did not move the state"
        time.sleep(0.1)
    assert accessible(cdp) == ("button", f"pause the sweep of {slider_name}")  # same button
    page.keyboard.press("Space")
    settled(page, panel, f"{name}.controls.{slider}.play.playing", False)
    time.sleep(0.5)
    index = _lab.kernel_eval(page, panel, f"{name}.controls.{slider}.slider.index")
    time.sleep(0.5)  # paused: it stays
    assert _lab.kernel_eval(page, panel, f"{name}.controls.{slider}.slider.index") == index
    text = said(page, panel, name, SAYS_MOVE[name])
    print(f"{name} says after Play and pause:", text)
