"""An SNS outage during a drill costs neither the EventBridge events nor, once SNS is back, any email:
what could not be published waits in full in the notification dead-letter queue, and the documented
replay (Lambda Invoke of the notification-formatter with {"operation": "replay_notifications"})
delivers each message exactly once and empties the queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from sandbox_api import until

from drs_sandbox.server import Sandbox

QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


def one_wave_plan(url: str) -> str:
    """A plan of one wave of one server: a drill of it changes status 3 times."""
    server_id = f"s-{uuid.uuid4().hex[:17]}"
    server = {"sourceServerId": server_id, "hostname": f"n-{server_id[-4:]}", "phaseDurations": QUICK}
    requests.post(f"{url}/_sandbox/source-servers", json={"servers": [server]}, timeout=30).raise_for_status()
    group = requests.post(
        f"{url}/protection-groups",
        json={"name": f"g-{server_id}", "sourceServerIds": [server_id]},
        timeout=30,
    ).json()
    plan = requests.post(
        f"{url}/recovery-plans",
        json={
            "name": f"outage-{uuid.uuid4().hex[:6]}",
            "waves": [{"waveName": "Only", "protectionGroupIds": [group["groupId"]]}],
        },
        timeout=30,
    ).json()
    return str(plan["planId"])


def test_an_sns_outage_during_a_drill_loses_no_event_and_the_replay_emails_each_change_once(
    sandbox: Sandbox,
) -> None:
    url = sandbox.url
    plan_id = one_wave_plan(url)
    # Given SNS Publish fails for the notification-formatter throughout the drill (a 5xx outage)
    armed = requests.post(
        f"{url}/_sandbox/faults", json={"failOperations": {"sns:Publish": {"count": 1000}}}, timeout=30
    )
    assert armed.status_code == 200, armed.text

    # When a drill of 3 status changes (PENDING, IN_PROGRESS, COMPLETED) runs to its end
    execution_id = requests.post(f"{url}/recovery-plans/{plan_id}/executions", json={}, timeout=30).json()[
        "executionId"
    ]
    until(
        lambda: requests.get(f"{url}/executions/{execution_id}", timeout=30).json()["status"] == "COMPLETED",
        what="the drill to complete",
    )

    def events() -> list[str]:
        return [
            str(e["detail"]["status"])
            for e in requests.get(f"{url}/_sandbox/events", timeout=30).json()
            if e["detail"].get("executionId") == execution_id
        ]

    def emails() -> list[str]:
        return [
            str(m["attributes"]["status"])
            for m in requests.get(f"{url}/_sandbox/notifications", timeout=30).json()
            if execution_id in m["message"]
        ]

    def dead_letters() -> list[dict[str, Any]]:
        messages = requests.get(f"{url}/_sandbox/dead-letters", timeout=30).json()["messages"]
        return [
            m["body"]
            for m in messages
            if isinstance(m["body"], dict)
            and m["body"].get("transition", {}).get("executionId") == execution_id
        ]

    # Then every EventBridge event arrived, once each, in order, despite the SNS outage
    statuses = ["PENDING", "IN_PROGRESS", "COMPLETED"]
    until(lambda: len(events()) == 3, what="the 3 EventBridge events")
    assert events() == statuses
    # And each SNS message that could not be sent is in the dead-letter queue, in full
    letters = until(lambda: (found := dead_letters()) and len(found) == 3 and found, what="3 dead letters")
    assert sorted(letter["transition"]["status"] for letter in letters) == sorted(statuses)
    assert {letter["channel"] for letter in letters} == {"SNS"}
    completed = next(letter for letter in letters if letter["transition"]["status"] == "COMPLETED")
    assert completed["payload"]["Subject"].endswith(": COMPLETED")
    assert execution_id in json.loads(completed["payload"]["Message"])["email"]
    assert emails() == []
    # And no stream record was given up: each was handled
    assert requests.get(f"{url}/_sandbox/info", timeout=30).json()["stream"]["dropped"] == 0

    # When SNS is back and the operator runs the documented replay (Lambda Invoke of the formatter)
    assert (
        requests.post(
            f"{url}/_sandbox/faults", json={"failOperations": {"sns:Publish": 0}}, timeout=30
        ).json()["failOperations"]
        == {}
    )
    info = requests.get(f"{url}/_sandbox/info", timeout=30).json()
    lam = boto3.client(
        "lambda",
        endpoint_url=info["awsEndpoint"],
        region_name=info["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    response = lam.invoke(
        FunctionName=info["functions"]["NotificationFormatterFunction"],
        Payload=json.dumps({"operation": "replay_notifications"}).encode(),
    )
    assert "FunctionError" not in response
    replayed = json.loads(response["Payload"].read())

    # Then each status change was emailed exactly once, and the queue holds none of them
    assert replayed["delivered"] >= 3 and replayed["failed"] == 0
    assert sorted(emails()) == sorted(statuses)
    assert dead_letters() == []
    # And a second replay (the sandbox's route to the same invocation) sends nothing again
    again = requests.post(f"{url}/_sandbox/dead-letters/replay", timeout=60).json()
    assert again == {"delivered": 0, "failed": 0, "notReplayable": 0}
    assert sorted(emails()) == sorted(statuses)
    assert events() == statuses
