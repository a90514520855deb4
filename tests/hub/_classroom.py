"""A class of simulated students on a real JupyterHub (``deploy/hub.py``), for the hub test and
``benchmarks/bench_hub.py``.

Each student does what a browser does, over HTTP and the kernel websocket only (with
JupyterLab 4's protocol, ``v1.kernel.websocket.jupyter.org``): log in with the class password
(the login form, cookies and _xsrf), start a server (``/hub/spawn``, then
the spawn progress event stream until it is ready), open lesson 02 (the lab page: the OAuth
dance with the hub; the contents API; a session, i.e. a kernel), run the lesson's first cell
(imports, data) and the explorer's cell, and find the tau2 slider among the widget models
the kernel announces (comm_open of ``jupyter.widget``: the SelectionSlider with the CSS
class ``shrinkviz-tau2``). Then each student drags it: bursts of ``moves`` positions at
``rate`` per second (one grid step each), separated by seeded random reading pauses. With
``together`` (the default, the worst case) the class waits until everyone has the explorer
(the teacher: "now move the slider"); otherwise each student starts as soon as their own
explorer is there, while others still log in. The first burst starts at that moment
(``reaction_s`` = 0), or after a seeded reaction time uniform in (0, ``reaction_s``) seconds.
Like the ipywidgets front end, a
student sends a position as a comm ``update`` ({"index": i}) only while no earlier one is
pending (sent, and the kernel not yet idle for it); the hand's latest position waits and
goes next.

A round trip is measured per sent update: from sending it to the last comm message of a
bqplot mark (a model with ``scales_metadata``) that answers it (same parent message). After
each burst the readout must show the slider's tau2 (one source, one rounding).

Faults (`Classroom(kill=..., restart_hub=...)`): one student's kernel is SIGKILLed in the
middle of a burst (that student then checks the notebook it saved is intact, restarts the
kernel, runs the cells again and drags on); the hub is restarted while the class drags, and
every student then reconnects its kernel websocket through the proxy and carries on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import random
import signal
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import numpy as np
import psutil
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

LESSON = "lessons/02-eight-schools.ipynb"
TAU2_CLASS = "shrinkviz-tau2"
READOUT_CLASS = "shrinkviz-readout"
# JupyterLab 4's kernel websocket protocol: the server passes the kernel's message parts
# through as they are, where the legacy JSON protocol parses and re-serializes each message
V1 = "v1.kernel.websocket.jupyter.org"
ANSWER = "# Student's answer, saved before dragging: tau2 near 40 fits school A.\n"


class StudentError(RuntimeError):
    """A step of a student failed (a failure of the run, unless it was the injected fault)."""


class KernelLost(StudentError):
    """The kernel died or restarted while a request was pending."""


def run_async(coro):
    """``asyncio.run`` in a thread of its own: the test session's sync Playwright (one Chromium
    for every folder, tests/conftest.py) may already run an event loop in this thread."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class _Pending:
    sent: float
    kind: str
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    replied: asyncio.Event = field(default_factory=asyncio.Event)
    marks: list[float] = field(default_factory=list)
    comms: set[str] = field(default_factory=set)
    error: str | None = None
    lost: bool = False
    # wall clock (one machine, one clock): sent, and the kernel's stamps (header.date) of
    # its busy status and of the last mark's message, and when that message arrived
    sent_wall: float = 0.0
    busy_at: float | None = None
    last_mark_at: float | None = None
    last_mark_wall: float | None = None


