"""Helpers shared by the frozen result objects of the model layer."""

from __future__ import annotations

import numpy as np


def freeze(arr: np.ndarray) -> np.ndarray:
    """Mark an array the model just computed read-only, so a frozen result stays frozen.

    Only for arrays the caller owns: it sets the flag in place and does not copy.
    """
    arr.flags.writeable = False
    return arr


def readonly(arr) -> np.ndarray:
    """A read-only float64 copy (for arrays that may be shared with the user)."""
    return freeze(np.array(arr, dtype=np.float64, copy=True))


def fmt(x) -> str:
    """A compact text for a scalar or an array inside a result's repr."""
    if np.ndim(x) == 0:
        return f"{float(x):.6g}"
    return np.array2string(
        np.asarray(x), precision=4, threshold=8, edgeitems=3, separator=", ", max_line_width=10_000
    )


def result_repr(obj, names) -> str:
    body = ", ".join(f"{n}={fmt(getattr(obj, n))}" for n in names)
    return f"{type(obj).__name__}({body})"
