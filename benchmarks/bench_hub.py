"""A class on the one-machine hub of deploy/: slider round trips and memory for N students.

For each N a fresh hub (deploy/hub.py: JupyterHub, configurable-http-proxy, the students'
servers and kernels on 127.0.0.1) and N simulated students (tests/hub/_classroom.py): log in,
start a server, open lesson 02, build the eight-schools explorer; when all have it (with
--own-pace: as soon as their own is there, while others still log in), each drags tau2 in
5 bursts of 20 moves at 30 per second with 3 to 10 s of reading in between (seeded),
throttled like the ipywidgets front end. The students arrive over N seconds. No faults
here (tests/hub/test_hub.py has them). N = 1 first: the round trip of a lone student on the
same machine is the floor the others are compared to. Printed, never asserted:

    round trip p50 / p99 / max (ms): a comm update in to the last mark's update out, measured
        by the students' client (on the same machine, so its own CPU time is in there too);
        p99 of the first burst (every student starts dragging at the same moment, when the
        last one has the explorer, or with --own-pace when their own is there; with
        --reaction S, each after a seeded reaction time of 0 to S seconds more) and of the
        later bursts (spread by the reading pauses);
        its medians split by the kernel's message stamps: to the kernel (student -> proxy ->
        server -> kernel starts), in the kernel (until its last mark message), from the kernel
    cpu/update: ms of CPU that one update costs each kind of process while the class drags
        (all kernels, all servers, the proxy; the students' client, which a real class runs
        on its own laptops): with N students dragging at once, and each sending its next
        update when the last is answered, a round trip is about N x their sum / cores
    load: the machine's 1-minute load average after the run (other work on the 2 cores)
    per student: RSS and USS (MB; USS = what one more student adds) of kernel and server,
        their CPU seconds for start-up, explorer and dragging; spawn time (median, s)
    hub, proxy and idle culler RSS (MB); failures

    .venv/bin/python benchmarks/bench_hub.py [--students 1 10 30 60] [--seed 0] [--reaction 0]
        [--own-pace]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy"), str(ROOT / "tests" / "hub")]
from _classroom import Classroom  # noqa: E402
from hub import ClassHub  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "browser"))
from _lab import free_port  # noqa: E402

COLUMNS = [
    ("students", "N", "{:>4}"),
    ("p50_ms", "p50 ms", "{:>7}"),
    ("p99_ms", "p99 ms", "{:>7}"),
    ("max_ms", "max ms", "{:>7}"),
    ("p99_first_burst_ms", "p99 1st", "{:>8}"),
    ("p99_later_bursts_ms", "p99 later", "{:>10}"),
    ("to_kernel_p50_ms", "to k.", "{:>6}"),
    ("in_kernel_p50_ms", "in k.", "{:>6}"),
    ("from_kernel_p50_ms", "from k.", "{:>8}"),
    ("updates", "updates", "{:>8}"),
    ("failures", "fail", "{:>5}"),
    ("kernel_cpu_per_update_ms", "cpu/update: kernel", "{:>19}"),
    ("server_cpu_per_update_ms", "server", "{:>7}"),
    ("proxy_cpu_per_update_ms", "proxy", "{:>6}"),
    ("client_cpu_per_update_ms", "client", "{:>7}"),
    ("kernel_rss_mb", "kernel RSS", "{:>11}"),
    ("server_rss_mb", "server RSS", "{:>11}"),
    ("student_rss_mb", "student RSS", "{:>12}"),
    ("student_uss_mb", "student USS", "{:>12}"),
    ("kernel_cpu_s", "kernel cpu s", "{:>13}"),
    ("server_cpu_s", "server cpu s", "{:>13}"),
    ("spawn_s_median", "spawn s", "{:>8}"),
    ("hub_rss_mb", "hub RSS", "{:>8}"),
    ("proxy_rss_mb", "proxy RSS", "{:>10}"),
    ("culler_rss_mb", "culler RSS", "{:>11}"),
    ("wall_s", "wall s", "{:>7}"),
    ("load_avg_1min", "load", "{:>5}"),
]


def one_class(n: int, seed: int, together: bool, reaction_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="shrinkviz-hub-") as data:
        hub = ClassHub(
            Path(data),
            port=free_port(),
            api_port=free_port(),
            proxy_api_port=free_port(),
            env={"SHRINKVIZ_HUB_ALLOW_ROOT": "1"},
        )
        try:
            hub.start(timeout=180)
            # students arrive over N seconds; the hub gives a server 300 s to start
            report = Classroom(
                hub,
                n,
                seed=seed,
                arrival_s=n,
                together=together,
                reaction_s=reaction_s,
                step_timeout=600,
                timeout=900 + 20 * n,
            ).run()
        finally:
            hub.stop()
    for failure in report.failures[:5]:
        print(f"    failure: {failure}", flush=True)
    return report.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30, 60])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--own-pace",
        action="store_true",
        help="each student starts dragging as soon as their own explorer is there, while "
        "others still log in (default: when the last student has it, everyone at once)",
    )
    parser.add_argument(
        "--reaction",
        type=float,
        default=0.0,
        help="each student starts the first burst after a seeded reaction time uniform in "
        "(0, REACTION) s; 0 (default): every hand starts at the same moment",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the class's processes too
    print(__doc__.split("\n\n")[0])
    print("  ".join(title.rjust(len(fmt.format(""))) for _, title, fmt in COLUMNS), flush=True)
    rows = []
    for n in args.students:
        t = time.perf_counter()
        row = one_class(n, args.seed, not args.own_pace, args.reaction)
        row["bench_s"] = round(time.perf_counter() - t, 1)
        # the machine's other work slows every process here: the 1-minute load average
        row["load_avg_1min"] = round(os.getloadavg()[0], 1)
        rows.append(row)
        print("  ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS), flush=True)
    ok = [r["students"] for r in rows if r["p99_ms"] < 100 and r["failures"] == 0]
    print(f"largest N with p99 < 100 ms and no failure: {max(ok) if ok else 'none'}")
    out = ROOT / "test-artifacts" / "bench-hub.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(f"(all figures in {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
