"""slopes_fit(): varying intercepts and slopes against lme4, lm, Henderson's equations.

The fixtures come from tests/fixtures/lme4_slopes.R (lme4's lmer with tight tolerances, both
of its optimizers, lm). Small random data sets are checked against Henderson's mixed-model
equations and a dense likelihood written here with numpy's linear algebra, independent of
the per-group closed forms of the model.
"""

import json
from fractions import Fraction as F
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

import shrinkviz as sv
from shrinkviz.model import slopes
from shrinkviz.model.slopes import _criterion, _second_order, slopes_fit, slopes_fit_frame

FIXTURES = json.loads((Path(__file__).parents[1] / "fixtures" / "lme4_slopes.json").read_text())


@pytest.fixture(scope="module")
def frames():
    radon = sv.data.radon()
    sleep = sv.data.sleepstudy()
    sim = pd.DataFrame(FIXTURES["simulated"]["data"])
    return {
        "sleepstudy": (sleep.Days, sleep.Reaction, sleep.Subject),
        "radon": (radon.floor, radon.log_radon, radon.county),
        "radon_first3": tuple(
            c[radon.groupby("county", sort=False).cumcount() < 3]
            for c in (radon.floor, radon.log_radon, radon.county)
        ),
        "simulated": (sim.x, sim.y, sim.g),
    }


def rel(a, b):
    """Largest difference relative to the largest reference value (entries near 0 of a
    vector or a matrix are compared on the scale of the rest)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


CASES = ["sleepstudy", "radon", "radon_first3", "simulated"]


# --- data -------------------------------------------------------------------------------


def test_sleepstudy_is_lme4s():
    d = sv.data.sleepstudy()
    assert list(d.columns) == ["Subject", "Days", "Reaction"] and len(d) == 180
    assert (d.groupby("Subject").size() == 10).all() and d.Subject.nunique() == 18
    assert d.Subject.iloc[0] == "308" and d.Reaction.iloc[0] == 249.56
    assert sorted(d.Days.unique()) == list(range(10))


# --- lme4 and lm ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_equals_lme4(frames, case, method):
    ref = FIXTURES[case]
    lme = ref[method]
    fit = slopes_fit(*frames[case], method=method)
    assert [str(g) for g in fit.groups] == lme["groups"] and list(fit.n) == ref["n"]
    assert rel(fit.partial_pooling.mu, lme["fixef"]) <= 1e-5
    assert rel(fit.sigma2, lme["sigma2"]) <= 1e-5
    assert rel(fit.Sigma, lme["Sigma"]) <= 1e-5
    assert rel(fit.partial_pooling.alpha, lme["alpha"]) <= 1e-5
    assert rel(fit.partial_pooling.beta, lme["beta"]) <= 1e-5
    for j in range(len(fit.groups)):
        assert rel(fit.partial_pooling.cov[j], lme["condVar"][j]) <= 1e-5
    # REMLcrit / deviance: ours at lme4's estimate is lme4's number (the criterion itself),
    # and our optimum is at least as low
    at_lme4 = fit.update(sigma2=lme["sigma2"], Sigma=lme["Sigma"]).deviance()
    assert at_lme4 == pytest.approx(lme["criterion"], rel=1e-10)
    assert fit.deviance() <= at_lme4 + 1e-10 * abs(at_lme4)
    assert fit.deviance() == pytest.approx(min(lme["criteria"].values()), rel=1e-9)


@pytest.mark.parametrize("case", ["radon_first3", "simulated"])
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_singular_optimum_is_exactly_on_the_boundary(frames, case, method):
    assert FIXTURES[case][method]["singular"]
    fit = slopes_fit(*frames[case], method=method)
    S = fit.Sigma
    assert abs(S[0, 0] * S[1, 1] - S[0, 1] ** 2) <= 1e-14 * S[0, 0] * S[1, 1]
    assert fit.rho == pytest.approx(1.0, abs=1e-12)


def test_bobyqa_stops_on_a_face_that_is_not_the_optimum(frames):
    """On the simulated set lme4's bobyqa ends on theta[1] = 0 under REML; nloptwrap and we
    find the lower minimum with rho = 1."""
    crit = FIXTURES["simulated"]["REML"]["criteria"]
    fit = slopes_fit(*frames["simulated"])
    assert fit.deviance() < crit["bobyqa"] - 1.0
    assert fit.deviance() == pytest.approx(crit["nloptwrap"], rel=1e-10)


def test_radon_textbook_numbers(frames):
    """Gelman & Hill (2007) section 13.1: sd 0.35 and 0.34, correlation -0.34, sigma 0.75."""
    fit = slopes_fit(*frames["radon"])
    assert (round(fit.tau_alpha, 2), round(fit.tau_beta, 2), round(fit.rho, 2)) == (
        0.35,
        0.34,
        -0.34,
    )
    assert round(np.sqrt(fit.sigma2), 2) == 0.75


@pytest.mark.parametrize("case", CASES)
def test_complete_and_no_pooling_equal_lm(frames, case):
    ref = FIXTURES[case]
    fit = slopes_fit(*frames[case], sigma2=1.0, Sigma=np.eye(2))
    assert (
        rel([fit.complete_pooling.alpha, fit.complete_pooling.beta], list(ref["complete"].values()))
        <= 1e-12
    )
    r_alpha = np.array(ref["none"]["alpha"], dtype=float)  # null (NA) -> nan
    r_beta = np.array(ref["none"]["beta"], dtype=float)
    np.testing.assert_array_equal(fit.no_pooling.missing, np.isnan(r_beta))
    ok = ~fit.no_pooling.missing
    assert np.isnan(fit.no_pooling.alpha[~ok]).all() and np.isnan(fit.no_pooling.beta[~ok]).all()
    np.testing.assert_allclose(fit.no_pooling.alpha[ok], r_alpha[ok], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.no_pooling.beta[ok], r_beta[ok], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_blups_given_lme4_variances(frames, case, method):
    lme = FIXTURES[case][method]
    fit = slopes_fit(*frames[case], sigma2=lme["sigma2"], Sigma=lme["Sigma"])
    assert rel(fit.partial_pooling.mu, lme["fixef"]) <= 1e-8
    assert rel(fit.partial_pooling.alpha, lme["alpha"]) <= 1e-8
    assert rel(fit.partial_pooling.beta, lme["beta"]) <= 1e-8
    assert rel(fit.partial_pooling.cov, lme["condVar"]) <= 1e-8


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_one_component_given_the_other_is_its_conditional_optimum(frames, method):
    lme = FIXTURES["sleepstudy"][method]
    a = slopes_fit(*frames["sleepstudy"], sigma2=lme["sigma2"], method=method)
    b = slopes_fit(*frames["sleepstudy"], Sigma=lme["Sigma"], method=method)
    assert rel(a.Sigma, lme["Sigma"]) <= 1e-5 and rel(b.sigma2, lme["sigma2"]) <= 1e-5


def test_frame_equals_arrays(frames):
    d = sv.data.sleepstudy()
    a = slopes_fit_frame(d, x="Days", y="Reaction", group="Subject")
    b = slopes_fit(*frames["sleepstudy"])
    assert np.array_equal(a.partial_pooling.alpha, b.partial_pooling.alpha) and np.array_equal(
        a.Sigma, b.Sigma
    )
    with pytest.raises(ValueError, match="nope"):
        slopes_fit_frame(d, x="nope", y="Reaction", group="Subject")


# --- a dense reference: Henderson's mixed-model equations --------------------------------


def design(x, code):
    N, J = len(x), code.max() + 1
    X = np.column_stack([np.ones(N), x])
    Z = np.zeros((N, 2 * J))
    Z[np.arange(N), 2 * code] = 1.0
    Z[np.arange(N), 2 * code + 1] = x
    return X, Z


def henderson(x, y, code, sigma2, Sigma):
    """Fixed effects, BLUPs (alpha_j, beta_j) and each group's conditional covariance
    given the fixed effects, from Henderson's mixed-model equations (Sigma invertible):

        [X'X  X'Z              ] [b]   [X'y]
        [Z'X  Z'Z + sigma2 G^-1] [u] = [Z'y],     G = I_J (x) Sigma
    """
    X, Z = design(x, code)
    J = code.max() + 1
    Gi = np.kron(np.eye(J), np.linalg.inv(Sigma))
    C = np.block([[X.T @ X, X.T @ Z], [Z.T @ X, Z.T @ Z + sigma2 * Gi]])
    sol = np.linalg.solve(C, np.concatenate([X.T @ y, Z.T @ y]))
    b, u = sol[:2], sol[2:].reshape(J, 2)
    cov = sigma2 * np.linalg.inv(Z.T @ Z + sigma2 * Gi)
    return b, b + u, np.array([cov[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] for j in range(J)])


def dense(x, y, code, sigma2, Sigma, method="REML"):
    """GLS, BLUPs and -2 log (restricted) likelihood with the N x N covariance matrix
    V = sigma2 I + Z (I (x) Sigma) Z' (any Sigma >= 0)."""
    X, Z = design(x, code)
    J = code.max() + 1
    G = np.kron(np.eye(J), Sigma)
    V = sigma2 * np.eye(len(y)) + Z @ G @ Z.T
    Vi = np.linalg.inv(V)
    M = X.T @ Vi @ X
    b = np.linalg.solve(M, X.T @ Vi @ y)
    res = y - X @ b
    u = (G @ Z.T @ Vi @ res).reshape(J, 2)
    crit = len(y) * np.log(2 * np.pi) + np.linalg.slogdet(V)[1] + res @ Vi @ res
    if method == "REML":
        crit += np.linalg.slogdet(M)[1] - 2 * np.log(2 * np.pi)
    return b, b + u, crit


def _solve_exact(A, B):
    """A^-1 B in exact rational arithmetic (Gauss-Jordan on lists of Fractions)."""
    n = len(A)
    M = [list(A[i]) + list(B[i]) for i in range(n)]
    for c in range(n):
        p = next(r for r in range(c, n) if M[r][c] != 0)
        M[c], M[p] = M[p], M[c]
        M[c] = [v / M[c][c] for v in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c], strict=True)]
    return [row[n:] for row in M]


