"""The numbers of an explorer: inputs as traits, one solver call per change, one output.

traitlets only (no ipywidgets, no bqplot), so a state is tested with plain pytest. Every
input change calls the solver once and publishes one frozen output, ``snapshot``; views and
controls observe that single trait, so a slider move is one recompute and one redraw.
A change the solver refuses sets ``error`` and leaves ``snapshot`` as it was: the last good
picture stays on screen.

The data are checked once, when a state is built (``shrinkviz.model.checks``); a move then
hands the model the checked arrays (``check_input=False``) and the model checks only the
number that moved.
"""

from __future__ import annotations

from ..._lazy import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "_State": "._base",
        "PoolingSnapshot": ".pooling",
        "PoolingState": ".pooling",
        "ShrinkageSnapshot": ".shrinkage",
        "ShrinkageState": ".shrinkage",
        "SlopesSnapshot": ".slopes",
        "SlopesState": ".slopes",
    },
)
