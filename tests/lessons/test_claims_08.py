"""Every number lesson 08 (notebooks/08-predictors.ipynb) states, recomputed from the package
and found in its markdown as written (as tests/lessons/test_claims.py does for lessons 01-05),
plus the general statements the lesson makes, checked where they are checkable."""

import re
from pathlib import Path

import nbformat
import numpy as np

import shrinkviz as sv
from shrinkviz.model.meta_regression import pseudo_r2

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "08-predictors.ipynb"
RADON = sv.data.radon()
BCG = sv.data.bcg()
COLUMNS = dict(x="floor", y="log_radon", group="county")


def markdown() -> str:
    nb = nbformat.read(LESSON, as_version=4)
    return re.sub(r"\s+", " ", " ".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def stated(*phrases: str) -> None:
    text = markdown()
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in text]
    assert not missing, f"08-predictors does not state {missing}"


def minus(x: float, fmt: str) -> str:
    """A number as the lesson writes it: a true minus sign."""
    return format(x, fmt).replace("-", "−")


def _radon():
    return (
        sv.predictor_fit_frame(RADON, u="log_uranium", **COLUMNS),
        sv.predictor_fit_frame(RADON, u=None, **COLUMNS),
    )


def test_radon_gelman_hill_12_6():
    with_u, without_u = _radon()
    stated(
        f"falls from {np.sqrt(without_u.tau2):.2f} to {np.sqrt(with_u.tau2):.2f} once uranium",
        f"coefficient of log uranium is {with_u.partial.gamma:.2f}",
        f"floor coefficient is {minus(with_u.partial.beta, '.2f')}",
    )
    # "the within-county sigma stays at 0.76": both fits round to it
    s = {f"{np.sqrt(f.sigma2):.2f}" for f in (with_u, without_u)}
    assert s == {"0.76"}
    stated("The within-county $\\sigma$ stays at 0.76")
    # and the model without u is lesson 3's (pooling_fit)
    ref = sv.pooling_fit_frame(RADON, **COLUMNS)
    np.testing.assert_allclose(without_u.tau2, ref.tau2, rtol=1e-12)


def test_radon_tau2_and_r2():
    with_u, without_u = _radon()
    r2 = pseudo_r2(without_u.tau2, with_u.tau2)
    assert np.isclose(r2, 100 * (without_u.tau2 - with_u.tau2) / without_u.tau2)
    stated(
        f"$\\tau^2$ falls from {without_u.tau2:.3f} to {with_u.tau2:.4f}: uranium explains"
        f" {r2:.0f}% of the between-county variance"
    )


def test_radon_small_counties_shrink_to_the_line():
    with_u, without_u = _radon()
    small = with_u.n <= 2
    b_with = with_u.partial.B[small].min()
    b_without = without_u.partial.B[small].min()
    stated(f"of at least {b_with:.2f} ({b_without:.2f} without uranium")
    # "at least": the minimum is not rounded up past a smaller value
    assert np.floor(b_with * 100) / 100 <= b_with
    # tau2 = 0 puts every county on the line, tau2 = inf keeps each its own intercept
    p0 = with_u.update(tau2=0.0).partial
    assert np.array_equal(p0.alpha, p0.target)
    pinf = with_u.update(tau2=np.inf)
    np.testing.assert_array_equal(pinf.partial.alpha, pinf.none.alpha)


def test_bcg_meta_regression():
    fit = sv.meta_regression(BCG["yi"], BCG["vi"], BCG[["ablat"]])
    without = sv.meta_analysis(BCG["yi"], BCG["vi"])
    assert np.isclose(fit.tau2_without, without.tau2)
    stated(
        f"falls from {without.tau2:.3f} to {fit.tau2:.3f}",
        f"$R^2$ = {fit.R2:.2f}% of the",
        f"slope is {minus(fit.beta[1], '.4f')} per degree",
        f"multiplies the risk ratio by {np.exp(10 * fit.beta[1]):.2f}",
        f"(QE = {fit.Q:.2f} on {fit.k - fit.p} degrees of freedom, p = {fit.Q_pval:.3f})",
    )
    knha = sv.meta_regression(BCG["yi"], BCG["vi"], BCG[["ablat"]], test="knha")
    stated(f"p-value of {knha.pval[1]:.3f} instead of {fit.pval[1]:.5f} from the z test")
    # "the trials far from the equator found larger effects": a negative slope (log RR)
    assert fit.beta[1] < 0 and fit.ci_ub[1] < 0
    # "metafor prints the same": the fixture's R2
    import json

    fixture = json.loads((Path(__file__).parents[1] / "fixtures" / "metareg.json").read_text())
    ref = next(
        f
        for f in fixture["meta"]["bcg_ablat"]["fits"]
        if f["method"] == "REML" and f["test"] == "z"
    )
    assert f"{ref['R2']:.2f}" == f"{fit.R2:.2f}"
    stated("Thirteen trials")
    assert len(BCG) == 13


def test_bcg_aronson_shrinks_more_toward_a_better_target():
    fit = sv.meta_regression(BCG["yi"], BCG["vi"], BCG[["ablat"]])
    without = sv.meta_analysis(BCG["yi"], BCG["vi"])
    i = 0
    assert BCG["author"][i] == "Aronson" and BCG["year"][i] == 1948 and BCG["ablat"][i] == 44
    b_with = fit.blup().B[i]
    b_without = without.blup().pred  # the same trial without the moderator
    B_without = BCG["vi"][i] / (BCG["vi"][i] + without.tau2)
    assert np.isclose(b_without[i], (1 - B_without) * BCG["yi"][i] + B_without * without.mu)
    stated(
        "*Aronson 1948* (latitude 44)",
        f"shrinkage factor is {b_with:.2f}, without it {B_without:.2f}",
    )
    assert b_with > B_without  # "shrinks the trial more"
    # "toward a better target": closer to the trial's own estimate than the overall mean is
    target = fit.blup().fitted[i]
    assert abs(target - BCG["yi"][i]) < abs(without.mu - BCG["yi"][i])


def test_lesson_uses_the_public_api_only():
    nb = nbformat.read(LESSON, as_version=4)
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "import shrinkviz as sv" in src
    assert "from shrinkviz" not in src and "shrinkviz." not in src.replace("import shrinkviz", "")
