"""The answers of the execution routes (routes/executions.py): an execution, its waves, actions and
servers, the execution list, the report link, the instances still running."""

from __future__ import annotations

from typing import Any

from execution_utils import PROGRESS_KEYS, ExecutionStatus
from orchestrator.api import schemas
from orchestrator.api.responses.common import (
    ANY,
    BOOLEAN,
    IDENTITY,
    INTEGER,
    STRING,
    TIME,
    closed,
    fields_of,
    nullable,
    page,
    ref,
)
from orchestrator.model import ACTION_VIEW_FIELDS, SERVER_VIEW_FIELDS
from orchestrator.views import EXECUTION_FIELDS, SUMMARY_FIELDS, WAVE_FIELDS

PROGRESS = closed("Progress", dict.fromkeys(PROGRESS_KEYS, INTEGER))
CAN_TERMINATE = closed(
    "CanTerminate",
    {"canTerminate": BOOLEAN, "reason": nullable(STRING), "hasRecoveryInstances": BOOLEAN},
)

WAVE_ACTION = closed(
    "WaveAction",
    fields_of(
        ACTION_VIEW_FIELDS,
        {
            "name": STRING,
            "type": STRING,
            "stage": {"enum": ["PRE", "POST"]},
            "status": STRING,
            "attempts": INTEGER,
            "maxAttempts": INTEGER,
            "timeoutSeconds": INTEGER,
            "onFailure": STRING,
            "startTime": nullable(TIME),
            "endTime": nullable(TIME),
            "nextAttemptAt": nullable(TIME),
            "output": nullable(STRING),
            "error": ANY,
            "approvedBy": nullable(STRING),
            "approvedByIdentity": IDENTITY,
            "comment": nullable(STRING),
        },
    ),
    ["name", "type", "stage", "status"],
    "An action of an execution's wave, as it ran (output: a text excerpt of at most 4 KB).",
)

FAILED_SERVER = {
    "type": "object",
    "required": ["sourceServerId"],
    "properties": {
        "sourceServerId": STRING,
        "hostname": nullable(STRING),
        "error": ANY,
        "impactLevel": nullable(STRING),
    },
    "additionalProperties": False,
}

WAVE = closed(
    "Wave",
    {
        **fields_of(
            WAVE_FIELDS,
            {
                "waveNumber": INTEGER,
                "waveName": STRING,
                "status": STRING,
                "phase": nullable(STRING),
                "jobIds": {"type": "array", "items": STRING},
                "startTime": nullable(TIME),
                "endTime": nullable(TIME),
                "progress": {"type": "object", "additionalProperties": INTEGER},
                "serverCount": INTEGER,
                "pauseBeforeWave": BOOLEAN,
                "protectionGroupIds": {"type": "array", "items": STRING},
                "recoveryInstances": {
                    "type": "integer",
                    "description": "How many recovery instances the wave launched",
                },
                "error": ANY,
                "warnings": {"type": "array", "items": STRING},
                "failedServers": {"type": "array", "items": FAILED_SERVER},
                "submittedTime": nullable(TIME),
                "queuedTime": nullable(TIME),
                "queuedReason": nullable(STRING),
                "pollError": ANY,
                "jobsFinished": BOOLEAN,
                "retries": INTEGER,
                "retriedBy": STRING,
                "retriedByIdentity": IDENTITY,
                "skippedBy": STRING,
                "skippedByIdentity": IDENTITY,
                "skipComment": nullable(STRING),
            },
        ),
        "durationSeconds": nullable(INTEGER),
        "actions": {"type": "array", "items": ref("WaveAction")},
    },
    ["waveNumber", "waveName", "status", "phase", "jobIds", "durationSeconds", "warnings"],
)

