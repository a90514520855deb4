"""Layout audit: every lesson's explorers, at font_scale 1 and 1.6, in JupyterLab at 1280x800.

Read from the DOM (getBoundingClientRect of the SVG text and marks, scrollWidth of the HTML
text), for each explorer:

    ticks      no two tick labels of one axis overlap, and no axis repeats a tick label
    legend     no two legend entries overlap, and no legend covers a data marker or a point
               of a drawn line inside the plot area
    cut        no text is cut: labels, readouts, buttons, checkboxes (scrollWidth against
               clientWidth), the option a selector shows (its text's width against the
               room); every SVG text inside its figure's box
    out        nothing sticks out of the output area, and it does not scroll sideways
    small      no checkbox smaller than 0.8 of the text beside it
    nan        no NaN in the SVG geometry, nor in the browser console
    labels     texts drawn as marks (panel titles) apart and inside the plot area
    compact    (layout="compact") the figures above the tau2 slider and the slider fit on
               a 1280x800 screen together

Each explorer's screenshot goes to test-artifacts/audit-<name>.png.
"""

from __future__ import annotations

import time

import pytest

import _lab

pytestmark = pytest.mark.browser

SETUP = """\
import numpy as np
import pandas as pd
import shrinkviz as sv
players = sv.data.baseball()
bb_y = players["avg45"].to_numpy()
bb_v = np.full(len(bb_y), bb_y.mean() * (1 - bb_y.mean()) / 45)
studies = sv.data.teacher_expectancy()
pool_n = np.array([1, 1, 2, 2, 3, 4, 5, 8, 12, 20, 30, 50])
survey = pd.DataFrame({"classroom": list("AABBBCCCCC"), "hours": [6, 8, 2, 7, 1, 7, 6, 2, 5, 4],
                       "score": [73, 75, 63, 83, 57, 82, 72, 67, 67, 70]})
pool_df = sv.data.simulate_groups(J=len(pool_n), n=pool_n, sigma2=4.0, tau2=1.0, mu0=10.0,
                                  seed=2027)
"""

# name: the lesson's constructor call, with {kw} for the audit's options
EXPLORERS = {
    "schools": "sv.ShrinkageExplorer.eight_schools({kw})",  # lesson 02
    "baseball": "sv.ShrinkageExplorer.from_meta(bb_y, bb_v, labels=list(players['player']),"
    " {kw})",  # lesson 04
    "teacher": "sv.ShrinkageExplorer.from_meta(studies['yi'], studies['vi'], "
    "labels=list(studies['author']), {kw})",  # lesson 05, 19 studies
    "radon": "sv.PoolingLinesExplorer.radon({kw})",  # lesson 03
    "pooling": "sv.ShrinkageExplorer.from_frame(pool_df, y='y', group='group', {kw})",  # 01
    "survey": "sv.PoolingLinesExplorer.from_frame(survey, x='hours', y='score', "
    "group='classroom', {kw})",  # lesson 05's lines: hours 0-8 on the panels' axis
}
CASES = [(name, scale, None) for name in EXPLORERS for scale in (1.0, 1.6)] + [
    ("radon", scale, "compact") for scale in (1.0, 1.6)
]


def case_id(case) -> str:
    name, scale, layout = case
    return f"{name}-{layout or 'default'}-fs{scale:g}".replace(".", "_")


