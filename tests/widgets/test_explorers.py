"""Explorers without a browser: controls drive the state, marks show the solver's numbers,
one binary update message per changed mark, bad input refused or shown in the widget."""

import numpy as np
import pandas as pd
import pytest
from bqplot import Figure
from ipywidgets import Widget

import shrinkviz as sv
from shrinkviz.widgets.views._theme import js_number

SCHOOLS = sv.data.eight_schools()
RADON = sv.data.radon()


@pytest.fixture
def schools(sent):
    return sv.ShrinkageExplorer.eight_schools()


@pytest.fixture
def radon(sent):
    return sv.PoolingLinesExplorer.radon()


def figures(box):
    """Every bqplot Figure inside a Box."""
    found = []
    for child in getattr(box, "children", ()):
        found += [child] if isinstance(child, Figure) else figures(child)
    return found


def all_marks(box):
    return [m for fig in figures(box) for m in fig.marks]


def test_explorer_is_a_box_with_stable_classes(schools, radon):
    assert isinstance(schools, Widget) and "shrinkviz-explorer" in schools._dom_classes
    assert "shrinkviz-shrinkage" in schools._dom_classes
    assert "shrinkviz-pooling-lines" in radon._dom_classes
    assert "shrinkviz-tau2" in schools.controls.tau2.slider._dom_classes
    assert "shrinkviz-play" in schools.controls.tau2.play._dom_classes
    assert "shrinkviz-figure" in schools.figure._dom_classes
    assert "τ²" in schools.controls.tau2.slider.description


def test_tau2_slider_moves_the_marks_to_the_posterior(schools):
    slider, view = schools.controls.tau2.slider, schools.view
    for index in (5, 30, 47):
        slider.index = index
        tau2 = schools.controls.tau2.grid[index]
        assert schools.state.tau2 == tau2
        ref = sv.posterior(SCHOOLS.y, SCHOOLS.v, tau2)
        np.testing.assert_array_equal(view.pooled.y, ref.mean)
        np.testing.assert_array_equal(view.segments.y, np.column_stack([SCHOOLS.y, ref.mean]))
        np.testing.assert_array_equal(view.rule.y, [ref.mu0, ref.mu0])
        np.testing.assert_array_equal(view.own.y, SCHOOLS.y)


def test_slider_ends_are_complete_and_no_pooling(schools):
    slider, view = schools.controls.tau2.slider, schools.view
    slider.index = 0
    assert schools.state.tau2 == 0.0
    assert np.all(view.pooled.y == view.rule.y[0])
    assert view.rule.y[0] == sv.posterior(SCHOOLS.y, SCHOOLS.v, 0.0).mu0
    slider.index = len(slider.options) - 1
    assert schools.state.tau2 == np.inf
    np.testing.assert_array_equal(view.pooled.y, SCHOOLS.y)
    labels = [w.value for w in schools.controls.tau2.children[1].children]
    assert "complete pooling" in labels[0] and "no pooling" in labels[1]


def test_one_binary_message_per_changed_mark(schools, sent, updates):
    view = schools.view
    schools.controls.tau2.slider.index = 20
    sent.clear()
    schools.controls.tau2.slider.index = 25
    # mu_j, the estimated mu0 and the rule at tau in the p(tau | y) panel move
    changed = (view.segments, view.pooled, view.rule, schools.tau_view.rule)
    for mark in changed:
        (msg,) = updates(mark)
        assert msg["state"] and {"x", "y"} >= set(msg["state"])
    for mark in set(all_marks(schools)) - set(changed):
        assert updates(mark) == []
    buffers = [b for cid, data, bufs in sent if cid == view.pooled.comm.comm_id for b in bufs]
    assert buffers and all(isinstance(b, memoryview) for b in buffers)
    state = view.pooled.get_state()
    assert isinstance(state["y"]["value"], memoryview) and state["y"]["dtype"] == "float64"
    assert isinstance(view.segments.get_state()["y"]["value"], memoryview)
    assert view.segments.get_state()["y"]["shape"] == (8, 2)  # all segments in one mark


