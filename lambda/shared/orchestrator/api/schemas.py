"""Every JSON Schema of the REST API, in one place: request bodies are validated against them
(fastjsonschema) and the OpenAPI document publishes them."""

from __future__ import annotations

from functools import cache
from typing import Any

import fastjsonschema

from execution_utils import (
    CLEANUP_MAX_HOURS,
    CLEANUP_MIN_HOURS,
    ExecutionStatus,
    ExecutionType,
    ImpactLevel,
    OnFailure,
    OnWaveFailure,
    ReadinessCheck,
)
from orchestrator import actions
from orchestrator.text_patterns import COMMENT_PATTERN, DESCRIPTION_PATTERN, NAME_PATTERN

NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN}
DESCRIPTION = {"type": "string", "maxLength": 2048, "pattern": DESCRIPTION_PATTERN}
SOURCE_SERVER_ID = {"type": "string", "pattern": "^s-[0-9a-zA-Z]{17}$"}
ENTITY_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9-]+$"}

INSTANCE_TYPE = {
    "type": "string",
    "pattern": "^([a-z][a-z0-9-]*\\.[a-z0-9]+|RIGHT_SIZING)$",
    "description": "An EC2 instance type, or RIGHT_SIZING for DRS's own choice (its BASIC right-sizing)",
}
SUBNET_ID = {"type": "string", "pattern": "^subnet-[0-9a-f]{8,17}$"}
SECURITY_GROUP_IDS = {
    "type": "array",
    "items": {"type": "string", "pattern": "^sg-[0-9a-f]{8,17}$"},
    "minItems": 1,
    "maxItems": 5,
    "uniqueItems": True,
}
IPV4 = {
    "type": "string",
    "pattern": "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$",
}
LAUNCH_SETTINGS: dict[str, Any] = {
    "title": "LaunchSettings",
    "description": "How every server of the group is launched: applied, when the group is saved, to each "
    "server's DRS launch configuration and (as a new default version) its EC2 launch template.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "instanceType": INSTANCE_TYPE,
        "subnetId": SUBNET_ID,
        "securityGroupIds": SECURITY_GROUP_IDS,
        "copyPrivateIp": {"type": "boolean"},
        "copyTags": {"type": "boolean"},
        "tags": {
            "type": "object",
            "maxProperties": 40,
            "propertyNames": {"minLength": 1, "maxLength": 128, "pattern": "^(?!aws:)"},
            "additionalProperties": {"type": "string", "maxLength": 256},
        },
        "licensing": {
            "type": "object",
            "additionalProperties": False,
            "required": ["osByol"],
            "properties": {"osByol": {"type": "boolean"}},
        },
        "launchDisposition": {"enum": ["STARTED", "STOPPED"]},
        "serverOverrides": {
            "type": "object",
            "description": "Per source server id: what differs for that server (a static private IP, ...)",
            "maxProperties": 1000,
            "propertyNames": SOURCE_SERVER_ID,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "privateIpAddress": IPV4,
                    "instanceType": INSTANCE_TYPE,
                    "subnetId": SUBNET_ID,
                    "securityGroupIds": SECURITY_GROUP_IDS,
                },
            },
        },
    },
}

PROTECTION_GROUP: dict[str, Any] = {
    "title": "ProtectionGroup",
    "description": "A set of DRS source servers, by ids or by tags (exactly one of the two).",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": NAME,
        "description": DESCRIPTION,
        "region": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$"},
        "sourceServerIds": {
            "type": "array",
            "items": SOURCE_SERVER_ID,
            "minItems": 1,
            "maxItems": 1000,
            "uniqueItems": True,
        },
        "serverSelectionTags": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 50,
            "propertyNames": {"minLength": 1, "maxLength": 128},
            "additionalProperties": {"type": "string", "maxLength": 256},
        },
        "serverImpactLevels": {
            "type": "object",
            "maxProperties": 1000,
            "propertyNames": SOURCE_SERVER_ID,
            "additionalProperties": {"enum": [str(v) for v in ImpactLevel]},
        },
        "launchSettings": LAUNCH_SETTINGS,
    },
}


