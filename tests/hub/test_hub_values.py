"""deploy/values.yaml, checked as far as this machine can without helm or a cluster.

helm validates the values of an install (the chart's defaults with the user's values merged
over them) against the chart's ``values.schema.json`` before it renders anything. This test
does the same with the schema and defaults of the Zero to JupyterHub chart 4.4.0, copied into
deploy/z2jh/ (the schema without its description texts, as the chart ships it): a misspelt or
misplaced key fails here as it would fail ``helm install``. No package from the registries
this project uses provides helm itself (checked: PyPI, npm, Debian). On top of the schema:
what the schema leaves open (Kubernetes quantities, guarantee <= limit) and the postStart
command, run on a copy of the lessons.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
QUANTITY = re.compile(r"^(\d+(\.\d+)?)([KMGT]i?)?$")
UNITS = {
    "": 1,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def values() -> dict:
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def merged(defaults: dict, overrides: dict) -> dict:
    """helm's coalescing of values: maps merge key by key, anything else replaces, and a null
    deletes the key."""
    out = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def quantity(q) -> float:
    """A Kubernetes quantity in bytes (or cores): 512M, 1Gi, 0.5, 2."""
    m = QUANTITY.match(str(q))
    if not m:
        raise ValueError(f"not a Kubernetes quantity: {q!r}")
    return float(m.group(1)) * UNITS[m.group(3) or ""]


def schema_errors(vals: dict) -> list[str]:
    schema = json.loads((DEPLOY / "z2jh" / "values.schema.json").read_text())
    defaults = yaml.safe_load((DEPLOY / "z2jh" / "values.default.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(merged(defaults, vals))
    ]


def test_values_pass_the_charts_schema():
    assert schema_errors(values()) == []


@pytest.mark.parametrize(
    "path, bad",
    [
        (("singleuser", "memmory"), {"limit": "1G"}),  # a misspelt key
        (("cull", "timeout"), "an hour"),  # a wrong type
        (("singleuser", "lifecycleHooks", "onStart"), {}),  # a key KubeSpawner does not know
    ],
)
def test_the_schema_check_catches_mistakes(path, bad):
    vals = values()
    node = vals
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = bad
    assert schema_errors(vals), f"{'.'.join(path)} = {bad!r} passed the schema"


def test_memory_and_cpu_are_quantities_with_guarantee_below_limit():
    single = values()["singleuser"]
    for resource in ("memory", "cpu"):
        guarantee = quantity(single[resource]["guarantee"])
        limit = quantity(single[resource]["limit"])
        assert 0 < guarantee <= limit, resource
    # the goal: a node of 64 GiB holds 250 students at the guarantee
    assert 64 * 2**30 / quantity(single["memory"]["guarantee"]) >= 250


def test_culling_is_on():
    cull = values()["cull"]
    assert cull["enabled"] is True and 0 < cull["every"] < cull["timeout"] <= 4 * 3600


def test_post_start_copies_missing_lessons_and_keeps_the_students(tmp_path):
    """The postStart command, with the image's /srv/shrinkviz replaced by a temporary copy
    of the repository's notebooks/, run twice: the second start keeps an edited lesson."""
    command = values()["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"] and "/srv/shrinkviz/notebooks/" in command[2]
    image = tmp_path / "srv"
    shutil.copytree(ROOT / "notebooks", image / "notebooks")
    home = tmp_path / "home"
    home.mkdir()
    script = command[2].replace("/srv/shrinkviz/", f"{image}/")
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(["sh", "-c", script], env=env, check=True, timeout=30)
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (home / "lessons").iterdir()) == lessons
    edited = home / "lessons" / lessons[0]
    edited.write_text("{}")
    (home / "lessons" / lessons[1]).unlink()
    subprocess.run(["sh", "-c", script], env=env, check=True, timeout=30)
    assert edited.read_text() == "{}"
    assert sorted(p.name for p in (home / "lessons").iterdir()) == lessons


def test_hub_uses_an_authenticator_the_charts_jupyterhub_has():
    """The chart 4.4.0 runs JupyterHub 5.5 (deploy/z2jh/SOURCE.md); 'shared-password' is an
    authenticator of JupyterHub from 5.0 on, as of the one installed here."""
    from importlib.metadata import entry_points, version

    assert int(version("jupyterhub").split(".")[0]) >= 5
    names = {e.name for e in entry_points(group="jupyterhub.authenticators")}
    assert values()["hub"]["config"]["JupyterHub"]["authenticator_class"] in names


def test_the_nodelay_connection_is_the_one_machine_hubs():
    """values.yaml carries deploy/singleuser/shrinkviz_nodelay.py verbatim and names its
    class, as deploy/jupyterhub_config.py does."""
    vals = values()
    (file,) = vals["singleuser"]["extraFiles"].values()
    module = DEPLOY / "singleuser" / "shrinkviz_nodelay.py"
    assert file["stringData"] == module.read_text()
    assert Path(file["mountPath"]).parent == Path(vals["singleuser"]["extraEnv"]["PYTHONPATH"])
    arg = "--ServerApp.kernel_websocket_connection_class=shrinkviz_nodelay.NoDelayConnection"
    assert arg in vals["hub"]["config"]["KubeSpawner"]["args"]
    assert arg in (DEPLOY / "jupyterhub_config.py").read_text()
