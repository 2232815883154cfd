"""One fault at a time, staged exactly at the operation level: whatever fails, the execution reaches
an end by itself (or with one ordinary operator action), no lock stays held, and every recovery
instance its DRS jobs launch stays attached to it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from drs_sandbox.drs.limits import DrsLimits
from execution_utils import can_terminate_execution
from orchestrator.exceptions import (
    ConflictError,
    PermissionDeniedError,
    TransientError,
    ValidationFailedError,
)
from orchestrator.operations import control, finalize, find, poll, terminate, waves

if TYPE_CHECKING:
    from orchestration_fixtures import Orchestration

pytest_plugins = ["orchestration_fixtures"]


def one_wave_plan(orc: Orchestration, count: int = 2, **options: Any) -> tuple[str, list[str]]:
    ids = orc.servers(count)
    return orc.add_plan([("Only", [orc.add_group("g", ids)], False)], **options), ids


def two_wave_plan(orc: Orchestration, pause_before_second: bool = True) -> str:
    first, second = orc.servers(1), orc.servers(1)
    return orc.add_plan(
        [
            ("First", [orc.add_group("a", first)], False),
            ("Second", [orc.add_group("b", second)], pause_before_second),
        ]
    )


def paused_after_first_wave(orc: Orchestration) -> tuple[str, dict[str, Any]]:
    execution_id = orc.start(two_wave_plan(orc))["executionId"]
    state = dict(waves.advance(orc.deps, {"executionId": execution_id, "waveIndex": 0}))
    state = orc.run_wave(state)
    state = dict(waves.advance(orc.deps, state))
    assert state["next"] == "PAUSE"
    waves.pause(orc.deps, state, "token-1")
    return execution_id, state


def failing_sends(orc: Orchestration, times: int) -> list[int]:
    """The next `times` SendTaskSuccess calls fail as a throttled call does after botocore's retries."""
    real = orc.sfn.send_action
    left = [times]

    def send(token: str, action: str) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise TransientError(
                "Step Functions SendTaskSuccess is throttled or unavailable (ThrottlingException)"
            )
        real(token, action)

    orc.sfn.send_action = send  # type: ignore[method-assign]
    return left


def held_locks(orc: Orchestration) -> dict[str, Any]:
    return {holder: held.lock_ids for holder, held in orc.deps.stores.locks.holders().items()}


# --- resume and cancel whose SendTaskSuccess fails -----------------------------------------------------


def test_a_resume_whose_token_cannot_be_sent_is_recorded_and_a_retried_resume_delivers_it(
    orchestration: Orchestration,
) -> None:
    # Given a paused execution and Step Functions throttling SendTaskSuccess once
    execution_id, _ = paused_after_first_wave(orchestration)
    failing_sends(orchestration, 1)
    # When the operator resumes
    with pytest.raises(TransientError):
        control.resume(orchestration.deps, execution_id, actor="arn:aws:iam::1:user/alice")
    # Then the resume is recorded with the token kept for delivery
    record = orchestration.get(execution_id)
    assert record["status"] == "IN_PROGRESS" and record["taskToken"] == "token-1"
    assert record["resumedBy"] == "arn:aws:iam::1:user/alice"
    # And the operator's retry succeeds and delivers it exactly once
    control.resume(orchestration.deps, execution_id, actor="arn:aws:iam::1:user/alice")
    assert orchestration.sfn.actions == [("token-1", "RESUME")]
    assert "taskToken" not in orchestration.get(execution_id)
    # And the execution runs to its end
    assert orchestration.run_to_end(execution_id)["status"] == "COMPLETED"
    assert held_locks(orchestration) == {}


def test_find_delivers_a_resume_nobody_retried(orchestration: Orchestration) -> None:
    # Given a resume whose SendTaskSuccess failed and an operator who walked away
    execution_id, _ = paused_after_first_wave(orchestration)
    failing_sends(orchestration, 1)
    with pytest.raises(TransientError):
        control.resume(orchestration.deps, execution_id)
    # When the scheduled find runs a minute later
    orchestration.clock.advance(60)
    result = find.find(orchestration.deps)
    # Then it delivers the recorded action to the waiting state machine
    assert result["actionsDelivered"] == [execution_id]
    assert orchestration.sfn.actions == [("token-1", "RESUME")]
    assert "taskToken" not in orchestration.get(execution_id)


