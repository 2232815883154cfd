"""Request plumbing shared by the operations: body validation, pagination, date filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from drs_sandbox.drs import errors
from drs_sandbox.drs.wire import check_request, decode_token, encode_token, parse_iso

T = TypeVar("T")


def validate_body(operation: str, body: Any) -> None:
    """ValidationException (with DRS's fieldList) when `body` does not fit the input shape."""
    if not isinstance(body, dict):
        raise errors.validation_error("The request body must be a JSON object", "cannotParse")
    problems = check_request(operation, body)
    if problems:
        raise errors.validation_error(
            f"{len(problems)} validation error(s) detected: {'; '.join(problems)}",
            fields=[{"name": p.split(":", 1)[0], "message": p.split(":", 1)[-1].strip()} for p in problems],
        )


def page(
    items: list[T], keys: Sequence[int], body: dict[str, Any], max_page: int
) -> tuple[list[T], str | None]:
    """One page of `items` (sorted by ascending `keys`) after the nextToken's key, and the token
    for the next page (None on the last). Keys, not offsets, so items added meanwhile do not
    shift a walk already under way."""
    start = 0
    token = body.get("nextToken")
    if token:
        try:
            after = decode_token(token)["after"]
            if isinstance(after, bool) or not isinstance(after, int):
                raise ValueError("bad key")
        except (ValueError, KeyError) as exc:
            raise errors.validation_error(
                "Invalid nextToken", fields=[{"name": "nextToken", "message": "not a token this API issued"}]
            ) from exc
        while start < len(keys) and keys[start] <= after:
            start += 1
    size = min(body.get("maxResults") or max_page, max_page)
    more = start + size < len(items)
    return items[start : start + size], encode_token({"after": keys[start + size - 1]}) if more else None


def listing(items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {"items": items}
    if token:
        response["nextToken"] = token
    return response


def date_filter(filters: dict[str, Any], name: str) -> float | None:
    if not filters.get(name):
        return None
    try:
        return parse_iso(filters[name])
    except ValueError as exc:
        raise errors.validation_error(
            f"{name} is not an ISO-8601 date-time", fields=[{"name": f"filters.{name}", "message": str(exc)}]
        ) from exc
