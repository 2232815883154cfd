"""Execution status-change notifications: which stream records are status changes, and the messages
they become (SNS per-protocol texts and the EventBridge detail).

Pure functions only: no clients, no I/O. Labels, colours, summaries and durations come from
execution_utils, so a status is never described in two places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from execution_utils import (
    ExecutionStatus,
    can_terminate_execution,
    completed_wave_count,
    execution_duration,
    merge_progress,
    normalize_execution_status,
    status_color,
    status_label,
    wave_summary,
)
from orchestrator.aws.dynamo import deserialize
from orchestrator.model import execution_from_item
from orchestrator.notify.change import (
    PRODUCT,
    SMS_MAX_CHARS,
    SUBJECT_MAX_CHARS,
    StatusChange,
    clip,
    kind_of,
    one_line,
    pause_reason,
    paused_wave,
    plan_name,
    wave_progress,
    waves_of,
)
from orchestrator.notify.chat import chat_message
from orchestrator.notify.email import email_body


@dataclass(frozen=True)
class Notification:
    """An SNS message: a subject, one text per protocol, and message attributes (all strings)."""

    subject: str
    default: str
    email: str
    sms: str
    attributes: dict[str, str] = field(default_factory=dict)
    # The chat message (notify/chat.py), as JSON: what HTTPS subscribers get, Amazon Q Developer in
    # chat applications among them ("" for none: they get the default text).
    chat: str = ""

    def per_protocol(self) -> dict[str, str]:
        """The ``Message`` of a ``MessageStructure="json"`` publish."""
        texts = {"default": self.default, "email": self.email, "sms": self.sms}
        if self.chat:
            texts["https"] = self.chat
        return texts


def _status(image: Mapping[str, Any] | None) -> ExecutionStatus | None:
    if not image or not image.get("status"):
        return None
    return normalize_execution_status(str(image["status"]))


def detect_status_change(
    old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None, *, fallback_marker: str = ""
) -> StatusChange | None:
    """The status change between two images of an execution item, or None (no new image, or the
    status, once normalised, is the same: a poll update, a version bump, a legacy spelling).

    The marker is the new image's ``version`` (every status write bumps it); records without one use
    ``fallback_marker`` (the stream record's sequence number, the same on redelivery).
    Raises execution_utils.UnknownStatusError for a status that is not one.
    """
    status = _status(new_image)
    if new_image is None or status is None:
        return None
    previous = _status(old_image)
    if previous == status:
        return None
    version = new_image.get("version")
    marker = f"v{version}" if version is not None else fallback_marker
    return StatusChange(
        execution=execution_from_item({**new_image, "status": str(status)}),
        status=status,
        previous_status=previous,
        marker=marker,
    )


def status_change_from_record(record: Mapping[str, Any]) -> StatusChange | None:
    """The status change carried by a DynamoDB stream record (typed attribute values), or None."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    data = record.get("dynamodb") or {}
    old = deserialize(data["OldImage"]) if data.get("OldImage") else None
    new = deserialize(data["NewImage"]) if data.get("NewImage") else None
    return detect_status_change(old, new, fallback_marker=f"seq{data.get('SequenceNumber', '')}")


def event_detail(change: StatusChange) -> dict[str, Any]:
    """The EventBridge ``detail`` of a status change (camelCase, as the REST API shows executions)."""
    execution = change.execution
    waves = waves_of(execution)
    total = execution.get("totalWaves")
    return {
        "executionId": change.execution_id,
        "planId": execution.get("planId"),
        "planName": execution.get("planName"),
        "executionType": execution.get("executionType"),
        "status": str(change.status),
        "previousStatus": str(change.previous_status) if change.previous_status else None,
        "statusLabel": status_label(execution),
        "statusColor": status_color(change.status),
        "startTime": execution.get("startTime"),
        "endTime": execution.get("endTime"),
        "durationSeconds": execution_duration(execution),
        "totalWaves": int(total) if isinstance(total, int) else len(waves),
        "completedWaves": completed_wave_count(waves),
        "currentWave": execution.get("currentWave"),
        "waveSummary": wave_summary(waves),
        "waves": [
            {
                "waveNumber": w["waveNumber"],
                "waveName": w.get("waveName"),
                "status": w["status"],
                "phase": w.get("phase"),
                "progress": merge_progress([w.get("progress") or {}]),
            }
            for w in waves
        ],
        "progress": wave_progress(waves),
        "canTerminate": can_terminate_execution(execution),
        # why it waits, while PAUSED: BEFORE_WAVE, OPERATOR, APPROVAL (pausedAction) or WAVE_FAILED
        "pauseReason": pause_reason(execution) if change.status is ExecutionStatus.PAUSED else None,
        "pausedWave": paused_wave(execution) if change.status is ExecutionStatus.PAUSED else None,
        "pausedAction": execution.get("pausedAction") if change.status is ExecutionStatus.PAUSED else None,
        "error": execution.get("error"),
        "cancelReason": execution.get("cancelReason"),
        "cancelRequestedBy": execution.get("cancelRequestedBy"),
    }


def subject(change: StatusChange) -> str:
    """``[DRS Orchestrator] <plan>: <STATUS LABEL>`` in one line under SNS's 100 characters; the plan
    name is shortened when it does not fit. PARTIAL_SUCCESS starts with a warning sign."""
    warning = "⚠️ " if change.status is ExecutionStatus.PARTIAL_SUCCESS else ""
    label = one_line(status_label(change.execution))
    head = f"{warning}[{PRODUCT}] "
    tail = f": {label}"
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    return clip(f"{head}{clip(plan_name(change.execution), max(room, 8))}{tail}", SUBJECT_MAX_CHARS)


def one_line_summary(change: StatusChange) -> str:
    """The ``default`` text: one line for every protocol without its own."""
    execution = change.execution
    summary = wave_summary(waves_of(execution))
    text = f"[{PRODUCT}] {plan_name(execution)} {kind_of(execution)} {change.execution_id}: "
    text += status_label(execution) + (f" - {summary}" if summary else "")
    return one_line(text)


def sms_text(change: StatusChange) -> str:
    execution = change.execution
    text = f"DRS {kind_of(execution)} {plan_name(execution)}: {status_label(execution)}"
    return clip(one_line(text), SMS_MAX_CHARS)


def message_attributes(change: StatusChange) -> dict[str, str]:
    """SNS message attributes for subscription filter policies; empty values are left out."""
    execution = change.execution
    values = {
        "status": str(change.status),
        "executionType": str(execution.get("executionType") or ""),
        "planId": str(execution.get("planId") or ""),
        "planName": one_line(execution.get("planName") or ""),
    }
    return {k: v for k, v in values.items() if v}


def build_notification(change: StatusChange, console_url: str = "") -> Notification:
    """Every text of a status change; ``console_url``: the console's address, for the chat
    message's link to the execution's page."""
    return Notification(
        subject=subject(change),
        default=one_line_summary(change),
        email=email_body(change),
        sms=sms_text(change),
        attributes=message_attributes(change),
        chat=json.dumps(chat_message(change, console_url), ensure_ascii=False),
    )
