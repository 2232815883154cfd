"""End-to-end tests: the sandbox through its HTTP API and drsctl."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_responses import Answer, problems
from sandbox_api import TIME_SCALE, Api

from drs_sandbox.server import Sandbox

try:  # an assertion on a page waits as long as a page action may (30 s), not Playwright's 5 s
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
except ImportError:  # the browser tests say what is missing
    pass


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


# ---------------------------------------------------------------------- the API's answers
# Every answer the sandbox's REST API gives an e2e test is checked against docs/openapi.json when it
# arrives (the request's test fails, naming the operation and the field), and again after the test
# (an answer seen in a thread whose exception a test swallows still fails it).
_MISMATCHES: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def every_answer_checked_against_the_openapi_document() -> Iterator[None]:
    sandboxes: set[str] = set()
    start, send = Sandbox.start, requests.Session.send

    def started(self: Sandbox) -> Sandbox:
        result = start(self)
        sandboxes.add(self.url)
        return result

    def checked(
        self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        response = send(self, request, **kwargs)
        base = next((u for u in sandboxes if (request.url or "").startswith(u + "/")), None)
        if base is not None and not kwargs.get("stream"):
            path = urlsplit(request.url or "").path
            found = problems(
                Answer(
                    str(request.method),
                    path,
                    response.status_code,
                    response.headers.get("Content-Type", ""),
                    response.content,
                )
            )
            if found:
                _MISMATCHES.extend(found)
                raise AssertionError("the answer breaks docs/openapi.json: " + "; ".join(found))
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Sandbox, "start", started)
        patch.setattr(requests.Session, "send", checked)
        yield


@pytest.fixture(autouse=True)
def no_answer_broke_the_openapi_document() -> Iterator[None]:
    _MISMATCHES.clear()
    yield
    assert not _MISMATCHES, "answers that break docs/openapi.json: " + "; ".join(_MISMATCHES)
