"""Effect sizes and their sampling variances from raw tables, as R's metafor ``escalc()``
(metafor 3.8; Viechtbauer 2010, *J. Stat. Softw.* 36(3)) with its defaults: large-sample
variances (``vtype = "LS"``), ``add = 1/2`` added to every cell of a study with a zero cell
(``to = "only0"``), studies with no events in both groups kept (``drop00 = False``).

    2x2 tables  ai, bi (or n1i), ci, di (or n2i); p1 = ai / n1i, p2 = ci / n2i
        RR   log p1 - log p2                  1/ai - 1/n1i + 1/ci - 1/n2i
        OR   logit p1 - logit p2              1/ai + 1/bi + 1/ci + 1/di
        RD   p1 - p2                          p1 (1 - p1) / n1i + p2 (1 - p2) / n2i
    two groups  m1i, sd1i, n1i, m2i, sd2i, n2i
        MD   m1i - m2i                        sd1i^2 / n1i + sd2i^2 / n2i
        SMD  c(m) (m1i - m2i) / sp            1/n1i + 1/n2i + yi^2 / (2 (n1i + n2i))
             sp^2 = ((n1i - 1) sd1i^2 + (n2i - 1) sd2i^2) / m,  m = n1i + n2i - 2,
             c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2))   (Hedges 1981, exact)
        ROM  log(m1i / m2i)                   sd1i^2 / (n1i m1i^2) + sd2i^2 / (n2i m2i^2)
    correlations  ri, ni
        COR  ri                               (1 - ri^2)^2 / (ni - 1)
        ZCOR atanh(ri)                        1 / (ni - 3)
    proportions  xi, ni (or mi = ni - xi); p = xi / ni
        PR   p                                p (1 - p) / ni
        PLO  logit p                          1/xi + 1/mi
        PAS  asin(sqrt(p))                    1 / (4 ni)

``add`` is added to the cells (ai, bi, ci, di or xi, mi) of the studies ``to`` selects:
"only0" those with a zero cell, "all" every study, "if0all" every study if any has a zero
cell, "none" no study; it defaults to 1/2, and to 0 for PAS (as in metafor). With
``drop00 = True`` a 2x2 study with no events (or only events) in both groups gets yi = vi =
nan. As in metafor, an effect or variance that is not finite (a zero cell left as it is)
becomes nan in both.

Where escalc quietly gives NA for input no analysis can use, this refuses it with a
ValueError naming the argument and the row: missing values, sd1i or sd2i = 0, |ri| = 1,
ni <= 3 for COR and ZCOR, n1i + n2i <= 3 for SMD, means <= 0 for ROM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import checks as check
from ._results import freeze, result_repr
from .frames import _row, read_columns

_FAMILIES = {
    "table": ("RR", "OR", "RD"),
    "means": ("MD", "SMD", "ROM"),
    "correlation": ("COR", "ZCOR"),
    "proportion": ("PR", "PLO", "PAS"),
}
MEASURES = tuple(m for family in _FAMILIES.values() for m in family)
TO = ("all", "only0", "if0all", "none")
# The arguments of each family; a pair is "one of the two (or both, if they agree)".
_ARGUMENTS = {
    "table": ("ai", ("bi", "n1i"), "ci", ("di", "n2i")),
    "means": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "correlation": ("ri", "ni"),
    "proportion": ("xi", ("mi", "ni")),
}


@dataclass(frozen=True, repr=False, eq=False)
class EffectSizes:
    """Effects ``yi`` and their sampling variances ``vi`` (read-only arrays, nan where metafor
    gives NA) of one ``measure``, ready for ``meta_analysis(yi, vi)``."""

    measure: str
    yi: np.ndarray
    vi: np.ndarray

    @property
    def k(self) -> int:
        return len(self.yi)

    def __repr__(self) -> str:
        return result_repr(self, ("yi", "vi")).replace("(", f"(measure={self.measure!r}, ", 1)


def effect_sizes(
    measure: str, *, add=None, to: str = "only0", drop00: bool = False, **columns
) -> EffectSizes:
    """Effect sizes of ``measure`` from the raw columns (metafor's argument names), as
    ``metafor::escalc(measure, ...)`` with its defaults; see the module docstring.

    Parameters
    ----------
    measure : "RR", "OR", "RD" (from ai, ci and bi or n1i, di or n2i), "MD", "SMD", "ROM"
        (m1i, sd1i, n1i, m2i, sd2i, n2i), "COR", "ZCOR" (ri, ni), "PR", "PLO", "PAS"
        (xi and ni or mi).
    add, to, drop00 : the zero-cell rules of 2x2 tables (and ``add``, ``to`` of proportions).
    **columns : arrays of equal length k >= 1; never written to.

    Examples
    --------
    The first two BCG trials (Colditz et al. 1994) as log risk ratios:

    >>> es = effect_sizes("RR", ai=[4, 6], bi=[119, 300], ci=[11, 29], di=[128, 274])
    >>> es.yi.round(3), es.vi.round(3)
    (array([-0.889, -1.585]), array([0.326, 0.195]))
    """
    return _effect_sizes(measure, columns, add, to, drop00, _Input(_plain, _at_index))


def effect_sizes_frame(
    df, measure: str, *, add=None, to: str = "only0", drop00: bool = False, **column_names
) -> EffectSizes:
    """``effect_sizes`` on columns of a data frame: ``column_names`` maps metafor's argument
    names to column names, e.g. ``effect_sizes_frame(bcg, "RR", ai="tpos", bi="tneg",
    ci="cpos", di="cneg")``. Errors name the argument, its column and the row label.

    Any object whose ``df[name].to_numpy()`` gives a column works (a pandas DataFrame); the
    columns are read by :func:`shrinkviz.model.frames.read_columns` (numbers, none missing),
    row labels come from ``df.index`` where it has one.
    """
    _family(measure, column_names)  # a wrong measure or argument before any column is read
    columns = read_columns(df, **column_names)

    def shown(arg: str) -> str:
        return f"{arg} column {column_names[arg]!r}" if arg in column_names else arg

    def where(j: int) -> str:
        return f"at row {_row(df, j)!r}"

    return _effect_sizes(measure, columns, add, to, drop00, _Input(shown, where))


# --- validation -------------------------------------------------------------------------


def _plain(arg: str) -> str:
    return arg


def _at_index(j: int) -> str:
    return f"at index {j}"


def _num(x: float) -> str:
    return repr(float(x))


@dataclass(frozen=True)
class _Input:
    """How a message names an argument (``shown``) and a row (``where``)."""

    shown: Callable[[str], str]
    where: Callable[[int], str]

    def require(self, ok: np.ndarray, name: str, rule: str, got: Callable[[int], str]) -> None:
        """Raise ``<name> must be <rule> (got <got(j)> <row j>)`` at the first row j not ok."""
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            raise ValueError(f"{self.shown(name)} must be {rule} (got {got(j)} {self.where(j)})")


def _effect_sizes(measure, columns, add, to, drop00, inp: _Input) -> EffectSizes:
    columns = {name: x for name, x in columns.items() if x is not None}
    family = _family(measure, columns)
    to = check.choice("to", to, TO)
    if not isinstance(drop00, (bool, np.bool_)):
        raise check.fail("drop00", "True or False", drop00)
    if family in ("means", "correlation") and (add is not None or to != "only0" or drop00):
        raise ValueError(
            f"add, to and drop00 must be left as they are for measure {measure!r}"
            " (they adjust counts, and it has none)"
        )
    if family == "proportion" and drop00:
        raise ValueError(f"drop00 must be False for measure {measure!r} (it applies to 2x2 tables)")
    if add is None:
        add = 0.0 if measure == "PAS" else 0.5
    add = check.scalar("add", add, lo=0)
    cols = _columns(family, columns, inp)
    if family == "table":
        yi, vi = _table(measure, *_cells(cols, inp), add, to, drop00)
    elif family == "means":
        yi, vi = _means(measure, cols, inp)
    elif family == "correlation":
        yi, vi = _correlation(measure, cols, inp)
    else:
        yi, vi = _proportion(measure, *_counts(cols, inp), add, to)
    bad = ~(np.isfinite(yi) & np.isfinite(vi))  # escalc's Inf and NaN -> NA, in both
    yi[bad] = vi[bad] = np.nan
    vi[vi < 0] = np.nan
    return EffectSizes(measure, freeze(yi), freeze(vi))


def _family(measure, names) -> str:
    """The family of a known ``measure`` whose arguments ``names`` are all there, and
    nothing the measure does not take."""
    measure = check.choice("measure", measure, MEASURES)
    family = next(f for f, ms in _FAMILIES.items() if measure in ms)
    spec = _ARGUMENTS[family]
    listed = ", ".join(" or ".join(i) if isinstance(i, tuple) else i for i in spec)
    for name in names:
        if name not in _takes(family):
            raise ValueError(
                f"{name} is not an argument of measure {measure!r} (it takes {listed})"
            )
    for item in spec:
        one_of = item if isinstance(item, tuple) else (item,)
        if not any(n in names for n in one_of):
            raise ValueError(
                f"{' or '.join(one_of)} must be given for measure {measure!r} (it takes {listed})"
            )
    return family


def _takes(family: str) -> list[str]:
    return [
        a for item in _ARGUMENTS[family] for a in (item if isinstance(item, tuple) else (item,))
    ]


def _columns(family, given, inp: _Input) -> dict[str, np.ndarray]:
    """The given columns as finite float arrays of one length (never written to)."""
    cols = {}
    for name in _takes(family):
        if name in given:
            arr = check.float_array(inp.shown(name), given[name])
            inp.require(np.isfinite(arr), name, "finite", lambda j, a=arr: _num(a[j]))
            cols[name] = arr
    check.same_length(**{inp.shown(n): a for n, a in cols.items()})
    return cols


def _events_and_rest(cols, inp: _Input, events: str, rest: str, size: str):
    """Events and non-events of one group from (events, rest) or (events, size)."""
    x = cols[events]
    inp.require(x >= 0, events, ">= 0", lambda j: _num(x[j]))
    if rest in cols:
        r = cols[rest]
        inp.require(r >= 0, rest, ">= 0", lambda j: _num(r[j]))
        if size in cols:
            n = cols[size]
            inp.require(
                n == x + r,
                size,
                f"{events} + {rest}",
                lambda j: f"{size} = {_num(n[j])}, {events} + {rest} = {_num(x[j] + r[j])}",
            )
        return x, r
    n = cols[size]
    inp.require(
        x <= n, events, f"<= {size}", lambda j: f"{events} = {_num(x[j])}, {size} = {_num(n[j])}"
    )
    return x, n - x


def _cells(cols, inp: _Input):
    a, b = _events_and_rest(cols, inp, "ai", "bi", "n1i")
    c, d = _events_and_rest(cols, inp, "ci", "di", "n2i")
    return a, b, c, d


def _counts(cols, inp: _Input):
    x, m = _events_and_rest(cols, inp, "xi", "mi", "ni")
    n = x + m
    inp.require(n > 0, "ni" if "ni" in cols else "xi + mi", "> 0", lambda j: _num(n[j]))
    return x, m


def _adjusted(zero: np.ndarray, to: str) -> np.ndarray:
    """The studies whose cells get ``add``."""
    if to == "only0":
        return zero
    return np.full(zero.shape, to == "all" or (to == "if0all" and bool(zero.any())))


# --- the measures -----------------------------------------------------------------------


def _table(measure, a, b, c, d, add, to, drop00):
    dropped = (((a == 0) & (c == 0)) | ((b == 0) & (d == 0))) if drop00 else np.zeros(a.shape, bool)
    zero = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & ~dropped
    shift = np.where(_adjusted(zero, to), add, 0.0)
    a, b, c, d = a + shift, b + shift, c + shift, d + shift
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a / n1, c / n2
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        else:
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    yi[dropped] = np.nan
    return yi, vi


def hedges_correction(m) -> np.ndarray:
    """c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2)), the exact small-sample correction
    of the standardized mean difference on m degrees of freedom (Hedges 1981, eq. 6b;
    about 1 - 3 / (4 m - 1)). ``poch((m - 1)/2, 1/2)`` is the ratio of the two gammas: its
    relative error stays below 1e-10 for every m, where metafor's exp(lgamma(m/2) -
    lgamma((m - 1)/2)) loses digits as m grows (1e-8 at m = 10^8)."""
    m = np.asarray(m, dtype=np.float64)
    return special.poch((m - 1) / 2, 0.5) / np.sqrt(m / 2)


def _means(measure, cols, inp: _Input):
    m1, sd1, n1 = cols["m1i"], cols["sd1i"], cols["n1i"]
    m2, sd2, n2 = cols["m2i"], cols["sd2i"], cols["n2i"]
    for name, x in (("sd1i", sd1), ("sd2i", sd2), ("n1i", n1), ("n2i", n2)):
        inp.require(x > 0, name, "> 0", lambda j, x=x: _num(x[j]))
    if measure == "MD":
        return m1 - m2, sd1**2 / n1 + sd2**2 / n2
    if measure == "ROM":
        for name, x in (("m1i", m1), ("m2i", m2)):
            inp.require(
                x > 0, name, "> 0 for measure 'ROM' (a ratio of means)", lambda j, x=x: _num(x[j])
            )
        return np.log(m1 / m2), sd1**2 / (n1 * m1**2) + sd2**2 / (n2 * m2**2)
    dof = n1 + n2 - 2
    inp.require(
        dof > 1,
        "n1i + n2i",
        "> 3 for measure 'SMD' (its correction needs n1i + n2i - 2 > 1 degrees of freedom)",
        lambda j: _num(n1[j] + n2[j]),
    )
    sp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / dof)
    yi = hedges_correction(dof) * ((m1 - m2) / sp)
    return yi, 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))


def _correlation(measure, cols, inp: _Input):
    r, n = cols["ri"], cols["ni"]
    inp.require(np.abs(r) < 1, "ri", "in (-1, 1)", lambda j: _num(r[j]))
    inp.require(n > 3, "ni", "> 3 (the sampling variance needs ni - 3 > 0)", lambda j: _num(n[j]))
    if measure == "COR":
        return r.copy(), (1 - r**2) ** 2 / (n - 1)
    return np.arctanh(r), 1 / (n - 3)


def _proportion(measure, x, m, add, to):
    shift = np.where(_adjusted((x == 0) | (m == 0), to), add, 0.0)
    x, m = x + shift, m + shift
    n = x + m
    p = x / n
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            return p, p * (1 - p) / n
        if measure == "PLO":
            return np.log(p / (1 - p)), 1 / x + 1 / m
    return np.arcsin(np.sqrt(p)), 1 / (4 * n)
