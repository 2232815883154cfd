"""Who decided is never lost, on in-memory ports: an operator's decision (pause, resume, approve,
retry, skip, cancel, terminate) and its timeline event are written in one conditional write, the
event to the record's outbox. When the timeline cannot be written, the decision is still answered
and recorded, the event waits in the outbox, and the next step, the scheduled find or the report
moves it to the timeline: once, with who acted. The operations run as the state machine calls
them (tests/support/orchestration_driver.py); time is the fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from orchestrator.exceptions import TransientError
from orchestrator.model import TimelineEvent
from orchestrator.operations import actions, control, finalize, find, report, terminate, waves
from orchestrator.operations.finalize import expected_events
from orchestrator.operations.timeline import all_events

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


class Timeline:
    """The timeline store, unavailable while ``down`` (as DynamoDB is after botocore's retries);
    counts the events actually written, by id."""

    def __init__(self, orc: Orchestration) -> None:
        self.store = orc.deps.stores.timeline
        self.real = self.store.record
        self.down = False
        self.written: dict[str, int] = {}
        self.store.record = self.record  # type: ignore[method-assign]

    def record(self, execution_id: str, event_id: str, event: TimelineEvent) -> bool:
        if self.down:
            raise TransientError("DynamoDB PutItem is throttled or unavailable (InternalServerError)")
        new = bool(self.real(execution_id, event_id, event))
        if new:
            self.written[event_id] = self.written.get(event_id, 0) + 1
        return new


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def two_waves(orc: Orchestration, *, pause_before_second: bool = False, **options: Any) -> str:
    groups = [orc.add_group(f"g{n}", orc.servers(1, phaseDurations=QUICK)) for n in (1, 2)]
    return orc.add_plan([("W1", [groups[0]], False), ("W2", [groups[1]], pause_before_second)], **options)


def paused_before_wave_2(orc: Orchestration) -> str:
    execution_id = orc.start(two_waves(orc, pause_before_second=True))["executionId"]
    record = orc.run_to_end(execution_id, resume=False)
    assert (record["status"], record["pauseReason"]) == ("PAUSED", "BEFORE_WAVE")
    return execution_id


def paused_at_approval(orc: Orchestration) -> str:
    ids = orc.servers(1, phaseDurations=QUICK)
    plan_id = orc.add_plan(
        [("W1", [orc.add_group("g1", ids)], False)],
        {1: {"preActions": [{"name": "sign-off", "type": "APPROVAL"}]}},
    )
    execution_id = orc.start(plan_id)["executionId"]
    record = orc.run_to_end(execution_id, resume=False)
    assert (record["status"], record["pauseReason"]) == ("PAUSED", "APPROVAL")
    return execution_id


def paused_on_failed_wave(orc: Orchestration) -> str:
    orc.deps.functions.functions["drs-actions-gate"] = lambda event: {"status": "FAILED", "message": "no"}  # type: ignore[attr-defined]
    gate = {"name": "gate", "type": "LAMBDA", "functionName": "drs-actions-gate"}
    groups = [orc.add_group(f"g{n}", orc.servers(1, phaseDurations=QUICK)) for n in (1, 2)]
    plan_id = orc.add_plan(
        [("W1", [groups[0]], False), ("W2", [groups[1]], False)],
        {1: {"preActions": [gate]}},
        onWaveFailure="PAUSE",
    )
    execution_id = orc.start(plan_id)["executionId"]
    record = orc.run_to_end(execution_id, resume=False)
    assert (record["status"], record["pauseReason"]) == ("PAUSED", "WAVE_FAILED")
    return execution_id


def completed(orc: Orchestration) -> str:
    execution_id = orc.start(two_waves(orc))["executionId"]
    assert orc.run_to_end(execution_id)["status"] == "COMPLETED"
    report.write_report(orc.deps, {"executionId": execution_id})
    return execution_id


# Each control: (how to bring an execution to where it applies, the decision, the event it makes,
# the step the state machine runs next).
Setup = Callable[[Orchestration], str]
Decide = Callable[[Orchestration, str], Any]
CONTROLS: dict[str, tuple[Setup, Decide, str]] = {
    "pause": (
        lambda orc: orc.start(two_waves(orc))["executionId"],
        lambda orc, eid: control.request_pause(orc.deps, eid, actor="alice"),
        "PAUSE_REQUESTED",
    ),
    "resume": (
        paused_before_wave_2,
        lambda orc, eid: control.resume(orc.deps, eid, actor="alice", comment="go"),
        "RESUMED",
    ),
    "approve": (
        paused_at_approval,
        lambda orc, eid: control.resume(orc.deps, eid, actor="alice", comment="signed"),
        "APPROVED",
    ),
    "retry": (
        paused_on_failed_wave,
        lambda orc, eid: control.retry_wave(orc.deps, eid, actor="alice", comment="fixed"),
        "WAVE_RETRIED",
    ),
    "skip": (
        paused_on_failed_wave,
        lambda orc, eid: control.skip_wave(orc.deps, eid, actor="alice", comment="accepted"),
        "WAVE_SKIPPED",
    ),
    "cancel": (
        paused_before_wave_2,
        lambda orc, eid: control.cancel(orc.deps, eid, actor="alice", reason="stop"),
        "CANCEL_REQUESTED",
    ),
    "terminate": (
        completed,
        lambda orc, eid: terminate.start_termination(orc.deps, eid, actor="alice"),
        "TERMINATION_STARTED",
    ),
}


def events_of(orc: Orchestration, execution_id: str, kind: str) -> list[TimelineEvent]:
    return [e for e in all_events(orc.deps, execution_id) if e["type"] == kind]


def stored_report(orc: Orchestration, execution_id: str) -> dict[str, Any]:
    (body,) = [
        v
        for k, v in orc.deps.reports.objects.items()  # type: ignore[attr-defined]
        if execution_id in k and k.endswith(".json")
    ]
    return dict(json.loads(body))


def to_the_end(orc: Orchestration, execution_id: str) -> dict[str, Any]:
    """Drive on to the end (a later pause is cancelled by someone else), then WriteReport."""
    record = orc.get(execution_id)
    if record["status"] not in ("COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"):
        record = orc.run_to_end(
            execution_id, on_pause=lambda eid, _r: control.cancel(orc.deps, eid, actor="closer")
        )
        report.write_report(orc.deps, {"executionId": execution_id})
    return record


@pytest.mark.parametrize("name", list(CONTROLS))
def test_a_decision_whose_event_cannot_be_written_stands_and_its_event_reaches_the_report_once(
    orc: Orchestration, name: str
) -> None:
    setup, decide, kind = CONTROLS[name]
    # Given an execution where the control applies, and the timeline unavailable
    execution_id = setup(orc)
    timeline = Timeline(orc)
    timeline.down = True
    # When alice decides
    answered = decide(orc, execution_id)
    # Then she is answered with the decision, which is recorded, its event waiting in the outbox
    record = orc.get(execution_id)
    assert answered["executionId"] == execution_id
    (waiting,) = record["pendingEvents"]
    assert waiting["event"]["type"] == kind and waiting["event"]["actor"] == "alice"
    assert record["eventsPending"] == "PENDING"
    assert events_of(orc, execution_id, kind) == []
    # And when the timeline is back and the scheduled find runs
    timeline.down = False
    result = find.find(orc.deps)
    # Then the event is in the timeline with who acted, and the outbox is empty
    assert execution_id in result["eventsWritten"] and result["errors"] == []
    (event,) = events_of(orc, execution_id, kind)
    assert event["actor"] == "alice" and event["actorIdentity"]["name"] == "alice"
    assert "pendingEvents" not in orc.get(execution_id) and "eventsPending" not in orc.get(execution_id)
    # And the report of the execution holds it once, and no event was written twice
    to_the_end(orc, execution_id)
    in_report = [e for e in stored_report(orc, execution_id)["timeline"] if e["type"] == kind]
    assert [e["actor"] for e in in_report] == ["alice"]
    assert timeline.written[waiting["eventId"]] == 1
    assert all(count == 1 for count in timeline.written.values())


NEXT_STEP: dict[str, Callable[[Orchestration, str], Any]] = {
    "resume": lambda orc, eid: waves.advance(orc.deps, {"executionId": eid, "waveIndex": 1}),
    "approve": lambda orc, eid: actions.run_action(
        orc.deps, {"executionId": eid, "waveIndex": 0, "stage": "PRE"}
    ),
    "skip": lambda orc, eid: waves.advance(orc.deps, {"executionId": eid, "waveIndex": 0}),
    "cancel": lambda orc, eid: waves.advance(orc.deps, {"executionId": eid, "waveIndex": 1}),
    "pause": lambda orc, eid: waves.advance(orc.deps, {"executionId": eid, "waveIndex": 0}),
}


@pytest.mark.parametrize("name", list(NEXT_STEP))
def test_the_next_state_machine_step_writes_a_waiting_event(orc: Orchestration, name: str) -> None:
    setup, decide, kind = CONTROLS[name]
    # Given a decision recorded while the timeline was unavailable
    execution_id = setup(orc)
    timeline = Timeline(orc)
    timeline.down = True
    decide(orc, execution_id)
    assert orc.get(execution_id)["pendingEvents"]
    # When the timeline is back and the step the state machine runs next reads the record
    timeline.down = False
    NEXT_STEP[name](orc, execution_id)
    # Then that step wrote the event, with who acted, and emptied the outbox
    assert [e["actor"] for e in events_of(orc, execution_id, kind)] == ["alice"]
    assert "pendingEvents" not in orc.get(execution_id)


def test_a_step_that_cannot_write_a_waiting_event_goes_on_and_keeps_it(orc: Orchestration) -> None:
    # Given a resume recorded while the timeline was unavailable, which is still unavailable
    execution_id = paused_before_wave_2(orc)
    timeline = Timeline(orc)
    timeline.down = True
    control.resume(orc.deps, execution_id, actor="alice")
    # When the state machine's next step runs
    state = waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 1})
    # Then the wave goes on (the operator's event is not the wave's to fail), the event kept
    assert state["next"] in ("START_WAVE", "ACTIONS")
    assert [p["eventId"] for p in orc.get(execution_id)["pendingEvents"]] == ["RESUMED#2"]


def test_a_retried_request_is_answered_the_same_and_doubles_nothing(orc: Orchestration) -> None:
    # Given a cancel answered while the timeline was unavailable
    execution_id = paused_before_wave_2(orc)
    timeline = Timeline(orc)
    timeline.down = True
    first = control.cancel(orc.deps, execution_id, actor="alice", reason="stop")
    sent = list(orc.sfn.actions)
    # When alice's client sends the same request again (the timeline still down, then back)
    second = control.cancel(orc.deps, execution_id, actor="alice", reason="stop")
    timeline.down = False
    third = control.cancel(orc.deps, execution_id, actor="alice", reason="stop")
    # Then every answer is the same decision, the state machine was told once, and the event was
    # waiting once and written once, by the request that found the timeline back
    assert first["status"] == second["status"] == third["status"] == "CANCELLING"
    assert orc.sfn.actions == sent and [a for _t, a in sent].count("CANCEL") == 1
    assert [e["actor"] for e in events_of(orc, execution_id, "CANCEL_REQUESTED")] == ["alice"]
    assert "pendingEvents" not in orc.get(execution_id)
    assert timeline.written["CANCEL_REQUESTED"] == 1


def test_the_report_waits_for_the_outbox_and_holds_who_decided(orc: Orchestration) -> None:
    # Given a drill cancelled while the timeline was unavailable, finalized while it still was (the
    # final status written, its events not)
    execution_id = paused_before_wave_2(orc)
    timeline = Timeline(orc)
    timeline.down = True
    control.cancel(orc.deps, execution_id, actor="alice", reason="stop")
    with pytest.raises(TransientError):
        finalize.finalize_execution(orc.deps, execution_id)
    execution = orc.get(execution_id)
    assert execution["status"] == "PARTIAL_SUCCESS"  # wave 1 had completed
    assert "CANCEL_REQUESTED" in expected_events(execution)
    # When WriteReport runs while the timeline is down
    # Then it refuses (Step Functions retries it) and writes no report
    with pytest.raises(TransientError):
        report.write_report(orc.deps, {"executionId": execution_id})
    assert orc.deps.reports.objects == {}  # type: ignore[attr-defined]
    # And once the timeline is back, the retried WriteReport writes it, with the cancel and who asked
    timeline.down = False
    report.write_report(orc.deps, {"executionId": execution_id})
    (cancelled,) = [
        e for e in stored_report(orc, execution_id)["timeline"] if e["type"] == "CANCEL_REQUESTED"
    ]
    assert (cancelled["actor"], cancelled["details"]) == ("alice", {"reason": "stop"})
    assert "pendingEvents" not in orc.get(execution_id)
    assert all(count == 1 for count in timeline.written.values())


def test_a_termination_event_written_late_is_added_to_the_stored_report(orc: Orchestration) -> None:
    # Given a completed drill whose report was written, and its termination requested while the
    # timeline was unavailable
    execution_id = completed(orc)
    timeline = Timeline(orc)
    timeline.down = True
    terminate.start_termination(orc.deps, execution_id, actor="alice")
    record = orc.get(execution_id)
    # Then the jobs were recorded with their event (nothing lost between them)
    assert (
        record["terminationJobIds"] and record["pendingEvents"][0]["event"]["type"] == "TERMINATION_STARTED"
    )
    assert not any(e["type"] == "TERMINATION_STARTED" for e in stored_report(orc, execution_id)["timeline"])
    # When the timeline is back and find runs
    timeline.down = False
    assert execution_id in find.find(orc.deps)["eventsWritten"]
    # Then the stored report was written again and holds who terminated
    (event,) = [e for e in stored_report(orc, execution_id)["timeline"] if e["type"] == "TERMINATION_STARTED"]
    assert event["actor"] == "alice"
    assert list(orc.deps.stores.executions.with_pending_events()) == []
