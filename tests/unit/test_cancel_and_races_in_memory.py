"""Evidence that never contradicts itself, on in-memory ports: a cancel stops actions (CANCELLED, never
FAILED) and is never answered by COMPLETED; an action waiting for its next attempt says so and when;
a pause is decided once, and everyone who came second is told who decided. The operations run as the
state machine calls them (tests/support/orchestration_driver.py); time is the fake clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import (
    ACTION_ENDED,
    ActionStatus,
    action_badge,
    action_status_text,
    decide_final_status,
    status_label,
)
from orchestrator.exceptions import ConflictError
from orchestrator.operations import actions, control, finalize, waves
from orchestrator.views import execution_view

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def plan_of(orc: Orchestration, runbook: dict[int, dict[str, list[dict[str, Any]]]], waves_: int = 1) -> str:
    ids = [orc.servers(1, phaseDurations=QUICK) for _ in range(waves_)]
    return orc.add_plan(
        [(f"W{n}", [orc.add_group(f"g{n}", group)], False) for n, group in enumerate(ids, start=1)],
        runbook,
    )


def approval(name: str = "sign-off") -> dict[str, Any]:
    return {"name": name, "type": "APPROVAL"}


def statuses(record: dict[str, Any], wave: int) -> list[tuple[str, str]]:
    return [(a["name"], a["status"]) for a in record["waves"][wave - 1].get("actions", [])]


def cancel_at_pause(orc: Orchestration) -> Callable[[str, dict[str, Any]], None]:
    def decide(execution_id: str, _record: dict[str, Any]) -> None:
        control.cancel(orc.deps, execution_id, actor="ops")

    return decide


# --- 4. a cancel is not a failure --------------------------------------------------------------------


def test_a_cancel_at_an_approval_before_anything_launched_ends_cancelled_with_the_approval_cancelled(
    orc: Orchestration,
) -> None:
    """Given a one-wave drill waiting for an approval before its launch; when it is cancelled; then
    the approval is CANCELLED (grey), not FAILED, nothing was launched and the execution CANCELLED."""
    plan_id = plan_of(orc, {1: {"preActions": [approval()]}})
    execution_id = orc.start(plan_id)["executionId"]

    final = orc.run_to_end(execution_id, on_pause=cancel_at_pause(orc))

    assert final["status"] == "CANCELLED"
    assert [w["status"] for w in final["waves"]] == ["CANCELLED"]
    (action,) = final["waves"][0]["actions"]
    assert action["status"] == "CANCELLED"
    assert "error" not in action and action["endTime"]
    assert not final["waves"][0].get("jobIds")
    assert action_badge(action["status"]) == {"icon": "⊘", "color": "grey", "label": "Cancelled"}


def test_a_cancel_at_an_approval_after_a_completed_wave_ends_partial_success(orc: Orchestration) -> None:
    """Given wave 1 completed and wave 2 waiting for an approval (and a post-action after it); when it
    is cancelled; then wave 2 and both its actions are CANCELLED and the execution PARTIAL_SUCCESS."""
    orc.deps.functions.functions["drs-actions-check"] = lambda event: {"ok": True}  # type: ignore[attr-defined]
    check = {"name": "check", "type": "LAMBDA", "functionName": "drs-actions-check"}
    plan_id = plan_of(orc, {2: {"preActions": [approval()], "postActions": [check]}}, waves_=2)
    execution_id = orc.start(plan_id)["executionId"]

    final = orc.run_to_end(execution_id, on_pause=cancel_at_pause(orc))

    assert final["status"] == "PARTIAL_SUCCESS"
    assert status_label(final) == "PARTIAL SUCCESS (1 of 2 waves completed)"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED", "CANCELLED"]
    assert statuses(final, 2) == [("sign-off", "CANCELLED"), ("check", "CANCELLED")]
    assert orc.deps.functions.calls == []  # type: ignore[attr-defined]


def test_an_action_waiting_for_its_next_attempt_is_retry_scheduled_with_its_time(orc: Orchestration) -> None:
    """Given a post-action whose first attempt fails, with maxAttempts 3; when that attempt ended; then
    the action reads RETRY_SCHEDULED with nextAttemptAt (not PENDING), the API shows both, and a
    cancel then makes it CANCELLED."""
    calls: list[int] = []

    def flaky(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event["attempt"])
        raise RuntimeError("connection refused")

    orc.deps.functions.functions["drs-actions-flaky"] = flaky  # type: ignore[attr-defined]
    flaky_action = {"name": "db-up", "type": "LAMBDA", "functionName": "drs-actions-flaky", "maxAttempts": 3}
    plan_id = plan_of(orc, {1: {"postActions": [flaky_action]}})
    execution_id = orc.start(plan_id)["executionId"]
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0, "pollCount": 0}))
    state = orc.run_wave(state)
    state = dict(waves.advance(orc.deps, state))
    assert state["next"] == "ACTIONS"
    ended_at = orc.deps.clock.iso()
    state = dict(actions.run_action(orc.deps, state))

    record = orc.get(execution_id)
    (action,) = record["waves"][0]["actions"]
    assert (action["status"], action["attempts"], calls) == ("RETRY_SCHEDULED", 1, [1])
    assert action["nextAttemptAt"] > ended_at and state["pollIntervalSeconds"] == 10
    shown = execution_view(record, now=orc.deps.clock.now())["waves"][0]["actions"][0]
    assert (shown["status"], shown["nextAttemptAt"]) == ("RETRY_SCHEDULED", action["nextAttemptAt"])
    assert action_status_text(action) == f"Retry scheduled (attempt 2 of 3 at {action['nextAttemptAt']})"

    control.cancel(orc.deps, execution_id, actor="ops")
    final = orc.run_to_end(execution_id)
    assert final["status"] == "CANCELLED"
    assert statuses(final, 1) == [("db-up", "CANCELLED")]
    assert "nextAttemptAt" not in final["waves"][0]["actions"][0]
    assert calls == [1]  # no attempt after the cancel


# --- 6. an accepted cancel never ends COMPLETED -------------------------------------------------------


def one_wave_with_post_action(orc: Orchestration) -> tuple[str, list[int]]:
    """A one-wave drill whose post-action fails once, then succeeds (maxAttempts 2)."""
    calls: list[int] = []

    def settles(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event["attempt"])
        if event["attempt"] == 1:
            raise RuntimeError("not yet")
        return {"healthy": True}

    orc.deps.functions.functions["drs-actions-health"] = settles  # type: ignore[attr-defined]
    health = {"name": "health", "type": "LAMBDA", "functionName": "drs-actions-health", "maxAttempts": 2}
    return plan_of(orc, {1: {"postActions": [health]}}), calls


def cancel_after_read(orc: Orchestration, at: int) -> dict[str, Any]:
    """Accept a cancel right after the ``at``-th read of the execution by the state machine's
    operations, which then go on with what they read before the cancel: every interleaving of a
    cancel with the drill, at the granularity of a read. Returns what was seen."""
    store = orc.deps.stores.executions
    real_get = store.get
    seen: dict[str, Any] = {"reads": 0, "cancelled": False, "calls": None}

    def get(execution_id: str) -> Any:
        record = real_get(execution_id)
        if seen["busy"]:
            return record
        seen["reads"] += 1
        if seen["reads"] == at and record["status"] in ("PENDING", "IN_PROGRESS"):
            seen["busy"] = True
            try:
                control.cancel(orc.deps, execution_id, actor="ops")
            finally:
                seen["busy"] = False
            seen["cancelled"] = True
            seen["calls"] = len(orc.deps.functions.calls)  # type: ignore[attr-defined]
        return record

    seen["busy"] = False
    store.get = get  # type: ignore[method-assign]
    return seen


def test_a_cancel_accepted_at_any_moment_of_a_one_wave_drill_never_ends_completed(orc: Orchestration) -> None:
    """Given a one-wave drill with a post-action that needs a second attempt; when a cancel is
    accepted after each read of the execution in turn (before the launch, while polling, before,
    during and between the post-action's attempts, before the wave's end is written); then no run
    ends COMPLETED: PARTIAL_SUCCESS exactly when the wave COMPLETED with its post-action SUCCEEDED,
    otherwise CANCELLED; no action is FAILED by the cancel or left unfinished; and no attempt starts
    once the cancel was accepted."""
    outcomes: set[str] = set()
    for at in range(1, 200):
        run = in_memory_orchestration()
        plan_id, calls = one_wave_with_post_action(run)
        execution_id = run.start(plan_id)["executionId"]
        seen = cancel_after_read(run, at)
        final = run.run_to_end(execution_id)
        if not seen["cancelled"]:
            assert final["status"] == "COMPLETED"  # past the last moment a cancel is accepted
            break
        wave = final["waves"][0]
        (action,) = wave["actions"]
        outcomes.add(f"{final['status']}/{wave['status']}/{action['status']}")
        assert final["status"] in ("CANCELLED", "PARTIAL_SUCCESS"), (at, final["status"])
        assert (final["status"] == "PARTIAL_SUCCESS") == (wave["status"] == "COMPLETED"), at
        if wave["status"] == "COMPLETED":
            assert action["status"] == "SUCCEEDED", at
        else:
            assert wave["status"] == "CANCELLED" and action["status"] == "CANCELLED", (at, wave, action)
        assert ActionStatus(action["status"]) in ACTION_ENDED
        assert not str(action.get("error") or "").startswith("stopped"), at
        assert len(calls) - seen["calls"] <= 1, at  # at most the attempt claimed before the cancel
    else:
        raise AssertionError("the drill never got past the cancel")
    # The runs covered a cancel before the launch, during the post-action and after it ran.
    assert {"CANCELLED/CANCELLED/CANCELLED", "PARTIAL_SUCCESS/COMPLETED/SUCCEEDED"} <= outcomes


def test_the_final_status_of_an_accepted_cancel_follows_the_waves_it_left() -> None:
    completed = {"status": "COMPLETED", "recoveryInstances": 1}
    assert decide_final_status([completed], cancel_requested=True) == "PARTIAL_SUCCESS"
    assert decide_final_status([completed], cancel_requested=False) == "COMPLETED"
    assert decide_final_status([{"status": "CANCELLED"}], cancel_requested=True) == "CANCELLED"


# --- 7. a race has one winner --------------------------------------------------------------------------


def paused_at_approval(orc: Orchestration) -> str:
    plan_id = plan_of(orc, {1: {"preActions": [approval()]}})
    execution_id = orc.start(plan_id)["executionId"]
    record = orc.run_to_end(execution_id, resume=False)
    assert (record["status"], record["pauseReason"]) == ("PAUSED", "APPROVAL")
    return execution_id


def paused_on_failed_wave(orc: Orchestration) -> str:
    orc.deps.functions.functions["drs-actions-gate"] = lambda event: {"status": "FAILED", "message": "no"}  # type: ignore[attr-defined]
    gate = {"name": "gate", "type": "LAMBDA", "functionName": "drs-actions-gate"}
    ids = [orc.servers(1, phaseDurations=QUICK) for _ in range(2)]
    plan_id = orc.add_plan(
        [(f"W{n}", [orc.add_group(f"g{n}", group)], False) for n, group in enumerate(ids, start=1)],
        {1: {"preActions": [gate]}},
        onWaveFailure="PAUSE",
    )
    execution_id = orc.start(plan_id)["executionId"]
    record = orc.run_to_end(execution_id, resume=False)
    assert (record["status"], record["pauseReason"]) == ("PAUSED", "WAVE_FAILED")
    return execution_id


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each result is the record or the ConflictError."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = calls[n]()
        except ConflictError as error:
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def from_one_read(orc: Orchestration, execution_id: str) -> Callable[[], None]:
    """Every caller's first read returns the record as it is now (they all read before anyone
    wrote): the worst interleaving, staged exactly."""
    store = orc.deps.stores.executions
    real_get = store.get
    snapshot = real_get(execution_id)
    first = threading.local()

    def get(eid: str) -> Any:
        if not getattr(first, "done", False):
            first.done = True
            return dict(snapshot)
        return real_get(eid)

    store.get = get  # type: ignore[method-assign]
    return lambda: setattr(store, "get", real_get)


@pytest.mark.parametrize("staged", [False, True], ids=["threads", "all-read-first"])
def test_of_twenty_simultaneous_approvals_one_wins_and_nineteen_are_told_who_approved(
    orc: Orchestration, staged: bool
) -> None:
    """Given an approval waiting; when 20 approvers approve at once, each with a comment of their own;
    then exactly one succeeds, one comment is kept, the token is completed once, and the 19 others
    get ALREADY_DECIDED naming the approver."""
    execution_id = paused_at_approval(orc)
    token = orc.get(execution_id)["taskToken"]
    restore = from_one_read(orc, execution_id) if staged else (lambda: None)
    results = all_at_once(
        [
            lambda n=n: control.resume(orc.deps, execution_id, actor=f"approver-{n}", comment=f"ok from {n}")
            for n in range(20)
        ]
    )
    restore()

    won = [n for n, r in enumerate(results) if not isinstance(r, ConflictError)]
    assert len(won) == 1
    winner = f"approver-{won[0]}"
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert {e.code for e in lost} == {"ALREADY_DECIDED"} and len(lost) == 19
    assert all(f"approval sign-off was already given by {winner}" in e.message for e in lost)
    assert all(e.details["decidedBy"] == winner for e in lost)
    (action,) = orc.get(execution_id)["waves"][0]["actions"]
    assert (action["approvedBy"], action["comment"]) == (winner, f"ok from {won[0]}")
    assert [a for a in orc.sfn.actions if a[0] == token] == [(token, "RESUME")]
    # The winner's very request again (a retry) is answered as before; a different word is not.
    control.resume(orc.deps, execution_id, actor=winner, comment=f"ok from {won[0]}")
    with pytest.raises(ConflictError) as other:
        control.resume(orc.deps, execution_id, actor=winner, comment="changed my mind")
    assert other.value.code == "ALREADY_DECIDED"


@pytest.mark.parametrize("staged", [False, True], ids=["threads", "all-read-first"])
def test_of_ten_retries_and_ten_skips_at_once_one_wins_and_the_others_are_told_which_and_by_whom(
    orc: Orchestration, staged: bool
) -> None:
    """Given a failed wave waiting (onWaveFailure PAUSE); when 10 operators retry it and 10 skip it at
    once; then exactly one decision is applied, and the 19 others get ALREADY_DECIDED naming it."""
    execution_id = paused_on_failed_wave(orc)
    restore = from_one_read(orc, execution_id) if staged else (lambda: None)
    calls: list[Callable[[], Any]] = []
    for n in range(10):
        calls.append(lambda n=n: control.retry_wave(orc.deps, execution_id, actor=f"retrier-{n}"))
        calls.append(lambda n=n: control.skip_wave(orc.deps, execution_id, actor=f"skipper-{n}"))
    results = all_at_once(calls)
    restore()

    won = [n for n, r in enumerate(results) if not isinstance(r, ConflictError)]
    assert len(won) == 1
    winner = f"retrier-{won[0] // 2}" if won[0] % 2 == 0 else f"skipper-{won[0] // 2}"
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert len(lost) == 19 and {e.code for e in lost} == {"ALREADY_DECIDED"}
    verb = "retried" if winner.startswith("retrier") else "skipped"
    assert all(f"wave 1 was already {verb} by {winner}" in e.message for e in lost)
    wave = orc.get(execution_id)["waves"][0]
    if verb == "skipped":
        assert (wave["status"], wave["skippedBy"]) == ("SKIPPED", winner)
    else:
        assert (wave["retries"], wave["retriedBy"]) == (1, winner)


def test_a_cancel_right_after_the_start_outlasts_the_systems_own_write(orc: Orchestration) -> None:
    """Given a drill just started (PENDING); when a cancel reads it and the state machine's first step
    moves it to IN_PROGRESS before the cancel writes; then the cancel is applied (no
    CONCURRENT_UPDATE), and the drill ends CANCELLED."""
    plan_id = plan_of(orc, {})
    execution_id = orc.start(plan_id)["executionId"]
    store = orc.deps.stores.executions
    real_get = store.get
    pending = real_get(execution_id)
    reads = {"n": 0}

    def get(eid: str) -> Any:
        reads["n"] += 1
        if reads["n"] == 1:  # the cancel's read; the system writes right after it
            waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0, "pollCount": 0})
            return dict(pending)
        return real_get(eid)

    store.get = get  # type: ignore[method-assign]
    record = control.cancel(orc.deps, execution_id, actor="ops")
    store.get = real_get  # type: ignore[method-assign]

    assert pending["status"] == "PENDING" and record["status"] == "CANCELLING"
    # Both writes are in: the system's (PENDING -> IN_PROGRESS) and the cancel re-applied after it.
    assert record["version"] == pending["version"] + 2
    final = orc.run_to_end(execution_id)
    assert final["status"] == "CANCELLED"


def test_a_second_cancel_is_answered_by_who_asked_first(orc: Orchestration) -> None:
    plan_id = plan_of(orc, {})
    execution_id = orc.start(plan_id)["executionId"]
    control.cancel(orc.deps, execution_id, actor="alice")
    again = control.cancel(orc.deps, execution_id, actor="alice")  # a retried request
    assert again["status"] == "CANCELLING"
    with pytest.raises(ConflictError) as second:
        control.cancel(orc.deps, execution_id, actor="bob")
    assert second.value.code == "ALREADY_DECIDED"
    assert "a cancel was already requested by alice" in second.value.message


def test_an_accepted_cancel_answers_cancelling_even_when_the_drill_finalizes_before_the_answer(
    orc: Orchestration,
) -> None:
    """Given a one-wave drill whose wave has completed; when a cancel is written and the state machine
    finalizes the drill (PARTIAL_SUCCESS) before the cancel's own timeline event is delivered; then
    the cancel still answers what it decided (CANCELLING), and the next read shows PARTIAL_SUCCESS."""
    plan_id = plan_of(orc, {})
    execution_id = orc.start(plan_id)["executionId"]
    orc.run_wave(dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0, "pollCount": 0})))
    store = orc.deps.stores.executions
    real_forget = store.forget_events

    def forget_after_the_finalize(execution: Any, event_ids: Any) -> Any:
        store.forget_events = real_forget  # type: ignore[method-assign]
        state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 1, "pollCount": 0}))
        assert state["next"] == "FINALIZE"
        finalize.finalize(orc.deps, state)
        return real_forget(execution, event_ids)

    store.forget_events = forget_after_the_finalize  # type: ignore[method-assign]
    answer = control.cancel(orc.deps, execution_id, actor="ops")

    assert answer["status"] == "CANCELLING" and not answer.get("pendingEvents")
    assert execution_view(answer, datetime.now(UTC))["status"] == "CANCELLING"
    assert orc.get(execution_id)["status"] == "PARTIAL_SUCCESS"


def test_a_cancel_accepted_between_the_last_post_actions_success_and_the_next_step_completes_the_wave(
    orc: Orchestration,
) -> None:
    """Given a one-wave drill whose only post-action has just SUCCEEDED; when a cancel is accepted
    before the state machine's next step reads the execution; then nothing was left to stop: the
    wave is COMPLETED with its action SUCCEEDED, and the drill ends PARTIAL_SUCCESS (never a
    CANCELLED wave holding a SUCCEEDED action, never COMPLETED)."""
    plan_id, _calls = one_wave_with_post_action(orc)
    execution_id = orc.start(plan_id)["executionId"]
    store = orc.deps.stores.executions
    real_record = store.record_action

    def record_then_cancel(*args: Any, **kwargs: Any) -> Any:
        written = real_record(*args, **kwargs)
        if args[3]["status"] == "SUCCEEDED":
            store.record_action = real_record  # type: ignore[method-assign]
            control.cancel(orc.deps, execution_id, actor="ops")
        return written

    store.record_action = record_then_cancel  # type: ignore[method-assign]
    final = orc.run_to_end(execution_id)

    assert final["cancelRequested"] is True
    wave = final["waves"][0]
    (action,) = wave["actions"]
    assert (final["status"], wave["status"], action["status"]) == (
        "PARTIAL_SUCCESS",
        "COMPLETED",
        "SUCCEEDED",
    )
