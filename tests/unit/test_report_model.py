"""The drill report as data (orchestrator.reports.model.build_report), from hand-made records of
drills whose outcome is known, each validated against docs/report.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_records import (
    ALICE,
    APPROVAL_NAME,
    APPROVER,
    CACHE_ERROR,
    CANCELLER,
    RESUMER,
    SECRET_HANDLE,
    SECRET_PARAMETERS,
    SECRET_PAYLOAD,
    START,
    STARTER,
    Act,
    Builder,
    Drill,
    at,
    completed_drill,
    failed_drill,
    partial_success_after_cancel,
    paused_for_approval,
    paused_for_failed_wave,
    report_inputs,
    runbook_drill,
)

from execution_utils import (
    ActionStage,
    ActionStatus,
    ActionType,
    ExecutionStatus,
    OnFailure,
    PauseReason,
    WavePhase,
    WaveStatus,
    duration_seconds,
)
from orchestrator.reports.model import OPERATOR_EVENTS, REPORT_SCHEMA_VERSION, build_report

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
LATER = at(3 * 3600)


def report_of(drill: Drill, now: str = LATER) -> dict[str, Any]:
    """The report of a drill, checked against the schema after a trip through JSON (what auditors get)."""
    report = build_report(*report_inputs(drill), now)
    as_json = json.loads(json.dumps(report))
    jsonschema.validate(as_json, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert as_json == report
    return report


def last_wave_end(drill: Drill) -> str:
    return max(str(w.get("endTime")) for w in drill.execution["waves"])


# --- the schema itself ----------------------------------------------------------------------------


def test_the_schema_is_valid_draft_2020_12_and_matches_the_code() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["properties"]["schemaVersion"]["const"] == REPORT_SCHEMA_VERSION
    assert set(SCHEMA["$defs"]["executionStatus"]["enum"]) == set(ExecutionStatus)
    assert set(SCHEMA["$defs"]["waveStatus"]["enum"]) == set(WaveStatus)
    assert set(SCHEMA["$defs"]["wavePhase"]["enum"]) == {*WavePhase, None}
    assert set(SCHEMA["$defs"]["pauseReason"]["enum"]) == {*PauseReason, None}
    assert set(SCHEMA["$defs"]["action"]["properties"]["type"]["enum"]) == OPERATOR_EVENTS
    runbook = SCHEMA["$defs"]["runbookAction"]["properties"]
    assert set(runbook["type"]["enum"]) == set(ActionType)
    assert set(runbook["stage"]["enum"]) == set(ActionStage)
    assert set(runbook["status"]["enum"]) == set(ActionStatus)
    assert set(runbook["onFailure"]["enum"]) == set(OnFailure)


def test_the_schema_rejects_a_report_that_drifted() -> None:
    report = report_of(completed_drill())
    for broken in (
        {**report, "verdict": "PASSED"},
        {**report, "recoveryTime": {**report["recoveryTime"], "seconds": "1280"}},
        {**report, "execution": {**report["execution"], "status": "DONE"}},
        {key: value for key, value in report.items() if key != "pauses"},
        {**report, "surprise": True},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA, cls=jsonschema.Draft202012Validator)


# --- the outcomes ---------------------------------------------------------------------------------


def test_a_completed_three_wave_drill_with_a_pause_meets_its_target() -> None:
    # Given a 3-wave drill paused 5 minutes before wave 3 and resumed with a comment, target 30 minutes
    drill = completed_drill(rto_minutes=30, comment="DB checks OK")
    # When its report is built
    report = report_of(drill)
    # Then recovery time runs from the start to the last wave's end, the pause reported apart
    seconds = duration_seconds(drill.execution["startTime"], last_wave_end(drill))
    assert seconds is not None and seconds < 30 * 60
    assert report["recoveryTime"] == {
        "seconds": seconds,
        "pausedSeconds": 300,
        "activeSeconds": seconds - 300,
        "targetSeconds": 1800,
        "met": True,
    }
    assert report["verdict"] == "MET"
    assert report["final"] is True
    assert report["execution"]["statusLabel"] == "COMPLETED"
    assert report["execution"]["initiatedBy"] == STARTER
    # And the pause is the one before wave 3, ended by the operator who resumed it
    [pause] = report["pauses"]
    assert pause["beforeWave"] == 3
    assert (pause["endedWith"], pause["endedBy"]) == ("RESUMED", RESUMER)
    assert duration_seconds(pause["start"], pause["end"]) == 300
    # And the operator actions say who started and who resumed, with the comment
    assert [(a["type"], a["actor"]) for a in report["actions"]] == [
        ("EXECUTION_STARTED", STARTER),
        ("RESUMED", RESUMER),
    ]
    assert "DB checks OK" in report["actions"][1]["message"]
    # And each wave and server has its times, jobs and phases
    assert [w["status"] for w in report["waves"]] == ["COMPLETED"] * 3
    for wave in report["waves"]:
        assert wave["durationSeconds"] == duration_seconds(wave["startTime"], wave["endTime"])
        assert len(wave["jobIds"]) == 1
        for server in wave["servers"]:
            assert [p["phase"] for p in server["phases"]] == [
                "SNAPSHOT",
                "CONVERTING",
                "LAUNCHING",
                "LAUNCHED",
                "READY",
            ]
            assert server["ready"] is True and server["ec2InstanceId"].startswith("i-")
            assert server["recoveryTimeSeconds"] > 0
    assert report["errors"] == [] and report["warnings"] == []
    assert report["recoveryInstances"] == {
        "hasRecoveryInstances": True,
        "canTerminate": True,
        "reason": None,
        "terminated": False,
        "terminationStatus": None,
    }
    # And the timeline holds every event, oldest first
    times = [e["time"] for e in report["timeline"]]
    assert times == sorted(times) and times[0] == at(0)


def test_a_drill_slower_than_its_target_misses_it() -> None:
    # Given a drill whose active time alone is within its 35-minute objective, but not with its pause
    drill = completed_drill(rto_minutes=35, stretch=2.0)
    report = report_of(drill)
    recovery = report["recoveryTime"]
    assert recovery["seconds"] == duration_seconds(drill.execution["startTime"], last_wave_end(drill))
    assert recovery["seconds"] > recovery["targetSeconds"] == 2100
    assert recovery["met"] is False
    assert report["verdict"] == "MISSED"
    # paused time is reported apart, never subtracted from what is judged
    assert recovery["activeSeconds"] == recovery["seconds"] - 300 < 2100


def test_a_drill_without_a_target_is_measured_and_not_judged() -> None:
    report = report_of(completed_drill(rto_minutes=None))
    assert report["recoveryTime"]["seconds"] is not None
    assert (report["recoveryTime"]["targetSeconds"], report["recoveryTime"]["met"]) == (None, None)
    assert report["verdict"] == "NO_TARGET"


def test_partial_success_after_a_cancel_says_what_recovered_and_what_still_runs() -> None:
    # Given seed 000's case: wave 1 recovered, the operator cancelled during the pause before wave 2
    report = report_of(partial_success_after_cancel(rto_minutes=20))
    execution = report["execution"]
    assert execution["status"] == "PARTIAL_SUCCESS"
    assert execution["statusLabel"] == "PARTIAL SUCCESS (1 of 3 waves completed)"
    # Then the waves say which recovered and which were cancelled (never started)
    assert [(w["waveName"], w["status"]) for w in report["waves"]] == [
        ("Database", "COMPLETED"),
        ("App", "CANCELLED"),
        ("Web", "CANCELLED"),
    ]
    assert [w["startTime"] for w in report["waves"][1:]] == [None, None]
    # And not every wave recovered: no recovery time, the objective missed
    assert report["recoveryTime"]["seconds"] is None
    assert report["recoveryTime"]["met"] is False
    assert report["verdict"] == "MISSED"
    # And the pause ended with the cancel, by the operator who cancelled
    [pause] = report["pauses"]
    assert (pause["beforeWave"], pause["endedWith"], pause["endedBy"]) == (2, "CANCEL_REQUESTED", CANCELLER)
    assert report["recoveryTime"]["pausedSeconds"] == duration_seconds(pause["start"], pause["end"]) == 120
    cancel = report["actions"][-1]
    assert (cancel["type"], cancel["actor"]) == ("CANCEL_REQUESTED", CANCELLER)
    assert "maintenance window closing" in cancel["message"]
    # And wave 1's instances are still running and may be terminated
    running = [s["ec2InstanceId"] for s in report["waves"][0]["servers"] if s["ec2State"] == "running"]
    assert len(running) == 2
    assert report["recoveryInstances"]["hasRecoveryInstances"] is True
    assert report["recoveryInstances"]["canTerminate"] is True
    assert report["recoveryInstances"]["terminated"] is False


def test_partial_success_without_a_target_has_no_verdict_to_give() -> None:
    assert report_of(partial_success_after_cancel(rto_minutes=None))["verdict"] == "NO_TARGET"


def test_a_failed_drill_reports_the_failed_server_its_errors_and_warnings() -> None:
    report = report_of(failed_drill())
    assert report["execution"]["status"] == "FAILED"
    assert report["verdict"] == "NO_TARGET"
    assert [w["status"] for w in report["waves"]] == ["FAILED", "NOT_STARTED"]
    core = report["waves"][0]
    assert core["error"] == "critical server failed: pay-db01"
    failed = {s["hostname"]: s for s in core["servers"] if s["launchStatus"] == "FAILED"}
    assert set(failed) == {"pay-db01", "pay-report"}
    assert failed["pay-db01"]["error"].startswith("LAUNCH_FAILED")
    assert failed["pay-db01"]["phases"][-1]["phase"] == "FAILED"
    assert failed["pay-db01"]["ec2InstanceId"] is None
    assert report["errors"] == [
        "wave 1 failed: critical server pay-db01 failed",
        "wave 1: critical server failed: pay-db01",
    ]
    assert len(report["warnings"]) == 1
    assert (
        report["warnings"][0].startswith("wave 1: optional server") and "pay-report" in report["warnings"][0]
    )
    # the one server that launched left an instance to terminate
    assert report["recoveryInstances"]["hasRecoveryInstances"] is True
    assert report["recoveryInstances"]["canTerminate"] is True


def test_the_same_drill_failed_with_a_target_misses_it() -> None:
    drill = failed_drill()
    drill.execution["options"]["rtoTargetMinutes"] = 60
    report = report_of(drill)
    assert (report["recoveryTime"]["met"], report["verdict"]) == (False, "MISSED")


def test_an_execution_paused_now_is_in_progress_with_the_open_pause_counted_up_to_now() -> None:
    # Given a drill paused before wave 2 for 10 minutes as the report is built
    builder = Builder(rto_minutes=30).wave("Database", ["db01"]).wave("App", ["app01"], started=False)
    builder.execution["waves"][1]["status"] = "NOT_STARTED"
    paused_at = builder.clock + 2
    builder.execution.update(status="PAUSED", pausedBeforeWave=2, pausedTime=at(paused_at), currentWave=2)
    builder.events.append(
        {"time": at(paused_at), "type": "PAUSED", "message": "paused before wave 2", "waveNumber": 2}
    )
    drill = Drill(builder.execution, builder.servers, builder.events)  # type: ignore[arg-type]
    now = at(paused_at + 600)
    report = report_of(drill, now=now)
    # Then it is not final, not judged yet, and the pause runs to now
    assert report["final"] is False
    assert report["verdict"] == "IN_PROGRESS"
    assert report["execution"]["statusLabel"] == "PAUSED (before wave 2 of 2)"
    assert report["recoveryTime"] == {
        "seconds": None,
        "pausedSeconds": 600,
        "activeSeconds": None,
        "targetSeconds": 1800,
        "met": None,
    }
    assert report["pauses"] == [
        {
            "reason": None,
            "waveNumber": 2,
            "beforeWave": 2,
            "action": None,
            "start": at(paused_at),
            "end": now,
            "seconds": 600,
            "endedBy": None,
            "endedWith": None,
        }
    ]
    assert report["recoveryInstances"]["canTerminate"] is False


def test_every_time_is_after_the_start() -> None:
    report = report_of(completed_drill())
    start = START.strftime("%Y-%m-%dT%H:%M:%S")
    assert all(e["time"] >= start for e in report["timeline"])


# --- the runbook: actions, approvals, retries and skips ---------------------------------------------


def test_each_wave_lists_its_runbook_actions_with_how_they_ran() -> None:
    """Given a drill whose waves have pre- and post-actions (an approval, an SSM check that passed on
    its second attempt, a smoke test, a wait, an automation never run)
    When its report is built
    Then each wave lists its actions in order, with stage, type, target, status, attempts, times,
    duration, output and error; and never an action's payload, parameters or handle."""
    report = report_of(runbook_drill())
    database, app, reporting = report["waves"]
    assert [(a["stage"], a["name"], a["type"]) for a in database["actions"]] == [
        ("PRE", "change-board-approval", "APPROVAL"),
        ("POST", "db-accepts-connections", "SSM_COMMAND"),
    ]
    check = database["actions"][1]
    assert (check["status"], check["attempts"], check["maxAttempts"]) == ("SUCCEEDED", 2, 3)
    assert (check["documentName"], check["functionName"]) == ("AWS-RunShellScript", None)
    assert check["durationSeconds"] == duration_seconds(check["startTime"], check["endTime"]) == 40
    assert check["output"] == "postgres: accepting connections\nreplication lag 0 s"
    # the post-actions ran once the servers were ready: the application is checked after the launch
    ready = max(p["start"] for s in database["servers"] for p in s["phases"] if p["phase"] == "READY")
    assert check["startTime"] > ready
    smoke = app["actions"][1]
    assert (smoke["name"], smoke["functionName"], smoke["status"]) == (
        "smoke-test",
        "shop-smoke-test",
        "SUCCEEDED",
    )
    settle, never = reporting["actions"]
    assert (settle["type"], settle["waitSeconds"], settle["durationSeconds"]) == ("WAIT", 60, 60)
    assert (never["status"], never["attempts"], never["startTime"], never["endTime"]) == (
        "SKIPPED",
        0,
        None,
        None,
    )
    assert never["documentName"] == "Shop-ReportCheck"
    # what a plan's author passes to a function or a document is not evidence, and may be a secret
    text = json.dumps(report)
    for secret in (
        SECRET_PAYLOAD["dbPassword"],
        SECRET_PARAMETERS["commands"][0],
        SECRET_HANDLE["commandId"],
    ):
        assert secret not in text
    assert all(
        "payload" not in a and "parameters" not in a and "handle" not in a
        for w in report["waves"]
        for a in w["actions"]
    )


