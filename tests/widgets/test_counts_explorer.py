"""The counts explorer without a browser: one recompute per change, the marks and the readout
show the model's numbers, bad input is a clear ValueError naming the parameter (or column) and
the row, nothing the user passed is changed, and a refused change keeps the last picture."""

import numpy as np
import pandas as pd
import pytest

import shrinkviz as sv
from shrinkviz.widgets.controls import number
from shrinkviz.widgets.state.counts import CountsState

RATS = sv.data.rat_tumors()
SURGICAL = sv.data.surgical()


@pytest.fixture
def rats(sent):
    return sv.CountsExplorer.rat_tumors()


@pytest.fixture
def surgical(sent):
    return sv.CountsExplorer.surgical()


def count_computes(state, monkeypatch):
    calls = []
    original = state._compute

    def counted():
        calls.append(1)
        return original()

    monkeypatch.setattr(state, "_compute", counted)
    return calls


def test_one_recompute_per_change_and_none_for_the_same_value(rats, monkeypatch):
    s = rats.state
    calls = count_computes(s, monkeypatch)
    rats.controls.size.slider.index = 10
    assert len(calls) == 1
    s.prior_size = s.prior_size  # the same value: nothing to do
    assert len(calls) == 1
    s.selected = 5
    assert len(calls) == 2
    rats.controls.fit.click()  # size, mean and the mean's mode in one recompute
    assert len(calls) == 3


@pytest.mark.parametrize("index", [0, 7, 31, 59, 60])
def test_slider_moves_the_marks_to_the_model(rats, index):
    grid = rats.controls.size.grid
    rats.controls.size.slider.index = index
    size = grid[index]
    assert rats.state.prior_size == size
    y, n = RATS["y"].to_numpy(float), RATS["n"].to_numpy(float)
    eb = sv.beta_binomial(y, n)
    m = eb.weighted_prior_mean(size)
    ref = eb.with_prior(size=size, mean=m)
    view = rats.view
    np.testing.assert_array_equal(view.posterior.y, ref.mean)
    np.testing.assert_array_equal(view.own.y, y / n)
    np.testing.assert_array_equal(view.posterior.x, n)
    np.testing.assert_array_equal(view.segments.y, np.column_stack([y / n, ref.mean]))
    np.testing.assert_array_equal(view.rule.y, [m, m])
    np.testing.assert_array_equal(view.pooled_rule.y, np.full(2, y.sum() / n.sum()))
    j = rats.state.selected
    lo, hi = ref.interval(0.95)
    np.testing.assert_array_equal(view.interval.y, [lo[j], hi[j]])
    np.testing.assert_array_equal(view.interval.x, [n[j], n[j]])
    text = rats.controls.readout.value
    assert f"posterior mean {number(ref.mean[j])}" in text
    assert f"95% interval {number(lo[j])} to {number(hi[j])}" in text
    assert f"B_j = {ref.B[j]:.3f}" in text
    assert f"a + b = {number(size)}" in text
    assert rats.controls.size.value.value == number(size)  # the number beside the slider


def test_exact_ends(rats):
    y, n = RATS["y"].to_numpy(float), RATS["n"].to_numpy(float)
    rats.controls.size.slider.index = 0
    np.testing.assert_array_equal(rats.view.posterior.y, y / n)  # no pooling
    assert rats.state.snapshot.prior_mean == pytest.approx(np.mean(y / n), rel=1e-14)
    rats.controls.size.slider.index = len(rats.controls.size.grid) - 1
    assert np.all(rats.view.posterior.y == y.sum() / n.sum())  # complete pooling


def test_fit_is_empirical_bayes_and_fixed_mean(rats):
    rats.controls.size.slider.index = 3
    rats.controls.fit.click()
    y, n = RATS["y"], RATS["n"]
    eb = sv.beta_binomial(y, n)
    s = rats.state
    assert (s.prior_size, s.prior_mean, s.prior_mean_estimated) == (
        eb.prior_size,
        eb.prior_mean,
        False,
    )
    np.testing.assert_array_equal(rats.view.posterior.y, eb.mean)
    assert rats.controls.mean_mode.value == "fixed" and not rats.controls.mean.disabled
    rats.controls.mean_mode.value = "estimated"
    assert rats.controls.mean.disabled
    assert s.snapshot.prior_mean == eb.weighted_prior_mean(eb.prior_size)


