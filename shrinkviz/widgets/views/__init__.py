"""bqplot views: each draws what a state's ``frame`` says and never computes statistics."""

from .pooling import OverviewView, PanelsView
from .shrinkage import ShrinkageView
from .slopes import PairsView, SlopePanelsView
from .tau import TauView

__all__ = [
    "OverviewView",
    "PairsView",
    "PanelsView",
    "ShrinkageView",
    "SlopePanelsView",
    "TauView",
]
