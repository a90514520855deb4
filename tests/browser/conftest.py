"""Fixtures of the browser tests: one JupyterLab and one Chromium per session, a page per test.

    jupyter_lab   a running JupyterLab (`_lab.Lab`: .url, .token, .root, .copy_notebook(),
                  .write_notebook()), stopped at the end of the session whatever happens
    browser       headless Debian chromium through Playwright (tests/conftest.py)
    lab_page      a fresh page (own context and workspace) with JupyterLab restored

Without chromium or playwright the browser tests skip with the reason, unless
SHRINKVIZ_REQUIRE_BROWSER=1 (set by .ci/run): then they fail.
"""

from __future__ import annotations

import re

import pytest

import _lab


@pytest.fixture(scope="session")
def jupyter_lab(browser):  # asks for the browser first: it skips (or fails) without one
    with _lab.running_lab() as lab:
        yield lab


@pytest.fixture
def lab_page(jupyter_lab, browser, request):
    """A page of the session's JupyterLab; on failure its screenshot goes to test-artifacts/."""
    page = _lab.open_lab(browser, jupyter_lab)
    try:
        yield page
    finally:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            _lab.ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            page.screenshot(path=_lab.ARTIFACTS / f"FAILED-{name}.png", full_page=True)
        page.context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