def test_a_cancel_whose_token_cannot_be_sent_still_ends_the_execution(orchestration: Orchestration) -> None:
    # Given a paused execution whose cancel cannot reach Step Functions
    execution_id, state = paused_after_first_wave(orchestration)
    failing_sends(orchestration, 1)
    with pytest.raises(TransientError):
        control.cancel(orchestration.deps, execution_id, actor="bob")
    assert orchestration.get(execution_id)["status"] == "CANCELLING"
    # When the operator cancels again
    control.cancel(orchestration.deps, execution_id, actor="bob")
    # Then the state machine is told, and finalizes PARTIAL_SUCCESS (the first wave left instances)
    assert orchestration.sfn.actions == [("token-1", "CANCEL")]
    finalize.finalize(orchestration.deps, state)
    record = orchestration.get(execution_id)
    assert record["status"] == "PARTIAL_SUCCESS" and record["cancelRequestedBy"] == "bob"
    assert held_locks(orchestration) == {}


def test_a_token_the_state_machine_no_longer_waits_for_is_forgotten(orchestration: Orchestration) -> None:
    # Given a resume recorded whose token Step Functions no longer knows
    execution_id, _ = paused_after_first_wave(orchestration)

    def gone(_token: str, _action: str) -> None:
        raise ConflictError("the execution is no longer waiting: TaskDoesNotExist", code="NOT_WAITING")

    orchestration.sfn.send_action = gone  # type: ignore[method-assign]
    # When the operator resumes
    record = control.resume(orchestration.deps, execution_id)
    # Then the resume is recorded and the dead token dropped (find reconciles the state machine)
    assert record["status"] == "IN_PROGRESS" and "taskToken" not in record


# --- locks ----------------------------------------------------------------------------------------------


def test_a_finalize_whose_lock_release_failed_releases_them_on_its_retry(
    orchestration: Orchestration,
) -> None:
    # Given a finished wave and a lock release that fails once
    plan_id, _ = one_wave_plan(orchestration)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = orchestration.run_wave(dict(waves.advance(orchestration.deps, {"executionId": execution_id})))
    locks = orchestration.deps.stores.locks
    real = locks.release_held

    def failing_release(*_args: Any) -> None:
        locks.release_held = real  # type: ignore[method-assign]
        raise TransientError("DynamoDB is busy (ThrottlingException)")

    locks.release_held = failing_release  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        finalize.finalize(orchestration.deps, state)
    assert orchestration.get(execution_id)["status"] == "COMPLETED"
    assert execution_id in held_locks(orchestration)
    # When Step Functions retries finalize
    finalize.finalize(orchestration.deps, state)
    # Then the locks are gone and the plan can start again
    assert held_locks(orchestration) == {}
    assert orchestration.start(plan_id)["status"] == "PENDING"


def test_find_sweeps_the_locks_of_an_ended_execution(orchestration: Orchestration) -> None:
    # Given an ended execution whose finalize never got to release its locks
    plan_id, _ = one_wave_plan(orchestration)
    execution_id = orchestration.start(plan_id)["executionId"]
    locks = orchestration.deps.stores.locks
    real = locks.release_held
    locks.release_held = lambda *_a: None  # type: ignore[method-assign]
    finalize.finalize_execution(orchestration.deps, execution_id, error="the state machine failed")
    locks.release_held = real  # type: ignore[method-assign]
    assert execution_id in held_locks(orchestration)
    # When find runs
    result = find.find(orchestration.deps)
    # Then it releases them, and nothing of an active execution
    assert result["locksReleased"] == [execution_id]
    assert held_locks(orchestration) == {}


def test_a_late_release_never_takes_the_lock_of_the_next_execution(orchestration: Orchestration) -> None:
    # Given an ended execution and the next execution of the same plan holding the locks
    plan_id, _ = one_wave_plan(orchestration)
    first = orchestration.start(plan_id)["executionId"]
    finalize.finalize_execution(orchestration.deps, first, error="stopped")
    second = orchestration.start(plan_id)["executionId"]
    # When a late retry of the first execution's finalize runs
    finalize.finalize_execution(orchestration.deps, first)
    # Then the second execution keeps every lock
    assert set(held_locks(orchestration)) == {second}


