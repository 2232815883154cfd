"""Request parsing and the route table the OpenAPI document is generated from."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastjsonschema import JsonSchemaValueException

from orchestrator.api import schemas
from orchestrator.exceptions import BadRequestError, ValidationFailedError

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class RouteDoc:
    method: str
    path: str
    summary: str
    status: int
    body: str | None = None  # a schema name of schemas.REQUEST_SCHEMAS
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    auth: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)


ROUTES: list[RouteDoc] = []


def document(doc: RouteDoc) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Record a route's contract (for the OpenAPI document) beside its handler."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append(doc)
        return handler

    return decorate


def parse_body(raw: str | None, is_base64: bool, schema_name: str) -> dict[str, Any]:
    """The request body as a validated object; 400 when it is not JSON, 422 when it breaks the schema."""
    text = raw or ""
    if is_base64 and text:
        try:
            text = base64.b64decode(text).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as e:
            raise BadRequestError("the body is not valid UTF-8 JSON", code="MALFORMED_JSON") from e
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise BadRequestError(f"the body is larger than {MAX_BODY_BYTES // 1024} KB", code="BODY_TOO_LARGE")
    if not text.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(text)
        except ValueError as e:
            raise BadRequestError(f"the body is not valid JSON: {e}", code="MALFORMED_JSON") from e
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object", code="MALFORMED_JSON")
    try:
        validated: dict[str, Any] = schemas.validator(schema_name)(body)
    except JsonSchemaValueException as e:
        field_name = e.name.replace("data.", "", 1) if e.name and e.name != "data" else "body"
        message = e.message.replace("data.", "", 1).replace("data ", "body ", 1)
        raise ValidationFailedError(
            f"invalid {field_name}: {message}", code="VALIDATION_ERROR", details={"field": field_name}
        ) from e
    return validated


def query_params(params: Mapping[str, str] | None, allowed: tuple[QueryParam, ...]) -> dict[str, str]:
    given = dict(params or {})
    unknown = sorted(set(given) - {p.name for p in allowed})
    if unknown:
        raise BadRequestError(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(p.name for p in allowed) or 'none'}",
            code="INVALID_QUERY",
        )
    return given


def limit_param(value: str | None, default: int = 50, maximum: int = 100) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as e:
        raise BadRequestError(f"limit must be an integer from 1 to {maximum}", code="INVALID_QUERY") from e
    if not 1 <= number <= maximum:
        raise BadRequestError(f"limit must be an integer from 1 to {maximum}", code="INVALID_QUERY")
    return number


def encode_token(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True, default=str).encode()).decode()


def decode_token(token: str | None, required_keys: set[str]) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise BadRequestError("nextToken is not a token this API returned", code="INVALID_QUERY") from e
    if (
        not isinstance(key, dict)
        or not required_keys <= set(key)
        or not all(isinstance(v, str) for v in key.values())
    ):
        raise BadRequestError("nextToken is not a token this API returned", code="INVALID_QUERY")
    return key
