"""One fault at a time, through the sandbox: the real state machine, the real handler in-process,
faults armed with POST /_sandbox/faults. Whatever fails, the execution ends by itself or with one
ordinary operator action, the plan can start again, no lock is left, and no recovery instance its
DRS jobs launched escapes it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from sandbox_api import QUICK, SLOW, Api, finished, wave_statuses

from drs_sandbox.server import Sandbox

TIME_SCALE = 60


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox.url)
    yield client
    client.call("DELETE", "/_sandbox/faults")


def aws(api: Api, service: str) -> Any:
    info = api.call("GET", "/_sandbox/info", expect=200)
    return boto3.client(service, endpoint_url=info["awsEndpoint"], region_name="us-east-1")


def locks_of(api: Api, execution_id: str) -> list[str]:
    info = api.call("GET", "/_sandbox/info", expect=200)
    table = info["tables"]["LocksTable"]
    items = aws(api, "dynamodb").scan(TableName=table)["Items"]
    return [i["lockId"]["S"] for i in items if i["executionId"]["S"] == execution_id]


def state_machine_arn_of(api: Api, execution_id: str) -> str:
    info = api.call("GET", "/_sandbox/info", expect=200)
    sfn = aws(api, "stepfunctions")
    return next(
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=info["stateMachineArn"])["executions"]
        if e["name"] == execution_id
    )


def ec2_states(api: Api, execution_id: str) -> dict[str, str]:
    ids = [s["ec2InstanceId"] for s in api.server_items(execution_id) if s.get("ec2InstanceId")]
    if not ids:
        return {}
    reservations = aws(api, "ec2").describe_instances(InstanceIds=ids)["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}


def find_until(api: Api, execution_id: str, until: Any) -> dict[str, Any]:
    """Run the schedule (find) until the record satisfies `until`."""
    record, _ = api.watch(
        execution_id, lambda r: until(r) or bool(api.call("POST", "/_sandbox/find", expect=200) and False)
    )
    return record


def terminate_all(api: Api, execution_id: str) -> None:
    """Terminate and check that every EC2 instance the execution's jobs launched is gone."""
    api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=202)
    find_until(api, execution_id, lambda r: r.get("instancesTerminated") is True)
    states = ec2_states(api, execution_id)
    assert states and set(states.values()) == {"terminated"}, states


# --- issue "first contact" 1: instances that nobody could terminate -------------------------------------


