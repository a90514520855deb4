"""Kernel time of one move of the forest explorer, printed beside metafor's rma() and
leave1out() timed in the same run through Rscript (no timed assertions anywhere).

    python benchmarks/bench_forest.py                 # BCG (k = 13) and teacher expectancy (19)
    python benchmarks/bench_forest.py --no-metafor

Moves, each timed on the state alone (``ForestState``: the model calls and the frame) and on
the whole explorer (state, the three bqplot views and the controls; widgets outside a kernel
send nothing, so this is the Python side of a move without the websocket):

    tau2 move        the slider's tau2 (method "fixed"): one meta_analysis(tau2=) and blup
    estimator        REML <-> DL: one meta_analysis(method=)
    click (new)      leave a study out, then put it back, as if no set of studies but all
                     was ever seen: the fit on the others (the fit with all studies, the
                     readout's reference, is kept) and the tau2 of all nine estimators on
                     them (the ticks)
    click (again)    a set seen before: its fit and its ticks cached, the widgets' work only

metafor on the same data: rma(yi, vi, method) (the estimator switch), rma(yi, vi, tau2=)
(a tau2 move), rma(yi[-i], vi[-i]) (one click) and leave1out(rma(...)) (all k clicks), each
the mean of many calls inside one system.time(). Goal: a click under 2 ms.
Figures are medians of interleaved repeats (bench_model.medians), the explorer's also the best
repeat ("best": what a move costs when no other process takes the core); "explorer CPU" is the
process's CPU time per move (time.process_time), which waiting for a busy core does not
inflate; "messages" the messages the explorer sends to the browser for one move (comms
replaced by recorders, as in bench_slopes.py). The load average is printed first: on a shared
machine every figure but the messages moves with it. The moves run inside a running asyncio
event loop, as a kernel handles a widget message: there the explorer's live region (the words
a screen reader says) speaks once, 0.6 s after the last move of a burst, not on every move;
its cost is printed on a line of its own ("live region").
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import ipywidgets.widgets.widget as widget_module
import numpy as np
from bench_model import medians, per_call, show

import shrinkviz as sv
from shrinkviz.widgets.state.forest import ForestState

R_CODE = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
n <- as.integer(args[2])
each <- function(expr) {
  e <- substitute(expr)
  system.time(for (i in seq_len(n)) eval(e))[["elapsed"]] / n
}
cat("rma_REML", each(rma(d$y, d$v, method = "REML")), "\n")
cat("rma_DL", each(rma(d$y, d$v, method = "DL")), "\n")
cat("rma_tau2", each(rma(d$y, d$v, tau2 = 0.2)), "\n")
cat("rma_click", each(rma(d$y[-4], d$v[-4], method = "REML")), "\n")
fit <- rma(d$y, d$v, method = "REML")
cat("leave1out", each(leave1out(fit)), "\n")
"""


def metafor(y, v, n: int) -> dict[str, float] | str:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "d.csv")
        np.savetxt(
            data, np.column_stack([y, v]), delimiter=",", header="y,v", comments="", fmt="%.17g"
        )
        script = Path(tmp, "bench.R")
        script.write_text(R_CODE)
        try:
            res = subprocess.run(
                ["Rscript", str(script), str(data), str(n)], capture_output=True, text=True
            )
        except FileNotFoundError:
            return "Rscript not found"
    if res.returncode != 0:
        return res.stderr.strip()[-300:]
    return {k: float(t) for k, t in (line.split() for line in res.stdout.splitlines())}


def medians_and_best(*fs, repeat: int) -> tuple[list[float], list[float]]:
    """bench_model.medians with the best repeat of each f too."""
    timers = [per_call(f)[0] for f in fs]
    times = [[] for _ in fs]
    for _ in range(repeat):
        for timer, t in zip(timers, times, strict=True):
            t.append(timer())
    return [statistics.median(t) for t in times], [min(t) for t in times]


def cpu_per_call(f, n: int = 31) -> float:
    """CPU seconds of this process per call (time.process_time): on a loaded machine the
    wall-clock figures include waiting for a core, this does not."""
    start = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - start) / n