def exact_gls(x, y, code, sigma2, Sigma):
    """GLS fixed effects and BLUPs with V = sigma2 I + Z (I (x) Sigma) Z' in exact rational
    arithmetic on the float inputs: a reference free of rounding for ill-conditioned cases."""
    N, J = len(y), int(code.max()) + 1
    fx, fy = [F(float(v)) for v in x], [F(float(v)) for v in y]
    S = [[F(float(Sigma[a, b])) for b in range(2)] for a in range(2)]
    z = [(1, xi) for xi in fx]  # the row of X (and of the group's block of Z)
    V = [
        [
            (F(float(sigma2)) if i == k else F(0))
            + (
                sum(z[i][a] * S[a][b] * z[k][b] for a in range(2) for b in range(2))
                if code[i] == code[k]
                else 0
            )
            for k in range(N)
        ]
        for i in range(N)
    ]
    Q = _solve_exact(V, [[F(1), fx[i], fy[i]] for i in range(N)])  # V^-1 [X y]
    XQ = [[sum(z[i][a] * Q[i][c] for i in range(N)) for c in range(3)] for a in range(2)]
    b = [v[0] for v in _solve_exact([r[:2] for r in XQ], [[r[2]] for r in XQ])]
    r = [fy[i] - b[0] - b[1] * fx[i] for i in range(N)]
    w = [row[0] for row in _solve_exact(V, [[ri] for ri in r])]  # V^-1 (y - X b)
    coef = []
    for j in range(J):
        t = [sum(z[i][a] * w[i] for i in range(N) if code[i] == j) for a in range(2)]
        coef.append([b[a] + sum(S[a][c] * t[c] for c in range(2)) for a in range(2)])
    return np.array([float(v) for v in b]), np.array(coef, dtype=float)


@pytest.mark.parametrize("offset", [-100.0, 1000.0])
def test_x_far_from_zero_equals_exact_arithmetic(offset):
    """With x far from 0 the dense float references lose digits (V has entries ~ Sigma x^2);
    the closed forms, computed in centred x, agree with exact rational arithmetic."""
    x = offset + np.array([2.5, 1.5, -1.0, 0.0, -0.5, -0.5, 1.0, -1.5, 1.0])
    y = np.array([-92.59, -94.13, 12.86, -94.08, -94.6, -93.24, 11.41, -94.39, 12.41])
    code = np.array([0, 0, 1, 0, 0, 0, 1, 0, 2])
    sigma2, Sigma = 0.015625, np.array([[1.0, 0.5], [0.5, 25.0]])
    fit = slopes_fit(x, y, code, sigma2=sigma2, Sigma=Sigma)
    b, coef = exact_gls(x, y, code, sigma2, Sigma)
    np.testing.assert_allclose(fit.partial_pooling.mu, b, rtol=1e-10)
    np.testing.assert_allclose(fit.partial_pooling.alpha, coef[:, 0], rtol=1e-10)
    np.testing.assert_allclose(fit.partial_pooling.beta, coef[:, 1], rtol=1e-10)