def test_an_approval_says_who_approved_what_and_when() -> None:
    """Given wave 1 waited two minutes for the change board's approval, given with a comment
    When the report is built
    Then the approval action names the approver, the comment and when it was asked for and given;
    the wait is a pause ended by the approver, counted in the paused time; and it is an operator action."""
    report = report_of(runbook_drill())
    approval = report["waves"][0]["actions"][0]
    assert approval["status"] == "SUCCEEDED"
    assert (approval["approvedBy"], approval["comment"]) == (APPROVER, "CAB-1234 approved for tonight")
    assert approval["durationSeconds"] == duration_seconds(approval["startTime"], approval["endTime"]) == 120
    assert approval["waitedSeconds"] == 120
    first = report["pauses"][0]
    assert first == {
        "reason": "APPROVAL",
        "waveNumber": 1,
        "beforeWave": None,
        "action": "change-board-approval",
        "start": approval["startTime"],
        "end": approval["endTime"],
        "seconds": 120,
        "endedBy": APPROVER,
        "endedWith": "APPROVED",
    }
    [approved] = [a for a in report["actions"] if a["type"] == "APPROVED"]
    assert (approved["actor"], approved["waveNumber"], approved["time"]) == (APPROVER, 1, approval["endTime"])
    assert "CAB-1234 approved for tonight" in approved["message"]


