"""Speed of effect_sizes() and MetaAnalysis.leave1out(), printed beside metafor's escalc() and
leave1out() timed in the same run through Rscript (no timed assertions anywhere).

    python benchmarks/bench_effect_sizes.py                     # k = 13 (BCG), 10^3, 10^4
    python benchmarks/bench_effect_sizes.py --leave1out-k 13 100 --no-metafor

1. effect_sizes(measure, ...) at k = 10^4 for RR, OR, RD (2x2 counts with zero cells),
   MD, SMD, ROM, ZCOR and PLO; metafor's escalc() on the same columns, timed inside R with
   system.time() around escalc() only. Goal: at least as fast as escalc.
2. leave1out() with DL and REML on the BCG trials (k = 13), at k = 10^3 and 10^4; metafor's
   leave1out(rma(...)) on the same data. metafor refits rma() on k - 1 studies k times, each
   fit with k x k matrices (one REML fit at k = 10^3 takes seconds, at 10^4 minutes and
   gigabytes), so above k = 100 its figure is k times one refit (the call leave1out makes,
   ``rma.uni(..., subset = -1)``): timed at k up to 2000, and beyond a lower bound, the
   refit at k = 2000 scaled by (k / 2000)^2 (each refit fills k x k matrices; the power
   two loaded timings show is too noisy to extrapolate by). The table says which.
   Goal: REML at k = 10^4 in seconds to a minute, where metafor needs days.
3. One study left out of BCG (the forest view's click): meta_analysis() on the 12 others.
   Goal: well under 2 ms.

Figures are medians of repeats of time.perf_counter() (see bench_model.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path
from time import perf_counter

import numpy as np
from bench_model import medians, show

import shrinkviz as sv
from shrinkviz import effect_sizes, meta_analysis

MEASURES = ("RR", "OR", "RD", "MD", "SMD", "ROM", "ZCOR", "PLO")

R_ESCALC = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
reps <- as.integer(args[2])
calls <- list(
  RR = quote(escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = d)),
  OR = quote(escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = d)),
  RD = quote(escalc("RD", ai = ai, bi = bi, ci = ci, di = di, data = d)),
  MD = quote(escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                     n2i = n2i, data = d)),
  SMD = quote(escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                     n2i = n2i, data = d)),
  ROM = quote(escalc("ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
                     n2i = n2i, data = d)),
  ZCOR = quote(escalc("ZCOR", ri = ri, ni = ni, data = d)),
  PLO = quote(escalc("PLO", xi = xi, ni = ni, data = d)))
for (m in names(calls)) {
  t <- replicate(reps, system.time(suppressWarnings(eval(calls[[m]])))[["elapsed"]])
  cat(m, median(t), "\n")
}
"""

