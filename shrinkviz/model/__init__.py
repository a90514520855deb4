"""The statistics of shrinkviz: pure functions over numpy arrays, frozen results.

This layer imports numpy and scipy only (a test keeps it so).
"""

from .counts import BetaBinomial, GammaPoisson, beta_binomial, gamma_poisson
from .effect_sizes import EffectSizes, effect_sizes, effect_sizes_frame
from .full_bayes import TAU_PRIORS, FullBayes, full_bayes
from .full_bayes_counts import FullBayesBinomial, full_bayes_binomial
from .group_predictor import PredictorFit, predictor_fit, predictor_fit_frame
from .james_stein import JamesStein, james_stein
from .meta import Blup, LeaveOneOut, MetaAnalysis, meta_analysis
from .meta_regression import MetaRegression, meta_regression, regression_posterior
from .normal import Posterior, posterior, shrinkage_factor
from .regression import (
    CompletePooling,
    NoPooling,
    PartialPooling,
    PoolingFit,
    pooling_fit,
    pooling_fit_frame,
)
from .slopes import SlopesFit, SlopesNoPooling, SlopesPartialPooling, slopes_fit, slopes_fit_frame

__all__ = ["Posterior", "posterior", "shrinkage_factor", "Blup", "MetaAnalysis", "meta_analysis"]
__all__ += [
    "CompletePooling",
    "NoPooling",
    "PartialPooling",
    "PoolingFit",
    "pooling_fit",
    "pooling_fit_frame",
]
__all__ += ["FullBayes", "full_bayes", "TAU_PRIORS"]
__all__ += [
    "SlopesFit",
    "SlopesNoPooling",
    "SlopesPartialPooling",
    "slopes_fit",
    "slopes_fit_frame",
]
__all__ += ["JamesStein", "james_stein"]
__all__ += ["EffectSizes", "effect_sizes", "effect_sizes_frame", "LeaveOneOut"]
__all__ += [
    "BetaBinomial",
    "GammaPoisson",
    "beta_binomial",
    "gamma_poisson",
    "FullBayesBinomial",
    "full_bayes_binomial",
]
__all__ += ["MetaRegression", "meta_regression", "regression_posterior"]
__all__ += ["PredictorFit", "predictor_fit", "predictor_fit_frame"]
