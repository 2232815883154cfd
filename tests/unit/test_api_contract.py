"""The deployed API and the code agree: the same routes, IAM on all but /health, and the committed
OpenAPI document is the one the code generates."""

from __future__ import annotations

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