def action_schema() -> dict[str, Any]:
    """A runbook action: the fields every action has, then each type's own fields as its kind in the
    registry states them (actions/). Which fields a type needs (and only those) is checked by the
    plan rules (operations/catalog.check_actions), which name the missing or misplaced field."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "type"],
        "properties": {
            "name": {**NAME, "maxLength": 64},
            "type": {"enum": [str(t) for t in actions.registry]},
            "timeoutSeconds": {"type": "integer", "minimum": 10, "maximum": 86400},
            "maxAttempts": {"type": "integer", "minimum": 1, "maximum": 5},
            "onFailure": {"enum": [str(v) for v in OnFailure]},
            **actions.action_fields(),
        },
    }


ACTION: dict[str, Any] = action_schema()
ACTIONS = {"type": "array", "items": ACTION, "maxItems": 10}

WAVE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["waveName", "protectionGroupIds"],
    "properties": {
        "preActions": ACTIONS,
        "postActions": ACTIONS,
        "waveName": NAME,
        "protectionGroupIds": {
            "type": "array",
            "items": ENTITY_ID,
            "minItems": 1,
            "maxItems": 50,
            "uniqueItems": True,
        },
        "pauseBeforeWave": {"type": "boolean"},
    },
}

# A plan's drill schedule: one EventBridge Scheduler schedule that starts a DRILL of the plan. The
# expression and the timezone are checked as Scheduler checks them (operations/catalog.check_plan,
# 422 naming the field); at() one-time expressions are not drill schedules.
DRILL_SCHEDULE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["expression"],
    "description": "Start a DRILL of the plan on a schedule (EventBridge Scheduler)",
    "properties": {
        "expression": {
            "type": "string",
            "minLength": 1,
            "maxLength": 256,
            "description": 'rate(value unit) or cron(minutes hours day-of-month month day-of-week year), e.g. "cron(0 3 ? * SAT *)", "rate(7 days)"',
        },
        "timezone": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "default": "UTC",
            "description": "IANA timezone the cron expression is read in, e.g. Europe/Berlin",
        },
        "enabled": {"type": "boolean", "default": True},
    },
}

# A DRILL launches every server into this isolated network (the subnet in the server's Availability
# Zone, else the first) with these security groups and without copying private IPs; a RECOVERY never.
DRILL_NETWORK: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subnetIds", "securityGroupIds"],
    "properties": {
        "subnetIds": {
            "type": "array",
            "minItems": 1,
            "maxItems": 16,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^subnet-[0-9a-f]{8,17}$"},
        },
        "securityGroupIds": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^sg-[0-9a-f]{8,17}$"},
        },
    },
}

RECOVERY_PLAN: dict[str, Any] = {
    "title": "RecoveryPlan",
    "description": "Ordered waves of protection groups, each optionally paused before, with runbook "
    "actions before (preActions) and after (postActions) its launch.",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "waves"],
    "properties": {
        "name": NAME,
        "description": DESCRIPTION,
        "waves": {"type": "array", "items": WAVE, "minItems": 1, "maxItems": 50},
        "options": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "readinessCheck": {"enum": [str(v) for v in ReadinessCheck]},
                "waveTimeoutMinutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                "pauseTimeoutMinutes": {"type": "integer", "minimum": 1, "maximum": 10080},
                "capacityWaitMinutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                "rtoTargetMinutes": {"type": "integer", "minimum": 1, "maximum": 10080},
                # Readiness (GET /recovery-plans/{planId}/readiness): a replication lag above this
                # puts the plan AT_RISK (default 60); so does a last successful drill older than
                # maxDaysBetweenDrills days (default 90).
                "maxReplicationLagMinutes": {"type": "integer", "minimum": 1, "maximum": 10080},
                "maxDaysBetweenDrills": {"type": "integer", "minimum": 1, "maximum": 366},
                # Automatic cleanup: a finished DRILL's recovery instances are terminated this many
                # hours after its end (a warning an hour before); never for a RECOVERY.
                "drillCleanupAfterHours": {
                    "type": "integer",
                    "minimum": CLEANUP_MIN_HOURS,
                    "maximum": CLEANUP_MAX_HOURS,
                },
                "onWaveFailure": {"enum": [str(v) for v in OnWaveFailure]},
                "drillNetwork": DRILL_NETWORK,
            },
        },
        "drillSchedule": DRILL_SCHEDULE,
    },
}

START_EXECUTION: dict[str, Any] = {
    "title": "StartExecution",
    "description": "Starts a DRILL. A RECOVERY is not offered here (422 RECOVERY_ROUTE_REQUIRED): it is "
    "started with POST /recovery-plans/{planId}/recovery.",
    "type": "object",
    "additionalProperties": False,
    "properties": {"executionType": {"enum": [str(ExecutionType.DRILL)], "default": "DRILL"}},
}

# Values a schema refuses that deserve more than "must be one of": (schema, field, value) -> the
# error code and message that say where to go instead.
REDIRECTED_VALUES: dict[tuple[str, str, Any], tuple[str, str]] = {
    ("StartExecution", "executionType", str(ExecutionType.RECOVERY)): (
        "RECOVERY_ROUTE_REQUIRED",
        "a RECOVERY is started only with POST /recovery-plans/{planId}/recovery and "
        '{"confirmPlanName": <the plan\'s name>}; this route starts drills',
    ),
}

EMPTY: dict[str, Any] = {"title": "Empty", "type": "object", "additionalProperties": False, "properties": {}}

RESUME_EXECUTION: dict[str, Any] = {
    "title": "ResumeExecution",
    "description": "An optional comment recorded with the resume, the approval, the retry or the skip "
    "(who did it is recorded anyway).",
    "type": "object",
    "additionalProperties": False,
    "properties": {"comment": {"type": "string", "maxLength": 1000, "pattern": COMMENT_PATTERN}},
}


def _confirmed(title: str, to_confirm: str, *, comment: bool = False) -> dict[str, Any]:
    """The body of an act on production: the plan's name typed again (``to_confirm``: what it
    confirms), and with ``comment`` an optional comment."""
    properties: dict[str, Any] = {"confirmPlanName": {"type": "string", "minLength": 1, "maxLength": 128}}
    if comment:
        properties["comment"] = {"type": "string", "maxLength": 1000, "pattern": COMMENT_PATTERN}
    return {
        "title": title,
        "description": f"The name of the recovery plan, typed again to confirm {to_confirm}"
        + (", and an optional comment." if comment else "."),
        "type": "object",
        "additionalProperties": False,
        "required": ["confirmPlanName"],
        "properties": properties,
    }


START_RECOVERY = {
    **_confirmed("StartRecovery", "starting a real recovery (failover) of production"),
    "properties": {
        "confirmPlanName": NAME,
        # A drill still running on the plan's servers is cancelled and its drill network overrides
        # restored before the recovery starts; without it, such a drill is a 409 DRILL_STILL_RUNNING.
        "cancelConflictingDrills": {"type": "boolean", "default": False},
    },
}
RETRY_RECOVERY_WAVE = _confirmed(
    "RetryRecoveryWave", "launching the failed servers of a RECOVERY (production) wave again", comment=True
)
SKIP_RECOVERY_WAVE = _confirmed(
    "SkipRecoveryWave", "going on without the failed wave of a RECOVERY (production)", comment=True
)
TERMINATE_RECOVERY_INSTANCES = _confirmed(
    "TerminateRecoveryInstances", "terminating the instances of a RECOVERY (production) execution"
)

POSTPONE_CLEANUP: dict[str, Any] = {
    "title": "PostponeCleanup",
    "description": "Move the automatic cleanup of a drill's recovery instances this many hours later "
    "(counted from now when its time has passed).",
    "type": "object",
    "additionalProperties": False,
    "required": ["postponeHours"],
    "properties": {
        "postponeHours": {"type": "integer", "minimum": CLEANUP_MIN_HOURS, "maximum": CLEANUP_MAX_HOURS}
    },
}

EXECUTION_STATUS = {"enum": [str(v) for v in ExecutionStatus]}

REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "ProtectionGroup": PROTECTION_GROUP,
    "RecoveryPlan": RECOVERY_PLAN,
    "StartExecution": START_EXECUTION,
    "StartRecovery": START_RECOVERY,
    "Empty": EMPTY,
    "ResumeExecution": RESUME_EXECUTION,
    "TerminateRecoveryInstances": TERMINATE_RECOVERY_INSTANCES,
    "RetryRecoveryWave": RETRY_RECOVERY_WAVE,
    "SkipRecoveryWave": SKIP_RECOVERY_WAVE,
    "PostponeCleanup": POSTPONE_CLEANUP,
}
# Request schemas whose body may be left out (an empty body is `{}`).
OPTIONAL_BODIES = frozenset({"Empty", "StartExecution", "ResumeExecution"})


@cache
def validator(name: str) -> Any:
    """The compiled validator of a request schema (compiled once per process)."""
    return fastjsonschema.compile(REQUEST_SCHEMAS[name])
