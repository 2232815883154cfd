"""The operations on in-memory ports: the in-memory stores, the DRS simulator called in-process
through the production DRS adapter, an in-memory EC2 and a recording Step Functions. No sockets, no
moto: each test runs in milliseconds. (The same operations run against DynamoDB in
tests/integration and through the real state machine in tests/e2e.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from orchestration_driver import Orchestration

from execution_utils import can_terminate_execution, status_label
from orchestrator.exceptions import ConflictError, TransientError
from orchestrator.operations import control, find, poll, terminate, waves
from orchestrator.operations import report as report_op
from orchestrator.reports.store import report_key

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}


@pytest.fixture
def orc() -> Iterator[Orchestration]:
    yield in_memory_orchestration()


def plan(orc: Orchestration, *waves_spec: tuple[int, bool], **options: Any) -> str:
    """A plan of waves of (server count, pause before the wave)."""
    return orc.add_plan(
        [
            (f"W{n}", [orc.add_group(f"g{n}", orc.servers(count, phaseDurations=QUICK))], pause)
            for n, (count, pause) in enumerate(waves_spec, start=1)
        ],
        **options,
    )


def statuses(record: dict[str, Any]) -> list[str]:
    return [w["status"] for w in record["waves"]]


def test_three_waves_complete_in_order_and_only_when_every_server_runs(orc: Orchestration) -> None:
    execution_id = orc.start(plan(orc, (2, False), (1, False), (3, False)))["executionId"]
    record = orc.run_to_end(execution_id)
    assert record["status"] == "COMPLETED" and statuses(record) == ["COMPLETED"] * 3
    servers = list(orc.deps.stores.servers.all(execution_id))
    assert len(servers) == 6 and all(s["ready"] and s["ec2State"] == "running" for s in servers)
    assert [w["startTime"] <= w["endTime"] for w in record["waves"]] == [True] * 3
    assert record["waves"][0]["endTime"] <= record["waves"][1]["startTime"]


def test_a_pause_before_a_wave_waits_for_resume_and_records_who_resumed(orc: Orchestration) -> None:
    execution_id = orc.start(plan(orc, (1, False), (1, True)))["executionId"]
    paused = orc.run_to_end(execution_id, resume=False)
    assert paused["status"] == "PAUSED" and status_label(paused) == "PAUSED (before wave 2 of 2)"
    record = control.resume(orc.deps, execution_id, actor="alice", comment="app tier checked")
    assert orc.sfn.actions == [(paused["taskToken"], "RESUME")] and "taskToken" not in record
    assert record["resumedBy"] == "alice" and record["resumeComment"] == "app tier checked"
    assert orc.run_to_end(execution_id)["status"] == "COMPLETED"


def test_cancel_while_paused_after_a_completed_wave_is_partial_success(orc: Orchestration) -> None:
    execution_id = orc.start(plan(orc, (1, False), (1, True), (1, False)))["executionId"]
    orc.run_to_end(execution_id, resume=False)
    control.cancel(orc.deps, execution_id, actor="bob")
    record = orc.run_to_end(execution_id)
    assert record["status"] == "PARTIAL_SUCCESS"
    assert statuses(record) == ["COMPLETED", "CANCELLED", "CANCELLED"]
    assert status_label(record) == "PARTIAL SUCCESS (1 of 3 waves completed)"
    assert can_terminate_execution(record)["canTerminate"] is True


def test_a_failed_critical_server_fails_its_wave_and_later_waves_never_start(orc: Orchestration) -> None:
    ok = orc.add_group("ok", orc.servers(1, phaseDurations=QUICK))
    bad = orc.add_group(
        "bad", orc.servers(1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="LAUNCH")
    )
    later = orc.add_group("later", orc.servers(1, phaseDurations=QUICK))
    plan_id = orc.add_plan([("ok", [ok], False), ("bad", [bad], False), ("later", [later], False)])
    record = orc.run_to_end(orc.start(plan_id)["executionId"])
    assert record["status"] == "PARTIAL_SUCCESS" and statuses(record) == [
        "COMPLETED",
        "FAILED",
        "NOT_STARTED",
    ]
    assert record["waves"][1]["error"].startswith("critical servers failed")


def test_a_failed_optional_server_completes_with_a_warning(orc: Orchestration) -> None:
    ids = orc.servers(1, phaseDurations=QUICK) + orc.servers(
        1, phaseDurations=QUICK, launchOutcome="FAILED", failPhase="CONVERSION"
    )
    group = orc.add_group("web", ids, serverImpactLevels={ids[1]: "OPTIONAL"})
    record = orc.run_to_end(orc.start(orc.add_plan([("web", [group], False)]))["executionId"])
    assert record["status"] == "COMPLETED"
    assert status_label(record) == "COMPLETED WITH WARNINGS (1 warning)"


def test_polls_never_change_the_execution_status(orc: Orchestration) -> None:
    execution_id = orc.start(plan(orc, (2, False)))["executionId"]
    state = dict(waves.start_wave(orc.deps, dict(waves.advance(orc.deps, {"executionId": execution_id}))))
    seen = set()
    while not state["waveDone"]:
        orc.clock.advance(20)
        state = dict(poll.poll(orc.deps, state))
        seen.add(orc.get(execution_id)["status"])
    assert seen == {"IN_PROGRESS"}


def test_terminate_ends_exactly_the_instances_of_the_drill(orc: Orchestration) -> None:
    first = orc.run_to_end(orc.start(plan(orc, (2, False)))["executionId"])
    second = orc.run_to_end(orc.start(plan(orc, (1, False)))["executionId"])
    terminate.start_termination(orc.deps, first["executionId"], actor="ops")
    with pytest.raises(ConflictError):
        terminate.start_termination(orc.deps, first["executionId"], actor="ops")
    for _ in range(20):
        orc.clock.advance(60)
        if first["executionId"] in find.find(orc.deps)["terminationsFinished"]:
            break
    ec2 = orc.deps.ec2
    ids = {
        e["executionId"]: [s["ec2InstanceId"] for s in orc.deps.stores.servers.all(e["executionId"])]
        for e in (first, second)
    }
    assert {d["ec2State"] for d in ec2.instances(ids[first["executionId"]]).values()} == {"terminated"}
    assert {d["ec2State"] for d in ec2.instances(ids[second["executionId"]]).values()} == {"running"}
    assert orc.get(first["executionId"])["instancesTerminated"] is True


def test_find_reconciles_an_execution_whose_state_machine_died(orc: Orchestration) -> None:
    execution_id = orc.start(plan(orc, (1, False), (1, True)))["executionId"]
    orc.run_to_end(execution_id, resume=False)
    orc.sfn.status[execution_id] = "ABORTED"
    result = find.find(orc.deps)
    assert result["reconciled"] == [{"executionId": execution_id, "status": "PARTIAL_SUCCESS"}]
    assert orc.deps.stores.locks.holders() == {}


def test_a_wave_waits_for_drs_capacity_then_runs(orc: Orchestration) -> None:
    import dataclasses

    orc.deps = dataclasses.replace(
        orc.deps, config=dataclasses.replace(orc.deps.config, drs_max_concurrent_jobs=1)
    )
    busy = orc.start(plan(orc, (1, False)))["executionId"]
    busy_state = dict(waves.start_wave(orc.deps, dict(waves.advance(orc.deps, {"executionId": busy}))))
    waiting = orc.start(plan(orc, (1, False)))["executionId"]
    state = dict(waves.advance(orc.deps, {"executionId": waiting}))
    assert waves.start_wave(orc.deps, state)["capacityQueued"] is True
    assert orc.get(waiting)["waves"][0]["phase"] == "QUEUED_FOR_CAPACITY"
    orc.poll_wave(busy_state)
    orc.run_wave(state)
    assert orc.run_to_end(waiting)["status"] == "COMPLETED"


def test_the_timeline_records_each_event_once_even_when_operations_repeat(orc: Orchestration) -> None:
    from collections import Counter

    from orchestrator.operations import finalize, timeline

    execution_id = orc.start(plan(orc, (2, False), (1, True)))["executionId"]
    orc.run_to_end(execution_id, resume=False)
    control.resume(orc.deps, execution_id, actor="alice", comment="checked")
    record = orc.run_to_end(execution_id)
    finalize.finalize(orc.deps, {"executionId": execution_id})  # Step Functions repeats the task
    events = timeline.all_events(orc.deps, execution_id)
    kinds = Counter(e["type"] for e in events)
    assert record["status"] == "COMPLETED"
    assert {
        k: kinds[k]
        for k in (
            "EXECUTION_STARTED",
            "WAVE_STARTED",
            "WAVE_FINISHED",
            "PAUSED",
            "RESUMED",
            "EXECUTION_FINISHED",
        )
    } == {
        "EXECUTION_STARTED": 1,
        "WAVE_STARTED": 2,
        "WAVE_FINISHED": 2,
        "PAUSED": 1,
        "RESUMED": 1,
        "EXECUTION_FINISHED": 1,
    }
    assert kinds["SERVER_READY"] == 3 and kinds["SERVER_LAUNCHED"] == 3
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert next(e for e in events if e["type"] == "RESUMED")["actor"] == "alice"


def _terminate_to_the_end(orc: Orchestration, execution_id: str) -> dict[str, Any]:
    """Terminate the drill's instances and run the schedule until the TERMINATE jobs end."""
    terminate.start_termination(orc.deps, execution_id, actor="ops")
    for _ in range(20):
        orc.clock.advance(60)
        if execution_id in find.find(orc.deps)["terminationsFinished"]:
            return orc.get(execution_id)
    raise AssertionError("the termination did not finish")