def test_selecting_shows_that_groups_interval(surgical):
    df = SURGICAL
    surgical.controls.group.value = 9
    eb = sv.beta_binomial(df["deaths"], df["operations"])
    post = eb.with_prior(mean=eb.weighted_prior_mean())
    lo, hi = post.interval(0.95)
    assert surgical.state.snapshot.lower == lo[9] and surgical.state.snapshot.upper == hi[9]
    assert surgical.controls.readout.value.startswith(f"<b>{df['hospital'][9]}</b>")
    assert list(surgical.view.own.selected) == [9]


def test_full_bayes_mode_and_the_size_panel(rats):
    y, n = RATS["y"], RATS["n"]
    fb = sv.full_bayes_binomial(y, n)
    panel = rats.size_view
    np.testing.assert_array_equal(panel.curve.x, fb.log_size)
    np.testing.assert_array_equal(panel.curve.y, fb.log_size_density)
    eb = sv.beta_binomial(y, n)
    assert panel.eb.x[0] == pytest.approx(np.log(eb.prior_size), rel=1e-14)
    rats.controls.size.slider.index = 40
    assert panel.rule.x[0] == pytest.approx(np.log(rats.controls.size.grid[40]), rel=1e-14)
    rats.controls.size.slider.index = 0  # a + b = 0: log = -inf, drawn at the axis' left end
    assert panel.rule.x[0] == panel._xs.min and np.isfinite(panel.rule.x[0])
    rats.state.selected = 4
    rats.controls.average_over_prior.value = True
    f = rats.state.snapshot
    assert f.averaged and f.B is None
    np.testing.assert_array_equal(rats.view.posterior.y, fb.mean)
    lo, hi = fb.interval(0.95, groups=4)
    assert (f.lower, f.upper) == (lo[0], hi[0])
    assert rats.controls.size.slider.disabled and rats.controls.fit.disabled
    assert "integrated out" in rats.controls.size.hint.value
    assert f"E(log(a + b) | y) = {number(fb.log_size_mean)}" in rats.controls.readout.value
    rats.controls.average_over_prior.value = False
    assert not rats.controls.size.slider.disabled


def test_rates_have_no_full_bayes_panel(sent):
    y = np.array([3, 0, 12, 5, 9, 1])
    E = np.array([10.0, 4.0, 30.0, 9.0, 41.0, 2.5])
    ex = sv.CountsExplorer.from_rates(y, E)
    assert "size" not in ex.figures and not hasattr(ex.controls, "average_over_prior")
    gp = sv.gamma_poisson(y, E)
    np.testing.assert_array_equal(
        ex.view.posterior.y, gp.with_prior(mean=gp.weighted_prior_mean()).mean
    )
    assert "b = " in ex.controls.readout.value and "in E_j" in ex.controls.readout.value


def test_refused_change_keeps_the_last_picture(rats):
    rats.controls.fit.click()
    before = rats.view.posterior.y.copy()
    frame = rats.state.snapshot
    rats.state.prior_mean = 1.5  # not a proportion
    assert "mean must be in (0, 1) (got 1.5)" in rats.state.error
    assert rats.state.snapshot is frame
    np.testing.assert_array_equal(rats.view.posterior.y, before)
    assert "1.5" in rats.controls.error.value and "last valid setting" in rats.controls.error.value
    rats.state.prior_mean = 0.2
    assert rats.state.error == "" and rats.controls.error.value == ""


