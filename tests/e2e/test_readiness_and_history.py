"""Readiness and evidence across drills, through the sandbox: the real handlers, the real state
machine, the DRS simulator staging a lag that grows and a replication that stops, and the SNS
messages and EventBridge events the scheduled check sent (captured by the sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from sandbox_api import Api, finished

from drs_sandbox.server import Sandbox

READINESS_EVENT = "Recovery Plan Readiness Change"


def drill_to_the_end(api: Api, plan_id: str) -> dict[str, Any]:
    record, _ = api.watch(api.start(plan_id), finished)
    assert record["status"] == "COMPLETED", record
    return record


def readiness(api: Api, plan_id: str) -> dict[str, Any]:
    return dict(api.call("GET", f"/recovery-plans/{plan_id}/readiness", expect=200))


def not_passing(result: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [
        (c["check"], c["status"], c.get("sourceServerId")) for c in result["checks"] if c["status"] != "PASS"
    ]


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
        "DRILL_NETWORK",
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
    api.call(
        "POST", "/_sandbox/replication", {"sourceServerId": ids[1], "replicationState": "STOPPED"}, expect=200
    )
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


def drsctl(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRSCTL_ENDPOINT": sandbox.url}
    for name in [n for n in env if n.startswith("AWS_ENDPOINT_URL")]:
        env.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "drsctl", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )


def test_drill_history_shows_three_drills_with_percentiles_and_a_server_never_drilled(
    api: Api, sandbox: Sandbox
) -> None:
    # Given a plan drilled three times, and another plan holding its servers and one more server
    drilled, spare = api.servers(2), api.servers(1)
    plan_id = api.plan([(drilled, False)], rtoTargetMinutes=240)
    wider = api.plan([(drilled, False), (spare, False)])
    records = [drill_to_the_end(api, plan_id) for _ in range(3)]

    # When the plan's drill history is read
    history = api.call("GET", f"/recovery-plans/{plan_id}/drill-history?last=2", expect=200)

    # Then it lists the three drills, newest first, each with the execution view's recovery time
    assert [d["executionId"] for d in history["drills"]] == [r["executionId"] for r in reversed(records)]
    for row in history["drills"]:
        view = api.execution(row["executionId"])
        assert row["recoveryTime"]["seconds"] == view["recoveryTime"]["seconds"] is not None
        assert row["pausedSeconds"] == view["recoveryTime"]["pausedSeconds"] and row["verdict"] == "MET"
    seconds = [d["recoveryTime"]["seconds"] for d in history["drills"]]
    recent = sorted(seconds[:2])
    assert history["recoveryTime"] == {"drills": 2, "p50Seconds": recent[0], "p95Seconds": recent[1]}
    assert history["previousRecoveryTime"] == {
        "drills": 1,
        "p50Seconds": seconds[2],
        "p95Seconds": seconds[2],
    }

    # And the wider plan shows the server no drill recovered, one filter away in the source servers
    servers = {
        s["sourceServerId"]: s for s in api.call("GET", f"/recovery-plans/{wider}/drill-history")["servers"]
    }
    assert servers[spare[0]]["lastDrilledTime"] is None
    assert {servers[s]["lastDrillExecutionId"] for s in drilled} == {records[-1]["executionId"]}
    never = {s["sourceServerId"] for s in api.call("GET", "/drs/source-servers?neverDrilled=true")["items"]}
    stale = {
        s["sourceServerId"] for s in api.call("GET", "/drs/source-servers?notDrilledForDays=90")["items"]
    }
    assert spare[0] in never and spare[0] in stale and not never & set(drilled) and not stale & set(drilled)
    listed = {s["sourceServerId"]: s for s in api.call("GET", "/drs/source-servers")["items"]}
    assert (listed[drilled[0]]["lastDrillOutcome"], listed[drilled[0]]["lastDrilledTime"]) == (
        "RECOVERED",
        records[-1]["endTime"],
    )
    refused = api.call("GET", "/drs/source-servers?notDrilledForDays=-1", expect=400)
    assert refused["error"]["code"] == "INVALID_QUERY"

    # And drsctl shows the trend and the server never drilled
    trend = drsctl(sandbox, "history", wider, "--trend")
    assert trend.returncode == 0, trend.stderr
    assert f"servers never drilled: {spare[0]}" in trend.stdout
    shown = drsctl(sandbox, "history", plan_id, "--trend", "--last", "2")
    assert shown.returncode == 0 and "last 2 drills: p50" in shown.stdout and "trend " in shown.stdout
    assert len([line for line in shown.stdout.splitlines() if "RTO MET" in line]) == 3


def test_drsctl_readiness_exits_by_the_batch_model(api: Api, sandbox: Sandbox) -> None:
    # Given a READY plan (drilled), an AT_RISK plan (never drilled) and a NOT_READY plan
    ready_ids, risky_ids, broken_ids = api.servers(1), api.servers(1), api.servers(1)
    ready, risky, broken = (
        api.plan([(ready_ids, False)]),
        api.plan([(risky_ids, False)]),
        api.plan([(broken_ids, False)]),
    )
    drill_to_the_end(api, ready)
    api.call(
        "POST",
        "/_sandbox/replication",
        {"sourceServerId": broken_ids[0], "replicationState": "STOPPED"},
        expect=200,
    )

    # Then: all READY -> 0; a mix -> 2 with one line per problem and the counts; all NOT_READY -> 1
    assert drsctl(sandbox, "readiness", ready).returncode == 0
    mixed = drsctl(sandbox, "readiness", ready, risky, broken)
    assert mixed.returncode == 2, mixed.stderr
    lines = mixed.stdout.splitlines()
    assert lines[-1].startswith("3 plans: 1 READY, 1 AT_RISK, 1 NOT_READY")
    assert any(f"FAIL SERVERS_REPLICATE [{broken_ids[0]}]" in line for line in lines)
    assert any("WARN DRILL_AGE" in line for line in lines)
    assert drsctl(sandbox, "readiness", broken).returncode == 1

    # And drsctl reports, per plan, the verdict and the problems the API returns
    both = json.loads(drsctl(sandbox, "--output", "json", "readiness", ready, risky, broken).stdout)
    for shown in both["results"]:
        told = readiness(api, shown["planId"])
        assert shown["verdict"] == told["verdict"]
        assert [(p["check"], p["status"]) for p in shown["problems"]] == [
            (c["check"], c["status"]) for c in told["checks"] if c["status"] != "PASS"
        ]
    unknown = drsctl(sandbox, "--output", "json", "readiness", "no-such-plan")
    assert unknown.returncode == 1
    assert (
        json.loads(unknown.stdout)["results"][0]["error"]
        == "no recovery plan named or with id 'no-such-plan'"
    )
    usage = drsctl(sandbox, "readiness", ready, "--all")
    assert usage.returncode == 1 and "not both" in usage.stderr
