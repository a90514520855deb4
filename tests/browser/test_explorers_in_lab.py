"""The explorers in a real JupyterLab: they render, the keyboard moves tau2 and n_j, Play glides.

Positions are read from the SVG (bqplot draws mark k of a figure into the k-th
``g[clip-path]`` group: a Scatter's points are ``.object_grp`` translated to their pixel, a
Lines mark's lines are ``path.line``) and compared with the solver's numbers in the kernel.
"""

from __future__ import annotations

import re
import time

import pytest

import _lab

pytestmark = pytest.mark.browser

CELLS = [
    "import shrinkviz as sv\nschools = sv.ShrinkageExplorer.eight_schools()\nschools",
    "radon = sv.PoolingLinesExplorer.radon()\nradon",
]
SCHOOLS, RADON = ".shrinkviz-shrinkage", ".shrinkviz-pooling-lines"

JS_MARK = r"""([fig, k]) => {
    const svg = document.querySelector(`${fig} svg.svg-figure`);
    const g = svg.querySelectorAll('g[clip-path]')[k];
    const dots = g.querySelectorAll('.object_grp');
    if (dots.length) return Array.from(dots, d => {
        const m = d.getAttribute('transform').match(/translate\(\s*([-\d.e+]+)[\s,]+([-\d.e+]+)/);
        return [Number(m[1]), Number(m[2])];
    });
    return Array.from(g.querySelectorAll('path.line'), p => p.getAttribute('d') || '');
}"""


@pytest.fixture(scope="module")
def explorers(jupyter_lab, browser):
    """One page with both explorers displayed (one kernel for the module's tests)."""
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1400, 1600))
    try:
        path = jupyter_lab.write_notebook("explorer-test/explorers.ipynb", CELLS)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        assert _lab.errors(page, panel) == []
        yield page, panel
    finally:
        page.context.close()


def mark(page, figure: str, k: int):
    return page.evaluate(JS_MARK, [figure, k])


def settled(page, figure: str, k: int, timeout: float = 10.0):
    """Mark k's drawing once two reads 250 ms apart agree (transitions are over)."""
    last, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = mark(page, figure, k)
        if now == last:
            return now
        last = now
        time.sleep(0.25)
    raise TimeoutError(f"mark {k} of {figure} still moving after {timeout} s")


def press(page, handle, *keys: str) -> None:
    handle.focus()
    for key in keys:
        page.keyboard.press(key)


def synced(page, panel: str, handle, index: str, timeout: float = 20.0) -> int:
    """Wait until the kernel's slider index (expression `index`) is the page's; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = int(float(handle.get_attribute("aria-valuenow")))
        if _lab.kernel_eval(page, panel, index) == shown:
            return shown
        time.sleep(0.2)
    raise TimeoutError(f"the kernel's {index} never reached the page's slider position")


def path_ys(d: str) -> list[float]:
    """The y pixels of a path's points (d = 'Mx,yLx,y...')."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", d)]
    return numbers[1::2]


def test_explorers_render(explorers):
    page, panel = explorers
    shots = _lab.screenshot_outputs(page, panel, "explorers")
    assert len(shots) == 2
    for fig in (
        ".shrinkviz-shrinkage-figure",
        ".shrinkviz-tau-figure",
        ".shrinkviz-panels-figure",
        ".shrinkviz-overview-figure",
    ):
        assert (
            page.locator(
                f"{fig} svg.svg-figure .object_grp, {fig} svg.svg-figure path.line"
            ).count()
            > 0
        ), f"{fig} drew nothing"
    labels = page.locator(f"{SCHOOLS} .shrinkviz-tau2 .widget-label").inner_text()
    assert "τ²" in labels


