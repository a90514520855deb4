"""Mixed-effects meta-regression: each study's effect shrinks toward its own fitted value.

    y_i ~ N(theta_i, v_i),   theta_i ~ N(x_i' b, tau2),   i = 1..k,   x_i = (1, mods_i)

The numbers are those of R's metafor ``rma(yi, vi, mods = X, method, test)``, ``predict()``
and ``blup()`` (Viechtbauer 2010, J. Stat. Softw. 36(3), section 3.3; Raudenbush 2009,
"Analyzing effect sizes: random-effects models", in *The Handbook of Research Synthesis*,
2nd ed., ch. 16; Knapp & Hartung 2003, Stat. Med. 22:2693). metafor writes the estimators with
the k-by-k matrix P = W - W X (X'W X)^-1 X'W, W = diag(w); here every term is a sum over the
studies with h_i = x_i' (X'W X)^-1 x_i, so a fit costs O(k p^2), never O(k^2):

    y'P y               = sum w_i (y_i - x_i' b_w)^2          (b_w: the GLS fit with weights w)
    y'P P y             = sum w_i^2 (y_i - x_i' b_w)^2
    tr(P)               = sum w - sum w^2 h
    sum_ij P_ij^2 a_i c_j = sum w^2 a c - 2 sum w^3 h a c + tr(A M_a A M_c),
                          A = (X'W X)^-1,  M_a = X' diag(w^2 a) X

Without moderators (p = 1) every number is that of :func:`shrinkviz.model.meta.meta_analysis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from . import checks as check
from ._results import freeze, readonly, result_repr
from .normal import shrinkage_factor
from .tau2 import ESTIMATORS, _falling_root

__all__ = [
    "MetaRegression",
    "RegressionBlup",
    "RegressionPrediction",
    "RegressionPosterior",
    "meta_regression",
    "pseudo_r2",
    "regression_posterior",
]

METHODS = tuple(ESTIMATORS)
TESTS = ("z", "knha")
_FIXED = ("EE", "FE")


# --- the pieces of one GLS fit -------------------------------------------------------------


@dataclass(frozen=True)
class _Gls:
    """The weighted least-squares fit of y on X with weights w (w > 0, finite).

    The moderators are centred at their w-weighted means first (Xc = X S^-1): X'W X of raw
    moderators such as a year (about 1960) is near singular in floating point, the centred
    one is not. b, A and e are those of X; h and the traces are invariant.
    """

    w: np.ndarray
    Xc: np.ndarray
    Ac: np.ndarray  # (Xc'W Xc)^-1
    A: np.ndarray  # (X'W X)^-1
    b: np.ndarray
    e: np.ndarray  # y - X b
    h: np.ndarray  # x_i' A x_i

    @property
    def rss(self) -> float:
        """y'P y = sum w e^2."""
        return float(np.einsum("i,i,i->", self.w, self.e, self.e))

    @property
    def trace_p(self) -> float:
        return float(self.w.sum() - np.einsum("i,i,i->", self.w, self.w, self.h))

    def sum_p2(self, a=1.0, c=1.0) -> float:
        """sum_ij P_ij^2 a_i c_j = tr(P D_a P D_c) for diagonal D_a, D_c."""
        w, h, X = self.w, self.h, self.Xc
        a, c = np.broadcast_to(a, w.shape), np.broadcast_to(c, w.shape)
        w2 = w * w
        AMa = self.Ac @ ((X * (w2 * a)[:, None]).T @ X)
        AMc = self.Ac @ ((X * (w2 * c)[:, None]).T @ X)
        return float(
            np.einsum("i,i,i->", w2, a, c)
            - 2 * np.einsum("i,i,i,i->", w2 * w, h, a, c)
            + np.einsum("ij,ji->", AMa, AMc)
        )


def _gls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> _Gls:
    shift = (w @ X[:, 1:]) / w.sum()
    Xc = X.copy()
    Xc[:, 1:] -= shift
    XtW = Xc.T * w
    Ac = np.linalg.inv(XtW @ Xc)  # p x p: numpy's has less overhead than scipy's
    Ac = (Ac + Ac.T) / 2
    bc = Ac @ (XtW @ y)
    e = y - Xc @ bc
    h = np.einsum("ij,jk,ik->i", Xc, Ac, Xc)
    back = np.eye(X.shape[1])  # b = back @ bc: the intercept at moderators 0
    back[0, 1:] = -shift
    return _Gls(w, Xc, Ac, back @ Ac @ back.T, back @ bc, e, h)


