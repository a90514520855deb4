"""The k leave-one-out fits of the random-effects model at once (metafor's ``leave1out``).

Fit i uses the studies j != i. A block of left-out studies I is a matrix of weights
W[r, j] = 1 / (v_j + tau2_r) with W[r, I_r] = 0, so every sum of :mod:`shrinkviz.model.tau2`
is a row sum: O(k) per left-out study and no copy of the data per fit. One pass at w = 1/v
gives Q, I2, H2 and the closed-form DL and HS; HE and SJ take one or two passes more, and
the fit at the new tau2 one more. ML, REML and PM/EB solve their
estimating equation f(tau2) = 0 for all rows together by Newton's method from the full
data's tau2, safeguarded by bisection inside a bracket [lo, hi] with f(lo) > 0 >= f(hi)
(``rtsafe``, Press et al., *Numerical Recipes*, 3rd ed., section 9.4). f falls through 0 at
the same tau2 as the scalar root search of :mod:`shrinkviz.model.tau2`, and tau2 = 0 where
f(0) <= 0. With w = 1 / (v + tau2), r = y - mu_w, S_n = sum w^n:

    PM/EB  f = sum w r^2 - (k - 1)          f' = -sum w^2 r^2
    ML     f = sum w^2 r^2 - S_1            f' = -2 sum w^3 r^2 + 2 (sum w^2 r)^2 / S_1 + S_2
    REML   f = sum w^2 r^2 - tr(P)          f' = f'_ML - 2 S_3 / S_1 + (S_2 / S_1)^2
           tr(P) = S_1 - S_2 / S_1

(The derivative uses d mu_w / d tau2 = -sum w^2 r / S_1.)
"""

from __future__ import annotations

import numpy as np

from . import _distributions as dist

# Matrix entries per block of left-out studies: 1 MB, so that its temporaries stay in cache
# (blocks of 8 MB ran 4x slower per entry).
_BLOCK = 1 << 17
_EPS = np.finfo(float).eps
_NEWTON_TOL = 1e-10
_MAXITER = 500


