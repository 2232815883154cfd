"""What the browser tests share: find Chromium and Playwright, or skip (fail, with
CONSOLE_E2E_REQUIRED=1, as `make test` sets it) saying what is missing."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from drs_sandbox.chromium import CHROMIUM_FLAGS, chromium_path

ROOT = Path(__file__).resolve().parents[2]


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


@contextmanager
def chromium_context(viewport: tuple[int, int] = (1440, 1000), **options: Any) -> Iterator[Any]:
    """A headless Chromium context on a fresh profile (removed after), as a console user's browser,
    who asked for reduced motion: what a test reads or measures is the settled page, never a frame
    of an animation (``options``: more of Playwright's context options, e.g. ``timezone_id``)."""
    path = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=path,
                args=CHROMIUM_FLAGS,
                headless=True,
                viewport={"width": viewport[0], "height": viewport[1]},
                reduced_motion="reduce",
                **options,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def watched_page(context: Any) -> Iterator[Any]:
    """A new page whose uncaught errors fail the test once it is closed."""
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert not errors, f"the page raised in the browser: {errors}"


def console_or_skip() -> str:
    """Chromium's path, once the console is built (the sandbox serves frontend/dist)."""
    path = chromium_or_skip()
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        missing("the console is not built (make console)")
    return path


def screenshot_folder(prefix: str) -> Path:
    """Where a browser test saves its screenshots: $CONSOLE_SCREENSHOTS_DIR (docs/screenshots to
    regenerate the documentation's pictures), else a temporary folder."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def console_fixtures(
    time_scale: float = 600, viewport: tuple[int, int] = (1280, 1000)
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A console test module's two fixtures, ``sandbox, page = console_fixtures(...)``: one sandbox
    for the module (skipped, or failed under CONSOLE_E2E_REQUIRED=1, without the built console and
    Chromium) and, per test, a page of a fresh browser on it whose uncaught errors fail the test."""
    from drs_sandbox.server import Sandbox

    @pytest.fixture(scope="module")
    def sandbox() -> Iterator[Sandbox]:
        console_or_skip()
        with Sandbox(port=0, time_scale=time_scale, find_interval=3600) as running:
            yield running

    @pytest.fixture
    def page(sandbox: Sandbox) -> Iterator[Any]:
        with chromium_context(viewport) as context, watched_page(context) as opened:
            yield opened

    return sandbox, page
