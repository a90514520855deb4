"""A lesson runs top to bottom in a real JupyterLab: no error output, no blank figure."""
from __future__ import annotations

import pytest

import _lab

LESSONS = _lab.ROOT / "notebooks"
# The lesson with the explorer in it; any other lesson if that one is not there yet.
PREFERRED = "02-eight-schools.ipynb"


def _lesson():
    preferred = LESSONS / PREFERRED
    if preferred.exists():
        return preferred
    return next(iter(sorted(LESSONS.glob("[0-9][0-9]-*.ipynb"))), None)


SMOKE = [  # used only while notebooks/ holds no lesson
    "import bqplot.pyplot as plt\nimport numpy as np",
    "fig = plt.figure(title='smoke')\nplt.scatter(np.arange(8), np.arange(8) ** 0.5)\nfig",
]


@pytest.mark.browser
def test_a_lesson_runs_in_the_browser(jupyter_lab, lab_page):
    lesson = _lesson()
    if lesson is None:
        path = jupyter_lab.write_notebook("smoke.ipynb", SMOKE)
    else:
        path = jupyter_lab.copy_notebook(lesson)
    panel = _lab.open_notebook(lab_page, path)
    _lab.run_all(lab_page, panel)
    assert _lab.errors(lab_page, panel) == []
    shots = _lab.screenshot_outputs(lab_page, panel, f"lesson-{path.removesuffix('.ipynb')}")
    assert shots, f"{path} showed no output at all"


@pytest.mark.browser
def test_the_runner_catches_errors_and_blank_figures(jupyter_lab, lab_page):
    """The checks above can fail: an exception and an empty bqplot figure are both caught."""
    path = jupyter_lab.write_notebook("broken.ipynb", [
        "import bqplot as bq\nbq.Figure(marks=[], axes=[])",
        "raise ValueError('tau2 must be >= 0 (got -1.0)')",
    ])
    panel = _lab.open_notebook(lab_page, path)
    _lab.run_all(lab_page, panel)
    assert _lab.errors(lab_page, panel) == ["cell 2: ValueError: tau2 must be >= 0 (got -1.0)"]
    with pytest.raises(AssertionError, match="a bqplot figure without drawn marks"):
        _lab.screenshot_outputs(lab_page, panel, "runner-selfcheck", settle=2.0)
