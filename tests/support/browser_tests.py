"""What the browser tests share: find Chromium and Playwright, or skip (fail, with
CONSOLE_E2E_REQUIRED=1, as `make test` sets it) saying what is missing."""

from __future__ import annotations

import os

import pytest

from drs_sandbox.chromium import chromium_path


def missing(reason: str) -> None:
    if os.environ.get("CONSOLE_E2E_REQUIRED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def chromium_or_skip() -> str:
    path = chromium_path()
    if not path:
        missing("chromium is not installed (make test installs it: apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("the playwright package is not installed (make setup)")
    return str(path)
