"""Pictures drawn in the kernel (matplotlib, no browser): ``savefig`` writes PNG, SVG and PDF
of the whole explorer; ``save_animation`` writes Play's sweep. The plotted coordinates are
read back from the matplotlib artists (by gid) and compared with the solver's numbers and
with what the bqplot views draw."""

import itertools
import xml.etree.ElementTree as ET

import imageio_ffmpeg
import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.text import Text
from PIL import Image

import shrinkviz as sv
from shrinkviz.widgets.controls import number
from shrinkviz.widgets.views import _theme as theme

SCHOOLS = sv.data.eight_schools()


@pytest.fixture
def schools(sent):
    return sv.ShrinkageExplorer.eight_schools()


@pytest.fixture
def radon(sent):
    return sv.PoolingLinesExplorer.radon()


def artist(fig, gid):
    found = [a for a in fig.findobj() if a.get_gid() == gid]
    assert len(found) == 1, f"{len(found)} artists with gid {gid!r}"
    return found[0]


def offsets(fig, gid) -> np.ndarray:
    a = artist(fig, gid)
    assert isinstance(a, PathCollection)
    return np.asarray(a.get_offsets())


def not_blank(path) -> None:
    img = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert img.shape[0] > 300 and img.shape[1] > 600  # 11 in wide at 60 dpi
    assert (img < 128).mean() > 0.005, "hardly anything dark is drawn"
    assert (img > 250).mean() > 0.5, "not a white background"


@pytest.mark.slow  # seconds per format
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_savefig_writes_every_format(schools, radon, tmp_path, fmt):
    for name, ex in (("schools", schools), ("radon", radon)):
        path = ex.savefig(tmp_path / f"{name}.{fmt}", dpi=60)
        assert path == tmp_path / f"{name}.{fmt}" and path.stat().st_size > 10_000
        if fmt == "png":
            not_blank(path)
        elif fmt == "svg":
            ids = {e.get("id") for e in ET.parse(path).iter()}
            assert {"legend", "caption"} <= ids
            assert ({"pooled", "own", "rule"} if name == "schools" else {"partial", "none"}) <= ids
        else:
            assert path.read_bytes().startswith(b"%PDF")


def test_savefig_refuses_other_suffixes(schools, tmp_path):
    with pytest.raises(ValueError, match=r"path must end in .png, .svg or .pdf \(got '.*a.jpg'\)"):
        schools.savefig(tmp_path / "a.jpg")
    assert not (tmp_path / "a.jpg").exists()


@pytest.mark.parametrize("tau2", [0.0, 112.0, np.inf])
def test_shrinkage_picture_draws_the_posterior(schools, tau2):
    schools.state.tau2 = tau2
    schools.state.selected = 2
    fig = schools.static_figure()
    ref = sv.posterior(SCHOOLS.y, SCHOOLS.v, tau2)
    pos = np.arange(8.0)
    np.testing.assert_array_equal(offsets(fig, "pooled"), np.column_stack([pos, ref.mean]))
    np.testing.assert_array_equal(offsets(fig, "own"), np.column_stack([pos, SCHOOLS.y]))
    np.testing.assert_array_equal(artist(fig, "rule").get_ydata(), [ref.mu0, ref.mu0])
    segs = np.array(artist(fig, "segments").get_segments())  # (group, end, xy)
    np.testing.assert_array_equal(segs[:, :, 1], np.column_stack([SCHOOLS.y, ref.mean]))
    np.testing.assert_array_equal(segs[:, :, 0], np.column_stack([pos, pos]))
    # the same numbers as the bqplot view draws
    np.testing.assert_array_equal(offsets(fig, "pooled")[:, 1], schools.view.pooled.y)
    # the same picture language: colours and line styles of views/_theme
    assert to_hex(artist(fig, "pooled").get_facecolor()[0]) == theme.PARTIAL.lower()
    assert to_hex(artist(fig, "own").get_edgecolor()[0]) == theme.NONE.lower()
    assert to_hex(artist(fig, "own").get_facecolor()[0]) == "#ffffff"
    assert artist(fig, "rule").get_linestyle() == "--"
    # the tau panel: p(tau | y), the slider's tau (at the axis' end for tau2 = inf)
    fb = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    curve = artist(fig, "tau-curve")
    np.testing.assert_allclose(curve.get_xdata(), fb.tau, rtol=1e-12)
    np.testing.assert_allclose(curve.get_ydata(), fb.tau_density, rtol=1e-12)
    end = schools.tau_view._xs.max
    assert artist(fig, "tau-rule").get_xdata()[0] == min(np.sqrt(tau2), end)
    caption = artist(fig, "caption").get_text().replace("\n", " ")
    assert f"τ² = {number(tau2)}" in caption and f"μ0 = {number(ref.mu0)}" in caption
    assert f"C: y_j = {number(SCHOOLS.y[2])}" in caption
    assert f"μ_j = {number(ref.mean[2])}" in caption