def test_a_retried_wave_says_how_often_and_who_retried_it() -> None:
    """Given wave 2's smoke test failed, the execution paused, and alice retried the wave
    When the report is built
    Then the wave is COMPLETED with one retry by alice, its actions are those of the last run, the
    pause for the failure ended with the retry, and the retry (with its comment) is an operator action."""
    report = report_of(runbook_drill())
    app = report["waves"][1]
    assert (app["status"], app["retries"], app["retriedBy"], app["skippedBy"]) == (
        "COMPLETED",
        1,
        ALICE,
        None,
    )
    assert app["error"] is None
    pause = report["pauses"][1]
    assert (pause["reason"], pause["waveNumber"], pause["beforeWave"]) == ("WAVE_FAILED", 2, None)
    assert (pause["endedWith"], pause["endedBy"]) == ("WAVE_RETRIED", ALICE)
    [retried] = [a for a in report["actions"] if a["type"] == "WAVE_RETRIED"]
    assert (retried["actor"], retried["waveNumber"]) == (ALICE, 2)
    assert "restarted the app pool" in retried["message"]


def test_a_skipped_wave_is_skipped_everywhere_and_never_recovered() -> None:
    """Given wave 3's critical server failed and carol skipped the wave with a comment
    When the report is built
    Then the wave is SKIPPED with who skipped it and why; the label counts it; the drill did not
    recover every wave (no recovery time, the objective missed); the skip is an operator action."""
    report = report_of(runbook_drill(rto_minutes=60))
    reporting = report["waves"][2]
    assert reporting["status"] == "SKIPPED"
    assert (reporting["skippedBy"], reporting["skipComment"]) == (
        CANCELLER,
        "reporting can wait until Monday",
    )
    assert report["execution"]["status"] == "PARTIAL_SUCCESS"
    assert report["execution"]["statusLabel"] == "PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)"
    assert (report["recoveryTime"]["seconds"], report["recoveryTime"]["met"], report["verdict"]) == (
        None,
        False,
        "MISSED",
    )
    assert "wave 3: critical server failed: rep01" in report["errors"]
    pause = report["pauses"][2]
    assert (pause["reason"], pause["endedWith"], pause["endedBy"]) == (
        "WAVE_FAILED",
        "WAVE_SKIPPED",
        CANCELLER,
    )
    [skipped] = [a for a in report["actions"] if a["type"] == "WAVE_SKIPPED"]
    assert (skipped["actor"], skipped["waveNumber"]) == (CANCELLER, 3)
    # every pause is accounted for: approval, failed wave retried, failed wave skipped
    assert (
        sum(duration_seconds(p["start"], p["end"]) or 0 for p in report["pauses"])
        == report["recoveryTime"]["pausedSeconds"]
    )


