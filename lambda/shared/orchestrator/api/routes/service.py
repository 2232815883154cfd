"""The service itself (health, its OpenAPI document) and the Region's DRS source servers."""

from __future__ import annotations

from typing import Any

from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, new_router
from orchestrator.api.http import QueryParam
from orchestrator.operations.drill_history import not_drilled_since, server_last_drills
from orchestrator.version import VERSION

router = new_router()

HEALTH = Route(
    "GET", "/health", "Liveness check (no authorization)", 200, "Health", auth=False, tags=("service",)
)
OPENAPI = Route(
    "GET", "/openapi.json", "This API's OpenAPI document", 200, "OpenApiDocument", tags=("service",)
)
SOURCE_SERVERS = Route(
    "GET",
    "/drs/source-servers",
    "DRS source servers of this Region, with the last drill that recovered each",
    200,
    "SourceServerList",
    query=(
        QueryParam(
            "neverDrilled",
            "true: only the servers no drill ever recovered",
            {"type": "boolean"},
            lambda value: http.bool_param("neverDrilled", value),
        ),
        QueryParam(
            "notDrilledForDays",
            "only the servers never drilled or last drilled more than this many days ago (0-3650)",
            {"type": "integer", "minimum": 0, "maximum": 3650},
            lambda value: http.int_param("notDrilledForDays", value, 0, 3650),
        ),
    ),
    tags=("drs",),
)


@declare(router, HEALTH)
def health(_request: Request) -> dict[str, Any]:
    return {"status": "ok", "version": VERSION}


@declare(router, OPENAPI)
def openapi_document(_request: Request) -> dict[str, Any]:
    from orchestrator.api.openapi import build_document

    return build_document()


@declare(router, SOURCE_SERVERS)
def source_servers(request: Request) -> dict[str, Any]:
    deps = request.deps
    servers = deps.drs.all_source_servers()
    drilled = server_last_drills(deps, [str(s["sourceServerID"]) for s in servers])
    now = deps.clock.now()
    never, days = request.query.get("neverDrilled"), request.query.get("notDrilledForDays")
    items = []
    for server in servers:
        last = drilled.get(str(server["sourceServerID"]))
        if never and last is not None:
            continue
        if days is not None and not not_drilled_since(last, days, now):
            continue
        hints = (server.get("sourceProperties") or {}).get("identificationHints") or {}
        replication = server.get("dataReplicationInfo") or {}
        items.append(
            {
                "sourceServerId": server["sourceServerID"],
                "hostname": hints.get("hostname"),
                "fqdn": hints.get("fqdn"),
                "tags": server.get("tags") or {},
                "replicationState": replication.get("dataReplicationState"),
                "lastLaunchResult": server.get("lastLaunchResult"),
                "isArchived": bool(server.get("isArchived", False)),
                "lastDrilledTime": (last or {}).get("lastDrilledTime"),
                "lastDrillOutcome": (last or {}).get("lastDrillOutcome"),
                "lastDrillExecutionId": (last or {}).get("lastDrillExecutionId"),
            }
        )
    return {"items": items}