# --- start_wave delivered twice --------------------------------------------------------------------------


def test_start_wave_delivered_twice_at_once_adopts_its_own_job_instead_of_failing(
    orchestration: Orchestration,
) -> None:
    # Given start_wave running twice at the same time: the duplicate reaches DRS second
    plan_id, _ids = one_wave_plan(orchestration, 3)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
    drs = orchestration.deps.drs
    real_start = drs.start_recovery
    duplicate: dict[str, Any] = {}

    def start_recovery(server_ids: Any, **kwargs: Any) -> Any:
        job = real_start(server_ids, **kwargs)
        if not duplicate:  # the twin runs now, after DRS accepted the first job
            duplicate["state"] = waves.start_wave(orchestration.deps, state)
        return job

    drs.start_recovery = start_recovery  # type: ignore[method-assign]
    first = waves.start_wave(orchestration.deps, state)
    drs.start_recovery = real_start  # type: ignore[method-assign]
    # Then one job, recorded once, and the wave runs on: nothing FAILED
    record = orchestration.get(execution_id)
    assert len(record["waves"][0]["jobIds"]) == 1
    assert record["waves"][0]["status"] == "IN_PROGRESS"
    assert not duplicate["state"]["capacityQueued"] and not first["capacityQueued"]
    servers = orchestration.deps.stores.servers.wave(execution_id, 1)
    assert {s["launchStatus"] for s in servers} == {"PENDING"}
    assert {s["jobId"] for s in servers} == set(record["waves"][0]["jobIds"])
    orchestration.poll_wave(dict(first))
    assert orchestration.run_to_end(execution_id)["status"] == "COMPLETED"


# --- poll errors -----------------------------------------------------------------------------------------


def test_a_denied_describe_jobs_fails_naming_the_call_and_the_jobs_are_followed_to_their_instances(
    orchestration: Orchestration,
) -> None:
    # Given a running wave and DRS denying DescribeJobs
    plan_id, _ids = one_wave_plan(orchestration, 2)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(
        waves.start_wave(
            orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
        )
    )
    orchestration.sim.deny_operation("DescribeJobs", 1)
    # When the poll runs, the error is fatal and names the call
    with pytest.raises(PermissionDeniedError) as denied:
        poll.poll(orchestration.deps, state)
    assert "DescribeJobs" in denied.value.message and "AccessDenied" in denied.value.message
    # And the state machine's Catch finalizes with that error
    record = finalize.finalize_execution(
        orchestration.deps, execution_id, error=f"PermissionDeniedError: {denied.value.message}"
    )
    assert record["status"] == "FAILED" and "DescribeJobs" in record["error"]
    # Then until the job ends, canTerminate tells the truth
    verdict = can_terminate_execution(record)
    assert verdict == {
        "canTerminate": False,
        "reason": "DRS jobs are still launching recovery instances; terminate them when the jobs end",
        "hasRecoveryInstances": True,
    }
    # When the job ends and find follows it
    orchestration.clock.advance(3600)
    assert execution_id in find.find(orchestration.deps)["jobsFollowed"]
    # Then every instance it launched is attached, terminable, and terminated
    record = orchestration.get(execution_id)
    assert record["waves"][0]["recoveryInstances"] == 2 and "jobsPending" not in record
    assert can_terminate_execution(record)["canTerminate"] is True
    ids_to_end = terminate.own_recovery_instances(orchestration.deps, record)
    assert len(ids_to_end) == 2
    terminate.start_termination(orchestration.deps, execution_id, actor="ops")
    assert orchestration.get(execution_id)["terminationRequestedBy"] == "ops"