JS_AUDIT = r"""([sel, compact]) => {
    const problems = [];
    const root = document.querySelector(sel);
    const out = root.closest('.jp-OutputArea-output');
    const R = (el) => el.getBoundingClientRect();
    const shown = (r) => r.width > 0.5 && r.height > 0.5;
    const overlap = (a, b, tol = 1) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tol
        && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tol;
    const inside = (a, b, tol = 1) => a.left >= b.left - tol && a.right <= b.right + tol
        && a.top >= b.top - tol && a.bottom <= b.bottom + tol;
    const visible = (el) => {
        for (let e = el; e && e !== root; e = e.parentElement) {
            const s = getComputedStyle(e);
            if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0
                || s.clipPath === 'inset(50%)')  // read by a screen reader, not seen
                return false;
        }
        return true;
    };
    const name = (el) => (el.textContent || '').trim().slice(0, 40);

    for (const [f, svg] of Array.from(root.querySelectorAll('.bqplot.figure')).entries()) {
        const box = R(svg);  // the figure's div: both of bqplot's svg (axes, marks) in it
        const fig = `figure ${f}`;
        // ticks
        for (const [a, axis] of Array.from(svg.querySelectorAll('g.axis'))
                .filter(a => !a.closest('.g_legend')).entries()) {
            const ticks = Array.from(axis.querySelectorAll('.tick text'))
                .filter(t => t.textContent.trim() && visible(t) && shown(R(t)));
            const texts = ticks.map(t => t.textContent.trim());
            // names: none twice; numbers: no two neighbours alike (small multiples repeat
            // their 0 1 0 1 per panel, a too-short format shows 1 1 1 2)
            const numeric = texts.every(t => !isNaN(Number(t.replace('−', '-'))));
            const twice = texts.filter((t, i) => numeric ? i > 0 && texts[i - 1] === t
                                                         : texts.indexOf(t) !== i);
            if (twice.length) problems.push(`ticks: ${fig} axis ${a} repeats ${
                JSON.stringify([...new Set(twice)])} in ${JSON.stringify(texts)}`);
            for (let i = 0; i < ticks.length; i++)
                for (let j = i + 1; j < ticks.length; j++)
                    if (overlap(R(ticks[i]), R(ticks[j]), -2))  // closer than 2 px: one smear
                        problems.push(`ticks: ${fig} axis ${a}: "${texts[i]}" overlaps "${
                            texts[j]}"`);
        }
        // legend
        const entries = Array.from(svg.querySelectorAll('.g_legend > g:not(.axis)'))
            .filter(e => visible(e) && shown(R(e)));
        for (let i = 0; i < entries.length; i++)
            for (let j = i + 1; j < entries.length; j++)
                if (overlap(R(entries[i]), R(entries[j])))
                    problems.push(`legend: ${fig}: "${name(entries[i])}" overlaps "${
                        name(entries[j])}"`);
        const legends = Array.from(svg.querySelectorAll('.g_legend'))
            .filter(l => visible(l) && shown(R(l))).map(R);
        const area = svg.querySelector('.plotarea_background');
        const plot = area ? R(area) : box;
        const points = [];
        for (const g of svg.querySelectorAll('svg.svg-figure g[clip-path]')) {
            if (!visible(g)) continue;
            for (const d of g.querySelectorAll('.object_grp'))
                if (visible(d) && shown(R(d))) points.push(R(d));
            for (const p of g.querySelectorAll('path.line')) {
                if (!visible(p) || !p.getTotalLength) continue;
                const len = p.getTotalLength(), m = p.getScreenCTM();
                for (let k = 0; k <= 40 && len > 0; k++) {
                    const q = p.getPointAtLength(len * k / 40).matrixTransform(m);
                    if (q.x > plot.left && q.x < plot.right && q.y > plot.top && q.y < plot.bottom)
                        points.push({left: q.x - 1, right: q.x + 1, top: q.y - 1, bottom: q.y + 1});
                }
            }
        }
        for (const l of legends)
            if (points.some(p => overlap(l, p, 0)))
                problems.push(`legend: ${fig}: the legend covers a data marker or line`);
        // texts drawn as marks (panel titles): apart, and inside the plot area
        const labels = Array.from(svg.querySelectorAll('svg.svg-figure g[clip-path] text'))
            .filter(t => t.textContent.trim() && visible(t) && shown(R(t)));
        for (let i = 0; i < labels.length; i++) {
            if (!inside(R(labels[i]), plot))
                problems.push(`cut: ${fig}: "${name(labels[i])}" leaves the plot area`);
            for (let j = i + 1; j < labels.length; j++)
                if (overlap(R(labels[i]), R(labels[j])))
                    problems.push(`labels: ${fig}: "${name(labels[i])}" overlaps "${
                        name(labels[j])}"`);
        }
        // SVG text inside the figure's box
        for (const t of svg.querySelectorAll('text')) {
            if (!t.textContent.trim() || !visible(t)) continue;
            const r = R(t);
            if (shown(r) && !inside(r, box)) problems.push(`cut: ${fig}: "${name(t)}" leaves the `
                + `figure (${r.left.toFixed(0)}..${r.right.toFixed(0)} x ${r.top.toFixed(0)}..${
                r.bottom.toFixed(0)} in ${box.left.toFixed(0)}..${box.right.toFixed(0)} x ${
                box.top.toFixed(0)}..${box.bottom.toFixed(0)})`);
        }
        // NaN in the geometry
        for (const el of svg.querySelectorAll('*'))
            for (const at of ['d', 'transform', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy',
                              'r', 'width', 'height', 'points'])
                if ((el.getAttribute(at) || '').includes('NaN')) {
                    problems.push(`nan: ${fig}: ${el.tagName}.${el.getAttribute('class')} ${at}`);
                    break;
                }
    }
    // HTML text cut
    const texts = root.querySelectorAll('.widget-label, .widget-readout, .widget-html-content, '
        + 'button, .widget-checkbox label, .widget-dropdown select, .shrinkviz-legend-entry');
    for (const el of texts) {
        if (!visible(el) || !shown(R(el)) || !el.textContent.trim()) continue;
        if (el.scrollWidth > el.clientWidth + 1)
            problems.push(`cut: "${name(el)}" (${el.scrollWidth} px of text in ${
                el.clientWidth} px)`);
    }
    // a checkbox as tall as the text beside it (browsers draw it at 13 px whatever the font)
    for (const box of root.querySelectorAll('input[type=checkbox]')) {
        if (!visible(box) || !shown(R(box))) continue;
        const font = parseFloat(getComputedStyle(box.parentElement).fontSize);
        if (R(box).height < 0.8 * font)
            problems.push(`small: a checkbox of ${R(box).height.toFixed(0)} px beside ${
                font} px text ("${name(box.parentElement)}")`);
    }
    // a select shows its chosen option whole (its scrollWidth does not tell)
    const ctx = document.createElement('canvas').getContext('2d');
    for (const sel of root.querySelectorAll('select')) {
        if (!visible(sel) || !shown(R(sel)) || sel.selectedIndex < 0) continue;
        const st = getComputedStyle(sel);
        ctx.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
        const text = sel.options[sel.selectedIndex].text;
        const room = sel.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
        if (ctx.measureText(text).width > room + 1)
            problems.push(`cut: the selector shows "${text}" in ${room.toFixed(0)} px (needs ${
                ctx.measureText(text).width.toFixed(0)})`);
    }
    // HTML legend entries
    const html = Array.from(root.querySelectorAll('.shrinkviz-legend-entry'))
        .filter(e => visible(e) && shown(R(e)));
    for (let i = 0; i < html.length; i++)
        for (let j = i + 1; j < html.length; j++)
            if (overlap(R(html[i]), R(html[j])))
                problems.push(`legend: "${name(html[i])}" overlaps "${name(html[j])}"`);
    // nothing out of the output area
    const ob = R(out);
    if (out.scrollWidth > out.clientWidth + 1)
        problems.push(`out: the output scrolls sideways (${out.scrollWidth} > ${out.clientWidth})`);
    for (const el of root.querySelectorAll('*')) {
        if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
        if (!visible(el)) continue;
        const r = R(el);
        if (shown(r) && (r.right > ob.right + 1 || r.left < ob.left - 1)) {
            problems.push(`out: ${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]
                } "${name(el)}" reaches ${r.left.toFixed(0)}..${r.right.toFixed(0)}, the output `
                + `${ob.left.toFixed(0)}..${ob.right.toFixed(0)}`);
            break;
        }
    }
    if (compact) {
        const top = R(root).top;
        // the figures above the tau2 slider (the picture it moves) and the slider
        const slider = R(root.querySelector('.shrinkviz-tau2'));
        const figs = Array.from(root.querySelectorAll('.shrinkviz-figure')).map(R)
            .filter(r => r.top < slider.top);
        const bottom = Math.max(slider.bottom, ...figs.map(r => r.bottom));
        const room = window.innerHeight - R(out.closest('.jp-NotebookPanel')).top;
        if (bottom - top > room)
            problems.push(`compact: figures and tau2 slider need ${(bottom - top).toFixed(0)} px, `
                + `the notebook shows ${room.toFixed(0)} px`);
    }
    return problems;
}"""