def test_a_completed_drills_servers_are_ready_not_launching(orc: Orchestration) -> None:
    # Given a drill of one wave of two servers run to its end
    execution_id = orc.run_to_end(orc.start(plan(orc, (2, False)))["executionId"])["executionId"]
    # Then every server settled READY (DRS's last log phase was LAUNCHING)
    servers = list(orc.deps.stores.servers.all(execution_id))
    assert [(s["phase"], s["ready"]) for s in servers] == [("READY", True), ("READY", True)]


def test_a_cancelled_drill_terminated_reads_terminated_everywhere_and_unlaunched_servers_settle(
    orc: Orchestration,
) -> None:
    # Given a drill cancelled while paused before wave 2, with wave 1 completed
    execution_id = orc.start(plan(orc, (2, False), (1, True), (2, False)))["executionId"]
    orc.run_to_end(execution_id, resume=False)
    control.cancel(orc.deps, execution_id, actor="bob")
    ended = orc.run_to_end(execution_id)
    report_op.write_report(orc.deps, {"executionId": execution_id})
    servers = list(orc.deps.stores.servers.all(execution_id))
    # Then wave 1's servers are READY and running, and the cancelled waves' servers NOT_LAUNCHED
    assert ended["status"] == "PARTIAL_SUCCESS"
    assert [(s["waveNumber"], s["phase"], s.get("ec2State")) for s in servers] == [
        (1, "READY", "running"),
        (1, "READY", "running"),
        (2, "NOT_LAUNCHED", None),
        (3, "NOT_LAUNCHED", None),
        (3, "NOT_LAUNCHED", None),
    ]
    # When its instances are terminated and the schedule follows the termination to its end
    done = _terminate_to_the_end(orc, execution_id)
    # Then the servers say what EC2 says: terminated; their phase stays the evidence (READY)
    after = list(orc.deps.stores.servers.all(execution_id))
    assert done["terminationStatus"] == "COMPLETED" and done["instancesTerminated"] is True
    assert [(s["phase"], s.get("ec2State")) for s in after if s["waveNumber"] == 1] == [
        ("READY", "terminated")
    ] * 2
    # And the report in the bucket was written again: it says terminated, never running
    stored = json.loads(orc.deps.reports.objects[report_key(ended["planId"], execution_id, "json")])  # type: ignore[attr-defined]
    states = [s["ec2State"] for w in stored["waves"] for s in w["servers"] if s["ec2InstanceId"]]
    assert states == ["terminated", "terminated"]
    assert stored["recoveryInstances"]["terminated"] is True
    assert [s["phase"] for w in stored["waves"] for s in w["servers"]] == ["READY"] * 2 + ["NOT_LAUNCHED"] * 3
    # And a second schedule run changes nothing (the termination is no longer followed)
    assert execution_id not in find.find(orc.deps)["terminationsFinished"]
    assert list(orc.deps.stores.servers.all(execution_id)) == after


def test_a_termination_that_could_not_read_ec2_stays_pending_and_completes_on_the_next_run(
    orc: Orchestration, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a finished drill whose termination ended in DRS, while EC2 cannot be read
    execution_id = orc.run_to_end(orc.start(plan(orc, (1, False)))["executionId"])["executionId"]
    terminate.start_termination(orc.deps, execution_id, actor="ops")
    orc.clock.advance(600)
    real = orc.deps.ec2.instances

    def unavailable(_ids: Any) -> Any:
        raise TransientError("EC2 DescribeInstances: ServiceUnavailable")

    monkeypatch.setattr(orc.deps.ec2, "instances", unavailable)
    # When the schedule runs: the error is reported and nothing is recorded as ended
    result = find.find(orc.deps)
    assert result["terminationsFinished"] == [] and result["errors"][0]["executionId"] == execution_id
    assert orc.get(execution_id)["terminationStatus"] == "IN_PROGRESS"
    # Then once EC2 answers again, the next run records the end and the terminated instance
    monkeypatch.setattr(orc.deps.ec2, "instances", real)
    assert find.find(orc.deps)["terminationsFinished"] == [execution_id]
    assert [s["ec2State"] for s in orc.deps.stores.servers.all(execution_id)] == ["terminated"]
