"""The numbers of a forest plot and a funnel plot of the random-effects model, with any set of
studies left out (R's metafor: ``forest.rma``, ``funnel.rma``, ``weights``, ``blup`` of
``rma(yi, vi, subset=)``).

    study i     y_i -+ z sqrt(v_i)                    (its own 95% interval, no pooling)
    kept i      pred_i -+ crit se_i                   (``MetaAnalysis.blup``: partial pooling)
                weight_i = 100 w_i / sum w,  w_i = 1 / (v_i + tau2)
    summary     mu -+ crit se (diamond), mu -+ crit sqrt(se^2 + tau2) (prediction interval)
    funnel      mu -+ z s for s from 0 to the largest sqrt(v_i) (metafor's pseudo-confidence
                region, ``addtau2 = FALSE``)

z is the normal quantile of the level (metafor uses it for the studies' intervals and the
funnel whatever the test); crit is z or, for Knapp-Hartung, the t_{k-1} quantile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _distributions as dist
from . import checks as check
from ._results import freeze, readonly, result_repr
from .meta import METHODS, MetaAnalysis, meta_analysis
from .tau2 import TAU2, at_zero

# one entry per estimator (FE is EE under another name)
ESTIMATOR_NAMES = tuple(m for m in METHODS if m != "FE")
# back-transforms of an effect's scale for axis labels and readouts (metafor's transf.*)
TRANSFORMS = {"exp": np.exp, "tanh": np.tanh, "ilogit": special.expit}


@dataclass(frozen=True, repr=False, eq=False)
class Forest:
    """A forest plot's numbers (read-only arrays of length k, one entry per study).

    kept            False for a left-out study
    fit             ``meta_analysis`` of the kept studies (tau2 estimated by ``method`` or
                    given); its mu, CI and PI are the diamond and the bar under it
    ci_lb, ci_ub    each study's own interval y_i -+ z sqrt(v_i)
    pred, pred_lb, pred_ub, weight
                    partial-pooling estimate, its interval and the weight in percent of
                    each kept study (nan for a left-out study)
    funnel_se, funnel_lb, funnel_ub
                    the funnel's two ends: standard errors 0 and max sqrt(v_i), and
                    mu -+ z se there
    """

    kept: np.ndarray
    fit: MetaAnalysis
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pred: np.ndarray
    pred_lb: np.ndarray
    pred_ub: np.ndarray
    weight: np.ndarray
    funnel_se: np.ndarray
    funnel_lb: np.ndarray
    funnel_ub: np.ndarray

    def __repr__(self) -> str:
        head = f"k={len(self.kept)}, kept={int(self.kept.sum())}, fit={self.fit!r}, "
        body = result_repr(self, ("pred", "weight"))
        return body.replace("(", "(" + head, 1)


def kept_mask(k: int, left_out, labels=None) -> np.ndarray:
    """A boolean mask of the kept studies from the positions ``left_out``, each checked."""
    kept = np.ones(k, dtype=bool)
    for i in left_out:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise check.fail("left_out", "study positions (integers)", i)
        if not 0 <= i < k:
            raise check.fail("left_out", f"study positions in 0..{k - 1}", i)
        kept[i] = False
    return kept


def forest(
    y,
    v,
    *,
    left_out=(),
    method="REML",
    test="z",
    level=0.95,
    tau2=None,
    labels=None,
    check_input=True,
) -> Forest:
    """The forest and funnel of ``meta_analysis(y[kept], v[kept], method, test, level, tau2)``
    with the studies at positions ``left_out`` left out (module docstring).

    A fit needs at least two kept studies (one for EE or a given tau2 with test "z");
    ``labels`` name the kept studies in that message. ``check_input=False`` trusts y and v
    (read-only 1-D float64 arrays of one length, y finite, v > 0), for a caller that checked
    them once (the explorer's state); the other arguments are checked always.
    """
    if check_input:
        y = readonly(check.finite("y", check.float_array("y", y)))
        v = readonly(check.positive("v", check.float_array("v", v)))
        check.same_length(y=y, v=v)
    k = len(y)
    kept = kept_mask(k, left_out)
    single_ok = (tau2 is not None or method in ("EE", "FE")) and test == "z"
    need = 1 if single_ok else 2
    if kept.sum() < need:
        names = [str(labels[i]) if labels is not None else str(i) for i in np.flatnonzero(kept)]
        raise ValueError(
            f"at least {'one study' if need == 1 else 'two studies'} must stay in"
            f" for method={method if tau2 is None else 'a given tau2'!r}, test={test!r}"
            f" (got {len(names)} left{': ' + ', '.join(names) if names else ''})"
        )
    fit = meta_analysis(
        freeze(y[kept]), freeze(v[kept]), method, test, level, tau2, check_input=False
    )
    z = float(dist.NORMAL.isf((1 - fit.level) / 2))
    sd = np.sqrt(v)
    blup = fit.blup()
    w = 1.0 / (fit.v + fit.tau2)

    def spread(values) -> np.ndarray:
        out = np.full(k, np.nan)
        out[kept] = values
        return freeze(out)

    funnel_se = np.array([0.0, float(sd.max())])
    return Forest(
        kept=freeze(kept),
        fit=fit,
        ci_lb=freeze(y - z * sd),
        ci_ub=freeze(y + z * sd),
        pred=spread(blup.pred),
        pred_lb=spread(blup.pi_lb),
        pred_ub=spread(blup.pi_ub),
        weight=spread(100 * w / w.sum()),
        funnel_se=freeze(funnel_se),
        funnel_lb=freeze(fit.mu - z * funnel_se),
        funnel_ub=freeze(fit.mu + z * funnel_se),
    )


def tau2_estimates(y, v, known=None, *, check_input=True) -> dict[str, float]:
    """tau2 of every estimator of ``ESTIMATOR_NAMES`` for these studies (EE: 0), as
    ``meta_analysis(y, v, method).tau2`` gives it (the same function, without se_tau2); each
    estimator computed once (EB and PM are one function, :mod:`shrinkviz.model.tau2`), all
    from one pass of sums at w = 1/v (``at_zero``).
    ``known``: estimates already at hand for these studies ({method: tau2}, e.g. the fit's),
    taken as they are. Needs k >= 2. ``check_input=False`` trusts y and v as ``forest``."""
    if check_input:
        y = check.finite("y", check.float_array("y", y))
        v = check.positive("v", check.float_array("v", v))
        check.same_length(y=y, v=v)
    if len(y) < 2:
        raise ValueError(f"y must have length >= 2 to estimate tau2 (got length {len(y)})")
    done = {TAU2[check.choice("known", m, tuple(TAU2))]: float(t) for m, t in (known or {}).items()}
    at0 = at_zero(y, v)
    out = {}
    for m in ESTIMATOR_NAMES:
        f = TAU2[m]
        if f not in done:
            done[f] = f(y, v, at0)
        out[m] = done[f]
    return out
