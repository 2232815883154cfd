"""The holes plan validation and request parsing used to leave open, through the running sandbox:
each is refused with the documented status naming the field, and nothing is stored. Then a plan
whose name is shell code runs an SSM command whose command line holds that name as one quoted word."""

from __future__ import annotations

import shlex
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sandbox_api import Api, finished

from drs_sandbox.server import Sandbox


@pytest.fixture(scope="module")
def group_id(sandbox: Sandbox) -> str:
    api = Api(sandbox.url)
    return api.group(api.servers(1))


def plan_body(group_id: str, action: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or f"holes-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "App", "protectionGroupIds": [group_id], "postActions": [action]}],
    }


def plans(api: Api) -> list[dict[str, Any]]:
    return list(api.call("GET", "/recovery-plans", expect=200)["items"])


def refused(api: Api, method: str, path: str, body: Any, status: int = 422) -> dict[str, Any]:
    response = api.http.request(method, api.url + path, json=body, timeout=30)
    assert response.status_code == status, (response.status_code, response.text)
    error: dict[str, Any] = response.json()["error"]
    return error


ACTION_PATH = "waves[0].postActions[0]"
AUTOMATION = "Shop-FailoverDns"  # declared by the shipped three-tier scenario: allowed as an Automation


@pytest.mark.parametrize(
    ("action", "field", "words"),
    [
        (
            {"name": "dns", "type": "SSM_AUTOMATION", "documentName": AUTOMATION},
            f"{ACTION_PATH}.parameters",
            "needs parameters",
        ),
        (
            {"name": "dns", "type": "SSM_AUTOMATION", "documentName": AUTOMATION, "parameters": {}},
            f"{ACTION_PATH}.parameters",
            "needs parameters",
        ),
        (
            {
                "name": "dns",
                "type": "SSM_AUTOMATION",
                "documentName": AUTOMATION,
                "parameters": {"Zone": [""]},
            },
            f"{ACTION_PATH}.parameters.Zone[0]",
            "1 to 512 characters",
        ),
        (
            {
                "name": "dns",
                "type": "SSM_AUTOMATION",
                "documentName": "AWS-RunShellScript",
                "parameters": {"commands": ["true"]},
            },
            f"{ACTION_PATH}.documentName",
            "AllowedSsmAutomationDocuments",
        ),
        (
            {
                "name": "dns",
                "type": "SSM_COMMAND",
                "documentName": AUTOMATION,
                "parameters": {"InstanceIds": ["{{instanceIds}}"]},
            },
            f"{ACTION_PATH}.documentName",
            "AllowedSsmCommandDocuments",
        ),
        (
            {"name": "fn", "type": "LAMBDA", "functionName": "drs-actions-"},
            f"{ACTION_PATH}.functionName",
            "at least one character",
        ),
        (
            {
                "name": "check",
                "type": "SSM_COMMAND",
                "documentName": "AWS-RunShellScript",
                "parameters": {"commands": ["echo ok\x00; rm -rf /"]},
            },
            f"{ACTION_PATH}.parameters.commands[0]",
            "NUL or bidirectional",
        ),
        (
            {
                "name": "check",
                "type": "SSM_COMMAND",
                "documentName": "AWS-RunShellScript",
                "parameters": {"commands": ["echo safe \u202e;fr- mr"]},
            },
            f"{ACTION_PATH}.parameters.commands[0]",
            "NUL or bidirectional",
        ),
        (
            {
                "name": "check",
                "type": "SSM_COMMAND",
                "documentName": "AWS-RunShellScript",
                "parameters": {"commands": ["echo \x1b[2Jhidden"]},
            },
            f"{ACTION_PATH}.parameters.commands[0]",
            "control characters",
        ),
        (
            {
                "name": "fn",
                "type": "LAMBDA",
                "functionName": "drs-actions-x",
                "payload": {"note": "a\u2066b"},
            },
            f"{ACTION_PATH}.payload.note",
            "NUL or bidirectional",
        ),
    ],
)
def test_a_plan_with_a_validation_hole_is_refused_naming_the_field_and_nothing_is_stored(
    api: Api, group_id: str, action: dict[str, Any], field: str, words: str
) -> None:
    """Given a stored plan; when a plan with one of the holes is created, or the stored plan is
    replaced by it; then both answer 422 VALIDATION_ERROR naming the field, no plan is added and
    the stored plan is unchanged."""
    stored = api.call(
        "POST",
        "/recovery-plans",
        plan_body(group_id, {"name": "w", "type": "WAIT", "durationSeconds": 60}),
        expect=201,
    )
    before = plans(api)

    for method, path in (("POST", "/recovery-plans"), ("PUT", f"/recovery-plans/{stored['planId']}")):
        error = refused(api, method, path, plan_body(group_id, action))
        assert (error["code"], error["details"]) == ("VALIDATION_ERROR", {"field": field}), error
        assert words in error["message"], error["message"]

    assert plans(api) == before
    assert api.call("GET", f"/recovery-plans/{stored['planId']}", expect=200) == stored


def test_an_automation_with_parameters_on_the_automation_list_is_accepted(api: Api, group_id: str) -> None:
    """Given the allowed Automation document with a parameter; when a plan runs it; then it is stored."""
    action = {
        "name": "dns",
        "type": "SSM_AUTOMATION",
        "documentName": AUTOMATION,
        "parameters": {"InstanceIds": ["{{instanceIds}}"]},
    }
    created = api.call("POST", "/recovery-plans", plan_body(group_id, action), expect=201)
    assert created["waves"][0]["postActions"][0]["parameters"] == action["parameters"]


