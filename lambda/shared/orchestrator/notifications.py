"""Execution status-change notifications: which stream records are status changes, and the messages
they become (SNS per-protocol texts and the EventBridge detail).

Pure functions only: no clients, no I/O. Labels, colours, summaries and durations come from
execution_utils, so a status is never described in two places.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    ExecutionStatus,
    can_terminate_execution,
    completed_wave_count,
    execution_duration,
    format_duration,
    merge_progress,
    normalize_execution_status,
    normalize_wave_phase,
    normalize_wave_status,
    status_color,
    status_label,
    warning_count,
    wave_badge,
    wave_summary,
)
from orchestrator.dynamo import deserialize
from orchestrator.model import ExecutionRecord, execution_from_item

SOURCE = "drs-orchestrator"
DETAIL_TYPE = "Execution Status Change"
PRODUCT = "DRS Orchestrator"
SUBJECT_MAX_CHARS = 99  # SNS: "less than 100 characters"
SMS_MAX_CHARS = 140
MAX_FAILED_SERVERS_LISTED = 20
MAX_ERROR_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# Transient statuses whose email is short: what happens next, no server details.
_SHORT = frozenset({ExecutionStatus.PENDING, ExecutionStatus.CANCELLING})


@dataclass(frozen=True)
class StatusChange:
    """A stream record in which the execution's status changed (or the execution was created)."""

    execution: ExecutionRecord
    status: ExecutionStatus
    previous_status: ExecutionStatus | None
    marker: str

    @property
    def execution_id(self) -> str:
        return str(self.execution["executionId"])

    def transition_key(self) -> dict[str, str]:
        """What makes this transition unique: redelivering the record gives the same key."""
        return {
            "executionId": self.execution_id,
            "previousStatus": str(self.previous_status or "NONE"),
            "status": str(self.status),
            "marker": self.marker,
        }


@dataclass(frozen=True)
class Notification:
    """An SNS message: a subject, one text per protocol, and message attributes (all strings)."""

    subject: str
    default: str
    email: str
    sms: str
    attributes: dict[str, str] = field(default_factory=dict)

    def per_protocol(self) -> dict[str, str]:
        """The ``Message`` of a ``MessageStructure="json"`` publish."""
        return {"default": self.default, "email": self.email, "sms": self.sms}


# --- which records are status changes ---------------------------------------------------------------


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


# --- the execution summary (EventBridge detail) -----------------------------------------------------


def _waves(execution: Mapping[str, Any]) -> list[dict[str, Any]]:
    waves = []
    for number, wave in enumerate(execution.get("waves") or [], start=1):
        status = normalize_wave_status(str(wave.get("status") or "NOT_STARTED"))
        waves.append({**wave, "waveNumber": wave.get("waveNumber", number), "status": str(status)})
    return waves


def _progress(waves: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return merge_progress((w.get("progress") or {}) for w in waves)


def event_detail(change: StatusChange) -> dict[str, Any]:
    """The EventBridge ``detail`` of a status change (camelCase, as the REST API shows executions)."""
    execution = change.execution
    waves = _waves(execution)
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
        "progress": _progress(waves),
        "canTerminate": can_terminate_execution(execution),
        "error": execution.get("error"),
        "cancelReason": execution.get("cancelReason"),
        "cancelRequestedBy": execution.get("cancelRequestedBy"),
    }


# --- texts --------------------------------------------------------------------------------------------


def _one_line(value: Any) -> str:
    return _CONTROL.sub(" ", str(value)).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _plan_name(execution: Mapping[str, Any]) -> str:
    return _one_line(execution.get("planName") or execution.get("planId") or "unknown plan")


def _kind(execution: Mapping[str, Any]) -> str:
    kind = str(execution.get("executionType") or "").strip().lower()
    return kind if kind in ("drill", "recovery") else "execution"


def subject(change: StatusChange) -> str:
    """``[DRS Orchestrator] <plan>: <STATUS LABEL>`` in one line under SNS's 100 characters; the plan
    name is shortened when it does not fit. PARTIAL_SUCCESS starts with a warning sign."""
    warning = "⚠️ " if change.status is ExecutionStatus.PARTIAL_SUCCESS else ""
    label = _one_line(status_label(change.execution))
    head = f"{warning}[{PRODUCT}] "
    tail = f": {label}"
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    return _clip(f"{head}{_clip(_plan_name(change.execution), max(room, 8))}{tail}", SUBJECT_MAX_CHARS)


def _wave_name(wave: Mapping[str, Any]) -> str:
    name = wave.get("waveName")
    return f"Wave {wave['waveNumber']} ({_one_line(name)})" if name else f"Wave {wave['waveNumber']}"


