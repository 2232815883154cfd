"""No single passing fault costs a wave or an event, through the sandbox (the real state machine and
handlers; faults armed with POST /_sandbox/faults failOperations on the handlers' own AWS calls)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from sandbox_api import TIME_SCALE, Api, finished

from drs_sandbox.server import Sandbox

LONG = 300  # seconds: botocore's own backoff (up to 9 attempts a call) and Step Functions' Retry


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox.url)
    yield client
    client.call("DELETE", "/_sandbox/faults", expect=200)


def arm(api: Api, operation: str, **spec: Any) -> None:
    api.call("POST", "/_sandbox/faults", {"failOperations": {operation: spec}}, expect=200)


def function(api: Api) -> str:
    name = f"drs-actions-freeze-{uuid.uuid4().hex[:6]}"
    declared = {"name": name, "outcome": "SUCCEEDED", "output": {"frozen": True}}
    api.call("POST", "/_sandbox/functions", {"functions": [declared]}, expect=200)
    return name


def runbook_plan(api: Api, function_name: str, **action: Any) -> str:
    body = {
        "name": f"faults-{uuid.uuid4().hex[:8]}",
        "waves": [
            {
                "waveName": "Only",
                "protectionGroupIds": [api.group(api.servers(1))],
                "preActions": [{"name": "freeze", "type": "LAMBDA", "functionName": function_name, **action}],
                "postActions": [{"name": "settle", "type": "WAIT", "durationSeconds": 60}],
            }
        ],
    }
    return str(api.call("POST", "/recovery-plans", body, expect=201)["planId"])


def timeline(api: Api, execution_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = ""
    while True:
        page = api.call(
            "GET",
            f"/executions/{execution_id}/timeline?limit=50" + (f"&nextToken={token}" if token else ""),
            expect=200,
        )
        events += page["items"]
        token = page.get("nextToken") or ""
        if not token:
            return events


def shape(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What an event is, without times and ids that differ from one drill to the next."""
    return sorted(
        (
            e["type"],
            e.get("waveNumber"),
            (e.get("details") or {}).get("action"),
            (e.get("details") or {}).get("attempt"),
        )
        for e in events
    )


def invocations_of(api: Api, name: str) -> list[dict[str, Any]]:
    return [i for i in api.call("GET", "/_sandbox/invocations", expect=200)["invocations"] if name in str(i)]


# --- 10 ----------------------------------------------------------------------------------------------


def test_a_lambda_action_meeting_three_lambda_5xx_succeeds_and_the_drill_completes(api: Api) -> None:
    # Given a LAMBDA pre-action allowed one attempt
    name = function(api)
    plan_id = runbook_plan(api, name, maxAttempts=1)
    # And Lambda answering the next 3 Invoke calls with ServiceException (500)
    arm(api, "lambda:Invoke", count=3)
    # When the drill runs
    final, _ = api.watch(api.start(plan_id), finished, timeout=LONG)
    # Then the faults cost no attempt: the action succeeded on its only attempt, the drill completed
    action = final["waves"][0]["actions"][0]
    assert (action["status"], action["attempts"]) == ("SUCCEEDED", 1), action
    assert final["status"] == "COMPLETED"
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    assert len(invocations_of(api, name)) == 1


# --- 11 ----------------------------------------------------------------------------------------------