@st.composite
def grouped(draw, min_groups=2, max_groups=6, min_n=1):
    J = draw(st.integers(min_groups, max_groups))
    n = np.array(draw(st.lists(st.integers(min_n, 7), min_size=J, max_size=J)))
    n[0] = max(n[0], 2)  # group 0 gets a line of its own (x varies in it)
    code = np.repeat(np.arange(J), n)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    code = code[rng.permutation(len(code))]
    x = rng.integers(-3, 4, len(code)) * draw(st.sampled_from([0.5, 1.0, 7.0]))
    x = x + draw(st.sampled_from([0.0, 5.0, -20.0]))  # x away from 0, too
    x = x.astype(float)
    first = np.flatnonzero(code == 0)
    x[first[0]] = x[first[1]] + 1.0
    a, b = rng.normal(0, 1, (2, J))
    y = 2.0 + a[code] + (0.7 + 0.5 * b[code]) * x + rng.normal(0, 1, len(code))
    return x, y, code


@st.composite
def covariances(draw, singular=False):
    ta, tb = draw(st.floats(0.05, 5.0)), draw(st.floats(0.05, 5.0))
    rho = draw(st.sampled_from([-1.0, 1.0])) if singular else draw(st.floats(-0.95, 0.95))
    return np.array([[ta * ta, rho * ta * tb], [rho * ta * tb, tb * tb]])


