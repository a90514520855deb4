"""JupyterHub for a class on one machine: the shrinkviz lessons in every student's home.

Started by ``make hub`` through ``deploy/hub.py``, which runs configurable-http-proxy as a
process of its own and sets the environment below. Tested by ``tests/hub/`` (a real hub, proxy
and servers on 127.0.0.1, 30 simulated students).

- Login: one password shared by the class (JupyterHub's ``shared-password`` authenticator);
  any user name that matches ``username_pattern`` logs in with it. Fine for a workshop, not
  for a course: see "real authenticators" at the end.
- Each student's server runs ``jupyterhub-singleuser`` (JupyterLab) with its home in
  ``$SHRINKVIZ_HUB_DATA/home/<name>``. On every start the lessons missing from
  ``~/lessons`` are copied there; a student's own copy is never overwritten.
- Idle servers are stopped by ``jupyterhub-idle-culler`` (a hub-managed service).
- The proxy runs apart from the hub and the hub leaves the servers running when it stops, so
  restarting the hub (an upgrade, a crash) interrupts nobody's kernel.
- ``SimpleLocalProcessSpawner`` runs every server as the hub's own Unix user: students are not
  isolated from each other (they can read each other's files) and nothing limits a server's
  memory. For real isolation and limits use Kubernetes (``deploy/values.yaml``) or
  jupyterhub-systemdspawner with ``dynamic_users``.

Environment (``deploy/hub.py`` sets it; defaults in brackets): SHRINKVIZ_HUB_DATA (the
folder of the database, secrets and homes), SHRINKVIZ_HUB_RUNTIME (a short path for the
students' kernel sockets, below), SHRINKVIZ_HUB_PASSWORD (the class password, at
least 8 characters), SHRINKVIZ_HUB_PROXY_API_PORT [8001], SHRINKVIZ_HUB_API_PORT (the hub's
own API, [8081]), SHRINKVIZ_HUB_LESSONS [the repository's notebooks/], SHRINKVIZ_HUB_CULL_TIMEOUT
[3600 s], SHRINKVIZ_HUB_CULL_EVERY [300 s], SHRINKVIZ_HUB_ALLOW_ROOT [0].
"""

import contextlib
import os
import shutil
import socket
import sys
import zlib
from pathlib import Path

c = get_config()  # noqa: F821  (defined by JupyterHub when it loads this file)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ["SHRINKVIZ_HUB_DATA"]).resolve()
RUNTIME = Path(os.environ["SHRINKVIZ_HUB_RUNTIME"])
LESSONS = Path(os.environ.get("SHRINKVIZ_HUB_LESSONS", ROOT / "notebooks")).resolve()
PROXY_API_PORT = int(os.environ.get("SHRINKVIZ_HUB_PROXY_API_PORT", "8001"))
HUB_API_PORT = int(os.environ.get("SHRINKVIZ_HUB_API_PORT", "8081"))
CULL_TIMEOUT = int(os.environ.get("SHRINKVIZ_HUB_CULL_TIMEOUT", "3600"))
CULL_EVERY = int(os.environ.get("SHRINKVIZ_HUB_CULL_EVERY", "300"))

# Servers run as the hub's user. As root that would hand every student a root shell.
ALLOW_ROOT = os.environ.get("SHRINKVIZ_HUB_ALLOW_ROOT") == "1"
if os.geteuid() == 0 and not ALLOW_ROOT:
    sys.exit(
        "jupyterhub_config.py: run the hub as an ordinary user, not root (student servers "
        "run as the hub's user); SHRINKVIZ_HUB_ALLOW_ROOT=1 overrides this for tests"
    )

# --- state: database and secrets in the data folder, so a restarted hub finds its servers
c.JupyterHub.db_url = f"sqlite:///{DATA / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(DATA / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = False  # a hub restart leaves the students' servers running

# --- network: the proxy is deploy/hub.py's; the hub's API listens on loopback only
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB_API_PORT
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.auth_token = os.environ["CONFIGPROXY_AUTH_TOKEN"]

# --- login: one shared password for the class
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["SHRINKVIZ_HUB_PASSWORD"]
c.Authenticator.allow_all = True
c.Authenticator.username_pattern = r"^[a-z0-9][a-z0-9_.-]{0,31}$"

