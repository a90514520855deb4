"""The Binder path on a fresh virtualenv: install exactly what binder/ says, run its postBuild
(which builds the extension from a fresh copy of the repository), check that a kernel started
from notebooks/ is the new environment's, and serve the eight-schools lesson as a Voila
dashboard on 127.0.0.1 (the lessons themselves run in tests/test_notebooks.py).

Slow (a few minutes the first time); pip's and yarn's caches make the next runs faster.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import _fresh
import _lab  # tests/browser/_lab.py, on the path through tests/conftest.py

DASHBOARD = "notebooks/02-eight-schools.ipynb"

pytestmark = pytest.mark.slow

# Run inside the new virtualenv: report which python a kernel started in notebooks/ is and
# where shrinkviz comes from there (as a student has it: the installed package).
PROBE = r"""
import nbformat, nbclient
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import sys, shrinkviz; print(sys.prefix); print(shrinkviz.__file__)")])
nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                        resources={"metadata": {"path": "notebooks"}}).execute()
print("kernel", nb.cells[0].outputs[0]["text"].replace("\n", " "))
"""


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    """(repository copy, virtualenv, environment) after requirements.txt and postBuild."""
    tmp = tmp_path_factory.mktemp("binder")
    repo, venv = _fresh.fresh_copy(tmp / "repo"), tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for cmd in (
        [venv / "bin" / "python", "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
        ["binder/postBuild"],
    ):
        out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=1500)
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return repo, venv, env


def test_postbuild_installs_the_built_extension(binder):
    repo, venv, env = binder
    package = venv / "share/jupyter/labextensions/shrinkviz/package.json"
    assert package.is_file() and not package.parent.is_symlink()
    out = subprocess.run(
        ["jupyter", "labextension", "list"], env=env, capture_output=True, text=True, timeout=600
    )
    assert "shrinkviz v" in out.stderr + out.stdout


def test_a_kernel_in_notebooks_is_the_binder_environment(binder):
    repo, venv, env = binder
    out = subprocess.run(
        [venv / "bin" / "python", "-c", PROBE],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-6000:]
    kernel = out.stdout.split("kernel ", 1)[1].split()
    assert kernel[0] == str(venv) and kernel[1].startswith(str(venv)), kernel


@contextlib.contextmanager
def _voila(repo: Path, env: dict, notebook: str):
    port = _lab.free_port()
    log = repo / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["voila", notebook, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
            cwd=repo,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2)
                break
            except urllib.error.HTTPError:  # it answers
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        kids = _lab._descendants(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        for pid in [proc.pid, *kids]:  # kernels run in sessions of their own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_voila_serves_the_eight_schools_dashboard(binder, request):
    repo, venv, env = binder
    with _voila(repo, env, DASHBOARD) as (url, log):
        with urllib.request.urlopen(url, timeout=600) as resp:  # noqa: S310 (127.0.0.1)
            html = resp.read().decode()
        assert resp.status == 200
        assert "There was an error when executing cell" not in html, log.read_text()[-3000:]
        assert "application/vnd.jupyter.widget-view+json" in html  # the explorer is there

        missing = _lab.browser_missing()
        if missing and os.environ.get("SHRINKVIZ_REQUIRE_BROWSER") != "1":
            return  # the page was served and holds the widgets; no browser to look at them
        assert not missing, missing
        browser = request.getfixturevalue("browser")  # the session's chromium
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        try:
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url, timeout=600_000)
            page.locator(".bqplot svg path.dot").first.wait_for(timeout=120_000)
            page.locator(".widget-slider").first.wait_for()
            time.sleep(2)  # let the figures settle for the screenshot
            _lab.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=_lab.ARTIFACTS / "voila-02-eight-schools.png")
            explorer = page.locator(
                ".jp-OutputArea-output", has=page.locator(".widget-slider")
            ).first
            explorer.scroll_into_view_if_needed()
            explorer.screenshot(path=_lab.ARTIFACTS / "voila-02-explorer.png")
            assert not page.locator(".jupyter-widgets-error-widget").count()
            # the lab-only extension is kept out of Voila (jupyter-config/voila.json)
            assert not [e for e in errors if "shrinkviz" in e], errors
        finally:
            page.close()
