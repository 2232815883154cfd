"""What subscribers read: the SNS texts and EventBridge detail built from real-shaped stream records
of the executions table (tests/fixtures/streams)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from execution_utils import status_color, wave_summary
from orchestrator.dynamo import serialize
from orchestrator.notifications import (
    DETAIL_TYPE,
    SOURCE,
    SUBJECT_MAX_CHARS,
    StatusChange,
    build_notification,
    event_detail,
    status_change_from_record,
)

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
        "  - s-00000000000000001 (svc01.payments.internal), wave 2, CRITICAL: LAUNCH_FAILED: "
        "Failed to launch recovery instance: InsufficientInstanceCapacity in us-east-1b"
    ) in message.email
    assert "CONVERSION_FAIL: conversion server timed out" in message.email
    failed_lines = [line for line in message.email.splitlines() if line.startswith("  - s-")]
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

    # Then default and sms are single lines, email is the long text
    structure = message.per_protocol()
    assert set(structure) == {"default", "email", "sms"}
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
