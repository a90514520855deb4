"""The class hub of deploy/: its config, idle culling, and a class of simulated students.

A real JupyterHub with ``deploy/jupyterhub_config.py`` and configurable-http-proxy (npm,
installed into deploy/proxy/ by ``make hub-deps``) on 127.0.0.1, started and stopped by
``deploy/hub.py`` (hub, every student's server and kernel, proxy: whatever happens).
The class (tests/hub/_classroom.py): SHRINKVIZ_HUB_STUDENTS students (30 by default; 30 in
CI), 5 bursts of 20 tau2 moves at 30 per second, 3 to 10 s of reading between bursts, one
kernel killed mid-drag, the hub restarted while the class drags. Figures go to
test-artifacts/hub-load.json; the benchmark (benchmarks/bench_hub.py) prints them for
10, 30 and 60 students. Nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import secrets
import socket
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "deploy"), str(Path(__file__).parent)]
import hub as class_hub  # noqa: E402  (deploy/hub.py)
from _classroom import ANSWER, LESSON, Classroom, run_async  # noqa: E402
from test_hub_values import quantity, values  # noqa: E402

from _lab import free_port  # noqa: E402  (tests/browser, on the path from tests/conftest.py)

STUDENTS = int(os.environ.get("SHRINKVIZ_HUB_STUDENTS", "30"))
ARTIFACTS = ROOT / "test-artifacts"


def require_proxy() -> None:
    try:
        class_hub.proxy_executable()
    except RuntimeError as e:
        if os.environ.get("CI") == "true":  # `make test` installs it: missing is a failure
            pytest.fail(str(e), pytrace=False)
        pytest.skip(str(e))


def start_hub(data: Path, **env) -> class_hub.ClassHub:
    require_proxy()
    hub = class_hub.ClassHub(
        data,
        port=free_port(),
        api_port=free_port(),
        proxy_api_port=free_port(),
        password=secrets.token_urlsafe(12),
        env={"SHRINKVIZ_HUB_ALLOW_ROOT": "1", **env},
    )
    try:
        hub.start(timeout=180)
    except BaseException:
        hub.stop()
        raise
    return hub


def load_config(monkeypatch, tmp_path, **env):
    """deploy/jupyterhub_config.py as JupyterHub loads it, with its environment."""
    from traitlets.config import Config

    env = {
        "SHRINKVIZ_HUB_DATA": str(tmp_path),
        "SHRINKVIZ_HUB_RUNTIME": str(class_hub.ClassHub(tmp_path).runtime),
        "SHRINKVIZ_HUB_PASSWORD": "a class password",
        "CONFIGPROXY_AUTH_TOKEN": "t" * 64,
        "SHRINKVIZ_HUB_ALLOW_ROOT": "1",
        **env,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    config = Config()
    ns = runpy.run_path(str(class_hub.CONFIG), init_globals={"get_config": lambda: config})
    return config, ns


def test_config_shared_password_culler_and_servers_that_outlive_the_hub(monkeypatch, tmp_path):
    c, _ = load_config(monkeypatch, tmp_path, SHRINKVIZ_HUB_CULL_TIMEOUT="1800")
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "a class password"
    assert c.JupyterHub.cleanup_servers is False
    assert c.ConfigurableHTTPProxy.should_start is False
    (culler,) = c.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=1800" in culler["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == [culler["name"]] and "delete:servers" in role["scopes"]
    assert c.Spawner.environment["SHRINKVIZ_STATIC_PICTURE"] == "0"  # no matplotlib per kernel


@pytest.mark.skipif(os.geteuid() != 0, reason="the refusal is about running as root")
def test_config_refuses_root_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv("SHRINKVIZ_HUB_ALLOW_ROOT", raising=False)
    with pytest.raises(SystemExit, match="not root"):
        load_config(monkeypatch, tmp_path, SHRINKVIZ_HUB_ALLOW_ROOT="0")


def test_lessons_copied_once_and_never_overwritten(monkeypatch, tmp_path):
    _, ns = load_config(monkeypatch, tmp_path)
    spawner = SimpleNamespace(home_dir=str(tmp_path / "home" / "ada"))
    ns["copy_lessons"](spawner)
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    target = tmp_path / "home" / "ada" / "lessons"
    assert sorted(p.name for p in target.iterdir()) == lessons
    (target / lessons[0]).write_text("{}")  # the student's own work
    (target / lessons[1]).unlink()  # a lesson the student deleted comes back
    ns["copy_lessons"](spawner)
    assert (target / lessons[0]).read_text() == "{}"
    assert sorted(p.name for p in target.iterdir()) == lessons


def test_kernels_use_unix_sockets_with_paths_that_fit(monkeypatch, tmp_path):
    """Kernels over IPC (no TCP port two servers can both hand out), each student's sockets
    in a runtime folder short enough for a Unix socket's 107-byte path."""
    c, ns = load_config(monkeypatch, tmp_path)
    assert "--KernelManager.transport=ipc" in c.Spawner.args
    longest = "a" * 32
    assert re.fullmatch(c.Authenticator.username_pattern, longest)
    assert not re.fullmatch(c.Authenticator.username_pattern, longest + "a")
    spawner = SimpleNamespace(
        home_dir=str(tmp_path / "home" / longest),
        user=SimpleNamespace(name=longest),
        environment=dict(c.Spawner.environment),
        port=0,
    )
    ns["before_spawn"](spawner)
    runtime = Path(spawner.environment["JUPYTER_RUNTIME_DIR"])
    assert runtime.name == longest and runtime != ns["runtime_dir"]("b")
    assert spawner.environment["SHRINKVIZ_STATIC_PICTURE"] == "0"  # the rest is kept
    socket_path = runtime / f"kernel-{uuid.uuid4()}-ipc-5"
    assert len(str(socket_path).encode()) <= 107


