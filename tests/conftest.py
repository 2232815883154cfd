"""Fixtures every test folder shares: fake AWS credentials and a fixed region, so no test can reach
a real AWS account."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def tracing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools Tracer stays off in tests, also where a fixture sets Lambda's AWS_LAMBDA_FUNCTION_NAME
    (the X-Ray SDK would open its daemon socket). tests/integration/test_tracing.py runs the Tracer in
    a fresh interpreter with Lambda's environment instead."""
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
