"""Every number a lesson's text states is recomputed here from the package and must appear,
as written, in the lesson's markdown: text and code (and picture) cannot drift apart.

Each test recomputes what the lesson computes (with the lesson's seeds) and checks the
rounded number's text against the markdown cells of the notebook.
"""

import re
from functools import cache
from pathlib import Path

import nbformat
import numpy as np

import shrinkviz as sv

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@cache
def markdown(stem: str) -> str:
    """The markdown cells of a lesson, joined, with every run of white space one blank."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.sub(r"\s+", " ", text)


def stated(stem: str, *phrases: str) -> None:
    text = markdown(stem)
    missing = [p for p in phrases if re.sub(r"\s+", " ", p) not in text]
    assert not missing, f"{stem} does not state {missing}"


def not_stated(stem: str, *phrases: str) -> None:
    text = markdown(stem)
    present = [p for p in phrases if p in text]
    assert not present, f"{stem} still states {present}"


def avg(x: float) -> str:
    """A batting average as baseball writes it: .280"""
    return f"{x:.3f}".lstrip("0")


# ---- lesson 04 -----------------------------------------------------------------------------------

L04 = "04-baseball"


def _baseball():
    players = sv.data.baseball()
    y, truth = players["avg45"].to_numpy(), players["rest_avg"].to_numpy()
    v = np.full(len(y), y.mean() * (1 - y.mean()) / 45)
    fit = sv.meta_analysis(y, v, method="REML")
    return players, y, truth, v, fit, sv.posterior(y, v, fit.tau2), sv.james_stein(y, v[0])


def test_lesson04_noise_and_reml():
    players, y, truth, v, fit, post, _ = _baseball()
    stated(L04, f"sd {np.sqrt(v[0]):.3f}", f"(sd {y.std(ddof=1):.3f})")
    rest = players["remaining_at_bats"]
    stated(L04, f"{rest.min()} to {rest.max()} further at-bats")
    ratio = ((post.mean - truth) ** 2).sum() / ((y - truth) ** 2).sum()
    stated(L04, f"about a third (ratio {ratio:.2f})")
    assert abs(ratio - 1 / 3) < 0.05
    stated(L04, f"shrinking him to {avg(post.mean[0])} undershoots his {avg(truth[0])}")
    assert players["player"][0] == "Clemente"


def test_lesson04_james_stein_against_reml():
    players, y, truth, v, fit, post, js = _baseball()
    k = len(y)
    stated(L04, f"$c = 1 - B = {1 - js.B:.3f}$", f"grand average {avg(js.mu0)}")
    closer_js = np.abs(js.mean - truth) < np.abs(y - truth)
    closer_reml = np.abs(post.mean - truth) < np.abs(y - truth)
    stated(L04, f"moves {closer_js.sum()} of the {k} players closer",
           f"($B = {post.B[0]:.3f}$) moves {closer_reml.sum()}.")
    sse = sorted([((post.mean - truth) ** 2).sum(), ((js.mean - truth) ** 2).sum()])
    stated(L04, f"nearly tie on these data ({sse[0]:.4f} and {sse[1]:.4f})")
    np.testing.assert_allclose(post.B[0] / js.B, (k - 1) / (k - 3), rtol=1e-6)
    stated(L04, f"(here ${k - 1}/{k - 3}$)")
    losers = set(players["player"][~closer_js])
    assert losers == {"Swaboda", "Rodriguez"}
    stated(L04, "(Swoboda, `Swaboda` in the table, and Rodriguez did not)")


def test_lesson04_arcsine_scale():
    _, y, truth, _, _, _, _ = _baseball()

    def arcsine(p):
        return np.sqrt(45) * np.arcsin(2 * p - 1)

    x, xt = arcsine(y), arcsine(truth)
    ones = np.ones(len(x))
    reml = sv.posterior(x, ones, sv.meta_analysis(x, ones, method="REML").tau2).mean
    js = sv.james_stein(x, 1.0).mean
    raw = ((x - xt) ** 2).sum()
    ratios = {f"{((e - xt) ** 2).sum() / raw:.2f}" for e in (reml, js)}
    assert len(ratios) == 1
    stated(L04, f"(ratios {ratios.pop()})")


def test_lesson04_picture_ranges():
    """The three rows of the figure: what the text says about their widths."""
    _, y, truth, _, fit, post, _ = _baseball()
    stated(L04, f"spread from {avg(y.min())} to {avg(y.max())}",
           f"rest-of-season averages from {avg(truth.min())} to {avg(truth.max())}",
           f"squeezed into {avg(post.mean.min())} to {avg(post.mean.max())}",
           f"$\\hat\\tau$ ({np.sqrt(fit.tau2):.3f} by REML)")
    assert np.ptp(post.mean) < np.ptp(truth) < np.ptp(y)
    not_stated(L04, "same narrow range")
