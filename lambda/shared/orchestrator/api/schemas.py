"""Every JSON Schema of the REST API, in one place: request bodies are validated against them
(fastjsonschema) and the OpenAPI document publishes them."""

from __future__ import annotations

from functools import cache
from typing import Any

import fastjsonschema

from execution_utils import ExecutionStatus, ExecutionType, ImpactLevel, ReadinessCheck

NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^\S(.*\S)?$"}
DESCRIPTION = {"type": "string", "maxLength": 2048}
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

WAVE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["waveName", "protectionGroupIds"],
    "properties": {
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
    "description": "Ordered waves of protection groups, each optionally paused before.",
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
            },
        },
    },
}

START_EXECUTION: dict[str, Any] = {
    "title": "StartExecution",
    "type": "object",
    "additionalProperties": False,
    "properties": {"executionType": {"enum": [str(v) for v in ExecutionType], "default": "DRILL"}},
}

EMPTY: dict[str, Any] = {"title": "Empty", "type": "object", "additionalProperties": False, "properties": {}}

ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}

EXECUTION_STATUS = {"enum": [str(v) for v in ExecutionStatus]}

REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "ProtectionGroup": PROTECTION_GROUP,
    "RecoveryPlan": RECOVERY_PLAN,
    "StartExecution": START_EXECUTION,
    "Empty": EMPTY,
}


@cache
def validator(name: str) -> Any:
    """The compiled validator of a request schema (compiled once per process)."""
    return fastjsonschema.compile(REQUEST_SCHEMAS[name])
