"""Unit tests: pure logic, no network at all."""

from __future__ import annotations

import aws_xray_sdk.core  # noqa: F401
import pytest
import pytest_socket

# The X-Ray SDK creates its recorder, with the UDP socket of its daemon emitter, when first imported
# (Powertools Tracer imports it even while tracing is off, and never sends then). Imported here,
# before sockets are disabled, so that creating a socket stays a test failure.


@pytest.fixture(autouse=True)
def no_network() -> None:
    pytest_socket.disable_socket(allow_unix_socket=True)
