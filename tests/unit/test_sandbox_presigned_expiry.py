"""The sandbox's S3 refuses a presigned request past its expiry as S3 does (moto would serve it):
the WSGI middleware in front of moto, driven with a fixed clock (no sockets)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from drs_sandbox.moto_server import PresignedExpiry

SIGNED = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC).timestamp()
QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T100000Z&X-Amz-Expires=300&X-Amz-Signature=x"


def _moto(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<html>report</html>"]


def _get(query: str, now: float) -> tuple[str, bytes]:
    seen: list[str] = []
    body = PresignedExpiry(_moto, now=lambda: now)(
        {"QUERY_STRING": query, "REQUEST_METHOD": "GET"}, lambda status, _headers: seen.append(status)
    )
    return seen[0], b"".join(body)


def test_a_presigned_get_within_its_expiry_reaches_moto() -> None:
    assert _get(QUERY, SIGNED + 300) == ("200 OK", b"<html>report</html>")


def test_a_presigned_get_past_its_expiry_is_refused_as_s3_refuses_it() -> None:
    status, body = _get(QUERY, SIGNED + 301)
    assert status == "403 Forbidden"
    assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_requests_that_are_not_presigned_reach_moto_whatever_the_time() -> None:
    assert _get("list-type=2", SIGNED + 10**6)[0] == "200 OK"
    assert _get("X-Amz-Date=not-a-date&X-Amz-Expires=300", SIGNED + 10**6)[0] == "200 OK"
