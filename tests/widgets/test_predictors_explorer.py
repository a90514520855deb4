"""PredictorExplorer without a browser: the tau2 slider, the toggle with / without the
predictor, the fit button and the selection drive the state; the marks show the model's
numbers (``regression_posterior``, ``predictor_fit``); one message per changed mark; bad
input refused with its name."""

import numpy as np
import pandas as pd
import pytest

import shrinkviz as sv
from shrinkviz.widgets.state.predictors import PredictorState

BCG = sv.data.bcg()
RADON = sv.data.radon()


@pytest.fixture
def bcg(sent):
    return sv.PredictorExplorer.bcg()


@pytest.fixture
def radon(sent):
    return sv.PredictorExplorer.radon()


def test_starts_at_the_reml_fit_with_the_predictor(bcg):
    fit = sv.meta_regression(BCG.yi, BCG.vi, BCG[["ablat"]])
    assert bcg.state.tau2 == fit.tau2 and bcg.state.with_predictor
    blup = fit.blup()
    np.testing.assert_allclose(bcg.view.pooled.y, blup.pred, rtol=1e-13)
    np.testing.assert_allclose(bcg.state.snapshot.target, blup.fitted, rtol=1e-13)
    np.testing.assert_array_equal(bcg.view.own.y, BCG.yi)
    np.testing.assert_array_equal(bcg.view.own.x, BCG.ablat)
    assert bcg.state.R2 == fit.R2
    assert "R² = 76%" in bcg.readout.value and "0.313" in bcg.readout.value
    assert {"shrinkviz-explorer", "shrinkviz-predictors"} <= set(bcg._dom_classes)


def test_slider_moves_every_study_toward_its_own_fitted_value(bcg):
    grid = bcg.tau2.grid
    bcg.tau2.slider.index = 0  # tau2 = 0: every study on the line
    f = bcg.state.snapshot
    assert f.tau2 == 0 and np.array_equal(bcg.view.pooled.y, f.target)
    bcg.tau2.slider.index = len(grid) - 1  # tau2 = inf: no pooling
    np.testing.assert_array_equal(bcg.view.pooled.y, BCG.yi)
    bcg.tau2.slider.index = 30
    ref = sv.regression_posterior(BCG.yi, BCG.vi, grid[30], BCG[["ablat"]])
    np.testing.assert_array_equal(bcg.view.pooled.y, ref.mean)
    np.testing.assert_array_equal(bcg.view.line.y, ref.line(bcg.state.line_u).pred)


def test_toggle_flattens_the_line_and_raises_tau2(bcg):
    bcg.toggle.value = False
    s = bcg.state
    without = sv.meta_analysis(BCG.yi, BCG.vi, "REML")
    # the state's model is the intercept-only meta_regression; meta_analysis is another
    # implementation of the same REML estimate (they may differ in the last bit)
    assert not s.with_predictor and s.tau2 == pytest.approx(without.tau2, rel=1e-12)
    assert np.ptp(bcg.view.line.y) == 0 and np.isclose(bcg.view.line.y[0], without.mu)
    np.testing.assert_allclose(bcg.view.pooled.y, without.blup().pred, rtol=1e-12)
    assert "one mean" in bcg.readout.value
    bcg.tau2.slider.index = 0
    bcg.fit.click()  # back to the estimate of the model shown
    assert s.tau2 == pytest.approx(without.tau2, rel=1e-12)
    bcg.state.use_predictor(True)
    assert bcg.toggle.value is True and s.tau2 == sv.meta_regression(BCG.yi, BCG.vi, BCG.ablat).tau2


def test_one_message_per_changed_mark(bcg, sent, updates):
    bcg.tau2.slider.index = 20
    sent.clear()
    bcg.tau2.slider.index = 25
    v = bcg.view
    for mark in (v.pooled, v.segments, v.line, v.band):
        assert len(updates(mark)) == 1, mark
    assert updates(v.own) == []  # the own estimates do not move for studies
    assert isinstance(v.pooled.get_state()["y"]["value"], memoryview)


def test_radon_county_intercepts(radon):
    fit = sv.predictor_fit_frame(RADON, x="floor", y="log_radon", group="county", u="log_uranium")
    p = fit.partial_pooling
    np.testing.assert_allclose(radon.view.pooled.y, p.alpha, rtol=1e-13)
    np.testing.assert_allclose(radon.view.line.y, p.mu_alpha + p.gamma * radon.state.line_u)
    assert radon.state.labels[0] == "AITKIN" and radon.state.tau2 == fit.tau2
    radon.toggle.value = False
    without = sv.pooling_fit_frame(RADON, x="floor", y="log_radon", group="county")
    np.testing.assert_allclose(radon.view.pooled.y, without.partial_pooling.alpha, rtol=1e-12)
    assert radon.state.tau2 == without.tau2
    assert not radon.view.band.visible  # the group model gives no band