def test_nothing_the_user_passed_is_changed(sent):
    y = np.array([0, 2, 5, 1, 7, 3])
    n = np.array([10, 12, 20, 9, 25, 14])
    df = pd.DataFrame({"g": list("abcdef"), "y": y, "n": n})
    keep = (y.copy(), n.copy(), df.copy())
    ex = sv.CountsExplorer.from_counts(y, n)
    ex2 = sv.CountsExplorer.from_frame(df, y="y", n="n", group="g")
    for e in (ex, ex2):
        e.controls.size.slider.index = 0
        e.controls.fit.click()
    np.testing.assert_array_equal(y, keep[0])
    np.testing.assert_array_equal(n, keep[1])
    pd.testing.assert_frame_equal(df, keep[2])
    assert y.flags.writeable and n.flags.writeable
    assert ex2.state.labels == tuple("abcdef")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: sv.CountsExplorer.from_counts([1, 5, 2], [10, 4, 8]),
            r"y must be <= n \(got y = 5 > n = 4 at index 1\)",
        ),
        (
            lambda: sv.CountsExplorer.from_counts([1, -2, 2], [10, 4, 8]),
            r"y must be whole numbers >= 0 \(got -2.0 at index 1\)",
        ),
        (
            lambda: sv.CountsExplorer.from_counts(
                pd.Series([1, 2.5, 2], index=pd.Index(["x", "y", "z"], name="ward")), [10, 4, 8]
            ),
            r"y must be whole numbers >= 0 \(got 2.5 at row 'y'\)",
        ),
        (
            lambda: sv.CountsExplorer.from_rates([1, 2, 3], [1.0, 0.0, 2.0]),
            r"exposure must be > 0 and finite \(got 0.0 at index 1\)",
        ),
        (
            lambda: sv.CountsExplorer.from_frame(
                pd.DataFrame({"h": list("ABC"), "d": [1, 9, 2], "ops": [10, 8, 9]}),
                y="d",
                n="ops",
                group="h",
            ),
            r"column 'd' \(y\) must be <= n \(got y = 9 > n = 8 at row 'B'\)",
        ),
        (
            lambda: sv.CountsExplorer.from_frame(
                pd.DataFrame({"h": list("ABC"), "d": [1, 9, 2]}), y="d", n="ops", group="h"
            ),
            r"n must be a column of the data frame \(got 'ops'; columns: h, d\)",
        ),
        (
            lambda: sv.CountsExplorer.from_counts([2, 2, 2], [10, 10, 10]),
            r"y / n must differ between groups to estimate a and b",
        ),
        (
            lambda: sv.CountsExplorer.from_counts([1, 2], [5, 6], labels=["a"]),
            r"labels must be of length 2",
        ),
        (lambda: sv.CountsExplorer([1, 2], n=[5, 6], exposure=[1, 2]), "give either n"),
        (
            lambda: sv.CountsExplorer.from_counts([1, 2, 4], [5, 6, 9], level=1.0),
            r"level must be in \(0, 1\) \(got 1.0\)",
        ),
    ],
)
def test_bad_input_is_a_clear_error(sent, call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_prior_instead_of_empirical_bayes(sent):
    # every group with the same proportion: EB has no answer, a given prior is fine
    ex = sv.CountsExplorer.from_counts([2, 2, 2], [10, 10, 10], a=1.0, b=4.0)
    assert ex.state.prior_size == 5.0
    ex.controls.fit.click()
    assert "empirical Bayes has no answer" in ex.state.error


def test_state_alone_and_its_selected_check():
    s = CountsState(RATS["y"], n=RATS["n"])
    with pytest.raises(Exception, match=r"selected must be a group index in \[0, 70\]"):
        s.selected = 71
    assert s.snapshot.eb_size == sv.beta_binomial(RATS["y"], RATS["n"]).prior_size


def _artist(fig, gid):
    found = [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]
    assert len(found) == 1, gid
    return found[0]


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_static_picture_shows_the_frame(rats, tmp_path):
    rats.state.selected = 4
    rats.controls.size.slider.index = 20
    f = rats.state.snapshot
    fig = rats.static_figure()
    np.testing.assert_array_equal(_artist(fig, "posterior").get_offsets()[:, 1], f.mean)
    np.testing.assert_array_equal(_artist(fig, "posterior").get_offsets()[:, 0], f.trials)
    assert list(_artist(fig, "rule").get_ydata()) == [f.prior_mean] * 2
    assert list(_artist(fig, "pooled-rule").get_ydata()) == [f.pooled] * 2
    assert list(_artist(fig, "interval").get_ydata()) == [f.lower, f.upper]
    np.testing.assert_array_equal(
        _artist(fig, "size-curve").get_ydata(), f.full_bayes.log_size_density
    )
    assert _artist(fig, "size-rule").get_xdata()[0] == pytest.approx(np.log(f.prior_size))
    caption = _artist(fig, "caption").get_text().replace("\n", " ")
    y4, n4 = RATS["y"][4], RATS["n"][4]
    assert caption.startswith(f"5: y_j = {y4} of n_j = {n4}")
    assert f"posterior mean {number(f.mean[4])}" in caption
    assert f"a + b = {number(f.prior_size)}" in caption
    assert rats.savefig(tmp_path / "rats.svg").stat().st_size > 10_000
    frames = rats.sweep_snapshots()  # Play's sweep: no pooling to complete pooling
    assert frames[0].prior_size == 0 and frames[-1].prior_size == np.inf
    np.testing.assert_array_equal(frames[0].mean, RATS["y"] / RATS["n"])
    assert rats.state.prior_size == rats.controls.size.grid[20]  # the sweep moved nothing
    np.testing.assert_array_equal(rats.state.snapshot.mean, f.mean)


def test_play_sweeps_from_no_pooling_and_stop_pauses(rats):
    size = rats.controls.size
    assert size.play.value == size.slider.index  # Play starts where the slider is
    size.slider.index = 0
    assert size.play.value == 0
    for step in (1, 2, 3):  # Play's steps move the slider toward complete pooling
        size.play.value = step
        assert size.slider.index == step and rats.state.prior_size == size.grid[step]
    size.play.playing = True
    size.play.playing = False  # Stop: ipywidgets pauses, then rewinds to the start ...
    size.play.value = 0
    assert size.play.value == 3 and rats.state.prior_size == size.grid[3]  # ... undone
    rats.state.prior_size = 123.0  # set elsewhere: the slider shows the nearest position
    assert size.value.value == "123"
    assert abs(np.log(size.grid[size.slider.index]) - np.log(123.0)) < np.log(
        size.grid[2] / size.grid[1]
    )


def test_text_alternative_and_table(rats):
    # speak at once (after a browser test, pytest's thread may hold a running event loop)
    rats.describe_delay = 0
    rats.controls.size.slider.index = 0  # no pooling
    said = rats.live.value
    assert said.startswith("prior size a plus b 0: posterior means from 0 to 0.375")
    j, f = rats.state.selected, rats.state.snapshot  # the group named as a group
    assert f"experiment {RATS.experiment[j]}: {number(f.y[j])} of {number(f.trials[j])}" in said
    rats.controls.size.slider.index = len(rats.controls.size.grid) - 1
    assert rats.live.value.startswith("prior size a plus b infinity")
    rats.describe.value = True
    f = rats.state.snapshot
    assert rats.table.value.count("<tr>") == 1 + len(RATS)
    columns, rows = rats._table(f)
    assert columns[:4] == ["experiment", "y_j", "n_j", "raw rate"]
    assert [r[5] for r in rows] == [number(m) for m in f.mean]
    rats.controls.average_over_prior.value = True
    assert rats.live.value.startswith("full Bayes, averaged over a and b")
    assert "B_j" not in rats._table(rats.state.snapshot)[0]


def test_size_panel_for_rates_is_refused(sent):
    with pytest.raises(ValueError, match=r"size_posterior \(the size panel\) needs proportions"):
        sv.CountsExplorer.from_rates([1, 2, 5], [3.0, 4.0, 9.0], size_panel=True)
