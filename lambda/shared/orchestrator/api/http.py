"""Request parsing: bodies against their schema, path ids, query parameters, page tokens."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastjsonschema import JsonSchemaValueException

from orchestrator import text_patterns
from orchestrator.api import schemas
from orchestrator.exceptions import BadRequestError, NotFoundError, ValidationFailedError

MAX_BODY_BYTES = 256 * 1024
# Longest id accepted in a path, a query parameter or a nextToken (DynamoDB keys go up to 2 KB;
# every id this API hands out is a 36-character UUID).
MAX_ID_LENGTH = 256
_PRINTABLE_ID = re.compile(r"^[^\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class QueryParam:
    """A query parameter of a route: its OpenAPI schema (with its ``default``, if any) and how a
    given value becomes the value the route reads (``parse`` raises 400 INVALID_QUERY)."""

    name: str
    description: str
    schema: dict[str, Any]
    parse: Callable[[str], Any] | None = None


# ---------------------------------------------------------------------- bodies
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object with a key twice is ambiguous (parsers keep the first or the last): refused."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {_printable(key)!r}")
        obj[key] = value
    return obj


def _printable(text: str) -> str:
    """``text`` safe to echo in a message: lone surrogates become backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# No string of a request, wherever it is (a name, an SSM parameter, a function's payload, a tag),
# may hold NUL or a bidirectional control: NUL cuts C strings and shell arguments short, and the
# bidi controls make text read otherwise than it runs (schemas.py says which fields refuse more).
_HIDDEN = re.compile("[\x00" + text_patterns.BIDI + "]")
_HIDDEN_REASON = "contains a NUL or bidirectional-control character"


