"""What subscribers read: the SNS texts and EventBridge detail built from real-shaped stream records
of the executions table (tests/fixtures/streams)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from report_records import (
    ALICE,
    APPROVAL_NAME,
    APPROVER,
    CACHE_ERROR,
    CANCELLER,
    RESUMER,
    SECRET_HANDLE,
    SMOKE_ERROR,
    Act,
    Builder,
    Drill,
    at,
    paused_for_approval,
    paused_for_failed_wave,
    runbook_drill,
)

from execution_utils import status_color, wave_for_retry, wave_summary
from orchestrator.aws.dynamo import serialize
from orchestrator.notify.change import DETAIL_TYPE, SOURCE, SUBJECT_MAX_CHARS, StatusChange
from orchestrator.notify.messages import build_notification, event_detail, status_change_from_record

STREAMS = Path(__file__).resolve().parents[1] / "fixtures" / "streams"


def records(name: str) -> list[dict[str, Any]]:
    event: dict[str, Any] = json.loads((STREAMS / name).read_text(encoding="utf-8"))
    return list(event["Records"])


def change_of(name: str, index: int = 0) -> StatusChange:
    change = status_change_from_record(records(name)[index])
    assert change is not None, f"{name}[{index}] is not a status change"
    return change


def test_partial_success_after_cancel_warns_in_orange_and_says_how_to_terminate() -> None:
    # Given wave 1 completed, then a cancel while paused left waves 2 and 3 cancelled
    change = change_of("partial_success_after_cancel.json")

    # When the notification is built
    message = build_notification(change)

    # Then the subject warns and carries the label, the body has the seed's wave summary line
    assert message.subject == "⚠️ [DRS Orchestrator] web-tier: PARTIAL SUCCESS (1 of 3 waves completed)"
    assert "Waves (1 of 3 completed): ✓ 1 wave(s) completed | ⊘ 2 wave(s) cancelled" in message.email
    assert "  ✓ Wave 1 (Database): Completed - 2 of 2 servers launched, 2 ready" in message.email
    assert "  ⊘ Wave 3 (Web): Cancelled - 0 of 1 servers launched, 0 ready" in message.email
    assert "Duration:        10m 04s" in message.email
    assert "Previous status: CANCELLING" in message.email
    # And the operator learns the drill's instances are still running and how to terminate them
    assert f"drsctl terminate {change.execution_id}" in message.email
    assert f"POST /executions/{change.execution_id}/terminate-instances" in message.email
    # And the EventBridge detail says the same, colour from the status model
    detail = event_detail(change)
    assert detail["statusColor"] == "orange" == status_color("PARTIAL_SUCCESS")
    assert detail["canTerminate"] == {"canTerminate": True, "reason": None, "hasRecoveryInstances": True}


def test_failed_recovery_lists_twenty_failed_servers_with_errors_and_counts_the_rest() -> None:
    # Given wave 2 of a recovery failed with 25 failed servers, 20 of them recorded by the poll
    change = change_of("failed_with_failed_servers.json")

    # When the notification is built
    message = build_notification(change)

    # Then each recorded server is listed with its wave, impact and DRS error, and the rest are counted
    assert message.subject == "[DRS Orchestrator] payments-core: FAILED (1 of 3 waves completed)"
    assert (
        "  - svc01.payments.internal (s-00000000000000001), wave 2, CRITICAL: LAUNCH_FAILED: "
        "Failed to launch recovery instance: InsufficientInstanceCapacity in us-east-1b"
    ) in message.email
    assert "CONVERSION_FAIL: conversion server timed out" in message.email
    failed_lines = [
        line for line in message.email.splitlines() if line.startswith("  - svc") and "wave 2" in line
    ]
    assert len(failed_lines) == 20
    assert "  ... and 5 more" in message.email
    # And the wave error, the server totals and the wave summary are there
    assert "Errors:\n  - Wave 2 (Services): critical servers failed: s-00000000000000001" in message.email
    assert "Servers: 38 total, 9 launched, 0 converting, 9 ready, 25 failed" in message.email
    assert "✓ 1 wave(s) completed | ✗ 1 wave(s) failed" in message.email
    assert "This was a RECOVERY" in message.email


def test_paused_execution_names_the_next_wave_and_how_to_resume() -> None:
    # Given an execution paused before its second wave
    change = change_of("paused.json")

    # When the notification is built
    message = build_notification(change)

    # Then the operator reads which wave waits and both ways to resume or cancel
    assert message.subject == "[DRS Orchestrator] web-tier: PAUSED (before wave 2 of 3)"
    assert "is paused before Wave 2 (App) and is waiting for an operator" in message.email
    assert f"  drsctl resume {change.execution_id}" in message.email
    assert f"POST /executions/{change.execution_id}/resume" in message.email
    assert f"  drsctl cancel {change.execution_id}" in message.email
    # And nothing about terminating instances of a running execution
    assert "terminate" not in message.email.lower()
    # And the task token never leaves the table
    assert "AQCEAAAA" not in message.email + json.dumps(event_detail(change))


def test_started_and_resumed_executions_say_so() -> None:
    # Given a fresh start and a resume before wave 2
    started, resumed = change_of("started.json"), change_of("resumed.json")

    # When their notifications are built
    started_message, resumed_message = build_notification(started), build_notification(resumed)

    # Then each has its own first sentence and a way to follow it
    assert started_message.email.startswith("The drill of recovery plan web-tier has started.")
    assert resumed_message.email.startswith(
        "The recovery of recovery plan payments-core was resumed; Wave 2 (Services) starts now."
    )
    assert f"drsctl status {resumed.execution_id}" in resumed_message.email
    assert "Ended:" not in started_message.email


@pytest.mark.parametrize(
    ("fixture", "subject", "first_line"),
    [
        ("created.json", "[DRS Orchestrator] web-tier: PENDING", "was accepted and is waiting to start"),
        ("cancelling.json", "[DRS Orchestrator] web-tier: CANCELLING", "A cancel of the drill"),
        (
            "completed.json",
            "[DRS Orchestrator] intranet: COMPLETED WITH WARNINGS (1 warning)",
            "completed with 1 warning: every wave recovered and its critical servers are ready",
        ),
        ("cancelled.json", "[DRS Orchestrator] web-tier: CANCELLED", "was cancelled"),
    ],
)
def test_every_status_has_its_own_subject_and_opening(fixture: str, subject: str, first_line: str) -> None:
    # Given a status change of each remaining kind
    change = change_of(fixture)

    # When the notification is built
    message = build_notification(change)

    # Then the subject and the opening sentence name the status
    assert message.subject == subject
    assert first_line in message.email.splitlines()[0]


def test_completed_drill_reports_optional_failures_as_warnings_not_failures() -> None:
    # Given a drill that completed although an OPTIONAL server of wave 2 failed
    message = build_notification(change_of("completed.json"))

    # Then the failure is a warning, and the completed wave is not listed under failed servers
    assert (
        "Warnings:\n  - Wave 2 (Frontend): optional server s-00000000000000c01 (cache01) failed"
        in message.email
    )
    assert "Failed servers:" not in message.email


def test_cancelled_before_any_wave_cannot_terminate_anything() -> None:
    # Given a cancel before the first wave
    change = change_of("cancelled.json")

    # When the notification is built
    message = build_notification(change)

    # Then the body says there is nothing to terminate, and why
    assert "Recovery instances: cannot be terminated now (No recovery instances found)." in message.email
    assert "⊘ 3 wave(s) cancelled" in message.email


def test_sns_message_has_a_one_line_text_per_protocol_and_filterable_attributes() -> None:
    # Given any status change
    change = change_of("failed_with_failed_servers.json")

    # When the notification is built
    message = build_notification(change)

    # Then default and sms are single lines, email is the long text, https the chat message
    structure = message.per_protocol()
    assert set(structure) == {"default", "email", "sms", "https"}
    assert json.loads(structure["https"])["source"] == "custom"
    assert "\n" not in structure["default"] and "\n" not in structure["sms"]
    assert len(structure["sms"]) <= 140
    assert structure["default"].startswith("[DRS Orchestrator] payments-core recovery c0ffee00-")
    assert structure["email"].count("\n") > 20
    # And the attributes let subscribers filter by status, type and plan
    assert message.attributes == {
        "status": "FAILED",
        "executionType": "RECOVERY",
        "planId": "b2c3d4e5-2222-4b3c-9d4e-6f7a8b9c0d1e",
        "planName": "payments-core",
    }


def test_long_or_multiline_plan_names_keep_the_subject_one_line_under_100_characters() -> None:
    # Given a plan whose name is long and contains a line break
    record = copy.deepcopy(records("partial_success_after_cancel.json")[0])
    record["dynamodb"]["NewImage"]["planName"] = {"S": "finance\nreporting " + "x" * 120}

    # When the notification is built
    change = status_change_from_record(record)
    assert change is not None
    subject = build_notification(change).subject

    # Then the subject stays within SNS's limit on one line, and keeps the status label whole
    assert len(subject) <= SUBJECT_MAX_CHARS
    assert "\n" not in subject
    assert subject.startswith("⚠️ [DRS Orchestrator] finance reporting xxx")
    assert subject.endswith("…: PARTIAL SUCCESS (1 of 3 waves completed)")


def test_event_detail_is_the_execution_summary() -> None:
    # Given the failed recovery
    change = change_of("failed_with_failed_servers.json")

    # When the EventBridge detail is built
    detail = event_detail(change)

    # Then it has the summary fields, with labels and counts from the status model
    assert SOURCE == "drs-orchestrator" and DETAIL_TYPE == "Execution Status Change"
    assert detail["executionId"] == "c0ffee00-8d7a-4e21-b3c4-91a2b3c4d5e6"
    assert detail["status"] == "FAILED" and detail["previousStatus"] == "IN_PROGRESS"
    assert detail["statusLabel"] == "FAILED (1 of 3 waves completed)"
    assert detail["statusColor"] == "red"
    assert (detail["startTime"], detail["endTime"]) == (
        "2026-11-22T10:00:00.000Z",
        "2026-11-22T10:41:12.000Z",
    )
    assert detail["durationSeconds"] == 2472
    assert (detail["totalWaves"], detail["completedWaves"]) == (3, 1)
    assert detail["waveSummary"] == wave_summary(change.execution["waves"])
    assert [w["status"] for w in detail["waves"]] == ["COMPLETED", "FAILED", "NOT_STARTED"]
    assert detail["progress"] == {
        "totalServers": 38,
        "launched": 9,
        "converting": 0,
        "ready": 9,
        "failed": 25,
    }
    assert detail["canTerminate"]["canTerminate"] is True
    json.dumps(detail)  # and it is JSON as EventBridge needs


@pytest.mark.parametrize("fixture", ["poll_progress.json", "termination_updates.json"])
def test_records_without_a_status_change_are_not_notifications(fixture: str) -> None:
    # Given poll progress updates, or termination bookkeeping on a finished execution
    batch = records(fixture)

    # When each record is examined
    changes = [status_change_from_record(r) for r in batch]

    # Then none of them is a status change
    assert len(batch) >= 2
    assert changes == [None] * len(batch)


def test_legacy_spellings_are_normalised_before_comparing() -> None:
    # Given a record going from "polling" to "in_progress" and one from "running" to "partial"
    same, changed = (status_change_from_record(r) for r in records("legacy_statuses.json"))

    # Then the first is no change at all, the second is a PARTIAL_SUCCESS shown in canonical words
    assert same is None
    assert changed is not None
    assert (changed.previous_status, changed.status) == ("IN_PROGRESS", "PARTIAL_SUCCESS")
    message = build_notification(changed)
    assert "PARTIAL SUCCESS (1 of 2 waves completed)" in message.subject
    assert "partial" not in message.email.split("\n", 1)[1].lower().replace("partial success", "")
    assert "⊘ 1 wave(s) cancelled" in message.email


def test_a_transition_key_names_the_transition_and_survives_redelivery() -> None:
    # Given the same record delivered twice, and a record without a version
    record = records("paused.json")[0]
    legacy = records("legacy_statuses.json")[1]

    # When their changes are read
    first, again = status_change_from_record(record), status_change_from_record(copy.deepcopy(record))
    no_version = status_change_from_record(legacy)

    # Then the keys are equal for the redelivery and built from id, statuses and version
    assert first is not None and again is not None and no_version is not None
    assert first.transition_key() == again.transition_key()
    assert first.transition_key() == {
        "executionId": "7f3c2a9e-5b1d-4c8e-9a6f-2d4b8e1c0a57",
        "previousStatus": "IN_PROGRESS",
        "status": "PAUSED",
        "marker": "v3",
    }
    # And a record without a version falls back to its stream sequence number
    assert no_version.transition_key()["marker"] == "seq" + legacy["dynamodb"]["SequenceNumber"]


def test_insert_is_a_change_from_nothing_and_remove_is_none() -> None:
    # Given the INSERT of a new execution and the REMOVE of an old one
    insert = records("created.json")[0]
    item = records("cancelled.json")[0]["dynamodb"]["NewImage"]
    remove = {"eventName": "REMOVE", "dynamodb": {"OldImage": item, "SequenceNumber": "1"}}

    # Then the insert is PENDING from nothing, the removal is no notification
    change = status_change_from_record(insert)
    assert change is not None and change.previous_status is None and change.status == "PENDING"
    assert status_change_from_record(remove) is None


def test_an_item_written_by_the_store_reads_back_as_the_same_change() -> None:
    # Given an item serialised exactly as the store writes it
    old = {"executionId": "e-1", "status": "IN_PROGRESS", "version": 7, "waves": []}
    new = {**old, "status": "FAILED", "version": 8, "error": "States.Timeout: wave 1"}
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"OldImage": serialize(old), "NewImage": serialize(new), "SequenceNumber": "9"},
    }

    # When it is read from the stream
    change = status_change_from_record(record)

    # Then status, marker and the error shown in the body come from the item
    assert change is not None and change.marker == "v8"
    assert "  - Execution: States.Timeout: wave 1" in build_notification(change).email


def test_cancelling_email_is_short_and_says_what_happens_next() -> None:
    # Given a cancel requested while paused after wave 1
    change = change_of("cancelling.json")

    # When the notification is built
    email = build_notification(change).email

    # Then it explains the cancel and how to follow it, without server details or termination advice
    assert "Waves not started will be cancelled" in email
    assert f"drsctl status {change.execution_id}" in email
    assert "Servers:" not in email and "terminate" not in email.lower()
    assert len(email.splitlines()) < 20


# --- the runbook: pauses for a failed wave or an approval, retries, skips ---------------------------


def stream_change(execution: Mapping[str, Any], previous: str, version: int = 9) -> StatusChange:
    """The status change the executions-table stream carries when the store writes ``execution``
    over the same item in status ``previous``."""
    new = {**copy.deepcopy(dict(execution)), "version": version}
    old = {**copy.deepcopy(dict(execution)), "status": previous, "version": version - 1}
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"OldImage": serialize(old), "NewImage": serialize(new), "SequenceNumber": "42"},
    }
    change = status_change_from_record(record)
    assert change is not None
    return change


def retried(drill: Drill, by: str = ALICE, comment: str | None = "restarted the app pool") -> dict[str, Any]:
    """The paused execution after ``by`` retried its failed wave 2 (as operations.control writes it)."""
    execution: dict[str, Any] = copy.deepcopy(dict(drill.execution))
    servers = [s for s in drill.servers if s["waveNumber"] == 2]
    execution["waves"][1] = {**wave_for_retry(execution["waves"][1], servers), "retriedBy": by}
    execution.update(status="IN_PROGRESS", resumedBy=by, resumeComment=comment, currentWave=2)
    return execution


def skipped(
    drill: Drill, by: str = CANCELLER, comment: str | None = "app team on it Monday"
) -> dict[str, Any]:
    execution: dict[str, Any] = copy.deepcopy(dict(drill.execution))
    execution["waves"][1].update(
        status="SKIPPED", skippedBy=by, **({"skipComment": comment} if comment else {})
    )
    execution.update(status="IN_PROGRESS", resumedBy=by, resumeComment=comment)
    return execution


def test_a_pause_for_a_failed_wave_names_the_wave_its_error_and_how_to_retry_skip_or_cancel() -> None:
    """Given wave 2's smoke test failed and the plan pauses on a failed wave (onWaveFailure PAUSE)
    When the PAUSED notification is built
    Then the subject says which wave failed, the opening names the wave and its error and says the
    operator must retry, skip or cancel, and the body gives the drsctl commands (and the API routes)."""
    change = stream_change(paused_for_failed_wave().execution, "IN_PROGRESS")
    message = build_notification(change)
    eid = change.execution_id
    assert (
        message.subject == "[DRS Orchestrator] ShopFront: PAUSED (wave 2 of 3 failed: retry, skip or cancel)"
    )
    assert message.email.splitlines()[0] == (
        f"The drill of recovery plan ShopFront is paused: Wave 2 (App) failed (post-action smoke-test failed: "
        f"{SMOKE_ERROR}). The plan waits for an operator (onWaveFailure PAUSE): retry the wave, skip it or "
        "cancel the execution."
    )
    for line in (
        f'  drsctl retry {eid} --comment "<why>"',
        f"  (or POST /executions/{eid}/retry)",
        f'  drsctl skip {eid} --comment "<why>"',
        f"  (or POST /executions/{eid}/skip)",
        f"  drsctl cancel {eid}",
    ):
        assert line in message.email.splitlines(), line
    assert "the execution can then not end COMPLETED" in message.email
    assert "drsctl resume" not in message.email  # a resume is refused for a failed wave
    assert "PAUSED (wave 2 of 3 failed" in message.sms and "\n" not in message.sms
    # And the event says why it waits, for automation
    detail = event_detail(change)
    assert (detail["pauseReason"], detail["pausedWave"], detail["pausedAction"]) == ("WAVE_FAILED", 2, None)


def test_a_recovery_paused_for_a_failed_wave_is_retried_with_the_plan_name_confirmed() -> None:
    """Given the same failure in a RECOVERY
    Then the retry goes through the confirmed route, with placeholders (never the plan's name pasted
    into a shell command)."""
    change = stream_change(paused_for_failed_wave("RECOVERY").execution, "IN_PROGRESS")
    email = build_notification(change).email
    eid = change.execution_id
    assert f'  drsctl retry {eid} --confirm-plan-name "<plan name>" --comment "<why>"' in email
    assert f'POST /executions/{eid}/retry-recovery with {{"confirmPlanName": "<plan name>"}}' in email
    assert f"POST /executions/{eid}/retry)" not in email


def test_a_pause_for_an_approval_names_it_its_wave_and_how_to_approve() -> None:
    """Given wave 2 waits in its pre-actions for the approval go-live-sign-off (one hour to answer)
    When the PAUSED notification is built
    Then it names the approval and the wave, says how to approve (drsctl resume with a comment, which
    is recorded) or cancel, and when the approval times out."""
    change = stream_change(paused_for_approval().execution, "IN_PROGRESS")
    message = build_notification(change)
    eid = change.execution_id
    assert message.subject == "[DRS Orchestrator] ShopFront: PAUSED (approval in wave 2 of 2)"
    assert message.email.splitlines()[0] == (
        f"The drill of recovery plan ShopFront is paused: approval {APPROVAL_NAME} (pre-action) in "
        "Wave 2 (App) is waiting for an operator to approve it."
    )
    assert f'  drsctl resume {eid} --comment "<what you checked>"' in message.email.splitlines()
    assert f'POST /executions/{eid}/resume with {{"comment": "..."}}' in message.email
    assert "Without an approval within 1h 00m 00s, the action times out." in message.email
    assert f"  drsctl cancel {eid}" in message.email.splitlines()
    assert "drsctl retry" not in message.email and "drsctl skip" not in message.email
    assert "In Progress (pre actions)" in message.email
    detail = event_detail(change)
    assert (detail["pauseReason"], detail["pausedWave"], detail["pausedAction"]) == (
        "APPROVAL",
        2,
        APPROVAL_NAME,
    )
    # the handle of the waiting action never leaves the table
    assert SECRET_HANDLE["commandId"] not in message.email + json.dumps(detail)


def test_a_retry_says_which_wave_runs_again_and_who_retried_it() -> None:
    """Given alice retried the failed wave 2, with a comment
    When the IN_PROGRESS notification (PAUSED -> IN_PROGRESS) is built
    Then it says wave 2 failed and is being retried by alice, with her comment, and lists the retry."""
    change = stream_change(retried(paused_for_failed_wave()), "PAUSED")
    email = build_notification(change).email
    assert email.splitlines()[0] == (
        "The drill of recovery plan ShopFront goes on: Wave 2 (App) failed and is being retried by "
        f'{ALICE} ("restarted the app pool"); once it completes, wave 3 starts.'
    )
    assert f"Retried and skipped waves:\n  - Wave 2 (App): retried once, by {ALICE}" in email
    assert "was resumed" not in email


def test_a_skip_says_which_wave_was_skipped_by_whom_and_why() -> None:
    change = stream_change(skipped(paused_for_failed_wave()), "PAUSED")
    email = build_notification(change).email
    assert email.splitlines()[0] == (
        f"The drill of recovery plan ShopFront goes on: Wave 2 (App) failed and was skipped by {CANCELLER} "
        '("app team on it Monday"); wave 3 starts next; the execution can no longer end COMPLETED.'
    )
    assert "  ↷ Wave 2 (App): Skipped - 1 of 1 servers launched, 1 ready" in email


def test_an_approval_given_or_timed_out_says_so() -> None:
    """Given the approval was given by the change board with a comment, or nobody answered in time
    Then the IN_PROGRESS notification says who approved (and what they said), or that it timed out."""
    drill = paused_for_approval()
    approved: dict[str, Any] = copy.deepcopy(dict(drill.execution))
    action = approved["waves"][1]["actions"][0]
    action.pop("handle")
    action.update(status="SUCCEEDED", approvedBy=APPROVER, comment="DNS checked", endTime=at(900))
    approved.update(status="IN_PROGRESS", resumedBy=APPROVER, resumeComment="DNS checked")
    email = build_notification(stream_change(approved, "PAUSED")).email
    assert email.splitlines()[0] == (
        f"The drill of recovery plan ShopFront goes on: approval {APPROVAL_NAME} in Wave 2 (App) was given "
        f'by {APPROVER} ("DNS checked").'
    )
    expired: dict[str, Any] = copy.deepcopy(dict(drill.execution))
    expired["waves"][1]["actions"][0].update(status="TIMED_OUT", error="not approved within 60 minutes")
    expired["status"] = "IN_PROGRESS"
    email = build_notification(stream_change(expired, "PAUSED")).email
    assert email.splitlines()[0] == (
        f"The drill of recovery plan ShopFront goes on: approval {APPROVAL_NAME} in Wave 2 (App) was not "
        "given in time."
    )


def test_a_plain_resume_after_an_earlier_retry_is_still_a_resume() -> None:
    """Given a wave was retried earlier, then the plan paused before wave 3 and bob resumed
    Then the notification says the execution was resumed before wave 3 (not that a wave was retried)."""
    execution = retried(paused_for_failed_wave())
    execution["waves"][1].update(status="COMPLETED", endTime=at(2000))
    execution.update(
        status="IN_PROGRESS",
        pauseReason="BEFORE_WAVE",
        pausedWave=3,
        pausedBeforeWave=3,
        resumedBeforeWave=3,
        resumedBy=RESUMER,
        currentWave=3,
    )
    email = build_notification(stream_change(execution, "PAUSED")).email
    assert email.startswith("The drill of recovery plan ShopFront was resumed; Wave 3 (Web) starts now.")


def test_the_final_message_lists_the_skipped_and_retried_waves() -> None:
    """Given the runbook drill ended PARTIAL_SUCCESS: wave 2 retried by alice, wave 3 skipped by carol
    When the final notification is built
    Then a reader learns which waves were retried (how often, by whom) and skipped (by whom, why),
    the skipped wave's failed server, and the action warning."""
    change = stream_change(runbook_drill().execution, "IN_PROGRESS")
    message = build_notification(change)
    email = message.email
    assert message.subject == (
        "⚠️ [DRS Orchestrator] ShopFront: PARTIAL SUCCESS (2 of 3 waves completed, 1 skipped)"
    )
    assert "Waves (2 of 3 completed): ✓ 2 wave(s) completed | ↷ 1 wave(s) skipped" in email
    assert (
        "Retried and skipped waves:\n"
        f"  - Wave 2 (App): retried once, by {ALICE}\n"
        f'  - Wave 3 (Reporting): skipped by {CANCELLER} ("reporting can wait until Monday"); not recovered\n'
    ) in email
    assert (
        "  - rep01 (s-03000000000000000), wave 3, CRITICAL: LAUNCH_FAILED: no subnet in us-east-1c" in email
    )
    assert f"Warnings:\n  - Wave 2 (App): post-action warm-cache failed: {CACHE_ERROR} (continued)" in email
    assert "the others failed, were skipped or were cancelled" in email


