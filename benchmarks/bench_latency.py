"""Slider-to-redraw latency and animation frame rate in a real JupyterLab (headless Chromium).

One run, one JupyterLab, one browser page, one kernel. For each figure a slider handle is
focused and moved with the keyboard (at least 30 moves); in the page, performance.now() stamps
are taken at the keydown, when the kernel connection sends the slider's comm message, when the
widget `update` messages coming back are handled, and (MutationObserver on the figures' SVG)
at the first and the last change of the figure (the last one: nothing changed for QUIET_MS).
Where the time goes: the kernel's status messages carry the kernel's clock (header.date, same
machine), which splits a move into front end -> wire in -> kernel busy..idle -> wire out and
queue -> render. The kernel's handler alone is also timed inside the kernel.

    floor        a bare bqplot figure: a Scatter of 900 points and a Lines mark of 85 segments,
                 updated inside hold_sync, driven by one FloatSlider (no animation)
    matplotlib   ipywidgets.interact redrawing a matplotlib figure of the eight schools
                 shrinkage (the way most courses do it today)
    explorers    ShrinkageExplorer.eight_schools() and PoolingLinesExplorer.radon(), tau2
                 slider, animated (first change = the glide starts) and with
                 animation_duration = 0 (first and last change)

Then Play sweeps tau2 with animation: requestAnimationFrame callbacks are counted, and those in
which the SVG changed give the frame rate of the glide. Figures are printed, never asserted.

    .venv/bin/python benchmarks/bench_latency.py [--moves 40]
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

QUIET_MS = 200
TIMEOUT_MS = 5000

SETUP = '''
import numpy as np, ipywidgets as W, bqplot as bq
import shrinkviz as sv

def figures(widget):
    """Every bqplot Figure inside a widget tree."""
    if isinstance(widget, bq.Figure):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from figures(child)

def boxed(css, *children):
    box = W.VBox(list(children))
    box.add_class(css)
    return box
'''

FLOOR = """
rng = np.random.default_rng(1)
fx, fy = rng.normal(size=900), rng.normal(size=900)
lx = np.tile([-3.0, 3.0], (85, 1))
la, lb = rng.normal(size=85), rng.normal(scale=0.3, size=85)
sx, sy = bq.LinearScale(min=-4, max=4), bq.LinearScale(min=-6, max=6)
floor_dots = bq.Scatter(x=fx, y=fy, scales={"x": sx, "y": sy}, default_size=12)
floor_lines = bq.Lines(x=lx, y=la[:, None] + lb[:, None] * lx, scales={"x": sx, "y": sy})
floor_fig = bq.Figure(marks=[floor_dots, floor_lines], animation_duration=0,
                      axes=[bq.Axis(scale=sx), bq.Axis(scale=sy, orientation="vertical")])
floor_slider = W.FloatSlider(value=0.5, min=0, max=1, step=0.01, description="s")

def floor_redraw(change):
    s = change["new"]
    with floor_dots.hold_sync():
        floor_dots.y = (1 - s) * fy + s * fx
    with floor_lines.hold_sync():
        floor_lines.y = (1 - s) * la[:, None] + s * lb[:, None] * lx

floor_slider.observe(floor_redraw, "value")
boxed("bench-floor", floor_slider, floor_fig)
"""

MATPLOTLIB = """
import matplotlib.pyplot as plt
schools = sv.data.eight_schools()

def shrinkage_plot(tau2):
    post = sv.posterior(schools.y.to_numpy(float), schools.v.to_numpy(float), tau2=tau2)
    J = len(schools)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hlines(np.arange(J), schools.y, post.mean, color="0.6")
    ax.plot(schools.y, np.arange(J), "o", mfc="none", mec="C0", label="y_j")
    ax.plot(post.mean, np.arange(J), "o", color="C1", label="mu_j")
    ax.axvline(post.mu0, ls="--", color="0.3", label="mu0")
    ax.set(yticks=np.arange(J), yticklabels=schools.school, xlim=(-10, 35),
           xlabel="effect", title=f"tau2 = {tau2:.3g}")
    ax.legend(loc="lower right")
    plt.show()

