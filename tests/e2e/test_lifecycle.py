"""The execution lifecycle end to end: the real state machine definition executed by moto, the real
execution-handler in-process, the DRS simulator launching moto EC2 instances, all driven through
the REST API and the sandbox's control API, as an operator would."""

from __future__ import annotations

import itertools
import threading
import uuid

import boto3
import requests
from sandbox_api import SLOW, Api, finished, wave_statuses

from drs_sandbox.server import Sandbox


def test_three_waves_run_in_order_and_complete_only_once_every_server_runs(api: Api) -> None:
    # Given a plan of three waves of two servers
    plan_id = api.plan([(api.servers(2), False), (api.servers(2), False), (api.servers(2), False)])
    # When a drill runs to its end
    execution_id = api.start(plan_id)
    final, seen = api.watch(execution_id, finished)
    # Then the waves ran strictly in order and the execution was active until the last one completed
    for record in seen:
        statuses = wave_statuses(record)
        for earlier, later in itertools.pairwise(statuses):
            assert later == "NOT_STARTED" or earlier == "COMPLETED", statuses
        if record["status"] == "COMPLETED":
            assert statuses == ["COMPLETED"] * 3
        else:
            assert record["status"] in {"PENDING", "IN_PROGRESS"}
    assert any(wave_statuses(r)[0] == "IN_PROGRESS" for r in seen)
    # And COMPLETED means every server launched with a running EC2 instance
    assert final["status"] == "COMPLETED"
    assert final["statusLabel"].startswith("COMPLETED")
    servers = api.server_items(execution_id)
    assert len(servers) == 6
    assert {s["launchStatus"] for s in servers} == {"LAUNCHED"}
    assert {s["ec2State"] for s in servers} == {"running"}
    # And start, end and duration are real
    assert final["startTime"] < final["endTime"]
    assert final["durationSeconds"] >= 1
    assert final["progress"]["launched"] == 6
    assert final["canTerminate"]["canTerminate"] is True


def test_pause_before_wave_two_waits_for_resume_then_runs_the_rest(api: Api) -> None:
    # Given a plan that pauses before wave 2
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True), (api.servers(1), False)])
    execution_id = api.start(plan_id)
    # When the execution reaches the pause
    paused, _ = api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    # Then wave 1 is COMPLETED and waves 2-3 have not started
    assert wave_statuses(paused) == ["COMPLETED", "NOT_STARTED", "NOT_STARTED"]
    assert "taskToken" not in paused
    # When the operator resumes
    api.call("POST", f"/executions/{execution_id}/resume", expect=200)
    final, _ = api.watch(execution_id, finished)
    # Then the rest runs and the execution completes
    assert final["status"] == "COMPLETED"
    assert wave_statuses(final) == ["COMPLETED"] * 3
    # And resuming again is a clear conflict
    error = api.call("POST", f"/executions/{execution_id}/resume", expect=409)
    assert error["error"]["code"] == "INVALID_STATE"


