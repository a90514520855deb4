"""The forest explorer without a browser: its state against meta_analysis, one recompute and
at most one message per mark per change, refused changes, bad input, nothing mutated."""

import html
import itertools

import numpy as np
import pandas as pd
import pytest

import shrinkviz as sv
import shrinkviz.widgets.state.forest as state_module
from shrinkviz.model.forest import ESTIMATOR_NAMES
from shrinkviz.widgets.controls import number
from shrinkviz.widgets.state.forest import ForestState

FIT_FIELDS = ("mu", "se", "ci_lb", "ci_ub", "tau2", "pi_lb", "pi_ub", "I2", "Q", "stat")


def marks(ex):
    return [m for fig in ex.figures.values() for m in fig.marks]


def same_fit(fit, ref, rel=1e-12):
    for name in FIT_FIELDS:
        assert getattr(fit, name) == pytest.approx(getattr(ref, name), rel=rel, abs=1e-14), name


@pytest.fixture
def bcg(sent):
    return sv.ForestExplorer.bcg()


@pytest.fixture
def teacher(sent):
    return sv.ForestExplorer.teacher_expectancy()


def test_bcg_from_its_table_is_metafor(bcg):
    df = sv.data.bcg()  # yi, vi: metafor's escalc(measure="RR"), stored with the data
    np.testing.assert_allclose(bcg.state.y, df["yi"], rtol=1e-12)
    np.testing.assert_allclose(bcg.state.v, df["vi"], rtol=1e-12)
    assert bcg.state.labels[3] == "Hart & Sutherland 1977"
    assert bcg.transform == "exp"


def test_boxes_and_classes(bcg):
    assert "shrinkviz-forest" in bcg._dom_classes
    assert list(bcg.figures) == ["main", "funnel", "estimators"]
    for css in ("shrinkviz-forest-figure", "shrinkviz-funnel-figure"):
        assert any(css in f._dom_classes for f in bcg.figures.values())
    assert bcg.save_png("a.png") == ["a.png", "a-funnel.png", "a-estimators.png"]


@pytest.mark.parametrize("method", ESTIMATOR_NAMES)
def test_estimator_switch_is_meta_analysis(teacher, method):
    s = teacher.state
    teacher.controls.method.value = method
    ref = sv.meta_analysis(s.y, s.v, method=method)
    same_fit(s.snapshot.forest.fit, ref)
    assert s.tau2 == ref.tau2  # the slider follows the estimate
    np.testing.assert_allclose(s.snapshot.forest.pred, ref.blup().pred, rtol=1e-12)
    assert s.snapshot.estimates[method] == ref.tau2
    assert teacher.controls.method.label == f"{method} (τ² = {number(ref.tau2)})"


def test_every_estimators_tick_is_its_tau2(teacher):
    s, view = teacher.state, teacher.estimators_view
    for m, x in zip(ESTIMATOR_NAMES, view.ticks.x, strict=True):
        assert x == sv.meta_analysis(s.y, s.v, method=m).tau2
    view._clicked(view.ticks, {"data": {"index": ESTIMATOR_NAMES.index("PM")}})
    assert s.method == "PM" and view.chosen.x[0] == s.snapshot.estimates["PM"]


def test_the_estimator_dropdown_relabels_in_place(bcg, updates):
    """A click gives the dropdown new labels (the tau2 on the kept studies) in one message
    without its index, which stays on the estimator in use."""
    dropdown = bcg.controls.method
    dropdown.value = "DL"
    bcg.click(3)
    s = bcg.state
    kept = np.ones(len(s.y), dtype=bool)
    kept[3] = False
    dl = sv.meta_analysis(s.y[kept], s.v[kept], method="DL").tau2
    assert dropdown.value == "DL" and dropdown.label == f"DL (τ² = {number(dl)})"
    assert dropdown.index == ESTIMATOR_NAMES.index("DL")
    assert [label for label, _ in dropdown.options] == list(dropdown._options_labels)
    (message,) = updates(dropdown)[-1:]
    assert set(message["state"]) == {"_options_labels"}
    dropdown.options = [("a", "REML"), ("b", "DL")]  # other values: ipywidgets' own way
    assert dropdown.index == 0 and dropdown.value == "REML"


