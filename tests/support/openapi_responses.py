"""Every answer of the API checked against docs/openapi.json: the operation the request reached
(method and path template), a status that operation declares, and a body its schema accepts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
DOCUMENT_URI = "urn:drs-orchestrator:openapi"
# API Gateway's own answers (IAM refusal, body too large, function crashed): not the function's,
# so not in its document. The sandbox gives them as API Gateway does.
GATEWAY_STATUSES = frozenset({403, 413, 502, 504})
# The sandbox's own routes and the console's files are not the API.
NOT_THE_API = re.compile(r"^/(_sandbox|console)(/|$)")


# The sandbox answers /health itself, 503 with Retry-After, until its scenario is loaded (its
# contract; a deployed stack's API Gateway answers only once the function can).
SANDBOX_STARTING = (503, "/health")


@dataclass(frozen=True)
class Answer:
    method: str
    path: str  # without the query
    status: int
    content_type: str
    body: bytes


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return document


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in _document()["paths"]:
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        found.append((re.compile(pattern), template))
    # Literal segments win over parameters (as the router matches them).
    return sorted(found, key=lambda f: f[1].count("{"))


def _resolve_components(schema: dict[str, Any]) -> dict[str, Any]:
    """``#/components/...`` refs made absolute against the document's URI."""
    text = json.dumps(schema).replace('"#/components/', f'"{DOCUMENT_URI}#/components/')
    resolved: dict[str, Any] = json.loads(text)
    return resolved


def template_of(method: str, path: str) -> str | None:
    for pattern, template in _templates():
        if pattern.match(path) and method.lower() in _document()["paths"][template]:
            return template
    return None


def _sandbox_starting(answer: Answer) -> bool:
    return (answer.status, answer.path.rstrip("/")) == SANDBOX_STARTING


def problems(answer: Answer) -> list[str]:
    """What in ``answer`` the document does not allow (empty: it conforms)."""
    if NOT_THE_API.match(answer.path) or answer.status in GATEWAY_STATUSES or _sandbox_starting(answer):
        return []
    where = f"{answer.method} {answer.path} -> {answer.status}"
    template = template_of(answer.method, answer.path)
    if template is None:
        if answer.status != 404:
            return [f"{where}: no operation in docs/openapi.json answers this request"]
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    else:
        operation = _document()["paths"][template][answer.method.lower()]
        declared = operation["responses"].get(str(answer.status))
        if declared is None:
            return [f"{where}: status {answer.status} is not declared for {answer.method} {template}"]
        content = declared.get("content")
        if not content:
            return [] if not answer.body else [f"{where}: a body where the document declares none"]
        media = answer.content_type.split(";")[0].strip()
        if media not in content:
            return [f"{where}: media type {media!r} not declared ({', '.join(content)})"]
        if media != "application/json":
            return []
        schema = content[media]["schema"]
    try:
        body = json.loads(answer.body)
    except ValueError:
        return [f"{where}: the body is not JSON"]
    validator = Draft202012Validator(_resolve_components(schema), registry=_registry())
    return [
        f"{where}: {'/'.join(str(p) for p in error.absolute_path) or 'body'}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))[:5]
    ]


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(_document(), default_specification=DRAFT202012)
    return Registry().with_resource(DOCUMENT_URI, resource)
