"""Timing of meta_regression and predictor_fit beside metafor's rma(mods=) and lme4's lmer,
timed inside R in the same run, and of one tau2 move of the predictor explorer's kernel side.

    python benchmarks/bench_meta_regression.py

Goals (issue 16): meta-regression REML at k = 10^3 and 10^4 at least 100x faster than
metafor's ``rma(yi, vi, mods = X)``; a tau2 move with a predictor under 2 ms for BCG and radon.
Figures are medians over repeats (each repeat the mean of a loop of calls); R's are medians of
``system.time`` over the same data, written to a CSV file for it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import timeit
from importlib import resources
from pathlib import Path

import numpy as np

import shrinkviz as sv
from shrinkviz.widgets.state.predictors import PredictorState


def median_seconds(fn, repeat: int = 7, min_time: float = 0.2) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(number, int(np.ceil(number * min_time / 0.2)))
    return float(np.median(timer.repeat(repeat, number)) / number)


def show(label: str, seconds: float | None) -> None:
    text = "(Rscript not found)" if seconds is None else f"{seconds * 1e3:10.3f} ms"
    print(f"  {label:<58} {text}")


def simulated(k: int, seed: int = 16):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.25, k)
    X = np.column_stack([rng.normal(size=k), rng.uniform(0, 10, k)])
    y = rng.normal(0.3 + 0.4 * X[:, 0] - 0.05 * X[:, 1] + rng.normal(0, 0.3, k), np.sqrt(v))
    return y, v, X


RMA = r"""
suppressPackageStartupMessages(library(metafor))
d <- read.csv("{csv}")
fit <- function(d) rma(yi, vi, mods = ~ x1 + x2, data = d, method = "REML")
invisible(fit(d[1:20, ]))  # warm-up on a few rows: packages loaded, methods cached
per_fit <- replicate({reps}, system.time(fit(d))[["elapsed"]])
cat(median(per_fit), "\n")
"""

LMER = r"""
suppressPackageStartupMessages(library(lme4))
d <- read.csv("{csv}")
fit <- function() lmer(log_radon ~ floor + log_uranium + (1 | county), data = d, REML = TRUE)
invisible(fit())
per_fit <- replicate(7, {{ t <- system.time(for (i in 1:10) fit())[["elapsed"]]; t / 10 }})
cat(median(per_fit), "\n")
"""


def rscript(code: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def rma_seconds(y, v, X, reps: int) -> float | None:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "meta.csv"
        rows = np.column_stack([y, v, X])
        np.savetxt(csv, rows, delimiter=",", header="yi,vi,x1,x2", comments="", fmt="%.17g")
        return rscript(RMA.format(csv=csv, reps=reps))


def main() -> None:
    print("meta-regression, REML, two moderators (metafor's rma(yi, vi, mods = ~ x1 + x2)):")
    # metafor forms k-by-k matrices (P = W - W X (X'W X)^-1 X'W) in every Fisher scoring
    # step: O(k^3) time, and at k = 10^4 each matrix is 800 MB. It is timed at k = 300 and
    # 1000 only; at 10^4 the k^3 extrapolation from 1000 is printed, marked as such.
    rma_1000 = None
    for k, reps in ((300, 3), (1_000, 1), (10_000, 0)):
        y, v, X = simulated(k)
        ours = median_seconds(lambda: sv.meta_regression(y, v, X), repeat=5, min_time=0.0)
        show(f"k = {k}: shrinkviz meta_regression", ours)
        theirs = None
        if reps:
            theirs = rma_seconds(y, v, X, reps)
            show(f"k = {k}: metafor rma(mods=), in R", theirs)
            rma_1000 = theirs
        elif rma_1000 is not None:
            theirs = rma_1000 * (k / 1_000) ** 3
            show(f"k = {k}: metafor, extrapolated k^3 from k = 1000 (not run)", theirs)
        if theirs is not None:
            print(f"  {'metafor / shrinkviz':>58} {theirs / ours:10.0f}x")

    radon = sv.data.radon()
    cols = dict(x="floor", y="log_radon", group="county")
    print("radon, lmer(log_radon ~ floor + log_uranium + (1 | county)), REML:")
    ours = median_seconds(
        lambda: sv.predictor_fit_frame(radon, u="log_uranium", **cols), min_time=1.0
    )
    show("shrinkviz predictor_fit_frame", ours)
    with resources.as_file(resources.files("shrinkviz.data") / "radon.csv") as csv:
        theirs = rscript(LMER.format(csv=csv))
    show("lme4 lmer, in R", theirs)
    if theirs is not None:
        print(f"  {'':<58} {theirs / ours:10.1f}x")

    print("one tau2 move with a predictor (the explorer's kernel side):")
    bcg = sv.data.bcg()
    show(
        "BCG: regression_posterior(y, v, tau2, mods)",
        median_seconds(
            lambda: sv.regression_posterior(
                bcg.yi.to_numpy(), bcg.vi.to_numpy(), 0.1, bcg.ablat.to_numpy()
            )
        ),
    )
    state = PredictorState.from_meta(bcg.yi, bcg.vi, bcg.ablat)
    values = iter(np.tile(np.geomspace(1e-3, 1.0, 50), 100_000))
    show(
        "BCG: PredictorState, tau2 move (recompute + frame)",
        median_seconds(lambda: setattr(state, "tau2", next(values))),
    )
    with_u = sv.predictor_fit_frame(radon, u="log_uranium", **cols)
    show("radon: PredictorFit.update(tau2=...)", median_seconds(lambda: with_u.update(tau2=0.03)))
    state = PredictorState.from_fits(with_u, sv.predictor_fit_frame(radon, u=None, **cols))
    show(
        "radon: PredictorState, tau2 move (recompute + frame)",
        median_seconds(lambda: setattr(state, "tau2", next(values))),
    )


if __name__ == "__main__":
    main()