def test_actions_that_failed_with_continue_are_warnings_of_their_wave() -> None:
    """Given wave 2's cache warm-up failed with onFailure CONTINUE (and the wave completed)
    When the report is built
    Then the failure is a warning of wave 2 (as execution_utils.wave_warning_lines words it), not an error."""
    report = report_of(runbook_drill())
    expected = f"post-action warm-cache failed: {CACHE_ERROR} (continued)"
    assert report["waves"][1]["warnings"] == [expected]
    assert report["warnings"] == [f"wave 2: {expected}"]
    assert not any(CACHE_ERROR in e for e in report["errors"])


def test_a_completed_drill_with_a_continued_failure_is_completed_with_warnings() -> None:
    """Given every wave completed but a post-action with onFailure CONTINUE failed
    Then the label says COMPLETED WITH WARNINGS, counting that action, and the objective is judged."""
    drill = (
        Builder(rto_minutes=30)
        .wave(
            "Database",
            ["db01"],
            post=[Act("warm-cache", status="FAILED", on_failure="CONTINUE", error=CACHE_ERROR)],
        )
        .finish("COMPLETED")
    )
    report = report_of(drill)
    assert report["execution"]["statusLabel"] == "COMPLETED WITH WARNINGS (1 warning)"
    assert report["verdict"] == "MET"
    assert report["warnings"] == [f"wave 1: post-action warm-cache failed: {CACHE_ERROR} (continued)"]


