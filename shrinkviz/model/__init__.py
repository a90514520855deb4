"""The statistics of shrinkviz: pure functions over numpy arrays, frozen results.

This layer imports numpy and scipy only (a test keeps it so). Its names load on first use,
so that a kernel imports only the solvers it runs (tests/test_layers.py: a student's kernel).
"""

from __future__ import annotations

from .._lazy import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "BetaBinomial": ".counts",
        "GammaPoisson": ".counts",
        "beta_binomial": ".counts",
        "gamma_poisson": ".counts",
        "EffectSizes": ".effect_sizes",
        "effect_sizes": ".effect_sizes",
        "effect_sizes_frame": ".effect_sizes",
        "TAU_PRIORS": ".full_bayes",
        "FullBayes": ".full_bayes",
        "full_bayes": ".full_bayes",
        "FullBayesBinomial": ".full_bayes_counts",
        "full_bayes_binomial": ".full_bayes_counts",
        "PredictorFit": ".group_predictor",
        "predictor_fit": ".group_predictor",
        "predictor_fit_frame": ".group_predictor",
        "JamesStein": ".james_stein",
        "james_stein": ".james_stein",
        "Blup": ".meta",
        "LeaveOneOut": ".meta",
        "MetaAnalysis": ".meta",
        "meta_analysis": ".meta",
        "MetaRegression": ".meta_regression",
        "meta_regression": ".meta_regression",
        "regression_posterior": ".meta_regression",
        "Posterior": ".normal",
        "posterior": ".normal",
        "shrinkage_factor": ".normal",
        "CompletePooling": ".regression",
        "NoPooling": ".regression",
        "PartialPooling": ".regression",
        "PoolingFit": ".regression",
        "pooling_fit": ".regression",
        "pooling_fit_frame": ".regression",
        "SlopesFit": ".slopes",
        "SlopesNoPooling": ".slopes",
        "SlopesPartialPooling": ".slopes",
        "slopes_fit": ".slopes",
        "slopes_fit_frame": ".slopes",
    },
)
