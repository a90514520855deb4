"""Kernel-side latency of the counts explorer: a prior-size slider move, from the browser's
update to the messages sent, beside the shrinkage explorer's tau2 move on the same groups.

The comms are recorders (no kernel, no browser): the time is the Python side only (the slider's
observers, one ``with_prior`` call and the selected group's interval, the views' array
comparisons, the binary messages of the changed marks, the readout). The reference in the same
run is ``ShrinkageExplorer`` on the same groups under lesson 04's normal approximation
(y_j / n_j with v_j = p(1 - p) / n_j): the normal model's tau2 move, drawn the same way.
Goal (issue 17): under 2 ms of kernel time per move at 3,000 groups for the model and state.
The first row's build time includes importing the widgets and the first full-Bayes fit.

    .venv/bin/python benchmarks/bench_counts_explorer.py
"""

from __future__ import annotations

import itertools
import time

import ipywidgets.widgets.widget as widget_module
import numpy as np

import shrinkviz as sv


class _Recorder:
    kernel = "bench"
    _ids = itertools.count()

    def __init__(self, sent, **kwargs):
        self.comm_id, self.sent = f"c{next(self._ids)}", sent

    def send(self, data=None, buffers=None, **kwargs):
        self.sent.append(sum(memoryview(b).nbytes for b in buffers or ()))

    def open(self, *a, **k):
        pass

    on_msg = close = open


def _moves(slider, sent, repeats: int):
    """Median and 90th percentile of a slider move (ms), messages and bytes per move."""
    positions = [10, 30, 20, 45, 5, 35]
    slider.index = positions[-1]
    times, counts, sizes = [], [], []
    for i in range(repeats):
        sent.clear()
        t0 = time.perf_counter()
        slider.set_state({"index": positions[i % len(positions)]})  # as the browser does
        times.append(time.perf_counter() - t0)
        counts.append(len(sent))
        sizes.append(sum(sent))
    ms = np.array(times) * 1e3
    return np.median(ms), np.percentile(ms, 90), int(np.median(counts)), int(np.median(sizes))


def _compute_ms(state, repeats: int) -> float:
    """Median ms of one recompute of the state alone (model call and frame, no views)."""
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state._compute()
        ms.append(time.perf_counter() - t0)
    return float(np.median(ms) * 1e3)


def _normal(y, n):
    """Lesson 04's normal approximation of proportions: y / n, v = p(1 - p) / n."""
    p = y.sum() / n.sum()
    return y / n, p * (1 - p) / n


def main() -> None:
    sent: list = []
    widget_module.comm.create_comm = lambda **kw: _Recorder(sent, **kw)
    rats = sv.data.rat_tumors()
    y, n = rats["y"].to_numpy(float), rats["n"].to_numpy(float)
    rng = np.random.default_rng(2027)  # lesson 09's counties
    population = np.round(10 ** rng.uniform(3, 6, 3000))
    deaths = rng.poisson(rng.gamma(20, 1e-4 / 20, 3000) * population).astype(float)
    rng = np.random.default_rng(7)
    n3 = rng.integers(5, 200, 3000).astype(float)
    y3 = rng.binomial(n3.astype(int), rng.beta(3, 17, 3000)).astype(float)
    cases = [
        ("Counts  rat tumours", 71, lambda: sv.CountsExplorer.rat_tumors(), "size"),
        ("Shrinkage  rats, normal approx.", 71, lambda: _shrink(y, n), "tau2"),
        ("Counts  surgical", 12, lambda: sv.CountsExplorer.surgical(), "size"),
        (
            "Counts  3,000 proportions",
            3000,
            lambda: sv.CountsExplorer.from_counts(y3, n3, size_panel=False),
            "size",
        ),
        ("Shrinkage  same, normal approx.", 3000, lambda: _shrink(y3, n3), "tau2"),
        (
            "Counts  3,000 county rates",
            3000,
            lambda: sv.CountsExplorer.from_rates(deaths, population),
            "size",
        ),
    ]
    print(__doc__.splitlines()[0])
    print(__doc__.splitlines()[1])
    print(
        f"{'explorer':34s} {'J':>5s} {'build s':>8s} {'move ms (median / p90)':>24s} "
        f"{'state ms':>9s} {'msgs/move':>10s} {'bytes/move':>11s}"
    )
    for name, J, make, slider in cases:
        t0 = time.perf_counter()
        e = make()
        build = time.perf_counter() - t0
        s = e.controls.size.slider if slider == "size" else e.controls.tau2.slider
        repeats = 200 if J < 1000 else 60
        med, p90, count, size = _moves(s, sent, repeats)
        print(
            f"{name:34s} {J:5d} {build:8.2f} {med:12.2f} / {p90:8.2f} "
            f"{_compute_ms(e.state, repeats):9.3f} {count:10d} {size:11d}"
        )


def _shrink(y, n):
    raw, v = _normal(y, n)
    return sv.ShrinkageExplorer.from_meta(raw, v, tau_panel=False)


if __name__ == "__main__":
    main()
