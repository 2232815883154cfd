"""The deployed API and the code agree: the same routes, IAM on all but /health, and the committed
OpenAPI document is the one the code generates."""

from __future__ import annotations

import json
import re

from drs_sandbox.cfn import api_routes, load_template
from orchestrator.api.contract import ROUTES
from orchestrator.api.openapi import build_document
from scripts.gen_openapi import main as check_openapi


def test_every_route_of_the_code_is_deployed_and_nothing_else() -> None:
    deployed = {(method, path) for method, path, _auth in api_routes(load_template())}
    coded = {(doc.method, doc.path) for doc in ROUTES}
    assert deployed == coded


def test_every_deployed_route_but_health_requires_iam_authorization() -> None:
    auth = {path: authorizer for _m, path, authorizer in api_routes(load_template())}
    assert auth.pop("/health") == "NONE"
    assert set(auth.values()) == {"AWS_IAM"}


def test_the_committed_openapi_document_is_up_to_date() -> None:
    assert check_openapi(["--check"]) == 0


def test_the_openapi_document_names_every_path_parameter_and_error() -> None:
    document = build_document()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path))
            assert "400" in operation["responses"]


def test_every_response_of_the_openapi_document_has_a_schema() -> None:
    """Given the generated document, every answer of every operation (2xx and errors) has a schema
    that names what it holds, except 204's empty body."""
    document = build_document()
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status == "204":
                    assert "content" not in answer
                    continue
                schema = answer["content"]["application/json"]["schema"]
                assert schema != {"type": "object"}
                name = schema["$ref"].rsplit("/", 1)[1]
                assert name in document["components"]["schemas"]
                if not status.startswith("2"):
                    assert name == "Error"


def test_an_answer_that_lacks_a_field_or_adds_one_breaks_the_document() -> None:
    """The e2e suite's check (tests/support/openapi_responses) is not empty: a health answer with
    a field missing or another field, an error without its code, an undeclared status are refused; conforming pass."""
    from openapi_responses import Answer, problems

    def answer(status: int, body: object, path: str = "/health") -> list[str]:
        return problems(Answer("GET", path, status, "application/json", json.dumps(body).encode()))

    assert answer(200, {"status": "ok", "version": "1.2.3"}) == []
    assert answer(200, {"status": "ok"})
    assert answer(200, {"status": "ok", "version": "1.2.3", "extra": 1})
    assert answer(400, {"error": {"code": "INVALID_QUERY", "message": "m"}}) == []
    assert answer(400, {"error": {"message": "m"}})
    assert answer(409, {"error": {"code": "X", "message": "m"}})
    assert answer(404, {"error": {"code": "ROUTE_NOT_FOUND", "message": "m"}}, "/nowhere") == []
    assert answer(200, {"items": [{"sourceServerId": "s-1"}]}, "/drs/source-servers")