# --- servers: JupyterLab in <data>/home/<name>, the lessons copied in
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(DATA / "home" / "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab/tree/lessons"
# Kernel websockets with TCP_NODELAY (deploy/singleuser/shrinkviz_nodelay.py): without it
# every slider move waits about 40 ms for a delayed ACK.
c.Spawner.args = [
    "--ServerApp.kernel_websocket_connection_class=shrinkviz_nodelay.NoDelayConnection",
    "--KernelManager.transport=ipc",
    *(["--ServerApp.allow_root=True"] if ALLOW_ROOT else []),
]
c.Spawner.environment = {
    "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "deploy" / "singleuser"), os.environ.get("PYTHONPATH")])
    ),
    # No static picture beside each explorer (the one an HTML export shows): matplotlib would
    # add 22 MiB to every kernel and 0.4-1.2 s of CPU to every display while a whole class
    # opens a lesson at once. "1" brings it back for a class that hands in HTML exports.
    "SHRINKVIZ_STATIC_PICTURE": os.environ.get("SHRINKVIZ_STATIC_PICTURE", "0"),
}
# A class logs in within a minute on a machine with few cores: give servers time to start.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.JupyterHub.concurrent_spawn_limit = 200


def copy_lessons(spawner) -> None:
    """Copy the lessons missing from ~/lessons; never overwrite a student's copy."""
    target = Path(spawner.home_dir) / "lessons"
    target.mkdir(parents=True, exist_ok=True)
    for lesson in sorted(LESSONS.glob("*.ipynb")):
        if not (target / lesson.name).exists():
            shutil.copyfile(lesson, target / lesson.name)


# Each server gets a port below the kernel's ephemeral range. JupyterHub's default picks a free
# ephemeral port and the server binds it seconds later (a minute when a class logs in at once);
# in between a kernel (it binds five ephemeral ports) can take it. The hub then sees another
# student's server answer on that port (any answer, even a 404, counts as "up") and sends the
# student there. Below the ephemeral range only this hook hands out ports.
def _ephemeral_start() -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


SERVER_PORTS = range(10000, _ephemeral_start())
_ports: dict[str, int] = {}  # user name -> the port this hub gave its server


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def server_port(name: str) -> int:
    """A free port in SERVER_PORTS that no other server of this hub was given."""
    taken = {p for user, p in _ports.items() if user != name}
    start = zlib.crc32(name.encode()) % len(SERVER_PORTS)
    for k in range(len(SERVER_PORTS)):
        port = SERVER_PORTS[(start + k) % len(SERVER_PORTS)]
        if port not in taken and _free(port):
            _ports[name] = port
            return port
    raise RuntimeError(f"no free port for {name}'s server in {SERVER_PORTS}")


# Kernels talk to their server over Unix sockets (KernelManager.transport=ipc above), not TCP.
# Over TCP each kernel binds five ports its server picked a moment before (bind port 0, close,
# hand the number on), and every server picks from the same ephemeral range, as do the proxy's
# connections: when a class starts 30 kernels at once, two servers can hand out one port, the
# second kernel cannot bind it, and jupyter_client's restarts keep the cached ports, so that
# kernel dies after five tries and its student's websocket closes (jupyter_client issue 487;
# seen here at 30 students). A Unix socket is a file beside the kernel's connection file: the
# runtime folder (SHRINKVIZ_HUB_RUNTIME/<name>) gets a short path because a socket's path must
# fit in 107 bytes (with the longest user name, /tmp/svk-<hub>/<name>/kernel-<uuid>-ipc-<n>
# has 100).


def runtime_dir(name: str) -> Path:
    """The student's Jupyter runtime folder (connection files and the kernels' sockets)."""
    return RUNTIME / name


def before_spawn(spawner) -> None:
    copy_lessons(spawner)
    spawner.port = server_port(spawner.user.name)
    spawner.environment = {
        **spawner.environment,
        "JUPYTER_RUNTIME_DIR": str(runtime_dir(spawner.user.name)),
    }


c.Spawner.pre_spawn_hook = before_spawn

# --- idle culling: stop a server nobody used for CULL_TIMEOUT seconds
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={CULL_TIMEOUT}",
            f"--cull-every={CULL_EVERY}",
        ],
    }
]

# --- real authenticators (instead of the shared password), each a pip install away:
#   oauthenticator: GitHubOAuthenticator, GoogleOAuthenticator, GenericOAuthenticator (a
#     university's OpenID Connect / Keycloak), with allowed_users or an organisation;
#   jupyterhub-ltiauthenticator: log in from Moodle / Canvas (LTI 1.3);
#   jupyterhub-nativeauthenticator: students sign up, the teacher approves;
#   jupyterhub-ldapauthenticator: the institution's LDAP.
