"""What one move of an explorer costs a real kernel, beside the Python side alone.

The other benchmarks (bench_forest.py, bench_slopes.py, bench_widgets.py) time a move's
Python side: the observers, the model call, the marks' new state, with comms that send
nothing. In a kernel each widget message also goes through ipykernel (the message
serialized and signed by jupyter_client's Session, handed to the IOPub thread, sent on
zmq), and the move itself arrives as a shell message, with a busy and an idle status around
it. Here one ipykernel (jupyter_client, on this machine) gets the moves as JupyterLab sends
them, and the kernel process's CPU time is read before and after (psutil):

    tau2 move         eight schools (ShrinkageExplorer) and radon (PoolingLinesExplorer):
                      a comm ``update`` of the tau2 slider's index, one grid step each
    pooling move      sleepstudy (SlopesExplorer): the pooling slider, one step each
    click (new)       BCG (ForestExplorer): bqplot's ``element_click`` on a study's marker,
                      each leaving out or putting back a study so that the set of studies
                      left out is one the explorer has not seen (a fresh explorer per round)
    click (again)     BCG: the same study out and back in: sets seen before

Printed per move (medians, never asserted): the messages the kernel sends (iopub: the
widgets' updates and echoes, busy and idle), the kernel's CPU time per move, the round trip
seen by this client (update out to idle in), and the Python side alone in this process (comms
that send nothing; slider moves through ``set_state`` as the kernel applies them, clicks
through ``click``). The difference over the messages is what ipykernel costs per message.
The load average is printed first: the figures move with other work on the machine.

    .venv/bin/python benchmarks/bench_kernel_moves.py [--moves 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import psutil
from jupyter_client.manager import start_new_kernel

BUILD = {
    "eight schools": "sv.ShrinkageExplorer.eight_schools()",
    "radon": "sv.PoolingLinesExplorer.radon()",
    "sleepstudy": "sv.SlopesExplorer.sleepstudy()",
    "BCG": "sv.ForestExplorer.bcg()",
}
# (name, data set, the slider's CSS class or None for clicks)
MOVES = [
    ("tau2 move", "eight schools", "shrinkviz-tau2"),
    ("tau2 move", "radon", "shrinkviz-tau2"),
    ("pooling move", "sleepstudy", "shrinkviz-scale"),
    ("click (new)", "BCG", None),
    ("click (again)", "BCG", None),
]

FIND = """
import ipywidgets as _w
def _find(css):  # the newest slider of that class (the explorer just built)
    return [x for x in _w.widgets.widget._instances.values()
            if css in getattr(x, "_dom_classes", ()) and isinstance(x, _w.SelectionSlider)][-1]
