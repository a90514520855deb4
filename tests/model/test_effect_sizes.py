"""effect_sizes() against R's metafor escalc (fixtures by tests/fixtures/metafor_escalc.R),
the zero-cell rules, bad input and invariants (hypothesis)."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import shrinkviz as sv
from shrinkviz.model.effect_sizes import MEASURES, hedges_correction

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "metafor_escalc.json").read_text())
CASES = [
    pytest.param(
        c,
        id=f"{c['name']}-{c['measure']}-"
        + "-".join(f"{k}={v}" for k, v in (c["options"] or {}).items()),
    )
    for c in FIXTURES["escalc"]
]


def as_array(values):
    return np.array([np.nan if x is None else x for x in values], dtype=float)


def assert_matches(got, ref, what, rtol=1e-10):
    """Relative error <= rtol, nan exactly where metafor has NA; an absolute floor of 1e-15
    only where the reference is 0."""
    got, ref = np.asarray(got, dtype=float), as_array(ref)
    assert np.array_equal(np.isnan(got), np.isnan(ref)), (
        f"{what}: nan at {np.isnan(got)}, metafor NA at {np.isnan(ref)}"
    )
    ok = np.isnan(ref) | (np.abs(got - ref) <= rtol * np.abs(ref) + np.where(ref == 0, 1e-15, 0))
    assert ok.all(), f"{what}: got {got[~ok]}, metafor {ref[~ok]}"


def test_fixtures_cover_every_measure_and_option():
    measures = {c["measure"] for c in FIXTURES["escalc"]}
    assert measures == set(MEASURES)
    options = [c["options"] or {} for c in FIXTURES["escalc"]]
    assert {o.get("to") for o in options} == {None, "only0", "all", "if0all", "none"}
    assert {o.get("drop00") for o in options} == {None, False, True}
    assert any(np.isnan(as_array(c["yi"])).any() for c in FIXTURES["escalc"])


@pytest.mark.parametrize("case", CASES)
def test_escalc_matches_metafor(case):
    es = sv.effect_sizes(case["measure"], **case["args"], **(case["options"] or {}))
    assert es.measure == case["measure"] and es.k == len(case["yi"])
    assert_matches(es.yi, case["yi"], "yi")
    assert_matches(es.vi, case["vi"], "vi")


def test_bcg_frame_is_the_shipped_log_risk_ratios():
    bcg = sv.data.bcg()
    es = sv.effect_sizes_frame(bcg, "RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    np.testing.assert_allclose(es.yi, bcg.yi, rtol=1e-13)
    np.testing.assert_allclose(es.vi, bcg.vi, rtol=1e-13)
    sizes = sv.effect_sizes(
        "RR", ai=bcg.tpos, n1i=bcg.tpos + bcg.tneg, ci=bcg.cpos, n2i=bcg.cpos + bcg.cneg
    )
    np.testing.assert_array_equal(sizes.yi, es.yi)


# --- the zero-cell rules, one study at a time ---------------------------------------------

ZERO = dict(ai=[0.0, 4], bi=[10.0, 6], ci=[3.0, 5], di=[7.0, 5])  # study 0 has a zero cell


def rr(a, b, c, d):
    return np.log(a / (a + b)) - np.log(c / (c + d))


def test_only0_adds_half_to_the_study_with_a_zero_cell_only():
    es = sv.effect_sizes("RR", **ZERO)
    assert es.yi[0] == pytest.approx(rr(0.5, 10.5, 3.5, 7.5), rel=1e-14)
    assert es.yi[1] == pytest.approx(rr(4, 6, 5, 5), rel=1e-14)


def test_all_if0all_and_none():
    every = sv.effect_sizes("RR", **ZERO, to="all", add=1)
    assert every.yi[1] == pytest.approx(rr(5, 7, 6, 6), rel=1e-14)
    if0all = sv.effect_sizes("RR", **ZERO, to="if0all", add=1)
    np.testing.assert_array_equal(if0all.yi, every.yi)
    none = sv.effect_sizes("OR", **ZERO, to="none")
    assert np.isnan(none.yi[0]) and np.isnan(none.vi[0]) and np.isfinite(none.yi[1])
    no_zero = dict(ai=[4.0], bi=[6.0], ci=[5.0], di=[5.0])
    np.testing.assert_array_equal(
        sv.effect_sizes("RR", **no_zero, to="if0all").yi, sv.effect_sizes("RR", **no_zero).yi
    )


def test_drop00_drops_studies_without_events_or_with_only_events():
    cells = dict(ai=[0.0, 5, 2], bi=[10.0, 0, 8], ci=[0.0, 7, 3], di=[12.0, 0, 7])
    kept = sv.effect_sizes("OR", **cells)
    dropped = sv.effect_sizes("OR", **cells, drop00=True)
    assert np.isfinite(kept.yi).all()
    assert np.isnan(dropped.yi[:2]).all() and np.isnan(dropped.vi[:2]).all()
    assert dropped.yi[2] == kept.yi[2]


def test_proportions_zero_cells_and_the_pas_default():
    pr = sv.effect_sizes("PR", xi=[0, 3], ni=[10, 10])
    assert pr.yi.tolist() == pytest.approx([0.5 / 11, 0.3], rel=1e-14)
    plo = sv.effect_sizes("PLO", xi=[0, 10], ni=[10, 10], to="none")
    assert np.isnan(plo.yi).all()
    pas = sv.effect_sizes("PAS", xi=[0, 3], ni=[10, 10])  # add defaults to 0 for PAS
    assert pas.yi.tolist() == pytest.approx([0.0, np.arcsin(np.sqrt(0.3))], rel=1e-14)
    pas_half = sv.effect_sizes("PAS", xi=[0, 3], ni=[10, 10], add=0.5)
    assert pas_half.yi[0] == pytest.approx(np.arcsin(np.sqrt(0.5 / 11)), rel=1e-14)


def test_hedges_correction_exact_values_and_recurrence():
    assert hedges_correction(2) == pytest.approx(1 / np.sqrt(np.pi), rel=1e-15)
    assert hedges_correction(4) == pytest.approx(np.sqrt(2 / np.pi), rel=1e-15)
    m = np.array([2.0, 3, 10, 57, 1e3, 1e5, 1e7])
    # Gamma(x + 1) = x Gamma(x) gives c(m + 2) = c(m) m^{3/2} / ((m - 1) sqrt(m + 2))
    np.testing.assert_allclose(
        hedges_correction(m + 2),
        hedges_correction(m) * m**1.5 / ((m - 1) * np.sqrt(m + 2)),
        rtol=1e-10,
    )
    big = np.array([10.0, 1e3, 1e5])  # the classic 1 - 3 / (4 m - 1) is off by O(m^-2)
    assert (np.abs(hedges_correction(big) - (1 - 3 / (4 * big - 1))) < 1 / big**2).all()


# --- bad input -----------------------------------------------------------------------------

TABLE = dict(ai=[1, 2, 3], bi=[4, 5, 6], ci=[1, 1, 1], di=[2, 2, 2])
MEANS = dict(m1i=[1.0, 2], m2i=[0.5, 1], sd1i=[1.0, 2], sd2i=[1.5, 1], n1i=[10, 12], n2i=[9, 14])


@pytest.mark.parametrize(
    "measure, kwargs, message",
    [
        ("rr", TABLE, r"measure must be one of 'RR', 'OR', .*'PAS' \(got 'rr'\)"),
        ("RR", {**TABLE, "ai": [1, -2, 3]}, r"ai must be >= 0 \(got -2.0 at index 1\)"),
        ("OR", {**TABLE, "di": [2, 2, -1]}, r"di must be >= 0 \(got -1.0 at index 2\)"),
        (
            "RR",
            dict(ai=[1, 9], n1i=[5, 8], ci=[1, 1], n2i=[3, 3]),
            r"ai must be <= n1i \(got ai = 9.0, n1i = 8.0 at index 1\)",
        ),
        (
            "RD",
            dict(ai=[1, 2], bi=[3, 3], n1i=[4, 6], ci=[1, 1], di=[2, 2]),
            r"n1i must be ai \+ bi \(got n1i = 6.0, ai \+ bi = 5.0 at index 1\)",
        ),
        ("RR", {**TABLE, "ai": [1, np.nan, 3]}, r"ai must be finite \(got nan at index 1\)"),
        (
            "RR",
            {**TABLE, "bi": [4, 5]},
            r"ai and bi and ci and di must have the same length "
            r"\(got ai: 3, bi: 2, ci: 3, di: 3\)",
        ),
        (
            "RR",
            dict(ai=[1], ci=[1], di=[1]),
            r"bi or n1i must be given for measure 'RR' \(it takes ai, bi or n1i, ci, di or n2i\)",
        ),
        ("RR", {**TABLE, "ri": [0.1, 0.2, 0.3]}, r"ri is not an argument of measure 'RR'"),
        ("RR", {**TABLE, "ai": [[1, 2, 3]]}, r"ai must be 1-D"),
        ("RR", {**TABLE, "ai": ["a", "b", "c"]}, r"ai must be a 1-D array of numbers"),
        ("RR", {**TABLE, "ai": []}, r"ai must be of length >= 1"),
        ("RR", {**TABLE, "add": -0.5}, r"add must be in \[0, inf\] \(got -0.5\)"),
        (
            "RR",
            {**TABLE, "to": "only_0"},
            r"to must be one of 'all', 'only0', 'if0all', 'none' "
            r"\(got 'only_0'\)",
        ),
        ("RR", {**TABLE, "drop00": "yes"}, r"drop00 must be True or False \(got 'yes'\)"),
        ("SMD", {**MEANS, "sd2i": [1.5, 0]}, r"sd2i must be > 0 \(got 0.0 at index 1\)"),
        ("MD", {**MEANS, "sd1i": [-1, 2]}, r"sd1i must be > 0 \(got -1.0 at index 0\)"),
        ("MD", {**MEANS, "n2i": [9, 0]}, r"n2i must be > 0 \(got 0.0 at index 1\)"),
        (
            "SMD",
            {**MEANS, "n1i": [1, 12], "n2i": [2, 14]},
            r"n1i \+ n2i must be > 3 for measure 'SMD' .* \(got 3.0 at index 0\)",
        ),
        ("ROM", {**MEANS, "m2i": [0.5, -1]}, r"m2i must be > 0 for measure 'ROM' .*at index 1\)"),
        (
            "SMD",
            {**MEANS, "to": "all"},
            r"add, to and drop00 must be left as they are for "
            r"measure 'SMD'",
        ),
        (
            "COR",
            dict(ri=[0.5, 1.0], ni=[20, 20]),
            r"ri must be in \(-1, 1\) \(got 1.0 at index 1\)",
        ),
        (
            "ZCOR",
            dict(ri=[0.5, -1.2], ni=[20, 20]),
            r"ri must be in \(-1, 1\) \(got -1.2 at index 1\)",
        ),
        ("ZCOR", dict(ri=[0.5, 0.2], ni=[20, 3]), r"ni must be > 3 .*\(got 3.0 at index 1\)"),
        (
            "PR",
            dict(xi=[3, 11], ni=[10, 10]),
            r"xi must be <= ni \(got xi = 11.0, ni = 10.0 at index 1\)",
        ),
        ("PLO", dict(xi=[3, 0], mi=[7, 0]), r"xi \+ mi must be > 0 \(got 0.0 at index 1\)"),
        ("PAS", dict(xi=[3, 0], ni=[10, 0]), r"ni must be > 0 \(got 0.0 at index 1\)"),
        ("PR", dict(xi=[3, 1], mi=[-7, 2]), r"mi must be >= 0 \(got -7.0 at index 0\)"),
        ("PR", dict(xi=[3, 1], ni=[10, 2], drop00=True), r"drop00 must be False for measure 'PR'"),
    ],
)
def test_bad_input_names_the_argument_and_the_row(measure, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sv.effect_sizes(measure, **kwargs)


def test_frame_errors_name_the_column_and_the_row_label():
    bcg = sv.data.bcg().set_index("author")
    cols = dict(ai="tpos", bi="tneg", ci="cpos", di="cneg")
    bad = bcg.copy()
    bad.loc["Rosenthal et al", "cneg"] = -1
    with pytest.raises(
        ValueError,
        match=r"di column 'cneg' must be >= 0 \(got -1.0 at row "
        r"'Rosenthal et al'\)",
    ):
        sv.effect_sizes_frame(bad, "OR", **cols)
    sizes = bcg.assign(n1=bcg.tpos + bcg.tneg)
    sizes.loc["Aronson", "n1"] = 2
    with pytest.raises(
        ValueError,
        match=r"ai column 'tpos' must be <= n1i \(got ai = 4.0, "
        r"n1i = 2.0 at row 'Aronson'\)",
    ):
        sv.effect_sizes_frame(sizes, "RR", ai="tpos", n1i="n1", ci="cpos", di="cneg")
    with pytest.raises(ValueError, match=r"bi must be a column of df \(got 'tneg_'; the "):
        sv.effect_sizes_frame(bcg, "RR", **{**cols, "bi": "tneg_"})
    with pytest.raises(
        ValueError,
        match=r"bi column 'alloc' must hold numbers \(got 'random' at row 'Aronson'\)",
    ):
        sv.effect_sizes_frame(bcg, "RR", **{**cols, "bi": "alloc"})
    missing = bcg.copy()
    missing.loc["Aronson", "tpos"] = np.nan
    with pytest.raises(ValueError, match=r"ai column 'tpos' has a missing value at row 'Aronson'"):
        sv.effect_sizes_frame(missing, "RR", **cols)
    with pytest.raises(ValueError, match=r"ri is not an argument of measure 'RR'"):
        sv.effect_sizes_frame(bcg, "RR", **cols, ri="no such column")
    numbered = pd.DataFrame({"x": [1, 2], "n": [5, 1]}, index=[10, 20])
    with pytest.raises(ValueError, match=r"at row 20\)"):
        sv.effect_sizes_frame(numbered, "PR", xi="x", ni="n")


def test_result_is_frozen_and_inputs_untouched():
    ai = np.array([0.0, 4.0])
    r = np.array([0.2, 0.5])
    es = sv.effect_sizes("RR", ai=ai, bi=[10, 6], ci=[3, 5], di=[7, 5])
    cor = sv.effect_sizes("COR", ri=r, ni=[10, 20])
    assert ai.tolist() == [0.0, 4.0] and ai.flags.writeable and r.flags.writeable
    for arr in (es.yi, es.vi, cor.yi, cor.vi):
        with pytest.raises(ValueError):
            arr[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        es.measure = "OR"
    assert repr(es).startswith("EffectSizes(measure='RR', yi=[")


# --- invariants ----------------------------------------------------------------------------

counts = st.integers(0, 60).map(float)


@st.composite
def two_by_two(draw):
    k = draw(st.integers(1, 8))
    return [draw(arrays(np.float64, k, elements=counts)) for _ in range(4)]


@settings(max_examples=150, deadline=None)
@given(
    two_by_two(),
    st.sampled_from(["RR", "OR", "RD"]),
    st.sampled_from(["only0", "all", "if0all"]),
    st.sampled_from([0.5, 1.0, 0.1]),
    st.booleans(),
)
def test_swapping_the_groups_negates_a_2x2_effect(cells, measure, to, add, drop00):
    a, b, c, d = cells
    b = b + (a + b == 0)  # no empty groups
    d = d + (c + d == 0)
    opts = dict(to=to, add=add, drop00=drop00)
    one = sv.effect_sizes(measure, ai=a, bi=b, ci=c, di=d, **opts)
    two = sv.effect_sizes(measure, ai=c, bi=d, ci=a, di=b, **opts)
    np.testing.assert_array_equal(two.yi, -one.yi)
    np.testing.assert_allclose(two.vi, one.vi, rtol=1e-13)


positive = st.floats(0.1, 100)


@st.composite
def two_groups(draw):
    k = draw(st.integers(1, 8))
    sizes = st.integers(2, 500).map(float)
    return {
        name: draw(arrays(np.float64, k, elements=el))
        for name, el in (
            ("m1i", positive),
            ("m2i", positive),
            ("sd1i", positive),
            ("sd2i", positive),
            ("n1i", sizes),
            ("n2i", sizes),
        )
    }


@settings(max_examples=150, deadline=None)
@given(two_groups(), st.sampled_from(["MD", "SMD", "ROM"]))
def test_swapping_the_groups_negates_md_smd_and_rom(g, measure):
    one = sv.effect_sizes(measure, **g)
    two = sv.effect_sizes(
        measure,
        m1i=g["m2i"],
        m2i=g["m1i"],
        sd1i=g["sd2i"],
        sd2i=g["sd1i"],
        n1i=g["n2i"],
        n2i=g["n1i"],
    )
    np.testing.assert_allclose(two.yi, -one.yi, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(two.vi, one.vi, rtol=1e-13)


@settings(max_examples=100, deadline=None)
@given(two_groups(), st.floats(-1e3, 1e3), st.floats(0.01, 100))
def test_smd_is_invariant_to_a_linear_change_of_units(g, shift, scale):
    """SMD does not depend on the unit of the outcome: m -> a + b m, sd -> b sd."""
    moved = {
        **g,
        "m1i": shift + scale * g["m1i"],
        "m2i": shift + scale * g["m2i"],
        "sd1i": scale * g["sd1i"],
        "sd2i": scale * g["sd2i"],
    }
    one, two = sv.effect_sizes("SMD", **g), sv.effect_sizes("SMD", **moved)
    # rounding: each moved mean carries a few ulps of |shift + scale m|, and yi divides their
    # difference by scale * sd (nearly equal means lose every digit of their difference)
    means = np.abs(np.concatenate([g["m1i"], g["m2i"]])).max()
    sd = np.concatenate([g["sd1i"], g["sd2i"]]).min()
    atol = 1e-13 * (abs(shift) / scale + means) / sd
    np.testing.assert_allclose(two.yi, one.yi, rtol=1e-9, atol=atol)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-0.999, 0.999)))
def test_zcor_is_atanh_of_cor(r):
    cor, z = (
        sv.effect_sizes("COR", ri=r, ni=50 + 0 * r),
        sv.effect_sizes("ZCOR", ri=r, ni=50 + 0 * r),
    )
    np.testing.assert_allclose(np.tanh(z.yi), cor.yi, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(z.vi, 1 / 47, rtol=1e-15)
