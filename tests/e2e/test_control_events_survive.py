"""Who resumed and who cancelled survive a timeline that cannot be written, through the sandbox (the
real state machine and handlers; the fault armed with POST /_sandbox/faults failOperations on the
handlers' own DynamoDB PutItem, which only the timeline uses in these requests). The decision and
its event are one write (the record's outbox); the event reaches the timeline and the report later,
exactly once, with the operator's name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import sandbox_api
from sandbox_api import TIME_SCALE, Api, finished

from drs_sandbox.server import Sandbox

LONG = 300  # seconds: Step Functions' Retry and the sandbox's stream on a loaded machine
until = partial(sandbox_api.until, timeout=LONG)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=TIME_SCALE, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox.url)
    yield client
    client.call("DELETE", "/_sandbox/faults", expect=200)


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


def of_kind(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def paused_before_wave_2(api: Api) -> str:
    """A drill paused before its second wave, once the stream has told everyone about the pause (so
    that the next PutItem of the handlers is the operator's)."""
    execution_id = api.start(api.plan([(api.servers(1), False), (api.servers(1), True)]))
    api.watch(execution_id, lambda r: r["status"] == "PAUSED", timeout=LONG)
    until(
        lambda: any(
            e["detail"].get("executionId") == execution_id and e["detail"].get("status") == "PAUSED"
            for e in api.call("GET", "/_sandbox/events", expect=200)
        ),
        what="the PAUSED event",
    )
    return execution_id


def timeline_write_fails_once(api: Api) -> None:
    """The next DynamoDB PutItem of the handlers fails with an error botocore does not retry (it
    stands for one that outlived botocore's own retries)."""
    api.call(
        "POST",
        "/_sandbox/faults",
        {"failOperations": {"dynamodb:PutItem": {"count": 1, "error": "ValidationException"}}},
        expect=200,
    )


def test_a_resume_whose_event_cannot_be_written_is_answered_and_the_report_names_who_resumed(
    api: Api,
) -> None:
    # Given a drill paused before its second wave, and the timeline's next write failing
    execution_id = paused_before_wave_2(api)
    timeline_write_fails_once(api)
    # When the operator resumes with a comment
    comment = f"go {uuid.uuid4().hex[:6]}"
    resumed = api.call("POST", f"/executions/{execution_id}/resume", {"comment": comment}, expect=200)
    # Then the resume is answered (not 503) and recorded, and the write did fail
    assert resumed["status"] == "IN_PROGRESS" and resumed["resumedBy"]
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    assert "pendingEvents" not in resumed and "pendingEvents" not in api.execution(execution_id)
    # And the drill completes, its timeline holding the resume once, with who and why
    final, _ = api.watch(execution_id, finished, timeout=LONG)
    assert final["status"] == "COMPLETED"
    (event,) = until(lambda: of_kind(timeline(api, execution_id), "RESUMED"), what="RESUMED in the timeline")
    assert event["actor"] == resumed["resumedBy"] and event["details"] == {"comment": comment}
    assert len(of_kind(timeline(api, execution_id), "RESUMED")) == 1
    # And so does its report, stored once the execution ended
    until(lambda: of_kind(timeline(api, execution_id), "REPORT_WRITTEN"), what="the report")
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    assert [e["actor"] for e in of_kind(report["timeline"], "RESUMED")] == [resumed["resumedBy"]]


def test_a_cancel_whose_event_and_delivery_fail_is_written_by_the_schedule_and_reported(api: Api) -> None:
    # Given a paused drill, the timeline's next write failing and the next SendTaskSuccess too
    execution_id = paused_before_wave_2(api)
    api.call(
        "POST",
        "/_sandbox/faults",
        {
            "failOperations": {
                "dynamodb:PutItem": {"count": 1, "error": "ValidationException"},
                "stepfunctions:SendTaskSuccess": {"count": 1, "error": "AccessDeniedException"},
            }
        },
        expect=200,
    )
    # When the operator cancels (the API says the cancel could not be delivered) and walks away
    failed = api.call("POST", f"/executions/{execution_id}/cancel")
    assert failed["error"]["code"] == "PERMISSION_DENIED"
    record = api.execution(execution_id)
    assert record["status"] == "CANCELLING" and record["cancelRequested"] is True
    assert api.call("GET", "/_sandbox/faults", expect=200)["failOperations"] == {}
    assert of_kind(timeline(api, execution_id), "CANCEL_REQUESTED") == []
    # Then the schedule (find) writes the waiting event, and delivers the cancel
    written = api.call("POST", "/_sandbox/find", expect=200)
    assert any(execution_id in (r or {}).get("eventsWritten", []) for r in written), written
    (event,) = of_kind(timeline(api, execution_id), "CANCEL_REQUESTED")
    assert event["actor"] == record["cancelRequestedBy"]
    final, _ = api.watch(
        execution_id,
        lambda r: finished(r) or bool(api.call("POST", "/_sandbox/find", expect=200) and False),
        timeout=LONG,
    )
    assert final["status"] == "PARTIAL_SUCCESS"
    # And the report names who cancelled, once
    until(lambda: of_kind(timeline(api, execution_id), "REPORT_WRITTEN"), what="the report")
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    cancels = of_kind(report["timeline"], "CANCEL_REQUESTED")
    assert [e["actor"] for e in cancels] == [record["cancelRequestedBy"]]
    assert len(of_kind(timeline(api, execution_id), "CANCEL_REQUESTED")) == 1
