"""One contract, two stores: every promise the operations rely on (conditional changes, unique
names, all-or-nothing locks, pages), checked on the DynamoDB stores (tables built from
template.yaml in moto) and on the in-memory stores the operations' unit tests use."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from stack_tables import stack_tables

from execution_utils import ExecutionStatus, IllegalTransitionError, PauseReason, WavePhase, WaveStatus
from orchestrator.config import Config
from orchestrator.exceptions import ConflictError, NotFoundError, StaleWriteError
from orchestrator.model import ExecutionRecord, ServerRecord, new_action, new_progress, server_key
from orchestrator.store import Stores, cursor
from orchestrator.store.ports import Pause, PauseDecision
from orchestrator.store.readiness import server_drill_item, verdict_record

pytest_plugins = ["drs_fixtures"]

NOW = "2026-11-26T10:00:00.000Z"


@pytest.fixture(params=["dynamodb", "memory"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        yield Stores.in_memory()
        return
    endpoint = request.getfixturevalue("drs_moto_endpoint")
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    with stack_tables(ddb) as names:
        config = Config(state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:x", **names)
        yield Stores.from_config(config, dynamodb=ddb)


def execution(
    status: str = "IN_PROGRESS", *, plan_id: str = "plan-1", start: str = NOW, waves: int = 2
) -> ExecutionRecord:
    return {
        "executionId": str(uuid.uuid4()),
        "planId": plan_id,
        "planName": "shop",
        "executionType": "DRILL",
        "status": status,
        "startTime": start,
        "initiatedBy": "test",
        "totalWaves": waves,
        "completedWaves": 0,
        "currentWave": 0,
        "totalServers": waves,
        "options": {
            "readinessCheck": "EC2_RUNNING",
            "waveTimeoutMinutes": 120,
            "pauseTimeoutMinutes": 1440,
            "capacityWaitMinutes": 60,
        },
        "waves": [
            {
                "waveNumber": n,
                "waveName": f"W{n}",
                "protectionGroupIds": ["g"],
                "pauseBeforeWave": False,
                "status": "NOT_STARTED",
                "jobIds": [],
                "serverCount": 1,
                "recoveryInstances": 0,
                "progress": new_progress(1),
            }
            for n in range(1, waves + 1)
        ],
    }


def stored(stores: Stores, status: str = "IN_PROGRESS", **kwargs: Any) -> ExecutionRecord:
    return stores.executions.create(execution(status, **kwargs))


# --- executions -------------------------------------------------------------------------------------


def test_an_execution_is_created_once_and_read_back_whole(stores: Stores) -> None:
    record = stored(stores)
    assert stores.executions.get(record["executionId"]) == record
    assert record["version"] == 1
    with pytest.raises(StaleWriteError):
        stores.executions.create(copy.deepcopy(record))
    with pytest.raises(NotFoundError) as missing:
        stores.executions.get("nope")
    assert missing.value.code == "EXECUTION_NOT_FOUND"


def test_a_status_change_applies_only_to_the_version_read(stores: Stores) -> None:
    record = stored(stores)
    paused = stores.executions.record_paused(
        record, Pause(token="t1", reason=PauseReason.BEFORE_WAVE, wave=2, now=NOW)
    )
    assert (paused["status"], paused["taskToken"], paused["pausedBeforeWave"]) == ("PAUSED", "t1", 2)
    assert paused["pauseReason"] == "BEFORE_WAVE" and paused["version"] == 2
    with pytest.raises(StaleWriteError):
        stores.executions.request_cancel(record, actor="bob", reason=None, now=NOW, paused_seconds=None)
    assert stores.executions.get(record["executionId"])["status"] == "PAUSED"


def test_resume_keeps_the_token_until_it_is_forgotten_and_only_that_token(stores: Stores) -> None:
    record = stores.executions.record_paused(
        stored(stores), Pause(token="t1", reason=PauseReason.BEFORE_WAVE, wave=2, now=NOW)
    )
    resumed = stores.executions.record_resume(record, PauseDecision("RESUME", "alice", "ok", NOW, 30))
    assert resumed["status"] == "IN_PROGRESS" and resumed["taskToken"] == "t1"
    assert (resumed["resumedBy"], resumed["resumeComment"], resumed["pausedSeconds"]) == ("alice", "ok", 30)
    assert resumed["currentWave"] == 2 and resumed["taskActionTime"] == NOW
    kept = stores.executions.forget_task_token(resumed, "another-token")
    assert kept["taskToken"] == "t1"
    forgotten = stores.executions.forget_task_token(resumed, "t1")
    assert "taskToken" not in forgotten and "taskActionTime" not in forgotten


def test_a_cancel_records_who_and_why_and_keeps_the_paused_time_it_had(stores: Stores) -> None:
    record = stored(stores)
    record = stores.executions.record_resume(
        stores.executions.record_paused(
            record, Pause(token="t", reason=PauseReason.BEFORE_WAVE, wave=2, now=NOW)
        ),
        PauseDecision("RESUME", "a", None, NOW, 12),
    )
    cancelled = stores.executions.request_cancel(
        record, actor="bob", reason="why", now=NOW, paused_seconds=None
    )
    assert cancelled["status"] == "CANCELLING" and cancelled["cancelRequested"] is True
    assert (cancelled["cancelRequestedBy"], cancelled["cancelReason"], cancelled["pausedSeconds"]) == (
        "bob",
        "why",
        12,
    )


def test_a_pause_request_applies_only_while_the_status_is_the_one_read(stores: Stores) -> None:
    record = stored(stores)
    requested = stores.executions.request_pause(record, actor="ops", now=NOW)
    assert requested["pauseRequested"] is True and requested["pauseRequestedBy"] == "ops"
    with pytest.raises(StaleWriteError):
        stores.executions.request_pause(record, actor="ops", now=NOW)


def test_a_status_change_the_model_forbids_is_refused_and_changes_nothing(stores: Stores) -> None:
    # Given an execution that ended COMPLETED
    record = stored(stores, "COMPLETED")
    # When it is asked to run again, to be cancelled, or to end a second time
    with pytest.raises(IllegalTransitionError):
        stores.executions.record_running(record)
    with pytest.raises(IllegalTransitionError):
        stores.executions.request_cancel(record, actor="bob", reason=None, now=NOW, paused_seconds=None)
    with pytest.raises(IllegalTransitionError):
        stores.executions.record_final(
            record,
            status=ExecutionStatus.FAILED,
            waves=record["waves"],
            now=NOW,
            duration_seconds=1,
            completed_waves=0,
            error="late",
            jobs_pending=False,
        )
    # Then the stored record is the one written at the start
    assert stores.executions.get(record["executionId"]) == record


def test_a_wave_is_claimed_exactly_once_and_only_while_the_execution_runs(stores: Stores) -> None:
    record = stored(stores)
    claimed = stores.executions.claim_wave(record, 0, now=NOW)
    wave = claimed["waves"][0]
    assert (wave["status"], wave["phase"], wave["startTime"], claimed["currentWave"]) == (
        "IN_PROGRESS",
        "SUBMITTED",
        NOW,
        1,
    )
    with pytest.raises(StaleWriteError):
        stores.executions.claim_wave(record, 0, now=NOW)
    with pytest.raises(StaleWriteError):
        stores.executions.claim_wave(stored(stores, "PAUSED"), 0, now=NOW)


def test_a_job_is_recorded_once_even_on_an_ended_execution(stores: Stores) -> None:
    record = stores.executions.claim_wave(stored(stores), 0, now=NOW)
    once = stores.executions.add_wave_job(record, 0, "drsjob-1")
    twice = stores.executions.add_wave_job(once, 0, "drsjob-1")
    assert twice["waves"][0]["jobIds"] == ["drsjob-1"]
    ended = stores.executions.record_final(
        twice,
        status="FAILED",  # type: ignore[arg-type]
        waves=twice["waves"],
        now=NOW,
        duration_seconds=5,
        completed_waves=0,
        error="boom",
        jobs_pending=True,
    )
    late = stores.executions.add_wave_job(ended, 0, "drsjob-2")
    assert late["waves"][0]["jobIds"] == ["drsjob-1", "drsjob-2"]


def test_wave_updates_apply_only_to_a_wave_still_in_progress(stores: Stores) -> None:
    record = stores.executions.claim_wave(stored(stores), 0, now=NOW)
    stores.executions.record_poll_error(record, 0, "DRS DescribeJobs failed", 2)
    assert stores.executions.get(record["executionId"])["waves"][0]["pollErrors"] == 2
    facts = {"progress": new_progress(1), "failedServers": [], "warnings": [], "recoveryInstances": 1}
    done = stores.executions.record_poll(
        record,
        0,
        status="COMPLETED",  # type: ignore[arg-type]
        phase=None,
        facts=facts,
        jobs_finished=True,
        error=None,
        completed_waves=1,
        now=NOW,
    )
    assert done is True
    wave = stores.executions.get(record["executionId"])["waves"][0]
    assert wave["status"] == "COMPLETED" and wave["jobsFinished"] is True and wave["endTime"] == NOW
    assert "pollErrors" not in wave and "phase" not in wave
    again = stores.executions.record_poll(
        record,
        0,
        status="FAILED",  # type: ignore[arg-type]
        phase=None,
        facts=facts,
        jobs_finished=True,
        error="late",
        completed_waves=0,
        now=NOW,
    )
    assert again is False
    assert stores.executions.get(record["executionId"])["waves"][0]["status"] == "COMPLETED"


def test_a_wave_that_could_not_start_fails_unless_a_concurrent_attempt_recorded_a_job(stores: Stores) -> None:
    record = stores.executions.add_wave_job(stores.executions.claim_wave(stored(stores), 0, now=NOW), 0, "j")
    stores.executions.fail_wave(record, 0, "no", now=NOW, only_if_no_jobs=True)
    assert stores.executions.get(record["executionId"])["waves"][0]["status"] == "IN_PROGRESS"
    stores.executions.fail_wave(record, 0, "capacity", now=NOW, only_if_no_jobs=False)
    wave = stores.executions.get(record["executionId"])["waves"][0]
    assert (wave["status"], wave["error"]) == ("FAILED", "capacity")


def test_a_queued_wave_records_its_wait_and_its_submission_once(stores: Stores) -> None:
    record = stores.executions.claim_wave(stored(stores), 0, now=NOW)
    stores.executions.record_queued(record, 0, queued_since=NOW, reason="20 DRS jobs are active")
    queued = stores.executions.get(record["executionId"])
    assert queued["waves"][0]["phase"] == "QUEUED_FOR_CAPACITY"
    stores.executions.record_submitted(queued, 0, now="2026-11-26T10:05:00.000Z")
    stores.executions.record_submitted(queued, 0, now="2026-11-26T10:09:00.000Z")
    wave = stores.executions.get(record["executionId"])["waves"][0]
    assert wave["submittedTime"] == "2026-11-26T10:05:00.000Z" and wave["phase"] == "SUBMITTED"
    assert "queuedReason" not in wave and wave["queuedTime"] == NOW


def test_an_ended_execution_with_running_jobs_is_followed_until_they_end(stores: Stores) -> None:
    record = stored(stores)
    ended = stores.executions.record_final(
        record,
        status="FAILED",  # type: ignore[arg-type]
        waves=record["waves"],
        now=NOW,
        duration_seconds=60,
        completed_waves=0,
        error="stopped",
        jobs_pending=True,
    )
    assert ended["status"] == "FAILED" and ended["endTime"] == NOW and ended["error"] == "stopped"
    assert [e["executionId"] for e in stores.executions.following_jobs()] == [record["executionId"]]
    stores.executions.record_followed(
        ended,
        0,
        {"progress": new_progress(1), "recoveryInstances": 1, "failedServers": [], "warnings": []},
        True,
    )
    stores.executions.record_jobs_followed(ended, now=NOW)
    assert list(stores.executions.following_jobs()) == []
    assert stores.executions.get(record["executionId"])["waves"][0]["recoveryInstances"] == 1


def test_a_drill_that_left_instances_is_listed_until_their_termination_ends(stores: Stores) -> None:
    """Given a drill ended with instances left (the InstancesIndex); then it is listed; a failed
    termination keeps it listed; a termination that ended unlists it."""
    record = stored(stores)
    ended = stores.executions.record_final(
        record,
        status="COMPLETED",  # type: ignore[arg-type]
        waves=record["waves"],
        now=NOW,
        duration_seconds=60,
        completed_waves=1,
        error=None,
        jobs_pending=False,
        instances_left=True,
    )
    assert [e["executionId"] for e in stores.executions.with_instances_left()] == [record["executionId"]]
    claimed = stores.executions.claim_termination(ended, actor="ops", now=NOW)
    failed = stores.executions.record_termination_failed(claimed, "DRS said no")
    assert [e["executionId"] for e in stores.executions.with_instances_left()] == [record["executionId"]]
    again = stores.executions.claim_termination(failed, actor="ops", now=NOW)
    started = stores.executions.record_termination_started(again, job_ids=["t-1"], instances=2)
    stores.executions.record_termination_end(started, not_terminated=[], now=NOW)
    assert list(stores.executions.with_instances_left()) == []


def test_termination_is_claimed_once_a_failed_one_may_be_asked_again(stores: Stores) -> None:
    record = stored(stores, "COMPLETED")
    claimed = stores.executions.claim_termination(record, actor="ops", now=NOW)
    assert [e["executionId"] for e in stores.executions.terminating()] == [record["executionId"]]
    with pytest.raises(StaleWriteError):
        stores.executions.claim_termination(claimed, actor="ops", now=NOW)
    failed = stores.executions.record_termination_failed(claimed, "DRS said no")
    assert list(stores.executions.terminating()) == []
    again = stores.executions.claim_termination(failed, actor="ops2", now=NOW)
    started = stores.executions.record_termination_started(again, job_ids=["t-1"], instances=2)
    ended = stores.executions.record_termination_end(started, not_terminated=[], now=NOW)
    assert (ended["terminationStatus"], ended["instancesTerminated"], ended["terminationRequestedBy"]) == (
        "COMPLETED",
        True,
        "ops2",
    )
    assert "terminationError" not in ended and list(stores.executions.terminating()) == []


def test_listings_are_newest_first_by_plan_status_or_all_and_page_with_their_own_keys(stores: Stores) -> None:
    times = [f"2026-11-26T10:0{n}:00.000Z" for n in range(5)]
    plan = f"plan-{uuid.uuid4().hex[:6]}"
    made = [
        stored(stores, "COMPLETED" if n % 2 else "FAILED", plan_id=plan, start=t) for n, t in enumerate(times)
    ]
    first, token = stores.executions.list_page(plan_id=plan, limit=2)
    assert [e["startTime"] for e in first] == times[::-1][:2]
    assert token is not None and set(token) == {"executionId", "startTime", "planId"}
    rest: list[ExecutionRecord] = []
    while token:
        page, token = stores.executions.list_page(plan_id=plan, limit=2, start_key=token)
        rest += page
    assert [e["startTime"] for e in first + rest] == times[::-1]
    completed, _ = stores.executions.list_page(plan_id=plan, status="COMPLETED", limit=10)
    assert {e["executionId"] for e in completed} == {m["executionId"] for m in made[1::2]}
    _, by_status = stores.executions.list_page(status="FAILED", limit=1)
    assert by_status is not None and set(by_status) == {"executionId", "startTime", "status"}
    _, everything = stores.executions.list_page(limit=1)
    assert everything is not None and set(everything) == {"executionId", "startTime", "recordType"}
    active = stored(stores, "PAUSED")
    assert active["executionId"] in {e["executionId"] for e in stores.executions.active()}
    assert not {m["executionId"] for m in made} & {e["executionId"] for e in stores.executions.active()}


# --- servers, locks, catalog --------------------------------------------------------------------------


def server(execution_id: str, wave: int, sid: str) -> ServerRecord:
    return {
        "executionId": execution_id,
        "serverKey": server_key(wave, sid),
        "waveNumber": wave,
        "sourceServerId": sid,
        "hostname": f"h-{sid}",
        "impactLevel": "CRITICAL",
        "protectionGroupId": "g",
        "launchStatus": "PENDING",
        "ready": False,
    }


def test_servers_are_read_by_wave_whole_by_id_and_in_pages(stores: Stores) -> None:
    eid = str(uuid.uuid4())
    stores.servers.put_many([server(eid, w, f"s-{w}{n}") for w in (1, 2) for n in range(3)])
    stores.servers.put_many([{**server(eid, 1, "s-10"), "launchStatus": "LAUNCHED"}])  # type: ignore[typeddict-item]
    assert [s["sourceServerId"] for s in stores.servers.wave(eid, 2)] == ["s-20", "s-21", "s-22"]
    assert stores.servers.wave(eid, 1)[0]["launchStatus"] == "LAUNCHED"
    assert sorted(stores.servers.source_server_ids(eid)) == sorted(
        f"s-{w}{n}" for w in (1, 2) for n in range(3)
    )
    page, token = stores.servers.page(eid, limit=4)
    assert token is not None and set(token) == {"executionId", "serverKey"}
    rest, end = stores.servers.page(eid, limit=4, start_key=token)
    assert len(page) == 4 and len(rest) == 2 and end is None
    assert len(list(stores.servers.all(eid))) == 6


def test_locks_are_all_or_nothing_and_released_only_by_their_holder(stores: Stores) -> None:
    plan = f"PLAN#{uuid.uuid4().hex[:6]}"
    shared = f"SERVER#{uuid.uuid4().hex[:6]}"
    stores.locks.acquire([plan, shared], "exec-a", NOW)
    stores.locks.acquire([plan, shared], "exec-a", NOW)  # its own locks again
    with pytest.raises(ConflictError) as busy:
        stores.locks.acquire([f"PLAN#{uuid.uuid4().hex[:6]}", shared], "exec-b", NOW)
    assert busy.value.code == "SERVER_IN_ACTIVE_EXECUTION" and busy.value.details["executionId"] == "exec-a"
    with pytest.raises(ConflictError) as running:
        stores.locks.acquire([plan], "exec-b", NOW)
    assert running.value.code == "PLAN_ALREADY_RUNNING"
    assert set(stores.locks.holders()) == {"exec-a"}
    stores.locks.release_held([plan, shared], "exec-b")
    assert stores.locks.holder(plan) == "exec-a"
    stores.locks.release_held([plan, shared], "exec-a")
    assert stores.locks.holder(plan) is None and stores.locks.holders() == {}


def test_catalog_names_are_unique_regardless_of_case_and_writes_follow_the_version(stores: Stores) -> None:
    name = f"Web-{uuid.uuid4().hex[:6]}"
    web = stores.groups.create({"name": name, "sourceServerIds": ["s-1"]}, now=NOW)
    assert stores.groups.get(web["groupId"])["name"] == name and web["version"] == 1
    with pytest.raises(ConflictError) as taken:
        stores.groups.create({"name": name.upper(), "sourceServerIds": []}, now=NOW)
    assert taken.value.code == "NAME_ALREADY_EXISTS"
    db = stores.groups.create({"name": f"db-{name}", "sourceServerIds": []}, now=NOW)
    with pytest.raises(ConflictError) as rename:
        stores.groups.update(db, {"name": name.lower(), "sourceServerIds": []}, now=NOW)
    assert rename.value.code == "NAME_ALREADY_EXISTS"
    renamed = stores.groups.update(web, {"name": f"{name}-2", "sourceServerIds": ["s-2"]}, now=NOW)
    with pytest.raises(ConflictError) as stale:
        stores.groups.update(web, {"name": name, "sourceServerIds": []}, now=NOW)
    assert stale.value.code == "CONCURRENT_UPDATE"
    assert stores.groups.create({"name": name, "sourceServerIds": []}, now=NOW)  # the old name is free again
    stores.groups.delete(renamed)
    with pytest.raises(NotFoundError) as gone:
        stores.groups.get(renamed["groupId"])
    assert gone.value.code == "GROUP_NOT_FOUND"
    with pytest.raises(NotFoundError):
        stores.groups.get("NAME#" + name.lower())
    names = [g["name"] for g in stores.groups.all()]
    assert names == sorted(names, key=str.lower)


def test_timeline_events_are_recorded_once_and_read_oldest_first_in_pages(stores: Stores) -> None:
    eid = str(uuid.uuid4())
    times = [f"2026-11-26T10:00:0{n}.000Z" for n in range(5)]
    for n, time in reversed(list(enumerate(times))):
        assert stores.timeline.record(
            eid, f"WAVE_STARTED#{n}", {"time": time, "type": "WAVE_STARTED", "message": f"w{n}"}
        )
    assert not stores.timeline.record(
        eid, "WAVE_STARTED#0", {"time": NOW, "type": "WAVE_STARTED", "message": "again"}
    )
    first, after = stores.timeline.page(eid, limit=3)
    rest, end = stores.timeline.page(eid, limit=3, after=after)
    assert [e["time"] for e in first + rest] == times and end is None
    assert first[0] == {"time": times[0], "type": "WAVE_STARTED", "message": "w0"}


def with_runbook(stores: Stores) -> ExecutionRecord:
    """An execution whose wave 1 is running its post-action (a check), in both backends."""
    record = execution()
    record["waves"][0]["actions"] = [
        new_action({"name": "check", "type": "SSM_COMMAND", "documentName": "AWS-RunShellScript"}, "POST")
    ]
    created = stores.executions.create(record)
    return stores.executions.claim_wave(created, 0, now=NOW, phase=WavePhase.POST_ACTIONS)


def test_an_action_step_applies_only_to_the_action_as_read(stores: Stores) -> None:
    """Two attempts of the same step read the action PENDING: one starts it, the other is stale."""
    record = with_runbook(stores)
    pending = record["waves"][0]["actions"][0]
    running = {**pending, "status": "RUNNING", "attempts": 1, "attemptStartTime": NOW}
    started = stores.executions.record_action(record, 0, 0, running, was=pending)  # type: ignore[arg-type]
    assert started["waves"][0]["actions"][0]["status"] == "RUNNING"
    with pytest.raises(StaleWriteError):
        stores.executions.record_action(record, 0, 0, running, was=pending)  # type: ignore[arg-type]
    handled = {**running, "handle": {"commandIds": ["c-1"]}}
    after = stores.executions.record_action(started, 0, 0, handled, was=running)  # type: ignore[arg-type]
    assert after["waves"][0]["actions"][0]["handle"] == {"commandIds": ["c-1"]}


def test_no_attempt_starts_or_is_scheduled_once_a_cancel_was_accepted(stores: Stores) -> None:
    """Given a wave about to start its post-action, read before a cancel was accepted; when the step
    then claims the attempt, it is stale (no attempt starts after a cancel); an attempt's end is
    still recorded, but a next attempt is not scheduled."""
    record = with_runbook(stores)
    pending = record["waves"][0]["actions"][0]
    running = {**pending, "status": "RUNNING", "attempts": 1, "attemptStartTime": NOW}
    started = stores.executions.record_action(record, 0, 0, running, was=pending, unless_cancelled=True)  # type: ignore[arg-type]
    cancelling = stores.executions.request_cancel(
        started, actor="ops", reason=None, now=NOW, paused_seconds=None
    )
    again = {**running, "status": "RETRY_SCHEDULED", "nextAttemptAt": NOW}
    with pytest.raises(StaleWriteError):
        stores.executions.record_action(cancelling, 0, 0, again, was=running, unless_cancelled=True)  # type: ignore[arg-type]
    ended = {**running, "status": "FAILED", "endTime": NOW}
    after = stores.executions.record_action(cancelling, 0, 0, ended, was=running)  # type: ignore[arg-type]
    assert after["waves"][0]["actions"][0]["status"] == "FAILED"


def test_a_wave_is_finished_by_its_actions_once_and_only_while_in_progress(stores: Stores) -> None:
    record = with_runbook(stores)
    actions = [{**record["waves"][0]["actions"][0], "status": "SUCCEEDED"}]
    done = stores.executions.finish_wave(
        record,
        0,
        status=WaveStatus.COMPLETED,
        actions=actions,
        error=None,
        completed_waves=1,
        now=NOW,  # type: ignore[arg-type]
    )
    assert (done["waves"][0]["status"], done["completedWaves"]) == ("COMPLETED", 1)
    assert "phase" not in done["waves"][0]
    with pytest.raises(StaleWriteError):
        stores.executions.finish_wave(
            record,
            0,
            status=WaveStatus.FAILED,
            actions=actions,
            error="x",
            completed_waves=0,
            now=NOW,  # type: ignore[arg-type]
        )


def test_a_retry_or_skip_applies_only_to_a_failed_wave_of_a_paused_execution(stores: Stores) -> None:
    record = with_runbook(stores)
    failed = stores.executions.finish_wave(
        record,
        0,
        status=WaveStatus.FAILED,
        actions=record["waves"][0]["actions"],
        error="e",
        completed_waves=0,
        now=NOW,
    )
    paused = stores.executions.record_paused(
        failed, Pause(token="t", reason=PauseReason.WAVE_FAILED, wave=1, now=NOW)
    )
    assert (paused["pauseReason"], paused["pausedWave"]) == ("WAVE_FAILED", 1)
    assert "pausedBeforeWave" not in paused
    skipped = {**paused["waves"][0], "status": "SKIPPED", "skippedBy": "ops"}
    decided = stores.executions.record_wave_decision(
        paused,
        0,
        skipped,
        PauseDecision("SKIP", "ops", "known", NOW, 5),
    )
    assert (decided["status"], decided["waves"][0]["status"], decided["taskToken"]) == (
        "IN_PROGRESS",
        "SKIPPED",
        "t",
    )
    # The decision is kept, for whoever comes second to learn who decided (ALREADY_DECIDED)
    assert decided["decision"] == {
        "kind": "SKIP",
        "actor": "ops",
        "actorIdentity": {"type": "SYSTEM", "name": "ops"},
        "comment": "known",
        "time": NOW,
        "wave": 1,
    }
    with pytest.raises(StaleWriteError):
        stores.executions.record_wave_decision(
            decided,
            0,
            skipped,
            PauseDecision("SKIP", "ops", None, NOW, 5),
        )


# --- the outbox: a control's event written with its decision ------------------------------------------


def outboxed(event_id: str, kind: str, actor: str = "ops") -> dict[str, Any]:
    return {
        "eventId": event_id,
        "event": {"time": NOW, "type": kind, "message": f"{kind.lower()} by {actor}", "actor": actor},
    }


def test_a_decision_and_its_event_are_written_together_or_not_at_all(stores: Stores) -> None:
    # Given a paused execution
    record = stores.executions.record_paused(
        stored(stores), Pause(token="t", reason=PauseReason.BEFORE_WAVE, wave=2, now=NOW)
    )
    # When a resume is recorded with its RESUMED event
    resumed = stores.executions.record_resume(
        record,
        PauseDecision("RESUME", "alice", None, NOW, 3, outboxed("RESUMED#2", "RESUMED", "alice")),  # type: ignore[arg-type]
    )
    # Then the record holds both, and the execution is listed as having events to write
    assert resumed["status"] == "IN_PROGRESS"
    assert resumed["pendingEvents"] == [outboxed("RESUMED#2", "RESUMED", "alice")]
    assert [e["executionId"] for e in stores.executions.with_pending_events()] == [record["executionId"]]
    # And a second decision on the version read writes neither its state nor its event
    with pytest.raises(StaleWriteError):
        stores.executions.request_cancel(
            record,
            actor="bob",
            reason=None,
            now=NOW,
            paused_seconds=None,
            event=outboxed("CANCEL_REQUESTED", "CANCEL_REQUESTED", "bob"),  # type: ignore[arg-type]
        )
    again = stores.executions.get(record["executionId"])
    assert again["status"] == "IN_PROGRESS" and [p["eventId"] for p in again["pendingEvents"]] == [
        "RESUMED#2"
    ]


def test_events_leave_the_outbox_once_each_and_the_last_one_out_unlists_the_execution(stores: Stores) -> None:
    # Given an execution whose outbox holds three events (a pause, a cancel, a termination's)
    record = stores.executions.request_pause(
        stored(stores),
        actor="ops",
        now=NOW,
        event=outboxed("PAUSE_REQUESTED#0", "PAUSE_REQUESTED"),  # type: ignore[arg-type]
    )
    record = stores.executions.request_cancel(
        record,
        actor="bob",
        reason="r",
        now=NOW,
        paused_seconds=None,
        event=outboxed("CANCEL_REQUESTED", "CANCEL_REQUESTED", "bob"),  # type: ignore[arg-type]
    )
    record = stores.executions.record_termination_started(
        record,
        job_ids=["t-1"],
        instances=1,
        event=outboxed("TERMINATION_STARTED#x", "TERMINATION_STARTED"),  # type: ignore[arg-type]
    )
    assert [p["eventId"] for p in record["pendingEvents"]] == [
        "PAUSE_REQUESTED#0",
        "CANCEL_REQUESTED",
        "TERMINATION_STARTED#x",
    ]
    # When the first and the last are taken out (as read), then taken out again (a repeat)
    left = stores.executions.forget_events(record, {"PAUSE_REQUESTED#0", "TERMINATION_STARTED#x"})
    assert [p["eventId"] for p in left["pendingEvents"]] == ["CANCEL_REQUESTED"]
    repeat = stores.executions.forget_events(record, {"PAUSE_REQUESTED#0", "TERMINATION_STARTED#x"})
    # Then each went once, the one between them stayed, and the execution is still listed
    assert [p["eventId"] for p in repeat["pendingEvents"]] == ["CANCEL_REQUESTED"]
    assert [e["executionId"] for e in stores.executions.with_pending_events()] == [record["executionId"]]
    # And when the last one goes (from a stale read of the outbox), the outbox and the listing are gone
    empty = stores.executions.forget_events(record, {"CANCEL_REQUESTED"})
    assert "pendingEvents" not in empty and "eventsPending" not in empty
    assert list(stores.executions.with_pending_events()) == []
    assert empty["status"] == "CANCELLING" and empty["cancelRequestedBy"] == "bob"


def test_an_event_added_while_others_are_taken_out_stays_in_the_outbox(stores: Stores) -> None:
    # Given an outbox read with one event, and a second event added after that read
    read = stores.executions.request_pause(
        stored(stores),
        actor="ops",
        now=NOW,
        event=outboxed("PAUSE_REQUESTED#0", "PAUSE_REQUESTED"),  # type: ignore[arg-type]
    )
    stores.executions.request_cancel(
        read,
        actor="bob",
        reason=None,
        now=NOW,
        paused_seconds=None,
        event=outboxed("CANCEL_REQUESTED", "CANCEL_REQUESTED", "bob"),  # type: ignore[arg-type]
    )
    # When the first is taken out with the outbox as first read
    after = stores.executions.forget_events(read, {"PAUSE_REQUESTED#0"})
    # Then the one added meanwhile is kept, and the execution stays listed
    assert [p["eventId"] for p in after["pendingEvents"]] == ["CANCEL_REQUESTED"]
    assert after["eventsPending"] == "PENDING"
    assert [e["executionId"] for e in stores.executions.with_pending_events()] == [read["executionId"]]


def test_a_readiness_verdict_is_recorded_on_the_one_read_and_its_change_cleared_once(stores: Stores) -> None:
    store = stores.readiness
    first = verdict_record("plan-1", "READY", NOW, None, "8 PASS")
    assert store.record_verdict(first, None) is True
    assert store.record_verdict(first, None) is False  # a second first check loses
    read = store.plan_verdict("plan-1")
    assert read is not None and read["verdict"] == "READY" and "notifyPending" not in read
    worse = verdict_record("plan-1", "NOT_READY", "2026-11-26T11:00:00.000Z", read, "1 FAIL")
    assert store.record_verdict(worse, read) is True
    assert store.record_verdict(worse, read) is False  # the verdict read is gone
    pending = store.plan_verdict("plan-1")
    assert pending is not None and pending["notifyPending"] is True and pending["previousVerdict"] == "READY"
    assert store.mark_announced("plan-1", pending["changedAt"], "SNS") is True
    assert store.mark_announced("plan-1", "2026-11-26T10:59:00.000Z", "EVENTBRIDGE") is False
    assert (store.plan_verdict("plan-1") or {})["announced"] == ["SNS"]
    assert store.clear_pending("plan-1", "2026-11-26T10:59:00.000Z") is False  # another change's
    assert store.clear_pending("plan-1", pending["changedAt"]) is True
    assert "notifyPending" not in (store.plan_verdict("plan-1") or {})


def test_a_servers_last_drill_is_only_replaced_by_a_later_one(stores: Stores) -> None:
    store = stores.readiness
    later, earlier = "2026-11-26T12:00:00.000Z", "2026-11-26T11:00:00.000Z"
    assert store.record_server_drills([server_drill_item("s-1", "e-2", later, "RECOVERED")]) == 1
    assert store.record_server_drills([server_drill_item("s-1", "e-2", later, "RECOVERED")]) == 0
    # an older drill never wins, in a batch beside a server recorded for the first time
    older = [
        server_drill_item("s-1", "e-1", earlier, "FAILED"),
        server_drill_item("s-3", "e-1", earlier, "FAILED"),
    ]
    assert store.record_server_drills(older) == 1
    found = store.server_drills(["s-1", "s-2", "s-1"])
    assert list(found) == ["s-1"]
    assert store.server_drills(["s-3"])["s-3"]["lastDrillOutcome"] == "FAILED"
    assert (found["s-1"]["lastDrillExecutionId"], found["s-1"]["lastDrillOutcome"]) == ("e-2", "RECOVERED")
    assert store.server_drills([]) == {}


def test_a_cleanup_is_recorded_with_the_end_and_moved_once_per_value_read(stores: Stores) -> None:
    """Given a drill ended with its cleanup time; when two postpones read the same cleanupAt, then
    one wins and the other is stale; after a termination was claimed no postpone applies; a notice
    is recorded once and a write from an older read of the notices is stale."""
    record = stored(stores)
    ended = stores.executions.record_final(
        record,
        status="COMPLETED",  # type: ignore[arg-type]
        waves=record["waves"],
        now=NOW,
        duration_seconds=60,
        completed_waves=1,
        error=None,
        jobs_pending=False,
        instances_left=True,
        cleanup_at="2026-11-26T11:00:00.000Z",
    )
    assert ended["cleanupAt"] == "2026-11-26T11:00:00.000Z"
    moved = stores.executions.postpone_cleanup(
        ended, cleanup_at="2026-11-26T13:00:00.000Z", actor="alice", now=NOW
    )
    assert (moved["cleanupAt"], moved["cleanupPostponedBy"]) == ("2026-11-26T13:00:00.000Z", "alice")
    with pytest.raises(StaleWriteError):
        stores.executions.postpone_cleanup(ended, cleanup_at="2026-11-26T12:00:00.000Z", actor="bob", now=NOW)
    noticed = stores.executions.record_cleanup_notice(moved, "WARNING#2026-11-26T13:00:00.000Z#SNS")
    with pytest.raises(StaleWriteError):
        stores.executions.record_cleanup_notice(moved, "WARNING#2026-11-26T13:00:00.000Z#EVENTBRIDGE")
    both = stores.executions.record_cleanup_notice(noticed, "WARNING#2026-11-26T13:00:00.000Z#EVENTBRIDGE")
    assert both["cleanupNotices"] == [
        "WARNING#2026-11-26T13:00:00.000Z#SNS",
        "WARNING#2026-11-26T13:00:00.000Z#EVENTBRIDGE",
    ]
    with pytest.raises(StaleWriteError):
        stores.executions.record_cleanup_notice(both, "WARNING#2026-11-26T13:00:00.000Z#SNS")
    claimed = stores.executions.claim_termination(both, actor="automatic cleanup", now=NOW)
    with pytest.raises(StaleWriteError):
        stores.executions.postpone_cleanup(
            claimed, cleanup_at="2026-11-26T15:00:00.000Z", actor="carol", now=NOW
        )
    assert stores.executions.get(record["executionId"])["cleanupAt"] == "2026-11-26T13:00:00.000Z"


def test_a_plans_drill_schedule_record_is_written_only_on_the_version_read(stores: Stores) -> None:
    """Given no record, When two writers put the first one, Then one wins; the next write must name
    the version it read, and a deletion removes the record (the same on DynamoDB and in memory)."""
    from orchestrator.store.drill_schedules import item_for

    store = stores.drill_schedules
    assert store.get("p1") is None
    first = item_for("p1", None, applied={"expression": "rate(7 days)", "timezone": "UTC", "enabled": True})
    assert store.put(first, None) is True
    assert store.put(item_for("p1", None), None) is False
    current = store.get("p1")
    assert (
        current is not None and current["version"] == 1 and current["applied"]["expression"] == "rate(7 days)"
    )
    run = {
        "scheduledTime": "2026-12-12T02:00:00Z",
        "firedAt": "2026-12-12T02:00:01.000Z",
        "outcome": "STARTED",
    }
    assert store.put(item_for("p1", current, runs=[run]), 0) is False
    assert store.put(item_for("p1", current, runs=[run]), 1) is True
    found = store.get("p1")
    assert found is not None and (found["version"], found["runs"], found["applied"]) == (
        2,
        [run],
        current["applied"],
    )
    store.delete("p1")
    assert store.get("p1") is None


class StepClock:
    """The change clock of a test: moved by hand, never slept on."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["dynamodb", "memory"])