def test_a_wave_retried_twice_names_the_last_operator() -> None:
    execution = copy.deepcopy(dict(runbook_drill().execution))
    execution["waves"][1]["retries"] = 2
    email = build_notification(stream_change(execution, "IN_PROGRESS")).email
    assert f"  - Wave 2 (App): retried twice, last by {ALICE}" in email


def test_completed_with_warnings_counts_and_lists_actions_that_failed_and_continued() -> None:
    """Given every wave completed, an optional server failed and two post-actions with onFailure
    CONTINUE failed
    Then the subject counts three warnings, the opening says what they are, and each is listed."""
    drill = (
        Builder(plan="ShopFront")
        .wave(
            "Database",
            ["db01", "dbreport"],
            failed={"dbreport": "CONVERSION_FAIL: unsupported boot volume"},
            optional=("dbreport",),
            post=[
                Act("warm-cache", status="FAILED", on_failure="CONTINUE", error=CACHE_ERROR),
                Act("notify-team", status="TIMED_OUT", on_failure="CONTINUE", error="no answer in 900 s"),
            ],
        )
        .finish("COMPLETED")
    )
    message = build_notification(stream_change(drill.execution, "IN_PROGRESS"))
    assert message.subject == "[DRS Orchestrator] ShopFront: COMPLETED WITH WARNINGS (3 warnings)"
    assert message.email.splitlines()[0] == (
        "The drill of recovery plan ShopFront completed with 3 warnings: every wave recovered and its "
        "critical servers are ready, but 1 optional server failed and 2 runbook actions failed with "
        "onFailure CONTINUE (see Warnings)."
    )
    warnings = message.email.split("Warnings:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert warnings == [
        "  - Wave 1 (Database): optional server dbreport (s-01000000000000001) failed: "
        "CONVERSION_FAIL: unsupported boot volume",
        f"  - Wave 1 (Database): post-action warm-cache failed: {CACHE_ERROR} (continued)",
        "  - Wave 1 (Database): post-action notify-team timed out: no answer in 900 s (continued)",
    ]


