"""The text alternative of every explorer: a live region that says what changed after a move
(debounced: a Play sweep says its end only), a "describe" table of the current estimates,
controls with names, and a palette that stays apart under colour-vision deficiencies."""

import itertools
from html.parser import HTMLParser

import colorspacious
import ipywidgets as w
import numpy as np
import pytest

import shrinkviz as sv
from shrinkviz.widgets.controls import number
from shrinkviz.widgets.explorers import _base
from shrinkviz.widgets.views import _theme as theme

SCHOOLS = sv.data.eight_schools()


@pytest.fixture
def schools(sent):
    return sv.ShrinkageExplorer.eight_schools()


@pytest.fixture
def radon(sent):
    return sv.PoolingLinesExplorer.radon()


def test_live_region_says_what_a_tau2_move_did(schools):
    schools.state.tau2 = 112.0
    ref = sv.posterior(SCHOOLS.y, SCHOOLS.v, 112.0)
    B = 225 / (225 + 112)  # school A: v = 15^2
    assert ref.B[0] == pytest.approx(B)
    assert schools.live.value.startswith(
        f"tau squared 112: school A moves from 28 to {number(ref.mean[0])}, "
        f"shrunk by {100 * B:.0f} percent"
    )
    assert schools.live.value.endswith(f"; the grand mean is {number(ref.mu0)}")
    assert "67 percent" in schools.live.value
    schools.state.tau2 = 0.0
    assert "tau squared 0 (complete pooling)" in schools.live.value
    schools.state.tau2 = np.inf
    assert "tau squared infinity (no pooling): school A moves from 28 to 28, shrunk by 0" in (
        schools.live.value
    )
    schools.state.selected = 2
    assert "school C moves from -3 to -3" in schools.live.value


def test_live_region_waits_for_the_end_of_a_sweep(schools, hand_loop):
    loop = hand_loop(_base)
    start = schools.state.snapshot
    said = schools.live.value
    for tau2 in (50.0, 80.0, 112.0, 150.0, 200.0):  # a sweep: one pending timer, no word
        schools.state.tau2 = tau2
    live = [t for t in loop.timers if not t.cancelled]
    assert len(live) == 1 and live[0].delay == schools.describe_delay
    assert schools.live.value == said
    live[0].fn()
    end = sv.posterior(SCHOOLS.y, SCHOOLS.v, 200.0)
    assert schools.live.value.startswith("tau squared 200: school A moves from 28 to ")
    assert f"to {number(end.mean[0])}" in schools.live.value
    # where the group was before the sweep
    assert f"(it was at {number(start.mean[0])})" in schools.live.value


def test_full_bayes_and_a_group_without_data_are_said(sent):
    ex = sv.ShrinkageExplorer.from_groups([1.0, 2.0, 4.0, 3.0], [5, 3, 8, 6], 2.0, labels="abcd")
    ex.state.set_n(1, 0)
    ex.state.selected = 1
    assert "group b has no data, its estimate is" in ex.live.value
    ex.state.selected = 0
    ex.state.average_over_tau = True
    assert ex.state.error == ""
    f = ex.state.snapshot
    assert ex.live.value.startswith(
        f"averaged over tau (full Bayes), the grand mean is {number(f.mu0)}: group a moves "
        f"from 1 to {number(f.mean[0])}, shrunk by {100 * f.B[0]:.0f} percent on average"
    )