def test_play_sweeps_from_no_to_complete_pooling(schools):
    play, grid = schools.controls.tau2.play, schools.controls.tau2.grid
    play.value = 0
    assert schools.state.tau2 == np.inf
    play.value = 10
    assert schools.state.tau2 == grid[len(grid) - 1 - 10]
    play.value = play.max
    assert schools.state.tau2 == 0.0


def test_fit_sets_reml_and_the_slider_follows(sent):
    bcg = sv.data.bcg()
    e = sv.ShrinkageExplorer.from_meta(bcg.yi, bcg.vi, labels=bcg.trial)
    e.controls.fit.click()
    reml = sv.meta_analysis(bcg.yi, bcg.vi, method="REML").tau2
    assert e.state.tau2 == reml  # exact, not the nearest slider position
    grid = e.controls.tau2.grid
    assert e.controls.tau2.slider.index == 1 + np.argmin(np.abs(np.log(grid[1:-1] / reml)))
    np.testing.assert_array_equal(e.view.pooled.y, sv.posterior(bcg.yi, bcg.vi, reml).mean)


def test_click_and_dropdown_select_a_group(sent):
    e = sv.ShrinkageExplorer.from_groups([1.0, 3.0, 2.0], [4, 9, 16], 2.0, labels="abc")
    e.view.pooled._handle_custom_msgs(
        e.view.pooled, {"event": "element_click", "data": {"index": 2}}, []
    )
    assert e.state.selected == 2 and e.controls.group.value == 2
    np.testing.assert_array_equal(e.view.pooled.selected, [2])
    assert e.controls.n.value == 16
    e.controls.group.value = 0
    e.controls.n.value = 1  # n_j of "a" only
    np.testing.assert_array_equal(e.state.n, [1, 9, 16])
    ref = sv.posterior([1.0, 3.0, 2.0], 2.0 / np.array([1, 9, 16]), e.state.tau2)
    np.testing.assert_array_equal(e.view.pooled.y, ref.mean)
    e.controls.n_scale.value = 4.0
    ref = sv.posterior([1.0, 3.0, 2.0], 2.0 / (4 * np.array([1, 9, 16])), e.state.tau2)
    np.testing.assert_array_equal(e.view.pooled.y, ref.mean)


def test_invalid_controls_show_a_message_and_keep_the_picture(sent, updates):
    e = sv.ShrinkageExplorer.from_groups([1.0, 3.0], [4, 9], 2.0, labels="ab")
    e.controls.tau2.slider.index = 0  # complete pooling
    e.controls.n.value = 0
    e.controls.group.value = 1
    before = e.view.pooled.y.copy()
    sent.clear()
    e.controls.n.value = 0  # no group has data: mu0 cannot be estimated
    assert "v must be finite" in e.state.error
    assert "v must be finite" in e.controls.error.value
    np.testing.assert_array_equal(e.view.pooled.y, before)
    assert all(updates(m) == [] for m in all_marks(e))
    e.controls.n.value = 3
    assert e.state.error == "" and e.controls.error.value == ""


def test_full_bayes_toggle_moves_to_the_full_bayes_means(schools):
    c = schools.controls
    c.average_over_tau.value = True
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    np.testing.assert_array_equal(schools.view.pooled.y, ref.mean)
    np.testing.assert_array_equal(
        schools.view.interval.y,
        np.column_stack([ref.mean - ref.sd, ref.mean + ref.sd]),
    )
    assert schools.view.interval.visible
    tau = schools.tau_view
    np.testing.assert_array_equal(tau.curve.y, ref.tau_density)
    reml = sv.meta_analysis(SCHOOLS.y, SCHOOLS.v, method="REML").tau2
    assert tau.reml.x[0] == np.sqrt(reml)
    c.tau2.slider.index = 20
    assert tau.rule.x[0] == pytest.approx(np.sqrt(schools.state.tau2))
    c.prior.value = "half-normal"
    ref = sv.full_bayes(
        SCHOOLS.y, SCHOOLS.v, tau_prior="half-normal", tau_scale=schools.state.tau_scale
    )
    np.testing.assert_array_equal(schools.view.pooled.y, ref.mean)
    c.average_over_tau.value = False
    assert not schools.view.interval.visible