class _Block:
    """The left-out studies ``rows`` (fits without study rows[r]), sums over j != rows[r]."""

    def __init__(self, y: np.ndarray, v: np.ndarray, rows: np.ndarray):
        self.y, self.v, self.rows = y, v, rows
        self.kept = np.ones((len(rows), len(y)))
        self.kept[np.arange(len(rows)), rows] = 0.0

    def weights(self, tau2) -> np.ndarray:
        """W[r, j] = 1 / (v_j + tau2_r), 0 for the left-out study (tau2 a scalar or per row)."""
        w = np.add(self.v, np.reshape(tau2, (-1, 1)), out=np.empty(self.kept.shape))
        return np.divide(self.kept, w, out=w)

    def residuals(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: sum w, mu_w = sum w y / sum w and r = y - mu_w (two passes: no sum w y^2
        that would cancel)."""
        sw = w.sum(axis=1)
        mu = np.einsum("ij,j->i", w, self.y) / sw  # not BLAS: see tau2.dot
        return sw, mu, self.y - mu[:, None]

    def sub(self, active: np.ndarray) -> _Block:
        out = object.__new__(_Block)
        out.y, out.v, out.rows, out.kept = self.y, self.v, self.rows[active], self.kept[active]
        return out


# Sums of products by einsum of at most three factors: no temporary per product (3x faster
# than multiplying out and summing).
def _q(w: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij,ij->i", w, r, r)


def _trace_p(w: np.ndarray, sw: np.ndarray) -> np.ndarray:
    return sw - np.einsum("ij,ij->i", w, w) / sw


def _unweighted(b: _Block) -> tuple[np.ndarray, np.ndarray]:
    """sum (y - ybar)^2 and sum v over the kept studies."""
    r = b.residuals(b.kept)[2]
    return _q(b.kept, r), np.einsum("ij,j->i", b.kept, b.v)


def _closed_form(
    method: str, b: _Block, k1: int, Q: np.ndarray, sw0: np.ndarray, tr_p0: np.ndarray
) -> np.ndarray:
    """tau2 of each fit for EE, DL, HE, HS, SJ (formulas of :mod:`shrinkviz.model.tau2`);
    Q, sum w and tr(P) at w = 1/v are the block's equal-effects pass."""
    if method in ("EE", "FE"):
        return np.zeros(len(b.rows))
    if method == "DL":
        return np.maximum(0.0, (Q - (k1 - 1)) / tr_p0)
    if method == "HS":
        return np.maximum(0.0, (Q - k1) / sw0)
    rss, sv = _unweighted(b)
    if method == "HE":
        return np.maximum(0.0, (rss - sv * (k1 - 1) / k1) / (k1 - 1))
    tau2_0 = rss / k1  # SJ
    w = b.weights(tau2_0)
    return tau2_0 * _q(w, b.residuals(w)[2]) / (k1 - 1)


def _equation(method: str, b: _Block, tau2: np.ndarray, k1: int):
    """f and f' of the module docstring, per row of the block."""
    w = b.weights(tau2)
    sw, _, r = b.residuals(w)
    return _equation_at(method, w, sw, r, k1)


def _equation_at(method: str, w: np.ndarray, sw: np.ndarray, r: np.ndarray, k1: int):
    """f and f' from the weights w, their row sums sw and the residuals r = y - mu_w."""
    wr = w * r
    if method in ("PM", "EB"):
        return np.einsum("ij,ij->i", wr, r) - (k1 - 1), -np.einsum("ij,ij->i", wr, wr)
    s2 = np.einsum("ij,ij->i", w, w)
    f = np.einsum("ij,ij->i", wr, wr)  # sum w^2 r^2
    w2r = np.einsum("ij,ij->i", w, wr)  # sum w^2 r
    df = -2 * np.einsum("ij,ij,ij->i", w, wr, wr) + 2 * w2r**2 / sw + s2
    if method == "ML":
        return f - sw, df
    s3 = np.einsum("ij,ij,ij->i", w, w, w)
    return f - (sw - s2 / sw), df - 2 * s3 / sw + (s2 / sw) ** 2


def _iterative(method: str, b: _Block, k1: int, start: float, f0: np.ndarray) -> np.ndarray:
    """The root of f per row (0 where f(0) <= 0, f0 = f(0)), safeguarded Newton (rtsafe)."""
    tau2 = np.zeros(len(b.rows))
    active = np.flatnonzero(f0 > 0)
    lo = np.zeros(len(active))
    hi = np.full(len(active), np.inf)
    x = np.full(len(active), start if start > 0 else float(b.v.mean()))
    step_before = np.full(len(active), np.inf)
    for _ in range(_MAXITER):
        if not len(active):
            return tau2
        f, df = _equation(method, b.sub(active), x, k1)
        up = f > 0
        lo, hi = np.where(up, x, lo), np.where(up, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - f / df
        # Newton's step unless it leaves the bracket or shrinks too slowly; then bisect, or
        # grow the bracket while no upper end is known.
        ok = (newton > lo) & (newton < hi) & (np.abs(2 * f) <= np.abs(step_before * df))
        fallback = np.where(np.isfinite(hi), (lo + hi) / 2, 4 * np.maximum(x, b.v.mean()))
        new = np.where(ok, newton, fallback)
        step_before = np.abs(new - x)
        # A Newton step of relative size 1e-10 leaves an error of order its square; smaller
        # steps only chase rounding noise in f.
        done = (f == 0) | (ok & (step_before <= _NEWTON_TOL * new)) | (hi - lo <= 4 * _EPS * lo)
        x = np.where(f == 0, x, new)
        tau2[active[done]] = x[done]
        keep = ~done
        active, lo, hi, x, step_before = (a[keep] for a in (active, lo, hi, x, step_before))
    raise RuntimeError(f"leave1out: the {method} estimating equation did not converge")


def leave1out(y, v, method: str, test: str, level: float, tau2_full: float) -> dict:
    """Arrays of length k: tau2, mu, se, stat, pval, ci_lb, ci_ub, Q, Q_pval, I2, H2 of the
    fit without study i, each as :func:`shrinkviz.model.meta.meta_analysis` computes it."""
    k = len(y)
    k1 = k - 1
    ref = dist.of_test(test, k1 - 1)
    crit = float(ref.isf((1 - level) / 2))
    names = ("tau2", "mu", "se", "Q", "I2", "H2")
    out = {name: np.empty(k) for name in names}
    per_block = max(1, _BLOCK // k)
    for start in range(0, k, per_block):
        rows = np.arange(start, min(k, start + per_block))
        b = _Block(y, v, rows)
        w0 = b.weights(0.0)  # the equal-effects pass: Q, tr(P) and DL, HS from them
        sw0, mu0, r0 = b.residuals(w0)
        Q = np.maximum(0.0, _q(w0, r0))
        tr_p0 = _trace_p(w0, sw0)
        if method in ("ML", "REML", "PM", "EB"):
            f0 = _equation_at(method, w0, sw0, r0, k1)[0]
            tau2 = _iterative(method, b, k1, tau2_full, f0)
        else:
            tau2 = _closed_form(method, b, k1, Q, sw0, tr_p0)
        if not tau2.any():
            w, sw, mu = w0, sw0, mu0
        else:
            w = b.weights(tau2)
            sw = w.sum(axis=1)
            mu = np.einsum("ij,j->i", w, y) / sw
        var_mu = 1.0 / sw
        if test == "knha":
            rss = _q(w, y - mu[:, None])
            var_mu *= np.where(rss > _EPS, rss / (k1 - 1), 0.0)
        if k1 == 1:
            I2, H2 = np.zeros(len(rows)), np.ones(len(rows))
        elif method in ("EE", "FE"):
            with np.errstate(divide="ignore", invalid="ignore"):
                I2 = np.where(Q > 0, np.maximum(0.0, 100 * (Q - k1 + 1) / Q), 0.0)
            H2 = Q / (k1 - 1)
        else:
            vt = (k1 - 1) / tr_p0
            I2, H2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1
        for name, value in zip(names, (tau2, mu, np.sqrt(var_mu), Q, I2, H2), strict=True):
            out[name][rows] = value
    with np.errstate(divide="ignore", invalid="ignore"):
        out["stat"] = out["mu"] / out["se"]
    out["pval"] = 2 * ref.sf(np.abs(out["stat"]))
    out["ci_lb"] = out["mu"] - crit * out["se"]
    out["ci_ub"] = out["mu"] + crit * out["se"]
    out["Q_pval"] = dist.chi2_sf(out["Q"], k1 - 1) if k1 > 1 else np.ones(k)
    return out