def test_leaving_out_is_meta_analysis_on_the_rest(bcg):
    s = bcg.state
    l1o = sv.meta_analysis(s.y, s.v).leave1out()
    for i in range(len(s.y)):
        bcg.click(i)
        assert s.left_out == (i,) and s.selected == i
        fit = s.snapshot.forest.fit
        for name in ("mu", "se", "tau2", "ci_lb", "ci_ub", "I2", "Q"):
            assert getattr(fit, name) == pytest.approx(getattr(l1o, name)[i], rel=1e-7)
        bcg.click(i)
        assert s.left_out == ()
    for out in [(3, 7), (0, 1, 2, 12)]:
        for method in ("DL", "REML"):
            s.method = method
            s.left_out = out
            keep = np.setdiff1d(np.arange(13), out)
            ref = sv.meta_analysis(s.y[keep], s.v[keep], method=method)
            same_fit(s.snapshot.forest.fit, ref)
            assert s.snapshot.estimates["DL"] == sv.meta_analysis(s.y[keep], s.v[keep], "DL").tau2
            same_fit(s.snapshot.reference.fit, sv.meta_analysis(s.y, s.v, method=method))
            s.put_back()


def test_a_left_out_study_greys_and_the_diamond_moves(bcg):
    s, view = bcg.state, bcg.view
    diamond = view.diamond.x.copy()
    view._clicked(view.own, {"data": {"index": 3}})
    assert s.left_out == (3,)
    assert view.own.opacities[3] < 0.5 and view.pooled.opacities[3] == 0
    assert view.before.visible and np.array_equal(view.before.x, diamond)
    fit = s.snapshot.forest.fit
    assert view.diamond.x[1] == fit.mu and view.diamond.x[0] == fit.ci_lb
    assert np.isfinite(view.pooled.x).all()  # no NaN sent for the left-out study
    moved = fit.mu - s.snapshot.reference.fit.mu
    assert f"μ moved by {moved:+.3g}" in bcg.controls.readout.value
    assert "(left out)" in bcg.controls.readout.value
    assert bcg.funnel_view.studies.opacities[3] < 0.5
    assert bcg.funnel_view.rule.x[0] == fit.mu


def test_slider_fixes_tau2(bcg):
    s = bcg.state
    bcg.controls.tau2.slider.index = 10
    tau2 = bcg.controls.tau2.grid[10]
    assert s.method == "fixed" and s.tau2 == tau2
    same_fit(s.snapshot.forest.fit, sv.meta_analysis(s.y, s.v, tau2=tau2))
    assert bcg.controls.method.value == "fixed"
    bcg.controls.tau2.slider.index = len(bcg.controls.tau2.grid) - 1  # no pooling
    np.testing.assert_allclose(s.snapshot.forest.pred, s.y, atol=1e-9)
    assert "τ² = ∞" in bcg.controls.readout.value
    bcg.controls.tau2.slider.index = 0  # complete pooling
    np.testing.assert_allclose(s.snapshot.forest.pred, s.snapshot.forest.fit.mu, rtol=1e-12)
    bcg.controls.method.value = "REML"
    assert s.tau2 == sv.meta_analysis(s.y, s.v).tau2


def test_knapp_hartung_toggle_redraws_the_diamond(bcg, updates):
    s, view = bcg.state, bcg.view
    bcg.controls.test.value = "knha"
    ref = sv.meta_analysis(s.y, s.v, test="knha")
    same_fit(s.snapshot.forest.fit, ref)
    assert view.diamond.x[0] == ref.ci_lb and view.diamond.x[2] == ref.ci_ub
    assert "Knapp-Hartung" in bcg.controls.readout.value


def test_one_recompute_and_one_message_per_mark_per_change(bcg, sent, updates, monkeypatch):
    frames = []
    bcg.state.observe(lambda c: frames.append(c["new"]), "snapshot")
    calls = []
    real = state_module.forest
    monkeypatch.setattr(state_module, "forest", lambda *a, **k: calls.append(1) or real(*a, **k))
    moves = [
        lambda: setattr(bcg.controls.tau2.slider, "index", 20),
        lambda: setattr(bcg.controls.method, "value", "DL"),
        lambda: bcg.click(3),
        lambda: setattr(bcg.controls.test, "value", "knha"),
        lambda: setattr(bcg.controls.sort, "value", "precision"),
    ]
    for move in moves:
        frames.clear(), calls.clear(), sent.clear()
        move()
        assert len(frames) == 1
        assert len(calls) <= 2  # the fit, and the all-studies fit when it is not cached
        for mark in marks(bcg):
            assert len(updates(mark)) <= 1
    calls.clear()
    bcg.click(5)  # studies out, method unchanged: the all-studies fit is cached
    assert len(calls) == 1
    calls.clear()
    bcg.click(5)  # back in: the fit of these studies with these settings is cached
    assert calls == []