def test_a_wave_timeout_with_jobs_still_running_keeps_following_them(orchestration: Orchestration) -> None:
    # Given a wave with a 1-minute timeout whose servers take far longer
    plan_id, _ = one_wave_plan(orchestration, 1, waveTimeoutMinutes=1)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(
        waves.start_wave(
            orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
        )
    )
    orchestration.clock.advance(90)
    state = dict(poll.poll(orchestration.deps, state))
    assert state["waveDone"]
    record = finalize.finalize_execution(orchestration.deps, execution_id)
    assert record["status"] == "FAILED" and record["jobsPending"] == "PENDING"
    # When find runs while the job is still going, nothing is terminable yet
    assert execution_id not in find.find(orchestration.deps)["jobsFollowed"]
    # And once the job ends, its instance is attached to the execution
    orchestration.clock.advance(3600)
    assert execution_id in find.find(orchestration.deps)["jobsFollowed"]
    record = orchestration.get(execution_id)
    assert record["status"] == "FAILED" and record["waves"][0]["recoveryInstances"] == 1
    assert len(terminate.own_recovery_instances(orchestration.deps, record)) == 1


def test_passing_poll_errors_back_off_and_an_unknown_error_fails_only_after_several_polls(
    orchestration: Orchestration,
) -> None:
    # Given a running wave
    plan_id, _ = one_wave_plan(orchestration, 1)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(
        waves.start_wave(
            orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
        )
    )
    drs = orchestration.deps.drs
    real_jobs = drs.jobs
    # When DRS is throttled, the poll backs off without counting an error
    drs.jobs = lambda _ids: (_ for _ in ()).throw(TransientError("DRS DescribeJobs is throttled"))  # type: ignore[method-assign]
    assert poll.poll(orchestration.deps, state)["waveDone"] is False
    assert "pollErrors" not in orchestration.get(execution_id)["waves"][0]
    # When an unexpected error repeats, it is retried MAX_CONSECUTIVE_POLL_ERRORS - 1 times, then fatal
    drs.jobs = lambda _ids: (_ for _ in ()).throw(KeyError("participatingServers"))  # type: ignore[method-assign]
    for attempt in range(1, poll.MAX_CONSECUTIVE_POLL_ERRORS):
        assert poll.poll(orchestration.deps, state)["waveDone"] is False
        assert orchestration.get(execution_id)["waves"][0]["pollErrors"] == attempt
    with pytest.raises(KeyError):
        poll.poll(orchestration.deps, state)
    # And a successful poll clears the count
    drs.jobs = real_jobs  # type: ignore[method-assign]
    poll.poll(orchestration.deps, state)
    assert "pollErrors" not in orchestration.get(execution_id)["waves"][0]


# --- DRS capacity ----------------------------------------------------------------------------------------


