"""Unit tests: pure logic, no network at all."""

from __future__ import annotations

import pytest
import pytest_socket


@pytest.fixture(autouse=True)
def no_network() -> None:
    pytest_socket.disable_socket(allow_unix_socket=True)
