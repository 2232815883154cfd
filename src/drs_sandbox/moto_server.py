"""moto's threaded server, with DynamoDB's requests applied one at a time.

moto's DynamoDB backend keeps tables in plain dictionaries and is not thread-safe: a transaction that
iterates a table while another request thread adds an item fails with "dictionary changed size during
iteration", which reaches the handler as a 500 (retried, then a spurious 409 or a failed step). The
sandbox's handlers, stream poller and Step Functions threads all write at once, so on a loaded machine
this happened. DynamoDB itself applies each request atomically; serialising moto's DynamoDB (and
DynamoDB Streams) requests gives the same guarantee. No DynamoDB request nests another (the sandbox
delivers the stream from a poller of its own), so the lock cannot deadlock.

moto serves a presigned S3 GET (the report links) whatever its age; S3 refuses one past its expiry,
and so does the sandbox (PresignedExpiry).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_SERIALISED_TARGETS = ("DynamoDB_", "DynamoDBStreams_")

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerialisedDynamoDb:
    """WSGI middleware: requests whose X-Amz-Target names DynamoDB run under one lock, body included."""

    def __init__(self, app: Wsgi) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(_SERIALISED_TARGETS):
            return self.app(environ, start_response)
        with self.lock:
            response = self.app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


class PresignedExpiry:
    """WSGI middleware: a presigned request (SigV4 in the query) past ``X-Amz-Date`` +
    ``X-Amz-Expires`` is refused as S3 refuses it (403 AccessDenied, "Request has expired"); moto
    serves it. The signature itself is not checked (moto accepts any credentials)."""

    def __init__(self, app: Wsgi, now: Callable[[], float] = time.time) -> None:
        self.app = app
        self.now = now

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = parse_qs(str(environ.get("QUERY_STRING", "")))
        signed, expires = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
        if signed and expires and _expired(signed[0], expires[0], self.now()):
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                "<Message>Request has expired</Message>"
                f"<X-Amz-Expires>{escape(expires[0])}</X-Amz-Expires></Error>"
            ).encode()
            start_response(
                "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return self.app(environ, start_response)


def _expired(signed: str, expires: str, now: float) -> bool:
    try:
        moment = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        return now > moment + int(expires)
    except ValueError:
        return False  # not a presigned request's date: moto answers it


class SandboxMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose application serialises DynamoDB's requests and refuses expired
    presigned requests."""

    def _server_entry(self) -> None:
        app = PresignedExpiry(SerialisedDynamoDb(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)
