"""From zero to a deployed stack, the parts that run here: `make sandbox` as an operator types it
(the three-tier scenario loaded, on the port chosen with PORT=, an empty one with SCENARIO=empty, the
console's address printed, the port free again the moment it stops) and the version the stack shows.

The recipe is read from the Makefile (`make -n`) and run as it is, with this interpreter's drsctl."""

from __future__ import annotations

import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from browser_tests import chromium_or_skip, missing

from drs_sandbox.chromium import CHROMIUM_FLAGS
from drs_sandbox.server import Sandbox
from orchestrator.version import VERSION

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandbox_command(*make_args: str) -> list[str]:
    """The command `make sandbox ...` runs (its last recipe line), with this interpreter's drsctl."""
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "sandbox", *make_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    words = shlex.split(dry.stdout.strip().splitlines()[-1])
    assert words[0].endswith("/drsctl"), words
    return [sys.executable, "-m", "drsctl", *words[1:]]


class Lines:
    """A process's stdout read on a thread, so a test waits for a line with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"no line with {text!r} in {self.lines}"
                self._changed.wait(left)


@contextmanager
def make_sandbox(*make_args: str) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    process = subprocess.Popen(
        sandbox_command(*make_args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process, Lines(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_healthy(url: str, timeout: float = 120) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = requests.get(f"{url}/health", timeout=5)
            if answer.status_code == 200:
                body: dict[str, str] = answer.json()
                return body
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url}/health never answered 200"
        time.sleep(0.2)


def stop(process: subprocess.Popen[str], signum: int, timeout: float = 60) -> float:
    started = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout) == 0
    return time.monotonic() - started


def bind_as_a_server_does(port: int) -> None:
    """Listen on the port as an HTTP server binds (SO_REUSEADDR, as the sandbox's own server does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()


def test_make_sandbox_serves_the_three_tier_scenario_on_the_chosen_port_and_frees_it_when_stopped() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Given `make sandbox PORT=<port>` (the three-tier scenario by default)
    with make_sandbox(f"PORT={port}") as (process, lines):
        # Then it says where it serves and where the console is, and the scenario's plan is there
        assert url in lines.wait_for("sandbox serving")
        assert f"{url}/console/" in lines.wait_for("operator console:")
        assert wait_healthy(url) == {"status": "ok", "version": VERSION}
        plans = requests.get(f"{url}/recovery-plans", timeout=10).json()["items"]
        assert [p["name"] for p in plans] == ["3TierRecoveryPlan"]
        # When a browser tab still holds a connection to it (the console polls) and SIGTERM stops it
        with socket.create_connection(("127.0.0.1", port)) as tab:
            tab.sendall(b"GET /health HTTP/1.1\r\nHost: sandbox\r\n\r\n")
            assert tab.recv(64).startswith(b"HTTP/1.1 200")
            stop(process, signal.SIGTERM)
            # Then the port can be listened on again at once, and `make sandbox` starts on it again:
            # SCENARIO=empty this time, with no plan at all, and Ctrl-C (SIGINT) stops it cleanly too
            bind_as_a_server_does(port)
            with make_sandbox(f"PORT={port}", "SCENARIO=empty") as (again, again_lines):
                assert "no scenario" in again_lines.wait_for("sandbox serving")
                wait_healthy(url)
                assert requests.get(f"{url}/recovery-plans", timeout=10).json()["items"] == []
                stop(again, signal.SIGINT)
    bind_as_a_server_does(port)


def test_the_console_shows_the_version_that_health_and_pyproject_state() -> None:
    # Given the sandbox serving the built console
    chromium = chromium_or_skip()
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        missing("the console is not built (make console)")
    from playwright.sync_api import expect, sync_playwright

    with Sandbox(port=0, scenario="three-tier", find_interval=3600) as sandbox:
        assert requests.get(f"{sandbox.url}/health", timeout=10).json()["version"] == VERSION
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                # When an operator opens it
                page.goto(sandbox.console_url)
                # Then the foot of the navigation names the version GET /health answers
                expect(page.get_by_test_id("version")).to_have_text(
                    f"DRS Orchestrator {VERSION}", timeout=30_000
                )
            finally:
                browser.close()
