"""Many groups (issue 13): from ``GL_FROM`` groups on the views draw with bqplot-gl's WebGL
marks, in a funnel of n_j or precision on a log axis; a tau2 move is still one solver call and
at most one message per mark; clicks and a searchable selector still select a group. Below
``GL_FROM`` the SVG marks and layouts are as they were."""

import numpy as np
import pandas as pd
import pytest
from bqplot import Figure, Image, Label, Lines, Scatter
from bqplot_gl import ScatterGL
from ipywidgets import Combobox, Dropdown

import shrinkviz as sv
import shrinkviz.widgets.state.shrinkage as shrinkage_state
from shrinkviz.widgets.controls import SEARCH_FROM
from shrinkviz.widgets.views import _gl
from shrinkviz.widgets.views._theme import js_number

J = 2_000  # past GL_FROM and SEARCH_FROM; the browser test draws 10^4


def studies(J, seed=0):
    rng = np.random.default_rng(seed)
    n = np.round(np.exp(rng.uniform(np.log(2), np.log(400), J)))
    v = 4.0 / n
    return rng.normal(rng.normal(0, 1, J), np.sqrt(v)), v


def rows(J, seed=0):
    rng = np.random.default_rng(seed)
    n = rng.integers(2, 21, J)
    g = np.repeat(np.arange(J), n)
    x = rng.integers(0, 2, len(g)).astype(float)
    alpha = rng.normal(1.3, 0.4, J)
    y = alpha[g] - 0.6 * x + rng.normal(0, 0.8, len(g))
    return pd.DataFrame({"x": x, "y": y, "g": [f"g{j:05d}" for j in g]})


def figures(box):
    found = []
    for child in getattr(box, "children", ()):
        found += [child] if isinstance(child, Figure) else figures(child)
    return found


def all_marks(box):
    return [m for fig in figures(box) for m in fig.marks]


def drawn(mark) -> set:
    """The segments of a WebGL figure's one Lines path, (x0, x1, y0, y1) each."""
    x, y = mark.x.reshape(-1, 3), mark.y.reshape(-1, 3)
    assert np.isnan(x[:, 2]).all() and np.isnan(y[:, 2]).all()  # a NaN after each
    assert np.isfinite(x[:, :2]).all() and np.isfinite(y[:, :2]).all()
    return {(a, b, c, d) for (a, b), (c, d) in zip(x[:, :2], y[:, :2], strict=True)}


def vertical_union(x, y0, y1) -> set:
    """The union of the vertical segments (x_k, y0_k) to (x_k, y1_k) with finite ends, merged
    one x at a time, interval by interval (the reference for ``_gl.union``)."""
    merged = []
    for at in sorted(
        {a for a, b, c in zip(x, y0, y1, strict=True) if np.isfinite([a, b, c]).all()}
    ):
        spans = sorted(
            (min(b, c), max(b, c))
            for a, b, c in zip(x, y0, y1, strict=True)
            if a == at and np.isfinite([b, c]).all()
        )
        lo, hi = spans[0]
        for b, c in spans[1:]:
            if b > hi:
                merged.append((at, at, lo, hi))
                lo, hi = b, c
            else:
                hi = max(hi, c)
        merged.append((at, at, lo, hi))
    return set(merged)


def test_union_of_intervals_against_a_loop():
    rng = np.random.default_rng(5)
    for k in (0, 1, 2, 40, 300):
        at = rng.integers(0, 6, k).astype(float)
        lo = rng.integers(0, 30, k).astype(float)  # integers: touching and equal ends
        hi = lo + rng.integers(0, 8, k)
        got = set(zip(*_gl.union(at, lo, hi), strict=True))
        want = {(a, b, c) for a, _, b, c in vertical_union(at, lo, hi)}
        assert got == want
    # horizontal segments, NaN ends left out, segments neither way drawn as they are
    x, y = np.array([[0.0, 2.0], [1.0, 3.0], [5.0, 4.0]]), np.array([[1.0, 1.0]] * 3)
    assert drawn(Lines(**_gl.segments(x, y, gl=True))) == {
        (0.0, 3.0, 1.0, 1.0),
        (4.0, 5.0, 1.0, 1.0),
    }
    y[1, 0] = np.nan
    assert drawn(Lines(**_gl.segments(x, y, gl=True))) == {
        (0.0, 2.0, 1.0, 1.0),
        (4.0, 5.0, 1.0, 1.0),
    }
    slanted = _gl.segments(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]), gl=True)
    np.testing.assert_array_equal(slanted["x"], [0.0, 1.0, np.nan])


def click(mark, x, y):
    """What the browser sends when the transparent click layer is clicked at (x, y)."""
    mark._handle_custom_msgs(
        mark, {"event": "element_click", "data": {"click_x": x, "click_y": y}}, []
    )


