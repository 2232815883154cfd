"""The service itself (health, its OpenAPI document) and the Region's DRS source servers."""

from __future__ import annotations

from typing import Any

from orchestrator.api.contract import Request, Route, declare, new_router
from orchestrator.version import VERSION

router = new_router()

HEALTH = Route(
    "GET", "/health", "Liveness check (no authorization)", 200, "Health", auth=False, tags=("service",)
)
OPENAPI = Route(
    "GET", "/openapi.json", "This API's OpenAPI document", 200, "OpenApiDocument", tags=("service",)
)
SOURCE_SERVERS = Route(
    "GET", "/drs/source-servers", "DRS source servers of this Region", 200, "SourceServerList", tags=("drs",)
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
    items = []
    for server in request.deps.drs.all_source_servers():
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
            }
        )
    return {"items": items}