class Kernel:
    """One kernel websocket (jupyter_server's JSON protocol; binary frames carry buffers)."""

    def __init__(self, http: aiohttp.ClientSession, base: str, user: str, kernel_id: str):
        self.http, self.base, self.user, self.kernel_id = http, base, user, kernel_id
        self.models: dict[str, dict] = {}  # comm_id -> widget state, as the kernel sent it
        self.pending: dict[str, _Pending] = {}
        self.restarts = 0
        self.kernel_session = None
        self.ws = None
        self.reader = None

    async def connect(self, timeout: float) -> None:
        self.session = uuid.uuid4().hex
        url = (
            self.base.replace("http", "ws", 1) + f"user/{self.user}/api/kernels/"
            f"{self.kernel_id}/channels?session_id={self.session}"
        )
        self.ws = await asyncio.wait_for(
            self.http.ws_connect(url, protocols=(V1,), max_msg_size=0, heartbeat=None), timeout
        )
        if self.ws.protocol != V1:
            await self.ws.close()
            raise StudentError(f"the kernel websocket did not take {V1} (got {self.ws.protocol})")
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    def _lose_pending(self, why: str) -> None:
        for p in self.pending.values():
            p.lost, p.error = True, p.error or why
            p.idle.set()
            p.replied.set()

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                now = time.perf_counter()
                if frame.type != aiohttp.WSMsgType.BINARY:
                    break
                channel, parts = deserialize_msg_from_ws_v1(frame.data)
                keys = ("header", "parent_header", "metadata", "content")
                msg = {k: json.loads(part) for k, part in zip(keys, parts[:4], strict=True)}
                msg.update(channel=channel, buffers=parts[4:])
                self._dispatch(msg, now)
        finally:
            self._lose_pending("the websocket closed")

    def _dispatch(self, msg: dict, now: float) -> None:
        kind, content = msg["header"]["msg_type"], msg["content"]
        if msg.get("channel") == "iopub":
            # a message from another kernel process: this one was restarted (a killed kernel
            # can answer a request it never saw, from its successor on the same ports)
            session = msg["header"].get("session")
            if self.kernel_session not in (None, session):
                self.restarts += 1
                self._lose_pending("kernel restarted")
            self.kernel_session = session
        pending = self.pending.get(msg["parent_header"].get("msg_id"))
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.models[content["comm_id"]] = dict(content["data"]["state"])
        elif kind == "comm_msg":
            data, comm = content["data"], content["comm_id"]
            if data.get("method") in ("update", "echo_update") and comm in self.models:
                self.models[comm].update(data.get("state", {}))
                if pending:
                    pending.comms.add(comm)
                if pending and "scales_metadata" in self.models[comm]:
                    pending.marks.append(now)
                    pending.last_mark_at = _stamp(msg["header"]["date"])
                    pending.last_mark_wall = time.time()
        elif kind == "status":
            state = content["execution_state"]
            if state in ("restarting", "autorestarting", "dead"):
                self.restarts += 1
                self._lose_pending(f"kernel {state}")
            elif state == "idle" and pending:
                pending.idle.set()
            elif state == "busy" and pending:
                pending.busy_at = _stamp(msg["header"]["date"])
        elif kind == "error" and pending:
            pending.error = f"{content['ename']}: {content['evalue']}"
        elif kind == "execute_reply" and pending:
            if content.get("status") != "ok":
                pending.error = pending.error or f"execute_reply {content.get('status')}"
            pending.replied.set()

    def _send(self, msg_type: str, content: dict, kind: str) -> tuple[str, _Pending, str]:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": self.user,
            "session": self.session,
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        }
        msg = {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
        }
        self.pending[msg_id] = pending = _Pending(time.perf_counter(), kind)
        pending.sent_wall = time.time()
        return msg_id, pending, serialize_msg_to_ws_v1(msg, "shell", _pack)

    async def _request(self, msg_type, content, kind, timeout) -> _Pending:
        msg_id, pending, frame = self._send(msg_type, content, kind)
        try:
            await self.ws.send_bytes(frame)
            waits = [pending.idle.wait()] + ([pending.replied.wait()] if kind == "execute" else [])
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        except asyncio.TimeoutError:
            raise StudentError(f"{kind}: no reply within {timeout:.0f} s") from None
        finally:
            self.pending.pop(msg_id, None)
        if pending.lost:
            raise KernelLost(pending.error)
        if pending.error:
            raise StudentError(f"{kind}: {pending.error}")
        return pending

    async def execute(self, code: str, timeout: float) -> None:
        await self._request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "execute",
            timeout,
        )

    async def update(
        self, comm_id: str, state: dict, timeout: float, expect_change: bool = True
    ) -> tuple[float, int, tuple[float, ...]]:
        """Set widget state as the front end does: (round trip in s, marks' messages, the
        round trip split by the kernel's stamps into (to the kernel, in the kernel until the
        last mark's message, from the kernel)). A value the widget already has changes
        nothing: (nan, 0, ()) if `expect_change` is False."""
        pending = await self._request(
            "comm_msg",
            {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}},
            "update",
            timeout,
        )
        if not pending.marks:
            if not expect_change:
                return float("nan"), 0, ()
            raise StudentError(f"update {state}: no mark was updated")
        p = pending
        split = (
            p.busy_at - p.sent_wall,
            p.last_mark_at - p.busy_at,
            p.last_mark_wall - p.last_mark_at,
        )
        return p.marks[-1] - p.sent, len(p.marks), split

    def find(self, css_class: str, model: str | None = None) -> str:
        """The comm id of the one widget with this CSS class (and model name)."""
        found = [
            c
            for c, s in self.models.items()
            if css_class in s.get("_dom_classes", ())
            and (model is None or s.get("_model_name") == model)
        ]
        if len(found) != 1:
            raise StudentError(f"{len(found)} widgets with class {css_class} (expected one)")
        return found[0]


