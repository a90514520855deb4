"""Validation at the public boundary: one vocabulary of checks and messages for every layer.

Every message follows one template, ``<name> must be <rule> (got <value>)``, quoting the value
the user gave (or its first bad element and where it stands), so a user reads which argument
was wrong and what it held. The model's public functions, the widgets' states and the data
simulator validate with these; inside, the data are trusted.
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


def float_array(name: str, x, *, min_size: int = 1, copy: bool = False) -> np.ndarray:
    """``x`` as a 1-D float64 array: a new array where a conversion is needed, else ``x``
    itself (never written to); with ``copy`` always a read-only copy the caller may keep."""
    try:
        arr = (np.array if copy else np.asarray)(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(name, "a 1-D array of numbers", x) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise fail(name, "1-D", arr)
    if arr.size < min_size:
        raise fail(name, f"of length >= {min_size}", arr)
    if copy:
        arr.flags.writeable = False
    return arr


_COUNT = {1: "one", 2: "two", 3: "three"}


def groups_with_data(has_data: np.ndarray, labels=None, *, need: int = 2, why: str = "") -> None:
    """Refuse fewer than ``need`` groups with data, in the words a student reads:
    ``at least two groups need data (got data for 1 group: 'Elm')``."""
    k = int(np.count_nonzero(has_data))
    if k >= need:
        return
    which = (
        ""
        if labels is None or k == 0
        else ": " + ", ".join(repr(_plain(labels[j])) for j in np.flatnonzero(has_data))
    )
    got = "no group" if k == 0 else f"{k} group{'s' * (k > 1)}{which}"
    raise ValueError(
        f"at least {_COUNT.get(need, need)} groups need data{why} (got data for {got})"
    )


def _plain(x):
    return x.item() if isinstance(x, np.generic) else x


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


def scalar(
    name: str,
    x,
    *,
    lo: float = -np.inf,
    hi: float = np.inf,
    lo_open: bool = False,
    hi_open: bool = False,
    allow_inf: bool = False,
) -> float:
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
