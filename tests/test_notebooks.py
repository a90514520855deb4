"""The lessons in notebooks/ run top to bottom without error and are committed without outputs."""

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
LESSONS = [
    "01-pooling",
    "02-eight-schools",
    "03-radon",
    "04-baseball",
    "05-your-data",
    "06-varying-slopes",
    "07-meta-analysis",
    "08-predictors",
    "09-counts",
    "10-many-groups",
]


def _run(nb, cwd):
    """Execute in place with the python3 kernel; jupyter_client starts a kernel whose argv is
    'python' with sys.executable, so the kernel is this interpreter (checked below)."""
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def test_every_lesson_is_there():
    assert [p.stem for p in NOTEBOOKS] == LESSONS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata  # no saved widget state either
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_kernel_is_this_python(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    )
    out = _run(nb, tmp_path).cells[0].outputs[0]["text"].strip()
    assert Path(out).resolve() == Path(sys.prefix).resolve()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom(path):
    # nbclient raises CellExecutionError (with the cell and its traceback) on any error.
    nb = _run(nbformat.read(path, as_version=4), path.parent)
    for cell in nb.cells:
        last = cell.source.strip().splitlines()[-1] if cell.cell_type == "code" else ""
        if last.startswith("sv.") and "Explorer." in last:
            mimes = {m for out in cell.outputs for m in out.get("data", {})}
            assert WIDGET in mimes, cell.source  # the explorer shows as the cell's result
