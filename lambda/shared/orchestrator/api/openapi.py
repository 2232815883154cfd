"""The OpenAPI 3 document, generated from the route table and the schemas the API validates with."""

from __future__ import annotations

import re
from typing import Any

from orchestrator.api import app as _routes  # noqa: F401  (registers every route)
from orchestrator.api import schemas
from orchestrator.api.http import ROUTES, RouteDoc

TITLE = "DRS Orchestrator API"
VERSION = "1.0.0"
ERROR_TEXT = {
    400: "Malformed request (not JSON, too large, bad query parameter)",
    404: "Unknown id or route",
    409: "Conflicts with the current state",
    422: "Well-formed but invalid",
}


def _operation(doc: RouteDoc) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", doc.path)
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": False, "description": q.description, "schema": q.schema}
        for q in doc.query
    ]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    responses: dict[str, Any] = {
        str(doc.status): {"description": "Success"}
        if doc.status == 204
        else {"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}}
    }
    codes = {400, *doc.errors}
    if "{" in doc.path:
        codes.add(404)
    if doc.body:
        codes.add(422)
    for code in sorted(codes):
        responses[str(code)] = {"description": ERROR_TEXT.get(code, "Error"), "content": error}
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{doc.method.lower()}{doc.path}").strip("_"),
        "tags": list(doc.tags),
        "parameters": parameters,
        "responses": responses,
    }
    if doc.body:
        operation["requestBody"] = {
            "required": doc.body not in schemas.OPTIONAL_BODIES,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{doc.body}"}}},
        }
    if not doc.auth:
        operation["security"] = []
    return operation


def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for doc in sorted(ROUTES, key=lambda d: (d.path, d.method)):
        paths.setdefault(doc.path, {})[doc.method.lower()] = _operation(doc)
    components = {name: dict(schema) for name, schema in schemas.REQUEST_SCHEMAS.items()}
    components["Error"] = schemas.ERROR
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Multi-wave recovery plans for AWS Elastic Disaster Recovery. Every route but "
            "/health requires IAM (SigV4) authorization.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            },
        },
        "security": [{"sigv4": []}],
    }
