"""The status model (ARCHITECTURE.md section 2, seeds 000-002): what an operator reads is the truth."""

from __future__ import annotations

from typing import Any

import pytest

from execution_utils import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ExecutionStatus,
    IllegalTransitionError,
    UnknownStatusError,
    WaveStatus,
    can_terminate_execution,
    decide_final_status,
    decide_wave_status,
    format_duration,
    normalize_execution_status,
    normalize_wave_status,
    progress_counts,
    recovery_time,
    server_is_ready,
    status_color,
    status_label,
    transition,
    verdict,
    wave_badge,
    wave_status_color,
    wave_summary,
    wave_warnings,
    waves_after_cancel,
)


def wave(status: str, instances: int = 0, **extra: Any) -> dict[str, Any]:
    return {"status": status, "recoveryInstances": instances, **extra}


def execution(status: str, waves: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"status": status, "waves": waves, "totalWaves": len(waves), **extra}


LAUNCHED_RUNNING = {"launchStatus": "LAUNCHED", "ec2State": "running", "impactLevel": "CRITICAL"}


# ---------------------------------------------------------------- status sets (seed 000)
def test_partial_success_is_terminal_and_the_sets_split_every_status() -> None:
    assert {"COMPLETED", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"} == TERMINAL_STATUSES
    assert {"PENDING", "IN_PROGRESS", "PAUSED", "CANCELLING"} == ACTIVE_STATUSES
    assert set(ExecutionStatus) == TERMINAL_STATUSES | ACTIVE_STATUSES


# ---------------------------------------------------------------- final status (seeds 000, 001)
def test_cancel_after_one_of_three_waves_completed_is_partial_success() -> None:
    waves = [wave("COMPLETED", 2), wave("CANCELLED"), wave("CANCELLED")]
    assert decide_final_status(waves, cancel_requested=True) is ExecutionStatus.PARTIAL_SUCCESS


def test_cancel_before_any_wave_completed_is_cancelled() -> None:
    assert (
        decide_final_status([wave("CANCELLED"), wave("CANCELLED")], cancel_requested=True)
        is ExecutionStatus.CANCELLED
    )


def test_failure_after_a_completed_wave_is_partial_success_and_without_one_failed() -> None:
    assert (
        decide_final_status([wave("COMPLETED", 1), wave("FAILED")], cancel_requested=False)
        is ExecutionStatus.PARTIAL_SUCCESS
    )
    assert (
        decide_final_status([wave("FAILED"), wave("NOT_STARTED")], cancel_requested=False)
        is ExecutionStatus.FAILED
    )


def test_completed_only_when_every_wave_completed_and_no_error() -> None:
    assert (
        decide_final_status([wave("COMPLETED", 1)] * 3, cancel_requested=False) is ExecutionStatus.COMPLETED
    )
    assert (
        decide_final_status([wave("COMPLETED", 1), wave("IN_PROGRESS")], cancel_requested=False)
        is not ExecutionStatus.COMPLETED
    )
    assert (
        decide_final_status([wave("COMPLETED", 1)], cancel_requested=False, error="Lambda died")
        is ExecutionStatus.PARTIAL_SUCCESS
    )


def test_a_completed_wave_without_instances_does_not_make_partial_success() -> None:
    assert (
        decide_final_status([wave("COMPLETED", 0), wave("CANCELLED")], cancel_requested=True)
        is ExecutionStatus.CANCELLED
    )


def test_waves_never_started_become_cancelled_and_running_ones_are_followed() -> None:
    after = waves_after_cancel([wave("COMPLETED", 1), wave("IN_PROGRESS"), wave("NOT_STARTED")])
    assert [w["status"] for w in after] == ["COMPLETED", "IN_PROGRESS", "CANCELLED"]


# ---------------------------------------------------------------- wave truth (seed 001)
def test_a_wave_is_not_completed_when_jobs_were_merely_submitted() -> None:
    submitted = [{"launchStatus": "PENDING", "impactLevel": "CRITICAL"}]
    assert decide_wave_status(jobs_finished=False, servers=submitted) is WaveStatus.IN_PROGRESS


def test_a_wave_completes_only_when_jobs_finished_and_critical_servers_are_ready() -> None:
    booting = [{**LAUNCHED_RUNNING, "ec2State": "pending"}]
    assert decide_wave_status(jobs_finished=True, servers=booting) is WaveStatus.IN_PROGRESS
    assert decide_wave_status(jobs_finished=True, servers=[LAUNCHED_RUNNING]) is WaveStatus.COMPLETED
    assert decide_wave_status(jobs_finished=False, servers=[LAUNCHED_RUNNING]) is WaveStatus.IN_PROGRESS


def test_readiness_checks_drs_launched_ec2_running_and_status_checks() -> None:
    launched = {"launchStatus": "LAUNCHED", "ec2State": "pending"}
    assert server_is_ready(launched, "LAUNCHED")
    assert not server_is_ready(launched, "EC2_RUNNING")
    assert not server_is_ready({**launched, "ec2State": "running"}, "EC2_STATUS_OK")
    assert server_is_ready({**launched, "ec2State": "running", "statusChecksOk": True}, "EC2_STATUS_OK")


def test_a_failed_critical_server_fails_the_wave_a_failed_optional_one_only_warns() -> None:
    failed = {
        "sourceServerId": "s-1",
        "hostname": "db01",
        "launchStatus": "FAILED",
        "error": "LAUNCH_FAILED: x",
    }
    assert (
        decide_wave_status(
            jobs_finished=True, servers=[LAUNCHED_RUNNING, {**failed, "impactLevel": "CRITICAL"}]
        )
        is WaveStatus.FAILED
    )
    optional = {**failed, "impactLevel": "OPTIONAL"}
    assert (
        decide_wave_status(jobs_finished=True, servers=[LAUNCHED_RUNNING, optional]) is WaveStatus.COMPLETED
    )
    warnings = wave_warnings([LAUNCHED_RUNNING, optional])
    assert len(warnings) == 1 and "db01" in warnings[0]


def test_a_terminated_instance_counts_as_failed_not_ready() -> None:
    gone = {**LAUNCHED_RUNNING, "ec2State": "terminated"}
    assert decide_wave_status(jobs_finished=True, servers=[gone]) is WaveStatus.FAILED


# ---------------------------------------------------------------- transitions
@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("PENDING", "IN_PROGRESS"),
        ("IN_PROGRESS", "PAUSED"),
        ("PAUSED", "IN_PROGRESS"),
        ("IN_PROGRESS", "CANCELLING"),
        ("CANCELLING", "PARTIAL_SUCCESS"),
        ("IN_PROGRESS", "COMPLETED"),
    ],
)
def test_legal_transitions_return_the_new_status(current: str, target: str) -> None:
    assert transition(current, target) == target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("COMPLETED", "IN_PROGRESS"),
        ("CANCELLED", "PARTIAL_SUCCESS"),
        ("PENDING", "COMPLETED"),
        ("PAUSED", "PAUSED"),
        ("FAILED", "FAILED"),
    ],
)
def test_illegal_transitions_are_refused(current: str, target: str) -> None:
    with pytest.raises(IllegalTransitionError):
        transition(current, target)