@settings(max_examples=60, deadline=None)
@given(grouped(), st.floats(1e-2, 1e2), covariances())
def test_equals_henderson_equations(g, sigma2, Sigma):
    x, y, code = g
    fit = slopes_fit(x, y, code, sigma2=sigma2, Sigma=Sigma)
    b, coef, cov = henderson(x, y, code, sigma2, Sigma)
    order = fit.groups  # the codes in order of first appearance
    np.testing.assert_allclose(fit.partial_pooling.mu, b, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.partial_pooling.alpha, coef[order, 0], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.partial_pooling.beta, coef[order, 1], rtol=1e-8, atol=1e-8)
    scale = np.abs(cov).max()
    np.testing.assert_allclose(fit.partial_pooling.cov, cov[order], rtol=1e-8, atol=1e-8 * scale)
    crit = dense(x, y, code, sigma2, Sigma)[2]
    assert fit.deviance() == pytest.approx(crit, rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(grouped(), st.floats(1e-2, 1e2), covariances(singular=True))
def test_singular_sigma_equals_dense_gls(g, sigma2, Sigma):
    x, y, code = g
    fit = slopes_fit(x, y, code, sigma2=sigma2, Sigma=Sigma, method="ML")
    b, coef, crit = dense(x, y, code, sigma2, Sigma, "ML")
    np.testing.assert_allclose(fit.partial_pooling.mu, b, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.partial_pooling.alpha, coef[fit.groups, 0], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(fit.partial_pooling.beta, coef[fit.groups, 1], rtol=1e-7, atol=1e-7)
    assert fit.deviance() == pytest.approx(crit, rel=1e-8)


@settings(max_examples=6, deadline=None)
@given(grouped(min_groups=4, max_groups=5, min_n=3), st.sampled_from(["REML", "ML"]))
def test_estimate_minimizes_the_dense_criterion(g, method):
    x, y, code = g
    fit = slopes_fit(x, y, code, method=method)
    ours = dense(x, y, code, fit.sigma2, fit.Sigma, method)[2]
    assert fit.deviance() == pytest.approx(ours, rel=1e-9, abs=1e-9)

    def crit(p):  # log sigma2 and a Cholesky factor of Sigma
        L = np.array([[p[1], 0.0], [p[2], p[3]]])
        return dense(x, y, code, np.exp(p[0]), L @ L.T, method)[2]

    for start in ([np.log(fit.sigma2), 1.0, 0.0, 1.0], [np.log(np.var(y)), 0.3, 0.1, 0.3]):
        best = optimize.minimize(
            crit, start, method="Nelder-Mead", options=dict(xatol=1e-8, fatol=1e-10, maxiter=3000)
        )
        assert ours <= best.fun + 1e-8 * abs(best.fun)


def test_singular_optimum_anywhere_on_the_rank_one_face():
    """A case hypothesis found: the ML optimum is singular (rho = -1) but its zero-variance
    point is not at the centre of x, and L21 < 0 with L11 > 0 small: the centred face
    L11 = 0 holds a worse singular Sigma (80.9555258 against 80.9555048)."""
    x = np.array([0, 21, -21, 0, -21, 7, 21, 7, 0, -6, -7, 14, 0, -7, 7, -7, -7, 0, -7, 14, 14.0])
    y = np.array(
        [3.10240743, 11.36326204, -15.15812542, 1.64973751, 1.41644175, 5.19187063]
        + [10.57675115, 3.21337182, 2.58451422, -7.6330625, -10.03840126, 6.36992603]
        + [2.23012674, -4.34835496, 2.86433074, -13.16241315, -11.16720829, 2.58475854]
        + [2.80969327, 14.8977852, 7.59218518]
    )
    code = np.array([2, 3, 2, 2, 1, 3, 3, 1, 1, 0, 0, 1, 2, 2, 1, 0, 0, 3, 1, 2, 3])
    fit = slopes_fit(x, y, code, method="ML")

    def crit(p):
        L = np.array([[p[1], 0.0], [p[2], p[3]]])
        return dense(x, y, code, np.exp(p[0]), L @ L.T, "ML")[2]

    best = optimize.minimize(
        crit,
        [np.log(np.var(y)), 0.3, 0.1, 0.3],
        method="Nelder-Mead",
        options=dict(xatol=1e-8, fatol=1e-10, maxiter=3000),
    )
    # rho of the singular optimum is -1 up to the rounding of the transform back to x (numpy
    # 1.23 gives -0.9999999999999999)
    assert fit.rho == pytest.approx(-1.0, abs=1e-12)
    assert fit.deviance() <= best.fun + 1e-10 * best.fun


def test_gradient_of_the_criterion():
    t = np.arange(40)
    x, y, code = t % 5, np.sin(3 * t) + t % 5, t % 4
    m = slopes_fit(x, y, code, sigma2=1, Sigma=np.eye(2))._m
    S = (0.8, 0.1, 0.3)
    for sigma2 in (None, 0.9):
        for reml in (True, False):
            M = _criterion(m, S, sigma2, reml, grad=True)[2]
            for k, factor in ((0, 1.0), (1, 2.0), (2, 1.0)):  # d/dS12 counts S21 too
                e = np.zeros(3)
                e[k] = 1e-6
                up = _criterion(m, tuple(np.add(S, e)), sigma2, reml)[0]
                down = _criterion(m, tuple(np.subtract(S, e)), sigma2, reml)[0]
                assert (up - down) / 2e-6 == pytest.approx(factor * M[k], rel=1e-6)


def test_hessian_of_the_criterion():
    """_second_order's value and gradient are _criterion's, its Hessian the central difference
    of its gradient, inside the cone, at Sigma = 0 and next to a singular S."""
    t = np.arange(40)
    x, y, code = t % 5, np.sin(3 * t) + t % 5, t % 4
    m = slopes_fit(x, y, code, sigma2=1, Sigma=np.eye(2))._m
    for S in ((0.8, 0.1, 0.3), (0.0, 0.0, 0.0), (0.09, 0.29, 1.0)):
        for sigma2 in (None, 0.9):
            for reml in (True, False):
                val, grad, hess = _second_order(m, S, sigma2, reml)
                v0, _, M = _criterion(m, S, sigma2, reml, grad=True)
                assert val == pytest.approx(v0, rel=1e-13)
                np.testing.assert_allclose(grad, [M[0], 2 * M[1], M[2]], rtol=1e-12, atol=1e-12)
                for k in range(3):
                    e = np.zeros(3)
                    e[k] = 1e-6
                    up = _second_order(m, tuple(np.add(S, e)), sigma2, reml)[1]
                    down = _second_order(m, tuple(np.subtract(S, e)), sigma2, reml)[1]
                    fd = (np.array(up) - down) / 2e-6
                    np.testing.assert_allclose(np.array(hess)[:, k], fd, rtol=1e-6, atol=1e-7)


def _slsqp_optimize(m, reml):
    """The optimizer before Newton's method (scipy's SLSQP on the analytic gradient, lme4's
    bounds, the same three starts, face checks and descent), kept as a reference."""
    sx = m.sx

    def f(z, free=(0, 1, 2)):
        full = np.zeros(3)
        full[list(free)] = z
        S, (l11, l21, l22) = slopes._relative(full, sx)
        val, _, M = _criterion(m, S, None, reml, grad=True)
        g = np.array(
            [
                2.0 * (M[0] * l11 + M[1] * l21),
                2.0 * (M[1] * l11 + M[2] * l21) / sx,
                2.0 * M[2] * l22 / sx,
            ]
        )
        return val, g[list(free)]

    def run(z0, free=(0, 1, 2)):
        bounds = [[(0.0, None), (None, None), (0.0, None)][i] for i in free]
        r = optimize.minimize(
            f, z0, args=(free,), jac=True, method="SLSQP", bounds=bounds,
            options=dict(ftol=1e-15, maxiter=500),
        )  # fmt: skip
        z = np.zeros(3)
        z[list(free)] = r.x
        return _criterion(m, slopes._relative(z, sx)[0], None, reml)[0], z

    faces = ((0, 1), (1, 2))

    def refine(best):
        scale = np.abs(best[1]).max()
        if best[1][2] <= 1e-3 * scale:
            best = min(best, run(best[1] + [0.0, 0.0, 0.5 * scale]), key=lambda c: c[0])
            scale = np.abs(best[1]).max()
        candidates = [best, (_criterion(m, (0.0, 0.0, 0.0), None, reml)[0], np.zeros(3))]
        near = [face for face in faces if best[1][3 - sum(face)] <= 1e-3 * scale]
        for face in near:
            candidates.append(run(best[1][list(face)], face))
        if near and faces[0] not in near:
            z0 = slopes._rank_one(slopes._relative(best[1], sx)[0], sx, scale)
            for sign in (1.0, -1.0):
                candidates.append(run(z0 * [1.0, sign], faces[0]))
        return min(candidates, key=lambda c: c[0])

    lme4 = m.centred(np.eye(2))
    starts = [slopes._start(m, sx), slopes._variables((lme4[0, 0], lme4[0, 1], lme4[1, 1]), sx)]
    starts.append(slopes._descent(m, reml, None, np.zeros(3), sx))
    best = refine(min((run(z0) for z0 in starts if z0 is not None), key=lambda c: c[0]))
    for _ in range(3):
        z0 = slopes._descent(m, reml, None, best[1], sx)
        if z0 is None:
            break
        again = refine(run(z0))
        if not again[0] < best[0]:
            break
        best = again
    return best[0]


@settings(max_examples=40, deadline=None)
@given(grouped(min_groups=3, min_n=3), st.sampled_from(["REML", "ML"]))
def test_newton_finds_a_local_optimum_no_worse_than_slsqp(g, method):
    """The trust-region Newton search ends at a minimum over the cone of covariances (no
    covariance nearby is lower: each entry of the Cholesky factor L moved both ways, L22 moved
    off 0, the signs of (L11, L21) flipped) whose criterion is at most that of the SLSQP
    search it replaced. Both to 1e-9 relative, or to the criterion's own rounding where that
    is coarser (y all but on the groups' lines): 10 times the spread of the criterion over
    moves of 1e-12 relative in L."""
    x, y, code = g
    fit = slopes_fit(x, y, code, method=method)
    m, reml = fit._m, method == "REML"
    ours = fit.deviance()
    S = m.centred(fit.Sigma / fit.sigma2)[[0, 0, 1], [0, 1, 1]]
    S[[0, 2]] = np.maximum(S[[0, 2]], 0.0)  # a variance of 1e-52 centres to -1e-68

    def crit(w):
        return _criterion(m, slopes._relative(w, m.sx)[0], None, reml)[0]

    z = slopes._variables(S, m.sx)
    nearby = z * (1.0 + 1e-12 * np.random.default_rng(0).normal(size=(8, 3)))
    tol = max(1e-9 * abs(ours), 10.0 * np.ptp([crit(w) for w in nearby]))
    assert ours <= _slsqp_optimize(m, reml) + tol
    eps = 1e-3 * max(np.abs(z).max(), 1e-2)
    moves = [z + s * eps * e for e in np.eye(3) for s in (1.0, -1.0)] + [z * [-1.0, 1.0, 1.0]]
    for w in moves:
        assert crit(w) >= ours - tol, (w, z, crit(w), ours)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_newton_on_four_rows_in_two_groups(method):
    # Found by the test above with smaller groups: from Sigma = 0 the trust-region step
    # divided by zero where the gradient vanished and the Hessian was positive definite but
    # for rounding.
    x, y = (
        np.array([-1.0, -1.0, 1.0, 0.0]),
        np.array([2.33847325, 1.50343974, 5.31456342, 3.48915084]),
    )
    code = np.array([1, 1, 0, 0])
    test_newton_finds_a_local_optimum_no_worse_than_slsqp.hypothesis.inner_test(
        (x, y, code), method
    )


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_newton_where_the_criterion_is_rounding(method):
    # Found by the test above with smaller groups: y is all but on each group's line (sigma2
    # ~ 1e-5, Sigma / sigma2 ~ 3e5), where the criterion varies by 7e-7 over moves of 1e-12
    # relative in L: SLSQP's value was 8e-7 lower than Newton's, within that rounding.
    x = np.array([1.5, 1.5, 1.0, 0.0, 0.5])
    y = np.array([1.4621673, 1.45577634, 4.34473853, 2.31144175, 1.83503597])
    code = np.array([1, 1, 0, 0, 1])
    test_newton_finds_a_local_optimum_no_worse_than_slsqp.hypothesis.inner_test(
        (x, y, code), method
    )


@st.composite
def balanced(draw):
    """Every group on the same x values (rows shuffled), as sleepstudy."""
    J = draw(st.integers(3, 8))
    x1 = np.array(draw(st.lists(st.integers(-3, 6), min_size=3, max_size=6, unique=True)))
    x1 = x1 * draw(st.sampled_from([0.5, 1.0, 7.0])) + draw(st.sampled_from([0.0, 5.0, -20.0]))
    x1 = np.concatenate([x1, x1[: draw(st.integers(0, 2))]])  # repeated x values, too
    code = np.repeat(np.arange(J), len(x1))
    x = np.tile(x1, J)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = rng.permutation(len(x))
    x, code = x[rows], code[rows]
    ta, tb, rho = draw(st.floats(0.1, 3.0)), draw(st.floats(0.1, 3.0)), draw(st.floats(-0.9, 0.9))
    a, b = rng.multivariate_normal(
        [2.0, 0.7], [[ta * ta, rho * ta * tb], [rho * ta * tb, tb * tb]], J
    ).T
    y = a[code] + b[code] * x + rng.normal(0, draw(st.floats(0.1, 2.0)), len(x))
    return x, y, code


@settings(max_examples=40, deadline=None)
@given(balanced(), st.sampled_from(["REML", "ML"]), st.sampled_from([None, 0.5]))
def test_balanced_closed_form_is_the_searchs_optimum(g, method, sigma2):
    """Where the moment estimate of a balanced design is a covariance it is the optimum
    (`_balanced`): its criterion, before any search, is no higher than where the three-start
    search ends. To 1e-9 relative, or to the criterion's rounding where that is coarser
    (10 times its spread over moves of 1e-12 relative in L)."""
    x, y, code = g
    reml = method == "REML"
    fit = slopes_fit(x, y, code, sigma2=sigma2, method=method)
    m = fit._m
    closed = slopes._balanced(m, m.sx, reml, sigma2)
    with mock.patch.object(slopes, "_balanced", lambda *args: None):
        searched = slopes_fit(x, y, code, sigma2=sigma2, method=method).deviance()

    def crit(z):  # sigma2 profiled out, or the one given
        return _criterion(m, slopes._relative(z, m.sx)[0], sigma2, reml)[0]

    S = m.centred(fit.Sigma / fit.sigma2)[[0, 0, 1], [0, 1, 1]]
    S[[0, 2]] = np.maximum(S[[0, 2]], 0.0)
    z = slopes._variables(S, m.sx)
    nearby = z * (1.0 + 1e-12 * np.random.default_rng(0).normal(size=(8, 3)))
    tol = max(1e-9 * abs(searched), 10.0 * np.ptp([crit(w) for w in nearby]))
    assert fit.deviance() <= searched + tol
    if closed is not None:
        assert crit(closed) <= searched + tol


def test_balanced_closed_form_on_sleepstudy():
    """sleepstudy is balanced (every subject on days 0-9): the REML and ML optima are the
    moment estimates, the scatter of the subjects' own lines over J - 1 (REML) or J (ML)
    less sigma2 (X'X)^-1, with sigma2 = RSS / (N - 2J) (lm on each subject alone)."""
    d = sv.data.sleepstudy()
    own, RSS = [], 0.0
    for _, s in d.groupby("Subject", sort=False):
        X = np.column_stack([np.ones(len(s)), s.Days])
        b, rss = np.linalg.lstsq(X, s.Reaction, rcond=None)[:2]
        own.append(b)
        RSS += rss[0]
    sigma2 = RSS / (180 - 2 * 18)
    for method, ddof in (("REML", 1), ("ML", 0)):
        fit = slopes_fit(d.Days, d.Reaction, d.Subject, method=method)
        m = fit._m
        closed = slopes._balanced(m, m.sx, method == "REML", None)
        assert fit.sigma2 == pytest.approx(sigma2, rel=1e-10)
        Sigma = np.cov(np.array(own).T, ddof=ddof) - sigma2 * np.linalg.inv(X.T @ X)
        assert rel(fit.Sigma, Sigma) <= 1e-9
        S = m.centred(Sigma / sigma2)[[0, 0, 1], [0, 1, 1]]  # the start is the optimum
        assert rel(slopes._relative(closed, m.sx)[0], S) <= 1e-9


# --- update(): O(J), a fresh fit --------------------------------------------------------


def assert_same_fit(a, b):
    for part, names in (
        ("complete_pooling", ("alpha", "beta")),
        ("no_pooling", ("alpha", "beta", "missing")),
        ("partial_pooling", ("mu", "alpha", "beta", "cov")),
    ):
        for name in names:
            u, v = getattr(getattr(a, part), name), getattr(getattr(b, part), name)
            assert np.array_equal(u, v, equal_nan=True), (part, name, u, v)
    assert a.sigma2 == b.sigma2 and np.array_equal(a.Sigma, b.Sigma)
    assert np.array_equal(a.n, b.n) and list(a.groups) == list(b.groups)
    assert a.deviance() == b.deviance() or a.sigma2 == 0


def test_update_is_exactly_a_fresh_fit(frames):
    x, y, g = frames["sleepstudy"]
    fit = slopes_fit(x, y, g)
    S = np.array([[400.0, -20.0], [-20.0, 30.0]])
    assert_same_fit(fit.update(sigma2=500.0, Sigma=S), slopes_fit(x, y, g, sigma2=500.0, Sigma=S))
    assert_same_fit(fit.update(), slopes_fit(x, y, g, sigma2=fit.sigma2, Sigma=fit.Sigma))
    n = np.tile([2, 3, 10], 6)
    keep = fit.row_rank < n[fit.group_index]
    fresh = slopes_fit(x[keep], y[keep], g[keep], sigma2=fit.sigma2, Sigma=fit.Sigma)
    assert_same_fit(fit.update(n=n), fresh)
    assert_same_fit(fit.update(n=n).update(n=fit.n), fit.update())


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_update_estimate_is_a_fresh_fit_on_the_rows_in_use(frames, method):
    x, y, g = frames["sleepstudy"]
    fit = slopes_fit(x, y, g)
    n = np.tile([2, 3, 10], 6)
    keep = fit.row_rank < n[fit.group_index]
    fresh = slopes_fit(x[keep], y[keep], g[keep], method=method)
    up = fit.update(n=n, estimate=method)
    assert up.method == method and np.array_equal(up.n, n)
    assert up.sigma2 == pytest.approx(fresh.sigma2, rel=1e-7)
    assert rel(up.Sigma, fresh.Sigma) < 1e-6
    assert rel(up.partial_pooling.alpha, fresh.partial_pooling.alpha) < 1e-9
    assert up.deviance() == pytest.approx(fresh.deviance(), rel=1e-12)
    same = fit.update(estimate="REML")  # all rows: the fit itself
    assert same.sigma2 == pytest.approx(fit.sigma2, rel=1e-9) and same.no_pooling is fit.no_pooling
    held = fit.update(n=n, sigma2=700.0, estimate=method)  # sigma2 given: Sigma estimated
    assert held.sigma2 == 700.0
    ref = slopes_fit(x[keep], y[keep], g[keep], sigma2=700.0, method=method)
    assert rel(held.Sigma, ref.Sigma) < 1e-6
    with pytest.raises(ValueError, match="estimate must be one of"):
        fit.update(estimate="OLS")
    one = np.zeros(18, dtype=int)
    one[4] = 10  # variances between groups cannot be estimated from one group
    with pytest.raises(
        ValueError, match=r"at least two groups need data \(got data for 1 group: '33"
    ):
        fit.update(n=one, estimate=method)
    fit.update(n=one)  # at given variances one group is fine: its BLUPs


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_update_n_property(frames, data):
    x, y, g = frames["radon"]
    fit = slopes_fit(x, y, g, sigma2=0.6, Sigma=[[0.1, -0.03], [-0.03, 0.1]])
    n = np.array([data.draw(st.integers(1, c)) for c in fit.n])
    n[1] = fit.n[1]  # ANOKA keeps houses on both floors
    keep = fit.row_rank < n[fit.group_index]
    assert_same_fit(
        fit.update(n=n), slopes_fit(x[keep], y[keep], g[keep], sigma2=0.6, Sigma=fit.Sigma)
    )


def test_update_with_empty_groups(frames):
    x, y, g = frames["sleepstudy"]
    fit = slopes_fit(x, y, g)
    n = fit.n.copy()
    n[[0, 5]] = 0
    up = fit.update(n=n)
    p = up.partial_pooling
    assert p.alpha[0] == pytest.approx(p.mu[0], rel=1e-14) and p.beta[5] == pytest.approx(
        p.mu[1], rel=1e-14
    )
    assert np.array_equal(p.cov[0], fit.Sigma) and up.no_pooling.missing[[0, 5]].all()
    others = np.setdiff1d(np.arange(18), [0, 5])
    gone = np.isin(g, fit.groups[[0, 5]])
    rest = slopes_fit(x[~gone], y[~gone], g[~gone], sigma2=fit.sigma2, Sigma=fit.Sigma)
    np.testing.assert_allclose(p.alpha[others], rest.partial_pooling.alpha, rtol=1e-12)
    np.testing.assert_allclose(p.beta[others], rest.partial_pooling.beta, rtol=1e-12)
    np.testing.assert_allclose(p.cov[others], rest.partial_pooling.cov, rtol=1e-12)


# --- invariants and limits --------------------------------------------------------------


def test_a_run_stopped_on_the_rank_one_face_is_restarted():
    # Found by the test below: the criterion is even in L22, so a run from the moment start
    # stopped on L22 = 0 (rho = 1, deviance 121.1231), though the optimum is inside (rho =
    # 0.955, deviance 121.1010); the same data in another row order found it.
    x = np.array([-8, 5, 26, 5, -9, 26, -9, 12, 5, 5, -2, -16, 26, 5, 12])
    x = np.concatenate([x, [26, -16, 19, -9, 5, -9, -9, 19, 12, -2, 19, -9, -2, 12]]) * 1.0
    y = np.array(
        [-0.84368585, 6.12662799, 15.9679932, 7.8128482, -0.57729202, 13.5396804, -5.56898666]
        + [17.14374357, 8.80235183, 8.73576314, 2.59077426, -7.27398923, 30.06163326]
        + [7.09388044, 9.65603741, 10.61728747, -7.30657421, 10.64987655, -6.21625603]
        + [4.06283428, -5.98195068, -1.12121117, 20.70709976, 8.25741544, 1.27827827]
        + [12.32648692, -4.02302196, -1.49532412, 7.99716766]
    )
    g = np.array([0, 3, 1, 2, 0, 0, 1, 2, 4, 4, 0, 3, 2, 4, 1, 0, 0, 0, 4, 1, 2, 3, 4, 1, 1, 3])
    g = np.concatenate([g, [3, 1, 3]])
    fit = slopes_fit(x, y, g)
    rows = np.random.default_rng(0).permutation(len(y))
    other = slopes_fit(x[rows], y[rows], g[rows])
    assert fit.rho < 0.99
    assert fit.deviance() == pytest.approx(other.deviance(), abs=1e-9)
    assert fit.deviance() < 121.11


def test_an_interior_local_optimum_loses_to_a_singular_one():
    # Found by `make quick`'s random examples: the run from the moment start stopped at an
    # interior local optimum (rho = 0.986, REML criterion 68.7462); lme4's optimum is
    # singular, rho = 1, REMLcrit 68.16413 (lmer with bobyqa, rhoend = 1e-12), which the
    # start downhill from Sigma = 0 finds.
    x = -np.array([19.5, 20.5, 21.5, 21, 21, 21, 20, 19.5, 19.5, 18.5, 20.5, 21.5, 18.5, 19.5])
    x = np.concatenate([x, [-19.0, -20.5, -18.5, -20.5, -18.5]])
    y = np.array(
        [-3.17041518, -3.58394851, -17.16093659, -2.53162889, -17.86317728, -6.25788729]
        + [-8.59788853, -3.24978421, -7.97823882, -5.35960282, -12.12990956, -3.67622645]
        + [-6.41888484, -3.76192128, -13.30706507, -5.11637073, -6.98182516, -15.79109593]
        + [-13.84562136]
    )
    g = np.array([0, 0, 1, 0, 1, 3, 2, 0, 2, 3, 2, 0, 3, 0, 1, 3, 3, 1, 1])
    fit = slopes_fit(x, y, g)
    assert fit.rho == pytest.approx(1.0, abs=1e-9)
    assert fit.deviance() == pytest.approx(68.16413, abs=1e-5)


def test_a_run_fallen_into_the_saddle_at_zero_goes_on_downhill():
    # Found by `make quick`'s random examples: SLSQP from the start ran to Sigma = 0 (ML
    # deviance 49.63550), where the gradient in L vanishes (d val / dL = 2 M L), though M has
    # a negative eigenvalue there: lme4's optimum is rho = -1, deviance 49.5854413789.
    x = np.array([1, 1, 2, -1.5, 1, -0.5, 0.5, 1.5, 1, -1.5, -0.5, -0.5, -0.5, -0.5, 0, 0, -1])
    x = np.concatenate([x, [1.0, 1.5, 0.5]])
    y = np.array(
        [2.32539739, 2.49545358, 3.77743912, 1.24459793, 1.48799042, 1.76111882, 1.92514263]
        + [2.11584145, 3.29904336, -0.12869743, 0.81904422, 0.92904598, 0.8699317]
        + [1.33904484, 0.49442059, 2.72808914, 2.35140177, 2.37804099, 4.8373266, 3.43949367]
    )
    g = np.array([1, 3, 0, 3, 0, 1, 3, 2, 3, 2, 2, 3, 2, 2, 1, 1, 3, 1, 0, 0])
    fit = slopes_fit(x, y, g, method="ML")
    assert fit.rho == pytest.approx(-1.0, abs=1e-9)
    assert fit.deviance() == pytest.approx(49.5854413789, abs=1e-8)
    assert fit.tau_alpha == pytest.approx(0.174041, rel=1e-5)


def test_a_local_optimum_from_the_moment_start_loses_to_lme4s_start():
    # Found by random examples of the dense-criterion test: the moment start led to rho = 0.99
    # (REML criterion 59.859); lme4's start (L = I, uncentred x) finds rho = -1, REMLcrit
    # 59.0303236213 (lmer with bobyqa, rhoend = 1e-12), tau_alpha 0.62273, tau_beta 0.44000.
    x = np.array([-19, -6, -20, -6, -6, -20, 1, -6, -34, -6, -20, -6, -41, -41.0])
    y = np.array(
        [-12.22730568, 2.70394163, -11.07675552, -4.19056631, 4.05082359, -18.00348462]
        + [3.04316923, -3.71760849, -30.30024371, 1.61014363, -10.63278262, -2.72142701]
        + [-46.56107696, -46.67473358]
    )
    g = np.array([0, 1, 0, 2, 1, 3, 3, 3, 3, 1, 0, 3, 2, 2])
    fit = slopes_fit(x, y, g)
    assert fit.rho == pytest.approx(-1.0, abs=1e-9)
    assert fit.deviance() == pytest.approx(59.0303236213, abs=1e-8)
    assert (fit.tau_alpha, fit.tau_beta) == pytest.approx((0.62273, 0.44000), abs=1e-5)


@settings(max_examples=25, deadline=None)
@given(grouped(min_groups=3, min_n=3), st.integers(0, 2**32 - 1), st.floats(-50, 50))
def test_permuting_groups_and_shifting_y(g, seed, shift):
    # The permutations come from one drawn seed: drawing them element by element made
    # Hypothesis's data_too_large health check fail on large examples.
    x, y, code = g
    J = int(code.max()) + 1
    a = slopes_fit(x, y, code)
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(y))  # another row order, other labels
    perm = rng.permutation(J)
    b = slopes_fit(x[rows], y[rows] + shift, perm[code][rows])
    order = [list(b.groups).index(perm[lab]) for lab in a.groups]
    scale = max(1.0, np.abs(a.partial_pooling.alpha).max())
    np.testing.assert_allclose(
        b.partial_pooling.alpha[order],
        a.partial_pooling.alpha + shift,
        rtol=1e-6,
        atol=1e-6 * scale,
    )
    np.testing.assert_allclose(
        b.partial_pooling.beta[order], a.partial_pooling.beta, rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(b.Sigma, a.Sigma, rtol=1e-5, atol=1e-6 * a.sigma2)
    assert b.sigma2 == pytest.approx(a.sigma2, rel=1e-6)
    assert b.deviance() == pytest.approx(a.deviance(), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(grouped(), st.floats(1e-2, 1e2), covariances())
def test_limits_are_exact(g, sigma2, Sigma):
    x, y, code = g
    zero = slopes_fit(x, y, code, sigma2=sigma2, Sigma=np.zeros((2, 2)))
    p = zero.partial_pooling
    assert np.all(p.alpha == p.mu[0] - 0.0) and np.all(p.beta == p.mu[1])
    np.testing.assert_allclose(
        p.mu, [zero.complete_pooling.alpha, zero.complete_pooling.beta], rtol=1e-12, atol=1e-12
    )
    assert not p.cov.any()
    inf = slopes_fit(x, y, code, sigma2=0.0, Sigma=Sigma)  # Sigma / sigma2 = inf
    ok = ~inf.no_pooling.missing
    assert np.array_equal(inf.partial_pooling.alpha[ok], inf.no_pooling.alpha[ok])
    assert np.array_equal(inf.partial_pooling.beta[ok], inf.no_pooling.beta[ok])
    assert not inf.partial_pooling.cov[ok].any() and np.isfinite(inf.partial_pooling.alpha).all()


@settings(max_examples=40, deadline=None)
@given(grouped(), st.floats(1e-2, 1e2), covariances())
def test_limits_are_continuous(g, sigma2, Sigma):
    x, y, code = g
    small = slopes_fit(x, y, code, sigma2=sigma2, Sigma=1e-16 * Sigma)
    complete = [small.complete_pooling.alpha, small.complete_pooling.beta]
    np.testing.assert_allclose(small.partial_pooling.mu, complete, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(small.partial_pooling.alpha, complete[0], rtol=1e-7, atol=1e-7)
    big = slopes_fit(x, y, code, sigma2=sigma2, Sigma=1e16 * Sigma)
    at_inf = slopes_fit(x, y, code, sigma2=0.0, Sigma=Sigma)
    scale = 1.0 + np.abs(at_inf.partial_pooling.alpha).max()
    np.testing.assert_allclose(
        big.partial_pooling.alpha, at_inf.partial_pooling.alpha, rtol=1e-5, atol=1e-5 * scale
    )
    np.testing.assert_allclose(
        big.partial_pooling.beta, at_inf.partial_pooling.beta, rtol=1e-5, atol=1e-5
    )


# --- bad input --------------------------------------------------------------------------

X, Y, G = [0, 1, 2, 0, 1, 2.0], [1, 2, 2.5, 1.5, 2.5, 4], ["a", "a", "a", "b", "b", "b"]


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((X[:3], Y, G), {}, r"x and y and group must have the same length \(got x: 3, y: 6"),
        ((X, [1, np.nan, 1, 1, 1, 1], G), {}, r"y must be finite \(got nan at index 1\)"),
        ((X, Y, ["a"] * 6), {}, r"group"),
        (([0, 0, 0, 1, 1, 1.0], Y, G), {}, r"x must vary within at least one group"),
        ((X, Y, G), dict(method="OLS"), r"method must be one of 'REML', 'ML' \(got 'OLS'\)"),
        ((X, Y, G), dict(sigma2=-1), r"sigma2 must be in \[0, inf\] \(got -1\)"),
        ((X, Y, G), dict(sigma2=np.nan), r"sigma2 must be a finite number \(got nan\)"),
        ((X, Y, G), dict(Sigma=[1, 2]), r"Sigma must be a 2x2 matrix \(got shape \(2,\)\)"),
        ((X, Y, G), dict(Sigma=np.eye(3)), r"Sigma must be a 2x2 matrix \(got shape \(3, 3\)\)"),
        ((X, Y, G), dict(Sigma=[[1, 0.5], [0.4, 1]]), r"Sigma must be symmetric"),
        ((X, Y, G), dict(Sigma=[[1, 2], [2, 1]]), r"Sigma must be positive semi-definite"),
        ((X, Y, G), dict(Sigma=[[-1, 0], [0, 1]]), r"Sigma must be positive semi-definite"),
        ((X, Y, G), dict(Sigma=[[1, np.nan], [np.nan, 1]]), r"Sigma must be finite"),
        ((X, Y, G), dict(Sigma=[["a", 0], [0, 1]]), r"Sigma must be a 2x2 matrix of numbers"),
        (
            (X, Y, G),
            dict(sigma2=0, Sigma=[[1, 1], [1, 1]]),
            r"Sigma must be positive definite when sigma2 = 0",
        ),
        ((X, Y, G), dict(sigma2=0), r"sigma2 must be > 0 to estimate Sigma \(got 0.0\)"),
        ((X[:2], Y[:2], G[:2]), dict(Sigma=np.eye(2)), r"group"),
    ],
)
def test_bad_input_names_the_parameter(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        slopes_fit(*args, **kwargs)


def test_data_on_each_groups_own_line_cannot_be_estimated():
    """Without residual variance around each group's own line the likelihood grows without
    bound as Sigma / sigma2 -> inf."""
    with pytest.raises(ValueError, match=r"y must not lie exactly on each group's own line"):
        slopes_fit([0, 1, 0, 1, 2.0], [1, 2, 3, 5, 7.0], ["a", "a", "b", "b", "b"])
    with pytest.raises(ValueError, match=r"y must not lie exactly on each group's own line"):
        # two rows a group: each RSS is rounding (random examples found RSS = 1e-15 > 0)
        x, g = [-2, 13, 12, 19.0], [1, 0, 0, 1]
        y = [-0.6274523623759982, 13.652467672923654, 13.959799923368, 9.764210776607094]
        slopes_fit(x, y, g)
    fit = slopes_fit(
        [0, 1, 0, 1, 2.0], [1, 2, 3, 5, 7.0], ["a", "a", "b", "b", "b"], sigma2=1.0
    )  # sigma2 given: Sigma has an optimum
    assert np.isfinite(fit.Sigma).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=[1, 5]), r"n must be integers in \[0, rows of the group\] \(got 5 at index 1"),
        (dict(n=[1, 1]), r"n must keep x varying within at least one group"),
        (dict(n=[0, 0]), r"n must be > 0 for at least one group"),
        (dict(Sigma=[[1, 0], [1, 1]]), r"Sigma must be symmetric"),
        (dict(sigma2=-2), r"sigma2 must be in \[0, inf\] \(got -2\)"),
        (dict(sigma2=0, Sigma=np.zeros((2, 2))), r"Sigma must be positive definite"),
    ],
)
def test_bad_update_names_the_parameter(kwargs, message):
    fit = slopes_fit(X, Y, G, sigma2=1.0, Sigma=np.eye(2))
    with pytest.raises(ValueError, match=message):
        fit.update(**kwargs)