def test_a_denied_describe_jobs_fails_the_drill_naming_the_call_and_its_late_instances_are_terminated(
    api: Api,
) -> None:
    # Given a drill whose wave's DRS job was submitted
    plan_id = api.plan([(api.servers(2, phaseDurations=SLOW), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: bool(r["waves"][0]["jobIds"]))
    # When DRS denies DescribeJobs once
    api.call("POST", "/_sandbox/faults", {"denyOperations": {"DescribeJobs": 1}}, expect=200)
    failed, _ = api.watch(execution_id, finished)
    # Then the drill FAILED saying which call was denied, and terminate waits for the running job
    assert failed["status"] == "FAILED"
    assert "DRS DescribeJobs" in failed["error"] and "AccessDenied" in failed["error"]
    assert failed["canTerminate"]["hasRecoveryInstances"] is True
    assert failed["canTerminate"]["canTerminate"] is False
    api.watch(execution_id, lambda _r: not locks_of(api, execution_id), timeout=10)
    # When the scheduled find follows the job to its end
    done = find_until(api, execution_id, lambda r: r["canTerminate"]["canTerminate"])
    # Then both late instances belong to the execution and are terminated with it
    assert done["status"] == "FAILED" and done["waves"][0]["recoveryInstances"] == 2
    terminate_all(api, execution_id)


def test_a_state_machine_stopped_mid_wave_leaves_no_instance_behind(api: Api) -> None:
    # Given a running wave
    plan_id = api.plan([(api.servers(1, phaseDurations=SLOW), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    # When its state machine is stopped from outside and find reconciles it
    aws(api, "stepfunctions").stop_execution(
        executionArn=state_machine_arn_of(api, execution_id), error="Operator"
    )
    # (a poll step already running when the stop came may still write: the find that meets it
    # leaves the record to the next one, as the schedule would)
    stopped = find_until(api, execution_id, lambda r: r["status"] != "IN_PROGRESS")
    assert stopped["status"] == "FAILED"
    # Then find keeps following the job until its instance is attached, and terminate ends it
    done = find_until(api, execution_id, lambda r: r["canTerminate"]["canTerminate"])
    assert done["waves"][0]["recoveryInstances"] == 1
    terminate_all(api, execution_id)
    api.start(plan_id)  # and the plan runs again


# --- issue "first contact" 2: a PAUSED execution whose state machine is gone, a forgotten pause ------------


def test_a_paused_execution_whose_state_machine_was_stopped_is_reconciled_and_its_plan_unlocked(
    api: Api,
) -> None:
    # Given an execution paused after its first wave
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    # When its state machine is stopped from outside and find runs
    aws(api, "stepfunctions").stop_execution(
        executionArn=state_machine_arn_of(api, execution_id), error="Operator"
    )
    api.call("POST", "/_sandbox/find", expect=200)
    # Then it is no longer PAUSED: wave 1 left instances, so PARTIAL_SUCCESS, and the plan is free
    record = api.execution(execution_id)
    assert record["status"] == "PARTIAL_SUCCESS"
    api.watch(execution_id, lambda _r: not locks_of(api, execution_id), timeout=10)
    assert api.start(plan_id)


@pytest.mark.slow
def test_a_forgotten_pause_is_cancelled_when_the_plans_pause_timeout_expires(api: Api) -> None:
    # Given a plan whose pauses last at most one minute, paused after its first wave
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True)], pauseTimeoutMinutes=1)
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    # When nobody resumes it
    final, _ = api.watch(execution_id, finished, timeout=150)
    # Then the state machine cancelled it, saying why, and it ended PARTIAL_SUCCESS (wave 1 completed)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert final["cancelReason"] == "the pause expired after 1 min without a resume"
    assert final["cancelRequestedBy"] == "pause timeout"

    def final_email(_record: Any) -> bool:
        return any(
            execution_id in n["message"] and n["attributes"].get("status") == "PARTIAL_SUCCESS"
            for n in api.call("GET", "/_sandbox/notifications")
        )

    api.watch(execution_id, final_email, timeout=30)  # the stream delivers it a moment later
    email = next(
        n
        for n in api.call("GET", "/_sandbox/notifications")
        if execution_id in n["message"] and n["attributes"].get("status") == "PARTIAL_SUCCESS"
    )
    assert "the pause expired after 1 min" in email["message"]


# --- issue "no single fault" ----------------------------------------------------------------------------


def test_a_resume_whose_send_task_success_fails_is_completed_by_retrying_the_resume(api: Api) -> None:
    # Given a paused execution, and SendTaskSuccess failing once (an error botocore does not retry
    # stands for one that outlived botocore's own retries)
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"stepfunctions:SendTaskSuccess": {"count": 1, "error": "AccessDeniedException"}}},
        expect=200,
    )
    # When the operator resumes, the API says the resume could not be delivered
    failed = api.call("POST", f"/executions/{execution_id}/resume")
    assert failed["error"]["code"] == "PERMISSION_DENIED"
    assert api.execution(execution_id)["resumedBy"]
    # Then one ordinary retry delivers it and the execution completes
    api.call("POST", f"/executions/{execution_id}/resume", expect=200)
    final, _ = api.watch(execution_id, finished)
    assert final["status"] == "COMPLETED"
    api.watch(execution_id, lambda _r: not locks_of(api, execution_id), timeout=10)
    assert api.start(plan_id)


def test_a_cancel_whose_send_task_success_fails_is_delivered_by_find(api: Api) -> None:
    # Given a paused execution, and SendTaskSuccess failing once
    plan_id = api.plan([(api.servers(1), False), (api.servers(1), True)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"stepfunctions:SendTaskSuccess": {"count": 1, "error": "AccessDeniedException"}}},
        expect=200,
    )
    # When the operator cancels and walks away
    api.call("POST", f"/executions/{execution_id}/cancel")
    assert api.execution(execution_id)["status"] == "CANCELLING"
    # Then the schedule delivers the cancel (after its grace period) and the execution ends
    final = find_until(api, execution_id, finished)
    assert final["status"] == "PARTIAL_SUCCESS"
    api.watch(execution_id, lambda _r: not locks_of(api, execution_id), timeout=10)


