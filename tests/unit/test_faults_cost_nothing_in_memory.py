"""One passing fault costs neither a wave nor an event, on in-memory ports: a throttled or failing
action service is retried before an attempt counts; a timeline write that fails fails its step, which
Step Functions repeats, and the repeat writes the event; the report waits for a complete timeline."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from orchestrator.exceptions import TransientError
from orchestrator.model import TimelineEvent
from orchestrator.operations import actions, finalize, poll, report, waves
from orchestrator.operations.actions import TRANSIENT_BACKOFF_SECONDS
from orchestrator.operations.timeline import all_events

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}
THROTTLED = "Lambda Invoke is throttled or unavailable (ServiceException)"


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def plan_with_actions(orc: Orchestration, **action: Any) -> str:
    ids = orc.servers(1, phaseDurations=QUICK)
    runbook = {
        1: {
            "preActions": [{"name": "freeze", "type": "LAMBDA", "functionName": "freeze", **action}],
            "postActions": [{"name": "settle", "type": "WAIT", "durationSeconds": 60}],
        }
    }
    return orc.add_plan([("W1", [orc.add_group("g1", ids)], False)], runbook)


def failing_invocations(orc: Orchestration, times: int) -> list[int]:
    """The next ``times`` invocations fail as Lambda's 5xx does (the function did not run)."""
    real = orc.deps.functions.invoke
    left = [times]

    def invoke(name: str, event: Any) -> Any:
        if left[0] > 0:
            left[0] -= 1
            raise TransientError(THROTTLED)
        return real(name, event)

    orc.deps.functions.invoke = invoke  # type: ignore[method-assign]
    return left


# --- 10: the action services' passing faults -------------------------------------------------------


def test_a_lambda_action_whose_service_fails_three_times_succeeds_on_its_only_attempt(
    orc: Orchestration,
) -> None:
    # Given a LAMBDA action allowed one attempt, and Lambda answering 5xx to the next 3 invocations
    ran: list[dict[str, Any]] = []
    orc.deps.functions.functions["freeze"] = lambda event: ran.append(event) or {"frozen": True}  # type: ignore[attr-defined]
    plan_id = plan_with_actions(orc, maxAttempts=1)
    left = failing_invocations(orc, 3)
    # When the drill runs
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    # Then the service faults were retried, the function ran once, and nothing failed
    assert left == [0]
    assert len(ran) == 1
    action = final["waves"][0]["actions"][0]
    assert (action["status"], action["attempts"]) == ("SUCCEEDED", 1)
    assert final["status"] == "COMPLETED"
    assert "transientRetries" not in action


def test_an_action_service_down_through_every_backoff_costs_one_attempt_with_the_reason(
    orc: Orchestration,
) -> None:
    # Given Lambda failing every invocation, and a LAMBDA action allowed one attempt
    orc.deps.functions.functions["freeze"] = lambda event: {"frozen": True}  # type: ignore[attr-defined]
    plan_id = plan_with_actions(orc, maxAttempts=1)
    failing_invocations(orc, 10_000)
    # When the drill runs
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    # Then only after every backoff did the attempt count, naming the service's fault
    action = final["waves"][0]["actions"][0]
    assert (action["status"], action["attempts"]) == ("FAILED", 1)
    assert THROTTLED in action["error"]
    assert f"after {len(TRANSIENT_BACKOFF_SECONDS) + 1} tries" in action["error"]
    assert final["waves"][0]["status"] == "FAILED"


def test_a_function_that_raises_is_not_retried_beyond_max_attempts(orc: Orchestration) -> None:
    # Given a function that raises, allowed one attempt
    calls: list[int] = []

    def broken(_event: dict[str, Any]) -> None:
        calls.append(1)
        raise RuntimeError("disk full")

    orc.deps.functions.functions["freeze"] = broken  # type: ignore[attr-defined]
    plan_id = plan_with_actions(orc, maxAttempts=1)
    # When the drill runs
    final = orc.run_to_end(orc.start(plan_id)["executionId"])
    # Then the function's own failure ended the attempt at once: one call, the wave failed
    assert calls == [1]
    assert final["waves"][0]["actions"][0]["status"] == "FAILED"
    assert "disk full" in final["waves"][0]["actions"][0]["error"]


# --- 11: no timeline event lost ----------------------------------------------------------------------


class FlakyTimeline:
    """The first write of every event fails as DynamoDB does when it is unavailable."""

    def __init__(self, timeline: Any) -> None:
        self.real = timeline.record
        self.failed: set[str] = set()
        timeline.record = self.record

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        if event_id not in self.failed:
            self.failed.add(event_id)
            raise TransientError("DynamoDB PutItem is throttled or unavailable (InternalServerError)")
        return bool(self.real(execution_id, event_id, event))


def retried(operation: Callable[..., Any]) -> Callable[..., Any]:
    """The operation as the state machine runs it: a TransientError is retried (the ASL's Retry)."""

    @functools.wraps(operation)
    def run(*args: Any, **kwargs: Any) -> Any:
        for _ in range(100):
            try:
                return operation(*args, **kwargs)
            except TransientError:
                continue
        raise AssertionError("still failing after 100 retries")

    return run


def drill(orc: Orchestration) -> tuple[dict[str, Any], list[TimelineEvent]]:
    orc.deps.functions.functions["freeze"] = lambda event: {"frozen": True}  # type: ignore[attr-defined]
    execution_id = orc.start(plan_with_actions(orc, maxAttempts=2))["executionId"]
    final = orc.run_to_end(execution_id)
    report.write_report(orc.deps, {"executionId": execution_id})
    return final, all_events(orc.deps, execution_id)