def _wave_by_number(execution: Mapping[str, Any], number: Any) -> dict[str, Any] | None:
    return next((w for w in _waves(execution) if w["waveNumber"] == number), None)


def _intro(change: StatusChange) -> str:
    execution = change.execution
    kind, plan = _kind(execution), _plan_name(execution)
    status = change.status
    if status is ExecutionStatus.PENDING:
        article = "An" if kind[0] in "aeiou" else "A"
        return f"{article} {kind} of recovery plan {plan} was accepted and is waiting to start."
    if status is ExecutionStatus.IN_PROGRESS:
        current = _wave_by_number(execution, execution.get("resumedBeforeWave"))
        if change.previous_status is ExecutionStatus.PAUSED and current:
            return f"The {kind} of recovery plan {plan} was resumed; {_wave_name(current)} starts now."
        return f"The {kind} of recovery plan {plan} has started."
    if status is ExecutionStatus.PAUSED:
        upcoming = _wave_by_number(execution, execution.get("pausedBeforeWave"))
        where = f"before {_wave_name(upcoming)}" if upcoming else "between waves"
        return f"The {kind} of recovery plan {plan} is paused {where} and is waiting for an operator."
    if status is ExecutionStatus.CANCELLING:
        return (
            f"A cancel of the {kind} of recovery plan {plan} was requested. Waves not started will be "
            "cancelled; a wave whose DRS jobs are running is followed to the end."
        )
    if status is ExecutionStatus.COMPLETED and (warnings := warning_count(_waves(execution))):
        return (
            f"The {kind} of recovery plan {plan} completed with {warnings} warning{'s' if warnings != 1 else ''}: "
            "every wave recovered and its critical servers are ready, but optional servers failed (see Warnings)."
        )
    if status is ExecutionStatus.COMPLETED:
        return (
            f"The {kind} of recovery plan {plan} completed: every wave recovered and its servers are ready."
        )
    if status is ExecutionStatus.PARTIAL_SUCCESS:
        return (
            f"The {kind} of recovery plan {plan} ended with partial success: some waves completed and "
            "left recovery instances, the others failed or were cancelled."
        )
    if status is ExecutionStatus.FAILED:
        return f"The {kind} of recovery plan {plan} failed."
    return f"The {kind} of recovery plan {plan} was cancelled."


def _cancel_lines(execution: Mapping[str, Any]) -> list[str]:
    """Who cancelled and why (a person, or the pause timeout)."""
    if not execution.get("cancelRequested"):
        return []
    who = _one_line(execution.get("cancelRequestedBy") or "unknown")
    reason = execution.get("cancelReason")
    return [f"Cancelled by:    {who}" + (f" ({_clip(_one_line(reason), MAX_ERROR_CHARS)})" if reason else "")]


def _wave_line(wave: Mapping[str, Any]) -> str:
    badge = wave_badge(wave["status"])
    state = badge["label"]
    if wave.get("phase") and wave["status"] == "IN_PROGRESS":
        state += f" ({normalize_wave_phase(str(wave['phase'])).lower()})"
    progress = merge_progress([wave.get("progress") or {}])
    counts = (
        f"{progress['launched']} of {progress['totalServers']} servers launched, {progress['ready']} ready"
    )
    if progress["failed"]:
        counts += f", {progress['failed']} failed"
    return f"  {badge['icon']} {_wave_name(wave)}: {state} - {counts}"


def _failed_server_lines(waves: Sequence[Mapping[str, Any]]) -> list[str]:
    """Failed servers of the failed waves (as poll recorded them), at most MAX_FAILED_SERVERS_LISTED
    lines and a count of the rest. Failed OPTIONAL servers of completed waves appear as warnings."""
    listed: list[str] = []
    unlisted = 0
    for wave in waves:
        if wave["status"] != "FAILED":
            continue
        recorded = [s for s in wave.get("failedServers") or [] if isinstance(s, Mapping)]
        failed_count = max(len(recorded), merge_progress([wave.get("progress") or {}])["failed"])
        unlisted += failed_count - len(recorded)
        for server in recorded:
            if len(listed) >= MAX_FAILED_SERVERS_LISTED:
                unlisted += 1
                continue
            name = str(server.get("sourceServerId") or "unknown server")
            if server.get("hostname"):
                name += f" ({_one_line(server['hostname'])})"
            impact = str(server.get("impactLevel") or "CRITICAL").upper()
            reason = _clip(_one_line(server.get("error") or "no error detail recorded"), MAX_ERROR_CHARS)
            listed.append(f"  - {name}, wave {wave['waveNumber']}, {impact}: {reason}")
    if unlisted:
        listed.append(f"  ... and {unlisted} more")
    return listed


