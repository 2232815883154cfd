"""The JSON Schemas of the API's responses, as views.py, the stores and the operations shape them.

Published in the OpenAPI document (components/schemas); the e2e suite validates every response it
receives against them. The report's schema is the report model's own (reports/report.schema.json,
also at docs/report.schema.json): its $defs become components named Report<Def>.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from execution_utils import PROGRESS_KEYS, ExecutionStatus
from orchestrator.api import schemas
from orchestrator.model import ACTION_VIEW_FIELDS, SERVER_VIEW_FIELDS
from orchestrator.views import EXECUTION_FIELDS, SUMMARY_FIELDS, WAVE_FIELDS

REPORT_SCHEMA_PATH = Path(__file__).resolve().parent.parent / "reports" / "report.schema.json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
TIME = {"type": "string", "description": "ISO-8601 UTC"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ANY: dict[str, Any] = {}  # a field whose shape is the producer's (an error as DRS or a function gave it)
NEXT_TOKEN = _nullable({"type": "string", "description": "Give it as nextToken for the next page"})


def _closed(
    title: str, properties: dict[str, Any], required: list[str], description: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _fields(names: tuple[str, ...], known: dict[str, Any]) -> dict[str, Any]:
    """Every field of ``names`` (a view's field list) with its schema: each must be in ``known``, so
    a field added to a view without a schema fails at import (and the contract test)."""
    missing = [n for n in names if n not in known]
    if missing:
        raise KeyError(f"no response schema for field(s) {missing}")
    return {n: known[n] for n in names}


def _page(title: str, item: str) -> dict[str, Any]:
    return _closed(
        title, {"items": {"type": "array", "items": ref(item)}, "nextToken": NEXT_TOKEN}, ["items"]
    )


def _list(title: str, item: str) -> dict[str, Any]:
    return _closed(title, {"items": {"type": "array", "items": ref(item)}}, ["items"])


IDENTITY = ref("ReportIdentity")
PROGRESS = _closed("Progress", dict.fromkeys(PROGRESS_KEYS, INTEGER), list(PROGRESS_KEYS))
CAN_TERMINATE = _closed(
    "CanTerminate",
    {"canTerminate": BOOLEAN, "reason": _nullable(STRING), "hasRecoveryInstances": BOOLEAN},
    ["canTerminate", "reason", "hasRecoveryInstances"],
)

WAVE_ACTION = _closed(
    "WaveAction",
    _fields(
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
            "startTime": _nullable(TIME),
            "endTime": _nullable(TIME),
            "nextAttemptAt": _nullable(TIME),
            "output": _nullable(STRING),
            "error": ANY,
            "approvedBy": _nullable(STRING),
            "approvedByIdentity": IDENTITY,
            "comment": _nullable(STRING),
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
        "hostname": _nullable(STRING),
        "error": ANY,
        "impactLevel": _nullable(STRING),
    },
    "additionalProperties": False,
}

WAVE = _closed(
    "Wave",
    {
        **_fields(
            WAVE_FIELDS,
            {
                "waveNumber": INTEGER,
                "waveName": STRING,
                "status": STRING,
                "phase": _nullable(STRING),
                "jobIds": {"type": "array", "items": STRING},
                "startTime": _nullable(TIME),
                "endTime": _nullable(TIME),
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
                "submittedTime": _nullable(TIME),
                "queuedTime": _nullable(TIME),
                "queuedReason": _nullable(STRING),
                "pollError": ANY,
                "jobsFinished": BOOLEAN,
                "retries": INTEGER,
                "retriedBy": STRING,
                "retriedByIdentity": IDENTITY,
                "skippedBy": STRING,
                "skippedByIdentity": IDENTITY,
                "skipComment": _nullable(STRING),
            },
        ),
        "durationSeconds": _nullable(INTEGER),
        "actions": {"type": "array", "items": ref("WaveAction")},
    },
    ["waveNumber", "waveName", "status", "phase", "jobIds", "durationSeconds", "warnings"],
)

STATUS = {"enum": [str(s) for s in ExecutionStatus]}
_EXECUTION_FIELD_SCHEMAS: dict[str, Any] = {
    "executionId": STRING,
    "planId": STRING,
    "planName": STRING,
    "executionType": {"enum": ["DRILL", "RECOVERY"]},
    "startTime": _nullable(TIME),
    "endTime": _nullable(TIME),
    "lastPolledTime": _nullable(TIME),
    "totalWaves": INTEGER,
    "completedWaves": INTEGER,
    "currentWave": _nullable(INTEGER),
    "totalServers": INTEGER,
    "initiatedBy": STRING,
    "initiatedByIdentity": IDENTITY,
    "options": schemas.RECOVERY_PLAN["properties"]["options"],
    "pauseRequested": BOOLEAN,
    "pausedBeforeWave": _nullable(INTEGER),
    "cancelRequested": BOOLEAN,
    "error": ANY,
    "terminationStatus": _nullable(STRING),
    "terminationError": ANY,
    "pauseReason": _nullable(STRING),
    "pausedWave": _nullable(INTEGER),
    "pausedAction": _nullable(STRING),
    "pausedTime": _nullable(TIME),
    "pausedSeconds": {"type": "number"},
    "pauseRequestedBy": _nullable(STRING),
    "pauseRequestedByIdentity": IDENTITY,
    "resumedBy": _nullable(STRING),
    "resumedByIdentity": IDENTITY,
    "resumedTime": _nullable(TIME),
    "resumeComment": _nullable(STRING),
    "cancelRequestedBy": _nullable(STRING),
    "cancelRequestedByIdentity": IDENTITY,
    "cancelRequestedTime": _nullable(TIME),
    "cancelReason": _nullable(STRING),
    "terminationRequestedBy": _nullable(STRING),
    "terminationRequestedByIdentity": IDENTITY,
    "terminationRequestedTime": _nullable(TIME),
    "reportLocation": _nullable(STRING),
}
EXECUTION = _closed(
    "Execution",
    {
        **_fields(EXECUTION_FIELDS, _EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "statusLabel": STRING,
        "statusColor": STRING,
        "durationSeconds": _nullable(INTEGER),
        "elapsedSeconds": {"type": "number"},
        "waves": {"type": "array", "items": ref("Wave")},
        "progress": ref("Progress"),
        "canTerminate": ref("CanTerminate"),
        "recoveryTime": ref("ReportRecoveryTime"),
        "instancesTerminated": BOOLEAN,
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
        "endTime",
        "lastPolledTime",
    ],
    "GET /executions/{executionId} and every control action's answer (views.execution_view).",
)
EXECUTION_SUMMARY = _closed(
    "ExecutionSummary",
    {
        **_fields(SUMMARY_FIELDS, _EXECUTION_FIELD_SCHEMAS),
        "status": STATUS,
        "statusLabel": STRING,
        "durationSeconds": _nullable(INTEGER),
        "progress": ref("Progress"),
    },
    ["executionId", "planId", "planName", "executionType", "status", "statusLabel", "progress"],
    "One line of GET /executions (views.execution_summary).",
)
EXECUTION_SERVER = _closed(
    "ExecutionServer",
    _fields(
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
            "statusChecksOk": BOOLEAN,
            "error": STRING,
            "updatedAt": TIME,
            "jobStartTime": TIME,
            "phaseTimes": {"type": "object", "additionalProperties": TIME},
            "recoveryTimeSeconds": INTEGER,
        },
    ),
    ["sourceServerId", "waveNumber", "launchStatus", "ready"],
    "A server of an execution (views.server_view).",
)
EXECUTION_STARTED = _closed(
    "ExecutionStarted", {"executionId": STRING, "status": STATUS}, ["executionId", "status"]
)

HISTORY_RUN = _closed(
    "PlanHistoryExecution",
    {
        "executionId": STRING,
        "executionType": {"enum": ["DRILL", "RECOVERY"]},
        "status": STATUS,
        "statusLabel": STRING,
        "startTime": TIME,
        "endTime": _nullable(TIME),
        "recoveryTime": ref("ReportRecoveryTime"),
        "verdict": {"enum": ["MET", "MISSED", "NO_TARGET", "IN_PROGRESS"]},
    },
    ["executionId", "executionType", "status", "statusLabel", "startTime", "recoveryTime", "verdict"],
)
PLAN_HISTORY = _closed(
    "PlanHistory",
    {
        "planId": STRING,
        "planName": STRING,
        "executions": {"type": "array", "items": ref("PlanHistoryExecution")},
        "ended": INTEGER,
        "successRate": _nullable({"type": "number"}),
        "lastSuccessfulDrill": _nullable(TIME),
        "recoveryTimeTrend": {
            "type": "array",
            "items": _closed(
                "RecoveryTimePoint", {"startTime": TIME, "seconds": INTEGER}, ["startTime", "seconds"]
            ),
        },
    },
    ["planId", "planName", "executions", "ended", "successRate", "lastSuccessfulDrill", "recoveryTimeTrend"],
    "GET /recovery-plans/{planId}/history (operations.report.history).",
)

READINESS_CHECK = _closed(
    "ReadinessCheckResult",
    {
        "check": {
            "enum": [
                "SERVERS_REPLICATE",
                "REPLICATION_LAG",
                "RECOVERY_POINT",
                "LAUNCH_SETTINGS",
                "QUOTA_HEADROOM",
                "SERVER_LOCKS",
                "LAST_DRILL_RTO",
                "DRILL_AGE",
            ]
        },
        "status": {"enum": ["PASS", "WARN", "FAIL"]},
        "message": STRING,
        "sourceServerId": STRING,
    },
    ["check", "status", "message"],
)
READINESS = _closed(
    "PlanReadiness",
    {
        "planId": STRING,
        "planName": STRING,
        "verdict": {"enum": ["READY", "AT_RISK", "NOT_READY"]},
        "checkedAt": TIME,
        "checks": {"type": "array", "items": ref("ReadinessCheckResult")},
    },
    ["planId", "planName", "verdict", "checkedAt", "checks"],
    "GET /recovery-plans/{planId}/readiness (operations.readiness.readiness): any FAIL makes the plan "
    "NOT_READY, else any WARN AT_RISK, else it is READY.",
)

RECOVERY_TIME_STATS = _closed(
    "RecoveryTimeStats",
    {"drills": INTEGER, "p50Seconds": _nullable(INTEGER), "p95Seconds": _nullable(INTEGER)},
    ["drills", "p50Seconds", "p95Seconds"],
    "Nearest-rank percentiles of the recovery time of completed drills (execution_utils.percentile).",
)
DRILL_HISTORY = _closed(
    "DrillHistory",
    {
        "planId": STRING,
        "planName": STRING,
        "last": INTEGER,
        "drills": {
            "type": "array",
            "items": _closed(
                "DrillHistoryDrill",
                {
                    "executionId": STRING,
                    "status": STATUS,
                    "statusLabel": STRING,
                    "startTime": TIME,
                    "endTime": _nullable(TIME),
                    "recoveryTime": ref("ReportRecoveryTime"),
                    "pausedSeconds": INTEGER,
                    "verdict": {"enum": ["MET", "MISSED", "NO_TARGET", "IN_PROGRESS"]},
                },
                [
                    "executionId",
                    "status",
                    "statusLabel",
                    "startTime",
                    "recoveryTime",
                    "pausedSeconds",
                    "verdict",
                ],
            ),
        },
        "recoveryTime": ref("RecoveryTimeStats"),
        "previousRecoveryTime": ref("RecoveryTimeStats"),
        "trend": {"enum": ["FASTER", "SLOWER", "STEADY", "UNKNOWN"]},
        "servers": {
            "type": "array",
            "items": _closed(
                "DrillHistoryServer",
                {
                    "sourceServerId": STRING,
                    "lastDrilledTime": _nullable(TIME),
                    "lastDrillOutcome": _nullable({"enum": ["RECOVERED", "FAILED"]}),
                    "lastDrillExecutionId": _nullable(STRING),
                },
                ["sourceServerId", "lastDrilledTime", "lastDrillOutcome", "lastDrillExecutionId"],
            ),
        },
    },
    ["planId", "planName", "last", "drills", "recoveryTime", "previousRecoveryTime", "trend", "servers"],
    "GET /recovery-plans/{planId}/drill-history (operations.drill_history): drills newest first; "
    "recoveryTime over the last N measured drills, previousRecoveryTime over the N before them.",
)

STORED = {"createdTime": _nullable(TIME), "updatedTime": TIME, "version": INTEGER}


def _stored(title: str, request: dict[str, Any], key: str) -> dict[str, Any]:
    """A catalog entity as stored: the request's fields, its id, its times and version."""
    return _closed(
        title,
        {**request["properties"], key: STRING, **STORED},
        [*request["required"], key],
        f"A {request['title']} as stored: the fields given, {key}, createdTime, updatedTime, version.",
    )


def _stored_group() -> dict[str, Any]:
    """A protection group as stored; the answer of a save that applied launch settings also carries
    what that did (launchSettingsOutcome), which is not stored."""
    stored = _stored("StoredProtectionGroup", schemas.PROTECTION_GROUP, "groupId")
    stored["properties"] = {**stored["properties"], "launchSettingsOutcome": ref("LaunchSettingsOutcome")}
    return stored


SOURCE_SERVER = _closed(
    "SourceServer",
    {
        "sourceServerId": STRING,
        "hostname": _nullable(STRING),
        "fqdn": _nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
        "replicationState": _nullable(STRING),
        "lastLaunchResult": _nullable(STRING),
        "isArchived": BOOLEAN,
        "lastDrilledTime": _nullable(TIME),
        "lastDrillOutcome": _nullable({"enum": ["RECOVERED", "FAILED"]}),
        "lastDrillExecutionId": _nullable(STRING),
    },
    ["sourceServerId", "tags", "isArchived", "lastDrilledTime", "lastDrillOutcome"],
)

GROUP_SERVER = _closed(
    "GroupServer",
    {
        "sourceServerId": STRING,
        "hostname": _nullable(STRING),
        "found": {"type": "boolean", "description": "false: a listed id DRS does not know"},
        "impactLevel": {"enum": ["CRITICAL", "OPTIONAL"]},
        "replicationState": _nullable(STRING),
        "replicationHealthy": BOOLEAN,
        "lagDuration": _nullable({"type": "string", "description": "ISO-8601 duration, as DRS reports it"}),
        "lagSeconds": _nullable(INTEGER),
        "lastLaunchResult": _nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
    },
    [
        "sourceServerId",
        "hostname",
        "found",
        "impactLevel",
        "replicationState",
        "replicationHealthy",
        "lagDuration",
        "lagSeconds",
        "lastLaunchResult",
        "tags",
    ],
)
GROUP_SERVER_LIST = _closed(
    "GroupServerList",
    {"groupId": STRING, "items": {"type": "array", "items": ref("GroupServer")}},
    ["groupId", "items"],
)
GROUP_USAGE = _closed(
    "GroupUsage",
    {
        "groupId": STRING,
        "plans": {
            "type": "array",
            "items": _closed(
                "GroupPlan",
                {
                    "planId": STRING,
                    "name": STRING,
                    "waves": {
                        "type": "array",
                        "items": _closed(
                            "GroupPlanWave",
                            {"waveNumber": INTEGER, "waveName": STRING},
                            ["waveNumber", "waveName"],
                        ),
                    },
                },
                ["planId", "name", "waves"],
            ),
        },
        "executions": {"type": "array", "items": ref("ExecutionSummary")},
    },
    ["groupId", "plans", "executions"],
)
_LAUNCH_FAILURE = _closed(
    "LaunchSettingsFailure",
    {
        "sourceServerId": STRING,
        "code": STRING,
        "message": STRING,
        "retryable": {"type": "boolean", "description": "a transient AWS error: applying again may succeed"},
    },
    ["sourceServerId", "code", "message", "retryable"],
)
_LAUNCH_OUTCOME_FIELDS: dict[str, Any] = {
    "appliedAt": TIME,
    "servers": INTEGER,
    "applied": {
        "type": "array",
        "items": _closed(
            "LaunchSettingsChange",
            {"sourceServerId": STRING, "changed": {"type": "array", "items": STRING}},
            ["sourceServerId", "changed"],
        ),
    },
    "unchanged": {"type": "array", "items": STRING},
    "failed": {"type": "array", "items": _LAUNCH_FAILURE},
    "error": _nullable(
        _closed(
            "LaunchSettingsError",
            {"code": STRING, "message": STRING, "retryable": BOOLEAN},
            ["code", "message", "retryable"],
            "Why nothing was applied (the group's servers could not be listed); null otherwise",
        )
    ),
}
LAUNCH_OUTCOME = _closed(
    "LaunchSettingsOutcome",
    _LAUNCH_OUTCOME_FIELDS,
    list(_LAUNCH_OUTCOME_FIELDS),
    "What applying a group's launch settings did, per server: changed (a new DRS launch configuration, "
    "a new default launch template version), already as desired, or failed (nothing is retried "
    "silently: apply again to repair).",
)
LAUNCH_APPLIED = _closed(
    "LaunchSettingsApplied",
    {"groupId": STRING, **_LAUNCH_OUTCOME_FIELDS},
    ["groupId", *_LAUNCH_OUTCOME_FIELDS],
)
_LAUNCH_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "copyPrivateIp": _nullable(BOOLEAN),
        "copyTags": _nullable(BOOLEAN),
        "osByol": _nullable(BOOLEAN),
        "launchDisposition": _nullable(STRING),
        "targetInstanceTypeRightSizingMethod": _nullable(STRING),
        "instanceType": _nullable(STRING),
        "subnetId": _nullable(STRING),
        "securityGroupIds": {"type": "array", "items": STRING},
        "privateIpAddress": _nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
    },
}
LAUNCH_SERVER = _closed(
    "LaunchSettingsServer",
    {
        "sourceServerId": STRING,
        "hostname": _nullable(STRING),
        "launchTemplateId": _nullable(STRING),
        "defaultVersion": _nullable(INTEGER),
        "desired": {**_LAUNCH_VALUES, "description": "The fields the group manages for this server"},
        "actual": _nullable(_LAUNCH_VALUES),
        "drift": {
            "type": "array",
            "items": _closed(
                "LaunchSettingsDrift",
                {"field": STRING, "desired": ANY, "actual": ANY},
                ["field", "desired", "actual"],
            ),
        },
        "error": _nullable(
            _closed("LaunchSettingsReadError", {"code": STRING, "message": STRING}, ["code", "message"])
        ),
    },
    [
        "sourceServerId",
        "hostname",
        "launchTemplateId",
        "defaultVersion",
        "desired",
        "actual",
        "drift",
        "error",
    ],
)
LAUNCH_SETTINGS_VIEW = _closed(
    "GroupLaunchSettings",
    {
        "groupId": STRING,
        "managed": {"type": "boolean", "description": "false: the group has no launchSettings"},
        "driftedServers": INTEGER,
        "unreadableServers": INTEGER,
        "items": {"type": "array", "items": ref("LaunchSettingsServer")},
    },
    ["groupId", "managed", "driftedServers", "unreadableServers", "items"],
)


