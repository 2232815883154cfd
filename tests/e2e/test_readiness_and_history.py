"""Readiness and evidence across drills, through the sandbox: the real handlers, the real state
machine, the DRS simulator staging a lag that grows and a replication that stops, and the SNS
messages and EventBridge events the scheduled check sent (captured by the sandbox)."""

from __future__ import annotations

from typing import Any

from sandbox_api import Api, finished

READINESS_EVENT = "Recovery Plan Readiness Change"


def drill_to_the_end(api: Api, plan_id: str) -> dict[str, Any]:
    record, _ = api.watch(api.start(plan_id), finished)
    assert record["status"] == "COMPLETED", record
    return record


def readiness(api: Api, plan_id: str) -> dict[str, Any]:
    return dict(api.call("GET", f"/recovery-plans/{plan_id}/readiness", expect=200))


def not_passing(result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(c["check"], c["status"], c.get("sourceServerId")) for c in result["checks"] if c["status"] != "PASS"]


def scheduled_check(api: Api) -> dict[str, Any]:
    """The readiness rule fires (its daily schedule, now)."""
    return dict(api.call("POST", "/_sandbox/readiness-check", {}, expect=200))


def announcements(api: Api, plan_id: str) -> tuple[list[str], list[dict[str, Any]]]:
    messages = api.call("GET", "/_sandbox/notifications", expect=200)
    subjects = [
        m["subject"]
        for m in messages
        if m["attributes"].get("eventType") == "READINESS_CHANGE" and m["attributes"].get("planId") == plan_id
    ]
    events = [
        e["detail"]
        for e in api.call("GET", "/_sandbox/events", expect=200)
        if e["detailType"] == READINESS_EVENT and e["detail"]["planId"] == plan_id
    ]
    return subjects, events


def test_readiness_turns_at_risk_when_lag_grows_and_not_ready_when_replication_stops(api: Api) -> None:
    # Given a plan of two replicating servers, drilled once within its target
    ids = api.servers(2)
    plan_id = api.plan([(ids, False)], maxReplicationLagMinutes=30, rtoTargetMinutes=240)
    drill_to_the_end(api, plan_id)
    first = readiness(api, plan_id)
    assert first["verdict"] == "READY", not_passing(first)
    assert {c["check"] for c in first["checks"]} == {
        "SERVERS_REPLICATE",
        "REPLICATION_LAG",
        "RECOVERY_POINT",
        "LAUNCH_SETTINGS",
        "QUOTA_HEADROOM",
        "SERVER_LOCKS",
        "LAST_DRILL_RTO",
        "DRILL_AGE",
    }
    scheduled_check(api)  # the first verdict recorded: nothing to announce

    # When one server's replication lag grows to 45 minutes (the plan allows 30)
    api.call("POST", "/_sandbox/replication", {"sourceServerId": ids[0], "lagSeconds": 45 * 60}, expect=200)
    lagging = readiness(api, plan_id)
    # Then the plan is AT_RISK, naming the server
    assert lagging["verdict"] == "AT_RISK"
    assert not_passing(lagging) == [("REPLICATION_LAG", "WARN", ids[0])]
    scheduled_check(api)
    scheduled_check(api)  # EventBridge redelivers: the same verdict, nothing new

    # When the other server stops replicating
    api.call("POST", "/_sandbox/replication", {"sourceServerId": ids[1], "replicationState": "STOPPED"}, expect=200)
    stopped = readiness(api, plan_id)
    # Then the plan is NOT_READY
    assert stopped["verdict"] == "NOT_READY"
    assert ("SERVERS_REPLICATE", "FAIL", ids[1]) in not_passing(stopped)
    result = scheduled_check(api)
    scheduled_check(api)
    mine = [p for p in result["plans"] if p["planId"] == plan_id]
    assert mine == [{"planId": plan_id, "verdict": "NOT_READY", "changed": True, "notified": True}]

    # And the scheduled check announced each change once, on SNS and EventBridge
    subjects, events = announcements(api, plan_id)
    assert [s.rsplit(": ", 1)[1] for s in subjects] == [
        "readiness AT_RISK (was READY)",
        "readiness NOT_READY (was AT_RISK)",
    ]
    assert [(e["previousVerdict"], e["verdict"], e["direction"]) for e in events] == [
        ("READY", "AT_RISK", "WORSE"),
        ("AT_RISK", "NOT_READY", "WORSE"),
    ]

    # When replication recovers, the improvement is announced once too
    for sid in ids:
        api.call(
            "POST",
            "/_sandbox/replication",
            {"sourceServerId": sid, "replicationState": "CONTINUOUS", "lagSeconds": 0},
            expect=200,
        )
    scheduled_check(api)
    scheduled_check(api)
    _, events = announcements(api, plan_id)
    assert [(e["verdict"], e["direction"]) for e in events][-1] == ("READY", "BETTER")
    assert len(events) == 3


def test_readiness_of_an_unknown_plan_is_404_and_staging_an_unknown_server_is_refused(api: Api) -> None:
    missing = api.call("GET", "/recovery-plans/00000000-0000-4000-8000-000000000000/readiness", expect=404)
    assert missing["error"]["code"] == "PLAN_NOT_FOUND"
    refused = api.call("POST", "/_sandbox/replication", {"sourceServerId": "s-0000000000000dead"}, expect=404)
    assert "s-0000000000000dead" in refused["error"]["message"]
