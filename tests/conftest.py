"""Fixtures shared by every test folder: one headless Chromium per session.

The browser is session-wide because Playwright's sync API runs one event loop per process:
a second ``sync_playwright()`` inside the same session fails. Without chromium or
playwright a test that asks for it skips with the reason, unless SHRINKVIZ_REQUIRE_BROWSER=1
(set by .ci/run): then it fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import _lab  # noqa: E402  (JupyterLab and Chromium start-up, shared with benchmarks/)

# No timed assertions (speed is measured in benchmarks/): Hypothesis's per-example deadline
# and its too-slow health check fail property tests on a loaded machine, not on wrong numbers.
# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) draws the same examples every run, so that a landing
# does not hang on a new random draw; a developer's runs keep exploring new examples.
settings.register_profile("shrinkviz", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("shrinkviz"), derandomize=True)
settings.register_profile("quick", parent=settings.get_profile("shrinkviz"), max_examples=5)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "shrinkviz"))


def pytest_collection_modifyitems(config, items):
    """Under the quick profile (make quick), a test's own ``@settings(max_examples=...)``
    is capped at the profile's five too (Hypothesis lets a test's settings win over a profile;
    it reads them from the test function when the test runs)."""
    if settings.default.max_examples > 5:
        return
    for item in items:
        fn = getattr(item, "obj", None)
        own = getattr(fn, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > settings.default.max_examples:
            fn._hypothesis_internal_use_settings = settings(
                own, max_examples=settings.default.max_examples
            )


def require_browser() -> None:
    missing = _lab.browser_missing()
    if missing is None:
        return
    message = f"BROWSER TESTS NOT RUN: {missing}"
    if os.environ.get("SHRINKVIZ_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (SHRINKVIZ_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = _lab.launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
