"""Evidence of every drill, through the sandbox: the timeline, the recovery time measured against the
plan's target, and the report, all agreeing with each other to the second."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sandbox_api import QUICK, Api, drsctl, finished

from drs_sandbox.server import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(port=0, time_scale=60, find_interval=3600) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.url)


def timeline(api: Api, execution_id: str) -> list[dict[str, Any]]:
    """The timeline of an ended execution, once its end is on it: finalize records the final status,
    then the waves' and the execution's end events (WriteReport waits for them; so does this)."""
    deadline = threading.Event()
    for _ in range(300):
        events = timeline_page_by_page(api, execution_id)
        if any(e["type"] == "EXECUTION_FINISHED" for e in events):
            return events
        deadline.wait(0.2)
    raise AssertionError(f"the timeline of {execution_id} never recorded its end: {events}")


def timeline_page_by_page(api: Api, execution_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = ""
    while True:
        page = api.call(
            "GET",
            f"/executions/{execution_id}/timeline?limit=7" + (f"&nextToken={token}" if token else ""),
            expect=200,
        )
        events += page["items"]
        token = page.get("nextToken") or ""
        if not token:
            return events


def at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def whole_seconds(start: datetime, end: datetime) -> int:
    return int(end.timestamp()) - int(start.timestamp())


def one(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in events if e["type"] == kind]
    assert len(found) == 1, (kind, found)
    return found[0]


def paused_drill(api: Api, *, pause_seconds: float, **options: Any) -> tuple[str, dict[str, Any]]:
    """A 3-wave drill paused before wave 3, resumed after `pause_seconds` by an operator."""
    plan_id = api.plan(
        [
            (api.servers(2, phaseDurations=QUICK), False),
            (api.servers(1, phaseDurations=QUICK), False),
            (api.servers(1, phaseDurations=QUICK), True),
        ],
        **options,
    )
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    threading.Event().wait(pause_seconds)
    api.call("POST", f"/executions/{execution_id}/resume", {"comment": "app tier checked"}, expect=200)
    final, _ = api.watch(execution_id, finished)
    return execution_id, final


def test_a_paused_drill_reports_recovery_time_paused_time_and_verdict_that_agree_with_its_timeline(
    api: Api,
) -> None:
    # Given a 3-wave drill with a 10-minute target, paused before wave 3 for a few seconds
    execution_id, final = paused_drill(api, pause_seconds=3, rtoTargetMinutes=10)
    events = timeline(api, execution_id)
    # Then every execution-level event is there exactly once, oldest first, with the actor of operator actions
    kinds = Counter(e["type"] for e in events if not e["type"].startswith("SERVER_"))
    assert kinds.pop("REPORT_WRITTEN", 1) == 1  # written by the state machine's last step, maybe not yet
    assert kinds == {
        "EXECUTION_STARTED": 1,
        "WAVE_STARTED": 3,
        "JOB_SUBMITTED": 3,
        "WAVE_FINISHED": 3,
        "PAUSED": 1,
        "RESUMED": 1,
        "EXECUTION_FINISHED": 1,
    }
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert one(events, "EXECUTION_STARTED")["actor"] and one(events, "RESUMED")["actor"]
    assert one(events, "RESUMED")["details"] == {"comment": "app tier checked"}
    servers = [e for e in events if e["type"] == "SERVER_READY"]
    assert len(servers) == 4 and all(e["details"]["recoveryTimeSeconds"] >= 0 for e in servers)
    # And the recovery time agrees with the timeline to the second
    recovery = final["recoveryTime"]
    started = at(one(events, "EXECUTION_STARTED"))
    last_wave = max(at(e) for e in events if e["type"] == "WAVE_FINISHED")
    # (a span is counted in whole seconds: the second of its end minus the second of its start)
    assert recovery["seconds"] == whole_seconds(started, last_wave)
    paused = whole_seconds(at(one(events, "PAUSED")), at(one(events, "RESUMED")))
    assert recovery["pausedSeconds"] == paused and recovery["pausedSeconds"] >= 3
    assert recovery["activeSeconds"] == recovery["seconds"] - recovery["pausedSeconds"]
    assert (recovery["targetSeconds"], recovery["met"]) == (600, True)
    # And the report says the same
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    assert report["verdict"] == "MET" and report["recoveryTime"] == recovery
    assert report["execution"]["statusLabel"] == "COMPLETED" and len(report["waves"]) == 3


@pytest.mark.slow
def test_a_drill_slower_than_its_target_is_missed(api: Api) -> None:
    # Given a one-minute target and an operator who takes over a minute to resume
    execution_id, final = paused_drill(api, pause_seconds=61, rtoTargetMinutes=1)
    # Then the drill completed but missed its objective, and its report says so
    assert final["status"] == "COMPLETED"
    assert final["recoveryTime"]["met"] is False and final["recoveryTime"]["seconds"] > 60
    assert api.call("GET", f"/executions/{execution_id}/report", expect=200)["verdict"] == "MISSED"


def test_a_partial_success_timeline_names_who_cancelled(api: Api) -> None:
    # Given a drill cancelled while paused after its first wave
    plan_id = api.plan(
        [(api.servers(1, phaseDurations=QUICK), False), (api.servers(1, phaseDurations=QUICK), True)]
    )
    execution_id = api.start(plan_id)
    api.watch(execution_id, lambda r: r["status"] == "PAUSED")
    api.call("POST", f"/executions/{execution_id}/cancel", expect=200)
    final, _ = api.watch(execution_id, finished)
    events = timeline(api, execution_id)
    # Then the timeline says who cancelled and how each wave ended, and no recovery time is claimed
    assert final["status"] == "PARTIAL_SUCCESS"
    assert one(events, "CANCEL_REQUESTED")["actor"]
    ends = {e["waveNumber"]: e["details"]["status"] for e in events if e["type"] == "WAVE_FINISHED"}
    assert ends == {1: "COMPLETED", 2: "CANCELLED"}
    assert final["recoveryTime"]["seconds"] is None
    report = api.call("GET", f"/executions/{execution_id}/report", expect=200)
    assert report["recoveryInstances"]["canTerminate"] is True


def test_a_timeline_of_an_unknown_execution_is_404(api: Api) -> None:
    assert api.call("GET", "/executions/nope/timeline", expect=404)["error"]["code"] == "EXECUTION_NOT_FOUND"


def test_drsctl_prints_the_report_and_the_plans_history(api: Api, sandbox: Sandbox, tmp_path: Path) -> None:
    # Given a finished drill with a target
    plan_id = api.plan([(api.servers(1, phaseDurations=QUICK), False)], rtoTargetMinutes=30)
    execution_id = api.start(plan_id)
    api.watch(execution_id, finished)
    # When the operator asks drsctl for the report and the plan's history
    markdown = drsctl(sandbox, "report", execution_id)
    saved = tmp_path / "report.json"
    as_json = drsctl(sandbox, "report", execution_id, "--format", "json", "-o", str(saved))
    history = drsctl(sandbox, "history", plan_id)
    # Then the report says the outcome and the verdict, and the history lists the drill
    assert markdown.returncode == 0, markdown.stderr
    assert (
        "Outcome: **COMPLETED**" in markdown.stdout and "against a target of 30m 00s: MET" in markdown.stdout
    )
    assert as_json.returncode == 0 and json.loads(saved.read_text())["verdict"] == "MET"
    assert history.returncode == 0, history.stderr
    assert (
        execution_id in history.stdout and "MET" in history.stdout and "success rate 100%" in history.stdout
    )
