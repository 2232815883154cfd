"""Notifications end to end: a drill in the sandbox publishes exactly one SNS message and one
EventBridge event per status change, in order, and a redelivered stream sends nothing twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sandbox_api import until

from drs_sandbox.server import Sandbox

QUICK = {"snapshot": 20, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


def test_a_drill_with_a_pause_notifies_each_status_change_exactly_once(sandbox: Sandbox) -> None:
    url = sandbox.url
    # Given a two-wave plan that pauses before wave 2
    ids = [f"s-{uuid.uuid4().hex[:17]}" for _ in range(2)]
    servers = [{"sourceServerId": i, "hostname": f"n-{i[-4:]}", "phaseDurations": QUICK} for i in ids]
    requests.post(f"{url}/_sandbox/source-servers", json={"servers": servers}, timeout=30).raise_for_status()
    groups = [
        requests.post(
            f"{url}/protection-groups", json={"name": f"n-{i}", "sourceServerIds": [i]}, timeout=30
        ).json()
        for i in ids
    ]
    plan = requests.post(
        f"{url}/recovery-plans",
        json={
            "name": f"notify-{uuid.uuid4().hex[:6]}",
            "waves": [
                {"waveName": "One", "protectionGroupIds": [groups[0]["groupId"]]},
                {"waveName": "Two", "protectionGroupIds": [groups[1]["groupId"]], "pauseBeforeWave": True},
            ],
        },
        timeout=30,
    ).json()
    # When a drill runs, is resumed at the pause and completes
    execution_id = requests.post(
        f"{url}/recovery-plans/{plan['planId']}/executions", json={}, timeout=30
    ).json()["executionId"]

    def status() -> str:
        return str(requests.get(f"{url}/executions/{execution_id}", timeout=30).json()["status"])

    until(lambda: status() == "PAUSED")
    requests.post(f"{url}/executions/{execution_id}/resume", timeout=30).raise_for_status()
    until(lambda: status() == "COMPLETED")

    def mine() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        messages = [
            m
            for m in requests.get(f"{url}/_sandbox/notifications", timeout=30).json()
            if execution_id in m["message"]
        ]
        events = [
            e
            for e in requests.get(f"{url}/_sandbox/events", timeout=30).json()
            if e["detail"].get("executionId") == execution_id
        ]
        return messages, events

    expected = ["PENDING", "IN_PROGRESS", "PAUSED", "IN_PROGRESS", "COMPLETED"]

    def all_published() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        found = mine()
        return found if len(found[0]) == len(found[1]) == len(expected) else None

    messages, events = until(all_published)
    # Then each transition was published once, in order, to SNS and to EventBridge
    assert [m["attributes"]["status"] for m in messages] == expected
    assert [e["detail"]["status"] for e in events] == expected
    assert {e["source"] for e in events} == {"drs-orchestrator"}
    assert {e["detailType"] for e in events} == {"Execution Status Change"}
    assert all(m["attributes"]["planId"] == plan["planId"] for m in messages)
    paused = json.loads(messages[2]["message"])
    assert f"drsctl resume {execution_id}" in paused["email"]
    assert "Two" in paused["email"]
    completed = messages[-1]
    assert completed["subject"] == f"[DRS Orchestrator] {plan['name']}: COMPLETED"
    # When the whole stream is delivered again
    delivered = requests.get(f"{url}/_sandbox/info", timeout=30).json()["stream"]["delivered"]
    sandbox.stack.replay_streams()
    until(
        lambda: (
            requests.get(f"{url}/_sandbox/info", timeout=30).json()["stream"]["delivered"] >= 2 * delivered
        )
    )
    # Then nothing is sent twice
    again_messages, again_events = mine()
    assert len(again_messages) == len(expected)
    assert len(again_events) == len(expected)
