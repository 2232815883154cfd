"""Wire-level helpers shared by the simulator and the WSGI app.

- botocore's own DRS service model (loaded once): operation names, request URIs, shapes;
- a strict shape checker (types, required members, enums, lengths, ranges, patterns) used to
  validate requests server-side and, in tests, every response;
- ISO-8601 timestamps in the form the model's `ISO8601DatetimeString` pattern accepts;
- opaque pagination tokens.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

SUPPORTED_OPERATIONS: tuple[str, ...] = (
    "DescribeSourceServers",
    "StartRecovery",
    "DescribeJobs",
    "DescribeJobLogItems",
    "DescribeRecoveryInstances",
    "TerminateRecoveryInstances",
    "DeleteJob",
    "GetLaunchConfiguration",
    "UpdateLaunchConfiguration",
    "DescribeRecoverySnapshots",
)


@functools.cache
def service_model() -> ServiceModel:
    """botocore's DRS service model (the authority on wire shapes)."""
    return botocore.session.get_session().get_service_model("drs")


@functools.cache
def operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.lru_cache(maxsize=8192)
def iso(ts: float) -> str:
    """Epoch seconds -> `2026-01-02T03:04:05.678901Z` (matches ISO8601DatetimeString)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> float:
    """ISO-8601 string -> epoch seconds; ValueError when it is not one."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def iso_duration(seconds: float) -> str:
    """Seconds -> ISO-8601 duration (`PT3600S`), as DRS reports lagDuration."""
    return f"PT{max(0, int(seconds))}S"


def encode_token(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """Decode a token made by `encode_token`; ValueError when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("invalid pagination token") from exc
    if not isinstance(payload, dict):
        raise ValueError("invalid pagination token")
    return payload


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave it to the real service
        return None


def check_shape(value: Any, shape: Shape, path: str = "", *, allow_unknown: bool = False) -> list[str]:
    """Every way `value` departs from `shape`, as `"path: problem"` strings (empty when valid)."""
    problems: list[str] = []
    _check(value, shape, path or shape.name, problems, allow_unknown)
    return problems


def _check(value: Any, shape: Shape, path: str, out: list[str], allow_unknown: bool) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        for name in shape.required_members:
            if name not in value:
                out.append(f"{path}: missing required member {name}")
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                if not allow_unknown:
                    out.append(f"{path}: unknown member {key}")
                continue
            if member.serialization.get("location") in ("header", "headers", "statusCode"):
                continue
            _check(item, member, f"{path}.{key}", out, allow_unknown)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        _check_range(len(value), meta, path, "length", out)
        for index, item in enumerate(value):
            _check(item, shape.member, f"{path}[{index}]", out, allow_unknown)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        _check_range(len(value), meta, path, "size", out)
        for key, item in value.items():
            _check(key, shape.key, f"{path}<key {key!r}>", out, allow_unknown)
            _check(item, shape.value, f"{path}.{key}", out, allow_unknown)
        return
    if kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {type(value).__name__}")
            return
        enum = meta.get("enum")
        if enum and value not in enum:
            out.append(f"{path}: {value!r} is not one of {', '.join(enum)}")
        _check_range(len(value), meta, path, "length", out)
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            out.append(f"{path}: {value!r} does not match pattern {pattern}")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{path}: expected an integer, got {type(value).__name__}")
            return
        _check_range(value, meta, path, "value", out)
        return
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(f"{path}: expected a number, got {type(value).__name__}")
        return
    if kind == "boolean" and not isinstance(value, bool):
        out.append(f"{path}: expected a boolean, got {type(value).__name__}")


def _check_range(size: int, meta: dict[str, Any], path: str, what: str, out: list[str]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and size < low:
        out.append(f"{path}: {what} {size} is below the minimum {low}")
    if high is not None and size > high:
        out.append(f"{path}: {what} {size} is above the maximum {high}")


def check_request(operation: str, body: dict[str, Any]) -> list[str]:
    """Problems of a request body against the operation's input shape (unknown members ignored)."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return []
    return check_shape(body, shape, operation, allow_unknown=True)


def check_response(operation: str, body: dict[str, Any]) -> list[str]:
    """Problems of a response body against the operation's output shape (strict)."""
    shape = operation_model(operation).output_shape
    if shape is None:
        return [] if not body else [f"{operation}: expected an empty response, got {sorted(body)}"]
    return check_shape(body, shape, operation)
