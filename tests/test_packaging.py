"""The JupyterLab extension as installed by `make setup` and as shipped in the wheel.

`python -m jupyterlab.browser_check` is not used: it runs `npx playwright install` (a browser
download these machines must not do); tests/browser/test_launcher.py loads the extension in
Debian's chromium instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import _fresh
import shrinkviz

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "shrinkviz"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
JS_VERSION = json.loads((ROOT / "js" / "package.json").read_text())["version"]


def _run(*cmd, cwd=ROOT, timeout=600):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # jlpm
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _assert_listed_enabled_ok(out: subprocess.CompletedProcess) -> None:
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    assert out.returncode == 0, text
    assert re.search(rf"^\s*shrinkviz v{re.escape(JS_VERSION)} enabled OK", text, re.MULTILINE), (
        text
    )


@pytest.mark.slow
def test_labextension_list_shows_shrinkviz_enabled_and_ok():
    _assert_listed_enabled_ok(_run(str(BIN / "jupyter"), "labextension", "list"))


def test_installed_labextension_has_package_json_and_its_remote_entry():
    package = json.loads((INSTALLED / "package.json").read_text())
    assert package["name"] == "shrinkviz"
    assert package["version"] == shrinkviz.__version__
    assert (INSTALLED / package["jupyterlab"]["_build"]["load"]).is_file()
    assert (INSTALLED / "static" / "style.js").is_file()


def test_one_version_source_js_package_json():
    """pyproject.toml declares no version of its own: hatch-nodejs-version reads js/package.json
    and the build writes it to shrinkviz/_version.py."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    project = pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.MULTILINE)
    assert re.search(r'^dynamic = \["version"\]', project, re.MULTILINE)
    assert re.search(
        r'^\[tool\.hatch\.version\]\nsource = "nodejs"\npath = "js/package.json"',
        pyproject,
        re.MULTILINE,
    )
    assert JS_VERSION == shrinkviz.__version__ == version("shrinkviz")


def test_the_bundle_carries_every_lesson_in_notebooks():
    """The lessons travel inside the front end; a stale build is fixed by `make setup`."""
    bundle = "".join(p.read_text(errors="replace") for p in (INSTALLED / "static").glob("*.js"))
    missing = [name for name in LESSONS if name not in bundle]
    assert not missing, f"lessons missing from the built extension (run `make setup`): {missing}"


@pytest.mark.slow
def test_js_unit_tests_pass():
    out = _run(str(BIN / "jlpm"), "test", cwd=ROOT / "js")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.search(r"Tests:\s+\d+ passed, \d+ total", out.stderr + out.stdout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds from this tree (the extension prebuilt by `make setup`)."""
    dist = tmp_path_factory.mktemp("dist")
    out = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), ".")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (built,) = dist.glob("shrinkviz-*.whl")
    return built


@pytest.mark.slow
def test_wheel_ships_the_prebuilt_extension(wheel):
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    share = f"shrinkviz-{JS_VERSION}.data/data/share/jupyter/labextensions/shrinkviz/"
    for target in ("package.json", "install.json", "static/style.js"):
        assert share + target in names, target
    assert f"shrinkviz-{JS_VERSION}.data/data/etc/jupyter/voila.json" in names
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)
    assert (
        f"__version__ = VERSION = '{JS_VERSION}'" in archive.read("shrinkviz/_version.py").decode()
    )


@pytest.mark.slow
def test_wheel_in_a_fresh_virtualenv_without_node_has_the_extension_enabled(wheel, tmp_path):
    venv, uv = tmp_path / "venv", str(BIN / "uv")
    out = _run(uv, "venv", "-q", "-p", _fresh.BASE_PYTHON, str(venv))
    assert out.returncode == 0, out.stderr
    out = _run(
        uv,
        "pip",
        "install",
        "-q",
        "--python",
        str(venv / "bin" / "python"),
        str(wheel),
        timeout=1200,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    env = _fresh.clean_env(tmp_path, str(venv / "bin"))  # nothing else on the PATH
    assert shutil.which("node", path=env["PATH"]) is None
    out = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    _assert_listed_enabled_ok(out)
    package = venv / "share/jupyter/labextensions/shrinkviz/package.json"
    assert package.is_file() and not package.parent.is_symlink()


def test_a_jupyter_server_starts_without_the_slow_iri_parsers():
    """`make setup` drops rfc3987-syntax: jsonschema builds its 39 parsers at every server start
    (25 s of CPU here; JupyterHub's test of 30 students spent minutes on it)."""
    out = _run(
        sys.executable,
        "-c",
        "import sys, jupyter_server.serverapp, nbformat; print('rfc3987_syntax' in sys.modules)",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
