import numpy as np
import pandas as pd
import pytest

from shrinkviz import data


def test_bundled_sets_match_their_documented_shape():
    es = data.eight_schools()
    assert list(es["school"]) == list("ABCDEFGH")
    np.testing.assert_array_equal(es["v"], es["sigma"] ** 2)
    bcg = data.bcg()
    assert len(bcg) == 13
    # yi is the log risk ratio of the 2x2 counts (DATA.md).
    rr = (bcg.tpos / (bcg.tpos + bcg.tneg)) / (bcg.cpos / (bcg.cpos + bcg.cneg))
    np.testing.assert_allclose(bcg["yi"], np.log(rr), rtol=1e-12)
    radon = data.radon()
    assert len(radon) == 919 and radon["county"].nunique() == 85
    sizes = radon.groupby("county").size()
    assert (sizes == 1).sum() == 3 and sizes["STLOUIS"] == 116 and sizes["HENNEPIN"] == 105
    bb = data.baseball()
    assert len(bb) == 18 and (bb["at_bats"] == 45).all()
    np.testing.assert_allclose(bb["avg45"], bb["hits"] / 45, rtol=1e-12)


def test_loaders_return_fresh_frames():
    a = data.eight_schools()
    a.loc[0, "y"] = -999
    assert data.eight_schools().loc[0, "y"] == 28


def test_simulate_groups_is_reproducible_and_follows_the_model():
    a = data.simulate_groups(4, [3, 0, 5, 2], sigma2=1.0, tau2=4.0, mu0=2.0, seed=1)
    b = data.simulate_groups(4, [3, 0, 5, 2], sigma2=1.0, tau2=4.0, mu0=2.0, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.groupby("group").size()) == [3, 5, 2]
    big = data.simulate_groups(2000, 50, sigma2=9.0, tau2=4.0, mu0=2.0, seed=2)
    mu = big.groupby("group")["mu"].first()
    within = big.groupby("group")["y"].var(ddof=1).mean()
    assert abs(mu.mean() - 2.0) < 0.15 and abs(mu.var() - 4.0) < 0.5
    assert abs(within - 9.0) < 0.2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(J=0, n=3, sigma2=1, tau2=1), r"J must be in \[1, inf\] \(got 0\)"),
        (dict(J=2, n=[1, 2, 3], sigma2=1, tau2=1), r"n must be an integer >= 0 or 2 of them"),
        (dict(J=2, n=-1, sigma2=1, tau2=1), r"n must be"),
        (dict(J=2, n=2, sigma2=-1, tau2=1), r"sigma2 must be in \[0, inf\] \(got -1\)"),
    ],
)
def test_simulate_groups_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.simulate_groups(**kwargs)