def test_keyboard_tau2_moves_each_mu_toward_mu0(explorers):
    page, panel = explorers
    fig = ".shrinkviz-shrinkage-figure"
    own, pooled, rule = _lab.kernel_eval(
        page,
        panel,
        "[schools.figure.marks.index(m) for m in "
        "(schools.view.own, schools.view.pooled, schools.view.rule)]",
    )
    handle = page.locator(f"{SCHOOLS} .shrinkviz-tau2 .noUi-handle")

    def picture():
        """x-sorted y pixels of y_j and mu_j, and the y pixel of the mu0 rule."""
        synced(page, panel, handle, "schools.controls.tau2.slider.index")
        mu = [p[1] for p in sorted(settled(page, fig, pooled))]
        y = [p[1] for p in sorted(settled(page, fig, own))]
        return y, mu, path_ys(settled(page, fig, rule)[0])[0]

    press(page, handle, "End")  # no pooling: tau2 = inf, every mu_j = y_j
    y, mu, _ = picture()
    assert _lab.kernel_eval(page, panel, "schools.state.tau2") == float("inf")
    assert mu == pytest.approx(y, abs=0.5)

    press(page, handle, *["ArrowLeft"] * 24)
    y, mu1, mu0_1 = picture()
    B1 = _lab.kernel_eval(page, panel, "schools.state.snapshot.B.tolist()")
    press(page, handle, *["ArrowLeft"] * 10)
    _, mu2, mu0_2 = picture()
    B2 = _lab.kernel_eval(page, panel, "schools.state.snapshot.B.tolist()")
    assert all(b2 > b1 + 0.01 for b1, b2 in zip(B1, B2, strict=True)), (
        B1,
        B2,
    )  # the keys moved tau2 down
    moved = 0
    for j in range(len(y)):
        if abs(y[j] - mu0_1) < 25 or abs(y[j] - mu0_2) < 25:
            continue  # a group sitting on mu0 has no direction to move in
        # the fraction of the way from y_j to mu0, read in pixels, is the solver's B_j
        frac1 = (y[j] - mu1[j]) / (y[j] - mu0_1)
        frac2 = (y[j] - mu2[j]) / (y[j] - mu0_2)
        assert frac1 == pytest.approx(B1[j], abs=0.02)
        assert frac2 == pytest.approx(B2[j], abs=0.02)
        assert abs(mu2[j] - mu0_2) < abs(mu1[j] - mu0_1) - 1, f"group {j} did not move to mu0"
        moved += 1
    assert moved >= 5

    press(page, handle, "Home")  # complete pooling: tau2 = 0, every mu_j = mu0
    _, mu, mu0 = picture()
    assert _lab.kernel_eval(page, panel, "schools.state.tau2") == 0.0
    assert mu == pytest.approx([mu0] * len(mu), abs=0.5)
    page.locator(SCHOOLS).screenshot(path=_lab.ARTIFACTS / "explorers-schools-complete-pooling.png")


def test_play_glides_every_mu(explorers):
    page, panel = explorers
    fig = ".shrinkviz-shrinkage-figure"
    pooled = _lab.kernel_eval(page, panel, "schools.figure.marks.index(schools.view.pooled)")
    handle = page.locator(f"{SCHOOLS} .shrinkviz-tau2 .noUi-handle")
    press(page, handle, "End")
    synced(page, panel, handle, "schools.controls.tau2.slider.index")
    start = settled(page, fig, pooled)
    play = page.locator(f"{SCHOOLS} .shrinkviz-play button").first
    # every animation frame for 2 s after the click: the mu_j markers and the slider position
    page.evaluate(
        """([fig, k]) => {
        const svg = document.querySelector(`${fig} svg.svg-figure`);
        const g = svg.querySelectorAll('g[clip-path]')[k];
        const knob = document.querySelector('.shrinkviz-shrinkage .shrinkviz-tau2 .noUi-handle');
        window.__frames = new Promise(resolve => {
            const seen = [], t0 = performance.now();
            const tick = (now) => {
                seen.push([knob.getAttribute('aria-valuenow'),
                           ...Array.from(g.querySelectorAll('.object_grp'),
                                         d => d.getAttribute('transform'))]);
                if (now - t0 < 2000) requestAnimationFrame(tick); else resolve(seen);
            };
            requestAnimationFrame(tick);
        });
    }""",
        [fig, pooled],
    )
    play.click()
    frames = page.evaluate("() => window.__frames")
    # Stop pauses where the sweep is (ipywidgets' Stop would rewind to no pooling)
    page.locator(f"{SCHOOLS} .shrinkviz-play button").nth(1).click()
    time.sleep(1.0)
    top = _lab.kernel_eval(page, panel, "len(schools.controls.tau2.grid) - 1")
    stopped = _lab.kernel_eval(page, panel, "schools.controls.tau2.slider.index")
    assert 0 < stopped < top - 2, f"Stop left the slider at {stopped} of {top}"
    assert _lab.kernel_eval(page, panel, "schools.controls.tau2.play.playing") is False
    time.sleep(1.0)
    assert _lab.kernel_eval(page, panel, "schools.controls.tau2.slider.index") == stopped
    steps = {f[0] for f in frames}
    # Play takes over from the slider's position (no pooling): its first step is the next one,
    # and it walks down from there (a loaded machine may skip a step between two frames)
    visited = list(dict.fromkeys(float(f[0]) for f in frames))
    assert visited[0] - 3 <= visited[1] < visited[0], visited
    assert all(b < a for a, b in zip(visited, visited[1:], strict=False)), visited
    pictures = {tuple(f[1:]) for f in frames}
    assert len(steps) >= 3, f"Play moved the tau2 slider {len(steps) - 1} times in 2 s"
    # a glide draws pictures between the steps of the slider; a jump draws one per step
    assert len(pictures) >= 1.5 * len(steps) + 2, (
        f"{len(pictures)} distinct pictures for {len(steps)} slider positions "
        f"({len(frames)} frames)"
    )
    for j in range(len(start)):
        assert len({f[1 + j] for f in frames}) > 1, f"mu_{j} did not move during Play"
    page.locator(SCHOOLS).screenshot(path=_lab.ARTIFACTS / "explorers-schools-playing.png")


