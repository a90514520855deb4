"""The explorers: a state, its views and its controls in one ipywidgets Box.

Validation of user data happens here, at construction (a clear ValueError); afterwards a
refused control combination shows a message inside the widget instead.
"""

from .pooling import RADON_COUNTIES, PoolingLinesExplorer
from .shrinkage import ShrinkageExplorer
from .slopes import SlopesExplorer

__all__ = ["RADON_COUNTIES", "PoolingLinesExplorer", "ShrinkageExplorer", "SlopesExplorer"]
