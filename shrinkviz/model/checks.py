"""Validation at the public boundary of the model layer.

Every message follows one template, ``<name> must be <rule> (got <value>)``, so a user
reads which argument was wrong and what it held. Inside the layer the data are trusted.
"""
from __future__ import annotations

import numpy as np


def _shown(x) -> str:
    """A short text for a bad value: the value itself, or the first offending element."""
    if np.ndim(x) == 0:
        return repr(x.item() if isinstance(x, np.generic) else x)
    return np.array2string(np.asarray(x), threshold=6, edgeitems=3)


def fail(name: str, rule: str, got) -> ValueError:
    """Build (not raise) the ValueError of the one message template."""
    return ValueError(f"{name} must be {rule} (got {_shown(got)})")


def float_array(name: str, x, *, min_size: int = 1) -> np.ndarray:
    """``x`` as a 1-D float64 array (a new array where a conversion is needed; never written to)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, "a 1-D array of numbers", x) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise fail(name, "1-D", f"an array of shape {arr.shape}")
    if arr.size < min_size:
        raise fail(name, f"of length >= {min_size}", f"length {arr.size}")
    return arr


def _first_bad(arr: np.ndarray, ok: np.ndarray) -> str:
    j = int(np.flatnonzero(~ok)[0])
    return f"{float(arr[j])!r} at index {j}"


def finite(name: str, arr: np.ndarray) -> np.ndarray:
    ok = np.isfinite(arr)
    if not ok.all():
        raise ValueError(f"{name} must be finite (got {_first_bad(arr, ok)})")
    return arr


def nonnegative(name: str, arr: np.ndarray, *, allow_inf: bool = False) -> np.ndarray:
    """Check ``arr >= 0`` (which also rejects nan); ``inf`` only where ``allow_inf``."""
    ok = arr >= 0 if allow_inf else (arr >= 0) & (arr < np.inf)
    if not ok.all():
        rule = ">= 0 (inf allowed)" if allow_inf else ">= 0 and finite"
        raise ValueError(f"{name} must be {rule} (got {_first_bad(arr, ok)})")
    return arr


def positive(name: str, arr: np.ndarray) -> np.ndarray:
    ok = (arr > 0) & (arr < np.inf)
    if not ok.all():
        raise ValueError(f"{name} must be > 0 and finite (got {_first_bad(arr, ok)})")
    return arr


def same_length(**arrays: np.ndarray) -> None:
    lengths = {k: len(a) for k, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length (got {shown})")


def scalar(name: str, x, *, lo: float = -np.inf, hi: float = np.inf,
           lo_open: bool = False, hi_open: bool = False, allow_inf: bool = False) -> float:
    """A real number in a range; nan is always rejected, +-inf only with ``allow_inf``."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise fail(name, "a real number", x) from None
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise fail(name, "a finite number" if not allow_inf else "a number", x)
    below = value <= lo if lo_open else value < lo
    above = value >= hi if hi_open else value > hi
    if below or above:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise fail(name, f"in {left}{lo:g}, {hi:g}{right}", x)
    return value


def choice(name: str, x, options) -> str:
    if x not in options:
        raise fail(name, "one of " + ", ".join(repr(o) for o in options), x)
    return x