STATUS = {"enum": [str(s) for s in ExecutionStatus]}
# The schema of each field of an execution, for every answer that shows it (views' field lists).
EXECUTION_FIELD_SCHEMAS: dict[str, Any] = {
    "executionId": STRING,
    "planId": STRING,
    "planName": STRING,
    "executionType": {"enum": ["DRILL", "RECOVERY"]},
    "startTime": nullable(TIME),
    "endTime": nullable(TIME),
    "lastPolledTime": nullable(TIME),
    "totalWaves": INTEGER,
    "completedWaves": INTEGER,
    "currentWave": nullable(INTEGER),
    "totalServers": INTEGER,
    "initiatedBy": STRING,
    "initiatedByIdentity": IDENTITY,
    "options": schemas.RECOVERY_PLAN["properties"]["options"],
    "pauseRequested": BOOLEAN,
    "pausedBeforeWave": nullable(INTEGER),
    "cancelRequested": BOOLEAN,
    "error": ANY,
    "terminationStatus": nullable(STRING),
    "terminationError": ANY,
    "pauseReason": nullable(STRING),
    "pausedWave": nullable(INTEGER),
    "pausedAction": nullable(STRING),
    "pausedTime": nullable(TIME),
    "pausedSeconds": {"type": "number"},
    "pauseRequestedBy": nullable(STRING),
    "pauseRequestedByIdentity": IDENTITY,
    "resumedBy": nullable(STRING),
    "resumedByIdentity": IDENTITY,
    "resumedTime": nullable(TIME),
    "resumeComment": nullable(STRING),
    "cancelRequestedBy": nullable(STRING),
    "cancelRequestedByIdentity": IDENTITY,
    "cancelRequestedTime": nullable(TIME),
    "cancelReason": nullable(STRING),
    "terminationRequestedBy": nullable(STRING),
    "terminationRequestedByIdentity": IDENTITY,
    "terminationRequestedTime": nullable(TIME),
    "cleanupAt": {
        **TIME,
        "description": "When the automatic cleanup terminates this drill's recovery instances "
        "(options.drillCleanupAfterHours after its end, moved by postpones)",
    },
    "cleanupPostponedBy": STRING,
    "cleanupPostponedByIdentity": IDENTITY,
    "cleanupPostponedTime": TIME,
    "reportLocation": nullable(STRING),
}
EXECUTION = closed(
    "Execution",
    {
        **fields_of(EXECUTION_FIELDS, EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "statusLabel": STRING,
        "statusColor": STRING,
        "durationSeconds": nullable(INTEGER),
        "elapsedSeconds": {"type": "number"},
        "waves": {"type": "array", "items": ref("Wave")},
        "progress": ref("Progress"),
        "canTerminate": ref("CanTerminate"),
        "recoveryTime": ref("ReportRecoveryTime"),
        "instancesTerminated": BOOLEAN,
        # GET /executions/{id} only (the control actions' answers leave it out): what it cost, as
        # its last written report states it (null before the first report).
        "cost": nullable(ref("ReportCost")),
        "cleanupPending": {
            "type": "boolean",
            "description": "The automatic cleanup is still to come at cleanupAt (not yet terminated "
            "nor being terminated)",
        },
    },
    [
        "executionId",
        "planId",
        "planName",
        "executionType",
        "status",
        "statusLabel",
        "statusColor",
        "waves",
        "progress",
        "canTerminate",
        "recoveryTime",
        "pausedSeconds",
        "instancesTerminated",
        "cleanupPending",
        "endTime",
        "lastPolledTime",
    ],
    "GET /executions/{executionId} and every control action's answer (views.execution_view).",
)
EXECUTION_SUMMARY = closed(
    "ExecutionSummary",
    {
        **fields_of(SUMMARY_FIELDS, EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "statusLabel": STRING,
        "durationSeconds": nullable(INTEGER),
        "progress": ref("Progress"),
    },
    ["executionId", "planId", "planName", "executionType", "status", "statusLabel", "progress"],
    "One line of GET /executions (views.execution_summary).",
)
DRILL_OVERRIDE = {
    "type": "object",
    "description": "The drill network override of this server: recorded before it was made, then "
    "made (drillVersion, the default while the server launches), then restored (productionVersion "
    "the default again, copyPrivateIp as it was).",
    "properties": {
        "sourceServerId": STRING,
        "waveNumber": INTEGER,
        "status": {"enum": ["RECORDED", "MADE", "RESTORED"]},
        "launchTemplateId": STRING,
        "productionVersion": INTEGER,
        "productionCopyPrivateIp": BOOLEAN,
        "subnetId": STRING,
        "securityGroupIds": {"type": "array", "items": STRING},
        "recordedTime": TIME,
        "drillVersion": INTEGER,
        "madeTime": TIME,
        "restoredTime": TIME,
        "restoredBy": STRING,
    },
    "required": ["sourceServerId", "status", "launchTemplateId", "productionVersion"],
    "additionalProperties": False,
}
EXECUTION_SERVER = closed(
    "ExecutionServer",
    fields_of(
        SERVER_VIEW_FIELDS,
        {
            "waveNumber": INTEGER,
            "sourceServerId": STRING,
            "hostname": STRING,
            "impactLevel": STRING,
            "protectionGroupId": STRING,
            "launchStatus": STRING,
            "ready": BOOLEAN,
            "phase": STRING,
            "jobId": STRING,
            "recoveryInstanceId": STRING,
            "ec2InstanceId": STRING,
            "ec2State": STRING,
            "privateIp": STRING,
            "privateDnsName": STRING,
            "instanceType": STRING,
            "launchTime": TIME,
            "platform": STRING,
            "terminatedTime": TIME,
            "statusChecksOk": BOOLEAN,
            "error": STRING,
            "updatedAt": TIME,
            "jobStartTime": TIME,
            "phaseTimes": {"type": "object", "additionalProperties": TIME},
            "recoveryTimeSeconds": INTEGER,
            "drillOverride": DRILL_OVERRIDE,
        },
    ),
    ["sourceServerId", "waveNumber", "launchStatus", "ready"],
    "A server of an execution (views.server_view).",
)
EXECUTION_STARTED = closed("ExecutionStarted", {"executionId": STRING, "status": STATUS})

REPORT_LINK = closed(
    "ReportLink",
    {
        "url": {"type": "string", "description": "a presigned GET of the stored HTML report"},
        "expiresAt": TIME,
        "expiresInSeconds": INTEGER,
    },
)
RUNNING_INSTANCE = closed(
    "RunningInstance",
    {
        **fields_of(("executionId", "planId", "planName", "executionType"), EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "startTime": TIME,
        "endTime": nullable(TIME),
        "runningSince": nullable(TIME),
        "runningSeconds": nullable(INTEGER),
        "instanceCount": INTEGER,
        "servers": {
            "type": "array",
            "items": closed(
                "RunningInstanceServer",
                {
                    "sourceServerId": STRING,
                    "hostname": nullable(STRING),
                    "label": {"type": "string", "description": "hostname (id)"},
                    "ec2InstanceId": STRING,
                    "ec2State": nullable(STRING),
                    "launchTime": nullable(TIME),
                },
            ),
        },
        "canTerminate": ref("CanTerminate"),
    },
)
RUNNING_INSTANCE_LIST = closed(
    "RunningInstanceList",
    {"items": {"type": "array", "items": ref("RunningInstance")}, "generatedAt": TIME},
)
EXECUTION_LIST = page("ExecutionList", "ExecutionSummary")
CURSOR = {
    "type": "string",
    "description": "Give it as since on the next read to get only what changed (keep the first page's)",
}


def watched_page(title: str, item: str) -> dict[str, Any]:
    """A page of a list a reader watches: its items, the next page's token, the cursor of this read."""
    schema = page(title, item)
    schema["properties"]["cursor"] = CURSOR
    schema["required"] = ["items", "cursor"]
    return schema


SERVER_PAGE = watched_page("ServerPage", "ExecutionServer")
TIMELINE_PAGE = watched_page("TimelinePage", "TimelineEntry")


def timeline_entry(event: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry: the report's event (``event``, its schema) with its id and sort key."""
    entry = {**event, "title": "TimelineEntry"}
    entry["properties"] = {
        **event["properties"],
        "eventId": {
            "type": "string",
            "description": "Names the event: merge what changed by it (SERVER#<wave>#<sourceServerId>#<phase> "
            "for a server's moment)",
        },
        "sortKey": {"type": "string", "description": "The timeline's order: sort by it, as text"},
    }
    entry["required"] = [*event["required"], "eventId", "sortKey"]
    return entry