@dataclass
class Student:
    name: str
    rng: random.Random
    round_trips: list[float] = field(default_factory=list)
    mark_messages: list[int] = field(default_factory=list)
    moves: int = 0
    failures: list[str] = field(default_factory=list)
    times: dict[str, float] = field(default_factory=dict)
    kernel_id: str = ""
    xsrf: str = ""
    killed: bool = False
    recovered: bool = False
    reconnected: bool = False
    bursts_done: int = 0
    unchanged: int = 0  # updates to the position already sent (nothing to redraw)
    splits: list[tuple[float, ...]] = field(default_factory=list)
    bursts: list[int] = field(default_factory=list)  # the burst of each round trip (0: first)


@dataclass
class Report:
    n: int
    students: list[Student]
    usage: dict[str, float]  # memory (MB) and CPU (s), see Classroom.memory()
    wall_s: float
    hub_restart_s: float | None
    server_pids_kept: bool | None

    @property
    def round_trips_ms(self) -> list[float]:
        return [1e3 * t for s in self.students for t in s.round_trips]

    @property
    def failures(self) -> list[str]:
        return [f"{s.name}: {f}" for s in self.students for f in s.failures]

    def quantile(self, q: float, first_burst: bool | None = None) -> float:
        """Quantile `q` of the round trips (ms): all, or those of the first burst (the class
        starts dragging at once, at the teacher's word) or of the later ones only."""
        rts = [
            1e3 * t
            for s in self.students
            for t, b in zip(s.round_trips, s.bursts, strict=True)
            if first_burst is None or (b == 0) == first_burst
        ]
        return float(np.quantile(rts, q)) if rts else np.nan

    def summary(self) -> dict:
        """The figures in one flat dict (times in ms or s, memory in MiB)."""
        splits = np.array([x for s in self.students for x in s.splits]).reshape(-1, 3)
        spawns = [s.times["spawn"] for s in self.students if "spawn" in s.times]

        def r(x):
            return None if x is None or not np.isfinite(x) else round(float(x), 1)

        return {
            "students": self.n,
            "updates": len(self.round_trips_ms),
            "unchanged": sum(s.unchanged for s in self.students),
            "moves": sum(s.moves for s in self.students),
            "p50_ms": r(self.quantile(0.5)),
            "p99_ms": r(self.quantile(0.99)),
            "p99_first_burst_ms": r(self.quantile(0.99, first_burst=True)),
            "p99_later_bursts_ms": r(self.quantile(0.99, first_burst=False)),
            "max_ms": r(max(self.round_trips_ms, default=np.nan)),
            # where a round trip goes (medians): to the kernel, in it, back to the student
            **{
                f"{part}_p50_ms": r(1e3 * np.median(splits[:, k]) if len(splits) else np.nan)
                for k, part in enumerate(("to_kernel", "in_kernel", "from_kernel"))
            },
            "failures": len(self.failures),
            **{k: r(v) for k, v in self.usage.items()},
            "spawn_s_median": r(statistics.median(spawns) if spawns else np.nan),
            "wall_s": r(self.wall_s),
            "hub_restart_s": r(self.hub_restart_s),
        }


