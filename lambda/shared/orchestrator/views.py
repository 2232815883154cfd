"""What the API shows of stored records: camelCase, statuses normalised, internals (task tokens,
versions, lock bookkeeping) never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from execution_utils import (
    can_terminate_execution,
    is_terminal,
    merge_progress,
    normalize_execution_status,
    normalize_wave_status,
    status_color,
    status_label,
)
from orchestrator import timeutil

WAVE_FIELDS = (
    "waveNumber",
    "waveName",
    "status",
    "phase",
    "jobIds",
    "startTime",
    "endTime",
    "progress",
    "serverCount",
    "pauseBeforeWave",
    "protectionGroupIds",
    "recoveryInstances",
    "error",
    "warnings",
    "failedServers",
    "submittedTime",
    "queuedTime",
    "queuedReason",
    "pollError",
    "jobsFinished",
)
EXECUTION_FIELDS = (
    "executionId",
    "planId",
    "planName",
    "executionType",
    "startTime",
    "endTime",
    "lastPolledTime",
    "totalWaves",
    "completedWaves",
    "currentWave",
    "totalServers",
    "initiatedBy",
    "options",
    "pauseRequested",
    "pausedBeforeWave",
    "cancelRequested",
    "error",
    "terminationStatus",
    "terminationError",
    "pauseReason",
    "pausedTime",
    "pausedSeconds",
    "pauseRequestedBy",
    "resumedBy",
    "resumedTime",
    "resumeComment",
    "cancelRequestedBy",
    "cancelRequestedTime",
    "cancelReason",
    "terminationRequestedBy",
    "terminationRequestedTime",
)
SUMMARY_FIELDS = (
    "executionId",
    "planId",
    "planName",
    "executionType",
    "startTime",
    "endTime",
    "totalWaves",
    "completedWaves",
    "currentWave",
)


def _wave(wave: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: wave[k] for k in WAVE_FIELDS if k in wave}
    shown["status"] = str(normalize_wave_status(str(wave.get("status", "NOT_STARTED"))))
    shown.setdefault("phase", None)
    shown.setdefault("jobIds", [])
    return shown


def _duration(execution: Mapping[str, Any]) -> int | None:
    if execution.get("durationSeconds") is not None:
        return int(execution["durationSeconds"])
    if execution.get("startTime") and execution.get("endTime"):
        return round(timeutil.seconds_between(execution["startTime"], execution["endTime"]))
    return None


def execution_view(execution: Mapping[str, Any]) -> dict[str, Any]:
    """The full representation of GET /executions/{id}."""
    status = normalize_execution_status(str(execution["status"]))
    normalised = {**execution, "status": str(status)}
    waves = [_wave(w) for w in execution.get("waves", [])]
    view = {k: execution[k] for k in EXECUTION_FIELDS if k in execution}
    view.update(
        status=str(status),
        statusLabel=status_label(normalised),
        statusColor=status_color(str(status)),
        durationSeconds=_duration(execution),
        waves=waves,
        progress=merge_progress(w.get("progress") or {} for w in waves),
        canTerminate=can_terminate_execution(normalised),
        instancesTerminated=bool(execution.get("instancesTerminated", False)),
    )
    view.setdefault("endTime", None)
    view.setdefault("lastPolledTime", None)
    if not is_terminal(status) and execution.get("startTime"):
        view["elapsedSeconds"] = round(timeutil.seconds_between(execution["startTime"]))
    return view


def execution_summary(execution: Mapping[str, Any]) -> dict[str, Any]:
    """One line of GET /executions."""
    status = normalize_execution_status(str(execution["status"]))
    normalised = {**execution, "status": str(status)}
    summary = {k: execution[k] for k in SUMMARY_FIELDS if k in execution}
    summary.update(
        status=str(status),
        statusLabel=status_label(normalised),
        durationSeconds=_duration(execution),
        progress=merge_progress((w.get("progress") or {}) for w in execution.get("waves", [])),
    )
    return summary


SERVER_FIELDS = (
    "sourceServerId",
    "hostname",
    "waveNumber",
    "impactLevel",
    "protectionGroupId",
    "launchStatus",
    "phase",
    "jobId",
    "recoveryInstanceId",
    "ec2InstanceId",
    "ec2State",
    "privateIp",
    "privateDnsName",
    "instanceType",
    "launchTime",
    "ready",
    "statusChecksOk",
    "error",
    "updatedAt",
)


def server_view(server: Mapping[str, Any]) -> dict[str, Any]:
    return {k: server[k] for k in SERVER_FIELDS if k in server}
