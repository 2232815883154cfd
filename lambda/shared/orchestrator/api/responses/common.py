"""What every response schema is built from: value types, closed objects, lists and pages, the
stored catalog entity, the error answer."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
TIME = {"type": "string", "description": "ISO-8601 UTC"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ANY: dict[str, Any] = {}  # a field whose shape is the producer's (an error as DRS or a function gave it)
IDENTITY = ref("ReportIdentity")  # who acted, as the report writes it
NEXT_TOKEN = nullable({"type": "string", "description": "Give it as nextToken for the next page"})


def closed(
    title: str, properties: dict[str, Any], required: list[str] | None = None, description: str = ""
) -> dict[str, Any]:
    """An object with these properties and no other; ``required``: those it always has (all of them
    when not given, in their order)."""
    schema: dict[str, Any] = {
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else required,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def fields_of(names: tuple[str, ...], known: dict[str, Any]) -> dict[str, Any]:
    """Every field of ``names`` (a view's field list) with its schema: each must be in ``known``, so
    a field added to a view without a schema fails at import (and the contract test)."""
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"no response schema for field(s) {missing}")
    return {n: known[n] for n in names}


def page(title: str, item: str) -> dict[str, Any]:
    return closed(title, {"items": {"type": "array", "items": ref(item)}, "nextToken": NEXT_TOKEN}, ["items"])


def item_list(title: str, item: str) -> dict[str, Any]:
    return closed(title, {"items": {"type": "array", "items": ref(item)}}, ["items"])


ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