def shape(events: list[TimelineEvent]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            e["type"],
            e.get("waveNumber"),
            (e.get("details") or {}).get("action"),
            (e.get("details") or {}).get("attempt"),
        )
        for e in events
        if not e["type"].startswith("SERVER_")
    )


def test_a_drill_whose_timeline_writes_keep_failing_loses_no_event(
    orc: Orchestration, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the events of a drill with a LAMBDA pre-action and a WAIT post-action, undisturbed
    _, expected = drill(in_memory_orchestration())
    # And a drill of the same plan whose first write of each event fails, its steps retried
    for module, name in (
        (waves, "advance"),
        (waves, "start_wave"),
        (waves, "pause"),
        (poll, "poll"),
        (actions, "run_action"),
        (finalize, "finalize"),
        (report, "write_report"),
    ):
        monkeypatch.setattr(module, name, retried(getattr(module, name)))
    flaky = FlakyTimeline(orc.deps.stores.timeline)
    # When it runs to its end and its report is written
    final, events = drill(orc)
    # Then writes did fail, yet it completed with every event of the undisturbed drill, once each
    assert len(flaky.failed) >= 10
    assert final["status"] == "COMPLETED"
    assert shape(events) == shape(expected)
    kinds = [e["type"] for e in events]
    assert {"EXECUTION_FINISHED", "REPORT_WRITTEN", "ACTION_STARTED", "ACTION_SUCCEEDED"} <= set(kinds)
    # And the report was built from the complete timeline
    stored = orc.deps.stores.executions.get(final["executionId"])
    assert stored["reportLocation"].startswith("memory://")
    (body,) = [v for k, v in orc.deps.reports.objects.items() if k.endswith(".json")]  # type: ignore[attr-defined]
    assert '"EXECUTION_FINISHED"' in body and '"ACTION_SUCCEEDED"' in body


def test_the_report_is_not_written_while_the_timeline_lacks_an_event(orc: Orchestration) -> None:
    # Given an ended drill whose timeline still lacks its EXECUTION_FINISHED (as DynamoDB answers)
    orc.deps.functions.functions["freeze"] = lambda event: {"frozen": True}  # type: ignore[attr-defined]
    execution_id = orc.start(plan_with_actions(orc))["executionId"]
    orc.run_to_end(execution_id)
    timeline = orc.deps.stores.timeline
    real_missing = timeline.missing

    def missing(execution_id: str, event_ids: Any) -> list[str]:
        return [*real_missing(execution_id, event_ids), "EXECUTION_FINISHED"]

    timeline.missing = missing  # type: ignore[method-assign]
    # When the state machine's WriteReport runs
    # Then it refuses (a TransientError, which Step Functions retries) and writes no report
    with pytest.raises(TransientError, match="EXECUTION_FINISHED"):
        report.write_report(orc.deps, {"executionId": execution_id})
    assert orc.deps.reports.objects == {}  # type: ignore[attr-defined]


# --- 13: a drill right after the previous one's termination ------------------------------------------


def test_a_drill_started_while_its_servers_instances_are_terminated_is_refused_naming_the_job(
    orc: Orchestration,
) -> None:
    from orchestrator.exceptions import ConflictError
    from orchestrator.operations import terminate

    # Given a drill that completed, and the termination of its instances just started (a DRS job)
    ids = orc.servers(2, phaseDurations=QUICK)
    plan_id = orc.add_plan([("W1", [orc.add_group("g1", ids)], False)])
    first = orc.run_to_end(orc.start(plan_id)["executionId"])
    assert first["status"] == "COMPLETED"
    terminate.start_termination(orc.deps, first["executionId"], actor="ops")
    (job,) = [j for j in orc.deps.drs.active_jobs(orc.deps.clock.now()) if j["type"] == "TERMINATE"]
    # When the same plan is started again at once
    with pytest.raises(ConflictError) as refused:
        orc.start(plan_id)
    # Then it is refused with 409, naming the termination job, and nothing was locked
    assert refused.value.http_status == 409
    assert job["jobID"] in refused.value.message and "TERMINATE" in refused.value.message
    assert orc.deps.stores.locks.holders() == {}
    # And once the termination ended, the drill starts and completes
    orc.clock.advance(600)
    assert orc.deps.drs.active_jobs(orc.deps.clock.now()) == []
    assert orc.run_to_end(orc.start(plan_id)["executionId"])["status"] == "COMPLETED"


def test_a_wave_whose_servers_are_in_a_termination_job_waits_queued_for_it(orc: Orchestration) -> None:
    # Given a drill of two servers whose previous recovery instances are being terminated, started
    # before the termination job appeared (it raced the pre-flight)
    ids = orc.servers(2, phaseDurations=QUICK)
    plan_id = orc.add_plan([("W1", [orc.add_group("g1", ids)], False)])
    earlier = orc.run_to_end(orc.start(plan_id)["executionId"])
    execution_id = orc.start(plan_id)["executionId"]
    from orchestrator.operations import terminate

    terminate.start_termination(orc.deps, earlier["executionId"], actor="ops")
    # When its wave starts
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0}))
    state = dict(waves.start_wave(orc.deps, state))
    # Then the wave waits, QUEUED_FOR_CAPACITY, naming the termination job
    record = orc.get(execution_id)
    assert state["capacityQueued"] is True
    assert record["waves"][0]["phase"] == "QUEUED_FOR_CAPACITY"
    assert "TERMINATE" in str(record["waves"][0].get("queuedReason"))
    # And once the termination ended, the wave starts and the drill completes
    orc.clock.advance(600)
    final = orc.run_to_end(execution_id)
    assert final["status"] == "COMPLETED"
