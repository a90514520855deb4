"""The posterior of tau: p(tau | y) as a curve, a rule at the slider's tau and a dashed
rule at the REML estimate (BDA3 section 5.4, eq. 5.21)."""
from __future__ import annotations

import numpy as np
from bqplot import LinearScale, Lines

from . import _theme as t


class TauView:
    """Draws ``frame.full_bayes.tau`` / ``tau_density``, ``sqrt(frame.tau2)`` and
    ``sqrt(frame.reml_tau2)`` of a ``ShrinkageState`` with ``tau_posterior`` on.

    The tau axis ends where the density has fallen to 1% of its peak (fixed at construction),
    and tau beyond it (up to tau = inf, no pooling) is drawn at that end.
    """

    def __init__(self, state, *, font_scale=1.0, animation_duration=t.ANIMATION_MS,
                 title="p(τ | y)"):
        f = state.frame
        fb = f.full_bayes
        peak = float(fb.tau_density.max())
        self._tau_max = float(fb.tau[np.flatnonzero(fb.tau_density >= 0.01 * peak)[-1]])
        xs = LinearScale(min=0.0, max=self._tau_max, allow_padding=False)
        ys = LinearScale(min=0.0, max=1.15 * peak, allow_padding=False)
        self._top = 1.15 * peak
        sc = {"x": xs, "y": ys}
        self.curve = Lines(x=fb.tau, y=fb.tau_density, scales=sc, colors=[t.EXTRA],
                           stroke_width=3 * font_scale, labels=["p(τ|y)"],
                           display_legend=True)
        self.rule = Lines(x=self._rule_x(f), y=np.array([0.0, self._top]), scales=sc,
                          colors=[t.PARTIAL], stroke_width=2.5 * font_scale,
                          labels=["slider τ"], display_legend=True)
        self.reml = Lines(x=self._reml_x(f), y=np.array([0.0, self._top]), scales=sc,
                          colors=[t.REML], line_style="dashed", stroke_width=2.5 * font_scale,
                          labels=["REML τ"], display_legend=True)
        step = t.nice_step(peak, 2)
        axes = [t.axis(xs, "τ (between-group sd)", font_scale, num_ticks=5, tick_format=".2~g"),
                t.axis(ys, "density", font_scale, side="left", tick_format=".2~g",
                       tick_values=np.arange(0.0, 1.15 * peak, step))]
        self.figure = t.figure([self.curve, self.rule, self.reml], axes, title, font_scale,
                               animation_duration, legend_location="top-right")
        self._fb, self._title = fb, title
        state.observe(self._draw, "frame")

    def _rule_x(self, f) -> np.ndarray:
        tau = min(np.sqrt(f.tau2), self._tau_max)
        return np.array([tau, tau])

    def _reml_x(self, f) -> np.ndarray:
        tau = np.nan if f.reml_tau2 is None else min(np.sqrt(f.reml_tau2), self._tau_max)
        return np.array([tau, tau])

    def _draw(self, change) -> None:
        f = change["new"]
        shown = f.full_bayes is not None  # hidden while p(tau | y) is not defined
        if shown and f.full_bayes is not self._fb:  # new v or prior: a new curve
            self._fb = f.full_bayes
            t.update(self.curve, x=f.full_bayes.tau, y=f.full_bayes.tau_density)
        t.update(self.curve, visible=shown)
        t.update(self.rule, x=self._rule_x(f), visible=shown)
        t.update(self.reml, x=self._reml_x(f), visible=shown and f.reml_tau2 is not None)
        t.update(self.figure, title=self._title if shown else f"{self._title}: not available")
