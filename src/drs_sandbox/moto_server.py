"""moto's threaded server, with DynamoDB's requests applied one at a time.

moto's DynamoDB backend keeps tables in plain dictionaries and is not thread-safe: a transaction that
iterates a table while another request thread adds an item fails with "dictionary changed size during
iteration", which reaches the handler as a 500 (retried, then a spurious 409 or a failed step). The
sandbox's handlers, stream poller and Step Functions threads all write at once, so on a loaded machine
this happened. DynamoDB itself applies each request atomically; serialising moto's DynamoDB (and
DynamoDB Streams) requests gives the same guarantee. No DynamoDB request nests another (the sandbox
delivers the stream from a poller of its own), so the lock cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

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


class SandboxMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose application serialises DynamoDB's requests."""

    def _server_entry(self) -> None:
        app = SerialisedDynamoDb(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)