def test_click_and_dropdown_select_a_study(bcg):
    bcg.view.own._handle_custom_msgs(
        bcg.view.own, {"event": "element_click", "data": {"index": 3}}, []
    )
    assert bcg.state.selected == 3 and bcg.group.value == 3
    np.testing.assert_array_equal(bcg.view.pooled.selected, [3])
    assert "Hart &amp; Sutherland 1977" in bcg.readout.value
    bcg.group.value = 5
    np.testing.assert_array_equal(bcg.view.own.selected, [5])


def test_bad_input_is_named(sent):
    with pytest.raises(ValueError, match="u must be finite"):
        sv.PredictorExplorer.from_meta(BCG.yi, BCG.vi, BCG.ablat.where(BCG.index != 4))
    bad = RADON.assign(log_uranium=RADON["log_uranium"].where(RADON.index != 7, 3.0))
    before = bad.copy()
    with pytest.raises(ValueError, match="u column 'log_uranium' must be constant within each"):
        sv.PredictorExplorer.from_frame(
            bad, x="floor", y="log_radon", group="county", u="log_uranium"
        )
    pd.testing.assert_frame_equal(bad, before)
    e = sv.PredictorExplorer.bcg()
    with pytest.raises(ValueError, match="tau2 must be"):
        e.state.tau2 = -1.0
    assert e.state.error == ""


def test_state_alone_and_named_axes(sent):
    s = PredictorState.from_meta([0.1, 0.5, 0.3, 0.9], [0.1, 0.2, 0.1, 0.3], [1.0, 2.0, 3.0, 4.0])
    assert s.labels == ("1", "2", "3", "4") and s.snapshot.slope > 0
    e = sv.PredictorExplorer.from_meta(
        pd.Series(BCG.yi.to_numpy(), name="logRR"), BCG.vi, BCG.ablat, font_scale=1.6
    )
    labels = [a.label for a in e.figure.axes]
    assert labels == ["ablat", "logRR"]


def test_the_table_names_what_a_row_is(bcg, radon, sent):
    columns, rows = bcg._table(bcg.state.snapshot)
    assert columns[:2] == ["trial", "latitude"] and rows[3][0] == "Hart & Sutherland 1977"
    assert radon._table(radon.state.snapshot)[0][:2] == ["county", "log_uranium"]
    named = pd.Series(BCG.yi.to_numpy(), index=pd.Index(BCG.author, name="author"))
    e = sv.PredictorExplorer.from_meta(named, BCG.vi, BCG.ablat)
    assert e._table(e.state.snapshot)[0][0] == "author"


def _artist(fig, gid):
    (found,) = fig.findobj(lambda a: a.get_gid() == gid)
    return found


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_static_picture_draws_the_frame(bcg, tmp_path):
    bcg.tau2.slider.index = 25
    fig = bcg.static_figure()
    f = bcg.state.snapshot
    np.testing.assert_array_equal(_artist(fig, "pooled").get_offsets(), np.c_[f.u, f.mean])
    np.testing.assert_array_equal(_artist(fig, "own").get_offsets(), np.c_[f.u, f.own])
    np.testing.assert_array_equal(_artist(fig, "line").get_ydata(), f.line)
    (ax,) = fig.axes
    assert ax.get_ylim() == (bcg.view.figure.axes[1].scale.min, bcg.view.figure.axes[1].scale.max)
    caption = _artist(fig, "caption").get_text().replace("\n", " ")
    assert "R² = 76%" in caption and "Aronson 1948" in caption
    # the readout says the same, line by line
    for line in bcg.summary(f):
        assert line.replace("&", "&amp;") in bcg.readout.value
    bcg.toggle.value = False  # without the predictor: a flat line, the band of one mean
    fig = bcg.static_figure()
    assert np.ptp(_artist(fig, "line").get_ydata()) == 0
    assert np.ptp(bcg.state.snapshot.band_lo) == 0 and _artist(fig, "band") is not None
    radon = sv.PredictorExplorer.radon()  # the group model draws no band
    assert not radon.static_figure().findobj(lambda a: a.get_gid() == "band")
    path = bcg.savefig(tmp_path / "bcg.png")
    assert path.stat().st_size > 10_000