def test_tau_panel_hides_and_full_bayes_refuses_when_p_tau_is_undefined(schools, updates):
    s, tau = schools.state, schools.tau_view
    with s.hold():
        s.tau_prior, s.tau_scale = "half-cauchy", 0.0  # full_bayes refuses a scale of 0
    assert s.error == "" and s.snapshot.full_bayes is None
    assert not tau.curve.visible and "not available" in tau.figure.title
    pooled = schools.view.pooled.y.copy()
    schools.controls.average_over_tau.value = True
    assert "full Bayes" in s.error and "tau_scale" in s.error
    np.testing.assert_array_equal(schools.view.pooled.y, pooled)
    s.tau_scale = 5.0
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v, tau_prior="half-cauchy", tau_scale=5.0)
    assert s.error == "" and tau.curve.visible and tau.figure.title == "p(τ | y)"
    np.testing.assert_array_equal(schools.view.pooled.y, ref.mean)


def test_save_sends_bqplot_save_messages_for_every_figure(schools, radon, sent):
    sent.clear()
    assert schools.save_png("a.png") == ["a.png", "a-tau.png"]
    assert schools.save_svg("a.svg") == ["a.svg", "a-tau.svg"]
    for fig, names in (
        (schools.figure, ["a.png", "a.svg"]),
        (schools.tau_view.figure, ["a-tau.png", "a-tau.svg"]),
    ):
        msgs = [
            d["content"]
            for cid, d, _ in sent
            if cid == fig.comm.comm_id and d.get("method") == "custom"
        ]
        assert [(m["type"], m["filename"]) for m in msgs] == list(
            zip(["save_png", "save_svg"], names, strict=True)
        )
    assert "downloads" in schools.saved.value and "a-tau.svg" in schools.saved.value
    assert radon.save_png() == ["shrinkviz.png", "shrinkviz-overview.png"]
    msgs = [
        d["content"]
        for cid, d, _ in sent
        if cid == radon.overview.figure.comm.comm_id and d.get("method") == "custom"
    ]
    assert [m["type"] for m in msgs] == ["save_png"]


def test_pooling_sliders_draw_the_fit(radon, sent, updates):
    s, c = radon.state, radon.controls
    sent.clear()
    c.tau2.slider.index = 30
    tau2 = c.tau2.grid[30]
    ref = sv.pooling_fit(RADON.floor, RADON.log_radon, RADON.county, sigma2=s.sigma2, tau2=tau2)
    np.testing.assert_allclose(
        radon.overview.partial_pooling.y, ref.partial_pooling.alpha, rtol=1e-12
    )
    panels = radon.panels_view
    g = panels.panels
    np.testing.assert_allclose(
        panels.lines["partial"].y - panels._yoff[:, None],
        ref.partial_pooling.alpha[g][:, None] + ref.partial_pooling.beta * panels._xends,
        rtol=1e-12,
    )
    # tau2 moves the partial lines, bars, markers and mu_alpha; not complete or no pooling
    for mark in (
        panels.lines["partial"],
        radon.overview.partial_pooling,
        radon.overview.partial_bars,
        radon.overview.rule,
    ):
        assert len(updates(mark)) == 1
    for mark in (
        panels.lines["complete"],
        panels.lines["none"],
        panels.points,
        radon.overview.no_pooling,
        radon.overview.none_bars,
    ):
        assert updates(mark) == []