# ---------------------------------------------------------------- can_terminate_execution (seed 000)
def test_terminate_is_offered_for_partial_success_with_instances() -> None:
    record = execution("PARTIAL_SUCCESS", [wave("COMPLETED", 2), wave("CANCELLED")])
    assert can_terminate_execution(record) == {
        "canTerminate": True,
        "reason": None,
        "hasRecoveryInstances": True,
    }


def test_terminate_is_offered_for_cancelled_with_a_wave_left_in_progress() -> None:
    record = execution("CANCELLED", [wave("IN_PROGRESS", jobIds=["drsjob-1"], recoveryInstances=None)])
    assert can_terminate_execution(record)["canTerminate"] is True


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (execution("IN_PROGRESS", [wave("COMPLETED", 1)]), "Execution is still active"),
        (execution("PAUSED", [wave("COMPLETED", 1)]), "Execution is still active"),
        (execution("CANCELLED", [wave("CANCELLED")]), "No recovery instances found"),
        (
            execution("COMPLETED", [wave("COMPLETED", 1)], instancesTerminated=True),
            "Instances already terminated",
        ),
        (
            execution("COMPLETED", [wave("COMPLETED", 1)], terminationStatus="IN_PROGRESS"),
            "Termination already in progress",
        ),
        (execution("FAILED", [wave("IN_PROGRESS", 1)]), "Waves still active"),
        (execution("BOGUS", [wave("COMPLETED", 1)]), "Unknown execution status: 'BOGUS'"),
    ],
)
def test_terminate_is_refused_with_the_reason(record: dict[str, Any], reason: str) -> None:
    verdict = can_terminate_execution(record)
    assert verdict["canTerminate"] is False
    assert verdict["reason"] == reason
    assert set(verdict) == {"canTerminate", "reason", "hasRecoveryInstances"}