def moves(make, k: int) -> dict:
    """The four moves as functions that each make one move (alternating so every call
    moves), each on its own explorer or state from ``make()``: (state, click)."""
    flip = {"tau2": False, "method": False, "new": 0, "again": False}
    states = [make() for _ in range(4)]

    def tau2(state=states[0][0]):
        flip["tau2"] = not flip["tau2"]
        state.tau2 = 0.2 if flip["tau2"] else 0.3

    def method(state=states[1][0]):
        flip["method"] = not flip["method"]
        state.method = "DL" if flip["method"] else "REML"

    def click_new(state=states[2][0], target=states[2][1]):
        state._estimates.clear()  # as if this set of studies was never seen
        for left_out in [out for out in state._fits if out]:
            del state._fits[left_out]
        flip["new"] = (flip["new"] + 1) % (2 * k)
        target(flip["new"] // 2)

    def click_again(target=states[3][1]):
        flip["again"] = not flip["again"]
        target(3)

    return {
        "tau2 move": tau2,
        "estimator": method,
        "click (new)": click_new,
        "click (again)": click_again,
    }


class _Recorder:
    """Stands in for a kernel comm: counts the messages a move sends (bench_slopes' too)."""

    kernel = "bench"
    sent: list = []

    def __init__(self, **kwargs):
        self.comm_id = "c"

    def send(self, data=None, buffers=None, **kwargs):
        self.sent.append(sum(memoryview(b).nbytes for b in buffers or ()))

    def open(self, *a, **k):
        pass

    on_msg = close = open


def messages(make, k: int) -> list[int]:
    """Messages to the browser of each move (the third of three of its kind), on explorers
    whose comms are recorders."""
    create = widget_module.comm.create_comm
    widget_module.comm.create_comm = _Recorder
    try:
        counts = []
        for move in moves(make, k).values():
            for _ in range(3):
                _Recorder.sent.clear()
                move()
            counts.append(len(_Recorder.sent))
        return counts
    finally:
        widget_module.comm.create_comm = create


def bench(name: str, y, v, labels, have_r: bool):
    k = len(y)

    def state():
        s = ForestState(y, v, labels=labels)
        return s, s.toggle

    def explorer():
        ex = sv.ForestExplorer.from_meta(y, v, labels=labels)
        return ex.state, ex.click

    on_state, on_explorer = moves(state, k), moves(explorer, k)
    ours_state = medians(*on_state.values(), repeat=31)
    ours_explorer, best_explorer = medians_and_best(*on_explorer.values(), repeat=31)
    cpu = [cpu_per_call(f) for f in on_explorer.values()]
    sent = messages(explorer, k)
    theirs = metafor(y, v, 300) if have_r else {}
    if isinstance(theirs, str):
        print(f"  metafor failed: {theirs}")
        theirs = {}
    r_of = {
        "tau2 move": "rma_tau2",
        "estimator": "rma_REML",
        "click (new)": "rma_click",
        "click (again)": "rma_click",
    }
    print(f"\n{name} (k = {k}): kernel time of one move, median of 31")
    print(
        f"{'move':>14} {'state':>12} {'explorer':>12} {'(best)':>12} {'explorer CPU':>13}"
        f" {'messages':>9}   metafor (the same numbers)"
    )
    for (move, t_state), t_expl, t_best, t_cpu, n_sent in zip(
        zip(on_state, ours_state, strict=True), ours_explorer, best_explorer, cpu, sent, strict=True
    ):
        ref = theirs.get(r_of[move])
        r = f"{show(ref)}  {r_of[move]}" if ref is not None else "-"
        print(
            f"{move:>14} {show(t_state):>12} {show(t_expl):>12} {show(t_best):>12}"
            f" {show(t_cpu):>13} {n_sent:>9}   {r}"
        )
    if theirs:
        print(
            f"{'':>14} metafor rma(method='DL') {show(theirs['rma_DL'])}; leave1out(rma) "
            f"(all {k} clicks at once) {show(theirs['leave1out'])}"
        )
    ex = sv.ForestExplorer.from_meta(y, v, labels=labels)
    calls = itertools.count()

    def speak():  # (a text other than the last one each time: each is a message)
        ex.live.value = ex._describe_change(None, ex.state.snapshot) + " " * (next(calls) % 2)

    (t_speak,) = medians(speak, repeat=31)
    print(f"{'live region':>14} {'':>12} {show(t_speak):>12}   once per burst, 0.6 s after it")
    fit = sv.meta_analysis(y, v)
    (l1o,) = medians(fit.leave1out, repeat=31)
    print(f"{'':>14} shrinkviz MetaAnalysis.leave1out() (all {k} at once) {show(l1o)}")


def main():
    asyncio.run(_main())


async def _main():
    # a running loop, as in a kernel: the live region's timer is set, and never fires here
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-metafor", action="store_true")
    a = p.parse_args()
    print(
        "load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f} on {} cores".format(
            *os.getloadavg(), os.cpu_count()
        )
    )
    df = sv.data.bcg()
    es = sv.effect_sizes_frame(df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    bench("BCG", es.yi, es.vi, list(df["author"]), not a.no_metafor)
    te = sv.data.teacher_expectancy()
    bench(
        "teacher expectancy",
        te["yi"].to_numpy(),
        te["vi"].to_numpy(),
        list(te["label"]),
        not a.no_metafor,
    )


if __name__ == "__main__":
    main()