# --- estimators of tau2 with moderators (metafor 3.8 rma.uni) -------------------------------


def _tau2(method: str, y: np.ndarray, v: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """(tau2, se_tau2) of ``method``, truncated at 0, with metafor's ``se.tau2``."""
    k, p = X.shape
    dof = k - p
    if method in _FIXED:
        return 0.0, np.nan
    if method in ("DL", "HS"):  # Q_E with w = 1/v
        fit = _gls(X, y, 1.0 / v)
        tr_p = fit.trace_p
        denom = tr_p if method == "DL" else float(fit.w.sum())
        tau2 = max(0.0, (fit.rss - (dof if method == "DL" else k)) / denom)
        var = 2 * dof + 4 * tau2 * tr_p + 2 * tau2**2 * fit.sum_p2()
        return tau2, float(np.sqrt(var)) / denom
    if method == "HE":  # ordinary least squares: P = I - X (X'X)^-1 X'
        fit = _gls(X, y, np.ones_like(y))
        tr_pv = float(((1.0 - fit.h) * v).sum())
        tau2 = max(0.0, (fit.rss - tr_pv) / dof)
        var = 2 * fit.sum_p2(v, v) + 4 * tau2 * tr_pv + 2 * tau2**2 * dof
        return tau2, float(np.sqrt(var)) / dof
    if method == "SJ":  # metafor's start: the plain variance of y (divisor k)
        tau2_0 = float(((y - y.mean()) ** 2).mean())
        fit = _gls(X, y, 1.0 / (v + tau2_0))
        tau2 = max(0.0, tau2_0 * fit.rss / dof)
        var = 2 * fit.sum_p2(v, v) + 4 * tau2 * fit.sum_p2(1.0, v) + 2 * tau2**2 * fit.sum_p2()
        return tau2, tau2_0 / dof * float(np.sqrt(var))
    if method in ("PM", "EB"):  # the root of y'P y = k - p (EB's Fisher scoring: the same)
        tau2 = _falling_root(lambda t: _gls(X, y, 1.0 / (v + t)).rss - dof, float(v.mean()))
        w = 1.0 / (v + tau2)
        return tau2, float(np.sqrt(2 * k**2 / dof) / w.sum())
    reml = method == "REML"

    def score(t):  # twice the derivative of the (restricted) log-likelihood, b profiled out
        fit = _gls(X, y, 1.0 / (v + t))
        ppy = float(np.einsum("i,i->", (fit.w * fit.e) ** 2, np.ones_like(y)))
        return ppy - (fit.trace_p if reml else float(fit.w.sum()))

    tau2 = _falling_root(score, float(v.mean()))
    fit = _gls(X, y, 1.0 / (v + tau2))
    info = fit.sum_p2() if reml else float((fit.w * fit.w).sum())
    return tau2, float(np.sqrt(2 / info))


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class RegressionBlup:
    """Each study's prediction theta_i, shrunk toward its fitted value x_i' b (metafor's
    ``blup``): ``pred``, its standard error ``se``, the interval ``pi_lb, pi_ub``, the
    shrinkage factor ``B`` and the target ``fitted`` (read-only arrays of length k)."""

    pred: np.ndarray
    se: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    B: np.ndarray
    fitted: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("pred", "se", "B", "fitted"))


@dataclass(frozen=True, repr=False, eq=False)
class RegressionPrediction:
    """The fitted line at new moderator values (metafor's ``predict(fit, newmods)``):
    ``pred`` = x' b, its ``se``, the confidence interval ``ci_lb, ci_ub`` of x' b and the
    prediction interval ``pi_lb, pi_ub`` of a new study's theta (read-only arrays)."""

    pred: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray

    def __repr__(self) -> str:
        return result_repr(self, ("pred", "se", "ci_lb", "ci_ub"))


_NUMBERS = ("tau2", "se_tau2", "Q", "Q_pval", "QM", "QM_pval", "I2", "H2", "R2")


