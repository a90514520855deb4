"""Timing of slopes_fit (varying intercepts and slopes) and its O(J) update; lme4's lmer on
the same data timed inside R, in the same run.

    python benchmarks/bench_slopes.py

Goals (issue 11): a full REML fit at least 10x faster than lmer on sleepstudy and radon;
update at J = 10^4 under 1 ms, and no slower with N = 10^6 rows than with N = 2 * 10^4;
kernel time per slider move of the SlopesExplorer on sleepstudy under 2 ms. A move is timed
as the browser's update arrives (``set_state`` on the slider, comms replaced by recorders:
the Python side only, from the slider's observers through the one model call to the last
binary message), with the messages and bytes it sends. The moves run inside a running asyncio
event loop, as a kernel handles a widget message: there the explorer's live region (the words
a screen reader says) speaks once, 0.6 s after the last move of a burst, not on every move;
its cost is printed on a line of its own ("live region").
update(n=) at N = 2 * 10^4 may print slower than at N = 10^6 when it runs first: each update
allocates (3, J) temporaries of 240 kB, which glibc serves by mmap (page faults each time)
until a freed block of a few MB raises its dynamic mmap threshold; the N = 10^6 data does that,
a kernel that has loaded any data set too (measured: 2.1 ms cold, 0.93 ms after freeing 16 MB).
Figures are medians over repeats (each repeat the mean of a loop of calls), as CPU time of
this process (and of R's, user + system) beside wall-clock time: on a shared machine wall time
also counts the waits for a core, CPU time does not. The fits beside lmer also print their
best repeat (the least disturbed by other processes) and the ratios of both. sleepstudy is
balanced, so its fit is a closed form that one Newton evaluation confirms; the line under it
times the three-start search that a data set with unequal groups needs instead. The load
average is printed first and after the fits beside lmer.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import time
import timeit
from importlib import resources
from unittest import mock

import ipywidgets.widgets.widget as widget_module
import numpy as np

import shrinkviz as sv
from shrinkviz.model import slopes
from shrinkviz.model.slopes import slopes_fit


def repeats(fn, repeat: int = 7, min_time: float = 0.2) -> tuple[list, list]:
    """(CPU, wall) seconds per call in each repeat (each the mean of a loop of calls)."""
    number, _ = timeit.Timer(fn).autorange()
    number = max(number, int(np.ceil(number * min_time / 0.2)))
    cpu, wall = (
        [t / number for t in timeit.Timer(fn, timer=clock).repeat(repeat, number)]
        for clock in (time.process_time, time.perf_counter)
    )
    return cpu, wall


def median_seconds(fn, repeat: int = 7, min_time: float = 0.2) -> tuple[float, float]:
    """(CPU, wall) seconds per call, medians over repeats."""
    cpu, wall = repeats(fn, repeat, min_time)
    return float(np.median(cpu)), float(np.median(wall))


def show(label: str, seconds: tuple[float, float]) -> None:
    cpu, wall = seconds
    print(f"  {label:<50} {cpu * 1e3:10.4f} ms CPU {wall * 1e3:10.4f} ms wall")


def show_spread(label: str, times: tuple[list, list]) -> None:
    """Medians, and the best repeat (the least disturbed by other processes)."""
    show(label, (float(np.median(times[0])), float(np.median(times[1]))))
    show("  best repeat", (min(times[0]), min(times[1])))


# lmer with its defaults, as a user calls it; the model frame is built inside each call.
LMER = r"""
suppressPackageStartupMessages(library(lme4))
d <- read.csv("{csv}")
d${group} <- factor(d${group})
fit <- function() lmer({y} ~ {x} + (1 + {x} | {group}), data = d, REML = TRUE)
invisible(fit())  # warm-up: packages loaded, methods cached
times <- replicate(7, {{ t <- system.time(for (i in 1:10) fit()); t / 10 }})
cat(times["user.self", ] + times["sys.self", ], "\n")
cat(times["elapsed", ], "\n")
"""


def lmer_seconds(name: str, x: str, y: str, group: str) -> tuple[list, list] | None:
    """(CPU, wall) seconds per lmer call in each of 7 repeats, timed inside R."""
    if shutil.which("Rscript") is None:
        return None
    with resources.as_file(resources.files("shrinkviz.data") / f"{name}.csv") as csv:
        code = LMER.format(csv=csv, x=x, y=y, group=group)
        out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    cpu, wall = out.stdout.strip().splitlines()[-2:]
    return [float(t) for t in cpu.split()], [float(t) for t in wall.split()]


def versus_lmer(name: str, df, x: str, y: str, group: str) -> None:
    xs, ys, gs = df[x].to_numpy(), df[y].to_numpy(), df[group].to_numpy()
    fit = slopes_fit(xs, ys, gs)
    print(f"{name}: N = {len(ys)}, J = {len(fit.groups)}, lmer({y} ~ {x} + (1 + {x} | {group}))")
    ours = repeats(lambda: slopes_fit(xs, ys, gs), min_time=1.0)
    show_spread("full REML fit: slopes_fit(x, y, group)", ours)
    if slopes._balanced(fit._m, fit._m.sx, True, None) is not None:
        with mock.patch.object(slopes, "_balanced", lambda *args: None):
            show(
                "  without the closed form: the three-start search",
                median_seconds(lambda: slopes_fit(xs, ys, gs), min_time=1.0),
            )
    lmer = lmer_seconds(name, x, y, group)
    if lmer is None:
        print("  lme4 lmer: Rscript not found")
    else:
        show_spread("lme4 lmer (REML, default controls), in R", lmer)
        (c, w), (oc, ow) = ([np.median(t) for t in lmer]), ([np.median(t) for t in ours])
        print(f"  lmer / slopes_fit, medians: {c / oc:.1f}x (CPU), {w / ow:.1f}x (wall)")
        (c, w), (oc, ow) = ([min(t) for t in lmer]), ([min(t) for t in ours])
        print(f"  lmer / slopes_fit, best repeats: {c / oc:.1f}x (CPU), {w / ow:.1f}x (wall)")
    n2 = np.minimum(fit.n, 2)
    S = fit.Sigma * 1.5
    show("update(Sigma=...)", median_seconds(lambda: fit.update(Sigma=S)))
    show("update(n=...)", median_seconds(lambda: fit.update(n=n2)))


def simulated(J: int, N: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    group = np.concatenate([np.arange(J), rng.integers(0, J, N - J)])  # every group has rows
    rng.shuffle(group)
    x = rng.integers(0, 10, N).astype(float)
    alpha, beta = rng.multivariate_normal([250.0, 10.0], [[600.0, 10.0], [10.0, 35.0]], J).T
    y = alpha[group] + beta[group] * x + rng.normal(0.0, 25.0, N)
    return x, y, group


class _Recorder:
    """Stands in for a kernel comm: counts the messages and their binary bytes."""

    kernel = "bench"
    sent: list = []

    def __init__(self, **kwargs):
        self.comm_id = "c"  # (one id for all: the bench counts messages, not their widgets)

    def send(self, data=None, buffers=None, **kwargs):
        self.sent.append(sum(memoryview(b).nbytes for b in buffers or ()))

    def open(self, *a, **k):
        pass

    on_msg = close = open


def explorer_moves(name: str, make, repeats: int = 60) -> None:
    """Kernel time of one slider move of a SlopesExplorer (median and 90th percentile, ms),
    the moves made inside a running event loop, as in a kernel."""
    asyncio.run(_explorer_moves(name, make, repeats))


async def _explorer_moves(name: str, make, repeats: int) -> None:
    create = widget_module.comm.create_comm
    widget_module.comm.create_comm = _Recorder
    try:
        e = make()
        c = e.controls
        print(f"SlopesExplorer.{name}(): kernel time per slider move (J = {len(e.state.labels)})")
        moves = {
            "pooling (Σ ×) slider": (c.scale.slider, "index", [20, 35, 10, 28, 40, 15]),
            "ρ slider": (c.rho, "value", [-0.5, 0.2, 0.6, -0.1, 0.35, -0.3]),
            "τ_α slider": (c.tau_alpha, "value", [c.tau_alpha.max * f for f in (0.2, 0.6, 0.4)]),
            "τ_β slider": (c.tau_beta, "value", [c.tau_beta.max * f for f in (0.2, 0.6, 0.4)]),
            "σ² slider": (c.sigma2, "value", [f * e.state.sigma2 for f in (0.5, 2, 0.8, 1.5)]),
            "rows used n_j slider": (None, None, [f * c.n.max for f in (0.2, 1, 0.5, 0.8)]),
        }
        for label, (widget, trait, values) in moves.items():
            times, cpu, counts, sizes = [], [], [], []
            for i in range(repeats):
                _Recorder.sent.clear()
                v = values[i % len(values)]
                if widget is None:  # a new slider per selected group: take the current one
                    widget, trait = c.n, "value"
                    v = max(1, round(v))
                t0, c0 = time.perf_counter(), time.process_time()
                widget.set_state({trait: v})  # as the browser's update arrives
                cpu.append(time.process_time() - c0)
                times.append(time.perf_counter() - t0)
                counts.append(len(_Recorder.sent))
                sizes.append(sum(_Recorder.sent))
                assert e.state.error == "", e.state.error
            ms, cpu_ms = np.array(times) * 1e3, np.array(cpu) * 1e3
            print(
                f"  {label:<22} CPU median {np.median(cpu_ms):6.2f} ms; wall median "
                f"{np.median(ms):6.2f} ms, 90% {np.percentile(ms, 90):6.2f} ms; "
                f"{int(np.median(counts))} messages, {int(np.median(sizes))} bytes binary"
            )
        calls = itertools.count()

        def speak():  # (a text other than the last one each time: each is a message)
            e.live.value = e._describe_change(None, e.state.snapshot) + " " * (next(calls) % 2)

        _Recorder.sent.clear()
        speak()
        show(f"live region, once per burst ({len(_Recorder.sent)} message)", median_seconds(speak))
        state = e.state
        state_ms = median_seconds(lambda: state._compute())
        show("state recompute alone (one update call)", state_ms)
    finally:
        widget_module.comm.create_comm = create


def main() -> None:
    print(
        "load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f} on {} cores".format(
            *os.getloadavg(), os.cpu_count()
        )
    )
    versus_lmer("sleepstudy", sv.data.sleepstudy(), "Days", "Reaction", "Subject")
    versus_lmer("radon", sv.data.radon(), "floor", "log_radon", "county")
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    explorer_moves("sleepstudy", sv.SlopesExplorer.sleepstudy)
    explorer_moves("radon", sv.SlopesExplorer.radon)

    J = 10_000
    for N in (20_000, 1_000_000):
        at_scale(J, N)


def at_scale(J: int, N: int) -> None:
    x, y, g = simulated(J, N)
    print(f"simulated: N = {N}, J = {J}")
    fit = slopes_fit(x, y, g)
    S = fit.Sigma * 1.5
    half = fit.n // 2 + 1
    show("update(Sigma=...)", median_seconds(lambda: fit.update(Sigma=S)))
    show(
        "update(sigma2=..., Sigma=...)",
        median_seconds(lambda: fit.update(sigma2=fit.sigma2 * 0.9, Sigma=S)),
    )
    show("update(n=...)", median_seconds(lambda: fit.update(n=half)))
    show(
        "full REML fit: slopes_fit(x, y, group)",
        median_seconds(lambda: slopes_fit(x, y, g), repeat=3, min_time=0.0),
    )


if __name__ == "__main__":
    main()
