"""The posterior of tau: p(tau | y) as a curve, a rule at the slider's tau and a dashed
rule at the REML estimate (BDA3 section 5.4, eq. 5.21)."""

from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines

from . import _theme as t


class TauView:
    """Draws ``snapshot.full_bayes.tau`` / ``tau_density``, ``sqrt(snapshot.tau2)`` and
    ``sqrt(snapshot.reml_tau2)`` of a ``ShrinkageState`` with ``tau_posterior`` on.

    The axes follow the curve: when the data or the prior change (a new p(tau | y)), the tau
    axis ends where the density has fallen to 1% of its peak and the density axis just above
    the peak. A tau2 move redraws the rule only; the axis grows (to a round number) when the
    slider's tau lies beyond it, so it always shows the slider's tau. tau = inf (no
    pooling) is drawn at the axis' end.
    """

    def __init__(
        self, state, *, font_scale=1.0, animation_duration=t.ANIMATION_MS, title="p(τ | y)"
    ):
        f = state.snapshot
        fb = f.full_bayes
        self._fs = font_scale
        self._xs = LinearScale(min=0.0, max=1.0, allow_padding=False)
        self._ys = LinearScale(min=0.0, max=1.0, allow_padding=False)
        sc = {"x": self._xs, "y": self._ys}
        self.curve = Lines(
            x=fb.tau, y=fb.tau_density, scales=sc, colors=[t.EXTRA], stroke_width=3 * font_scale
        )
        self.rule = Lines(
            x=np.zeros(2),
            y=np.array([0.0, 1.0]),
            scales=sc,
            colors=[t.PARTIAL],
            stroke_width=2.5 * font_scale,
        )
        self.reml = Lines(
            x=np.zeros(2),
            y=np.array([0.0, 1.0]),
            scales=sc,
            colors=[t.REML],
            line_style="dashed",
            stroke_width=2.5 * font_scale,
        )
        self._xaxis = t.axis(self._xs, "τ (between-group sd)", font_scale, tick_format=".3~g")
        self._yaxis = t.axis(self._ys, "density", font_scale, side="left", tick_format=".2~g")
        self.figure = t.figure(
            [self.curve, self.rule, self.reml],
            [self._xaxis, self._yaxis],
            title,
            font_scale,
            animation_duration,
        )
        self.legend = t.legend(
            [
                ("p(τ | y)", "line", t.EXTRA, "solid"),
                ("τ of the slider", "line", t.PARTIAL, "solid"),
                ("REML τ", "line", t.REML, "dashed"),
            ],
            font_scale,
        )
        self._title, self._fb, self._curve_end = title, None, 1.0
        self._draw({"new": f})
        state.observe(self._draw, "snapshot")

    def _rescale(self, fb) -> None:
        """Axes for a new curve: tau up to where the density is 1% of its peak."""
        peak = float(fb.tau_density.max())
        self._curve_end = float(fb.tau[np.flatnonzero(fb.tau_density >= 0.01 * peak)[-1]])
        top = 1.12 * peak
        with self._ys.hold_sync():
            self._ys.max = top
        step = t.nice_step(peak, 2)
        t.update(self._yaxis, tick_values=np.arange(0.0, top, step))
        for rule in (self.rule, self.reml):
            t.update(rule, y=np.array([0.0, top]))

    def _tau_end(self, tau: float) -> float:
        """The tau axis' end: the curve's, or a round number beyond the slider's tau."""
        if tau <= self._curve_end or tau == np.inf:
            return self._curve_end
        step = t.nice_step(tau, 4)
        return float(np.ceil(tau / step) * step)

    def _draw(self, change) -> None:
        f = change["new"]
        fb = f.full_bayes
        shown = fb is not None  # hidden while p(tau | y) is not defined
        if shown and fb is not self._fb:  # new v or prior: a new curve, new axes
            self._fb = fb
            t.update(self.curve, x=fb.tau, y=fb.tau_density)
            self._rescale(fb)
        tau = float(np.sqrt(f.tau2))
        end = self._tau_end(tau)
        if self._xs.max != end:
            self._xs.max = end
            step = t.nice_step(end, 3 if self._fs > 1.3 else 4)
            t.update(self._xaxis, tick_values=np.arange(0.0, end * (1 + 1e-9), step))
        t.update(self.curve, visible=shown)
        t.update(self.rule, x=np.full(2, min(tau, end)), visible=shown)
        reml = 0.0 if f.reml_tau2 is None else min(np.sqrt(f.reml_tau2), end)
        t.update(self.reml, x=np.full(2, reml), visible=shown and f.reml_tau2 is not None)
        t.update(self.figure, title=self._title if shown else f"{self._title}: not available")
