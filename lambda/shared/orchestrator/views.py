"""What the API shows of stored records: camelCase, statuses normalised, internals (task tokens,
versions, lock bookkeeping) never shown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from execution_utils import (
    can_terminate_execution,
    cleanup_pending,
    duration_seconds,
    execution_duration,
    is_terminal,
    merge_progress,
    normalize_execution_status,
    normalize_wave_status,
    recovery_time,
    status_color,
    status_label,
    wave_warning_lines,
)
from orchestrator import timeutil
from orchestrator.model import ACTION_VIEW_FIELDS, SERVER_VIEW_FIELDS, ExecutionRecord, ServerRecord

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
    "retries",
    "retriedBy",
    "retriedByIdentity",
    "skippedBy",
    "skippedByIdentity",
    "skipComment",
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
# The full view: the summary's fields, then the rest.
EXECUTION_FIELDS = (
    *SUMMARY_FIELDS,
    "lastPolledTime",
    "totalServers",
    "initiatedBy",
    "initiatedByIdentity",
    "options",
    "pauseRequested",
    "pausedBeforeWave",
    "cancelRequested",
    "error",
    "terminationStatus",
    "terminationError",
    "pauseReason",
    "pausedWave",
    "pausedAction",
    "pausedTime",
    "pausedSeconds",
    "pauseRequestedBy",
    "pauseRequestedByIdentity",
    "resumedBy",
    "resumedByIdentity",
    "resumedTime",
    "resumeComment",
    "cancelRequestedBy",
    "cancelRequestedByIdentity",
    "cancelRequestedTime",
    "cancelReason",
    "terminationRequestedBy",
    "terminationRequestedByIdentity",
    "terminationRequestedTime",
    "cleanupAt",
    "cleanupPostponedBy",
    "cleanupPostponedByIdentity",
    "cleanupPostponedTime",
    "reportLocation",
)


def _wave(wave: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: wave[k] for k in WAVE_FIELDS if k in wave}
    shown["status"] = str(normalize_wave_status(str(wave.get("status", "NOT_STARTED"))))
    shown.setdefault("phase", None)
    shown.setdefault("jobIds", [])
    shown["durationSeconds"] = duration_seconds(wave.get("startTime"), wave.get("endTime"))
    shown["warnings"] = wave_warning_lines(wave)
    if wave.get("actions"):
        shown["actions"] = [{k: a[k] for k in ACTION_VIEW_FIELDS if k in a} for a in wave["actions"]]
    return shown


def execution_view(execution: ExecutionRecord, now: datetime) -> dict[str, Any]:
    """The full representation of GET /executions/{id} (``now``: for the elapsed time)."""
    status = normalize_execution_status(str(execution["status"]))
    record: Mapping[str, Any] = execution
    normalised = {**record, "status": str(status)}
    waves = [_wave(w) for w in execution["waves"]]
    view = {k: record[k] for k in EXECUTION_FIELDS if k in record}
    recovery = recovery_time(normalised, timeutil.iso(now))
    view.update(
        status=str(status),
        statusLabel=status_label(normalised),
        statusColor=status_color(str(status)),
        durationSeconds=execution_duration(execution),
        waves=waves,
        progress=merge_progress(w.get("progress") or {} for w in waves),
        canTerminate=can_terminate_execution(normalised),
        recoveryTime=recovery,
        # the one paused total (the open pause included), the same value as recoveryTime's
        pausedSeconds=recovery["pausedSeconds"],
        instancesTerminated=bool(execution.get("instancesTerminated", False)),
        # the automatic cleanup is still to come (at cleanupAt)
        cleanupPending=cleanup_pending(normalised),
    )
    view.setdefault("endTime", None)
    view.setdefault("lastPolledTime", None)
    if not is_terminal(status) and execution.get("startTime"):
        view["elapsedSeconds"] = duration_seconds(execution["startTime"], timeutil.iso(now)) or 0
    return view


def execution_summary(execution: ExecutionRecord) -> dict[str, Any]:
    """One line of GET /executions."""
    status = normalize_execution_status(str(execution["status"]))
    record: Mapping[str, Any] = execution
    normalised = {**record, "status": str(status)}
    summary = {k: record[k] for k in SUMMARY_FIELDS if k in record}
    summary.update(
        status=str(status),
        statusLabel=status_label(normalised),
        durationSeconds=execution_duration(execution),
        progress=merge_progress(w["progress"] for w in execution["waves"]),
    )
    return summary


def server_view(server: ServerRecord) -> dict[str, Any]:
    shown: Mapping[str, Any] = server
    return {k: shown[k] for k in SERVER_VIEW_FIELDS if k in shown}
