"""End-to-end tests: the sandbox through its HTTP API and drsctl."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fake_aws_credentials() -> None:
    """Overrides the shared fixture: the sandbox sets fake credentials and its 127.0.0.1 endpoints
    itself (AWS_ENDPOINT_URL*), and its in-process handlers must keep seeing them."""
