"""Headless Chromium (Debian's `chromium`) for opening the sandbox's pages, the console and the drill
reports, in tests and benchmarks. Playwright drives it by executable path: its own browser download
is not reachable here. The flags keep it from reaching for the network at start."""

from __future__ import annotations

import os
import shutil

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """$CHROMIUM, else chromium on the PATH; None when there is none."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
