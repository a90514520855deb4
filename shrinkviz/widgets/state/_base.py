"""The base of every explorer state: one recompute per input change, batched by ``hold()``."""

from __future__ import annotations

import contextlib

from traitlets import HasTraits, Int, Unicode

from ...model import checks


class _State(HasTraits):
    """One recompute per input change; ``hold()`` batches several inputs into one."""

    error = Unicode("", help="why the last change was refused ('' when it was accepted)")
    selected = Int(0, help="index of the selected group")
    _inputs: tuple[str, ...] = ()

    def __init__(self, **inputs):
        self._held = 0
        self.observe(self._on_input, names=list(self._inputs))
        with self.hold():
            super().__init__(**inputs)
        if self.error:  # bad input at construction is the caller's error
            raise ValueError(self.error)

    @contextlib.contextmanager
    def hold(self):
        """Set several inputs with a single recompute at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held:
            self._recompute()

    def _on_input(self, change) -> None:
        self._invalidate(change["name"])
        if not self._held:
            self._recompute()

    def _invalidate(self, name: str) -> None:
        """Drop caches that depend on input ``name``."""

    def _recompute(self) -> None:
        try:
            snapshot = self._compute()
        except ValueError as e:
            self.error = str(e)
            return
        self.error = ""
        self.snapshot = snapshot

    def _compute(self):
        raise NotImplementedError


def _labels(labels, J: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(j + 1) for j in range(J))
    labels = tuple(str(g) for g in labels)
    if len(labels) != J:
        raise checks.fail("labels", f"of length {J}", list(labels))
    return labels