def test_a_drill_whose_timeline_writes_fail_for_a_while_completes_with_every_event_in_its_report(
    api: Api,
) -> None:
    # Given the events of an undisturbed drill of a plan with a LAMBDA pre-action and a WAIT post-action
    baseline = api.start(runbook_plan(api, function(api)))
    api.watch(
        baseline, lambda r: finished(r) and bool(r.get("reportLocation") or r.get("report")), timeout=LONG
    )
    expected = timeline(api, baseline)
    # When the same drill runs while the handlers' DynamoDB PutItem fails (12 attempts: at least one
    # call fails through all of botocore's retries, and the step it belongs to fails)
    execution_id = api.start(runbook_plan(api, function(api)))
    arm(api, "dynamodb:PutItem", count=12)
    final, _ = api.watch(execution_id, finished, timeout=LONG)
    # Then it completed with every event of the undisturbed drill
    assert final["status"] == "COMPLETED"
    api.watch(
        execution_id,
        lambda r: any(e["type"] == "REPORT_WRITTEN" for e in timeline(api, execution_id)),
        timeout=LONG,
    )
    events = timeline(api, execution_id)
    assert shape([e for e in events if not e["type"].startswith("SERVER_")]) == shape(
        [e for e in expected if not e["type"].startswith("SERVER_")]
    )
    # (a server's intermediate phases are noted as the polls happen to see them, which depends on
    # the machine's pace; the moments it reached are not: launched and ready, once each)
    assert settled_moments(events) == settled_moments(expected)
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    # And the report lists them all
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    assert shape(report["timeline"]) == shape(events)


def settled_moments(events: list[dict[str, Any]]) -> list[str]:
    """The server moments every run reaches (SERVER_PHASE events depend on when the polls ran)."""
    return sorted(
        e["type"] for e in events if e["type"] in ("SERVER_LAUNCHED", "SERVER_READY", "SERVER_FAILED")
    )


# --- 13 ----------------------------------------------------------------------------------------------


def test_a_drill_started_right_after_terminating_the_previous_one_is_refused_naming_the_job(
    api: Api,
) -> None:
    # Given a completed drill whose recovery instances are being terminated
    plan_id = api.plan([(api.servers(2), False)])
    first, _ = api.watch(api.start(plan_id), finished)
    assert first["status"] == "COMPLETED"
    api.call("POST", f"/executions/{first['executionId']}/terminate-instances", {}, expect=202)
    # When the same plan is started again at once
    response = api.http.post(
        f"{api.url}/recovery-plans/{plan_id}/executions", json={"executionType": "DRILL"}, timeout=30
    )
    # Then it is refused with 409 naming the termination job (not failed at StartRecovery)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "SERVER_IN_ACTIVE_DRS_JOB"
    assert error["details"]["jobType"] == "TERMINATE" and error["details"]["jobId"] in error["message"]
    # And once the termination ended, the drill starts and completes
    deadline = threading.Event()
    for _ in range(600):
        response = api.http.post(
            f"{api.url}/recovery-plans/{plan_id}/executions", json={"executionType": "DRILL"}, timeout=30
        )
        if response.status_code != 409:
            break
        assert response.json()["error"]["code"] == "SERVER_IN_ACTIVE_DRS_JOB"
        deadline.wait(0.2)
    assert response.status_code == 202, response.text
    again, _ = api.watch(response.json()["executionId"], finished)
    assert again["status"] == "COMPLETED"


# --- 16 ----------------------------------------------------------------------------------------------


def test_the_simulator_answers_drs_errors_botocore_declares_for_each_operation(sandbox: Sandbox) -> None:
    # Given botocore's DRS model and the sandbox's DRS endpoint, through boto3 as the handlers call it
    model = botocore.session.get_session().get_service_model("drs")
    drs = boto3.client(
        "drs",
        endpoint_url=sandbox.stack.drs_endpoint,
        region_name="us-east-1",
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    calls = {
        "StartRecovery": lambda: drs.start_recovery(
            sourceServers=[{"sourceServerID": "s-0000000000000dead"}]
        ),
        "DescribeJobLogItems": lambda: drs.describe_job_log_items(jobID="drsjob-00000000000000000"),
        "TerminateRecoveryInstances": lambda: drs.terminate_recovery_instances(
            recoveryInstanceIDs=["i-0123456789abcdef0"]
        ),
    }
    for operation, call in calls.items():
        # When an unknown resource is named
        with pytest.raises(ClientError) as refused:
            call()
        # Then the error is one the operation declares, parsed by botocore into its modeled class
        code = refused.value.response["Error"]["Code"]
        declared = {shape.name for shape in model.operation_model(operation).error_shapes}
        assert code in declared, (operation, code)
        assert code != "ResourceNotFoundException"
        assert type(refused.value).__name__ == code