@pytest.fixture(scope="module")
def audit_page(jupyter_lab, browser):
    """One page at 1280x800 with every case's explorer, each in its own cell."""
    page = _lab.open_lab(browser, jupyter_lab, viewport=(1280, 800))
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    try:
        cells = [SETUP]
        for case in CASES:
            name, scale, layout = case
            kw = f"font_scale={scale}" + (f", layout={layout!r}" if layout else "")
            var = case_id(case).replace("-", "_")
            cells.append(f"{var} = {EXPLORERS[name].format(kw=kw)}\n{var}")
        path = jupyter_lab.write_notebook("audit-test/audit.ipynb", cells)
        panel = _lab.open_notebook(page, path)
        _lab.run_all(page, panel)
        yield page, panel, console, _lab.errors(page, panel)
    finally:
        page.context.close()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_layout(audit_page, case):
    page, panel, console, errors = audit_page
    name, scale, layout = case
    k = 1 + CASES.index(case)
    assert not [e for e in errors if e.startswith(("cell 1:", f"cell {k + 1}:"))], errors
    out = page.locator(f"#{panel} .jp-CodeCell").nth(k).locator(".jp-OutputArea-output").first
    sel = f".audit-{k}"
    out.evaluate(f"(el) => el.querySelector('.shrinkviz-explorer').classList.add('audit-{k}')")
    # the output's top at the notebook's top, as a student scrolls to it
    out.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    end = time.monotonic() + 10.0
    while _lab.output_problem(out) and time.monotonic() < end:
        time.sleep(0.25)
    time.sleep(0.8)  # transitions of the first draw
    problems = page.evaluate(JS_AUDIT, [sel, layout == "compact"])
    problems += [f"console: {m}" for m in console if "nan" in m.lower()]
    _lab.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=_lab.ARTIFACTS / f"audit-{case_id(case)}-screen.png")
    try:  # the whole output, on a page grown to hold it
        _lab._fit_viewport(page, out, margin=200)
        out.screenshot(path=_lab.ARTIFACTS / f"audit-{case_id(case)}.png")
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})
    assert problems == [], f"{case_id(case)}:\n" + "\n".join(problems)