def test_a_lock_release_that_fails_once_still_ends_with_every_lock_released(api: Api) -> None:
    # Given a running drill, and the next lock read failing (finalize reads the locks it releases)
    plan_id = api.plan([(api.servers(2), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"dynamodb:BatchGetItem": {"count": 1, "error": "ValidationException"}}},
        expect=200,
    )
    # When it finishes
    final, _ = api.watch(execution_id, finished)
    # Then it completed, its locks are all gone, and the plan starts again
    assert final["status"] == "COMPLETED"
    api.watch(execution_id, lambda _r: not locks_of(api, execution_id))
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    assert api.start(plan_id)


def test_start_wave_delivered_twice_at_once_runs_one_job_and_completes(api: Api, sandbox: Sandbox) -> None:
    # Given a plan paused before its only wave
    plan_id = api.plan([(api.servers(3, phaseDurations=QUICK), True)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    lam = aws(api, "lambda")
    event = (
        b'{"operation": "start_wave", "state": {"executionId": "%s", "waveIndex": 0}}' % execution_id.encode()
    )
    # When it resumes and start_wave is delivered two more times at the same moment
    twins = [
        threading.Thread(
            target=lam.invoke, kwargs={"FunctionName": sandbox.stack.handler_name(), "Payload": event}
        )
        for _ in range(2)
    ]
    api.call("POST", f"/executions/{execution_id}/resume", expect=200)
    for twin in twins:
        twin.start()
    for twin in twins:
        twin.join()
    final, _ = api.watch(execution_id, finished)
    # Then exactly one DRS job ran and the wave completed
    assert final["status"] == "COMPLETED"
    assert len(final["waves"][0]["jobIds"]) == 1
    assert {s["launchStatus"] for s in api.server_items(execution_id)} == {"LAUNCHED"}


def test_an_unexpected_ec2_error_during_polls_is_passed_over_and_the_drill_completes(api: Api) -> None:
    # Given a running drill, and EC2 answering two describe calls with an error that is not a denial
    plan_id = api.plan([(api.servers(2), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"ec2:DescribeInstances": {"count": 2, "error": "InvalidParameterValue"}}},
        expect=200,
    )
    # When it runs on
    final, _ = api.watch(execution_id, finished)
    # Then the errors were retried by later polls and the drill completed
    assert final["status"] == "COMPLETED"
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}


def test_a_permission_denied_by_ec2_fails_the_drill_and_names_the_call(api: Api) -> None:
    # Given a running drill, and EC2 denying DescribeInstances
    plan_id = api.plan([(api.servers(1), False)])
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"ec2:DescribeInstances": {"count": 1000, "error": "UnauthorizedOperation"}}},
        expect=200,
    )
    final, _ = api.watch(execution_id, finished)
    api.call("DELETE", "/_sandbox/faults")
    # Then it failed with the call named, and its instance is still attached and terminable
    assert final["status"] == "FAILED"
    assert "EC2 DescribeInstances" in final["error"] and "UnauthorizedOperation" in final["error"]
    done = find_until(api, execution_id, lambda r: r["canTerminate"]["canTerminate"])
    assert done["waves"][0]["recoveryInstances"] == 1
    terminate_all(api, execution_id)


def test_waves_beyond_drs_capacity_wait_for_it_instead_of_failing() -> None:
    # Given DRS limited to 2 concurrent jobs, and two drills holding both (their conversion lasts
    # 20 s of real time)
    with Sandbox(
        port=0, time_scale=TIME_SCALE, find_interval=3600, parameters={"DrsMaxConcurrentJobs": "2"}
    ) as box:
        api = Api(box.url)
        holding = {**QUICK, "conversion": 20 * TIME_SCALE}
        plans = [api.plan([(api.servers(2, phaseDurations=holding), False)]) for _ in range(2)]
        plans.append(api.plan([(api.servers(2), False)]))
        executions = [api.start(p) for p in plans[:2]]
        for execution in executions:
            api.watch(execution, lambda r: wave_statuses(r)[0] == "IN_PROGRESS")
        # When a third drill starts while both jobs run
        executions.append(api.start(plans[2]))
        finals = [api.watch(e, finished)[0] for e in executions]
        # Then every one completed, and the third said it waited for capacity (its timeline keeps it:
        # the watch may read the record only after the queue was left, on a busy machine)
        assert [f["status"] for f in finals] == ["COMPLETED"] * 3
        timeline = api.call("GET", f"/executions/{executions[2]}/timeline?limit=200", expect=200)["items"]
        assert any(event["type"] == "WAVE_QUEUED" for event in timeline)
