"""Scheduled drills through the sandbox (time scale 60): a plan's drillSchedule kept as one
EventBridge Scheduler schedule (moto stores it, the sandbox's timer fires it on the scaled clock),
drills started on their own, a firing while the plan runs recorded as skipped and announced (the
SNS messages and EventBridge events the sandbox captured), the schedule gone with the plan, and bad
expressions refused with nothing stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sandbox_api import Api, drsctl, finished, until

from drs_sandbox.server import Sandbox

# Ten scaled minutes: every 10 real seconds at time scale 60.
EVERY_TEN_MINUTES = {"expression": "rate(10 minutes)", "timezone": "Europe/Berlin", "enabled": True}
# A conversion of 15 scaled minutes: a drill outlasts the next firing.
LONG_DRILL = {"snapshot": 20, "conversion": 900, "launch": 30, "boot": 10}
SKIPPED_EVENT = "Scheduled Drill Skipped"


def plan_body(api: Api, **extra: Any) -> dict[str, Any]:
    ids = api.servers(1, phaseDurations=LONG_DRILL)
    return {
        "name": f"scheduled-{uuid.uuid4().hex[:8]}",
        "waves": [{"waveName": "Only", "protectionGroupIds": [api.group(ids)]}],
        **extra,
    }


def schedule_of(api: Api, plan_id: str) -> dict[str, Any]:
    return dict(api.call("GET", f"/recovery-plans/{plan_id}/drill-schedule", expect=200))


def stored_schedules(api: Api) -> list[dict[str, Any]]:
    return list(api.call("GET", "/_sandbox/schedules", expect=200)["schedules"])


def test_a_scheduled_plan_drills_on_its_own_and_a_firing_while_it_runs_is_skipped_and_notified(
    api: Api,
) -> None:
    # Given a plan scheduled every ten scaled minutes
    body = plan_body(api, drillSchedule=dict(EVERY_TEN_MINUTES))
    plan = api.call("POST", "/recovery-plans", body, expect=201)
    plan_id = plan["planId"]
    assert plan["drillSchedule"] == EVERY_TEN_MINUTES
    view = schedule_of(api, plan_id)
    assert (view["inPlace"], view["problem"], view["runs"]) == (True, None, [])
    assert view["nextRunTime"]
    listed = [s for s in stored_schedules(api) if s["name"] == view["scheduleName"]]
    assert [(s["expression"], s["timezone"], s["enabled"]) for s in listed] == [
        ("rate(10 minutes)", "Europe/Berlin", True)
    ]

    # When the schedule fires on its own, Then a DRILL starts, initiated by the schedule
    first = until(
        lambda: next((r for r in schedule_of(api, plan_id)["runs"] if r["outcome"] == "STARTED"), None),
        timeout=60,
        what="the first scheduled drill",
    )
    execution = api.execution(first["executionId"])
    assert (execution["executionType"], execution["initiatedBy"]) == ("DRILL", "schedule")

    # And a firing while that drill runs is recorded as skipped, naming it, and announced
    skipped = until(
        lambda: next((r for r in schedule_of(api, plan_id)["runs"] if r["outcome"] == "SKIPPED"), None),
        timeout=60,
        what="a skipped firing",
    )
    assert (skipped["reasonCode"], skipped["executionId"]) == ("ACTIVE_EXECUTION", first["executionId"])
    assert first["executionId"] in skipped["reason"]
    messages = until(
        lambda: [
            m
            for m in api.call("GET", "/_sandbox/notifications", expect=200)
            if m["attributes"].get("eventType") == "SCHEDULED_DRILL_SKIPPED"
            and m["attributes"].get("planId") == plan_id
        ],
        timeout=30,
        what="the skipped drill's SNS message",
    )
    assert body["name"] in messages[0]["subject"] and "skipped" in messages[0]["subject"]
    assert first["executionId"] in messages[0]["message"]
    events = [
        e["detail"]
        for e in api.call("GET", "/_sandbox/events", expect=200)
        if e["detailType"] == SKIPPED_EVENT and e["detail"]["planId"] == plan_id
    ]
    assert events and events[0]["reasonCode"] == "ACTIVE_EXECUTION"
    # Each firing is recorded once
    runs = schedule_of(api, plan_id)["runs"]
    assert len({r["scheduledTime"] for r in runs}) == len(runs)

    # When the first drill ended, Then a later firing starts the next drill on its own
    api.watch(first["executionId"], finished, timeout=180)
    second = until(
        lambda: next(
            (
                r
                for r in schedule_of(api, plan_id)["runs"]
                if r["outcome"] == "STARTED" and r["executionId"] != first["executionId"]
            ),
            None,
        ),
        timeout=60,
        what="the second scheduled drill",
    )
    assert api.execution(second["executionId"])["initiatedBy"] == "schedule"

    # When the schedule is disabled and the drill ended, deleting the plan removes the schedule
    api.call(
        "PUT",
        f"/recovery-plans/{plan_id}",
        {**body, "drillSchedule": {**EVERY_TEN_MINUTES, "enabled": False}},
        expect=200,
    )
    assert schedule_of(api, plan_id)["nextRunTime"] is None
    api.watch(second["executionId"], finished, timeout=180)
    started = {r.get("executionId") for r in schedule_of(api, plan_id)["runs"] if r["outcome"] == "STARTED"}
    for execution_id in started:
        api.watch(str(execution_id), finished, timeout=180)
    api.call("DELETE", f"/recovery-plans/{plan_id}", expect=204)
    assert [s for s in stored_schedules(api) if s["name"] == view["scheduleName"]] == []
    api.call("GET", f"/recovery-plans/{plan_id}/drill-schedule", expect=404)


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"expression": "cron(0 3 * * SAT *)"}, "drillSchedule.expression"),
        ({"expression": "rate(7 weeks)"}, "drillSchedule.expression"),
        ({"expression": "rate(1 days)"}, "drillSchedule.expression"),
        ({"expression": "at(2027-01-01T00:00:00)"}, "drillSchedule.expression"),
        ({"expression": "rate(7 days)", "timezone": "Mars/Olympus"}, "drillSchedule.timezone"),
    ],
)
def test_a_bad_expression_or_timezone_is_refused_naming_the_field_with_nothing_stored(
    api: Api, schedule: dict[str, Any], field: str
) -> None:
    before = {s["name"] for s in stored_schedules(api)}
    body = plan_body(api, drillSchedule=schedule)
    refused = api.call("POST", "/recovery-plans", body, expect=422)
    assert refused["error"]["details"]["field"] == field
    assert field.rsplit(".", maxsplit=1)[-1] in refused["error"]["message"]
    assert body["name"] not in [p["name"] for p in api.call("GET", "/recovery-plans", expect=200)["items"]]
    assert {s["name"] for s in stored_schedules(api)} == before


def test_firing_a_schedule_by_hand_starts_a_drill_and_drsctl_shows_the_run(
    sandbox: Sandbox, api: Api
) -> None:
    # Given a plan scheduled weekly (never due during the test), saved twice
    body = plan_body(api, drillSchedule={"expression": "cron(0 3 ? * SAT *)", "timezone": "Europe/Berlin"})
    plan_id = api.call("POST", "/recovery-plans", body, expect=201)["planId"]
    api.call("PUT", f"/recovery-plans/{plan_id}", body, expect=200)
    name = schedule_of(api, plan_id)["scheduleName"]
    assert len([s for s in stored_schedules(api) if s["name"] == name]) == 1
    # When the sandbox fires it now, Then a drill starts initiated by the schedule
    fired = api.call("POST", "/_sandbox/schedules/fire", {"name": name}, expect=200)
    assert fired["errored"] is False
    run = schedule_of(api, plan_id)["runs"][0]
    assert (run["outcome"], run["scheduledTime"]) == ("STARTED", fired["scheduledTime"])
    api.watch(run["executionId"], finished, timeout=180)
    api.call("POST", "/_sandbox/schedules/fire", {"name": "no-such-schedule"}, expect=404)
    # And drsctl shows the schedule and the run (table), and the API's document (json)
    shown = drsctl(sandbox, "schedule", body["name"])
    assert shown.returncode == 0, shown.stderr
    assert "cron(0 3 ? * SAT *) (Europe/Berlin), enabled, next run" in shown.stdout
    assert run["executionId"] in shown.stdout and "STARTED" in shown.stdout
    as_json = drsctl(sandbox, "schedule", plan_id, "--output", "json")
    assert json.loads(as_json.stdout)["runs"][0]["executionId"] == run["executionId"]
    missing = drsctl(sandbox, "schedule", "no-such-plan")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
