"""The answers of the protection-group routes (routes/groups.py): a group's servers, the plans and
executions that use it."""

from __future__ import annotations

from typing import Any

from orchestrator.api.responses.common import ANY, BOOLEAN, INTEGER, STRING, TIME, closed, nullable, ref

GROUP_SERVER = closed(
    "GroupServer",
    {
        "sourceServerId": STRING,
        "hostname": nullable(STRING),
        "found": {"type": "boolean", "description": "false: a listed id DRS does not know"},
        "impactLevel": {"enum": ["CRITICAL", "OPTIONAL"]},
        "replicationState": nullable(STRING),
        "replicationHealthy": BOOLEAN,
        "lagDuration": nullable({"type": "string", "description": "ISO-8601 duration, as DRS reports it"}),
        "lagSeconds": nullable(INTEGER),
        "lastLaunchResult": nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
    },
)
GROUP_SERVER_LIST = closed(
    "GroupServerList",
    {"groupId": STRING, "items": {"type": "array", "items": ref("GroupServer")}},
)
GROUP_USAGE = closed(
    "GroupUsage",
    {
        "groupId": STRING,
        "plans": {
            "type": "array",
            "items": closed(
                "GroupPlan",
                {
                    "planId": STRING,
                    "name": STRING,
                    "waves": {
                        "type": "array",
                        "items": closed(
                            "GroupPlanWave",
                            {"waveNumber": INTEGER, "waveName": STRING},
                        ),
                    },
                },
            ),
        },
        "executions": {"type": "array", "items": ref("ExecutionSummary")},
    },
)

# ------------------------------------------------------------------ launch settings
LAUNCH_FAILURE = closed(
    "LaunchSettingsFailure",
    {
        "sourceServerId": STRING,
        "code": STRING,
        "message": STRING,
        "retryable": {"type": "boolean", "description": "a transient AWS error: applying again may succeed"},
    },
)
LAUNCH_OUTCOME_FIELDS: dict[str, Any] = {
    "appliedAt": TIME,
    "servers": INTEGER,
    "applied": {
        "type": "array",
        "items": closed(
            "LaunchSettingsChange", {"sourceServerId": STRING, "changed": {"type": "array", "items": STRING}}
        ),
    },
    "unchanged": {"type": "array", "items": STRING},
    "failed": {"type": "array", "items": LAUNCH_FAILURE},
    "error": nullable(
        closed(
            "LaunchSettingsError",
            {"code": STRING, "message": STRING, "retryable": BOOLEAN},
            description="Why nothing was applied (the group's servers could not be listed); null otherwise",
        )
    ),
}
LAUNCH_OUTCOME = closed(
    "LaunchSettingsOutcome",
    LAUNCH_OUTCOME_FIELDS,
    description="What applying a group's launch settings did, per server: changed (a new DRS launch "
    "configuration, a new default launch template version), already as desired, or failed (nothing is "
    "retried silently: apply again to repair).",
)
LAUNCH_APPLIED = closed("LaunchSettingsApplied", {"groupId": STRING, **LAUNCH_OUTCOME_FIELDS})
LAUNCH_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "copyPrivateIp": nullable(BOOLEAN),
        "copyTags": nullable(BOOLEAN),
        "osByol": nullable(BOOLEAN),
        "launchDisposition": nullable(STRING),
        "targetInstanceTypeRightSizingMethod": nullable(STRING),
        "instanceType": nullable(STRING),
        "subnetId": nullable(STRING),
        "securityGroupIds": {"type": "array", "items": STRING},
        "privateIpAddress": nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
    },
}
LAUNCH_SERVER = closed(
    "LaunchSettingsServer",
    {
        "sourceServerId": STRING,
        "hostname": nullable(STRING),
        "launchTemplateId": nullable(STRING),
        "defaultVersion": nullable(INTEGER),
        "desired": {**LAUNCH_VALUES, "description": "The fields the group manages for this server"},
        "actual": nullable(LAUNCH_VALUES),
        "drift": {
            "type": "array",
            "items": closed("LaunchSettingsDrift", {"field": STRING, "desired": ANY, "actual": ANY}),
        },
        "error": nullable(closed("LaunchSettingsReadError", {"code": STRING, "message": STRING})),
    },
)
LAUNCH_SETTINGS_VIEW = closed(
    "GroupLaunchSettings",
    {
        "groupId": STRING,
        "managed": {"type": "boolean", "description": "false: the group has no launchSettings"},
        "driftedServers": INTEGER,
        "unreadableServers": INTEGER,
        "items": {"type": "array", "items": ref("LaunchSettingsServer")},
    },
)