HOSTILE_TEXT = (
    "<b>ok</b>\n\nTo approve:\n  drsctl resume evil --comment x\r\n\x1b[31mred\x1b[0m \u202eevil\u2028line "
    + "y" * 5000
)


def test_hostile_comments_names_and_errors_stay_one_clipped_line_of_plain_text() -> None:
    """Given a skip comment, a skipper, an approval name and a wave error that carry line breaks
    (a fake instruction), terminal colours, bidirectional controls and 5 KB of text
    When the notifications are built
    Then each is one line of plain text, clipped, with no control character, so no reader sees a
    line the orchestrator did not write."""
    failed = paused_for_failed_wave()
    failed.execution["waves"][1]["error"] = HOSTILE_TEXT
    paused = build_notification(stream_change(failed.execution, "IN_PROGRESS"))
    skip = build_notification(
        stream_change(
            skipped(failed, by=f"arn:aws:iam::1:user/{HOSTILE_TEXT}", comment=HOSTILE_TEXT), "PAUSED"
        )
    )
    approval = paused_for_approval()
    approval.execution["pausedAction"] = HOSTILE_TEXT
    approval.execution["waves"][1]["actions"][0]["name"] = HOSTILE_TEXT
    waiting = build_notification(stream_change(approval.execution, "IN_PROGRESS"))
    for message in (paused, skip, waiting):
        lines = message.email.splitlines()
        assert not [line for line in lines if "drsctl resume evil" in line and line.startswith("  drsctl")]
        assert all(not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u202e]", line) for line in lines)
        assert "\x1b" not in message.email and "[31m" not in message.email
        assert "\n" not in message.sms and "\n" not in message.default and "\n" not in message.subject
        assert len(message.subject) <= SUBJECT_MAX_CHARS
    # the texts are kept, on one line, within their limits
    words = " ".join(paused.email.splitlines()[0].split())
    assert "failed (<b>ok</b> To approve: drsctl resume evil --comment x red evil line yyy" in words
    first = skip.email.splitlines()[0]
    assert '("<b>ok</b> To approve:' in first and "…" in first and len(first) < 1200
    assert "To approve:\n" not in skip.email.split("To approve (", 1)[0]
