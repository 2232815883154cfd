"""End-to-end tests: the sandbox through its HTTP API and drsctl."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_api import TIME_SCALE, Api

from drs_sandbox.server import Sandbox


@pytest.fixture(autouse=True)
def fake_aws_credentials() -> None:
    """Overrides the shared fixture: the sandbox sets fake credentials and its 127.0.0.1 endpoints
    itself (AWS_ENDPOINT_URL*), and its in-process handlers must keep seeing them."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per test module (the default scenario at the e2e time scale; the schedule's `find`
    runs only when a test asks for it). A module that needs another sandbox defines its own."""
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.url)