def test_cancel_after_first_wave_reports_partial_success_and_offers_termination(api: Api) -> None:
    # Given an execution paused after its first wave
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True), (api.servers(1), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    # When the operator cancels
    api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    final, _ = api.watch(execution_id, finished)
    # Then the completed wave's instances make it a PARTIAL_SUCCESS with the rest CANCELLED
    assert final["status"] == "PARTIAL_SUCCESS"
    assert final["statusLabel"] == "PARTIAL SUCCESS (1 of 3 waves completed)"
    assert wave_statuses(final) == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert final["canTerminate"] == {"canTerminate": True, "reason": None, "hasRecoveryInstances": True}


def test_pause_before_the_first_wave_then_cancel_ends_cancelled_with_nothing_to_terminate(api: Api) -> None:
    # Given a plan that asks for a review before anything launches
    plan_id = api.plan([(api.servers(1), True), (api.servers(1), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    # When the operator cancels
    api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    final, _ = api.watch(execution_id, finished)
    # Then nothing ran: CANCELLED, every wave CANCELLED, no termination offered
    assert final["status"] == "CANCELLED"
    assert wave_statuses(final) == ["CANCELLED", "CANCELLED"]
    assert final["canTerminate"]["canTerminate"] is False
    assert final["canTerminate"]["hasRecoveryInstances"] is False
    error = api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=409)
    assert error["error"]["code"] == "CANNOT_TERMINATE"


def test_cancel_mid_wave_stays_cancelling_until_the_wave_jobs_end(api: Api) -> None:
    # Given a first wave that takes a while
    plan_id = api.plan([(api.servers(2, phaseDurations=SLOW), False), (api.servers(1), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    # When the operator cancels during it
    cancelled = api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    final, seen = api.watch(execution_id, finished)
    # Then the execution reports CANCELLING while DRS finishes the running wave
    assert cancelled["status"] == "CANCELLING"
    assert any(r["status"] == "CANCELLING" and wave_statuses(r)[0] == "IN_PROGRESS" for r in seen)
    # And the finished wave left instances, so the result is PARTIAL_SUCCESS; wave 2 never started
    assert wave_statuses(final) == ["COMPLETED", "CANCELLED"]
    assert final["status"] == "PARTIAL_SUCCESS"


def test_a_failing_critical_server_fails_wave_two_and_wave_three_never_starts(api: Api) -> None:
    # Given wave 2 holds a CRITICAL server whose launch fails
    failing = api.servers(1, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = api.plan([(api.servers(1), False), (failing, False), (api.servers(1), False)])
    # When the drill runs
    final, _ = api.watch(api.start(plan_id), finished)
    # Then wave 2 FAILED naming the server, wave 3 never started, and wave 1's instances remain
    assert wave_statuses(final) == ["COMPLETED", "FAILED", "NOT_STARTED"]
    assert final["status"] == "PARTIAL_SUCCESS"
    assert failing[0] in final["waves"][1]["error"]
    assert final["canTerminate"]["canTerminate"] is True


def test_a_failing_optional_server_lets_the_execution_complete_with_a_warning(api: Api) -> None:
    # Given the failing server is OPTIONAL
    good, optional = api.servers(1), api.servers(1, launchOutcome="FAILED", failPhase="CONVERSION")
    group = api.group(good + optional, serverImpactLevels={optional[0]: "OPTIONAL"})
    body = {
        "name": f"plan-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "Only", "protectionGroupIds": [group]}],
    }
    plan_id = api.call("POST", "/recovery-plans", body, expect=201)["planId"]
    # When the drill runs
    final, _ = api.watch(api.start(plan_id), finished)
    # Then it COMPLETES, with a warning naming the optional server
    assert final["status"] == "COMPLETED"
    assert any(optional[0] in w for w in final["waves"][0]["warnings"])


def test_an_error_inside_a_poll_finalizes_the_execution_instead_of_leaving_it_running(api: Api) -> None:
    # Given a running execution whose first wave completed
    plan_id = api.plan([(api.servers(1), False), (api.servers(1, phaseDurations=SLOW), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[1] == "IN_PROGRESS")
    # When DRS starts refusing the poll's calls (permissions revoked)
    api.call("POST", "/_sandbox/faults", {"denyOperations": {"DescribeJobs": 1000}}, expect=200)
    try:
        final, _ = api.watch(execution_id, finished)
    finally:
        api.call("POST", "/_sandbox/faults", {"denyOperations": {"DescribeJobs": 0}}, expect=200)
    # Then the state machine's Catch finalized it with the error: wave 1's instances make it PARTIAL_SUCCESS
    assert final["status"] == "PARTIAL_SUCCESS"
    assert wave_statuses(final) == ["COMPLETED", "FAILED"]
    assert "AccessDenied" in final["error"]


def test_a_state_machine_stopped_from_outside_is_reconciled_by_find(api: Api, sandbox: Sandbox) -> None:
    # Given a running execution
    plan_id = api.plan([(api.servers(1, phaseDurations=SLOW), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    # When someone stops its state machine execution directly
    info = api.call("GET", "/_sandbox/info", expect=200)
    sfn = boto3.client("stepfunctions", endpoint_url=info["awsEndpoint"], region_name="us-east-1")
    arn = next(
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=info["stateMachineArn"])["executions"]
        if e["name"] == execution_id
    )
    sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped from the console")
    # And the schedule runs find (on a loaded machine the stop may land after the first run: find
    # reconciles only what Step Functions already reports as stopped, so the schedule runs until it has)
    final, _ = api.watch(
        execution_id,
        lambda r: finished(r) or bool(api.call("POST", "/_sandbox/find", expect=200) and False),
    )
    # Then the record is finalized with the reason instead of staying IN_PROGRESS
    assert final["status"] == "FAILED"
    assert "ABORTED" in final["error"]


def test_terminate_after_a_drill_ends_only_that_executions_instances(api: Api) -> None:
    # Given two finished drills of two plans
    first_plan = api.plan([(api.servers(2), False)])
    second_plan = api.plan([(api.servers(1), False)])
    first, _ = api.watch(api.start(first_plan), finished)
    second, _ = api.watch(api.start(second_plan), finished)
    # When the first one's instances are terminated
    api.call("POST", f"/executions/{first['executionId']}/terminate-instances", expect=202)
    again = api.call("POST", f"/executions/{first['executionId']}/terminate-instances", expect=409)
    # (the scheduled find follows TERMINATE jobs; the test runs the schedule itself)
    done, _ = api.watch(
        first["executionId"],
        lambda r: (
            r.get("instancesTerminated") is True
            or bool(api.call("POST", "/_sandbox/find", expect=200) and False)
        ),
    )
    # Then exactly its EC2 instances are terminated and the other drill's keep running
    info = api.call("GET", "/_sandbox/info", expect=200)
    ec2 = boto3.client("ec2", endpoint_url=info["awsEndpoint"], region_name="us-east-1")
    ids = {
        e["executionId"]: [s["ec2InstanceId"] for s in api.server_items(e["executionId"])]
        for e in (first, second)
    }
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2.describe_instances(InstanceIds=[i for group in ids.values() for i in group])[
            "Reservations"
        ]
        for i in r["Instances"]
    }
    assert {states[i] for i in ids[first["executionId"]]} == {"terminated"}
    assert {states[i] for i in ids[second["executionId"]]} == {"running"}
    assert again["error"]["code"] == "CANNOT_TERMINATE"
    assert done["canTerminate"]["canTerminate"] is False


def test_a_150_server_wave_runs_as_several_jobs_despite_30_percent_throttling(api: Api) -> None:
    # Given a wave of 150 servers and DRS throttling 30% of calls
    plan_id = api.plan([(api.servers(150), False)])
    api.call("POST", "/_sandbox/faults", {"throttleRate": 0.3}, expect=200)
    try:
        final, _ = api.watch(api.start(plan_id), finished, timeout=240)
    finally:
        api.call("POST", "/_sandbox/faults", {"throttleRate": 0}, expect=200)
    # Then it completed, carried by more than one DRS job
    assert final["status"] == "COMPLETED"
    assert len(final["waves"][0]["jobIds"]) >= 2
    assert final["progress"]["launched"] == 150


def test_two_starts_of_the_same_plan_at_once_let_exactly_one_run(api: Api) -> None:
    # Given a plan
    plan_id = api.plan([(api.servers(1), False)])
    # When two operators start it at the same moment
    barrier = threading.Barrier(2)
    results: list[requests.Response] = []

    def start() -> None:
        barrier.wait()
        results.append(
            requests.post(
                f"{api.url}/recovery-plans/{plan_id}/executions", json={"executionType": "DRILL"}, timeout=30
            )
        )

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then one is accepted and the other is a clear conflict
    assert sorted(r.status_code for r in results) == [202, 409]
    refused = next(r for r in results if r.status_code == 409).json()
    assert refused["error"]["code"] == "PLAN_ALREADY_RUNNING"
    accepted = next(r for r in results if r.status_code == 202).json()
    assert api.watch(accepted["executionId"], finished)[0]["status"] == "COMPLETED"