def clocked(request: pytest.FixtureRequest) -> Iterator[tuple[Stores, StepClock]]:
    clock = StepClock()
    if request.param == "memory":
        yield Stores.in_memory(change_clock=clock), clock
        return
    endpoint = request.getfixturevalue("drs_moto_endpoint")
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    with stack_tables(ddb) as names:
        config = Config(state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:x", **names)
        yield Stores.from_config(config, dynamodb=ddb, change_clock=clock), clock


def test_a_read_since_a_cursor_finds_only_the_servers_and_events_written_since(
    clocked: tuple[Stores, StepClock],
) -> None:
    """Given six servers and two events written long before a reader's cursor, when two servers
    are written again and one event recorded after it, then a read since the cursor finds exactly
    those (servers in pages of the ChangeIndex), and nothing once the reader has caught up."""
    stores, clock = clocked
    eid = str(uuid.uuid4())
    stores.servers.put_many([server(eid, w, f"s-{w}{n}") for w in (1, 2) for n in range(3)])
    stores.timeline.record(
        eid, "EXECUTION_STARTED", {"time": NOW, "type": "EXECUTION_STARTED", "message": "go"}
    )
    stores.timeline.record(eid, "WAVE_STARTED#1", {"time": NOW, "type": "WAVE_STARTED", "message": "w1"})
    clock.advance(60)
    first_cursor = cursor.encode(clock())
    clock.advance(60)
    stores.servers.put_many([{**server(eid, 2, "s-21"), "launchStatus": "LAUNCHED"}])  # type: ignore[typeddict-item]
    clock.advance(1)
    stores.servers.put_many([{**server(eid, 1, "s-12"), "launchStatus": "LAUNCHED"}])  # type: ignore[typeddict-item]
    stores.timeline.record(eid, "WAVE_STARTED#2", {"time": NOW, "type": "WAVE_STARTED", "message": "w2"})

    since = cursor.decode(first_cursor)
    page, token = stores.servers.changed(eid, since, limit=1)
    assert token is not None and set(token) == {"executionId", "serverKey", "changedAt"}
    rest, end = stores.servers.changed(eid, since, limit=1, start_key=token)
    changed = page + rest
    assert end is None or stores.servers.changed(eid, since, limit=1, start_key=end)[0] == []
    assert [(s["sourceServerId"], s["launchStatus"]) for s in changed] == [
        ("s-21", "LAUNCHED"),
        ("s-12", "LAUNCHED"),
    ]
    assert [i for i, _e in stores.timeline.recorded(eid, since)] == ["WAVE_STARTED#2"]
    assert [i for i, _e in stores.timeline.recorded(eid)] == [
        "EXECUTION_STARTED",
        "WAVE_STARTED#1",
        "WAVE_STARTED#2",
    ]

    clock.advance(120)
    caught_up = cursor.decode(cursor.encode(clock()))
    assert stores.servers.changed(eid, caught_up, limit=100) == ([], None)
    assert stores.timeline.recorded(eid, caught_up) == []


def test_a_write_stamped_just_before_a_cursor_is_still_read_after_it(
    clocked: tuple[Stores, StepClock],
) -> None:
    """Given a server whose write was stamped a few seconds before a reader's cursor (a batch that
    landed late), when the reader asks since that cursor, then the server is in the answer."""
    stores, clock = clocked
    eid = str(uuid.uuid4())
    stores.servers.put_many([server(eid, 1, "s-late")])
    clock.advance(cursor.OVERLAP.total_seconds() - 1)
    found, _ = stores.servers.changed(eid, cursor.decode(cursor.encode(clock())), limit=10)
    assert [s["sourceServerId"] for s in found] == ["s-late"]
