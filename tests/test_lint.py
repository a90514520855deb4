"""Lint and format over the whole tree: ruff for Python (pyproject.toml: line length 100),
eslint and prettier for js/ (js/package.json). `ruff format . && ruff check --fix .` and
`cd js && jlpm lint` fix most of what these report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd, cwd=ROOT):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # jlpm, node
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return out.returncode, (out.stdout + out.stderr)[-6000:]


@pytest.mark.parametrize(
    "args", [("check", "."), ("format", "--check", ".")], ids=["ruff-check", "ruff-format"]
)
def test_python_is_ruff_clean(args):
    code, text = _run(str(BIN / "ruff"), *args)
    assert code == 0, text


@pytest.mark.slow  # node starts, a few seconds each
@pytest.mark.parametrize("script", ["prettier:check", "eslint:check"])
def test_js_is_prettier_and_eslint_clean(script):
    code, text = _run(str(BIN / "jlpm"), "run", script, cwd=ROOT / "js")
    assert code == 0, text
