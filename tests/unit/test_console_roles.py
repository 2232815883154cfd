"""The console's IAM roles, read from template.yaml: a real recovery is never reachable with a drill's
permissions. Each deployed route is matched, as IAM matches execute-api:Invoke resources, against
the policies of each role."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest

from drs_sandbox.cfn import api_routes, load_template

ROLES = ("ConsoleViewerRole", "ConsoleOperatorRole", "ConsoleAdministratorRole")
PREFIX = "arn:aws:execute-api:us-east-1:123456789012:api-id/prod"
SUBSTITUTIONS = {
    "${AWS::Partition}": "aws",
    "${AWS::Region}": "us-east-1",
    "${AWS::AccountId}": "123456789012",
    "${OrchestratorApi}": "api-id",
}
RECOVERY_ROUTES = {
    ("POST", "/recovery-plans/{planId}/recovery"),
    ("POST", "/executions/{executionId}/terminate-recovery-instances"),
    # relaunching a RECOVERY's failed production servers
    ("POST", "/executions/{executionId}/retry-recovery"),
    # going on without a RECOVERY's failed production wave
    ("POST", "/executions/{executionId}/skip-recovery"),
}


def _arn(resource: Any) -> str:
    text = str(resource["Fn::Sub"]) if isinstance(resource, dict) else str(resource)
    for name, value in SUBSTITUTIONS.items():
        text = text.replace(name, value)
    return text


def _allowed_patterns(template: dict[str, Any], role: str) -> list[str]:
    resources = template["Resources"]
    patterns: list[str] = []
    for ref in resources[role]["Properties"]["ManagedPolicyArns"]:
        document = resources[ref["Ref"]]["Properties"]["PolicyDocument"]
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            assert statement["Action"] == "execute-api:Invoke"
            patterns += [_arn(r) for r in statement["Resource"]]
    return patterns


def _may(patterns: list[str], method: str, path: str) -> bool:
    """IAM's wildcards: `*` any characters (`/` included), `?` one character."""
    concrete = f"{PREFIX}/{method}" + re.sub(r"{[^}]+}", "id-1", path)
    return any(fnmatch.fnmatchcase(concrete, p) for p in patterns)


@pytest.fixture(scope="module")
def permissions() -> dict[str, set[tuple[str, str]]]:
    template = load_template()
    routes = [(method, path) for method, path, _auth in api_routes(template)]
    return {role: {r for r in routes if _may(_allowed_patterns(template, role), *r)} for role in ROLES}


def test_operators_may_start_drills_but_never_a_real_recovery(
    permissions: dict[str, set[tuple[str, str]]],
) -> None:
    operators = permissions["ConsoleOperatorRole"]
    assert ("POST", "/recovery-plans/{planId}/executions") in operators
    assert ("POST", "/executions/{executionId}/terminate-instances") in operators
    # and may postpone the automatic cleanup of a drill's instances
    assert ("POST", "/executions/{executionId}/cleanup") in operators
    # the runbook: approve (resume), retry or skip a drill's failed wave
    for action in ("resume", "retry", "skip"):
        assert ("POST", f"/executions/{{executionId}}/{action}") in operators
    assert not operators & RECOVERY_ROUTES


def test_administrators_may_start_a_recovery_and_terminate_its_instances(
    permissions: dict[str, set[tuple[str, str]]],
) -> None:
    assert permissions["ConsoleAdministratorRole"] >= RECOVERY_ROUTES
    assert permissions["ConsoleOperatorRole"] <= permissions["ConsoleAdministratorRole"]


def test_viewers_may_only_read(permissions: dict[str, set[tuple[str, str]]]) -> None:
    assert permissions["ConsoleViewerRole"]
    assert {method for method, _path in permissions["ConsoleViewerRole"]} == {"GET"}
