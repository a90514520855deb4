"""Varying intercepts and slopes: complete-, no- and partial-pooling lines, each group its own.

    y_ij = alpha_j + beta_j x_ij + e_ij,   e_ij ~ N(0, sigma2),   (alpha_j, beta_j) ~ N(mu, Sigma)

Gelman & Hill (2007), *Data Analysis Using Regression and Multilevel/Hierarchical Models*,
ch. 13 (radon's floor slope by county); lme4's ``lmer(y ~ x + (1 + x | group))`` with
``sleepstudy`` (Bates, Maechler, Bolker & Walker 2015, J. Stat. Softw. 67(1), section 1.2).

Every group enters only through its sums (n_j, means, within-group sums of squares and
products), and every per-group quantity is a closed-form 2x2 expression evaluated for all
groups at once, so a fit at given (sigma2, Sigma) costs O(J), never O(N). With
A_j = X_j'X_j (X_j = [1, x] of group j), D_j = det A_j = n_j Wxx_j and t_j = tr(Sigma A_j):

    det(sigma2 I + Sigma A_j) = sigma2 (sigma2 + t_j) + det(Sigma) D_j               (den_j)
    X_j'V_j^-1 X_j = (sigma2 A_j + D_j adj Sigma) / den_j,   V_j = sigma2 I + X_j Sigma X_j'
    Var(b_j | y, mu) = sigma2 (sigma2 Sigma + det(Sigma) adj A_j) / den_j

(2x2 identities: adj M = tr(M) I - M and M Sigma M = tr(Sigma M) M - det(M) adj Sigma).
A group whose x is constant (or with one row) has D_j = 0 and the same formulas with sigma2
cancelled, so sigma2 = 0 (no pooling) stays exact for it too.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.linalg import lapack

from . import checks as check
from ._results import freeze, readonly, result_repr
from ._suffstats import CumulativeSums, GroupStats
from .frames import read_columns
from .regression import CompletePooling, _encode, _labels, _RowsInUse, _sizes

__all__ = ["SlopesNoPooling", "SlopesPartialPooling", "SlopesFit", "slopes_fit", "slopes_fit_frame"]

METHODS = ("REML", "ML")


@dataclass(frozen=True, repr=False, eq=False)
class SlopesNoPooling:
    """One OLS line per group (``lm(y ~ x)`` on the group's rows alone).

    alpha, beta  intercepts and slopes, nan where ``missing``
    missing      True for a group with fewer than 2 rows or whose x does not vary
    """

    alpha: np.ndarray
    beta: np.ndarray
    missing: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("alpha", "beta", "missing"))


@dataclass(frozen=True, repr=False, eq=False)
class SlopesPartialPooling:
    """The multilevel line of each group: alpha_j + beta_j x (lme4's ``coef``).

    mu           the GLS estimate (mu_alpha, mu_beta) of the fixed effects (lme4's ``fixef``)
    alpha, beta  the BLUPs of each group's intercept and slope
    cov          each group's 2x2 conditional covariance of (alpha_j, beta_j) given y and mu,
                 shape (J, 2, 2) (lme4's ``condVar``); Sigma for a group without rows
    """

    mu: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    cov: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("mu", "alpha", "beta"))


@dataclass(frozen=True, repr=False, eq=False)
class SlopesFit(_RowsInUse):
    """Complete-, no- and partial-pooling fits with varying intercepts and slopes.

    groups   the group labels, in order of first appearance in the data
    n        the number of rows used in each group
    sigma2   the within-group variance
    Sigma    the 2x2 covariance of (alpha_j, beta_j) (estimated by ``method`` when not given)
    """

    complete_pooling: CompletePooling
    no_pooling: SlopesNoPooling
    partial_pooling: SlopesPartialPooling
    sigma2: float
    Sigma: np.ndarray
    groups: np.ndarray
    n: np.ndarray
    method: str
    _sums: CumulativeSums = field(repr=False)
    _m: _Moments = field(repr=False)

    @property
    def tau_alpha(self) -> float:
        """Standard deviation of the intercepts, sqrt(Sigma[0, 0])."""
        return float(np.sqrt(self.Sigma[0, 0]))

    @property
    def tau_beta(self) -> float:
        """Standard deviation of the slopes, sqrt(Sigma[1, 1])."""
        return float(np.sqrt(self.Sigma[1, 1]))

    @property
    def rho(self) -> float:
        """Correlation of intercepts and slopes; nan when a variance is 0 (as lme4's VarCorr)."""
        sd = self.tau_alpha * self.tau_beta
        return float(np.clip(self.Sigma[0, 1] / sd, -1.0, 1.0)) if sd > 0 else np.nan

    def update(self, sigma2=None, Sigma=None, n=None, estimate: str | None = None) -> SlopesFit:
        """The fits for other variance components or other per-group sizes, in O(J).

        ``n[j]`` uses the first n[j] rows of group j in data order (0 <= n[j] <= its rows).
        Without ``estimate``, sigma2, Sigma or n left None keep this fit's values. With
        ``estimate="REML"`` or ``"ML"`` the variances not given are estimated on the rows in
        use, from the per-group sums: the numbers of ``slopes_fit`` on those rows alone.
        """
        if estimate is not None:
            estimate = check.choice("estimate", estimate, METHODS)
            sigma2 = None if sigma2 is None else check.scalar("sigma2", sigma2, lo=0)
            Sigma = None if Sigma is None else _covariance(Sigma)
            if n is None:
                m, complete, none = self._m, self.complete_pooling, self.no_pooling
            else:
                m, complete, none = _Moments(self._stats_at(n)), None, None
            check.groups_with_data(m.stats.n > 0, self.groups)
            if sigma2 is None or Sigma is None:
                sigma2, Sigma = _estimate(m, estimate == "REML", sigma2, Sigma)
            _check_pair(sigma2, Sigma)
            return _assemble(self._sums, m, self.groups, sigma2, Sigma, estimate, complete, none)
        sigma2 = self.sigma2 if sigma2 is None else check.scalar("sigma2", sigma2, lo=0)
        Sigma = self.Sigma if Sigma is None else _covariance(Sigma)
        _check_pair(sigma2, Sigma)
        if n is None:
            return _assemble(
                self._sums,
                self._m,
                self.groups,
                sigma2,
                Sigma,
                self.method,
                self.complete_pooling,
                self.no_pooling,
            )
        m = _Moments(self._stats_at(n))
        return _assemble(self._sums, m, self.groups, sigma2, Sigma, self.method)

    def _stats_at(self, n):
        stats = self._sums.at(_sizes(n, self._sums.counts))
        if not (stats.Wxx > 0).any():
            raise ValueError(
                "n must keep x varying within at least one group (got x constant "
                "within every group over the rows kept)"
            )
        return stats

    def deviance(self) -> float:
        """-2 log likelihood (ML) or -2 log restricted likelihood (REML) at (sigma2, Sigma),
        as lme4's ``deviance(fit)`` / ``REMLcrit(fit)``; inf at sigma2 = 0."""
        if self.sigma2 == 0:
            return np.inf
        m = self._m
        S = m.centred(self.Sigma)[[0, 0, 1], [0, 1, 1]] / self.sigma2
        return float(_criterion(m, S, self.sigma2, self.method == "REML")[0])

    def __repr__(self) -> str:
        return (
            result_repr(self, ("sigma2", "tau_alpha", "tau_beta", "rho", "groups", "n"))
            + f"\n  complete_pooling={self.complete_pooling!r}\n  no_pooling={self.no_pooling!r}"
            + f"\n  partial_pooling={self.partial_pooling!r}"
        )


def slopes_fit(x, y, group, sigma2=None, Sigma=None, method: str = "REML") -> SlopesFit:
    """Complete-, no- and partial-pooling lines of ``y ~ x``, intercepts and slopes by group.

    Given (sigma2, Sigma), with G_j = X_j'V_j^-1 X_j and h_j = X_j'V_j^-1 y_j (closed form,
    see the module docstring), the fixed effects are the GLS mu = (sum G_j)^-1 sum h_j and
    each group's pair is the BLUP (alpha_j, beta_j) = mu + Sigma (h_j - G_j mu)
    (Henderson's mixed-model equations; Gelman & Hill 2007, 13.1). Sigma = 0 is complete
    pooling (every pair equals mu, the OLS line), sigma2 = 0 no pooling (each group with
    varying x keeps its own OLS line).

    Unknown (sigma2, Sigma) maximize the REML or ML likelihood as lme4 does (Bates et al.
    2015, section 3.4): sigma2 profiled out, Sigma / sigma2 = L L' with L lower triangular,
    its diagonal >= 0 (lme4's theta), minimized by Newton's method in a trust region on the
    analytic gradient and Hessian from three starts (the criterion can have several local
    optima: a moment estimate, lme4's start and downhill from Sigma = 0). The boundary (a zero
    variance, or a correlation of +-1) is checked: each face is optimized on its own and the
    best criterion wins. A balanced design (every group with the same x values, as
    sleepstudy) has its optimum in closed form, the moment estimate of Swamy (1970) when that
    is a covariance: the search starts there and only confirms it.

    Parameters
    ----------
    x, y : 1-D arrays of N finite numbers; x must vary within at least one group.
    group : N labels (any hashable values); at least 2 distinct ones.
    sigma2 : within-group variance, >= 0 and finite, or None to estimate it.
    Sigma : 2x2 covariance of (alpha_j, beta_j): symmetric, positive semi-definite, finite
        (positive definite when sigma2 = 0), or None to estimate it.
    method : "REML" or "ML", for the variances not given.
    """
    x = check.finite("x", check.float_array("x", x))
    y = check.finite("y", check.float_array("y", y))
    group = _labels(group)
    check.same_length(x=x, y=y, group=group)
    method = check.choice("method", method, METHODS)
    labels, code = _encode(group)
    sums = CumulativeSums(code, len(labels), x, y)
    stats = sums.at(sums.counts)
    if not (stats.Wxx > 0).any():
        raise ValueError(
            "x must vary within at least one group (got x constant within every group)"
        )
    sigma2 = None if sigma2 is None else check.scalar("sigma2", sigma2, lo=0)
    Sigma = None if Sigma is None else _covariance(Sigma)
    m = _Moments(stats)
    if sigma2 is None or Sigma is None:
        sigma2, Sigma = _estimate(m, method == "REML", sigma2, Sigma)
    _check_pair(sigma2, Sigma)
    return _assemble(sums, m, freeze(labels), sigma2, Sigma, method)


def slopes_fit_frame(
    df, *, x: str, y: str, group: str, sigma2=None, Sigma=None, method: str = "REML"
) -> SlopesFit:
    """``slopes_fit`` on the columns ``x``, ``y`` and ``group`` of a data frame.

    Any object whose ``df[name].to_numpy()`` gives a column works (a pandas DataFrame);
    x and y must hold numbers. A missing value is refused with its column and its row
    (``shrinkviz.model.frames.read_columns``).
    """
    cols = read_columns(df, x=x, y=y, group=group)
    return slopes_fit(
        cols["x"], cols["y"], cols["group"], sigma2=sigma2, Sigma=Sigma, method=method
    )


# --- validation -------------------------------------------------------------------------


def _covariance(Sigma) -> np.ndarray:
    """A read-only float copy of a 2x2 symmetric positive semi-definite finite matrix."""
    try:
        S = np.array(Sigma, dtype=np.float64)
    except (TypeError, ValueError):
        raise check.fail("Sigma", "a 2x2 matrix of numbers", Sigma) from None
    if S.shape != (2, 2):
        raise ValueError(f"Sigma must be a 2x2 matrix (got shape {S.shape})")
    if not np.isfinite(S).all():
        raise check.fail("Sigma", "finite", S)
    (s11, s12), (s21, s22) = S.tolist()  # Python floats: cheaper than numpy scalars
    scale = max(abs(s11), abs(s22), abs(s12), abs(s21))
    if abs(s12 - s21) > 1e-12 * scale:
        raise check.fail("Sigma", "symmetric", S)
    det = s11 * s22 - s12 * s12
    if s11 < 0 or s22 < 0 or det < -1e-12 * scale * scale:
        raise check.fail("Sigma", "positive semi-definite (variances >= 0, |rho| <= 1)", S)
    # a correlation that rounding put a hair beyond +-1 is +-1
    r = math.sqrt(s11 * s22)
    S[0, 1] = S[1, 0] = min(max(s12, -r), r)
    return freeze(S)


def _check_pair(sigma2: float, Sigma: np.ndarray) -> None:
    if sigma2 == 0 and not _det(Sigma) > 0:
        raise ValueError(
            f"Sigma must be positive definite when sigma2 = 0 (got Sigma = "
            f"{check._shown(Sigma)} with determinant {_det(Sigma)!r})"
        )


def _det(S) -> float:
    return float(S[0, 0] * S[1, 1] - S[0, 1] * S[0, 1])


# --- per-group moments ------------------------------------------------------------------
#
# A symmetric 2x2 matrix per group is stored as a (3, J) array of its entries (11, 12, 22),
# a 2-vector per group as a (2, J) array, so that each step is one numpy operation over J.


class _Moments:
    """What the fits need of each group, in x centred at its mean xc and y taken relative to
    the complete-pooling (OLS) line a0 + b0 (x - xc), so sums of squares do not cancel.

    A = X'X; D = det A = n Wxx; c = X'r (r: the residuals of the OLS line); e = adj(A) c =
    D own, own = the group's own OLS line minus the OLS line (0 where D = 0). The rows
    (c, A, 1, e, D) are one (9, J) table K (1: a row of ones). The criterion's
    extra rows (RSS, the group's own residual sum of squares, and q = c'A^+ c, the sum of
    squares its own line takes out of r) are computed on first use.
    """

    def __init__(self, s: GroupStats):
        # K is filled row by row (out=): few temporaries, since update(n=) builds it anew
        self.K = K = np.empty((9, len(s.n)))
        n = K[2]
        n[:] = s.n
        self.stats = s
        self.N = s.N
        self.xc = xc = float(n @ s.xbar) / s.N
        self.a0 = float(n @ s.ybar) / s.N
        self.empty = empty = s.n == 0
        self.some_empty = bool(empty.any())
        self.xb = xb = s.xbar - xc
        yb = s.ybar - self.a0
        if self.some_empty:
            xb[empty] = yb[empty] = 0.0
        nxb = np.multiply(n, xb, out=K[3])
        self.Sxx = s.Wxx_sum + nxb @ xb
        self.b0 = float((s.Wxy_sum + nxb @ yb) / self.Sxx)
        yb -= self.b0 * xb
        self.rbar = rbar = yb
        self.Wxr = Wxr = s.Wxy - self.b0 * s.Wxx
        self.line = s.Wxx > 0
        self.all_lines = bool(self.line.all())
        np.multiply(n, rbar, out=K[0])
        np.multiply(nxb, rbar, out=K[1])
        K[1] += Wxr
        np.multiply(nxb, xb, out=K[4])
        K[4] += s.Wxx
        K[5] = 1.0
        np.multiply(s.Wxx, rbar, out=K[6])
        K[6] -= xb * Wxr
        K[6] *= n
        np.multiply(n, Wxr, out=K[7])
        self.D = np.multiply(n, s.Wxx, out=K[8])
        self.A = K[2:5]

    def centred(self, Sigma: np.ndarray) -> np.ndarray:
        """T Sigma T' with T = [[1, xc], [0, 1]], which takes (alpha, beta) to (alpha at xc,
        beta); in scalars (numpy's product of 2x2 matrices costs more than the arithmetic)."""
        xc = self.xc
        s11, s12, s22 = float(Sigma[0, 0]), float(Sigma[0, 1]), float(Sigma[1, 1])
        c12 = s12 + xc * s22
        c11 = s11 + xc * s12 + xc * c12
        return np.array([[c11, c12], [c12, s22]])

    def uncentred(self, S: np.ndarray) -> np.ndarray:
        Ti = np.array([[1.0, -self.xc], [0.0, 1.0]])
        return Ti @ S @ Ti.T

    @functools.cached_property
    def Z(self) -> np.ndarray:
        """The rows of the criterion: A (3), D, c (2), e (2), q, D own own' (3)."""
        K = self.K
        Wxx = np.where(self.line, self.stats.Wxx, 1.0)
        k = np.where(self.line, self.Wxr / Wxx, 0.0)
        own = np.stack([self.rbar - self.xb * k, k])
        q = K[0] * self.rbar + k * self.Wxr
        own2 = self.D * own[[0, 0, 1]] * own[[0, 1, 1]]
        return np.vstack([K[2:5], K[8], K[0:2], K[6:8], q, own2])

    @functools.cached_property
    def Y1(self) -> np.ndarray:
        """Z's rows A (3) and D below a row of ones."""
        return np.vstack([np.ones(self.Z.shape[1]), self.Z[:4]])

    @functools.cached_property
    def Y(self) -> np.ndarray:
        """The per-group rows (w_j (2), 0, G_j (3)) of `_second_order`, times den_j, as the
        product of u = (1, S11, S12, S22, delta_1, delta_2, S12 delta_2 - S22 delta_1,
        S12 delta_1 - S11 delta_2) with this (8, 6 J) table: G_j den_j = A_j + D_j adj S,
        w_j den_j = c_j + adj S e_j - (A_j + D_j adj S) delta."""
        Z = self.Z
        A11, A12, A22, D, c1, c2, e1, e2 = Z[:8]
        Y = np.zeros((8, 6, Z.shape[1]))
        Y[0, 0], Y[0, 1], Y[0, 3:] = c1, c2, Z[:3]
        Y[1, 1], Y[1, 5] = e2, D
        Y[2, 0], Y[2, 1], Y[2, 4] = -e2, -e1, -D
        Y[3, 0], Y[3, 3] = e1, D
        Y[4, 0], Y[4, 1] = -A11, -A12
        Y[5, 0], Y[5, 1] = -A12, -A22
        Y[6, 0], Y[7, 1] = D, D
        return Y.reshape(8, -1)

    @functools.cached_property
    def RSS_sum(self) -> float:
        """Sum of the groups' residual sums of squares about their own lines; a group's RSS
        within rounding of its Wyy (a line through 2 rows, say) counts as 0."""
        s = self.stats
        Wxx = np.where(self.line, s.Wxx, 1.0)
        RSS = np.where(self.line, s.Wyy - s.Wxy * s.Wxy / Wxx, s.Wyy)
        return float(np.where(RSS > 64 * np.finfo(float).eps * s.Wyy, RSS, 0.0).sum())

    @property
    def sx(self) -> float:
        """The scale of x, which makes the optimizer's variables comparable."""
        return float(np.sqrt(self.Sxx / self.N))


def _criterion(m: _Moments, S, sigma2, reml: bool, grad: bool = False):
    """-2 log (restricted) likelihood at the relative covariance S = Sigma / sigma2 (centred
    x, given as its entries (S11, S12, S22)), sigma2 given or None (profiled out:
    sigma2 = Q / dof). lme4's deviance (ML, dof = N) and REML criterion (dof = N - 2),
    Bates et al. (2015) eqs. (34) and (41):

        sum_j log det(I + S A_j) [+ log det sum_j G_j]  +  dof log(2 pi sigma2) + Q / sigma2

    with den_j = det(I + S A_j) = 1 + tr(S A_j) + det(S) D_j, G_j = X_j'V_j^-1 X_j =
    (A_j + D_j adj S) / den_j and h_j = X_j'V_j^-1 r_j = (c_j + adj S e_j) / den_j in units
    of sigma2, delta = (sum G)^-1 sum h, and Q = sum_j (r_j - X_j delta)'V_j^-1(...) =
    sum_j [RSS_j + (q_j + D_j own_j' adj S own_j) / den_j] - h'delta (every term >= 0 but
    the last, which is small because r is taken from the OLS line). All sums over j are one
    product of the (12, J) table m.Z with 1 / den. Returns (value, Q).

    With ``grad`` also M, the symmetric derivative matrix (d value = tr(M dS)) as its entries
    (11, 12, 22):

        M = sum_j G_j - [sum_j G_j (sum G)^-1 G_j] - (dof / Q or 1 / sigma2) sum_j w_j w_j'

    with w_j = h_j - G_j delta (d log det(I + S A) = tr(G dS), dV^-1 = -V^-1 X dS X'V^-1,
    and Q is minimal in delta, so delta does not move it to first order).
    """
    s11, s12, s22 = (float(v) for v in S)
    dS = max(s11 * s22 - s12 * s12, 0.0)
    Z = m.Z
    den = 1.0 + np.array([s11, 2.0 * s12, s22, dS]) @ Z[:4]
    inv = 1.0 / den
    z = (Z @ inv).tolist()  # Python floats: the rest is scalar arithmetic
    G = (z[0] + s22 * z[3], z[1] - s12 * z[3], z[2] + s11 * z[3])
    h = (z[4] + s22 * z[6] - s12 * z[7], z[5] - s12 * z[6] + s11 * z[7])
    detG = G[0] * G[2] - G[1] * G[1]
    d = ((G[2] * h[0] - G[1] * h[1]) / detG, (G[0] * h[1] - G[1] * h[0]) / detG)
    Q = m.RSS_sum + z[8] + s22 * z[9] - 2.0 * s12 * z[10] + s11 * z[11] - h[0] * d[0] - h[1] * d[1]
    dof = m.N - 2 if reml else m.N
    val = float(np.log(den).sum())
    if reml:
        val += math.log(detG)
    if sigma2 is None:
        val += dof * (1.0 + math.log(2.0 * math.pi * Q / dof))
    else:
        val += dof * math.log(2.0 * math.pi * sigma2) + Q / sigma2
    if not grad:
        return val, Q
    kq = dof / Q if sigma2 is None else 1.0 / sigma2
    # w_j = h_j - G_j delta and G_j are linear combinations of the rows of Z over den_j, so
    # sum_j w_j w_j' and sum_j G_j G_j' are parts of P = sum_j Z_j Z_j' / den_j^2 (rows 0-7)
    Z8 = Z[:8]
    P = (Z8 * (inv * inv)) @ Z8.T
    Ww = np.array(
        [
            [-d[0], -d[1], 0.0, s12 * d[1] - s22 * d[0], 1.0, 0.0, s22, -s12],
            [0.0, -d[0], -d[1], s12 * d[0] - s11 * d[1], 0.0, 1.0, -s12, s11],
        ]
    )
    WW = (Ww @ P @ Ww.T).tolist()
    M = [G[0] - kq * WW[0][0], G[1] - kq * WW[0][1], G[2] - kq * WW[1][1]]
    if reml:
        C = np.array([[1.0, 0.0, 0.0, s22], [0.0, 1.0, 0.0, -s12], [0.0, 0.0, 1.0, s11]])
        p = (C @ P[:4, :4] @ C.T).tolist()  # p[a][b] = sum_j G_j[a] G_j[b], (11, 12, 22)
        H = (G[2] / detG, -G[1] / detG, G[0] / detG)  # (sum G)^-1
        M[0] -= H[0] * p[0][0] + 2.0 * H[1] * p[0][1] + H[2] * p[1][1]
        M[1] -= H[0] * p[0][1] + H[1] * (p[0][2] + p[1][1]) + H[2] * p[1][2]
        M[2] -= H[0] * p[1][1] + 2.0 * H[1] * p[1][2] + H[2] * p[2][2]
    return val, Q, M


def _trace_form(C) -> list:
    """T[a][b] = sum_j tr(E_a X_j E_b Y_j) for the directions E_11 = e1 e1', E_12 = e1 e2' +
    e2 e1', E_22 = e2 e2', from C[p][r] = sum_j X_j[p] Y_j[r] over the entries (11, 12, 22)
    of the symmetric X_j and Y_j (C and its transpose give the same T)."""
    (c00, c01, c02), (c10, c11, c12), (c20, c21, c22) = C
    a, b = c01 + c10, c12 + c21
    return [[c00, a, c11], [a, 2.0 * c11 + c02 + c20, b], [c11, b, c22]]


# the rows of `_second_order`'s table B multiplied in pairs: G's entries, w's entries; and
# which of G's pairs is G_j[p] G_j[r]
_PAIRS = (
    np.array([12, 12, 12, 13, 13, 14, 9, 9, 10]),
    np.array([12, 13, 14, 13, 14, 14, 9, 10, 10]),
)
_GG = ((0, 1, 2), (1, 3, 4), (2, 4, 5))


def _second_order(m: _Moments, S, sigma2, reml: bool, lazy: bool = False):
    """The criterion of `_criterion`, its gradient and its Hessian in (S11, S12, S22): value,
    [M11, 2 M12, M22] and a 3x3 nested list. Differentiating M once more (dG_j = -G_j dS G_j,
    dw_j = -G_j dS w_j + G_j H u(dS), H = (sum G)^-1, u(E) = sum_j G_j E w_j), in directions
    E_a, E_b:

        d2 val = - sum_j tr(E_a G_j E_b G_j)
                 [+ 2 sum_j tr(E_a K_j E_b G_j) - tr(H B_a H B_b)]           (REML)
                 + k (2 sum_j tr(E_a G_j E_b w_j w_j') - 2 u_a'H u_b)
                 [- (dof / Q^2) dQ_a dQ_b]                                  (sigma2 profiled)

    with K_j = G_j H G_j, B_a = sum_j G_j E_a G_j, dQ_a = -sum_j w_j'E_a w_j and k = dof / Q
    (profiled) or 1 / sigma2. The sums over j are one product of a table of per-group rows
    (the products of G_j's entries in pairs, w_j w_j', w_j) with (1, G_j); the sums of K_j
    and of K_j G_j are then H's entries times those of G_j's entries in pairs and in threes.
    With ``lazy``, the value and a function that gives the rest (a search needs them only
    where it moves)."""
    s11, s12, s22 = S
    dS = max(s11 * s22 - s12 * s12, 0.0)
    Z = m.Z
    den = np.dot([1.0, s11, 2.0 * s12, s22, dS], m.Y1)  # det(I + S A_j)
    inv = 1.0 / den
    z = (Z @ inv).tolist()
    G = (z[0] + s22 * z[3], z[1] - s12 * z[3], z[2] + s11 * z[3])
    h = (z[4] + s22 * z[6] - s12 * z[7], z[5] - s12 * z[6] + s11 * z[7])
    detG = G[0] * G[2] - G[1] * G[1]
    d0, d1 = (G[2] * h[0] - G[1] * h[1]) / detG, (G[0] * h[1] - G[1] * h[0]) / detG
    Q = m.RSS_sum + z[8] + s22 * z[9] - 2.0 * s12 * z[10] + s11 * z[11] - h[0] * d0 - h[1] * d1
    dof = m.N - 2 if reml else m.N
    val = float(np.add.reduce(np.log(den, out=den)))  # (ndarray.sum's wrapper costs more)
    if reml:
        val += math.log(detG)
    if sigma2 is None:
        val += dof * (1.0 + math.log(2.0 * math.pi * Q / dof))
        k = dof / Q
    else:
        val += dof * math.log(2.0 * math.pi * sigma2) + Q / sigma2
        k = 1.0 / sigma2

    def rest():
        H0, H1, H2 = G[2] / detG, -G[1] / detG, G[0] / detG
        # rows of B: G_j's entries in pairs (11 11, 11 12, 11 22, 12 12, 12 22, 22 22), w_j w_j'
        # (3), then over den_j: w_j = h_j - G_j delta (2), a row of ones, G_j (3); these last
        # are linear in u (the table m.Y)
        B = np.empty((15, Z.shape[1]))
        u = [1.0, s11, s12, s22, d0, d1, s12 * d1 - s22 * d0, s12 * d0 - s11 * d1]
        np.matmul(u, m.Y, out=B[9:].reshape(-1))
        B[9:] *= inv
        B[11] = 1.0
        np.multiply(B.take(_PAIRS[0], 0), B.take(_PAIRS[1], 0), out=B[:9])
        P = (B[:11] @ B[11:].T).tolist()  # columns: the sum, the sums times G11, G12, G22
        W = [P[6][0], P[7][0], P[8][0]]  # sum_j w_j w_j'
        M = [G[0] - k * W[0], G[1] - k * W[1], G[2] - k * W[2]]
        # C[p][r] = sum_j X_j[p] G_j[r] with X_j = 2 k w_j w_j' [+ 2 K_j] - G_j, K_j = G_j H G_j
        # (H's entries times G_j's pairs, so that its sums are those of G_j's entries in threes)
        k2 = 2.0 * k
        C = [[k2 * P[6 + p][1 + r] - P[_GG[p][r]][0] for r in range(3)] for p in range(3)]
        if reml:
            h0, h1, h2, h3 = 2.0 * H0, 2.0 * H1, 4.0 * H1, 2.0 * H2
            for r in (1, 2, 3):
                C[0][r - 1] += h0 * P[0][r] + h2 * P[1][r] + h3 * P[3][r]
                C[1][r - 1] += h0 * P[1][r] + h1 * (P[2][r] + P[3][r]) + h3 * P[4][r]
                C[2][r - 1] += h0 * P[3][r] + h2 * P[4][r] + h3 * P[5][r]
        c00, c01, c02, c11, c12, c22 = (row[0] for row in P[:6])  # sum_j G_j[p] G_j[r]
        if reml:  # - sum_j K_j
            M[0] -= H0 * c00 + 2.0 * H1 * c01 + H2 * c11
            M[1] -= H0 * c01 + H1 * (c02 + c11) + H2 * c12
            M[2] -= H0 * c11 + 2.0 * H1 * c12 + H2 * c22
        hess = _trace_form(C)
        (a0, a1, a2), (b0, b1, b2) = P[9][1:], P[10][1:]  # sums of w_j[r] G_j[p]
        u = ((a0, a1), (b0 + a1, b1 + a2), (b1, b2))
        Hu = [(H0 * x + H1 * y, H1 * x + H2 * y) for x, y in u]
        dQ = (-W[0], -2.0 * W[1], -W[2])
        r = k * k / dof if sigma2 is None else 0.0  # dof / Q^2
        if reml:
            Bs = ((c00, c01, c11), (2.0 * c01, c02 + c11, 2.0 * c12), (c11, c12, c22))
            HB = [
                (H0 * x + H1 * y, H0 * y + H1 * v, H1 * x + H2 * y, H1 * y + H2 * v)
                for x, y, v in Bs
            ]
        for a in range(3):
            for b in range(a, 3):
                t = k2 * (u[a][0] * Hu[b][0] + u[a][1] * Hu[b][1]) + r * dQ[a] * dQ[b]
                if reml:
                    p, q = HB[a], HB[b]
                    t += p[0] * q[0] + p[1] * q[2] + p[2] * q[1] + p[3] * q[3]
                hess[a][b] -= t
                hess[b][a] = hess[a][b]
        return [M[0], 2.0 * M[1], M[2]], hess

    if lazy:
        return val, rest
    return (val, *rest())


# --- estimation -------------------------------------------------------------------------


def _estimate(m: _Moments, reml: bool, sigma2, Sigma):
    """(sigma2, Sigma) maximizing the (restricted) likelihood; a given one is held fixed."""
    dof = m.N - 2 if reml else m.N  # > 0: a line and another group need 3 rows
    if Sigma is None:
        if sigma2 == 0:
            raise check.fail("sigma2", "> 0 to estimate Sigma", sigma2)
        if sigma2 is None and not m.RSS_sum > 0:
            raise ValueError(
                "y must not lie exactly on each group's own line to estimate "
                "sigma2 and Sigma (got no residual variance within the groups)"
            )
        S, Q = _optimize(m, reml, sigma2)
        s2 = Q / dof if sigma2 is None else sigma2
        return float(s2), readonly(m.uncentred(S * s2))
    return _estimate_sigma2(m, reml, m.centred(Sigma)), Sigma


_FACES = ((0, 1), (1, 2))  # L22 = 0 (rho = +-1 or no slope variance), L11 = 0


def _relative(z, sx: float):
    """S = L L' as (S11, S12, S22) and L = (L11, L21, L22) from the optimizer's variables
    z = (L11, L21 sx, L22 sx) (x's scale sx makes them comparable)."""
    l11, l21, l22 = z[0], z[1] / sx, z[2] / sx
    return (l11 * l11, l11 * l21, l21 * l21 + l22 * l22), (l11, l21, l22)


def _optimize(m: _Moments, reml: bool, sigma2):
    """Minimize the criterion over L (lme4's theta, centred x) by Newton's method in a trust
    region (`_newton`) on the analytic gradient and Hessian (`_second_order`), from three
    starts (a moment estimate, `_start`; lme4's L = I for the uncentred x; downhill from
    Sigma = 0); the best run is refined. Where the design is balanced and the moment estimate
    is inside the cone, that estimate is the optimum (`_balanced`): one run from it, which
    confirms it in one evaluation, is enough.

    A diagonal entry of L that ends up near 0 is checked on its face (the entry held at
    exactly 0, the others optimized), and then also on the face L22 = 0 that holds every
    singular S, and Sigma = 0 too; the best criterion wins, so a singular optimum is exactly
    singular. A singular winner must then satisfy the first-order condition on the cone of
    covariances, M >= 0 (`_descent`); where it does not, the search goes on downhill from it.
    Returns S = L L' (centred x) and Q there.
    """
    sx = m.sx

    def fgh(z, free):
        """The value at z = (L11, L21 sx, L22 sx) and a function that gives the gradient
        and the Hessian in the free ones of z."""
        a, b, c = z[0], z[1] / sx, z[2] / sx
        val, rest = _second_order(m, (a * a, a * b, b * b + c * c), sigma2, reml, lazy=True)
        return val, lambda: in_z(a, b, c, free, *rest())

    def in_z(a, b, c, free, g, h):
        g0, g1, g2 = g
        # chain rule through S = (a^2, a b, b^2 + c^2): J'hJ with the columns of J = dS / d(a,
        # b, c) (2a, b, 0), (0, a, 2b), (0, 0, 2c), plus the gradient times S's second
        # derivatives (d2 S11 / da2 = 2, d2 S12 / da db = 1, d2 S22 / db2 = d2 S22 / dc2 = 2)
        ha = [2.0 * a * h[0][r] + b * h[1][r] for r in range(3)]  # h times J's columns
        hb = [a * h[1][r] + 2.0 * b * h[2][r] for r in range(3)]
        hc = [2.0 * c * h[2][r] for r in range(3)]
        sx2 = sx * sx
        ab = (2.0 * a * hb[0] + b * hb[1] + g1) / sx
        ac = (2.0 * a * hc[0] + b * hc[1]) / sx
        bc = (a * hc[1] + 2.0 * b * hc[2]) / sx2
        grad = [2.0 * a * g0 + b * g1, (a * g1 + 2.0 * b * g2) / sx, 2.0 * c * g2 / sx]
        hess = [
            [2.0 * a * ha[0] + b * ha[1] + 2.0 * g0, ab, ac],
            [ab, (a * hb[1] + 2.0 * b * hb[2] + 2.0 * g2) / sx2, bc],
            [ac, bc, (2.0 * c * hc[2] + 2.0 * g2) / sx2],
        ]
        if len(free) < 3:
            return [grad[i] for i in free], [[hess[i][j] for j in free] for i in free]
        return grad, hess

    def run(z0, free=(0, 1, 2)):
        z = [0.0, 0.0, 0.0]
        for i, v in zip(free, z0, strict=True):
            z[i] = float(v)
        a, b, c = _newton(z, free, fgh)
        if a < 0:  # (L11, L21) and -(L11, L21), L22 and -L22 give one S = L L'
            a, b = -a, -b
        z = np.array([a, b, abs(c)])
        return _criterion(m, _relative(z, sx)[0], sigma2, reml)[0], z

    def refine(best):
        scale = np.abs(best[1]).max()
        if best[1][2] <= 1e-3 * scale:
            # the criterion is even in L22, so its gradient in L22 vanishes on the face
            # L22 = 0: a run that lands there may have stopped short of an interior optimum.
            # Restart off the face (a hypothesis example: rho = 1 where the optimum has
            # rho = 0.955).
            best = min(best, run(best[1] + [0.0, 0.0, 0.5 * scale]), key=lambda c: c[0])
            scale = np.abs(best[1]).max()
        candidates = [best, (_criterion(m, (0.0, 0.0, 0.0), sigma2, reml)[0], np.zeros(3))]
        near = [face for face in _FACES if best[1][3 - sum(face)] <= 1e-3 * scale]
        for face in near:  # held at 0: the entry the face does not free
            candidates.append(run(best[1][list(face)], face))
        if near and _FACES[0] not in near:
            # every singular S = l l' lies on the face L22 = 0 (l = (L11, L21), L11 >= 0):
            # an optimum there may be another singular S than the one next to the face found
            # (from both sides of L11 = 0, where l = (0, L21) and (0, -L21) are one S)
            z0 = _rank_one(_relative(best[1], sx)[0], sx, scale)
            for sign in (1.0, -1.0):
                candidates.append(run(z0 * [1.0, sign], _FACES[0]))
        return min(candidates, key=lambda c: c[0])

    def finish(best):
        """S = L L' of the winner and Q there."""
        S = _relative(best[1], sx)[0]
        return np.array([[S[0], S[1]], [S[1], S[2]]]), _criterion(m, S, sigma2, reml)[1]

    # The criterion can have several local optima, so three starts: the moment estimate,
    # lme4's (L = I for the uncentred x) and downhill from Sigma = 0 (hypothesis examples:
    # the moment start led to rho = 0.99 at 59.86 where lme4's start finds rho = -1 at 59.03,
    # and to rho = 0.986 at 68.75 where the start downhill from 0 finds rho = 1 at 68.16).
    # Sigma = 0 is a stationary point (d val / dL = 2 M L = 0); where M has a negative
    # eigenvalue, the run from there leaves along its eigenvector v (the trust region's step
    # on negative curvature), on the face of singular S = l l' (a run free of the face can
    # cross into the interior optimum's basin: the second example); where its optimum wins,
    # `refine` goes on off the face from it.
    exact = _balanced(m, sx, reml, sigma2)
    if exact is not None:  # the optimum: the search only confirms it (one evaluation)
        return finish(run(exact))
    lme4 = m.centred(np.eye(2))
    starts = [_start(m, sx), _variables((lme4[0, 0], lme4[0, 1], lme4[1, 1]), sx)]
    runs = [run(z0) for z0 in starts] + [run([0.0, 0.0], _FACES[0])]
    best = refine(min(runs, key=lambda c: c[0]))
    for _ in range(3):
        z0 = _descent(m, reml, sigma2, best[1], sx)
        if z0 is None:
            break
        again = refine(run(z0))
        if not again[0] < best[0]:
            break
        best = again
    return finish(best)


def _newton(z: list, free, fgh) -> list:
    """Minimize over the entries ``free`` of z (the others held), from z, by Newton's method
    in a trust region (Nocedal & Wright 2006, *Numerical Optimization*, algorithm 4.1, the
    step of `_trust_step`); fgh(z, free) gives the value and a function that gives the
    gradient and the Hessian (lists), called only where the search moves: a step refused costs
    the value alone. The variables are unbounded: the criterion is the same at L and at L with
    a column's sign flipped, so the run may cross L11 = 0 or L22 = 0 and the caller takes the
    signs back.
    Stops where the decrease the quadratic model predicts is below the rounding of the value,
    after that last step if it is Newton's own (then the error is of its square); or, after
    two Newton steps in a row, where the decrease that the convergence so far predicts for
    the step after next is below a tenth of that rounding: Newton's predicted decreases go
    as d_(k+1) = c d_k^2, so with c from the last two the step after this one would predict
    d^3 / d_prev^2. (Where the criterion is quartic, as in L22 next to an optimum on the face
    L22 = 0, Newton's method converges linearly, d_(k+1) = r d_k with r = (2/3)^4: ten times
    d^3 / d_prev^2 = r^2 d is still above the r d to come.)"""
    val, rest = fgh(z, free)
    g, H = rest()
    radius = 2.0  # z is L in units of sigma and of the spread of x: a step of an optimum's size
    last = 0.0  # the decrease predicted by the last step taken, if Newton's own
    for _ in range(200):
        p, pred, newton = _trust_step(g, H, radius)
        tol = 1e-11 * max(1.0, abs(val))
        if not -pred > tol or newton and 10.0 * pred * pred * pred > -tol * last * last:
            if newton:
                z = list(z)
                for i, v in zip(free, p, strict=True):
                    z[i] += v
            break
        trial = list(z)
        for i, v in zip(free, p, strict=True):
            trial[i] += v
        tv, rest = fgh(trial, free)
        ratio = (tv - val) / pred
        length = math.sqrt(sum(v * v for v in p))
        if ratio < 0.25:
            radius = 0.25 * length
        elif ratio > 0.75 and length > 0.99 * radius:
            radius *= 2.0
        last = -pred if newton and tv < val else 0.0
        if tv < val:
            z, val = trial, tv
            g, H = rest()
    return z


def _cholesky_solve(g: list, H: list):
    """y = L^-1 g and the solution x of H x = g (L L' = H), or None when H is not positive
    definite; in scalars, unrolled (n = 3, or 2 on a face: numpy's per-call cost would be
    most of the time)."""
    if len(g) == 3:
        (h00, _, _), (h10, h11, _), (h20, h21, h22) = H
        if not h00 > 0:
            return None
        l00 = math.sqrt(h00)
        l10, l20 = h10 / l00, h20 / l00
        t = h11 - l10 * l10
        if not t > 0:
            return None
        l11 = math.sqrt(t)
        l21 = (h21 - l20 * l10) / l11
        t = h22 - l20 * l20 - l21 * l21
        if not t > 0:
            return None
        l22 = math.sqrt(t)
        y0 = g[0] / l00
        y1 = (g[1] - l10 * y0) / l11
        y2 = (g[2] - l20 * y0 - l21 * y1) / l22
        x2 = y2 / l22
        x1 = (y1 - l21 * x2) / l11
        return [y0, y1, y2], [(y0 - l10 * x1 - l20 * x2) / l00, x1, x2]
    (h00, _), (h10, h11) = H  # n = 2: a face's run
    if not h00 > 0:
        return None
    l00 = math.sqrt(h00)
    l10 = h10 / l00
    t = h11 - l10 * l10
    if not t > 0:
        return None
    l11 = math.sqrt(t)
    y0 = g[0] / l00
    y1 = (g[1] - l10 * y0) / l11
    x1 = y1 / l11
    return [y0, y1], [(y0 - l10 * x1) / l00, x1]


def _trust_step(g: list, H: list, radius: float):
    """The step p minimizing the model g'p + p'Hp / 2 over |p| <= radius, the model's value
    there, and whether p is Newton's step -H^-1 g (H positive definite, inside the region).
    Otherwise p = -(H + lam I)^-1 g with |p| = radius, lam >= max(0, -eigmin H) found by
    Newton's method on 1 / |p(lam)| in H's eigenvectors (More & Sorensen 1983; Nocedal &
    Wright 2006, algorithm 4.3); in the hard case (g without a component along a
    non-positive lowest eigenvector) p is completed along that eigenvector. A direction where
    both H and g vanish to rounding (the criterion is flat there: L11 = 0 leaves L21 and L22
    free to turn) gets no step."""
    newton = _cholesky_solve(g, H)
    if newton is not None:
        y, x = newton
        if sum(v * v for v in x) <= radius * radius:
            return [-v for v in x], -0.5 * sum(v * v for v in y), True
    w, V, info = lapack.dsyev(H)  # (numpy's eigh costs 4 times as much at 3 x 3)
    if info:
        w, V = np.linalg.eigh(H)
    gt = V.T.dot(g).tolist()
    w = w.tolist()
    top = max(-w[0], w[-1], 1e-300)
    flat = 1e-12 * math.sqrt(sum(v * v for v in gt))
    for i, (a, b) in enumerate(zip(gt, w, strict=True)):
        if abs(b) <= 1e-12 * top and abs(a) <= flat:
            w[i], gt[i] = top, 0.0
    lo = max(0.0, -w[0])
    lam = lo + 1e-14 * top if w[0] <= 0 else 0.0  # |p(lam)| > radius, but for rounding
    s2 = q2 = 0.0
    for a, b in zip(gt, w, strict=True):
        t = a / (b + lam)
        s2 += t * t
    if w[0] <= 0 and (gt[0] == 0.0 or s2 <= radius * radius):  # the hard case
        p = [-a / (b + lo) if b + lo > 1e-14 * top else 0.0 for a, b in zip(gt, w, strict=True)]
        p[0] += math.sqrt(max(radius * radius - sum(v * v for v in p), 0.0))
    else:
        for _ in range(50):
            if s2 <= radius * radius or abs(math.sqrt(s2) - radius) <= 1e-2 * radius:
                break  # (to 1%: the radius is a guess itself)
            s = math.sqrt(s2)
            q2 = 0.0
            for a, b in zip(gt, w, strict=True):
                t = a / (b + lam)
                q2 += t * t / (b + lam)
            lam = max(lam + (s / radius - 1.0) * s2 / q2, lo + 0.5 * (lam - lo))
            s2 = 0.0
            for a, b in zip(gt, w, strict=True):
                t = a / (b + lam)
                s2 += t * t
        p = [-a / (b + lam) for a, b in zip(gt, w, strict=True)]
    pred = sum(a * v + 0.5 * b * v * v for a, b, v in zip(gt, w, p, strict=True))
    return V.dot(p).tolist(), pred, False


def _descent(m: _Moments, reml: bool, sigma2, z, sx: float):
    """Where to search again when a singular S = L L' (from z) is not a minimum on the cone of
    covariances, else None. With d val = tr(M dS), a minimum over S >= 0 needs M >= 0 (for
    every v, S + t v v' stays a covariance and val moves by t v'Mv to first order). For the
    eigenvector v of a negative eigenvalue of M, the best t on S + t v v' (bounded Brent on
    log t) gives the new start, as the optimizer's variables of its Cholesky factor."""
    if z[0] * z[2] != 0.0:
        return None  # S is positive definite: the search's gradient 2 M L = 0 makes M = 0
    S, _ = _relative(z, sx)
    val, _, M = _criterion(m, S, sigma2, reml, grad=True)
    vals, vecs = np.linalg.eigh(np.array([[M[0], M[1]], [M[1], M[2]]]))
    if not vals[0] < 0:
        return None
    v = vecs[:, 0]
    step = np.array([v[0] * v[0], v[0] * v[1], v[1] * v[1]])

    def along(u):
        return _criterion(m, S + np.exp(u) * step, sigma2, reml)[0]

    found = optimize.minimize_scalar(along, bounds=(-25.0, 15.0), method="bounded")
    if not found.fun < val - 1e-10 * max(1.0, abs(val)):
        return None  # M's negative eigenvalue was rounding
    return _variables(S + np.exp(found.x) * step, sx)


def _variables(S, sx: float) -> np.ndarray:
    """The optimizer's z = (L11, L21 sx, L22 sx) of S = (S11, S12, S22) = L L', S >= 0 (the
    Cholesky factor; the inverse of `_relative`)."""
    s11, s12, s22 = (float(v) for v in S)
    l11 = math.sqrt(s11)
    l21 = s12 / l11 if l11 > 0 else 0.0
    return np.array([l11, l21 * sx, math.sqrt(max(s22 - l21 * l21, 0.0)) * sx])


def _rank_one(S, sx: float, scale: float) -> np.ndarray:
    """The optimizer's (L11, L21 sx) of the face L22 = 0 nearest S = (S11, S12, S22): the
    leading eigenvector v of S scaled by its root eigenvalue, L11 = v_1 >= 0 (a little
    above 0, so that the search can move it)."""
    vals, vecs = np.linalg.eigh(np.array([[S[0], S[1]], [S[1], S[2]]]))
    v = vecs[:, 1] * np.sqrt(max(vals[1], 0.0))
    if v[0] < 0:
        v = -v
    return np.array([max(v[0], 1e-3 * scale), v[1] * sx])


def _moment_estimate(m: _Moments, sx: float, reml: bool = True, sigma2=None):
    """A moment estimate of S = Sigma / sigma2 from the groups' own lines (Swamy 1970,
    Econometrica 38(2)): (cov of own_j - sigma2 mean A_j^-1) / sigma2, cov with divisor
    (lines - 1) (REML) or lines (ML), sigma2 as given or else the lines' pooled residual
    variance, in the optimizer's scale (S11, S12 sx, S22 sx^2); None when fewer than 3
    groups have a line or there is no residual variance. (2x2 algebra in scalars: numpy's
    cov, eigh and cholesky cost more than the arithmetic.)"""
    line = m.line
    lines = int(np.count_nonzero(line))
    dof = m.N - 2 * lines - int(np.count_nonzero(~line & ~m.empty))
    if lines < 3 or dof <= 0 or (sigma2 is None and not m.RSS_sum > 0):
        return None
    s2 = m.RSS_sum / dof if sigma2 is None else sigma2
    K = m.K[2:8] if m.all_lines else m.K[2:8, line]
    K = K / (m.D if m.all_lines else m.D[line])  # A_j / D_j (3 rows, 1 of ones) and own_j
    (a11, a12, a22, _, o1, o2), own = K.mean(1).tolist(), K[4:]
    dev = own - np.array([[o1], [o2]])
    (c11, c12), (_, c22) = (dev @ dev.T / (lines - 1 if reml else lines)).tolist()
    # (cov - s2 mean A^-1) / s2 in the optimizer's scale (A^-1 = adj A / D)
    return c11 / s2 - a22, (c12 / s2 + a12) * sx, (c22 / s2 - a11) * sx * sx


def _cholesky(p: float, q: float, r: float) -> np.ndarray:
    """L with L L' = [[p, q], [q, r]] (p > 0), as the optimizer's z."""
    l11 = math.sqrt(p)
    l21 = q / l11
    return np.array([l11, l21, math.sqrt(max(r - l21 * l21, 0.0))])


def _start(m: _Moments, sx: float) -> np.ndarray:
    """Where the optimizer starts: the moment estimate of REML (`_moment_estimate`), its
    eigenvalues floored away from the boundary; L = I (lme4's start) where there is none or
    it is not positive."""
    est = _moment_estimate(m, sx)
    if est is None:
        return np.array([1.0, 0.0, 1.0])
    p, q, r = est
    mid, half = 0.5 * (p + r), math.hypot(0.5 * (p - r), q)
    low, top = mid - half, mid + half  # the eigenvalues
    if not top > 0:
        return np.array([1.0, 0.0, 1.0])
    if low < 0.1 * top:  # floor the low one: add (0.1 top - low) times its projector
        t = (0.1 * top - low) / (top - low)
        p, q, r = p + t * (top - p), q - t * q, r + t * (top - r)
    return _cholesky(p, q, r)


def _balanced(m: _Moments, sx: float, reml: bool, sigma2) -> np.ndarray | None:
    """The optimum itself (the optimizer's z) where the design is balanced, every group
    with its own line and one A_j = A for all (sleepstudy: every subject on days 0-9), and
    the moment estimate of `_moment_estimate` is positive definite; else None.

    Why: each group's own line b_j ~ N(mu, Psi), Psi = Sigma + sigma2 A^-1, is independent
    of its residuals (sigma2 chi^2 with n_j - 2 degrees of freedom), so with one A the
    (restricted) likelihood is that of J independent normal pairs and of the pooled
    residual sum of squares: minimized at Psi = W / (J - 1) (REML; W / J for ML, W the
    scatter of the b_j about their mean) and sigma2 = RSS / (N - 2J) (or at the sigma2
    given). That point is the optimum when Sigma = Psi - sigma2 A^-1 is a covariance; it is
    the only one, since in (Psi^-1, 1 / sigma2) the criterion is convex and Sigma >= 0 is
    the convex Psi^-1 <= A / sigma2 (REML equals the ANOVA estimate for balanced data).
    Equal A_j to rounding count as one A (the search from there absorbs the difference)."""
    if not m.all_lines:
        return None
    n = float(m.K[2, 0])
    spread = np.ptp(m.A, axis=1).tolist()  # of n_j, A12_j = n_j xb_j and A22_j
    if spread[0] or spread[1] > 1e-12 * n * sx or spread[2] > 1e-12 * n * sx * sx:
        return None
    est = _moment_estimate(m, sx, reml, sigma2)
    if est is None or not (est[0] > 0 and est[0] * est[2] - est[1] * est[1] > 0):
        return None
    return _cholesky(*est)


def _estimate_sigma2(m: _Moments, reml: bool, Sc: np.ndarray) -> float:
    """sigma2 minimizing the criterion with Sigma (centred: Sc) held fixed, on a log scale:
    a grid brackets the optimum and scipy's bounded Brent finds it."""
    dof = m.N - 2 if reml else m.N
    if not Sc.any():
        return float(_criterion(m, (0.0, 0.0, 0.0), None, reml)[1] / dof)

    def g(u):
        s2 = np.exp(u)
        return _criterion(m, Sc[[0, 0, 1], [0, 1, 1]] / s2, s2, reml)[0]

    ols = _criterion(m, (0.0, 0.0, 0.0), None, reml)[1] / dof
    grid = np.log(ols) + np.arange(-30.0, 3.5, 0.5)
    k = int(np.nanargmin([g(u) for u in grid]))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    u = optimize.minimize_scalar(g, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    return float(np.exp(u))


# --- the three fits given (sigma2, Sigma) -----------------------------------------------


def _assemble(
    sums,
    m: _Moments,
    groups,
    sigma2: float,
    Sigma: np.ndarray,
    method: str,
    complete=None,
    none=None,
) -> SlopesFit:
    """The three fits at (sigma2, Sigma), every group at once. With S = Sigma in centred x,
    den_j = s_j (sigma2 + tr(S A_j)) + det(S) D_j, s_j = sigma2 where D_j > 0 and 1 where
    D_j = 0 (the common factor sigma2 cancelled there):

        sum_j X'V^-1 X = sum_j (s_j A_j + D_j adj S) / den_j
        sum_j X'V^-1 r = sum_j (s_j c_j + adj S e_j) / den_j,   delta = the first \\ the second
        b_j - mu = Sigma X_j'V_j^-1 (r_j - X_j delta)
                 = (s_j S (c_j - A_j delta) + det S (e_j - D_j delta)) / den_j
        Var(b_j | y, mu) = s_j (sigma2 Sigma + det S adj A_j) / den_j

    Each sum over j is one product of the table m.K with s / den or 1 / den, and each
    per-group quantity one product of a small matrix with rows of K: a fit is made on every
    slider move, and at small J numpy's cost per call is what counts.
    """
    if complete is None:
        complete = CompletePooling(float(m.a0 - m.b0 * m.xc), float(m.b0))
        none = _no_pooling(m.stats)
    S = m.centred(Sigma)
    s11, s12, s22 = float(S[0, 0]), float(S[0, 1]), float(S[1, 1])
    dS = max(s11 * s22 - s12 * s12, 0.0)
    K = m.K
    s = sigma2 if m.all_lines else np.where(m.line, sigma2, 1.0)
    den = np.array([s11, 2.0 * s12, s22, sigma2]) @ K[2:6]  # sigma2 + tr(S A_j)
    den *= s
    den += dS * m.D
    if sigma2 == 0:
        den[m.empty] = 1.0  # an empty group adds nothing
    inv = 1.0 / den
    si = s * inv
    if s11 or s12 or s22:
        k = (K[0:5] @ si).tolist()  # sums of s c (2) and s A (3), over den
        e0, e1, Dinv = (K[6:9] @ inv).tolist()  # sums of e (2) and D, over den
        G = (k[2] + s22 * Dinv, k[3] - s12 * Dinv, k[4] + s11 * Dinv)
        h = (k[0] + s22 * e0 - s12 * e1, k[1] + s11 * e1 - s12 * e0)
        det = G[0] * G[2] - G[1] * G[1]
        d0, d1 = (G[2] * h[0] - G[1] * h[1]) / det, (G[0] * h[1] - G[1] * h[0]) / det
    else:
        d0 = d1 = 0.0  # the GLS at Sigma = 0 is the OLS line itself
    # Each per-group quantity is a small matrix times a few rows of K: three products, not
    # one sparse (J, 9) x (9, 8), which at J = 10^4 starts OpenBLAS's threads. The pairs
    # b_j - mu come taken back to x (T^-1; T^-1 S = Sigma T'): intercept at x = 0, slope.
    xc = m.xc
    mu = (m.a0 + d0 - (m.b0 + d1) * xc, m.b0 + d1)
    (g11, g12), (_, g22) = Sigma.tolist()
    r0, r1 = (g11 + xc * g12, g12), (g12 + xc * g22, g22)  # the rows of Sigma T'
    pairs = np.array(
        [[r[0], r[1], -r[0] * d0, -(r[0] * d1 + r[1] * d0), -r[1] * d1] for r in (r0, r1)]
    )
    pairs = pairs @ K[0:5]  # T^-1 S (c_j - A_j delta), then times s_j / den_j
    pairs *= si
    if dS > 0:  # + T^-1 det S (e_j - D_j delta) / den_j
        rest = np.array([[dS, -xc * dS, -dS * (d0 - xc * d1)], [0.0, dS, -dS * d1]]) @ K[6:9]
        rest *= inv
        pairs += rest
    pairs += np.array([[mu[0]], [mu[1]]])
    alpha, beta = pairs[0], pairs[1]
    # Var(b_j | y, mu) = s_j (sigma2 Sigma + det S adj A_j) / den_j, adj A_j taken back to x
    # (Ti adj A Ti'), as rows 11, 12, 12, 22 over (A11, A12, A22, 1)
    C = np.array(
        [
            [dS * xc * xc, 2.0 * dS * xc, dS, sigma2 * g11],
            [-dS * xc, -dS, 0.0, sigma2 * g12],
            [-dS * xc, -dS, 0.0, sigma2 * g12],
            [dS, 0.0, 0.0, sigma2 * g22],
        ]
    )
    C = C @ K[2:6]
    C *= si
    cov = C.T.reshape(-1, 2, 2)  # (a copy: C.T is not contiguous)
    if sigma2 == 0:  # no pooling: exactly each group's own line where it has one
        alpha = np.where(m.line, none.alpha, alpha)
        beta = np.where(m.line, none.beta, beta)
        cov[m.line] = 0.0
    if m.some_empty:
        cov[m.empty] = Sigma
    partial = SlopesPartialPooling(freeze(np.array(mu)), freeze(alpha), freeze(beta), freeze(cov))
    return SlopesFit(
        complete, none, partial, float(sigma2), Sigma, groups, m.stats.n, method, sums, m
    )


def _no_pooling(s: GroupStats) -> SlopesNoPooling:
    missing = ~(s.Wxx > 0)
    Wxx = np.where(missing, 1.0, s.Wxx)
    beta = np.where(missing, np.nan, s.Wxy / Wxx)
    alpha = s.ybar - beta * s.xbar
    return SlopesNoPooling(freeze(alpha), freeze(beta), freeze(missing))
