"""A lesson runs top to bottom in a real JupyterLab: no error output, no blank figure."""

from __future__ import annotations

import pytest

import _lab

# The lesson with the explorer in it (every lesson is executed headless by tests/ of issue 6;
# this one runs in the browser, so its widgets are drawn too).
LESSON = _lab.ROOT / "notebooks" / "02-eight-schools.ipynb"


@pytest.mark.browser
def test_a_lesson_runs_in_the_browser(jupyter_lab, lab_page):
    path = jupyter_lab.copy_notebook(LESSON, f"lesson-test/{LESSON.name}")
    panel = _lab.open_notebook(lab_page, path)
    _lab.run_all(lab_page, panel)
    assert _lab.errors(lab_page, panel) == []
    shots = _lab.screenshot_outputs(lab_page, panel, f"lesson-{LESSON.stem}")
    figures = lab_page.locator(f"#{panel} .shrinkviz-explorer .bqplot svg.svg-figure")
    assert figures.count() >= 1, "the lesson's explorer is not on the page"
    assert len(shots) >= 5, f"{LESSON.name} showed only {len(shots)} outputs"


@pytest.mark.browser
def test_the_runner_catches_errors_and_blank_figures(jupyter_lab, lab_page):
    """The checks above can fail: an exception and an empty bqplot figure are both caught."""
    path = jupyter_lab.write_notebook(
        "lesson-test/broken.ipynb",
        [
            "import bqplot as bq\nbq.Figure(marks=[], axes=[])",
            "raise ValueError('tau2 must be >= 0 (got -1.0)')",
        ],
    )
    panel = _lab.open_notebook(lab_page, path)
    _lab.run_all(lab_page, panel)
    assert _lab.errors(lab_page, panel) == ["cell 2: ValueError: tau2 must be >= 0 (got -1.0)"]
    with pytest.raises(AssertionError, match="a bqplot figure without drawn marks"):
        _lab.screenshot_outputs(lab_page, panel, "runner-selfcheck", settle=2.0)
