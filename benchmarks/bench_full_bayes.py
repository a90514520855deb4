"""full_bayes against PyMC's NUTS on the eight schools, and full_bayes for 10^4 studies.

    .venv/bin/python benchmarks/bench_full_bayes.py

Prints: the median time of full_bayes for the eight schools and for k = 10^4 simulated studies;
the wall time of pm.sample (4 chains x 1000 draws after 1000 tuning steps, compilation
included) on the non-centered eight schools model with the same priors as full_bayes(...,
"uniform") -- pm.Flat on mu and pm.HalfFlat (uniform on (0, inf)) on tau -- and its sampling
time alone; the ratios; and the NUTS means of mu, tau and theta_j against the exact ones in
units of their Monte Carlo standard error (ArviZ's ESS-based MCSE). Goals: eight schools under
10 ms and >= 1000 times faster than NUTS; 10^4 studies under 1 s.
"""

import time
import warnings

import numpy as np

import shrinkviz as sv


def median_time(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def nuts(y, sigma, seed=20260101):
    warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")
    import arviz as az
    import pymc as pm

    print(f"PyMC {pm.__version__}, ArviZ {az.__version__}")
    with pm.Model():
        mu = pm.Flat("mu")
        tau = pm.HalfFlat("tau")
        eta = pm.Normal("eta", 0.0, 1.0, shape=len(y))
        theta = pm.Deterministic("theta", mu + tau * eta)
        pm.Normal("y", theta, sigma=sigma, observed=y)
        t = time.perf_counter()
        idata = pm.sample(
            draws=1000,
            tune=1000,
            chains=4,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
        wall = time.perf_counter() - t
    post = idata.posterior
    means = {k: post[k].mean(("chain", "draw")).values for k in ("mu", "tau", "theta")}
    mcse = az.mcse(idata, var_names=["mu", "tau", "theta"], method="mean")
    mcse = {k: mcse[k].values for k in ("mu", "tau", "theta")}
    divergences = int(idata.sample_stats["diverging"].sum())
    return wall, float(idata.sample_stats.attrs["sampling_time"]), means, mcse, divergences


def main():
    schools = sv.data.eight_schools()
    y, sigma = schools.y.to_numpy(float), schools.sigma.to_numpy(float)
    v = sigma**2
    fit = sv.full_bayes(y, v)
    t_fb = median_time(lambda: sv.full_bayes(y, v), 300)
    print(
        f"full_bayes, eight schools (uniform prior): median {t_fb * 1e3:.3f} ms over 300 runs, "
        f"{len(fit.tau)} grid nodes"
    )
    t_q = median_time(lambda: fit.quantiles([0.025, 0.5, 0.975]), 100)
    print(f"  quantiles([0.025, 0.5, 0.975]): median {t_q * 1e3:.3f} ms over 100 runs")

    rng = np.random.default_rng(1)
    k = 10**4
    vk = rng.uniform(0.01, 0.5, k)
    yk = rng.normal(0.3, np.sqrt(vk + 0.2**2))
    t_k = median_time(lambda: sv.full_bayes(yk, vk), 5)
    big = sv.full_bayes(yk, vk)
    print(
        f"full_bayes, k = 10^4 studies (tau = 0.2 simulated): median {t_k * 1e3:.1f} ms over "
        f"5 runs, {len(big.tau)} grid nodes, tau_mean = {big.tau_mean:.4f}"
    )
    yh = rng.normal(0.3, np.sqrt(vk))
    t_h = median_time(lambda: sv.full_bayes(yh, vk), 5)
    print(
        f"full_bayes, k = 10^4 homogeneous studies (tau = 0 simulated): median "
        f"{t_h * 1e3:.1f} ms over 5 runs, {len(sv.full_bayes(yh, vk).tau)} grid nodes"
    )

    try:
        wall, sampling, means, mcse, divergences = nuts(y, sigma)
    except ImportError as err:
        print(f"PyMC not available ({err}); pip install -r benchmarks/requirements.txt")
        return
    print(
        f"PyMC NUTS, non-centered eight schools, 4 chains x 1000 draws (+1000 tuning), "
        f"pm.Flat mu, pm.HalfFlat tau: pm.sample wall {wall:.2f} s (compilation included), "
        f"sampling alone {sampling:.2f} s, {divergences} divergences"
    )
    print(
        f"speed-up of full_bayes: {wall / t_fb:,.0f}x the pm.sample wall time, "
        f"{sampling / t_fb:,.0f}x the sampling alone"
    )
    ours = {"mu": fit.mu0, "tau": fit.tau_mean, "theta": fit.mean}
    print("NUTS mean - exact mean, in Monte Carlo SEs (ESS-based):")
    for name in ("mu", "tau", "theta"):
        z = np.atleast_1d((means[name] - ours[name]) / mcse[name])
        exact = np.atleast_1d(ours[name])
        for j, (e, zj) in enumerate(zip(exact, z, strict=False)):
            label = name if len(z) == 1 else f"{name}[{j}]"
            print(
                f"  {label:9s} exact {e:8.4f}  NUTS {np.atleast_1d(means[name])[j]:8.4f}  "
                f"z = {zj:+.2f}"
            )
    print(f"max |z| = {max(np.abs((means[n] - ours[n]) / mcse[n]).max() for n in ours):.2f}")


if __name__ == "__main__":
    main()