def test_marks_switch_to_webgl_at_gl_from():
    assert not _gl.use_gl("auto", _gl.GL_FROM - 1) and _gl.use_gl("auto", _gl.GL_FROM)
    assert _gl.use_gl("gl", 3) and not _gl.use_gl("svg", 10**5)
    with pytest.raises(ValueError, match=r"marks must be 'auto', 'svg' or 'gl' \(got 'x'\)"):
        _gl.use_gl("x", 3)


def test_shrinkage_at_many_groups_is_a_webgl_funnel(sent, updates, monkeypatch):
    y, v = studies(J)
    e = sv.ShrinkageExplorer.from_meta(y, v)
    view = e.view
    assert view.gl and view.funnel and not view.forest
    assert type(view.own) is ScatterGL and type(view.pooled) is ScatterGL
    assert type(view.segments) is Lines and type(view.interval) is Lines  # one SVG path each
    # across: log10 of the precision, the axis labelled with the precision itself
    np.testing.assert_allclose(view.own.x, np.log10(1 / v), rtol=0, atol=1e-12)
    axis = e.figure.axes[0]
    assert axis.label == "precision 1/v_j of each group (log scale)"
    assert axis.tick_labels == {js_number(np.log10(p)): f"{p:g}" for p in (1, 3, 10, 30, 100)}
    assert e.figure.axes[0].scale.min < view.own.x.min() <= view.own.x.max() < axis.scale.max
    # one polyline broken by NaN: the segments from y_j to mu_j at the groups' x, those on
    # one x as their union (a few hundred distinct precisions here)
    segments = drawn(view.segments)
    assert segments == vertical_union(view.own.x, y, view.pooled.y)
    assert len(segments) < 0.7 * J  # 1,230 segments for 2,000 groups
    assert isinstance(e.controls.group, Combobox)

    calls = []
    real = shrinkage_state.posterior
    monkeypatch.setattr(
        shrinkage_state, "posterior", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    e.controls.tau2.slider.index = 20
    sent.clear()
    calls.clear()
    e.controls.tau2.slider.index = 21
    assert len(calls) == 1  # one solver call per move
    tau2 = e.controls.tau2.grid[21]
    ref = sv.posterior(y, v, tau2)
    np.testing.assert_array_equal(view.pooled.y, ref.mean)
    np.testing.assert_array_equal(view.highlight.y, [y[0], ref.mean[0]])
    for mark in all_marks(e):
        assert len(updates(mark)) <= 1, mark
    moved = [m for m in all_marks(e) if updates(m)]
    assert set(moved) == {view.segments, view.pooled, view.rule, view.highlight, e.tau_view.rule}
    for mark in (view.segments, view.pooled):  # the arrays go as binary buffers
        assert any(b for cid, _, bufs in sent if cid == mark.comm.comm_id for b in bufs)
    # the p(tau | y) axis shows the slider's tau wherever the slider is
    for index in range(1, len(e.controls.tau2.grid) - 1):
        e.controls.tau2.slider.index = index
        assert e.tau_view._xs.max >= np.sqrt(e.controls.tau2.grid[index])
        assert e.tau_view.rule.x[0] == np.sqrt(e.controls.tau2.grid[index])


def test_a_click_on_the_webgl_figure_selects_the_nearest_group(sent):
    y, v = studies(J)
    e = sv.ShrinkageExplorer.from_meta(y, v, tau2=0.1)
    view = e.view
    layer = view.clicks.mark
    assert isinstance(layer, Image) and e.figure.marks[-1] is layer  # on top
    j = int(np.argmax(v))  # a small study: it stands apart at the left
    click(layer, float(view.pooled.x[j]), float(view.pooled.y[j]))
    assert e.state.selected == j and e.controls.group.value == e.state.labels[j]
    np.testing.assert_array_equal(view.highlight.y, [y[j], view.pooled.y[j]])
    np.testing.assert_array_equal(view.highlight.x, [view.own.x[j]] * 2)
    xs = e.figure.axes[0].scale
    click(layer, xs.min, 1e3)  # far from every marker: nothing changes
    assert e.state.selected == j
    e.controls.group.value = e.state.labels[17]  # typed in the searchable selector
    assert e.state.selected == 17
    e.controls.group.value = "no such group"
    assert e.state.selected == 17


def test_group_data_funnel_is_across_n(sent):
    rng = np.random.default_rng(3)
    n = rng.integers(1, 300, 600)
    ybar = rng.normal(0, 1 + 3 / np.sqrt(n))
    e = sv.ShrinkageExplorer.from_groups(ybar, n, 4.0)
    assert e.view.funnel and e.view.gl
    np.testing.assert_allclose(e.view.pooled.x, np.log10(n), atol=1e-12)
    assert e.figure.axes[0].label == "n_j of each group (log scale)"
    e.state.set_n(5, 0)  # no data: at the left end, its own marker and segment hidden
    assert e.view.pooled.x[5] < np.log10(n[n > 0].min())
    assert e.view.own.opacities[5] == 0
    segments = drawn(e.view.segments)
    assert e.view.pooled.x[5] not in {x for x, *_ in segments}
    ys = np.where(np.arange(len(n)) == 5, np.nan, e.view.own.y)
    assert segments == vertical_union(e.view.own.x, ys, e.view.pooled.y)


def test_pooling_overview_at_many_groups_is_webgl(sent, updates):
    df = rows(J)
    e = sv.PoolingLinesExplorer.from_frame(df, x="x", y="y", group="g")
    ov = e.overview
    assert ov.gl and type(ov.no_pooling) is ScatterGL and type(ov.partial_bars) is Lines
    n = e.state.n_max
    np.testing.assert_allclose(ov.partial_pooling.x, np.log10(n), atol=1e-12)
    np.testing.assert_allclose(ov.no_pooling.x, np.log10(1.06 * n), atol=1e-12)
    assert all(type(m) in (Scatter, Lines, Label) for m in e.figure.marks)
    assert isinstance(e.controls.group, Combobox)

    fit_class = type(e.state.snapshot.fit)
    calls = []
    real = fit_class.update
    fit_class.update = lambda self, *a, **k: calls.append(1) or real(self, *a, **k)
    try:
        e.controls.tau2.slider.index = 30
        sent.clear()
        calls.clear()
        e.controls.tau2.slider.index = 31
    finally:
        fit_class.update = real
    assert len(calls) == 1
    fit = e.state.snapshot.fit
    assert fit.tau2 == e.controls.tau2.grid[31]
    np.testing.assert_array_equal(ov.partial_pooling.y, fit.partial_pooling.alpha)
    a, sd = fit.partial_pooling.alpha, fit.partial_pooling.alpha_sd
    assert drawn(ov.partial_bars) == vertical_union(ov.partial_pooling.x, a - sd, a + sd)
    for mark in all_marks(e):
        assert len(updates(mark)) <= 1, mark
    j = int(np.argmin(n))
    click(ov.clicks.mark, float(ov.partial_pooling.x[j]), float(ov.partial_pooling.y[j]))
    assert e.state.selected == j
    np.testing.assert_array_equal(
        ov.highlight.y, [fit.no_pooling.alpha[j], fit.partial_pooling.alpha[j]]
    )
    assert updates(ov.none_bars) == []  # a tau2 move keeps the no-pooling fit and its bars
    e.state.sigma2 *= 2  # wider bars: redrawn
    none = e.state.snapshot.fit.no_pooling
    se = e.state.snapshot.none_se
    assert drawn(ov.none_bars) == vertical_union(ov.no_pooling.x, none.alpha - se, none.alpha + se)


def test_few_groups_keep_the_svg_marks_and_layout(sent):
    e = sv.ShrinkageExplorer.eight_schools()
    assert not e.view.gl and not e.view.funnel
    for mark in all_marks(e):
        assert type(mark) in (Scatter, Lines), mark
    assert e.figure.axes[0].label == "school"
    np.testing.assert_array_equal(e.view.own.x, np.arange(8))
    assert isinstance(e.controls.group, Dropdown)
    radon = sv.PoolingLinesExplorer.radon()
    assert not radon.overview.gl
    assert type(radon.overview.no_pooling) is Scatter and type(radon.overview.none_bars) is Lines
    assert radon.overview.figure.axes[0].scale.__class__.__name__ == "LogScale"
    assert isinstance(radon.controls.group, Dropdown)  # 85 counties
    forced = sv.ShrinkageExplorer.eight_schools(marks="gl")
    assert type(forced.view.pooled) is ScatterGL and not forced.view.funnel


def test_selector_is_searchable_from_search_from_groups(sent):
    y, v = studies(SEARCH_FROM)
    e = sv.ShrinkageExplorer.from_meta(y, v)
    assert isinstance(e.controls.group, Combobox)
    assert e.controls.group.options == e.state.labels
    e.state.selected = 3
    assert e.controls.group.value == e.state.labels[3]
    y, v = studies(SEARCH_FROM - 1)
    assert isinstance(sv.ShrinkageExplorer.from_meta(y, v).controls.group, Dropdown)


def test_full_bayes_intervals_on_webgl_marks(sent):
    """On a WebGL figure the full-Bayes +-1 sd bars are one NaN-broken polyline (one SVG
    path, the bars on one x as their union), shown while averaging over tau."""
    y, v = studies(_gl.GL_FROM)
    e = sv.ShrinkageExplorer.from_meta(y, v)
    view = e.view
    assert not view.interval.visible
    e.state.average_over_tau = True
    assert view.interval.visible
    f = e.state.snapshot
    fb = sv.full_bayes(y, v)
    np.testing.assert_allclose(f.mean, fb.mean, rtol=1e-12)
    assert drawn(view.interval) == vertical_union(view.own.x, f.mean - f.sd, f.mean + f.sd)
    e.state.average_over_tau = False
    assert not view.interval.visible
