"""Run the class hub on one machine: configurable-http-proxy, then JupyterHub with
``deploy/jupyterhub_config.py``; stop both and every student's server on Ctrl-C.

    .venv/bin/python deploy/hub.py [--ip 0.0.0.0] [--port 8000] [--data .hub]

``make hub`` runs this. The class password is $SHRINKVIZ_HUB_PASSWORD, or a random one kept
in ``<data>/password`` and printed at start. The proxy is a process of its own, so the hub can
be restarted (it is, if it dies) while students keep working. ``tests/hub/`` drives a
``ClassHub`` on 127.0.0.1. Linux only (process trees are read from /proc).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "jupyterhub_config.py"
LOCAL_PROXY = HERE / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


def proxy_executable() -> str:
    """configurable-http-proxy: $SHRINKVIZ_HUB_PROXY, the copy `make hub-deps` installs from
    npm into deploy/proxy/, or one on the PATH."""
    found = os.environ.get("SHRINKVIZ_HUB_PROXY") or (
        str(LOCAL_PROXY) if LOCAL_PROXY.exists() else shutil.which("configurable-http-proxy")
    )
    if not found:
        raise RuntimeError("configurable-http-proxy is missing: run `make hub-deps` (npm)")
    return found


def _secret(path: Path, make) -> str:
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def descendants(pid: int) -> list[int]:
    """Process ids below `pid` (kernels and servers run in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def _is_server(pid: int) -> bool:
    """A student's server (jupyterhub-singleuser) or one of its kernels."""
    with contextlib.suppress(OSError):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return any(b"jupyterhub.singleuser" in a or b"ipykernel" in a for a in cmdline)
    return False


def terminate(pids: list[int], grace: float = 10.0, tree: bool = False) -> None:
    """SIGTERM each process, SIGKILL it after `grace` if it is still there; with `tree`,
    SIGKILL also whatever is left of its descendants (a server's kernels)."""
    doomed = {p for pid in pids for p in [pid, *(descendants(pid) if tree else [])]}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace  # a killed process takes a moment to be gone
    while time.monotonic() < deadline and any(_alive(p) for p in doomed):
        time.sleep(0.1)


@dataclass
class ClassHub:
    """A proxy and a hub on `ip`:`port`, their state (database, secrets, logs, the students'
    homes) in `data`. `env` adds to the hub's environment (SHRINKVIZ_HUB_CULL_TIMEOUT...)."""

    data: Path
    ip: str = "127.0.0.1"
    port: int = 8000
    api_port: int = 8081
    proxy_api_port: int = 8001
    password: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    proxy: subprocess.Popen | None = None
    hub: subprocess.Popen | None = None

    def __post_init__(self):
        self.data = Path(self.data).resolve()
        self.data.mkdir(parents=True, exist_ok=True)
        self.password = (
            self.password
            or os.environ.get("SHRINKVIZ_HUB_PASSWORD")
            or _secret(self.data / "password", lambda: secrets.token_urlsafe(9))
        )
        self.proxy_token = _secret(self.data / "proxy_token", lambda: secrets.token_hex(32))

    @property
    def runtime(self) -> Path:
        """The students' Jupyter runtime folders (kernel sockets): a short path of this hub's
        own, since a Unix socket's path must fit in 107 bytes (deploy/jupyterhub_config.py)."""
        return Path("/tmp") / f"svk-{zlib.crc32(str(self.data).encode()):08x}"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("0.0.0.0", "") else self.ip
        return f"http://{host}:{self.port}/"

    def _log(self, name: str):
        return open(self.data / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)

    def start_proxy(self) -> None:
        cmd = [
            proxy_executable(),
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--api-ip",
            "127.0.0.1",
            "--api-port",
            str(self.proxy_api_port),
            "--default-target",
            f"http://127.0.0.1:{self.api_port}",
            "--error-target",
            f"http://127.0.0.1:{self.api_port}/hub/error",
            "--log-level",
            "warn",
        ]
        with self._log("proxy") as log:
            self.proxy = subprocess.Popen(
                cmd,
                env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": self.proxy_token},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_hub(self) -> None:
        env = {
            **os.environ,
            **self.env,
            "SHRINKVIZ_HUB_DATA": str(self.data),
            "SHRINKVIZ_HUB_RUNTIME": str(self.runtime),
            "SHRINKVIZ_HUB_PASSWORD": self.password,
            "SHRINKVIZ_HUB_API_PORT": str(self.api_port),
            "SHRINKVIZ_HUB_PROXY_API_PORT": str(self.proxy_api_port),
            "CONFIGPROXY_AUTH_TOKEN": self.proxy_token,
        }
        with self._log("hub") as log:
            self.hub = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
                cwd=self.data,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until the hub answers through the proxy (or RuntimeError with the hub's log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.hub.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.hub.returncode}):\n{self.logs()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "hub/health", timeout=2) as r:
                    if r.status == 200:
                        return
            time.sleep(0.3)
        raise RuntimeError(f"the hub did not answer within {timeout:.0f} s:\n{self.logs()}")

    def start(self, timeout: float = 120.0) -> None:
        self.start_proxy()
        self.start_hub()
        self.wait_ready(timeout)

    def stop_hub(self) -> None:
        """The hub and its services (the idle culler); the students' servers keep running."""
        if self.hub is not None and self.hub.poll() is None:
            services = [p for p in descendants(self.hub.pid) if not _is_server(p)]
            terminate([self.hub.pid])
            self.hub.wait(timeout=5)
            terminate([p for p in services if _alive(p)], grace=5, tree=True)

    def restart_hub(self, timeout: float = 120.0) -> None:
        self.stop_hub()
        self.start_hub()
        self.wait_ready(timeout)

    def server_pids(self) -> dict[str, int]:
        """The students' server processes, as the hub's database records them."""
        db = self.data / "jupyterhub.sqlite"
        if not db.exists():
            return {}
        with contextlib.closing(sqlite3.connect(db, timeout=10)) as con:
            rows = con.execute(
                "SELECT users.name, spawners.state FROM spawners "
                "JOIN users ON users.id = spawners.user_id"
            ).fetchall()
        pids = {}
        for name, state in rows:
            with contextlib.suppress(TypeError, ValueError):
                pid = json.loads(state or "{}").get("pid")
                if pid and _alive(pid):
                    pids[name] = int(pid)
        return pids

    def stop(self) -> None:
        """The hub, every student's server with its kernels, then the proxy."""
        # servers the hub started (some maybe not yet in its database) and those an earlier
        # hub started (in the database)
        started = [] if self.hub is None else descendants(self.hub.pid)
        try:
            self.stop_hub()
        finally:
            try:
                terminate([*self.server_pids().values(), *filter(_alive, started)], tree=True)
            finally:
                if self.proxy is not None and self.proxy.poll() is None:
                    terminate([self.proxy.pid], grace=5)
                    self.proxy.wait(timeout=5)
                shutil.rmtree(self.runtime, ignore_errors=True)

    def leftovers(self) -> list[int]:
        """Processes still working in the data folder (a student's server or kernel)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if Path(os.readlink(stat / "cwd")).is_relative_to(self.data) and _alive(
                    int(stat.name)
                ):
                    found.append(int(stat.name))
        return found

    def logs(self, tail: int = 4000) -> str:
        path = self.data / "hub.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--ip",
        default="127.0.0.1",
        help="0.0.0.0 to open the hub to the class (put TLS in front of it)",
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data", default=".hub", help="database, secrets, logs, homes")
    args = parser.parse_args()
    hub = ClassHub(Path(args.data), ip=args.ip, port=args.port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        hub.start()
        print(
            f"shrinkviz class hub at {hub.url} (any user name, password {hub.password}); "
            f"logs in {hub.data}; Ctrl-C stops it and every student's server",
            flush=True,
        )
        while True:
            time.sleep(2)
            if hub.proxy.poll() is not None:
                sys.exit(f"the proxy exited ({hub.proxy.returncode}); see {hub.data}/proxy.log")
            if hub.hub.poll() is not None:
                print(f"the hub exited ({hub.hub.returncode}); restarting it", flush=True)
                hub.start_hub()
    except KeyboardInterrupt:
        pass
    except RuntimeError as e:  # the hub did not start: its log says why
        sys.exit(str(e))
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