def test_the_sandbox_stack_keeps_two_document_lists(sandbox: Sandbox, api: Api) -> None:
    """Given the sandbox built from template.yaml; then its stack has a Command list and an
    Automation list, and the scenarios' automation is on the second only."""
    parameters = api.call("GET", "/_sandbox/info", expect=200)["parameters"]
    commands = parameters["AllowedSsmCommandDocuments"].split(",")
    automations = parameters["AllowedSsmAutomationDocuments"].split(",")
    assert "AWS-RunShellScript" in commands and AUTOMATION not in commands
    assert AUTOMATION in automations and "AWS-RunShellScript" not in automations
    assert "AllowedSsmDocuments" not in parameters


@pytest.mark.parametrize(
    ("query", "name"),
    [("limit=1&limit=2", "limit"), ("status=FAILED&status=COMPLETED", "status")],
)
def test_a_repeated_query_parameter_is_a_400_naming_it(api: Api, query: str, name: str) -> None:
    """Given a listing; when a query parameter is given twice; then 400 INVALID_QUERY names it,
    instead of silently using the last value."""
    error = refused(api, "GET", f"/executions?{query}", None, status=400)
    assert (error["code"], error["details"]) == ("INVALID_QUERY", {"field": name})
    assert f"query parameter {name} is given 2 times" in error["message"]
    # And the same parameter given once is answered
    once = query.partition("&")[0]
    assert isinstance(api.call("GET", f"/executions?{once}", expect=200)["items"], list)


def test_a_repeated_report_format_is_a_400_naming_it(api: Api) -> None:
    """Given any execution id; when the report is asked for in two formats at once; then 400
    names format (the query is read before the execution is looked up)."""
    error = refused(api, "GET", f"/executions/{uuid.uuid4()}/report?format=html&format=json", None, 400)
    assert (error["code"], error["details"]) == ("INVALID_QUERY", {"field": "format"})


def test_the_drill_route_offers_drill_only_and_still_points_a_recovery_to_its_route(
    api: Api, group_id: str
) -> None:
    """Given the published OpenAPI document; then the drill route's body offers DRILL only; and
    a RECOVERY asked for there is still 422 RECOVERY_ROUTE_REQUIRED, another value a plain 422."""
    document = api.call("GET", "/openapi.json", expect=200)
    schema = document["components"]["schemas"]["StartExecution"]
    assert schema["properties"]["executionType"]["enum"] == ["DRILL"]
    plan_id = api.call(
        "POST",
        "/recovery-plans",
        plan_body(group_id, {"name": "w", "type": "WAIT", "durationSeconds": 60}),
        expect=201,
    )["planId"]
    path = f"/recovery-plans/{plan_id}/executions"
    recovery = refused(api, "POST", path, {"executionType": "RECOVERY"})
    assert (recovery["code"], recovery["details"]) == ("RECOVERY_ROUTE_REQUIRED", {"field": "executionType"})
    other = refused(api, "POST", path, {"executionType": "FAILBACK"})
    assert (other["code"], other["details"]) == ("VALIDATION_ERROR", {"field": "executionType"})
    assert api.call("GET", f"/executions?planId={plan_id}", expect=200)["items"] == []


def test_a_plan_named_like_shell_code_runs_commands_that_hold_its_name_quoted(api: Api) -> None:
    """Given a plan named ``x'; touch /tmp/pwned; '`` whose wave is named ``$(reboot) `id```, with a
    shell and a PowerShell command that print both names; when the drill runs; then the SSM
    simulator recorded command lines where each name is one literal word: the Linux line splits
    back into exactly echo, the plan name and the wave name, and a real shell running it prints
    them and touches nothing; the PowerShell line single-quotes the name, inner quotes doubled."""
    plan_name = f"x'; touch /tmp/pwned; ' {uuid.uuid4().hex[:6]}"
    wave_name = "$(reboot) `id`"
    servers = api.servers(1)
    body = {
        "name": plan_name,
        "waves": [
            {
                "waveName": wave_name,
                "protectionGroupIds": [api.group(servers)],
                "postActions": [
                    {
                        "name": "linux",
                        "type": "SSM_COMMAND",
                        "documentName": "AWS-RunShellScript",
                        "parameters": {"commands": ["echo {{planName}} {{waveName}}"]},
                    },
                    {
                        "name": "windows",
                        "type": "SSM_COMMAND",
                        "documentName": "AWS-RunPowerShellScript",
                        "parameters": {"commands": ["Write-Output {{planName}}"]},
                    },
                ],
            }
        ],
    }
    plan_id = api.call("POST", "/recovery-plans", body, expect=201)["planId"]
    since = len(api.call("GET", "/_sandbox/invocations", expect=200)["invocations"])

    execution_id = api.start(plan_id)
    final, _ = api.watch(execution_id, finished, timeout=240)

    assert final["status"] == "COMPLETED", final
    commands = [
        entry
        for entry in api.call("GET", "/_sandbox/invocations", expect=200)["invocations"][since:]
        if entry["kind"] == "COMMAND" and execution_id[:8] in entry.get("comment", "")
    ]
    by_document = {entry["name"]: entry["parameters"]["commands"] for entry in commands}
    (linux,) = by_document["AWS-RunShellScript"]
    assert linux == f"echo {shlex.quote(plan_name)} {shlex.quote(wave_name)}"
    assert shlex.split(linux) == ["echo", plan_name, wave_name]
    # And a real POSIX shell running the recorded line prints both names and runs nothing of them
    pwned = Path("/tmp/pwned")
    existed = pwned.exists()
    ran = subprocess.run(["sh", "-c", linux], capture_output=True, text=True, check=True, timeout=30)
    assert ran.stdout == f"{plan_name} {wave_name}\n"
    assert pwned.exists() == existed
    (windows,) = by_document["AWS-RunPowerShellScript"]
    assert windows == "Write-Output '" + plan_name.replace("'", "''") + "'"