def test_the_fits_kept_are_bounded(bcg):
    s = bcg.state
    for i, j in itertools.combinations(range(len(s.y)), 2):
        s.left_out = (i, j)
    assert len(s._fits) == len(s._estimates) == state_module.KEPT_SETS
    assert () in s._fits and () in s._estimates  # the all-studies reference stays
    assert (11, 12) in s._fits  # the newest too
    s.left_out = ()
    assert s.snapshot.forest is s._fits[()]


def test_sort_orders_the_rows(bcg):
    s, view = bcg.state, bcg.view
    s.sort = "precision"
    rows = view.positions(s.snapshot)
    assert np.argmax(rows) == np.argmin(s.v)  # the most precise study on top
    s.sort = "effect"
    assert np.array_equal(np.argsort(-view.positions(s.snapshot)), np.argsort(s.y, kind="stable"))
    s.sort = "label"
    top = np.argmax(view.positions(s.snapshot))
    assert s.labels[top] == sorted(s.labels, key=str.lower)[0]


def test_refused_change_keeps_the_last_good_picture(sent, updates):
    df = pd.DataFrame({"yi": [0.1, 0.5, 0.3], "vi": [0.1, 0.2, 0.3], "name": list("abc")})
    ex = sv.ForestExplorer.from_frame(df, labels="name")
    ex.click(0)
    before = {id(m): m.get_state() for m in marks(ex)}
    sent.clear()
    ex.click(1)  # one study left: REML needs two
    assert ex.state.error.startswith("at least two studies must stay in")
    assert "got 1 left: c" in ex.controls.error.value
    assert ex.state.left_out == (0,)  # the change is undone
    # nothing drawn changes (the clicked study is selected: its ring only)
    for m in marks(ex):
        assert all(set(u["state"]) <= {"selected"} for u in updates(m))
    for m in marks(ex):
        for name in ("x", "y", "opacities", "visible"):
            old, new = before[id(m)][name], m.get_state()[name]
            assert (
                (bytes(old["value"]) == bytes(new["value"]))
                if isinstance(old, dict)
                else (old == new)
            ), name
    ex.click(0)
    assert ex.state.error == "" and ex.state.left_out == ()


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda df: sv.ForestExplorer.from_table(
                df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg"
            ),
            r"ai column 'tpos'.*-4.*row 'Aronson'",
        ),
        (
            lambda df: sv.ForestExplorer.from_table(df, "RR", ai="tpos", bi="nope", ci="c", di="d"),
            r"'nope'",
        ),
        (lambda df: sv.ForestExplorer.from_frame(df, y="yi", v="vi"), r"v column 'vi'.*row 'F"),
        (lambda df: sv.ForestExplorer.from_frame(df, y="author", v="vi"), r"y column 'author'"),
    ],
)
def test_bad_input_names_the_column_and_the_row(sent, make, match):
    df = sv.data.bcg().set_index("author", drop=False)
    df.loc["Aronson", "tpos"] = -4
    df.loc["Ferguson & Simes", "vi"] = 0.0
    with pytest.raises(ValueError, match=match):
        make(df)


def test_bad_input_without_a_frame(sent):
    with pytest.raises(ValueError, match=r"v must be > 0 and finite \(got -1.0 at index 1\)"):
        sv.ForestExplorer.from_meta([0.1, 0.2], [0.1, -1.0])
    with pytest.raises(ValueError, match=r"y must be finite \(got nan at index 0\)"):
        sv.ForestExplorer.from_meta([np.nan, 0.2], [0.1, 0.1])
    with pytest.raises(ValueError, match="labels must be of length 2"):
        sv.ForestExplorer.from_meta([0.1, 0.2], [0.1, 0.1], labels=["a"])
    with pytest.raises(ValueError, match="transform must be one of"):
        sv.ForestExplorer.from_meta([0.1, 0.2], [0.1, 0.1], transform="log")
    with pytest.raises(ValueError, match="at least two studies"):
        sv.ForestExplorer.from_meta([0.1], [0.1])
    with pytest.raises(ValueError, match="method must be"):
        ForestState([0.1, 0.2], [0.1, 0.1], method="XX")
    table = pd.DataFrame({"a": [0, 1], "b": [10, 10], "c": [0, 2], "d": [10, 10]})
    with pytest.raises(ValueError, match=r"the OR of row 0 is not defined"):
        sv.ForestExplorer.from_table(table, "OR", ai="a", bi="b", ci="c", di="d", drop00=True)