def test_result_is_frozen_readable_and_inputs_untouched(frames):
    x, y, g = (c.to_numpy() for c in frames["sleepstudy"])
    Sigma = np.array([[500.0, 10.0], [10.0, 30.0]])
    copies = x.copy(), y.copy(), g.copy(), Sigma.copy()
    fit = slopes_fit(x, y, g, Sigma=Sigma)
    Sigma[0, 0] = 1.0
    assert fit.Sigma[0, 0] == 500.0  # a copy was kept
    Sigma[0, 0] = 500.0
    n = np.minimum(fit.n, 2)
    n_copy = n.copy()
    fit.update(n=n)
    assert np.array_equal(n, n_copy)
    assert all(np.array_equal(a, b) for a, b in zip((x, y, g, Sigma), copies, strict=True))
    est = slopes_fit(x, y, g)
    for arr in (
        est.partial_pooling.alpha,
        est.partial_pooling.beta,
        est.partial_pooling.cov,
        est.partial_pooling.mu,
        est.no_pooling.alpha,
        est.no_pooling.missing,
        est.Sigma,
        est.n,
        est.groups,
    ):
        with pytest.raises(ValueError):
            arr.flat[0] = arr.flat[1]
    with pytest.raises(AttributeError):
        est.sigma2 = 1.0
    text = repr(est)
    assert text.startswith(
        "SlopesFit(sigma2=654.941, tau_alpha=24.7405, tau_beta=5.92213, "
        "rho=0.0655513, groups=['308'"
    )
    assert "complete_pooling=CompletePooling(alpha=251.405, beta=10.4673)" in text
    assert "partial_pooling=SlopesPartialPooling(mu=[251.4051,  10.4673]" in text


