"""The automatic cleanup of a drill's recovery instances (options.drillCleanupAfterHours), through
the sandbox at time scale 60 (an hour is a real minute): the real state machine and handlers,
EventBridge Scheduler's one-time schedules fired by the sandbox's timer, the DRS simulator's TERMINATE
jobs, and the SNS messages and EventBridge events the sandbox captured."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import boto3
from sandbox_api import TIME_SCALE, Api, drsctl, finished, until

from drs_sandbox.server import Sandbox
from execution_utils import cleanup_warning_time
from orchestrator.operations.cleanup import at_expression

CLEANUP_EVENTS = {"CLEANUP_WARNING": "Drill Cleanup Warning", "CLEANUP_DONE": "Drill Cleanup"}


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def drill_to_the_end(api: Api, plan_id: str) -> dict[str, Any]:
    record, _ = api.watch(api.start(plan_id), finished)
    assert record["status"] == "COMPLETED", record
    return record


def notices(
    api: Api, execution_id: str, event_type: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The SNS messages and EventBridge events of one kind of cleanup notice for an execution."""
    messages = [
        m
        for m in api.call("GET", "/_sandbox/notifications", expect=200)
        if m["attributes"].get("eventType") == event_type
        and m["attributes"].get("executionId") == execution_id
    ]
    events = [
        e
        for e in api.call("GET", "/_sandbox/events", expect=200)
        if e["detailType"] == CLEANUP_EVENTS[event_type] and e["detail"].get("executionId") == execution_id
    ]
    return messages, events


def schedule_expression(api: Api, name: str) -> str | None:
    """The expression of the stack's schedule ``name`` as the sandbox's Scheduler holds it (None when
    there is none)."""
    schedules = api.call("GET", "/_sandbox/schedules", expect=200)["schedules"]
    return next((str(s["expression"]) for s in schedules if s["name"] == name), None)


def terminated_by_find(api: Api, execution_id: str) -> dict[str, Any]:
    """The execution once its termination ended (the scheduled find follows the TERMINATE jobs; the
    test runs it itself, as the sandbox's find interval is long)."""

    def ended() -> dict[str, Any] | None:
        api.call("POST", "/_sandbox/find", expect=200)
        record = api.execution(execution_id)
        return record if record.get("instancesTerminated") else None

    return dict(until(ended, 120, "the termination to end"))


def test_a_drill_is_cleaned_up_on_time_with_a_warning_before_and_a_notice_after(
    api: Api, sandbox: Sandbox
) -> None:
    # Given a plan whose drills are cleaned up an hour after they end (a real minute at scale 60),
    plan_id = api.plan([(api.servers(2), False)], drillCleanupAfterHours=1)
    other = drill_to_the_end(api, api.plan([(api.servers(1), False)]))
    # When a drill of it ends,
    record = drill_to_the_end(api, plan_id)
    ended = time.monotonic()
    execution_id = record["executionId"]
    # Then it shows when its instances will be terminated: its recorded end plus one hour.
    assert record["cleanupPending"] is True
    assert seconds(record["endTime"], record["cleanupAt"]) == 3600
    status = drsctl(sandbox, "status", execution_id)
    assert f"Instances will be terminated at {record['cleanupAt']} (automatic cleanup)" in status.stdout
    # And the warning (due an hour before, so at the end itself) went out right away, naming the time
    # and how to postpone.
    warning, warning_events = until(
        lambda: (
            all(notices(api, execution_id, "CLEANUP_WARNING"))
            and notices(api, execution_id, "CLEANUP_WARNING")
        ),
        60,
        "the cleanup warning",
    )
    assert len(warning) == 1 and len(warning_events) == 1
    assert record["cleanupAt"] in warning[0]["message"]
    assert f"drsctl cleanup {execution_id} --postpone HOURS" in warning[0]["message"]
    # When the scaled hour has passed, Then the automatic cleanup started the termination, not before.
    started = until(
        lambda: (r := api.execution(execution_id)).get("terminationRequestedBy") and r,
        180,
        "the automatic cleanup",
    )
    assert time.monotonic() - ended >= 3600 / TIME_SCALE * 0.75
    assert started["terminationRequestedBy"] == "automatic cleanup"
    assert seconds(record["endTime"], started["terminationRequestedTime"]) >= 3600 / TIME_SCALE * 0.75
    # And every instance of the drill is terminated, none of the other drill's.
    done = terminated_by_find(api, execution_id)
    assert done["cleanupPending"] is False and done["terminationStatus"] == "COMPLETED"
    ec2 = boto3.client(
        "ec2", endpoint_url=api.call("GET", "/_sandbox/info")["awsEndpoint"], region_name="us-east-1"
    )

    def states(eid: str) -> set[str]:
        ids = [s["ec2InstanceId"] for s in api.server_items(eid) if s.get("ec2InstanceId")]
        found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
        return {i["State"]["Name"] for r in found for i in r["Instances"]}

    assert states(execution_id) == {"terminated"}
    assert states(other["executionId"]) == {"running"}
    # And the timeline says who: the automatic cleanup.
    timeline = api.call("GET", f"/executions/{execution_id}/timeline", expect=200)["items"]
    assert [e.get("actor") for e in timeline if e["type"] == "TERMINATION_STARTED"] == ["automatic cleanup"]
    # And the notice after the termination went out on both channels, once.
    after, after_events = until(
        lambda: (
            all(notices(api, execution_id, "CLEANUP_DONE")) and notices(api, execution_id, "CLEANUP_DONE")
        ),
        60,
        "the cleanup notice",
    )
    assert len(after) == 1 and len(after_events) == 1
    assert "drill instances terminated (automatic cleanup)" in after[0]["subject"]