def test_servers_get_distinct_ports_below_the_ephemeral_range(monkeypatch, tmp_path):
    """No kernel's ephemeral port can be a server's: the hub would send a student to the
    server that took it (it counts even a 404 as "up")."""
    c, ns = load_config(monkeypatch, tmp_path)
    assert c.Spawner.pre_spawn_hook is ns["before_spawn"]
    ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    names = [f"student{i:03d}" for i in range(200)]
    ports = [ns["server_port"](name) for name in names]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= p < ephemeral for p in ports)
    assert ns["server_port"](names[7]) == ports[7]  # a respawn keeps its port when free
    with socket.socket() as busy:  # a port in use is skipped
        busy.bind(("127.0.0.1", ports[7]))
        assert ns["server_port"](names[7]) not in {*ports}


@pytest.mark.slow
def test_idle_server_is_culled(tmp_path):
    """jupyterhub-idle-culler, with its role from the config, stops a server left idle."""
    hub = start_hub(tmp_path / "hub", SHRINKVIZ_HUB_CULL_TIMEOUT="15", SHRINKVIZ_HUB_CULL_EVERY="5")
    try:
        room = Classroom(hub, 1, step_timeout=240)
        student = room.students[0]

        async def spawn():
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                await room._login_and_spawn(http, student)

        run_async(spawn())
        pid = hub.server_pids()[student.name]
        deadline = time.monotonic() + 120
        while student.name in hub.server_pids() and time.monotonic() < deadline:
            time.sleep(1)
        assert student.name not in hub.server_pids(), "the idle server was not culled"
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        assert "Culling server" in hub.logs(200_000)
    finally:
        hub.stop()
    assert hub.leftovers() == []


@pytest.mark.slow
def test_a_class_drags_the_explorer(tmp_path):
    """STUDENTS students; one kernel killed mid-drag; the hub restarted; 0 failures."""
    hub = start_hub(tmp_path / "hub")
    try:
        room = Classroom(hub, STUDENTS, kill=STUDENTS // 2, restart_hub=True, seed=15, timeout=900)
        report = room.run()
        servers_after = hub.server_pids()
    finally:
        hub.stop()
    summary = report.summary()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "hub-load.json").write_text(json.dumps(summary, indent=1))
    print("\nhub load:", json.dumps(summary))
    assert hub.leftovers() == []  # no server or kernel outlives the hub's stop
    assert not hub.runtime.exists()

    assert report.failures == []
    victim = report.students[STUDENTS // 2]
    assert victim.killed and victim.recovered
    home = tmp_path / "hub" / "home" / victim.name
    nb = json.loads((home / LESSON).read_text())
    source = nb["cells"][-1]["source"]  # saved before the kill, intact after it
    assert ("".join(source) if isinstance(source, list) else source) == ANSWER
    # the hub restart: no server was restarted, every student reconnected and dragged on
    assert report.server_pids_kept and len(servers_after) == STUDENTS
    assert all(s.reconnected for s in report.students)
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for s in report.students:
        copied = (tmp_path / "hub" / "home" / s.name / "lessons").glob("*.ipynb")
        assert sorted(p.name for p in copied) == lessons
        assert s.moves >= (4 if s is victim else 5) * 20
        assert len(s.round_trips) >= 5  # throttled like the front end: fewer when slow
    # values.yaml's memory: the guarantee covers what one more student costs (USS), the
    # limit all the student's processes hold (RSS)
    memory = values()["singleuser"]["memory"]
    assert summary["student_uss_mb"] * 2**20 <= quantity(memory["guarantee"])
    assert summary["student_rss_mb"] * 2**20 <= quantity(memory["limit"])
