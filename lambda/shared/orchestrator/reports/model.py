"""The drill report as data: built from the execution, its servers and its timeline (pure, no I/O).
The JSON is what auditors receive; the HTML page (reports.html) renders this same model. Its schema
is docs/report.schema.json (REPORT_SCHEMA_VERSION)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    can_terminate_execution,
    duration_seconds,
    execution_duration,
    normalize_execution_status,
    normalize_wave_status,
    recovery_time,
    status_label,
    verdict,
)
from orchestrator.model import ExecutionRecord, ServerRecord, TimelineEvent

REPORT_SCHEMA_VERSION = 1
# Timeline events that are someone's action on the execution (who started, paused, resumed, ...).
OPERATOR_EVENTS = frozenset(
    {"EXECUTION_STARTED", "PAUSE_REQUESTED", "RESUMED", "CANCEL_REQUESTED", "TERMINATION_STARTED"}
)
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


def _server(server: ServerRecord, wave_end: str | None) -> dict[str, Any]:
    fields: Mapping[str, Any] = server
    shown = {
        k: fields.get(k)
        for k in (
            "sourceServerId",
            "hostname",
            "impactLevel",
            "launchStatus",
            "jobId",
            "recoveryInstanceId",
            "ec2InstanceId",
            "ec2State",
            "privateIp",
            "instanceType",
            "launchTime",
            "ready",
            "recoveryTimeSeconds",
            "error",
        )
    }
    shown["phases"] = _phases(server, wave_end)
    return shown


def _pauses(events: Sequence[TimelineEvent], end: str | None) -> list[dict[str, Any]]:
    """Each pause from PAUSED to its RESUMED (or cancel, or the end), with who ended it."""
    pauses = []
    for event in events:
        if event["type"] != "PAUSED":
            continue
        later = [
            e
            for e in events
            if e["time"] >= event["time"]
            and e["type"] in ("RESUMED", "CANCEL_REQUESTED", "EXECUTION_FINISHED")
        ]
        closing = later[0] if later else None
        pauses.append(
            {
                "beforeWave": event.get("waveNumber"),
                "start": event["time"],
                "end": closing["time"] if closing else end,
                "endedBy": closing.get("actor") if closing else None,
                "endedWith": closing["type"] if closing else None,
            }
        )
    return pauses


def build_report(
    execution: ExecutionRecord, servers: Iterable[ServerRecord], events: Sequence[TimelineEvent], now: str
) -> dict[str, Any]:
    """The report of an execution, as it stands at ``now`` (final once the execution ended)."""
    record: Mapping[str, Any] = execution
    status = normalize_execution_status(str(execution["status"]))
    normalised = {**record, "status": str(status)}
    recovery = recovery_time(normalised, now)
    by_wave: dict[int, list[ServerRecord]] = {}
    for server in servers:
        by_wave.setdefault(int(server["waveNumber"]), []).append(server)
    waves = []
    warnings: list[str] = []
    errors: list[str] = [str(execution["error"])] if execution.get("error") else []
    for wave in execution["waves"]:
        end = wave.get("endTime")
        members = sorted(by_wave.get(int(wave["waveNumber"]), []), key=lambda s: s["sourceServerId"])
        waves.append(
            {
                "waveNumber": wave["waveNumber"],
                "waveName": wave["waveName"],
                "status": str(normalize_wave_status(wave["status"])),
                "startTime": wave.get("startTime"),
                "endTime": end,
                "durationSeconds": duration_seconds(wave.get("startTime"), end),
                "jobIds": list(wave.get("jobIds") or []),
                "error": wave.get("error"),
                "warnings": list(wave.get("warnings") or []),
                "servers": [_server(s, end or now) for s in members],
            }
        )
        warnings += [f"wave {wave['waveNumber']}: {w}" for w in wave.get("warnings") or []]
        if wave.get("error"):
            errors.append(f"wave {wave['waveNumber']}: {wave['error']}")
    instances = can_terminate_execution(normalised)
    return {
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
        },
        "recoveryTime": recovery,
        "verdict": verdict(recovery),
        "waves": waves,
        "pauses": _pauses(events, execution.get("endTime") or now),
        "actions": [
            {"time": e["time"], "type": e["type"], "actor": e.get("actor"), "message": e["message"]}
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
    }
