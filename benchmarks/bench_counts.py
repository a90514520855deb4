"""Counts: empirical Bayes and full Bayes for the beta-binomial, the gamma-Poisson EB fit, and
the prior-strength move, beside R's optim fit of the same marginal likelihoods.

    .venv/bin/python benchmarks/bench_counts.py

Prints median wall times of: sv.beta_binomial (EB) on the rat tumours (J = 71) and on 3,000
simulated groups; sv.gamma_poisson (EB) on the surgical data and on 3,000 simulated rates;
sv.full_bayes_binomial on the rat tumours (with its theta intervals) and on the 3,000 groups;
one prior-strength move at 3,000 groups (fixed a / (a + b), new a + b: ``fit.with_prior(size)``,
closed form) and the same through a fresh ``sv.beta_binomial(y, n, a, b)`` call. The simulated
data are those of tests/fixtures/counts.json, so R's times are for the same numbers: R's fit
(tests/fixtures/counts.R: optim BFGS with analytic gradients, reltol 1e-15, then Newton
polishing) is timed in the same run through Rscript when R is installed. Goals: full Bayes on
71 experiments under 50 ms; a prior-strength move at 3,000 groups under 2 ms.
"""

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import shrinkviz as sv

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "counts.json"


def median_time(f, repeat):
    """Median wall time; CPU[0] gets the median process time of the same calls (on a shared
    machine the wall time also counts the waits for a core)."""
    times, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        f()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU[0] = float(np.median(cpu))
    return float(np.median(times))


CPU = [0.0]


R_TIMING = r"""
suppressPackageStartupMessages(library(jsonlite))
source("{script}")
d <- fromJSON("{fixture}")
time_it <- function(f, reps) median(replicate(reps, system.time(f())[["elapsed"]]))
bb <- d$beta_binomial; nb <- d$gamma_poisson
cat(sprintf("bb_rats %.6f\n", time_it(function() fit_bb(bb$rat_tumors), 20)))
cat(sprintf("bb_3000 %.6f\n", time_it(function() fit_bb(bb$sim_3000), 5)))
cat(sprintf("nb_surgical %.6f\n", time_it(function() fit_nb(list(y = nb$surgical$y,
    E = nb$surgical$exposure)), 20)))
cat(sprintf("nb_3000 %.6f\n", time_it(function() fit_nb(list(y = nb$sim_3000$y,
    E = nb$sim_3000$exposure)), 5)))
"""


def r_times():
    if shutil.which("Rscript") is None:
        return None
    script = (ROOT / "tests" / "fixtures" / "counts.R").as_posix()
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(R_TIMING.format(script=script, fixture=FIXTURE.as_posix()))
    out = subprocess.run(["Rscript", f.name], capture_output=True, text=True, cwd=ROOT)
    Path(f.name).unlink()
    if out.returncode != 0:
        print("Rscript failed:", out.stderr.strip()[-300:])
        return None
    return {k: float(v) for k, v in (line.split() for line in out.stdout.split("\n") if line)}


def main():
    ref = json.loads(FIXTURE.read_text())
    bb, nb = ref["beta_binomial"], ref["gamma_poisson"]
    rats = sv.data.rat_tumors()
    y, n = rats.y.to_numpy(float), rats.n.to_numpy(float)
    y3, n3 = np.array(bb["sim_3000"]["y"], float), np.array(bb["sim_3000"]["n"], float)
    surgical = sv.data.surgical()
    yd, E = surgical.deaths.to_numpy(float), surgical.operations.to_numpy(float)
    yr3, E3 = np.array(nb["sim_3000"]["y"], float), np.array(nb["sim_3000"]["exposure"], float)
    R = r_times()

    def line(label, seconds, r_key=None, extra=""):
        text = f"{label:58s} {seconds * 1e3:9.3f} ms (cpu {CPU[0] * 1e3:8.3f})"
        if R and r_key in R:
            text += f"   R optim {R[r_key] * 1e3:8.1f} ms ({R[r_key] / seconds:5.1f}x)"
        print(text + extra)

    print("median wall time (cpu: process time), this machine, one call at a time")
    fit = sv.beta_binomial(y, n)
    line(
        "beta_binomial EB, rat tumours (J = 71)",
        median_time(lambda: sv.beta_binomial(y, n), 50),
        "bb_rats",
        f"   a = {fit.a:.6f}, b = {fit.b:.6f}",
    )
    line(
        "beta_binomial EB, 3,000 simulated groups",
        median_time(lambda: sv.beta_binomial(y3, n3), 10),
        "bb_3000",
    )
    line(
        "gamma_poisson EB, surgical (J = 12)",
        median_time(lambda: sv.gamma_poisson(yd, E), 50),
        "nb_surgical",
    )
    line(
        "gamma_poisson EB, 3,000 simulated rates",
        median_time(lambda: sv.gamma_poisson(yr3, E3), 10),
        "nb_3000",
    )
    if R is None:
        print("(R not available: Rscript and tests/fixtures/counts.R time the reference)")

    big = sv.beta_binomial(y3, n3)
    sizes = iter(np.geomspace(0.5, 5000, 10_000))
    line(
        "prior-strength move, 3,000 groups: fit.with_prior(size)",
        median_time(lambda: big.with_prior(size=next(sizes)), 1000),
        extra="   (goal < 2 ms)",
    )
    a, b = big.a, big.b
    line(
        "  the same through sv.beta_binomial(y, n, a, b)",
        median_time(lambda: sv.beta_binomial(y3, n3, a, b), 300),
    )
    line(
        "  its 95% intervals: fit.interval(0.95) (Beta quantiles)",
        median_time(lambda: big.interval(0.95), 100),
    )
    line(
        "  one group's (the explorer's selected): groups=0",
        median_time(lambda: big.interval(0.95, groups=0), 300),
    )

    full = sv.full_bayes_binomial(y, n)
    line(
        "full_bayes_binomial, rat tumours (J = 71)",
        median_time(lambda: sv.full_bayes_binomial(y, n), 30),
        extra=f"   (goal < 50 ms), {len(full.log_size)} nodes in log(a + b)",
    )
    line(
        "  its 95% intervals: interval(0.95) (mixture of betas)",
        median_time(lambda: full.interval(0.95), 5),
    )
    line(
        "  one group's (the explorer's selected): groups=0",
        median_time(lambda: full.interval(0.95, groups=0), 20),
    )
    line(
        "full_bayes_binomial, 3,000 simulated groups",
        median_time(lambda: sv.full_bayes_binomial(y3, n3), 5),
    )


if __name__ == "__main__":
    main()
