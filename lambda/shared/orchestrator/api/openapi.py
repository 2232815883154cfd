"""The OpenAPI 3 document, generated from the routes' declarations (api/routes/), the request schemas
the API validates with (schemas.py) and the response schemas (responses.py)."""

from __future__ import annotations

import re
from typing import Any

from orchestrator.api import app as _app  # noqa: F401  (declares every route)
from orchestrator.api import responses, schemas
from orchestrator.api.contract import ROUTES, Route
from orchestrator.version import VERSION

TITLE = "DRS Orchestrator API"
ERROR_TEXT = {
    400: "Malformed request (not JSON, too large, bad query parameter)",
    404: "Unknown id or route",
    409: "Conflicts with the current state",
    422: "Well-formed but invalid",
}


def _success(doc: Route) -> dict[str, Any]:
    if doc.response is None:
        return {"description": "Success (no body)"}
    content: dict[str, Any] = {"application/json": {"schema": responses.ref(doc.response)}}
    for media in doc.alternatives:
        content[media] = {"schema": {"type": "string"}}
    return {"description": "Success", "content": content}


def _operation(doc: Route) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in doc.path_params
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": False, "description": q.description, "schema": q.schema}
        for q in doc.query
    ]
    error = {"application/json": {"schema": responses.ref("Error")}}
    answers: dict[str, Any] = {str(doc.status): _success(doc)}
    for code in doc.error_statuses:
        answers[str(code)] = {"description": ERROR_TEXT.get(code, "Error"), "content": error}
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{doc.method.lower()}{doc.path}").strip("_"),
        "tags": list(doc.tags),
        "parameters": parameters,
        "responses": answers,
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
    components.update(responses.components())
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
