"""Many groups in a real JupyterLab (headless Chromium): a keyboard move of the tau2 slider to
the figure settled, at J = 10^2, 10^3, 10^4 groups.

One run, one JupyterLab, one page, one kernel. For each J, one after the other on one stage
(a VBox whose children the kernel replaces, so only one figure set is in the page at a time):

    shrinkage   ShrinkageExplorer.from_meta(y, v) of J simulated studies
    pooling     PoolingLinesExplorer.from_frame(df, ...) of J simulated groups (2 to 40 rows)
    floor       a bare figure of two bqplot-gl ScatterGL marks of J points each, whose y a
                FloatSlider moves (in one hold_sync each): the least a WebGL redraw costs;
                "+ LinesGL" adds one LinesGL of J segments (one NaN-broken polyline, as the
                explorers draw them) moved with them

every figure with ``animation_duration=0``. ``--marks svg`` / ``gl`` force the explorers' marks
(default: each explorer's own choice, ``marks="auto"``), so one run can put both side by side.

In the page, performance.now() is stamped at the keydown and at every change of the
explorer's figures: a DOM mutation inside them (SVG marks, axes) or a WebGL frame drawn into
one of their canvases (``clear`` of a WebGL context, which bqplot-gl calls first in each
frame). "first" = key -> the first change once the kernel's first update of the move has
arrived; "settled" = key -> the end of the drawing of the move's last update message (the
changes from the first one after it until a pause of BURST_MS: bqplot-gl sometimes draws the
same picture again a second later, which is no change), measured once the kernel is idle
again and nothing changed for QUIET_MS. "kernel" is the slider handler's time inside the
kernel (recompute, serialize, send), "msgs" the comm messages the page received per move.
The explorer's live region (the text a screen reader says, sent 0.6 s after the last move)
is left out: when moves come more than 0.6 s apart it would arrive inside the next move and
stretch that move's "settled" to the next frame drawn after it.

"painted" = key -> the frame of that last drawing committed to the compositor (a task posted
from the WebGL draw, or from the animation frame after a DOM change, runs after the commit).
It is the time to pixels, and in this headless chromium it is what WebGL costs: with no GPU,
WebGL runs on SwiftShader (software), and the commit reads the canvas back, waiting for the
draw. "settled" stamps the JavaScript call that starts a draw; the draw itself (about 40 us
per instanced marker here, so hundreds of ms for 10^4) shows only in "painted", or in
"settled" when a later message of the move has to wait for it.
Figures are printed, never asserted.

    .venv/bin/python benchmarks/bench_many_groups.py [--moves 10] [--marks auto svg gl]
        [--sizes 100 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
import _lab  # noqa: E402  (the browser tests' harness: JupyterLab + chromium start-up)

QUIET_MS = 300
BURST_MS = 100
TIMEOUT_MS = 20000
SIZES = (100, 1_000, 10_000)

SETUP = '''
import json, time
import numpy as np, pandas as pd, ipywidgets as W, bqplot as bq
import bqplot_gl
import shrinkviz as sv

def studies(J, seed=0):
    """J studies: y_j ~ N(theta_j, v_j), theta_j ~ N(0, 1), v_j = 4 / n_j, n_j from 2 to 400."""
    rng = np.random.default_rng(seed)
    n = np.round(np.exp(rng.uniform(np.log(2), np.log(400), J)))
    v = 4.0 / n
    return rng.normal(rng.normal(0, 1, J), np.sqrt(v)), v

def rows(J, seed=0):
    """J groups of 2 to 40 rows: y = alpha_j - 0.6 x + e, x in {0, 1}."""
    rng = np.random.default_rng(seed)
    n = rng.integers(2, 41, J)
    g = np.repeat(np.arange(J), n)
    x = rng.integers(0, 2, len(g)).astype(float)
    alpha = rng.normal(1.3, 0.4, J)
    return pd.DataFrame({"x": x, "y": alpha[g] - 0.6 * x + rng.normal(0, 0.8, len(g)),
                         "g": [f"g{j}" for j in g]})

def floor(J, seed=0, lines=False):
    rng = np.random.default_rng(seed)
    x, y0, y1 = rng.normal(size=J), rng.normal(size=J), rng.normal(size=J)
    sx, sy = bq.LinearScale(min=-4, max=4), bq.LinearScale(min=-4, max=4)
    a = bqplot_gl.ScatterGL(x=x, y=y0, scales={"x": sx, "y": sy}, default_size=24)
    b = bqplot_gl.ScatterGL(x=x, y=y1, scales={"x": sx, "y": sy}, default_size=24,
                            colors=["#0072B2"])
    gap = np.full(J, np.nan)
    seg = lambda y_a, y_b: np.column_stack([y_a, y_b, gap]).ravel()
    c = bqplot_gl.LinesGL(x=np.column_stack([x, x, gap]).ravel(), y=seg(y0, y1),
                          scales={"x": sx, "y": sy}, colors=["#8C8C8C"])
    fig = bq.Figure(marks=[c, a, b] if lines else [a, b], animation_duration=0,
                    layout=W.Layout(height="460px"),
                    axes=[bq.Axis(scale=sx), bq.Axis(scale=sy, orientation="vertical")])
    s = W.FloatSlider(value=0.5, min=0, max=1, step=0.02, description="s")
    def redraw(change):
        k = change["new"]
        with a.hold_sync():
            a.y = (1 - k) * y0 + k * x
        with b.hold_sync():
            b.y = (1 - k) * y1 + k * y0
        if lines:
            with c.hold_sync():
                c.y = seg(a.y, b.y)
    s.observe(redraw, "value")
    box = W.VBox([s, fig])
    box.slider = s
    return box

def handler_ms(widget, name, values):
    out = []
    for value in values:
        t = time.perf_counter()
        setattr(widget, name, value)
        out.append(1e3 * (time.perf_counter() - t))
    return out

stage = W.VBox()
stage
'''

# In the page: stamps of one keyboard move (window.__mg).
JS_INSTALL = """([panelId]) => {
    const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === panelId);
    const kernel = panel.sessionContext.session.kernel;
    const b = window.__mg = {armed: false, observers: [], root: null};
    b.reset = () => Object.assign(b, {key: null, first: null, last: null, changes: 0,
                                      messages: 0, sent: null, recv: null, recvLast: null,
                                      idle: null, times: [], paints: [], armed: true});
    // a change counts once the kernel's first update of this move has arrived (a frame
    // drawn before it is not this move's)
    // painted: when the frame that shows a change has been committed to the compositor. A
    // WebGL frame is drawn inside an animation frame, whose commit follows in the same task
    // (in this software-rendered chromium the commit reads the canvas back, which waits for
    // the draw): a task posted from the draw runs after it. A DOM change is painted by the
    // next animation frame: a task posted from that frame's callback runs after its commit.
    const afterTask = (f) => { const c = new MessageChannel(); c.port1.onmessage = f;
                               c.port2.postMessage(0); };
    b.seen = (gl) => {
        if (!b.armed || b.key === null || b.recv === null) return;
        const t = performance.now();
        if (b.first === null) b.first = t;
        b.last = t;
        const i = b.times.push(t) - 1;
        b.paints.push(null);
        const stamp = () => { b.paints[i] = performance.now(); };
        if (gl) afterTask(stamp); else requestAnimationFrame(() => afterTask(stamp));
        b.changes++;
    };
    // the drawing of the last update: the changes from the first one after the last update
    // message until a pause of BURST_MS (bqplot-gl may redraw the same picture a second later)
    b.drawn = () => {
        let end = b.times.findIndex(t => t >= b.recvLast);
        if (end < 0) end = b.times.length - 1;
        for (let i = end; i < b.times.length; i++) {
            if (b.times[i] - b.times[end] > BURST_MS) break;
            end = i;
        }
        return end;
    };
    // every WebGL frame of bqplot-gl starts with clear(): a frame drawn into a watched canvas
    for (const C of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
        if (!C || C.prototype.__mgPatched) continue;
        const clear = C.prototype.clear;
        C.prototype.clear = function (...args) {
            if (b.root && this.canvas && b.root.contains(this.canvas)) b.seen(true);
            return clear.apply(this, args);
        };
        C.prototype.__mgPatched = true;
    }
    document.addEventListener('keydown', () => {
        if (b.armed && b.key === null) b.key = performance.now();
    }, true);
    b.ignore = new Set();  // comms whose messages are no part of a move
    kernel.anyMessage.connect((_, {msg, direction}) => {
        if (!b.armed || b.key === null) return;
        const type = msg.header.msg_type;
        if (type === 'comm_msg' && b.ignore.has(msg.content.comm_id)) return;
        if (direction === 'send' && type === 'comm_msg' && b.sent === null)
            b.sent = performance.now();
        if (direction !== 'recv') return;
        if (type === 'comm_msg') {
            b.messages++;
            const data = msg.content.data;
            if (data && data.method === 'update') {
                b.recvLast = performance.now();
                if (b.recv === null) b.recv = b.recvLast;
            }
        }
        if (type === 'status' && b.sent !== null && msg.content.execution_state === 'idle')
            b.idle = performance.now();  // the kernel has handled the move (and sent its updates)
    });
    b.watch = (css) => {
        b.observers.forEach(o => o.disconnect());
        b.root = document.querySelector(`.${css}`);
        const figs = b.root ? b.root.querySelectorAll('.bqplot') : [];
        b.observers = Array.from(figs).map(el => {
            const o = new MutationObserver(() => b.seen(false));
            o.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
            return o;
        });
        return figs.length;
    };
    // settled: the kernel is idle again and nothing changed for `quiet` ms since
    b.settle = (quiet, timeout) => new Promise(resolve => {
        const t0 = performance.now();
        const poll = () => {
            const now = performance.now();
            const done = b.idle !== null && b.last !== null && !b.paints.includes(null)
                && now - Math.max(b.last, b.idle, ...b.paints) > quiet;
            if (done || now - t0 > timeout) {
                b.armed = false;
                const end = b.last === null ? null : b.drawn();
                resolve({key: b.key, first: b.first, last: end === null ? null : b.times[end],
                         painted: end === null ? null : b.paints[end],
                         changes: b.changes, messages: b.messages});
            } else setTimeout(poll, 10);
        };
        poll();
    });
    return true;
}"""


def moves(count: int) -> list[str]:
    """Right, left, right, ... (the slider stays where it started, whatever the count)."""
    return ["ArrowRight", "ArrowLeft"] * (count // 2) + ["ArrowRight"] * (count % 2)


def measure(page, css: str, handle: str, count: int, ignore: list[str]) -> dict:
    """The moves' times; the messages of the comms in ``ignore`` are no part of a move."""
    box = page.locator(f".{css}").first
    box.scroll_into_view_if_needed()
    if not page.evaluate("(css) => window.__mg.watch(css)", css):
        raise RuntimeError(f"no figure found in .{css}")
    page.evaluate("(ids) => { window.__mg.ignore = new Set(ids); }", ignore)
    knob = box.locator(handle).first
    knob.focus()
    out = {"first": [], "settled": [], "painted": [], "messages": [], "missed": 0}
    for key in moves(count):
        page.evaluate("() => window.__mg.reset()")
        page.keyboard.press(key)
        r = page.evaluate("([q, t]) => window.__mg.settle(q, t)", [QUIET_MS, TIMEOUT_MS])
        if r["key"] is None or r["first"] is None:
            out["missed"] += 1
            continue
        out["first"].append(r["first"] - r["key"])
        out["settled"].append(r["last"] - r["key"])
        if r["painted"] is not None:  # else its frame never came (the settle timed out)
            out["painted"].append(r["painted"] - r["key"])
        out["messages"].append(r["messages"])
    return out


