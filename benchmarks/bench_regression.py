"""Timing of pooling_fit and its O(J) update; lme4's lmer on radon timed inside R, same run.

    python benchmarks/bench_regression.py

Goals (issue 3): an update for radon under 0.2 ms; a full REML fit on radon faster than lmer.
Issue 18: the REML re-estimate on the rows in use from the group sums (``update(n=,
estimate=)``, what the "fit" button does) against a fresh fit on those rows (what it did).
Figures are medians over repeats (each repeat the mean of a loop of calls).
"""

from __future__ import annotations

import shutil
import subprocess
import timeit
from importlib import resources

import numpy as np

import shrinkviz as sv


def median_seconds(fn, repeat: int = 7, min_time: float = 0.2) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(number, int(np.ceil(number * min_time / 0.2)))
    return float(np.median(timer.repeat(repeat, number)) / number)


def show(label: str, seconds: float) -> None:
    print(f"  {label:<52} {seconds * 1e3:10.4f} ms")


def simulated(J: int, N: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    group = np.sort(rng.integers(0, J, N))
    rng.shuffle(group)  # rows of a group spread over the data, as in a real file
    x = rng.integers(0, 2, N).astype(float)
    alpha = rng.normal(1.5, 0.3, J)
    y = alpha[group] - 0.7 * x + rng.normal(0.0, 0.75, N)
    return x, y, group


LMER = r"""
suppressPackageStartupMessages(library(lme4))
d <- read.csv("{csv}")
fit <- function() lmer(log_radon ~ floor + (1 | county), data = d, REML = TRUE)
invisible(fit())  # warm-up: packages loaded, methods cached
per_fit <- replicate(7, {{ t <- system.time(for (i in 1:10) fit())[["elapsed"]]; t / 10 }})
cat(median(per_fit), "\n")
"""


def lmer_seconds() -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with resources.as_file(resources.files("shrinkviz.data") / "radon.csv") as csv:
        out = subprocess.run(
            ["Rscript", "-e", LMER.format(csv=csv)], capture_output=True, text=True, check=True
        )
    return float(out.stdout.split()[-1])


def main() -> None:
    radon = sv.data.radon()
    x, y, g = radon.floor.to_numpy(), radon.log_radon.to_numpy(), radon.county.to_numpy()
    fit = sv.pooling_fit(x, y, g)
    n3 = np.minimum(fit.n, 3)
    print(f"radon: N = {len(y)}, J = {len(fit.groups)}")
    show("update(tau2=...)", median_seconds(lambda: fit.update(tau2=0.2)))
    show("update(n=...)", median_seconds(lambda: fit.update(n=n3)))
    show(
        "update(sigma2=..., tau2=..., n=...)",
        median_seconds(lambda: fit.update(sigma2=0.5, tau2=0.2, n=n3)),
    )
    show(
        "REML on the first 3 rows: update(n=..., estimate=)",
        median_seconds(lambda: fit.update(n=n3, estimate="REML")),
    )
    used = fit.update(n=n3).used()
    show(
        "REML on the first 3 rows: pooling_fit(rows in use)",
        median_seconds(lambda: sv.pooling_fit(x[used], y[used], g[used])),
    )
    ours = median_seconds(lambda: sv.pooling_fit(x, y, g), min_time=1.0)
    show("full REML fit: pooling_fit(x, y, group)", ours)
    lmer = lmer_seconds()
    if lmer is None:
        print("  lme4 lmer: Rscript not found")
    else:
        show("lme4 lmer(log_radon ~ floor + (1 | county)), in R", lmer)
        print(f"  lmer / pooling_fit: {lmer / ours:.1f}x")

    J, N = 10_000, 1_000_000
    xs, ys, gs = simulated(J, N)
    print(f"simulated: N = {N}, J = {J}")
    big = sv.pooling_fit(xs, ys, gs)
    half = big.n // 2
    show("update(tau2=...)", median_seconds(lambda: big.update(tau2=0.05)))
    show("update(n=...)", median_seconds(lambda: big.update(n=half)))
    show(
        "REML on half the rows: update(n=..., estimate=)",
        median_seconds(lambda: big.update(n=half, estimate="REML"), repeat=3),
    )
    used = big.update(n=half).used()
    show(
        "REML on half the rows: pooling_fit(rows in use)",
        median_seconds(
            lambda: sv.pooling_fit(xs[used], ys[used], gs[used]), repeat=3, min_time=0.0
        ),
    )
    show(
        "full REML fit: pooling_fit(x, y, group)",
        median_seconds(lambda: sv.pooling_fit(xs, ys, gs), repeat=3, min_time=0.0),
    )


if __name__ == "__main__":
    main()
