"""SlopesExplorer without a browser: one model call and at most one message per mark per move,
the marks and the readout show the model's numbers, the pooling slider's ends are exact, bad
input is refused with a message naming what is wrong, a refused change keeps the picture."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import shrinkviz as sv
from shrinkviz.model.slopes import SlopesFit, slopes_fit
from shrinkviz.widgets.controls import number
from shrinkviz.widgets.state import SlopesState
from shrinkviz.widgets.state.slopes import covariance

SLEEP = sv.data.sleepstudy()
X, Y, G = SLEEP.Days, SLEEP.Reaction, SLEEP.Subject
LME4 = json.loads((Path(__file__).parents[1] / "fixtures" / "lme4_slopes.json").read_text())


@pytest.fixture
def e(sent):
    return sv.SlopesExplorer.sleepstudy()


@pytest.fixture
def calls(monkeypatch):
    """Every SlopesFit.update call (the model call of a move)."""
    made = []
    update = SlopesFit.update
    monkeypatch.setattr(
        SlopesFit, "update", lambda self, *a, **kw: made.append(kw) or update(self, *a, **kw)
    )
    return made


def click(mark, j):
    """What the browser sends when marker j of a Scatter is clicked."""
    mark._handle_custom_msgs(mark, {"event": "element_click", "data": {"index": j}}, [])


def marks(e):
    return [m for fig in e.figures.values() for m in fig.marks]


def test_starts_at_lme4s_reml_fit(e):
    s, ref = e.state, LME4["sleepstudy"]["REML"]
    assert s.sigma2 == pytest.approx(ref["sigma2"], rel=1e-5)
    Sigma = np.array(ref["Sigma"])
    assert s.tau_alpha == pytest.approx(np.sqrt(Sigma[0, 0]), rel=1e-5)
    assert s.tau_beta == pytest.approx(np.sqrt(Sigma[1, 1]), rel=1e-5)
    assert s.rho == pytest.approx(Sigma[0, 1] / np.sqrt(Sigma[0, 0] * Sigma[1, 1]), rel=1e-4)
    assert s.scale == 1.0 and s.error == ""
    assert "shrinkviz-slopes" in e._dom_classes
    assert len(e.pairs.no_pooling.x) == 18 and list(e.panels_view.panels) == [
        s.labels.index(g) for g in ("308", "309", "330", "335", "337", "370")
    ]


def test_every_slider_is_one_model_call_and_the_marks_are_the_models(e, calls, sent, updates):
    c, s, p = e.controls, e.state, e.pairs
    moves = [
        (c.tau_beta, "value", 3.0),
        (c.tau_alpha, "value", 40.0),
        (c.rho, "value", -0.5),
        (c.sigma2, "value", 300.0),
        (c.scale.slider, "index", 20),
    ]
    for widget, trait, value in moves:
        calls.clear()
        sent.clear()
        setattr(widget, trait, value)
        assert len(calls) == 1, widget.description
        assert s.error == ""
        for mark in marks(e):
            assert len(updates(mark)) <= 1, (widget.description, mark)
        Sigma = s.scale * covariance(s.tau_alpha, s.tau_beta, s.rho)
        ref = slopes_fit(X, Y, G, sigma2=s.sigma2, Sigma=Sigma)
        np.testing.assert_allclose(p.partial_pooling.x, ref.partial_pooling.alpha, rtol=1e-10)
        np.testing.assert_allclose(p.partial_pooling.y, ref.partial_pooling.beta, rtol=1e-10)
        np.testing.assert_allclose([p.mu.x[0], p.mu.y[0]], ref.partial_pooling.mu, rtol=1e-10)
        np.testing.assert_array_equal(p.no_pooling.x, ref.no_pooling.alpha)
    assert s.scale == c.scale.grid[20] and s.tau_beta == 3.0 and s.rho == -0.5
    # a Sigma move leaves the no-pooling markers as they were: no message for them
    sent.clear()
    c.rho.value = -0.4
    assert updates(p.no_pooling) == [] and len(updates(p.partial_pooling)) == 1
    assert len(updates(p.ellipses[0])) == 1 and updates(e.panels_view.points) == []


def test_readout_and_slider_numbers_are_the_models(e):
    c, s = e.controls, e.state
    click(e.pairs.partial_pooling, 4)
    c.tau_beta.value = 2.5
    fit, j = s.snapshot.fit, 4
    text = c.readout.value
    assert text.startswith(f"<b>{s.labels[j]}</b>: n_j&nbsp;=&nbsp;10 of 10")
    for v in (
        fit.no_pooling.alpha[j],
        fit.no_pooling.beta[j],
        fit.partial_pooling.alpha[j],
        fit.partial_pooling.beta[j],
        *fit.partial_pooling.mu,
        s.sigma2,
        2.5,
        s.tau_alpha,
        s.rho,
    ):
        assert number(v) in text, (number(v), text)
    labels = [row.children[1].value for row in c.children[1:5]]
    assert labels == [number(s.sigma2), number(s.tau_alpha), number(2.5), number(s.rho)]
    assert fit.tau_beta == pytest.approx(2.5) and e.controls.scale.value.value == "1"


def test_pooling_slider_ends_are_exact(e):
    c, s, p = e.controls, e.state, e.pairs
    c.scale.slider.index = 0  # Sigma = 0: every pair is mu, the OLS line
    f = s.snapshot.fit
    assert s.scale == 0.0
    np.testing.assert_array_equal(p.partial_pooling.x, np.full(18, f.partial_pooling.mu[0]))
    np.testing.assert_array_equal(p.partial_pooling.y, np.full(18, f.partial_pooling.mu[1]))
    assert f.partial_pooling.mu == pytest.approx(
        [f.complete_pooling.alpha, f.complete_pooling.beta], rel=1e-12
    )
    c.scale.slider.index = len(c.scale.grid) - 1  # Sigma = inf: every pair its own
    assert s.scale == np.inf and s.error == ""
    np.testing.assert_allclose(p.partial_pooling.x, p.no_pooling.x, rtol=1e-12)
    np.testing.assert_allclose(p.partial_pooling.y, p.no_pooling.y, rtol=1e-12)
    assert all(list(m.opacities) == [0.0] for m in p.ellipses)  # N(mu, inf): no ellipse
    assert "Σ&nbsp;×&nbsp;∞" in c.readout.value
    assert c.scale.play.max == len(c.scale.grid) - 1 and c.scale.play.value == 0


def test_pooling_moves_every_pair_toward_mu(e):
    c, s = e.controls, e.state
    f0 = s.snapshot.fit
    c.scale.slider.index = 10
    f1 = s.snapshot.fit
    Sinv = np.linalg.inv(s.Sigma)
    for f_big, f_small in ((f0, f1),):
        for j in range(18):
            d0 = (
                np.r_[f_big.partial_pooling.alpha[j], f_big.partial_pooling.beta[j]]
                - f_big.partial_pooling.mu
            )
            d1 = (
                np.r_[f_small.partial_pooling.alpha[j], f_small.partial_pooling.beta[j]]
                - f_small.partial_pooling.mu
            )
            assert d1 @ Sinv @ d1 < d0 @ Sinv @ d0


def test_ellipses_hold_50_and_90_percent_of_the_population(e):
    s, p = e.state, e.pairs
    mu, Sigma = s.snapshot.fit.partial_pooling.mu, s.snapshot.Sigma
    for mark, level in zip(p.ellipses, (0.5, 0.9), strict=True):
        d = np.vstack([mark.x - mu[0], mark.y - mu[1]])
        q = np.einsum("ik,ij,jk->k", d, np.linalg.inv(Sigma), d)
        np.testing.assert_allclose(q, stats.chi2.ppf(level, 2), rtol=1e-10)


def test_panel_lines_are_each_groups_lines(e):
    v, f = e.panels_view, e.state.snapshot.fit
    for k, g in enumerate(v.panels):
        for kind, a, b in (
            ("partial", f.partial_pooling.alpha[g], f.partial_pooling.beta[g]),
            ("none", f.no_pooling.alpha[g], f.no_pooling.beta[g]),
            ("complete", f.complete_pooling.alpha, f.complete_pooling.beta),
        ):
            x = v.lines[kind].x[k] - v._xoff[k]
            y = v.lines[kind].y[k] - v._yoff[k]
            np.testing.assert_allclose(y, a + b * x, rtol=1e-12, err_msg=kind)
    assert v.lines["none"].line_style == "dotted" and v.lines["complete"].line_style == "dashed"


def test_n_slider_and_a_line_leaving_its_panel(e):
    c, s, v = e.controls, e.state, e.panels_view
    j = s.labels.index("335")
    c.group.value = j
    c.n.value = 2
    keep = (G != "335") | (SLEEP.groupby("Subject").cumcount() < 2)
    ref = slopes_fit(X[keep], Y[keep], G[keep], sigma2=s.sigma2, Sigma=s.Sigma)
    np.testing.assert_allclose(e.pairs.partial_pooling.x, ref.partial_pooling.alpha, rtol=1e-10)
    np.testing.assert_allclose(e.pairs.no_pooling.y, ref.no_pooling.beta, rtol=1e-10)
    k = list(v.panels).index(j)
    assert v.titles.text[k] == "335 (n = 2)"
    # every line drawn stays inside its panel's band of y
    lo, hi = v._band
    for mark in v.lines.values():
        y = np.asarray(mark.y) - v._yoff[:, None]
        assert (y >= lo - 1e-9).all() and (y <= hi + 1e-9).all()
    c.n.value = 1  # one row: no line of its own, its hollow marker and segment hidden
    assert e.pairs.no_pooling.opacities[j] == 0 and sum(e.pairs.no_pooling.opacities) == 17
    assert e.pairs.segments.opacities[j] == 0 and np.isfinite(e.pairs.no_pooling.x).all()
    assert "no line of its own" in c.readout.value
    assert v.lines["none"].opacities[k] == 0
    c.n.value = 10
    np.testing.assert_array_equal(e.pairs.no_pooling.opacities, [1.0])


def test_fit_is_reml_on_the_rows_in_use(e):
    c, s = e.controls, e.state
    with s.hold():
        for j in range(18):
            s.set_n(j, 3)
    c.tau_beta.value = 1.0
    c.scale.slider.index = 5
    c.fit.click()
    keep = SLEEP.groupby("Subject").cumcount() < 3
    ref = slopes_fit(X[keep], Y[keep], G[keep])
    assert s.scale == 1.0 and s.error == ""
    assert s.sigma2 == pytest.approx(ref.sigma2, rel=1e-7)
    assert s.tau_alpha == pytest.approx(ref.tau_alpha, rel=1e-6)
    assert s.tau_beta == pytest.approx(ref.tau_beta, rel=1e-6)
    np.testing.assert_allclose(e.pairs.partial_pooling.x, ref.partial_pooling.alpha, rtol=1e-8)
    assert c.tau_beta.value == s.tau_beta and "fit (REML)" == c.fit.description


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(rho=1.5), r"rho must be in \[-1, 1\] \(got 1.5\)"),
        (dict(tau_alpha=-2.0), r"tau_alpha must be in \[0, inf\] \(got -2.0\)"),
        (dict(scale=np.inf, rho=1.0), r"no pooling \(scale = ∞\) needs .* rho = 1\)"),
        (dict(scale=np.inf, tau_beta=0.0), r"needs tau_alpha > 0, tau_beta > 0"),
    ],
)
def test_refused_change_shows_the_message_and_keeps_the_picture(e, sent, updates, change, message):
    s = e.state
    before = s.snapshot
    sent.clear()
    with s.hold():
        for k, v in change.items():
            setattr(s, k, v)
    assert s.snapshot is before
    assert re.search(message, s.error), s.error
    assert s.error in e.controls.error.value and "last valid setting" in e.controls.error.value
    for mark in marks(e):
        assert updates(mark) == []
    s.rho, s.tau_alpha, s.tau_beta, s.sigma2, s.scale = 0.1, 20.0, 5.0, 600.0, 1.0
    assert s.error == "" and s.snapshot is not before and e.controls.error.value == ""


def test_rho_one_is_a_valid_singular_sigma_inside_the_ends(e):
    e.controls.rho.value = 1.0  # Sigma singular: every pair on one line through mu
    s = e.state
    assert s.error == ""
    p = s.snapshot.fit.partial_pooling
    d = np.vstack([p.alpha - p.mu[0], p.beta - p.mu[1]])
    along = np.array([s.tau_alpha, s.tau_beta])
    cross = along[0] * d[1] - along[1] * d[0]
    np.testing.assert_allclose(cross, 0, atol=1e-9 * np.abs(d).max() * along.max())


def test_click_and_dropdown_select_a_group(e):
    for mark, j in ((e.pairs.no_pooling, 3), (e.pairs.partial_pooling, 11)):
        click(mark, j)
        assert e.state.selected == j and e.controls.group.value == j
        np.testing.assert_array_equal(e.pairs.no_pooling.selected, [j])
        np.testing.assert_array_equal(e.pairs.partial_pooling.selected, [j])
        assert e.controls.readout.value.startswith(f"<b>{e.state.labels[j]}</b>")
        assert e.controls.n.max == 10
    e.controls.group.value = 0
    np.testing.assert_array_equal(e.pairs.partial_pooling.selected, [0])


BAD = SLEEP.assign(Reaction=np.r_[SLEEP.Reaction[:5], np.nan, SLEEP.Reaction[6:]])


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: sv.SlopesExplorer.from_frame(SLEEP, x="Day", y="Reaction", group="Subject"),
            "x must be a column",
        ),
        (
            lambda: sv.SlopesExplorer.from_frame(BAD, x="Days", y="Reaction", group="Subject"),
            "y column 'Reaction' has a missing value at row 5",
        ),
        (
            lambda: sv.SlopesExplorer.from_frame(SLEEP, x="Subject", y="Reaction", group="Subject"),
            "x column 'Subject' must hold numbers",
        ),
        (
            lambda: sv.SlopesExplorer.from_frame(
                SLEEP.assign(Days=0), x="Days", y="Reaction", group="Subject"
            ),
            "x must vary within at least one group",
        ),
        (
            lambda: sv.SlopesExplorer.sleepstudy(panels=["999"]),
            "panels must be group labels \\(got '999'\\)",
        ),
    ],
)
def test_bad_input_at_construction(sent, make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_nothing_the_user_passed_is_mutated(sent):
    df = SLEEP.copy()
    x, y, g = df.Days.to_numpy().copy(), df.Reaction.to_numpy().copy(), df.Subject.to_numpy()
    xs = x.copy()
    e = sv.SlopesExplorer.from_frame(df, x="Days", y="Reaction", group="Subject")
    e.controls.n.value = 2
    e.controls.fit.click()
    sv.SlopesExplorer(x, y, g).controls.rho.value = 0.5
    pd.testing.assert_frame_equal(df, SLEEP)
    np.testing.assert_array_equal(x, xs)
    assert x.flags.writeable and not e.state.x.flags.writeable


def test_radon_with_slopes_and_font_scale(sent):
    e = sv.SlopesExplorer.radon(font_scale=1.6)
    assert e.state.tau_alpha == pytest.approx(0.349, abs=5e-4)  # G&H 13.1: 0.35, 0.34, -0.34
    assert e.state.tau_beta == pytest.approx(0.344, abs=5e-4)
    assert e.state.rho == pytest.approx(-0.337, abs=5e-4)
    assert "shrinkviz-font-160" in e._dom_classes
    # counties with houses on one floor only have no line of their own: hidden, not nan
    miss = e.state.snapshot.fit.no_pooling.missing
    assert miss.any() and np.isfinite(e.pairs.no_pooling.x).all()
    assert (np.asarray(e.pairs.no_pooling.opacities)[miss] == 0).all()


def test_state_alone_one_recompute_per_hold(calls):
    s = SlopesState(X, Y, G)
    calls.clear()
    with s.hold():
        s.tau_alpha, s.tau_beta, s.rho = 10.0, 2.0, 0.3
    assert len(calls) == 1
    assert s.snapshot.Sigma == pytest.approx(covariance(10.0, 2.0, 0.3))


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("sigma2", float("nan"), "sigma2 must be a finite number (got nan)"),
        ("sigma2", -1.0, "sigma2 must be in [0, inf] (got -1.0)"),
        ("tau_beta", float("inf"), "tau_beta must be a finite number (got inf)"),
        ("scale", -0.5, "scale must be in [0, inf] (got -0.5)"),
    ],
)
def test_state_refuses_bad_numbers_by_name(name, value, message):
    s = SlopesState(X, Y, G)
    before = s.snapshot
    setattr(s, name, value)
    assert s.error == message and s.snapshot is before


def test_the_browsers_snapped_echo_keeps_the_exact_value(e):
    """The browser snaps a value set from Python to the slider's step and sends it back; that
    echo must not move the state (each value is set 0.37 of a step off the steps)."""
    c, s = e.controls, e.state
    for slider, name, log in (
        (c.tau_alpha, "tau_alpha", False),
        (c.rho, "rho", False),
        (c.sigma2, "sigma2", True),
    ):
        # a value 0.37 of a step past the REML value's step (REML's may fall on a step)
        at = np.log10(getattr(s, name)) if log else getattr(s, name)
        k = round((at - slider.min) / slider.step)
        off = slider.min + (k + 0.37) * slider.step
        exact = 10**off if log else off
        setattr(s, name, exact)
        snapped = 10 ** (slider.min + k * slider.step) if log else slider.min + k * slider.step
        assert snapped != exact
        slider.value = snapped
        assert getattr(s, name) == exact, name
        step = 10 ** (np.log10(snapped) + slider.step) if log else snapped + slider.step
        slider.value = step  # a move of one step is a move
        assert getattr(s, name) == pytest.approx(step, rel=1e-12), name
    c.fit.click()
    assert s.tau_alpha == slopes_fit(X, Y, G).tau_alpha and c.tau_alpha.value == pytest.approx(
        s.tau_alpha
    )


def _by_gid(fig, gid):
    (artist,) = [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]
    return artist


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_static_picture_draws_the_frame(e, tmp_path):
    c, s = e.controls, e.state
    c.group.value = s.labels.index("337")
    c.n.value = 2
    c.rho.value = 0.5
    fig = e.static_figure()
    p = s.snapshot.fit.partial_pooling
    np.testing.assert_allclose(_by_gid(fig, "partial").get_offsets(), np.c_[p.alpha, p.beta])
    np.testing.assert_allclose(_by_gid(fig, "mu").get_offsets(), [p.mu])
    own = _by_gid(fig, "none").get_offsets()
    assert len(own) == 18  # two rows still make a line
    ex, ey = _by_gid(fig, "0.9").get_data()
    d = np.vstack([ex - p.mu[0], ey - p.mu[1]])
    q = np.einsum("ik,ij,jk->k", d, np.linalg.inv(s.snapshot.Sigma), d)
    np.testing.assert_allclose(q, stats.chi2.ppf(0.9, 2), rtol=1e-10)
    j = s.labels.index("337")
    xs, ys = _by_gid(fig, f"partial-{j}").get_data()
    np.testing.assert_allclose(ys, p.alpha[j] + p.beta[j] * xs, rtol=1e-12)
    assert "337: n_j = 2 of 10" in e._caption(s.snapshot) and "ρ = 0.5" in e._caption(s.snapshot)
    path = e.savefig(tmp_path / "slopes.png", dpi=40)
    assert path.stat().st_size > 1000
    c.scale.slider.index = len(c.scale.grid) - 1  # no pooling: no ellipse, no error
    fig = e.static_figure()
    assert not [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == "0.9"]


def test_play_sweep_frames_go_from_no_to_complete_pooling(e):
    frames = e.sweep_snapshots()
    assert [f.scale for f in frames] == list(e.controls.scale.grid[::-1])
    first, last = frames[0].fit, frames[-1].fit
    np.testing.assert_allclose(first.partial_pooling.beta, first.no_pooling.beta, rtol=1e-12)
    np.testing.assert_array_equal(
        last.partial_pooling.beta, np.full(18, last.partial_pooling.mu[1])
    )
    assert e.state.scale == 1.0 and e.state.snapshot.scale == 1.0  # the explorer did not move


def test_fit_with_one_group_left_is_refused_with_the_message(e, sent, updates):
    s = e.state
    with s.hold():
        for j in range(1, 18):
            s.set_n(j, 0)
    before = s.snapshot
    sent.clear()
    e.controls.fit.click()
    assert s.error == "at least two groups need data (got data for 1 group: '308')"
    assert s.error in e.controls.error.value and s.snapshot is before
    assert all(updates(m) == [] for m in marks(e))


def test_text_alternative_says_the_models_numbers(e):
    c, s = e.controls, e.state
    c.scale.slider.index = 0  # complete pooling: every slope mu_beta
    said = e._describe_change(None, s.snapshot)
    p, f = s.snapshot.fit.partial_pooling, s.snapshot.fit
    moved = np.abs(p.beta - f.no_pooling.beta).max()
    assert said.startswith("Sigma times 0: tau alpha 24.7") and f"up to {number(moved)}" in said
    assert f"intercept {number(p.mu[0])}, slope {number(p.mu[1])}" in said
    assert "Σ" not in said and "ρ" not in said  # words a screen reader says
    j = s.selected  # the group named as a group ("subject 308", not a bare "308")
    assert f"lines. subject {s.labels[j]}: {int(f.n[j])} of {int(s.n_max[j])} rows" in said
    columns, rows = e._table(s.snapshot)
    assert columns[0] == "subject" and len(rows) == 18
    assert rows[4] == [
        s.labels[4],
        "10",
        number(f.no_pooling.alpha[4]),
        number(f.no_pooling.beta[4]),
        number(p.alpha[4]),
        number(p.beta[4]),
    ]
    c.n.value = 1
    assert e._table(s.snapshot)[1][s.selected][2:4] == ["no line", "no line"]
