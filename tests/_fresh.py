"""A newcomer's machine for the tests that install from scratch: the repository as a clone has
it, a PATH without node, an environment without this session's virtualenv or Jupyter config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_NAMES = {"node", "nodejs", "npm", "npx", "corepack", "yarn", "yarnpkg", "jlpm"}
# The interpreter this virtualenv was made from: what `python3` is on the newcomer's machine.
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


def fresh_copy(dest: Path) -> Path:
    """The files a clone has: tracked or new, never git-ignored ones (the build, .venv,
    node_modules). Uncommitted edits come along, so a developer tests what they have."""
    names = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def path_without_node(folder: Path) -> str:
    """A PATH of one folder linking every command of this PATH but node, npm, yarn and jlpm
    (and nothing of this session's virtualenv): a machine that never had node."""
    folder.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.prefix) / "bin"
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        d = Path(entry)
        if not d.is_dir() or d.resolve() == venv_bin.resolve():
            continue
        for exe in d.iterdir():
            if (
                exe.name not in NODE_NAMES
                and not (folder / exe.name).exists()
                and os.access(exe, os.X_OK)
                and exe.is_file()
            ):
                (folder / exe.name).symlink_to(exe)
    assert shutil.which("node", path=str(folder)) is None
    return str(folder)


def clean_env(tmp: Path, path: str) -> dict[str, str]:
    """This environment without the virtualenv, with its own Jupyter and IPython folders."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "SHRINKVIZ_REQUIRE_BROWSER")
        and not k.startswith(("JUPYTER", "PYTEST", "MAKE", "MFLAGS"))
    }
    env |= {
        "PATH": path,
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    return env
