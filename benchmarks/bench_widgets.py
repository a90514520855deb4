"""Kernel-side latency of the explorers: from a tau2 slider move to the messages being sent.

The comms are recorders (no kernel, no browser), so the time is the Python side only: the
slider's observers, one solver call, the views' array comparisons and the serialisation of
each changed mark into one binary message (plus the small readout texts and the Play
position). The move is applied as the browser's update arrives (``set_state``).
Goal: < 5 ms for radon's 85 counties.

    python benchmarks/bench_widgets.py
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
        self.sent.append((self.comm_id, data.get("method"), sum(memoryview(b).nbytes for b in buffers or ())))

    def open(self, *a, **k):
        pass

    on_msg = close = open


def _moves(explorer, sent, repeats: int):
    """Median and 90th percentile of a slider move (ms), messages and bytes per move."""
    slider = explorer.controls.tau2.slider
    positions = [10, 30, 20, 45, 5, 35]
    slider.index = positions[-1]
    times, counts, sizes = [], [], []
    for i in range(repeats):
        sent.clear()
        t0 = time.perf_counter()
        # as the frontend does: a state update from the browser (no echo back)
        slider.set_state({"index": positions[i % len(positions)]})
        times.append(time.perf_counter() - t0)
        counts.append(len(sent))
        sizes.append(sum(s for _, _, s in sent))
    ms = np.array(times) * 1e3
    return np.median(ms), np.percentile(ms, 90), int(np.median(counts)), int(np.median(sizes))


def _compute_ms(explorer, repeats: int) -> float:
    """Median ms of one recompute of the state (the solver call and its frame), no views."""
    state = explorer.state
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        state._compute()
        ms.append(time.perf_counter() - t0)
    return float(np.median(ms) * 1e3)


def main() -> None:
    sent: list = []
    widget_module.comm.create_comm = lambda **kw: _Recorder(sent, **kw)
    radon = sv.data.radon()
    big = sv.data.simulate_groups(10_000, np.random.default_rng(1).integers(1, 40, 10_000),
                                  sigma2=1.0, tau2=0.3, seed=2)
    rng = np.random.default_rng(3)
    big_x = rng.integers(0, 2, len(big)).astype(float)
    cases = [
        ("Shrinkage  eight schools", 8,
         lambda: sv.ShrinkageExplorer.eight_schools()),
        ("Shrinkage  radon counties", 85,
         lambda: sv.ShrinkageExplorer.from_frame(radon, y="log_radon", group="county")),
        ("Shrinkage  simulated", 10_000,
         lambda: sv.ShrinkageExplorer.from_frame(big, y="y", group="group")),
        ("PoolingLines  radon", 85, lambda: sv.PoolingLinesExplorer.radon()),
        ("PoolingLines  simulated", 10_000,
         lambda: sv.PoolingLinesExplorer(big_x, big.y.to_numpy() - 0.5 * big_x,
                                         big.group.to_numpy())),
    ]
    print(__doc__.splitlines()[0])
    print(f"{'explorer':28s} {'J':>6s} {'build s':>8s} {'move ms (median / p90)':>24s} "
          f"{'recompute ms':>13s} {'msgs/move':>10s} {'bytes/move':>11s}")
    for name, J, make in cases:
        t0 = time.perf_counter()
        e = make()
        build = time.perf_counter() - t0
        repeats = 300 if J < 1000 else 60
        med, p90, count, size = _moves(e, sent, repeats)
        print(f"{name:28s} {J:6d} {build:8.2f} {med:12.2f} / {p90:8.2f} "
              f"{_compute_ms(e, repeats):13.3f} {count:10d} {size:11d}")


if __name__ == "__main__":
    main()