"""


class Kernel:
    """One ipykernel and its client; messages handled as JupyterLab's would be."""

    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name="python3")
        self.proc = psutil.Process(self.km.provisioner.process.pid)
        self.run("import shrinkviz as sv\nfrom IPython.display import display\n" + FIND)

    def run(self, code: str) -> list[str]:
        """Execute ``code``; its printed lines."""
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.extend(msg["content"]["text"].split())
            elif msg["msg_type"] == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))

        reply = self.kc.execute_interactive(code, timeout=300, output_hook=hook)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{code!r}: {reply['content']}")
        return out

    def comm(self, comm_id: str, data: dict) -> tuple[float, int]:
        """Send a comm message; (round trip in s, iopub messages) until the kernel is idle."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        t = time.perf_counter()
        self.kc.shell_channel.send(msg)
        parent, count = msg["header"]["msg_id"], 0
        while True:
            reply = self.kc.get_iopub_msg(timeout=60)
            if reply["parent_header"].get("msg_id") != parent:
                continue
            count += 1
            if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                return time.perf_counter() - t, count

    def cpu(self) -> float:
        times = self.proc.cpu_times()
        return times.user + times.system

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def slider_steps(n: int, start: int, top: int) -> list[int]:
    """n grid positions one step apart, turning at the ends."""
    out, i, d = [], start, -1
    for _ in range(n):
        if not 1 <= i + d <= top - 1:
            d = -d
        i += d
        out.append(i)
    return out


def new_sets(k: int) -> list[int]:
    """Studies to click so that each click makes a set of left-out studies not seen before:
    out one by one up to k - 2, then back in the same order (the last click, all back in,
    is the explorer's first set and is left off)."""
    out = list(range(k - 2))
    return out + out[:-1]


def in_kernel(kernel: Kernel, move: str, data: str, css: str | None, n: int) -> dict:
    """Kernel CPU per move, round trip and messages per move (medians), in a fresh
    explorer."""
    kernel.run(f"ex = {BUILD[data]}\ndisplay(ex)")
    if css is not None:
        slider, start, top = kernel.run(
            f"_s = _find({css!r})\nprint(_s.model_id, _s.index, len(_s.options) - 1)"
        )
        steps = slider_steps(n, int(start), int(top))
        rounds = [[("update", slider, {"index": i}) for i in steps]]
    else:
        own, k = kernel.run("print(ex.view.own.model_id, len(ex.state.y))")
        studies = new_sets(int(k)) if move == "click (new)" else [3] * n
        rounds = []
        while sum(map(len, rounds)) < n:
            rounds.append([("click", own, j) for j in studies])
    trips, counts, cpu, moves = [], [], 0.0, 0
    for r, round_ in enumerate(rounds):
        if r:  # a fresh explorer: every set of studies is new again
            own = kernel.run(f"ex = {BUILD[data]}\ndisplay(ex)\nprint(ex.view.own.model_id)")[0]
        for kind, target, arg in round_:
            if kind == "update":
                data_ = {"method": "update", "state": arg, "buffer_paths": []}
            else:
                event = {"event": "element_click", "data": {"index": arg}}
                data_ = {"method": "custom", "content": event}
            before = kernel.cpu()
            trip, count = kernel.comm(target if kind == "update" else own, data_)
            cpu += kernel.cpu() - before
            trips.append(trip)
            counts.append(count)
            moves += 1
    return {
        "messages": statistics.median(counts),
        "cpu_ms": 1e3 * cpu / moves,
        "trip_ms": 1e3 * statistics.median(trips),
    }


def python_side(move: str, data: str, css: str | None, n: int) -> float:
    """ms per move here, comms sending nothing (median of single moves)."""
    import shrinkviz as sv

    names = {"sv": sv}
    exec(FIND, names)  # noqa: S102 (_find, as in the kernel)
    ex = eval(BUILD[data], names)  # noqa: S307 (the constructors above)
    times = []
    if css is not None:
        slider = names["_find"](css)
        for i in slider_steps(n, slider.index, len(slider.options) - 1):
            t = time.perf_counter()
            slider.set_state({"index": i})
            times.append(time.perf_counter() - t)
    else:
        studies = new_sets(len(ex.state.y)) if move == "click (new)" else [3] * n
        while len(times) < n:
            ex = eval(BUILD[data], names)  # noqa: S307
            for j in studies:
                t = time.perf_counter()
                ex.click(j)
                times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


async def _python_side(*args) -> float:
    """``python_side`` inside a running event loop, as a kernel handles a widget message:
    there the live region speaks once after a burst, not on every move (bench_slopes.py)."""
    return python_side(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    print(__doc__.split("\n\n")[0])
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} cores\n")
    head = (
        f"{'move':>14} {'data':>14} {'messages':>9} {'kernel CPU':>11} {'round trip':>11}"
        f" {'Python side':>12} {'per message':>12}"
    )
    print(head)
    kernel = Kernel()
    try:
        for move, data, css in MOVES:
            k = in_kernel(kernel, move, data, css, args.moves)
            py = asyncio.run(_python_side(move, data, css, args.moves))
            per = (k["cpu_ms"] - py) / k["messages"]
            print(
                f"{move:>14} {data:>14} {k['messages']:>9.0f} {k['cpu_ms']:>8.2f} ms"
                f" {k['trip_ms']:>8.2f} ms {py:>9.2f} ms {1e3 * per:>9.0f} us",
                flush=True,
            )
    finally:
        kernel.stop()


if __name__ == "__main__":
    main()