R_LEAVE1OUT = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
# "all": the whole leave1out(); else, for each n, one of the k refits leave1out() makes
# on the first n studies (rma.uni on n - 1 of them, as leave1out calls it).
sizes <- if (args[2] == "all") "all" else as.integer(strsplit(args[2], ",")[[1]])
for (method in c("DL", "REML")) {
  for (n in sizes) {
    if (identical(n, "all")) {
      fit <- rma(d$y, d$v, method = method)
      cat(method, nrow(d), system.time(leave1out(fit))[["elapsed"]], "\n")
    } else {
      y <- d$y[1:n]
      v <- d$v[1:n]
      t <- system.time(rma.uni(y, v, method = method, subset = -1, skipr2 = TRUE))
      cat(method, n, t[["elapsed"]], "\n")
    }
  }
}
"""


def show_long(seconds: float) -> str:
    """show(), with hours and days for what takes that long."""
    for unit, scale in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 10 * scale if unit == "min" else seconds >= scale:
            return f"{seconds / scale:8.1f} {unit}"
    return show(seconds)


def tables(k: int, seed: int = 3) -> dict[str, np.ndarray]:
    """k studies of every kind: 2x2 counts (about 5% with a zero cell), two-group means,
    correlations, proportions."""
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(20, 400, k).astype(float), rng.integers(20, 400, k).astype(float)
    ai = rng.binomial(n1.astype(int), 0.08).astype(float)
    ci = rng.binomial(n2.astype(int), 0.12).astype(float)
    return dict(
        ai=ai,
        bi=n1 - ai,
        ci=ci,
        di=n2 - ci,
        m1i=rng.uniform(5, 15, k),
        m2i=rng.uniform(5, 15, k),
        sd1i=rng.uniform(1, 4, k),
        sd2i=rng.uniform(1, 4, k),
        n1i=n1,
        n2i=n2,
        ri=rng.uniform(-0.8, 0.8, k),
        ni=n1 + n2,
        xi=ai,
    )


ARGS = {
    "table": ("ai", "bi", "ci", "di"),
    "means": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "ZCOR": ("ri", "ni"),
    "PLO": ("xi", "ni"),
}


def columns_of(measure: str, t: dict) -> dict:
    key = (
        "table"
        if measure in ("RR", "OR", "RD")
        else "means"
        if measure in ("MD", "SMD", "ROM")
        else measure
    )
    return {name: t[name] for name in ARGS[key]}


def rscript(code: str, *args) -> dict[str, float] | str:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "bench.R")
        script.write_text(code)
        res = subprocess.run(
            ["Rscript", str(script), *map(str, args)], capture_output=True, text=True
        )
    if res.returncode != 0:
        return res.stderr.strip()[-300:]
    out = {}
    for line in res.stdout.splitlines():
        *key, t = line.split()
        out[key[0] if len(key) == 1 else (key[0], int(key[1]))] = float(t)
    return out


def bench_effect_sizes(k: int, have_r: bool):
    print(
        f"effect_sizes(measure, ...) at k = {k}, median of 15 repeats; "
        "metafor escalc() median of 15"
    )
    t = tables(k)
    calls = [(lambda m=m: effect_sizes(m, **columns_of(m, t))) for m in MEASURES]
    ours = dict(zip(MEASURES, medians(*calls), strict=True))
    theirs = {}
    if have_r:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp, "tables.csv")
            names = list(t)
            np.savetxt(
                data,
                np.column_stack([t[n] for n in names]),
                delimiter=",",
                header=",".join(names),
                comments="",
                fmt="%.17g",
            )
            theirs = rscript(R_ESCALC, data, 15)
        if isinstance(theirs, str):
            print(f"  metafor failed: {theirs}")
            theirs = {}
    print(f"{'measure':>8} {'shrinkviz':>12} {'metafor':>12} {'metafor/shrinkviz':>18}")
    for m in MEASURES:
        line = f"{m:>8} {show(ours[m]):>12}"
        if m in theirs:
            line += f" {show(theirs[m]):>12} {theirs[m] / ours[m]:17.1f}x"
        print(line)


def studies(k: int, seed: int = 1):
    """As bench_model.studies: v ~ U(0.01, 0.25), tau2 = 0.05, mu = 0.3."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.25, k)
    return 0.3 + rng.normal(0.0, np.sqrt(0.05 + v)), v


def save(path: Path, y, v) -> Path:
    np.savetxt(path, np.column_stack([y, v]), delimiter=",", header="y,v", comments="", fmt="%.17g")
    return path