# ---------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("POLLING", "IN_PROGRESS"),
        ("running", "IN_PROGRESS"),
        ("started", "IN_PROGRESS"),
        ("PARTIAL", "PARTIAL_SUCCESS"),
        ("partial success", "PARTIAL_SUCCESS"),
        ("Cancelled", "CANCELLED"),
        ("canceled", "CANCELLED"),
        (" completed ", "COMPLETED"),
        ("in-progress", "IN_PROGRESS"),
    ],
)
def test_legacy_and_mixed_case_statuses_are_normalised(raw: str, status: str) -> None:
    assert normalize_execution_status(raw) == status


def test_legacy_wave_statuses_are_normalised_and_garbage_is_an_error() -> None:
    assert normalize_wave_status("pending") is WaveStatus.NOT_STARTED
    assert normalize_wave_status("Launching") is WaveStatus.IN_PROGRESS
    with pytest.raises(UnknownStatusError):
        normalize_execution_status("exploded")


# ---------------------------------------------------------------- display (seed 000)
def test_labels_say_how_many_waves_completed() -> None:
    assert (
        status_label(
            execution("PARTIAL_SUCCESS", [wave("COMPLETED", 1), wave("CANCELLED"), wave("CANCELLED")])
        )
        == "PARTIAL SUCCESS (1 of 3 waves completed)"
    )
    assert (
        status_label(execution("CANCELLED", [wave("COMPLETED", 0), wave("CANCELLED"), wave("CANCELLED")]))
        == "CANCELLED (1 of 3 waves completed)"
    )
    assert (
        status_label(execution("IN_PROGRESS", [wave("COMPLETED"), wave("IN_PROGRESS")], currentWave=2))
        == "IN PROGRESS (wave 2 of 2)"
    )
    assert (
        status_label(execution("PAUSED", [wave("COMPLETED"), wave("NOT_STARTED")], pausedBeforeWave=2))
        == "PAUSED (before wave 2 of 2)"
    )
    assert status_label(execution("COMPLETED", [wave("COMPLETED")])) == "COMPLETED"


def test_every_status_has_a_badge_colour() -> None:
    assert status_color("COMPLETED") == "green"
    assert status_color("PARTIAL_SUCCESS") == "orange"
    assert status_color("CANCELLED") == "red" and status_color("FAILED") == "red"
    assert all(status_color(s) for s in ExecutionStatus)
    assert wave_badge("NOT_STARTED") == {"icon": "○", "color": "grey", "label": "Not Started"}


def test_wave_summary_counts_each_outcome() -> None:
    summary = wave_summary([wave("COMPLETED"), wave("FAILED"), wave("CANCELLED"), wave("NOT_STARTED")])
    assert summary == "✓ 1 wave(s) completed | ✗ 1 wave(s) failed | ⊘ 1 wave(s) cancelled"


def test_progress_counts_come_from_server_statuses() -> None:
    servers = [
        LAUNCHED_RUNNING,
        {"launchStatus": "IN_PROGRESS"},
        {"launchStatus": "FAILED"},
        {"launchStatus": "LAUNCHED", "ec2State": "pending"},
    ]
    assert progress_counts(servers) == {
        "totalServers": 4,
        "launched": 2,
        "converting": 1,
        "ready": 1,
        "failed": 1,
    }


def test_durations_read_well() -> None:
    assert [format_duration(s) for s in (38, 245, 3723, None)] == ["38s", "4m 05s", "1h 02m 03s", "-"]


