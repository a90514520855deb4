"""The state of the forest explorer: a random-effects meta-analysis with studies left out,
tau2 from an estimator or the slider, and the z or Knapp-Hartung test."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from traitlets import Enum, Float, Instance, Tuple, validate

from ...model import checks
from ...model.forest import ESTIMATOR_NAMES, Forest, forest, kept_mask, tau2_estimates
from ...model.meta import TESTS
from ._base import _labels, _State

GIVEN = "fixed"  # the method while tau2 is the slider's (meta_analysis(tau2=) calls it so)
SORTS = ("data", "effect", "precision", "label")


@dataclass(frozen=True, eq=False)
class ForestSnapshot:
    """What a ForestState publishes after one recompute.

    y, v       the studies' effects and sampling variances (all k, left-out ones too)
    forest     the model's numbers (``shrinkviz.model.forest.forest``) for the kept studies
    reference  the same fit with every study in (the fit the readout compares with), or
               ``forest`` itself when no study is out
    estimates  tau2 of each estimator on the kept studies (read-only mapping), the ticks
    method     the estimator of tau2, or "fixed" for the slider's tau2
    left_out   the positions of the left-out studies (sorted)
    order      the studies from the top row down (by ``sort``)
    """

    y: np.ndarray
    v: np.ndarray
    forest: Forest
    reference: Forest
    estimates: MappingProxyType
    method: str
    left_out: tuple
    order: np.ndarray

    @property
    def tau2(self) -> float:
        return self.forest.fit.tau2


class ForestState(_State):
    """Inputs and outputs of the forest explorer (metafor's ``rma`` and ``forest``).

    Each change calls ``shrinkviz.model.forest.forest`` once for the kept studies; a change
    of the left-out studies also computes every estimator's tau2 on them (``tau2_estimates``,
    cached per set of left-out studies), and a change of method, test or tau2 while studies
    are out also the fit with all in, which the readout compares with. Fits are cached per
    set of left-out studies while method, test, level and the fixed tau2 stay, so putting a
    study back (or leaving it out again) calls no model function.

    ``tau2`` follows the estimator's value while ``method`` is an estimator; a tau2 set by
    hand (the slider) switches ``method`` to "fixed" in the same recompute.
    """

    method = Enum((*ESTIMATOR_NAMES, GIVEN), default_value="REML", help="estimator of tau2")
    tau2 = Float(0.0, help="between-study variance (the estimator's, or set by hand)")
    test = Enum(TESTS, default_value="z", help="'z' or Knapp-Hartung ('knha') for mu")
    level = Float(0.95, help="level of every interval")
    left_out = Tuple(help="positions of the studies left out")
    sort = Enum(SORTS, default_value="data", help="order of the rows")
    snapshot = Instance(ForestSnapshot, allow_none=True)
    _inputs = ("method", "tau2", "test", "level", "left_out", "sort")

    def __init__(self, y, v, *, labels=None, **inputs):
        y = checks.finite("y", checks.float_array("y", y, copy=True))
        v = checks.positive("v", checks.float_array("v", v, copy=True))
        checks.same_length(y=y, v=v)
        self.labels = _labels(labels, len(y))
        if len(y) < 2:
            raise ValueError(f"a forest needs at least two studies (got {len(y)})")
        for name in ("method", "test", "sort"):  # a ValueError, not traitlets' TraitError
            if name in inputs:
                checks.choice(name, inputs[name], self.traits()[name].values)
        self.y, self.v = y, v
        self._echo = False
        self._estimates: dict = {}  # left_out -> every estimator's tau2
        self._fits: dict = {}  # left_out -> Forest, for the settings ``_fits_of``
        self._fits_of = None
        self._orders: dict = {}
        super().__init__(**inputs)

    @validate("left_out")
    def _valid_left_out(self, proposal):
        out = tuple(sorted({int(i) for i in proposal.value}))
        kept_mask(len(self.y), out)  # positions in range
        return out

    @validate("level")
    def _valid_level(self, proposal):
        return checks.scalar("level", proposal.value, lo=0, hi=1, lo_open=True, hi_open=True)

    @validate("tau2")
    def _valid_tau2(self, proposal):
        return checks.scalar("tau2", proposal.value, lo=0, allow_inf=True)

    def toggle(self, j: int) -> None:
        """Leave study j out, or put it back; a refused change (too few studies left) keeps
        the studies as they were and says why in ``error``."""
        before = self.left_out
        self.left_out = tuple(set(before) ^ {int(j)})
        if self.error:
            with self._echoing():
                self.left_out = before

    def put_back(self) -> None:
        """Every study in again."""
        self.left_out = ()

    @contextlib.contextmanager
    def _echoing(self):
        """Set an input without a recompute (the state writing back what it computed)."""
        self._echo = True
        try:
            yield
        finally:
            self._echo = False

    def _on_input(self, change) -> None:
        if self._echo:
            return
        if change["name"] == "tau2" and self.method != GIVEN:
            with self.hold():  # a tau2 set by hand: the slider's tau2, one recompute
                self.method = GIVEN
            return
        super()._on_input(change)

    def _fit(self, left_out: tuple) -> Forest:
        tau2 = self.tau2 if self.method == GIVEN else None
        settings = (self.method, self.test, self.level, tau2)
        if settings != self._fits_of:
            self._fits, self._fits_of = {}, settings
        if left_out not in self._fits:
            _make_room(self._fits)
            if tau2 == np.inf:  # no pooling: the limit of a huge tau2
                tau2 = 1e12 * float(self.v.max())
            method = "REML" if self.method == GIVEN else self.method
            self._fits[left_out] = forest(
                self.y,
                self.v,
                left_out=left_out,
                method=method,
                test=self.test,
                level=self.level,
                tau2=tau2,
                labels=self.labels,
                check_input=False,  # y and v checked once, in __init__
            )
        return self._fits[left_out]

    def _compute(self) -> ForestSnapshot:
        out = self.left_out
        f = self._fit(out)
        if out not in self._estimates:
            _make_room(self._estimates)
            known = {self.method: f.fit.tau2} if self.method != GIVEN else None
            self._estimates[out] = MappingProxyType(
                tau2_estimates(f.fit.y, f.fit.v, known=known, check_input=False)
            )
        return ForestSnapshot(
            y=self.y,
            v=self.v,
            forest=f,
            reference=self._fit(()) if out else f,
            estimates=self._estimates[out],
            method=self.method,
            left_out=out,
            order=self._order(),
        )

    def _order(self) -> np.ndarray:
        """The rows' order by ``sort`` (one array per order: the views know it by identity)."""
        if self.sort not in self._orders:
            self._orders[self.sort] = self._sorted()
        return self._orders[self.sort]

    def _sorted(self) -> np.ndarray:
        if self.sort == "effect":
            order = np.argsort(self.y, kind="stable")
        elif self.sort == "precision":  # the most precise study on top, as metafor's "prec"
            order = np.argsort(self.v, kind="stable")
        elif self.sort == "label":
            order = np.array(sorted(range(len(self.y)), key=lambda j: self.labels[j].lower()))
        else:
            order = np.arange(len(self.y))
        order.flags.writeable = False
        return order

    def _recompute(self) -> None:
        try:
            snapshot = self._compute()
        except ValueError as e:
            self.error = str(e)
            return
        self.error = ""
        if self.method != GIVEN and self.tau2 != snapshot.tau2:
            with self._echoing():
                self.tau2 = snapshot.tau2
        self.snapshot = snapshot


KEPT_SETS = 64  # fits (and estimates) kept per state: a class's kernels share one machine


def _make_room(cache: dict) -> None:
    """Forget the oldest set of left-out studies when ``cache`` is full, never the
    all-studies one (every click with studies out shows it)."""
    if len(cache) >= KEPT_SETS:
        del cache[next(key for key in cache if key != ())]
