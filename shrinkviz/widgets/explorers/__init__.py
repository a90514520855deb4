"""The explorers: a state, its views and its controls in one ipywidgets Box.

Validation of user data happens here, at construction (a clear ValueError); afterwards a
refused control combination shows a message inside the widget instead.
"""

from __future__ import annotations

from ..._lazy import lazy

__getattr__, __all__ = lazy(
    __name__,
    {
        "RADON_COUNTIES": ".pooling",
        "PoolingLinesExplorer": ".pooling",
        "ShrinkageExplorer": ".shrinkage",
        "SlopesExplorer": ".slopes",
    },
)