# --- the family behind pooling_fit(slopes=True) -----------------------------------------


def test_pooling_fit_with_slopes_is_slopes_fit(frames):
    x, y, g = frames["sleepstudy"]
    a = sv.pooling_fit(x, y, g, slopes=True, method="ML")
    b = slopes_fit(x, y, g, method="ML")
    assert_same_fit(a, b)
    S = [[500.0, 0.0], [0.0, 30.0]]
    assert_same_fit(
        sv.pooling_fit(x, y, g, sigma2=600.0, Sigma=S, slopes=True),
        slopes_fit(x, y, g, sigma2=600.0, Sigma=S),
    )
    d = sv.data.sleepstudy()
    c = sv.pooling_fit_frame(d, x="Days", y="Reaction", group="Subject", slopes=True)
    assert_same_fit(c, slopes_fit(x, y, g))
    assert type(sv.pooling_fit(x, y, g)).__name__ == "PoolingFit"  # slopes=False as before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(slopes=True, tau2=1.0), r"tau2 must be None when slopes=True \(Sigma holds"),
        (dict(Sigma=np.eye(2)), r"Sigma is the covariance of varying slopes: give slopes=True"),
    ],
)
def test_pooling_fit_refuses_mixed_families(frames, kwargs, message):
    x, y, g = frames["sleepstudy"]
    with pytest.raises(ValueError, match=message):
        sv.pooling_fit(x, y, g, **kwargs)
    with pytest.raises(ValueError, match=message):
        sv.pooling_fit_frame(
            sv.data.sleepstudy(), x="Days", y="Reaction", group="Subject", **kwargs
        )