REPORT_LINK = _closed(
    "ReportLink",
    {
        "url": {"type": "string", "description": "a presigned GET of the stored HTML report"},
        "expiresAt": TIME,
        "expiresInSeconds": INTEGER,
    },
    ["url", "expiresAt", "expiresInSeconds"],
)
RUNNING_INSTANCE = _closed(
    "RunningInstance",
    {
        "executionId": STRING,
        "planId": STRING,
        "planName": STRING,
        "executionType": {"enum": ["DRILL", "RECOVERY"]},
        "status": STATUS,
        "startTime": TIME,
        "endTime": _nullable(TIME),
        "runningSince": _nullable(TIME),
        "runningSeconds": _nullable(INTEGER),
        "instanceCount": INTEGER,
        "servers": {
            "type": "array",
            "items": _closed(
                "RunningInstanceServer",
                {
                    "sourceServerId": STRING,
                    "hostname": _nullable(STRING),
                    "label": {"type": "string", "description": "hostname (id)"},
                    "ec2InstanceId": STRING,
                    "ec2State": _nullable(STRING),
                    "launchTime": _nullable(TIME),
                },
                ["sourceServerId", "hostname", "label", "ec2InstanceId", "ec2State", "launchTime"],
            ),
        },
        "canTerminate": ref("CanTerminate"),
    },
    [
        "executionId",
        "planId",
        "planName",
        "executionType",
        "status",
        "startTime",
        "endTime",
        "runningSince",
        "runningSeconds",
        "instanceCount",
        "servers",
        "canTerminate",
    ],
)

ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


