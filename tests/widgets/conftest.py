"""Widgets without a browser: every comm is a recorder (as ipywidgets' own tests do with
their DummyComm in ipywidgets/widgets/tests/utils.py), so a test sees each message sent."""

import itertools

import comm
import pytest


class RecordingComm:
    """Stands in for a kernel comm; ``sent`` is shared by all comms of one test."""

    kernel = "Truthy"  # Widget._send only sends when the comm has a kernel
    _ids = itertools.count()

    def __init__(self, sent, **kwargs):
        self.comm_id = f"comm-{next(self._ids)}"
        self.sent = sent

    def send(self, data=None, buffers=None, **kwargs):
        self.sent.append((self.comm_id, data, list(buffers or [])))

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def close(self, *args, **kwargs):
        pass


@pytest.fixture
def sent(monkeypatch):
    """The messages sent to the frontend, as (comm_id, data, buffers)."""
    messages = []
    # ipywidgets (from 8.1, the declared floor) opens every comm through `comm.create_comm`
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(messages, **kw))
    return messages


@pytest.fixture
def updates(sent):
    """``updates(widget)``: the state updates sent for one widget."""

    def of(widget):
        return [
            data
            for cid, data, _ in sent
            if cid == widget.comm.comm_id and data.get("method") == "update"
        ]

    return of


@pytest.fixture(autouse=True)
def no_kernel_loop(monkeypatch):
    """No kernel here: the live region speaks at once. Without this, a browser test earlier in
    the session (Playwright's sync API leaves its event loop set as the thread's running loop)
    would make the explorers schedule their words (and Play its follow of the slider) on a
    loop that never runs. A test of the debounce patches ``running_loop`` itself
    (test_accessible, test_explorers)."""
    from shrinkviz.widgets import controls
    from shrinkviz.widgets.explorers import _base

    monkeypatch.setattr(_base, "running_loop", lambda: None)
    monkeypatch.setattr(controls, "running_loop", lambda: None)


class HandLoop:
    """A kernel's event loop whose timers run only when a test runs them."""

    def __init__(self):
        self.timers = []

    def call_later(self, delay, fn):
        timer = HandTimer(delay, fn)
        self.timers.append(timer)
        return timer

    def pending(self):
        return [t for t in self.timers if not t.cancelled and not t.ran]


class HandTimer:
    def __init__(self, delay, fn):
        self.delay, self.fn, self.cancelled, self.ran = delay, fn, False, False

    def cancel(self):
        self.cancelled = True

    def run(self):
        self.ran = True
        self.fn()


@pytest.fixture
def hand_loop(monkeypatch):
    """``hand_loop(module)``: that module's ``running_loop`` (the explorers' ``_base``, or
    ``controls``) is a new ``HandLoop``, returned."""

    def patch(module):
        loop = HandLoop()
        monkeypatch.setattr(module, "running_loop", lambda: loop)
        return loop

    return patch