def kernel_ms(page, panel: str, slider: str, name: str, count: int) -> list[float]:
    """The slider handler's time in the kernel, stepped as the keys step it."""
    steps = [1 if k == "ArrowRight" else -1 for k in moves(count)]
    step = "1" if name == "index" else f"{slider}.step"
    code = (
        f"_v, _vals = {slider}.{name}, []\n"
        f"for _s in {steps}:\n"
        f"    _v = _v + _s * {step}\n"
        f"    _vals.append(_v)\n"
        f"print(json.dumps(handler_ms({slider}, {name!r}, _vals)))"
    )
    out = json.loads(_lab.kernel_run(page, panel, code))
    page.wait_for_timeout(500)
    return out


def show(page, panel: str, make: str, css: str, timeout: float = 120.0) -> None:
    """Put the widget ``make`` builds on the stage (closing the last) and wait until its
    figures have drawn."""
    _lab.kernel_run(
        page,
        panel,
        "for _c in stage.children:\n    _c.close()\n"
        f"current = {make}\ncurrent.add_class({css!r})\nstage.children = [current]",
    )
    page.wait_for_selector(f".{css} .bqplot", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drawn = page.evaluate(
            """(css) => { const r = document.querySelector('.' + css);
            return r && Array.from(r.querySelectorAll('.bqplot')).every(
                f => f.querySelector('svg') && f.getBoundingClientRect().height > 10); }""",
            css,
        )
        if drawn:
            break
        time.sleep(0.25)
    page.wait_for_timeout(1500)  # the first draw of 10^4 SVG nodes is slow


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=10, help="keyboard moves per figure")
    parser.add_argument(
        "--marks", nargs="+", default=["auto"], choices=["auto", "svg", "gl"], help="marks"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    if missing := _lab.browser_missing():
        print(f"bench_many_groups: cannot run: {missing}")
        return 1
    from playwright.sync_api import sync_playwright

    tau2 = ".shrinkviz-tau2 .noUi-handle"
    results = []
    t_start = time.monotonic()
    with _lab.running_lab() as lab, sync_playwright() as pw:
        browser = _lab.launch_chromium(pw)
        try:
            page = _lab.open_lab(browser, lab, viewport=(1400, 1200))
            panel = _lab.open_notebook(page, lab.write_notebook("bench.ipynb", [SETUP]))
            _lab.run_all(page, panel)
            if errs := _lab.errors(page, panel):
                raise RuntimeError("benchmark notebook failed:\n" + "\n".join(errs))
            page.evaluate(JS_INSTALL.replace("BURST_MS", str(BURST_MS)), [panel])
            for J in args.sizes:
                cases = [
                    (
                        f"floor (2 ScatterGL of {J})",
                        f"floor({J})",
                        ".noUi-handle",
                        "current.slider",
                        "value",
                    ),
                    (
                        f"floor + LinesGL of {J} segments",
                        f"floor({J}, lines=True)",
                        ".noUi-handle",
                        "current.slider",
                        "value",
                    ),
                ]
                for marks in args.marks:
                    opt = "" if marks == "auto" else f", marks={marks!r}"
                    cases += [
                        (
                            f"ShrinkageExplorer.from_meta [{marks}]",
                            f"sv.ShrinkageExplorer.from_meta(*studies({J}), "
                            f"animation_duration=0{opt})",
                            tau2,
                            "current.controls.tau2.slider",
                            "index",
                        ),
                        (
                            f"PoolingLinesExplorer.from_frame [{marks}]",
                            f"sv.PoolingLinesExplorer.from_frame(rows({J}), x='x', y='y', "
                            f"group='g', animation_duration=0{opt})",
                            tau2,
                            "current.controls.tau2.slider",
                            "index",
                        ),
                    ]
                for k, (label, make, handle, slider, name) in enumerate(cases):
                    css = f"bench-mg-{J}-{k}"
                    show(page, panel, make, css)
                    # the explorer's live region speaks 0.6 s after the last move (the text a
                    # screen reader says): that message would end another move's count
                    live = _lab.kernel_run(
                        page,
                        panel,
                        "print(getattr(getattr(current, 'live', None), 'model_id', ''))",
                    ).split()
                    r = measure(page, css, handle, args.moves, live)
                    r["kernel"] = kernel_ms(page, panel, slider, name, args.moves)
                    if k == 2 or J == args.sizes[-1]:
                        _lab.ARTIFACTS.mkdir(exist_ok=True)
                        page.locator(f".{css}").first.screenshot(
                            path=_lab.ARTIFACTS / f"bench-many-groups-{css}.png"
                        )
                    results.append((J, label, r))
                    print(_row(J, label, r), file=sys.stderr, flush=True)  # as it goes
        finally:
            browser.close()
    report(results, args.moves, time.monotonic() - t_start)
    return 0


def _med(xs) -> str:
    return f"{statistics.median(xs):8.1f}" if xs else f"{'-':>8}"


def _max(xs) -> str:
    return f"{max(xs):8.1f}" if xs else f"{'-':>8}"


def report(results, n, seconds) -> None:
    print(
        f"bench_many_groups: JupyterLab + headless chromium, animation_duration=0, {n} keyboard "
        f"moves of the slider per figure; first / settled = key -> first change / end of the "
        f"drawing of the move's last update (changes {BURST_MS} ms apart at most); painted = "
        f"key -> that drawing's frame committed "
        f"({seconds:.0f} s; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  {'J':>6}  {'figure':<44} {'first':>8} {'settled':>8} {'max':>8} {'painted':>8} "
        f"{'max':>8} {'kernel':>8} {'msgs':>5}  (ms, median; max)"
    )
    for J, label, r in results:
        print(_row(J, label, r))


def _row(J, label, r) -> str:
    missed = f"  MISSED {r['missed']}" if r["missed"] else ""
    msgs = statistics.median(r["messages"]) if r["messages"] else float("nan")
    return (
        f"  {J:>6}  {label:<44} {_med(r['first'])} {_med(r['settled'])} "
        f"{_max(r['settled'])} {_med(r['painted'])} {_max(r['painted'])} {_med(r['kernel'])} "
        f"{msgs:5.0f}{missed}"
    )


if __name__ == "__main__":
    sys.exit(main())