def test_pooling_n_slider_drops_rows(radon):
    c, s = radon.controls, radon.state
    c.group.value = s.labels.index("STLOUIS")
    c.n.value = 2
    keep = (RADON.county != "STLOUIS") | (RADON.groupby("county").cumcount() < 2)
    sub = RADON[keep]
    ref = sv.pooling_fit(sub.floor, sub.log_radon, sub.county, sigma2=s.sigma2, tau2=s.tau2)
    order = [list(ref.groups).index(g) for g in s.labels]
    np.testing.assert_allclose(radon.overview.no_pooling.y, ref.no_pooling.alpha[order], rtol=1e-10)
    k = list(radon.panels_view.panels).index(s.labels.index("STLOUIS"))
    assert "STLOUIS (n = 2)" == radon.panels_view.titles.text[k]
    used = radon.panels_view.points.color[radon.panels_view._panel_of_row == k]
    assert used.sum() == 2


def test_pooling_group_without_rows_hides_its_no_pooling_marker(radon):
    c, s, o = radon.controls, radon.state, radon.overview
    j = s.labels.index("AITKIN")
    c.group.value = j
    c.n.value = 0
    assert np.isnan(s.snapshot.fit.no_pooling.alpha[j]) and np.isfinite(o.no_pooling.y).all()
    assert o.no_pooling.opacities[j] == 0 and sum(o.no_pooling.opacities) == len(s.labels) - 1
    assert o.partial_pooling.y[j] == s.snapshot.fit.partial_pooling.mu_alpha  # n_j = 0: at mu_alpha
    assert np.isfinite(o.none_bars.y).all() and o.none_bars.opacities[j] == 0
    k = list(radon.panels_view.panels).index(j)
    none = radon.panels_view.lines["none"]
    assert np.isfinite(none.y).all() and none.opacities[k] == 0 and sum(none.opacities) == 7
    c.tau2.slider.index = len(c.tau2.grid) - 1  # tau2 = inf: the sd of alpha_j is inf
    assert s.snapshot.partial_sd[j] == np.inf
    assert np.isfinite(o.partial_bars.y).all() and o.partial_bars.opacities[j] == 0
    c.n.value = 4
    np.testing.assert_array_equal(o.no_pooling.opacities, [1.0])


def test_pooling_tick_labels_show_unshifted_values(radon):
    ax = radon.figure.axes[0]
    labels = [ax.tick_labels[js_number(v)] for v in ax.tick_values]
    assert labels == ["0", "1"] * 4


