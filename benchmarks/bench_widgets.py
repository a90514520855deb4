"""Kernel-side latency of the explorers: from a tau2 slider move to the messages being sent.

The comms are recorders (no kernel, no browser), so the time is the Python side only: the
slider's observers, one solver call, the views' array comparisons and the serialisation of
each changed mark into one binary message (plus the small readout texts and the Play
position). The move is applied as the browser's update arrives (``set_state``).
Goal: < 5 ms for radon's 85 counties.

A second table times the states alone (the model call and the frame, no views, no comms):
one tau2 move and one n move of PoolingState and ShrinkageState, radon and J = 10^4. Run it
against another checkout to compare, e.g. ``PYTHONPATH=/tmp/old python ... --states``.

    python benchmarks/bench_widgets.py [--states]
"""

from __future__ import annotations

import itertools
import sys
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
        self.sent.append(
            (self.comm_id, data.get("method"), sum(memoryview(b).nbytes for b in buffers or ()))
        )

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


def _median_us(moves, repeats: int) -> float:
    us = []
    for i in range(repeats):
        t0 = time.perf_counter()
        moves[i % len(moves)]()
        us.append(time.perf_counter() - t0)
    return float(np.median(us) * 1e6)


def state_moves() -> None:
    """Kernel time of one move of a state alone: the traits set, one model call, one frame."""
    from shrinkviz.widgets.state import PoolingState, ShrinkageState

    radon = sv.data.radon()
    J = 10_000
    n_big = np.random.default_rng(1).integers(1, 40, J)
    big = sv.data.simulate_groups(J, n_big, sigma2=1.0, tau2=0.3, seed=2)
    x_big = np.random.default_rng(3).integers(0, 2, len(big)).astype(float)
    counts = radon.groupby("county", sort=False).log_radon.agg(["mean", "count"])
    cases = [
        (
            "PoolingState  radon",
            85,
            lambda: PoolingState(
                radon.floor.to_numpy(), radon.log_radon.to_numpy(), radon.county.to_numpy()
            ),
        ),
        (
            "PoolingState  simulated",
            J,
            lambda: PoolingState(x_big, big.y.to_numpy() - 0.5 * x_big, big.group.to_numpy()),
        ),
        (
            "ShrinkageState radon",
            85,
            lambda: ShrinkageState(
                counts["mean"].to_numpy(), n=counts["count"].to_numpy(), sigma2=0.64
            ),
        ),
        (
            "ShrinkageState simulated",
            J,
            lambda: ShrinkageState(np.random.default_rng(4).normal(0, 1, J), n=n_big, sigma2=1.0),
        ),
    ]
    print("State alone, kernel time per move (median, microseconds)")
    print(f"{'state':28s} {'J':>6s} {'tau2 move':>10s} {'n move':>10s}")
    for name, size, make in cases:
        s = make()
        tau2 = [0.01, 0.05, 0.2, 1.0, 0.1]
        j = int(np.argmax(s.n))
        sizes = [1, 3, 2, int(s.n[j]), 5]
        repeats = 3000 if size < 1000 else 300
        t = _median_us([lambda v=v, s=s: setattr(s, "tau2", v) for v in tau2], repeats)
        n = _median_us([lambda k=k, s=s, j=j: s.set_n(j, k) for k in sizes], repeats)
        print(f"{name:28s} {size:6d} {t:10.1f} {n:10.1f}")


def main() -> None:
    state_moves()
    if "--states" in sys.argv:
        return
    print()
    sent: list = []
    widget_module.comm.create_comm = lambda **kw: _Recorder(sent, **kw)
    radon = sv.data.radon()
    big = sv.data.simulate_groups(
        10_000, np.random.default_rng(1).integers(1, 40, 10_000), sigma2=1.0, tau2=0.3, seed=2
    )
    rng = np.random.default_rng(3)
    big_x = rng.integers(0, 2, len(big)).astype(float)
    cases = [
        ("Shrinkage  eight schools", 8, lambda: sv.ShrinkageExplorer.eight_schools()),
        (
            "Shrinkage  radon counties",
            85,
            lambda: sv.ShrinkageExplorer.from_frame(radon, y="log_radon", group="county"),
        ),
        (
            "Shrinkage  simulated",
            10_000,
            lambda: sv.ShrinkageExplorer.from_frame(big, y="y", group="group"),
        ),
        ("PoolingLines  radon", 85, lambda: sv.PoolingLinesExplorer.radon()),
        (
            "PoolingLines  simulated",
            10_000,
            lambda: sv.PoolingLinesExplorer(
                big_x, big.y.to_numpy() - 0.5 * big_x, big.group.to_numpy()
            ),
        ),
    ]
    print(__doc__.splitlines()[0])
    print(
        f"{'explorer':28s} {'J':>6s} {'build s':>8s} {'move ms (median / p90)':>24s} "
        f"{'recompute ms':>13s} {'msgs/move':>10s} {'bytes/move':>11s}"
    )
    for name, J, make in cases:
        t0 = time.perf_counter()
        e = make()
        build = time.perf_counter() - t0
        repeats = 300 if J < 1000 else 60
        med, p90, count, size = _moves(e, sent, repeats)
        print(
            f"{name:28s} {J:6d} {build:8.2f} {med:12.2f} / {p90:8.2f} "
            f"{_compute_ms(e, repeats):13.3f} {count:10d} {size:11d}"
        )


if __name__ == "__main__":
    main()
