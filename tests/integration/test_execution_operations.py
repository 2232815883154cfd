"""The orchestration operations against DynamoDB (moto) and the DRS simulator, called the way the
state machine calls them, with races staged exactly: every status change is conditional, so when
two actors collide exactly one wins and the other gets a clear conflict."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from orchestrator.exceptions import ConflictError, TransientError, ValidationFailedError
from orchestrator.operations import control, finalize, poll, terminate, waves

if TYPE_CHECKING:
    from orchestration_fixtures import Orchestration

pytest_plugins = ["orchestration_fixtures"]


def one_wave_plan(orc: Orchestration, count: int = 2, **spec: Any) -> tuple[str, list[str]]:
    ids = orc.servers(count, **spec)
    return orc.add_plan([("Only", [orc.add_group("g", ids)], False)]), ids


def stale_reads(orc: Orchestration, snapshot: dict[str, Any]) -> Callable[[], None]:
    """Make the next read of the execution return `snapshot` (what a slower actor read earlier)."""
    store = orc.deps.stores.executions
    real_get = store.get
    calls = {"n": 0}

    def get(execution_id: str) -> dict[str, Any]:
        calls["n"] += 1
        return dict(snapshot) if calls["n"] == 1 else real_get(execution_id)

    store.get = get  # type: ignore[method-assign]
    return lambda: setattr(store, "get", real_get)


def test_second_start_of_a_running_plan_is_refused_and_the_first_is_untouched(
    orchestration: Orchestration,
) -> None:
    # Given a plan with an execution in progress
    plan_id, _ = one_wave_plan(orchestration)
    first = orchestration.start(plan_id)
    # When the same plan is started again
    with pytest.raises(ConflictError) as refused:
        orchestration.start(plan_id)
    # Then it is a clear conflict and only the first execution exists
    assert refused.value.code == "PLAN_ALREADY_RUNNING"
    assert first["executionId"] in refused.value.message
    assert orchestration.sfn.started == [first["executionId"]]
    assert orchestration.get(first["executionId"])["status"] == "PENDING"


def test_a_server_already_in_an_active_execution_cannot_start_in_another_plan(
    orchestration: Orchestration,
) -> None:
    # Given two plans sharing a server, the first running
    plan_a, ids = one_wave_plan(orchestration)
    plan_b = orchestration.add_plan([("Other", [orchestration.add_group("b", ids[:1])], False)])
    orchestration.start(plan_a)
    # When the second plan starts
    with pytest.raises(ConflictError) as refused:
        orchestration.start(plan_b)
    # Then the shared server is named and nothing of the second plan was recorded
    assert refused.value.code == "SERVER_IN_ACTIVE_EXECUTION"
    assert ids[0] in refused.value.message
    assert len(orchestration.sfn.started) == 1


def test_preflight_names_unknown_and_unhealthy_servers_and_stores_nothing(
    orchestration: Orchestration,
) -> None:
    # Given a group with an unknown server and a server still in initial sync
    syncing = orchestration.servers(1, replicationState="INITIAL_SYNC")
    group = orchestration.add_group("g", ["s-0000000000000dead", *syncing])
    plan_id = orchestration.add_plan([("W", [group], False)])
    # When it is started
    with pytest.raises(ValidationFailedError) as refused:
        orchestration.start(plan_id)
    # Then both problems are named (the syncing server by hostname with its id), and no execution or
    # lock exists
    assert "s-0000000000000dead" in refused.value.message
    (described,) = [
        s for s in orchestration.deps.drs.all_source_servers() if s["sourceServerID"] == syncing[0]
    ]
    hostname = described["sourceProperties"]["identificationHints"]["hostname"]
    assert f"{hostname} ({syncing[0]}): INITIAL_SYNC" in refused.value.message
    assert orchestration.sfn.started == []
    assert orchestration.deps.stores.locks.holder(f"PLAN#{plan_id}") is None


def test_resume_racing_a_cancel_on_a_paused_execution_lets_exactly_one_win(
    orchestration: Orchestration,
) -> None:
    # Given an execution paused before its first wave
    ids = orchestration.servers(1)
    plan_id = orchestration.add_plan([("W", [orchestration.add_group("g", ids)], True)])
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    assert state["next"] == "PAUSE"
    waves.pause(orchestration.deps, state, "token-1")
    paused = orchestration.get(execution_id)
    # When a cancel lands while a resume is working from the PAUSED record it read
    control.cancel(orchestration.deps, execution_id, actor="alice")
    restore = stale_reads(orchestration, paused)
    with pytest.raises(ConflictError) as lost:
        control.resume(orchestration.deps, execution_id, actor="bob")
    restore()
    # Then the cancel won, the resume got a conflict naming the cancel and who asked for it, and the
    # token was completed once, with CANCEL
    assert lost.value.code == "ALREADY_DECIDED"
    assert "cancel was already requested by alice" in lost.value.message
    assert orchestration.get(execution_id)["status"] == "CANCELLING"
    assert orchestration.sfn.actions == [("token-1", "CANCEL")]
    # And the state machine then finalizes it CANCELLED with every wave CANCELLED
    final = orchestration.run_to_end(execution_id)
    assert final["status"] == "CANCELLED"
    assert [w["status"] for w in final["waves"]] == ["CANCELLED"]


def test_cancel_racing_a_poll_loses_neither_the_cancel_nor_the_progress(orchestration: Orchestration) -> None:
    # Given a wave in progress
    plan_id, _ = one_wave_plan(orchestration, 2)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    state = dict(waves.start_wave(orchestration.deps, state))
    before_cancel = orchestration.get(execution_id)
    # When a cancel is written while a poll works from the record it read before
    control.cancel(orchestration.deps, execution_id)
    orchestration.clock.advance(3600)
    restore = stale_reads(orchestration, before_cancel)
    state = dict(poll.poll(orchestration.deps, state))
    restore()
    # Then the record keeps the cancel and carries the poll's result
    record = orchestration.get(execution_id)
    assert record["status"] == "CANCELLING"
    assert record["waves"][0]["status"] == "COMPLETED"
    assert record["waves"][0]["progress"]["launched"] == 2
    assert state["waveDone"] is True
    # And finalize reports the completed wave left behind by an accepted cancel: PARTIAL_SUCCESS,
    # never COMPLETED (a cancel that was accepted is never answered by a plain success)
    final = orchestration.run_to_end(execution_id)
    assert final["status"] == "PARTIAL_SUCCESS"
    assert [w["status"] for w in final["waves"]] == ["COMPLETED"]


def test_two_finalizes_end_the_execution_exactly_once(orchestration: Orchestration) -> None:
    # Given an execution whose only wave finished
    plan_id, _ = one_wave_plan(orchestration)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    orchestration.run_wave(state)
    before = orchestration.get(execution_id)
    # When finalize runs, and a retry of it works from the record read before the first wrote
    first = finalize.finalize_execution(orchestration.deps, execution_id)
    orchestration.clock.advance(30)
    restore = stale_reads(orchestration, before)
    second = finalize.finalize_execution(orchestration.deps, execution_id)
    restore()
    # Then both return the same terminal record: one end time, one version bump
    assert first["status"] == second["status"] == "COMPLETED"
    assert second["endTime"] == first["endTime"]
    assert orchestration.get(execution_id)["version"] == first["version"]


def test_a_retried_start_wave_starts_no_second_job(orchestration: Orchestration) -> None:
    # Given a wave that was started
    plan_id, _ = one_wave_plan(orchestration, 3)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    waves.start_wave(orchestration.deps, state)
    # When Step Functions retries the same task
    waves.start_wave(orchestration.deps, state)
    # Then DRS received one StartRecovery and the wave records one job
    assert orchestration.sim.call_counts()["StartRecovery"] == 1
    assert len(orchestration.get(execution_id)["waves"][0]["jobIds"]) == 1


def test_a_job_started_just_before_a_crash_is_adopted_by_the_retry(orchestration: Orchestration) -> None:
    # Given start_wave dies after DRS accepted the job but before the job id was stored
    plan_id, _ = one_wave_plan(orchestration, 2)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    store = orchestration.deps.stores.executions
    real_add = store.add_wave_job

    def dying_add(*_args: Any, **_kwargs: Any) -> Any:
        raise TransientError("the Lambda was cut off")

    store.add_wave_job = dying_add  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        waves.start_wave(orchestration.deps, state)
    store.add_wave_job = real_add  # type: ignore[method-assign]
    # When the task is retried
    state = dict(waves.start_wave(orchestration.deps, state))
    # Then the orphan job is adopted, no second job is started, and the wave completes
    assert orchestration.sim.call_counts()["StartRecovery"] == 1
    assert len(orchestration.get(execution_id)["waves"][0]["jobIds"]) == 1
    orchestration.poll_wave(state)
    assert orchestration.run_to_end(execution_id)["status"] == "COMPLETED"


def test_a_wave_larger_than_the_per_job_limit_runs_as_several_jobs(orchestration: Orchestration) -> None:
    # Given DRS jobs of at most 3 servers and a wave of 7
    orchestration.deps = dataclasses.replace(
        orchestration.deps, config=dataclasses.replace(orchestration.deps.config, drs_max_servers_per_job=3)
    )
    plan_id, _ = one_wave_plan(orchestration, 7)
    # When it runs to the end
    record = orchestration.run_to_end(orchestration.start(plan_id)["executionId"])
    # Then three jobs carried the wave and every server launched
    assert record["status"] == "COMPLETED"
    assert len(record["waves"][0]["jobIds"]) == 3
    assert record["waves"][0]["progress"]["launched"] == 7


def test_poll_keeps_the_execution_in_progress_until_finalize(orchestration: Orchestration) -> None:
    # Given a running wave
    plan_id, _ = one_wave_plan(orchestration, 2)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id, "waveIndex": 0}))
    # When it is polled to its end
    orchestration.run_wave(state)
    # Then the wave is COMPLETED but only finalize may end the execution
    record = orchestration.get(execution_id)
    assert record["waves"][0]["status"] == "COMPLETED"
    assert record["status"] == "IN_PROGRESS"
    assert "endTime" not in record


def test_terminate_ends_only_this_executions_instances_and_refuses_a_second_request(
    orchestration: Orchestration, drs_ec2_client: Any
) -> None:
    # Given two finished drills of two different plans
    plan_a, _ = one_wave_plan(orchestration, 2)
    plan_b, _ = one_wave_plan(orchestration, 2)
    first = orchestration.run_to_end(orchestration.start(plan_a)["executionId"])
    second = orchestration.run_to_end(orchestration.start(plan_b)["executionId"])
    instances = {
        e["executionId"]: [
            s["ec2InstanceId"] for s in orchestration.deps.stores.servers.all(e["executionId"])
        ]
        for e in (first, second)
    }
    # When the first one's instances are terminated and the TERMINATE jobs are followed
    terminate.start_termination(orchestration.deps, first["executionId"])
    with pytest.raises(ConflictError) as again:
        terminate.start_termination(orchestration.deps, first["executionId"])
    orchestration.clock.advance(3600)
    for execution in orchestration.deps.stores.executions.terminating():
        terminate.follow_termination(orchestration.deps, execution)
    # Then only the first execution's EC2 instances are terminated, and it says so
    states = {
        i["InstanceId"]: i["State"]["Name"]
        for r in drs_ec2_client.describe_instances(
            InstanceIds=instances[first["executionId"]] + instances[second["executionId"]]
        )["Reservations"]
        for i in r["Instances"]
    }
    assert {states[i] for i in instances[first["executionId"]]} == {"terminated"}
    assert {states[i] for i in instances[second["executionId"]]} == {"running"}
    assert orchestration.get(first["executionId"])["instancesTerminated"] is True
    assert again.value.code == "CANNOT_TERMINATE"
    # And a third request after the end is refused too
    with pytest.raises(ConflictError):
        terminate.start_termination(orchestration.deps, first["executionId"])


def test_a_failed_critical_server_fails_its_wave_and_no_later_wave_starts(
    orchestration: Orchestration,
) -> None:
    # Given wave 2 of 3 holds a CRITICAL server whose launch fails
    ok1, ok3 = orchestration.servers(1), orchestration.servers(1)
    bad = orchestration.servers(1, launchOutcome="FAILED", failPhase="LAUNCH")
    plan_id = orchestration.add_plan(
        [
            ("One", [orchestration.add_group("a", ok1)], False),
            ("Two", [orchestration.add_group("b", bad)], False),
            ("Three", [orchestration.add_group("c", ok3)], False),
        ]
    )
    # When the execution runs
    record = orchestration.run_to_end(orchestration.start(plan_id)["executionId"])
    # Then wave 2 failed with the server's error, wave 3 never started, and wave 1's instances remain
    assert [w["status"] for w in record["waves"]] == ["COMPLETED", "FAILED", "NOT_STARTED"]
    assert "jobIds" not in record["waves"][2] or record["waves"][2]["jobIds"] == []
    assert record["waves"][1]["failedServers"][0]["sourceServerId"] == bad[0]
    assert "LAUNCH_FAILED" in record["waves"][1]["failedServers"][0]["error"]
    assert record["status"] == "PARTIAL_SUCCESS"
    assert orchestration.sim.call_counts()["StartRecovery"] == 2


def test_a_failed_optional_server_leaves_the_execution_completed_with_a_warning(
    orchestration: Orchestration,
) -> None:
    # Given a wave where the only failing server is OPTIONAL
    good = orchestration.servers(1)
    optional = orchestration.servers(1, launchOutcome="FAILED", failPhase="CONVERSION")
    group = orchestration.add_group("g", good + optional, serverImpactLevels={optional[0]: "OPTIONAL"})
    plan_id = orchestration.add_plan([("W", [group], False)])
    # When it runs
    record = orchestration.run_to_end(orchestration.start(plan_id)["executionId"])
    # Then it is COMPLETED, and the wave warns about the optional server
    assert record["status"] == "COMPLETED"
    assert any(optional[0] in warning for warning in record["waves"][0]["warnings"])


def test_a_wave_that_outlives_its_timeout_fails(orchestration: Orchestration) -> None:
    # Given a plan with a 10-minute wave timeout and servers that need far longer to convert
    ids = orchestration.servers(
        1, phaseDurations={"snapshot": 60, "conversion": 7200, "launch": 60, "boot": 30}
    )
    plan_id = orchestration.add_plan(
        [("Slow", [orchestration.add_group("g", ids)], False)], waveTimeoutMinutes=10
    )
    # When it runs
    record = orchestration.run_to_end(orchestration.start(plan_id)["executionId"])
    # Then the wave fails with the timeout and the execution is FAILED
    assert record["waves"][0]["status"] == "FAILED"
    assert "timed out after 10 minutes" in record["waves"][0]["error"]
    assert record["status"] == "FAILED"


def test_throttled_polls_are_deferred_and_never_fail_the_wave(orchestration: Orchestration) -> None:
    # Given a running wave and DRS throttling every call
    plan_id, _ = one_wave_plan(orchestration, 2)
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(
        waves.start_wave(
            orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
        )
    )
    orchestration.sim.set_throttle_rate(1.0)
    # When it is polled
    deferred = dict(poll.poll(orchestration.deps, state))
    # Then the poll backs off to the longest interval and the wave is still running
    assert deferred["waveDone"] is False
    assert deferred["pollIntervalSeconds"] == orchestration.deps.config.poll_max_seconds
    assert orchestration.get(execution_id)["waves"][0]["status"] == "IN_PROGRESS"
    # And once throttling stops the wave completes
    orchestration.sim.set_throttle_rate(0.0)
    orchestration.poll_wave(deferred)
    assert orchestration.get(execution_id)["waves"][0]["status"] == "COMPLETED"


def test_find_finalizes_an_execution_whose_state_machine_died_and_leaves_running_ones_alone(
    orchestration: Orchestration,
) -> None:
    # Given two executions mid-wave; the state machine of the first was aborted from outside
    from orchestrator.operations import find

    plan_a, _ = one_wave_plan(orchestration, 1)
    plan_b, _ = one_wave_plan(orchestration, 1)
    dead = orchestration.start(plan_a)["executionId"]
    alive = orchestration.start(plan_b)["executionId"]
    for execution_id in (dead, alive):
        waves.start_wave(
            orchestration.deps, dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
        )
    orchestration.sfn.status[dead] = "ABORTED"
    # When the scheduled find runs
    result = find.find(orchestration.deps)
    # Then only the dead one is finalized, with the reason recorded
    assert result["reconciled"] == [{"executionId": dead, "status": "FAILED"}]
    record = orchestration.get(dead)
    assert record["status"] == "FAILED"
    assert "ABORTED" in record["error"]
    assert orchestration.get(alive)["status"] == "IN_PROGRESS"
    # And its locks are released: the plan can run again
    assert orchestration.deps.stores.locks.holder(f"PLAN#{plan_a}") is None


def test_find_refreshes_the_servers_of_a_paused_execution_that_nobody_polls(
    orchestration: Orchestration, drs_ec2_client: Any
) -> None:
    # Given an execution paused after wave 1, whose recovery instance is then stopped in EC2
    from orchestrator.operations import find

    first, second = orchestration.servers(1), orchestration.servers(1)
    plan_id = orchestration.add_plan(
        [
            ("One", [orchestration.add_group("a", first)], False),
            ("Two", [orchestration.add_group("b", second)], True),
        ]
    )
    execution_id = orchestration.start(plan_id)["executionId"]
    state = dict(waves.advance(orchestration.deps, {"executionId": execution_id}))
    orchestration.run_wave(state)
    state = dict(waves.advance(orchestration.deps, {**state, "waveIndex": 1}))
    waves.pause(orchestration.deps, state, "token-paused")
    [server] = [
        s for s in orchestration.deps.stores.servers.all(execution_id) if s["sourceServerId"] == first[0]
    ]
    assert (server["ready"], server["phase"]) == (True, "READY")
    drs_ec2_client.stop_instances(InstanceIds=[server["ec2InstanceId"]])
    # When the schedule runs find within ten minutes, then after
    soon = find.find(orchestration.deps)
    orchestration.clock.advance(20 * 60)
    later = find.find(orchestration.deps)
    # Then only the later run refreshed it: the server now shows stopped, not ready, and FAILED
    assert soon["serversRefreshed"] == 0
    assert later["serversRefreshed"] == 1
    [server] = [
        s for s in orchestration.deps.stores.servers.all(execution_id) if s["sourceServerId"] == first[0]
    ]
    assert (server["ec2State"], server["ready"], server["phase"]) == ("stopped", False, "FAILED")
    # And the execution's status was left alone
    assert orchestration.get(execution_id)["status"] == "PAUSED"