def test_nothing_the_user_gave_is_mutated(sent):
    df = sv.data.bcg()
    copy = df.copy()
    y, v = df["yi"].to_numpy(), df["vi"].to_numpy()
    y0, v0 = y.copy(), v.copy()
    labels = list(df["author"])
    for ex in (
        sv.ForestExplorer.from_table(df, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg"),
        sv.ForestExplorer.from_meta(y, v, labels=labels),
        sv.ForestExplorer.from_frame(df, labels="author"),
    ):
        ex.click(2), ex.state.__setattr__("method", "DL"), ex.state.__setattr__("tau2", 0.2)
    pd.testing.assert_frame_equal(df, copy)
    assert np.array_equal(y, y0) and np.array_equal(v, v0)
    assert labels == list(copy["author"])


def test_from_table_other_measures(sent):
    df = pd.DataFrame(
        {"r": [0.1, 0.3, 0.5, 0.2], "n": [40, 60, 80, 100], "who": ["a", "b", "c", "d"]}
    )
    ex = sv.ForestExplorer.from_table(df, "ZCOR", ri="r", ni="n", labels="who", font_scale=1.5)
    np.testing.assert_allclose(ex.state.y, np.arctanh(df["r"]))
    assert ex.transform == "tanh" and "correlation" in ex.controls.readout.value
    labels = ex.view._vaxis.tick_labels
    assert labels and all(abs(float(t) - np.tanh(float(x))) < 5e-3 for x, t in labels.items())


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_static_picture_and_sweep(bcg, tmp_path):
    s = bcg.state
    bcg.click(3)
    fig = bcg.static_figure()
    axes = {a.get_title(): a for a in fig.axes}
    assert set(axes) == {"BCG vaccine trials", "", "τ² by estimator"}
    forest_ax = axes["BCG vaccine trials"]
    diamond = next(p for p in forest_ax.patches if p.get_gid() == "diamond")
    fit = s.snapshot.forest.fit
    xs = diamond.get_xy()[:, 0]
    assert min(xs) == pytest.approx(fit.ci_lb) and max(xs) == pytest.approx(fit.ci_ub)
    assert any(line.get_gid() == "before" for line in forest_ax.lines)  # all-studies outline
    assert [t.get_text() for t in forest_ax.get_yticklabels()][-1] == "prediction"
    caption = next(t for t in fig.findobj() if getattr(t, "get_gid", lambda: 0)() == "caption")
    assert "Without Hart & Sutherland 1977" in caption.get_text().replace("\n", " ")
    for name in ("f.png", "f.svg"):
        assert bcg.savefig(tmp_path / name).stat().st_size > 1000
    before = (s.method, s.tau2, s.left_out, s.snapshot)
    frames = bcg.sweep_snapshots()
    assert (s.method, s.tau2, s.left_out, s.snapshot) == before
    assert len(frames) == len(bcg.controls.tau2.grid)
    assert frames[0].forest.fit.tau2 > 1e6 and frames[-1].forest.fit.tau2 == 0
    assert all(f.method == "fixed" for f in frames)


def test_live_region_and_table_say_what_the_forest_shows(bcg):
    s = bcg.state
    bcg.click(3)
    fit, ref = s.snapshot.forest.fit, s.snapshot.reference.fit
    said = bcg.live.value
    assert said.startswith(
        f"Hart &amp; Sutherland 1977 left out: the pooled effect moved from {number(ref.mu)} "
        f"to {number(fit.mu)}. REML estimate, tau squared {number(fit.tau2)}"
    )
    assert "12 of 13 studies in" in said and "μ" not in said and "τ" not in said
    assert said.endswith(
        f". Selected trial Hart &amp; Sutherland 1977: own estimate {number(s.y[3])}, left out"
    )
    s.selected = 5  # choosing a study (the dropdown) says its numbers
    fo = s.snapshot.forest
    assert bcg.live.value.endswith(
        f". Selected trial {html.escape(s.labels[5])}: own estimate {number(s.y[5])}, "
        f"partial pooling {number(fo.pred[5])}, weight {fo.weight[5]:.3g} percent"
    )
    s.selected = 3
    bcg.click(3)
    assert bcg.live.value.startswith("Hart &amp; Sutherland 1977 put back")
    s.tau2 = float("inf")
    assert "tau squared fixed, tau squared infinity" in bcg.live.value
    columns, rows = bcg._table(s.snapshot)
    assert columns[0] == "trial" and len(rows) == 13
    assert rows[0][1] == number(s.y[0]) and rows[0][-1] == f"{s.snapshot.forest.weight[0]:.3g}"
    bcg.click(0)
    assert bcg._table(s.snapshot)[1][0][4] == "left out"
