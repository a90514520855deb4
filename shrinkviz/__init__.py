"""shrinkviz: teach shrinkage (partial pooling) with sliders.

    import shrinkviz as sv
    sv.posterior(y, v, tau2)            # closed-form partial pooling
    sv.meta_analysis(y, v, "REML")      # random-effects meta-analysis (as metafor's rma)
    sv.pooling_fit(x, y, group)         # complete / no / partial pooling regression lines
    sv.full_bayes(y, v)                 # exact posterior averaging over tau
    sv.ShrinkageExplorer.eight_schools()

``import shrinkviz`` stays light: everything is loaded on first use.
"""

from __future__ import annotations

import importlib

try:  # written by the build from js/package.json, the one version source
    from shrinkviz._version import __version__
except ImportError:  # a source tree that was never installed
    __version__ = "dev"

_LAZY = {
    "posterior": "shrinkviz.model.normal",
    "Posterior": "shrinkviz.model.normal",
    "meta_analysis": "shrinkviz.model.meta",
    "effect_sizes": "shrinkviz.model.effect_sizes",
    "effect_sizes_frame": "shrinkviz.model.effect_sizes",
    "pooling_fit": "shrinkviz.model.regression",
    "pooling_fit_frame": "shrinkviz.model.regression",
    "slopes_fit": "shrinkviz.model.slopes",
    "slopes_fit_frame": "shrinkviz.model.slopes",
    "full_bayes": "shrinkviz.model.full_bayes",
    "beta_binomial": "shrinkviz.model.counts",
    "gamma_poisson": "shrinkviz.model.counts",
    "full_bayes_binomial": "shrinkviz.model.full_bayes_counts",
    "james_stein": "shrinkviz.model.james_stein",
    "meta_regression": "shrinkviz.model.meta_regression",
    "regression_posterior": "shrinkviz.model.meta_regression",
    "predictor_fit": "shrinkviz.model.group_predictor",
    "predictor_fit_frame": "shrinkviz.model.group_predictor",
    "ShrinkageExplorer": "shrinkviz.widgets.explorers",
    "PoolingLinesExplorer": "shrinkviz.widgets.explorers",
    "CountsExplorer": "shrinkviz.widgets.explorers.counts",
    "PredictorExplorer": "shrinkviz.widgets.explorers.predictors",
    "ForestExplorer": "shrinkviz.widgets.explorers.forest",
    "SlopesExplorer": "shrinkviz.widgets.explorers",
}
_SUBMODULES = {"data", "model", "widgets"}

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"shrinkviz.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'shrinkviz' has no attribute {name!r}")


def __dir__():
    return __all__


def _jupyter_labextension_paths():
    """Where JupyterLab finds the prebuilt extension (installed as shared data too)."""
    return [{"src": "labextension", "dest": "shrinkviz"}]