def _pack(obj) -> bytes:
    return json.dumps(obj).encode()


def _stamp(date) -> float:
    """A message header's date (ISO text, or a datetime once jupyter_server parsed it)."""
    return (date if isinstance(date, datetime) else datetime.fromisoformat(date)).timestamp()


def _xsrf(jar: aiohttp.CookieJar, path: str) -> str:
    best = ""
    for c in jar:
        if (
            c.key == "_xsrf"
            and path.startswith(c["path"] or "/")
            and len(c["path"] or "/") >= len(best[1] if best else "")
        ):
            best = (c.value, c["path"] or "/")
    if not best:
        raise StudentError(f"no _xsrf cookie for {path}")
    return best[0]


class Classroom:
    """`n` students on `hub` (a started ``deploy/hub.py`` ClassHub); run() -> Report."""

    def __init__(
        self,
        hub,
        n: int,
        *,
        bursts: int = 5,
        moves: int = 20,
        rate: float = 30.0,
        pause: tuple[float, float] = (3.0, 10.0),
        arrival_s: float | None = None,
        together: bool = True,
        reaction_s: float = 0.0,
        seed: int = 0,
        kill: int | None = None,
        restart_hub: bool = False,
        timeout: float = 600.0,
        step_timeout: float = 300.0,
    ):
        self.hub, self.n, self.bursts, self.moves, self.rate = hub, n, bursts, moves, rate
        self.pause, self.seed, self.kill, self.restart = pause, seed, kill, restart_hub
        self.arrival_s = 0.5 * n if arrival_s is None else arrival_s
        self.together, self.reaction_s = together, reaction_s
        self.timeout, self.step_timeout = timeout, step_timeout
        self.students = [
            Student(f"student{i:03d}", random.Random(seed * 1000 + i)) for i in range(n)
        ]

    # --- one student -----------------------------------------------------------------
    async def _login_and_spawn(self, http, st: Student) -> None:
        base = self.hub.url
        t = time.perf_counter()
        async with http.get(base + "hub/login") as r:
            r.raise_for_status()
        form = {
            "username": st.name,
            "password": self.hub.password,
            "_xsrf": _xsrf(http.cookie_jar, "/hub/"),
        }
        async with http.post(base + "hub/login", data=form, allow_redirects=False) as r:
            if r.status != 302:
                raise StudentError(f"login: HTTP {r.status}")
        st.times["login"] = time.perf_counter() - t
        t = time.perf_counter()
        async with http.get(base + "hub/spawn", allow_redirects=False) as r:
            if r.status != 302:
                raise StudentError(f"spawn: HTTP {r.status}")
        # the spawn-pending page's event stream, until the server is ready
        url = base + f"hub/api/users/{st.name}/server/progress"
        headers = {"X-XSRFToken": _xsrf(http.cookie_jar, "/hub/")}
        until = aiohttp.ClientTimeout(total=self.step_timeout)
        async with http.get(url, headers=headers, timeout=until) as r:
            r.raise_for_status()
            async for line in r.content:
                event = json.loads(line[5:]) if line.startswith(b"data:") else {}
                if event.get("failed"):
                    raise StudentError(f"spawn failed: {event.get('message')}")
                if event.get("ready"):
                    break
            else:
                raise StudentError("spawn: the progress stream ended before the server was ready")
        st.times["spawn"] = time.perf_counter() - t

    async def _open_lesson(self, http, st: Student) -> tuple[Kernel, list[str], str]:
        """The lab page of lesson 02 (OAuth with the hub), its cells, a kernel session."""
        base, user = self.hub.url, f"user/{st.name}/"
        t = time.perf_counter()
        async with http.get(base + user + f"lab/tree/{LESSON}") as r:
            if r.status != 200 or not r.url.path.startswith(f"/{user}lab"):
                raise StudentError(f"lab page: HTTP {r.status} at {r.url.path}")
        st.xsrf = _xsrf(http.cookie_jar, f"/{user}")
        async with http.get(base + user + f"api/contents/{LESSON}") as r:
            r.raise_for_status()
            nb = (await r.json())["content"]
        # the lesson's first cell (imports, data) and the explorer's cell
        code = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
        cells = [code[0], next(src for src in code if "Explorer." in src)]
        body = {"path": LESSON, "type": "notebook", "kernel": {"name": "python3"}}
        async with http.post(
            base + user + "api/sessions", json=body, headers={"X-XSRFToken": st.xsrf}
        ) as r:
            if r.status != 201:
                raise StudentError(f"session: HTTP {r.status} {await r.text()}")
            st.kernel_id = (await r.json())["kernel"]["id"]
        kernel = Kernel(http, base, st.name, st.kernel_id)
        await kernel.connect(self.step_timeout)
        st.times["open"] = time.perf_counter() - t
        return kernel, cells, nb

    async def _build_explorer(self, kernel: Kernel, cells: list[str], st: Student) -> str:
        t = time.perf_counter()
        await self._wait_kernel_ready(kernel)
        for src in cells:
            await kernel.execute(src, self.step_timeout)
        st.times["explorer"] = time.perf_counter() - t
        return kernel.find(TAU2_CLASS, "SelectionSliderModel")

    async def _wait_kernel_ready(self, kernel: Kernel) -> None:
        deadline = time.monotonic() + self.step_timeout
        while True:  # a kernel_info round trip answers once the kernel is up
            try:
                await kernel._request("kernel_info_request", {}, "kernel_info", 20)
                return
            except KernelLost:
                pass
            except StudentError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.5)

    async def _save(self, http, st: Student, nb: dict) -> dict:
        """The student writes an answer into the last cell and saves the notebook."""
        nb = json.loads(json.dumps(nb))
        nb["cells"][-1]["source"] = ANSWER
        body = {"type": "notebook", "format": "json", "content": nb}
        async with http.put(
            self.hub.url + f"user/{st.name}/api/contents/{LESSON}",
            json=body,
            headers={"X-XSRFToken": st.xsrf},
        ) as r:
            r.raise_for_status()
        return nb

    async def _burst(
        self, kernel: Kernel, slider: str, st: Student, index: int, direction: int, on_move=None
    ) -> tuple[int, int]:
        """One drag: `moves` hand positions at `rate`/s, throttled like the front end."""
        top = len(kernel.models[slider]["_options_labels"]) - 1
        positions = []
        for _ in range(self.moves):
            if not 0 <= index + direction <= top:
                direction = -direction
            index += direction
            positions.append(index)
        start, sent = time.perf_counter(), -1
        while sent < len(positions) - 1:
            hand = min(int((time.perf_counter() - start) * self.rate), len(positions) - 1)
            if hand <= sent:  # the hand has not moved on since the last update
                await asyncio.sleep(start + (sent + 1) / self.rate - time.perf_counter())
                continue
            if on_move is not None:
                on_move(hand)
            # the throttled hand can come back to the position sent last (at a turn): the
            # front end sends it all the same, and the kernel has nothing to redraw
            same = sent >= 0 and positions[hand] == positions[sent]
            rt, marks, split = await kernel.update(
                slider, {"index": positions[hand]}, self.step_timeout, expect_change=not same
            )
            if marks:
                st.round_trips.append(rt)
                st.mark_messages.append(marks)
                st.splits.append(split)
                st.bursts.append(st.bursts_done)
            else:
                st.unchanged += 1
            sent = hand
        st.moves += len(positions)
        label = kernel.models[slider]["_options_labels"][positions[-1]]
        readout = kernel.models[kernel.find(READOUT_CLASS)]["value"]
        if f"τ² = {label}" not in readout:
            raise StudentError(f"readout {readout!r} does not show the slider's τ² {label}")
        return index, direction

    async def _student(self, st: Student) -> None:
        await asyncio.sleep(st.rng.uniform(0, self.arrival_s))
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1
        # no total time per request: a websocket lives for the whole run (bounded by run())
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=60)
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
            kernel = None
            try:
                await self._login_and_spawn(http, st)
                kernel, cells, nb = await self._open_lesson(http, st)
                saved = await self._save(http, st, nb)
                slider = await self._build_explorer(kernel, cells, st)
                self._arrive(st)
                if self.together:
                    await self._everyone_ready.wait()  # "now move the slider", says the teacher
                if self.reaction_s > 0:  # each hand starts after its own reaction time
                    await asyncio.sleep(st.rng.uniform(0, self.reaction_s))
                kernel = await self._drag(http, st, kernel, slider, cells, saved)
            except Exception as e:  # noqa: BLE001 (every failure is counted and reported)
                st.failures.append(f"{type(e).__name__}: {e}")
            finally:
                self._arrive(st)
                self._done.add(st.name)
                if kernel is not None:
                    await kernel.close()

    def _arrive(self, st: Student) -> None:
        self._ready.add(st.name)
        if len(self._ready) == self.n:
            self._everyone_ready.set()

    async def _drag(self, http, st, kernel, slider, cells, saved) -> Kernel:
        """The bursts and the pauses; the kill (one student) and the reconnection after the
        hub restart (everyone) happen in between."""
        index = kernel.models[slider]["index"]
        direction = 1 if st.rng.random() < 0.5 else -1
        victim = self.kill is not None and st is self.students[self.kill]
        for burst in range(self.bursts):
            kill = None
            if victim and burst == 1:
                kill = lambda k: k >= self.moves // 2 and not st.killed and self._kill(st)  # noqa: E731
            try:
                index, direction = await self._burst(kernel, slider, st, index, direction, kill)
            except KernelLost as lost:
                if not st.killed:
                    raise
                kernel, slider = await self._recover(http, st, kernel, cells, saved, lost)
                index = kernel.models[slider]["index"]
            st.bursts_done = burst + 1
            if self._restarted.is_set() and not st.reconnected:
                kernel = await self._reconnect(kernel, slider, st)
            if burst < self.bursts - 1:
                await asyncio.sleep(st.rng.uniform(*self.pause))
        if self.restart and not st.reconnected:  # the restart came after the last burst
            await self._restarted.wait()
            kernel = await self._reconnect(kernel, slider, st)
            await self._burst(kernel, slider, st, index, direction)
        return kernel

    # --- faults ------------------------------------------------------------------------
    def _kill(self, st: Student) -> None:
        pid = kernel_pid(st.kernel_id)
        if pid is None:
            st.failures.append("kill: kernel process not found")
            return
        psutil.Process(pid).send_signal(signal.SIGKILL)
        st.killed = True

    async def _recover(self, http, st, kernel, cells, saved, lost) -> tuple[Kernel, str]:
        """After the kill: the saved notebook is intact; restart, run again, find the slider."""
        url = self.hub.url + f"user/{st.name}/api/"
        async with http.get(url + f"contents/{LESSON}") as r:
            r.raise_for_status()
            now = (await r.json())["content"]
        if [c["source"] for c in now["cells"]] != [c["source"] for c in saved["cells"]]:
            raise StudentError("the saved notebook changed after the kernel was killed")
        await kernel.close()
        # The server restarts a dead kernel by itself, and says "restarting" when it begins
        # (that lost the pending update). A second restart posted while the first is still
        # starting the new process can fail (HTTP 500), so first wait until the new kernel
        # answers: then the server's own restart is over.
        kernel = Kernel(http, self.hub.url, st.name, st.kernel_id)
        await kernel.connect(self.step_timeout)
        await self._wait_kernel_ready(kernel)
        await kernel.close()
        # then "Restart Kernel and Run up to the Selected Cell", as a student would
        async with http.post(
            url + f"kernels/{st.kernel_id}/restart", headers={"X-XSRFToken": st.xsrf}
        ) as r:
            if r.status != 200:
                raise StudentError(f"restart: HTTP {r.status} {(await r.text())[:300]}")
        kernel = Kernel(http, self.hub.url, st.name, st.kernel_id)
        await kernel.connect(self.step_timeout)
        slider = await self._build_explorer(kernel, cells, st)
        st.recovered = True
        return kernel, slider

    async def _reconnect(self, kernel: Kernel, slider: str, st: Student) -> Kernel:
        """A new websocket to the same kernel, through the proxy, after the hub restart:
        the explorer is still there (the front end asks each model for its state)."""
        models = kernel.models
        await kernel.close()
        fresh = Kernel(kernel.http, kernel.base, st.name, st.kernel_id)
        await fresh.connect(self.step_timeout)
        fresh.models = models
        answer = await fresh._request(
            "comm_msg",
            {"comm_id": slider, "data": {"method": "request_state"}},
            "request_state",
            self.step_timeout,
        )
        if slider not in answer.comms:
            raise StudentError("reconnect: the slider did not send its state")
        st.reconnected = True
        return fresh

    async def _restart_when_dragging(self) -> float:
        while not all(s.bursts_done >= 1 or s.name in self._done for s in self.students):
            await asyncio.sleep(0.2)
        before = self.hub.server_pids()
        t = time.perf_counter()
        await asyncio.to_thread(self.hub.restart_hub, self.step_timeout)
        took = time.perf_counter() - t
        self._pids_kept = before == self.hub.server_pids()
        self._restarted.set()
        return took

    # --- the run -----------------------------------------------------------------------
    async def _run(self) -> Report:
        self._ready, self._done, self._everyone_ready = set(), set(), asyncio.Event()
        self._restarted, self._pids_kept = asyncio.Event(), None
        t, cpu = time.perf_counter(), time.process_time()
        restart = asyncio.create_task(self._restart_when_dragging()) if self.restart else None
        dragging = asyncio.create_task(self._cpu_when_dragging())
        await asyncio.gather(*(self._student(s) for s in self.students))
        restart_s = await restart if restart else None
        wall = time.perf_counter() - t
        per_update = self._cpu_per_update(await dragging)
        usage = {**self.memory(), "client_cpu_s": time.process_time() - cpu, **per_update}
        return Report(self.n, self.students, usage, wall, restart_s, self._pids_kept)

    def _students_usage(self) -> tuple[list[dict], list[dict]]:
        """``_usage`` of each student's kernel and of each server (those still running)."""
        pids = kernel_pids()
        kernels = [_usage(pids.get(s.kernel_id)) for s in self.students if s.kernel_id]
        servers = [_usage(p) for p in self.hub.server_pids().values()]
        return [k for k in kernels if k], [s for s in servers if s]

    def _cpu(self) -> dict[str, float]:
        """CPU seconds so far of the students' kernels and servers (summed), the proxy and
        this client (the hub is not on a move's path)."""
        kernels, servers = self._students_usage()
        return {
            "kernel": sum(k["cpu"] for k in kernels),
            "server": sum(s["cpu"] for s in servers),
            "proxy": (_usage(self.hub.proxy.pid) or {"cpu": 0.0})["cpu"],
            "client": time.process_time(),
        }

    def _updates(self) -> int:
        return sum(len(s.round_trips) + s.unchanged for s in self.students)

    async def _cpu_when_dragging(self) -> tuple[dict[str, float], int]:
        """CPU and updates so far, once everyone has the explorer (no one still logs in)."""
        await self._everyone_ready.wait()
        return self._cpu(), self._updates()

    def _cpu_per_update(self, start: tuple[dict[str, float], int]) -> dict[str, float]:
        """ms of CPU per update while the class drags (the updates of every student after
        ``start``), by process: what one move costs the machine. The faults distort it (a
        killed kernel's CPU is lost): a benchmark runs without them."""
        (cpu, updates), end = start, self._cpu()
        updates = self._updates() - updates
        return {
            f"{name}_cpu_per_update_ms": 1e3 * (end[name] - cpu[name]) / max(updates, 1)
            for name in end
        }

    def run(self) -> Report:
        async def bounded():
            return await asyncio.wait_for(self._run(), self.timeout)

        return run_async(bounded())

    def memory(self) -> dict[str, float]:
        """MB of RSS (and USS, what one more student adds: memory no other process shares)
        of the students' kernels and servers (median, max), the hub, proxy and culler;
        CPU seconds a student's kernel and server used so far (median), the hub's (since
        its last start) and the proxy's."""
        kernels, servers = self._students_usage()
        culler = [
            p.info["pid"]
            for p in psutil.process_iter(["pid", "cmdline"])
            if "jupyterhub_idle_culler" in " ".join(p.info["cmdline"] or ())
        ]

        def med(rows, key):
            return statistics.median(r[key] for r in rows) if rows else 0.0

        out = {
            "kernel_rss_mb": med(kernels, "rss"),
            "kernel_rss_mb_max": max((k["rss"] for k in kernels), default=0.0),
            "server_rss_mb": med(servers, "rss"),
            "kernel_uss_mb": med(kernels, "uss"),
            "server_uss_mb": med(servers, "uss"),
            "hub_rss_mb": (_usage(self.hub.hub.pid) or {"rss": 0.0})["rss"],
            "proxy_rss_mb": (_usage(self.hub.proxy.pid) or {"rss": 0.0})["rss"],
            "hub_cpu_s": (_usage(self.hub.hub.pid) or {"cpu": 0.0})["cpu"],
            "proxy_cpu_s": (_usage(self.hub.proxy.pid) or {"cpu": 0.0})["cpu"],
            "culler_rss_mb": sum((_usage(p) or {"rss": 0.0})["rss"] for p in culler),
            "kernel_cpu_s": med(kernels, "cpu"),
            "server_cpu_s": med(servers, "cpu"),
        }
        out["student_rss_mb"] = out["kernel_rss_mb"] + out["server_rss_mb"]
        out["student_uss_mb"] = out["kernel_uss_mb"] + out["server_uss_mb"]
        return out


def kernel_pid(kernel_id: str) -> int | None:
    """The kernel process: its command line names its connection file kernel-<id>.json."""
    return kernel_pids().get(kernel_id)


def kernel_pids() -> dict[str, int]:
    """Every kernel process by kernel id, from one look at the process table."""
    found = {}
    for p in psutil.process_iter(["pid", "cmdline"]):
        for arg in p.info["cmdline"] or ():
            name = Path(arg).name
            if name.startswith("kernel-") and name.endswith(".json"):
                found[name[len("kernel-") : -len(".json")]] = p.info["pid"]
    return found


def _usage(pid: int | None) -> dict[str, float] | None:
    try:
        p = psutil.Process(pid)
        mem, cpu = p.memory_full_info(), p.cpu_times()
    except (psutil.Error, ValueError, TypeError):
        return None
    mb = 1024 * 1024
    return {"rss": mem.rss / mb, "uss": mem.uss / mb, "cpu": cpu.user + cpu.system}
