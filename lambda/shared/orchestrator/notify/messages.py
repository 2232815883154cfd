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
    ActionStatus,
    ExecutionStatus,
    PauseReason,
    WaveStatus,
    action_warnings,
    after_retry_text,
    after_skip_text,
    can_terminate_execution,
    completed_wave_count,
    execution_duration,
    format_duration,
    merge_progress,
    next_wave_number,
    normalize_execution_status,
    normalize_wave_phase,
    normalize_wave_status,
    recovery_time,
    recovery_time_text,
    status_color,
    status_label,
    warning_count,
    wave_badge,
    wave_summary,
    wave_warning_lines,
)
from orchestrator.aws.dynamo import deserialize
from orchestrator.model import ExecutionRecord, execution_from_item

SOURCE = "drs-orchestrator"
DETAIL_TYPE = "Execution Status Change"
PRODUCT = "DRS Orchestrator"
SUBJECT_MAX_CHARS = 99  # SNS: "less than 100 characters"
SMS_MAX_CHARS = 140
MAX_FAILED_SERVERS_LISTED = 20
MAX_ERROR_CHARS = 500
MAX_COMMENT_CHARS = 300
MAX_PRINCIPAL_CHARS = 200
# Terminal escape sequences (an action's error may carry a command's colours): dropped.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# Control characters (C0, DEL, C1), the Unicode line and paragraph separators and the bidirectional
# controls: none may start a line of its own or make a text read otherwise than it is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
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
        # why it waits, while PAUSED: BEFORE_WAVE, OPERATOR, APPROVAL (pausedAction) or WAVE_FAILED
        "pauseReason": _pause_reason(execution) if change.status is ExecutionStatus.PAUSED else None,
        "pausedWave": _paused_wave(execution) if change.status is ExecutionStatus.PAUSED else None,
        "pausedAction": execution.get("pausedAction") if change.status is ExecutionStatus.PAUSED else None,
        "error": execution.get("error"),
        "cancelReason": execution.get("cancelReason"),
        "cancelRequestedBy": execution.get("cancelRequestedBy"),
    }


# --- texts --------------------------------------------------------------------------------------------


def _one_line(value: Any) -> str:
    """User or remote text on one line of plain text: no line breaks, controls or escapes."""
    return _CONTROL.sub(" ", _ANSI.sub("", str(value))).strip()


def _who(value: Any) -> str:
    """Who did it (identity.label's words: a console user with their role, or an IAM principal), on
    one line and clipped."""
    return _clip(_one_line(value or "unknown"), MAX_PRINCIPAL_CHARS)


def _quoted(value: Any, limit: int = MAX_COMMENT_CHARS) -> str:
    return f'"{_clip(_one_line(value), limit)}"'


def _pause_reason(execution: Mapping[str, Any]) -> str | None:
    """Why a PAUSED execution waits; records older than pause reasons paused before a wave."""
    try:
        return str(PauseReason(str(execution.get("pauseReason"))))
    except ValueError:
        return str(PauseReason.BEFORE_WAVE) if execution.get("pausedBeforeWave") else None


def _paused_wave(execution: Mapping[str, Any]) -> Any:
    return execution.get("pausedWave") or execution.get("pausedBeforeWave")


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


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
        if change.previous_status is ExecutionStatus.PAUSED and (went_on := _went_on(change)):
            return f"The {kind} of recovery plan {plan} {went_on}"
        current = _wave_by_number(execution, execution.get("resumedBeforeWave"))
        if change.previous_status is ExecutionStatus.PAUSED and current:
            return f"The {kind} of recovery plan {plan} was resumed; {_wave_name(current)} starts now."
        return f"The {kind} of recovery plan {plan} has started."
    if status is ExecutionStatus.PAUSED:
        reason = _pause_reason(execution)
        wave = _wave_by_number(execution, _paused_wave(execution))
        if reason == PauseReason.WAVE_FAILED and wave:
            error = _clip(_one_line(wave.get("error") or "no error recorded"), MAX_ERROR_CHARS)
            return (
                f"The {kind} of recovery plan {plan} is paused: {_wave_name(wave)} failed ({error}). "
                "The plan waits for an operator (onWaveFailure PAUSE): retry the wave, skip it or cancel "
                "the execution."
            )
        if reason == PauseReason.APPROVAL and wave:
            action = _approval(wave, execution.get("pausedAction"))
            stage = f" ({str(action.get('stage') or 'POST').lower()}-action)" if action else ""
            name = _clip(_one_line(execution.get("pausedAction") or "an approval"), MAX_COMMENT_CHARS)
            return (
                f"The {kind} of recovery plan {plan} is paused: approval {name}{stage} in "
                f"{_wave_name(wave)} is waiting for an operator to approve it."
            )
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
            f"every wave recovered and its critical servers are ready, but {_what_warned(_waves(execution))} "
            "(see Warnings)."
        )
    if status is ExecutionStatus.COMPLETED:
        return (
            f"The {kind} of recovery plan {plan} completed: every wave recovered and its servers are ready."
        )
    if status is ExecutionStatus.PARTIAL_SUCCESS:
        return (
            f"The {kind} of recovery plan {plan} ended with partial success: some waves completed and "
            "left recovery instances, the others failed, were skipped or were cancelled."
        )
    if status is ExecutionStatus.FAILED:
        return f"The {kind} of recovery plan {plan} failed."
    return f"The {kind} of recovery plan {plan} was cancelled."