def test_an_execution_paused_for_an_approval_says_what_it_waits_for() -> None:
    """Given wave 2 waits in its pre-actions for an approval, for ten minutes as the report is built
    When the report is built
    Then the execution says why it waits (APPROVAL, wave 2, the action), the wave is IN_PROGRESS in
    PRE_ACTIONS with the approval RUNNING, and the open pause counts up to now."""
    drill = paused_for_approval()
    paused_at = drill.execution["pausedTime"]
    now = at((duration_seconds(at(0), paused_at) or 0) + 600)
    report = report_of(drill, now=now)
    execution = report["execution"]
    assert execution["statusLabel"] == "PAUSED (approval in wave 2 of 2)"
    assert (execution["pauseReason"], execution["pausedWave"], execution["pausedAction"]) == (
        "APPROVAL",
        2,
        APPROVAL_NAME,
    )
    wave = report["waves"][1]
    assert (wave["status"], wave["phase"]) == ("IN_PROGRESS", "PRE_ACTIONS")
    [approval] = wave["actions"]
    assert (approval["status"], approval["approvedBy"], approval["endTime"]) == ("RUNNING", None, None)
    [pause] = report["pauses"]
    assert (pause["reason"], pause["action"], pause["end"], pause["endedWith"]) == (
        "APPROVAL",
        APPROVAL_NAME,
        now,
        None,
    )
    assert report["recoveryTime"]["pausedSeconds"] == 600
    assert SECRET_HANDLE["commandId"] not in json.dumps(report)


def test_an_execution_paused_for_a_failed_wave_says_which_and_why() -> None:
    """Given wave 2 failed and the plan pauses on a failed wave
    Then the report says the execution waits for wave 2 (WAVE_FAILED), with the wave's error."""
    report = report_of(paused_for_failed_wave())
    assert (report["execution"]["pauseReason"], report["execution"]["pausedWave"]) == ("WAVE_FAILED", 2)
    assert report["execution"]["statusLabel"] == "PAUSED (wave 2 of 3 failed: retry, skip or cancel)"
    assert report["waves"][1]["status"] == "FAILED"
    assert report["waves"][1]["error"].startswith("post-action smoke-test failed: HTTP 503")


def test_the_pause_reason_of_an_execution_no_longer_paused_is_not_reported() -> None:
    """Given an ended execution whose record still holds its last pause's reason
    Then the report's execution shows no pause reason (it does not wait for anything)."""
    report = report_of(runbook_drill())
    assert (report["execution"]["pauseReason"], report["execution"]["pausedWave"]) == (None, None)
