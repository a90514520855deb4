"""What one WebGL frame costs in this headless chromium, with no bqplot and no JupyterLab.

A blank page draws n markers (quads 0.6% of the canvas wide, in a 1200x460 canvas, as
bqplot-gl's figure) into a WebGL2 context, each frame a clear, one draw call and a 1-pixel
readPixels that waits until the draw is done, three ways:

    instanced   one quad drawn n times with a per-instance centre (drawArraysInstanced), as
                bqplot-gl's ScatterGL draws its markers
    triangles   2 n triangles in one buffer (drawArrays)
    points      n points of 6 px (drawArrays(POINTS))

It prints the renderer chromium reports (on a machine without a GPU: ANGLE on SwiftShader,
software) and the median ms per frame of 7 (the first, which compiles, left out). This is the
floor under every WebGL figure here: a frame of an explorer with 2 x 10^4 ScatterGL markers
cannot be committed faster than 2 x 10^4 instances (bench_many_groups' "painted").
Figures are printed, never asserted.

    .venv/bin/python benchmarks/bench_webgl.py [--sizes 100 1000 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
import _lab  # noqa: E402  (the browser tests' harness: chromium start-up)

RENDERER = """() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return 'no WebGL2';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
}"""

FRAMES = """([n, how, frames]) => {
    const canvas = document.createElement('canvas');
    canvas.width = 1200;
    canvas.height = 460;
    document.body.appendChild(canvas);
    const gl = canvas.getContext('webgl2', {antialias: true});
    const compile = (type, src) => {
        const s = gl.createShader(type);
        gl.shaderSource(s, src);
        gl.compileShader(s);
        if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
        return s;
    };
    const instanced = how === 'instanced';
    const vs = `#version 300 es
        in vec2 corner; in vec2 centre;
        void main() {
            gl_Position = vec4(centre + ${instanced ? 'corner * 0.006' : 'vec2(0.0)'}, 0.0, 1.0);
            gl_PointSize = 6.0;
        }`;
    const fs = `#version 300 es
        precision highp float; out vec4 colour;
        void main() { colour = vec4(0.0, 0.45, 0.7, 1.0); }`;
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, vs));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(program);
    gl.useProgram(program);
    const buffer = (name, data, divisor) => {
        gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
        gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
        const at = gl.getAttribLocation(program, name);
        gl.enableVertexAttribArray(at);
        gl.vertexAttribPointer(at, 2, gl.FLOAT, false, 0, 0);
        gl.vertexAttribDivisor(at, divisor);
    };
    const centres = new Float32Array(2 * n).map(() => Math.random() * 1.8 - 0.9);
    let draw;
    if (instanced) {
        buffer('corner', new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), 0);
        buffer('centre', centres, 1);
        draw = () => gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, n);
    } else if (how === 'triangles') {
        const d = 0.006, quads = new Float32Array(12 * n);
        for (let i = 0; i < n; i++) {
            const x = centres[2 * i], y = centres[2 * i + 1];
            quads.set([x - d, y - d, x + d, y - d, x - d, y + d,
                       x + d, y - d, x + d, y + d, x - d, y + d], 12 * i);
        }
        buffer('centre', quads, 0);
        draw = () => gl.drawArrays(gl.TRIANGLES, 0, 6 * n);
    } else {
        buffer('centre', centres, 0);
        draw = () => gl.drawArrays(gl.POINTS, 0, n);
    }
    const pixel = new Uint8Array(4), times = [];
    for (let f = 0; f < frames; f++) {
        const t = performance.now();
        gl.clearColor(1, 1, 1, 1);
        gl.clear(gl.COLOR_BUFFER_BIT);
        draw();
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
        times.push(performance.now() - t);
    }
    canvas.remove();
    return times;
}"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    args = parser.parse_args(argv)
    if missing := _lab.browser_missing():
        print(f"bench_webgl: cannot run: {missing}")
        return 1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _lab.launch_chromium(pw)
        try:
            page = browser.new_page()
            page.goto("about:blank")
            print(
                f"bench_webgl: headless chromium ({' '.join(_lab.CHROMIUM_ARGS)}), renderer "
                f"{page.evaluate(RENDERER)}; ms per frame (clear, one draw, readPixels), median "
                f"of 7 ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
            )
            print(f"  {'markers':>8} {'instanced':>10} {'triangles':>10} {'points':>10}")
            for n in args.sizes:
                row = [
                    statistics.median(page.evaluate(FRAMES, [n, how, 8])[1:])
                    for how in ("instanced", "triangles", "points")
                ]
                print(f"  {n:>8} " + " ".join(f"{ms:10.1f}" for ms in row), flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
