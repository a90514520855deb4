"""Speed of the model layer, printed (no timed assertions anywhere).

    python benchmarks/bench_model.py                         # metafor at k = 10^3
    python benchmarks/bench_model.py --metafor-k 1000 10000  # also k = 10^4 (~ 50 min, ~ 8 GB in R)

1. posterior() for J = 10, 10^3, 10^6 next to the bare numpy formula (the floor)
       B = v / (v + tau2);  mean = (1 - B) y + B mu0;  var = B tau2
   timed in alternation in the same run. Goal: J = 10^6 within 2.5x the floor.
2. meta_analysis() with DL and REML for k = 8, 10^3, 10^4, 10^5. Goal: k = 10^5 well under 1 s.
3. metafor's rma() (DL and REML) on the same data through Rscript, timed inside R with
   system.time() around rma() only. Goal: REML at k = 10^4 >= 1000x faster than metafor.

Figures are medians of repeats of time.perf_counter(); each repeat runs a call enough times
to last >= 20 ms.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from time import perf_counter

import numpy as np

from shrinkviz import meta_analysis, posterior

R_TIMER = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
for (method in c("DL", "REML")) {
  reps <- if (method == "DL") as.integer(args[2]) else as.integer(args[3])
  t <- replicate(reps, system.time(rma(d$y, d$v, method = method))[["elapsed"]])
  cat(method, median(t), "\n")
}
"""


def per_call(f, min_time=0.02) -> tuple[callable, int]:
    """A timer of one repeat: calls f ``number`` times (>= min_time in all), returns s/call."""
    number = 1
    while True:
        t0 = perf_counter()
        for _ in range(number):
            f()
        if perf_counter() - t0 >= min_time:
            break
        number *= 2

    def one_repeat():
        t0 = perf_counter()
        for _ in range(number):
            f()
        return (perf_counter() - t0) / number

    return one_repeat, number


def medians(*fs, repeat=15):
    """Median seconds per call of each f, the repeats interleaved so load hits all alike."""
    timers = [per_call(f)[0] for f in fs]
    times = [[] for _ in fs]
    for _ in range(repeat):
        for timer, t in zip(timers, times, strict=False):
            t.append(timer())
    return [statistics.median(t) for t in times]


def show(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def floor(y, v, tau2, mu0):
    B = v / (v + tau2)
    mean = (1 - B) * y + B * mu0
    var = B * tau2
    return mean, var, B


def studies(k: int, seed: int = 1):
    """k studies of the random-effects model: v ~ U(0.01, 0.25), tau2 = 0.05, mu = 0.3."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.25, k)
    return 0.3 + rng.normal(0.0, np.sqrt(0.05 + v)), v


def bench_posterior():
    print("posterior(y, v, tau2) vs the bare numpy formula (floor), median of 15 repeats")
    print(
        f"{'J':>9} {'mu0 given':>12} {'floor':>12} {'ratio':>7} {'mu0 estimated':>14} {'ratio':>7}"
    )
    for J in (10, 10**3, 10**6):
        y, v = studies(J)
        tau2 = 0.05
        given, bare, estimated = medians(
            lambda: posterior(y, v, tau2, mu0=0.3),
            lambda: floor(y, v, tau2, 0.3),
            lambda: posterior(y, v, tau2),
        )
        print(
            f"{J:>9} {show(given):>12} {show(bare):>12} {given / bare:6.2f}x"
            f" {show(estimated):>14} {estimated / bare:6.2f}x"
        )


def time_meta(k: int) -> dict[str, float]:
    y, v = studies(k)
    return dict(
        zip(
            ("DL", "REML"),
            medians(lambda: meta_analysis(y, v, "DL"), lambda: meta_analysis(y, v, "REML")),
            strict=False,
        )
    )


def bench_meta(ks):
    print("\nmeta_analysis(y, v, method), median of 15 repeats")
    print(f"{'k':>9} {'DL':>12} {'REML':>12}")
    out = {k: time_meta(k) for k in ks}
    for k, t in out.items():
        print(f"{k:>9} {show(t['DL']):>12} {show(t['REML']):>12}")
    return out


def bench_metafor(ks, ours):
    if shutil.which("Rscript") is None:
        print("\nmetafor: Rscript not found, skipped")
        return
    print("\nmetafor rma() on the same data (Rscript; system.time around rma only, median)")
    print(
        f"{'method':>6} {'k':>7} {'repeats':>7} {'metafor':>12} {'shrinkviz':>12}"
        f" {'metafor/shrinkviz':>18}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "time_rma.R")
        script.write_text(R_TIMER)
        for k in ks:
            y, v = studies(k)
            if k not in ours:
                ours[k] = time_meta(k)
            data = Path(tmp, f"k{k}.csv")
            np.savetxt(
                data, np.column_stack([y, v]), delimiter=",", header="y,v", comments="", fmt="%.17g"
            )
            reps = {"DL": 5 if k <= 1000 else 1, "REML": 3 if k <= 1000 else 1}
            res = subprocess.run(
                ["Rscript", str(script), str(data), str(reps["DL"]), str(reps["REML"])],
                capture_output=True,
                text=True,
            )
            if res.returncode != 0:
                print(f"{'':>6} {k:>7} metafor failed: {res.stderr.strip()[-200:]}")
                continue
            for line in res.stdout.splitlines():
                method, seconds = line.split()
                theirs, mine = float(seconds), ours[k][method]
                print(
                    f"{method:>6} {k:>7} {reps[method]:>7} {show(theirs):>12} {show(mine):>12}"
                    f" {theirs / mine:17.0f}x"
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--metafor-k",
        type=int,
        nargs="*",
        default=[1000],
        help="k for the metafor comparison (none: skip it)",
    )
    args = parser.parse_args()
    bench_posterior()
    ours = bench_meta((8, 10**3, 10**4, 10**5))
    if args.metafor_k:
        bench_metafor(args.metafor_k, ours)


if __name__ == "__main__":
    main()
