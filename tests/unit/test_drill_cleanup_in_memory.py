"""The automatic cleanup of a drill's recovery instances (options.drillCleanupAfterHours), on
in-memory ports: finalize records cleanupAt and puts the schedules, the firings terminate through
the manual terminate's path and notify, a postpone moves the cleanup, stale and late firings do
nothing, and a RECOVERY never gets one."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import cleanup_pending, cleanup_time, cleanup_warning_time, postponed_cleanup_time
from orchestrator.exceptions import ConflictError, TransientError, ValidationFailedError
from orchestrator.notify.cleanup import CleanupAnnouncer
from orchestrator.operations import cleanup, find, terminate
from orchestrator.operations.dispatch import run_operation
from orchestrator.store.changes import Change
from orchestrator.views import execution_view

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@dataclass
class FakeSchedules:
    """The Scheduler port: what is put, by name (a put replaces), and what was deleted."""

    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def put(
        self,
        name: str,
        *,
        expression: str,
        payload: Mapping[str, Any],
        timezone: str | None = None,
        enabled: bool = True,
        one_time: bool = False,
        description: str = "",
    ) -> None:
        self.schedules[name] = {
            "expression": expression,
            "payload": dict(payload),
            "timezone": timezone,
            "oneTime": one_time,
        }

    def delete(self, name: str) -> None:
        self.schedules.pop(name, None)
        self.deleted.append(name)

    def fire(self, name: str) -> Any:
        """As EventBridge Scheduler does: the payload is the execution handler's event; a one-time
        schedule is gone after it fired."""
        schedule = self.schedules.pop(name)
        return schedule["payload"]


@dataclass
class FakeChannel:
    sent: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0

    def send(self, payload: dict[str, Any]) -> str:
        if self.failures:
            self.failures -= 1
            raise TransientError("the channel is down")
        self.sent.append(payload)
        return f"m-{len(self.sent)}"


@dataclass
class Cleanup:
    orc: Orchestration
    schedules: FakeSchedules
    sns: FakeChannel
    events: FakeChannel
    drills: int = 0

    def fire(self, name: str, deps: Any = None) -> Any:
        return run_operation(deps or self.orc.deps, self.schedules.fire(name))

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.sns.sent]


@pytest.fixture
def env() -> Iterator[Cleanup]:
    orc = in_memory_orchestration()
    schedules, sns, events = FakeSchedules(), FakeChannel(), FakeChannel()
    orc.deps = replace(orc.deps, schedules=schedules, cleanup_announcer=CleanupAnnouncer(sns, events))
    yield Cleanup(orc, schedules, sns, events)


def drill(env: Cleanup, servers: int = 2, **options: Any) -> dict[str, Any]:
    orc = env.orc
    env.drills += 1
    group = orc.add_group(f"g{env.drills}", orc.servers(servers, phaseDurations=QUICK))
    plan_id = orc.add_plan([("W1", [group], False)], **options)
    return orc.run_to_end(orc.start(plan_id)["executionId"])


def names(execution_id: str) -> tuple[str, str]:
    return cleanup.schedule_names(execution_id)


def instance_states(env: Cleanup, execution_id: str) -> set[str]:
    ids = [
        s["ec2InstanceId"] for s in env.orc.deps.stores.servers.all(execution_id) if s.get("ec2InstanceId")
    ]
    return {d["ec2State"] for d in env.orc.deps.ec2.instances(ids).values()}


def finish_terminations(env: Cleanup, execution_id: str) -> None:
    for _ in range(30):
        env.orc.clock.advance(60)
        if execution_id in find.find(env.orc.deps)["terminationsFinished"]:
            return
    raise AssertionError("the termination did not finish")


def test_cleanup_times_are_one_computation_from_the_recorded_end() -> None:
    # Given an end time, When the cleanup and its warning are computed, Then hours later and one hour before.
    assert cleanup_time("2026-01-01T10:00:00.250Z", 5) == "2026-01-01T15:00:00.250Z"
    assert cleanup_warning_time("2026-01-01T15:00:00.250Z") == "2026-01-01T14:00:00.250Z"
    # A postpone counts from cleanupAt, or from now when cleanupAt has passed.
    assert postponed_cleanup_time("2026-01-01T15:00:00.000Z", "2026-01-01T12:00:00.000Z", 2) == (
        "2026-01-01T17:00:00.000Z"
    )
    assert postponed_cleanup_time("2026-01-01T15:00:00.000Z", "2026-01-01T16:30:00.000Z", 2) == (
        "2026-01-01T18:30:00.000Z"
    )
    assert cleanup.at_expression("2026-01-01T15:00:00.250Z") == "at(2026-01-01T15:00:01)"
    assert cleanup.at_expression("2026-01-01T15:00:00.000Z") == "at(2026-01-01T15:00:00)"


def test_a_finished_drill_gets_cleanup_at_and_two_one_time_schedules(env: Cleanup) -> None:
    # Given a plan with drillCleanupAfterHours 5, When its drill ends,
    record = drill(env, drillCleanupAfterHours=5)
    execution_id = record["executionId"]
    # Then cleanupAt is the recorded end plus 5 hours, and both schedules carry it.
    assert record["cleanupAt"] == cleanup_time(record["endTime"], 5)
    warning, final = names(execution_id)
    assert env.schedules.schedules[final]["payload"] == {
        "operation": "cleanup",
        "executionId": execution_id,
        "cleanupAt": record["cleanupAt"],
    }
    assert env.schedules.schedules[final]["oneTime"] is True
    assert env.schedules.schedules[final]["expression"] == cleanup.at_expression(record["cleanupAt"])
    assert env.schedules.schedules[warning]["payload"]["operation"] == "cleanup_warning"
    assert env.schedules.schedules[warning]["expression"] == cleanup.at_expression(
        cleanup_warning_time(record["cleanupAt"])
    )
    # And the API shows when the cleanup will happen; nothing was announced yet.
    view = execution_view(record, env.orc.deps.clock.now())
    assert view["cleanupAt"] == record["cleanupAt"] and view["cleanupPending"] is True
    assert env.sns.sent == []


def test_a_drill_without_the_option_or_a_recovery_never_gets_a_cleanup(env: Cleanup) -> None:
    # Given a drill of a plan without the option, Then no cleanup.
    plain = drill(env)
    assert "cleanupAt" not in plain and env.schedules.schedules == {}
    # Given a RECOVERY of a plan with the option, When it ends, Then no cleanup either.
    group = env.orc.add_group("prod", env.orc.servers(1, phaseDurations=QUICK))
    plan_id = env.orc.add_plan([("W1", [group], False)], drillCleanupAfterHours=1)
    recovery = env.orc.run_to_end(env.orc.start(plan_id, "RECOVERY")["executionId"])
    assert recovery["status"] == "COMPLETED" and "cleanupAt" not in recovery
    assert env.schedules.schedules == {}
    # And a postpone of a RECOVERY is refused as such (422).
    with pytest.raises(ValidationFailedError) as refused:
        cleanup.postpone(env.orc.deps, recovery["executionId"], hours=2, actor="alice")
    assert refused.value.code == "RECOVERY_HAS_NO_CLEANUP"


def test_the_warning_and_the_cleanup_terminate_exactly_the_drills_instances_and_notify(env: Cleanup) -> None:
    # Given two drills, the first with drillCleanupAfterHours 3,
    first = drill(env, drillCleanupAfterHours=3)
    second = drill(env)
    execution_id = first["executionId"]
    warning, final = names(execution_id)
    # When the warning fires, Then one SNS message and one event say when and how to postpone.
    assert env.fire(warning)["outcome"] == "WARNED"
    assert len(env.sns.sent) == 1 and "drill instances terminated at" in env.sns.sent[0]["Subject"]
    assert f"drsctl cleanup {execution_id} --postpone" in env.sns.sent[0]["Message"]
    assert first["cleanupAt"] in env.sns.sent[0]["Message"]
    assert json.loads(env.events.sent[0]["Detail"])["cleanupAt"] == first["cleanupAt"]
    # When the cleanup fires, Then the termination starts as a manual one would, by "automatic cleanup".
    env.orc.clock.advance(3 * 3600)
    assert env.fire(final)["outcome"] == "TERMINATION_STARTED"
    record = env.orc.get(execution_id)
    assert record["terminationRequestedBy"] == "automatic cleanup"
    assert record["terminationRequestedByIdentity"] == {"type": "SYSTEM", "name": "automatic cleanup"}
    assert [m["MessageAttributes"]["eventType"]["StringValue"] for m in env.sns.sent] == [
        "CLEANUP_WARNING",
        "CLEANUP_DONE",
    ]
    assert "(automatic cleanup)" in env.sns.sent[1]["Subject"]
    finish_terminations(env, execution_id)
    # Then every instance of the drill is terminated, and none of the other drill's.
    assert instance_states(env, execution_id) == {"terminated"}
    assert instance_states(env, second["executionId"]) == {"running"}
    timeline, _more = env.orc.deps.stores.timeline.page(execution_id, limit=500)
    events = [e for e in timeline if e["type"] == "TERMINATION_STARTED"]
    assert [e.get("actor") for e in events] == ["automatic cleanup"]
    assert execution_view(env.orc.get(execution_id), env.orc.deps.clock.now())["cleanupPending"] is False


def test_a_repeated_firing_sends_only_what_is_owed(env: Cleanup) -> None:
    # Given a drill whose cleanup fired while EventBridge was down (SNS sent, the event failed),
    record = drill(env, drillCleanupAfterHours=2)
    _warning, final = names(record["executionId"])
    payload = env.schedules.schedules[final]["payload"]
    env.events.failures = 1
    with pytest.raises(TransientError):
        run_operation(env.orc.deps, payload)
    assert len(env.sns.sent) == 1 and env.events.sent == []
    # When the firing is repeated (Scheduler's retry), Then only the event goes out, no second termination.
    assert run_operation(env.orc.deps, payload)["outcome"] == "TERMINATION_STARTED"
    assert len(env.sns.sent) == 1 and len(env.events.sent) == 1
    # And a third firing sends nothing.
    run_operation(env.orc.deps, payload)
    assert len(env.sns.sent) == 1 and len(env.events.sent) == 1


def test_a_postpone_moves_the_cleanup_and_the_old_firing_does_nothing(env: Cleanup) -> None:
    # Given a drill whose cleanup is due in 2 hours,
    record = drill(env, drillCleanupAfterHours=2)
    execution_id = record["executionId"]
    warning, final = names(execution_id)
    old_payload = env.schedules.schedules[final]["payload"]
    # When alice postpones it by 4 hours,
    moved = cleanup.postpone(env.orc.deps, execution_id, hours=4, actor="alice")
    # Then cleanupAt is 4 hours later, who postponed is recorded, and both schedules carry the new value.
    assert moved["cleanupAt"] == postponed_cleanup_time(record["cleanupAt"], env.orc.deps.clock.iso(), 4)
    assert moved["cleanupPostponedBy"] == "alice"
    assert env.schedules.schedules[final]["payload"]["cleanupAt"] == moved["cleanupAt"]
    assert env.schedules.schedules[warning]["payload"]["cleanupAt"] == moved["cleanupAt"]
    # When a firing made for the old cleanupAt arrives, Then it does nothing.
    assert run_operation(env.orc.deps, old_payload) == {"outcome": "STALE"}
    assert "terminationStatus" not in env.orc.get(execution_id) and env.sns.sent == []
    # And a second postpone that read the old value loses (409 naming the winner's value).
    stores = env.orc.deps.stores.executions
    real_get = stores.get
    stores.get = _once(record, real_get)  # type: ignore[method-assign]  # bob read before alice wrote
    try:
        with pytest.raises(ConflictError) as lost:
            cleanup.postpone(env.orc.deps, execution_id, hours=1, actor="bob")
    finally:
        stores.get = real_get  # type: ignore[method-assign]
    assert lost.value.code == "CLEANUP_CHANGED" and moved["cleanupAt"] in lost.value.message
    assert env.orc.get(execution_id)["cleanupAt"] == moved["cleanupAt"]


def _once(first: Any, then: Any) -> Any:
    """A reader that answers ``first`` once (what a racing caller read), then reads for real."""
    answers = [first]

    def read(execution_id: str) -> Any:
        return answers.pop() if answers else then(execution_id)

    return read


def test_a_firing_after_a_manual_terminate_does_nothing(env: Cleanup) -> None:
    # Given a drill with a cleanup whose instances an operator terminated by hand,
    record = drill(env, drillCleanupAfterHours=1)
    execution_id = record["executionId"]
    terminate.start_termination(env.orc.deps, execution_id, actor="ops")
    finish_terminations(env, execution_id)
    sent = len(env.sns.sent)
    # When the cleanup fires, Then nothing happens and nothing misleading is recorded.
    _warning, final = names(execution_id)
    assert env.fire(final) == {"outcome": "NOTHING_TO_DO"}
    after = env.orc.get(execution_id)
    assert after["terminationRequestedBy"] == "ops" and len(env.sns.sent) == sent
    # And a postpone now is refused: there is nothing left to clean (409).
    with pytest.raises(ConflictError) as refused:
        cleanup.postpone(env.orc.deps, execution_id, hours=2, actor="alice")
    assert refused.value.code == "CLEANUP_DONE"


def test_a_one_hour_cleanup_warns_right_away_and_postpone_refuses_bad_input(env: Cleanup) -> None:
    # Given drillCleanupAfterHours 1: the warning's moment (an hour before) is the end itself,
    record = drill(env, drillCleanupAfterHours=1)
    execution_id = record["executionId"]
    warning, final = names(execution_id)
    # Then the warning went out at finalize, and only the cleanup is scheduled.
    assert [m["MessageAttributes"]["eventType"]["StringValue"] for m in env.sns.sent] == ["CLEANUP_WARNING"]
    assert warning not in env.schedules.schedules and final in env.schedules.schedules
    # A repeated finalize (Step Functions retry) sends it no second time.
    from orchestrator.operations.finalize import finalize_execution

    finalize_execution(env.orc.deps, execution_id)
    assert len(env.sns.sent) == 1
    # Postpone hours out of 1-168 are refused; an unknown execution is not found.
    for hours in (0, 169):
        with pytest.raises(ValidationFailedError):
            cleanup.postpone(env.orc.deps, execution_id, hours=hours, actor="alice")
    assert cleanup_pending(env.orc.get(execution_id))


def test_a_drill_without_instances_gets_no_cleanup_and_postpone_says_so(env: Cleanup) -> None:
    # Given a drill whose only server failed to launch,
    group = env.orc.add_group(
        "bad", env.orc.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="LAUNCH")
    )
    plan_id = env.orc.add_plan([("W1", [group], False)], drillCleanupAfterHours=1)
    record = env.orc.run_to_end(env.orc.start(plan_id)["executionId"])
    # Then no cleanup is set, and a postpone answers 409 NO_CLEANUP.
    assert "cleanupAt" not in record and env.schedules.schedules == {}
    with pytest.raises(ConflictError) as refused:
        cleanup.postpone(env.orc.deps, record["executionId"], hours=2, actor="alice")
    assert refused.value.code == "NO_CLEANUP"


def test_schedules_put_from_a_read_older_than_a_postpone_end_on_the_postponed_time(env: Cleanup) -> None:
    # Given a drill's cleanup postponed while finalize was still putting the schedules it read,
    record = drill(env, drillCleanupAfterHours=5)
    execution_id = record["executionId"]
    moved = cleanup.postpone(env.orc.deps, execution_id, hours=2, actor="alice")
    # When finalize's (late) arrangement puts the schedules for the value it read,
    cleanup.arrange(env.orc.deps, record)
    # Then both schedules carry the record's value, the postponed one.
    warning, final = names(execution_id)
    assert env.schedules.schedules[final]["payload"]["cleanupAt"] == moved["cleanupAt"]
    assert env.schedules.schedules[final]["expression"] == cleanup.at_expression(moved["cleanupAt"])
    assert env.schedules.schedules[warning]["payload"]["cleanupAt"] == moved["cleanupAt"]


def test_a_cleanup_due_while_drs_jobs_still_run_fires_again_later(env: Cleanup) -> None:
    # Given a drill with a cleanup whose DRS jobs still ran when the cleanup fired (jobsPending),
    record = drill(env, drillCleanupAfterHours=1)
    execution_id = record["executionId"]
    _warning, final = names(execution_id)
    payload = env.schedules.fire(final)
    env.orc.deps.stores.executions.backend.apply(  # the end as finalize records it with jobs running
        execution_id, Change().set("jobsPending", "PENDING")
    )
    # When the cleanup fires, Then nothing is terminated yet and it fires again ten minutes later.
    outcome = run_operation(env.orc.deps, payload)
    assert outcome["outcome"] == "RETRY_LATER"
    retry = env.schedules.schedules[cleanup.retry_schedule_name(execution_id)]
    assert retry["payload"] == payload and retry["oneTime"] is True
    assert "terminationStatus" not in env.orc.get(execution_id)
    # When the jobs ended and the retry fires, Then the cleanup terminates.
    env.orc.deps.stores.executions.backend.apply(execution_id, Change().remove("jobsPending"))
    again = run_operation(env.orc.deps, env.schedules.fire(cleanup.retry_schedule_name(execution_id)))
    assert again["outcome"] == "TERMINATION_STARTED"
    assert env.orc.get(execution_id)["terminationRequestedBy"] == "automatic cleanup"