def test_a_wave_without_drs_capacity_waits_for_it_and_then_starts(orchestration: Orchestration) -> None:
    # Given DRS allows one concurrent job and another plan's job is running
    orchestration.sim.set_limits(DrsLimits(max_concurrent_jobs=1))
    orchestration.deps = dataclasses.replace(
        orchestration.deps, config=dataclasses.replace(orchestration.deps.config, drs_max_concurrent_jobs=1)
    )
    busy_plan, _ = one_wave_plan(orchestration, 1)
    busy = orchestration.start(busy_plan)["executionId"]
    busy_state = dict(
        waves.start_wave(orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": busy})))
    )
    plan_id, _ = one_wave_plan(orchestration, 1)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
    # When its wave starts
    queued = dict(waves.start_wave(orchestration.deps, state))
    # Then it waits, saying so, without asking DRS to start a job
    assert queued["capacityQueued"] is True
    wave = orchestration.get(execution_id)["waves"][0]
    assert wave["status"] == "IN_PROGRESS" and wave["phase"] == "QUEUED_FOR_CAPACITY"
    assert "1 DRS jobs are active" in wave["queuedReason"]
    assert orchestration.sim.call_counts()["StartRecovery"] == 1
    # And once the other job ends, it starts and completes
    orchestration.poll_wave(busy_state)
    state = orchestration.run_wave(state)
    record = orchestration.run_to_end(execution_id)
    assert record["status"] == "COMPLETED" and "queuedReason" not in record["waves"][0]


def test_a_wave_that_never_gets_drs_capacity_fails_with_a_clear_error(orchestration: Orchestration) -> None:
    # Given DRS full for longer than the plan's capacityWaitMinutes
    orchestration.deps = dataclasses.replace(
        orchestration.deps, config=dataclasses.replace(orchestration.deps.config, drs_max_concurrent_jobs=1)
    )
    slow = orchestration.servers(
        1, phaseDurations={"snapshot": 60, "conversion": 3600, "launch": 60, "boot": 30}
    )
    busy_plan = orchestration.add_plan([("Slow", [orchestration.add_group("slow", slow)], False)])
    busy = orchestration.start(busy_plan)["executionId"]
    waves.start_wave(orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": busy})))
    plan_id, _ = one_wave_plan(orchestration, 1, capacityWaitMinutes=5)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
    assert waves.start_wave(orchestration.deps, state)["capacityQueued"] is True
    # When it is still full after the wait
    orchestration.clock.advance(301)
    result = waves.start_wave(orchestration.deps, state)
    # Then the wave fails saying why, and the execution ends FAILED
    assert result["capacityQueued"] is False
    wave = orchestration.get(execution_id)["waves"][0]
    assert wave["status"] == "FAILED" and "DRS capacity did not free up within 5 minutes" in wave["error"]
    assert orchestration.run_to_end(execution_id)["status"] == "FAILED"


def test_service_quota_exceeded_from_start_recovery_queues_the_wave(orchestration: Orchestration) -> None:
    # Given our count of DRS jobs says there is room but DRS itself refuses (another tool's jobs)
    orchestration.sim.set_limits(DrsLimits(max_concurrent_jobs=1))
    busy_plan, _ = one_wave_plan(orchestration, 1)
    busy = orchestration.start(busy_plan)["executionId"]
    waves.start_wave(orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": busy})))
    orchestration.deps.drs.active_jobs = lambda _now: []  # type: ignore[method-assign]
    plan_id, _ = one_wave_plan(orchestration, 1)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
    # When the wave starts, DRS answers ServiceQuotaExceeded
    result = waves.start_wave(orchestration.deps, state)
    # Then the wave waits instead of failing
    assert result["capacityQueued"] is True
    assert orchestration.get(execution_id)["waves"][0]["status"] == "IN_PROGRESS"


# --- pause expiry and the guarded termination of a recovery ------------------------------------------------


def test_an_expired_pause_cancels_with_the_reason_recorded(orchestration: Orchestration) -> None:
    # Given a paused execution whose first wave completed
    execution_id, state = paused_after_first_wave(orchestration)
    # When its pause expires (the task token timed out)
    after = waves.expire_pause(orchestration.deps, state)
    finalize.finalize(orchestration.deps, after)
    # Then it is PARTIAL_SUCCESS, with the reason and who cancelled it
    record = orchestration.get(execution_id)
    assert after["next"] == "FINALIZE"
    assert record["status"] == "PARTIAL_SUCCESS"
    assert record["cancelReason"] == "the pause expired after 24 h without a resume"
    assert record["cancelRequestedBy"] == "pause timeout"
    assert held_locks(orchestration) == {}


def test_a_recovery_is_terminated_only_with_its_plan_name_confirmed(orchestration: Orchestration) -> None:
    # Given a finished RECOVERY with instances
    plan_id, _ = one_wave_plan(orchestration, 1)
    execution_id = orchestration.start(plan_id, "RECOVERY")["executionId"]
    record = orchestration.run_to_end(execution_id)
    assert record["status"] == "COMPLETED"
    # When terminated like a drill, it is refused
    with pytest.raises(ConflictError) as refused:
        terminate.start_termination(orchestration.deps, execution_id, actor="ops")
    assert refused.value.code == "CONFIRMATION_REQUIRED"
    # And a wrong name is refused too
    with pytest.raises(ValidationFailedError) as mismatch:
        terminate.start_termination(
            orchestration.deps, execution_id, actor="ops", recovery_confirmed_plan_name="x"
        )
    assert mismatch.value.code == "CONFIRMATION_MISMATCH"
    assert "terminationStatus" not in orchestration.get(execution_id)
    # Then the plan's name starts it, and who did it is recorded
    terminate.start_termination(
        orchestration.deps,
        execution_id,
        actor="arn:aws:iam::1:role/dr-lead",
        recovery_confirmed_plan_name=record["planName"],
    )
    assert orchestration.get(execution_id)["terminationRequestedBy"] == "arn:aws:iam::1:role/dr-lead"
