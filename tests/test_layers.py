"""The layers of DESIGN.md hold: model imports no widget library; import-linter contracts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a fresh interpreter imports every model module (import-linter: statically)
def test_model_layer_imports_no_widget_library():
    code = (
        "import sys, shrinkviz.model, shrinkviz.model.normal\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(shrinkviz.model.__path__):\n"
        "    importlib.import_module('shrinkviz.model.' + m.name)\n"
        "bad = {'traitlets', 'ipywidgets', 'bqplot', 'pandas', 'IPython'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_import_shrinkviz_is_light():
    code = (
        "import sys, shrinkviz\n"
        "bad = {'bqplot', 'ipywidgets', 'pandas', 'scipy'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.slow  # seconds: a kernel's whole import, a deployment check
def test_a_students_kernel_stays_small():
    """Lesson 02's explorer, displayed as on the class hub (SHRINKVIZ_STATIC_PICTURE=0, see
    deploy/jupyterhub_config.py), loads neither scipy.stats (15 MiB) nor matplotlib (22 MiB):
    a kernel's memory is most of a student's."""
    code = (
        "import sys, shrinkviz as sv\n"
        "sv.ShrinkageExplorer.eight_schools()._ipython_display_()\n"
        "heavy = [m for m in ('scipy.stats', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "SHRINKVIZ_STATIC_PICTURE": "0"}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def test_import_linter_contracts():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency"
    out = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