def test_full_bayes_picture_draws_the_full_bayes_means(schools):
    schools.state.average_over_tau = True
    fig = schools.static_figure()
    fb = sv.full_bayes(SCHOOLS.y, SCHOOLS.v)
    np.testing.assert_allclose(offsets(fig, "pooled")[:, 1], fb.mean, rtol=1e-12)
    segs = np.array(artist(fig, "intervals").get_segments())
    np.testing.assert_allclose(
        segs[:, :, 1],
        np.column_stack([fb.mean - fb.sd, fb.mean + fb.sd]),
        rtol=1e-12,
    )
    assert "full Bayes" in artist(fig, "caption").get_text()


def test_forest_picture_puts_groups_on_the_vertical_axis(sent):
    labels = [f"a study with a long name {k}" for k in range(12)]
    y, v = np.linspace(-1, 2, 12), np.linspace(0.1, 0.5, 12)
    ex = sv.ShrinkageExplorer.from_meta(y, v, labels=labels, tau2=0.3)
    assert ex.view.forest
    fig = ex.static_figure()
    ref = sv.posterior(y, v, 0.3)
    rows = 11 - np.arange(12.0)  # the first group on top, as in the view
    np.testing.assert_array_equal(offsets(fig, "pooled"), np.column_stack([ref.mean, rows]))
    np.testing.assert_array_equal(artist(fig, "rule").get_xdata(), [ref.mu0, ref.mu0])
    main = fig.axes[0]
    shown = [t.get_text() for t in main.get_yticklabels()]
    assert shown == [g[:21] + "…" for g in labels]  # shortened as the bqplot view shows them
    assert shown == list(ex.figure.axes[0].tick_labels.values())


def test_group_without_data_has_no_own_marker(sent):
    ex = sv.ShrinkageExplorer.from_groups([1.0, 2.0, 4.0], [5, 3, 8], 2.0, tau2=1.0)
    ex.state.set_n(1, 0)
    fig = ex.static_figure()
    f = ex.state.snapshot
    np.testing.assert_array_equal(offsets(fig, "own")[:, 0], [0.0, 2.0])
    np.testing.assert_array_equal(offsets(fig, "pooled")[:, 1], f.mean)
    assert f.mean[1] == f.mu0  # n_j = 0: mu_j = mu0
    segs = np.array(artist(fig, "segments").get_segments())
    np.testing.assert_array_equal(segs[:, :, 0], [[0.0, 0.0], [2.0, 2.0]])  # none for group 1


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_pooling_picture_draws_the_three_lines(radon):
    s = radon.state
    s.tau2 = 0.05
    s.set_n(int(radon.panels_view.panels[3]), 4)  # DOUGLAS: 4 of its 9 rows
    fig = radon.static_figure()
    fit = s.snapshot.fit
    ref = sv.pooling_fit(s.x, s.y, s.group).update(sigma2=s.sigma2, tau2=0.05, n=fit.n)
    x0, x1 = float(s.x.min()), float(s.x.max())
    for g in radon.panels_view.panels:
        ends = artist(fig, f"partial-{g}").get_xdata()
        assert ends[0] < x0 and ends[1] > x1
        for kind, a, b in (
            ("complete", ref.complete_pooling.alpha, ref.complete_pooling.beta),
            ("none", ref.no_pooling.alpha[g], ref.no_pooling.beta),
            ("partial", ref.partial_pooling.alpha[g], ref.partial_pooling.beta),
        ):
            line = artist(fig, f"{kind}-{g}")
            np.testing.assert_allclose(line.get_ydata(), a + b * ends, rtol=1e-12, atol=1e-12)
            assert line.get_linestyle() == {"complete": "--", "none": ":", "partial": "-"}[kind]
        pts = offsets(fig, f"points-{g}")
        rows = np.flatnonzero(s.group == g)
        np.testing.assert_array_equal(pts[:, 1], s.y[rows])
        assert np.all(np.abs(pts[:, 0] - s.x[rows]) <= 0.06 * (x1 - x0))  # the view's jitter
        colours = [to_hex(c) for c in artist(fig, f"points-{g}").get_facecolor()]
        used = s.rank[rows] < fit.n[g]
        assert colours == ["#4d4d4d" if u else theme.LIGHT.lower() for u in used]
    n = np.maximum(fit.n.astype(float), 0.8)
    np.testing.assert_allclose(
        offsets(fig, "partial"), np.column_stack([n, ref.partial_pooling.alpha]), rtol=1e-12
    )
    np.testing.assert_allclose(offsets(fig, "partial")[:, 1], radon.overview.partial_pooling.y)
    has = fit.n > 0
    np.testing.assert_allclose(offsets(fig, "none")[:, 1], ref.no_pooling.alpha[has], rtol=1e-12)
    assert artist(fig, "mu-alpha").get_ydata()[0] == pytest.approx(ref.partial_pooling.mu_alpha)
    bars = artist(fig, "partial-bars")
    assert isinstance(bars, LineCollection)
    segs = np.array(bars.get_segments())
    np.testing.assert_allclose(
        segs[:, :, 1],
        np.column_stack(
            [
                ref.partial_pooling.alpha - ref.partial_pooling.alpha_sd,
                ref.partial_pooling.alpha + ref.partial_pooling.alpha_sd,
            ]
        ),
        rtol=1e-12,
    )
    caption = artist(fig, "caption").get_text().replace("\n", " ")
    assert f"μ_α = {number(ref.partial_pooling.mu_alpha)}" in caption