@dataclass(frozen=True, repr=False, eq=False)
class MetaRegression:
    """A fitted mixed-effects meta-regression (the fields of metafor's ``rma`` with ``mods``).

    names                 the p coefficient names: "intrcpt", then the moderators
    beta, se, vb          coefficients b = (X'W X)^-1 X'W y, w = 1/(v + tau2), their standard
                          errors and covariance (times s2 for Knapp-Hartung)
    stat, pval            z (or t_{k-p}) statistics and p-values; ci_lb, ci_ub their intervals
    tau2, se_tau2         the residual heterogeneity (variance of theta around the line)
    Q, Q_pval             QE, the test of residual heterogeneity: sum (y - x'b_EE)^2 / v on
                          k - p degrees of freedom
    QM, QM_pval, QM_df    the omnibus test of the moderators (every coefficient but the
                          intercept): b' vb^-1 b on m = p - 1 df (chi^2), or divided by m
                          against F(m, k - p) under Knapp-Hartung; nan without moderators
    I2, H2                residual I^2 (percent) and H^2, as metafor: vt = (k - p) / tr(P_EE)
    R2                    percent of tau2 the moderators account for (metafor's pseudo R^2,
                          "amount of heterogeneity accounted for": a ratio of two estimates,
                          not a causal share; it depends on the method):
                          max(0, 100 (tau2_without - tau2) / tau2_without), 0 when
                          tau2_without = 0; for EE the adjusted weighted R^2 of lm; nan
                          without moderators
    tau2_without          tau2 of the same method without the moderators (intercept only)
    test, level, k, p     as given; y, v, X read-only copies (X with its column of ones)
    """

    method: str
    names: tuple
    beta: np.ndarray
    se: np.ndarray
    vb: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    tau2: float
    se_tau2: float
    Q: float
    Q_pval: float
    QM: float
    QM_pval: float
    QM_df: tuple
    I2: float
    H2: float
    R2: float
    tau2_without: float
    test: str
    level: float
    k: int
    p: int
    y: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)

    @property
    def fitted(self) -> np.ndarray:
        """x_i' b for each study: where its shrinkage goes as tau2 falls to 0."""
        return freeze(self.X @ self.beta)

    def _crit(self, level) -> float:
        level = self.level if level is None else _level(level)
        dist = stats.t(self.k - self.p) if self.test == "knha" else stats.norm
        return float(dist.isf((1 - level) / 2))

    def blup(self, level=None) -> RegressionBlup:
        """Per-study predictions, as metafor's ``blup()``:

            pred_i = (1 - B_i) y_i + B_i x_i' b,    B_i = v_i / (v_i + tau2)
            se_i^2 = (1 - B_i) v_i + B_i^2 x_i' vb x_i,   interval pred_i -+ crit se_i

        (Raudenbush 2009, eq. 16.34; crit from t_{k-p} under Knapp-Hartung). At tau2 = 0
        every prediction is on the fitted line.
        """
        fitted = self.X @ self.beta
        B = shrinkage_factor(self.v, self.tau2)
        pred = (1.0 - B) * self.y + B * fitted
        xvx = np.einsum("ij,jk,ik->i", self.X, self.vb, self.X)
        se = np.sqrt((1.0 - B) * self.v + B * B * xvx)
        half = self._crit(level) * se
        return RegressionBlup(*(freeze(a) for a in (pred, se, pred - half, pred + half, B, fitted)))

    def predict(self, mods, level=None) -> RegressionPrediction:
        """The fitted line x' b at the rows of ``mods`` (without the intercept column, as
        ``rma``'s ``newmods``), with its confidence interval x'b -+ crit sqrt(x' vb x) and the
        prediction interval x'b -+ crit sqrt(x' vb x + tau2) (metafor's ``predict``)."""
        X = _design(mods, "mods", rows=None, expect=self.p - 1)
        pred = X @ self.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.vb, X))
        crit = self._crit(level)
        pi = crit * np.sqrt(se * se + self.tau2)
        return RegressionPrediction(
            *(
                freeze(a)
                for a in (pred, se, pred - crit * se, pred + crit * se, pred - pi, pred + pi)
            )
        )

    def __repr__(self) -> str:
        head = f"method={self.method!r}, test={self.test!r}, k={self.k}, names={self.names}, "
        body = result_repr(self, ("beta", "se", "pval", *_NUMBERS))
        return body.replace("(", "(" + head, 1)