def _error_lines(execution: Mapping[str, Any], waves: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        f"  - {_wave_name(w)}: {_clip(_one_line(w['error']), MAX_ERROR_CHARS)}"
        for w in waves
        if w.get("error")
    ]
    if execution.get("error"):
        lines.append(f"  - Execution: {_clip(_one_line(execution['error']), MAX_ERROR_CHARS)}")
    return lines


def _warning_lines(waves: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"  - {_wave_name(w)}: {_clip(_one_line(text), MAX_ERROR_CHARS)}"
        for w in waves
        for text in (w.get("warnings") or [])
    ]


def _termination_lines(change: StatusChange) -> list[str]:
    execution_id = change.execution_id
    verdict = can_terminate_execution(change.execution)
    if verdict["canTerminate"]:
        lines = [
            "Recovery instances: still running. To terminate them:",
            f"  drsctl terminate {execution_id}",
            f"  (or POST /executions/{execution_id}/terminate-instances)",
        ]
        if str(change.execution.get("executionType") or "").upper() == "RECOVERY":
            lines.append(
                "This was a RECOVERY: its instances may now be serving production; terminate with care."
            )
        return lines
    return [f"Recovery instances: cannot be terminated now ({verdict['reason']})."]


def _next_steps(change: StatusChange) -> list[str]:
    execution_id = change.execution_id
    if change.status is ExecutionStatus.PAUSED:
        return [
            "To resume:",
            f"  drsctl resume {execution_id}",
            f"  (or POST /executions/{execution_id}/resume)",
            "To cancel instead:",
            f"  drsctl cancel {execution_id}",
            f"  (or POST /executions/{execution_id}/cancel)",
        ]
    if change.status in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.CANCELLING):
        return ["Follow it with:", f"  drsctl status {execution_id}"]
    return _termination_lines(change)


def email_body(change: StatusChange) -> str:
    """The long plain-text message for email subscribers."""
    execution = change.execution
    waves = _waves(execution)
    progress = _progress(waves)
    lines = [
        _intro(change),
        "",
        f"Recovery plan:   {_plan_name(execution)} ({execution.get('planId', '-')})",
        f"Execution:       {change.execution_id} ({str(execution.get('executionType') or '-').upper()})",
        f"Status:          {status_label(execution)}",
    ]
    if change.previous_status:
        lines.append(f"Previous status: {change.previous_status.replace('_', ' ')}")
    lines.append(f"Started:         {execution.get('startTime') or '-'}")
    lines += _cancel_lines(execution)
    if change.status in TERMINAL_STATUSES:
        lines.append(f"Ended:           {execution.get('endTime') or '-'}")
        lines.append(f"Duration:        {format_duration(execution_duration(execution))}")
    summary = wave_summary(waves)
    lines += [
        "",
        f"Waves ({completed_wave_count(waves)} of {len(waves)} completed)"
        + (f": {summary}" if summary else ""),
    ]
    lines += [_wave_line(w) for w in waves]
    if change.status not in _SHORT:
        lines += [
            "",
            f"Servers: {progress['totalServers']} total, {progress['launched']} launched, "
            f"{progress['converting']} converting, {progress['ready']} ready, {progress['failed']} failed",
        ]
        for title, section in (
            ("Failed servers:", _failed_server_lines(waves)),
            ("Errors:", _error_lines(execution, waves)),
            ("Warnings:", _warning_lines(waves)),
        ):
            if section:
                lines += ["", title, *section]
    lines += ["", *_next_steps(change), "", f"-- {PRODUCT}"]
    return "\n".join(lines) + "\n"


def one_line_summary(change: StatusChange) -> str:
    """The ``default`` text: one line for every protocol without its own."""
    execution = change.execution
    summary = wave_summary(_waves(execution))
    text = f"[{PRODUCT}] {_plan_name(execution)} {_kind(execution)} {change.execution_id}: "
    text += status_label(execution) + (f" - {summary}" if summary else "")
    return _one_line(text)


def sms_text(change: StatusChange) -> str:
    execution = change.execution
    text = f"DRS {_kind(execution)} {_plan_name(execution)}: {status_label(execution)}"
    return _clip(_one_line(text), SMS_MAX_CHARS)


def message_attributes(change: StatusChange) -> dict[str, str]:
    """SNS message attributes for subscription filter policies; empty values are left out."""
    execution = change.execution
    values = {
        "status": str(change.status),
        "executionType": str(execution.get("executionType") or ""),
        "planId": str(execution.get("planId") or ""),
        "planName": _one_line(execution.get("planName") or ""),
    }
    return {k: v for k, v in values.items() if v}


def build_notification(change: StatusChange) -> Notification:
    return Notification(
        subject=subject(change),
        default=one_line_summary(change),
        email=email_body(change),
        sms=sms_text(change),
        attributes=message_attributes(change),
    )