PICTURES = {
    "schools": lambda **kw: sv.ShrinkageExplorer.eight_schools(**kw),
    "radon": lambda **kw: sv.PoolingLinesExplorer.radon(**kw),
    "sleepstudy": lambda **kw: sv.SlopesExplorer.sleepstudy(**kw),
    "radon slopes": lambda **kw: sv.SlopesExplorer.radon(**kw),
    "bcg forest": lambda **kw: sv.ForestExplorer.bcg(**kw),
    "teacher forest": lambda **kw: sv.ForestExplorer.teacher_expectancy(**kw),
    "rats": lambda **kw: sv.CountsExplorer.rat_tumors(**kw),
    "surgical": lambda **kw: sv.CountsExplorer.surgical(**kw),
    "bcg latitude": lambda **kw: sv.PredictorExplorer.bcg(**kw),
    "radon uranium": lambda **kw: sv.PredictorExplorer.radon(**kw),
}


def drawn_texts(fig, monkeypatch) -> list:
    """(text, extent in pixels) of every text the draw of ``fig`` puts on the canvas (not the
    tick labels matplotlib keeps for ticks outside the view)."""
    drawn, draw = [], Text.draw

    def record(text, renderer):
        draw(text, renderer)
        if text.get_visible() and text.get_text().strip():
            drawn.append((text.get_text(), text.get_window_extent(renderer)))

    monkeypatch.setattr(Text, "draw", record)
    fig.canvas.draw()
    monkeypatch.setattr(Text, "draw", draw)
    return drawn


@pytest.mark.slow  # 20 matplotlib pictures: about 20 s
@pytest.mark.parametrize("font_scale", [1.0, 1.6])
@pytest.mark.parametrize("name", list(PICTURES))
def test_no_text_of_a_picture_overlaps_another_or_leaves_the_figure(
    sent, monkeypatch, name, font_scale
):
    """Every legend entry, title, axis and tick label and caption of every explorer's static
    picture lies inside the figure and clear of every other text, at the projector's
    font_scale too (a long legend row or panel title wraps instead)."""
    fig = PICTURES[name](font_scale=font_scale).static_figure()
    texts = drawn_texts(fig, monkeypatch)
    width, height = fig.bbox.width, fig.bbox.height
    assert len(texts) > 15
    for text, box in texts:
        inside = box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1
        assert inside, f"{text!r} leaves the figure: {box.bounds} of {width} x {height}"
    for (text1, box1), (text2, box2) in itertools.combinations(texts, 2):
        apart = (
            box1.x1 - 1 <= box2.x0
            or box2.x1 - 1 <= box1.x0
            or box1.y1 - 1 <= box2.y0
            or box2.y1 - 1 <= box1.y0
        )
        assert apart, f"{text1!r} overlaps {text2!r}"