@dataclass(frozen=True, repr=False, eq=False)
class RegressionPosterior:
    """Posterior of each theta_i when the prior mean is a regression, at a given tau2
    (read-only arrays of length k):

    mean, var   posterior mean and variance of theta_i (b integrated out under a flat prior)
    B           shrinkage factor v_i / (v_i + tau2)
    fitted      the shrinkage target x_i' b;  beta the GLS coefficients at this tau2
    beta_cov    their covariance (X'W X)^-1 (inf at tau2 = inf)
    tau2        the between-study variance used
    """

    mean: np.ndarray
    var: np.ndarray
    B: np.ndarray
    fitted: np.ndarray
    beta: np.ndarray
    beta_cov: np.ndarray
    tau2: float

    def line(self, mods, level=0.95) -> RegressionPrediction:
        """The regression x' b at the rows of ``mods`` (moderators without the intercept)
        with its confidence band x'b -+ z sqrt(x' beta_cov x) (for the line, the average
        theta at x) and the prediction band x'b -+ z sqrt(x' beta_cov x + tau2) (for a new
        study's theta), both at this tau2 taken as known (plug-in), as metafor's ``predict``,
        z-based."""
        X = _design(mods, "mods", rows=None, expect=len(self.beta) - 1)
        pred = X @ self.beta
        with np.errstate(invalid="ignore"):  # inf * 0 at tau2 = inf
            se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.beta_cov, X))
        se[np.isnan(se)] = np.inf
        crit = float(special.ndtri(0.5 + _level(level) / 2))  # scipy.stats costs 0.1 ms
        pi = crit * np.sqrt(se * se + self.tau2)
        parts = (pred, se, pred - crit * se, pred + crit * se, pred - pi, pred + pi)
        return RegressionPrediction(*(freeze(a) for a in parts))

    def __repr__(self) -> str:
        return result_repr(self, ("mean", "var", "B", "beta", "tau2"))


# --- input ----------------------------------------------------------------------------------


def _level(level) -> float:
    return check.scalar("level", level, lo=0, hi=1, lo_open=True, hi_open=True)


def _row(mods, i: int):
    index = getattr(mods, "index", None)
    label = i if index is None else index[i]
    return label.item() if isinstance(label, np.generic) else label


def _columns(mods, q: int) -> list:
    """The moderators' names: a data frame's columns, a named series' name, else mods1.."""
    names = getattr(mods, "columns", None)
    if names is not None:
        return [str(c) for c in names]
    name = getattr(mods, "name", None)
    if q == 1 and isinstance(name, str):
        return [name]
    return [f"mods{j + 1}" for j in range(q)] if q > 1 else ["mods"]


def _design(mods, name: str, rows: int | None, expect: int | None = None):
    """(k, 1 + q) design matrix: a column of ones, then the moderators (a float copy)."""
    to_numpy = getattr(mods, "to_numpy", None)
    raw = to_numpy() if to_numpy is not None else mods
    try:
        M = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise check.fail(name, "numbers: a (k,) or (k, q) array or a data frame", raw) from None
    if M.ndim == 1 and expect is not None and expect > 1 and rows is None:
        M = M[None, :]  # one new row of several moderators
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2:
        raise check.fail(name, "a (k,) or (k, q) array", M)
    if rows is not None and M.shape[0] != rows:
        raise ValueError(
            f"{name} must have one row per study (got {M.shape[0]} rows for k = {rows} studies)"
        )
    if expect is not None and M.shape[1] != expect:
        raise ValueError(f"{name} must have {expect} columns, as the fit (got {M.shape[1]})")
    bad = ~np.isfinite(M)
    if bad.any():
        i, j = (int(a[0]) for a in np.nonzero(bad))
        col = _columns(mods, M.shape[1])[j]
        what = "a missing value" if np.isnan(M[i, j]) else f"an infinite value ({M[i, j]})"
        raise ValueError(f"{name} column {col!r} has {what} at row {_row(mods, i)!r}")
    return np.hstack([np.ones((M.shape[0], 1)), M])


