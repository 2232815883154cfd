"""The e-mail about a status change: what happened and why, the waves, the servers that failed, the
errors and warnings, and what to do next. Pure: no clients, no I/O; labels, colours, summaries and
durations come from execution_utils."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    normalize_wave_phase,
    recovery_time,
    recovery_time_text,
    server_label,
    status_label,
    warning_count,
    wave_badge,
    wave_summary,
    wave_warning_lines,
)
from orchestrator.notify.change import (
    MAX_COMMENT_CHARS,
    MAX_ERROR_CHARS,
    MAX_FAILED_SERVERS_LISTED,
    MAX_PRINCIPAL_CHARS,
    PRODUCT,
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

# Transient statuses whose email is short: what happens next, no server details.
_SHORT = frozenset({ExecutionStatus.PENDING, ExecutionStatus.CANCELLING})


def _who(value: Any) -> str:
    """Who did it (identity.label's words: a console user with their role, or an IAM principal), on
    one line and clipped."""
    return clip(one_line(value or "unknown"), MAX_PRINCIPAL_CHARS)


def _quoted(value: Any, limit: int = MAX_COMMENT_CHARS) -> str:
    return f'"{clip(one_line(value), limit)}"'


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _wave_name(wave: Mapping[str, Any]) -> str:
    name = wave.get("waveName")
    return f"Wave {wave['waveNumber']} ({one_line(name)})" if name else f"Wave {wave['waveNumber']}"


def _wave_by_number(execution: Mapping[str, Any], number: Any) -> dict[str, Any] | None:
    return next((w for w in waves_of(execution) if w["waveNumber"] == number), None)


def intro(change: StatusChange) -> str:
    """What happened, in one or two plain-text sentences (the e-mail's and the chat message's)."""
    execution = change.execution
    kind, plan = kind_of(execution), plan_name(execution)
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
        reason = pause_reason(execution)
        wave = _wave_by_number(execution, paused_wave(execution))
        if reason == PauseReason.WAVE_FAILED and wave:
            error = clip(one_line(wave.get("error") or "no error recorded"), MAX_ERROR_CHARS)
            return (
                f"The {kind} of recovery plan {plan} is paused: {_wave_name(wave)} failed ({error}). "
                "The plan waits for an operator (onWaveFailure PAUSE): retry the wave, skip it or cancel "
                "the execution."
            )
        if reason == PauseReason.APPROVAL and wave:
            action = _approval(wave, execution.get("pausedAction"))
            stage = f" ({str(action.get('stage') or 'POST').lower()}-action)" if action else ""
            name = clip(one_line(execution.get("pausedAction") or "an approval"), MAX_COMMENT_CHARS)
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
    if status is ExecutionStatus.COMPLETED and (warnings := warning_count(waves_of(execution))):
        return (
            f"The {kind} of recovery plan {plan} completed with {warnings} warning{'s' if warnings != 1 else ''}: "
            f"every wave recovered and its critical servers are ready, but {_what_warned(waves_of(execution))} "
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
    reason = pause_reason(execution)
    wave = _wave_by_number(execution, paused_wave(execution))
    if wave is None or reason not in (PauseReason.WAVE_FAILED, PauseReason.APPROVAL):
        return None
    by = _who(execution.get("resumedBy"))
    comment = execution.get("resumeComment")
    because = f" ({_quoted(comment)})" if comment else ""
    if reason == PauseReason.WAVE_FAILED and wave["status"] == WaveStatus.SKIPPED:
        by = _who(wave.get("skippedBy") or by)
        after = after_skip_text(waves_of(execution), int(wave["waveNumber"]) - 1)
        return f"goes on: {_wave_name(wave)} failed and was skipped by {by}{because}; {after}."
    if reason == PauseReason.WAVE_FAILED:
        retries = int(wave.get("retries") or 0)
        by = _who(wave.get("retriedBy") or by)
        count = f" (retry {retries})" if retries > 1 else ""
        after = after_retry_text(waves_of(execution), int(wave["waveNumber"]) - 1)
        return f"goes on: {_wave_name(wave)} failed and is being retried{count} by {by}{because}; {after}."
    action = _approval(wave, execution.get("pausedAction"))
    name = clip(one_line(execution.get("pausedAction") or "an approval"), MAX_COMMENT_CHARS)
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
    return [f"Cancelled by:    {who}" + (f" ({clip(one_line(reason), MAX_ERROR_CHARS)})" if reason else "")]


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
            name = one_line(server_label(server))
            impact = str(server.get("impactLevel") or "CRITICAL").upper()
            reason = clip(one_line(server.get("error") or "no error detail recorded"), MAX_ERROR_CHARS)
            listed.append(f"  - {name}, wave {wave['waveNumber']}, {impact}: {reason}")
    if unlisted:
        listed.append(f"  ... and {unlisted} more")
    return listed


def _error_lines(execution: Mapping[str, Any], waves: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        f"  - {_wave_name(w)}: {clip(one_line(w['error']), MAX_ERROR_CHARS)}" for w in waves if w.get("error")
    ]
    if execution.get("error"):
        lines.append(f"  - Execution: {clip(one_line(execution['error']), MAX_ERROR_CHARS)}")
    return lines


def _warning_lines(waves: Sequence[Mapping[str, Any]]) -> list[str]:
    """Failed OPTIONAL servers and runbook actions failed with onFailure CONTINUE, per wave."""
    return [
        f"  - {_wave_name(w)}: {clip(one_line(text), MAX_ERROR_CHARS)}"
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


def next_steps(change: StatusChange) -> list[str]:
    """What to run next, as plain-text lines: a heading ending with ":", then its commands indented
    (``  drsctl ...``, ``  (or POST ...)``), or a sentence of its own."""
    execution_id = change.execution_id
    if change.status is ExecutionStatus.PAUSED:
        reason = pause_reason(change.execution)
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
            failed = _wave_by_number(change.execution, paused_wave(change.execution))
            last = (
                failed is None
                or next_wave_number(waves_of(change.execution), int(failed["waveNumber"]) - 1) is None
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
            wave = _wave_by_number(change.execution, paused_wave(change.execution))
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
    waves = waves_of(execution)
    progress = wave_progress(waves)
    lines = [
        intro(change),
        "",
        f"Recovery plan:   {plan_name(execution)} ({execution.get('planId', '-')})",
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
    lines += ["", *next_steps(change), "", f"-- {PRODUCT}"]
    return "\n".join(lines) + "\n"


def _recovery(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The execution's recovery time (and paused total) as of the change: its end once it ended,
    the start of the pause while PAUSED (the pause that just began counts nothing yet)."""
    moment = execution.get("endTime") or execution.get("pausedTime") or execution.get("startTime")
    return recovery_time(execution, str(moment or "1970-01-01T00:00:00Z"))
