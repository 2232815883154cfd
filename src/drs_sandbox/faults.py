"""Faults in the handlers' own AWS calls: `POST /_sandbox/faults {"failOperations": {...}}`.

`{"failOperations": {"dynamodb:GetItem": {"count": 1, "error": "ValidationException"}}}` makes the
next `count` DynamoDB GetItem requests sent by the in-process handlers fail with that AWS error.
Nothing in lambda/ knows: the sandbox wraps botocore's `Session.create_client` while a stack runs
(`installed()`), and registers a `before-send` hook on every client created. The hook answers a
request itself, before anything goes on the wire, with the HTTP response AWS would send for that
error in the service's own protocol (JSON `__type`, REST-JSON `x-amzn-ErrorType`, Query and EC2
XML), so botocore parses it into the same ClientError and applies its own retry logic as in AWS.

Only the handlers' calls are failed: calls made while a handler runs (lambda_runtime sets
`current_function`), and every call of a client created while a handler ran (the handlers' cached
clients, also when they are used from a handler's worker threads). The sandbox's own clients and
the DRS simulator's EC2 calls are never touched.

Every HTTP attempt consumes one count: botocore retries throttling errors (ThrottlingException,
RequestLimitExceeded, ...) and 5xx errors itself (the handlers' clients: adaptive mode,
max_attempts 8, which botocore counts as retries: up to 9 attempts per call), so
`{"count": 3, "error": "ThrottlingException"}` fails 3 attempts of one API call that then succeeds; errors botocore does not retry (ValidationException, AccessDeniedException,
UnauthorizedOperation, ...) fail one call per count.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from drs_sandbox.lambda_runtime import current_function

# The error a fault answers with when the spec names none: each service's own 5xx error.
DEFAULT_ERRORS: dict[str, str] = {
    "dynamodb": "InternalServerError",
    "stepfunctions": "ServiceUnavailable",
    "ec2": "InternalError",
    "sns": "InternalError",
    "events": "InternalException",
    "drs": "InternalServerException",
    "lambda": "ServiceException",
    "ssm": "InternalServerError",
}
FALLBACK_ERROR = "InternalFailure"
# HTTP status per error code; any other code is a 400 (a client error) unless the spec gives one.
ERROR_STATUS: dict[str, int] = {
    "InternalServerError": 500,
    "InternalServerException": 500,
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalException": 500,
    "ServiceException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "Unavailable": 503,
    "RequestLimitExceeded": 503,
    "SlowDown": 503,
    "TooManyRequestsException": 429,
}
# IAM action prefixes that differ from botocore's service names.
SERVICE_ALIASES: dict[str, str] = {"states": "stepfunctions", "eventbridge": "events"}
SPEC_KEYS = frozenset({"count", "error", "status", "message"})


class FaultSpecError(ValueError):
    """A failOperations entry that cannot be armed; the message names it."""


@dataclass
class ArmedFault:
    service: str
    operation: str
    error: str
    status: int
    message: str
    remaining: int

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"

    def to_wire(self) -> dict[str, Any]:
        return {"count": self.remaining, "error": self.error, "status": self.status, "message": self.message}


@cache
def _loader_session() -> botocore.session.Session:
    return botocore.session.Session()


@cache
def _operations(service: str) -> frozenset[str]:
    session = _loader_session()
    if service not in session.get_available_services():
        raise FaultSpecError(f"unknown AWS service {service!r} (botocore service names: dynamodb, ec2, ...)")
    return frozenset(session.get_service_model(service).operation_names)


def parse_fault(key: Any, value: Any) -> ArmedFault:
    """One failOperations entry: `"service:Operation": {"count", "error", "status", "message"}` or
    `"service:Operation": count`. Raises FaultSpecError."""
    if not isinstance(key, str) or key.count(":") != 1:
        raise FaultSpecError(f'{key!r}: expected "service:Operation", e.g. "dynamodb:GetItem"')
    service, operation = (part.strip() for part in key.split(":"))
    service = SERVICE_ALIASES.get(service.lower(), service.lower())
    operations = _operations(service)
    if operation not in operations:
        close = sorted(o for o in operations if o.lower() == operation.lower())
        hint = f"; did you mean {close[0]}?" if close else ""
        raise FaultSpecError(f"{key}: {service} has no operation {operation!r}{hint}")
    spec: Mapping[str, Any] = {"count": value} if isinstance(value, int) else value
    if not isinstance(spec, Mapping):
        raise FaultSpecError(f'{key}: expected {{"count": N, "error": "Code"}} or a count, got {value!r}')
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise FaultSpecError(f"{key}: unknown field {unknown[0]!r}; expected {', '.join(sorted(SPEC_KEYS))}")
    count = spec.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise FaultSpecError(f"{key}: count must be a non-negative integer, got {count!r}")
    error = spec.get("error", DEFAULT_ERRORS.get(service, FALLBACK_ERROR))
    if not isinstance(error, str) or not error.isidentifier():
        raise FaultSpecError(
            f"{key}: error must be an AWS error code like ThrottlingException, got {error!r}"
        )
    status = spec.get("status", ERROR_STATUS.get(error, 400))
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise FaultSpecError(f"{key}: status must be an HTTP error status (400..599), got {status!r}")
    message = spec.get("message", f"{error} (injected by the sandbox)")
    if not isinstance(message, str):
        raise FaultSpecError(f"{key}: message must be a string, got {message!r}")
    return ArmedFault(service, operation, error, status, message, count)


class FaultRegistry:
    """The failOperations armed: which calls fail next, and how many are left."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, ArmedFault] = {}

    def arm(self, spec: Any) -> None:
        """Arm every entry of a failOperations mapping, or none if one is bad (FaultSpecError).
        A count of 0 disarms the operation."""
        if not isinstance(spec, Mapping) or not spec:
            raise FaultSpecError(
                'failOperations must map "service:Operation" to {"count": N, "error": "Code"}, '
                f"got {spec!r}"
            )
        faults = [parse_fault(key, value) for key, value in spec.items()]
        with self._lock:
            for fault in faults:
                if fault.remaining:
                    self._armed[fault.key] = fault
                else:
                    self._armed.pop(fault.key, None)

    def take(self, service: str, operation: str) -> ArmedFault | None:
        """The fault for this call if one is armed (consuming one count), else None."""
        key = f"{service}:{operation}"
        with self._lock:
            fault = self._armed.get(key)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._armed[key]
            return fault

    def armed(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {key: fault.to_wire() for key, fault in sorted(self._armed.items())}

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


class _Body:
    """The `raw` of a botocore AWSResponse built in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.data


def error_response(protocol: str, url: str, fault: ArmedFault) -> AWSResponse:
    """The HTTP response AWS sends for `fault` in this protocol."""
    request_id = str(uuid.uuid4())
    code, message = fault.error, fault.message
    headers = {"x-amzn-RequestId": request_id}
    if protocol in ("json", "rest-json"):
        headers["Content-Type"] = "application/x-amz-json-1.0" if protocol == "json" else "application/json"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "ec2":
        headers["Content-Type"] = "text/xml;charset=UTF-8"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    elif protocol == "query":
        headers["Content-Type"] = "text/xml"
        kind = "Sender" if fault.status < 500 else "Receiver"
        body = (
            f'<ErrorResponse xmlns="https://aws.amazon.com/"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    else:  # rest-xml (no handler uses smithy-rpc-v2-cbor services)
        headers["Content-Type"] = "application/xml"
        body = (
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
    return AWSResponse(url, fault.status, HTTPHeaders.from_dict(headers), _Body(body))


class HandlerFaults:
    """Applies a FaultRegistry to the handlers' botocore clients while `installed()`."""

    def __init__(self, registry: FaultRegistry) -> None:
        self.registry = registry

    def attach(self, client: Any) -> None:
        """Register the before-send hook on one client (called for every client created)."""
        created_in_handler = current_function.get() is not None
        model = client.meta.service_model
        service, protocol = model.service_name, model.protocol
        registry = self.registry

        def before_send(request: Any, event_name: str = "", **_kwargs: Any) -> AWSResponse | None:
            if not created_in_handler and current_function.get() is None:
                return None
            fault = registry.take(service, event_name.rsplit(".", 1)[-1])
            if fault is None:
                return None
            return error_response(protocol, str(getattr(request, "url", "")), fault)

        client.meta.events.register_first("before-send", before_send)

    @contextmanager
    def installed(self) -> Iterator[HandlerFaults]:
        """Attach to every botocore client created while the block runs."""
        with _lock:
            _active.append(self)
            if len(_active) == 1:
                _patch()
        try:
            yield self
        finally:
            with _lock:
                _active.remove(self)
                if not _active:
                    _unpatch()


_lock = threading.Lock()
_active: list[HandlerFaults] = []
_original_create_client: Any = None


def _patch() -> None:
    global _original_create_client
    original = _original_create_client = botocore.session.Session.create_client

    def create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        for faults in list(_active):
            faults.attach(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]


def _unpatch() -> None:
    global _original_create_client
    if _original_create_client is not None:
        botocore.session.Session.create_client = _original_create_client  # type: ignore[method-assign]
        _original_create_client = None