def _check_rank(X: np.ndarray, mods) -> None:
    """Refuse a moderator that is constant or a combination of the others and the intercept,
    naming it; and more coefficients than k - 1 (QE and REML need k - p >= 1)."""
    k, p = X.shape
    names = _columns(mods, p - 1)
    if p > k - 1:
        raise ValueError(
            f"mods must have at most k - 2 = {k - 2} columns for k = {k} studies, so that"
            f" k - p >= 1 (got {p - 1} columns)"
        )
    for j in range(1, p):
        col = X[:, j]
        if np.ptp(col) == 0:
            raise ValueError(
                f"mods column {names[j - 1]!r} must vary between studies: a constant is"
                f" collinear with the intercept (got {float(col[0])!r} in every row)"
            )
        Z = X[:, :j]  # the intercept and the columns before
        coef, *_ = np.linalg.lstsq(Z, col, rcond=None)
        resid = col - Z @ coef
        if np.linalg.norm(resid) <= 1e-10 * np.linalg.norm(col - col.mean()):
            others = ", ".join(["the intercept", *map(repr, names[: j - 1])])
            raise ValueError(
                f"mods column {names[j - 1]!r} must not be a linear combination of"
                f" {others} (got a collinear column)"
            )


def _data(y, v):
    y = readonly(check.finite("y", check.float_array("y", y)))
    v = readonly(check.positive("v", check.float_array("v", v)))
    check.same_length(y=y, v=v)
    return y, v


# --- public ---------------------------------------------------------------------------------


def meta_regression(y, v, mods, method="REML", test="z", level=0.95) -> MetaRegression:
    """Mixed-effects meta-regression of k effects ``y`` (sampling variances ``v``) on the
    moderators ``mods``, as R's ``metafor::rma(yi, vi, mods = mods, method, test, level)``:

        theta_i ~ N(x_i' b, tau2),  x_i = (1, mods_i),  p = 1 + (columns of mods)
        tau2    by ``method`` (EE/FE, DL, HE, HS, SJ, ML, REML, EB, PM; the residual
                heterogeneity, each with its metafor definition in X, see the module docs)
        b       = (X'W X)^-1 X'W y,  Var(b) = (X'W X)^-1,  w = 1/(v + tau2)
        test    "z": b / se against N(0, 1); "knha": Var(b) times s2 = y'P y / (k - p) and
                t_{k-p} (Knapp & Hartung 2003), QM / m against F(m, k - p)

    Parameters
    ----------
    y, v : k effects and their sampling variances (> 0).
    mods : a (k,) or (k, q) array or a data frame of q moderators (the intercept is added);
        q = 0 columns gives the intercept-only model of ``meta_analysis``. Each moderator
        must vary and none may be a combination of the others; q <= k - 2.
    method, test, level : as in ``meta_analysis``.
    """
    y, v = _data(y, v)
    X = _design(mods, "mods", rows=len(y))
    method = check.choice("method", method, METHODS)
    test = check.choice("test", test, TESTS)
    level = _level(level)
    k, p = X.shape
    if k < 2:
        raise ValueError(f"y must have length >= 2 (got length {k})")
    _check_rank(X, mods)
    X = freeze(X)

    tau2, se_tau2 = _tau2(method, y, v, X)
    fit = _gls(X, y, 1.0 / (v + tau2))
    vb = fit.A.copy()
    if test == "knha":
        rss = fit.rss
        vb *= rss / (k - p) if rss > np.finfo(float).eps else 0.0
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = fit.b / se
    m = p - 1
    ref = stats.t(k - p) if test == "knha" else stats.norm
    pval = 2 * ref.sf(np.abs(stat))
    crit = float(ref.isf((1 - level) / 2))

    QM, QM_pval, QM_df = np.nan, np.nan, (m, k - p if test == "knha" else np.nan)
    if m > 0:
        bt = fit.b[1:]
        QM = float(bt @ np.linalg.solve(vb[1:, 1:], bt))
        if test == "knha":
            QM /= m
            QM_pval = float(stats.f.sf(QM, m, k - p))
        else:
            QM_pval = float(stats.chi2.sf(QM, m))

    ee = _gls(X, y, 1.0 / v)
    Q = max(0.0, ee.rss)
    Q_pval = float(stats.chi2.sf(Q, k - p))
    if method in _FIXED:
        I2 = max(0.0, 100 * (Q - (k - p)) / Q) if Q > 0 else 0.0
        H2 = Q / (k - p)
    else:
        vt = (k - p) / ee.trace_p
        I2, H2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1

    tau2_without = ESTIMATORS[method](y, v)[0]
    R2 = np.nan
    if m > 0:
        if method in _FIXED:  # summary(lm(yi ~ X, weights = 1/vi))$adj.r.squared
            q0 = float(np.sum((y - np.average(y, weights=1 / v)) ** 2 / v))
            R2 = 0.0 if q0 == 0 else max(0.0, 100 * (1 - (Q / q0) * (k - 1) / (k - p)))
        else:
            R2 = pseudo_r2(tau2_without, tau2)

    return MetaRegression(
        method=method,
        names=("intrcpt", *_columns(mods, m)) if m else ("intrcpt",),
        beta=freeze(fit.b),
        se=freeze(se),
        vb=freeze(vb),
        stat=freeze(stat),
        pval=freeze(pval),
        ci_lb=freeze(fit.b - crit * se),
        ci_ub=freeze(fit.b + crit * se),
        tau2=float(tau2),
        se_tau2=float(se_tau2),
        Q=Q,
        Q_pval=Q_pval,
        QM=QM,
        QM_pval=QM_pval,
        QM_df=QM_df,
        I2=float(I2),
        H2=float(H2),
        R2=float(R2),
        tau2_without=float(tau2_without),
        test=test,
        level=level,
        k=k,
        p=p,
        y=y,
        v=v,
        X=X,
    )