mpl_widget = W.interactive(shrinkage_plot,
                           tau2=W.FloatLogSlider(value=30, base=10, min=-1, max=4, step=0.02))
mpl_widget.add_class("bench-matplotlib")
mpl_widget
"""

EXPLORERS = """
schools = sv.ShrinkageExplorer.eight_schools()
schools.add_class("bench-schools")
radon = sv.PoolingLinesExplorer.radon()
radon.add_class("bench-radon")
display(schools, radon)
"""

# In the kernel: the time of a slider's handler (recompute, serialize, send), in ms.
KERNEL_TIMER = """
import time, json
def handler_ms(widget, name, values):
    out = []
    for value in values:
        t = time.perf_counter()
        setattr(widget, name, value)
        out.append(1e3 * (time.perf_counter() - t))
    return out
"""

# In the page: stamps of one keyboard move, kept on window.__bench.
JS_INSTALL = """([panelId]) => {
    const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === panelId);
    const kernel = panel.sessionContext.session.kernel;
    const b = window.__bench = {armed: false, observers: []};
    b.reset = () => Object.assign(b, {key: null, sent: null, recvFirst: null, recvLast: null,
                                      kBusy: null, kIdle: null, idleSeen: null, first: null,
                                      last: null, changes: 0, messages: 0, armed: true});
    // Long animation frames (> 50 ms) while a sweep runs: where the main thread's time goes.
    const source = (url) => url.includes('/bqplot/') || url.includes('bqscales') ? 'bqplot'
        : url.includes('jupyter-widgets') ? 'ipywidgets' : url.includes('/static/') ? 'jupyterlab'
        : 'other';
    b.loaf = null;
    new PerformanceObserver(list => {
        if (!b.loaf) return;
        for (const e of list.getEntries()) {
            const end = e.startTime + e.duration;
            b.loaf.total += e.duration; b.loaf.count++;
            if (e.styleAndLayoutStart) b.loaf.styleLayout += end - e.styleAndLayoutStart;
            for (const sc of e.scripts) {
                const k = `${source(sc.sourceURL)} ${sc.invokerType}`;
                b.loaf.scripts[k] = (b.loaf.scripts[k] || 0) + sc.duration;
                b.loaf.forced += sc.forcedStyleAndLayoutDuration;
            }
        }
    }).observe({type: 'long-animation-frame', buffered: false});
    document.addEventListener('keydown', () => {
        if (b.armed && b.key === null) b.key = performance.now();
    }, true);
    kernel.anyMessage.connect((_, {msg, direction}) => {
        if (!b.armed || b.key === null) return;
        const t = performance.now();
        if (direction === 'recv' && msg.header.msg_type === 'status' && b.sent !== null) {
            // the kernel's own clock (header.date, same machine) put on the page's timeline
            // through the wall clock read now (timeOrigin drifts from the wall clock)
            const k = Date.parse(msg.header.date) + (t - Date.now());
            if (msg.content.execution_state === 'busy' && b.kBusy === null) b.kBusy = k;
            if (msg.content.execution_state === 'idle') { b.kIdle = k; b.idleSeen = t; }
            return;
        }
        if (msg.header.msg_type !== 'comm_msg') return;
        if (direction === 'send') { if (b.sent === null) b.sent = t; return; }
        b.messages++;  // widget messages back: updates and the slider's echo
        if (msg.content.data && msg.content.data.method === 'update') {
            if (b.recvFirst === null) b.recvFirst = t;
            b.recvLast = t;
        }
    });
    b.watch = (css) => {
        b.observers.forEach(o => o.disconnect());
        const svgs = document.querySelectorAll(`.${css} .bqplot svg, .${css} .widget-output`);
        const seen = () => {
            if (!b.armed || b.key === null) return;
            const t = performance.now();
            if (b.first === null) b.first = t;
            b.last = t;
            b.changes++;
            b.frameChanged = true;
        };
        b.observers = Array.from(svgs).map(el => {
            const o = new MutationObserver(seen);
            o.observe(el, {subtree: true, childList: true, attributes: true, characterData: true});
            return o;
        });
        return svgs.length;
    };
    b.settle = (quiet, timeout) => new Promise(resolve => {
        const t0 = performance.now();
        const poll = () => {
            const now = performance.now();
            const done = b.last !== null && now - b.last > quiet;
            if (done || now - t0 > timeout) {
                b.armed = false;
                resolve({key: b.key, sent: b.sent, recvFirst: b.recvFirst, recvLast: b.recvLast,
                         kBusy: b.kBusy, kIdle: b.kIdle, idleSeen: b.idleSeen, first: b.first,
                         last: b.last, changes: b.changes, messages: b.messages});
            } else setTimeout(poll, 10);
        };
        poll();
    });
    // Frame rate: count rAF callbacks, and those in which a watched SVG changed.
    b.frames = (quiet, timeout) => new Promise(resolve => {
        const t0 = performance.now();
        let frames = 0, changed = 0, firstChange = null, lastChange = null, worstGap = 0;
        b.reset(); b.key = t0;
        b.loaf = {total: 0, count: 0, styleLayout: 0, forced: 0, scripts: {}};
        const tick = (now) => {
            frames++;
            if (b.frameChanged) {
                if (lastChange !== null) worstGap = Math.max(worstGap, now - lastChange);
                changed++; firstChange ??= now; lastChange = now; b.frameChanged = false;
            }
            const idle = lastChange !== null ? now - lastChange > quiet : now - t0 > timeout;
            if (idle || now - t0 > timeout) {
                b.armed = false;
                resolve({frames, changed, elapsed: now - t0, firstChange, lastChange, worstGap,
                         loaf: b.loaf});
                b.loaf = null;
            } else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    });
    return true;
}"""


def moves(count: int, span: int) -> list[str]:
    """Right `span` times, left `span` times, ... (whole rounds: the slider ends where it
    started, so a slider started mid-range stays inside however often it is measured)."""
    rounds = -(-count // (2 * span))
    return (["ArrowRight"] * span + ["ArrowLeft"] * span) * rounds


def measure(page, css: str, handle: str, count: int, span: int) -> dict[str, list[float]]:
    """Keyboard moves of the slider handle `handle` inside `.css`; latencies in ms."""
    box = page.locator(f".{css}").first
    box.scroll_into_view_if_needed()
    if not page.evaluate("(css) => window.__bench.watch(css)", css):
        raise RuntimeError(f"no figure found in .{css}")
    knob = box.locator(handle).first
    knob.focus()
    out = {
        k: []
        for k in (
            "first",
            "last",
            "ui",
            "wire_in",
            "kernel",
            "wire_out",
            "render",
            "messages",
            "missed",
        )
    }
    for key in moves(count, span):
        page.evaluate("() => window.__bench.reset()")
        page.keyboard.press(key)
        r = page.evaluate("([q, t]) => window.__bench.settle(q, t)", [QUIET_MS, TIMEOUT_MS])
        if r["key"] is None or r["first"] is None:
            out["missed"].append(key)
            continue
        out["first"].append(r["first"] - r["key"])
        out["last"].append(r["last"] - r["key"])
        if r["sent"] is None:
            continue
        out["ui"].append(r["sent"] - r["key"])
        out["messages"].append(r["messages"])
        if r["kBusy"] is not None and r["kIdle"] is not None:
            out["wire_in"].append(r["kBusy"] - r["sent"])
            out["kernel"].append(r["kIdle"] - r["kBusy"])
            out["wire_out"].append(r["idleSeen"] - r["kIdle"])
        if r["recvLast"] is not None:
            out["render"].append(r["last"] - r["recvLast"])
    return out


def frame_rate(page, css: str, play: str) -> dict:
    """Click the Play control inside `.css` and count frames until the figure is still."""
    page.evaluate("(css) => window.__bench.watch(css)", css)
    box = page.locator(f".{css}").first
    box.scroll_into_view_if_needed()
    result = page.evaluate("() => { window.__bench.pending = window.__bench.frames(500, 30000); }")
    box.locator(play).first.click()
    result = page.evaluate("() => window.__bench.pending")
    span = (result["lastChange"] or 0) - (result["firstChange"] or 0)
    return {
        "changed_fps": 1000 * (result["changed"] - 1) / span if span > 0 else float("nan"),
        "raf_fps": 1000 * result["frames"] / result["elapsed"],
        "loaf": result["loaf"],
        "sweep_ms": span,
        "worst_gap_ms": result["worstGap"],
        "frames": result["changed"],
    }


def stats(xs: list[float]) -> tuple[float, float, float]:
    if not xs:
        return (float("nan"),) * 3
    q = statistics.quantiles(xs, n=10, method="inclusive") if len(xs) > 1 else xs * 9
    return statistics.median(xs), q[8], max(xs)


def row(name: str, xs: list[float]) -> str:
    med, p90, mx = stats(xs)
    return f"  {name:<44} {med:8.1f} {p90:8.1f} {mx:8.1f} {len(xs):5d}"


def kernel_side(page, panel: str, widget: str, name: str, count: int) -> list[float]:
    """Handler time in the kernel for `count` moves of `widget.name`, stepped as the keys are."""
    steps = [1 if k == "ArrowRight" else -1 for k in moves(count, 10)]
    step = "1" if name == "index" else f"{widget}.step"
    code = (
        f"_v, _vals = {widget}.{name}, []\n"
        f"for _s in {steps}:\n"
        f"    _v = _v + _s * {step}\n"
        f"    _vals.append(_v)\n"
        f"print(json.dumps(handler_ms({widget}, {name!r}, _vals)))"
    )
    out = json.loads(_lab.kernel_run(page, panel, code))
    page.wait_for_timeout(1500)  # let the browser draw what was sent
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="keyboard moves per figure")
    args = parser.parse_args(argv)
    if missing := _lab.browser_missing():
        print(f"bench_latency: cannot run: {missing}")
        return 1
    from playwright.sync_api import sync_playwright

    tau2, slider, n = ".shrinkviz-tau2 .noUi-handle", ".noUi-handle", args.moves
    results, kernel, fps = {}, {}, {}
    t_start = time.monotonic()
    with _lab.running_lab() as lab, sync_playwright() as pw:
        browser = _lab.launch_chromium(pw)
        try:
            page = _lab.open_lab(browser, lab, viewport=(1400, 1600))
            path = lab.write_notebook(
                "bench.ipynb", [SETUP, KERNEL_TIMER, FLOOR, MATPLOTLIB, EXPLORERS]
            )
            panel = _lab.open_notebook(page, path)
            _lab.run_all(page, panel)
            if errs := _lab.errors(page, panel):
                raise RuntimeError("benchmark notebook failed:\n" + "\n".join(errs))
            _lab.screenshot_outputs(page, panel, "bench")
            page.evaluate(JS_INSTALL, [panel])
            animation = (
                "for f in [*figures(schools), *figures(radon)]:\n    f.animation_duration = {}"
            )

            for label, css, handle in (
                ("floor", "bench-floor", slider),
                ("matplotlib", "bench-matplotlib", slider),
                ("schools, animated", "bench-schools", tau2),
                ("radon, animated", "bench-radon", tau2),
            ):
                results[label] = measure(page, css, handle, n, span=10)
            _lab.kernel_run(page, panel, animation.format(0))
            for name in ("schools", "radon"):
                results[f"{name}, animation off"] = measure(page, f"bench-{name}", tau2, n, 10)

            kernel["floor"] = kernel_side(page, panel, "floor_slider", "value", n)
            kernel["matplotlib"] = kernel_side(page, panel, "mpl_widget.children[0]", "value", n)
            for name in ("schools", "radon"):
                kernel[name] = kernel_side(page, panel, f"{name}.controls.tau2.slider", "index", n)

            _lab.kernel_run(page, panel, animation.format(500))
            for name in ("schools", "radon"):
                page.locator(f".bench-{name} {tau2}").first.focus()
                page.keyboard.press("End")  # Play sweeps from no pooling to complete pooling
                page.wait_for_timeout(1500)
                fps[name] = frame_rate(page, f"bench-{name}", ".shrinkviz-play button")
            page.locator(".bench-radon").first.screenshot(
                path=_lab.ARTIFACTS / "bench-radon-after-sweep.png"
            )
        finally:
            browser.close()
    report(results, kernel, fps, n, time.monotonic() - t_start)
    return 0


def report(results, kernel, fps, n, seconds) -> None:
    print(
        f"bench_latency: JupyterLab + headless chromium (one page, one kernel), {n} keyboard "
        f"moves per figure; last change = then no SVG change for {QUIET_MS} ms ({seconds:.0f} s"
        f"; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)"
    )
    print(f"  {'ms':<46} {'median':>8} {'p90':>8} {'max':>8} {'n':>5}")
    for label, r in results.items():
        print(label + (f"   MISSED {len(r['missed'])} moves (no change)" if r["missed"] else ""))
        print(row("key -> first change of the figure", r["first"]))
        print(row("key -> last change", r["last"]))
        print(row("  key -> slider message sent (front end)", r["ui"]))
        print(row("  sent -> kernel busy (wire in, kernel wakes)", r["wire_in"]))
        print(row("  kernel busy -> idle (kernel clock)", r["kernel"]))
        print(row("  kernel idle -> idle handled in the page", r["wire_out"]))
        print(row("  last update handled -> last change", r["render"]))
        print(row("  (widget messages back per move, count)", r["messages"]))
    print("in the kernel: the slider's handler (recompute + serialize + send)")
    for label, xs in kernel.items():
        print(row(label, xs))
    print("Play: animated tau2 sweep from no pooling to complete pooling")
    for label, f in fps.items():
        print(
            f"  {label:<8} {f['changed_fps']:5.1f} frames/s with a change of the figure "
            f"({f['frames']} in {f['sweep_ms'] / 1e3:.1f} s); all rAF {f['raf_fps']:5.1f}/s; "
            f"longest gap {f['worst_gap_ms']:.0f} ms"
        )
        loaf = f["loaf"]
        scripts = ", ".join(
            f"{k} {v:.0f}" for k, v in sorted(loaf["scripts"].items(), key=lambda kv: -kv[1])[:5]
        )
        print(
            f"    long frames (> 50 ms): {loaf['count']}, {loaf['total']:.0f} ms in all; "
            f"style+layout {loaf['styleLayout']:.0f} ms (forced {loaf['forced']:.0f}); "
            f"scripts ms: {scripts}"
        )

    def median(label, key):
        xs = results[label][key]
        return statistics.median(xs) if xs else float("nan")

    floor, mpl = median("floor", "last"), median("matplotlib", "last")
    schools = median("schools, animation off", "last")
    radon = median("radon, animation off", "last")
    radon_first = median("radon, animated", "first")
    goals = [
        ("radon, animated: key -> first change, median < 50 ms", radon_first, radon_first < 50),
        ("radon, no animation: key -> last change, median < 50 ms", radon, radon < 50),
        ("radon / floor (last change, no animation) <= 2", radon / floor, radon / floor <= 2),
        ("schools / floor (last change, no animation) <= 2", schools / floor, schools / floor <= 2),
        (
            "matplotlib / schools (last change, no animation) >= 3",
            mpl / schools,
            mpl / schools >= 3,
        ),
        ("matplotlib / radon (last change, no animation) >= 3", mpl / radon, mpl / radon >= 3),
    ]
    goals += [
        (f"{k}: Play animation >= 30 frames/s", f["changed_fps"], f["changed_fps"] >= 30)
        for k, f in fps.items()
    ]
    print("goals (issue 5)")
    for text, value, ok in goals:
        print(f"  {text:<60} {value:8.2f}  {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