def metafor_leave1out(ks, y, v, tmp: Path) -> tuple[dict, dict]:
    """metafor's leave1out time for each k (first k studies) and how it was obtained: measured
    whole for k <= 100; else k times one refit on k - 1 studies, that refit timed at k for
    k <= 2000 and, beyond, a lower bound: the refit at k = 2000 times (k / 2000)^2."""
    small = [k for k in ks if k <= 100]
    sizes = sorted({k for k in ks if 100 < k <= 2000} | ({2000} if max(ks) > 2000 else set()))
    times, how = {}, {}
    for k in small:
        got = rscript(R_LEAVE1OUT, save(tmp / f"k{k}.csv", y[:k], v[:k]), "all")
        if isinstance(got, str):
            return got, {}
        times.update(got)
        how.update({key: "measured" for key in got})
    if sizes:
        per_fit = rscript(R_LEAVE1OUT, save(tmp / "big.csv", y, v), ",".join(map(str, sizes)))
        if isinstance(per_fit, str):
            return per_fit, {}
        for method in ("DL", "REML"):
            for k in ks:
                if k in sizes:
                    times[method, k] = per_fit[method, k] * k
                    how[method, k] = "1 refit x k"
                elif k > 2000:
                    times[method, k] = per_fit[method, 2000] * (k / 2000) ** 2 * k
                    how[method, k] = ">= k x refit ~k^2"
    return times, how


def bench_leave1out(ks, have_r: bool):
    print(
        "\nleave1out() (DL, REML) beside metafor's leave1out(rma(...)); shrinkviz: median of 15"
        " below k = 1000, else one run"
    )
    bcg = sv.data.bcg()
    y_all, v_all = studies(max(ks))
    data = {
        k: (bcg.yi.to_numpy(), bcg.vi.to_numpy()) if k == len(bcg) else (y_all[:k], v_all[:k])
        for k in ks
    }
    theirs, how = {}, {}
    if have_r:
        with tempfile.TemporaryDirectory() as tmp:
            if len(bcg) in ks:
                got = rscript(R_LEAVE1OUT, save(Path(tmp, "bcg.csv"), *data[len(bcg)]), "all")
                if not isinstance(got, str):
                    theirs.update(got)
                    how.update({key: "measured" for key in got})
            got, got_how = metafor_leave1out(
                [k for k in ks if k != len(bcg)], y_all, v_all, Path(tmp)
            )
            if isinstance(got, str):
                print(f"  metafor failed: {got}")
            else:
                theirs.update(got)
                how.update(got_how)
    print(
        f"{'k':>7} {'method':>6} {'shrinkviz':>12} {'metafor':>12} {'metafor is':>18} "
        f"{'metafor/shrinkviz':>18}"
    )
    for k in ks:
        fits = {m: meta_analysis(*data[k], m) for m in ("DL", "REML")}
        if k >= 1000:
            ours = {}
            for m, fit in fits.items():
                t0 = perf_counter()
                fit.leave1out()
                ours[m] = perf_counter() - t0
        else:
            ours = dict(zip(fits, medians(*[f.leave1out for f in fits.values()]), strict=True))
        for m in fits:
            line = f"{k:>7} {m:>6} {show(ours[m]):>12}"
            if (m, k) in theirs:
                ratio = theirs[m, k] / ours[m]
                line += f" {show_long(theirs[m, k]):>12} {how[m, k]:>18} {ratio:17.0f}x"
            print(line)


def bench_click():
    bcg = sv.data.bcg()
    y, v = bcg.yi.to_numpy(), bcg.vi.to_numpy()
    keep = np.arange(len(y)) != 3  # the largest trial out
    t = medians(lambda: meta_analysis(y[keep], v[keep], "REML"))[0]
    print(f"\none study left out of BCG (REML on the other 12): {show(t)} per click")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10**4, help="k for effect_sizes")
    parser.add_argument(
        "--leave1out-k",
        type=int,
        nargs="*",
        default=[13, 1000, 10**4],
        help="k for leave1out (13 = the BCG trials)",
    )
    parser.add_argument("--no-metafor", action="store_true", help="skip R")
    args = parser.parse_args()
    have_r = not args.no_metafor and shutil.which("Rscript") is not None
    if not have_r and not args.no_metafor:
        print("metafor: Rscript not found, shrinkviz only\n")
    bench_effect_sizes(args.k, have_r)
    bench_leave1out(args.leave1out_k, have_r)
    bench_click()


if __name__ == "__main__":
    main()