def _what_warned(waves: Sequence[Mapping[str, Any]]) -> str:
    """E.g. ``1 optional server failed and 2 runbook actions failed with onFailure CONTINUE``."""
    actions = sum(len(action_warnings(w.get("actions") or [])) for w in waves)
    servers = warning_count(waves) - actions
    parts = []
    if servers:
        parts.append(f"{servers} optional server{'s' if servers != 1 else ''} failed")
    if actions:
        parts.append(f"{actions} runbook action{'s' if actions != 1 else ''} failed with onFailure CONTINUE")
    return " and ".join(parts) or "something failed"


def _approval(wave: Mapping[str, Any], name: Any) -> Mapping[str, Any] | None:
    """The wave's APPROVAL action of that name (the last one, should names repeat)."""
    found = [a for a in wave.get("actions") or [] if a.get("type") == "APPROVAL" and a.get("name") == name]
    return found[-1] if found else None


def _went_on(change: StatusChange) -> str | None:
    """How a pause for a failed wave or an approval ended, as the end of the opening sentence: the
    wave retried or skipped, the approval given or timed out. None for a plain resume."""
    execution = change.execution
    reason = _pause_reason(execution)
    wave = _wave_by_number(execution, _paused_wave(execution))
    if wave is None or reason not in (PauseReason.WAVE_FAILED, PauseReason.APPROVAL):
        return None
    by = _who(execution.get("resumedBy"))
    comment = execution.get("resumeComment")
    because = f" ({_quoted(comment)})" if comment else ""
    if reason == PauseReason.WAVE_FAILED and wave["status"] == WaveStatus.SKIPPED:
        by = _who(wave.get("skippedBy") or by)
        after = after_skip_text(_waves(execution), int(wave["waveNumber"]) - 1)
        return f"goes on: {_wave_name(wave)} failed and was skipped by {by}{because}; {after}."
    if reason == PauseReason.WAVE_FAILED:
        retries = int(wave.get("retries") or 0)
        by = _who(wave.get("retriedBy") or by)
        count = f" (retry {retries})" if retries > 1 else ""
        after = after_retry_text(_waves(execution), int(wave["waveNumber"]) - 1)
        return f"goes on: {_wave_name(wave)} failed and is being retried{count} by {by}{because}; {after}."
    action = _approval(wave, execution.get("pausedAction"))
    name = _clip(_one_line(execution.get("pausedAction") or "an approval"), MAX_COMMENT_CHARS)
    if action and action.get("status") == ActionStatus.SUCCEEDED:
        approver = _who(action.get("approvedBy") or by)
        said = f" ({_quoted(action['comment'])})" if action.get("comment") else because
        return f"goes on: approval {name} in {_wave_name(wave)} was given by {approver}{said}."
    if action and action.get("status") in (
        ActionStatus.TIMED_OUT,
        ActionStatus.RETRY_SCHEDULED,
        ActionStatus.PENDING,
    ):
        return f"goes on: approval {name} in {_wave_name(wave)} was not given in time."
    return None


def _operator_wave_lines(waves: Sequence[Mapping[str, Any]]) -> list[str]:
    """The waves an operator retried or skipped, and who: ``Wave 2 (App): retried once, by alice``."""
    lines = []
    for wave in waves:
        retries = int(wave.get("retries") or 0)
        if retries:
            who = _who(wave.get("retriedBy"))
            by = f"by {who}" if retries == 1 else f"last by {who}"
            lines.append(f"  - {_wave_name(wave)}: retried {_times(retries)}, {by}")
        if wave["status"] == WaveStatus.SKIPPED:
            who = _who(wave.get("skippedBy"))
            why = f" ({_quoted(wave['skipComment'])})" if wave.get("skipComment") else ""
            lines.append(f"  - {_wave_name(wave)}: skipped by {who}{why}; not recovered")
    return lines


def _cancel_lines(execution: Mapping[str, Any]) -> list[str]:
    """Who cancelled and why (a person, or the pause timeout)."""
    if not execution.get("cancelRequested"):
        return []
    who = _who(execution.get("cancelRequestedBy"))
    reason = execution.get("cancelReason")
    return [f"Cancelled by:    {who}" + (f" ({_clip(_one_line(reason), MAX_ERROR_CHARS)})" if reason else "")]