def pseudo_r2(tau2_without: float, tau2: float) -> float:
    """The percent of the between-group variance a predictor accounts for, statistically
    (metafor's pseudo R^2; Raudenbush 2009, eq. 16.17; López-López et al. 2014, Br. J. Math.
    Stat. Psychol. 67:30): max(0, 100 (tau2_without - tau2) / tau2_without), 0 when
    tau2_without = 0. A ratio of two estimates of tau2: it depends on their method, is noisy
    with few groups, and is truncated at 0 where the ratio would be negative."""
    if tau2_without == 0:
        return 0.0
    return max(0.0, 100 * (tau2_without - tau2) / tau2_without)


def regression_posterior(y, v, tau2, mods, *, check_input: bool = True) -> RegressionPosterior:
    """Closed-form posterior of theta_i when theta_i ~ N(x_i' b, tau2) and b has a flat prior
    (BDA3 section 5.4 with a regression as the prior mean; Raudenbush 2009, eq. 16.34):

        b       = (X'W X)^-1 X'W y,  w = 1/(v + tau2)
        mean_i  = (1 - B_i) y_i + B_i x_i' b,   B_i = v_i / (v_i + tau2)
        var_i   = B_i tau2 + B_i^2 x_i' (X'W X)^-1 x_i

    Exact limits: tau2 = 0 puts every mean on the fitted line (the equal-effects weighted
    least squares of y on X, weights 1/v); tau2 = inf gives mean = y, var = v (no pooling;
    b is then the ordinary least squares fit, the limit of equal weights).
    One solve of a p-by-p system: O(k p^2) per tau2, for a slider. ``check_input=False``
    trusts y, v (1-D float64 arrays, v > 0) and mods (a float array of k rows whose columns
    passed the checks of ``meta_regression``), for a caller that checked them once (a
    slider); tau2 is checked always.
    """
    if check_input:
        y, v = _data(y, v)
        X = _design(mods, "mods", rows=len(y))
        _check_rank(X, mods)
    else:
        X = np.column_stack([np.ones(len(y)), np.reshape(mods, (len(y), -1))])
    tau2 = check.scalar("tau2", tau2, lo=0, allow_inf=True)
    w = np.ones_like(v) if tau2 == np.inf else 1.0 / (v + tau2)
    fit = _gls(X, y, w)
    fitted = X @ fit.b
    B = shrinkage_factor(v, tau2)
    mean = (1.0 - B) * y + B * fitted
    if tau2 == np.inf:
        var, cov = v.copy(), np.full_like(fit.A, np.inf)
    else:
        var, cov = B * tau2 + B * B * fit.h, fit.A
    return RegressionPosterior(
        freeze(mean), freeze(var), freeze(B), freeze(fitted), freeze(fit.b), freeze(cov), tau2
    )