def test_n_change_redraws_that_groups_lines(explorers):
    page, panel = explorers
    fig = ".shrinkviz-panels-figure"
    none, partial = _lab.kernel_eval(
        page,
        panel,
        "[radon.figure.marks.index(radon.panels_view.lines[k]) for k in ('none', 'partial')]",
    )
    panels = _lab.kernel_eval(
        page, panel, "[radon.state.labels[g] for g in radon.panels_view.panels]"
    )
    county = "STLOUIS"
    k = panels.index(county)
    page.locator(f"{RADON} .shrinkviz-group select").select_option(label=county)
    page.wait_for_function(f"""() => document.querySelector('{RADON} .shrinkviz-readout')
                                       .textContent.startsWith('{county}')""")
    before = {m: [path_ys(d) for d in settled(page, fig, m)] for m in (none, partial)}
    press(page, page.locator(f"{RADON} .shrinkviz-n .noUi-handle"), "Home", *["ArrowRight"] * 3)
    page.wait_for_function(
        f"() => document.querySelector('{fig}').textContent.includes('{county} (n = 3)')"
    )
    used = f"int(radon.state.snapshot.fit.n[radon.state.labels.index('{county}')])"
    assert _lab.kernel_eval(page, panel, used) == 3
    after = {m: [path_ys(d) for d in settled(page, fig, m)] for m in (none, partial)}
    for m in (none, partial):
        shift = [
            max(abs(a - b) for a, b in zip(pa, pb, strict=True))
            for pa, pb in zip(before[m], after[m], strict=True)
        ]
        assert shift[k] > 2, f"{county}'s line did not move ({shift})"
        assert shift[k] == max(shift), f"another panel moved more than {county}'s ({shift})"
    page.locator(RADON).screenshot(path=_lab.ARTIFACTS / "explorers-radon-stlouis-n3.png")
    press(page, page.locator(f"{RADON} .shrinkviz-n .noUi-handle"), "End")


def test_clicks_on_either_marker_select_and_the_n_slider_follows(explorers):
    """A hollow y_j marker selects its group as the filled one does; the radon n_j slider
    then spans the selected county's rows (End = all of them)."""
    page, panel = explorers
    fig = ".shrinkviz-shrinkage-figure"
    own, pooled = _lab.kernel_eval(
        page,
        panel,
        "[schools.figure.marks.index(m) for m in (schools.view.own, schools.view.pooled)]",
    )
    for k, j in ((own, 0), (pooled, 2), (own, 6)):
        dot = (
            page.locator(f"{fig} svg.svg-figure g[clip-path]").nth(k).locator(".object_grp").nth(j)
        )
        dot.scroll_into_view_if_needed()
        box = dot.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        deadline = time.monotonic() + 10
        while _lab.kernel_eval(page, panel, "schools.state.selected") != j:
            assert time.monotonic() < deadline, f"click on marker {j} of mark {k} did not select it"
            time.sleep(0.2)
    # a hollow marker of the radon overview that is not under another marker
    fig = ".shrinkviz-overview-figure"
    none = _lab.kernel_eval(
        page, panel, "radon.overview.figure.marks.index(radon.overview.no_pooling)"
    )
    n_max = _lab.kernel_eval(page, panel, "radon.state.n_max.tolist()")
    page.locator(fig).scroll_into_view_if_needed()
    j, x, y = page.evaluate(
        """([fig, k, n_max]) => {
        const g = document.querySelectorAll(`${fig} svg.svg-figure g[clip-path]`)[k];
        const dots = Array.from(g.querySelectorAll('.object_grp'));
        for (const [j, d] of dots.entries()) {
            const r = d.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (n_max[j] >= 5 && d.contains(document.elementFromPoint(x, y))) return [j, x, y];
        }
        return [null, 0, 0];
    }""",
        [fig, none, n_max],
    )
    assert j is not None, "every hollow marker lies under another one"
    page.mouse.click(x, y)
    deadline = time.monotonic() + 10
    while _lab.kernel_eval(page, panel, "radon.state.selected") != j:
        assert time.monotonic() < deadline, f"click on the hollow marker of county {j} did nothing"
        time.sleep(0.2)
    handle = page.locator(f"{RADON} .shrinkviz-n .noUi-handle")
    press(page, handle, "Home", "End")
    deadline = time.monotonic() + 10
    while (n := _lab.kernel_eval(page, panel, f"int(radon.state.n[{j}])")) != n_max[j]:
        assert time.monotonic() < deadline, f"End gave {n} rows, not the county's {n_max[j]}"
        time.sleep(0.2)
    assert float(handle.get_attribute("aria-valuemax")) == n_max[j]