def _wave_line(wave: Mapping[str, Any]) -> str:
    badge = wave_badge(wave["status"])
    state = badge["label"]
    if wave.get("phase") and wave["status"] == "IN_PROGRESS":
        state += f" ({normalize_wave_phase(str(wave['phase'])).lower().replace('_', ' ')})"
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
        if wave["status"] not in (WaveStatus.FAILED, WaveStatus.SKIPPED):
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
    """Failed OPTIONAL servers and runbook actions failed with onFailure CONTINUE, per wave."""
    return [
        f"  - {_wave_name(w)}: {_clip(_one_line(text), MAX_ERROR_CHARS)}"
        for w in waves
        for text in wave_warning_lines(w)
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
        reason = _pause_reason(change.execution)
        cancel = [
            "To cancel instead:",
            f"  drsctl cancel {execution_id}",
            f"  (or POST /executions/{execution_id}/cancel)",
        ]
        if reason == PauseReason.WAVE_FAILED:
            # Placeholders only: a plan name or a comment pasted into a shell could run commands.
            if str(change.execution.get("executionType") or "").upper() == "RECOVERY":
                retry = [
                    "To retry the failed wave (a RECOVERY's: production servers are launched again, "
                    "confirmed by the plan's name):",
                    f'  drsctl retry {execution_id} --confirm-plan-name "<plan name>" --comment "<why>"',
                    f'  (or POST /executions/{execution_id}/retry-recovery with {{"confirmPlanName": "<plan name>"}})',
                ]
            else:
                retry = [
                    "To retry the failed wave (its failed servers are launched again, its failed actions rerun):",
                    f'  drsctl retry {execution_id} --comment "<why>"',
                    f"  (or POST /executions/{execution_id}/retry)",
                ]
            failed = _wave_by_number(change.execution, _paused_wave(change.execution))
            last = (
                failed is None
                or next_wave_number(_waves(change.execution), int(failed["waveNumber"]) - 1) is None
            )
            what = (
                "To skip it (the last wave: the execution then finishes, and cannot end COMPLETED"
                if last
                else "To skip it and go on with the next wave (the execution can then not end COMPLETED"
            )
            if str(change.execution.get("executionType") or "").upper() == "RECOVERY":
                skip = [
                    f"{what}; a RECOVERY's skip leaves production without the wave's servers and is "
                    "confirmed by the plan's name):",
                    f'  drsctl skip {execution_id} --confirm-plan-name "<plan name>" --comment "<why>"',
                    f'  (or POST /executions/{execution_id}/skip-recovery with {{"confirmPlanName": "<plan name>"}})',
                ]
            else:
                skip = [
                    f"{what}):",
                    f'  drsctl skip {execution_id} --comment "<why>"',
                    f"  (or POST /executions/{execution_id}/skip)",
                ]
            return [*retry, *skip, *cancel]
        if reason == PauseReason.APPROVAL:
            wave = _wave_by_number(change.execution, _paused_wave(change.execution))
            action = _approval(wave, change.execution.get("pausedAction")) if wave else None
            timeout = action.get("timeoutSeconds") if action else None
            lines = [
                "To approve (who approves, and the comment, are recorded in the drill report):",
                f'  drsctl resume {execution_id} --comment "<what you checked>"',
                f'  (or POST /executions/{execution_id}/resume with {{"comment": "..."}})',
            ]
            if isinstance(timeout, int) and timeout > 0:
                lines.append(f"Without an approval within {format_duration(timeout)}, the action times out.")
            return [*lines, *cancel]
        return [
            "To resume:",
            f"  drsctl resume {execution_id}",
            f"  (or POST /executions/{execution_id}/resume)",
            *cancel,
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
    if execution.get("initiatedBy"):
        lines.append(f"Started by:      {_who(execution['initiatedBy'])}")
    lines += _cancel_lines(execution)
    recovery = _recovery(execution)
    if change.status in TERMINAL_STATUSES:
        lines.append(f"Ended:           {execution.get('endTime') or '-'}")
        lines.append(f"Duration:        {format_duration(execution_duration(execution))}")
        lines.append(f"Recovery time:   {recovery_time_text(recovery).removeprefix('Recovery time ')}")
    elif recovery["pausedSeconds"]:
        lines.append(f"Paused so far:   {format_duration(recovery['pausedSeconds'])}")
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
            ("Retried and skipped waves:", _operator_wave_lines(waves)),
            ("Failed servers:", _failed_server_lines(waves)),
            ("Errors:", _error_lines(execution, waves)),
            ("Warnings:", _warning_lines(waves)),
        ):
            if section:
                lines += ["", title, *section]
    lines += ["", *_next_steps(change), "", f"-- {PRODUCT}"]
    return "\n".join(lines) + "\n"


def _recovery(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's recovery time (and paused total) as of the change: its end once it ended,
    the start of the pause while PAUSED (the pause that just began counts nothing yet)."""
    moment = execution.get("endTime") or execution.get("pausedTime") or execution.get("startTime")
    return recovery_time(execution, str(moment or "1970-01-01T00:00:00Z"))


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