class Table(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.rows, self.caption, self._cell, self._in_caption = [], "", None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(self._cell)
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.caption += data


def test_describe_shows_the_table_of_the_current_estimates(schools):
    assert schools.table.value == ""
    schools.describe.value = True
    schools.state.tau2 = 112.0
    ref = sv.posterior(SCHOOLS.y, SCHOOLS.v, 112.0)
    table = Table(schools.table.value)
    head, *rows = table.rows
    assert head == ["school", "y_j (no pooling)", "v_j", "B_j", "μ_j (partial pooling)", "sd"]
    assert [r[0] for r in rows] == list(SCHOOLS.school)
    assert [r[4] for r in rows] == [number(m) for m in ref.mean]
    assert [r[3] for r in rows] == [f"{b:.3f}" for b in ref.B]
    assert [r[5] for r in rows] == [f"{s:.2g}" for s in np.sqrt(ref.var)]
    assert "τ² = 112" in table.caption
    assert "<th scope='col'>" in schools.table.value
    schools.describe.value = False
    assert schools.table.value == ""


def test_pooling_live_region_and_table(radon):
    s = radon.state
    s.tau2 = 0.05
    fit = s.snapshot.fit
    j = s.selected
    assert radon.live.value.startswith(
        f"tau squared 0.05, sigma squared {number(s.sigma2)}: the intercept of county "
        f"{s.labels[j]} moves from {number(fit.no_pooling.alpha[j])} (no pooling) to "
        f"{number(fit.partial_pooling.alpha[j])} (partial pooling)"
    )
    radon.describe.value = True
    head, *rows = Table(radon.table.value).rows
    assert head[0] == "county" and len(rows) == len(s.labels) == 85
    assert [r[4] for r in rows] == [number(a) for a in fit.partial_pooling.alpha]


def test_predictors_live_region_says_the_line_and_the_study_in_words(sent):
    bcg = sv.PredictorExplorer.bcg()
    bcg.describe_delay = 0  # no event loop here: it speaks at once anyway
    bcg.state.tau2 = 0.1
    df = sv.data.bcg()
    ref = sv.regression_posterior(df.yi, df.vi, 0.1, df[["ablat"]])
    j = bcg.state.selected
    b0, b1 = ref.beta
    assert b1 < 0  # the farther from the equator, the better BCG protects
    assert bcg.live.value == (
        f"tau squared 0.1, the line {number(b0)} minus {number(-b1)} times latitude: "
        f"{bcg.state.labels[j]} (latitude {number(df.ablat[j])}) moves from "
        f"{number(df.yi[j])} to {number(ref.mean[j])}, its target {number(ref.fitted[j])}, "
        f"shrunk by {100 * ref.B[j]:.0f} percent; latitude accounts for "
        f"{bcg.state.R2:.0f} percent of tau squared"
    )
    assert not set("τ²→×−") & set(bcg.live.value)  # no symbol a screen reader may skip
    bcg.toggle.value = False
    assert "without latitude, one mean " in bcg.live.value
    bcg.state.tau2 = np.inf
    assert bcg.live.value.startswith("tau squared infinity (no pooling), without latitude")


def controls(box):
    """Every widget a user operates, inside a box."""
    found = []
    for child in getattr(box, "children", ()):
        if isinstance(child, (w.Box, w.VBox, w.HBox)):
            found += controls(child)
        elif isinstance(child, (w.widgets.widget_description.DescriptionWidget)) and not (
            isinstance(child, (w.HTML, w.Label, w.HTMLMath))
        ):
            found.append(child)
    return found


@pytest.mark.parametrize("make", ["schools", "radon"])
def test_every_control_has_a_name(make, request):
    ex = request.getfixturevalue(make)
    found = controls(ex)
    assert len(found) >= 6
    for c in found:
        name = c.description or getattr(c, "tooltip", None)
        if isinstance(c, w.ToggleButtons):
            name = name or all(c.options)
        assert name, f"{type(c).__name__} without a name"


# Series that share a figure, as its legend lists them: (colour, kind, dash)
FIGURES = {
    "shrinkage": [
        (theme.COMPLETE, "line", "dashed"),
        (theme.NONE, "hollow", ""),
        (theme.PARTIAL, "filled", ""),
        (theme.EXTRA, "line", "solid"),
    ],
    "tau": [
        (theme.EXTRA, "line", "solid"),  # p(tau | y): a curve
        (theme.PARTIAL, "rule", "solid"),  # tau of the slider: a vertical rule
        (theme.REML, "rule", "dashed"),
    ],
    "pooling": [
        (theme.COMPLETE, "line", "dashed"),
        (theme.NONE, "line", "dotted"),
        (theme.PARTIAL, "line", "solid"),
    ],
}
CVD = ["deuteranomaly", "protanomaly", "tritanomaly"]


def seen(colour: str, cvd: str | None) -> np.ndarray:
    rgb = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)]) / 255
    if cvd is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


@pytest.mark.parametrize("cvd", [None, *CVD])
def test_palette_stays_apart_under_colour_vision_deficiencies(cvd):
    """CAM02-UCS colour differences (colorspacious) of the series of each figure, as seen
    with full deuteranopia, protanopia and tritanopia (Machado et al. 2009): at least 10
    apart (clearly different), 30 from the white background, and a pair closer than 20
    differs in its second cue too (line style, marker fill, or a rule against a curve)."""
    for name, series in FIGURES.items():
        for colour, *_ in series:
            assert colorspacious.deltaE(seen(colour, cvd), [1, 1, 1], input_space="sRGB1") > 30
        for (a, *cue_a), (b, *cue_b) in itertools.combinations(series, 2):
            d = colorspacious.deltaE(seen(a, cvd), seen(b, cvd), input_space="sRGB1")
            assert d >= 10, f"{name}: {a} and {b} only {d:.1f} apart under {cvd}"
            if d < 20:
                assert cue_a != cue_b, f"{name}: {a} and {b} differ by colour alone"