@cache
def report_schema() -> dict[str, Any]:
    """The report model's schema with its $defs as components (``#/$defs/x`` -> ``ReportX``)."""
    text = REPORT_SCHEMA_PATH.read_text(encoding="utf-8")
    text = text.replace('"#/$defs/', '"#/components/schemas/Report')
    for name in json.loads(REPORT_SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]:
        text = text.replace(
            f'"#/components/schemas/Report{name}"', f'"#/components/schemas/Report{_cap(name)}"'
        )
    document: dict[str, Any] = json.loads(text)
    return document


def _cap(name: str) -> str:
    return name[0].upper() + name[1:]


def components() -> dict[str, dict[str, Any]]:
    """Every response schema by component name (the report's $defs included)."""
    report = {k: v for k, v in report_schema().items() if k not in ("$schema", "$id", "$defs")}
    found: dict[str, dict[str, Any]] = {
        f"Report{_cap(name)}": schema for name, schema in report_schema()["$defs"].items()
    }
    found.update(
        {
            "Error": ERROR,
            "Health": _closed(
                "Health",
                {
                    "status": {"const": "ok"},
                    "version": {
                        "type": "string",
                        "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+([-+.][0-9A-Za-z.-]+)?$",
                        "description": "The deployed product's version (pyproject.toml's, CHANGELOG.md)",
                    },
                },
                ["status", "version"],
            ),
            "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"]},
            "SourceServer": SOURCE_SERVER,
            "SourceServerList": _list("SourceServerList", "SourceServer"),
            "StoredProtectionGroup": _stored_group(),
            "ProtectionGroupList": _list("ProtectionGroupList", "StoredProtectionGroup"),
            "StoredRecoveryPlan": _stored("StoredRecoveryPlan", schemas.RECOVERY_PLAN, "planId"),
            "RecoveryPlanList": _list("RecoveryPlanList", "StoredRecoveryPlan"),
            "ExecutionStarted": EXECUTION_STARTED,
            "PlanHistoryExecution": HISTORY_RUN,
            "PlanHistory": PLAN_HISTORY,
            "ReadinessCheckResult": READINESS_CHECK,
            "PlanReadiness": READINESS,
            "RecoveryTimeStats": RECOVERY_TIME_STATS,
            "DrillHistory": DRILL_HISTORY,
            "Progress": PROGRESS,
            "CanTerminate": CAN_TERMINATE,
            "WaveAction": WAVE_ACTION,
            "Wave": WAVE,
            "Execution": EXECUTION,
            "ExecutionSummary": EXECUTION_SUMMARY,
            "ExecutionList": _page("ExecutionList", "ExecutionSummary"),
            "ExecutionServer": EXECUTION_SERVER,
            "ServerPage": _page("ServerPage", "ExecutionServer"),
            "TimelineEvent": ref("ReportEvent"),
            "TimelinePage": _page("TimelinePage", "ReportEvent"),
            "Report": report,
            "GroupServer": GROUP_SERVER,
            "GroupServerList": GROUP_SERVER_LIST,
            "GroupUsage": GROUP_USAGE,
            "LaunchSettingsOutcome": LAUNCH_OUTCOME,
            "LaunchSettingsApplied": LAUNCH_APPLIED,
            "LaunchSettingsServer": LAUNCH_SERVER,
            "GroupLaunchSettings": LAUNCH_SETTINGS_VIEW,
            "ReportLink": REPORT_LINK,
            "RunningInstance": RUNNING_INSTANCE,
            "RunningInstanceList": _closed(
                "RunningInstanceList",
                {"items": {"type": "array", "items": ref("RunningInstance")}, "generatedAt": TIME},
                ["items", "generatedAt"],
            ),
        }
    )
    return found