@pytest.mark.slow  # a matplotlib picture drawn and saved: seconds
def test_line_styles_follow_the_explorer(sent):
    styles = {"complete": "solid", "none": "dashed", "partial": "dotted"}
    ex = sv.PoolingLinesExplorer.radon(line_styles=styles)
    fig = ex.static_figure()
    g = ex.panels_view.panels[0]
    assert [artist(fig, f"{k}-{g}").get_linestyle() for k in styles] == ["-", "--", ":"]


def test_sweep_frames_do_not_move_the_explorer(schools, sent):
    schools.state.tau2 = 50.0
    before = schools.state.snapshot
    index = schools.controls.tau2.slider.index
    sent.clear()
    frames = schools.sweep_snapshots()
    grid = schools.controls.tau2.grid
    assert len(frames) == len(grid)
    for f, tau2 in zip(frames, grid[::-1], strict=True):  # Play: from no to complete pooling
        assert f.tau2 == tau2
        np.testing.assert_array_equal(f.mean, sv.posterior(SCHOOLS.y, SCHOOLS.v, tau2).mean)
    np.testing.assert_array_equal(frames[0].mean, SCHOOLS.y)
    assert np.all(frames[-1].mean == frames[-1].mu0)
    assert schools.state.tau2 == 50.0 and schools.controls.tau2.slider.index == index
    np.testing.assert_array_equal(schools.state.snapshot.mean, before.mean)
    updates = [d for _, d, _ in sent if d.get("method") == "update"]
    assert updates == [], "the sweep moved widgets in the browser"


@pytest.mark.slow  # 10-20 s: every frame of the sweep, twice
def test_save_animation_writes_a_gif_of_the_sweep(schools, radon, tmp_path, monkeypatch):
    # four positions of Play's sweep keep the test short; the whole sweep is sweep_snapshots'
    for ex, name in ((schools, "schools"), (radon, "radon")):
        values = ex.controls.tau2.grid[::-1][[0, 20, 40, -1]]
        monkeypatch.setattr(ex, "_sweep", lambda values=values: ("tau2", values))
        path = ex.save_animation(tmp_path / f"{name}.gif", dpi=40)
        with Image.open(path) as im:
            assert im.n_frames == 4
            shots = []
            for k in range(4):
                im.seek(k)
                shots.append(np.asarray(im.convert("L"), dtype=float))
        assert all(s.std() > 10 for s in shots), "a blank frame"
        assert all(np.abs(a - b).mean() > 0 for a, b in zip(shots, shots[1:], strict=False))


def test_save_animation_refuses_other_suffixes_and_needs_ffmpeg_for_mp4(
    schools, tmp_path, monkeypatch
):
    with pytest.raises(ValueError, match=r"path must end in .gif or .mp4 \(got '.*a.avi'\)"):
        schools.save_animation(tmp_path / "a.avi")
    monkeypatch.setitem(matplotlib.rcParams, "animation.ffmpeg_path", str(tmp_path / "no-ffmpeg"))
    with pytest.raises(ValueError, match="needs ffmpeg, which is not on the PATH"):
        schools.save_animation(tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.slow  # seconds: an ffmpeg process and four frames
def test_save_animation_writes_an_mp4_where_ffmpeg_is(schools, tmp_path, monkeypatch):
    # ffmpeg from PyPI (imageio-ffmpeg, a test dependency), found as matplotlib finds one
    monkeypatch.setitem(
        matplotlib.rcParams, "animation.ffmpeg_path", imageio_ffmpeg.get_ffmpeg_exe()
    )
    values = schools.controls.tau2.grid[::-1][[0, 20, 40, -1]]
    monkeypatch.setattr(schools, "_sweep", lambda: ("tau2", values))
    path = schools.save_animation(tmp_path / "schools.mp4", fps=4, dpi=40)
    frames = imageio_ffmpeg.read_frames(str(path))
    meta = next(frames)
    assert meta["fps"] == pytest.approx(4)
    w, h = meta["size"]
    shots = [np.frombuffer(f, np.uint8).reshape(h, w, 3).mean(-1) for f in frames]
    assert len(shots) == 4
    assert all(s.std() > 10 for s in shots), "a blank frame"
    assert all(np.abs(a - b).mean() > 0 for a, b in zip(shots, shots[1:], strict=False))
