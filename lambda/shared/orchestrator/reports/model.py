"""The drill report as data: built from the execution, its servers and its timeline (pure, no I/O).
The JSON is what auditors receive; the HTML page (reports.html) renders this same model. Its schema
is docs/report.schema.json (REPORT_SCHEMA_VERSION)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    ExecutionStatus,
    PauseReason,
    WavePhase,
    WaveStatus,
    can_terminate_execution,
    drill_cost,
    duration_seconds,
    execution_duration,
    normalize_execution_status,
    normalize_wave_status,
    pause_seconds,
    recovery_time,
    stage_of,
    status_label,
    verdict,
    wave_warning_lines,
)
from orchestrator.model import (
    SERVER_POLL_FIELDS,
    ActionRecord,
    ExecutionRecord,
    ServerRecord,
    TimelineEvent,
    WaveRecord,
)
from orchestrator.reports.gantt import gantt_model

# 2: waves carry their runbook (actions), retries and skips, and may be SKIPPED; pauses say why
# (reason, waveNumber, action) and end with an approval, a retry or a skip too; operator actions
# include approvals, retries and skips, with their wave.
# 3: each server carries its phase (READY, FAILED, NOT_READY, NOT_LAUNCHED once settled), and its
# ec2State is the one EC2 reported after a termination.
REPORT_SCHEMA_VERSION = 3
# Timeline events that are someone's action on the execution (who started, paused, resumed, ...).
OPERATOR_EVENTS = frozenset(
    {
        "EXECUTION_STARTED",
        "PAUSE_REQUESTED",
        "RESUMED",
        "APPROVED",
        "WAVE_RETRIED",
        "WAVE_SKIPPED",
        "CANCEL_REQUESTED",
        "TERMINATION_STARTED",
    }
)
# What ends a pause, by why it began (a pause without a known reason: a pause before a wave).
_PAUSE_ENDS = {
    None: frozenset({"RESUMED"}),
    PauseReason.BEFORE_WAVE: frozenset({"RESUMED"}),
    PauseReason.OPERATOR: frozenset({"RESUMED"}),
    PauseReason.WAVE_FAILED: frozenset({"WAVE_RETRIED", "WAVE_SKIPPED"}),
    PauseReason.APPROVAL: frozenset({"APPROVED", "ACTION_TIMED_OUT"}),
}
_ANY_PAUSE_END = frozenset({"CANCEL_REQUESTED", "EXECUTION_FINISHED"})
SERVER_PHASE_ORDER = ("SNAPSHOT", "CONVERTING", "LAUNCHING", "LAUNCHED", "READY")


def _phases(server: Mapping[str, Any], end: str | None) -> list[dict[str, Any]]:
    """The phases a server went through as [{phase, start, end}], each ending where the next began."""
    times = dict(server.get("phaseTimes") or {})
    seen = sorted(
        ((times[p], p) for p in (*SERVER_PHASE_ORDER, "FAILED") if times.get(p)), key=lambda pair: pair[0]
    )
    phases = []
    for n, (start, phase) in enumerate(seen):
        if phase in ("READY", "FAILED"):
            phases.append({"phase": phase, "start": start, "end": start})
            continue
        stop = seen[n + 1][0] if n + 1 < len(seen) else end
        phases.append({"phase": phase, "start": start, "end": stop})
    return phases


# What the report shows of a server: who it is, then what the poll learnt of it (but its DNS name and
# status checks; its phase times are shown as ``phases``).
_SERVER_FIELDS = (
    "sourceServerId",
    "hostname",
    "impactLevel",
    *(f for f in SERVER_POLL_FIELDS if f not in ("privateDnsName", "statusChecksOk", "phaseTimes")),
)


def _server(server: ServerRecord, wave_end: str | None) -> dict[str, Any]:
    fields: Mapping[str, Any] = server
    shown = {k: fields.get(k) for k in _SERVER_FIELDS}
    shown["phases"] = _phases(server, wave_end)
    return shown


def _known(kind: type[PauseReason] | type[WavePhase], value: Any) -> str | None:
    """``value`` as a member of ``kind``, or None (missing, or a spelling older records used)."""
    try:
        return str(kind(str(value)))
    except ValueError:
        return None


def _pause_reason(event: TimelineEvent) -> PauseReason | None:
    if event["type"] == "APPROVAL_REQUESTED":
        return PauseReason.APPROVAL
    details: Mapping[str, Any] = event.get("details") or {}
    known = _known(PauseReason, details.get("reason"))
    return PauseReason(known) if known else None  # None: older records, a pause before a wave


def _pauses(events: Sequence[TimelineEvent], end: str | None) -> list[dict[str, Any]]:
    """Each pause from PAUSED (or an approval asked for) to what ended it: a resume, an approval, a
    retry or skip of the failed wave, a cancel, or the end; with who ended it."""
    pauses = []
    for event in events:
        if event["type"] not in ("PAUSED", "APPROVAL_REQUESTED"):
            continue
        reason = _pause_reason(event)
        ends = _PAUSE_ENDS[reason] | _ANY_PAUSE_END
        later = [e for e in events if e["time"] >= event["time"] and e is not event and e["type"] in ends]
        closing = later[0] if later else None
        details: Mapping[str, Any] = event.get("details") or {}
        before = reason in (None, PauseReason.BEFORE_WAVE, PauseReason.OPERATOR)
        pauses.append(
            {
                "reason": str(reason) if reason else None,
                "waveNumber": event.get("waveNumber"),
                "beforeWave": event.get("waveNumber") if before else None,
                "action": str(details["action"])
                if reason is PauseReason.APPROVAL and details.get("action")
                else None,
                "start": event["time"],
                "end": closing["time"] if closing else end,
                # the same rule and boundaries as recoveryTime.pausedSeconds: the pauses add up to it
                "seconds": pause_seconds(event["time"], closing["time"] if closing else end),
                "endedBy": closing.get("actor") if closing else None,
                "endedWith": closing["type"] if closing else None,
            }
        )
    return pauses


def _action(action: ActionRecord, waited: int | None) -> dict[str, Any]:
    """A runbook action as the report shows it: what it is (its target function or document, never
    its payload, parameters or handle), how it ran, and who approved it; ``waited``: for an
    APPROVAL, the seconds of the pauses that waited for it."""
    fields: Mapping[str, Any] = action
    return {
        "name": action["name"],
        "type": action["type"],
        "stage": str(stage_of(fields)),
        "status": action["status"],
        "functionName": fields.get("functionName"),
        "documentName": fields.get("documentName"),
        "waitSeconds": fields.get("durationSeconds") if action["type"] == "WAIT" else None,
        "attempts": int(fields.get("attempts") or 0),
        "maxAttempts": int(fields.get("maxAttempts") or 1),
        "timeoutSeconds": fields.get("timeoutSeconds"),
        "onFailure": fields.get("onFailure") or "FAIL",
        "startTime": fields.get("startTime"),
        "endTime": fields.get("endTime"),
        "durationSeconds": duration_seconds(fields.get("startTime"), fields.get("endTime")),
        "nextAttemptAt": fields.get("nextAttemptAt"),
        "waitedSeconds": waited if action["type"] == "APPROVAL" else None,
        "output": fields.get("output"),
        "error": fields.get("error"),
        "approvedBy": fields.get("approvedBy"),
        "comment": fields.get("comment"),
    }


def _approval_waits(pauses: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, Any], int]:
    """(wave number, approval name) -> the seconds the execution was paused for that approval."""
    waits: dict[tuple[Any, Any], int] = {}
    for pause in pauses:
        if pause["reason"] == PauseReason.APPROVAL:
            key = (pause["waveNumber"], pause["action"])
            waits[key] = waits.get(key, 0) + int(pause["seconds"])
    return waits


def _wave(
    wave: WaveRecord, members: list[ServerRecord], now: str, waits: Mapping[tuple[Any, Any], int]
) -> dict[str, Any]:
    end = wave.get("endTime")
    status = normalize_wave_status(wave["status"])
    return {
        "waveNumber": wave["waveNumber"],
        "waveName": wave["waveName"],
        "status": str(status),
        "phase": _known(WavePhase, wave.get("phase")) if status is WaveStatus.IN_PROGRESS else None,
        "startTime": wave.get("startTime"),
        "endTime": end,
        "durationSeconds": duration_seconds(wave.get("startTime"), end),
        "jobIds": list(wave.get("jobIds") or []),
        "error": wave.get("error"),
        "warnings": wave_warning_lines(wave),
        "retries": int(wave.get("retries") or 0),
        "retriedBy": wave.get("retriedBy"),
        "skippedBy": wave.get("skippedBy"),
        "skipComment": wave.get("skipComment"),
        "actions": [
            _action(a, waits.get((wave["waveNumber"], a["name"]), 0)) for a in wave.get("actions") or []
        ],
        "servers": [_server(s, end or now) for s in members],
    }


def execution_cost(
    execution: ExecutionRecord, servers: Iterable[ServerRecord], prices: Mapping[str, float | None], now: str
) -> dict[str, Any]:
    """What the execution's recovery instances cost (execution_utils.drill_cost): the one
    computation the report, the API's execution detail, the console and drsctl show."""
    return drill_cost(servers, prices, now, termination_end=execution.get("terminationEndTime"))