def test_a_postpone_moves_the_cleanup_and_its_schedules(api: Api, sandbox: Sandbox) -> None:
    # Given a drill cleaned up two hours after its end (its warning scheduled an hour after it),
    record = drill_to_the_end(api, api.plan([(api.servers(1), False)], drillCleanupAfterHours=2))
    execution_id = record["executionId"]
    warning_name, cleanup_name = f"drill-cleanup-warning-{execution_id}", f"drill-cleanup-{execution_id}"
    # (finalize puts the schedules right after the final status is written)
    until(lambda: schedule_expression(api, cleanup_name), 30, "the cleanup's schedule")
    assert schedule_expression(api, cleanup_name) == at_expression(record["cleanupAt"])
    assert schedule_expression(api, warning_name) == at_expression(cleanup_warning_time(record["cleanupAt"]))
    # When an operator postpones it by 3 hours with drsctl,
    postponed = drsctl(sandbox, "cleanup", execution_id, "--postpone", "3")
    # Then cleanupAt is 3 hours later, the answer says so, and both schedules moved with it.
    assert postponed.returncode == 0, postponed.stderr
    moved = api.execution(execution_id)
    assert seconds(record["cleanupAt"], moved["cleanupAt"]) == 3 * 3600
    assert moved["cleanupAt"] in postponed.stdout and moved["cleanupPostponedBy"]
    assert schedule_expression(api, cleanup_name) == at_expression(moved["cleanupAt"])
    assert schedule_expression(api, warning_name) == at_expression(cleanup_warning_time(moved["cleanupAt"]))
    # And nothing was terminated meanwhile; the console's route answers with the same value.
    assert moved["cleanupPending"] is True and not moved.get("terminationStatus")
    # Out-of-range hours are refused (422) and change nothing; an unknown execution is 404.
    for hours in (0, 169):
        refused = api.call(
            "POST", f"/executions/{execution_id}/cleanup", {"postponeHours": hours}, expect=422
        )
        assert refused["error"]["code"]
    api.call(
        "POST", "/executions/00000000-0000-4000-8000-000000000000/cleanup", {"postponeHours": 1}, expect=404
    )
    assert api.execution(execution_id)["cleanupAt"] == moved["cleanupAt"]
    # When the operator terminates the instances by hand, Then a postpone is a conflict (409), and
    # drsctl says so in one line with exit code 1.
    api.call("POST", f"/executions/{execution_id}/terminate-instances", expect=202)
    conflict = api.call("POST", f"/executions/{execution_id}/cleanup", {"postponeHours": 1}, expect=409)
    assert conflict["error"]["code"] == "CLEANUP_DONE"
    refused_cli = drsctl(sandbox, "cleanup", execution_id, "--postpone", "1")
    assert refused_cli.returncode == 1 and len(refused_cli.stderr.strip().splitlines()) == 1
    # And the cleanup's firing now (the sandbox fires the schedule) does nothing misleading.
    api.call("POST", "/_sandbox/schedules/fire", {"name": cleanup_name}, expect=200)
    after = api.execution(execution_id)
    assert after["terminationRequestedBy"] != "automatic cleanup"
    assert notices(api, execution_id, "CLEANUP_DONE") == ([], [])


def test_a_recovery_never_gets_a_cleanup(api: Api, sandbox: Sandbox) -> None:
    # Given a plan with drillCleanupAfterHours, When a RECOVERY of it ends,
    plan_id = api.plan([(api.servers(1), False)], drillCleanupAfterHours=1)
    plan = api.call("GET", f"/recovery-plans/{plan_id}", expect=200)
    started = api.call(
        "POST", f"/recovery-plans/{plan_id}/recovery", {"confirmPlanName": plan["name"]}, expect=202
    )
    record, _ = api.watch(started["executionId"], finished)
    execution_id = record["executionId"]
    # Then it has no cleanup, no schedule, no notice; postponing one is refused as such (422).
    assert record["status"] == "COMPLETED" and "cleanupAt" not in record and record["cleanupPending"] is False
    # (looked at once the report is written: WriteReport runs after finalize, which arranges cleanups)
    until(lambda: api.execution(execution_id).get("reportLocation"), 60, "the report")
    assert schedule_expression(api, f"drill-cleanup-{execution_id}") is None
    refused = api.call("POST", f"/executions/{execution_id}/cleanup", {"postponeHours": 2}, expect=422)
    assert refused["error"]["code"] == "RECOVERY_HAS_NO_CLEANUP"
    cli = drsctl(sandbox, "cleanup", execution_id)
    assert cli.returncode == 0 and "never cleaned up automatically" in cli.stdout
    assert notices(api, execution_id, "CLEANUP_WARNING") == ([], [])