def test_js_number_matches_javascript():
    cases = [
        (0.0, "0"),
        (-0.0, "0"),
        (5.0, "5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-5, "0.00001"),
        (1.5e-7, "1.5e-7"),
        (1e21, "1e+21"),
        (-2.5, "-2.5"),
    ]
    for x, js in cases:
        assert js_number(x) == js


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: sv.ShrinkageExplorer.from_frame(RADON, y="radon", group="county"),
            "y must be a column",
        ),
        (
            lambda: sv.ShrinkageExplorer.from_frame(
                RADON.assign(y=np.r_[np.nan, RADON.log_radon[1:]]), y="y", group="county"
            ),
            "y column 'y' has a missing value at row 0",
        ),
        (
            lambda: sv.ShrinkageExplorer.from_frame(
                RADON.groupby("county").head(1), y="log_radon", group="county"
            ),
            "sigma2 cannot be estimated from one row per group",
        ),
        (lambda: sv.ShrinkageExplorer.from_meta([1.0, 2.0], [1.0, -0.5]), "v must be > 0"),
        (lambda: sv.ShrinkageExplorer.from_groups([1.0, 2.0], [3, 4], -1.0), "sigma2 must be"),
        (
            lambda: sv.PoolingLinesExplorer.from_frame(
                RADON, x="floor", y="log_radon", group="cty"
            ),
            "group must be a column",
        ),
        (
            lambda: sv.PoolingLinesExplorer.from_frame(
                RADON, x="county", y="log_radon", group="county"
            ),
            "x column 'county' must hold numbers \\(got 'AITKIN' at row 0\\)",
        ),
        (
            lambda: sv.PoolingLinesExplorer.from_frame(
                RADON[RADON.county == "AITKIN"], x="floor", y="log_radon", group="county"
            ),
            "at least two groups need data",
        ),
        (lambda: sv.PoolingLinesExplorer.radon(panels=["NOWHERE"]), "panels must be group labels"),
    ],
)
def test_bad_input_at_construction(sent, make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_category_without_rows_is_left_out(sent):
    c = pd.Categorical(RADON.county, categories=[*RADON.county.unique(), "X"])
    e = sv.ShrinkageExplorer.from_frame(RADON.assign(c=c), y="log_radon", group="c")
    assert len(e.state.labels) == 85 and "X" not in e.state.labels
    e = sv.PoolingLinesExplorer.from_frame(RADON.assign(c=c), x="floor", y="log_radon", group="c")
    assert len(e.state.labels) == 85 and "X" not in e.state.labels


def test_inputs_are_not_mutated(sent):
    df = RADON.copy()
    sv.ShrinkageExplorer.from_frame(df, y="log_radon", group="county")
    sv.PoolingLinesExplorer.from_frame(df, x="floor", y="log_radon", group="county")
    pd.testing.assert_frame_equal(df, RADON)


def click(mark, j):
    """What the browser sends when marker j of a Scatter is clicked."""
    mark._handle_custom_msgs(mark, {"event": "element_click", "data": {"index": j}}, [])


def test_clicking_either_marker_selects_the_group(schools, radon):
    for view, n_marks in (
        (schools.view, (schools.view.own, schools.view.pooled)),
        (radon.overview, (radon.overview.no_pooling, radon.overview.partial_pooling)),
    ):
        for j, mark in zip((3, 5), n_marks, strict=True):
            click(mark, j)
            assert view.state.selected == j
            np.testing.assert_array_equal(n_marks[0].selected, [j])
            np.testing.assert_array_equal(n_marks[1].selected, [j])
    assert schools.controls.group.value == 5 and radon.controls.group.value == 5
    # the hollow marker is filled (white), so the browser hits it all over, not on its ring
    assert schools.view.own.fill and radon.overview.no_pooling.fill


def test_n_slider_range_follows_the_selected_group(radon):
    s, c = radon.state, radon.controls
    for county in ("LACQUIPARLE", "CLAY", "STLOUIS", "AITKIN"):
        click(radon.overview.partial_pooling, s.labels.index(county))
        rows = int((RADON.county == county).sum())
        assert (c.n.max, c.n.value) == (rows, rows), county
    c.n.value = 1
    click(radon.overview.no_pooling, s.labels.index("CLAY"))
    assert (c.n.max, c.n.value) == (14, 14)
    click(radon.overview.no_pooling, s.labels.index("AITKIN"))
    assert (c.n.max, c.n.value) == (4, 1)  # AITKIN keeps the rows it was given


def test_each_selected_group_gets_a_slider_of_its_own_range(radon):
    # the browser's slider keeps its first range for the End key when only max changes
    c, s = radon.controls, radon.state
    first = c.n
    s.selected = s.labels.index("CLAY")
    assert c.n is not first and first.comm is None  # the old one is closed
    assert (c.n.min, c.n.max, c.n.value) == (0, 14, 14)
    assert c.n_box.children == (c.n,) and "shrinkviz-n" in c.n._dom_classes
    c.n.value = 3
    assert s.n[s.selected] == 3


def test_stop_pauses_the_sweep_where_it_is(schools):
    t = schools.controls.tau2
    play, top = t.play, len(t.grid) - 1
    t.slider.index = top  # no pooling, where Play starts
    # what the browser sends while playing, then for Stop: pause() and the rewind
    play.set_state({"playing": True})
    for k in range(1, 8):
        play.set_state({"value": k})
    tau2 = schools.state.tau2
    assert tau2 == t.grid[top - 7]
    play.set_state({"playing": False})
    play.set_state({"value": 0})
    assert play.value == 7 and schools.state.tau2 == tau2 and t.slider.index == top - 7
    # pause alone keeps the place too, and a move by hand afterwards is obeyed
    play.set_state({"playing": True})
    play.set_state({"value": 8})
    play.set_state({"playing": False})
    assert schools.state.tau2 == t.grid[top - 8]
    t.slider.index = top
    assert schools.state.tau2 == np.inf and play.value == 0
    play.value = 3  # set from code, not a Stop
    assert schools.state.tau2 == t.grid[top - 3]


@pytest.mark.parametrize("which", ["schools", "radon"])
def test_a_drag_sends_no_echo_and_play_follows_when_it_pauses(which, request, sent, hand_loop):
    """A move from the browser: no echo of the slider's index, no Play message; once the drag
    pauses Play learns the position (one message); pressing Play before that tells it at
    once; Play's own steps move the slider and schedule nothing."""
    from shrinkviz.widgets import controls

    loop = hand_loop(controls)
    t = request.getfixturevalue(which).controls.tau2
    play, top = t.play, len(t.grid) - 1

    def messages(widget):
        return [d for cid, d, _ in sent if cid == widget.comm.comm_id]

    start = play.value
    sent.clear()
    for index in (30, 29, 28):
        t.slider.set_state({"index": index})
    assert messages(t.slider) == [] and messages(play) == [] and play.value == start
    (timer,) = loop.pending()  # one for the drag, not one per move
    assert timer.delay == t.follow_delay > 0
    timer.run()
    assert play.value == top - 28 and [d["state"] for d in messages(play)] == [{"value": top - 28}]

    t.slider.set_state({"index": 20})
    play.set_state({"playing": True})  # pressed before the drag paused
    assert play.value == top - 20 and loop.pending() == []
    sent.clear()
    play.set_state({"value": top - 19})  # its first step
    assert t.slider.index == 19 and loop.pending() == []
    assert [d["state"] for d in messages(t.slider)] == [{"index": 19}] and messages(play) == []


def test_the_sliders_a_hand_drags_are_not_echoed(schools, radon, sent):
    """Each slider's move from the browser changes the state and sends no echo."""
    for slider, value in (
        (radon.controls.sigma2, radon.controls.sigma2.value * 2),
        (schools.controls.n_scale, 2.0),
        (radon.controls.n_box.slider, 1),
    ):
        sent.clear()
        slider.set_state({"value": value})
        assert slider.value == value
        assert [d for cid, d, _ in sent if d.get("method") == "echo_update"] == []


def shown_number(html: str, name: str) -> str:
    """The number after 'name = ' in a readout."""
    return html.split(f"{name} = ")[1].split(",")[0].split(";")[0].split(" ")[0].strip()


def test_slider_numbers_are_the_readouts(schools, radon, sent):
    from shrinkviz.widgets.controls import number

    bcg = sv.data.bcg()
    e = sv.ShrinkageExplorer.from_meta(bcg.yi, bcg.vi, labels=bcg.trial)
    for ex in (schools, e):  # start (tau2 = var(y), between slider steps), after "fit"
        for step in ("start", "fit", "slider"):
            if step == "fit":
                ex.controls.fit.click()
            elif step == "slider":
                ex.controls.tau2.slider.index = 17
            c = ex.controls
            assert c.tau2.slider.readout is False  # the slider's own (snapped) number is off
            assert c.tau2.value.value == number(ex.state.tau2)
            assert shown_number(c.readout.value, "τ²") == c.tau2.value.value, step
    c, s = radon.controls, radon.state
    c.fit.click()
    sigma2_label = c.children[1].children[1]
    assert not c.sigma2.readout and sigma2_label.value == number(s.sigma2)
    assert shown_number(c.readout.value, "σ²") == sigma2_label.value
    assert shown_number(c.readout.value, "τ²") == c.tau2.value.value == number(s.tau2)


def test_controls_follow_the_state(schools, radon, sent):
    s, c = schools.state, schools.controls
    s.mu0_estimated = False
    assert c.mu0_mode.value == "fixed" and not c.mu0.disabled
    s.mu0_estimated = True
    assert c.mu0_mode.value == "estimated" and c.mu0.disabled
    c.mu0_mode.value = "fixed"
    assert s.mu0_estimated is False
    s.mu0 = 3.0
    assert c.mu0.value == 3.0
    s.n_scale = 2.0
    assert c.n_scale.value == 2.0
    s.tau_prior = "half-normal"
    assert c.prior.value == "half-normal"
    s.average_over_tau = True
    assert c.average_over_tau.value is True
    s.selected = 4
    assert c.group.value == 4
    s.tau2 = 0.0
    assert c.tau2.slider.index == 0
    r, rc = radon.state, radon.controls
    r.sigma2 = 0.5
    assert rc.sigma2.value == 0.5
    r.set_n(r.selected, 1)
    assert rc.n.value == 1


def test_full_bayes_disables_what_it_does_not_use(schools):
    s, c = schools.state, schools.controls
    c.average_over_tau.value = True
    assert c.tau2.slider.disabled and c.tau2.play.disabled and c.fit.disabled
    assert c.mu0_mode.disabled and c.mu0.disabled
    assert s.inactive_hint and s.inactive_hint in c.tau2.hint.value
    assert s.inactive_hint in c.mu0_hint.value
    ref = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    j = s.selected
    text = c.readout.value
    assert "full Bayes" in text and "τ² =" not in text and "μ0 =" not in text
    assert f"E(B_j | y) = {ref.B[j]:.3f}" in text
    assert f"μ_j = {ref.mean[j]:.3g} ± {ref.sd[j]:.2g}" in text
    assert f"μ = {ref.mu0:.3g}" in text and f"E(τ | y) = {ref.tau_mean:.3g}" in text
    c.average_over_tau.value = False
    assert not (c.tau2.slider.disabled or c.fit.disabled or c.mu0_mode.disabled)
    assert c.mu0.disabled  # mu0 is still estimated
    assert c.tau2.hint.value == "" and "B_j" in c.readout.value


def test_tau_axes_follow_the_curve_not_the_slider(schools):
    tau, s, c = schools.tau_view, schools.state, schools.controls
    x, y = tau.curve.scales["x"], tau.curve.scales["y"]

    def fits():
        fb = s.snapshot.full_bayes
        peak = fb.tau_density.max()
        end = fb.tau[np.flatnonzero(fb.tau_density >= 0.01 * peak)[-1]]
        assert peak < y.max < 1.2 * peak
        assert x.max >= end
        return x.max, y.max

    start = fits()
    c.tau2.slider.index = 20
    assert (x.max, y.max) == start  # a tau2 move inside the curve's range: no rescale
    s.n_scale = 12.0  # sharper curve, higher peak: the axes follow
    rescaled = fits()
    assert rescaled != start
    s.tau_prior = "half-cauchy"
    fits()
    s.tau2 = 4 * x.max**2  # the slider's tau beyond the curve: the axis shows it
    assert np.sqrt(s.tau2) <= x.max and tau.rule.x[0] == np.sqrt(s.tau2)
    s.tau2 = np.inf
    assert np.isfinite(tau.rule.x).all() and tau.rule.x[0] == x.max


def test_many_groups_go_forest_style_with_names_from_the_data(sent):
    players = sv.data.baseball()
    y = players.set_index("player")["avg45"]
    e = sv.ShrinkageExplorer.from_meta(y, np.full(len(y), 0.004), labels=players["player"])
    v = e.view
    assert v.forest and v.value_axis == "x"
    group_axis, value_axis = v.figure.axes
    assert group_axis.label == "player" and value_axis.label == "avg45"
    assert group_axis.side == "left" and value_axis.scale is v.pooled.scales["x"]
    # first player on top, every name once
    assert [group_axis.tick_labels[js_number(p)] for p in group_axis.tick_values] == list(
        players["player"]
    )
    np.testing.assert_array_equal(v.values(v.own), y.to_numpy())
    assert sv.ShrinkageExplorer.eight_schools().view.forest is False
    # at font_scale 1.6 even the 8 schools' one-letter names fit side by side ...
    assert sv.ShrinkageExplorer.eight_schools(font_scale=1.6).view.forest is False
    # ... while 200 groups are thinned to every k-th name
    many = sv.ShrinkageExplorer.from_meta(np.arange(200.0), np.ones(200))
    ticks = many.view.figure.axes[0].tick_values
    assert many.view.forest and 10 < len(ticks) < 60
    labels = [many.view.figure.axes[0].tick_labels[js_number(p)] for p in ticks]
    assert len(set(labels)) == len(labels)


def test_repeated_labels_are_numbered(sent):
    e = sv.ShrinkageExplorer.from_meta(
        [1.0, 2.0, 3.0], [1.0, 1.0, 1.0], labels=["Smith", "Jones", "Smith"]
    )
    assert e.state.labels == ("Smith", "Jones", "Smith (2)")


def test_layout_option(sent):
    e = sv.PoolingLinesExplorer.radon(layout="compact")
    d = sv.PoolingLinesExplorer.radon()
    assert float(e.figure.layout.height[:-2]) < float(d.figure.layout.height[:-2])
    with pytest.raises(ValueError, match="layout must be 'default' or 'compact'"):
        sv.ShrinkageExplorer.eight_schools(layout="tiny")


def test_a_group_without_data_drops_its_own_marker_and_says_no_data(sent):
    e = sv.ShrinkageExplorer.from_groups([1.0, 3.0, 2.0, 5.0], [4, 9, 16, 2], 2.0, labels="abcd")
    e.controls.group.value = 3
    e.controls.n.value = 0
    v, c = e.view, e.controls
    np.testing.assert_array_equal(v.own.opacities, [1, 1, 1, 0])
    assert v.segments.opacities == [1, 1, 1, 0]
    assert "no data" in c.readout.value and "nan" not in c.readout.value
    c.average_over_tau.value = True  # group d drops out of p(tau | y) and full Bayes
    assert e.state.error == "" and v.interval.visible
    assert "no data" in c.readout.value and "nan" not in c.readout.value
    assert e.tau_view.curve.visible
    c.n.value = 2
    np.testing.assert_array_equal(v.own.opacities, [1])
    assert v.segments.opacities == [1]


def test_groups_named_by_a_named_index_as_in_a_table(sent):
    df = sv.data.simulate_groups(J=4, n=[2, 3, 4, 5], sigma2=1.0, tau2=1.0, mu0=0.0, seed=1)
    groups = df.groupby("group").agg(ybar=("y", "mean"), n=("y", "size"))
    e = sv.ShrinkageExplorer.from_groups(groups["ybar"], groups["n"], 1.0)
    assert e.state.labels == tuple(str(g) for g in groups.index)
    assert e.view.figure.axes[0].label == "group" and e.view.figure.axes[1].label == "ybar"
    # an unnamed index (0, 1, ... of any table) is no label: the groups count from 1
    s = sv.ShrinkageExplorer.from_meta(SCHOOLS["y"], SCHOOLS["v"])
    assert s.state.labels[0] == "1" and s.view.figure.axes[1].label == "y"


def test_panel_axes_have_two_ticks_at_least(sent):
    survey = pd.DataFrame(
        {"room": list("AABBBCCC"), "hours": [6, 8, 2, 7, 1, 7, 1, 2], "score": np.arange(8.0)}
    )
    e = sv.PoolingLinesExplorer.from_frame(survey, x="hours", y="score", group="room")
    ax = e.figure.axes[0]
    labels = [ax.tick_labels[js_number(v)] for v in ax.tick_values]
    assert labels[:2] == ["2", "4"]  # hours 1-8: not "5" alone (nor "0" for 0-8)
    ticks = e.overview.figure.axes[0].tick_values
    assert len(set(ticks)) == len(ticks) >= 2