def _unstorable_value(body: Any) -> tuple[str, str] | None:
    """The first (field, reason) of a value no store can keep or no operator can read: a string or
    key with a lone UTF-16 surrogate (not encodable as UTF-8) or a NUL or bidirectional control, or
    a number outside the double range. Iterative, so any depth json.loads accepted is walked
    without recursion."""
    pending: list[tuple[str, Any]] = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if not _is_utf8(value):
                return path or "body", "contains a lone UTF-16 surrogate (not valid Unicode text)"
            if _HIDDEN.search(value):
                return path or "body", _HIDDEN_REASON
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path or "body", "is a number out of range"
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{_printable(key)}" if path else _printable(key)
                if not _is_utf8(key):
                    return child, "is a key with a lone UTF-16 surrogate (not valid Unicode text)"
                if _HIDDEN.search(key):
                    return child, f"is a key that {_HIDDEN_REASON.replace('contains', 'holds')}"
                pending.append((child, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _schema_error(e: JsonSchemaValueException, schema_name: str) -> ValidationFailedError:
    field_name = e.name.replace("data.", "", 1) if e.name and e.name != "data" else "body"
    redirect = (
        schemas.REDIRECTED_VALUES.get((schema_name, field_name, e.value))
        if isinstance(e.value, str)
        else None
    )
    if redirect:
        code, text = redirect
        return ValidationFailedError(text, code=code, details={"field": field_name})
    rule = text_patterns.PATTERN_RULES.get(str(e.rule_definition)) if e.rule == "pattern" else None
    if rule:
        message = f"{field_name} {rule}"
    else:
        message = e.message.replace("data.", "", 1).replace("data ", "body ", 1)
    return ValidationFailedError(
        f"invalid {field_name}: {message}", code="VALIDATION_ERROR", details={"field": field_name}
    )


def parse_body(raw: str | None, is_base64: bool, schema_name: str) -> dict[str, Any]:
    """The request body as a validated object; 400 when it is not JSON, 422 when it breaks the schema."""
    text = raw or ""
    if is_base64 and text:
        try:
            text = base64.b64decode(text).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as e:
            raise BadRequestError("the body is not valid UTF-8 JSON", code="MALFORMED_JSON") from e
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise BadRequestError(f"the body is larger than {MAX_BODY_BYTES // 1024} KB", code="BODY_TOO_LARGE")
    if not text.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)
        except RecursionError as e:
            raise BadRequestError(
                "the body is not valid JSON: nested too deeply", code="MALFORMED_JSON"
            ) from e
        except ValueError as e:
            raise BadRequestError(
                f"the body is not valid JSON: {_printable(str(e))}", code="MALFORMED_JSON"
            ) from e
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object", code="MALFORMED_JSON")
    unstorable = _unstorable_value(body)
    if unstorable:
        field_name, reason = unstorable
        raise ValidationFailedError(
            f"invalid {field_name}: {field_name} {reason}",
            code="VALIDATION_ERROR",
            details={"field": field_name},
        )
    try:
        validated: dict[str, Any] = schemas.validator(schema_name)(body)
    except JsonSchemaValueException as e:
        raise _schema_error(e, schema_name) from e
    except RecursionError as e:  # no schema recurses, but never let it escape as a 500
        raise BadRequestError("the body is nested too deeply", code="MALFORMED_JSON") from e
    return validated


# ---------------------------------------------------------------------- paths and queries
def _usable_id(value: str) -> bool:
    return 0 < len(value) <= MAX_ID_LENGTH and bool(_PRINTABLE_ID.match(value)) and _is_utf8(value)


def path_id(value: str, label: str, not_found_code: str) -> str:
    """A path id as given, or 404 when no stored entity can have it (empty, over MAX_ID_LENGTH
    characters, control characters, not Unicode): such ids are never sent to DynamoDB, which would
    refuse the key."""
    if not _usable_id(value):
        shown = _printable(value[:64]) + ("..." if len(value) > 64 else "")
        raise NotFoundError(f"{label} {shown} not found", code=not_found_code)
    return value


def query_params(
    params: Mapping[str, str] | None,
    allowed: tuple[QueryParam, ...],
    multi: Mapping[str, list[str]] | None = None,
) -> dict[str, str]:
    """The query parameters, each given at most once. API Gateway's proxy event keeps only the last
    value of a repeated parameter in ``queryStringParameters`` and every value in ``multi``
    (``multiValueQueryStringParameters``): ``limit=1&limit=2`` would quietly mean 2, so it is 400."""
    given = dict(params or {})
    repeated = sorted(name for name, values in (multi or {}).items() if len(values or []) > 1)
    if repeated:
        name = _printable(repeated[0])
        raise BadRequestError(
            f"query parameter {name} is given {len((multi or {})[repeated[0]])} times; give it once",
            code="INVALID_QUERY",
            details={"field": name},
        )
    unknown = sorted(set(given) - {p.name for p in allowed})
    if unknown:
        names = ", ".join(_printable(n) for n in unknown)
        raise BadRequestError(
            f"unknown query parameter(s): {names}; allowed: {', '.join(p.name for p in allowed) or 'none'}",
            code="INVALID_QUERY",
        )
    for name, value in given.items():
        limit = next(p.schema.get("maxLength") for p in allowed if p.name == name)
        if not _is_utf8(value):
            raise BadRequestError(f"{name} is not valid Unicode text", code="INVALID_QUERY")
        if limit is not None and len(value) > limit:
            raise BadRequestError(f"{name} is longer than {limit} characters", code="INVALID_QUERY")
    return given


def parse_query(given: Mapping[str, str], spec: tuple[QueryParam, ...]) -> dict[str, Any]:
    """A route's query as it reads it, from the parameters ``query_params`` let through: each
    parameter of ``spec`` in order parsed (or its schema's default where it is not given)."""
    parsed: dict[str, Any] = {}
    for param in spec:
        if param.name in given:
            value = given[param.name]
            parsed[param.name] = param.parse(value) if param.parse else value
        elif "default" in param.schema:
            parsed[param.name] = param.schema["default"]
    return parsed


def limit_query(default: int, maximum: int, what: str = "page size") -> QueryParam:
    """``limit``: an integer from 1 to ``maximum``, ``default`` when not given."""
    return QueryParam(
        "limit",
        f"{what} (1-{maximum}, default {default})",
        {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        lambda value: limit_param(value, default, maximum),
    )


NEXT_TOKEN = QueryParam(
    "nextToken", "the nextToken of the previous page", {"type": "string", "maxLength": 4096}
)


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


def int_param(name: str, value: str, minimum: int, maximum: int) -> int:
    """A query integer from ``minimum`` to ``maximum`` (400 INVALID_QUERY otherwise)."""
    try:
        number = int(value)
    except ValueError as e:
        raise BadRequestError(
            f"{name} must be an integer from {minimum} to {maximum}", code="INVALID_QUERY"
        ) from e
    if not minimum <= number <= maximum:
        raise BadRequestError(f"{name} must be an integer from {minimum} to {maximum}", code="INVALID_QUERY")
    return number


def bool_param(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise BadRequestError(f"{name} must be true or false", code="INVALID_QUERY")
    return value == "true"


def encode_token(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True, default=str).encode()).decode()


def decode_token(token: str | None, keys: Mapping[str, str | None]) -> dict[str, Any] | None:
    """The DynamoDB start key a nextToken carries, checked against the queried index: exactly the
    attributes of ``keys`` (its table key and index key), each a non-empty string of at most
    MAX_ID_LENGTH characters, equal to the value of ``keys`` where that is not None (the partition
    the query reads). Anything else is 400 INVALID_QUERY, never a DynamoDB ValidationException."""
    if not token:
        return None
    invalid = BadRequestError("nextToken is not a token this API returned", code="INVALID_QUERY")
    if len(token) > 4 * MAX_ID_LENGTH * len(keys):
        raise invalid
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, RecursionError) as e:
        raise invalid from e
    if not isinstance(key, dict) or set(key) != set(keys):
        raise invalid
    for name, value in key.items():
        if not isinstance(value, str) or not _usable_id(value):
            raise invalid
        if keys[name] is not None and value != keys[name]:
            raise invalid
    return key
