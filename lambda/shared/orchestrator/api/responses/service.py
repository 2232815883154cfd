"""The answers of the service routes (routes/service.py): health, the OpenAPI document, DRS's source
servers."""

from __future__ import annotations

from orchestrator.api.responses.common import BOOLEAN, STRING, TIME, closed, item_list, nullable

SOURCE_SERVER = closed(
    "SourceServer",
    {
        "sourceServerId": STRING,
        "hostname": nullable(STRING),
        "fqdn": nullable(STRING),
        "tags": {"type": "object", "additionalProperties": STRING},
        "replicationState": nullable(STRING),
        "lastLaunchResult": nullable(STRING),
        "isArchived": BOOLEAN,
        "lastDrilledTime": nullable(TIME),
        "lastDrillOutcome": nullable({"enum": ["RECOVERED", "FAILED"]}),
        "lastDrillExecutionId": nullable(STRING),
    },
    ["sourceServerId", "tags", "isArchived", "lastDrilledTime", "lastDrillOutcome"],
)
SOURCE_SERVER_LIST = item_list("SourceServerList", "SourceServer")
HEALTH = closed(
    "Health",
    {
        "status": {"const": "ok"},
        "version": {
            "type": "string",
            "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+([-+.][0-9A-Za-z.-]+)?$",
            "description": "The deployed product's version (pyproject.toml's, CHANGELOG.md)",
        },
    },
)
OPENAPI_DOCUMENT = {"type": "object", "required": ["openapi", "info", "paths"]}
