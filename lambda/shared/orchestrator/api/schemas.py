"""Every JSON Schema of the REST API, in one place: request bodies are validated against them
(fastjsonschema) and the OpenAPI document publishes them."""

from __future__ import annotations

from functools import cache
from typing import Any

import fastjsonschema

from execution_utils import (
    ActionType,
    ExecutionStatus,
    ExecutionType,
    ImpactLevel,
    OnFailure,
    OnWaveFailure,
    ReadinessCheck,
)

# Characters no name, comment or description may hold: they hide or reorder what an operator reads
# (in the console, drsctl, logs, notifications). C0 and C1 controls with DEL (NUL included), the
# line and paragraph separators, and the whole Unicode Bidi_Control set: the marks U+061C, U+200E,
# U+200F, the embeddings and overrides U+202A-U+202E and the isolates U+2066-U+2069. Written as
# regex escapes, the same in Python and ECMA-262 (the OpenAPI document publishes the patterns).
BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = r"\x00-\x1f\x7f-\x9f\u2028\u2029" + BIDI
# Descriptions may span lines: tab, LF and CR are allowed there, nothing else of the above.
_FORBIDDEN_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029" + BIDI
# A name: no forbidden character, no leading or trailing white space.
NAME_PATTERN = rf"^[^\s{_FORBIDDEN}]([^{_FORBIDDEN}]*[^\s{_FORBIDDEN}])?$"
COMMENT_PATTERN = rf"^[^{_FORBIDDEN}]*$"
DESCRIPTION_PATTERN = rf"^[^{_FORBIDDEN_IN_TEXT}]*$"
# What a failed pattern means, for the error message (the pattern itself is unreadable).
PATTERN_RULES = {
    NAME_PATTERN: "must not start or end with white space nor contain control, line-separator or "
    "bidirectional-control characters",
    COMMENT_PATTERN: "must not contain control, line-separator or bidirectional-control characters",
    DESCRIPTION_PATTERN: "must not contain control characters (but tab and line breaks), "
    "line-separator or bidirectional-control characters",
}

NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN}
DESCRIPTION = {"type": "string", "maxLength": 2048, "pattern": DESCRIPTION_PATTERN}
SOURCE_SERVER_ID = {"type": "string", "pattern": "^s-[0-9a-zA-Z]{17}$"}
ENTITY_ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9-]+$"}

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
    },
}

# A runbook action. The fields each type needs (and only those) are checked by the plan rules
# (operations/catalog.check_actions), which name the missing or misplaced field.
ACTION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type"],
    "properties": {
        "name": {**NAME, "maxLength": 64},
        "type": {"enum": [str(v) for v in ActionType]},
        "timeoutSeconds": {"type": "integer", "minimum": 10, "maximum": 86400},
        "maxAttempts": {"type": "integer", "minimum": 1, "maximum": 5},
        "onFailure": {"enum": [str(v) for v in OnFailure]},
        "functionName": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        "payload": {"type": "object", "maxProperties": 50},
        "documentName": {"type": "string", "pattern": "^[A-Za-z0-9_.:/-]{3,128}$"},
        "parameters": {
            "type": "object",
            "maxProperties": 50,
            "propertyNames": {"pattern": "^[A-Za-z0-9_.-]{1,128}$"},
            "additionalProperties": {
                "type": "array",
                "maxItems": 100,
                "items": {"type": "string", "maxLength": 4096, "pattern": DESCRIPTION_PATTERN},
            },
        },
        "durationSeconds": {"type": "integer", "minimum": 60, "maximum": 7200},
    },
}
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
                "onWaveFailure": {"enum": [str(v) for v in OnWaveFailure]},
            },
        },
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

START_RECOVERY: dict[str, Any] = {
    "title": "StartRecovery",
    "description": "The name of the recovery plan, typed again to confirm starting a real recovery "
    "(failover) of production.",
    "type": "object",
    "additionalProperties": False,
    "required": ["confirmPlanName"],
    "properties": {"confirmPlanName": NAME},
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

RETRY_RECOVERY_WAVE: dict[str, Any] = {
    "title": "RetryRecoveryWave",
    "description": "The name of the execution's recovery plan, typed again to confirm launching the failed "
    "servers of a RECOVERY (production) wave again, and an optional comment.",
    "type": "object",
    "additionalProperties": False,
    "required": ["confirmPlanName"],
    "properties": {
        "confirmPlanName": {"type": "string", "minLength": 1, "maxLength": 128},
        "comment": {"type": "string", "maxLength": 1000, "pattern": COMMENT_PATTERN},
    },
}

SKIP_RECOVERY_WAVE: dict[str, Any] = {
    "title": "SkipRecoveryWave",
    "description": "The name of the execution's recovery plan, typed again to confirm going on without the "
    "failed wave of a RECOVERY (production), and an optional comment.",
    "type": "object",
    "additionalProperties": False,
    "required": ["confirmPlanName"],
    "properties": {
        "confirmPlanName": {"type": "string", "minLength": 1, "maxLength": 128},
        "comment": {"type": "string", "maxLength": 1000, "pattern": COMMENT_PATTERN},
    },
}

TERMINATE_RECOVERY_INSTANCES: dict[str, Any] = {
    "title": "TerminateRecoveryInstances",
    "description": "The name of the execution's recovery plan, typed again to confirm terminating the "
    "instances of a RECOVERY (production) execution.",
    "type": "object",
    "additionalProperties": False,
    "required": ["confirmPlanName"],
    "properties": {"confirmPlanName": {"type": "string", "minLength": 1, "maxLength": 128}},
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
}
# Request schemas whose body may be left out (an empty body is `{}`).
OPTIONAL_BODIES = frozenset({"Empty", "StartExecution", "ResumeExecution"})


@cache
def validator(name: str) -> Any:
    """The compiled validator of a request schema (compiled once per process)."""
    return fastjsonschema.compile(REQUEST_SCHEMAS[name])