def build_report(
    execution: ExecutionRecord,
    servers: Iterable[ServerRecord],
    events: Sequence[TimelineEvent],
    now: str,
    prices: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """The report of an execution, as it stands at ``now`` (final once the execution ended);
    ``prices``: the hourly on-demand prices its instance types need (execution_utils.price_keys)."""
    servers = list(servers)
    record: Mapping[str, Any] = execution
    status = normalize_execution_status(str(execution["status"]))
    normalised = {**record, "status": str(status)}
    recovery = recovery_time(normalised, now)
    by_wave: dict[int, list[ServerRecord]] = {}
    for server in servers:
        by_wave.setdefault(int(server["waveNumber"]), []).append(server)
    pauses = _pauses(events, execution.get("endTime") or now)
    waits = _approval_waits(pauses)
    waves = []
    warnings: list[str] = []
    errors: list[str] = [str(execution["error"])] if execution.get("error") else []
    for wave in execution["waves"]:
        members = sorted(by_wave.get(int(wave["waveNumber"]), []), key=lambda s: s["sourceServerId"])
        shown = _wave(wave, members, now, waits)
        waves.append(shown)
        warnings += [f"wave {wave['waveNumber']}: {w}" for w in shown["warnings"]]
        if wave.get("error"):
            errors.append(f"wave {wave['waveNumber']}: {wave['error']}")
    instances = can_terminate_execution(normalised)
    paused = status is ExecutionStatus.PAUSED
    built: dict[str, Any] = {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "generatedAt": now,
        "final": status in TERMINAL_STATUSES,
        "execution": {
            "executionId": execution["executionId"],
            "planId": execution["planId"],
            "planName": execution["planName"],
            "executionType": execution["executionType"],
            "status": str(status),
            "statusLabel": status_label(normalised),
            "startTime": execution["startTime"],
            "endTime": execution.get("endTime"),
            "durationSeconds": execution_duration(execution),
            "initiatedBy": execution.get("initiatedBy"),
            "options": dict(execution["options"]),
            # why it waits, while PAUSED (the record keeps the last pause's reason after it ended)
            "pauseReason": _known(PauseReason, execution.get("pauseReason")) if paused else None,
            "pausedWave": (execution.get("pausedWave") or execution.get("pausedBeforeWave"))
            if paused
            else None,
            "pausedAction": execution.get("pausedAction") if paused else None,
        },
        "recoveryTime": recovery,
        "verdict": verdict(recovery),
        "waves": waves,
        "pauses": pauses,
        "actions": [
            {
                "time": e["time"],
                "type": e["type"],
                "actor": e.get("actor"),
                "message": e["message"],
                "waveNumber": e.get("waveNumber"),
            }
            for e in events
            if e["type"] in OPERATOR_EVENTS
        ],
        "timeline": list(events),
        "errors": errors,
        "warnings": warnings,
        "recoveryInstances": {
            "hasRecoveryInstances": instances["hasRecoveryInstances"],
            "canTerminate": instances["canTerminate"],
            "reason": instances["reason"],
            "terminated": bool(execution.get("instancesTerminated")),
            "terminationStatus": execution.get("terminationStatus"),
        },
        "cost": execution_cost(execution, servers, prices or {}, now),
    }
    # The chart, computed once here: the page draws it, the console draws the same bars from it.
    built["gantt"] = gantt_model(built)
    return built