def test_a_completed_execution_with_failed_optional_servers_says_so_in_its_label() -> None:
    # Given a completed execution whose optional servers failed in two waves
    record = execution(
        "COMPLETED",
        [
            wave("COMPLETED", warnings=["optional server s-1 (web01) failed: LAUNCH_FAILED"]),
            wave(
                "COMPLETED",
                warnings=["optional server s-2 (web02) failed: x", "optional server s-3 failed: y"],
            ),
        ],
    )
    # Then the label names the warnings with their count; without warnings it is plain COMPLETED
    assert status_label(record) == "COMPLETED WITH WARNINGS (3 warnings)"
    assert status_label(execution("COMPLETED", [wave("COMPLETED")])) == "COMPLETED"


def test_every_wave_status_has_a_colour_of_its_own_palette() -> None:
    assert {str(s): wave_status_color(s) for s in WaveStatus} == {
        "NOT_STARTED": "grey",
        "IN_PROGRESS": "blue",
        "COMPLETED": "green",
        "FAILED": "red",
        "CANCELLED": "grey",
        "SKIPPED": "orange",
    }


def test_a_submitted_job_still_running_after_the_end_counts_as_instances_but_cannot_be_terminated_yet() -> (
    None
):
    record = {**execution("FAILED", [wave("FAILED", jobIds=["drsjob-1"])]), "jobsPending": "PENDING"}
    assert can_terminate_execution(record) == {
        "canTerminate": False,
        "reason": "DRS jobs are still launching recovery instances; terminate them when the jobs end",
        "hasRecoveryInstances": True,
    }


def test_recovery_time_runs_from_the_start_to_the_last_wave_and_reports_pauses_apart() -> None:
    # Given a completed drill of two waves that paused 60 s, with a 5-minute target
    record = execution(
        "COMPLETED",
        [
            wave("COMPLETED", startTime="2026-11-26T10:00:05Z", endTime="2026-11-26T10:02:00Z"),
            wave("COMPLETED", startTime="2026-11-26T10:03:00Z", endTime="2026-11-26T10:04:30Z"),
        ],
        startTime="2026-11-26T10:00:00Z",
        endTime="2026-11-26T10:04:31Z",
        pausedSeconds=60,
        options={"rtoTargetMinutes": 5},
    )
    # Then seconds reach the last wave's end, pauses are apart, and the target is met
    assert recovery_time(record, "2026-11-26T11:00:00Z") == {
        "seconds": 270,
        "pausedSeconds": 60,
        "activeSeconds": 210,
        "targetSeconds": 300,
        "met": True,
    }
    assert verdict(recovery_time(record, "2026-11-26T11:00:00Z")) == "MET"
    slow = {**record, "options": {"rtoTargetMinutes": 4}}
    assert verdict(recovery_time(slow, "2026-11-26T11:00:00Z")) == "MISSED"


def test_an_execution_that_did_not_recover_every_wave_has_no_recovery_time_and_misses_its_target() -> None:
    partial = execution(
        "PARTIAL_SUCCESS",
        [wave("COMPLETED", endTime="2026-11-26T10:02:00Z"), wave("CANCELLED")],
        startTime="2026-11-26T10:00:00Z",
        options={"rtoTargetMinutes": 60},
    )
    assert recovery_time(partial, "2026-11-26T11:00:00Z")["seconds"] is None
    assert recovery_time(partial, "2026-11-26T11:00:00Z")["met"] is False


def test_an_open_pause_counts_up_to_now_and_nothing_is_judged_while_active() -> None:
    paused = execution(
        "PAUSED",
        [wave("COMPLETED"), wave("NOT_STARTED")],
        startTime="2026-11-26T10:00:00Z",
        pausedTime="2026-11-26T10:10:00Z",
        pausedSeconds=30,
        options={"rtoTargetMinutes": 60},
    )
    measured = recovery_time(paused, "2026-11-26T10:12:00Z")
    assert (measured["pausedSeconds"], measured["met"], verdict(measured)) == (150, None, "IN_PROGRESS")
    assert (
        verdict(recovery_time(execution("COMPLETED", [wave("COMPLETED")]), "2026-11-26T10:12:00Z"))
        == "NO_TARGET"
    )
