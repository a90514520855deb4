"""The JupyterLab extension as installed by `make setup` and as shipped in the wheel.

`python -m jupyterlab.browser_check` is not used: it runs `npx playwright install` (a browser
download these machines must not do); tests/browser/test_launcher.py loads the extension in
Debian's chromium instead.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import shrinkviz

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "shrinkviz"
LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _run(*cmd, cwd=ROOT, timeout=600):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # jlpm
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_labextension_list_shows_shrinkviz_enabled_and_ok():
    out = _run(str(BIN / "jupyter"), "labextension", "list")
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    assert out.returncode == 0, text
    assert re.search(rf"^\s*shrinkviz v{re.escape(shrinkviz.__version__)} enabled OK", text,
                     re.MULTILINE), text


def test_installed_labextension_has_package_json_and_its_remote_entry():
    package = json.loads((INSTALLED / "package.json").read_text())
    assert package["name"] == "shrinkviz"
    assert package["version"] == shrinkviz.__version__
    assert (INSTALLED / package["jupyterlab"]["_build"]["load"]).is_file()
    assert (INSTALLED / "static" / "style.js").is_file()


def test_python_and_js_versions_agree():
    js = json.loads((ROOT / "js" / "package.json").read_text())
    assert js["version"] == shrinkviz.__version__ == version("shrinkviz")


def test_the_bundle_carries_every_lesson_in_notebooks():
    """The lessons travel inside the front end; a stale build is fixed by `make setup`."""
    bundle = "".join(p.read_text(errors="replace") for p in (INSTALLED / "static").glob("*.js"))
    missing = [name for name in LESSONS if name not in bundle]
    assert not missing, f"lessons missing from the built extension (run `make setup`): {missing}"


@pytest.mark.skipif(not (ROOT / "js" / "node_modules").is_dir(), reason="js/ not installed")
def test_js_unit_tests_pass():
    out = _run(str(BIN / "jlpm"), "test", cwd=ROOT / "js")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert re.search(r"Tests:\s+\d+ passed, \d+ total", out.stderr + out.stdout)


@pytest.mark.slow
def test_wheel_ships_the_prebuilt_extension(tmp_path):
    out = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), ".")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    (wheel,) = tmp_path.glob("shrinkviz-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    share = f"shrinkviz-{shrinkviz.__version__}.data/data/share/jupyter/labextensions/shrinkviz/"
    for target in ("package.json", "install.json", "static/style.js"):
        assert share + target in names, target
    assert f"shrinkviz-{shrinkviz.__version__}.data/data/etc/jupyter/voila.json" in names
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)

