"""bqplot views: each draws what a state's ``snapshot`` says and never computes statistics."""

from __future__ import annotations

from ..._lazy import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "OverviewView": ".pooling",
        "PanelsView": ".pooling",
        "ShrinkageView": ".shrinkage",
        "PairsView": ".slopes",
        "SlopePanelsView": ".slopes",
        "TauView": ".tau",
    },
)
